// Models the attribute layout of include/net/netlink.h (Linux 6.18) as a
// decoded tree: any attribute stream is turned into typed nodes (integers,
// strings, structs, nests, nested arrays) following an attribute-set schema,
// and turned back into exactly the same bytes. Anything that would not
// re-encode identically (wrong length, bad UTF-8, stray padding) is kept as
// binary, so decoding never loses bytes. Host order (little-endian) unless a
// kind is big-endian.
import { HOST_LITTLE_ENDIAN } from '@tcbpf/base';
import { NLA_F } from '@tcbpf/uapi';
import { NLA_HDRLEN, NlWriter, decodeUtf8Strict, encodeUtf8, nlaAlign, walkAttrs } from './nlattr.js';
import { SOCK_FILTER, decodeStruct, encodeStruct, structPaddingIsZero } from './struct.js';
import type { StructLayout, StructValue } from './struct.js';

const LE = HOST_LITTLE_ENDIAN;

/** Scalar attribute kinds of a schema. */
export type ScalarKind = 'u8' | 'u16' | 'u32' | 's8' | 's16' | 's32' | 'be16' | 'be32' | 'u64' | 's64' | 'string' | 'binary' | 'flag' | 'bitfield32' | 'ops';

/** How a value is shown by the printer (it never changes the bytes). */
export type AttrFormat = 'handle' | 'hex' | 'clsflags' | 'verdict' | 'nlattrtype';

/** Resolves a nest's attribute set, given the sibling "kind" string (TCA_KIND / TCA_ACT_KIND) if the set has one. */
export type SetRef = (kind: string | undefined) => AttrSet | undefined;

/** Schema of one attribute. */
export type AttrSpec =
  | { readonly name: string; readonly kind: ScalarKind; readonly fmt?: AttrFormat }
  | { readonly name: string; readonly kind: 'struct'; readonly struct: StructLayout }
  | { readonly name: string; readonly kind: 'struct-by-kind'; readonly struct: (kind: string | undefined) => StructLayout | undefined }
  | { readonly name: string; readonly kind: 'nested'; readonly set: SetRef };

/** Schema of an attribute set: names and kinds by type; `any` for every type not listed (nested arrays). */
export interface AttrSet {
  readonly name: string;
  readonly attrs: Readonly<Record<number, AttrSpec>>;
  readonly any?: AttrSpec;
  /** The attribute whose string value selects nested sets (e.g. TCA_KIND). */
  readonly kindAttr?: number;
}

/** A decoded attribute value. */
export type AttrValue =
  | { readonly kind: 'u8' | 'u16' | 'u32' | 's8' | 's16' | 's32' | 'be16' | 'be32'; readonly value: number }
  | { readonly kind: 'u64' | 's64'; readonly value: bigint }
  | { readonly kind: 'string'; readonly value: string; readonly nul: boolean }
  | { readonly kind: 'binary'; readonly value: Uint8Array }
  | { readonly kind: 'flag' }
  | { readonly kind: 'bitfield32'; readonly value: number; readonly selector: number }
  | { readonly kind: 'ops'; readonly insns: readonly StructValue[] }
  | { readonly kind: 'struct'; readonly layout: StructLayout; readonly fields: StructValue }
  | { readonly kind: 'nested'; readonly set: string; readonly attrs: readonly AttrNode[] };

/** A decoded attribute: its type, NLA_F_* flag bits, schema name and value. */
export interface AttrNode {
  readonly type: number;
  readonly flags: number;
  readonly name: string;
  readonly value: AttrValue;
  /** The schema's display hint (not encoded). */
  readonly fmt?: AttrFormat;
}

const SCALAR_LEN: Readonly<Partial<Record<ScalarKind, number>>> = Object.freeze({ u8: 1, s8: 1, u16: 2, s16: 2, be16: 2, u32: 4, s32: 4, be32: 4, u64: 8, s64: 8, bitfield32: 8, flag: 0 });

function binary(b: Uint8Array): AttrValue {
  return { kind: 'binary', value: b.slice() };
}

function decodeValue(spec: AttrSpec | undefined, buf: Uint8Array, dv: DataView, d: number, len: number, kindStr: string | undefined, depth: number): AttrValue {
  const payload = buf.subarray(d, d + len);
  if (spec === undefined) return binary(payload);
  switch (spec.kind) {
    case 'struct':
    case 'struct-by-kind': {
      const layout = spec.kind === 'struct' ? spec.struct : spec.struct(kindStr);
      if (layout === undefined || len !== layout.size || !structPaddingIsZero(layout, buf, d)) return binary(payload);
      return { kind: 'struct', layout, fields: decodeStruct(layout, buf, d) };
    }
    case 'nested': {
      const set = spec.set(kindStr);
      if (set === undefined || depth > 32) return binary(payload);
      const attrs = decodeAttrsExact(set, buf, d, len, depth + 1);
      return attrs === undefined ? binary(payload) : { kind: 'nested', set: set.name, attrs };
    }
    case 'string': {
      if (len === 0) return binary(payload);
      const nul = buf[d + len - 1] === 0;
      const body = payload.subarray(0, nul ? len - 1 : len);
      if (body.includes(0)) return binary(payload);
      const s = decodeUtf8Strict(body);
      return s === undefined ? binary(payload) : { kind: 'string', value: s, nul };
    }
    case 'binary':
      return binary(payload);
    case 'ops': {
      if (len % 8 !== 0) return binary(payload);
      const insns: StructValue[] = [];
      for (let p = d; p < d + len; p += 8) insns.push(decodeStruct(SOCK_FILTER, buf, p));
      return { kind: 'ops', insns };
    }
    default: {
      const want = SCALAR_LEN[spec.kind];
      if (want === undefined || len !== want) return binary(payload);
      switch (spec.kind) {
        case 'flag': return { kind: 'flag' };
        case 'u8': return { kind: 'u8', value: dv.getUint8(d) };
        case 's8': return { kind: 's8', value: dv.getInt8(d) };
        case 'u16': return { kind: 'u16', value: dv.getUint16(d, LE) };
        case 's16': return { kind: 's16', value: dv.getInt16(d, LE) };
        case 'be16': return { kind: 'be16', value: dv.getUint16(d, false) };
        case 'u32': return { kind: 'u32', value: dv.getUint32(d, LE) };
        case 's32': return { kind: 's32', value: dv.getInt32(d, LE) };
        case 'be32': return { kind: 'be32', value: dv.getUint32(d, false) };
        case 'u64': return { kind: 'u64', value: dv.getBigUint64(d, LE) };
        case 's64': return { kind: 's64', value: dv.getBigInt64(d, LE) };
        case 'bitfield32': return { kind: 'bitfield32', value: dv.getUint32(d, LE), selector: dv.getUint32(d + 4, LE) };
        default: return binary(payload);
      }
    }
  }
}

function zeroPadding(buf: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] !== 0) return false;
  return true;
}

/**
 * Decode `len` bytes at `start` as attributes of `set`, or undefined when they
 * are not exactly a sequence of well-formed, zero-padded attributes (the
 * caller keeps them as binary). Never throws.
 */
export function decodeAttrsExact(set: AttrSet, buf: Uint8Array, start: number, len: number, depth = 0): AttrNode[] | undefined {
  if (start < 0 || len < 0 || start + len > buf.length) return undefined;
  const { attrs, rem } = walkAttrs(buf, start, len);
  if (rem !== 0) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let kindStr: string | undefined;
  if (set.kindAttr !== undefined) {
    for (const a of attrs) {
      if (a.type === set.kindAttr) {
        const b = buf.subarray(a.offset + NLA_HDRLEN, a.offset + NLA_HDRLEN + a.len);
        const nul = b.indexOf(0);
        kindStr = decodeUtf8Strict(nul < 0 ? b : b.subarray(0, nul));
      }
    }
  }
  const out: AttrNode[] = [];
  for (const a of attrs) {
    const end = a.offset + NLA_HDRLEN + a.len;
    if (!zeroPadding(buf, end, Math.min(a.offset + nlaAlign(NLA_HDRLEN + a.len), start + len))) return undefined;
    const spec = set.attrs[a.type] ?? set.any;
    const value = decodeValue(spec, buf, dv, a.offset + NLA_HDRLEN, a.len, kindStr, depth);
    const name = spec?.name ?? `${set.name}[${a.type}]`;
    const node: AttrNode = spec !== undefined && 'fmt' in spec && spec.fmt !== undefined ? { type: a.type, flags: a.flags, name, value, fmt: spec.fmt } : { type: a.type, flags: a.flags, name, value };
    out.push(node);
  }
  return out;
}

/** Encode attribute nodes into `w` (each padded to 4, nests with their flag bits as decoded). */
export function encodeAttrs(w: NlWriter, nodes: readonly AttrNode[]): void {
  for (const n of nodes) encodeAttr(w, n);
}

function encodeAttr(w: NlWriter, n: AttrNode): void {
  const t = (n.type & NLA_F.TYPE_MASK) | n.flags;
  const v = n.value;
  switch (v.kind) {
    case 'u8': w.u8(t, v.value); break;
    case 's8': w.s8(t, v.value); break;
    case 'u16': w.u16(t, v.value); break;
    case 's16': w.s16(t, v.value); break;
    case 'be16': w.be16(t, v.value); break;
    case 'u32': w.u32(t, v.value); break;
    case 's32': w.s32(t, v.value); break;
    case 'be32': w.be32(t, v.value); break;
    case 'u64': w.u64(t, v.value); break;
    case 's64': w.s64(t, v.value); break;
    case 'string': if (v.nul) w.string(t, v.value); else w.stringNoNul(t, v.value); break;
    case 'binary': w.attr(t, v.value); break;
    case 'flag': w.flag(t); break;
    case 'bitfield32': w.bitfield32(t, v.value, v.selector); break;
    case 'ops': {
      const b = new Uint8Array(v.insns.length * 8);
      v.insns.forEach((insn, i) => b.set(encodeStruct(SOCK_FILTER, insn), i * 8));
      w.attr(t, b);
      break;
    }
    case 'struct':
      w.attr(t, encodeStruct(v.layout, v.fields));
      break;
    case 'nested': {
      const s = w.nestStart(t);
      encodeAttrs(w, v.attrs);
      w.nestEnd(s);
      break;
    }
  }
}

/** Encode nodes to a fresh byte array. */
export function encodeAttrsToBytes(nodes: readonly AttrNode[]): Uint8Array {
  const w = new NlWriter();
  encodeAttrs(w, nodes);
  return w.finish();
}

/** UTF-8 bytes of a string (for building binary nodes). */
export function utf8(s: string): Uint8Array {
  return encodeUtf8(s);
}
