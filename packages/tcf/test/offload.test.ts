// Block offload plumbing (cls_api.c tc_setup_cb_*, tcf_block_offload_bind,
// tcf_block_playback_offloads) with cls_matchall's offload paths
// (mall_replace_hw_filter, mall_reoffload) and a test driver standing in for
// netdevsim: it binds one callback per device and keeps the offered filters.
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { TCA_CLS_FLAGS } from '@tcbpf/uapi';
import { matchallOptions, type ClsMatchallOffload, type MallHead, type NetDev, type NdoSetupTc } from '../src/index.js';
import { makeSim, udpFrame, xmit, collectDelivered } from './support/sim.js';

interface FakeDriver {
  installed: Set<MallHead>;
  accept: boolean;
}

function offloadDevice(nd: NetDev, accept = true): FakeDriver {
  const drv: FakeDriver = { installed: new Set(), accept };
  const ndo: NdoSetupTc = (dev, _type, bo) => {
    if (bo.command === 'bind') {
      bo.cbList.push({
        ident: dev,
        cb: (type, data) => {
          if (type !== 'clsmatchall' || !drv.accept) return -95;
          const d = data as ClsMatchallOffload;
          if (d.command === 'replace') drv.installed.add(d.cookie);
          else if (d.command === 'destroy') drv.installed.delete(d.cookie);
          return 0;
        },
      });
    }
    return 0;
  };
  nd.ndoSetupTc = ndo;
  nd.hwTcOffload = true;
  return drv;
}

const IN = 0xfffffff2;

function head(sim: ReturnType<typeof makeSim>, nd: NetDev, prio: number): MallHead {
  const q = nd.ingress!;
  const block = q.ops.clOps!.tcfBlock(q, 0xfff2)!;
  const tp = block.chain0!.tps.find((t) => t.prio >>> 16 === prio)!;
  return tp.root as MallHead;
}

describe('flow block offload', () => {
  it('skip_sw needs every bound device to offload: a veth makes it EOPNOTSUPP; an offload device takes it (IN_HW)', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    const drv = offloadDevice(d0);
    sim.tc.clsact(sim.va.ifindex);
    const refuse = (): unknown => sim.tc.filter('add', { ifindex: sim.va.ifindex, parent: IN, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ flags: TCA_CLS_FLAGS.SKIP_SW }) });
    expect(refuse).toThrow(KernelError);
    sim.tc.clsact(d0.ifindex);
    sim.tc.filter('add', { ifindex: d0.ifindex, parent: IN, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ flags: TCA_CLS_FLAGS.SKIP_SW }) });
    const h = head(sim, d0, 1);
    expect(drv.installed.has(h)).toBe(true);
    expect([h.flags, h.inHwCount]).toEqual([TCA_CLS_FLAGS.SKIP_SW | TCA_CLS_FLAGS.IN_HW, 1]);
    sim.tc.filter('del', { ifindex: d0.ifindex, parent: IN, prio: 1 });
    expect(drv.installed.size).toBe(0);
  });

  it('a refusing driver: without skip_sw the filter stays in software (NOT_IN_HW); with skip_sw the add fails and nothing is left', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    offloadDevice(d0, false);
    sim.tc.clsact(d0.ifindex);
    sim.tc.filter('add', { ifindex: d0.ifindex, parent: IN, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({}) });
    expect(head(sim, d0, 1).flags).toBe(TCA_CLS_FLAGS.NOT_IN_HW);
    expect(() => sim.tc.filter('add', { ifindex: d0.ifindex, parent: IN, prio: 2, protocol: 3, kind: 'matchall', options: matchallOptions({ flags: TCA_CLS_FLAGS.SKIP_SW }) })).toThrow(/EOPNOTSUPP/);
    const block = d0.ingress!.ops.clOps!.tcfBlock(d0.ingress!, 0xfff2)!;
    expect(block.chain0!.tps.length).toBe(1);
  });

  it('a device binding to a shared block later gets the filters replayed (reoffload), and loses them on unbind', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    const d1 = sim.net.addDummy('d1');
    const drv0 = offloadDevice(d0);
    const drv1 = offloadDevice(d1);
    sim.tc.clsact(d0.ifindex, 9);
    sim.tc.filter('add', { ifindex: 0xffffffff, parent: 9, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({}) });
    const block = sim.net.sharedBlocks.get(9)!;
    const h = block.chain0!.tps[0]!.root as MallHead;
    expect([drv0.installed.size, drv1.installed.size, h.inHwCount]).toEqual([1, 0, 1]);
    sim.tc.clsact(d1.ifindex, 9);
    expect([drv1.installed.has(h), h.inHwCount, block.offload.offloadcnt]).toEqual([true, 2, 1]);
    // a veth cannot join a block whose filters are in hardware
    expect(() => sim.tc.clsact(sim.va.ifindex, 9)).toThrow(/EOPNOTSUPP/);
    expect(sim.va.ingress).toBeNull();
    sim.tc.qdisc('del', { ifindex: d0.ifindex, parent: 0xfffffff1 });
    expect([drv0.installed.size, drv1.installed.size, h.inHwCount]).toEqual([0, 1, 1]);
  });

  it('skip_sw filters are not run in software', () => {
    const sim = makeSim();
    const d0 = sim.net.addDummy('d0');
    offloadDevice(d0);
    sim.tc.clsact(d0.ifindex);
    sim.tc.filter('add', { ifindex: d0.ifindex, parent: 0xfffffff3, prio: 1, protocol: 3, kind: 'matchall', options: matchallOptions({ flags: TCA_CLS_FLAGS.SKIP_SW, actions: [] }) });
    collectDelivered(sim.net);
    xmit(d0, udpFrame(60));
    const q = d0.ingress!;
    const tp = q.ops.clOps!.tcfBlock(q, 0xfff3)!.chain0!.tps[0]!;
    expect((tp.root as MallHead).rhit).toBe(0);
  });
});
