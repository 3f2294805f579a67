// Models iproute2 6.1 tc/tc_filter.c (tc_filter_modify, print_filter) with the
// classifier modules f_matchall.c and f_bpf.c (classic `bytecode` /
// `bytecode-file`, `obj FILE [sec NAME]` loaded through the env's bpf()): words → RTM_*TFILTER
// request attributes, dump messages → tc's text.
import { readFileSync } from 'node:fs';
import { KernelError } from '@tcbpf/base';
import { parseBytecode, parseBytecodeFile } from '@tcbpf/cbpf';
import { ERRNO_TEXT, TCA, TCA_BPF, TCA_BPF_FLAG, TCA_MATCHALL, TC_H } from '@tcbpf/uapi';
import { parseAttrs, type NlWriter } from '@tcbpf/tcf';
import { type Args, UsageError } from './args.js';
import { actionsJson, nlaU16, nlaU32, parseActions, printActions, type TcEnv } from './tc-action.js';
import type { JsonValue } from './json-writer.js';
import { getTcClassid, sprintTcClassid } from './tc-util.js';

/** TCA_CLS_FLAGS_* (include/uapi/linux/pkt_cls.h). */
const SKIP_HW = 1;
const SKIP_SW = 2;
const IN_HW = 4;

/** One classifier kind: option parser (writes TCA_OPTIONS) and printer. */
export interface FilterKind {
  readonly parseFopt: (a: Args, w: NlWriter, handle: string, env: TcEnv, setHandle: (h: number) => void) => void;
  /** print_fopt(): the filter's options after the head (handle first), as tc prints them. */
  readonly printFopt: (opt: Uint8Array, env: TcEnv, stats: boolean, handle: number) => string;
  /** The same in `tc -j`: the "options" object. */
  readonly jsonFopt: (opt: Uint8Array, env: TcEnv, stats: boolean, handle: number) => Record<string, JsonValue>;
}

function parseHandle(handle: string, setHandle: (h: number) => void, col: number): void {
  if (handle === '') return;
  const v = Number(handle);
  if (!/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(handle) || v > 0xffffffff) throw new UsageError(`Illegal "handle"`, col);
  setHandle(v);
}

function parseFlag(word: string, flags: number, a: Args): number {
  const f = word === 'skip_hw' ? SKIP_HW : SKIP_SW;
  if (flags & (f === SKIP_HW ? SKIP_SW : SKIP_HW)) throw new UsageError('skip_hw and skip_sw are mutually exclusive', a.lastCol);
  return flags | f;
}

const matchall: Omit<FilterKind, 'jsonFopt'> = Object.freeze({
  parseFopt(a: Args, w: NlWriter, handle: string, env: TcEnv, setHandle: (h: number) => void): void {
    parseHandle(handle, setHandle, a.col);
    if (!a.more) return;
    const n = w.nestStart(TCA.OPTIONS);
    let flags = 0;
    while (a.more) {
      const word = a.peek();
      if (word === 'classid' || word === 'flowid') {
        a.take();
        const s = a.next();
        const v = getTcClassid(s);
        if (v === undefined) throw new UsageError('Illegal "classid"', a.lastCol);
        w.u32(TCA_MATCHALL.CLASSID, v);
      } else if (word === 'action') {
        parseActions(a, w, TCA_MATCHALL.ACT, env);
      } else if (word === 'skip_hw' || word === 'skip_sw') {
        a.take();
        flags = parseFlag(word, flags, a);
      } else throw new UsageError(`What is "${word}"?`, a.col);
    }
    if (flags) w.u32(TCA_MATCHALL.FLAGS, flags);
    w.nestEnd(n);
  },
  printFopt(opt: Uint8Array, env: TcEnv, stats: boolean, handle: number): string {
    // f_matchall.c matchall_print_opt
    const tb = parseAttrs(opt, 0, opt.length, TCA_MATCHALL.MAX);
    let s = handle !== 0 ? `handle 0x${handle.toString(16)} ` : '';
    if (tb.has(TCA_MATCHALL.CLASSID)) s += `flowid ${sprintTcClassid(nlaU32(tb, TCA_MATCHALL.CLASSID))} `;
    if (tb.has(TCA_MATCHALL.FLAGS)) {
      const f = nlaU32(tb, TCA_MATCHALL.FLAGS);
      if (f & SKIP_HW) s += '\n  skip_hw';
      if (f & SKIP_SW) s += '\n  skip_sw';
      s += f & IN_HW ? '\n  in_hw' : '\n  not_in_hw';
    }
    if (stats && tb.has(TCA_MATCHALL.PCNT) && tb.data(TCA_MATCHALL.PCNT).length >= 8) {
      const p = tb.data(TCA_MATCHALL.PCNT);
      const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
      s += ` (rule hit ${v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32})`;
    }
    if (tb.has(TCA_MATCHALL.ACT)) s += printActions(tb.data(TCA_MATCHALL.ACT), env, stats);
    return s;
  },
});

function matchallJson(opt: Uint8Array, env: TcEnv, stats: boolean, handle: number): Record<string, JsonValue> {
  const tb = parseAttrs(opt, 0, opt.length, TCA_MATCHALL.MAX);
  const o: Record<string, JsonValue> = {};
  if (handle !== 0) o.handle = `0x${handle.toString(16)}`;
  if (tb.has(TCA_MATCHALL.CLASSID)) o.flowid = sprintTcClassid(nlaU32(tb, TCA_MATCHALL.CLASSID));
  if (tb.has(TCA_MATCHALL.FLAGS)) {
    const f = nlaU32(tb, TCA_MATCHALL.FLAGS);
    if (f & SKIP_HW) o.skip_hw = true;
    if (f & SKIP_SW) o.skip_sw = true;
    if (f & IN_HW) o.in_hw = true;
    else o.not_in_hw = true;
  }
  if (stats && tb.has(TCA_MATCHALL.PCNT) && tb.data(TCA_MATCHALL.PCNT).length >= 8) {
    const p = tb.data(TCA_MATCHALL.PCNT);
    const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
    o.rule_hit = v.getUint32(0, true) + v.getUint32(4, true) * 2 ** 32;
  }
  if (tb.has(TCA_MATCHALL.ACT)) o.actions = actionsJson(tb.data(TCA_MATCHALL.ACT), env, stats);
  return o;
}

function bpfJson(opt: Uint8Array, env: TcEnv, stats: boolean, handle: number): Record<string, JsonValue> {
  const tb = parseAttrs(opt, 0, opt.length, TCA_BPF.MAX);
  const o: Record<string, JsonValue> = {};
  if (handle !== 0) o.handle = `0x${handle.toString(16)}`;
  if (tb.has(TCA_BPF.CLASSID)) o.flowid = sprintTcClassid(nlaU32(tb, TCA_BPF.CLASSID));
  if (tb.has(TCA_BPF.NAME)) o.bpf_name = tb.str(TCA_BPF.NAME);
  if (tb.has(TCA_BPF.FLAGS) && nlaU32(tb, TCA_BPF.FLAGS) & TCA_BPF_FLAG.ACT_DIRECT) o['direct-action'] = true;
  if (tb.has(TCA_BPF.FLAGS_GEN)) {
    const f = nlaU32(tb, TCA_BPF.FLAGS_GEN);
    if (f & SKIP_HW) o.skip_hw = true;
    if (f & SKIP_SW) o.skip_sw = true;
    if (f & IN_HW) o.in_hw = true;
    else o.not_in_hw = true;
  }
  if (tb.has(TCA_BPF.OPS) && tb.has(TCA_BPF.OPS_LEN)) {
    const ops = tb.data(TCA_BPF.OPS);
    const n = nlaU16(tb, TCA_BPF.OPS_LEN);
    const v = new DataView(ops.buffer, ops.byteOffset, ops.byteLength);
    const insns: JsonValue[] = [];
    for (let i = 0; i < n && (i + 1) * 8 <= ops.length; i++) insns.push({ code: v.getUint16(i * 8, true), jt: v.getUint8(i * 8 + 2), jf: v.getUint8(i * 8 + 3), k: v.getUint32(i * 8 + 4, true) });
    o.bytecode = { length: n, insns };
  }
  let dumped = false;
  if (tb.has(TCA_BPF.ID)) {
    const id = nlaU32(tb, TCA_BPF.ID);
    const prog: Record<string, JsonValue> = { id };
    const info = env.progInfo?.(id);
    if (info !== undefined) {
      prog.name = info.name;
      prog.tag = info.tag;
      prog.jited = info.jited ? 1 : 0;
      dumped = true;
    }
    o.prog = prog;
  }
  if (!dumped && tb.has(TCA_BPF.TAG)) o.tag = [...tb.data(TCA_BPF.TAG)].map((b) => b.toString(16).padStart(2, '0')).join('');
  if (tb.has(TCA_BPF.ACT)) o.actions = actionsJson(tb.data(TCA_BPF.ACT), env, stats);
  return o;
}

const bpf: Omit<FilterKind, 'jsonFopt'> = Object.freeze({
  parseFopt(a: Args, w: NlWriter, handle: string, env: TcEnv, setHandle: (h: number) => void): void {
    parseHandle(handle, setHandle, a.col);
    if (!a.more) return;
    const n = w.nestStart(TCA.OPTIONS);
    let flags = 0;
    let gen = 0;
    let ops: { code: number; jt: number; jf: number; k: number }[] | null = null;
    let ebpf: { fd: number; name: string } | null = null;
    let obj: { file: string; section: string; col: number } | null = null;
    while (a.more) {
      const word = a.peek();
      if (word === 'bytecode' || word === 'bytecode-file' || word === 'bc') {
        a.take();
        const s = a.next();
        const col = a.lastCol;
        if (ops !== null || obj !== null) throw new UsageError('Error: duplicate BPF program', col);
        try {
          ops = word === 'bytecode-file' ? parseBytecodeFile(readFileSync(env.path?.(s) ?? s, 'utf8')) : parseBytecode(s);
        } catch (e) {
          if (KernelError.isInstance(e)) throw new UsageError(e.extack, col);
          throw new UsageError(`Cannot read "${s}": ${(e as Error).message}`, col);
        }
      } else if (word === 'obj' || word === 'object-file') {
        // bpf_parse_common: obj FILE [section NAME] [verbose]; the section defaults to "classifier"
        a.take();
        const file = a.next();
        const col = a.lastCol;
        if (ops !== null || obj !== null) throw new UsageError('Error: duplicate BPF program', col);
        let section = 'classifier';
        if (a.more && (a.peek() === 'sec' || a.peek() === 'section')) {
          a.take();
          section = a.next();
        }
        if (a.more && a.peek() === 'verbose') a.take();
        if (env.loadBpfObject === undefined) throw new UsageError(`bpf "${word}": no bpf() to load the object into`, col);
        // loaded once every option is known (f_bpf.c: bpf_load_common after the loop; skip_sw binds it to the device)
        obj = { file, section, col };
      } else if (word === 'fd' || word === 'object-pinned' || word === 'pinned') {
        throw new UsageError(`bpf "${word}": not modelled (use "obj FILE sec NAME")`, a.col);
      } else if (word === 'classid' || word === 'flowid') {
        a.take();
        const s = a.next();
        const v = getTcClassid(s);
        if (v === undefined) throw new UsageError('Illegal "classid"', a.lastCol);
        w.u32(TCA_BPF.CLASSID, v);
      } else if (word === 'direct-action' || word === 'da') {
        a.take();
        flags |= TCA_BPF_FLAG.ACT_DIRECT;
      } else if (word === 'skip_hw' || word === 'skip_sw') {
        a.take();
        gen = parseFlag(word, gen, a);
      } else if (word === 'action') {
        parseActions(a, w, TCA_BPF.ACT, env);
      } else throw new UsageError(`What is "${word}"?`, a.col);
    }
    if (obj !== null && env.loadBpfObject !== undefined) {
      const ifindex = gen & SKIP_SW && env.dev !== undefined ? env.ifindex(env.dev) : 0;
      try {
        ebpf = env.loadBpfObject(obj.file, obj.section, ifindex);
      } catch (e) {
        if (KernelError.isInstance(e)) throw new UsageError(`${obj.file}: ${e.extack !== '' ? e.extack : (ERRNO_TEXT[e.errno] ?? e.errno)} (${e.errno})`, obj.col);
        throw new UsageError(`Cannot read "${obj.file}": ${(e as Error).message}`, obj.col);
      }
    }
    if (ebpf !== null) {
      // bpf_ebpf_cb: the program fd and the annotation
      w.u32(TCA_BPF.FD, ebpf.fd);
      w.str(TCA_BPF.NAME, ebpf.name);
    } else {
      if (ops === null) throw new UsageError('Either "bytecode", "bytecode-file" or "obj" must be given', a.endCol);
      w.u16(TCA_BPF.OPS_LEN, ops.length);
      const p = w.attrReserve(TCA_BPF.OPS, ops.length * 8);
      ops.forEach((op, i) => {
        w.setU16(p + i * 8, op.code);
        w.setU8(p + i * 8 + 2, op.jt);
        w.setU8(p + i * 8 + 3, op.jf);
        w.setU32(p + i * 8 + 4, op.k);
      });
    }
    if (gen) w.u32(TCA_BPF.FLAGS_GEN, gen);
    if (flags) w.u32(TCA_BPF.FLAGS, flags);
    w.nestEnd(n);
  },
  printFopt(opt: Uint8Array, env: TcEnv, stats: boolean, handle: number): string {
    // f_bpf.c bpf_print_opt
    const tb = parseAttrs(opt, 0, opt.length, TCA_BPF.MAX);
    let s = handle !== 0 ? `handle 0x${handle.toString(16)} ` : '';
    if (tb.has(TCA_BPF.CLASSID)) s += `flowid ${sprintTcClassid(nlaU32(tb, TCA_BPF.CLASSID))} `;
    if (tb.has(TCA_BPF.NAME)) s += `${tb.str(TCA_BPF.NAME)} `;
    if (tb.has(TCA_BPF.FLAGS) && nlaU32(tb, TCA_BPF.FLAGS) & TCA_BPF_FLAG.ACT_DIRECT) s += 'direct-action ';
    if (tb.has(TCA_BPF.FLAGS_GEN)) {
      const f = nlaU32(tb, TCA_BPF.FLAGS_GEN);
      if (f & SKIP_HW) s += 'skip_hw ';
      if (f & SKIP_SW) s += 'skip_sw ';
      s += f & IN_HW ? 'in_hw ' : 'not_in_hw ';
    }
    if (tb.has(TCA_BPF.OPS) && tb.has(TCA_BPF.OPS_LEN)) {
      // bpf_print_ops: 'N,code jt jf k,...' (host order), no trailing comma
      const ops = tb.data(TCA_BPF.OPS);
      const n = nlaU16(tb, TCA_BPF.OPS_LEN);
      const v = new DataView(ops.buffer, ops.byteOffset, ops.byteLength);
      const insns: string[] = [];
      for (let i = 0; i < n && (i + 1) * 8 <= ops.length; i++) insns.push(`${v.getUint16(i * 8, true)} ${v.getUint8(i * 8 + 2)} ${v.getUint8(i * 8 + 3)} ${v.getUint32(i * 8 + 4, true)}`);
      s += `bytecode '${n},${insns.join(',')}'`;
    }
    let dumped = false;
    if (tb.has(TCA_BPF.ID)) {
      // bpf_dump_prog_info: the id, then what BPF_OBJ_GET_INFO_BY_FD on that id tells
      const id = nlaU32(tb, TCA_BPF.ID);
      s += `id ${id} `;
      const info = env.progInfo?.(id);
      if (info !== undefined) {
        if (info.name !== '') s += `name ${info.name} `;
        s += `tag ${info.tag} `;
        if (info.jited) s += 'jited ';
        dumped = true;
      }
    }
    if (!dumped && tb.has(TCA_BPF.TAG)) s += `tag ${[...tb.data(TCA_BPF.TAG)].map((b) => b.toString(16).padStart(2, '0')).join('')} `;
    if (tb.has(TCA_BPF.ACT)) s += printActions(tb.data(TCA_BPF.ACT), env, stats);
    return s;
  },
});

/** The classifier kinds this model knows (extension point: add a kind here). */
export const FILTER_KINDS: Readonly<Record<string, FilterKind>> = Object.freeze({
  matchall: Object.freeze({ ...matchall, jsonFopt: matchallJson }),
  bpf: Object.freeze({ ...bpf, jsonFopt: bpfJson }),
});

/** ll_proto_a2n(): protocol names iproute2 accepts (subset). */
export const LL_PROTOS: Readonly<Record<string, number>> = Object.freeze({
  all: 0x0003, ip: 0x0800, ipv6: 0x86dd, arp: 0x0806, '802.1Q': 0x8100, '802.1ad': 0x88a8, loop: 0x0060,
});

/** Parsed head of a `tc filter` command. */
export interface FilterHead {
  dev: string;
  block: number;
  parent: number;
  handle: string;
  prio: number;
  protocol: number;
  chain: number | undefined;
  kind: string;
  /** Column of the device name word. */
  devCol: number;
}

/** tc_filter_modify()'s argument loop up to the kind word. */
export function parseFilterHead(a: Args): FilterHead {
  const h: FilterHead = { dev: '', block: 0, parent: 0, handle: '', prio: 0, protocol: -1, chain: undefined, kind: '', devCol: 0 };
  let parentSet = false;
  const setParent = (v: number, what: string): void => {
    if (parentSet) throw new UsageError(`Error: "${what}" is duplicate parent ID`, a.lastCol);
    h.parent = v;
    parentSet = true;
  };
  while (a.more) {
    const word = a.take();
    if (word === 'dev') {
      h.dev = a.next();
      h.devCol = a.lastCol;
    }
    else if (word === 'block') {
      const s = a.next();
      const v = Number(s);
      if (!Number.isInteger(v) || v <= 0 || v > 0xffffffff) throw new UsageError('Error: argument "block" is wrong: invalid block index value', a.lastCol);
      h.block = v;
    } else if (word === 'root') setParent(TC_H.ROOT, 'root');
    else if (word === 'ingress') setParent(0xfffffff2, 'ingress');
    else if (word === 'egress') setParent(0xfffffff3, 'egress');
    else if (word === 'parent') {
      const s = a.next();
      const v = getTcClassid(s);
      if (v === undefined) throw new UsageError(`Error: argument "${s}" is wrong: Invalid parent ID`, a.lastCol);
      setParent(v, 'parent');
    } else if (word === 'handle') h.handle = a.next();
    else if (word === 'prio' || word === 'pref' || word === 'priority' || word === 'preference') {
      const s = a.next();
      const v = Number(s);
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new UsageError(`Error: argument "${s}" is wrong: invalid priority value`, a.lastCol);
      h.prio = v;
    } else if (word === 'protocol') {
      const s = a.next();
      const v = LL_PROTOS[s] ?? (/^0x[0-9a-fA-F]{1,4}$/.test(s) ? Number(s) : undefined);
      if (v === undefined) throw new UsageError(`Error: argument "${s}" is wrong: invalid protocol`, a.lastCol);
      h.protocol = v;
    } else if (word === 'chain') {
      const s = a.next();
      const v = Number(s);
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new UsageError(`Error: argument "${s}" is wrong: invalid chain index value`, a.lastCol);
      h.chain = v;
    } else {
      h.kind = word;
      break;
    }
  }
  return h;
}

/** What `tc filter show` was asked for: print_filter omits each field equal to it. */
export interface FilterShowFilter {
  readonly stats: boolean;
  /** `dev` (0: none; -1: a block). */
  readonly filterIfindex: number;
  readonly env: TcEnv;
  /** `ingress`/`egress`/`parent X` given on the command line (0: none). */
  readonly parent?: number;
  /** `block N` given (0: none). */
  readonly block?: number;
  /** `protocol P` given (host-order EtherType; 0: none). */
  readonly protocol?: number;
  /** `pref N` given (0: none). */
  readonly prio?: number;
  /** `chain N` given. */
  readonly chain?: number;
}

/** print_filter() (tc/tc_filter.c): one filter dump message as `tc [-s] filter show` prints it. */
export function printFilterMsg(msg: Uint8Array, o: FilterShowFilter): string {
  if (msg.length < 36) return '';
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const ifindex = v.getInt32(20, true);
  const handle = v.getUint32(24, true);
  const parent = v.getUint32(28, true);
  const info = v.getUint32(32, true);
  const tb = parseAttrs(msg, 36, Math.min(v.getUint32(0, true), msg.length), TCA.MAX);
  if (!tb.has(TCA.KIND)) return '';
  if (o.filterIfindex > 0 && ifindex !== o.filterIfindex) return '';
  const kind = tb.str(TCA.KIND);
  let s = 'filter ';
  if (ifindex === -1) {
    // TCM_IFINDEX_MAGIC_BLOCK: the parent is the block index
    if ((o.block ?? 0) === 0) s += `block ${parent} `;
  } else {
    if (o.filterIfindex === 0 || o.filterIfindex !== ifindex) s += `dev ${o.env.ifname(ifindex)} `;
    if ((o.parent ?? 0) === 0 || o.parent !== parent) {
      if (parent === TC_H.ROOT) s += 'root ';
      else if (parent === 0xfffffff2) s += 'ingress ';
      else if (parent === 0xfffffff3) s += 'egress ';
      else s += `parent ${sprintTcClassid(parent)} `;
    }
  }
  if (info !== 0) {
    const proto = ((info & 0xff) << 8) | ((info >>> 8) & 0xff);
    const prio = info >>> 16;
    if (((o.protocol ?? 0) === 0 || o.protocol !== proto) && proto !== 0) s += `protocol ${llProtoN2a(proto)} `;
    if (((o.prio ?? 0) === 0 || o.prio !== prio) && prio !== 0) s += `pref ${prio} `;
  }
  s += `${kind} `;
  if (tb.has(TCA.CHAIN)) {
    const c = nlaU32(tb, TCA.CHAIN);
    if (o.chain === undefined || o.chain !== c) s += `chain ${c} `;
  }
  const k = FILTER_KINDS[kind];
  if (tb.has(TCA.OPTIONS)) s += k === undefined ? '[cannot parse parameters]' : k.printFopt(tb.data(TCA.OPTIONS), o.env, o.stats, handle);
  return `${s}\n`;
}

/** print_filter() in JSON mode (`tc -j [-s] filter show`): one message as an object, or null when filtered out. */
export function filterMsgJson(msg: Uint8Array, o: FilterShowFilter): Record<string, JsonValue> | null {
  if (msg.length < 36) return null;
  const v = new DataView(msg.buffer, msg.byteOffset, msg.byteLength);
  const ifindex = v.getInt32(20, true);
  const handle = v.getUint32(24, true);
  const parent = v.getUint32(28, true);
  const info = v.getUint32(32, true);
  const tb = parseAttrs(msg, 36, Math.min(v.getUint32(0, true), msg.length), TCA.MAX);
  if (!tb.has(TCA.KIND)) return null;
  if (o.filterIfindex > 0 && ifindex !== o.filterIfindex) return null;
  const kind = tb.str(TCA.KIND);
  const j: Record<string, JsonValue> = {};
  if (ifindex === -1) {
    if ((o.block ?? 0) === 0) j.block = parent;
  } else {
    if (o.filterIfindex === 0 || o.filterIfindex !== ifindex) j.dev = o.env.ifname(ifindex);
    if ((o.parent ?? 0) === 0 || o.parent !== parent) {
      if (parent === TC_H.ROOT) j.root = true;
      else if (parent === 0xfffffff2) j.ingress = true;
      else if (parent === 0xfffffff3) j.egress = true;
      else j.parent = sprintTcClassid(parent);
    }
  }
  if (info !== 0) {
    const proto = ((info & 0xff) << 8) | ((info >>> 8) & 0xff);
    const prio = info >>> 16;
    if (((o.protocol ?? 0) === 0 || o.protocol !== proto) && proto !== 0) j.protocol = llProtoN2a(proto);
    if (((o.prio ?? 0) === 0 || o.prio !== prio) && prio !== 0) j.pref = prio;
  }
  j.kind = kind;
  if (tb.has(TCA.CHAIN)) {
    const c = nlaU32(tb, TCA.CHAIN);
    if (o.chain === undefined || o.chain !== c) j.chain = c;
  }
  const k = FILTER_KINDS[kind];
  if (tb.has(TCA.OPTIONS) && k !== undefined) j.options = k.jsonFopt(tb.data(TCA.OPTIONS), o.env, o.stats, handle);
  return j;
}

/** ll_proto_n2a(): an EtherType (host order) as tc prints it. */
export function llProtoN2a(proto: number): string {
  for (const [name, p] of Object.entries(LL_PROTOS)) if (p === proto) return name;
  return `[${proto}]`;
}
