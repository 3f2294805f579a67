// Models net/sched/sch_ingress.c (Linux 6.18): the `ingress` and `clsact`
// qdiscs. They own one (ingress) or two (clsact: ingress 0xFFF2, egress 0xFFF3)
// filter blocks, private or shared (TCA_INGRESS_BLOCK / TCA_EGRESS_BLOCK), and
// are the entry points of the ingress/egress hooks.
import { kerr } from '@tcbpf/base';
import { TCA, TC_H } from '@tcbpf/uapi';
import type { Qdisc} from './sch-generic.js';
import { type QdiscClassOps, type QdiscInitArgs, type QdiscOps, type TcSkb } from './sch-generic.js';
import { TcfBlock } from './cls-api.js';
import type { NlWriter } from './nlattr.js';
import { tcfBlockOffloadBind, tcfBlockOffloadUnbind } from './flow-offload.js';

/** Private state of ingress/clsact. */
export interface IngressPriv {
  ingressBlock: number;
  egressBlock: number;
  ingress: TcfBlock | null;
  egress: TcfBlock | null;
}

function blockGet(q: Qdisc, index: number): TcfBlock {
  const net = q.dev.net;
  if (index === 0) return new TcfBlock(net, 0, q);
  let b = net.sharedBlocks.get(index);
  if (!b) {
    b = new TcfBlock(net, index, null);
    net.sharedBlocks.set(index, b);
  }
  b.owners++;
  return b;
}

function blockPut(q: Qdisc, b: TcfBlock | null): void {
  if (!b) return;
  if (b.index === 0) {
    b.destroy();
    return;
  }
  if (--b.owners === 0) {
    b.destroy();
    q.dev.net.sharedBlocks.delete(b.index);
  }
}

function readBlockIndex(args: QdiscInitArgs, t: number): number {
  if (!args.tca.has(t)) return 0;
  const v = args.tca.u32(t);
  if (v === 0) throw kerr('EINVAL', 'Block index cannot be zero', { attrOffset: args.tca.at(t) });
  return v;
}

/** tcf_block_get_ext: get (or share) the block and bind the device's offload to it; undone on failure. */
function blockGetBound(q: Qdisc, index: number, binder: 'ingress' | 'egress'): TcfBlock {
  const b = blockGet(q, index);
  try {
    tcfBlockOffloadBind(b, q.dev, binder);
  } catch (e) {
    blockPut(q, b);
    throw e;
  }
  return b;
}

function blockPutBound(q: Qdisc, b: TcfBlock | null, binder: 'ingress' | 'egress'): void {
  if (!b) return;
  tcfBlockOffloadUnbind(b, q.dev, binder);
  blockPut(q, b);
}

function ingressInit(q: Qdisc, args: QdiscInitArgs): void {
  if (q.parent !== TC_H.INGRESS) throw kerr('EOPNOTSUPP');
  const ib = readBlockIndex(args, TCA.INGRESS_BLOCK);
  q.priv = { ingressBlock: ib, egressBlock: 0, ingress: blockGetBound(q, ib, 'ingress'), egress: null } satisfies IngressPriv;
}

function clsactInit(q: Qdisc, args: QdiscInitArgs): void {
  if (q.parent !== TC_H.INGRESS) throw kerr('EOPNOTSUPP');
  const ib = readBlockIndex(args, TCA.INGRESS_BLOCK);
  const eb = readBlockIndex(args, TCA.EGRESS_BLOCK);
  const ingress = blockGetBound(q, ib, 'ingress');
  let egress: TcfBlock;
  try {
    egress = blockGetBound(q, eb, 'egress');
  } catch (e) {
    blockPutBound(q, ingress, 'ingress');
    throw e;
  }
  q.priv = { ingressBlock: ib, egressBlock: eb, ingress, egress } satisfies IngressPriv;
}

function ingressDestroy(q: Qdisc): void {
  const p = q.priv as IngressPriv | null;
  if (!p) return;
  blockPutBound(q, p.ingress, 'ingress');
  blockPutBound(q, p.egress, 'egress');
  q.priv = null;
}

function emptyOptions(_q: Qdisc, w: NlWriter): void {
  w.nestEnd(w.nestStart(TCA.OPTIONS));
}

/** ingress: every minor maps to the one block. */
const ingressClassOps: QdiscClassOps = Object.freeze({
  find(_q: Qdisc, classid: number): unknown {
    return (classid & TC_H.MIN_MASK) + 1;
  },
  tcfBlock(q: Qdisc, _cl: unknown): TcfBlock | null {
    return (q.priv as IngressPriv).ingress;
  },
  bindTcf(_q: Qdisc, _parent: number, classid: number): unknown {
    return (classid & TC_H.MIN_MASK) + 1;
  },
  unbindTcf(): void {},
} satisfies QdiscClassOps);

/** clsact: only the ingress (0xFFF2) and egress (0xFFF3) minors exist. */
const clsactClassOps: QdiscClassOps = Object.freeze({
  find(_q: Qdisc, classid: number): unknown {
    const m = classid & TC_H.MIN_MASK;
    return m === TC_H.MIN_INGRESS || m === TC_H.MIN_EGRESS ? m : null;
  },
  tcfBlock(q: Qdisc, cl: unknown): TcfBlock | null {
    const p = q.priv as IngressPriv;
    if (cl === TC_H.MIN_INGRESS) return p.ingress;
    if (cl === TC_H.MIN_EGRESS) return p.egress;
    return null;
  },
  bindTcf(q: Qdisc, parent: number, classid: number): unknown {
    return clsactClassOps.find(q, classid);
  },
  unbindTcf(): void {},
} satisfies QdiscClassOps);

function noEnqueue(_skb: TcSkb, q: Qdisc): number {
  return q.drop();
}

/** `ingress` qdisc ops. */
export const ingressQdiscOps: QdiscOps = Object.freeze({
  id: 'ingress',
  clOps: ingressClassOps,
  ingress: true,
  hasAttach: false,
  init: ingressInit,
  destroy: ingressDestroy,
  dump: emptyOptions,
  enqueue: noEnqueue,
  dequeue: (): TcSkb | null => null,
  reset(): void {},
} satisfies QdiscOps);

/** `clsact` qdisc ops. */
export const clsactQdiscOps: QdiscOps = Object.freeze({
  id: 'clsact',
  clOps: clsactClassOps,
  ingress: true,
  hasAttach: false,
  init: clsactInit,
  destroy: ingressDestroy,
  dump: emptyOptions,
  enqueue: noEnqueue,
  dequeue: (): TcSkb | null => null,
  reset(): void {},
} satisfies QdiscOps);
