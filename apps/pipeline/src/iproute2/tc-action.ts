// Models iproute2 6.1 tc/m_action.c (parse_action, print_action), and the
// action modules m_gact.c, m_mirred.c and m_skbedit.c: the same words, the
// same TCA_ACT_* request attributes, the same printed text.
import { NLA_F, TCA_ACT, TCA_CSUM, TCA_CSUM_UPDATE_FLAG, TCA_GACT, TCA_MIRRED, TCA_MIRRED_EACTION, TCA_POLICE, TCA_SKBEDIT, TC_ACT } from '@tcbpf/uapi';
import { parseAttrs, type NlAttrs, type NlWriter } from '@tcbpf/tcf';
import { type Args, UsageError, matches } from './args.js';
import { getRate64, getSize, getTcClassid, sprintRate, sprintSize, sprintTcClassid, tcCalcRtable, tcCalcXmitsize, tcCalcXmittime } from './tc-util.js';
import type { JsonValue } from './json-writer.js';

/** What a command parser needs from its environment. */
export interface TcEnv {
  /** ll_name_to_index(): the ifindex of a device name, or 0. */
  ifindex(name: string): number;
  /** The name of an ifindex (for printing). */
  ifname(ifindex: number): string;
  /** A file named on the command line (`bytecode-file`, `obj`): tc reads it from its cwd; scenarios from their folder. */
  readonly path?: (file: string) => string;
  /**
   * `obj FILE [sec NAME]`: load the object's program as tc does through libbpf and
   * return its fd (in the kernel's bpf() instance) and the TCA_BPF_NAME annotation
   * `FILE:[SEC]`; `offloadIfindex` non-zero (a `skip_sw` filter) loads it bound to
   * that device (prog_ifindex), as tc does for offload. Absent: eBPF objects cannot
   * be loaded (usage error).
   */
  readonly loadBpfObject?: (file: string, section: string, offloadIfindex: number) => { readonly fd: number; readonly name: string };
  /** The filter command's `dev` (set while its options are parsed). */
  readonly dev?: string;
  /**
   * BPF_OBJ_GET_INFO_BY_FD on a program id (f_bpf.c bpf_dump_prog_info):
   * its name, tag (hex) and whether it is JIT-compiled; undefined when the id
   * cannot be opened (tc then prints only the tag from the dump).
   */
  readonly progInfo?: (id: number) => { readonly name: string; readonly tag: string; readonly jited: boolean } | undefined;
}

/** One action kind: its argument parser (writes TCA_ACT_OPTIONS) and printer. */
export interface ActionKind {
  /** Parse the action's words; writes `TCA_ACT_OPTIONS | NLA_F_NESTED` into `w`. */
  readonly parse: (a: Args, w: NlWriter, env: TcEnv) => void;
  /** Print the contents of TCA_ACT_OPTIONS (text, print_aopt: ends with its newline); `stats` is tc's -s (timestamps). */
  readonly print: (opts: NlAttrs, env: TcEnv, stats: boolean) => string;
  /** The same in `tc -j` (the members after "order" and "kind"). */
  readonly json: (opts: NlAttrs, env: TcEnv, stats: boolean) => Record<string, JsonValue>;
}

/** tc_gen members in JSON: index, ref, bind, then the timestamps under -s. */
function genJson(p: Uint8Array, opts: NlAttrs, tmType: number, stats: boolean): Record<string, JsonValue> {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const o: Record<string, JsonValue> = { index: v.getUint32(0, true), ref: v.getInt32(12, true), bind: v.getInt32(16, true) };
  if (stats && opts.has(tmType)) {
    const t = opts.data(tmType);
    if (t.length >= 32) {
      const w = new DataView(t.buffer, t.byteOffset, t.byteLength);
      const raw = (off: number): number => w.getUint32(off, true) + w.getUint32(off + 4, true) * 2 ** 32;
      if (raw(0) !== 0) o.installed = Math.floor(raw(0) / 100);
      if (raw(8) !== 0) o.last_used = Math.floor(raw(8) / 100);
      if (raw(24) !== 0) o.first_used = Math.floor(raw(24) / 100);
      if (raw(16) !== 0) o.expires = Math.floor(raw(16) / 100);
    }
  }
  return o;
}

/** print_action_control() in JSON: {"type": "pass"} or {"type": "goto", "chain": N} / {"type": "jump", "jump": N}. */
export function controlJson(action: number): Record<string, JsonValue> {
  if ((action & 0xf0000000) === 0x20000000) return { type: 'goto', chain: action & 0x0fffffff };
  if ((action & 0xf0000000) === 0x10000000) return { type: 'jump', jump: action & 0x0fffffff };
  return { type: actionN2a(action) };
}

/**
 * rta_getattr_u32/u16 that never reads past the message: a too-short
 * attribute reads as its bytes followed by zeros (tc reads whatever follows).
 */
export function nlaU32(a: NlAttrs, t: number): number {
  const d = a.data(t);
  let v = 0;
  for (let i = 3; i >= 0; i--) v = v * 256 + (d[i] ?? 0);
  return v;
}

/** The u16 form of nlaU32. */
export function nlaU16(a: NlAttrs, t: number): number {
  const d = a.data(t);
  return (d[0] ?? 0) | ((d[1] ?? 0) << 8);
}

/** action_a2n(): control-action words. */
export const CONTROL_ACTIONS: Readonly<Record<string, number>> = Object.freeze({
  continue: TC_ACT.UNSPEC, drop: TC_ACT.SHOT, shot: TC_ACT.SHOT, pass: TC_ACT.OK, ok: TC_ACT.OK,
  reclassify: TC_ACT.RECLASSIFY, pipe: TC_ACT.PIPE, goto: 0x20000000, jump: 0x10000000, trap: TC_ACT.TRAP,
});

/** action_n2a(): a verdict number as tc prints it. */
export function actionN2a(action: number): string {
  switch (action) {
    case TC_ACT.UNSPEC: return 'continue';
    case TC_ACT.OK: return 'pass';
    case TC_ACT.SHOT: return 'drop';
    case TC_ACT.RECLASSIFY: return 'reclassify';
    case TC_ACT.PIPE: return 'pipe';
    case TC_ACT.STOLEN: return 'stolen';
    case TC_ACT.TRAP: return 'trap';
    default: {
      if ((action & 0xf0000000) === 0x20000000) return `goto chain ${action & 0x0fffffff}`;
      if ((action & 0xf0000000) === 0x10000000) return `jump ${action & 0x0fffffff}`;
      return `${action}`;
    }
  }
}

/** parse_action_control(): an optional control word after an action's own words. */
function parseControl(a: Args, def: number): number {
  if (!a.more) return def;
  const w = a.peek();
  const v = CONTROL_ACTIONS[w];
  if (v === undefined) return def;
  a.take();
  if (w === 'goto') {
    if (a.take() !== 'chain') throw new UsageError('Error: argument "goto" is wrong: expected "chain"', a.lastCol);
    const n = Number(a.take());
    if (!Number.isInteger(n) || n < 0) throw a.invarg('invalid chain index value', `${n}`);
    return (0x20000000 | n) >>> 0;
  }
  return v;
}

/** Optional `index N` after an action. */
function parseIndex(a: Args): number {
  if (a.more && a.peek() === 'index') {
    a.take();
    const s = a.take();
    const n = Number(s);
    if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError(`Illegal "index"`, a.lastCol);
    return n;
  }
  return 0;
}

/** print_tm() (tc/tc_util.c): a `struct tcf_t` (install, lastuse, expires, firstuse; jiffies ago in USER_HZ = 100, host order). */
export function printTm(opts: NlAttrs, tmType: number, stats: boolean): string {
  if (!stats || !opts.has(tmType)) return '';
  const t = opts.data(tmType);
  if (t.length < 32) return '';
  const v = new DataView(t.buffer, t.byteOffset, t.byteLength);
  const raw = (off: number): number => v.getUint32(off, true) + v.getUint32(off + 4, true) * 2 ** 32;
  // each field only when non-zero (a value under one USER_HZ tick still prints "0 sec")
  let s = '';
  if (raw(0) !== 0) s += ` installed ${Math.floor(raw(0) / 100)} sec`;
  if (raw(8) !== 0) s += ` used ${Math.floor(raw(8) / 100)} sec`;
  if (raw(24) !== 0) s += ` firstused ${Math.floor(raw(24) / 100)} sec`;
  if (raw(16) !== 0) s += ` expires ${Math.floor(raw(16) / 100)} sec`;
  return s;
}

/** tc_gen head: index, capab, action, refcnt, bindcnt. */
function writeGen(w: NlWriter, type: number, size: number, index: number, action: number): number {
  const p = w.attrReserve(type, size);
  w.setU32(p, index);
  w.setS32(p + 8, action);
  return p;
}

const gact: Omit<ActionKind, 'json'> = Object.freeze({
  parse(a: Args, w: NlWriter): void {
    // `action drop` (the kind is implied) or `action gact drop`
    if (a.peek() === 'gact') a.take();
    const word = a.take();
    const v = CONTROL_ACTIONS[word];
    if (v === undefined) throw new UsageError(`Bad action type ${word}`, a.lastCol);
    if (a.more && a.peek() === 'random') throw new UsageError('gact: "random" is not supported by tcbpf yet', a.col);
    const index = parseIndex(a);
    const o = w.nestStart(TCA_ACT.OPTIONS | NLA_F.NESTED);
    writeGen(w, TCA_GACT.PARMS, 20, index, v);
    w.nestEnd(o);
  },
  print(opts: NlAttrs, _env: TcEnv, stats: boolean): string {
    if (!opts.has(TCA_GACT.PARMS) || opts.data(TCA_GACT.PARMS).length < 20) return '[NULL gact parameters]';
    const p = opts.data(TCA_GACT.PARMS);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    return `gact action ${actionN2a(v.getInt32(8, true))}\n\t random type none pass val 0\n\t index ${v.getUint32(0, true)} ref ${v.getInt32(12, true)} bind ${v.getInt32(16, true)}${printTm(opts, TCA_GACT.TM, stats)}\n`;
  },
});

function gactJson(opts: NlAttrs, _env: TcEnv, stats: boolean): Record<string, JsonValue> {
  if (!opts.has(TCA_GACT.PARMS) || opts.data(TCA_GACT.PARMS).length < 20) return {};
  const p = opts.data(TCA_GACT.PARMS);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  return { control_action: controlJson(v.getInt32(8, true)), prob: { random_type: 'none', control_action: { type: 'pass' }, val: 0 }, ...genJson(p, opts, TCA_GACT.TM, stats) };
}

const mirred: Omit<ActionKind, 'json'> = Object.freeze({
  parse(a: Args, w: NlWriter, env: TcEnv): void {
    let dir = '';
    let kind = '';
    let dev = '';
    while (a.more) {
      const word = a.peek();
      if (word === 'egress' || word === 'ingress') {
        if (dir !== '') break;
        dir = a.take();
      } else if (word === 'redirect' || word === 'mirror') {
        if (kind !== '') break;
        kind = a.take();
      } else if (word === 'dev') {
        a.take();
        dev = a.take();
        break;
      } else break;
    }
    if (dir === '' || kind === '') throw new UsageError('bad mirred direction or action: expected egress|ingress redirect|mirror', a.col);
    if (dev === '') throw new UsageError('Must specify device', a.col);
    const ifindex = env.ifindex(dev);
    if (ifindex === 0) throw new UsageError(`Cannot find device "${dev}"`, a.lastCol);
    const eaction = dir === 'egress'
      ? (kind === 'redirect' ? TCA_MIRRED_EACTION.EGRESS_REDIR : TCA_MIRRED_EACTION.EGRESS_MIRROR)
      : (kind === 'redirect' ? TCA_MIRRED_EACTION.INGRESS_REDIR : TCA_MIRRED_EACTION.INGRESS_MIRROR);
    const action = parseControl(a, kind === 'redirect' ? TC_ACT.STOLEN : TC_ACT.PIPE);
    const index = parseIndex(a);
    const o = w.nestStart(TCA_ACT.OPTIONS | NLA_F.NESTED);
    const p = writeGen(w, TCA_MIRRED.PARMS, 28, index, action);
    w.setS32(p + 20, eaction);
    w.setU32(p + 24, ifindex);
    w.nestEnd(o);
  },
  print(opts: NlAttrs, env: TcEnv, stats: boolean): string {
    if (!opts.has(TCA_MIRRED.PARMS) || opts.data(TCA_MIRRED.PARMS).length < 28) return '[NULL mirred parameters]';
    const p = opts.data(TCA_MIRRED.PARMS);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const e = v.getInt32(20, true);
    const what = e === TCA_MIRRED_EACTION.EGRESS_REDIR ? 'Egress Redirect' : e === TCA_MIRRED_EACTION.EGRESS_MIRROR ? 'Egress Mirror'
      : e === TCA_MIRRED_EACTION.INGRESS_REDIR ? 'Ingress Redirect' : 'Ingress Mirror';
    return `mirred (${what} to device ${env.ifname(v.getUint32(24, true))}) ${actionN2a(v.getInt32(8, true))}\n\tindex ${v.getUint32(0, true)} ref ${v.getInt32(12, true)} bind ${v.getInt32(16, true)}${printTm(opts, TCA_MIRRED.TM, stats)}\n`;
  },
});

function mirredJson(opts: NlAttrs, env: TcEnv, stats: boolean): Record<string, JsonValue> {
  if (!opts.has(TCA_MIRRED.PARMS) || opts.data(TCA_MIRRED.PARMS).length < 28) return {};
  const p = opts.data(TCA_MIRRED.PARMS);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const e = v.getInt32(20, true);
  const redirect = e === TCA_MIRRED_EACTION.EGRESS_REDIR || e === TCA_MIRRED_EACTION.INGRESS_REDIR;
  const egress = e === TCA_MIRRED_EACTION.EGRESS_REDIR || e === TCA_MIRRED_EACTION.EGRESS_MIRROR;
  return {
    mirred_action: redirect ? 'redirect' : 'mirror', direction: egress ? 'egress' : 'ingress', to_dev: env.ifname(v.getUint32(24, true)),
    control_action: controlJson(v.getInt32(8, true)), ...genJson(p, opts, TCA_MIRRED.TM, stats),
  };
}

function skbeditJson(opts: NlAttrs, _env: TcEnv, stats: boolean): Record<string, JsonValue> {
  if (!opts.has(TCA_SKBEDIT.PARMS) || opts.data(TCA_SKBEDIT.PARMS).length < 20) return {};
  const p = opts.data(TCA_SKBEDIT.PARMS);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const o: Record<string, JsonValue> = {};
  if (opts.has(TCA_SKBEDIT.PRIORITY)) o.priority = sprintTcClassid(nlaU32(opts, TCA_SKBEDIT.PRIORITY));
  if (opts.has(TCA_SKBEDIT.MARK)) o.mark = nlaU32(opts, TCA_SKBEDIT.MARK);
  return { ...o, control_action: controlJson(v.getInt32(8, true)), ...genJson(p, opts, TCA_SKBEDIT.TM, stats) };
}

const skbedit: Omit<ActionKind, 'json'> = Object.freeze({
  parse(a: Args, w: NlWriter): void {
    let priority: number | undefined;
    let mark: number | undefined;
    let seen = false;
    while (a.more) {
      const word = a.peek();
      if (word === 'priority') {
        a.take();
        const s = a.take();
        priority = getTcClassid(s);
        if (priority === undefined) throw new UsageError('Illegal priority', a.lastCol);
      } else if (word === 'mark') {
        a.take();
        const s = a.take();
        const n = Number(s);
        if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new UsageError('Illegal mark', a.lastCol);
        mark = n;
      } else break;
      seen = true;
    }
    if (!seen) throw new UsageError('skbedit: expected priority or mark', a.col);
    const action = parseControl(a, TC_ACT.PIPE);
    const index = parseIndex(a);
    const o = w.nestStart(TCA_ACT.OPTIONS | NLA_F.NESTED);
    writeGen(w, TCA_SKBEDIT.PARMS, 20, index, action);
    if (priority !== undefined) w.u32(TCA_SKBEDIT.PRIORITY, priority);
    if (mark !== undefined) w.u32(TCA_SKBEDIT.MARK, mark);
    w.nestEnd(o);
  },
  print(opts: NlAttrs, _env: TcEnv, stats: boolean): string {
    if (!opts.has(TCA_SKBEDIT.PARMS) || opts.data(TCA_SKBEDIT.PARMS).length < 20) return '[NULL skbedit parameters]';
    const p = opts.data(TCA_SKBEDIT.PARMS);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    // m_skbedit.c: "skbedit " then each field as " NAME VALUE", then " CONTROL"
    let s = 'skbedit ';
    if (opts.has(TCA_SKBEDIT.PRIORITY)) s += ` priority ${sprintTcClassid(nlaU32(opts, TCA_SKBEDIT.PRIORITY))}`;
    if (opts.has(TCA_SKBEDIT.MARK)) s += ` mark ${nlaU32(opts, TCA_SKBEDIT.MARK)}`;
    return `${s} ${actionN2a(v.getInt32(8, true))}\n\t index ${v.getUint32(0, true)} ref ${v.getInt32(12, true)} bind ${v.getInt32(16, true)}${printTm(opts, TCA_SKBEDIT.TM, stats)}\n`;
  },
});

/** m_csum.c csum_parse_args words → TCA_CSUM_UPDATE_FLAG_* (matches() prefixes, like tc). */
const CSUM_WORDS: readonly (readonly [readonly string[], number])[] = Object.freeze([
  Object.freeze([Object.freeze(['iph', 'ip4h', 'ipv4h']), TCA_CSUM_UPDATE_FLAG.IPV4HDR] as const),
  Object.freeze([Object.freeze(['icmp']), TCA_CSUM_UPDATE_FLAG.ICMP] as const),
  Object.freeze([Object.freeze(['igmp']), TCA_CSUM_UPDATE_FLAG.IGMP] as const),
  Object.freeze([Object.freeze(['tcp']), TCA_CSUM_UPDATE_FLAG.TCP] as const),
  Object.freeze([Object.freeze(['udp']), TCA_CSUM_UPDATE_FLAG.UDP] as const),
  Object.freeze([Object.freeze(['udplite']), TCA_CSUM_UPDATE_FLAG.UDPLITE] as const),
  Object.freeze([Object.freeze(['sctp']), TCA_CSUM_UPDATE_FLAG.SCTP] as const),
]);

/** m_csum.c print order and names. */
const CSUM_NAMES: readonly (readonly [number, string])[] = Object.freeze([
  [TCA_CSUM_UPDATE_FLAG.IPV4HDR, 'iph'], [TCA_CSUM_UPDATE_FLAG.IGMP, 'igmp'], [TCA_CSUM_UPDATE_FLAG.ICMP, 'icmp'],
  [TCA_CSUM_UPDATE_FLAG.TCP, 'tcp'], [TCA_CSUM_UPDATE_FLAG.UDP, 'udp'], [TCA_CSUM_UPDATE_FLAG.UDPLITE, 'udplite'], [TCA_CSUM_UPDATE_FLAG.SCTP, 'sctp'],
].map((e) => Object.freeze(e) as readonly [number, string]));

function csumNames(flags: number): string {
  const n = CSUM_NAMES.filter(([f]) => flags & f).map(([, x]) => x);
  return n.length === 0 ? '?empty' : n.join(', ');
}

const csum: ActionKind = Object.freeze({
  parse(a: Args, w: NlWriter): void {
    // csum_parse_args: flag words, `and`/`or`/`+` between them
    let flags = 0;
    while (a.more) {
      const word = a.peek();
      if (word === 'and' || word === 'or' || word === '+') {
        a.take();
        continue;
      }
      const hit = CSUM_WORDS.find(([ws]) => ws.some((k) => matches(word, k)));
      if (hit === undefined) break;
      a.take();
      flags |= hit[1];
    }
    if (flags === 0) throw new UsageError('Illegal csum construct', a.col);
    const action = parseControl(a, TC_ACT.OK);
    const index = parseIndex(a);
    const o = w.nestStart(TCA_ACT.OPTIONS | NLA_F.NESTED);
    const p = writeGen(w, TCA_CSUM.PARMS, 24, index, action);
    w.setU32(p + 20, flags);
    w.nestEnd(o);
  },
  print(opts: NlAttrs, _env: TcEnv, stats: boolean): string {
    if (!opts.has(TCA_CSUM.PARMS) || opts.data(TCA_CSUM.PARMS).length < 24) return '[NULL csum parameters]';
    const p = opts.data(TCA_CSUM.PARMS);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    return `csum (${csumNames(v.getUint32(20, true))}) action ${actionN2a(v.getInt32(8, true))}\n\tindex ${v.getUint32(0, true)} ref ${v.getInt32(12, true)} bind ${v.getInt32(16, true)}${printTm(opts, TCA_CSUM.TM, stats)}\n`;
  },
  json(opts: NlAttrs, _env: TcEnv, stats: boolean): Record<string, JsonValue> {
    if (!opts.has(TCA_CSUM.PARMS) || opts.data(TCA_CSUM.PARMS).length < 24) return {};
    const p = opts.data(TCA_CSUM.PARMS);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    return { csum: csumNames(v.getUint32(20, true)), control_action: controlJson(v.getInt32(8, true)), ...genJson(p, opts, TCA_CSUM.TM, stats) };
  },
});

/** parse_action_control_slash(): `EXCEED[/CONFORM]` control words. */
function controlWord(w: string, a: Args): number {
  const v = CONTROL_ACTIONS[w];
  if (v === undefined || w === 'goto' || w === 'jump') throw new UsageError(`Error: argument "${w}" is wrong: invalid control action`, a.lastCol);
  return v;
}

/**
 * m_police.c act_parse_police (byte rate only): `rate R burst B [mtu M]
 * [conform-exceed EXCEED[/CONFORM]] [index N]` → TCA_POLICE_TBF (struct
 * tc_police), TCA_POLICE_RATE (the rate table), TCA_POLICE_RESULT, TCA_POLICE_RATE64.
 */
function policeParse(a: Args, w: NlWriter): void {
  let rate: number | undefined;
  let buffer = 0;
  let mtu = 0;
  let index = 0;
  let exceed: number = TC_ACT.RECLASSIFY;
  let conform: number | undefined;
  while (a.more) {
    const word = a.peek();
    if (word === 'index') {
      a.take();
      const s2 = a.take();
      if (!/^[0-9]+$/.test(s2) || Number(s2) > 0xffffffff) throw new UsageError('Illegal "index"', a.lastCol);
      index = Number(s2);
    } else if (word === 'burst' || word === 'buffer' || word === 'maxburst') {
      a.take();
      const v = getSize(a.take());
      if (v === undefined) throw new UsageError('Illegal "burst"', a.lastCol);
      buffer = v;
    } else if (word === 'mtu' || word === 'minburst') {
      a.take();
      const v = getSize(a.take());
      if (v === undefined) throw new UsageError('Illegal "mtu"', a.lastCol);
      mtu = v;
    } else if (word === 'rate') {
      a.take();
      const v = getRate64(a.take());
      if (v === undefined) throw new UsageError('Illegal "rate"', a.lastCol);
      rate = v;
    } else if (word === 'conform-exceed') {
      a.take();
      const [e, c] = a.take().split('/');
      exceed = controlWord(e ?? '', a);
      if (c !== undefined) conform = controlWord(c, a);
    } else break;
  }
  if (rate === undefined) throw new UsageError('"rate" or "pkts_rate" must be set', a.col);
  if (buffer === 0) throw new UsageError('"burst" requires "rate".', a.col);
  const o = w.nestStart(TCA_ACT.OPTIONS | NLA_F.NESTED);
  const p = w.attrReserve(TCA_POLICE.TBF, 56);
  const rtab = new Uint8Array(1024);
  const cellLog = tcCalcRtable(rate, 0, mtu === 0 ? 2047 : mtu, new DataView(rtab.buffer));
  w.setU32(p, index);
  w.setS32(p + 4, exceed);
  w.setU32(p + 12, tcCalcXmittime(rate, buffer));
  w.setU32(p + 16, mtu);
  // tc_ratespec {cell_log, linklayer ETHERNET, overhead, cell_align -1, mpu, rate}
  w.setU8(p + 20, cellLog);
  w.setU8(p + 21, 1);
  w.setU16(p + 24, 0xffff);
  w.setU32(p + 28, Math.min(rate, 0xffffffff));
  w.attr(TCA_POLICE.RATE, rtab);
  if (conform !== undefined) w.u32(TCA_POLICE.RESULT, conform);
  if (rate >= 2 ** 32) w.u64(TCA_POLICE.RATE64, rate);
  w.nestEnd(o);
}

/** m_police.c print_police. */
function policePrint(opts: NlAttrs, _env: TcEnv, stats: boolean): string {
  if (!opts.has(TCA_POLICE.TBF) || opts.data(TCA_POLICE.TBF).length < 56) return '[NULL police parameters]';
  const p = opts.data(TCA_POLICE.TBF);
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const rate = opts.has(TCA_POLICE.RATE64) && opts.data(TCA_POLICE.RATE64).length >= 8 ? nlaU32(opts, TCA_POLICE.RATE64) + new DataView(opts.data(TCA_POLICE.RATE64).buffer, opts.data(TCA_POLICE.RATE64).byteOffset).getUint32(4, true) * 2 ** 32 : v.getUint32(28, true);
  let s = ` police 0x${v.getUint32(0, true).toString(16)} rate ${sprintRate(rate)} burst ${sprintSize(tcCalcXmitsize(rate, v.getUint32(12, true)))} mtu ${sprintSize(v.getUint32(16, true))} `;
  s += `action ${actionN2a(v.getInt32(4, true))}`;
  s += opts.has(TCA_POLICE.RESULT) ? `/${actionN2a(nlaU32(opts, TCA_POLICE.RESULT))} ` : ' ';
  s += `overhead ${v.getUint16(22, true)}b `;
  s += `\n\tref ${v.getInt32(44, true)} bind ${v.getInt32(48, true)} ${printTm(opts, TCA_POLICE.TM, stats)}\n`;
  return s;
}

const police: ActionKind = Object.freeze({
  parse: policeParse,
  print: policePrint,
  json(opts: NlAttrs, _env: TcEnv, stats: boolean): Record<string, JsonValue> {
    if (!opts.has(TCA_POLICE.TBF) || opts.data(TCA_POLICE.TBF).length < 56) return {};
    const p = opts.data(TCA_POLICE.TBF);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    const o: Record<string, JsonValue> = { police: `0x${v.getUint32(0, true).toString(16)}`, index: v.getUint32(0, true) };
    o.control_action = controlJson(v.getInt32(4, true));
    if (opts.has(TCA_POLICE.RESULT)) o.conform_action = controlJson(nlaU32(opts, TCA_POLICE.RESULT));
    o.overhead = v.getUint16(22, true);
    o.ref = v.getInt32(44, true);
    o.bind = v.getInt32(48, true);
    const t = genJson(p, opts, TCA_POLICE.TM, stats);
    for (const k of ['installed', 'last_used', 'first_used', 'expires']) if (t[k] !== undefined) o[k] = t[k];
    return o;
  },
});

/** The action kinds this model parses and prints (extension point: add a kind here). */
export const ACTION_KINDS: Readonly<Record<string, ActionKind>> = Object.freeze({
  gact: Object.freeze({ ...gact, json: gactJson }),
  mirred: Object.freeze({ ...mirred, json: mirredJson }),
  skbedit: Object.freeze({ ...skbedit, json: skbeditJson }),
  csum,
  police,
});

/**
 * parse_action(): `action KIND ARGS [cookie HEX] [action KIND ...]` into a
 * `tca_id` nest of numbered action nests. The cursor is at the first `action`.
 */
export function parseActions(a: Args, w: NlWriter, tcaId: number, env: TcEnv): void {
  const tab = w.nestStart(tcaId);
  let prio = 0;
  while (a.more && (a.peek() === 'action' || matches(a.peek(), 'action'))) {
    a.take();
    const kw = a.peek();
    const isControl = CONTROL_ACTIONS[kw] !== undefined;
    const kindName = isControl ? 'gact' : kw;
    const kind = ACTION_KINDS[kindName];
    if (kind === undefined) throw new UsageError(`bad action type ${kw}`, a.col);
    if (!isControl && kindName !== 'gact') a.take();
    const n = w.nestStart(++prio);
    w.str(TCA_ACT.KIND, kindName);
    kind.parse(a, w, env);
    if (a.more && a.peek() === 'cookie') {
      a.take();
      const hex = a.take();
      if (!/^([0-9a-fA-F]{2}){1,16}$/.test(hex)) throw new UsageError('cookie must be a hex string of 1 to 16 bytes', a.lastCol);
      w.attr(TCA_ACT.COOKIE, Uint8Array.from(hex.match(/../g)!.map((h) => Number.parseInt(h, 16))));
    }
    w.nestEnd(n);
  }
  w.nestEnd(tab);
}

/** print_tcstats2_attr() (tc/tc_util.c) with a prefix: the `Sent`/`backlog` lines of a TCA_*_STATS nest (no final newline). */
export function printTcStats2(st: NlAttrs, prefix: string): string {
  let s = '';
  if (st.has(1) && st.data(1).length >= 12) {
    const b = st.data(1);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    s += `${prefix}Sent ${v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32} bytes ${v.getUint32(8, true)} pkt`;
  }
  if (st.has(3) && st.data(3).length >= 20) {
    const q = st.data(3);
    const v = new DataView(q.buffer, q.byteOffset, q.byteLength);
    s += ` (dropped ${v.getUint32(8, true)}, overlimits ${v.getUint32(16, true)} requeues ${v.getUint32(12, true)}) `;
    s += `\n${prefix}backlog ${sprintSize(v.getUint32(4, true))} ${v.getUint32(0, true)}p requeues ${v.getUint32(12, true)}`;
  }
  return s;
}

/** The numbered action nests of a TCA_*_ACT / TCA_ROOT_TAB payload, in order (standalone dumps start at 0). */
export function actionNests(tab: Uint8Array): [number, NlAttrs][] {
  const v = new DataView(tab.buffer, tab.byteOffset, tab.byteLength);
  const out: [number, NlAttrs][] = [];
  let p = 0;
  while (p + 4 <= tab.length) {
    const len = v.getUint16(p, true);
    if (len < 4 || p + len > tab.length) break;
    const t = v.getUint16(p + 2, true) & 0x3fff;
    if (t <= 32) out.push([t, parseAttrs(tab, p + 4, p + len, TCA_ACT.MAX)]);
    p += (len + 3) & ~3;
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** A TCA_ACT_(USED_)HW_STATS bitfield32 (value & selector) as print_hw_stats' names (`disabled` when none). */
function hwStatsNames(b: Uint8Array): string[] {
  if (b.length < 8) return [];
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const bits = v.getUint32(0, true) & v.getUint32(4, true);
  if (bits === 0) return ['disabled'];
  const names: string[] = [];
  if (bits & 1) names.push('immediate');
  if (bits & 2) names.push('delayed');
  return names;
}

/** print_hw_stats() text: `\tused_hw_stats disabled`. */
function hwStats(b: Uint8Array, name: string): string {
  return b.length < 8 ? '' : `\t${name} ${hwStatsNames(b).join(' ')}\n`;
}

/**
 * tc_print_action() / tc_print_one_action() (tc/m_action.c): each numbered
 * action nest as `\n\taction order N: ` + the kind's text, then under -s
 * `\tAction statistics:` and the stats lines, then the cookie; `standalone`
 * (`tc actions` dumps): the hardware count and hw_stats lines too.
 */
export function printActions(tab: Uint8Array, env: TcEnv, stats: boolean, standalone = false): string {
  let out = '';
  for (const [i, act] of actionNests(tab)) {
    out += `\n\taction order ${i}: `;
    if (!act.has(TCA_ACT.KIND)) {
      out += 'NULL Action!';
      continue;
    }
    const kind = act.str(TCA_ACT.KIND);
    const k = ACTION_KINDS[kind];
    if (k === undefined) out += `${kind} [unknown action]\n`;
    else if (!act.has(TCA_ACT.OPTIONS)) out += `[NULL ${kind} parameters]`;
    else out += k.print(act.nested(TCA_ACT.OPTIONS, 32), env, stats);
    if (stats && act.has(TCA_ACT.STATS)) out += `\tAction statistics:\n${printTcStats2(act.nested(TCA_ACT.STATS, 16), '\t')}\n`;
    if (act.has(TCA_ACT.COOKIE)) out += `\tcookie ${[...act.data(TCA_ACT.COOKIE)].map((b) => b.toString(16).padStart(2, '0')).join('')}\n`;
    // tc 6.1 prints the hardware count for standalone action dumps only (checked against its output: filter dumps carry it too)
    if (standalone && act.has(TCA_ACT.IN_HW_COUNT)) {
      const n = nlaU32(act, TCA_ACT.IN_HW_COUNT);
      out += n > 0 ? `\tin_hw in_hw_count ${n}\n` : '\tnot_in_hw\n';
    }
    if (act.has(TCA_ACT.HW_STATS)) out += hwStats(act.data(TCA_ACT.HW_STATS), 'hw_stats');
    if (act.has(TCA_ACT.USED_HW_STATS)) out += hwStats(act.data(TCA_ACT.USED_HW_STATS), 'used_hw_stats');
  }
  return out;
}

/** print_tcstats2_attr() in JSON (the "stats" object). */
export function tcStats2Json(st: NlAttrs): Record<string, JsonValue> {
  const o: Record<string, JsonValue> = {};
  if (st.has(1) && st.data(1).length >= 12) {
    const b = st.data(1);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    o.bytes = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
    o.packets = v.getUint32(8, true);
  }
  if (st.has(3) && st.data(3).length >= 20) {
    const q = st.data(3);
    const v = new DataView(q.buffer, q.byteOffset, q.byteLength);
    o.drops = v.getUint32(8, true);
    o.overlimits = v.getUint32(16, true);
    o.requeues = v.getUint32(12, true);
    o.backlog = v.getUint32(4, true);
    o.qlen = v.getUint32(0, true);
  }
  return o;
}

/** tc_print_action() in JSON: the "actions" array. */
export function actionsJson(tab: Uint8Array, env: TcEnv, stats: boolean, standalone = false): JsonValue[] {
  const out: JsonValue[] = [];
  for (const [i, act] of actionNests(tab)) {
    const o: Record<string, JsonValue> = { order: i };
    if (act.has(TCA_ACT.KIND)) {
      const kind = act.str(TCA_ACT.KIND);
      o.kind = kind;
      const k = ACTION_KINDS[kind];
      if (k !== undefined && act.has(TCA_ACT.OPTIONS)) Object.assign(o, k.json(act.nested(TCA_ACT.OPTIONS, 32), env, stats));
      if (stats && act.has(TCA_ACT.STATS)) o.stats = tcStats2Json(act.nested(TCA_ACT.STATS, 16));
      if (act.has(TCA_ACT.COOKIE)) o.cookie = [...act.data(TCA_ACT.COOKIE)].map((b) => b.toString(16).padStart(2, '0')).join('');
      if (standalone && act.has(TCA_ACT.IN_HW_COUNT)) {
        const n = nlaU32(act, TCA_ACT.IN_HW_COUNT);
        if (n > 0) {
          o.in_hw = true;
          o.in_hw_count = n;
        } else o.not_in_hw = true;
      }
      if (act.has(TCA_ACT.HW_STATS)) o.hw_stats = hwStatsNames(act.data(TCA_ACT.HW_STATS));
      if (act.has(TCA_ACT.USED_HW_STATS)) o.used_hw_stats = hwStatsNames(act.data(TCA_ACT.USED_HW_STATS));
    }
    out.push(o);
  }
  return out;
}

/** Parse attributes of one nest payload (helper for printers). */
export function nestOf(data: Uint8Array, maxtype: number): NlAttrs {
  return parseAttrs(data, 0, data.length, maxtype);
}
