// Models iproute2 6.1 tc/tc.c (option and object dispatch), tc_qdisc.c,
// tc_class.c and tc_filter.c request building: a `tc` command line → the
// netlink request bytes tc sends → the tcf kernel's rtnetlink endpoint →
// the text tc prints (or the `Error: <extack>` it prints).
import { RTM } from '@tcbpf/uapi';
import { NlWriter, TC_CMD, type TcClient } from '@tcbpf/tcf';
import { type Args, UsageError, matches } from './args.js';
import { FILTER_KINDS, filterMsgJson, parseFilterHead, printFilterMsg, type FilterShowFilter } from './tc-filter.js';
import { jsonDocument, type JsonValue } from './json-writer.js';
import { parseTcActions } from './tc-actions-cmd.js';
import { parseQdiscHead, printQdiscMsg, qdiscMsgJson, writeQdiscBody } from './tc-qdisc.js';
import type { TcEnv } from './tc-action.js';

/** A request as tc would send it (before nlmsg_seq/pid are filled in). */
export interface TcRequest {
  readonly type: number;
  readonly flags: number;
  readonly body: (w: NlWriter) => void;
}

/** What a command produced: requests to send and how to print dump replies. */
export interface TcCommand {
  readonly request: TcRequest;
  /** For show commands: format the dump messages. */
  readonly print?: (msgs: readonly Uint8Array[]) => string;
}

const MODIFY: Readonly<Record<string, keyof typeof TC_CMD>> = Object.freeze({
  add: 'add', replace: 'replace', change: 'change', del: 'del', delete: 'del', get: 'get',
});

function htons(p: number): number {
  return ((p & 0xff) << 8) | ((p >>> 8) & 0xff);
}

function cmdWord(a: Args): string {
  const w = a.take();
  for (const k of ['add', 'replace', 'change', 'delete', 'del', 'get', 'show', 'list', 'ls']) if (w === k || (w.length > 0 && k.startsWith(w) && k !== 'del')) return k === 'delete' ? 'del' : k === 'list' || k === 'ls' ? 'show' : k;
  throw new UsageError(`Command "${w}" is unknown, try "tc ${'object'} help".`, a.lastCol);
}

function devIndex(env: TcEnv, dev: string, col: number): number {
  const i = env.ifindex(dev);
  if (i === 0) throw new UsageError(`Cannot find device "${dev}"`, col);
  return i;
}

/** Parse one `tc [-s] OBJECT COMMAND ...` line (words after `tc`). */
export function parseTc(a: Args, env: TcEnv): TcCommand {
  let stats = false;
  let json = false;
  let pretty = false;
  while (a.more && a.peek().startsWith('-')) {
    const o = a.take();
    if (o === '-s' || o === '-stats' || o === '-statistics') stats = true;
    else if (o === '-j' || o === '-json') json = true;
    else if (o === '-p' || o === '-pretty') pretty = true;
    else if (o === '-d' || o === '-details') { /* details: printed like the plain form here */ }
    else throw new UsageError(`Option "${o}" is unknown, try "tc -help".`, a.lastCol);
  }
  const obj = a.take();
  const objCol = a.lastCol;
  if (matches(obj, 'actions') && obj.length > 1) return parseTcActions(a, env, { stats, json, pretty });
  if (matches(obj, 'qdisc') || matches(obj, 'class')) {
    const cls = matches(obj, 'class') && obj !== 'qdisc';
    const cmd = cmdWord(a);
    if (cmd === 'show') {
      let dev = '';
      let devCol = 0;
      while (a.more) {
        const w = a.take();
        if (w === 'dev') {
          dev = a.next();
          devCol = a.lastCol;
        }
        else throw new UsageError(`What is "${w}"? Try "tc ${cls ? 'class' : 'qdisc'} help".`, a.lastCol);
      }
      if (cls && dev === '') throw new UsageError('Error: dev is required.', a.endCol);
      const ifindex = dev === '' ? 0 : devIndex(env, dev, devCol);
      return {
        request: { type: cls ? RTM.GETTCLASS : RTM.GETQDISC, flags: TC_CMD.dump, body: (w) => w.tcmsg(ifindex, 0, 0, 0) },
        // tc 6.1's print_class has no JSON form for htb: `tc -j class show` prints the text
        print: json && !cls
          ? (msgs) => jsonDocument(msgs.map((m) => qdiscMsgJson(m, { stats, filterIfindex: ifindex, ifname: (i) => env.ifname(i) })).filter((x) => x !== null) as JsonValue[], pretty)
          : (msgs) => msgs.map((m) => printQdiscMsg(m, { cls, stats, filterIfindex: ifindex, ifname: (i) => env.ifname(i) })).join(''),
      };
    }
    const h = parseQdiscHead(a, cls);
    if (h.dev === '') throw new UsageError('Must specify device.', a.endCol);
    const ifindex = devIndex(env, h.dev, h.devCol);
    const flagsName = MODIFY[cmd]!;
    const type = cls ? (cmd === 'del' ? RTM.DELTCLASS : RTM.NEWTCLASS) : cmd === 'del' ? RTM.DELQDISC : RTM.NEWQDISC;
    const parts = new NlWriter();
    writeQdiscBody(a, parts, h, cls);
    const attrs = parts.bytes();
    return { request: { type, flags: TC_CMD[flagsName], body: (w) => { w.tcmsg(ifindex, h.handle, h.parent, 0); w.raw(attrs); } } };
  }
  if (matches(obj, 'filter') && obj.length > 1) {
    const cmd = cmdWord(a);
    const h = parseFilterHead(a);
    let ifindex = 0;
    if (h.block !== 0) {
      if (h.dev !== '') throw new UsageError('Error: "dev" and "block" are mutually exclusive', a.lastCol);
      ifindex = -1;
      h.parent = h.block;
    } else if (h.dev !== '') ifindex = devIndex(env, h.dev, h.devCol);
    if (cmd === 'show') {
      if (ifindex === 0) throw new UsageError('Must specify device or block.', a.endCol);
      const parent = h.parent;
      const chain = h.chain;
      return {
        request: { type: RTM.GETTFILTER, flags: TC_CMD.dump, body: (w) => { w.tcmsg(ifindex, 0, parent, 0); if (chain !== undefined) w.u32(11, chain); } },
        print: (msgs) => {
          const f: FilterShowFilter = {
            stats, filterIfindex: ifindex, env, parent: h.block !== 0 ? 0 : parent, block: h.block, prio: h.prio,
            protocol: h.protocol === -1 ? 0 : h.protocol, ...(chain === undefined ? {} : { chain }),
          };
          if (json) return jsonDocument(msgs.map((m) => filterMsgJson(m, f)).filter((x) => x !== null), pretty);
          return msgs.map((m) => printFilterMsg(m, f)).join('');
        },
      };
    }
    if (ifindex === 0) throw new UsageError('Must specify device or block.', a.endCol);
    const protocol = h.protocol === -1 ? (cmd === 'add' || cmd === 'replace' ? 0x0003 : 0) : h.protocol;
    let handle = 0;
    const parts = new NlWriter();
    if (h.chain !== undefined) parts.u32(11, h.chain);
    if (h.kind !== '') parts.str(1, h.kind);
    if (h.kind !== '') {
      const k = FILTER_KINDS[h.kind];
      if (k === undefined) {
        if (a.more) throw new UsageError(`Unknown filter "${h.kind}", hence option "${a.peek()}" is unparsable`, a.col);
      } else k.parseFopt(a, parts, h.handle, h.dev === '' ? env : { ...env, dev: h.dev }, (v) => { handle = v; });
    } else if (cmd === 'add' || cmd === 'replace' || cmd === 'change') throw new UsageError('Unknown filter "", hence option "" is unparsable', a.endCol);
    const attrs = parts.bytes();
    const type = cmd === 'del' ? RTM.DELTFILTER : cmd === 'get' ? RTM.GETTFILTER : RTM.NEWTFILTER;
    const info = ((h.prio << 16) | htons(protocol)) >>> 0;
    return { request: { type, flags: TC_CMD[MODIFY[cmd]!], body: (w) => { w.tcmsg(ifindex, handle, h.parent, info); w.raw(attrs); } } };
  }
  throw new UsageError(`Object "${obj}" is unknown, try "tc help".`, objCol);
}

/** Encode a request the way tc does (seq/portid as given). */
export function encodeTcRequest(r: TcRequest, seq: number, portid = 0): Uint8Array {
  const w = new NlWriter();
  const m = w.msgStart(r.type, r.flags, seq, portid);
  r.body(w);
  w.msgEnd(m);
  return w.bytes();
}

/** Run a parsed command through a TcClient; returns the printed text (throws KernelError on an error ACK). */
export function execTc(c: TcCommand, client: TcClient): string {
  const msgs = client.request(c.request.type, c.request.flags, c.request.body);
  return c.print === undefined ? '' : c.print(msgs);
}

