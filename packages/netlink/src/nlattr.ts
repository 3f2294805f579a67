// Models include/net/netlink.h and lib/nlattr.c (Linux 6.18): the netlink
// attribute TLV (struct nlattr) — reading attributes in place and writing them
// with 4-byte alignment, nests (nla_nest_start/_end/_cancel) and typed puts.
//
// Byte order: nlattr headers and integer payloads are host order, which this
// project fixes as little-endian (HOST_LITTLE_ENDIAN in @tcbpf/base); BE16/BE32
// payloads and attributes marked NLA_F_NET_BYTEORDER are big-endian. Every
// read and write below names its byte order.
import { HOST_LITTLE_ENDIAN, KernelError } from '@tcbpf/base';
import { NLA_F } from '@tcbpf/uapi';
import { encodeStruct } from './struct.js';
import type { StructLayout, StructValue } from './struct.js';

/** Size of struct nlattr (NLA_HDRLEN). */
export const NLA_HDRLEN = 4;
/** Attribute alignment (NLA_ALIGNTO). */
export const NLA_ALIGNTO = 4;

/** NLA_ALIGN(len): round up to the attribute alignment. */
export function nlaAlign(len: number): number {
  return (len + 3) & ~3;
}

/** nla_total_size(payload): header + payload, aligned. */
export function nlaTotalSize(payload: number): number {
  return nlaAlign(NLA_HDRLEN + payload);
}

const LE = HOST_LITTLE_ENDIAN;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: false });
const utf8StrictDecoder = new TextDecoder('utf-8', { fatal: true });

/** One attribute as found in a buffer: where it is, its type and flag bits. */
export interface NlAttrView {
  /** Offset of the nlattr header in the buffer. */
  readonly offset: number;
  /** nla_type() (flags masked off). */
  readonly type: number;
  /** NLA_F_NESTED / NLA_F_NET_BYTEORDER bits of the raw type field. */
  readonly flags: number;
  /** Payload length (nla_len - NLA_HDRLEN). */
  readonly len: number;
}

/**
 * Walk attributes in `buf[start, start+len)` like nla_for_each_attr: an
 * attribute is taken while at least a header remains, nla_len >= 4 and nla_len
 * fits in what remains; the next one starts NLA_ALIGN(nla_len) later.
 * Returns the attributes and `rem`, the bytes left unconsumed (> 0 means
 * trailing bytes or a malformed attribute stopped the walk; < 0 means the last
 * attribute's padding ran past the end, which the kernel tolerates).
 * The header is read little-endian (host order).
 */
export function walkAttrs(buf: Uint8Array, start: number, len: number): { attrs: NlAttrView[]; rem: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const attrs: NlAttrView[] = [];
  let pos = start;
  let rem = len;
  while (rem >= NLA_HDRLEN) {
    const nlaLen = dv.getUint16(pos, LE);
    if (nlaLen < NLA_HDRLEN || nlaLen > rem) break;
    const raw = dv.getUint16(pos + 2, LE);
    attrs.push({ offset: pos, type: raw & NLA_F.TYPE_MASK, flags: raw & (NLA_F.NESTED | NLA_F.NET_BYTEORDER), len: nlaLen - NLA_HDRLEN });
    const step = nlaAlign(nlaLen);
    pos += step;
    rem -= step;
  }
  return { attrs, rem };
}

/**
 * A growable buffer that netlink messages and attributes are written into, the
 * way the kernel fills an skb (nlmsg_put, nla_put, nla_nest_start...). Every
 * put pads to 4 bytes with zeros; nla_len excludes the padding, nlmsg_len
 * includes it. Integers are written little-endian (host order) unless the
 * method says big-endian.
 */
export class NlWriter {
  #buf: Uint8Array;
  #dv: DataView;
  #len = 0;
  // bytes at or beyond #dirty are still zero (never written since allocation)
  #dirty = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(Math.max(16, capacity));
    this.#dv = new DataView(this.#buf.buffer);
  }

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #ensure(extra: number): void {
    const need = this.#len + extra;
    if (need <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#dv = new DataView(next.buffer);
    this.#dirty = this.#len;
  }

  /** Reserve `n` bytes (zeroed) plus padding to 4; returns their offset. */
  reserve(n: number): number {
    const total = nlaAlign(n);
    this.#ensure(total);
    const at = this.#len;
    const end = at + total;
    // only bytes written before (then dropped by truncate/nestCancel) need zeroing
    if (at < this.#dirty) this.#buf.fill(0, at, Math.min(end, this.#dirty));
    this.#len = end;
    if (end > this.#dirty) this.#dirty = end;
    return at;
  }

  /** Append raw bytes (a family header or struct), padded to 4. Returns their offset. */
  putBytes(bytes: Uint8Array): number {
    const at = this.reserve(bytes.length);
    this.#buf.set(bytes, at);
    return at;
  }

  /** Overwrite a u8 already written. */
  setU8(at: number, v: number): void {
    this.#dv.setUint8(at, v);
  }
  /** Overwrite a host-order (little-endian) u16 already written. */
  setU16(at: number, v: number): void {
    this.#dv.setUint16(at, v, LE);
  }
  /** Overwrite a host-order (little-endian) u32 already written. */
  setU32(at: number, v: number): void {
    this.#dv.setUint32(at, v >>> 0, LE);
  }
  /** Overwrite a host-order (little-endian) s32 already written. */
  setS32(at: number, v: number): void {
    this.#dv.setInt32(at, v, LE);
  }

  /** nla_put: an attribute with a raw payload. `type` may carry NLA_F_* bits. Returns the header offset. */
  attr(type: number, payload: Uint8Array): number {
    const at = this.#header(type, payload.length);
    this.#buf.set(payload, at + NLA_HDRLEN);
    return at;
  }

  #header(type: number, payloadLen: number): number {
    const nlaLen = NLA_HDRLEN + payloadLen;
    if (nlaLen > 0xffff) throw new KernelError('EMSGSIZE', '', { where: `attribute type ${type & NLA_F.TYPE_MASK} payload ${payloadLen} B` });
    const at = this.reserve(nlaLen);
    this.#dv.setUint16(at, nlaLen, LE);
    this.#dv.setUint16(at + 2, type & 0xffff, LE);
    return at;
  }

  /** nla_put_u8. */
  u8(type: number, v: number): number {
    const at = this.#header(type, 1);
    this.#dv.setUint8(at + 4, v);
    return at;
  }
  /** nla_put_u16 (host order, little-endian). */
  u16(type: number, v: number): number {
    const at = this.#header(type, 2);
    this.#dv.setUint16(at + 4, v, LE);
    return at;
  }
  /** nla_put_u32 (host order, little-endian). */
  u32(type: number, v: number): number {
    const at = this.#header(type, 4);
    this.#dv.setUint32(at + 4, v >>> 0, LE);
    return at;
  }
  /** nla_put_u64_64bit (host order, little-endian; no PAD attribute on x86-64). */
  u64(type: number, v: bigint | number): number {
    const at = this.#header(type, 8);
    this.#dv.setBigUint64(at + 4, BigInt.asUintN(64, BigInt(v)), LE);
    return at;
  }
  /** nla_put_uint: 4 bytes when the value fits in u32, else 8 (little-endian). */
  uint(type: number, v: bigint | number): number {
    const x = BigInt.asUintN(64, BigInt(v));
    return x <= 0xffffffffn ? this.u32(type, Number(x)) : this.u64(type, x);
  }
  /** nla_put_sint: 4 bytes when the value fits in s32, else 8 (little-endian). */
  sint(type: number, v: bigint | number): number {
    const x = BigInt.asIntN(64, BigInt(v));
    return x >= -0x80000000n && x <= 0x7fffffffn ? this.s32(type, Number(x)) : this.s64(type, x);
  }
  /** nla_put_s8. */
  s8(type: number, v: number): number {
    const at = this.#header(type, 1);
    this.#dv.setInt8(at + 4, v);
    return at;
  }
  /** nla_put_s16 (little-endian). */
  s16(type: number, v: number): number {
    const at = this.#header(type, 2);
    this.#dv.setInt16(at + 4, v, LE);
    return at;
  }
  /** nla_put_s32 (little-endian). */
  s32(type: number, v: number): number {
    const at = this.#header(type, 4);
    this.#dv.setInt32(at + 4, v, LE);
    return at;
  }
  /** nla_put_s64 (little-endian). */
  s64(type: number, v: bigint | number): number {
    const at = this.#header(type, 8);
    this.#dv.setBigInt64(at + 4, BigInt.asIntN(64, BigInt(v)), LE);
    return at;
  }
  /** nla_put_be16 (big-endian payload; the type gets no flag unless the caller adds NLA_F_NET_BYTEORDER). */
  be16(type: number, v: number): number {
    const at = this.#header(type, 2);
    this.#dv.setUint16(at + 4, v, false);
    return at;
  }
  /** nla_put_be32 (big-endian payload). */
  be32(type: number, v: number): number {
    const at = this.#header(type, 4);
    this.#dv.setUint32(at + 4, v >>> 0, false);
    return at;
  }
  /** nla_put_string: UTF-8 bytes plus a terminating NUL. */
  string(type: number, s: string): number {
    const n = s.length;
    let ascii = n < 0xfff0;
    for (let i = 0; ascii && i < n; i++) if (s.charCodeAt(i) > 0x7f) ascii = false;
    if (ascii) {
      // ASCII fast path: no TextEncoder allocation (the NUL is already there: reserve zeroes)
      const at = this.#header(type, n + 1);
      for (let i = 0; i < n; i++) this.#buf[at + 4 + i] = s.charCodeAt(i);
      return at;
    }
    const b = utf8Encoder.encode(s);
    const at = this.#header(type, b.length + 1);
    this.#buf.set(b, at + 4);
    this.#buf[at + 4 + b.length] = 0;
    return at;
  }
  /** A string attribute without the terminating NUL (NLA_STRING allows it). */
  stringNoNul(type: number, s: string): number {
    return this.attr(type, utf8Encoder.encode(s));
  }
  /** An attribute whose payload is a UAPI struct (see struct.ts), encoded little-endian. */
  struct(type: number, layout: StructLayout, value: StructValue): number {
    return this.attr(type, encodeStruct(layout, value));
  }
  /** nla_put_flag: an empty attribute. */
  flag(type: number): number {
    return this.#header(type, 0);
  }
  /** nla_put_bitfield32: {value, selector}, little-endian. */
  bitfield32(type: number, value: number, selector: number): number {
    const at = this.#header(type, 8);
    this.#dv.setUint32(at + 4, value >>> 0, LE);
    this.#dv.setUint32(at + 8, selector >>> 0, LE);
    return at;
  }

  /**
   * nla_nest_start: open a nest. `nested` sets NLA_F_NESTED (nla_nest_start);
   * false gives nla_nest_start_noflag, which tc uses. Returns the handle for
   * nestEnd/nestCancel.
   */
  nestStart(type: number, nested = false): number {
    return this.#header(nested ? type | NLA_F.NESTED : type, 0);
  }
  /** nla_nest_end: fix the nest's length to cover everything written since. Returns the nest length. */
  nestEnd(start: number): number {
    const len = this.#len - start;
    if (len > 0xffff) throw new KernelError('EMSGSIZE', '', { where: `nest at ${start} is ${len} B` });
    this.#dv.setUint16(start, len, LE);
    return len;
  }
  /** nla_nest_cancel: drop the nest and everything written into it. */
  nestCancel(start: number): void {
    this.#len = start;
  }

  /** Truncate to `length` bytes (nlmsg_trim / nlmsg_cancel). */
  truncate(length: number): void {
    if (length < this.#len) this.#len = length;
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }

  /** The bytes written, without copying (valid until the next write). */
  view(): Uint8Array {
    return this.#buf.subarray(0, this.#len);
  }
}

/** Decode UTF-8 (replacement characters for bad sequences). */
export function decodeUtf8(b: Uint8Array): string {
  return utf8Decoder.decode(b);
}

/** Decode UTF-8 or return undefined when the bytes are not valid UTF-8. */
export function decodeUtf8Strict(b: Uint8Array): string | undefined {
  try {
    return utf8StrictDecoder.decode(b);
  } catch {
    return undefined;
  }
}

/** Encode a string as UTF-8. */
export function encodeUtf8(s: string): Uint8Array {
  return utf8Encoder.encode(s);
}
