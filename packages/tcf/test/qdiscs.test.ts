// Classful egress qdiscs using the classifier result: sch_htb.c (htb_classify,
// token buckets on the simulated clock, default class, direct queue),
// sch_prio.c (prio_classify: band from TC_H_MIN(classid) - 1, priomap) and
// sch_fifo.c limits.
import { describe, expect, it } from 'vitest';
import { TCA, TCA_HTB, TC_ACT } from '@tcbpf/uapi';
import { gactSpec, matchallOptions, type HtbClass, type NetDev } from '../src/index.js';
import { collectDelivered, makeSim, udpFrame, xmit } from './support/sim.js';

type Sim = ReturnType<typeof makeSim>;

function htbRoot(sim: Sim, dev: NetDev, defcls: number): void {
  sim.tc.qdisc('add', {
    ifindex: dev.ifindex, parent: 0xffffffff, handle: 0x10000, kind: 'htb', options: (w) => {
      const p = w.attrReserve(TCA_HTB.INIT, 20);
      w.setU32(p, 3);
      w.setU32(p + 4, 10);
      w.setU32(p + 8, defcls);
    },
  });
}

function htbClass(sim: Sim, dev: NetDev, classid: number, parent: number, rate: number, ceil: number, buffer: number, cbuffer: number): void {
  sim.tc.request(40, 0x605, (w) => {
    w.tcmsg(dev.ifindex, classid, parent, 0);
    w.str(TCA.KIND, 'htb');
    const n = w.nestStart(TCA.OPTIONS);
    const p = w.attrReserve(TCA_HTB.PARMS, 44);
    w.setU8(p + 1, 1);
    w.setU32(p + 8, rate);
    w.setU8(p + 13, 1);
    w.setU32(p + 20, ceil);
    w.setU32(p + 24, buffer);
    w.setU32(p + 28, cbuffer);
    w.nestEnd(n);
  });
}

function cls(dev: NetDev, classid: number): HtbClass {
  const c = (dev.qdisc.ops.clOps!.find(dev.qdisc, classid)) as HtbClass | null;
  if (!c) throw new Error('no class');
  return c;
}

describe('sch_htb', () => {
  it('classifies by the filter classid (bound class), falls back to the default class, and direct-queues priority == handle', () => {
    const sim = makeSim();
    htbRoot(sim, sim.va, 0x10);
    htbClass(sim, sim.va, 0x10010, 0x10000, 12_500_000, 12_500_000, 125_000, 125_000);
    htbClass(sim, sim.va, 0x10020, 0x10000, 12_500_000, 12_500_000, 125_000, 125_000);
    sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: 0x10000, prio: 1, protocol: 0x0800, kind: 'matchall', options: matchallOptions({ classid: 0x10020 }) });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(100));
    xmit(sim.va, udpFrame(100, { proto: 0x86dd }));
    xmit(sim.va, udpFrame(100), (skb) => (skb.priority = 0x10000));
    expect(got.length).toBe(3);
    expect(cls(sim.va, 0x10020).stats.packets).toBe(1);
    expect(cls(sim.va, 0x10010).stats.packets).toBe(1);
    expect(sim.va.qdisc.stats.packets).toBe(3);
    // htb_dump: tc_htb_glob.direct_pkts
    expect((sim.va.qdisc.priv as { directPkts: number }).directPkts).toBe(1);
  });

  it('a filter verdict SHOT drops in htb_enqueue (qdisc drops++)', () => {
    const sim = makeSim();
    htbRoot(sim, sim.va, 0x10);
    htbClass(sim, sim.va, 0x10010, 0x10000, 12_500_000, 12_500_000, 125_000, 125_000);
    sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: 0x10000, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ actions: [gactSpec(TC_ACT.SHOT, 1)] }) });
    xmit(sim.va, udpFrame(100));
    expect(sim.va.qdisc.stats.drops).toBe(1);
  });

  it('shapes to the rate: packets beyond the bucket wait until the clock refills it', () => {
    const sim = makeSim();
    htbRoot(sim, sim.va, 0x10);
    // 125000 B/s (1 Mbit/s); buffer 1 ms of credit = 125 bytes (15625 ticks)
    htbClass(sim, sim.va, 0x10010, 0x10000, 125_000, 125_000, 15_625, 15_625);
    const got = collectDelivered(sim.net);
    // a class may send while its tokens are >= 0 before charging (no hysteresis):
    // 1 ms of credit lets two 100-byte packets (0.8 ms each) go, leaving -0.6 ms
    for (let i = 0; i < 5; i++) xmit(sim.va, udpFrame(100));
    expect(got.length).toBe(2);
    expect(sim.va.qdisc.stats.qlen).toBe(3);
    sim.kernel.advance(500_000);
    expect(got.length).toBe(2); // -0.1 ms: not yet
    sim.kernel.advance(300_000);
    expect(got.length).toBe(3); // +0.2 ms
    sim.kernel.advance(10_000_000); // the bucket never holds more than `buffer` (1 ms)
    expect(got.length).toBe(5);
    const c = cls(sim.va, 0x10010);
    expect([c.stats.packets, c.lends, c.borrows]).toEqual([5, 5, 0]);
  });

  it('a leaf borrows from its parent up to ceil (borrows on the leaf, lends on the parent)', () => {
    const sim = makeSim();
    htbRoot(sim, sim.va, 0x10);
    htbClass(sim, sim.va, 0x10001, 0xffffffff, 1_250_000, 1_250_000, 125_000, 125_000);
    htbClass(sim, sim.va, 0x10010, 0x10001, 1_250, 1_250_000, 125, 125_000);
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(100), (skb) => (skb.priority = 0x10010));
    xmit(sim.va, udpFrame(100), (skb) => (skb.priority = 0x10010));
    expect(got.length).toBe(2);
    const leaf = cls(sim.va, 0x10010);
    expect(leaf.borrows).toBeGreaterThanOrEqual(1);
    expect(cls(sim.va, 0x10001).lends).toBeGreaterThanOrEqual(1);
  });

  it('refuses deleting a class with children or bound filters (EBUSY), and a too deep tree', () => {
    const sim = makeSim();
    htbRoot(sim, sim.va, 0);
    htbClass(sim, sim.va, 0x10001, 0xffffffff, 125_000, 125_000, 1000, 1000);
    htbClass(sim, sim.va, 0x10002, 0x10001, 125_000, 125_000, 1000, 1000);
    expect(() => sim.tc.request(41, 5, (w) => w.tcmsg(sim.va.ifindex, 0x10001, 0, 0))).toThrow(/EBUSY/);
  });
});

describe('sch_prio', () => {
  function prio(sim: Sim, bands = 3): void {
    const opt = new Uint8Array(20);
    new DataView(opt.buffer).setInt32(0, bands, true);
    opt.set([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], 4);
    sim.tc.qdisc('add', { ifindex: sim.va.ifindex, parent: 0xffffffff, handle: 0x10000, kind: 'prio', rawOptions: opt });
  }

  it('band = TC_H_MIN(res.classid) - 1; out-of-range minors use priomap[0]; no match uses priomap[priority & 15]', () => {
    const sim = makeSim();
    prio(sim);
    sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: 0x10000, prio: 1, protocol: 0x0800, kind: 'matchall', options: matchallOptions({ classid: 0x50003 }) });
    xmit(sim.va, udpFrame(60));
    xmit(sim.va, udpFrame(60, { proto: 0x86dd }), (skb) => (skb.priority = 6));
    const q = sim.va.qdisc;
    const leaf = (band: number) => q.ops.clOps!.leaf!(q, band)!;
    expect([leaf(1).stats.packets, leaf(2).stats.packets, leaf(3).stats.packets]).toEqual([1, 0, 1]);
  });

  it('refuses bands outside 2..16 and a priomap entry >= bands (EINVAL)', () => {
    const sim = makeSim();
    expect(() => prio(sim, 1)).toThrow(/EINVAL/);
    expect(() => prio(sim, 2)).toThrow(/EINVAL/);
    expect(sim.va.qdisc.ops.id).toBe('noqueue');
  });
});

describe('sch_fifo', () => {
  it('pfifo drops beyond its packet limit while the device cannot send (the queue is drained by qdisc_run)', () => {
    const sim = makeSim();
    sim.tc.qdisc('add', { ifindex: sim.va.ifindex, parent: 0xffffffff, handle: 0x20000, kind: 'pfifo', rawOptions: new Uint8Array([2, 0, 0, 0]) });
    const got = collectDelivered(sim.net);
    for (let i = 0; i < 4; i++) xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(4);
    expect(sim.va.qdisc.stats.packets).toBe(4);
    expect(sim.va.qdisc.stats.drops).toBe(0);
  });
});

describe('sch_htb class tree', () => {
  it('levels count down from the top (an inner root class is level 7); deleting the last child makes the parent a leaf again (htb_parent_to_leaf)', () => {
    const sim = makeSim();
    htbRoot(sim, sim.va, 0);
    htbClass(sim, sim.va, 0x10001, 0xffffffff, 125_000, 125_000, 1000, 1000);
    htbClass(sim, sim.va, 0x10002, 0x10001, 125_000, 125_000, 1000, 1000);
    expect([cls(sim.va, 0x10001).level, cls(sim.va, 0x10002).level]).toEqual([7, 0]);
    expect(cls(sim.va, 0x10001).leaf).toBeNull();
    sim.tc.request(41, 5, (w) => w.tcmsg(sim.va.ifindex, 0x10002, 0, 0));
    expect(cls(sim.va, 0x10001).level).toBe(0);
    expect(cls(sim.va, 0x10001).leaf).not.toBeNull();
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60), (skb) => (skb.priority = 0x10001));
    expect(got.length).toBe(1);
    expect(cls(sim.va, 0x10001).stats.packets).toBe(1);
  });
});
