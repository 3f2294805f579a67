// The tc helpers' results and errors against the kernel: one small program per
// case calls a helper with constant arguments (pointer arguments point at a
// stack buffer), stores the helper's R0 in cb[0..1] and the buffer in cb[2..4],
// and returns R0. tcbpf and the kernel must give the same retval, data_out
// and ctx_out (so also the metadata a helper changes: mark via skb fields,
// hash, pkt_type where visible in ctx_out's copied fields, and the packet).
import { assembleKernel, encodeInsns } from '@tcbpf/ebpf';
import { buildFrame } from '@tcbpf/skb';
import { BpfOracle, bpfOracle } from '@tcbpf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TcTestRunner, loadTcProgram, tcBpfSyscall } from '../src/index.js';

const o = bpfOracle();

const MAC = { dst: Uint8Array.of(2, 0, 0, 0, 0, 2), src: Uint8Array.of(2, 0, 0, 0, 0, 1) };
const TCP4 = buildFrame({ ...MAC, l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), tos: 0x02, l4: { kind: 'tcp', sport: 1000, dport: 80, payload: new Uint8Array(10) } } });
const UDP6 = buildFrame({ ...MAC, l3: { kind: 'ipv6', src: new Uint8Array(16).fill(1), dst: new Uint8Array(16).fill(2), trafficClass: 0x01, l4: { kind: 'udp', sport: 1000, dport: 53 } } });
const VLAN = buildFrame({ ...MAC, vlans: [{ tci: 0x2064 }], l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 1, dport: 2 } } });
const QINQ = buildFrame({ ...MAC, vlans: [{ tpid: 0x88a8, tci: 7 }, { tci: 0x64 }], l3: { kind: 'ipv4', src: Uint8Array.of(10, 0, 0, 1), dst: Uint8Array.of(10, 0, 0, 2), l4: { kind: 'udp', sport: 1, dport: 2 } } });
const ARP = buildFrame({ dst: new Uint8Array(6).fill(0xff), src: MAC.src, l3: { kind: 'arp', op: 1, sha: MAC.src, spa: Uint8Array.of(10, 0, 0, 1), tha: new Uint8Array(6), tpa: Uint8Array.of(10, 0, 0, 2) } });

/** [name, helper call text with args in r2..r5 (r1 = ctx, r_buf = r10-16 buffer of 16 bytes), frames]. */
const CASES: readonly (readonly [string, readonly string[]])[] = [
  ['skb_load_bytes ok', ['r2 = 14', 'r3 = r10', 'r3 += -16', 'r4 = 16', 'call bpf_skb_load_bytes#26']],
  ['skb_load_bytes past end', ['r2 = 60', 'r3 = r10', 'r3 += -16', 'r4 = 16', 'call bpf_skb_load_bytes#26']],
  ['skb_load_bytes negative', ['r2 = -1', 'r3 = r10', 'r3 += -16', 'r4 = 4', 'call bpf_skb_load_bytes#26']],
  ['load_bytes_relative mac', ['r2 = 2', 'r3 = r10', 'r3 += -16', 'r4 = 8', 'r5 = 0', 'call bpf_skb_load_bytes_relative#68']],
  ['load_bytes_relative net', ['r2 = 0', 'r3 = r10', 'r3 += -16', 'r4 = 16', 'r5 = 1', 'call bpf_skb_load_bytes_relative#68']],
  ['load_bytes_relative bad start', ['r2 = 0', 'r3 = r10', 'r3 += -16', 'r4 = 4', 'r5 = 2', 'call bpf_skb_load_bytes_relative#68']],
  ['load_bytes_relative past end', ['r2 = 40', 'r3 = r10', 'r3 += -16', 'r4 = 16', 'r5 = 1', 'call bpf_skb_load_bytes_relative#68']],
  ['skb_store_bytes ok', ['r2 = 6', 'r3 = r10', 'r3 += -16', 'r4 = 6', 'r5 = 0', 'call bpf_skb_store_bytes#9']],
  ['skb_store_bytes recompute+invalidate', ['r2 = 30', 'r3 = r10', 'r3 += -16', 'r4 = 4', 'r5 = 3', 'call bpf_skb_store_bytes#9']],
  ['skb_store_bytes bad flag', ['r2 = 6', 'r3 = r10', 'r3 += -16', 'r4 = 6', 'r5 = 4', 'call bpf_skb_store_bytes#9']],
  ['skb_store_bytes past end', ['r2 = 62', 'r3 = r10', 'r3 += -16', 'r4 = 8', 'r5 = 0', 'call bpf_skb_store_bytes#9']],
  ['l3_csum_replace size 3', ['r2 = 24', 'r3 = 1', 'r4 = 2', 'r5 = 3', 'call bpf_l3_csum_replace#10']],
  ['l3_csum_replace diff from!=0', ['r2 = 24', 'r3 = 1', 'r4 = 2', 'r5 = 0', 'call bpf_l3_csum_replace#10']],
  ['l3_csum_replace odd', ['r2 = 25', 'r3 = 1', 'r4 = 2', 'r5 = 2', 'call bpf_l3_csum_replace#10']],
  ['l4_csum_replace flags 0x100', ['r2 = 50', 'r3 = 1', 'r4 = 2', 'r5 = 0x102', 'call bpf_l4_csum_replace#11']],
  ['csum_diff 4/4', ['*(u32 *)(r10 -8) = 0x01020304', 'r1 = r10', 'r1 += -8', 'r2 = 4', 'r3 = r10', 'r3 += -16', 'r4 = 4', 'r5 = 0x1234', 'call bpf_csum_diff#28']],
  ['csum_diff to only 8', ['r1 = 0', 'r2 = 0', 'r3 = r10', 'r3 += -16', 'r4 = 8', 'r5 = 0', 'call bpf_csum_diff#28']],
  ['csum_diff from only 12', ['r1 = r10', 'r1 += -16', 'r2 = 12', 'r3 = 0', 'r4 = 0', 'r5 = 7', 'call bpf_csum_diff#28']],
  ['csum_diff size 3', ['r1 = r10', 'r1 += -16', 'r2 = 3', 'r3 = r10', 'r3 += -8', 'r4 = 4', 'r5 = 0', 'call bpf_csum_diff#28']],
  ['redirect', ['r1 = 999', 'r2 = 0', 'call bpf_redirect#23']],
  ['redirect ingress', ['r1 = 1', 'r2 = 1', 'call bpf_redirect#23']],
  ['redirect bad flags', ['r1 = 1', 'r2 = 2', 'call bpf_redirect#23']],
  ['redirect_peer flags', ['r1 = 1', 'r2 = 1', 'call bpf_redirect_peer#155']],
  ['redirect_peer', ['r1 = 5', 'r2 = 0', 'call bpf_redirect_peer#155']],
  ['clone_redirect unknown ifindex', ['r2 = 999', 'r3 = 0', 'call bpf_clone_redirect#13']],
  ['clone_redirect bad flags', ['r2 = 1', 'r3 = 2', 'call bpf_clone_redirect#13']],
  ['vlan_push 8021Q', ['r2 = 0x81', 'r3 = 0x2064', 'call bpf_skb_vlan_push#18']],
  ['vlan_push odd proto', ['r2 = 0x1234', 'r3 = 5', 'call bpf_skb_vlan_push#18']],
  ['vlan_pop', ['call bpf_skb_vlan_pop#19']],
  ['vlan_push twice', ['r2 = 0x81', 'r3 = 10', 'call bpf_skb_vlan_push#18', 'r1 = r6', 'r2 = 0xa888', 'r3 = 20', 'call bpf_skb_vlan_push#18']],
  ['change_type 3', ['r2 = 3', 'call bpf_skb_change_type#32']],
  ['change_type 7', ['r2 = 7', 'call bpf_skb_change_type#32']],
  ['change_tail grow', ['r2 = 100', 'r3 = 0', 'call bpf_skb_change_tail#38']],
  ['change_tail shrink', ['r2 = 40', 'r3 = 0', 'call bpf_skb_change_tail#38']],
  ['change_tail below header', ['r2 = 10', 'r3 = 0', 'call bpf_skb_change_tail#38']],
  ['change_tail flags', ['r2 = 60', 'r3 = 1', 'call bpf_skb_change_tail#38']],
  ['pull_data all', ['r2 = 0', 'call bpf_skb_pull_data#39']],
  ['pull_data too long', ['r2 = 5000', 'call bpf_skb_pull_data#39']],
  ['set_hash', ['r2 = 0x12345678', 'call bpf_set_hash#48']],
  ['set_hash_invalid', ['r2 = 5', 'call bpf_set_hash#48', 'r1 = r6', 'call bpf_set_hash_invalid#41']],
  ['csum_update', ['r2 = 5', 'call bpf_csum_update#40']],
  ['csum_level query', ['r2 = 0', 'call bpf_csum_level#135']],
  ['csum_level inc', ['r2 = 1', 'call bpf_csum_level#135']],
  ['csum_level bad', ['r2 = 9', 'call bpf_csum_level#135']],
  ['get_cgroup_classid', ['call bpf_get_cgroup_classid#17']],
  ['get_route_realm', ['call bpf_get_route_realm#24']],
  ['ecn_set_ce', ['call bpf_skb_ecn_set_ce#97']],
  ['change_proto to IPv6', ['r2 = 0xdd86', 'r3 = 0', 'call bpf_skb_change_proto#31']],
  ['change_proto to IPv4', ['r2 = 0x0008', 'r3 = 0', 'call bpf_skb_change_proto#31']],
  ['change_proto flags', ['r2 = 0xdd86', 'r3 = 1', 'call bpf_skb_change_proto#31']],
  ['change_proto ARP', ['r2 = 0x0608', 'r3 = 0', 'call bpf_skb_change_proto#31']],
  ['change_proto then store', ['r2 = 0xdd86', 'r3 = 0', 'call bpf_skb_change_proto#31', 'r1 = r6', 'r2 = 14', 'r3 = r10', 'r3 += -16', 'r4 = 8', 'r5 = 0', 'call bpf_skb_store_bytes#9']],
  ['adjust_room net +8', ['r2 = 8', 'r3 = 0', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room mac +4', ['r2 = 4', 'r3 = 1', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room net -4', ['r2 = -4', 'r3 = 0', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room mac -8', ['r2 = -8', 'r3 = 1', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room mode 2', ['r2 = 4', 'r3 = 2', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room too big', ['r2 = 0x1000', 'r3 = 0', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room shrink all', ['r2 = -200', 'r3 = 1', 'r4 = 0', 'call bpf_skb_adjust_room#50']],
  ['adjust_room encap ipv4+udp', ['r2 = 28', 'r3 = 1', 'r4 = 18', 'call bpf_skb_adjust_room#50']],
  ['adjust_room encap ipv6 on v4', ['r2 = 40', 'r3 = 1', 'r4 = 4', 'call bpf_skb_adjust_room#50']],
  ['adjust_room encap v4+v6', ['r2 = 40', 'r3 = 1', 'r4 = 6', 'call bpf_skb_adjust_room#50']],
  ['adjust_room encap gre+udp', ['r2 = 40', 'r3 = 1', 'r4 = 26', 'call bpf_skb_adjust_room#50']],
  ['adjust_room decap on grow', ['r2 = 8', 'r3 = 1', 'r4 = 128', 'call bpf_skb_adjust_room#50']],
  ['adjust_room decap v4 shrink', ['r2 = -20', 'r3 = 1', 'r4 = 128', 'call bpf_skb_adjust_room#50']],
  ['adjust_room decap both', ['r2 = -20', 'r3 = 1', 'r4 = 384', 'call bpf_skb_adjust_room#50']],
  ['adjust_room no csum reset', ['r2 = 8', 'r3 = 0', 'r4 = 32', 'call bpf_skb_adjust_room#50']],
  ['adjust_room bad flag', ['r2 = 8', 'r3 = 0', 'r4 = 512', 'call bpf_skb_adjust_room#50']],
  ['adjust_room encap l2 eth short', ['r2 = 40', 'r3 = 1', 'r4 = 1', 'r4 <<= 56', 'r4 |= 66', 'call bpf_skb_adjust_room#50']],
  ['adjust_room encap l2 len > diff', ['r2 = 20', 'r3 = 1', 'r4 = 30', 'r4 <<= 56', 'r4 |= 2', 'call bpf_skb_adjust_room#50']],
  ['adjust_room grow with l4 only', ['r2 = 8', 'r3 = 1', 'r4 = 16', 'call bpf_skb_adjust_room#50']],
  ['change_head 8', ['r2 = 8', 'r3 = 0', 'call bpf_skb_change_head#43']],
  ['change_head 200', ['r2 = 200', 'r3 = 0', 'call bpf_skb_change_head#43']],
  ['change_head flags', ['r2 = 8', 'r3 = 1', 'call bpf_skb_change_head#43']],
  ['change_head huge', ['r2 = 20000', 'r3 = 0', 'call bpf_skb_change_head#43']],
  ['change_tail grow big', ['r2 = 3000', 'r3 = 0', 'call bpf_skb_change_tail#38']],
  ['redirect_neigh no params', ['r1 = 7', 'r2 = 0', 'r3 = 0', 'r4 = 0', 'call bpf_redirect_neigh#152']],
  ['redirect_neigh params', ['r1 = 7', 'r2 = r10', 'r2 += -16', 'r3 = 16', 'r4 = 0', 'call bpf_redirect_neigh#152']],
  ['redirect_neigh flags', ['r1 = 7', 'r2 = 0', 'r3 = 0', 'r4 = 1', 'call bpf_redirect_neigh#152']],
];

function program(call: readonly string[]): Uint8Array {
  const text = [
    'r6 = r1', 'r1 = 0', '*(u64 *)(r10 -16) = r1', '*(u64 *)(r10 -8) = r1',
    'r1 = r6', ...call, 'r7 = r0',
    // cb[0..1] = R0, cb[2..3] = buffer[0..7], cb[4] = len; then the hash, the first data byte as mark
    '*(u32 *)(r6 +48) = r7', 'r1 = r7', 'r1 >>= 32', '*(u32 *)(r6 +52) = r1',
    'r1 = *(u32 *)(r10 -16)', '*(u32 *)(r6 +56) = r1', 'r1 = *(u32 *)(r10 -12)', '*(u32 *)(r6 +60) = r1',
    'r1 = *(u32 *)(r6 +0)', '*(u32 *)(r6 +64) = r1',
    'r1 = *(u32 *)(r6 +68)', 'r2 = *(u32 *)(r6 +4)', 'r2 <<= 16', 'r1 ^= r2', 'r2 = *(u32 *)(r6 +20)', 'r2 <<= 30', 'r1 ^= r2',
    'r2 = *(u32 *)(r6 +24)', 'r1 ^= r2', 'r2 = *(u32 *)(r6 +28)', 'r2 <<= 8', 'r1 ^= r2', 'r2 = *(u32 *)(r6 +16)', 'r2 <<= 12', 'r1 ^= r2',
    '*(u32 *)(r6 +8) = r1',
    'r0 = r7', 'exit',
  ];
  return encodeInsns(assembleKernel(text.join('\n')));
}

describe.skipIf(!o.ok)(`tc helpers against the kernel (kernel: ${o.reason || 'bpf() available'})`, () => {
  let k: BpfOracle;
  beforeAll(() => { k = BpfOracle.open(); });
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
        for (const [fname, frame] of [['tcp4', TCP4], ['udp6', UDP6], ['vlan', VLAN], ['qinq', QINQ], ['arp', ARP]] as const) {
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
});
