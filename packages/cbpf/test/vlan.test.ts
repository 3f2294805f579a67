// SKF_AD_VLAN_TAG / SKF_AD_VLAN_TAG_PRESENT / SKF_AD_VLAN_TPID after a tag is
// removed. Linux 6.18 keeps the offloaded tag in skb->vlan_all (proto, tci):
// __vlan_hwaccel_clear_tag zeroes it, so a filter reads 0 for all three,
// whereas @tcbpf/skb's vlanClear only drops the flag and leaves the fields.
// The interpreter, the compiled form and the eBPF conversion must all read
// the kernel's values. The kernel itself is asked on lo twice: a packet
// socket bound to ETH_P_ALL sees the tag present (taps run first), one bound
// to ETH_P_IP sees it after __netif_receive_skb_core cleared it (no VLAN
// device takes it).
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { SkBuff } from '@tcbpf/skb';
import { cbpfSocketOracle, fuzzRuns, fuzzSeed } from '@tcbpf/testing';
import { ClassicFilter, type ClassicSkb, OP, type SockFilter, ancK, convertClassic, stmt, vlanAll } from '../src/index.js';
import { runConverted } from './ebpf-eval.js';
import { envOf, skbOf } from './helpers.js';
import { loIngress, loProtocolDelivery } from './lo-model.js';

const VLAN_TAG = 44;
const VLAN_TAG_PRESENT = 48;
const VLAN_TPID = 60;
const ret = (off: number): SockFilter[] => [stmt(OP.LD_W_ABS, ancK(off)), stmt(OP.RET_A, 0)];

/** The three runners' value for `prog` on `skb`; they must agree. */
function all(prog: readonly SockFilter[], skb: ClassicSkb): number {
  const f = ClassicFilter.create(prog);
  const a = f.run(skb, envOf());
  expect(f.runCompiled(skb, envOf())).toBe(a);
  expect(runConverted(convertClassic(f.insns).insns, skb, envOf())).toBe(a);
  return a;
}

function taggedSkb(proto: number, tci: number): SkBuff {
  const frame = new Uint8Array(64);
  frame.set([0x08, 0x00, 0x45], 12);
  const skb = SkBuff.fromFrame(frame);
  skb.vlanPut(proto, tci);
  return skb;
}

describe('VLAN ancillary loads read skb->vlan_all', () => {
  it('a present tag reads its TCI, 1 and its TPID', () => {
    const skb = taggedSkb(0x88a8, 0xe064);
    expect(all(ret(VLAN_TAG), skb)).toBe(0xe064);
    expect(all(ret(VLAN_TAG_PRESENT), skb)).toBe(1);
    expect(all(ret(VLAN_TPID), skb)).toBe(0x88a8);
  });

  it('after __vlan_hwaccel_clear_tag (SkBuff.vlanClear, stale fields) all three read 0', () => {
    const skb = taggedSkb(0x8100, 0x2064);
    skb.vlanClear();
    expect(skb.vlanTci).toBe(0x2064); // what the sk_buff model leaves behind
    expect(vlanAll(skb)).toBe(0);
    expect(all(ret(VLAN_TAG), skb)).toBe(0);
    expect(all(ret(VLAN_TAG_PRESENT), skb)).toBe(0);
    expect(all(ret(VLAN_TPID), skb)).toBe(0);
  });

  it('present means vlan_all != 0: TCI 0 with a TPID is present, an all-zero tag is not', () => {
    expect(all(ret(VLAN_TAG_PRESENT), taggedSkb(0x8100, 0))).toBe(1);
    expect(all(ret(VLAN_TAG_PRESENT), taggedSkb(0, 0))).toBe(0);
    expect(all(ret(VLAN_TAG_PRESENT), taggedSkb(0, 5))).toBe(1);
  });

  test.prop(
    [fc.boolean(), fc.nat({ max: 0xffff }), fc.constantFrom(0, 0x8100, 0x88a8, 0x1234), fc.constantFrom(VLAN_TAG, VLAN_TAG_PRESENT, VLAN_TPID), fc.constantFrom(OP.LD_W_ABS, OP.LD_H_ABS, OP.LD_B_ABS)],
    { numRuns: fuzzRuns(300, 20_000), seed: fuzzSeed() },
  )('fuzz VLAN fields and flag: interpreter = compiled = converted = vlan_all', (present, tci, proto, off, code) => {
    const skb = skbOf(new Uint8Array(64), { vlanPresent: present, vlanTci: tci, vlanProto: proto });
    const want = off === VLAN_TAG ? vlanAll(skb) >>> 16 : off === VLAN_TPID ? vlanAll(skb) & 0xffff : vlanAll(skb) !== 0 ? 1 : 0;
    expect(all([stmt(code, ancK(off)), stmt(OP.RET_A, 0)], skb)).toBe(want);
  });
});

const oracle = cbpfSocketOracle();

/** IPv4 frames on lo: untagged, 802.1Q and 802.1ad tagged (the tag goes out of band on receive). */
function frames(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [tpid, tci] of [[0, 0], [0x8100, 0x2064], [0x8100, 0xe001], [0x88a8, 0x0fff], [0x8100, 0]] as const) {
    const f = new Uint8Array(120);
    f.set([2, 0, 0, 0, 0, 9], 6);
    let o = 12;
    if (tpid !== 0) {
      f.set([tpid >> 8, tpid & 0xff, tci >> 8, tci & 0xff], 12);
      o = 16;
    }
    f.set([0x08, 0x00, 0x45, 0, 0, 100, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], o);
    out.push(f);
  }
  return out;
}

/** Programs revealing a VLAN load 6 bits at a time through the captured length (1..64), and SKF_AD_PKTTYPE. */
function programs(): SockFilter[][] {
  const out: SockFilter[][] = [];
  for (const off of [VLAN_TAG, VLAN_TAG_PRESENT, VLAN_TPID]) {
    for (const shift of [0, 6, 12]) {
      out.push([stmt(OP.LD_W_ABS, ancK(off)), stmt(OP.RSH_K, shift), stmt(OP.AND_K, 0x3f), stmt(OP.ADD_K, 1), stmt(OP.RET_A, 0)]);
    }
  }
  // and the pkt_type the receive path gives a frame whose VLAN id no device takes
  out.push([stmt(OP.LD_W_ABS, ancK(4)), stmt(OP.ADD_K, 1), stmt(OP.RET_A, 0)]);
  return out;
}

describe.skipIf(!oracle.ok)(`kernel differential: VLAN loads on lo before and after the receive path clears the tag (kernel: ${oracle.reason || 'available'})`, () => {
  it('ETH_P_ALL (tag present) and ETH_P_IP (tag cleared) sockets reveal the same VLAN values as ours', () => {
    const fr = frames();
    const progs = programs();
    const seen = new Set<number>();
    let compared = 0;
    for (const bindProtocol of [undefined, 0x0800]) {
      const results = oracle.run(progs, fr, bindProtocol === undefined ? {} : { bindProtocol });
      progs.forEach((p, i) => {
        const k = results[i]!;
        expect(k.accepted).toBe(true);
        if (!k.accepted) return;
        const f = ClassicFilter.create(p);
        fr.forEach((frame, j) => {
          const skb = bindProtocol === undefined ? loIngress(frame) : loProtocolDelivery(frame);
          const ours = f.run(skb, envOf());
          expect(f.runCompiled(skb, envOf())).toBe(ours);
          expect(runConverted(convertClassic(f.insns).insns, skb, envOf())).toBe(ours);
          expect({ bindProtocol, prog: i, frame: j, len: k.in[j] }).toEqual({ bindProtocol, prog: i, frame: j, len: Math.min(ours, skb.len) });
          seen.add(ours);
          compared++;
        });
      });
    }
    expect(compared).toBe(2 * 10 * 5);
    // the present tags make the comparison more than zeros
    expect(seen.size).toBeGreaterThan(5);
  });
});
