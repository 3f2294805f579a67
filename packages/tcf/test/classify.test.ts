// tcf_classify (net/sched/cls_api.c) and tcf_action_exec (net/sched/act_api.c)
// behaviour through the clsact hooks, with matchall filters and gact actions.
import { describe, expect, it } from 'vitest';
import { NLM_F, RTM, TC_ACT } from '@tcbpf/uapi';
import { TCF_MAX_RECLASSIFY_LOOP, gactSpec, matchallOptions, mirredSpec, type TcAction, type NetDev, type TcNet } from '../src/index.js';
import { collectDelivered, makeSim, udpFrame, xmit } from './support/sim.js';

const EG = 0xfffffff3;
const ETH_P_ALL = 3;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;

function gactAction(net: TcNet, index: number): TcAction {
  const a = net.actions.get('gact')?.get(index);
  if (!a) throw new Error(`no gact ${index}`);
  return a;
}

function addMall(sim: ReturnType<typeof makeSim>, dev: NetDev, prio: number, actions: Parameters<typeof matchallOptions>[0], o: { protocol?: number; chain?: number; parent?: number } = {}): void {
  sim.tc.filter('add', { ifindex: dev.ifindex, parent: o.parent ?? EG, prio, protocol: o.protocol ?? ETH_P_ALL, kind: 'matchall', ...(o.chain !== undefined ? { chain: o.chain } : {}), options: matchallOptions(actions) });
}

describe('tcf_classify', () => {
  it('skips filters of another protocol (tp->protocol != skb protocol and != ETH_P_ALL)', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.SHOT, 1)] }, { protocol: ETH_P_IPV6 });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect(gactAction(sim.net, 1).stats.packets).toBe(0);
    addMall(sim, sim.va, 2, { actions: [gactSpec(TC_ACT.SHOT, 2)] }, { protocol: ETH_P_IP });
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect(gactAction(sim.net, 2).stats.drops).toBe(1);
    expect(sim.va.ingress!.stats.drops).toBe(1);
    expect(sim.va.ingress!.stats.packets).toBe(2);
  });

  it('walks tps by ascending prio; a non-negative verdict ends classification, UNSPEC continues', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 20, { actions: [gactSpec(TC_ACT.SHOT, 2)] });
    addMall(sim, sim.va, 10, { actions: [gactSpec(TC_ACT.UNSPEC, 1)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(0);
    expect(gactAction(sim.net, 1).stats.packets).toBe(1);
    expect(gactAction(sim.net, 2).stats.drops).toBe(1);
    addMall(sim, sim.va, 5, { actions: [gactSpec(TC_ACT.OK, 3)] });
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect(gactAction(sim.net, 2).stats.packets).toBe(1);
  });

  it(`stops a permanent RECLASSIFY after ${TCF_MAX_RECLASSIFY_LOOP} restarts (17 runs) and drops (MAX_LOOP 16 since 5.13)`, () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.RECLASSIFY, 1)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(0);
    expect(gactAction(sim.net, 1).stats.packets).toBe(TCF_MAX_RECLASSIFY_LOOP + 1);
    expect(sim.va.ingress!.stats.drops).toBe(1);
    expect(sim.net.reclassifyLoops).toBe(1);
  });

  it('GOTO_CHAIN continues at the first tp of the target chain; an empty chain ends with UNSPEC (pass)', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.GOTO_CHAIN | 5, 1)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1); // chain 5 exists only through the action: empty
    // the action-only chain is hidden from chain dumps
    const chains = sim.tc.request(RTM.GETCHAIN, NLM_F.REQUEST | NLM_F.DUMP, (w) => w.tcmsg(sim.va.ifindex, 0, EG, 0));
    expect(chains.length).toBe(1);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.SHOT, 2)] }, { chain: 5 });
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect(gactAction(sim.net, 2).stats.drops).toBe(1);
    expect(sim.tc.request(RTM.GETCHAIN, NLM_F.REQUEST | NLM_F.DUMP, (w) => w.tcmsg(sim.va.ifindex, 0, EG, 0)).length).toBe(2);
  });

  it('sets tc_index to TC_H_MIN(res.classid) on TC_ACT_OK (sch_handle_egress)', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { classid: 0x10005, actions: [gactSpec(TC_ACT.OK, 1)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got[0]!.tcIndex).toBe(5);
  });

  it('counts ingress bytes without the MAC header (qdisc_pkt_len at ingress)', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.OK, 1)] }, { parent: 0xfffffff2 });
    xmit(sim.vb, udpFrame(80));
    expect(sim.va.ingress!.stats.bytes).toBe(66);
    expect(gactAction(sim.net, 1).stats.bytes).toBe(66);
  });
});

describe('tcf_action_exec', () => {
  it('JUMP n restarts at the first action and skips n: execution continues at absolute index n (act_api.c jmp_prgcnt)', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    // [jump 2, drop, ok]: action 0 jumps, actions 0 and 1 are skipped, action 2 says OK
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.JUMP | 2, 1), gactSpec(TC_ACT.SHOT, 2), gactSpec(TC_ACT.OK, 3)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect([1, 2, 3].map((i) => gactAction(sim.net, i).stats.packets)).toEqual([1, 0, 1]);
    // jump 1 from action 0 lands on action 1 (the drop)
    sim.tc.filter('del', { ifindex: sim.va.ifindex, parent: EG, prio: 1 });
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.JUMP | 1, 11), gactSpec(TC_ACT.SHOT, 12), gactSpec(TC_ACT.OK, 13)] });
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect([11, 12, 13].map((i) => gactAction(sim.net, i).stats.packets)).toEqual([1, 1, 0]);
  });

  it('a jump loop stops after the TTL of 32 jumps with TC_ACT_OK ("faulty graph")', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.PIPE, 1), gactSpec(TC_ACT.JUMP | 1, 2), gactSpec(TC_ACT.SHOT, 3)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect([1, 2, 3].map((i) => gactAction(sim.net, i).stats.packets)).toEqual([1, 32, 0]);
  });

  it('a jump beyond the list ("faulty jump") returns TC_ACT_OK', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [gactSpec(TC_ACT.PIPE, 1), gactSpec(TC_ACT.JUMP | 7, 2), gactSpec(TC_ACT.SHOT, 3)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect(gactAction(sim.net, 3).stats.packets).toBe(0);
  });

  it('the last PIPE is the verdict (3): the packet continues but tc_index is not set', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { classid: 0x10007, actions: [gactSpec(TC_ACT.PIPE, 1), gactSpec(TC_ACT.PIPE, 2)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(60));
    expect(got.length).toBe(1);
    expect(got[0]!.tcIndex).toBe(0);
    expect(gactAction(sim.net, 2).stats.packets).toBe(1);
  });
});

describe('mirred through the device layer', () => {
  it('egress redirect to a dummy: sent there, not delivered to the peer; mirror: both', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [mirredSpec(1, d0.ifindex, TC_ACT.STOLEN, 1)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(70));
    expect(got.length).toBe(0);
    expect(d0.dev.stats.txPackets).toBe(1);
    sim.tc.filter('del', { ifindex: sim.va.ifindex, parent: EG, prio: 1 });
    addMall(sim, sim.va, 1, { actions: [mirredSpec(2, d0.ifindex, TC_ACT.PIPE, 2)] });
    xmit(sim.va, udpFrame(70));
    expect(got.length).toBe(1);
    expect(d0.dev.stats.txPackets).toBe(2);
  });

  it('egress redirect into another device ingress (TCA_INGRESS_REDIR): received there with the MAC header pulled', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [mirredSpec(3, d0.ifindex, TC_ACT.STOLEN, 1)] });
    const got = collectDelivered(sim.net);
    xmit(sim.va, udpFrame(70));
    expect(got.length).toBe(1);
    expect(got[0]!.dev).toBe(d0.dev);
    expect(got[0]!.len).toBe(56);
    expect(sim.va.dev.stats.txPackets).toBe(0);
  });

  it('redirect to a device that is down: overlimits++ and SHOT (tcf_mirred_act)', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    d0.dev.setUp(false);
    sim.tc.clsact(sim.va.ifindex);
    addMall(sim, sim.va, 1, { actions: [mirredSpec(1, d0.ifindex, TC_ACT.STOLEN, 1)] });
    xmit(sim.va, udpFrame(70));
    const a = sim.net.actions.get('mirred')!.get(1)!;
    expect(a.stats.overlimits).toBe(1);
    expect(sim.va.ingress!.stats.drops).toBe(1);
  });

  it('the fifth nested mirred returns SHOT without touching its stats (MIRRED_NEST_LIMIT 4)', () => {
    const sim = makeSim();
    const ds = [0, 1, 2, 3, 4, 5].map((i) => sim.net.addDummy(`d${i}`));
    for (let i = 0; i < 5; i++) {
      sim.tc.clsact(ds[i]!.ifindex);
      addMall(sim, ds[i]!, 1, { actions: [mirredSpec(1, ds[i + 1]!.ifindex, TC_ACT.STOLEN, 10 + i)] });
    }
    xmit(ds[0]!, udpFrame(60));
    const m = sim.net.actions.get('mirred')!;
    expect([10, 11, 12, 13, 14].map((i) => m.get(i)!.stats.packets)).toEqual([1, 1, 1, 1, 0]);
    expect(ds[5]!.dev.stats.txPackets).toBe(0);
    expect(ds[4]!.ingress!.stats.drops).toBe(1);
  });
});

