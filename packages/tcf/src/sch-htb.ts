// Models net/sched/sch_htb.c (Linux 6.18): the class tree (rate, ceil, buffer,
// cbuffer, quantum from r2q with the "quantum ... is small/big" warning),
// classification (skb->priority, filters, default class, direct queue), pfifo
// leaves, token buckets on the simulated clock and the dumps. Simplified
// scheduler: a leaf may send when its rate bucket (or, borrowing, its ceil
// bucket and an ancestor's rate bucket) has tokens; no DRR between leaves —
// see docs/kernel-mapping.md.
import { kerr } from '@tcbpf/base';
import { TCA, TCA_HTB, TC_ACT, TC_H, TC_HTB_GLOB_SIZE, TC_HTB_OPT_SIZE, TC_HTB_PROTOVER } from '@tcbpf/uapi';
import { parseAttrs, type NlAttrs, type NlWriter } from './nlattr.js';
import { NET_XMIT, PschedRatecfg, Qdisc, TcStats, TcfResult, gnetDumpStats, type QdiscClassOps, type QdiscInitArgs, type QdiscOps, type TcSkb } from './sch-generic.js';
import { TcfBlock, tcfClassify } from './cls-api.js';
import { pfifoQdiscOps, DEFAULT_TX_QUEUE_LEN, SkbQueue } from './sch-generic-ops.js';

/** HTB_VER as dumped in tc_htb_glob.version. */
export const HTB_VER = 0x30011;
const NSEC_PER_SEC = 1e9;
const PSCHED_SHIFT = 6;

/** One HTB class. */
export class HtbClass {
  readonly classid: number;
  parent: HtbClass | null;
  readonly children: HtbClass[] = [];
  level = 0;
  rate = 0;
  ceil = 0;
  linklayer = 1;
  overhead = 0;
  mpu = 0;
  cellLog = 0;
  cLinklayer = 1;
  buffer = 0;
  cbuffer = 0;
  quantum = 0;
  prio = 0;
  tokens = 0;
  ctokens = 0;
  tC = 0;
  lends = 0;
  borrows = 0;
  leaf: Qdisc | null = null;
  rateCfg = PschedRatecfg.precompute(0, 0, 0, 0, 0);
  ceilCfg = PschedRatecfg.precompute(0, 0, 0, 0, 0);
  readonly stats = new TcStats();
  block: TcfBlock | null = null;
  filterCnt = 0;

  constructor(classid: number, parent: HtbClass | null) {
    this.classid = classid;
    this.parent = parent;
  }
}

interface HtbSched {
  r2q: number;
  defcls: number;
  directQlen: number;
  directPkts: number;
  direct: SkbQueue;
  classes: HtbClass[];
  /** Leaves in service order (prio, classid), rebuilt on class changes so dequeue allocates nothing. */
  leafOrder: HtbClass[];
  /** struct Qdisc_class_hash: buckets in walk order (head insertion, doubling growth). */
  clhash: HtbClass[][];
  block: TcfBlock;
  res: TcfResult;
}

function sched(q: Qdisc): HtbSched {
  return q.priv as HtbSched;
}

function find(q: Qdisc, classid: number): HtbClass | null {
  for (const c of sched(q).classes) if (c.classid === classid) return c;
  return null;
}

/** q->mbuffer: 60 s, the floor of negative tokens. */
const HTB_MBUFFER = 60 * NSEC_PER_SEC;

function ticks2ns(t: number): number {
  return t * 2 ** PSCHED_SHIFT;
}
function ns2ticks(ns: number): number {
  return Math.floor(ns / 2 ** PSCHED_SHIFT);
}

function htbInit(q: Qdisc, args: QdiscInitArgs): void {
  const opt = args.opt;
  if (!opt) throw kerr('EINVAL', 'HTB: hey probably you have bad tc tool ?');
  if (!opt.has(TCA_HTB.INIT)) throw kerr('EINVAL', 'HTB: hey probably you have bad tc tool ?');
  const g = opt.data(TCA_HTB.INIT);
  if (g.length < TC_HTB_GLOB_SIZE) throw kerr('ERANGE', 'Attribute failed policy validation');
  const v = new DataView(g.buffer, g.byteOffset, g.byteLength);
  if (v.getUint32(0, true) !== TC_HTB_PROTOVER) throw kerr('EINVAL', 'HTB: need tc/htb version 3');
  const s: HtbSched = {
    r2q: v.getUint32(4, true) || 1,
    defcls: v.getUint32(8, true),
    directQlen: opt.has(TCA_HTB.DIRECT_QLEN) ? opt.u32(TCA_HTB.DIRECT_QLEN) : DEFAULT_TX_QUEUE_LEN,
    directPkts: 0,
    direct: new SkbQueue(),
    classes: [],
    leafOrder: [],
    clhash: [[], [], [], []],
    block: new TcfBlock(q.dev.net, 0, q),
    res: new TcfResult(),
  };
  q.priv = s;
}

function htbDestroy(q: Qdisc): void {
  const s = q.priv as HtbSched | null;
  if (!s) return;
  s.block.destroy();
  for (const c of s.classes) c.block?.destroy();
  s.classes.length = 0;
}

function htbDump(q: Qdisc, w: NlWriter): void {
  const s = sched(q);
  const n = w.nestStart(TCA.OPTIONS);
  const p = w.attrReserve(TCA_HTB.INIT, TC_HTB_GLOB_SIZE);
  w.setU32(p, HTB_VER);
  w.setU32(p + 4, s.r2q);
  w.setU32(p + 8, s.defcls);
  w.setU32(p + 16, s.directPkts);
  w.u32(TCA_HTB.DIRECT_QLEN, s.directQlen);
  w.nestEnd(n);
}

/** htb_classify: the leaf for skb, null for the direct queue, or a verdict number. */
function htbClassify(skb: TcSkb, q: Qdisc): HtbClass | null | number {
  const s = sched(q);
  if (skb.priority === q.handle) return null;
  const byPrio = find(q, skb.priority);
  if (byPrio && byPrio.level === 0) return byPrio;
  let block: TcfBlock | null = s.block;
  const res = s.res;
  while (block !== null) {
    res.reset();
    const r = tcfClassify(skb, block, res);
    if (r === TC_ACT.STOLEN || r === TC_ACT.QUEUED || r === TC_ACT.TRAP) return -2;
    if (r === TC_ACT.SHOT) return -1;
    if (r < 0) break;
    let cl = res.cls as HtbClass | null;
    if (!(cl instanceof HtbClass)) {
      if (res.classid === q.handle) return null;
      cl = find(q, res.classid);
      if (!cl) break;
    }
    if (cl.level === 0) return cl;
    block = cl.block;
  }
  const def = find(q, ((q.handle & TC_H.MAJ_MASK) | s.defcls) >>> 0);
  if (!def || def.level !== 0) return null;
  return def;
}

function htbEnqueue(skb: TcSkb, q: Qdisc): number {
  const s = sched(q);
  const cl = htbClassify(skb, q);
  if (cl === -2) return NET_XMIT.SUCCESS | NET_XMIT.STOLEN;
  if (cl === -1) return q.drop();
  if (cl === null) {
    if (s.direct.length >= s.directQlen) return q.drop();
    s.direct.push(skb);
    s.directPkts++;
  } else if (typeof cl !== 'number') {
    const leaf = cl.leaf!;
    const r = leaf.ops.enqueue(skb, leaf);
    if (r !== NET_XMIT.SUCCESS) {
      cl.stats.drops++;
      return q.drop();
    }
  }
  q.stats.qlen++;
  q.stats.backlog += skb.len;
  return NET_XMIT.SUCCESS;
}

/** Refill a class's buckets up to now (htb_charge_class's diff part). */
function refill(cl: HtbClass, now: number): void {
  const diff = Math.min(now - cl.tC, HTB_MBUFFER);
  cl.tokens = Math.min(cl.tokens + diff, cl.buffer);
  cl.ctokens = Math.min(cl.ctokens + diff, cl.cbuffer);
  cl.tC = now;
}

function htbDequeue(q: Qdisc): TcSkb | null {
  const s = sched(q);
  const now = q.dev.net.kernel.clock.nowNs();
  const d = s.direct.shift();
  if (d) {
    q.stats.qlen--;
    q.stats.backlog -= d.len;
    q.stats.bump(d.len);
    return d;
  }
  const leaves = s.leafOrder;
  for (let li = 0; li < leaves.length; li++) {
    const cl = leaves[li]!;
    if (cl.leaf === null || cl.leaf.stats.qlen === 0) continue;
    for (let c: HtbClass | null = cl; c; c = c.parent) refill(c, now);
    let lender: HtbClass | null = null;
    if (cl.tokens >= 0) lender = cl;
    else if (cl.ctokens >= 0) {
      for (let c = cl.parent; c; c = c.parent) {
        if (c.tokens >= 0) {
          lender = c;
          break;
        }
        if (c.ctokens < 0) break;
      }
    }
    if (!lender) continue;
    const skb = cl.leaf.ops.dequeue(cl.leaf);
    if (!skb) continue;
    // htb_charge_class: classes at or above the lender's level pay rate tokens
    // (the one at that level counts a "lend"), those below count a borrow
    const level = lender.level;
    for (let c: HtbClass | null = cl; c; c = c.parent) {
      if (c.level >= level) {
        if (c.level === level) c.lends++;
        c.tokens = Math.max(c.tokens - c.rateCfg.l2tNs(skb.len), 1 - HTB_MBUFFER);
      } else c.borrows++;
      c.ctokens = Math.max(c.ctokens - c.ceilCfg.l2tNs(skb.len), 1 - HTB_MBUFFER);
      c.stats.bump(skb.len);
    }
    q.stats.qlen--;
    q.stats.backlog -= skb.len;
    q.stats.bump(skb.len);
    return skb;
  }
  return null;
}

/** qdisc_class_hash. */
function classHash(id: number, mask: number): number {
  let h = id >>> 0;
  h = (h ^ (h >>> 8)) >>> 0;
  h = (h ^ (h >>> 4)) >>> 0;
  return h & mask;
}

/** qdisc_class_hash_insert (hlist_add_head) + qdisc_class_hash_grow. */
function clhashInsert(s: HtbSched, cl: HtbClass): void {
  s.clhash[classHash(cl.classid, s.clhash.length - 1)]!.unshift(cl);
  const elems = s.clhash.reduce((n, b) => n + b.length, 0);
  if (elems * 4 <= s.clhash.length * 3) return;
  const size = s.clhash.length * 2;
  const nh: HtbClass[][] = Array.from({ length: size }, () => []);
  for (const bucket of s.clhash) for (const c of bucket) nh[classHash(c.classid, size - 1)]!.unshift(c);
  s.clhash = nh;
}

function clhashRemove(s: HtbSched, cl: HtbClass): void {
  const b = s.clhash[classHash(cl.classid, s.clhash.length - 1)]!;
  const i = b.indexOf(cl);
  if (i >= 0) b.splice(i, 1);
}

function rebuildLeafOrder(s: HtbSched): void {
  s.leafOrder = s.classes.filter((c) => c.level === 0).sort((a, b) => a.prio - b.prio || a.classid - b.classid);
}

function htbReset(q: Qdisc): void {
  const s = sched(q);
  s.direct.clear();
  for (const c of s.classes) c.leaf?.ops.reset(c.leaf);
  q.stats.qlen = 0;
  q.stats.backlog = 0;
}

function readRate(v: DataView, off: number): { rate: number; linklayer: number; overhead: number; mpu: number; cellLog: number } {
  return { cellLog: v.getUint8(off), linklayer: v.getUint8(off + 1) & 15, overhead: v.getUint16(off + 2, true), mpu: v.getUint16(off + 6, true), rate: v.getUint32(off + 8, true) };
}

function htbChangeClass(q: Qdisc, classid: number, parentid: number, tca: NlAttrs, existing: unknown, warn: (m: string) => void): unknown {
  const s = sched(q);
  if (!tca.has(TCA.OPTIONS)) throw kerr('EINVAL');
  const o = tca.at(TCA.OPTIONS);
  const tb = parseAttrs(tca.buf, o + 4, o + tca.len(TCA.OPTIONS) + 4, TCA_HTB.MAX);
  if (tb.has(TCA_HTB.PARMS) && tb.len(TCA_HTB.PARMS) < TC_HTB_OPT_SIZE) throw kerr('ERANGE', 'Attribute failed policy validation', { attrOffset: tb.at(TCA_HTB.PARMS) });
  if (!tb.has(TCA_HTB.PARMS)) throw kerr('EINVAL');
  const parent = parentid === TC_H.ROOT ? null : find(q, parentid);
  const d = tb.data(TCA_HTB.PARMS);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const rate = readRate(v, 0);
  const ceil = readRate(v, 12);
  if (!rate.rate || !ceil.rate) throw kerr('EINVAL');
  const buffer = v.getUint32(24, true);
  const cbuffer = v.getUint32(28, true);
  const quantum = v.getUint32(32, true);
  const prio = v.getUint32(40, true);
  let cl = existing as HtbClass | null;
  if (!cl) {
    if (!classid || ((classid ^ q.handle) & TC_H.MAJ_MASK) !== 0 || find(q, classid)) throw kerr('EINVAL');
    if (parent && parent.parent && parent.parent.level < 2) throw kerr('EINVAL', 'HTB: tree is too deep');
    cl = new HtbClass(classid, parent);
    cl.block = new TcfBlock(q.dev.net, 0, q);
    const leaf = new Qdisc(pfifoQdiscOps, q.dev, 0, classid);
    leaf.limit = DEFAULT_TX_QUEUE_LEN;
    leaf.priv = new SkbQueue();
    leaf.invisible = true;
    cl.leaf = leaf;
    if (parent) {
      if (parent.level === 0) {
        // a leaf becomes an inner class: its queue goes, its level counts down from the top
        if (parent.leaf) parent.leaf.ops.reset(parent.leaf);
        parent.leaf = null;
        parent.level = (parent.parent ? parent.parent.level : 8) - 1;
      }
      parent.children.push(cl);
    }
    s.classes.push(cl);
    clhashInsert(s, cl);
    cl.tC = q.dev.net.kernel.clock.nowNs();
    cl.tokens = ticks2ns(buffer);
    cl.ctokens = ticks2ns(cbuffer);
  }
  const rate64 = tb.has(TCA_HTB.RATE64) && tb.len(TCA_HTB.RATE64) >= 8 ? tb.u64(TCA_HTB.RATE64) : 0;
  const ceil64 = tb.has(TCA_HTB.CEIL64) && tb.len(TCA_HTB.CEIL64) >= 8 ? tb.u64(TCA_HTB.CEIL64) : 0;
  cl.rateCfg = PschedRatecfg.precompute(rate.rate, rate64, rate.overhead, rate.mpu, rate.linklayer);
  cl.ceilCfg = PschedRatecfg.precompute(ceil.rate, ceil64, ceil.overhead, ceil.mpu, ceil.linklayer);
  cl.rate = cl.rateCfg.rateBytesPs;
  cl.ceil = cl.ceilCfg.rateBytesPs;
  cl.linklayer = rate.linklayer;
  cl.cLinklayer = ceil.linklayer;
  cl.overhead = rate.overhead;
  cl.mpu = rate.mpu;
  cl.buffer = ticks2ns(buffer);
  cl.cbuffer = ticks2ns(cbuffer);
  if (cl.level === 0) {
    let warnDir = 0;
    cl.quantum = Math.min(Math.floor(rate.rate / s.r2q), 0x7fffffff);
    if (!quantum && cl.quantum < 1000) {
      warnDir = -1;
      cl.quantum = 1000;
    }
    if (!quantum && cl.quantum > 200000) {
      warnDir = 1;
      cl.quantum = 200000;
    }
    if (quantum) cl.quantum = quantum;
    cl.prio = prio >= 8 ? 7 : prio;
    if (warnDir) warn(`sch_htb: quantum of class ${cl.classid.toString(16).toUpperCase()} is ${warnDir === -1 ? 'small' : 'big'}. Consider r2q change.`);
  }
  rebuildLeafOrder(s);
  return cl;
}

function htbDeleteClass(q: Qdisc, c: unknown): void {
  const cl = c as HtbClass;
  const s = sched(q);
  if (cl.children.length > 0 || cl.filterCnt > 0) throw kerr('EBUSY', 'HTB class in use');
  s.classes.splice(s.classes.indexOf(cl), 1);
  clhashRemove(s, cl);
  const parent = cl.parent;
  if (parent) {
    parent.children.splice(parent.children.indexOf(cl), 1);
    if (parent.children.length === 0) {
      // htb_parent_to_leaf: the parent gets a fresh pfifo and full buckets
      const leaf = new Qdisc(pfifoQdiscOps, q.dev, 0, parent.classid);
      leaf.limit = DEFAULT_TX_QUEUE_LEN;
      leaf.priv = new SkbQueue();
      leaf.invisible = true;
      parent.leaf = leaf;
      parent.level = 0;
      parent.tokens = parent.buffer;
      parent.ctokens = parent.cbuffer;
      parent.tC = q.dev.net.kernel.clock.nowNs();
    }
  }
  rebuildLeafOrder(s);
  cl.block?.destroy();
}

function htbDumpClass(_q: Qdisc, c: unknown, w: NlWriter): { handle: number; parent: number; info: number } {
  const cl = c as HtbClass;
  const n = w.nestStart(TCA.OPTIONS);
  const p = w.attrReserve(TCA_HTB.PARMS, TC_HTB_OPT_SIZE);
  w.setU8(p + 1, cl.linklayer);
  w.setU16(p + 2, cl.overhead);
  w.setU16(p + 6, cl.mpu);
  w.setU32(p + 8, Math.min(cl.rate, 0xffffffff));
  w.setU8(p + 13, cl.cLinklayer);
  w.setU16(p + 14, cl.overhead);
  w.setU16(p + 18, cl.mpu);
  w.setU32(p + 20, Math.min(cl.ceil, 0xffffffff));
  w.setU32(p + 24, ns2ticks(cl.buffer));
  w.setU32(p + 28, ns2ticks(cl.cbuffer));
  w.setU32(p + 32, cl.quantum);
  w.setU32(p + 36, cl.level);
  w.setU32(p + 40, cl.prio);
  if (cl.rate >= 0x100000000) w.u64(TCA_HTB.RATE64, cl.rate);
  if (cl.ceil >= 0x100000000) w.u64(TCA_HTB.CEIL64, cl.ceil);
  w.nestEnd(n);
  return { handle: cl.classid, parent: cl.parent ? cl.parent.classid : TC_H.ROOT, info: cl.leaf ? cl.leaf.handle : 0 };
}

function htbDumpClassStats(_q: Qdisc, c: unknown, w: NlWriter): void {
  const cl = c as HtbClass;
  const st = cl.stats;
  if (cl.leaf) {
    st.qlen = cl.leaf.stats.qlen;
    st.backlog = cl.leaf.stats.backlog;
    st.drops = cl.leaf.stats.drops;
  }
  const x = new Uint8Array(20);
  const v = new DataView(x.buffer);
  v.setUint32(0, cl.lends, true);
  v.setUint32(4, cl.borrows, true);
  v.setInt32(12, Math.max(-0x80000000, Math.min(0x7fffffff, ns2ticks(cl.tokens))), true);
  v.setInt32(16, Math.max(-0x80000000, Math.min(0x7fffffff, ns2ticks(cl.ctokens))), true);
  gnetDumpStats(w, st, true, x);
}

const htbClassOps: QdiscClassOps = Object.freeze({
  find(q: Qdisc, classid: number): unknown {
    return find(q, classid);
  },
  tcfBlock(q: Qdisc, cl: unknown): TcfBlock | null {
    return cl ? (cl as HtbClass).block : sched(q).block;
  },
  bindTcf(q: Qdisc, _parent: number, classid: number): unknown {
    const cl = find(q, classid);
    if (cl) cl.filterCnt++;
    return cl ?? 0;
  },
  unbindTcf(_q: Qdisc, cl: unknown): void {
    if (cl instanceof HtbClass) cl.filterCnt--;
  },
  change: htbChangeClass,
  delete: htbDeleteClass,
  walk(q: Qdisc): readonly unknown[] {
    // htb_walk: hash buckets in order, each bucket newest first
    return sched(q).clhash.flat();
  },
  dump: htbDumpClass,
  dumpStats: htbDumpClassStats,
  leaf(_q: Qdisc, cl: unknown): Qdisc | null {
    return (cl as HtbClass).leaf;
  },
  graft(_q: Qdisc, cl: unknown, child: Qdisc | null): Qdisc | null {
    const c = cl as HtbClass;
    const old = c.leaf;
    c.leaf = child;
    return old;
  },
} satisfies QdiscClassOps);

/** sch_htb ops. */
export const htbQdiscOps: QdiscOps = Object.freeze({
  id: 'htb',
  clOps: htbClassOps,
  ingress: false,
  hasAttach: true,
  init: htbInit,
  destroy: htbDestroy,
  dump: htbDump,
  enqueue: htbEnqueue,
  dequeue: htbDequeue,
  reset: htbReset,
} satisfies QdiscOps);
