// Models include/net/sch_generic.h and net/core/gen_stats.c (Linux 6.18): the
// sk_buff fields tc reads and writes, struct tcf_result, qdisc statistics and
// how they are dumped (TCA_STATS2 + legacy TCA_STATS), and the Qdisc object
// with its ops tables (struct Qdisc_ops / Qdisc_class_ops).
import { TCA, TCA_STATS } from '@tcbpf/uapi';
import type { NlAttrs, NlWriter } from './nlattr.js';
import type { TcfBlock } from './cls-api.js';
import type { NetDev } from './netdev.js';
import type { SkBuff } from '@tcbpf/skb';

/** The sk_buff of @tcbpf/skb (the shared field contract). */
export type TcSkb = SkBuff;

/** struct tcf_result: what a classifier hands back to its qdisc. */
export class TcfResult {
  classid = 0;
  /** Bound class (cls_api tcf_bind_filter), opaque to classifiers; null if none. */
  cls: unknown = null;
  /** Target chain of a GOTO_CHAIN verdict (chain object; its first tp is the restart point). */
  gotoChain: unknown = null;

  reset(): void {
    this.classid = 0;
    this.cls = null;
    this.gotoChain = null;
  }
}

/** struct gnet_stats_basic_sync + gnet_stats_queue of one qdisc, class or action. */
export class TcStats {
  bytes = 0;
  packets = 0;
  qlen = 0;
  backlog = 0;
  drops = 0;
  requeues = 0;
  overlimits = 0;

  /** bstats_update */
  bump(len: number): void {
    this.bytes += len;
    this.packets++;
  }
  clear(): void {
    this.bytes = this.packets = this.qlen = this.backlog = this.drops = this.requeues = this.overlimits = 0;
  }
}

/**
 * gnet_stats_start_copy_compat .. gnet_stats_finish_copy: TCA_STATS2 {BASIC,
 * QUEUE} (and for qdiscs/classes the legacy TCA_STATS tc_stats copy).
 * `app` is the TCA_XSTATS payload (also copied into TCA_STATS_APP).
 */
export function gnetDumpStats(w: NlWriter, st: TcStats, legacy: boolean, app: Uint8Array | null): void {
  const n = w.nestStart(TCA.STATS2);
  const b = w.attrReserve(TCA_STATS.BASIC, 16);
  w.setU64(b, st.bytes);
  w.setU32(b + 8, st.packets);
  const q = w.attrReserve(TCA_STATS.QUEUE, 20);
  w.setU32(q, st.qlen);
  w.setU32(q + 4, st.backlog);
  w.setU32(q + 8, st.drops);
  w.setU32(q + 12, st.requeues);
  w.setU32(q + 16, st.overlimits);
  if (app) w.attr(TCA_STATS.APP, app);
  w.nestEnd(n);
  if (legacy) {
    const t = w.attrReserve(TCA.STATS, 40);
    w.setU64(t, st.bytes);
    w.setU32(t + 8, st.packets);
    w.setU32(t + 12, st.drops);
    w.setU32(t + 16, st.overlimits);
    // bps, pps: only with a rate estimator (none modelled)
    w.setU32(t + 28, st.qlen);
    w.setU32(t + 32, st.backlog);
  }
  if (app) w.attr(TCA.XSTATS, app);
}

/** Enqueue results (NET_XMIT_*) and the __NET_XMIT_STOLEN/BYPASS bits. */
export const NET_XMIT = Object.freeze({ SUCCESS: 0, DROP: 1, CN: 2, STOLEN: 0x10000, BYPASS: 0x20000 } as const);

/** Arguments of Qdisc_ops.init / change. */
export interface QdiscInitArgs {
  readonly opt: NlAttrs | null;
  /** The whole request's top-level attributes (ingress/clsact read the block indices). */
  readonly tca: NlAttrs;
  /** Collects an extack warning (the kernel's NL_SET_ERR_MSG on a successful request). */
  warn(msg: string): void;
}

/** struct Qdisc_class_ops (the subset tc uses). `cl` is a class object or 0/null. */
export interface QdiscClassOps {
  /** ->find: class by classid, null if none. */
  find(q: Qdisc, classid: number): unknown;
  /** ->tcf_block: the filter block of a class (cl null = the qdisc itself). */
  tcfBlock(q: Qdisc, cl: unknown): TcfBlock | null;
  /** ->bind_tcf / ->unbind_tcf: a filter's reference to a class (tcf_bind_filter). */
  bindTcf(q: Qdisc, parent: number, classid: number): unknown;
  unbindTcf(q: Qdisc, cl: unknown): void;
  /** ->change: create or modify a class; returns the class. */
  change?(q: Qdisc, classid: number, parentid: number, tca: NlAttrs, existing: unknown, warn: (m: string) => void): unknown;
  /** ->delete; throws KernelError when refused. */
  delete?(q: Qdisc, cl: unknown): void;
  /** ->walk in the kernel's order. */
  walk?(q: Qdisc): readonly unknown[];
  /** ->dump: fills tcm_handle/parent via the returned values and writes TCA_OPTIONS. */
  dump?(q: Qdisc, cl: unknown, w: NlWriter): { handle: number; parent: number; info: number };
  /** ->dump_stats: TCA_STATS2 etc. */
  dumpStats?(q: Qdisc, cl: unknown, w: NlWriter): void;
  /** ->leaf: the child qdisc of a class (graft target). */
  leaf?(q: Qdisc, cl: unknown): Qdisc | null;
  graft?(q: Qdisc, cl: unknown, child: Qdisc | null): Qdisc | null;
}

/** struct Qdisc_ops. */
export interface QdiscOps {
  readonly id: string;
  readonly clOps: QdiscClassOps | null;
  /** TCQ_F_INGRESS qdiscs sit in the ingress slot (parent TC_H_INGRESS). */
  readonly ingress: boolean;
  /** Qdiscs with an ->attach op (multi-queue aware roots: htb, mq). */
  readonly hasAttach: boolean;
  init(q: Qdisc, args: QdiscInitArgs): void;
  change?(q: Qdisc, args: QdiscInitArgs): void;
  destroy(q: Qdisc): void;
  /** ->dump: TCA_OPTIONS (and kind-specific attributes). */
  dump(q: Qdisc, w: NlWriter): void;
  /** Datapath: enqueue, returns NET_XMIT_*. Never throws. */
  enqueue(skb: TcSkb, q: Qdisc): number;
  dequeue(q: Qdisc): TcSkb | null;
  /** Drop every queued packet (qdisc_reset). */
  reset(q: Qdisc): void;
}

/** struct Qdisc. */
export class Qdisc {
  readonly ops: QdiscOps;
  handle: number;
  parent: number;
  readonly dev: NetDev;
  /** tcm_info in dumps: the qdisc refcount as the kernel reports it. */
  refcnt = 1;
  /** Built-in default qdiscs (noqueue, noop) are invisible to dumps when handle 0 (TCQ_F_BUILTIN semantics). */
  builtin = false;
  /** TCQ_F_INVISIBLE: default leaves (qdisc_hash_add(q, true)), dumped only with TCA_DUMP_INVISIBLE. */
  invisible = false;
  readonly stats = new TcStats();
  limit = 0;
  /** Kind-private state. */
  priv: unknown = null;

  constructor(ops: QdiscOps, dev: NetDev, handle: number, parent: number) {
    this.ops = ops;
    this.dev = dev;
    this.handle = handle;
    this.parent = parent;
  }

  /** qdisc_qstats_drop + kfree: count a dropped packet. */
  drop(): number {
    this.stats.drops++;
    return NET_XMIT.DROP;
  }
}

/** TC_LINKLAYER_ATM. */
const LINKLAYER_ATM = 2;

/**
 * struct psched_ratecfg and psched_ratecfg_precompute / psched_l2t_ns
 * (net/sched/sch_generic.c): byte time as (len * mult) >> shift, exactly as
 * the kernel rounds it. The precompute uses BigInt (control path only).
 */
export class PschedRatecfg {
  rateBytesPs = 0;
  mult = 1;
  shift = 0;
  overhead = 0;
  mpu = 0;
  linklayer = 0;
  #div = 1;

  /** psched_ratecfg_precompute(r, conf, rate64). */
  static precompute(rate: number, rate64: number, overhead: number, mpu: number, linklayer: number): PschedRatecfg {
    const r = new PschedRatecfg();
    r.rateBytesPs = Math.max(rate, rate64);
    r.overhead = overhead;
    r.mpu = mpu;
    r.linklayer = linklayer & 15;
    if (r.rateBytesPs > 0) {
      let factor = 1_000_000_000n;
      const rb = BigInt(r.rateBytesPs);
      for (;;) {
        const m = (factor / rb) & 0xffffffffn;
        r.mult = Number(m);
        if (m & 0x80000000n || factor & (1n << 63n)) break;
        factor <<= 1n;
        r.shift++;
      }
    }
    r.#div = 2 ** r.shift;
    return r;
  }

  /** psched_l2t_ns: nanoseconds to send `len` bytes. Hot path. */
  l2tNs(len: number): number {
    let l = len + this.overhead;
    if (l < this.mpu) l = this.mpu;
    if (this.linklayer === LINKLAYER_ATM) l = Math.ceil(l / 48) * 53;
    return Math.floor((l * this.mult) / this.#div);
  }

  /** psched_pkt2t_ns: nanoseconds per packet at this packet rate. */
  pkt2tNs(pkts: number): number {
    return Math.floor((pkts * this.mult) / this.#div);
  }
}

/** PSCHED_TICKS2NS / PSCHED_NS2TICKS (PSCHED_SHIFT 6). */
export function pschedTicks2ns(t: number): number {
  return t * 64;
}
export function pschedNs2ticks(ns: number): number {
  return Math.floor(ns / 64);
}
