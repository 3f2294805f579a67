// Models net/sched/sch_api.c (Linux 6.18): RTM_{NEW,DEL,GET}QDISC and
// RTM_{NEW,DEL,GET}TCLASS handling (tc_modify_qdisc, tc_get_qdisc,
// tc_ctl_tclass, the dumps), qdisc creation/grafting/notification
// (qdisc_create, qdisc_graft, notify_and_destroy, tc_fill_qdisc,
// tc_fill_tclass) and the default root qdisc of a device (noqueue).
import { kerr } from '@tcbpf/base';
import { NLM_F, RTM, TCA, TC_H } from '@tcbpf/uapi';
import { NlWriter, type NlAttrs } from './nlattr.js';
import { Qdisc, gnetDumpStats, type QdiscOps } from './sch-generic.js';
import type { NetDev } from './netdev.js';
import type { RtnlRequest, TcNet } from './kernel.js';
import type { TcMsg } from './cls-api.js';
import { noqueueQdiscOps } from './sch-generic-ops.js';

/** Every qdisc of a device's root tree (dev->qdisc and the leaves below it). */
export function qdiscTree(root: Qdisc): Qdisc[] {
  const out: Qdisc[] = [root];
  const cops = root.ops.clOps;
  if (cops?.walk && cops.leaf) {
    for (const cl of cops.walk(root)) {
      const leaf = cops.leaf(root, cl);
      if (leaf && leaf !== root) out.push(...qdiscTree(leaf));
    }
  }
  return out;
}

/** qdisc_lookup: by handle in the root tree, then the ingress slot. */
export function qdiscLookupDev(dev: NetDev, handle: number): Qdisc | null {
  for (const q of qdiscTree(dev.qdisc)) if (q.handle === handle && !(q.builtin && handle === 0)) return q;
  if (dev.ingress && dev.ingress.handle === handle) return dev.ingress;
  return null;
}

/** attach_one_default_qdisc for an IFF_NO_QUEUE device: noqueue, handle 0, refcnt 2 as dumped. */
export function qdiscCreateDefault(_net: TcNet, dev: NetDev): Qdisc {
  const q = new Qdisc(noqueueQdiscOps, dev, 0, TC_H.ROOT);
  q.refcnt = 2;
  return q;
}

/** tc_qdisc_dump_ignore: builtin (noop) qdiscs never appear, invisible ones only on request. */
function dumpIgnore(q: Qdisc | null, dumpInvisible = false): boolean {
  return q === null || q.builtin || (q.invisible && !dumpInvisible);
}

/** tc_fill_qdisc. */
export function tcFillQdisc(w: NlWriter, q: Qdisc, clid: number, portid: number, seq: number, flags: number, event: number, info: number, warning: string): void {
  const m = w.msgStart(event, flags, seq, portid);
  w.tcmsg(q.dev.ifindex, q.handle, clid, info);
  w.str(TCA.KIND, q.ops.id);
  const blocks = q.ops.ingress ? (q.priv as { ingressBlock: number; egressBlock: number } | null) : null;
  if (blocks) {
    if (blocks.ingressBlock) w.u32(TCA.INGRESS_BLOCK, blocks.ingressBlock);
    if (blocks.egressBlock) w.u32(TCA.EGRESS_BLOCK, blocks.egressBlock);
  }
  q.ops.dump(q, w);
  w.u8(TCA.HW_OFFLOAD, 0);
  gnetDumpStats(w, q.stats, true, null);
  if (warning !== '') w.str(TCA.EXT_WARN_MSG, warning);
  w.msgEnd(m);
}

/** qdisc_notify: optional DEL of `old` then NEW of `nw` in one skb, multicast and (ECHO) unicast. */
function qdiscNotify(req: RtnlRequest, clid: number, old: Qdisc | null, oldInfo: number, nw: Qdisc | null, newInfo: number, echoOnly = false): void {
  const w = new NlWriter();
  const msgs: Uint8Array[] = [];
  if (old && !dumpIgnore(old)) {
    tcFillQdisc(w, old, clid, req.portid, req.seq, 0, RTM.DELQDISC, oldInfo, '');
    msgs.push(w.bytes());
  }
  if (nw && !dumpIgnore(nw)) {
    const w2 = new NlWriter();
    tcFillQdisc(w2, nw, clid, req.portid, req.seq, old ? NLM_F.REPLACE : 0, RTM.NEWQDISC, newInfo, req.warning);
    msgs.push(w2.bytes());
  }
  for (const b of msgs) {
    if (!echoOnly) req.notify(b);
    if (req.flags & NLM_F.ECHO) req.unicast(b);
  }
}

function qdiscCreate(net: TcNet, req: RtnlRequest, dev: NetDev, parent: number, handle: number, tca: NlAttrs): Qdisc {
  const kind = tca.has(TCA.KIND) ? tca.str(TCA.KIND) : '';
  const ops = net.kernel.qdiscOps(kind);
  if (!ops) throw kerr('ENOENT', 'Specified qdisc kind is unknown');
  let h = handle;
  if (ops.ingress) {
    h = 0xffff0000;
  } else if (h === 0) {
    h = net.kernel.allocQdiscHandle(dev);
  } else if (qdiscLookupDev(dev, h)) {
    throw kerr('EEXIST', 'Exclusivity flag on, cannot modify');
  }
  const q = new Qdisc(ops, dev, h, parent);
  const opt = tca.has(TCA.OPTIONS) ? tca.nested(TCA.OPTIONS, 64) : null;
  ops.init(q, { opt, tca, warn: (m) => (req.warning = m) });
  return q;
}

/** RTM_NEWQDISC (tc_modify_qdisc). */
export function tcModifyQdisc(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const dev = net.devs.get(t.ifindex);
  if (!dev) throw kerr('ENODEV');
  const clid = t.parent;
  let p: Qdisc | null = null;
  let q: Qdisc | null;
  let createNGraft = false;
  if (clid) {
    if (clid !== TC_H.ROOT) {
      if (clid !== TC_H.INGRESS) {
        p = qdiscLookupDev(dev, (clid & TC_H.MAJ_MASK) >>> 0);
        if (!p) throw kerr('ENOENT', 'Failed to find specified qdisc');
        q = qdiscLeaf(p, clid);
      } else {
        q = dev.ingress;
      }
    } else {
      q = dev.qdisc;
    }
    if (q && q.handle === 0) q = null;
    if (!q || !t.handle || q.handle !== t.handle) {
      if (t.handle) {
        if (q && !(req.flags & NLM_F.REPLACE)) throw kerr('EEXIST', 'NLM_F_REPLACE needed to override');
        if (t.handle & TC_H.MIN_MASK) throw kerr('EINVAL', 'Invalid minor handle');
        q = qdiscLookupDev(dev, t.handle);
        if (!q) createNGraft = true;
        else {
          if (q.parent !== t.parent) throw kerr('EINVAL', 'Cannot move an existing qdisc to a different parent');
          if (req.flags & NLM_F.EXCL) throw kerr('EEXIST', 'Exclusivity flag on, cannot override');
          if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== q.ops.id) throw kerr('EINVAL', 'Invalid qdisc name: must match existing qdisc');
          if (q.ops.ingress) throw kerr('EINVAL', 'Cannot regraft ingress or clsact Qdiscs');
          throw kerr('EOPNOTSUPP', 'regrafting an existing qdisc is not modelled');
        }
      } else if (!q) {
        createNGraft = true;
      } else if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== q.ops.id) {
        createNGraft = true;
      }
    }
  } else {
    if (!t.handle) throw kerr('EINVAL', 'Handle cannot be zero');
    q = qdiscLookupDev(dev, t.handle);
  }
  if (!createNGraft) {
    if (!q) throw kerr('ENOENT', 'Specified qdisc not found');
    if (req.flags & NLM_F.EXCL) throw kerr('EEXIST', 'Exclusivity flag on, cannot modify');
    if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== q.ops.id) throw kerr('EINVAL', 'Invalid qdisc name: must match existing qdisc');
    if (!q.ops.change) throw kerr('EINVAL', 'Change operation not supported by specified qdisc');
    const opt = tca.has(TCA.OPTIONS) ? tca.nested(TCA.OPTIONS, 64) : null;
    q.ops.change(q, { opt, tca, warn: (m) => (req.warning = m) });
    qdiscNotify(req, clid, null, 0, q, q.refcnt);
    return;
  }
  if (!(req.flags & NLM_F.CREATE)) throw kerr('ENOENT', 'Qdisc not found. To create specify NLM_F_CREATE flag');
  const nq = qdiscCreate(net, req, dev, t.parent, clid === TC_H.INGRESS ? t.parent : t.handle, tca);
  // qdisc_graft
  if (clid === TC_H.INGRESS) {
    if (!nq.ops.ingress) {
      nq.ops.destroy(nq);
      throw kerr('EOPNOTSUPP');
    }
    dev.ingress = nq;
    nq.refcnt = 1;
    // the builtin noop qdisc was the old one: REPLACE flag, nothing dumped for it
    const w = new NlWriter();
    tcFillQdisc(w, nq, clid, req.portid, req.seq, NLM_F.REPLACE, RTM.NEWQDISC, 1, req.warning);
    const b = w.bytes();
    req.notify(b);
    if (req.flags & NLM_F.ECHO) req.unicast(b);
    return;
  }
  if (nq.ops.ingress) {
    nq.ops.destroy(nq);
    throw kerr('EOPNOTSUPP');
  }
  if (p === null) {
    const old = dev.qdisc;
    dev.qdisc = nq;
    net.datapath.syncRoot(dev);
    nq.refcnt = 3;
    qdiscNotify(req, clid, old, nq.ops.hasAttach ? 2 : 1, nq, nq.ops.hasAttach ? 1 : 3);
    old.ops.destroy(old);
    return;
  }
  const cops = p.ops.clOps;
  if (!cops?.graft) {
    nq.ops.destroy(nq);
    throw kerr('EOPNOTSUPP', 'Qdisc leaf is not graftable');
  }
  const cl = cops.find(p, clid);
  if (cl === null || cl === 0) {
    nq.ops.destroy(nq);
    throw kerr('ENOENT', 'Specified class not found');
  }
  nq.refcnt = 1;
  const old = cops.graft(p, cl, nq);
  qdiscNotify(req, clid, old && old.handle !== 0 ? old : null, 1, nq, 1);
  if (old) old.ops.destroy(old);
}

function qdiscLeaf(p: Qdisc, classid: number): Qdisc | null {
  const cops = p.ops.clOps;
  if (!cops) throw kerr('EINVAL', 'Parent qdisc is not classful');
  const cl = cops.find(p, classid);
  if (cl === null || cl === 0) throw kerr('ENOENT', 'Specified class not found');
  return cops.leaf ? cops.leaf(p, cl) : null;
}

/** RTM_DELQDISC / RTM_GETQDISC (tc_get_qdisc). */
export function tcGetQdisc(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const dev = net.devs.get(t.ifindex);
  if (!dev) throw kerr('ENODEV');
  const clid = t.parent;
  let q: Qdisc | null;
  let p: Qdisc | null = null;
  if (clid) {
    if (clid !== TC_H.ROOT) {
      if (clid !== TC_H.INGRESS) {
        p = qdiscLookupDev(dev, (clid & TC_H.MAJ_MASK) >>> 0);
        if (!p) throw kerr('ENOENT', 'Failed to find qdisc with specified classid');
        q = qdiscLeaf(p, clid);
      } else {
        q = dev.ingress;
      }
    } else {
      q = dev.qdisc;
    }
    if (!q) {
      if (clid === TC_H.INGRESS && t.handle !== 0) throw kerr('EINVAL', 'Invalid handle');
      throw kerr('ENOENT', 'Cannot find specified qdisc on specified device');
    }
    if (t.handle && q.handle !== t.handle) throw kerr('EINVAL', 'Invalid handle');
  } else {
    q = qdiscLookupDev(dev, t.handle);
    if (!q) throw kerr('ENOENT', 'Failed to find qdisc with specified handle');
  }
  if (tca.has(TCA.KIND) && tca.str(TCA.KIND) !== q.ops.id) throw kerr('EINVAL', 'Invalid qdisc name: must match existing qdisc');
  if (req.type === RTM.DELQDISC) {
    if (!clid) throw kerr('EINVAL', 'Classid cannot be zero');
    if (q.handle === 0) throw kerr('EINVAL', 'Cannot delete qdisc with handle of zero');
    if (q.ops.ingress) {
      dev.ingress = null;
      qdiscNotify(req, clid, q, 0, null, 0);
      q.ops.destroy(q);
      return;
    }
    if (p === null) {
      dev.qdisc = qdiscCreateDefault(net, dev);
      net.datapath.syncRoot(dev);
      qdiscNotify(req, clid, q, 1, null, 0);
      q.ops.destroy(q);
      return;
    }
    const cl = p.ops.clOps!.find(p, clid);
    p.ops.clOps!.graft!(p, cl, null);
    qdiscNotify(req, clid, q, 1, null, 0);
    q.ops.destroy(q);
    return;
  }
  // qdisc_get_notify in 6.18 goes through qdisc_notify: multicast + echo
  qdiscNotify(req, clid, null, 0, q, q.refcnt);
}

/** RTM_GETQDISC dump (tc_dump_qdisc). */
export function tcDumpQdisc(net: TcNet, req: RtnlRequest, _t: TcMsg, tca: NlAttrs): void {
  const devs = [...net.devs.values()].sort((a, b) => a.ifindex - b.ifindex);
  const invisible = tca.has(TCA.DUMP_INVISIBLE);
  for (const dev of devs) {
    for (const q of qdiscTree(dev.qdisc)) {
      if (dumpIgnore(q, invisible)) continue;
      const w = new NlWriter();
      tcFillQdisc(w, q, q.parent, req.portid, req.seq, NLM_F.MULTI, RTM.NEWQDISC, q.refcnt, '');
      req.unicast(w.bytes());
    }
    if (dev.ingress) {
      const w = new NlWriter();
      tcFillQdisc(w, dev.ingress, dev.ingress.parent, req.portid, req.seq, NLM_F.MULTI, RTM.NEWQDISC, dev.ingress.refcnt, '');
      req.unicast(w.bytes());
    }
  }
}

// ------------------------------------------------------------------ classes

/** tc_fill_tclass. */
function tcFillTclass(w: NlWriter, q: Qdisc, cl: unknown, portid: number, seq: number, flags: number, event: number, warning: string): void {
  const cops = q.ops.clOps!;
  const m = w.msgStart(event, flags, seq, portid);
  const hdr = w.zeros(20);
  w.setS32(hdr + 4, q.dev.ifindex);
  w.str(TCA.KIND, q.ops.id);
  const ids = cops.dump!(q, cl, w);
  w.setU32(hdr + 8, ids.handle);
  w.setU32(hdr + 12, ids.parent);
  w.setU32(hdr + 16, ids.info);
  cops.dumpStats?.(q, cl, w);
  if (warning !== '') w.str(TCA.EXT_WARN_MSG, warning);
  w.msgEnd(m);
}

/** RTM_{NEW,DEL,GET}TCLASS (tc_ctl_tclass). */
export function tcCtlTclass(net: TcNet, req: RtnlRequest, t: TcMsg, tca: NlAttrs): void {
  const dev = net.devs.get(t.ifindex);
  if (!dev) throw kerr('ENODEV');
  let portid = t.parent;
  let clid = t.handle;
  let qid = (clid & TC_H.MAJ_MASK) >>> 0;
  if (portid !== TC_H.ROOT) {
    const qid1 = (portid & TC_H.MAJ_MASK) >>> 0;
    if (qid && qid1) {
      if (qid !== qid1) throw kerr('EINVAL');
    } else if (qid1) qid = qid1;
    else if (qid === 0) qid = dev.qdisc.handle;
    if (portid) portid = (qid | (portid & TC_H.MIN_MASK)) >>> 0;
  } else if (qid === 0) qid = dev.qdisc.handle;
  const q = qdiscLookupDev(dev, qid);
  if (!q) throw kerr('ENOENT');
  const cops = q.ops.clOps;
  if (!cops) throw kerr('EINVAL');
  if (clid === 0) {
    if (portid === TC_H.ROOT) clid = qid;
  } else clid = (qid | (clid & TC_H.MIN_MASK)) >>> 0;
  const cl = clid ? cops.find(q, clid) : null;
  if (cl === null || cl === 0) {
    if (req.type !== RTM.NEWTCLASS || !(req.flags & NLM_F.CREATE)) throw kerr('ENOENT');
  } else if (req.type === RTM.NEWTCLASS) {
    if (req.flags & NLM_F.EXCL) throw kerr('EEXIST');
  } else if (req.type === RTM.DELTCLASS) {
    if (!cops.delete) throw kerr('EOPNOTSUPP');
    const w = new NlWriter();
    tcFillTclass(w, q, cl, req.portid, req.seq, 0, RTM.DELTCLASS, '');
    const b = w.bytes();
    cops.delete(q, cl);
    req.notify(b);
    if (req.flags & NLM_F.ECHO) req.unicast(b);
    return;
  } else {
    // tclass_get_notify in 6.18 goes through tclass_notify: multicast (+ echo)
    const w = new NlWriter();
    tcFillTclass(w, q, cl, req.portid, req.seq, 0, RTM.NEWTCLASS, '');
    const b = w.bytes();
    req.notify(b);
    if (req.flags & NLM_F.ECHO) req.unicast(b);
    return;
  }
  if (tca.has(TCA.INGRESS_BLOCK) || tca.has(TCA.EGRESS_BLOCK)) throw kerr('EOPNOTSUPP', 'Shared blocks are not supported for classes');
  if (!cops.change) throw kerr('EOPNOTSUPP');
  const nc = cops.change(q, clid, portid, tca, cl, (m) => (req.warning = m));
  const w = new NlWriter();
  tcFillTclass(w, q, nc, req.portid, req.seq, 0, RTM.NEWTCLASS, req.warning);
  const b = w.bytes();
  req.notify(b);
  if (req.flags & NLM_F.ECHO) req.unicast(b);
}

/** RTM_GETTCLASS dump (tc_dump_tclass). */
export function tcDumpTclass(net: TcNet, req: RtnlRequest, t: TcMsg): void {
  const dev = net.devs.get(t.ifindex);
  if (!dev) return;
  for (const q of qdiscTree(dev.qdisc)) {
    const cops = q.ops.clOps;
    if (!cops?.walk || !cops.dump) continue;
    for (const cl of cops.walk(q)) {
      const w = new NlWriter();
      tcFillTclass(w, q, cl, req.portid, req.seq, NLM_F.MULTI, RTM.NEWTCLASS, '');
      req.unicast(w.bytes());
    }
  }
}

export type { QdiscOps };
