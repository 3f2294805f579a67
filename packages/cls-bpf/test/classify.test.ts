// cls_bpf_classify (net/sched/cls_bpf.c, Linux 6.18): list order, the
// direct-action verdict sanitisation and classid rule, non-da classid override
// (0 = no match, -1 = default classid, anything else = that classid), actions
// only without direct-action, the MAC header pushed back at ingress, and a
// failed replace leaving the old program serving traffic.
import { describe, expect, it } from 'vitest';
import { KernelError } from '@tcbpf/base';
import { TcfResult, gactSpec } from '@tcbpf/tcf';
import { TCA_BPF, TC_ACT } from '@tcbpf/uapi';
import type { NlWriter } from '@tcbpf/tcf';
import { EGRESS, addBpf, ingressSkb, ingressTp, makeSim, opsBytes, ret, type Insn } from './support/sim.js';

const IS_ETH_IP: Insn[] = [[0x28, 0, 0, 12], [0x15, 0, 1, 0x800], ret(2), ret(0)]; // ldh [12]; jeq #0x800
const IS_UDP_AT_L3: Insn[] = [[0x30, 0, 0, 9], [0x15, 0, 1, 17], ret(2), ret(0)]; // ldb [9]; jeq #17

function classify(sim: ReturnType<typeof makeSim>, atIngress = true, i = 0): { v: number; res: TcfResult; dataOff: number; len: number } {
  const tp = ingressTp(sim, i);
  const skb = ingressSkb(sim.va);
  if (!atIngress) {
    skb.push(14);
    skb.tcAtIngress = false;
  }
  const res = new TcfResult();
  res.classid = 0xdead;
  const v = tp.ops.classify(skb, tp, res);
  return { v, res, dataOff: skb.dataOff, len: skb.len };
}

for (const jit of [true, false]) {
  describe(`cls_bpf classify (${jit ? 'JIT' : 'interpreter'})`, () => {
    const DA: [number, number][] = [
      [0, TC_ACT.OK], [1, -1], [2, TC_ACT.SHOT], [3, -1], [4, TC_ACT.STOLEN], [5, -1], [6, -1], [7, TC_ACT.REDIRECT], [8, TC_ACT.TRAP], [9, -1],
      [-1, -1], [0x20000005, -1], [0x10000005, -1], [-2, -1],
    ];
    for (const [k, want] of DA) {
      it(`direct-action return ${k} gives ${want}`, () => {
        const sim = makeSim(jit);
        addBpf(sim, 1, [ret(k)], { da: true, classid: 0x10003 });
        const r = classify(sim);
        expect(r.v).toBe(want);
        // da always writes res: MAJ(default) | tc_classid (= the default for classic programs)
        expect(r.res.classid).toBe(0x10003);
        expect(r.res.cls).toBeNull();
      });
    }

    it('non-da: 0 is no match and leaves res untouched', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, [ret(0)], { classid: 0x10001 });
      const r = classify(sim);
      expect([r.v, r.res.classid]).toEqual([-1, 0xdead]);
    });

    it('non-da: -1 takes the default classid, a value overrides it; no actions means TC_ACT_OK', () => {
      const a = makeSim(jit);
      addBpf(a, 1, [ret(-1)], { classid: 0x10001 });
      expect([classify(a).v, classify(a).res.classid]).toEqual([TC_ACT.OK, 0x10001]);
      const b = makeSim(jit);
      addBpf(b, 1, [ret(0x10020)], { classid: 0x10001 });
      expect([classify(b).v, classify(b).res.classid]).toEqual([TC_ACT.OK, 0x10020]);
    });

    it('non-da runs the actions; an action verdict < 0 continues with the next program', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, [ret(-1)], { handle: 1, actions: [gactSpec(TC_ACT.SHOT, 1)] });
      addBpf(sim, 1, [ret(-1)], { handle: 2, actions: [gactSpec(TC_ACT.UNSPEC, 2)] });
      expect(classify(sim).v).toBe(TC_ACT.SHOT);
      expect(sim.net.actions.get('gact')!.get(2)!.stats.packets).toBe(1);
      expect(sim.net.actions.get('gact')!.get(1)!.stats.packets).toBe(1);
    });

    it('direct-action never runs the attached actions', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, [ret(0)], { da: true, actions: [gactSpec(TC_ACT.SHOT, 1)] });
      expect(classify(sim).v).toBe(TC_ACT.OK);
      expect(sim.net.actions.get('gact')!.get(1)!.stats.packets).toBe(0);
    });

    it('the newest program of a tp runs first; UNSPEC moves on to the older one', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, [ret(TC_ACT.SHOT)], { da: true });
      addBpf(sim, 1, [ret(TC_ACT.OK)], { da: true });
      expect(classify(sim).v).toBe(TC_ACT.OK);
      addBpf(sim, 1, [ret(-1)], { da: true });
      expect(classify(sim).v).toBe(TC_ACT.OK);
      const s2 = makeSim(jit);
      addBpf(s2, 1, [ret(TC_ACT.SHOT)], { da: true });
      addBpf(s2, 1, [ret(9)], { da: true });
      expect(classify(s2).v).toBe(TC_ACT.SHOT);
    });

    it('at ingress the program sees the Ethernet header (pushed back), and the skb is restored after', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, IS_ETH_IP, { da: true });
      const before = ingressSkb(sim.va);
      const r = classify(sim, true);
      expect(r.v).toBe(TC_ACT.SHOT);
      expect([r.dataOff, r.len]).toEqual([before.dataOff, before.len]);
      expect(classify(sim, false).v).toBe(TC_ACT.SHOT);
      const l3 = makeSim(jit);
      addBpf(l3, 1, IS_UDP_AT_L3, { da: true });
      expect(classify(l3, true).v).toBe(TC_ACT.OK);
    });

    it('an out-of-bounds load ends the program with 0', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, [[0x20, 0, 0, 4000], ret(2)], { da: true });
      expect(classify(sim).v).toBe(TC_ACT.OK);
    });

    it('a refused replace leaves the old program serving traffic', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, [ret(TC_ACT.SHOT)], { da: true, handle: 1 });
      const bad = (prog: Insn[], o: { da?: boolean; gen?: number }): unknown => {
        try {
          sim.tc.filter('replace', { ifindex: sim.va.ifindex, parent: 0xfffffff2, prio: 1, protocol: 3, handle: 1, kind: 'bpf', options: (w) => { addOpts(w, prog, o); } });
        } catch (e) {
          return e;
        }
        return null;
      };
      expect(bad([[0x34, 0, 0, 0], ret(0)], { da: true })).toBeInstanceOf(KernelError);
      expect(bad([ret(0)], { da: true, gen: 1 })).toBeInstanceOf(KernelError);
      expect(classify(sim).v).toBe(TC_ACT.SHOT);
    });

    it('egress filters classify at egress with data already at the MAC header', () => {
      const sim = makeSim(jit);
      addBpf(sim, 1, IS_ETH_IP, { da: true, parent: EGRESS });
      const tp = ((sim.va.ingress!.priv as { egress: { chain0: { tps: unknown[] } } }).egress.chain0.tps[0]) as ReturnType<typeof ingressTp>;
      const skb = ingressSkb(sim.va);
      skb.push(14);
      skb.tcAtIngress = false;
      expect(tp.ops.classify(skb, tp, new TcfResult())).toBe(TC_ACT.SHOT);
    });
  });
}

function addOpts(w: NlWriter, prog: Insn[], o: { da?: boolean; gen?: number }): void {
  w.u16(TCA_BPF.OPS_LEN, prog.length);
  w.attr(TCA_BPF.OPS, opsBytes(prog));
  if (o.da) w.u32(TCA_BPF.FLAGS, 1);
  if (o.gen !== undefined) w.u32(TCA_BPF.FLAGS_GEN, o.gen);
}
