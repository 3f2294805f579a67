// Models net/sched/act_gact.c (Linux 6.18, CONFIG_GACT_PROB=y): the generic
// action. Its verdict is tcf_action, or with TCA_GACT_PROB a fallback verdict
// chosen at random (PGACT_NETRAND: get_random_u32_below(pval) == 0, from the
// kernel instance's seeded PRNG) or deterministically (PGACT_DETERM: every
// pval-th packet of the action's own counter). SHOT counts a drop.
import { kerr } from '@tcbpf/base';
import { PGACT, TCA_GACT, TCA_ID, TC_ACT } from '@tcbpf/uapi';
import { tcfActionCheckCtrlact, tcfActionSetCtrlact, tcfIdrCheck, tcfIdrCreate, type TcAction, type TcActionInitArgs, type TcActionOps } from './act-api.js';
import type { TcfResult, TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';

/** gact parameters (tcfg_*). */
export interface GactParams {
  ptype: number;
  pval: number;
  paction: number;
  /** gact->packets, the PGACT_DETERM counter. */
  packets: number;
}

function gactInit(args: TcActionInitArgs): TcAction {
  // nla_parse_nested_deprecated(..., gact_policy, NULL): no extack from policy failures
  const tb = args.parse(TCA_GACT.MAX);
  if (!tb) throw kerr('EINVAL');
  if (tb.has(TCA_GACT.PARMS) && tb.len(TCA_GACT.PARMS) < 20) throw kerr('ERANGE');
  if (tb.has(TCA_GACT.PROB) && tb.len(TCA_GACT.PROB) < 8) throw kerr('ERANGE');
  if (!tb.has(TCA_GACT.PARMS)) throw kerr('EINVAL');
  const d = tb.data(TCA_GACT.PARMS);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const index = v.getUint32(0, true);
  const action = v.getInt32(8, true);
  let prob: { ptype: number; pval: number; paction: number } | null = null;
  if (tb.has(TCA_GACT.PROB)) {
    const p = tb.data(TCA_GACT.PROB);
    const pv = new DataView(p.buffer, p.byteOffset, p.byteLength);
    prob = { ptype: pv.getUint16(0, true), pval: pv.getUint16(2, true), paction: pv.getInt32(4, true) };
    if (prob.ptype >= PGACT.MAX_RAND) throw kerr('EINVAL');
    if ((prob.paction & ~TC_ACT.EXT_VAL_MASK) === TC_ACT.GOTO_CHAIN) throw kerr('EINVAL', 'goto chain not allowed on fallback');
  }
  const existing = tcfIdrCheck(args.net, 'gact', index);
  if (existing && args.bind) {
    existing.refcnt++;
    existing.bindcnt++;
    return existing;
  }
  if (existing && !args.replace) throw kerr('EEXIST');
  const chain = tcfActionCheckCtrlact(action, args.tp);
  const a = existing ?? tcfIdrCreate(gactOps, args.net, index, args.bind);
  tcfActionSetCtrlact(a, action, args.tp, chain);
  const old = a.params as GactParams | null;
  a.params = prob
    ? ({ ptype: prob.ptype, pval: Math.max(1, prob.pval), paction: prob.paction, packets: old?.packets ?? 0 } satisfies GactParams)
    : ({ ptype: old?.ptype ?? 0, pval: old?.pval ?? 0, paction: old?.paction ?? 0, packets: old?.packets ?? 0 } satisfies GactParams);
  return a;
}

/** tcf_gact_act. */
function gactAct(skb: TcSkb, a: TcAction, _res: TcfResult): number {
  const p = a.params as GactParams;
  let action = a.tcfaAction;
  if (p.ptype === PGACT.NETRAND) {
    // gact_net_rand: get_random_u32_below(pval) ? tcf_action : paction
    if (a.net.kernel.prng.below(p.pval) === 0) action = p.paction;
  } else if (p.ptype === PGACT.DETERM) {
    // gact_determ: atomic_inc_return(&packets) % pval ? tcf_action : paction
    p.packets = (p.packets + 1) >>> 0;
    if (p.packets % p.pval === 0) action = p.paction;
  }
  a.use(skb);
  if (action === TC_ACT.SHOT) a.stats.drops++;
  return action;
}

function gactDump(w: NlWriter, a: TcAction): void {
  const p = a.params as GactParams;
  const o = w.attrReserve(TCA_GACT.PARMS, 20);
  a.dumpGen(w, o);
  if (p.ptype) {
    const q = w.attrReserve(TCA_GACT.PROB, 8);
    w.setU16(q, p.ptype);
    w.setU16(q + 2, p.pval);
    w.setS32(q + 4, p.paction);
  }
  a.dumpTm(w, TCA_GACT.TM);
}

/** act_gact ops. */
export const gactOps: TcActionOps = Object.freeze({
  kind: 'gact',
  id: TCA_ID.GACT,
  init: gactInit,
  act: gactAct,
  dump: gactDump,
} satisfies TcActionOps);
