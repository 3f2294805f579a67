// bpf_convert_filter: converted programs compute exactly what the classic
// programs compute (checked with the plain evaluator in ./ebpf-eval.ts) on the
// Appendix A programs, the libpcap corpus and random programs/sk_buffs; plus
// the structure the kernel's converter gives (prologue, register mapping,
// RET K, jump relocation, the DIV/MOD-by-X guard).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { Prng } from '@tcbpf/base';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import {
  CLASSIC_OPCODES, ClassicFilter, type ClassicSkb, OP, type SockFilter, ancK, assemble, checkClassic, convertClassic, encodeBpfInsns, insn, parseDdd, stmt,
} from '../src/index.js';
import { generatePackets } from './corpus/packets.js';
import { runConverted } from './ebpf-eval.js';
import { appendixFrame, envOf, skbOf } from './helpers.js';

describe('bpf_convert_filter structure', () => {
  it('emits the prologue, maps RET K to mov32 + exit and RET A to exit', () => {
    const c = convertClassic([stmt(OP.LD_IMM, 7), stmt(OP.RET_A, 0)]);
    expect(c.seenLdAbs).toBe(false);
    expect(c.insns.map((x) => [x.code, x.dst, x.src, x.off, x.imm])).toEqual([
      [0xac, 0, 0, 0, 0], // w0 ^= w0 (A = 0)
      [0xac, 7, 7, 0, 0], // w7 ^= w7 (X = 0)
      [0xbf, 6, 1, 0, 0], // r6 = r1 (ctx)
      [0xb4, 0, 0, 0, 7], // w0 = 7
      [0x95, 0, 0, 0, 0], // exit
    ]);
    expect(encodeBpfInsns(c.insns).length).toBe(40);
  });

  it('caches data/headlen when the program loads packet bytes, guards DIV X, relocates jumps', () => {
    const c = convertClassic(assemble('ldh [12]\njeq #0x800, a, b\na: ldx #0\ndiv x\nret a\nb: ret #0'));
    expect(c.seenLdAbs).toBe(true);
    expect(c.insns.slice(3, 7).map((x) => x.code)).toEqual([0x79, 0x61, 0x61, 0x1c]);
    // jeq with jt == 0 becomes JNE to the false target
    const jne = c.insns.find((x) => x.code === 0x55);
    expect(jne?.imm).toBe(0x800);
    const guard = c.insns.findIndex((x) => x.code === 0x55 && x.dst === 7);
    expect(c.insns.slice(guard - 1, guard + 3).map((x) => x.code)).toEqual([0xbc, 0x55, 0xac, 0x95]);
  });

  it('moves a negative-looking immediate into tmp so the compare stays unsigned 32-bit', () => {
    const c = convertClassic(assemble('ld #0xffffffff\njgt #0x80000000, t, f\nt: ret #1\nf: ret #2'));
    const mov = c.insns.findIndex((x) => x.code === 0xb4 && x.dst === 2);
    expect(c.insns[mov]!.imm).toBe(0x80000000 | 0);
    expect(c.insns[mov + 1]!.code).toBe(0xbd); // jt is the next insn: jle r0, r2 to the false target
    expect(runConverted(c.insns, skbOf(appendixFrame()), envOf())).toBe(1);
  });
});

function same(prog: readonly SockFilter[], skb: ClassicSkb, seed = 1): void {
  const f = ClassicFilter.create(prog);
  const c = convertClassic(f.insns);
  expect(runConverted(c.insns, skb, envOf(0, seed))).toBe(f.run(skb, envOf(0, seed)));
}

describe('converted programs compute what classic programs compute', () => {
  it('on the libpcap corpus over 200 generated packets', () => {
    const corpus = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'libpcap-corpus.json'), 'utf8')) as { filters: { ddd: string }[] };
    const skbs = generatePackets(200).map((fr) => skbOf(fr, { ifindex: 2, devType: 1 }));
    let n = 0;
    for (const f of corpus.filters) {
      const prog = parseDdd(f.ddd);
      try {
        checkClassic(prog);
      } catch {
        continue; // protochain: refused by Linux
      }
      for (const s of skbs) {
        same(prog, s);
        n++;
      }
    }
    expect(n).toBeGreaterThan(10_000);
  });

  it('on every ancillary load and the negative offsets', () => {
    const frame = appendixFrame(96);
    const skb = skbOf(frame, { vlanPresent: true, vlanTci: 0xe064, vlanProto: 0x88a8, mark: 0xdeadbeef, hash: 0x1234567, queueMapping: 3, pktType: 2 });
    for (let off = 0; off < 64; off += 4) {
      for (const code of [OP.LD_W_ABS, OP.LD_H_ABS, OP.LD_B_ABS]) same([stmt(OP.LDX_IMM, 3), stmt(OP.LD_IMM, 14), stmt(code, ancK(off)), stmt(OP.RET_A, 0)], skb, off);
    }
    for (const k of [-0x100000, -0x100000 + 10, -0x100001, -0x200000 + 12, -0x200000 - 1, -0x1000, 100000]) {
      for (const code of [OP.LD_W_IND, OP.LD_H_IND, OP.LD_B_IND, OP.LDX_MSH]) same([stmt(OP.LDX_IMM, 0), stmt(code, k >>> 0), stmt(OP.TXA, 0), stmt(OP.RET_A, 0)], skb);
    }
  });

  const VALID = Object.keys(CLASSIC_OPCODES).map(Number);
  const insnArb = fc
    .record({
      code: fc.constantFrom(...VALID),
      jt: fc.nat({ max: 3 }),
      jf: fc.nat({ max: 3 }),
      k: fc.oneof(fc.nat({ max: 70 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 15 }).map((v) => ancK(v * 4)), fc.constantFrom(0x80000000, 0xffffffff, 15, 16, 31)),
    })
    .map((r) => insn(r.code, r.jt, r.jf, r.k));
  test.prop([fc.array(insnArb, { maxLength: 30 }), fc.uint8Array({ minLength: 0, maxLength: 120 }), fc.nat({ max: 2 ** 31 })], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })(
    'fuzz random accepted programs: converted result equals the interpreter',
    (body, data, seed) => {
      const prog = [...body, stmt(OP.RET_A, 0)];
      try {
        checkClassic(prog);
      } catch {
        return;
      }
      const r = new Prng(seed);
      const frame = new Uint8Array(data.length < 14 ? 14 : data.length);
      frame.set(data);
      // a consistent sk_buff: without a tag, vlan_all (proto and TCI) is 0
      const tagged = r.below(2) === 1;
      same(prog, skbOf(frame, { vlanPresent: tagged, vlanTci: tagged ? r.below(65536) : 0, vlanProto: tagged ? 0x8100 : 0, mark: r.u32(), hash: r.u32() }), seed);
    },
  );
});
