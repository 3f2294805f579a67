// The observation points of the tc datapath, where Linux 6.18 offers tracing
// (tracepoints / fentry on tcf_classify's classifier calls in net/sched/cls_api.c
// and on tcf_action_exec's per-action calls in net/sched/act_api.c). No kernel
// behaviour: an optional observer set on a TcNet sees each classifier run with
// its result and each action run with its verdict. Calls allocate nothing.
import type { TcAction } from './act-api.js';
import type { TcfProto } from './cls-api.js';
import type { TcSkb, TcfResult } from './sch-generic.js';

/**
 * Receives the datapath's classify and action events of one namespace
 * (`TcNet.observer`). Called synchronously, in execution order: an action's
 * event comes before the event of the filter that ran it (a filter's result is
 * known once its actions have run). Must not throw.
 */
export interface TcObserver {
  /** A classifier (one tcf_proto) ran: its TC_ACT_* result (-1 UNSPEC: no match, next filter) and the result's classid. */
  filter(tp: TcfProto, skb: TcSkb, result: number, res: TcfResult): void;
  /** One action ran (after any TC_ACT_REPEAT): its TC_ACT_* verdict. */
  action(a: TcAction, skb: TcSkb, verdict: number): void;
}
