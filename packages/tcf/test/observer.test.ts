// TcNet.observer: every classifier run (with its result and classid) and every
// action run (with its verdict) in execution order; no observer, no calls.
import { describe, expect, it } from 'vitest';
import { TC_ACT } from '@tcbpf/uapi';
import { gactSpec, matchallOptions, type TcObserver } from '../src/index.js';
import { makeSim, udpFrame, xmit } from './support/sim.js';

const EG = 0xfffffff3;
const ETH_P_ALL = 3;

describe('TcNet.observer', () => {
  it('reports filters (UNSPEC: no match, then the matching one) and their actions, actions first', () => {
    const sim = makeSim();
    sim.tc.clsact(sim.va.ifindex);
    sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: EG, prio: 1, protocol: ETH_P_ALL, kind: 'matchall', options: matchallOptions({ actions: [gactSpec(TC_ACT.UNSPEC, 1)] }) });
    sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: EG, prio: 2, protocol: ETH_P_ALL, kind: 'matchall', options: matchallOptions({ classid: 0x10005, actions: [gactSpec(TC_ACT.PIPE, 2), gactSpec(TC_ACT.SHOT, 3)] }) });
    const seen: string[] = [];
    const obs: TcObserver = {
      filter: (tp, _skb, result, res) => void seen.push(`filter ${tp.ops.kind} prio ${tp.prio >>> 16} -> ${result} classid ${res.classid.toString(16)}`),
      action: (a, _skb, verdict) => void seen.push(`action ${a.ops.kind} ${a.index} -> ${verdict}`),
    };
    xmit(sim.va, udpFrame(60));
    expect(seen).toEqual([]);
    sim.net.observer = obs;
    xmit(sim.va, udpFrame(60));
    expect(seen).toEqual([
      'action gact 1 -> -1',
      'filter matchall prio 1 -> -1 classid 0',
      'action gact 2 -> 3',
      'action gact 3 -> 2',
      'filter matchall prio 2 -> 2 classid 10005',
    ]);
    sim.net.observer = null;
    xmit(sim.va, udpFrame(60));
    expect(seen.length).toBe(5);
  });
});
