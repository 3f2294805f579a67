// cls_bpf's offload hooks (cls_bpf_offload/cls_bpf_offload_cmd/cls_bpf_reoffload of
// net/sched/cls_bpf.c, Linux 6.18) through tcf's flow block callbacks, with a test
// driver standing in for netdevsim: it binds one callback per device and keeps the
// programs it was given (TC_CLSBPF_OFFLOAD with prog and/or oldprog).
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { TcfResult, type NdoSetupTc, type NetDev, type IngressPriv, type TcfProto } from '@tcbpf/tcf';
import { TCA_CLS_FLAGS, TC_ACT } from '@tcbpf/uapi';
import type { ClsBpfHead, ClsBpfOffload, ClsBpfProg, ClsBpfStatsRequest } from '../src/index.js';
import { INGRESS, bpfOptions, ingressSkb, makeSim, ret, type BpfOpts, type Sim } from './support/sim.js';

interface FakeDriver {
  readonly installed: Set<ClsBpfProg>;
  accept: boolean;
  readonly calls: ClsBpfOffload[];
  /** TC_CLSBPF_STATS requests seen (one per dumped filter). */
  readonly stats: ClsBpfProg[];
}

function offloadDevice(nd: NetDev): FakeDriver {
  const drv: FakeDriver = { installed: new Set(), accept: true, calls: [], stats: [] };
  const ndo: NdoSetupTc = (dev, _type, bo) => {
    if (bo.command === 'bind') {
      bo.cbList.push({
        ident: dev,
        cb: (type, data) => {
          if (type !== 'clsbpf' || !drv.accept) return -95;
          const r = data as ClsBpfOffload | ClsBpfStatsRequest;
          if (r.command === 'stats') {
            drv.stats.push(r.prog);
            return -95; // like netdevsim: no hardware counters
          }
          const d = r;
          drv.calls.push(d);
          if (d.oldprog) drv.installed.delete(d.oldprog);
          if (d.prog) drv.installed.add(d.prog);
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

function withOffloadDev(): { sim: Sim; d0: NetDev; drv: FakeDriver } {
  const sim = makeSim();
  const d0 = sim.net.addDummy('d0');
  const drv = offloadDevice(d0);
  sim.tc.clsact(d0.ifindex);
  return { sim, d0, drv };
}

function add(sim: Sim, nd: NetDev, o: BpfOpts & { handle?: number }, cmd: 'add' | 'replace' = 'add', k = TC_ACT.SHOT): void {
  sim.tc.filter(cmd, { ifindex: nd.ifindex, parent: INGRESS, prio: 1, protocol: 3, kind: 'bpf', handle: o.handle ?? 1, options: bpfOptions([ret(k)], o) });
}

function tpOf(nd: NetDev): TcfProto {
  return (nd.ingress!.priv as IngressPriv).ingress!.chain0!.tps[0]!;
}

function progs(nd: NetDev): ClsBpfProg[] {
  return (tpOf(nd).root as ClsBpfHead).list;
}

describe('cls_bpf offload', () => {
  it('skip_sw on a veth is EOPNOTSUPP and adds nothing', () => {
    const sim = makeSim();
    expect(() => add(sim, sim.va, { gen: TCA_CLS_FLAGS.SKIP_SW })).toThrow(expect.objectContaining({ errno: 'EOPNOTSUPP' }) as Error);
    expect((sim.va.ingress!.priv as IngressPriv).ingress!.chain0?.tps.length ?? 0).toBe(0);
  });

  it('skip_sw on an offloading device: in hardware (IN_HW, count 1) and never run in software', () => {
    const { sim, d0, drv } = withOffloadDev();
    add(sim, d0, { gen: TCA_CLS_FLAGS.SKIP_SW, da: true });
    const [p] = progs(d0);
    expect(drv.installed.has(p!)).toBe(true);
    expect([p!.genFlags, p!.inHwCount]).toEqual([TCA_CLS_FLAGS.SKIP_SW | TCA_CLS_FLAGS.IN_HW, 1]);
    const tp = tpOf(d0);
    expect(tp.ops.classify(ingressSkb(d0), tp, new TcfResult())).toBe(-1);
  });

  it('without skip flags it is both offloaded and run in software; a refusing driver just leaves not_in_hw', () => {
    const { sim, d0, drv } = withOffloadDev();
    add(sim, d0, { da: true });
    expect(progs(d0)[0]!.genFlags).toBe(TCA_CLS_FLAGS.IN_HW);
    const tp = tpOf(d0);
    expect(tp.ops.classify(ingressSkb(d0), tp, new TcfResult())).toBe(TC_ACT.SHOT);
    drv.accept = false;
    add(sim, d0, { da: true, handle: 2 });
    expect(progs(d0)[0]!.genFlags).toBe(TCA_CLS_FLAGS.NOT_IN_HW);
    expect(() => add(sim, d0, { da: true, handle: 3, gen: TCA_CLS_FLAGS.SKIP_SW })).toThrow(KernelError);
    expect(progs(d0).map((p) => p.handle)).toEqual([2, 1]);
  });

  it('replace hands the driver (prog, oldprog); delete hands it (null, prog)', () => {
    const { sim, d0, drv } = withOffloadDev();
    add(sim, d0, {});
    const old = progs(d0)[0]!;
    add(sim, d0, { classid: 0x10001 }, 'replace');
    const neu = progs(d0)[0]!;
    expect(neu).not.toBe(old);
    const last = drv.calls.at(-1)!;
    expect([last.prog, last.oldprog]).toEqual([neu, old]);
    expect([...drv.installed]).toEqual([neu]);
    expect([neu.genFlags, neu.inHwCount]).toEqual([TCA_CLS_FLAGS.IN_HW, 1]);
    sim.tc.filter('del', { ifindex: d0.ifindex, parent: INGRESS, prio: 1, protocol: 3, handle: 1, kind: 'bpf' });
    expect(drv.installed.size).toBe(0);
    expect(drv.calls.at(-1)!.prog).toBeNull();
  });

  it('a replace that changes skip_hw/skip_sw is EINVAL and keeps the old filter', () => {
    const { sim, d0, drv } = withOffloadDev();
    add(sim, d0, { gen: TCA_CLS_FLAGS.SKIP_HW });
    const old = progs(d0)[0]!;
    expect(old.genFlags).toBe(TCA_CLS_FLAGS.SKIP_HW | TCA_CLS_FLAGS.NOT_IN_HW);
    expect(drv.calls.length).toBe(0);
    expect(() => add(sim, d0, {}, 'replace')).toThrow(expect.objectContaining({ errno: 'EINVAL' }) as Error);
    expect(progs(d0)).toEqual([old]);
  });
  it('each dumped filter first sends the driver TC_CLSBPF_STATS (cls_bpf_offload_update_stats); a refusal changes nothing', () => {
    const { sim, d0, drv } = withOffloadDev();
    add(sim, d0, {});
    add(sim, d0, { handle: 2, gen: TCA_CLS_FLAGS.SKIP_HW });
    const [p2, p1] = progs(d0);
    drv.stats.length = 0;
    const before = drv.calls.length;
    sim.tc.filter('dump', { ifindex: d0.ifindex, parent: INGRESS });
    expect(drv.stats).toEqual([p2, p1]);
    expect(drv.calls.length).toBe(before);
    expect(progs(d0)).toEqual([p2, p1]);
  });
});
