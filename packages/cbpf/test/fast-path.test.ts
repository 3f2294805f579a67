// The compiled form's length-specialised fast path (src/jit.ts): one entry
// test `len >= need` replaces the per-load tests of constant-offset loads, and
// shorter packets run the checked form. Property: on random programs made of
// constant-offset loads (around the packet end), indirect loads, ALU and
// forward jumps, run over packets whose length is near `need`, the fast form,
// the checked-only form and the interpreter return the same value.
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Prng } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import {
  ClassicFilter, type ClassicSkb, OP, type SockFilter, ancK, checkClassic, classicFastPathLength, classicToJsSource, compileClassic,
  insn, parseDdd, stmt,
} from '../src/index.js';
import { envOf, skbOf } from './helpers.js';

const runs = (ci: number, full: number) => ({ numRuns: fuzzRuns(ci, full), seed: fuzzSeed() });

const IP6_AND_TCP = '9\n40 0 0 12\n21 0 6 34525\n48 0 0 20\n21 3 0 6\n21 0 3 44\n48 0 0 54\n21 0 1 6\n6 0 0 262144\n6 0 0 0';

describe('compiled fast path', () => {
  it('needs the end of the furthest constant-offset load and drops the per-load tests', () => {
    const prog = parseDdd(IP6_AND_TCP);
    expect(classicFastPathLength(prog)).toBe(55); // ldb [54]
    const checked = classicToJsSource(prog);
    const fast = classicToJsSource(prog, { unchecked: 55 });
    expect(checked.match(/if \(len </g)?.length).toBe(3);
    expect(fast).not.toMatch(/if \(len/);
  });

  it('ignores ancillary, negative and out-of-reach offsets', () => {
    expect(classicFastPathLength([stmt(OP.LD_W_ABS, ancK(0)), stmt(OP.LD_B_ABS, -0x100000 >>> 0), stmt(OP.RET_A, 0)])).toBe(0);
    expect(classicFastPathLength([stmt(OP.LDX_MSH, 14), stmt(OP.LD_H_IND, 100), stmt(OP.RET_A, 0)])).toBe(15);
    const far = [stmt(OP.LD_H_ABS, 12), stmt(OP.LD_W_ABS, 0x7ffffff0), stmt(OP.RET_A, 0)];
    expect(classicFastPathLength(far)).toBe(14);
    // the far load keeps its own test in the fast form and still fails
    const f = ClassicFilter.create(far);
    expect(f.runCompiled(skbOf(new Uint8Array(64)), envOf())).toBe(0);
  });

  it('runs packets shorter than `need` through the checked form: one byte short drops', () => {
    const fn = compileClassic(parseDdd(IP6_AND_TCP));
    const frame = new Uint8Array(60);
    frame.set([0x86, 0xdd], 12);
    frame[20] = 44;
    frame[54] = 6;
    expect(fn(skbOf(frame.subarray(0, 55)), envOf())).toBe(262144);
    expect(fn(skbOf(frame.subarray(0, 54)), envOf())).toBe(0);
    frame[20] = 6; // no load past byte 21 on this path: a 21-byte packet matches
    expect(fn(skbOf(frame.subarray(0, 21)), envOf())).toBe(262144);
    expect(fn(skbOf(frame.subarray(0, 20)), envOf())).toBe(0);
  });
});

/** One instruction of a valid straight-line-with-forward-jumps program. */
const stepArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ code: fc.constantFrom(OP.LD_W_ABS, OP.LD_H_ABS, OP.LD_B_ABS, OP.LDX_MSH), k: fc.nat({ max: 70 }) }) },
  { weight: 2, arbitrary: fc.record({ code: fc.constantFrom(OP.LD_W_IND, OP.LD_H_IND, OP.LD_B_IND), k: fc.integer({ min: -4, max: 70 }).map((v) => v >>> 0) }) },
  { weight: 2, arbitrary: fc.record({ code: fc.constantFrom(OP.ADD_K, OP.AND_K, OP.RSH_K, OP.TAX, OP.TXA, OP.LDX_IMM), k: fc.nat({ max: 31 }) }) },
  {
    weight: 4,
    arbitrary: fc.record({
      code: fc.constantFrom(OP.JEQ_K, OP.JGT_K, OP.JSET_K, OP.JGE_X),
      k: fc.oneof(fc.nat({ max: 255 }), fc.nat({ max: 0xffff })),
      jt: fc.nat({ max: 255 }),
      jf: fc.nat({ max: 255 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ code: fc.constantFrom(OP.RET_A, OP.RET_K), k: fc.nat({ max: 1000 }) }) },
);
const fastProgArb = fc.array(stepArb, { minLength: 1, maxLength: 30 }).map((steps) => {
  const prog: SockFilter[] = steps.map((s, pc) => {
    const left = steps.length - pc; // instructions after this one, the final RET included
    if ('jt' in s) return insn(s.code, s.jt % left, s.jf % left, s.k);
    return insn(s.code, 0, 0, s.k);
  });
  prog.push(insn(OP.RET_A, 0, 0, 0));
  return prog;
});

describe('fuzz: compiled fast path', () => {
  test.prop([fastProgArb, fc.uint8Array({ minLength: 80, maxLength: 80 }), fc.array(fc.integer({ min: -8, max: 8 }), { minLength: 1, maxLength: 6 }), fc.nat({ max: 8 })], runs(300, 30_000))(
    'fuzz fast path: fast form = checked form = interpreter on packets around the needed length',
    (prog, bytes, deltas, headroom) => {
      checkClassic(prog); // the generator only makes valid programs
      const need = classicFastPathLength(prog);
      const filter = ClassicFilter.create(prog);
      const checkedOnly = compileClassic(prog, false);
      const fast = compileClassic(prog);
      for (const delta of deltas) {
        const len = Math.max(0, Math.min(bytes.length, need + delta));
        const skb: ClassicSkb = skbOf(bytes.subarray(0, len), { headroom });
        const env = { cpu: 0, prng: new Prng(1) };
        const want = filter.run(skb, env);
        expect(fast(skb, env)).toBe(want);
        expect(checkedOnly(skb, env)).toBe(want);
      }
    },
  );
});
