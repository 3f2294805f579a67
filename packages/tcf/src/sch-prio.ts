// Models net/sched/sch_prio.c (Linux 6.18): a classful qdisc of 2..16 bands
// (classes major:1..major:bands, each a pfifo leaf), filters on the qdisc's
// block choosing the band from TC_H_MIN(res.classid) - 1, and priomap
// fallback on skb->priority; dequeue takes the lowest band first.
import { kerr } from '@tcbpf/base';
import { TCA, TCQ_PRIO, TC_ACT, TC_H, TC_PRIO_QOPT_SIZE } from '@tcbpf/uapi';
import { NET_XMIT, Qdisc, TcfResult, gnetDumpStats, type QdiscClassOps, type QdiscInitArgs, type QdiscOps, type TcSkb } from './sch-generic.js';
import { TcfBlock, tcfClassify } from './cls-api.js';
import { DEFAULT_TX_QUEUE_LEN, SkbQueue, pfifoQdiscOps } from './sch-generic-ops.js';
import type { NlWriter } from './nlattr.js';

const TCQ_PRIO_BANDS = TCQ_PRIO.BANDS;
const TCQ_MIN_PRIO_BANDS = TCQ_PRIO.MIN_BANDS;
const TC_PRIO_MAX = TCQ_PRIO.TC_PRIO_MAX;

interface PrioSched {
  bands: number;
  prio2band: Uint8Array;
  queues: (Qdisc | null)[];
  block: TcfBlock;
  res: TcfResult;
}

function sched(q: Qdisc): PrioSched {
  return q.priv as PrioSched;
}

function defaultLeaf(q: Qdisc, band: number): Qdisc {
  const leaf = new Qdisc(pfifoQdiscOps, q.dev, 0, (q.handle | (band + 1)) >>> 0);
  leaf.limit = DEFAULT_TX_QUEUE_LEN;
  leaf.priv = new SkbQueue();
  leaf.invisible = true;
  return leaf;
}

/** prio_tune. */
function prioTune(q: Qdisc, args: QdiscInitArgs): void {
  if (!args.tca.has(TCA.OPTIONS) || args.tca.len(TCA.OPTIONS) < TC_PRIO_QOPT_SIZE) throw kerr('EINVAL');
  const d = args.tca.data(TCA.OPTIONS);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const bands = v.getInt32(0, true);
  if (bands > TCQ_PRIO_BANDS || bands < TCQ_MIN_PRIO_BANDS) throw kerr('EINVAL');
  const map = d.slice(4, 20);
  for (let i = 0; i <= TC_PRIO_MAX; i++) if (map[i]! >= bands) throw kerr('EINVAL');
  const old = q.priv as PrioSched | null;
  const queues: (Qdisc | null)[] = [];
  for (let i = 0; i < bands; i++) queues.push(old && i < old.bands ? old.queues[i]! : defaultLeaf(q, i));
  if (old) for (let i = bands; i < old.bands; i++) old.queues[i]?.ops.reset(old.queues[i]!);
  q.priv = { bands, prio2band: map, queues, block: old?.block ?? new TcfBlock(q.dev.net, 0, q), res: old?.res ?? new TcfResult() } satisfies PrioSched;
}

/** prio_classify: the child queue, or null (dropped; `stolen` tells how). */
function prioClassify(skb: TcSkb, q: Qdisc): Qdisc | null | number {
  const s = sched(q);
  let band = skb.priority >>> 0;
  if (((band & TC_H.MAJ_MASK) >>> 0) !== q.handle) {
    const res = s.res;
    res.reset();
    const hasFilters = s.block.chain0 !== null && s.block.chain0.tps.length > 0;
    const err = tcfClassify(skb, s.block, res);
    if (err === TC_ACT.STOLEN || err === TC_ACT.QUEUED || err === TC_ACT.TRAP) return 1;
    if (err === TC_ACT.SHOT) return 0;
    if (!hasFilters || err < 0) {
      if ((band & TC_H.MAJ_MASK) !== 0) band = 0;
      return s.queues[s.prio2band[band & TC_PRIO_MAX]!]!;
    }
    band = res.classid;
  }
  const b = (band & TC_H.MIN_MASK) - 1;
  if (b < 0 || b >= s.bands) return s.queues[s.prio2band[0]!]!;
  return s.queues[b]!;
}

function prioEnqueue(skb: TcSkb, q: Qdisc): number {
  const child = prioClassify(skb, q);
  if (child === 1) return NET_XMIT.SUCCESS | NET_XMIT.STOLEN;
  if (child === 0 || child === null || typeof child === 'number') return q.drop();
  const r = child.ops.enqueue(skb, child);
  if (r === NET_XMIT.SUCCESS) {
    q.stats.qlen++;
    q.stats.backlog += skb.len;
    return r;
  }
  q.stats.drops++;
  return r;
}

function prioDequeue(q: Qdisc): TcSkb | null {
  for (const child of sched(q).queues) {
    if (!child) continue;
    const skb = child.ops.dequeue(child);
    if (skb) {
      q.stats.qlen--;
      q.stats.backlog -= skb.len;
      q.stats.bump(skb.len);
      return skb;
    }
  }
  return null;
}

function prioReset(q: Qdisc): void {
  for (const c of sched(q).queues) c?.ops.reset(c);
  q.stats.qlen = 0;
  q.stats.backlog = 0;
}

function prioDump(q: Qdisc, w: NlWriter): void {
  const s = sched(q);
  const p = w.attrReserve(TCA.OPTIONS, TC_PRIO_QOPT_SIZE);
  w.setS32(p, s.bands);
  for (let i = 0; i < 16; i++) w.setU8(p + 4 + i, s.prio2band[i]!);
}

const prioClassOps: QdiscClassOps = Object.freeze({
  find(q: Qdisc, classid: number): unknown {
    const band = classid & TC_H.MIN_MASK;
    return band - 1 >= sched(q).bands || band === 0 ? null : band;
  },
  tcfBlock(q: Qdisc, cl: unknown): TcfBlock | null {
    return cl ? null : sched(q).block;
  },
  bindTcf(q: Qdisc, _parent: number, classid: number): unknown {
    return prioClassOps.find(q, classid) ?? 0;
  },
  unbindTcf(): void {},
  walk(q: Qdisc): readonly unknown[] {
    const out: number[] = [];
    for (let i = 1; i <= sched(q).bands; i++) out.push(i);
    return out;
  },
  leaf(q: Qdisc, cl: unknown): Qdisc | null {
    return sched(q).queues[(cl as number) - 1] ?? null;
  },
  graft(q: Qdisc, cl: unknown, child: Qdisc | null): Qdisc | null {
    const s = sched(q);
    const i = (cl as number) - 1;
    const old = s.queues[i] ?? null;
    s.queues[i] = child ?? defaultLeaf(q, i);
    return old;
  },
  dump(q: Qdisc, cl: unknown, _w: NlWriter): { handle: number; parent: number; info: number } {
    const leaf = sched(q).queues[(cl as number) - 1];
    return { handle: (q.handle | (cl as number)) >>> 0, parent: TC_H.ROOT, info: leaf ? leaf.handle : 0 };
  },
  dumpStats(q: Qdisc, cl: unknown, w: NlWriter): void {
    const leaf = sched(q).queues[(cl as number) - 1];
    if (leaf) gnetDumpStats(w, leaf.stats, true, null);
  },
} satisfies QdiscClassOps);

/** sch_prio ops. */
export const prioQdiscOps: QdiscOps = Object.freeze({
  id: 'prio',
  clOps: prioClassOps,
  ingress: false,
  hasAttach: false,
  init: prioTune,
  change: prioTune,
  destroy(q: Qdisc): void {
    const s = q.priv as PrioSched | null;
    if (!s) return;
    s.block.destroy();
    prioReset(q);
  },
  dump: prioDump,
  enqueue: prioEnqueue,
  dequeue: prioDequeue,
  reset: prioReset,
} satisfies QdiscOps);
