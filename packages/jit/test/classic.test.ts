// Classic BPF through its eBPF conversion on the JIT: the libpcap filter corpus of
// @tcbpf/cbpf (tcpdump-compiled filters) and random accepted classic programs give
// the same result as the classic interpreter (ClassicFilter) on generated packets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '@tcbpf/base';
import { CLASSIC_OPCODES, ClassicFilter, OP, ancK, checkClassic, insn, parseDdd, stmt, type ClassicSkb, type SockFilter } from '@tcbpf/cbpf';
import { BpfSyscall } from '@tcbpf/ebpf';
import { fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { ClassicProgram, JitRuntime } from '../src/index.js';

const CORPUS = join(import.meta.dirname, '..', '..', 'cbpf', 'test', 'fixtures', 'libpcap-corpus.json');

function skbOf(buf: Uint8Array, r: Prng): ClassicSkb {
  const proto = buf.length >= 14 ? (buf[12]! << 8) | buf[13]! : 0;
  const vlan = r.below(2) === 1; // a real sk_buff has vlan_all = 0 without a tag
  return {
    buf, dataOff: 0, len: buf.length, macHeader: 0, networkHeader: 14, protocol: proto, pktType: r.below(8), mark: r.u32(),
    queueMapping: r.below(16), hash: r.u32(), vlanPresent: vlan, vlanTci: vlan ? r.below(65536) : 0, vlanProto: vlan ? 0x8100 : 0, ifindex: 2, devType: 1,
  };
}

/** Ethernet frames: IPv4/IPv6 TCP/UDP with random ports and lengths, ARP, random bytes. */
function frames(n: number, seed: number): Uint8Array[] {
  const r = new Prng(seed);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.below(5);
    const len = 64 + r.below(100);
    const f = new Uint8Array(len);
    for (let k = 0; k < len; k++) f[k] = r.below(256);
    const dv = new DataView(f.buffer);
    if (kind < 2) { dv.setUint16(12, 0x0800, false); f[14] = 0x45; f[23] = kind === 0 ? 6 : 17; dv.setUint16(20, 0, false); dv.setUint16(36, [80, 53, 123, 443, 22][r.below(5)]!, false); }
    else if (kind === 2) { dv.setUint16(12, 0x86dd, false); f[20] = r.below(2) === 0 ? 6 : 17; dv.setUint16(56, [80, 53][r.below(2)]!, false); }
    else if (kind === 3) dv.setUint16(12, 0x0806, false);
    out.push(f);
  }
  return out;
}

function same(prog: readonly SockFilter[], jit: JitRuntime, packets: readonly Uint8Array[], seed: number): number {
  const f = ClassicFilter.create(prog);
  const cp = ClassicProgram.create(prog, jit);
  expect(cp.info().jited).toBe(true);
  let n = 0;
  for (const [i, buf] of packets.entries()) {
    const skb = skbOf(buf, new Prng(seed + i));
    const want = f.run(skb, { cpu: 1, prng: new Prng(seed ^ i) });
    const got = cp.run(skb, { cpu: 1, prng: new Prng(seed ^ i) });
    if (got !== want) expect({ i, got, status: jit.faultPc, jited: jit.lastJited, prog: prog.map((x) => [x.code, x.k]) }).toEqual({ i, got: want });
    n++;
  }
  return n;
}

describe('classic BPF on the JIT (converted to eBPF)', () => {
  it('the libpcap filter corpus gives the classic interpreter\'s verdicts', () => {
    const corpus = JSON.parse(readFileSync(CORPUS, 'utf8')) as { filters: { ddd: string }[] };
    const sys = new BpfSyscall();
    const jit = new JitRuntime(sys, sys.interpreter);
    const pkts = frames(100, 7);
    let n = 0, filters = 0;
    for (const f of corpus.filters) {
      const prog = parseDdd(f.ddd);
      try { checkClassic(prog); } catch { continue; }
      n += same(prog, jit, pkts, 11);
      filters++;
    }
    expect(filters).toBeGreaterThan(50);
    console.log(`classic corpus: ${filters} filters x ${pkts.length} packets = ${n} runs identical`);
  });

  it('ancillary loads and negative offsets (SKF_AD_*, SKF_NET_OFF, SKF_LL_OFF)', () => {
    const sys = new BpfSyscall();
    const jit = new JitRuntime(sys, sys.interpreter);
    const pkts = frames(20, 3);
    for (let off = 0; off < 64; off += 4) {
      for (const code of [OP.LD_W_ABS, OP.LD_H_ABS, OP.LD_B_ABS]) same([stmt(OP.LDX_IMM, 3), stmt(OP.LD_IMM, 14), stmt(code, ancK(off)), stmt(OP.RET_A, 0)], jit, pkts, off);
    }
    for (const k of [-0x100000, -0x100000 + 10, -0x100001, -0x200000 + 12, -0x200000 - 1, -0x1000, 100000]) {
      for (const code of [OP.LD_W_IND, OP.LD_H_IND, OP.LD_B_IND, OP.LDX_MSH]) same([stmt(OP.LDX_IMM, 0), stmt(code, k >>> 0), stmt(OP.TXA, 0), stmt(OP.RET_A, 0)], jit, pkts, 5);
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
  const sys = new BpfSyscall();
  const jit = new JitRuntime(sys, sys.interpreter);
  const pkts = frames(8, 99);
  test.prop([fc.array(insnArb, { maxLength: 30 }), fc.nat({ max: 2 ** 31 })], { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() })(
    'fuzz random accepted classic programs: JIT result equals the classic interpreter',
    (body, seed) => {
      const prog = [...body, stmt(OP.RET_A, 0)];
      try { checkClassic(prog); } catch { return; }
      same(prog, jit, pkts, seed);
    },
  );
});
