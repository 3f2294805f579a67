// Models net/sched/act_mirred.c (Linux 6.18): redirect or mirror to a device's
// egress or ingress, the nesting limit (MIRRED_NEST_LIMIT 4), overlimits on a
// missing/down target, and the tc_mirred dump.
import { kerr } from '@tcbpf/base';
import { MIRRED_POLICY } from '@tcbpf/netlink';
import { TCA_ID, TCA_MIRRED, TCA_MIRRED_EACTION, TC_ACT } from '@tcbpf/uapi';
import { tcfActionCheckCtrlact, tcfActionSetCtrlact, tcfIdrCheck, tcfIdrCreate, type TcAction, type TcActionInitArgs, type TcActionOps } from './act-api.js';
import type { TcfResult, TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';
import { TC_ACT_CONSUMED } from './dev-core.js';

/** MIRRED_NEST_LIMIT. */
export const MIRRED_NEST_LIMIT = 4;

/** Parameters of one mirred action. */
export interface MirredParams {
  readonly eaction: number;
  readonly ifindex: number;
}

function isRedirect(e: number): boolean {
  return e === TCA_MIRRED_EACTION.EGRESS_REDIR || e === TCA_MIRRED_EACTION.INGRESS_REDIR;
}

function mirredInit(args: TcActionInitArgs): TcAction {
  const tb = args.parse(TCA_MIRRED.MAX);
  if (!tb) throw kerr('EINVAL', 'act_mirred: Mirred requires attributes to be passed');
  args.checkPolicy(MIRRED_POLICY);
  if (!tb.has(TCA_MIRRED.PARMS)) throw kerr('EINVAL', 'act_mirred: Missing required mirred parameters');
  const d = tb.data(TCA_MIRRED.PARMS);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const index = v.getUint32(0, true);
  const action = v.getInt32(8, true);
  const eaction = v.getInt32(20, true);
  const ifindex = v.getUint32(24, true);
  const existing = tcfIdrCheck(args.net, 'mirred', index);
  if (existing && args.bind) {
    existing.refcnt++;
    existing.bindcnt++;
    return existing;
  }
  if (eaction < 1 || eaction > 4) throw kerr('EINVAL', 'act_mirred: Unknown mirred option');
  if (!existing && ifindex === 0) throw kerr('EINVAL', 'act_mirred: Must specify device or block');
  if (existing && !args.replace) throw kerr('EEXIST');
  const chain = tcfActionCheckCtrlact(action, args.tp);
  if (ifindex !== 0 && !args.net.devs.has(ifindex)) throw kerr('ENODEV');
  const a = existing ?? tcfIdrCreate(mirredOps, args.net, index, args.bind);
  tcfActionSetCtrlact(a, action, args.tp, chain);
  a.params = { eaction, ifindex: ifindex !== 0 ? ifindex : (a.params as MirredParams | null)?.ifindex ?? 0 } satisfies MirredParams;
  return a;
}

function mirredAct(skb: TcSkb, a: TcAction, _res: TcfResult): number {
  const net = a.net;
  if (net.mirredNest >= MIRRED_NEST_LIMIT) return TC_ACT.SHOT;
  const p = a.params as MirredParams;
  a.use(skb);
  let retval = a.tcfaAction;
  const dev = net.devs.get(p.ifindex);
  const redirect = isRedirect(p.eaction);
  if (!dev || !dev.up) {
    a.stats.overlimits++;
    return redirect ? TC_ACT.SHOT : retval;
  }
  const toIngress = p.eaction === TCA_MIRRED_EACTION.INGRESS_REDIR || p.eaction === TCA_MIRRED_EACTION.INGRESS_MIRROR;
  const atIngress = net.atIngress;
  // ingress redirect with a consuming verdict forwards the original (TC_ACT_CONSUMED)
  const useOrig = redirect && atIngress && (retval === TC_ACT.SHOT || retval === TC_ACT.STOLEN || retval === TC_ACT.QUEUED || retval === TC_ACT.TRAP);
  const out = useOrig ? skb : skb.copy();
  net.mirredNest++;
  const ok = net.datapath.mirredForward(out, dev, toIngress, atIngress);
  net.mirredNest--;
  if (!ok) {
    a.stats.overlimits++;
    if (redirect) retval = TC_ACT.SHOT;
  }
  if (useOrig) return TC_ACT_CONSUMED;
  return retval;
}

function mirredDump(w: NlWriter, a: TcAction): void {
  const p = a.params as MirredParams;
  const o = w.attrReserve(TCA_MIRRED.PARMS, 28);
  a.dumpGen(w, o);
  w.setS32(o + 20, p.eaction);
  w.setU32(o + 24, p.ifindex);
  a.dumpTm(w, TCA_MIRRED.TM);
}

/** act_mirred ops. */
export const mirredOps: TcActionOps = Object.freeze({
  kind: 'mirred',
  id: TCA_ID.MIRRED,
  init: mirredInit,
  act: mirredAct,
  dump: mirredDump,
} satisfies TcActionOps);
