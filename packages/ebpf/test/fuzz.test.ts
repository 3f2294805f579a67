// Property and fuzz tests: codecs and both text syntaxes round-trip, parsers and the loader
// refuse bad input only with KernelError, and the interpreter is memory-safe on arbitrary
// programs (every run ends with a RUN_STATUS, never a JS exception).
import { fc, test } from '@fast-check/vitest';
import { KernelError, toHex } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { BPF_MAP_TYPE as T, BPF_PROG_TYPE } from '@tcbpf/uapi';
import { describe, expect } from 'vitest';
import {
  AddressSpace, BpfSyscall, OPCODES, OP_KIND, REGION, RUN_STATUS, assemble, assembleKernel, checkStructure,
  decodeInsns, disasmConformance, disasmKernel, encodeInsns, insn, makeProgType, type Insn,
} from '../src/index.js';

const runs = (ci: number, full: number): { numRuns: number; seed: number } => ({ numRuns: fuzzRuns(ci, full), seed: fuzzSeed() });
const TYPE = makeProgType({ type: BPF_PROG_TYPE.SCHED_CLS, name: 'sched_cls (test)', ctxSize: 192 });

const arbInsn = fc.record({
  code: fc.integer({ min: 0, max: 255 }),
  dst: fc.integer({ min: 0, max: 15 }),
  src: fc.integer({ min: 0, max: 15 }),
  off: fc.integer({ min: -32768, max: 32767 }),
  imm: fc.integer({ min: -0x80000000, max: 0x7fffffff }),
}).map((r) => insn(r.code, r.dst, r.src, r.off, r.imm));

/** A valid instruction (any opcode of the table with fields the structural pass accepts). */
const VALID_CODES = OPCODES.flatMap((o, c) => (o === undefined || c === 0x18 || o.kind === OP_KIND.CALL ? [] : [c]));
function validInsn(code: number, dst: number, src: number, off: number, imm: number): Insn {
  const op = OPCODES[code]!;
  switch (op.kind) {
    case OP_KIND.ALU: {
      const signed = op.op === 0x30 || op.op === 0x90;
      const shift = op.op === 0x60 || op.op === 0x70 || op.op === 0xc0;
      const k = shift ? Math.abs(imm) % (op.is64 ? 64 : 32) : signed && imm === 0 ? 1 : imm;
      return op.x ? insn(code, dst, src, signed ? off & 1 : 0, 0) : insn(code, dst, 0, signed ? off & 1 : 0, k);
    }
    case OP_KIND.MOV:
      return op.x ? insn(code, dst, src, [0, 8, 16, ...(op.is64 ? [32] : [])][Math.abs(off) % (op.is64 ? 4 : 3)], 0) : insn(code, dst, 0, 0, imm);
    case OP_KIND.NEG: return insn(code, dst);
    case OP_KIND.END: return insn(code, dst, 0, 0, [16, 32, 64][Math.abs(imm) % 3]);
    case OP_KIND.JA: return insn(code, 0, 0, off, 0);
    case OP_KIND.JCOND_GOTO: return insn(code, 0, 0, 0, imm);
    case OP_KIND.MAY_GOTO: return insn(code, 0, 0, off, 0);
    case OP_KIND.JMP_COND: return op.x ? insn(code, dst, src, off, 0) : insn(code, dst, 0, off, imm);
    case OP_KIND.EXIT: return insn(code);
    case OP_KIND.LDX: case OP_KIND.LDXSX: return insn(code, dst, src, off, 0);
    case OP_KIND.ST: return insn(code, dst, 0, off, imm);
    case OP_KIND.STX: return insn(code, dst, src, off, 0);
    case OP_KIND.ATOMIC: {
      const ops = op.size === 4 || op.size === 8 ? [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110] : [0x100, 0x110];
      return insn(code, dst, src, off, ops[Math.abs(imm) % ops.length]);
    }
    case OP_KIND.LD_ABS: return insn(code, 0, 0, 0, imm);
    case OP_KIND.LD_IND: return insn(code, 0, src, 0, imm);
    default: return insn(0x95);
  }
}
const arbValidInsn = fc.tuple(
  fc.constantFrom(...VALID_CODES), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 10 }),
  fc.integer({ min: -8, max: 8 }), fc.integer({ min: -0x80000000, max: 0x7fffffff }),
).map(([c, d, s, o, i]) => validInsn(c, d, s, o, i));

describe('codec', () => {
  test.prop([fc.array(arbInsn, { maxLength: 64 })], runs(200, 5000))('fuzz: decodeInsns(encodeInsns(x)) = x', (insns) => {
    expect(decodeInsns(encodeInsns(insns))).toEqual(insns);
  });
  test.prop([fc.uint8Array({ maxLength: 200 })], runs(200, 5000))('fuzz: decodeInsns of any bytes decodes or throws EINVAL', (b) => {
    try {
      const d = decodeInsns(b);
      expect(toHex(encodeInsns(d))).toBe(toHex(b));
    } catch (e) {
      expect(KernelError.isInstance(e) && e.errno === 'EINVAL').toBe(true);
      expect(b.length % 8).not.toBe(0);
    }
  });
});

describe('text syntaxes', () => {
  const prog = fc.array(arbValidInsn, { minLength: 1, maxLength: 30 });
  test.prop([prog], runs(200, 5000))('fuzz: assembleKernel(disasmKernel(x)) = x', (insns) => {
    expect(assembleKernel(disasmKernel(insns))).toEqual(insns);
  });
  test.prop([prog], runs(200, 5000))('fuzz: assemble(disasmConformance(x)) = x (conformance dialect)', (insns) => {
    const noAcqRel = insns.filter((i) => !(OPCODES[i.code]!.kind === OP_KIND.ATOMIC && (i.imm === 0x100 || i.imm === 0x110)) && OPCODES[i.code]!.kind !== OP_KIND.MAY_GOTO);
    expect(assemble(disasmConformance(noAcqRel))).toEqual(noAcqRel);
  });
  test.prop([fc.string({ maxLength: 300 })], runs(300, 10000))('fuzz: assemblers refuse garbage only with KernelError', (text) => {
    for (const f of [assemble, assembleKernel]) {
      try {
        f(text);
      } catch (e) {
        expect(KernelError.isInstance(e)).toBe(true);
      }
    }
  });
  test.prop([fc.array(fc.constantFrom('r0', 'w1', '=', '+=', '*(u32 *)', '(r10 -8)', 'if', 'goto', 'pc+1', 'call', 'lock', '0x10', '-1', 'll', 'exit', 'map[fd:3]', '\n', ' '), { maxLength: 40 })],
    runs(300, 10000))('fuzz: kernel-syntax token soup is parsed or refused with KernelError', (toks) => {
    try {
      assembleKernel(toks.join(' '));
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
    }
  });
});

describe('structural pass and loader', () => {
  test.prop([fc.array(arbInsn, { minLength: 0, maxLength: 40 })], runs(300, 10000))('fuzz: checkStructure accepts or throws KernelError', (insns) => {
    try {
      const shape = checkStructure(insns);
      expect(shape.subprogs[0]).toBe(0);
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
    }
  });
  test.prop([fc.uint8Array({ maxLength: 256 })], runs(300, 10000))('fuzz: progLoad of random bytes loads or refuses, nothing half-registered', (bytes) => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    try {
      const fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns: bytes, license: 'GPL' });
      expect(sys.prog(fd).insns.length * 8).toBe(bytes.length);
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
      expect(sys.progById(1)).toBeUndefined();
    }
  });
});

describe('interpreter memory safety', () => {
  // random valid instructions (pointer arithmetic, loads/stores through any register, backward
  // jumps, calls) ending in exit; loaded through the structural pass, run with a small budget
  // jumps are folded into range (unconditional ones become `goto +0` so nothing is unreachable;
  // conditional ones may go backwards: the instruction budget ends endless loops)
  const arbProg = fc.array(arbValidInsn, { minLength: 1, maxLength: 40 }).map((b) => {
    const all = [...b, insn(0xb7, 0, 0, 0, 0), insn(0x95)];
    const n = all.length;
    return all.map((i, at) => {
      const k = OPCODES[i.code]!.kind;
      if (k === OP_KIND.JA || k === OP_KIND.MAY_GOTO) return insn(i.code, 0, 0, 0, 0);
      if (k === OP_KIND.JCOND_GOTO) return insn(i.code, 0, 0, 0, 0);
      if (k !== OP_KIND.JMP_COND) return i;
      const t = Math.min(Math.max(at + 1 + i.off, 0), n - 1);
      return insn(i.code, i.dst, i.src, t - at - 1, i.imm);
    });
  });
  let loaded = 0;
  let faulted = 0;
  test.prop([arbProg, fc.uint8Array({ minLength: 14, maxLength: 128 })], runs(500, 20000))('fuzz: any loadable program ends with a RUN_STATUS and never throws', (insns, pkt) => {
    const sys = new BpfSyscall({ progTypes: [TYPE] });
    let fd: number;
    try {
      fd = sys.progLoad({ progType: BPF_PROG_TYPE.SCHED_CLS, insns, license: 'GPL' });
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
      return;
    }
    sys.interpreter.budget = 10_000;
    sys.mem.bind(REGION.CTX, 'ctx', new Uint8Array(192));
    sys.mem.bind(REGION.PACKET, 'packet', pkt);
    const st = sys.run(sys.prog(fd), AddressSpace.hiOf(REGION.CTX), 0, AddressSpace.hiOf(REGION.PACKET), 0);
    expect(Object.values(RUN_STATUS)).toContain(st);
    loaded++;
    if (st === RUN_STATUS.OK) expect(sys.interpreter.faultPc).toBe(-1);
    else { faulted++; expect(sys.interpreter.faultPc).toBeGreaterThanOrEqual(0); }
  });
  test('the memory-safety fuzz really ran programs, some of them faulting', () => {
    expect(loaded).toBeGreaterThan(fuzzRuns(500, 20000) / 4);
    expect(faulted).toBeGreaterThan(0);
  });
});

describe('maps', () => {
  const types = [T.HASH, T.ARRAY, T.PERCPU_HASH, T.PERCPU_ARRAY, T.LRU_HASH, T.LPM_TRIE] as const;
  const op = fc.record({
    kind: fc.constantFrom('update', 'lookup', 'delete', 'next', 'batch'),
    key: fc.uint8Array({ minLength: 0, maxLength: 10 }),
    value: fc.uint8Array({ minLength: 0, maxLength: 20 }),
    flags: fc.integer({ min: -1, max: 8 }),
  });
  test.prop([fc.constantFrom(...types), fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 5 }), fc.array(op, { maxLength: 40 })],
    runs(200, 5000))('fuzz: map commands either work or throw KernelError; counts stay within max_entries', (type, ks, vs, max, ops) => {
    const sys = new BpfSyscall({ nrCpus: 2 });
    let fd: number;
    try {
      fd = sys.mapCreate({ mapType: type, keySize: ks, valueSize: vs, maxEntries: max, mapFlags: type === T.LPM_TRIE ? 1 : 0 });
    } catch (e) {
      expect(KernelError.isInstance(e)).toBe(true);
      return;
    }
    for (const o of ops) {
      try {
        if (o.kind === 'update') sys.mapUpdateElem(fd, o.key, o.value, o.flags);
        else if (o.kind === 'lookup') sys.mapLookupElem(fd, o.key);
        else if (o.kind === 'delete') sys.mapDeleteElem(fd, o.key);
        else if (o.kind === 'next') sys.mapGetNextKey(fd, o.key.length === 0 ? undefined : o.key);
        else sys.mapLookupBatch(fd, 3);
      } catch (e) {
        if (!KernelError.isInstance(e)) throw e;
      }
      const m = sys.map(fd) as { count?: number };
      if (m.count !== undefined) expect(m.count).toBeLessThanOrEqual(max);
    }
  });
});
