// Models net/sched/sch_generic.c (noqueue, pfifo_fast) and net/sched/sch_fifo.c
// (pfifo, bfifo) of Linux 6.18: the classless leaves. Queues are arrays of
// skbs; enqueue/dequeue never throw and only allocate when the queue array grows.
import { kerr } from '@tcbpf/base';
import { TCA, TC_FIFO_QOPT_SIZE } from '@tcbpf/uapi';
import { NET_XMIT, type Qdisc, type QdiscOps, type QdiscInitArgs, type TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';

/** Default tx_queue_len of veth/ethernet devices (the fifo default limit). */
export const DEFAULT_TX_QUEUE_LEN = 1000;

/** sch_generic.c prio2band of pfifo_fast. */
export const PFIFO_FAST_PRIO2BAND: readonly number[] = Object.freeze([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);

/** A FIFO of skbs with O(1) amortised push/shift. */
export class SkbQueue {
  #items: (TcSkb | null)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(skb: TcSkb): void {
    this.#items.push(skb);
  }
  peek(): TcSkb | null {
    return this.#head < this.#items.length ? this.#items[this.#head]! : null;
  }
  shift(): TcSkb | null {
    if (this.#head >= this.#items.length) return null;
    const s = this.#items[this.#head]!;
    this.#items[this.#head++] = null;
    if (this.#head > 64 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return s;
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
}

function noDump(_q: Qdisc, _w: NlWriter): void {}

/** noqueue: the default of IFF_NO_QUEUE devices (veth, lo); packets go straight to the driver. */
export const noqueueQdiscOps: QdiscOps = Object.freeze({
  id: 'noqueue',
  clOps: null,
  ingress: false,
  hasAttach: false,
  init(): void {},
  destroy(): void {},
  dump: noDump,
  enqueue(_skb: TcSkb, _q: Qdisc): number {
    return NET_XMIT.BYPASS;
  },
  dequeue(): TcSkb | null {
    return null;
  },
  reset(): void {},
} satisfies QdiscOps);

function fifoInit(bytes: boolean) {
  return (q: Qdisc, args: QdiscInitArgs): void => {
    let limit = bytes ? DEFAULT_TX_QUEUE_LEN * 1514 : DEFAULT_TX_QUEUE_LEN;
    if (args.tca.has(TCA.OPTIONS)) {
      if (args.tca.len(TCA.OPTIONS) < TC_FIFO_QOPT_SIZE) throw kerr('EINVAL');
      limit = args.tca.u32(TCA.OPTIONS);
    }
    q.limit = limit;
    q.priv = new SkbQueue();
  };
}

function fifoEnqueue(bytes: boolean) {
  return (skb: TcSkb, q: Qdisc): number => {
    const st = q.stats;
    if (bytes ? st.backlog + skb.len <= q.limit : st.qlen < q.limit) {
      (q.priv as SkbQueue).push(skb);
      st.qlen++;
      st.backlog += skb.len;
      return NET_XMIT.SUCCESS;
    }
    return q.drop();
  };
}

function fifoDequeue(q: Qdisc): TcSkb | null {
  const skb = (q.priv as SkbQueue).shift();
  if (skb) {
    q.stats.qlen--;
    q.stats.backlog -= skb.len;
    q.stats.bump(skb.len);
  }
  return skb;
}

function fifoReset(q: Qdisc): void {
  (q.priv as SkbQueue).clear();
  q.stats.qlen = 0;
  q.stats.backlog = 0;
}

function fifoDump(q: Qdisc, w: NlWriter): void {
  w.u32(TCA.OPTIONS, q.limit);
}

/** pfifo: packet-limited FIFO (tc_fifo_qopt.limit, default tx_queue_len). */
export const pfifoQdiscOps: QdiscOps = Object.freeze({
  id: 'pfifo',
  clOps: null,
  ingress: false,
  hasAttach: false,
  init: fifoInit(false),
  change: fifoInit(false),
  destroy: fifoReset,
  dump: fifoDump,
  enqueue: fifoEnqueue(false),
  dequeue: fifoDequeue,
  reset: fifoReset,
} satisfies QdiscOps);

/** bfifo: byte-limited FIFO. */
export const bfifoQdiscOps: QdiscOps = Object.freeze({
  id: 'bfifo',
  clOps: null,
  ingress: false,
  hasAttach: false,
  init: fifoInit(true),
  change: fifoInit(true),
  destroy: fifoReset,
  dump: fifoDump,
  enqueue: fifoEnqueue(true),
  dequeue: fifoDequeue,
  reset: fifoReset,
} satisfies QdiscOps);

interface PfifoFastPriv {
  bands: [SkbQueue, SkbQueue, SkbQueue];
}

/** pfifo_fast: three bands chosen by prio2band[skb->priority & 15], band 0 first. */
export const pfifoFastQdiscOps: QdiscOps = Object.freeze({
  id: 'pfifo_fast',
  clOps: null,
  ingress: false,
  hasAttach: false,
  init(q: Qdisc): void {
    q.limit = DEFAULT_TX_QUEUE_LEN;
    q.priv = { bands: [new SkbQueue(), new SkbQueue(), new SkbQueue()] } satisfies PfifoFastPriv;
  },
  destroy(q: Qdisc): void {
    pfifoFastQdiscOps.reset(q);
  },
  dump(_q: Qdisc, w: NlWriter): void {
    const p = w.attrReserve(TCA.OPTIONS, 20);
    w.setU32(p, 3);
    for (let i = 0; i < 16; i++) w.setU8(p + 4 + i, PFIFO_FAST_PRIO2BAND[i]!);
  },
  enqueue(skb: TcSkb, q: Qdisc): number {
    if (q.stats.qlen >= q.limit) return q.drop();
    const band = PFIFO_FAST_PRIO2BAND[skb.priority & 15]!;
    (q.priv as PfifoFastPriv).bands[band]!.push(skb);
    q.stats.qlen++;
    q.stats.backlog += skb.len;
    return NET_XMIT.SUCCESS;
  },
  dequeue(q: Qdisc): TcSkb | null {
    for (const b of (q.priv as PfifoFastPriv).bands) {
      const skb = b.shift();
      if (skb) {
        q.stats.qlen--;
        q.stats.backlog -= skb.len;
        q.stats.bump(skb.len);
        return skb;
      }
    }
    return null;
  },
  reset(q: Qdisc): void {
    for (const b of (q.priv as PfifoFastPriv).bands) b.clear();
    q.stats.qlen = 0;
    q.stats.backlog = 0;
  },
} satisfies QdiscOps);
