// Models net/sched/cls_bpf.c (Linux 6.18): the "bpf" classifier. Per tcf_proto a
// list of programs (newest created first; a replace keeps its slot) and a handle
// IDR (lowest free id in [1, INT_MAX]); classic programs from TCA_BPF_OPS/OPS_LEN
// (kept verbatim for dumps), the direct-action verdict sanitisation, the
// classid rules, actions run only without direct-action, the MAC header pushed
// back at ingress, gen flags with the TC_SETUP_CLSBPF offload hook, and the
// refusal errors (bare errno: bpf_policy is parsed with a NULL extack).
// eBPF programs by fd (cls_bpf_prog_from_efd, bpf_prog_get_type_dev) resolved in
// the bpf() instance passed to createClsBpfOps, run on the skb with
// @tcbpf/bpf-skb's SkbRunState; TC_ACT_REDIRECT goes through skb_do_redirect
// (net/core/filter.c) installed on the TcNet; bpf_redirect_peer switches to the
// peer device's ingress (skb_do_redirect's peer branch). The filter holds a
// reference on its eBPF program (bpf_prog_get_type_dev / bpf_prog_put), so the
// program and its maps outlive close(fd) of the loader.
// Programs run JITed (@tcbpf/jit) when the instance's bpf_jit_enable is set at
// load (eBPF: at attach here) or creation (classic, converted to eBPF like
// bpf_migrate_filter), on the interpreters otherwise.
import { KernelError, kerr } from '@tcbpf/base';
import { ClassicFilter, decodeSockFilters, type ClassicEnv } from '@tcbpf/cbpf';
import { AddressSpace, BpfSyscall, REGION, RUN_STATUS, type BpfProg } from '@tcbpf/ebpf';
import { JitRuntime, type ClassicJitRuntime } from '@tcbpf/jit';
import { SkbRunState, TcBpfSyscall } from '@tcbpf/bpf-skb';
import { HOOK, SkBuff } from '@tcbpf/skb';
import {
  TcfExts,
  TcfResult,
  kerrFromCode,
  tcSetupCbAdd,
  tcSetupCbDestroy,
  tcSetupCbReplace,
  tcSetupCbStats,
  tcfBindFilter,
  tcfUnbindFilter,
  type FlowSetupCb,
  type NlAttrs,
  type NlWriter,
  type Qdisc,
  type TcAction,
  type TcSkb,
  type TcfChangeArgs,
  type TcfProto,
  type TcfProtoOps,
  type TcNet,
} from '@tcbpf/tcf';
import { BPF_PROG_TYPE, TCA, TCA_BPF, TCA_BPF_FLAG, TCA_CLS_FLAGS, TC_ACT, TC_H } from '@tcbpf/uapi';

/** BPF_MAXINSNS: the largest classic program. */
export const CLS_BPF_MAX_OPS = 4096;
/** CLS_BPF_NAME_LEN: TCA_BPF_NAME policy length. */
export const CLS_BPF_NAME_LEN = 256;
/** CLS_BPF_SUPPORTED_GEN_FLAGS: SKIP_HW | SKIP_SW. */
export const CLS_BPF_SUPPORTED_GEN_FLAGS = TCA_CLS_FLAGS.SKIP_HW | TCA_CLS_FLAGS.SKIP_SW;
/** Largest handle the allocator hands out (INT_MAX, inclusive). */
export const CLS_BPF_HANDLE_MAX = 0x7fffffff;

/** struct cls_bpf_prog. */
export class ClsBpfProg {
  readonly handle: number;
  readonly res = new TcfResult();
  exts = new TcfExts();
  /** exts_integrated: direct-action. */
  readonly extsIntegrated: boolean;
  genFlags: number;
  inHwCount = 0;
  /** The user's sock_filter array, verbatim (bpf_ops); null for an eBPF program. */
  readonly ops: Uint8Array | null;
  /** The classic program on the classic interpreter (bpf_jit_enable=0); null otherwise. */
  readonly filter: ClassicFilter | null;
  /** The classic program converted to eBPF and handed to the JIT (bpf_jit_enable=1); null otherwise. */
  converted: BpfProg | null = null;
  /** prog->jited: the program runs compiled (what `tc filter show` prints as "jited" for eBPF). */
  jited = false;
  /** The eBPF program taken by fd (the filter's reference); null for a classic program. */
  readonly ebpf: BpfProg | null;
  /** bpf_name: the TCA_BPF_NAME string with its NUL, as dumped (nla_put_string); null when absent. */
  readonly bpfName: Uint8Array | null;

  constructor(handle: number, extsIntegrated: boolean, genFlags: number, ops: Uint8Array | null, filter: ClassicFilter | null, ebpf: BpfProg | null = null, bpfName: Uint8Array | null = null) {
    this.handle = handle;
    this.extsIntegrated = extsIntegrated;
    this.genFlags = genFlags;
    this.ops = ops;
    this.filter = filter;
    this.ebpf = ebpf;
    this.bpfName = bpfName;
  }
}

/** struct cls_bpf_head. */
export class ClsBpfHead {
  /** plist, in classification (and dump) order. */
  readonly list: ClsBpfProg[] = [];
  /** handle_idr. */
  readonly handles = new Map<number, ClsBpfProg>();
}

/** struct tc_cls_bpf_offload with command TC_CLSBPF_STATS: sent to the block's callbacks before a filter is dumped. */
export interface ClsBpfStatsRequest {
  readonly command: 'stats';
  readonly prog: ClsBpfProg;
  readonly chainIndex: number;
  readonly protocol: number;
}

/** struct tc_cls_bpf_offload (command TC_CLSBPF_OFFLOAD), what TC_SETUP_CLSBPF callbacks receive. */
export interface ClsBpfOffload {
  readonly command: 'offload';
  readonly prog: ClsBpfProg | null;
  readonly oldprog: ClsBpfProg | null;
  readonly chainIndex: number;
  readonly protocol: number;
  readonly prio: number;
  readonly actions: readonly TcAction[];
  readonly extsIntegrated: boolean;
}

/** Options of {@link createClsBpfOps}. */
export interface ClsBpfOptions {
  /**
   * The JIT of this kernel instance. A JitRuntime (built on `bpf`) is used as is and
   * its `enable` is net.core.bpf_jit_enable; `true` (default) builds one on first
   * use (on `bpf`, or on a private bpf() instance for classic programs only);
   * `false` runs every program on the interpreters.
   */
  readonly jit?: boolean | JitRuntime;
  /**
   * The bpf() instance TCA_BPF_FD is resolved in (e.g. `tcBpfSyscall()` of
   * @tcbpf/bpf-skb). Without it eBPF filters are refused with EBADF (no fd is valid).
   */
  readonly bpf?: BpfSyscall;
}

/** What `tc filter show` reads about an eBPF program through BPF_OBJ_GET_INFO_BY_FD (bpf_dump_prog_info). */
export interface ClsBpfProgShow {
  readonly id: number;
  readonly name: string;
  readonly tag: string;
  /** jited_prog_len != 0. */
  readonly jited: boolean;
}

/** The cls_bpf ops table plus the instance's runtime selection. */
export interface ClsBpfOps extends TcfProtoOps {
  /** The JIT programs are compiled with (null: interpreters only); built on first use with `jit: true`. */
  readonly jitRuntime: JitRuntime | null;
  /** BPF_PROG_GET_FD_BY_ID + BPF_OBJ_GET_INFO_BY_FD for `tc filter show`; undefined when no such program. */
  progShow(id: number): ClsBpfProgShow | undefined;
}

function head(tp: TcfProto): ClsBpfHead {
  return tp.root as ClsBpfHead;
}

/** cls_bpf_exec_opcode: the verdicts a direct-action program may return; the rest become UNSPEC. */
function execOpcode(code: number): number {
  switch (code) {
    case TC_ACT.OK:
    case TC_ACT.SHOT:
    case TC_ACT.STOLEN:
    case TC_ACT.TRAP:
    case TC_ACT.REDIRECT:
    case TC_ACT.UNSPEC:
      return code;
    default:
      return TC_ACT.UNSPEC;
  }
}

function tcFlagsValid(flags: number): boolean {
  if (flags & ~CLS_BPF_SUPPORTED_GEN_FLAGS) return false;
  return (flags & CLS_BPF_SUPPORTED_GEN_FLAGS) !== CLS_BPF_SUPPORTED_GEN_FLAGS;
}

/** Minimum payload length (NLA_U16/NLA_U32) per TCA_BPF_* type; 0 = none. */
const MIN_LEN: Readonly<Record<number, number>> = Object.freeze({
  [TCA_BPF.CLASSID]: 4,
  [TCA_BPF.OPS_LEN]: 2,
  [TCA_BPF.FD]: 4,
  [TCA_BPF.FLAGS]: 4,
  [TCA_BPF.FLAGS_GEN]: 4,
});

/** bpf_policy, validated in attribute order like nla_parse (first failure wins). */
function validatePolicy(tb: NlAttrs): void {
  const present: number[] = [];
  for (let t = 1; t <= TCA_BPF.MAX; t++) if (tb.has(t)) present.push(t);
  present.sort((a, b) => tb.at(a) - tb.at(b));
  for (const t of present) {
    const len = tb.len(t);
    const min = MIN_LEN[t] ?? 0;
    if (min && len < min) throw kerr('ERANGE');
    if (t === TCA_BPF.OPS && len > CLS_BPF_MAX_OPS * 8) throw kerr('ERANGE');
    if (t === TCA_BPF.NAME) {
      const d = tb.data(t);
      if (d.length === 0 || d.length > CLS_BPF_NAME_LEN + 1) throw kerr('EINVAL');
      const z = d.indexOf(0);
      if (z < 0 || z > CLS_BPF_NAME_LEN) throw kerr('EINVAL');
    }
  }
}

function offloadData(tp: TcfProto, prog: ClsBpfProg | null, oldprog: ClsBpfProg | null): ClsBpfOffload {
  const obj = (prog ?? oldprog)!;
  return { command: 'offload', prog, oldprog, chainIndex: tp.chain.index, protocol: tp.protocol, prio: tp.prio >>> 16, actions: obj.exts.actions, extsIntegrated: obj.extsIntegrated };
}

/** cls_bpf_offload_cmd: 0 or a negative errno. */
function offloadCmd(tp: TcfProto, prog: ClsBpfProg | null, oldprog: ClsBpfProg | null, rollback: boolean): number {
  const skipSw = prog !== null && (prog.genFlags & TCA_CLS_FLAGS.SKIP_SW) !== 0;
  const block = tp.chain.block;
  const data = offloadData(tp, prog, oldprog);
  let err: number;
  if (prog && oldprog) {
    const o = { flags: oldprog.genFlags, inHwCount: oldprog.inHwCount };
    const n = { flags: prog.genFlags, inHwCount: prog.inHwCount };
    err = tcSetupCbReplace(block, tp, 'clsbpf', data, skipSw, o, n);
    oldprog.genFlags = o.flags;
    oldprog.inHwCount = o.inHwCount;
    prog.genFlags = n.flags;
    prog.inHwCount = n.inHwCount;
  } else if (prog) {
    const n = { flags: prog.genFlags, inHwCount: prog.inHwCount };
    err = tcSetupCbAdd(block, tp, 'clsbpf', data, skipSw, n);
    prog.genFlags = n.flags;
    prog.inHwCount = n.inHwCount;
  } else {
    const o = { flags: oldprog!.genFlags, inHwCount: oldprog!.inHwCount };
    err = tcSetupCbDestroy(block, tp, 'clsbpf', data, skipSw, o);
    oldprog!.genFlags = o.flags;
    oldprog!.inHwCount = o.inHwCount;
  }
  if (prog && err) {
    if (!rollback) offloadCmd(tp, oldprog, prog, true);
    return err;
  }
  if (prog && skipSw && !(prog.genFlags & TCA_CLS_FLAGS.IN_HW)) return -22;
  return 0;
}

/** cls_bpf_offload. */
function offload(tp: TcfProto, prog: ClsBpfProg | null, oldprog: ClsBpfProg | null): number {
  if (prog && oldprog && (prog.genFlags & CLS_BPF_SUPPORTED_GEN_FLAGS) !== (oldprog.genFlags & CLS_BPF_SUPPORTED_GEN_FLAGS)) return -22;
  const p = prog && prog.genFlags & TCA_CLS_FLAGS.SKIP_HW ? null : prog;
  const o = oldprog && oldprog.genFlags & TCA_CLS_FLAGS.SKIP_HW ? null : oldprog;
  if (!p && !o) return 0;
  return offloadCmd(tp, p, o, false);
}

/** Lowest free handle in [1, INT_MAX] (idr_alloc_u32). */
function allocHandle(h: ClsBpfHead): number {
  for (let id = 1; id <= CLS_BPF_HANDLE_MAX; id++) if (!h.handles.has(id)) return id;
  throw kerr('ENOSPC');
}

/** cls_bpf_prog_from_ops: the classic program (interpreted, or converted for the JIT), or EINVAL. */
function progFromOps(tb: NlAttrs, jit: ClassicJitRuntime | null): { ops: Uint8Array; filter: ClassicFilter | null; converted: BpfProg | null } {
  const n = tb.u16(TCA_BPF.OPS_LEN);
  if (n > CLS_BPF_MAX_OPS || n === 0) throw kerr('EINVAL');
  const raw = tb.data(TCA_BPF.OPS);
  if (n * 8 !== raw.length) throw kerr('EINVAL');
  const ops = raw.slice();
  try {
    const insns = decodeSockFilters(ops);
    if (jit !== null && jit.jit.enable === 1) return { ops, filter: null, converted: jit.create(insns) };
    return { ops, filter: ClassicFilter.create(insns, { compile: false }), converted: null };
  } catch (e) {
    // bpf_prog_create: the checker's reason is not reported (no extack)
    if (e instanceof KernelError) throw kerr('EINVAL');
    // the JIT's resident memory exhausted: bpf_prog_alloc fails
    if (e instanceof RangeError) throw kerr('ENOMEM');
    throw e;
  }
}

/** cls_bpf_prog_from_efd: the SCHED_CLS program behind `fd` and the name. */
function progFromEfd(tb: NlAttrs, bpf: BpfSyscall | undefined): { ebpf: BpfProg; name: Uint8Array | null } {
  const fd = tb.u32(TCA_BPF.FD) | 0;
  // bpf_prog_get_type_dev (__bpf_prog_get): no open file is EBADF; an open fd that is
  // not a program (a map, a perf event) is EINVAL, as is another program type
  const ebpf = bpf?.progByFd(fd);
  if (ebpf === undefined) {
    if (bpf !== undefined && (bpf.mapByFd(fd) !== undefined || bpf.perfEventByFd(fd) !== undefined)) throw kerr('EINVAL');
    throw kerr('EBADF');
  }
  if (ebpf.type !== BPF_PROG_TYPE.SCHED_CLS) throw kerr('EINVAL');
  let name: Uint8Array | null = null;
  if (tb.has(TCA_BPF.NAME)) {
    const d = tb.data(TCA_BPF.NAME);
    name = d.slice(0, d.indexOf(0) + 1); // validated: a NUL is present
  }
  return { ebpf, name };
}

/**
 * skb_do_redirect (net/core/filter.c) after a TC_ACT_REDIRECT verdict: the
 * target from bpf_redirect_info looked up in the skb's namespace; a missing
 * device drops the packet. bpf_redirect_peer (BPF_F_PEER): only at ingress, to
 * the target's peer (veth: ndo_get_peer_dev) when it is up and in another
 * namespace; the peer counts the packet as received (dev_sw_netstats_rx_add, MAC
 * header included), the skb is scrubbed and the receive path runs another round
 * on the peer (sch_handle_ingress's -EAGAIN branch, data back at the network
 * header); anything else drops. Otherwise consumes.
 */
function skbDoRedirect(net: TcNet, st: SkbRunState, skb: SkBuff, atIngress: boolean): number {
  const target = net.devs.get(st.redirectIfindex);
  const peerFlag = st.redirectPeer;
  const flags = st.redirectFlags;
  st.redirectIfindex = 0;
  st.redirectFlags = 0;
  st.redirectPeer = false;
  const where = atIngress ? 'TC_INGRESS' : 'TC_EGRESS';
  if (target === undefined) {
    net.ns.dropSkb(skb, where);
    return HOOK.CONSUMED;
  }
  if (peerFlag) {
    const peer = target.dev.peer;
    if (!atIngress || peer === null || !peer.isUp() || peer.ns === net.ns) {
      net.ns.dropSkb(skb, where);
      return HOOK.CONSUMED;
    }
    skb.setDev(peer);
    peer.stats.rxPackets++;
    peer.stats.rxBytes += skb.len + skb.macLen;
    skb.scrub(false);
    return HOOK.ANOTHER_ROUND;
  }
  net.datapath.mirredForward(skb, target, (flags & BPF_F_INGRESS) !== 0, atIngress);
  return HOOK.CONSUMED;
}

/** Bytes of the resident packet buffer of eBPF runs on the JIT (headroom + a 64 KiB frame + tailroom). */
const RESIDENT_EBPF_PACKET = 64 + 65536 + 64;

/** BPF_F_INGRESS of bpf_redirect (include/uapi/linux/bpf.h). */
const BPF_F_INGRESS = 1;

/**
 * The cls_bpf ops table (kind "bpf"). Register it explicitly:
 * `new TcKernel({ kinds: { ...TCF_ALL_KINDS, classifiers: [...TCF_ALL_KINDS.classifiers, createClsBpfOps()] } })`.
 */
export function createClsBpfOps(options: ClsBpfOptions = {}): ClsBpfOps {
  const jitOpt = options.jit ?? true;
  const bpf = options.bpf;
  // the JIT of this instance (built on first use with jit: true, at once with a bpf() instance)
  // and the classic conversion runtime on it
  let jitRt: JitRuntime | null = typeof jitOpt === 'boolean' ? null : jitOpt;
  let classicRt: ClassicJitRuntime | null = null;
  const getJit = (): JitRuntime | null => {
    if (jitRt === null && jitOpt === true) {
      // a private bpf() instance (small linear memory) when only classic programs are run
      const sys = bpf ?? new BpfSyscall();
      jitRt = new JitRuntime(sys, sys.interpreter, bpf === undefined ? { pages: 32, residentPages: 4 } : {});
    }
    return jitRt;
  };
  // with a bpf() instance the JIT comes first: its memory then holds the maps created
  // from now on, the __sk_buff mirror and a packet buffer (nothing mirrored per run)
  const ebpfJit = bpf === undefined ? null : getJit();
  // bpf_redirect_info and the __sk_buff mirror: one per bpf() instance (single modelled CPU)
  const st = bpf === undefined ? null : new SkbRunState(bpf.mem, new SkBuff(0));
  if (st !== null && ebpfJit !== null && ebpfJit.kernel.mem === bpf!.mem) {
    // none left (many ops on one JIT): the sk_buff's own buffer, mirrored by the JIT
    const pkt = ebpfJit.memory.tryAlloc(RESIDENT_EBPF_PACKET);
    if (pkt !== null) st.usePacketBuffer(pkt);
  }
  const redirect = (net: TcNet): ((skb: SkBuff, atIngress: boolean) => number) => (skb, atIngress) => skbDoRedirect(net, st!, skb, atIngress);
  const redirectors = new WeakMap<TcNet, (skb: SkBuff, atIngress: boolean) => number>();
  const getClassicRt = (): ClassicJitRuntime | null => {
    if (classicRt === null) {
      const j = getJit();
      if (j !== null) classicRt = j.classicRuntime();
    }
    return classicRt;
  };
  /** Run the eBPF program on skb (data at the MAC header); R0, or 0 / SHOT on a fault. */
  const runEbpf = (p: BpfProg, skb: SkBuff, net: TcNet, da: boolean): number => {
    const s = st!;
    const interp = bpf!.interpreter;
    s.ns = net.ns;
    s.begin(skb);
    interp.runCtx = s;
    const j = jitRt;
    let status: number;
    let r0: number;
    if (j !== null) {
      // compiled when bpf_prog_select_runtime compiled it, else the interpreter
      j.runCtx = s;
      status = j.run(p, AddressSpace.hiOf(REGION.CTX), 0);
      r0 = j.r0Lo;
    } else {
      status = bpf!.run(p, AddressSpace.hiOf(REGION.CTX), 0);
      r0 = interp.r0Lo;
    }
    s.end();
    // the verifier rules faults out; should one happen, the packet is not classified (or dropped with da)
    if (status !== RUN_STATUS.OK) return da ? TC_ACT.SHOT : 0;
    return r0 | 0;
  };
  /** cls_bpf_free_parms' bpf_prog_put, for an eBPF filter. */
  const putProg = (p: ClsBpfProg): void => {
    if (p.ebpf !== null) bpf!.progPut(p.ebpf);
  };
  return Object.freeze({
    kind: 'bpf',
    get jitRuntime(): JitRuntime | null {
      return jitRt;
    },
    progShow(id: number): ClsBpfProgShow | undefined {
      const p = bpf?.progById(id);
      if (p === undefined) return undefined;
      return { id: p.id, name: p.name, tag: p.tag, jited: jitRt !== null && jitRt.info(p).jited };
    },
    init(tp: TcfProto): void {
      tp.root = new ClsBpfHead();
    },
    destroy(tp: TcfProto): void {
      const h = head(tp);
      for (const p of h.list) {
        offload(tp, null, p);
        tcfUnbindFilter(tp, p.res);
        p.exts.destroy();
        putProg(p);
      }
      h.list.length = 0;
      h.handles.clear();
    },
    classify(skb: TcSkb, tp: TcfProto, res: TcfResult): number {
      const list = head(tp).list;
      const env: ClassicEnv = tp.chain.block.net.kernel;
      const atIngress = skb.tcAtIngress;
      let ret: number = TC_ACT.UNSPEC;
      for (let i = 0; i < list.length; i++) {
        const prog = list[i]!;
        skb.tcClassid = prog.res.classid;
        let filterRes: number;
        if (prog.genFlags & TCA_CLS_FLAGS.SKIP_SW) {
          filterRes = prog.extsIntegrated ? TC_ACT.UNSPEC : 0;
        } else {
          const macLen = atIngress ? skb.macLen : 0;
          if (atIngress) skb.push(macLen);
          const f = prog.filter;
          const c = prog.converted;
          if (f !== null) filterRes = f.run(skb, env) | 0;
          else if (c !== null) filterRes = classicRt!.run(c, skb, env);
          else filterRes = runEbpf(prog.ebpf!, skb, tp.chain.block.net, prog.extsIntegrated);
          if (atIngress) skb.pull(macLen);
        }
        if (prog.extsIntegrated) {
          res.cls = null;
          res.classid = ((prog.res.classid & TC_H.MAJ_MASK) | skb.tcClassid) >>> 0;
          ret = execOpcode(filterRes);
          if (ret === TC_ACT.UNSPEC) continue;
          break;
        }
        if (filterRes === 0) continue;
        if (filterRes !== -1) {
          res.cls = null;
          res.classid = filterRes >>> 0;
        } else {
          res.classid = prog.res.classid;
          res.cls = prog.res.cls;
        }
        ret = prog.exts.exec(skb, res);
        if (ret < 0) continue;
        break;
      }
      return ret;
    },
    get(tp: TcfProto, handle: number): unknown {
      for (const p of head(tp).list) if (p.handle === handle) return p;
      return null;
    },
    change(tp: TcfProto, a: TcfChangeArgs): unknown {
      if (!a.tca.has(TCA.OPTIONS)) throw kerr('EINVAL');
      const tb = a.tca.nested(TCA.OPTIONS, TCA_BPF.MAX);
      validatePolicy(tb);
      const h = head(tp);
      const oldprog = a.old as ClsBpfProg | null;
      if (oldprog && a.handle && oldprog.handle !== a.handle) throw kerr('EINVAL');
      const handle = oldprog ? oldprog.handle : a.handle === 0 ? allocHandle(h) : a.handle >>> 0;
      // cls_bpf_set_parms
      const isBpf = tb.has(TCA_BPF.OPS_LEN) && tb.has(TCA_BPF.OPS);
      const isEbpf = tb.has(TCA_BPF.FD);
      if (isBpf === isEbpf) throw kerr('EINVAL');
      const exts = TcfExts.validate(a.net, tb, TCA_BPF.ACT, tp, a.replaceActs, a.base);
      let prog: ClsBpfProg | null = null;
      let bound = false;
      try {
        let da = false;
        if (tb.has(TCA_BPF.FLAGS)) {
          const f = tb.u32(TCA_BPF.FLAGS);
          if (f & ~TCA_BPF_FLAG.ACT_DIRECT) throw kerr('EINVAL');
          da = (f & TCA_BPF_FLAG.ACT_DIRECT) !== 0;
        }
        let gen = 0;
        if (tb.has(TCA_BPF.FLAGS_GEN)) {
          gen = tb.u32(TCA_BPF.FLAGS_GEN);
          if (!tcFlagsValid(gen)) throw kerr('EINVAL');
        }
        if (isBpf) {
          const { ops, filter, converted } = progFromOps(tb, getClassicRt());
          prog = new ClsBpfProg(handle, da, gen, ops, filter);
          if (converted !== null) {
            prog.converted = converted;
            prog.jited = classicRt!.jited(converted);
          }
        } else {
          const { ebpf, name } = progFromEfd(tb, bpf);
          // bpf_prog_get_type_dev's reference, dropped by cls_bpf_free_parms
          bpf!.progHold(ebpf);
          prog = new ClsBpfProg(handle, da, gen, null, null, ebpf, name);
          // bpf_prog_select_runtime ran at BPF_PROG_LOAD in the kernel; tcbpf's loader has no JIT hook,
          // so the JIT compiles here, with the verifier's facts loadTcProgram kept (insn_aux_data)
          const j = getJit();
          if (j !== null) {
            const facts = bpf instanceof TcBpfSyscall ? bpf.jitFacts(ebpf) : undefined;
            prog.jited = j.load(ebpf, facts).jited;
          }
        }
        prog.exts = exts;
        if (tb.has(TCA_BPF.CLASSID)) {
          prog.res.classid = tb.u32(TCA_BPF.CLASSID);
          tcfBindFilter(tp, prog.res, a.base);
          bound = true;
        }
        const err = offload(tp, prog, oldprog);
        if (err) throw kerrFromCode(err);
        if (!(prog.genFlags & TCA_CLS_FLAGS.IN_HW)) prog.genFlags |= TCA_CLS_FLAGS.NOT_IN_HW;
        if (prog.ebpf !== null && !redirectors.has(a.net)) {
          const r = redirect(a.net);
          redirectors.set(a.net, r);
          a.net.skbDoRedirect = r;
        }
        if (oldprog) {
          h.list[h.list.indexOf(oldprog)] = prog;
          h.handles.set(handle, prog);
          tcfUnbindFilter(tp, oldprog.res);
          oldprog.exts.destroy();
          putProg(oldprog);
        } else {
          h.handles.set(handle, prog);
          h.list.unshift(prog);
        }
        return prog;
      } catch (e) {
        if (prog && bound) tcfUnbindFilter(tp, prog.res);
        if (prog) putProg(prog);
        exts.destroy();
        throw e;
      }
    },
    delete(tp: TcfProto, fh: unknown): boolean {
      const h = head(tp);
      const prog = fh as ClsBpfProg;
      offload(tp, null, prog);
      h.handles.delete(prog.handle);
      const i = h.list.indexOf(prog);
      if (i >= 0) h.list.splice(i, 1);
      tcfUnbindFilter(tp, prog.res);
      prog.exts.destroy();
      putProg(prog);
      return h.list.length === 0;
    },
    walk(tp: TcfProto): readonly unknown[] {
      return head(tp).list;
    },
    dump(tp: TcfProto, fh: unknown, w: NlWriter): number {
      const p = fh as ClsBpfProg;
      // cls_bpf_offload_update_stats: drivers may push hardware counters into the actions first
      if (tp.chain.block.offload.cbs.length > 0) {
        const req: ClsBpfStatsRequest = { command: 'stats', prog: p, chainIndex: tp.chain.index, protocol: tp.protocol };
        tcSetupCbStats(tp.chain.block, 'clsbpf', req, false);
      }
      const n = w.nestStart(TCA.OPTIONS);
      if (p.res.classid) w.u32(TCA_BPF.CLASSID, p.res.classid);
      if (p.ebpf !== null) {
        // cls_bpf_dump_ebpf_info
        if (p.bpfName !== null) w.attr(TCA_BPF.NAME, p.bpfName);
        w.u32(TCA_BPF.ID, p.ebpf.id);
        w.attr(TCA_BPF.TAG, p.ebpf.tagBytes);
      } else if (p.ops !== null) {
        w.u16(TCA_BPF.OPS_LEN, p.ops.length / 8);
        w.attr(TCA_BPF.OPS, p.ops);
      }
      p.exts.dump(w, TCA_BPF.ACT);
      if (p.extsIntegrated) w.u32(TCA_BPF.FLAGS, TCA_BPF_FLAG.ACT_DIRECT);
      if (p.genFlags) w.u32(TCA_BPF.FLAGS_GEN, p.genFlags);
      w.nestEnd(n);
      return p.handle;
    },
    bindClass(tp: TcfProto, fh: unknown, classid: number, cl: unknown, _q: Qdisc | null, base: number): void {
      const p = fh as ClsBpfProg;
      if (p.res.classid !== classid) return;
      if (cl) tcfBindFilter(tp, p.res, base);
      else tcfUnbindFilter(tp, p.res);
    },
    reoffload(tp: TcfProto, add: boolean, cb: FlowSetupCb): void {
      const off = tp.chain.block.offload;
      for (const p of head(tp).list) {
        if (p.genFlags & TCA_CLS_FLAGS.SKIP_HW) continue;
        const err = cb('clsbpf', offloadData(tp, add ? p : null, add ? null : p));
        if (err) {
          if (add && p.genFlags & TCA_CLS_FLAGS.SKIP_SW) throw kerrFromCode(err);
          continue;
        }
        // tc_cls_offload_cnt_update
        if (add) {
          if (!p.inHwCount && !(p.genFlags & TCA_CLS_FLAGS.IN_HW)) {
            p.genFlags = (p.genFlags | TCA_CLS_FLAGS.IN_HW) & ~TCA_CLS_FLAGS.NOT_IN_HW;
            off.offloadcnt++;
          }
          p.inHwCount++;
        } else {
          p.inHwCount--;
          if (!p.inHwCount && p.genFlags & TCA_CLS_FLAGS.IN_HW) {
            p.genFlags &= ~TCA_CLS_FLAGS.IN_HW;
            off.offloadcnt--;
          }
        }
      }
    },
  } satisfies ClsBpfOps);
}

/**
 * The cls_bpf kind for classic programs on the interpreter (no JIT, no bpf()
 * instance): holds no per-kernel state, so kernels may share it. Use
 * {@link createClsBpfOps} for the JIT and eBPF programs.
 */
export const clsBpfOps: ClsBpfOps = createClsBpfOps({ jit: false });
