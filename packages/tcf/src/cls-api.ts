// Models net/sched/cls_api.c (Linux 6.18): filter blocks, chains and tcf_proto
// objects, the classifier ops table (struct tcf_proto_ops), the classification
// loop tcf_classify() with its reclassify limit and GOTO_CHAIN, class binding
// (tcf_bind_filter), and the rtnetlink handlers RTM_{NEW,DEL,GET}TFILTER and
// RTM_{NEW,DEL,GET}CHAIN with the kernel's errno and extack text.
import { kerr } from '@tcbpf/base';
import { NLM_F, RTM, TCA, TC_ACT, TC_H, TCM_IFINDEX_MAGIC } from '@tcbpf/uapi';
import { NlWriter, parseAttrs, type NlAttrs } from './nlattr.js';
import type { Qdisc, TcSkb } from './sch-generic.js';
import type { TcfResult } from './sch-generic.js';
import type { TcNet, RtnlRequest } from './kernel.js';
import { BlockOffload, type FlowSetupCb } from './flow-offload.js';

/** TCA_CHAIN upper limit (TC_ACT_EXT_VAL_MASK). */
export const TC_CHAIN_MAX = 0x0fffffff;
/** Since Linux 5.13 (commit "increase max_reclassify_loop"). */
export const TCF_MAX_RECLASSIFY_LOOP = 16;
/** ETH_P_ALL in host order. */
export const ETH_P_ALL = 0x0003;

/** Arguments of tcf_proto_ops.change. */
export interface TcfChangeArgs {
  readonly net: TcNet;
  /** tcm_parent of the request (the `base` of tcf_bind_filter). */
  readonly base: number;
  readonly handle: number;
  /** Top-level attributes of the request (TCA_OPTIONS inside). */
  readonly tca: NlAttrs;
  /** Existing filter with that handle, or null. */
  readonly old: unknown;
  /** TCA_ACT_FLAGS_REPLACE for actions bound by this filter (request without NLM_F_CREATE). */
  readonly replaceActs: boolean;
}

/** struct tcf_proto_ops: a classifier kind. `fh` values are classifier-private. */
export interface TcfProtoOps {
  readonly kind: string;
  init(tp: TcfProto): void;
  destroy(tp: TcfProto): void;
  /** Hot path: returns a TC_ACT_* verdict (or -1 for no match); fills res; never throws. */
  classify(skb: TcSkb, tp: TcfProto, res: TcfResult): number;
  get(tp: TcfProto, handle: number): unknown;
  /** Create or replace; returns the filter. Throws KernelError; must leave nothing behind on failure. */
  change(tp: TcfProto, args: TcfChangeArgs): unknown;
  /** Remove one filter; returns true when the tp is now empty (`*last`). */
  delete(tp: TcfProto, fh: unknown): boolean;
  /** Filters in the kernel's walk order. */
  walk(tp: TcfProto): readonly unknown[];
  /** Write TCA_OPTIONS (and friends) for one filter; returns its handle (tcm_handle). */
  dump(tp: TcfProto, fh: unknown, w: NlWriter): number;
  /** Optional: called when a class is created/deleted (cl null) with this classid. */
  bindClass?(tp: TcfProto, fh: unknown, classid: number, cl: unknown, q: Qdisc | null, base: number): void;
  /** Optional: replay (add) or withdraw this tp's filters to one flow block callback (tcf_proto_ops.reoffload). */
  reoffload?(tp: TcfProto, add: boolean, cb: FlowSetupCb): void;
  /** Optional chain templates (tmplt_create/tmplt_dump); absent → EOPNOTSUPP. */
  tmpltCreate?(net: TcNet, chain: TcfChain, tca: NlAttrs): unknown;
  tmpltDump?(tmplt: unknown, w: NlWriter): void;
}

/** struct tcf_proto: one (chain, prio, protocol) classifier instance. */
export class TcfProto {
  readonly ops: TcfProtoOps;
  /** Host-order EtherType (ETH_P_ALL = 3). */
  readonly protocol: number;
  /** Priority in the major bits (prio << 16), unsigned. */
  readonly prio: number;
  readonly chain: TcfChain;
  /** Classifier-private root. */
  root: unknown = null;

  constructor(ops: TcfProtoOps, protocol: number, prio: number, chain: TcfChain) {
    this.ops = ops;
    this.protocol = protocol;
    this.prio = prio;
    this.chain = chain;
  }
  get net(): TcNet {
    return this.chain.block.net;
  }
  get q(): Qdisc | null {
    return this.chain.block.q;
  }
}

/** struct tcf_chain. */
export class TcfChain {
  readonly index: number;
  readonly block: TcfBlock;
  /** tcf_proto list sorted by ascending prio. */
  readonly tps: TcfProto[] = [];
  refcnt = 0;
  actionRefcnt = 0;
  explicitlyCreated = false;
  tmpltOps: TcfProtoOps | null = null;
  tmpltPriv: unknown = null;

  constructor(block: TcfBlock, index: number) {
    this.block = block;
    this.index = index;
  }
}

/** struct tcf_block: the filter chains of one attach point (or a shared block). */
export class TcfBlock {
  readonly net: TcNet;
  /** 0 = private. */
  readonly index: number;
  /** Owning qdisc of a private block; null for shared blocks. */
  readonly q: Qdisc | null;
  readonly chains: TcfChain[] = [];
  /** block->classid: the parent of the last RTM_NEWTFILTER (what dumps report). */
  classid = 0;
  /** Qdiscs bound to a shared block. */
  owners = 0;
  /** Datapath entry: chain 0 (kept in sync, the "mini qdisc" head). */
  chain0: TcfChain | null = null;
  /** Offload callbacks and counters (flow_block, nooffloaddevcnt, offloadcnt). */
  readonly offload = new BlockOffload();

  constructor(net: TcNet, index: number, q: Qdisc | null) {
    this.net = net;
    this.index = index;
    this.q = q;
  }

  chainLookup(index: number): TcfChain | null {
    for (const c of this.chains) if (c.index === index) return c;
    return null;
  }

  /** __tcf_chain_get: look up or create; notifies RTM_NEWCHAIN when it becomes visible. */
  chainGet(index: number, create: boolean, byAct: boolean, notify = true): TcfChain | null {
    let chain = this.chainLookup(index);
    let isFirstRef = false;
    if (chain) {
      chain.refcnt++;
      if (!byAct && chain.refcnt - chain.actionRefcnt === 1) isFirstRef = true;
    } else {
      if (!create) return null;
      chain = new TcfChain(this, index);
      this.chains.push(chain);
      if (index === 0) this.chain0 = chain;
      chain.refcnt = 1;
      if (!byAct) isFirstRef = true;
    }
    if (byAct) chain.actionRefcnt++;
    if (isFirstRef && notify) this.net.chainNotify(chain, RTM.NEWCHAIN, NLM_F.CREATE | NLM_F.EXCL, null);
    return chain;
  }

  /** __tcf_chain_put. */
  chainPut(chain: TcfChain, byAct: boolean, explicitlyCreated: boolean): void {
    const wasVisible = chain.refcnt - chain.actionRefcnt > 0;
    if (explicitlyCreated) {
      if (!chain.explicitlyCreated) return;
      chain.explicitlyCreated = false;
    }
    if (byAct) chain.actionRefcnt--;
    chain.refcnt--;
    if (wasVisible && chain.refcnt - chain.actionRefcnt === 0 && !byAct) {
      this.net.chainNotify(chain, RTM.DELCHAIN, 0, null);
    }
    if (chain.refcnt === 0) {
      const i = this.chains.indexOf(chain);
      if (i >= 0) this.chains.splice(i, 1);
      if (this.chain0 === chain) this.chain0 = null;
      chain.tmpltOps = null;
    }
  }

  /** Visible chains (not held only by actions), creation order. */
  visibleChains(): TcfChain[] {
    return this.chains.filter((c) => c.refcnt - c.actionRefcnt > 0 || c.tps.length > 0);
  }

  /**
   * __tcf_block_put → tcf_block_flush_all_chains: every chain is flushed and
   * its references dropped; a chain visible to users is announced gone
   * (RTM_DELCHAIN, portid 0) as its last non-action reference goes.
   */
  destroy(): void {
    for (const chain of [...this.chains]) {
      const visible = chain.refcnt - chain.actionRefcnt > 0;
      for (const tp of [...chain.tps]) tcfProtoDestroy(tp);
      chain.tps.length = 0;
      if (visible) this.net.chainNotify(chain, RTM.DELCHAIN, 0, null);
    }
    this.chains.length = 0;
    this.chain0 = null;
  }
}

function tcfProtoDestroy(tp: TcfProto): void {
  tp.ops.destroy(tp);
}

/** Remove tp from its chain (tcf_chain_tp_remove) and drop the chain reference it held. */
function tcfChainTpRemove(tp: TcfProto): void {
  const chain = tp.chain;
  const i = chain.tps.indexOf(tp);
  if (i >= 0) chain.tps.splice(i, 1);
  tcfProtoDestroy(tp);
  chain.block.chainPut(chain, false, false);
}

/** Per-datapath classification state (struct tcf_result + loop counters), owned by the net. */
export interface TcfClassifyState {
  lastReclassifyLog: string;
}

/**
 * tcf_classify over a block's chain 0 (compat_mode false): protocol matching,
 * RECLASSIFY restarts at chain 0, GOTO_CHAIN continues at the target chain's
 * first tp, and after TCF_MAX_RECLASSIFY_LOOP restarts the packet is SHOT.
 * Hot path: allocates nothing, never throws.
 */
export function tcfClassify(skb: TcSkb, block: TcfBlock, res: TcfResult): number {
  const head = block.chain0;
  if (head === null) return TC_ACT.UNSPEC;
  const proto = skb.vlanPresent ? skb.vlanProto : skb.protocol;
  const obs = block.net.observer;
  let chain: TcfChain | null = head;
  let limit = 0;
  for (;;) {
    let restart = false;
    if (chain !== null) {
      const tps = chain.tps;
      for (let i = 0; i < tps.length; i++) {
        const tp = tps[i]!;
        if (tp.protocol !== proto && tp.protocol !== ETH_P_ALL) continue;
        res.gotoChain = null;
        const err = tp.ops.classify(skb, tp, res);
        if (obs !== null) obs.filter(tp, skb, err, res);
        if (err === TC_ACT.RECLASSIFY) {
          chain = head;
          restart = true;
        } else if ((err & ~TC_ACT.EXT_VAL_MASK) === TC_ACT.GOTO_CHAIN) {
          chain = res.gotoChain as TcfChain | null;
          restart = true;
        } else if (err >= 0) {
          return err;
        }
        if (restart) {
          if (limit++ >= TCF_MAX_RECLASSIFY_LOOP) {
            block.net.reclassifyLoops++;
            return TC_ACT.SHOT;
          }
          break;
        }
      }
    }
    if (!restart) return TC_ACT.UNSPEC;
  }
}

/** tcf_bind_filter: cache the qdisc's class for `classid` in res (private blocks only). */
export function tcfBindFilter(tp: TcfProto, res: TcfResult, base: number): void {
  const q = tp.q;
  if (q === null || q.ops.clOps === null) return;
  const cl = q.ops.clOps.bindTcf(q, base, res.classid);
  const old = res.cls;
  res.cls = cl;
  if (old !== null && old !== 0) q.ops.clOps.unbindTcf(q, old);
}

/** tcf_unbind_filter. */
export function tcfUnbindFilter(tp: TcfProto, res: TcfResult): void {
  const q = tp.q;
  if (res.cls !== null && res.cls !== 0 && q !== null && q.ops.clOps !== null) q.ops.clOps.unbindTcf(q, res.cls);
  res.cls = null;
}

// ------------------------------------------------------------------ rtnetlink

const TCA_MAX = TCA.MAX;

function beProto(p: number): number {
  return ((p & 0xff) << 8) | ((p >>> 8) & 0xff);
}

/** Decoded tcmsg header. */
export interface TcMsg {
  readonly ifindex: number;
  readonly handle: number;
  readonly parent: number;
  readonly info: number;
}

/** Where a filter request points: qdisc (or null for a shared block), parent and block. */
interface BlockLoc {
  q: Qdisc | null;
  parent: number;
  cl: unknown;
  block: TcfBlock;
}

/** __tcf_qdisc_find + __tcf_qdisc_cl_find + __tcf_block_find. */
function tcfBlockFind(net: TcNet, t: TcMsg, forNew: boolean): BlockLoc {
  if (t.ifindex === TCM_IFINDEX_MAGIC.BLOCK) {
    const block = net.sharedBlocks.get(t.parent);
    if (!block) throw kerr('EINVAL', 'Block of given index was not found');
    return { q: null, parent: t.parent, cl: null, block };
  }
  const dev = net.devs.get(t.ifindex);
  if (!dev) throw kerr('ENODEV');
  let parent = t.parent;
  let q: Qdisc | null;
  if (parent === 0) {
    q = dev.qdisc;
    parent = q.handle;
  } else {
    q = net.qdiscLookup(dev, (TC_H.MAJ_MASK & parent) >>> 0);
    if (!q) throw kerr('EINVAL', "Parent Qdisc doesn't exists");
  }
  const cops = q.ops.clOps;
  if (!cops) throw kerr('EINVAL', 'Qdisc not classful');
  let cl: unknown = null;
  if ((parent & TC_H.MIN_MASK) !== 0) {
    cl = cops.find(q, parent);
    if (cl === null || cl === 0) throw kerr('ENOENT', "Specified class doesn't exist");
  }
  const block = cops.tcfBlock(q, cl);
  if (!block) throw kerr('EINVAL');
  if (block.index !== 0) {
    throw kerr('EOPNOTSUPP', 'This filter block is shared. Please use the block index to manipulate the filters');
  }
  if (forNew) block.classid = parent;
  return { q, parent, cl, block };
}

/** tcf_fill_node: one RTM_*TFILTER message; returns false if the filter could not be dumped. */
export function tcfFillNode(w: NlWriter, tp: TcfProto, block: TcfBlock, q: Qdisc | null, parent: number, fh: unknown, portid: number, seq: number, flags: number, event: number, warning = ''): void {
  const m = w.msgStart(event, flags, seq, portid);
  const hdr = w.zeros(20);
  if (q) {
    w.setS32(hdr + 4, q.dev.ifindex);
    w.setU32(hdr + 12, parent);
  } else {
    w.setU32(hdr + 4, TCM_IFINDEX_MAGIC.BLOCK);
    w.setU32(hdr + 12, block.index);
  }
  w.setU32(hdr + 16, (tp.prio | beProto(tp.protocol)) >>> 0);
  w.str(TCA.KIND, tp.ops.kind);
  w.u32(TCA.CHAIN, tp.chain.index);
  if (fh !== null) {
    const h = tp.ops.dump(tp, fh, w);
    w.setU32(hdr + 8, h);
  }
  if (warning !== '') w.str(TCA.EXT_WARN_MSG, warning);
  w.msgEnd(m);
}

function tfilterNotify(req: RtnlRequest, tp: TcfProto, block: TcfBlock, q: Qdisc | null, parent: number, fh: unknown, event: number, unicast: boolean): void {
  const w = new NlWriter();
  tcfFillNode(w, tp, block, q, parent, fh, req.portid, req.seq, req.flags, event, req.warning);
  const b = w.bytes();
  if (unicast) req.unicast(b);
  else req.notify(b);
}

/** RTM_NEWTFILTER (tc_new_tfilter). */
export function tcNewTfilter(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const protocol = beProto(t.info & TC_H.MIN_MASK);
  let prio = (t.info & TC_H.MAJ_MASK) >>> 0;
  let prioAllocate = false;
  if (prio === 0) {
    if (!(req.flags & NLM_F.CREATE)) throw kerr('ENOENT', 'Invalid filter command with priority of zero');
    prio = 0x80000000;
    prioAllocate = true;
  }
  const loc = tcfBlockFind(net, t, true);
  if (tca.has(TCA.KIND) && tca.str(TCA.KIND).length >= 16) throw kerr('EINVAL', 'Specified TC filter name too long');
  const chainIndex = tca.has(TCA.CHAIN) ? tca.u32(TCA.CHAIN) : 0;
  if (chainIndex > TC_CHAIN_MAX) throw kerr('EINVAL', 'Specified chain index exceeds upper limit');
  const chain = loc.block.chainGet(chainIndex, true, false)!;
  let tpCreated = false;
  let tp: TcfProto | null = null;
  try {
    // tcf_chain_tp_find
    let insertAt = chain.tps.length;
    for (let i = 0; i < chain.tps.length; i++) {
      const cur = chain.tps[i]!;
      if (cur.prio >= prio) {
        insertAt = i;
        if (cur.prio === prio) {
          if (prioAllocate) throw kerr('ENOSPC', 'Lowest ID from auto-alloc range already in use');
          if (protocol !== 0 && cur.protocol !== protocol) throw kerr('EINVAL', 'Protocol mismatch for filter with specified priority');
          tp = cur;
        }
        break;
      }
    }
    if (tp === null) {
      if (!tca.has(TCA.KIND) || protocol === 0) throw kerr('EINVAL', 'Filter kind and protocol must be specified');
      if (!(req.flags & NLM_F.CREATE)) throw kerr('ENOENT', 'Need both RTM_NEWTFILTER and NLM_F_CREATE to create a new filter');
      if (prioAllocate) {
        const next = chain.tps[insertAt];
        prio = next ? ((next.prio - 0x10000) & TC_H.MAJ_MASK) >>> 0 : 0xc0000000;
      }
      const ops = net.kernel.clsOps(tca.str(TCA.KIND));
      if (!ops) throw kerr('ENOENT', 'TC classifier not found');
      tp = new TcfProto(ops, protocol, prio, chain);
      ops.init(tp);
      chain.tps.splice(insertAt, 0, tp);
      chain.refcnt++; // tcf_chain_tp_insert holds the chain
      tpCreated = true;
    } else if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== tp.ops.kind) {
      throw kerr('EINVAL', 'Specified filter kind does not match existing one');
    }
    const old = tp.ops.get(tp, t.handle);
    if (old === null || old === undefined) {
      if (!(req.flags & NLM_F.CREATE)) throw kerr('ENOENT', 'Need both RTM_NEWTFILTER and NLM_F_CREATE to create a new filter');
    } else if (req.flags & NLM_F.EXCL) {
      throw kerr('EEXIST', 'Filter already exists');
    }
    if (chain.tmpltOps && chain.tmpltOps !== tp.ops) throw kerr('EINVAL', 'Chain template is set to a different filter kind');
    const fh = tp.ops.change(tp, { net, base: loc.parent, handle: t.handle, tca, old: old ?? null, replaceActs: !(req.flags & NLM_F.CREATE) });
    tfilterNotify(req, tp, loc.block, loc.q, loc.parent, fh, RTM.NEWTFILTER, false);
    if (req.flags & NLM_F.ECHO) tfilterNotify(req, tp, loc.block, loc.q, loc.parent, fh, RTM.NEWTFILTER, true);
  } catch (e) {
    if (tpCreated && tp !== null && tp.ops.walk(tp).length === 0) tcfChainTpRemove(tp);
    throw e;
  } finally {
    loc.block.chainPut(chain, false, false);
  }
}

/** RTM_DELTFILTER (tc_del_tfilter). */
export function tcDelTfilter(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const protocol = beProto(t.info & TC_H.MIN_MASK);
  const prio = (t.info & TC_H.MAJ_MASK) >>> 0;
  if (prio === 0 && (protocol !== 0 || t.handle !== 0 || tca.has(TCA.KIND))) {
    throw kerr('ENOENT', 'Cannot flush filters with protocol, handle or kind set');
  }
  const loc = tcfBlockFind(net, t, false);
  if (tca.has(TCA.KIND) && tca.str(TCA.KIND).length >= 16) throw kerr('EINVAL', 'Specified TC filter name too long');
  const chainIndex = tca.has(TCA.CHAIN) ? tca.u32(TCA.CHAIN) : 0;
  if (chainIndex > TC_CHAIN_MAX) throw kerr('EINVAL', 'Specified chain index exceeds upper limit');
  const chain = loc.block.chainGet(chainIndex, false, false);
  if (!chain) {
    if (prio === 0) return;
    throw kerr('ENOENT', 'Cannot find specified filter chain');
  }
  try {
    if (prio === 0) {
      // tfilter_notify_chain + tcf_chain_flush
      for (const tp of [...chain.tps]) {
        tfilterNotify(req, tp, loc.block, loc.q, loc.parent, null, RTM.DELTFILTER, false);
        tcfChainTpRemove(tp);
      }
      return;
    }
    let tp: TcfProto | null = null;
    for (const cur of chain.tps) {
      if (cur.prio === prio && (protocol === 0 || cur.protocol === protocol)) {
        tp = cur;
        break;
      }
    }
    if (!tp) throw kerr('ENOENT', 'Filter with specified priority/protocol not found');
    if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== tp.ops.kind) throw kerr('EINVAL', 'Specified filter kind does not match existing one');
    if (t.handle === 0) {
      tfilterNotify(req, tp, loc.block, loc.q, loc.parent, null, RTM.DELTFILTER, false);
      if (req.flags & NLM_F.ECHO) tfilterNotify(req, tp, loc.block, loc.q, loc.parent, null, RTM.DELTFILTER, true);
      tcfChainTpRemove(tp);
      return;
    }
    const fh = tp.ops.get(tp, t.handle);
    if (fh === null || fh === undefined) throw kerr('ENOENT', 'Specified filter handle not found');
    const w = new NlWriter();
    tcfFillNode(w, tp, loc.block, loc.q, loc.parent, fh, req.portid, req.seq, req.flags, RTM.DELTFILTER);
    const msg = w.bytes();
    const last = tp.ops.delete(tp, fh);
    req.notify(msg);
    if (req.flags & NLM_F.ECHO) req.unicast(msg);
    if (last) tcfChainTpRemove(tp);
  } finally {
    loc.block.chainPut(chain, false, false);
  }
}

/** RTM_GETTFILTER without NLM_F_DUMP (tc_get_tfilter). */
export function tcGetTfilter(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const protocol = beProto(t.info & TC_H.MIN_MASK);
  const prio = (t.info & TC_H.MAJ_MASK) >>> 0;
  if (prio === 0) throw kerr('ENOENT', 'Invalid filter command with priority of zero');
  const loc = tcfBlockFind(net, t, false);
  if (tca.has(TCA.KIND) && tca.str(TCA.KIND).length >= 16) throw kerr('EINVAL', 'Specified TC filter name too long');
  const chainIndex = tca.has(TCA.CHAIN) ? tca.u32(TCA.CHAIN) : 0;
  if (chainIndex > TC_CHAIN_MAX) throw kerr('EINVAL', 'Specified chain index exceeds upper limit');
  const chain = loc.block.chainLookup(chainIndex);
  if (!chain || chain.refcnt - chain.actionRefcnt === 0) throw kerr('EINVAL', 'Cannot find specified filter chain');
  let tp: TcfProto | null = null;
  for (const cur of chain.tps) {
    if (cur.prio === prio && (protocol === 0 || cur.protocol === protocol)) {
      tp = cur;
      break;
    }
  }
  if (!tp) throw kerr('ENOENT', 'Filter with specified priority/protocol not found');
  if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== tp.ops.kind) throw kerr('EINVAL', 'Specified filter kind does not match existing one');
  const fh = tp.ops.get(tp, t.handle);
  if (fh === null || fh === undefined) throw kerr('ENOENT', 'Specified filter handle not found');
  const w = new NlWriter();
  tcfFillNode(w, tp, loc.block, loc.q, loc.parent, fh, req.portid, req.seq, req.flags, RTM.NEWTFILTER);
  req.unicast(w.bytes());
}

/**
 * Room for one message in a dump skb (net/netlink/af_netlink.c netlink_dump):
 * max_recvmsg_len is capped at SKB_WITH_OVERHEAD(32768) = 32768 - 320 on x86-64;
 * tcbpf assumes the reader's buffers reached that cap (iproute2 reads with 32 KiB).
 * A filter whose message is larger cannot be dumped (measured on 6.18: a
 * 32444-byte filter message is listed, a 32452-byte one ends the dump).
 */
const DUMP_SKB_ROOM = 32768 - 320;

/** RTM_GETTFILTER | NLM_F_DUMP (tc_dump_tfilter). */
export function tcDumpTfilter(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  let block: TcfBlock | undefined;
  let q: Qdisc | null = null;
  let parent = 0;
  if (t.ifindex === TCM_IFINDEX_MAGIC.BLOCK) {
    block = net.sharedBlocks.get(t.parent);
    if (!block) return;
  } else {
    const dev = net.devs.get(t.ifindex);
    if (!dev) return;
    if (t.parent === 0) q = dev.qdisc;
    else q = net.qdiscLookup(dev, (t.parent & TC_H.MAJ_MASK) >>> 0);
    if (!q) return;
    const cops = q.ops.clOps;
    if (!cops) return;
    let cl: unknown = null;
    if ((t.parent & TC_H.MIN_MASK) !== 0) {
      cl = cops.find(q, t.parent);
      if (cl === null || cl === 0) return;
    }
    block = cops.tcfBlock(q, cl) ?? undefined;
    if (!block) return;
    parent = block.classid;
    if (block.index !== 0) q = null;
  }
  const onlyChain = tca.has(TCA.CHAIN) ? tca.u32(TCA.CHAIN) : -1;
  const wantPrio = (t.info & TC_H.MAJ_MASK) >>> 0;
  const wantProto = beProto(t.info & TC_H.MIN_MASK);
  for (const chain of block.chains) {
    if (chain.refcnt - chain.actionRefcnt === 0 && chain.tps.length === 0) continue;
    if (onlyChain >= 0 && chain.index !== onlyChain) continue;
    for (const tp of chain.tps) {
      if (wantPrio !== 0 && tp.prio !== wantPrio) continue;
      if (wantProto !== 0 && tp.protocol !== wantProto) continue;
      const w = new NlWriter();
      tcfFillNode(w, tp, block, q, parent, null, req.portid, req.seq, NLM_F.MULTI, RTM.NEWTFILTER);
      req.unicast(w.bytes());
      for (const fh of tp.ops.walk(tp)) {
        const w2 = new NlWriter();
        tcfFillNode(w2, tp, block, q, parent, fh, req.portid, req.seq, NLM_F.MULTI, RTM.NEWTFILTER);
        const m = w2.bytes();
        // tcf_node_dump fails on an empty skb: the dump ends with -EMSGSIZE in NLMSG_DONE
        if (m.length > DUMP_SKB_ROOM) throw kerr('EMSGSIZE');
        req.unicast(m);
      }
    }
  }
}

// ------------------------------------------------------------------ chains

/** tc_chain_fill_node. */
export function tcChainFill(w: NlWriter, chain: TcfChain, portid: number, seq: number, flags: number, event: number): void {
  const block = chain.block;
  const m = w.msgStart(event, flags, seq, portid);
  const hdr = w.zeros(20);
  if (block.q) {
    w.setS32(hdr + 4, block.q.dev.ifindex);
    w.setU32(hdr + 12, block.q.handle);
  } else {
    w.setU32(hdr + 4, TCM_IFINDEX_MAGIC.BLOCK);
    w.setU32(hdr + 12, block.index);
  }
  w.u32(TCA.CHAIN, chain.index);
  if (chain.tmpltOps) {
    w.str(TCA.KIND, chain.tmpltOps.kind);
    chain.tmpltOps.tmpltDump?.(chain.tmpltPriv, w);
  }
  w.msgEnd(m);
}


/** RTM_NEWCHAIN / RTM_DELCHAIN / RTM_GETCHAIN (tc_ctl_chain). */
export function tcCtlChain(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const loc = tcfBlockFind(net, t, false);
  const block = loc.block;
  const chainIndex = tca.has(TCA.CHAIN) ? tca.u32(TCA.CHAIN) : 0;
  if (chainIndex > TC_CHAIN_MAX) throw kerr('EINVAL', 'Specified chain index exceeds upper limit');
  let chain = block.chainLookup(chainIndex);
  if (req.type === RTM.NEWCHAIN) {
    if (chain && chain.refcnt - chain.actionRefcnt > 0) throw kerr('EEXIST', 'Filter chain already exists');
    if (!(req.flags & NLM_F.CREATE)) throw kerr('ENOENT', 'Need both RTM_NEWCHAIN and NLM_F_CREATE to create a new chain');
    chain = block.chainGet(chainIndex, true, false, false)!;
    chain.explicitlyCreated = true;
    try {
      if (tca.has(TCA.KIND)) {
        const ops = net.kernel.clsOps(tca.str(TCA.KIND));
        if (!ops) throw kerr('ENOENT', 'TC classifier not found');
        if (!ops.tmpltCreate) throw kerr('EOPNOTSUPP', 'Chain templates are not supported with specified classifier');
        chain.tmpltPriv = ops.tmpltCreate(net, chain, tca);
        chain.tmpltOps = ops;
      }
    } catch (e) {
      block.chainPut(chain, false, true);
      throw e;
    }
    net.chainNotify(chain, RTM.NEWCHAIN, NLM_F.CREATE | NLM_F.EXCL, null);
    return;
  }
  if (!chain || chain.refcnt - chain.actionRefcnt === 0) throw kerr('EINVAL', 'Cannot find specified filter chain');
  if (req.type === RTM.DELCHAIN) {
    // tfilter_notify_chain (request flags, echo) + tcf_chain_flush, then drop the explicit reference
    chain.refcnt++;
    for (const tp of [...chain.tps]) {
      tfilterNotify(req, tp, block, loc.q, loc.parent, null, RTM.DELTFILTER, false);
      if (req.flags & NLM_F.ECHO) tfilterNotify(req, tp, block, loc.q, loc.parent, null, RTM.DELTFILTER, true);
      tcfChainTpRemove(tp);
    }
    if (chain.explicitlyCreated) block.chainPut(chain, false, true);
    block.chainPut(chain, false, false);
    return;
  }
  const w = new NlWriter();
  tcChainFill(w, chain, req.portid, req.seq, req.flags, RTM.GETCHAIN);
  req.unicast(w.bytes());
}

/** RTM_GETCHAIN | NLM_F_DUMP (tc_dump_chain). */
export function tcDumpChain(net: TcNet, req: RtnlRequest, t: TcMsg): void {
  let block: TcfBlock | null | undefined;
  if (t.ifindex === TCM_IFINDEX_MAGIC.BLOCK) block = net.sharedBlocks.get(t.parent);
  else {
    const dev = net.devs.get(t.ifindex);
    if (!dev) return;
    const q = t.parent === 0 ? dev.qdisc : net.qdiscLookup(dev, (t.parent & TC_H.MAJ_MASK) >>> 0);
    if (!q || !q.ops.clOps) return;
    let cl: unknown = null;
    if ((t.parent & TC_H.MIN_MASK) !== 0) {
      cl = q.ops.clOps.find(q, t.parent);
      if (cl === null || cl === 0) return;
    }
    block = q.ops.clOps.tcfBlock(q, cl);
  }
  if (!block) return;
  for (const chain of block.chains) {
    if (chain.refcnt - chain.actionRefcnt === 0) continue;
    const w = new NlWriter();
    tcChainFill(w, chain, req.portid, req.seq, NLM_F.MULTI, RTM.NEWCHAIN);
    req.unicast(w.bytes());
  }
}

/** Parse a tcmsg header at `off` (caller checked the length). */
export function readTcMsg(v: DataView, off: number): TcMsg {
  return { ifindex: v.getInt32(off + 4, true) >>> 0, handle: v.getUint32(off + 8, true), parent: v.getUint32(off + 12, true), info: v.getUint32(off + 16, true) };
}

/** Top-level attributes of a tcmsg request. */
export function parseTca(buf: Uint8Array, msgLen: number): NlAttrs {
  return parseAttrs(buf, 16 + 20, msgLen, TCA_MAX);
}
