// gact, police, skbedit and csum against the behaviour of their kernel
// sources (Linux 6.18, net/sched/act_*.c); each test names what it checks.
// These kinds are not built into this machine's kernel, so they are modelled
// from source (see kernel-tc.md §5.5, §5.7) rather than compared live.
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { PGACT, TCA_ACT_FLAG, TCA_CSUM, TCA_CSUM_UPDATE_FLAG, TCA_POLICE, TCA_SKBEDIT, TC_ACT } from '@tcbpf/uapi';
import { gactSpec, matchallOptions, type ActionSpec, type TcAction } from '../src/index.js';
import { ipv4HeaderChecksum, l4ChecksumV4 } from '@tcbpf/skb';
import { collectDelivered, makeSim, udpFrame, xmit } from './support/sim.js';

const EG = 0xfffffff3;

function act(sim: ReturnType<typeof makeSim>, kind: string, index: number): TcAction {
  const a = sim.net.actions.get(kind)?.get(index);
  if (!a) throw new Error(`${kind} ${index} missing`);
  return a;
}

function refuse(f: () => unknown): KernelError {
  try {
    f();
  } catch (e) {
    if (KernelError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

function withFilter(sim: ReturnType<typeof makeSim>, actions: ActionSpec[], classid?: number): void {
  sim.tc.clsact(sim.va.ifindex);
  sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: EG, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ actions, ...(classid !== undefined ? { classid } : {}) }) });
}

describe('act_gact (tcf_gact_init / tcf_gact_act)', () => {
  it('returns tcf_action and counts a drop only for TC_ACT_SHOT', () => {
    const sim = makeSim();
    withFilter(sim, [gactSpec(TC_ACT.SHOT, 1)]);
    xmit(sim.va, udpFrame(64));
    xmit(sim.va, udpFrame(64));
    const a = act(sim, 'gact', 1);
    expect([a.stats.packets, a.stats.bytes, a.stats.drops]).toEqual([2, 128, 2]);
  });

  it('PGACT_DETERM: every pval-th packet takes paction (gact_determ: ++packets % pval == 0)', () => {
    const sim = makeSim();
    withFilter(sim, [gactSpec(TC_ACT.OK, 1, { ptype: PGACT.DETERM, pval: 3, paction: TC_ACT.SHOT })]);
    const got = collectDelivered(sim.net);
    for (let i = 0; i < 9; i++) xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(6);
    expect(act(sim, 'gact', 1).stats.drops).toBe(3);
  });

  it('PGACT_NETRAND: paction when get_random_u32_below(pval) == 0, from the seeded PRNG (deterministic per seed)', () => {
    const run = (seed: number): number => {
      const sim = makeSim(seed);
      withFilter(sim, [gactSpec(TC_ACT.OK, 1, { ptype: PGACT.NETRAND, pval: 4, paction: TC_ACT.SHOT })]);
      for (let i = 0; i < 2000; i++) xmit(sim.va, udpFrame(60));
      return act(sim, 'gact', 1).stats.drops;
    };
    const a = run(7);
    expect(run(7)).toBe(a);
    expect(a).toBeGreaterThan(400);
    expect(a).toBeLessThan(600);
  });

  it('pval 0 is treated as 1 (max_t(u16, 1, pval)): PGACT_DETERM then always takes paction', () => {
    const sim = makeSim();
    withFilter(sim, [gactSpec(TC_ACT.OK, 1, { ptype: PGACT.DETERM, pval: 0, paction: TC_ACT.SHOT })]);
    xmit(sim.va, udpFrame(60));
    expect(act(sim, 'gact', 1).stats.drops).toBe(1);
  });

  it('refuses ptype >= MAX_RAND (EINVAL) and a goto-chain fallback ("goto chain not allowed on fallback")', () => {
    const sim = makeSim();
    expect(refuse(() => sim.tc.actions('add', [gactSpec(TC_ACT.OK, 1, { ptype: 3, pval: 2, paction: 0 })])).errno).toBe('EINVAL');
    const e = refuse(() => sim.tc.actions('add', [gactSpec(TC_ACT.OK, 1, { ptype: 1, pval: 2, paction: TC_ACT.GOTO_CHAIN | 1 })]));
    expect([e.errno, e.extack]).toEqual(['EINVAL', 'goto chain not allowed on fallback']);
    expect(sim.net.actions.get('gact')?.size ?? 0).toBe(0);
  });

  it('tcf_action_check_ctrlact: 9..0x0FFFFFFF and opcodes 3..7 are invalid, negative values pass', () => {
    const sim = makeSim();
    for (const bad of [9, 0x30000000, 0x70000001]) expect(refuse(() => sim.tc.actions('add', [gactSpec(bad, 0)])).extack).toBe('invalid control action');
    sim.tc.actions('add', [gactSpec(-5, 0)]);
    expect(refuse(() => sim.tc.actions('add', [gactSpec(TC_ACT.GOTO_CHAIN | 2, 0)])).extack).toBe("can't goto NULL proto/chain");
  });

  it('a filter binding an existing index uses it as is (ref 2, bind 1); deleting it while bound is EPERM', () => {
    const sim = makeSim();
    sim.tc.actions('add', [gactSpec(TC_ACT.SHOT, 50)]);
    withFilter(sim, [gactSpec(TC_ACT.OK, 50)]);
    const a = act(sim, 'gact', 50);
    expect([a.refcnt, a.bindcnt, a.tcfaAction]).toEqual([2, 1, TC_ACT.SHOT]);
    expect(refuse(() => sim.tc.actions('del', [{ kind: 'gact', index: 50, options: () => {} }])).errno).toBe('EPERM');
    sim.tc.filter('del', { ifindex: sim.va.ifindex, parent: EG, prio: 1 });
    expect([a.refcnt, a.bindcnt]).toEqual([1, 0]);
    sim.tc.actions('del', [{ kind: 'gact', index: 50, options: () => {} }]);
    expect(sim.net.actions.get('gact')!.size).toBe(0);
  });
});

function policeSpec(o: { index?: number; exceed: number; conform?: number; rate?: number; burst?: number; mtu?: number; withRtab?: boolean; pktrate?: number; pktburst?: number; peak?: number }): ActionSpec {
  return {
    kind: 'police',
    options: (w) => {
      const p = w.attrReserve(TCA_POLICE.TBF, 56);
      w.setU32(p, o.index ?? 0);
      w.setS32(p + 4, o.exceed);
      w.setU32(p + 12, o.burst ?? 0);
      w.setU32(p + 16, o.mtu ?? 0);
      if (o.rate) {
        w.setU8(p + 20, 2); // cell_log
        w.setU8(p + 21, 1); // ethernet
        w.setU32(p + 28, o.rate);
      }
      if (o.peak) {
        w.setU8(p + 32, 3);
        w.setU8(p + 33, 1);
        w.setU32(p + 40, o.peak);
      }
      if (o.rate && o.withRtab !== false) w.attrReserve(TCA_POLICE.RATE, 1024);
      if (o.peak) w.attrReserve(TCA_POLICE.PEAKRATE, 1024);
      if (o.conform !== undefined) w.u32(TCA_POLICE.RESULT, o.conform);
      if (o.pktrate !== undefined) w.u64(TCA_POLICE.PKTRATE64, o.pktrate);
      if (o.pktburst !== undefined) w.u64(TCA_POLICE.PKTBURST64, o.pktburst);
    },
  };
}

describe('act_police (tcf_police_init / tcf_police_act)', () => {
  it('token bucket: burst ticks of credit, l2t per packet, exceed → overlimits and the exceed verdict', () => {
    const sim = makeSim();
    // 125000 B/s = 8000 ns per byte; burst 15625 ticks = 1 ms = 125 bytes of credit
    withFilter(sim, [policeSpec({ index: 1, exceed: TC_ACT.SHOT, conform: TC_ACT.OK, rate: 125000, burst: 15625 })]);
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(100)); // conforms: 125 - 100 bytes left
    xmit(sim.va, udpFrame(100)); // exceeds
    const a = act(sim, 'police', 1);
    expect(got.length).toBe(1);
    expect([a.stats.packets, a.stats.overlimits, a.stats.drops]).toEqual([2, 1, 1]);
    sim.kernel.clock.advance(1_000_000); // refill up to the burst
    xmit(sim.va, udpFrame(100));
    expect(got.length).toBe(2);
  });

  it('peakrate: a second bucket of mtu bytes at the peak rate (tcfp_mtu_ptoks) limits bursts the rate bucket allows', () => {
    const sim = makeSim();
    // rate 1 GB/s with 10 ms burst (plenty); peak 125000 B/s with mtu 1500: 12 ms of peak credit
    withFilter(sim, [policeSpec({ index: 1, exceed: TC_ACT.SHOT, conform: TC_ACT.OK, rate: 1_000_000_000, burst: 156_250, mtu: 1500, peak: 125_000 })]);
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(1000)); // 12 - 8 = 4 ms of peak credit left
    xmit(sim.va, udpFrame(1000)); // 4 - 8 < 0: exceeds
    expect(got.length).toBe(1);
    sim.kernel.clock.advance(4_000_000);
    xmit(sim.va, udpFrame(1000)); // 8 - 8 = 0: conforms
    expect(got.length).toBe(2);
    expect(act(sim, 'police', 1).stats.overlimits).toBe(1);
  });

  it('a packet longer than mtu always exceeds; mtu 0 with a rate means 255 << cell_log', () => {
    const sim = makeSim();
    withFilter(sim, [policeSpec({ index: 1, exceed: TC_ACT.SHOT, rate: 1_000_000_000, burst: 1_000_000 })]);
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(1020)); // 255 << 2 = 1020: conforms
    xmit(sim.va, udpFrame(1021));
    expect(got.length).toBe(1);
    expect(act(sim, 'police', 1).stats.overlimits).toBe(1);
  });

  it('without a rate, every packet conforms with RESULT (no drop counted: goto end)', () => {
    const sim = makeSim();
    withFilter(sim, [policeSpec({ index: 1, exceed: TC_ACT.OK, conform: TC_ACT.SHOT })]);
    xmit(sim.va, udpFrame(60));
    expect(act(sim, 'police', 1).stats.drops).toBe(0);
    expect(sim.va.ingress!.stats.drops).toBe(1);
  });

  it('refusals: TBF missing/short (EINVAL), rate without its table (ENOMEM from qdisc_get_rtab), pps rules', () => {
    const sim = makeSim();
    expect(refuse(() => sim.tc.actions('add', [{ kind: 'police', options: (w) => w.u32(TCA_POLICE.RESULT, 0) }])).errno).toBe('EINVAL');
    expect(refuse(() => sim.tc.actions('add', [policeSpec({ exceed: 2, rate: 1000, withRtab: false })])).errno).toBe('ENOMEM');
    expect(refuse(() => sim.tc.actions('add', [policeSpec({ exceed: 2, pktrate: 10 })])).extack).toBe('Both or neither packet-per-second burst and rate must be provided');
    expect(refuse(() => sim.tc.actions('add', [policeSpec({ exceed: 2, rate: 1000, pktrate: 10, pktburst: 10 })])).extack).toBe('packet-per-second and byte-per-second rate limits not allowed in same action');
    expect(refuse(() => sim.tc.actions('add', [policeSpec({ exceed: 2, conform: TC_ACT.GOTO_CHAIN })])).extack).toBe('goto chain not allowed on fallback');
    expect(sim.net.actions.get('police')?.size ?? 0).toBe(0);
  });

  it('packets-per-second policing: one packet of burst, refilled by the clock', () => {
    const sim = makeSim();
    withFilter(sim, [policeSpec({ index: 1, exceed: TC_ACT.SHOT, conform: TC_ACT.OK, pktrate: 1000, pktburst: 1 })]);
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    sim.kernel.clock.advance(1_000_000);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(2);
  });
});

function skbeditSpec(o: { index?: number; action?: number; priority?: number; mark?: number; mask?: number; ptype?: number; queue?: number }): ActionSpec {
  return {
    kind: 'skbedit',
    options: (w) => {
      const p = w.attrReserve(TCA_SKBEDIT.PARMS, 20);
      w.setU32(p, o.index ?? 0);
      w.setS32(p + 8, o.action ?? TC_ACT.PIPE);
      if (o.priority !== undefined) w.u32(TCA_SKBEDIT.PRIORITY, o.priority);
      if (o.queue !== undefined) w.u16(TCA_SKBEDIT.QUEUE_MAPPING, o.queue);
      if (o.mark !== undefined) w.u32(TCA_SKBEDIT.MARK, o.mark);
      if (o.ptype !== undefined) w.u16(TCA_SKBEDIT.PTYPE, o.ptype);
      if (o.mask !== undefined) w.u32(TCA_SKBEDIT.MASK, o.mask);
    },
  };
}

describe('act_skbedit (tcf_skbedit_init / tcf_skbedit_act)', () => {
  it('sets priority, pkt_type and mark under its mask: mark = (mark & ~mask) | (new & mask)', () => {
    const sim = makeSim();
    withFilter(sim, [skbeditSpec({ index: 1, action: TC_ACT.OK, priority: 0x10003, mark: 0xab, mask: 0xf0 })]);
    const got = collectDelivered(sim.net);
    sim.net.ns.onDeliver = null;
    let seen: { mark: number; priority: number } | null = null;
    sim.va.dev.taps.push((skb, _d, out) => {
      if (out) seen = { mark: skb.mark, priority: skb.priority };
    });
    xmit(sim.va, udpFrame(60), (skb) => (skb.mark = 0x0f0f));
    expect(seen).toEqual({ mark: 0x0faf, priority: 0x10003 });
    expect(got.length).toBe(0);
  });

  it('refuses no edit at all (EINVAL), pkt_type > PACKET_OTHERHOST (EINVAL), and queue_mapping on an ingress filter (EOPNOTSUPP)', () => {
    const sim = makeSim();
    expect(refuse(() => sim.tc.actions('add', [skbeditSpec({})])).errno).toBe('EINVAL');
    expect(refuse(() => sim.tc.actions('add', [skbeditSpec({ ptype: 4 })])).errno).toBe('EINVAL');
    sim.tc.clsact(sim.va.ifindex);
    const e = refuse(() => sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ actions: [skbeditSpec({ queue: 0 })] }) }));
    expect([e.errno, e.extack]).toEqual(['EOPNOTSUPP', 'act_skbedit: "queue_mapping" option on receive side is hardware only, use skip_sw']);
    // nothing half-made: no filter, no action
    expect(sim.va.ingress!.priv).toBeTruthy();
    expect(sim.net.actions.get('skbedit')?.size ?? 0).toBe(0);
  });
});

describe('act_csum (tcf_csum_act)', () => {
  it('recomputes the IPv4 header and UDP checksums selected by update_flags', () => {
    const sim = makeSim();
    withFilter(sim, [{
      kind: 'csum',
      index: 1,
      options: (w) => {
        const p = w.attrReserve(TCA_CSUM.PARMS, 24);
        w.setU32(p, 1);
        w.setS32(p + 8, TC_ACT.OK);
        w.setU32(p + 20, TCA_CSUM_UPDATE_FLAG.IPV4HDR | TCA_CSUM_UPDATE_FLAG.UDP);
      },
    }]);
    const got = collectDelivered(sim.net);
    const f = udpFrame(90);
    xmit(sim.va, f, (skb) => skb.setNetworkHeader(14));
    expect(act(sim, 'csum', 1).stats).toMatchObject({ packets: 1, drops: 0 });
    const out = got[0]!;
    const b = out.buf;
    const nh = out.networkHeader;
    expect((b[nh + 10]! << 8) | b[nh + 11]!).toBe(ipv4HeaderChecksum(b, nh));
    expect((b[nh + 26]! << 8) | b[nh + 27]!).toBe(l4ChecksumV4(b, nh, nh + 20, 56, 17, 6));
    expect((b[nh + 26]! << 8) | b[nh + 27]!).not.toBe(0x1234);
  });

  it('a truncated IPv4 datagram (tot_len beyond the data) is dropped with drops++', () => {
    const sim = makeSim();
    withFilter(sim, [{
      kind: 'csum',
      index: 1,
      options: (w) => {
        const p = w.attrReserve(TCA_CSUM.PARMS, 24);
        w.setS32(p + 8, TC_ACT.OK);
        w.setU32(p + 20, TCA_CSUM_UPDATE_FLAG.UDP);
      },
    }]);
    const f = udpFrame(90);
    f[16] = 0x05; // tot_len 1280 > frame
    xmit(sim.va, f, (skb) => skb.setNetworkHeader(14));
    expect(act(sim, 'csum', 1).stats.drops).toBe(1);
  });
});

describe('RTM_GETACTION dump (tc_dump_action / tcf_dump_walker)', () => {
  /** [TCA_ROOT_COUNT, action nests in TCA_ROOT_TAB] of each RTM_NEWACTION/GETACTION message in the replies. */
  function dumpMessages(replies: readonly Uint8Array[]): [number, number][] {
    const out: [number, number][] = [];
    for (const b of replies) {
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      for (let at = 0; at + 16 <= b.length; ) {
        const len = v.getUint32(at, true); // nlmsghdr, host order
        const type = v.getUint16(at + 4, true);
        if (type === 50 || type === 48 || type === 49) {
          let count = -1, nests = 0;
          for (let a = at + 20; a + 4 <= at + len; ) {
            const alen = v.getUint16(a, true), atype = v.getUint16(a + 2, true) & 0x3fff;
            if (atype === 3) count = v.getUint32(a + 4, true);
            if (atype === 1) for (let n = a + 4; n + 4 <= a + alen; n += (v.getUint16(n, true) + 3) & ~3) nests++;
            a += (alen + 3) & ~3;
          }
          out.push([count, nests]);
        }
        at += (len + 3) & ~3;
      }
    }
    return out;
  }

  it('counts the actions under TCA_ACT_FLAG_LARGE_DUMP_ON; without it 32 per message and a count of 0', () => {
    const sim = makeSim();
    sim.tc.actions('add', Array.from({ length: 40 }, (_, i) => gactSpec(TC_ACT.OK, i + 1)).slice(0, 32));
    sim.tc.actions('add', Array.from({ length: 8 }, (_, i) => gactSpec(TC_ACT.OK, 33 + i)));
    const q = [{ kind: 'gact', options: () => undefined }];
    expect(dumpMessages(sim.tc.actions('dump', q))).toEqual([[0, 32], [0, 8]]);
    expect(dumpMessages(sim.tc.actions('dump', q, TCA_ACT_FLAG.LARGE_DUMP_ON))).toEqual([[40, 40]]);
  });
});
