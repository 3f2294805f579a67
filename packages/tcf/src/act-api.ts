// Models net/sched/act_api.c (Linux 6.18): action objects with index, refcnt and
// bindcnt in per-kind IDRs, tcf_action_init (kinds resolved first, all-or-
// nothing), tcf_action_check_ctrlact, tcf_action_exec (PIPE, REPEAT, JUMP with
// its TTL, GOTO_CHAIN), dumps (tcf_action_dump_1) and the RTM_*ACTION handlers
// (add/replace/delete/get/flush/dump) with their notifications.
import { KernelError, kerr } from '@tcbpf/base';
import { NLM_F, RTM, TCA_ACT, TCA_ACT_FLAG, TCA_ROOT, TCA_STATS, TC_ACT } from '@tcbpf/uapi';
import { NlWriter, parseAttrs, type NlAttrs } from './nlattr.js';
import { parseNestedAt, TCF_ACTION_POLICY, type NlaPolicy } from '@tcbpf/netlink';
import { TcStats, type TcfResult, type TcSkb } from './sch-generic.js';
import type { TcfChain, TcfProto } from './cls-api.js';
import type { RtnlRequest, TcNet } from './kernel.js';

/** USER_HZ of clock_t values in tcf_t. */
const USER_HZ = 100;

/** Arguments of TcActionOps.init. */
export interface TcActionInitArgs {
  readonly net: TcNet;
  /** TCA_ACT_OPTIONS payload attributes (null when absent). */
  readonly opts: NlAttrs | null;
  /** Raw TCA_ACT_OPTIONS bytes region: `opts` re-parse with the kind's maxtype. */
  parse(maxtype: number): NlAttrs | null;
  readonly bind: boolean;
  readonly replace: boolean;
  readonly tp: TcfProto | null;
  /** TCA_ACT_FLAGS_AT_INGRESS: the filter's parent minor is TC_H_MIN_INGRESS (is_qdisc_ingress). */
  readonly atIngress: boolean;
  /** nla_parse_nested_deprecated(..., policy, extack) of TCA_ACT_OPTIONS: throws like the kernel's policy checks. */
  checkPolicy(policy: NlaPolicy): void;
}

/** struct tc_action_ops. */
export interface TcActionOps {
  readonly kind: string;
  readonly id: number;
  /**
   * Parse options and create or update. Returns the action: existing (bound as
   * is, or updated when replace) or a new one from `args.net.actionCreate`.
   * Must not modify an existing action before every check has passed.
   */
  init(args: TcActionInitArgs): TcAction;
  /** Hot path: returns a TC_ACT_* code; never throws. */
  act(skb: TcSkb, a: TcAction, res: TcfResult): number;
  /** Write the kind's attributes inside TCA_ACT_OPTIONS. */
  dump(w: NlWriter, a: TcAction): void;
  cleanup?(a: TcAction): void;
}

/** struct tc_action (struct tcf_common). */
export class TcAction {
  readonly ops: TcActionOps;
  readonly net: TcNet;
  index: number;
  refcnt = 1;
  bindcnt = 0;
  /** tcfa_action: the control verdict. */
  tcfaAction = TC_ACT.PIPE as number;
  /** tcfa_tm in jiffies. */
  install: number;
  lastuse: number;
  firstuse = 0;
  readonly stats = new TcStats();
  cookie: Uint8Array | null = null;
  flags = 0;
  gotoChain: TcfChain | null = null;
  /** Kind parameters (replaced as a whole on update, like the kernel's RCU params). */
  params: unknown = null;
  /** Whether this action is committed into the IDR. */
  inIdr = false;
  /** used_hw_stats_valid: set once a standalone dump walked it (then dumped everywhere). */
  usedHwStatsValid = false;

  constructor(ops: TcActionOps, net: TcNet, index: number) {
    this.ops = ops;
    this.net = net;
    this.index = index;
    this.install = this.lastuse = net.kernel.clock.jiffies();
  }

  /** tcf_lastuse_update + bstats update (hot path). */
  use(skb: TcSkb): void {
    const j = this.net.kernel.clock.jiffies();
    this.lastuse = j;
    if (this.firstuse === 0) this.firstuse = j;
    this.stats.bump(skb.len);
  }

  /** tc_gen prefix: index, capab, action, refcnt, bindcnt. */
  dumpGen(w: NlWriter, off: number): void {
    w.setU32(off, this.index);
    w.setU32(off + 4, 0);
    w.setS32(off + 8, this.tcfaAction);
    w.setS32(off + 12, this.refcnt);
    w.setS32(off + 16, this.bindcnt);
  }

  /** tcf_tm_dump: clock_t ticks since install/lastuse/firstuse. */
  dumpTm(w: NlWriter, type: number): void {
    const j = this.net.kernel.clock.jiffies();
    const p = w.attrReserve(type, 32);
    const toClock = (d: number): number => Math.floor((d * USER_HZ) / 1000);
    w.setU64(p, toClock(j - this.install));
    w.setU64(p + 8, toClock(j - this.lastuse));
    w.setU64(p + 16, 0);
    w.setU64(p + 24, this.firstuse ? toClock(j - this.firstuse) : 0);
  }
}

function idr(net: TcNet, kind: string): Map<number, TcAction> {
  let m = net.actions.get(kind);
  if (!m) {
    m = new Map();
    net.actions.set(kind, m);
  }
  return m;
}

/**
 * tcf_idr_check_alloc: the existing action for `index` (non-zero) or null; a
 * new index (lowest free ≥ 1) is only reserved when the action is committed.
 */
export function tcfIdrCheck(net: TcNet, kind: string, index: number): TcAction | null {
  if (index === 0) return null;
  return idr(net, kind).get(index) ?? null;
}

/** tcf_action_check_ctrlact: validate a control verdict; returns the goto chain index or -1. */
export function tcfActionCheckCtrlact(action: number, tp: TcfProto | null): number {
  const a = action | 0;
  const opcode = a & ~TC_ACT.EXT_VAL_MASK;
  let ok: boolean;
  if (opcode === 0) ok = a <= TC_ACT.VALUE_MAX;
  else ok = opcode <= TC_ACT.EXT_OPCODE_MAX || a === TC_ACT.UNSPEC;
  if (!ok) throw kerr('EINVAL', 'invalid control action');
  if (opcode === TC_ACT.GOTO_CHAIN) {
    if (!tp) throw kerr('EINVAL', "can't goto NULL proto/chain");
    return a & TC_ACT.EXT_VAL_MASK;
  }
  return -1;
}

/** Apply a new control verdict (tcf_action_set_ctrlact), taking a goto-chain reference. */
export function tcfActionSetCtrlact(a: TcAction, action: number, tp: TcfProto | null, chainIndex: number): void {
  const old = a.gotoChain;
  a.tcfaAction = action | 0;
  a.gotoChain = chainIndex >= 0 && tp ? tp.chain.block.chainGet(chainIndex, true, true) : null;
  if (old) old.block.chainPut(old, true, false);
}

/** A fresh action object (tcf_idr_create), not yet in the IDR. */
export function tcfIdrCreate(ops: TcActionOps, net: TcNet, index: number, bind: boolean): TcAction {
  const a = new TcAction(ops, net, index);
  a.bindcnt = bind ? 1 : 0;
  return a;
}

function idrInsert(a: TcAction): void {
  const m = idr(a.net, a.ops.kind);
  if (a.index === 0) {
    let i = 1;
    while (m.has(i)) i++;
    a.index = i;
  }
  m.set(a.index, a);
  a.inIdr = true;
}

/** tcf_action_put / __tcf_idr_release: drop one reference (and a binding). */
export function tcfActionRelease(a: TcAction, bind: boolean): void {
  if (bind) a.bindcnt--;
  a.refcnt--;
  if (a.refcnt <= 0) {
    if (a.inIdr) idr(a.net, a.ops.kind).delete(a.index);
    a.inIdr = false;
    if (a.gotoChain) a.gotoChain.block.chainPut(a.gotoChain, true, false);
    a.gotoChain = null;
    a.ops.cleanup?.(a);
  }
}

/** Parse one action nest at `off` with tcf_action_policy (and the request's extack, as the kernel passes it). */
function actionNestParse(net: TcNet, buf: Uint8Array, off: number): NlAttrs {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  parseNestedAt(buf, v, off, 0, TCF_ACTION_POLICY, 'deprecated', net.curExt);
  const len = v.getUint16(off, true);
  return parseAttrs(buf, off + 4, off + len, TCA_ACT.MAX);
}

/** A staged action of tcf_action_init: new (not in IDR yet) or existing. */
interface Staged {
  a: TcAction;
  created: boolean;
  /** Existing action that init bound or referenced (one reference taken). */
  held: boolean;
}

/**
 * tcf_action_init: the action list of a TCA_ACT_TAB / TCA_*_ACT nest. Orders
 * 1..32, stopping at the first missing one. Kinds are resolved first; any
 * failure undoes everything. Returns the actions in order (committed).
 */
export function tcfActionInit(net: TcNet, nest: NlAttrs, nestType: number, tp: TcfProto | null, bind: boolean, replace: boolean, atIngress = false): TcAction[] {
  const tb = nest.nested(nestType, TCA_ACT.MAX_PRIO);
  const nests: number[] = [];
  for (let i = 1; i <= TCA_ACT.MAX_PRIO; i++) {
    if (!tb.has(i)) break;
    nests.push(tb.at(i));
  }
  // resolve all kinds first (tc_action_load_ops)
  const parsed: { tb: NlAttrs; ops: TcActionOps }[] = [];
  for (const off of nests) {
    const atb = actionNestParse(net, tb.buf, off);
    if (!atb.has(TCA_ACT.KIND)) throw kerr('EINVAL', 'TC action kind must be specified');
    const kind = atb.str(TCA_ACT.KIND);
    if (kind.length >= 16) throw kerr('EINVAL', 'TC action name too long');
    const ops = net.kernel.actOps(kind);
    if (!ops) throw kerr('ENOENT', 'Failed to load TC action module');
    parsed.push({ tb: atb, ops });
  }
  const staged: Staged[] = [];
  try {
    for (const { tb: atb, ops } of parsed) {
      const opts = atb.has(TCA_ACT.OPTIONS) ? atb : null;
      const a = ops.init({
        net,
        opts,
        parse: (max) => (opts ? atb.nested(TCA_ACT.OPTIONS, max) : null),
        bind,
        replace,
        tp,
        atIngress,
        checkPolicy: (policy) => {
          if (!opts) return;
          const o = atb.at(TCA_ACT.OPTIONS);
          parseNestedAt(atb.buf, atb.view, o, 0, policy, 'deprecated', net.curExt);
        },
      });
      const created = !a.inIdr;
      staged.push({ a, created, held: !created && bind });
      if (atb.has(TCA_ACT.COOKIE) && !(bind && !created)) a.cookie = atb.data(TCA_ACT.COOKIE).slice();
      if (atb.has(TCA_ACT.FLAGS) && created) a.flags = atb.u32(TCA_ACT.FLAGS);
    }
  } catch (e) {
    for (const s of staged) {
      if (s.created) {
        if (s.a.gotoChain) s.a.gotoChain.block.chainPut(s.a.gotoChain, true, false);
        s.a.ops.cleanup?.(s.a);
      } else if (s.held) tcfActionRelease(s.a, bind);
    }
    throw e;
  }
  for (const s of staged) if (s.created) idrInsert(s.a);
  return staged.map((s) => s.a);
}

/** Write one action (tcf_action_dump_1). */
export function tcfActionDump1(w: NlWriter, a: TcAction, fromWalker: boolean): void {
  if (fromWalker) a.usedHwStatsValid = true;
  const usedHwStats = a.usedHwStatsValid;
  w.str(TCA_ACT.KIND, a.ops.kind);
  const s = w.nestStart(TCA_ACT.STATS);
  const b = w.attrReserve(TCA_STATS.BASIC, 16);
  w.setU64(b, a.stats.bytes);
  w.setU32(b + 8, a.stats.packets);
  w.attrReserve(TCA_STATS.BASIC_HW, 16);
  const q = w.attrReserve(TCA_STATS.QUEUE, 20);
  w.setU32(q + 8, a.stats.drops);
  w.setU32(q + 16, a.stats.overlimits);
  w.nestEnd(s);
  if (a.cookie) w.attr(TCA_ACT.COOKIE, a.cookie);
  if (usedHwStats) {
    const p = w.attrReserve(TCA_ACT.USED_HW_STATS, 8);
    w.setU32(p, 0);
    w.setU32(p + 4, 3);
  }
  if (a.flags) {
    const p = w.attrReserve(TCA_ACT.FLAGS, 8);
    w.setU32(p, a.flags);
    w.setU32(p + 4, a.flags);
  }
  w.u32(TCA_ACT.IN_HW_COUNT, 0);
  const o = w.nestStart(TCA_ACT.OPTIONS);
  a.ops.dump(w, a);
  w.nestEnd(o);
}

/** tcf_action_dump: nests numbered from `first`. */
export function tcfActionDump(w: NlWriter, actions: readonly TcAction[], first: number, usedHwStats: boolean): void {
  for (let i = 0; i < actions.length; i++) {
    const n = w.nestStart(first + i);
    tcfActionDump1(w, actions[i]!, usedHwStats);
    w.nestEnd(n);
  }
}

/**
 * tcf_action_exec: run an action list. JUMP restarts at the first action and
 * skips n (TTL 32); REPEAT re-runs (no limit); GOTO_CHAIN stores the chain.
 * Hot path: no allocation, never throws.
 */
export function tcfActionExec(skb: TcSkb, actions: readonly TcAction[], res: TcfResult): number {
  const n = actions.length;
  let jmpSkip = 0;
  let ttl = 32;
  let ret: number = TC_ACT.OK;
  restart: for (;;) {
    for (let i = 0; i < n; i++) {
      if (jmpSkip > 0) {
        jmpSkip--;
        continue;
      }
      const a = actions[i]!;
      do {
        ret = a.ops.act(skb, a, res);
      } while (ret === TC_ACT.REPEAT);
      const obs = a.net.observer;
      if (obs !== null) obs.action(a, skb, ret);
      const opcode = ret & ~TC_ACT.EXT_VAL_MASK;
      if (opcode === TC_ACT.JUMP) {
        jmpSkip = ret & 0x1ff;
        if (jmpSkip === 0 || jmpSkip > n) return TC_ACT.OK;
        if (--ttl === 0) return TC_ACT.OK;
        continue restart;
      } else if (opcode === TC_ACT.GOTO_CHAIN) {
        if (a.gotoChain === null) return TC_ACT.SHOT;
        res.gotoChain = a.gotoChain;
      }
      if (ret !== TC_ACT.PIPE) break;
    }
    return ret;
  }
}

/** struct tcf_exts of a filter: its action list. */
export class TcfExts {
  actions: TcAction[] = [];

  /** tcf_exts_validate: actions from the classifier's action attribute (bind = 1). */
  static validate(net: TcNet, opts: NlAttrs, actType: number, tp: TcfProto, replace: boolean, base: number): TcfExts {
    const e = new TcfExts();
    if (opts.has(actType)) e.actions = tcfActionInit(net, opts, actType, tp, true, replace, (base & 0xffff) === 0xfff2);
    return e;
  }
  /** tcf_exts_exec: TC_ACT_OK with no actions. */
  exec(skb: TcSkb, res: TcfResult): number {
    return this.actions.length === 0 ? TC_ACT.OK : tcfActionExec(skb, this.actions, res);
  }
  /** tcf_exts_dump into attribute `type`. */
  dump(w: NlWriter, type: number): void {
    if (this.actions.length === 0) return;
    const n = w.nestStart(type);
    tcfActionDump(w, this.actions, 1, false);
    w.nestEnd(n);
  }
  /** tcf_exts_destroy: unbind every action. */
  destroy(): void {
    for (const a of this.actions) tcfActionRelease(a, true);
    this.actions = [];
  }
}

// ------------------------------------------------------------------ rtnetlink

function tcaGetFill(w: NlWriter, actions: readonly TcAction[], portid: number, seq: number, flags: number, event: number, warning = ''): void {
  const m = w.msgStart(event, flags, seq, portid);
  w.zeros(4);
  const tab = w.nestStart(TCA_ROOT.TAB);
  tcfActionDump(w, actions, 1, false);
  w.nestEnd(tab);
  if (warning !== '') w.str(TCA_ROOT.EXT_WARN_MSG, warning);
  w.msgEnd(m);
}

/** RTM_NEWACTION / RTM_DELACTION / RTM_GETACTION (tc_ctl_action). */
export function tcCtlAction(net: TcNet, req: RtnlRequest): void {
  const ca = parseAttrs(req.msg, 20, req.msg.length, TCA_ROOT.MAX);
  if (!ca.has(TCA_ROOT.TAB)) throw kerr('EINVAL', 'Netlink action attributes missing');
  if (req.type === RTM.NEWACTION) {
    const before = new Set<TcAction>();
    for (const m of net.actions.values()) for (const a of m.values()) before.add(a);
    const acts = tcfActionInit(net, ca, TCA_ROOT.TAB, null, false, (req.flags & NLM_F.REPLACE) !== 0);
    // replaced actions are still held by tcf_idr_check_alloc while the notification is built
    const held = acts.filter((a) => before.has(a));
    for (const a of held) a.refcnt++;
    const w = new NlWriter();
    tcaGetFill(w, acts, req.portid, req.seq, req.flags, RTM.NEWACTION, req.warning);
    for (const a of held) a.refcnt--;
    const b = w.bytes();
    req.notify(b);
    if (req.flags & NLM_F.ECHO) req.unicast(b);
    return;
  }
  if (req.isDump) {
    tcDumpAction(net, req, ca);
    return;
  }
  const tb = ca.nested(TCA_ROOT.TAB, TCA_ACT.MAX_PRIO);
  if (req.type === RTM.DELACTION && req.flags & NLM_F.ROOT) {
    tcaActionFlush(net, req, tb);
    return;
  }
  const found: TcAction[] = [];
  for (let i = 1; i <= TCA_ACT.MAX_PRIO; i++) {
    if (!tb.has(i)) break;
    const atb = actionNestParse(net, tb.buf, tb.at(i));
    if (!atb.has(TCA_ACT.INDEX)) throw kerr('EINVAL', 'Action index attribute missing');
    const index = atb.u32(TCA_ACT.INDEX);
    const ops = atb.has(TCA_ACT.KIND) ? net.kernel.actOps(atb.str(TCA_ACT.KIND)) : undefined;
    if (!ops) throw kerr('EINVAL', 'Specified TC action kind not found');
    const a = tcfIdrCheck(net, ops.kind, index);
    if (!a) throw kerr('ENOENT', 'TC action with specified index not found');
    found.push(a);
  }
  if (found.length === 0) throw kerr('EINVAL', 'Netlink action attributes missing');
  if (req.type === RTM.GETACTION) {
    const w = new NlWriter();
    tcaGetFill(w, found, req.portid, req.seq, 0, RTM.GETACTION);
    req.unicast(w.bytes());
    return;
  }
  // tcf_del_notify: message first, then every deletion must be allowed
  for (const a of found) if (a.bindcnt > 0) throw kerr('EPERM', 'Failed to delete TC action');
  const w = new NlWriter();
  for (const a of found) a.refcnt--; // dumped as after the release
  tcaGetFill(w, found, req.portid, req.seq, 0, RTM.DELACTION);
  for (const a of found) a.refcnt++;
  const b = w.bytes();
  for (const a of found) tcfActionRelease(a, false);
  req.notify(b);
  if (req.flags & NLM_F.ECHO) req.unicast(b);
}

function tcaActionFlush(net: TcNet, req: RtnlRequest, tb: NlAttrs): void {
  if (!tb.has(1)) throw kerr('EINVAL', 'Netlink action attributes missing');
  const atb = actionNestParse(net, tb.buf, tb.at(1));
  const ops = atb.has(TCA_ACT.KIND) ? net.kernel.actOps(atb.str(TCA_ACT.KIND)) : undefined;
  if (!ops) throw kerr('EINVAL', 'Cannot flush unknown TC action');
  const m = idr(net, ops.kind);
  let n = 0;
  // tcf_del_walker: bound actions are skipped (tcf_idr_release_unsafe -EPERM) with a warning
  for (const a of [...m.values()].sort((x, y) => x.index - y.index)) {
    if (a.bindcnt > 0) {
      req.warning = 'Unable to flush all TC actions';
      continue;
    }
    tcfActionRelease(a, false);
    n++;
  }
  if (n === 0) return;
  const w = new NlWriter();
  const msg = w.msgStart(RTM.DELACTION, NLM_F.ROOT, req.seq, req.portid);
  w.zeros(4);
  const tab = w.nestStart(TCA_ROOT.TAB);
  const nest = w.nestStart(0);
  w.str(TCA_ACT.KIND, ops.kind);
  w.u32(6 /* TCA_FCNT */, n);
  w.nestEnd(nest);
  w.nestEnd(tab);
  w.msgEnd(msg);
  const b = w.bytes();
  req.notify(b);
  if (req.flags & NLM_F.ECHO) req.unicast(b);
}

function tcDumpAction(net: TcNet, req: RtnlRequest, ca: NlAttrs): void {
  const tb = ca.nested(TCA_ROOT.TAB, TCA_ACT.MAX_PRIO);
  if (!tb.has(1)) return;
  const atb = parseAttrs(tb.buf, tb.at(1) + 4, tb.at(1) + tb.len(1) + 4, TCA_ACT.MAX);
  const ops = atb.has(TCA_ACT.KIND) ? net.kernel.actOps(atb.str(TCA_ACT.KIND)) : undefined;
  if (!ops) return;
  const list = [...idr(net, ops.kind).values()].sort((x, y) => x.index - y.index);
  if (list.length === 0) return;
  // TCA_ROOT_FLAGS (bitfield32, value & selector): with LARGE_DUMP_ON a message holds as many
  // actions as fit and TCA_ROOT_COUNT says how many; without it at most TCA_ACT_MAX_PRIO per
  // message and the count stays 0 (tcf_dump_walker, tc_dump_action)
  let actFlags = 0;
  if (ca.has(TCA_ROOT.FLAGS) && ca.len(TCA_ROOT.FLAGS) >= 8) {
    const d = ca.data(TCA_ROOT.FLAGS);
    const v = new DataView(d.buffer, d.byteOffset, 8);
    actFlags = v.getUint32(0, true) & v.getUint32(4, true); // host (little-endian) order
  }
  const large = (actFlags & TCA_ACT_FLAG.LARGE_DUMP_ON) !== 0;
  const per = large ? list.length : TCA_ACT.MAX_PRIO;
  for (let at = 0; at < list.length; at += per) {
    const part = list.slice(at, at + per);
    const w = new NlWriter();
    const m = w.msgStart(RTM.GETACTION, NLM_F.MULTI, req.seq, req.portid);
    w.zeros(4);
    w.u32(TCA_ROOT.COUNT, large ? part.length : 0);
    const tab = w.nestStart(TCA_ROOT.TAB);
    tcfActionDump(w, part, 0, true);
    w.nestEnd(tab);
    w.msgEnd(m);
    req.unicast(w.bytes());
  }
}

export { KernelError };
