// Models net/sched/cls_matchall.c (Linux 6.18): one filter per tcf_proto that
// matches every packet of its protocol, with a default classid (bound to the
// qdisc's class), an action list, gen flags (skip_sw needs an offloading
// device: EOPNOTSUPP here, as on a veth) and a per-filter hit counter.
import { kerr } from '@tcbpf/base';
import { TCA, TCA_CLS_FLAGS, TCA_MATCHALL } from '@tcbpf/uapi';
import { TcfExts, type TcAction } from './act-api.js';
import { kerrFromCode, tcSetupCbAdd, tcSetupCbDestroy, type FlowSetupCb } from './flow-offload.js';
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
  inHwCount = 0;
  deleting = false;
  constructor(handle: number) {
    this.handle = handle;
  }
}

/** struct tc_cls_matchall_offload, what drivers' TC_SETUP_CLSMATCHALL callbacks receive. */
export interface ClsMatchallOffload {
  readonly command: 'replace' | 'destroy' | 'stats';
  readonly cookie: MallHead;
  readonly chainIndex: number;
  readonly protocol: number;
  readonly prio: number;
  readonly classid: number;
  readonly actions: readonly TcAction[];
}

function mallOffload(tp: TcfProto, h: MallHead, command: ClsMatchallOffload['command']): ClsMatchallOffload {
  return { command, cookie: h, chainIndex: tp.chain.index, protocol: tp.protocol, prio: tp.prio >>> 16, classid: h.res.classid, actions: h.exts.actions };
}

/** mall_destroy_hw_filter. */
function mallDestroyHw(tp: TcfProto, h: MallHead): void {
  const hw = { flags: h.flags, inHwCount: h.inHwCount };
  tcSetupCbDestroy(tp.chain.block, tp, 'clsmatchall', mallOffload(tp, h, 'destroy'), false, hw);
  h.flags = hw.flags;
  h.inHwCount = hw.inHwCount;
}

/** mall_replace_hw_filter: 0 or a negative errno. */
function mallReplaceHw(tp: TcfProto, h: MallHead): number {
  const skipSw = (h.flags & TCA_CLS_FLAGS.SKIP_SW) !== 0;
  const hw = { flags: h.flags, inHwCount: h.inHwCount };
  const err = tcSetupCbAdd(tp.chain.block, tp, 'clsmatchall', mallOffload(tp, h, 'replace'), skipSw, hw);
  h.flags = hw.flags;
  h.inHwCount = hw.inHwCount;
  if (err) {
    mallDestroyHw(tp, h);
    return err;
  }
  if (skipSw && !(h.flags & TCA_CLS_FLAGS.IN_HW)) return -22;
  return 0;
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
    if (!(h.flags & TCA_CLS_FLAGS.SKIP_HW)) mallDestroyHw(tp, h);
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
    h.flags = flags;
    if (!(flags & TCA_CLS_FLAGS.SKIP_HW)) {
      const err = mallReplaceHw(tp, h);
      if (err && flags & TCA_CLS_FLAGS.SKIP_SW) {
        tcfUnbindFilter(tp, h.res);
        h.exts.destroy();
        throw kerrFromCode(err);
      }
    }
    if (!(h.flags & TCA_CLS_FLAGS.IN_HW)) h.flags |= TCA_CLS_FLAGS.NOT_IN_HW;
    tp.root = h;
    return h;
  },
  delete(tp: TcfProto, fh: unknown): boolean {
    const h = fh as MallHead;
    if (!(h.flags & TCA_CLS_FLAGS.SKIP_HW)) mallDestroyHw(tp, h);
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
  reoffload(tp: TcfProto, add: boolean, cb: FlowSetupCb): void {
    const h = head(tp);
    if (!h || h.flags & TCA_CLS_FLAGS.SKIP_HW) return;
    // tc_setup_cb_reoffload
    const err = cb('clsmatchall', mallOffload(tp, h, add ? 'replace' : 'destroy'));
    if (err) {
      if (add && h.flags & TCA_CLS_FLAGS.SKIP_SW) throw kerr('EOPNOTSUPP');
      return;
    }
    const off = tp.chain.block.offload;
    if (add) {
      if (!h.inHwCount && !(h.flags & TCA_CLS_FLAGS.IN_HW)) {
        h.flags |= TCA_CLS_FLAGS.IN_HW;
        off.offloadcnt++;
      }
      h.inHwCount++;
    } else {
      h.inHwCount--;
      if (!h.inHwCount && h.flags & TCA_CLS_FLAGS.IN_HW) {
        h.flags &= ~TCA_CLS_FLAGS.IN_HW;
        off.offloadcnt--;
      }
    }
  },
  bindClass(tp: TcfProto, fh: unknown, classid: number, cl: unknown, _q: Qdisc | null, base: number): void {
    const h = fh as MallHead;
    if (h.res.classid !== classid) return;
    if (cl) tcfBindFilter(tp, h.res, base);
    else tcfUnbindFilter(tp, h.res);
  },
} satisfies TcfProtoOps);
