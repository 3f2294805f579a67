// Property and fuzz tests: random instruction streams never make the checker
// throw anything but KernelError(EINVAL); accepted programs always terminate
// with a u32 verdict, identical in the interpreter and the compiled form, on
// random sk_buffs (random data offset, headers, metadata). Every text parser
// refuses garbage with a KernelError and round-trips what it formats.
import { describe, expect } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { KernelError, Prng } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import {
  CLASSIC_OPCODES, ClassicFilter, type ClassicSkb, OP, type SockFilter, ancK, assemble, checkClassic, decodeSockFilters,
  disassemble, encodeSockFilters, formatBytecode, formatDdd, insn, parseBytecode, parseBytecodeFile, parseDdd,
} from '../src/index.js';

const VALID_CODES = Object.keys(CLASSIC_OPCODES).map(Number);
const runs = (ci: number, full: number) => ({ numRuns: fuzzRuns(ci, full), seed: fuzzSeed() });

const kArb = fc.oneof(
  fc.nat({ max: 0xffffffff }),
  fc.nat({ max: 80 }),
  fc.constantFrom(0, 1, 31, 32, 15, 16, 0x7fffffff, 0x80000000, 0xffffffff),
  fc.nat({ max: 16 }).map((i) => ancK(i * 4)),
  fc.integer({ min: -0x100010, max: -0xfff00 }).map((v) => v >>> 0),
  fc.integer({ min: -0x200010, max: -0x1fff00 }).map((v) => v >>> 0),
);
const insnArb: fc.Arbitrary<SockFilter> = fc
  .record({
    code: fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...VALID_CODES) }, { weight: 1, arbitrary: fc.nat({ max: 0xffff }) }),
    jt: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 255 })),
    jf: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 255 })),
    k: kArb,
  })
  .map((r) => insn(r.code, r.jt, r.jf, r.k));
const progArb = fc.tuple(fc.array(insnArb, { minLength: 0, maxLength: 60 }), fc.boolean(), fc.nat({ max: 1000 })).map(([body, retA, rk]) => [...body, retA ? insn(OP.RET_A, 0, 0, 0) : insn(OP.RET_K, 0, 0, rk)]);

const skbArb: fc.Arbitrary<ClassicSkb> = fc
  .record({
    head: fc.nat({ max: 40 }),
    data: fc.uint8Array({ minLength: 0, maxLength: 200 }),
    tail: fc.nat({ max: 8 }),
    mac: fc.integer({ min: -1, max: 60 }),
    net: fc.nat({ max: 80 }),
    protocol: fc.constantFrom(0x0800, 0x86dd, 0x8100, 0x88a8, 0x0806, 0x8847, 0x8906, 0x1234),
    pktType: fc.nat({ max: 7 }),
    mark: fc.nat({ max: 0xffffffff }),
    queueMapping: fc.nat({ max: 0xffff }),
    hash: fc.nat({ max: 0xffffffff }),
    vlanPresent: fc.boolean(),
    vlanTci: fc.nat({ max: 0xffff }),
    vlanProto: fc.constantFrom(0, 0x8100, 0x88a8),
    ifindex: fc.nat({ max: 100 }),
    devType: fc.constantFrom(1, 772),
  })
  .map((r) => {
    const buf = new Uint8Array(r.head + r.data.length + r.tail);
    buf.set(r.data, r.head);
    return {
      buf, dataOff: r.head, len: r.data.length, macHeader: r.mac < 0 ? -1 : Math.min(r.mac, buf.length), networkHeader: Math.min(r.head + r.net, buf.length),
      protocol: r.protocol, pktType: r.pktType, mark: r.mark, queueMapping: r.queueMapping, hash: r.hash, vlanPresent: r.vlanPresent,
      vlanTci: r.vlanTci, vlanProto: r.vlanProto, ifindex: r.ifindex, devType: r.devType,
    };
  });

function isRefusal(e: unknown): boolean {
  return KernelError.isInstance(e) && e.errno === 'EINVAL';
}

describe('fuzz: checker and runners', () => {
  test.prop([progArb, fc.array(skbArb, { minLength: 1, maxLength: 4 }), fc.nat()], runs(300, 20_000))(
    'fuzz random instruction streams: refusal is KernelError EINVAL, accepted programs terminate with equal u32 verdicts',
    (prog, skbs, seed) => {
      let f: ClassicFilter;
      try {
        f = ClassicFilter.create(prog);
      } catch (e) {
        expect(isRefusal(e)).toBe(true);
        return;
      }
      for (const skb of skbs) {
        const a = f.run(skb, { cpu: 1, prng: new Prng(seed) });
        const b = f.runCompiled(skb, { cpu: 1, prng: new Prng(seed) });
        expect(Number.isInteger(a) && a >= 0 && a <= 0xffffffff).toBe(true);
        expect(b).toBe(a);
        // deterministic: the same input gives the same verdict
        expect(f.run(skb, { cpu: 1, prng: new Prng(seed) })).toBe(a);
      }
    },
  );

  test.prop([fc.uint8Array({ maxLength: 200 })], runs(300, 20_000))('fuzz raw sock_filter bytes: decode refuses or the checker decides', (bytes) => {
    try {
      const prog = decodeSockFilters(bytes);
      expect(encodeSockFilters(prog)).toEqual(bytes);
      checkClassic(prog);
    } catch (e) {
      expect(isRefusal(e)).toBe(true);
    }
  });

  test.prop([progArb], runs(200, 10_000))('every accepted program also compiles in switch-dispatch form with the same verdicts', (prog) => {
    try {
      checkClassic(prog);
    } catch {
      return;
    }
    // a program with many distinct jump targets exercises the dispatcher
    const wide: SockFilter[] = [];
    for (let i = 0; i < 450; i++) wide.push(insn(OP.JEQ_K, 0, 1, i), insn(OP.ADD_K, 0, 0, 1));
    const full = ClassicFilter.create([...wide, ...prog.map((p) => p)]);
    const skb: ClassicSkb = {
      buf: new Uint8Array(64), dataOff: 0, len: 64, macHeader: 0, networkHeader: 14, protocol: 0x800, pktType: 0, mark: 0,
      queueMapping: 0, hash: 0, vlanPresent: false, vlanTci: 0, vlanProto: 0, ifindex: 1, devType: 1,
    };
    expect(full.runCompiled(skb, { cpu: 0, prng: new Prng(1) })).toBe(full.run(skb, { cpu: 0, prng: new Prng(1) }));
  });
});

describe('fuzz: text formats', () => {
  test.prop([fc.string({ maxLength: 120 })], runs(500, 50_000))('fuzz tc bytecode strings: KernelError or a program', (s) => {
    try {
      const p = parseBytecode(s);
      expect(p.length).toBeGreaterThan(0);
    } catch (e) {
      expect(isRefusal(e)).toBe(true);
    }
  });

  test.prop([fc.array(fc.oneof(fc.constantFrom(',', ' ', '\n', '\t', '-', '+'), fc.nat({ max: 70000 }).map(String)), { maxLength: 40 })], runs(500, 50_000))(
    'fuzz bytecode-ish token soup: KernelError or a program',
    (toks) => {
      for (const parse of [parseBytecode, parseBytecodeFile, parseDdd]) {
        try {
          parse(toks.join(''));
        } catch (e) {
          expect(isRefusal(e)).toBe(true);
        }
      }
    },
  );

  test.prop([fc.array(insnArb, { minLength: 1, maxLength: 100 })], runs(300, 20_000))('fuzz formatted programs round-trip through every text form', (prog) => {
    expect(parseBytecode(formatBytecode(prog))).toEqual(prog);
    expect(parseBytecode(formatBytecode(prog, true))).toEqual(prog);
    expect(parseBytecodeFile(formatDdd(prog))).toEqual(prog);
    expect(parseDdd(formatDdd(prog))).toEqual(prog);
    expect(disassemble(prog).split('\n').length).toBe(prog.length + 1);
  });

  const asmLine = fc.oneof(
    fc.constantFrom('ld #1', 'ldh [12]', 'ldb [x + 3]', 'ld proto', 'ldx #len', 'ldxb 4*([14]&0xf)', 'st M[3]', 'tax', 'txa', 'neg',
      'add x', 'and #0xff', 'ret a', 'ret #-1', 'jeq #1, L1, L2', 'jne #2, L2', 'jmp L2', 'L1:', 'L2: ret #0', '; c', '/* c */', 'ld [-4096]'),
    fc.string({ maxLength: 30 }),
  );
  test.prop([fc.array(asmLine, { maxLength: 30 })], runs(500, 50_000))('fuzz bpf_asm source: KernelError or a program that round-trips', (lines) => {
    let p: SockFilter[];
    try {
      p = assemble(lines.join('\n'));
    } catch (e) {
      expect(isRefusal(e)).toBe(true);
      return;
    }
    if (p.length > 0) expect(parseBytecode(formatBytecode(p, true))).toEqual(p);
  });
});
