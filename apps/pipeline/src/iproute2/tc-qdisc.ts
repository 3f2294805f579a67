// Models iproute2 6.1 tc/tc_qdisc.c (tc_qdisc_modify, print_qdisc) and
// tc/tc_class.c, with the kind modules q_ingress.c, q_clsact.c, q_htb.c,
// q_prio.c, q_fifo.c: words → RTM_*QDISC / RTM_*TCLASS request attributes,
// dump messages → tc's text.
import { TCA, TCA_HTB, TC_H } from '@tcbpf/uapi';
import { parseAttrs, type NlAttrs, type NlWriter } from '@tcbpf/tcf';
import { type Args, UsageError } from './args.js';
import { getRate64, getSize, getTcClassid, sprintRate, sprintSize, sprintTcClassid, tcCalcRtable, tcCalcXmitsize, tcCalcXmittime, PSCHED_HZ } from './tc-util.js';

/** One qdisc kind: option parsers/printers for the qdisc and (classful kinds) its classes. */
export interface QdiscKind {
  /** Parse the kind's words into request attributes (TCA_OPTIONS etc.). */
  readonly parseQopt: (a: Args, w: NlWriter) => void;
  /** Print TCA_OPTIONS (text after the qdisc head). */
  readonly printQopt: (opt: Uint8Array) => string;
  /** TCA_OPTIONS as `tc -j` prints them (the "options" object). */
  readonly jsonQopt: (opt: Uint8Array) => Record<string, unknown>;
  /** Class options (classful kinds). */
  readonly parseCopt?: (a: Args, w: NlWriter) => void;
  readonly printCopt?: (opt: Uint8Array) => string;
  /** TCA_XSTATS of a class. */
  readonly printClassXstats?: (x: Uint8Array) => string;
}

function noOptions(kind: string): (a: Args) => void {
  return (a) => {
    if (a.more) throw new UsageError(`What is "${a.peek()}"?\nUsage: ... ${kind}`, a.col);
  };
}

const HTB_DEFAULT_MTU = 1600;

/** q_htb.c htb_parse_opt. */
function htbParseOpt(a: Args, w: NlWriter): void {
  let r2q = 10;
  let defcls = 0;
  let directQlen: number | undefined;
  while (a.more) {
    const word = a.take();
    if (word === 'r2q') {
      const v = Number(a.next());
      if (!Number.isInteger(v) || v < 0) throw new UsageError('Illegal "r2q"', a.lastCol);
      r2q = v;
    } else if (word === 'default') {
      const s = a.next();
      const v = Number.parseInt(s, 16);
      if (!/^(0x)?[0-9a-fA-F]+$/.test(s) || v > 0xffffffff) throw new UsageError('Illegal "default"', a.lastCol);
      defcls = v;
    } else if (word === 'direct_qlen') {
      const v = Number(a.next());
      if (!Number.isInteger(v) || v < 0) throw new UsageError('Illegal "direct_qlen"', a.lastCol);
      directQlen = v;
    } else throw new UsageError(`What is "${word}"?`, a.lastCol);
  }
  const n = w.nestStart(TCA.OPTIONS);
  const p = w.attrReserve(TCA_HTB.INIT, 20);
  w.setU32(p, 3); // version
  w.setU32(p + 4, r2q);
  w.setU32(p + 8, defcls);
  if (directQlen !== undefined) w.u32(TCA_HTB.DIRECT_QLEN, directQlen);
  w.nestEnd(n);
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

function htbPrintOpt(opt: Uint8Array): string {
  const tb = parseAttrs(opt, 0, opt.length, TCA_HTB.MAX);
  let s = '';
  if (tb.has(TCA_HTB.INIT)) {
    const g = dv(tb.data(TCA_HTB.INIT));
    const defcls = g.getUint32(8, true);
    s += `r2q ${g.getUint32(4, true)} default ${defcls === 0 ? '0' : `0x${defcls.toString(16)}`} direct_packets_stat ${g.getUint32(16, true)}`;
  }
  if (tb.has(TCA_HTB.DIRECT_QLEN)) s += ` direct_qlen ${tb.u32(TCA_HTB.DIRECT_QLEN)}`;
  return s;
}

function htbJsonOpt(opt: Uint8Array): Record<string, unknown> {
  const tb = parseAttrs(opt, 0, opt.length, TCA_HTB.MAX);
  const o: Record<string, unknown> = {};
  if (tb.has(TCA_HTB.INIT)) {
    const g = dv(tb.data(TCA_HTB.INIT));
    const defcls = g.getUint32(8, true);
    o.r2q = g.getUint32(4, true);
    o.default = defcls === 0 ? '0' : `0x${defcls.toString(16)}`;
    o.direct_packets_stat = g.getUint32(16, true);
  }
  if (tb.has(TCA_HTB.DIRECT_QLEN)) o.direct_qlen = tb.u32(TCA_HTB.DIRECT_QLEN);
  return o;
}

/** q_htb.c htb_parse_class_opt (Ethernet link layer, no overhead/mpu words). */
function htbParseClassOpt(a: Args, w: NlWriter): void {
  let rate: number | undefined;
  let ceil: number | undefined;
  let buffer = 0;
  let cbuffer = 0;
  let prio = 0;
  let quantum = 0;
  const mtu = HTB_DEFAULT_MTU;
  while (a.more) {
    const word = a.take();
    if (word === 'rate' || word === 'ceil') {
      const s = a.next();
      const v = getRate64(s);
      if (v === undefined) throw new UsageError(`Illegal "${word}"`, a.lastCol);
      if (word === 'rate') {
        if (rate !== undefined) throw a.duparg('rate', s);
        rate = v;
      } else {
        if (ceil !== undefined) throw a.duparg('ceil', s);
        ceil = v;
      }
    } else if (word === 'burst' || word === 'buffer' || word === 'maxburst') {
      const s = a.next();
      const v = getSize(s);
      if (v === undefined) throw new UsageError('Illegal "buffer"', a.lastCol);
      buffer = v;
    } else if (word === 'cburst' || word === 'cbuffer' || word === 'cmaxburst') {
      const s = a.next();
      const v = getSize(s);
      if (v === undefined) throw new UsageError('Illegal "cbuffer"', a.lastCol);
      cbuffer = v;
    } else if (word === 'prio') {
      const v = Number(a.next());
      if (!Number.isInteger(v) || v < 0) throw new UsageError('Illegal "prio"', a.lastCol);
      prio = v;
    } else if (word === 'quantum') {
      const v = Number(a.next());
      if (!Number.isInteger(v) || v < 0) throw new UsageError('Illegal "quantum"', a.lastCol);
      quantum = v;
    } else throw new UsageError(`What is "${word}"?`, a.lastCol);
  }
  if (rate === undefined) throw new UsageError('"rate" is required.', a.endCol);
  ceil ??= rate;
  if (buffer === 0) buffer = Math.floor(rate / PSCHED_HZ) + mtu;
  if (cbuffer === 0) cbuffer = Math.floor(ceil / PSCHED_HZ) + mtu;
  const n = w.nestStart(TCA.OPTIONS);
  if (rate >= 2 ** 32) w.u64(TCA_HTB.RATE64, rate);
  if (ceil >= 2 ** 32) w.u64(TCA_HTB.CEIL64, ceil);
  const rtab = new Uint8Array(1024);
  const ctab = new Uint8Array(1024);
  const rlog = tcCalcRtable(rate, 0, mtu, dv(rtab));
  const clog = tcCalcRtable(ceil, 0, mtu, dv(ctab));
  const p = w.attrReserve(TCA_HTB.PARMS, 44);
  // tc_ratespec {cell_log u8, linklayer u8, overhead u16, cell_align s16, mpu u16, rate u32}
  w.setU8(p, rlog);
  w.setU8(p + 1, 1);
  w.setU16(p + 4, 0xffff);
  w.setU32(p + 8, Math.min(rate, 0xffffffff));
  w.setU8(p + 12, clog);
  w.setU8(p + 13, 1);
  w.setU16(p + 16, 0xffff);
  w.setU32(p + 20, Math.min(ceil, 0xffffffff));
  w.setU32(p + 24, tcCalcXmittime(rate, buffer));
  w.setU32(p + 28, tcCalcXmittime(ceil, cbuffer));
  w.setU32(p + 32, quantum);
  w.setU32(p + 40, prio);
  w.attr(TCA_HTB.RTAB, rtab);
  w.attr(TCA_HTB.CTAB, ctab);
  w.nestEnd(n);
}

function htbPrintCopt(opt: Uint8Array): string {
  const tb = parseAttrs(opt, 0, opt.length, TCA_HTB.MAX);
  if (!tb.has(TCA_HTB.PARMS)) return '';
  const h = dv(tb.data(TCA_HTB.PARMS));
  const rate = tb.has(TCA_HTB.RATE64) ? tb.u64(TCA_HTB.RATE64) : h.getUint32(8, true);
  const ceil = tb.has(TCA_HTB.CEIL64) ? tb.u64(TCA_HTB.CEIL64) : h.getUint32(20, true);
  let s = '';
  if (h.getUint32(36, true) === 0) s += `prio ${h.getUint32(40, true)} `;
  s += `rate ${sprintRate(rate)} ceil ${sprintRate(ceil)} `;
  s += `burst ${sprintSize(tcCalcXmitsize(rate, h.getUint32(24, true)))} cburst ${sprintSize(tcCalcXmitsize(ceil, h.getUint32(28, true)))} `;
  return s;
}

function htbPrintXstats(x: Uint8Array): string {
  if (x.length < 20) return '';
  const v = dv(x);
  return ` lended: ${v.getUint32(0, true)} borrowed: ${v.getUint32(4, true)} giants: ${v.getUint32(8, true)}\n tokens: ${v.getInt32(12, true)} ctokens: ${v.getInt32(16, true)}\n`;
}

/** q_fifo.c fifo_parse_opt: `limit N` → raw tc_fifo_qopt. */
function fifoParseOpt(bytes: boolean): (a: Args, w: NlWriter) => void {
  return (a, w) => {
    let limit: number | undefined;
    while (a.more) {
      const word = a.take();
      if (word === 'limit') {
        const s = a.next();
        const v = bytes ? getSize(s) : Number(s);
        if (v === undefined || !Number.isInteger(v) || v < 0) throw new UsageError('Illegal "limit"', a.lastCol);
        limit = v;
      } else throw new UsageError(`What is "${word}"?`, a.lastCol);
    }
    if (limit !== undefined) {
      const p = w.attrReserve(TCA.OPTIONS, 4);
      w.setU32(p, limit);
    }
  };
}

function fifoPrintOpt(bytes: boolean): (opt: Uint8Array) => string {
  return (opt) => (opt.length < 4 ? '' : bytes ? `limit ${sprintSize(dv(opt).getUint32(0, true))}` : `limit ${dv(opt).getUint32(0, true)}p`);
}

function fifoJsonOpt(opt: Uint8Array): Record<string, unknown> {
  return opt.length < 4 ? {} : { limit: dv(opt).getUint32(0, true) };
}

function prioJsonOpt(opt: Uint8Array): Record<string, unknown> {
  if (opt.length < 20) return {};
  const v = dv(opt);
  const map: number[] = [];
  for (let i = 0; i < 16; i++) map.push(v.getUint8(4 + i));
  return { bands: v.getInt32(0, true), priomap: map, multiqueue: false };
}

const noJson = (): Record<string, unknown> => ({});

const PRIO_DEFAULT_MAP = Object.freeze([1, 2, 2, 2, 1, 2, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1]);

/** q_prio.c prio_parse_opt: `bands N` `priomap P...` → tc_prio_qopt (+ empty compat nest). */
function prioParseOpt(a: Args, w: NlWriter): void {
  let bands = 3;
  let map: number[] = [...PRIO_DEFAULT_MAP];
  while (a.more) {
    const word = a.take();
    if (word === 'bands') {
      const v = Number(a.next());
      if (!Number.isInteger(v) || v < 0) throw new UsageError('Illegal "bands"', a.lastCol);
      bands = v;
    } else if (word === 'priomap') {
      map = [];
      while (a.more && map.length < 16 && /^[0-9]+$/.test(a.peek())) map.push(Number(a.take()));
      while (map.length < 16) map.push(0);
    } else throw new UsageError(`What is "${word}"?`, a.lastCol);
  }
  const start = w.nestStart(TCA.OPTIONS);
  const p = w.zeros(20);
  w.setU32(p, bands);
  map.forEach((b, i) => w.setU8(p + 4 + i, b));
  const inner = w.nestStart(TCA.OPTIONS);
  w.nestEnd(inner);
  w.nestEnd(start);
}

function prioPrintOpt(opt: Uint8Array): string {
  if (opt.length < 20) return '';
  const v = dv(opt);
  const map: number[] = [];
  for (let i = 0; i < 16; i++) map.push(v.getUint8(4 + i));
  return `bands ${v.getInt32(0, true)} priomap ${map.join(' ')} `;
}

/** The qdisc kinds this model knows (extension point: add a kind here). */
export const QDISC_KINDS: Readonly<Record<string, QdiscKind>> = Object.freeze({
  ingress: Object.freeze({ parseQopt: noOptions('ingress'), printQopt: () => '', jsonQopt: noJson }),
  clsact: Object.freeze({ parseQopt: noOptions('clsact'), printQopt: () => '', jsonQopt: noJson }),
  noqueue: Object.freeze({ parseQopt: noOptions('noqueue'), printQopt: () => '', jsonQopt: noJson }),
  htb: Object.freeze({ parseQopt: htbParseOpt, printQopt: htbPrintOpt, jsonQopt: htbJsonOpt, parseCopt: htbParseClassOpt, printCopt: htbPrintCopt, printClassXstats: htbPrintXstats }),
  prio: Object.freeze({ parseQopt: prioParseOpt, printQopt: prioPrintOpt, jsonQopt: prioJsonOpt }),
  pfifo_fast: Object.freeze({ parseQopt: noOptions('pfifo_fast'), printQopt: prioPrintOpt, jsonQopt: prioJsonOpt }),
  pfifo: Object.freeze({ parseQopt: fifoParseOpt(false), printQopt: fifoPrintOpt(false), jsonQopt: fifoJsonOpt }),
  bfifo: Object.freeze({ parseQopt: fifoParseOpt(true), printQopt: fifoPrintOpt(true), jsonQopt: fifoJsonOpt }),
});

/** Parsed head of a `tc qdisc|class` command. */
export interface TcObjHead {
  dev: string;
  parent: number;
  handle: number;
  kind: string;
  ingressBlock: number;
  egressBlock: number;
  /** Column of the device name word. */
  devCol: number;
}

/**
 * tc_qdisc_modify()/tc_class_modify() argument loop up to the kind word;
 * then the kind's parser. `cls` selects the class form (classid, no root specials).
 */
export function parseQdiscHead(a: Args, cls: boolean): TcObjHead {
  const h: TcObjHead = { dev: '', parent: 0, handle: 0, kind: '', ingressBlock: 0, egressBlock: 0, devCol: 0 };
  let parentSet = false;
  while (a.more) {
    const word = a.take();
    if (word === 'dev') {
      if (h.dev !== '') throw a.duparg('dev', a.peek());
      h.dev = a.next();
      h.devCol = a.lastCol;
    } else if (word === 'handle' || (cls && word === 'classid')) {
      const s = a.next();
      const v = getTcClassid(s);
      if (v === undefined || (!cls && (v & 0xffff) !== 0)) throw new UsageError(cls ? 'invalid class ID' : `Error: argument "${s}" is wrong: invalid qdisc ID`, a.lastCol);
      h.handle = v;
    } else if (word === 'root') {
      if (parentSet) throw new UsageError('Error: "root" is duplicate parent ID', a.lastCol);
      h.parent = TC_H.ROOT;
      parentSet = true;
    } else if (!cls && (word === 'ingress' || word === 'clsact')) {
      if (parentSet) throw new UsageError('Error: "ingress" is a duplicate parent ID', a.lastCol);
      h.parent = TC_H.INGRESS;
      h.handle = 0xffff0000;
      h.kind = word;
      break;
    } else if (word === 'parent') {
      if (parentSet) throw new UsageError('Error: "parent" is duplicate parent ID', a.lastCol);
      const s = a.next();
      const v = getTcClassid(s);
      if (v === undefined) throw new UsageError(`Error: argument "${s}" is wrong: invalid parent ID`, a.lastCol);
      h.parent = v;
      parentSet = true;
    } else if (!cls && (word === 'ingress_block' || word === 'egress_block')) {
      const s = a.next();
      const v = Number(s);
      if (!Number.isInteger(v) || v <= 0 || v > 0xffffffff) throw new UsageError(`Illegal "${word}" block index`, a.lastCol);
      if (word === 'ingress_block') h.ingressBlock = v;
      else h.egressBlock = v;
    } else {
      h.kind = word;
      break;
    }
  }
  return h;
}

/** Write the kind's attributes the way tc_qdisc_modify orders them: KIND, OPTIONS, blocks. */
export function writeQdiscBody(a: Args, w: NlWriter, h: TcObjHead, cls: boolean): void {
  if (h.kind === '') {
    if (a.more) throw new UsageError(`Unknown qdisc "${a.peek()}", hence option "${a.peek()}" is unparsable`, a.col);
    return;
  }
  w.str(TCA.KIND, h.kind);
  const k = QDISC_KINDS[h.kind];
  if (k !== undefined) {
    if (cls) {
      if (k.parseCopt === undefined) {
        if (a.more) throw new UsageError(`Error: Qdisc "${h.kind}" is classless.`, a.col);
      } else k.parseCopt(a, w);
    } else k.parseQopt(a, w);
  } else if (a.more) throw new UsageError(`Unknown qdisc "${h.kind}", hence option "${a.peek()}" is unparsable`, a.col);
  if (!cls) {
    if (h.ingressBlock) w.u32(TCA.INGRESS_BLOCK, h.ingressBlock);
    if (h.egressBlock) w.u32(TCA.EGRESS_BLOCK, h.egressBlock);
  }
}

/** print_tcstats2_attr(): the two `Sent`/`backlog` lines (prefix " "). */
export function printStats(tb: NlAttrs): string {
  if (!tb.has(TCA.STATS2)) return '';
  const st = tb.nested(TCA.STATS2, 16);
  let bytes = 0;
  let pkts = 0;
  if (st.has(1)) {
    const b = dv(st.data(1));
    bytes = b.getUint32(0, true) + b.getUint32(4, true) * 2 ** 32;
    pkts = b.getUint32(8, true);
  }
  let s = ` Sent ${bytes} bytes ${pkts} pkt`;
  if (st.has(3)) {
    const q = dv(st.data(3));
    s += ` (dropped ${q.getUint32(8, true)}, overlimits ${q.getUint32(16, true)} requeues ${q.getUint32(12, true)}) `;
    s += `\n backlog ${sprintSize(q.getUint32(4, true))} ${q.getUint32(0, true)}p requeues ${q.getUint32(12, true)}`;
  }
  return `${s}\n`;
}

/** print_qdisc() / print_class(): one dump message as `tc [-s] qdisc|class show` prints it. */
export function printQdiscMsg(msg: Uint8Array, o: { cls: boolean; stats: boolean; filterIfindex: number; ifname: (i: number) => string }): string {
  const v = dv(msg);
  const ifindex = v.getInt32(20, true);
  const handle = v.getUint32(24, true);
  const parent = v.getUint32(28, true);
  const info = v.getUint32(32, true);
  const tb = parseAttrs(msg, 36, v.getUint32(0, true), TCA.MAX);
  if (!tb.has(TCA.KIND) || (o.filterIfindex !== 0 && ifindex !== o.filterIfindex)) return '';
  const kind = tb.str(TCA.KIND);
  let s = o.cls ? `class ${kind} ${sprintTcClassid(handle)} ` : `qdisc ${kind} ${(handle >>> 16).toString(16)}: `;
  if (o.filterIfindex === 0 || o.filterIfindex !== ifindex) s += `dev ${o.ifname(ifindex)} `;
  if (parent === TC_H.ROOT) s += 'root ';
  else if (parent !== 0) s += `parent ${sprintTcClassid(parent)} `;
  if (o.cls) {
    if (info !== 0) s += `leaf ${(info >>> 16).toString(16)}: `;
  } else if (info !== 1) s += `refcnt ${info} `;
  if (!o.cls && tb.has(TCA.INGRESS_BLOCK)) s += `ingress_block ${tb.u32(TCA.INGRESS_BLOCK)} `;
  if (!o.cls && tb.has(TCA.EGRESS_BLOCK)) s += `egress_block ${tb.u32(TCA.EGRESS_BLOCK)} `;
  const k = QDISC_KINDS[kind];
  if (tb.has(TCA.OPTIONS)) {
    const opt = tb.data(TCA.OPTIONS);
    if (k === undefined) s += '[cannot parse qdisc parameters]';
    else s += o.cls ? (k.printCopt?.(opt) ?? '') : k.printQopt(opt);
  }
  s += '\n';
  if (o.stats) {
    s += printStats(tb);
    if (o.cls && k?.printClassXstats !== undefined && tb.has(TCA.XSTATS)) s += k.printClassXstats(tb.data(TCA.XSTATS));
    if (o.cls) s += '\n';
  }
  return s;
}

/** print_qdisc() in JSON mode (`tc -j [-s] qdisc show`): one dump message as an object, or null when filtered out. */
export function qdiscMsgJson(msg: Uint8Array, o: { stats: boolean; filterIfindex: number; ifname: (i: number) => string }): Record<string, unknown> | null {
  const v = dv(msg);
  const ifindex = v.getInt32(20, true);
  const handle = v.getUint32(24, true);
  const parent = v.getUint32(28, true);
  const info = v.getUint32(32, true);
  const tb = parseAttrs(msg, 36, v.getUint32(0, true), TCA.MAX);
  if (!tb.has(TCA.KIND) || (o.filterIfindex !== 0 && ifindex !== o.filterIfindex)) return null;
  const kind = tb.str(TCA.KIND);
  const j: Record<string, unknown> = { kind, handle: `${(handle >>> 16).toString(16)}:` };
  if (o.filterIfindex === 0 || o.filterIfindex !== ifindex) j.dev = o.ifname(ifindex);
  if (parent === TC_H.ROOT) j.root = true;
  else if (parent !== 0) j.parent = sprintTcClassid(parent);
  if (info !== 1) j.refcnt = info;
  if (tb.has(TCA.INGRESS_BLOCK)) j.ingress_block = tb.u32(TCA.INGRESS_BLOCK);
  if (tb.has(TCA.EGRESS_BLOCK)) j.egress_block = tb.u32(TCA.EGRESS_BLOCK);
  const k = QDISC_KINDS[kind];
  j.options = tb.has(TCA.OPTIONS) && k !== undefined ? k.jsonQopt(tb.data(TCA.OPTIONS)) : {};
  if (o.stats && tb.has(TCA.STATS2)) {
    const st = tb.nested(TCA.STATS2, 16);
    if (st.has(1)) {
      const b = dv(st.data(1));
      j.bytes = b.getUint32(0, true) + b.getUint32(4, true) * 2 ** 32;
      j.packets = b.getUint32(8, true);
    }
    if (st.has(3)) {
      const q = dv(st.data(3));
      j.drops = q.getUint32(8, true);
      j.overlimits = q.getUint32(16, true);
      j.requeues = q.getUint32(12, true);
      j.backlog = q.getUint32(4, true);
      j.qlen = q.getUint32(0, true);
    }
  }
  return j;
}
