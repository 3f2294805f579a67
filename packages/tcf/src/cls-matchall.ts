// Models net/sched/cls_matchall.c (Linux 6.18): one filter per tcf_proto that
// matches every packet of its protocol, with a default classid (bound to the
// qdisc's class), an action list, gen flags (skip_sw needs an offloading
// device: EOPNOTSUPP here, as on a veth) and a per-filter hit counter.
import { kerr } from '@tcbpf/base';
import { TCA, TCA_CLS_FLAGS, TCA_MATCHALL } from '@tcbpf/uapi';
import { TcfExts } from './act-api.js';
import { tcfBindFilter, tcfUnbindFilter, type TcfChangeArgs, type TcfProto, type TcfProtoOps } from './cls-api.js';
import { TcfResult, type Qdisc, type TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';


/** struct cls_mall_head. */
export class MallHead {
  readonly handle: number;
  readonly res = new TcfResult();
  exts = new TcfExts();
  flags = 0;
  /** rhit, summed over CPUs. */
  rhit = 0;
  deleting = false;
  constructor(handle: number) {
    this.handle = handle;
  }
}

/** tc_flags_valid. */
function tcFlagsValid(flags: number): boolean {
  if (flags & ~(TCA_CLS_FLAGS.SKIP_HW | TCA_CLS_FLAGS.SKIP_SW)) return false;
  return (flags & (TCA_CLS_FLAGS.SKIP_HW | TCA_CLS_FLAGS.SKIP_SW)) !== (TCA_CLS_FLAGS.SKIP_HW | TCA_CLS_FLAGS.SKIP_SW);
}

function head(tp: TcfProto): MallHead | null {
  return tp.root as MallHead | null;
}

/** cls_matchall ops. */
export const matchallOps: TcfProtoOps = Object.freeze({
  kind: 'matchall',
  init(tp: TcfProto): void {
    tp.root = null;
  },
  destroy(tp: TcfProto): void {
    const h = head(tp);
    if (!h) return;
    tcfUnbindFilter(tp, h.res);
    h.exts.destroy();
    tp.root = null;
  },
  classify(skb: TcSkb, tp: TcfProto, res: TcfResult): number {
    const h = tp.root as MallHead | null;
    if (h === null || h.deleting || h.flags & TCA_CLS_FLAGS.SKIP_SW) return -1;
    res.classid = h.res.classid;
    res.cls = h.res.cls;
    h.rhit++;
    return h.exts.exec(skb, res);
  },
  get(tp: TcfProto, handle: number): unknown {
    const h = head(tp);
    return h && !h.deleting && h.handle === handle ? h : null;
  },
  change(tp: TcfProto, a: TcfChangeArgs): unknown {
    if (!a.tca.has(TCA.OPTIONS)) throw kerr('EINVAL');
    if (head(tp)) throw kerr('EEXIST');
    const tb = a.tca.nested(TCA.OPTIONS, TCA_MATCHALL.MAX);
    // mall_policy with a NULL extack
    if (tb.has(TCA_MATCHALL.CLASSID) && tb.len(TCA_MATCHALL.CLASSID) < 4) throw kerr('ERANGE');
    if (tb.has(TCA_MATCHALL.FLAGS) && tb.len(TCA_MATCHALL.FLAGS) < 4) throw kerr('ERANGE');
    let flags = 0;
    if (tb.has(TCA_MATCHALL.FLAGS)) {
      flags = tb.u32(TCA_MATCHALL.FLAGS);
      if (!tcFlagsValid(flags)) throw kerr('EINVAL');
    }
    const h = new MallHead(a.handle !== 0 ? a.handle : 1);
    h.exts = TcfExts.validate(a.net, tb, TCA_MATCHALL.ACT, tp, a.replaceActs, a.base);
    if (tb.has(TCA_MATCHALL.CLASSID)) {
      h.res.classid = tb.u32(TCA_MATCHALL.CLASSID);
      tcfBindFilter(tp, h.res, a.base);
    }
    if (flags & TCA_CLS_FLAGS.SKIP_SW) {
      // tc_setup_cb_add with err_stop and a bound device that cannot offload
      tcfUnbindFilter(tp, h.res);
      h.exts.destroy();
      throw kerr('EOPNOTSUPP');
    }
    h.flags = flags | TCA_CLS_FLAGS.NOT_IN_HW;
    tp.root = h;
    return h;
  },
  delete(tp: TcfProto, fh: unknown): boolean {
    const h = fh as MallHead;
    h.deleting = true;
    tcfUnbindFilter(tp, h.res);
    h.exts.destroy();
    tp.root = null;
    return true;
  },
  walk(tp: TcfProto): readonly unknown[] {
    const h = head(tp);
    return h && !h.deleting ? [h] : [];
  },
  dump(_tp: TcfProto, fh: unknown, w: NlWriter): number {
    const h = fh as MallHead;
    const n = w.nestStart(TCA.OPTIONS);
    if (h.res.classid) w.u32(TCA_MATCHALL.CLASSID, h.res.classid);
    if (h.flags) w.u32(TCA_MATCHALL.FLAGS, h.flags);
    w.u64(TCA_MATCHALL.PCNT, h.rhit);
    h.exts.dump(w, TCA_MATCHALL.ACT);
    w.nestEnd(n);
    return h.handle;
  },
  bindClass(tp: TcfProto, fh: unknown, classid: number, cl: unknown, _q: Qdisc | null, base: number): void {
    const h = fh as MallHead;
    if (h.res.classid !== classid) return;
    if (cl) tcfBindFilter(tp, h.res, base);
    else tcfUnbindFilter(tp, h.res);
  },
} satisfies TcfProtoOps);
