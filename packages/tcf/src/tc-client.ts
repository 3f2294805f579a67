// A typed front-end over the rtnetlink endpoint, in the spirit of iproute2's
// tc (tc/tc_qdisc.c, tc/tc_filter.c, tc/m_action.c): every call builds the
// request bytes, sends them through an RtnlSocket and turns the ACK into a
// return value or a KernelError. Nothing here touches kernel objects directly.
import { KernelError } from '@tcbpf/base';
import { ERRNO, type ErrnoName, NLM_F, NLMSG, NLMSGERR_ATTR, RTM, TCA, TCA_ACT, TCA_GACT, TCA_MATCHALL, TCA_MIRRED, TCA_ROOT, TC_H } from '@tcbpf/uapi';
import { NlWriter, parseAttrs } from './nlattr.js';
import type { RtnlSocket } from './kernel.js';

/** Writes kind-specific attributes into an open TCA_OPTIONS (or action) nest. */
export type AttrWriter = (w: NlWriter) => void;

/** One action of an action list: kind, options writer and optional index/cookie. */
export interface ActionSpec {
  readonly kind: string;
  readonly options: AttrWriter;
  readonly index?: number;
  readonly cookie?: Uint8Array;
}

/** iproute2's flag sets. */
export const TC_CMD = Object.freeze({
  add: NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL,
  replace: NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE,
  change: NLM_F.REQUEST | NLM_F.ACK,
  del: NLM_F.REQUEST | NLM_F.ACK,
  get: NLM_F.REQUEST | NLM_F.ACK,
  dump: NLM_F.REQUEST | NLM_F.DUMP,
} as const);

const errnoByCode = new Map<number, ErrnoName>(Object.entries(ERRNO).map(([k, v]) => [v, k as ErrnoName]));

/** htons for a 16-bit EtherType. */
function htons(p: number): number {
  return ((p & 0xff) << 8) | ((p >>> 8) & 0xff);
}

/** A tc-like client bound to one socket. */
export class TcClient {
  readonly sock: RtnlSocket;
  #seq = 1;

  constructor(sock: RtnlSocket) {
    this.sock = sock;
  }

  /** Send one request; returns the non-ACK replies; throws KernelError for an error ACK. */
  request(type: number, flags: number, body: (w: NlWriter) => void): Uint8Array[] {
    const w = new NlWriter();
    const seq = this.#seq++;
    const m = w.msgStart(type, flags, seq, 0);
    body(w);
    w.msgEnd(m);
    const replies = this.sock.request(w.bytes());
    const out: Uint8Array[] = [];
    for (const r of replies) {
      const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
      const t = v.getUint16(4, true);
      if (t === NLMSG.ERROR) {
        const err = v.getInt32(16, true);
        if (err !== 0) throw decodeError(r, v, -err);
        continue;
      }
      if (t === NLMSG.DONE) continue;
      out.push(r);
    }
    return out;
  }

  /** tc qdisc add|replace|change|del|get. `options` writes TCA_OPTIONS content (nested) unless `rawOptions`. */
  qdisc(cmd: keyof typeof TC_CMD, o: { ifindex: number; parent: number; handle?: number; kind?: string; options?: AttrWriter; rawOptions?: Uint8Array; extra?: AttrWriter }): Uint8Array[] {
    const type = cmd === 'del' ? RTM.DELQDISC : cmd === 'get' || cmd === 'dump' ? RTM.GETQDISC : RTM.NEWQDISC;
    return this.request(type, TC_CMD[cmd], (w) => {
      w.tcmsg(o.ifindex, o.handle ?? 0, o.parent, 0);
      if (o.kind !== undefined) w.str(TCA.KIND, o.kind);
      o.extra?.(w);
      if (o.rawOptions) w.attr(TCA.OPTIONS, o.rawOptions);
      else if (o.options) {
        const n = w.nestStart(TCA.OPTIONS);
        o.options(w);
        w.nestEnd(n);
      }
    });
  }

  /** `tc qdisc add dev IF clsact` [ingress_block N] [egress_block M]. */
  clsact(ifindex: number, ingressBlock = 0, egressBlock = 0): void {
    this.qdisc('add', {
      ifindex, parent: TC_H.CLSACT, handle: 0xffff0000, kind: 'clsact', extra: (w) => {
        if (ingressBlock) w.u32(TCA.INGRESS_BLOCK, ingressBlock);
        if (egressBlock) w.u32(TCA.EGRESS_BLOCK, egressBlock);
      },
    });
  }

  /** tc filter add|replace|change|del|get. */
  filter(cmd: keyof typeof TC_CMD, o: { ifindex: number; parent: number; prio?: number; protocol?: number; handle?: number; kind?: string; chain?: number; options?: AttrWriter }): Uint8Array[] {
    const type = cmd === 'del' ? RTM.DELTFILTER : cmd === 'get' || cmd === 'dump' ? RTM.GETTFILTER : RTM.NEWTFILTER;
    return this.request(type, TC_CMD[cmd], (w) => {
      w.tcmsg(o.ifindex, o.handle ?? 0, o.parent, (((o.prio ?? 0) << 16) | htons(o.protocol ?? 0)) >>> 0);
      if (o.kind !== undefined) w.str(TCA.KIND, o.kind);
      if (o.chain !== undefined) w.u32(TCA.CHAIN, o.chain);
      if (o.options) {
        const n = w.nestStart(TCA.OPTIONS);
        o.options(w);
        w.nestEnd(n);
      }
    });
  }

  /**
   * tc actions add|replace|del|get|dump for a list of actions; `rootFlags` (TCA_ACT_FLAG_*) is sent
   * as TCA_ROOT_FLAGS (value and selector), as `tc actions ls` sends LARGE_DUMP_ON.
   */
  actions(cmd: 'add' | 'replace' | 'del' | 'get' | 'dump' | 'flush', acts: readonly ActionSpec[], rootFlags = 0): Uint8Array[] {
    const type = cmd === 'del' || cmd === 'flush' ? RTM.DELACTION : cmd === 'get' || cmd === 'dump' ? RTM.GETACTION : RTM.NEWACTION;
    let flags: number = cmd === 'replace' ? TC_CMD.replace | NLM_F.REPLACE : cmd === 'add' ? TC_CMD.add : cmd === 'dump' ? TC_CMD.dump : TC_CMD.del;
    if (cmd === 'flush') flags |= NLM_F.ROOT;
    return this.request(type, flags, (w) => {
      w.zeros(4);
      const tab = w.nestStart(TCA_ROOT.TAB);
      writeActions(w, acts, cmd === 'add' || cmd === 'replace');
      w.nestEnd(tab);
      if (rootFlags !== 0) {
        const f = w.attrReserve(TCA_ROOT.FLAGS, 8);
        w.setU32(f, rootFlags); // struct nla_bitfield32, host order: value
        w.setU32(f + 4, rootFlags); // selector
      }
    });
  }
}

/** Write action nests 1..n {KIND, [INDEX], [COOKIE], OPTIONS}. */
export function writeActions(w: NlWriter, acts: readonly ActionSpec[], withOptions = true): void {
  acts.forEach((a, i) => {
    const n = w.nestStart(i + 1);
    w.str(TCA_ACT.KIND, a.kind);
    if (a.index !== undefined && !withOptions) w.u32(TCA_ACT.INDEX, a.index);
    if (a.cookie) w.attr(TCA_ACT.COOKIE, a.cookie);
    if (withOptions) {
      const o = w.nestStart(TCA_ACT.OPTIONS);
      a.options(w);
      w.nestEnd(o);
    }
    w.nestEnd(n);
  });
}

/** gact options: tc_gact {index, action} [+ tc_gact_p]. */
export function gactSpec(action: number, index = 0, prob?: { ptype: number; pval: number; paction: number }): ActionSpec {
  return {
    kind: 'gact',
    index,
    options: (w) => {
      const p = w.attrReserve(TCA_GACT.PARMS, 20);
      w.setU32(p, index);
      w.setS32(p + 8, action);
      if (prob) {
        const q = w.attrReserve(TCA_GACT.PROB, 8);
        w.setU16(q, prob.ptype);
        w.setU16(q + 2, prob.pval);
        w.setS32(q + 4, prob.paction);
      }
    },
  };
}

/** mirred options: tc_mirred {index, action, eaction, ifindex}. */
export function mirredSpec(eaction: number, ifindex: number, action: number, index = 0): ActionSpec {
  return {
    kind: 'mirred',
    index,
    options: (w) => {
      const p = w.attrReserve(TCA_MIRRED.PARMS, 28);
      w.setU32(p, index);
      w.setS32(p + 8, action);
      w.setS32(p + 20, eaction);
      w.setU32(p + 24, ifindex);
    },
  };
}

/** matchall filter options: [CLASSID] [FLAGS] ACT{...}. */
export function matchallOptions(o: { classid?: number; flags?: number; actions?: readonly ActionSpec[] }): AttrWriter {
  return (w) => {
    if (o.classid !== undefined) w.u32(TCA_MATCHALL.CLASSID, o.classid);
    if (o.flags !== undefined) w.u32(TCA_MATCHALL.FLAGS, o.flags);
    if (o.actions && o.actions.length > 0) {
      const n = w.nestStart(TCA_MATCHALL.ACT);
      writeActions(w, o.actions);
      w.nestEnd(n);
    }
  };
}

function decodeError(r: Uint8Array, v: DataView, code: number): KernelError {
  const flags = v.getUint16(6, true);
  const errno = errnoByCode.get(code) ?? 'EINVAL';
  let msg = '';
  let offs: number | undefined;
  if (flags & NLM_F.ACK_TLVS) {
    const inner = v.getUint32(20, true);
    const start = 20 + (flags & NLM_F.CAPPED ? 16 : inner);
    const tlv = parseAttrs(r, start, r.length, NLMSGERR_ATTR.MAX);
    if (tlv.has(NLMSGERR_ATTR.MSG)) msg = tlv.str(NLMSGERR_ATTR.MSG);
    if (tlv.has(NLMSGERR_ATTR.OFFS)) offs = tlv.u32(NLMSGERR_ATTR.OFFS);
  }
  return new KernelError(errno, msg, offs === undefined ? {} : { attrOffset: offs });
}
