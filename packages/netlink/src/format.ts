// Prints decoded rtnetlink tc messages (rtnl.ts) as an indented tree, for
// traces, golden-vector summaries and error output. Models no kernel code; the
// names it prints are the UAPI names of include/uapi/linux/{netlink,
// rtnetlink,pkt_cls,pkt_sched,gen_stats}.h (Linux 6.18).
import { ERRNO, NL_ATTR_TYPE, TC_ACT, TCA_CLS_FLAGS } from '@tcbpf/uapi';
import { toHex } from '@tcbpf/base';
import { RTNL_TYPE_NAMES, decodeStream, formatNlmsgFlags } from './rtnl.js';
import type { RtnlBody, RtnlMessage } from './rtnl.js';
import type { AttrNode } from './tree.js';
import type { StructValue } from './struct.js';

const ERRNO_BY_NUMBER: ReadonlyMap<number, string> = new Map(Object.entries(ERRNO).map(([k, v]) => [v, k]));
const NL_ATTR_TYPE_BY_NUMBER: ReadonlyMap<number, string> = new Map(Object.entries(NL_ATTR_TYPE).map(([k, v]) => [v, k]));

/** `maj:min` in hex, the way tc prints handles (`ffff:fff2`, `1:1`, `0:0` as `0`). */
export function formatHandle(h: number): string {
  const x = h >>> 0;
  if (x === 0) return '0';
  if (x === 0xffffffff) return 'root';
  return `${(x >>> 16).toString(16)}:${(x & 0xffff).toString(16)}`;
}

/** A TC_ACT_* verdict by name, with extended opcodes. */
export function formatVerdict(v: number): string {
  const names: Record<number, string> = { [-1]: 'UNSPEC', 0: 'OK', 1: 'RECLASSIFY', 2: 'SHOT', 3: 'PIPE', 4: 'STOLEN', 5: 'QUEUED', 6: 'REPEAT', 7: 'REDIRECT', 8: 'TRAP' };
  const n = names[v];
  if (n !== undefined) return `TC_ACT_${n}`;
  const op = (v & ~TC_ACT.EXT_VAL_MASK) >>> 0;
  if (op === TC_ACT.JUMP) return `TC_ACT_JUMP+${v & TC_ACT.EXT_VAL_MASK}`;
  if (op === TC_ACT.GOTO_CHAIN) return `TC_ACT_GOTO_CHAIN+${v & TC_ACT.EXT_VAL_MASK}`;
  return String(v);
}

function formatClsFlags(v: number): string {
  const out: string[] = [];
  for (const [k, bit] of Object.entries(TCA_CLS_FLAGS)) if ((v & bit) !== 0) out.push(k);
  return out.length === 0 ? '0' : `${out.join('|')} (0x${v.toString(16)})`;
}

function formatErrno(e: number): string {
  if (e === 0) return '0';
  const n = ERRNO_BY_NUMBER.get(-e);
  return n === undefined ? String(e) : `-${n} (${e})`;
}

function fields(v: StructValue, hints: Readonly<Record<string, (x: number) => string>> = {}): string {
  return Object.entries(v)
    .map(([k, x]) => {
      const h = hints[k];
      return `${k}=${h !== undefined && typeof x === 'number' ? h(x) : String(x)}`;
    })
    .join(' ');
}

const STRUCT_HINTS: Readonly<Record<string, Readonly<Record<string, (x: number) => string>>>> = Object.freeze({
  tc_mirred: { action: formatVerdict },
  tc_gact: { action: formatVerdict },
  tc_gact_p: { paction: formatVerdict },
  tc_police: { action: formatVerdict },
});

function formatAttr(n: AttrNode, indent: string, out: string[]): void {
  const v = n.value;
  const flag = n.flags !== 0 ? ` [${(n.flags & 0x8000) !== 0 ? 'N' : ''}${(n.flags & 0x4000) !== 0 ? 'B' : ''}]` : '';
  const head = `${indent}${n.name}${flag}`;
  switch (v.kind) {
    case 'nested':
      out.push(`${head}${v.attrs.length === 0 ? ' (empty)' : ''}`);
      for (const c of v.attrs) formatAttr(c, `${indent}  `, out);
      return;
    case 'string':
      out.push(`${head} ${JSON.stringify(v.value)}${v.nul ? '' : ' (no NUL)'}`);
      return;
    case 'binary':
      out.push(`${head} ${v.value.length} B ${toHex(v.value.subarray(0, 64))}${v.value.length > 64 ? '...' : ''}`);
      return;
    case 'flag':
      out.push(head);
      return;
    case 'bitfield32':
      out.push(`${head} value=0x${v.value.toString(16)} selector=0x${v.selector.toString(16)}`);
      return;
    case 'ops':
      out.push(`${head} ${v.insns.length} insns`);
      v.insns.forEach((i, k) => out.push(`${indent}  ${k}: code=0x${Number(i['code']).toString(16).padStart(2, '0')} jt=${i['jt']} jf=${i['jf']} k=0x${Number(i['k']).toString(16)}`));
      return;
    case 'struct':
      out.push(`${head} ${v.layout.name} ${fields(v.fields, STRUCT_HINTS[v.layout.name])}`);
      return;
    case 'u64':
    case 's64':
      out.push(`${head} ${v.value}`);
      return;
    default: {
      const x = v.value;
      let s = String(x);
      if (n.fmt === 'handle') s = `0x${(x >>> 0).toString(16)} (${formatHandle(x)})`;
      else if (n.fmt === 'hex') s = `0x${(x >>> 0).toString(16)}`;
      else if (n.fmt === 'clsflags') s = formatClsFlags(x);
      else if (n.fmt === 'verdict') s = formatVerdict(x);
      else if (n.fmt === 'nlattrtype') s = `${x} (${NL_ATTR_TYPE_BY_NUMBER.get(x) ?? '?'})`;
      out.push(`${head} ${s}`);
    }
  }
}

function formatBody(type: number, body: RtnlBody, indent: string, out: string[]): void {
  switch (body.kind) {
    case 'raw':
      out.push(`${indent}(raw) ${body.bytes.length} B ${toHex(body.bytes.subarray(0, 64))}${body.bytes.length > 64 ? '...' : ''}`);
      return;
    case 'tc': {
      const f = body.fixed;
      if (body.family === 'tcmsg') {
        const info = Number(f['info']);
        const isFilter = type >= 44 && type <= 46;
        const infoText = isFilter ? ` (prio ${info >>> 16}, protocol 0x${(((info & 0xff) << 8) | ((info >>> 8) & 0xff)).toString(16).padStart(4, '0')})` : '';
        out.push(`${indent}tcmsg family=${f['family']} ifindex=${f['ifindex']} handle=${formatHandle(Number(f['handle']))} parent=${formatHandle(Number(f['parent']))} info=0x${info.toString(16)}${infoText}`);
      } else {
        out.push(`${indent}tcamsg family=${f['family']}`);
      }
      for (const a of body.attrs) formatAttr(a, indent, out);
      return;
    }
    case 'error': {
      const r = body.request;
      const rtype = Number(r['type']);
      out.push(`${indent}error=${formatErrno(body.error)} request: ${RTNL_TYPE_NAMES[rtype] ?? rtype} len=${r['len']} flags=${formatNlmsgFlags(rtype, Number(r['flags']))} seq=${r['seq']} pid=${r['pid']}`);
      if (body.requestBody !== undefined) formatBody(rtype, body.requestBody, `${indent}  `, out);
      for (const a of body.tlvs) formatAttr(a, indent, out);
      return;
    }
    case 'done':
      out.push(`${indent}error=${formatErrno(body.error)}`);
      for (const a of body.tlvs) formatAttr(a, indent, out);
      return;
  }
}

/** Print decoded messages as an indented tree, one block per message. */
export function formatMessages(msgs: readonly RtnlMessage[]): string {
  const out: string[] = [];
  for (const m of msgs) {
    const h = m.header;
    out.push(`${RTNL_TYPE_NAMES[h.type] ?? `type ${h.type}`} flags=${formatNlmsgFlags(h.type, h.flags)} seq=${h.seq} pid=${h.pid}`);
    formatBody(h.type, m.body, '  ', out);
  }
  return out.join('\n');
}

/** Decode a datagram and print it (framing errors throw KernelError). */
export function formatStream(buf: Uint8Array): string {
  return formatMessages(decodeStream(buf));
}
