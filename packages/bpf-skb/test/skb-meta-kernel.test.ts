// bpf_skb_set_tstamp, bpf_skb_get/set_tunnel_opt and bpf_get_hash_recalc
// against the kernel through BPF_PROG_TEST_RUN. Each case is a small program:
// R0 of the last call and of a saved earlier call, and bytes of the output
// buffer, land in cb[] so ctx_out shows them; retval, ctx_out and data_out
// must equal the kernel's. The flow hash is keyed by a per-boot random secret
// in the kernel, so for get_hash_recalc the test compares which packets share
// a hash (and exact values where they come from bpf_set_hash).
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { buildFrame, type FrameSpec, type L4Spec } from '@tcbpf/skb';
import { BpfOracle, bpfOracle } from '@tcbpf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcTestRunner, loadTcProgram, tcBpfSyscall } from '../src/index.js';

const o = bpfOracle();

const MAC = { dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1) };
const A4 = Uint8Array.of(10, 0, 0, 1);
const B4 = Uint8Array.of(10, 0, 0, 2);
const A6 = Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
const B6 = Uint8Array.of(0x20, 1, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2);
const TCP4 = buildFrame({ ...MAC, l3: { kind: 'ipv4', src: A4, dst: B4, l4: { kind: 'tcp', sport: 1000, dport: 80, payload: new Uint8Array(10) } } });
const UDP6 = buildFrame({ ...MAC, l3: { kind: 'ipv6', src: A6, dst: B6, l4: { kind: 'udp', sport: 1000, dport: 53 } } });
const ARP = buildFrame({ dst: new Uint8Array(6).fill(0xff), src: MAC.src, l3: { kind: 'arp', op: 1, sha: MAC.src, spa: A4, tha: new Uint8Array(6), tpa: B4 } });
const VLAN = buildFrame({ ...MAC, vlans: [{ tci: 0x2064 }], l3: { kind: 'ipv4', src: A4, dst: B4, l4: { kind: 'udp', sport: 1, dport: 2 } } });
const FRAMES = [['tcp4', TCP4], ['udp6', UDP6], ['arp', ARP], ['vlan', VLAN]] as const;

/** Stack: r10-256..-1 zeroed; opt source r10-128.. = pattern; key r10-192 (44 bytes); output r10-64. */
function program(call: readonly string[]): Uint8Array {
  const zero: string[] = [];
  for (let off = -256; off < 0; off += 8) zero.push(`*(u64 *)(r10 ${off}) = r1`);
  const text = [
    'r6 = r1', 'r1 = 0', ...zero, 'r8 = 0',
    'r1 = 0x11223344 ll', '*(u64 *)(r10 -128) = r1', 'r1 = 0x55667788 ll', '*(u64 *)(r10 -120) = r1', 'r1 = 0x99aabbcc ll', '*(u64 *)(r10 -112) = r1',
    '*(u32 *)(r10 -192) = 7', 'r1 = 0x0100000a ll', '*(u32 *)(r10 -188) = r1', '*(u8 *)(r10 -172) = 3', '*(u8 *)(r10 -171) = 64',
    'r1 = r6', ...call, 'r7 = r0',
    '*(u32 *)(r6 +48) = r7', '*(u32 *)(r6 +52) = r8',
    'r1 = *(u32 *)(r10 -64)', '*(u32 *)(r6 +56) = r1', 'r1 = *(u32 *)(r10 -60)', '*(u32 *)(r6 +60) = r1', 'r1 = *(u32 *)(r10 -44)', '*(u32 *)(r6 +64) = r1',
    'r0 = r7', 'exit',
  ];
  return encodeInsns(assembleKernel(text.join('\n')));
}

const KEY = ['r1 = r6', 'r2 = r10', 'r2 += -192', 'r3 = 44', 'r4 = 0', 'call bpf_skb_set_tunnel_key#21'];
const setOpt = (size: number, at = -128): string[] => ['r1 = r6', 'r2 = r10', `r2 += ${at}`, `r3 = ${size}`, 'call bpf_skb_set_tunnel_opt#30'];
const getOpt = (size: number, at = -64): string[] => ['r1 = r6', 'r2 = r10', `r2 += ${at}`, `r3 = ${size}`, 'call bpf_skb_get_tunnel_opt#29'];
const save = ['r8 = r0'];

const CASES: readonly (readonly [string, readonly string[]])[] = [
  ['set_tstamp realtime', ['r2 = 1000', 'r3 = 0', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp mono', ['r2 = 123456', 'r3 = 1', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp mono 0', ['r2 = 0', 'r3 = 1', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp realtime 0', ['r2 = 0', 'r3 = 0', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp tai', ['r2 = 5', 'r3 = 2', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp tai 0', ['r2 = 0', 'r3 = 2', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp type 3', ['r2 = 5', 'r3 = 3', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp type 1<<32|1', ['r2 = 5', 'r3 = 1', 'r4 = 1', 'r4 <<= 32', 'r3 |= r4', 'call bpf_skb_set_tstamp#192']],
  ['set_tstamp 64-bit', ['r2 = 0x12345678 ll', 'r2 <<= 20', 'r3 = 1', 'call bpf_skb_set_tstamp#192']],
  ['get_tunnel_opt without key', [...getOpt(8)]],
  ['set_tunnel_opt without key', [...setOpt(8)]],
  ['key, set 8, get 8', [...KEY, ...setOpt(8), ...save, ...getOpt(8)]],
  ['key, set 8, get 16', [...KEY, ...setOpt(8), ...save, ...getOpt(16)]],
  ['key, set 12, get 4', [...KEY, ...setOpt(12), ...save, ...getOpt(4)]],
  ['key, set 6', [...KEY, ...setOpt(6)]],
  ['key, set 256', [...KEY, ...setOpt(256, -256)]],
  ['key, set 252, get 252', [...KEY, ...setOpt(252, -256), ...save, ...getOpt(252, -256)]],
  ['key, set 8, key again, get 8', [...KEY, ...setOpt(8), ...KEY, ...save, ...getOpt(8)]],
  ['key, set 8, get_tunnel_key with flags', [...KEY, ...setOpt(8), ...save, 'r1 = r6', 'r2 = r10', 'r2 += -64', 'r3 = 44', 'r4 = 16', 'call bpf_skb_get_tunnel_key#20']],
  ['get_hash_recalc after set_hash', ['r2 = 0x1234', 'call bpf_set_hash#48', ...save, 'r1 = r6', 'call bpf_get_hash_recalc#34']],
];

describe.skipIf(!o.ok)(`set_tstamp, tunnel options, get_hash_recalc against the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  beforeAll(() => {
    k = BpfOracle.open();
  });
  afterAll(() => k.close());

  for (const [name, call] of CASES) {
    it(name, async () => {
      const insns = program(call);
      const kfd = await k.progLoad(3, insns);
      if (!kfd.ok) throw new Error(`kernel refused ${name}: ${kfd.log.slice(-800)}`);
      const sys = tcBpfSyscall();
      const runner = new TcTestRunner(sys);
      const { fd } = loadTcProgram(sys, { insns, license: 'GPL' });
      try {
        for (const [fname, frame] of FRAMES) {
          const kr = await k.testRun(kfd.value, frame, 4096, new Uint8Array(192), 192);
          if (!kr.ok) throw new Error(`kernel test_run errno ${kr.errno}`);
          const sr = runner.run(fd, { dataIn: frame, dataSizeOut: 4096, ctxIn: new Uint8Array(192), ctxSizeOut: 192 });
          const at = `${name} on ${fname}`;
          expect(sr.retval, `${at} retval`).toBe(kr.value.retval >>> 0);
          expect(Buffer.from(sr.ctxOut!).toString('hex'), `${at} ctx_out`).toBe(Buffer.from(kr.value.ctxOut).toString('hex'));
          expect(Buffer.from(sr.dataOut!).toString('hex'), `${at} data_out`).toBe(Buffer.from(kr.value.dataOut).toString('hex'));
        }
      } finally {
        await k.closeFd(kfd.value);
      }
    });
  }

  it('a size-0 tunnel option buffer is refused at load by both (ARG_CONST_SIZE)', async () => {
    const insns = program([...KEY, ...setOpt(0)]);
    const kfd = await k.progLoad(3, insns);
    expect(kfd.ok).toBe(false);
    expect(() => loadTcProgram(tcBpfSyscall(), { insns, license: 'GPL' })).toThrow();
  });

  it('get_hash_recalc: the same packets share a hash as in the kernel (flows, both directions, fragments, flow labels, VLANs), never 0', async () => {
    const specs: FrameSpec[] = [];
    const l3v4 = (src: Uint8Array, dst: Uint8Array, l4: L4Spec, mf = false): FrameSpec => ({ ...MAC, l3: { kind: 'ipv4', src, dst, l4, mf } });
    for (const [sp, dp] of [[1000, 80], [80, 1000], [1001, 80], [1000, 81], [1000, 80]] as const) {
      specs.push(l3v4(A4, B4, { kind: 'tcp', sport: sp, dport: dp }), l3v4(B4, A4, { kind: 'tcp', sport: sp, dport: dp }));
      specs.push(l3v4(A4, B4, { kind: 'udp', sport: sp, dport: dp }), l3v4(B4, A4, { kind: 'udp', sport: dp, dport: sp }));
      specs.push({ ...MAC, l3: { kind: 'ipv6', src: A6, dst: B6, l4: { kind: 'udp', sport: sp, dport: dp } } }, { ...MAC, l3: { kind: 'ipv6', src: B6, dst: A6, l4: { kind: 'udp', sport: dp, dport: sp } } });
      specs.push({ ...MAC, l3: { kind: 'ipv6', src: A6, dst: B6, flowLabel: sp, l4: { kind: 'tcp', sport: 5, dport: dp } } });
    }
    specs.push(l3v4(A4, A4, { kind: 'udp', sport: 7, dport: 9 }), l3v4(A4, A4, { kind: 'udp', sport: 9, dport: 7 }));
    specs.push(l3v4(A4, B4, { kind: 'udp', sport: 7, dport: 9 }, true), l3v4(A4, B4, { kind: 'udp', sport: 8, dport: 9 }, true));
    specs.push(l3v4(A4, B4, { kind: 'icmp', type: 8, code: 0, rest: 0x00010001 }), l3v4(A4, B4, { kind: 'icmp', type: 8, code: 0, rest: 0x00020001 }), l3v4(A4, B4, { kind: 'icmp', type: 0, code: 0, rest: 0x00010001 }));
    specs.push({ ...MAC, vlans: [{ tci: 5 }], l3: { kind: 'ipv4', src: A4, dst: B4, l4: { kind: 'udp', sport: 1, dport: 2 } } });
    specs.push({ ...MAC, vlans: [{ tci: 6 }], l3: { kind: 'ipv4', src: A4, dst: B4, l4: { kind: 'udp', sport: 1, dport: 2 } } });
    const frames = specs.map((s) => buildFrame(s));
    frames.push(ARP);
    const insns = program(['call bpf_get_hash_recalc#34']);
    const kfd = await k.progLoad(3, insns);
    if (!kfd.ok) throw new Error(kfd.log);
    const sys = tcBpfSyscall();
    const runner = new TcTestRunner(sys);
    const { fd } = loadTcProgram(sys, { insns, license: 'GPL' });
    const kh: number[] = [];
    const th: number[] = [];
    for (const f of frames) {
      const kr = await k.testRun(kfd.value, f, 4096);
      if (!kr.ok) throw new Error(`kernel test_run errno ${kr.errno}`);
      kh.push(kr.value.retval >>> 0);
      th.push(runner.run(fd, { dataIn: f, dataSizeOut: 4096 }).retval >>> 0);
    }
    await k.closeFd(kfd.value);
    const classes = (h: number[]): string[] => h.map((x) => h.indexOf(x).toString());
    expect(th.every((x) => x !== 0)).toBe(true);
    expect(kh.every((x) => x !== 0)).toBe(true);
    expect(classes(th).join(' ')).toBe(classes(kh).join(' '));
    expect(new Set(kh).size).toBeGreaterThan(8);
  });
});
