// Models lib/nlattr.c and the put helpers of include/net/netlink.h (Linux 6.18):
// the liberal ("deprecated") attribute parser that every tc path still uses, and
// a message writer producing the exact bytes the kernel emits (host order =
// little-endian, 4-byte alignment, no NLA_F_NESTED on tc dumps, no PAD
// attributes on x86-64). Control path only.
// Validation (policies, extack, acks) is @tcbpf/netlink's; this is the small
// reader/writer the tc handlers use on the already validated bytes.
import { NLA_F, NLMSG } from '@tcbpf/uapi';

const enc = new TextEncoder();
const dec = new TextDecoder();

/** Align a length to NLA_ALIGNTO / NLMSG_ALIGNTO (4). */
export function nlaAlign(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Parsed attributes of one level: for each type (≤ maxtype) the absolute offset
 * of the attribute header in `buf`, or -1. Duplicates: the last one wins; type 0
 * and types above maxtype are ignored (liberal parsing).
 */
export class NlAttrs {
  readonly buf: Uint8Array;
  readonly view: DataView;
  readonly off: Int32Array;
  /** Bytes left after the last whole attribute (kernel: "bytes leftover"). */
  leftover = 0;

  constructor(buf: Uint8Array, maxtype: number) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.off = new Int32Array(maxtype + 1).fill(-1);
  }

  has(t: number): boolean {
    return t < this.off.length && this.off[t]! >= 0;
  }
  /** Absolute offset of the attribute header (for NLMSGERR_ATTR_OFFS). */
  at(t: number): number {
    return t < this.off.length ? this.off[t]! : -1;
  }
  /** Payload length. */
  len(t: number): number {
    const o = this.at(t);
    return o < 0 ? 0 : this.view.getUint16(o, true) - 4;
  }
  /** Payload bytes (a view, not a copy). */
  data(t: number): Uint8Array {
    const o = this.at(t);
    if (o < 0) return new Uint8Array(0);
    return this.buf.subarray(o + 4, o + this.view.getUint16(o, true));
  }
  u8(t: number): number {
    return this.view.getUint8(this.at(t) + 4);
  }
  u16(t: number): number {
    return this.view.getUint16(this.at(t) + 4, true);
  }
  u32(t: number): number {
    return this.view.getUint32(this.at(t) + 4, true);
  }
  s32(t: number): number {
    return this.view.getInt32(this.at(t) + 4, true);
  }
  u64(t: number): number {
    const o = this.at(t) + 4;
    return this.view.getUint32(o, true) + this.view.getUint32(o + 4, true) * 0x1_0000_0000;
  }
  /** NLA_STRING semantics: up to the first NUL or the end. */
  str(t: number): string {
    const d = this.data(t);
    const z = d.indexOf(0);
    return dec.decode(z < 0 ? d : d.subarray(0, z));
  }
  /** Parse the payload of a nested attribute. */
  nested(t: number, maxtype: number): NlAttrs {
    const o = this.at(t);
    const end = o + this.view.getUint16(o, true);
    return parseAttrs(this.buf, o + 4, end, maxtype);
  }
}

/**
 * `__nla_parse` in liberal mode over buf[start, end). Never throws on layout:
 * a truncated attribute ends parsing and its bytes count as leftover.
 */
export function parseAttrs(buf: Uint8Array, start: number, end: number, maxtype: number): NlAttrs {
  const a = new NlAttrs(buf, maxtype);
  const v = a.view;
  let p = start;
  while (p + 4 <= end) {
    const len = v.getUint16(p, true);
    if (len < 4 || p + len > end) break;
    const t = v.getUint16(p + 2, true) & NLA_F.TYPE_MASK;
    if (t > 0 && t <= maxtype) a.off[t] = p;
    p += nlaAlign(len);
  }
  a.leftover = p < end ? end - p : 0;
  return a;
}

/** Growable writer of netlink messages (control path; allocates freely). */
export class NlWriter {
  #buf: Uint8Array;
  #view: DataView;
  #len = 0;

  constructor(capacity = 256) {
    this.#buf = new Uint8Array(capacity);
    this.#view = new DataView(this.#buf.buffer);
  }

  get length(): number {
    return this.#len;
  }

  #reserve(n: number): number {
    const off = this.#len;
    const need = off + nlaAlign(n);
    if (need > this.#buf.length) {
      let cap = Math.max(64, this.#buf.length * 2);
      while (cap < need) cap *= 2;
      const nb = new Uint8Array(cap);
      nb.set(this.#buf.subarray(0, this.#len));
      this.#buf = nb;
      this.#view = new DataView(nb.buffer);
    }
    this.#buf.fill(0, off, need);
    this.#len = need;
    return off;
  }

  /** Raw bytes (padded to 4). */
  raw(b: Uint8Array): void {
    const o = this.#reserve(b.length);
    this.#buf.set(b, o);
  }
  /** Raw zeroed bytes, returns their offset for later fill-in. */
  zeros(n: number): number {
    return this.#reserve(n);
  }
  setU8(off: number, v: number): void {
    this.#view.setUint8(off, v);
  }
  setU16(off: number, v: number): void {
    this.#view.setUint16(off, v, true);
  }
  setU32(off: number, v: number): void {
    this.#view.setUint32(off, v >>> 0, true);
  }
  setS32(off: number, v: number): void {
    this.#view.setInt32(off, v | 0, true);
  }
  setU64(off: number, v: number): void {
    this.#view.setUint32(off, v >>> 0, true);
    this.#view.setUint32(off + 4, Math.floor(v / 0x1_0000_0000) >>> 0, true);
  }

  /** Start a netlink message; returns its offset for msgEnd. */
  msgStart(type: number, flags: number, seq: number, portid: number): number {
    const o = this.#reserve(NLMSG.HDRLEN);
    this.#view.setUint16(o + 4, type, true);
    this.#view.setUint16(o + 6, flags, true);
    this.#view.setUint32(o + 8, seq >>> 0, true);
    this.#view.setUint32(o + 12, portid >>> 0, true);
    return o;
  }
  msgEnd(o: number): void {
    this.#view.setUint32(o, this.#len - o, true);
  }
  /** tcmsg family header. */
  tcmsg(ifindex: number, handle: number, parent: number, info: number): void {
    const o = this.#reserve(20);
    this.#view.setInt32(o + 4, ifindex | 0, true);
    this.#view.setUint32(o + 8, handle >>> 0, true);
    this.#view.setUint32(o + 12, parent >>> 0, true);
    this.#view.setUint32(o + 16, info >>> 0, true);
  }

  /** Attribute header + reserved payload; returns payload offset. */
  attrReserve(type: number, n: number): number {
    const o = this.#reserve(4 + n);
    this.#view.setUint16(o, 4 + n, true);
    this.#view.setUint16(o + 2, type, true);
    return o + 4;
  }
  attr(type: number, data: Uint8Array): void {
    const p = this.attrReserve(type, data.length);
    this.#buf.set(data, p);
  }
  u8(type: number, v: number): void {
    const p = this.attrReserve(type, 1);
    this.#view.setUint8(p, v);
  }
  u16(type: number, v: number): void {
    const p = this.attrReserve(type, 2);
    this.#view.setUint16(p, v, true);
  }
  u32(type: number, v: number): void {
    const p = this.attrReserve(type, 4);
    this.#view.setUint32(p, v >>> 0, true);
  }
  u64(type: number, v: number): void {
    this.setU64(this.attrReserve(type, 8), v);
  }
  /** NUL-terminated string attribute (nla_put_string); ASCII is written directly, anything else as UTF-8. */
  str(type: number, s: string): void {
    let ascii = true;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      const p = this.attrReserve(type, s.length + 1);
      for (let i = 0; i < s.length; i++) this.#buf[p + i] = s.charCodeAt(i);
      return;
    }
    const b = enc.encode(s);
    const p = this.attrReserve(type, b.length + 1);
    this.#buf.set(b, p);
  }
  /** nla_nest_start_noflag; returns the nest offset for nestEnd. */
  nestStart(type: number): number {
    const o = this.#reserve(4);
    this.#view.setUint16(o + 2, type, true);
    return o;
  }
  nestEnd(o: number): void {
    this.#view.setUint16(o, this.#len - o, true);
  }
  /** nla_nest_cancel / nlmsg_cancel: drop everything from `o` on. */
  truncate(o: number): void {
    this.#len = o;
  }
  bytes(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
