// Property tests of relocation and subprogram linking on synthetic objects:
// random call graphs between .text functions (calls relocated against the
// function symbol or against the .text section symbol, as clang emits for
// global and static functions), random global-data loads, one or several
// entry programs per section. The linked program must contain each reachable
// subprogram exactly once, unchanged except for the rewritten immediates, every
// call must land on its callee's first instruction, and every data load must be
// recorded with its byte offset.
import { fc, test } from '@fast-check/vitest';
import { fuzzFull, fuzzRuns, fuzzSeed } from '@tcbpf/testing';

/** Full-size runs take minutes on a loaded machine. */
const FUZZ_TIMEOUT = fuzzFull() ? 900_000 : 60_000;
import { BPF_PSEUDO, ELF_SHF, ELF_SHT, ELF_STB, ELF_STT, R_BPF } from '@tcbpf/uapi';
import { describe, expect, it } from 'vitest';
import { loadElfObject } from '../src/index.js';
import { expectKernelError } from './fixture-objects.js';
import { insnBytes, writeElf, type WRel, type WSymbol } from './elf-writer.js';

type Op = { kind: 'fill'; imm: number } | { kind: 'call'; to: number; viaSection: boolean } | { kind: 'load'; v: number; viaSection: boolean };

interface Fn {
  readonly name: string;
  readonly code: Uint8Array;
  readonly calls: Map<number, number>; // local insn -> callee sub index
  readonly loads: Map<number, number>; // local insn -> var index
}

const N_VARS = 4;

const opArb = (nSubs: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({ kind: fc.constant('fill' as const), imm: fc.integer({ min: -1000, max: 1000 }) }),
    ...(nSubs > 0 ? [fc.record({ kind: fc.constant('call' as const), to: fc.nat(nSubs - 1), viaSection: fc.boolean() })] : []),
    fc.record({ kind: fc.constant('load' as const), v: fc.nat(N_VARS - 1), viaSection: fc.boolean() }),
  );

const objArb = fc.integer({ min: 0, max: 6 }).chain((nSubs) =>
  fc.record({
    subs: fc.array(fc.array(opArb(nSubs), { minLength: 0, maxLength: 6 }), { minLength: nSubs, maxLength: nSubs }),
    mains: fc.array(fc.array(opArb(nSubs), { minLength: 0, maxLength: 8 }), { minLength: 1, maxLength: 3 }),
    sharedSection: fc.boolean(),
  }),
);

/** Code of one function; calls/loads are recorded, relocations are added by the caller. */
function assemble(name: string, ops: readonly Op[]): Fn {
  const parts: Uint8Array[] = [];
  const calls = new Map<number, number>();
  const loads = new Map<number, number>();
  let n = 0;
  for (const op of ops) {
    if (op.kind === 'fill') { parts.push(insnBytes(0xb7, 0, 0, 0, op.imm)); n++; }
    else if (op.kind === 'call') { calls.set(n, op.to); parts.push(insnBytes(0x85, 0, BPF_PSEUDO.CALL, 0, -1)); n++; }
    else { loads.set(n, op.v); parts.push(insnBytes(0x18, 1, 0, 0, 0), insnBytes(0, 0, 0, 0, 0)); n += 2; }
  }
  parts.push(insnBytes(0xb7, 0, 0, 0, 0), insnBytes(0x95, 0, 0, 0, 0));
  const code = new Uint8Array((n + 2) * 8);
  parts.forEach((p, i) => code.set(p, i * 8));
  return { name, code, calls, loads };
}

describe('relocation and subprogram linking (synthetic objects)', () => {
  test.prop([objArb], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() + 10 })(
    'fuzz: linked programs hold each reachable subprogram once and every call and load is resolved',
    ({ subs, mains, sharedSection }) => {
      const subFns = subs.map((ops, i) => assemble(`sub${i}`, ops));
      const mainFns = mains.map((ops, i) => assemble(`main${i}`, ops));
      const symbols: WSymbol[] = [];
      const rels: WRel[] = [];
      const sym = (y: WSymbol): number => symbols.push(y) - 1;
      const textSym = sym({ name: '', section: '.text', value: 0, size: 0, type: ELF_STT.SECTION, bind: ELF_STB.LOCAL });
      const dataSym = sym({ name: '', section: '.data', value: 0, size: 0, type: ELF_STT.SECTION, bind: ELF_STB.LOCAL });
      const varSyms = Array.from({ length: N_VARS }, (_, v) => sym({ name: `var${v}`, section: '.data', value: v * 8, size: 8, type: ELF_STT.OBJECT, bind: ELF_STB.GLOBAL }));
      // .text layout
      const subStart: number[] = [];
      let textLen = 0;
      for (const f of subFns) { subStart.push(textLen); textLen += f.code.length / 8; }
      const subSyms = subFns.map((f, i) => sym({ name: f.name, section: '.text', value: subStart[i]! * 8, size: f.code.length, type: ELF_STT.FUNC, bind: ELF_STB.GLOBAL }));
      const ops = [...subs, ...mains];
      const relocate = (f: Fn, secName: string, base: number, fnOps: readonly Op[]): Uint8Array => {
        const code = f.code.slice();
        const dv = new DataView(code.buffer);
        let n = 0;
        for (const op of fnOps) {
          if (op.kind === 'call') {
            if (op.viaSection) {
              dv.setInt32(n * 8 + 4, subStart[op.to]! - 1, true);
              rels.push({ target: secName, offset: (base + n) * 8, sym: textSym, type: R_BPF['64_32'] });
            } else rels.push({ target: secName, offset: (base + n) * 8, sym: subSyms[op.to]!, type: R_BPF['64_32'] });
            n++;
          } else if (op.kind === 'load') {
            if (op.viaSection) {
              dv.setInt32(n * 8 + 4, op.v * 8, true);
              rels.push({ target: secName, offset: (base + n) * 8, sym: dataSym, type: R_BPF['64_64'] });
            } else rels.push({ target: secName, offset: (base + n) * 8, sym: varSyms[op.v]!, type: R_BPF['64_64'] });
            n += 2;
          } else n++;
        }
        return code;
      };
      const text = new Uint8Array(textLen * 8);
      subFns.forEach((f, i) => text.set(relocate(f, '.text', subStart[i]!, ops[i]!), subStart[i]! * 8));
      const progSecs = new Map<string, Uint8Array[]>();
      mainFns.forEach((f, i) => {
        const sec = sharedSection ? 'tc' : `sec${i}`;
        const list = progSecs.get(sec) ?? [];
        const base = list.reduce((a, c) => a + c.length / 8, 0);
        list.push(relocate(f, sec, base, mains[i]!));
        progSecs.set(sec, list);
        sym({ name: f.name, section: sec, value: base * 8, size: f.code.length, type: ELF_STT.FUNC, bind: ELF_STB.GLOBAL });
      });
      const concat = (a: Uint8Array[]): Uint8Array => { const o = new Uint8Array(a.reduce((s, x) => s + x.length, 0)); let p = 0; for (const x of a) { o.set(x, p); p += x.length; } return o; };
      const sections = [
        ...(textLen > 0 ? [{ name: '.text', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.EXECINSTR, data: text }] : []),
        ...[...progSecs].map(([name, parts]) => ({ name, type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.EXECINSTR, data: concat(parts) })),
        { name: '.data', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.WRITE, data: new Uint8Array(N_VARS * 8).fill(7) },
        { name: 'license', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC, data: new TextEncoder().encode('GPL\0') },
      ];
      const bytes = writeElf(sections, symbols, rels);
      const o = loadElfObject(bytes, { fileName: 'syn.o' });
      expect(o.license).toBe('GPL');
      expect(o.programs.map((p) => p.name).sort()).toEqual(mainFns.map((f) => f.name).sort());

      for (const p of o.programs) {
        const mi = Number(p.name.slice(4));
        const main = mainFns[mi]!;
        // reachable subprograms from this main
        const reach = new Set<number>();
        const stack = [...main.calls.values()];
        while (stack.length > 0) { const s = stack.pop()!; if (reach.has(s)) continue; reach.add(s); stack.push(...subFns[s]!.calls.values()); }
        expect(p.subprograms.map((s) => s.name).sort()).toEqual([...reach].map((s) => `sub${s}`).sort());
        const segs = [{ fn: main, start: 0 }, ...p.subprograms.map((s) => ({ fn: subFns[Number(s.name.slice(3))]!, start: s.start }))];
        expect(p.insnCount).toBe(segs.reduce((a, s) => a + s.fn.code.length / 8, 0));
        const startOf = new Map(segs.map((s) => [s.fn.name, s.start]));
        const dv = new DataView(p.insns.buffer, p.insns.byteOffset);
        for (const { fn, start } of segs) {
          const n = fn.code.length / 8;
          for (let j = 0; j < n; j++) {
            const at = (start + j) * 8;
            if (fn.calls.has(j)) {
              expect(p.insns[at + 1]! >> 4).toBe(BPF_PSEUDO.CALL);
              expect(start + j + 1 + dv.getInt32(at + 4, true)).toBe(startOf.get(`sub${fn.calls.get(j)!}`));
            } else if (fn.loads.has(j)) {
              const v = fn.loads.get(j)!;
              expect(p.insns[at + 1]! >> 4).toBe(BPF_PSEUDO.MAP_VALUE);
              expect(dv.getInt32(at + 12, true)).toBe(v * 8);
              expect(p.mapRelocs).toContainEqual({ insn: start + j, pseudo: BPF_PSEUDO.MAP_VALUE, map: '.data', offset: v * 8 });
              j++;
            } else {
              expect(p.insns.subarray(at, at + 8)).toEqual(fn.code.subarray(j * 8, j * 8 + 8));
            }
          }
        }
        expect(p.mapRelocs).toHaveLength(segs.reduce((a, s) => a + s.fn.loads.size, 0));
      }
    },
    FUZZ_TIMEOUT,
  );

  it('refuses RELA relocations, calls to externs and loads of .kconfig externs, naming them', () => {
    const code = new Uint8Array([...insnBytes(0x85, 0, 1, 0, -1), ...insnBytes(0xb7, 0, 0, 0, 0), ...insnBytes(0x95, 0, 0, 0, 0)]);
    const sections = [{ name: 'tc', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.EXECINSTR, data: code }];
    const symbols: WSymbol[] = [
      { name: 'prog', section: 'tc', value: 0, size: code.length, type: ELF_STT.FUNC, bind: ELF_STB.GLOBAL },
      { name: 'bpf_kfunc_x', section: '', value: 0, size: 0, type: ELF_STT.FUNC, bind: ELF_STB.GLOBAL },
    ];
    expectKernelError(() => loadElfObject(writeElf(sections, symbols, [{ target: 'tc', offset: 0, sym: 1, type: R_BPF['64_32'] }])), 'EOPNOTSUPP',
      'section ".reltc": relocation 0: call to extern function "bpf_kfunc_x" (kfunc) is not supported');
    const ld = new Uint8Array([...insnBytes(0x18, 1, 0, 0, 0), ...insnBytes(0, 0, 0, 0, 0), ...insnBytes(0x95, 0, 0, 0, 0)]);
    const s2 = [{ name: 'tc', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.EXECINSTR, data: ld }];
    const y2: WSymbol[] = [
      { name: 'prog', section: 'tc', value: 0, size: ld.length, type: ELF_STT.FUNC, bind: ELF_STB.GLOBAL },
      { name: 'CONFIG_HZ', section: '', value: 0, size: 0, type: ELF_STT.NOTYPE, bind: ELF_STB.GLOBAL },
    ];
    expectKernelError(() => loadElfObject(writeElf(s2, y2, [{ target: 'tc', offset: 0, sym: 1, type: R_BPF['64_64'] }])), 'EOPNOTSUPP', 'extern "CONFIG_HZ"');
    // an LD_IMM64 whose second slot is outside the program
    const y3: WSymbol[] = [{ name: 'prog', section: 'tc', value: 0, size: 8, type: ELF_STT.FUNC, bind: ELF_STB.GLOBAL }, y2[1]!];
    expectKernelError(() => loadElfObject(writeElf(s2, y3, [{ target: 'tc', offset: 0, sym: 1, type: R_BPF['64_64'] }])), 'EINVAL', 'LD_IMM64 at insns[0] has no second slot');
    // a RELA section is refused
    const b = writeElf(sections, symbols, [{ target: 'tc', offset: 0, sym: 1, type: R_BPF['64_32'] }]);
    const dv = new DataView(b.buffer);
    const shoff = dv.getUint32(40, true);
    const shnum = dv.getUint16(60, true);
    for (let i = 0; i < shnum; i++) if (dv.getUint32(shoff + i * 64 + 4, true) === ELF_SHT.REL) dv.setUint32(shoff + i * 64 + 4, ELF_SHT.RELA, true);
    expectKernelError(() => loadElfObject(b), 'EINVAL', 'section ".reltc": RELA relocations are not supported');
  });

  it('treats an executable section without function symbols as one program named after it (old objects)', () => {
    const code = new Uint8Array([...insnBytes(0xb7, 0, 0, 0, 2), ...insnBytes(0x95, 0, 0, 0, 0)]);
    const o = loadElfObject(writeElf([{ name: 'classifier', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.EXECINSTR, data: code }], [], []));
    expect(o.programs).toHaveLength(1);
    expect(o.programs[0]).toMatchObject({ name: 'classifier', section: 'classifier', insnCount: 2 });
    expect(o.license).toBe('');
    expect(o.hasBtf).toBe(false);
    expect(o.kernVersion).toBe(0);
    const prog = { name: 'classifier', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC | ELF_SHF.EXECINSTR, data: code };
    const ver = new Uint8Array(4);
    new DataView(ver.buffer).setUint32(0, 0x060c00, true);
    const v = loadElfObject(writeElf([prog, { name: 'version', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC, data: ver }], [], []));
    expect(v.kernVersion).toBe(0x060c00);
    expectKernelError(() => loadElfObject(writeElf([prog, { name: 'version', type: ELF_SHT.PROGBITS, flags: ELF_SHF.ALLOC, data: new Uint8Array(3) }], [], [])),
      'EINVAL', 'section "version": invalid kver section size 3');
  });
});
