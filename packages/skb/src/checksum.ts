// Models include/net/checksum.h, arch/x86/include/asm/checksum_64.h,
// arch/x86/lib/csum-partial_64.c, arch/x86/lib/csum-wrappers_64.c and the
// inet_proto_csum_replace* helpers of net/core/utils.c (Linux 6.18, x86-64).
//
// Representation, as in the kernel on a little-endian host: a `__wsum` is a
// uint32 and a `__sum16` / `__be16` / `__be32` is the number a little-endian
// load of the field's bytes gives (read it with u16le/u32le, write it back with
// putU16le/putU32le). So the IPv4 checksum bytes `b8 1f` are the __sum16 0x1fb8.
// The big-endian helpers at the end (`inetChecksum`, `ipv4HeaderChecksum`,
// `l4Checksum*`) return the value as a big-endian field number for builders.
// Nothing here allocates or throws.
import type { SkBuff } from './sk-buff.js';
import { CHECKSUM } from './sk-buff.js';

const TWO32 = 0x1_0000_0000;

/** 32-bit one's-complement add (`csum_add`). */
export function csumAdd(a: number, b: number): number {
  const r = (a >>> 0) + (b >>> 0);
  return r >= TWO32 ? (r - TWO32 + 1) >>> 0 : r;
}

/** `csum_sub(a, b)` = `csum_add(a, ~b)`. */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** 16-bit one's-complement add (`csum16_add`). */
export function csum16Add(csum: number, addend: number): number {
  const r = (csum & 0xffff) + (addend & 0xffff);
  return r > 0xffff ? (r - 0x10000 + 1) & 0xffff : r;
}

/** `csum16_sub`. */
export function csum16Sub(csum: number, addend: number): number {
  return csum16Add(csum, ~addend & 0xffff);
}

/** `csum_fold`: fold a __wsum to 16 bits and complement it; returns a __sum16. */
export function csumFold(sum: number): number {
  let s = sum >>> 0;
  s = (s & 0xffff) + (s >>> 16);
  s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** `csum_unfold`: a __sum16 as a __wsum (zero-extended). */
export function csumUnfold(sum16: number): number {
  return sum16 & 0xffff;
}

/**
 * `csum_partial(buf + off, len, sum)` as x86-64 computes it in 6.18: the bytes
 * are added as little-endian 64-bit words (a short tail zero-padded) with
 * end-around carry, then folded to 32 bits. Returns the exact __wsum.
 */
export function csumPartial(buf: Uint8Array, off: number, len: number, sum: number): number {
  // One's-complement sums are exact modulo 2^32-1 (2^64 ≡ 1 there), and the
  // x86 result is 0 only when every addend is 0; so sum 32-bit LE words, kept
  // as two int32 sums of their low and high 16-bit halves (no doubles in the loop).
  const end = off + len;
  let i = off;
  let total = sum >>> 0;
  let nonzero = total !== 0;
  while (i + 4 <= end) {
    let lo = 0;
    let hi = 0;
    // at most 16384 words per round keeps lo/hi below 2^30
    const stop = Math.min(end - 3, i + 65536);
    for (; i < stop; i += 4) {
      lo += buf[i]! | (buf[i + 1]! << 8);
      hi += buf[i + 2]! | (buf[i + 3]! << 8);
    }
    if ((lo | hi) !== 0) nonzero = true;
    total = (total + lo + hi * 65536) % 0xffffffff;
  }
  let tail = 0;
  for (let k = 0; i < end; i++, k += 8) tail += buf[i]! * 2 ** k;
  if (tail !== 0) nonzero = true;
  if (!nonzero) return 0;
  total = (total + tail) % 0xffffffff;
  return total === 0 ? 0xffffffff : total;
}

/** `ip_compute_csum` / `ip_fast_csum`: `csum_fold(csum_partial(...))` — a __sum16. */
export function ipComputeCsum(buf: Uint8Array, off: number, len: number): number {
  return csumFold(csumPartial(buf, off, len, 0));
}

/** `htons(x)` for a 16-bit value: the __be16 number a little-endian host holds. */
function bswap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
}

/** `htonl(x)`: the __be32 number a little-endian host holds. */
function bswap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;
}

/**
 * `csum_tcpudp_nofold(saddr, daddr, len, proto, sum)` (x86-64 asm semantics,
 * including the carry lost by the final `adcl $0`). `saddr`/`daddr` are __be32
 * (LE loads of the address bytes); `len` and `proto` are host numbers.
 */
export function csumTcpudpNofold(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  let r = (sum >>> 0) + (daddr >>> 0);
  let c = r >= TWO32 ? 1 : 0;
  r = r >= TWO32 ? r - TWO32 : r;
  r = r + (saddr >>> 0) + c;
  c = r >= TWO32 ? 1 : 0;
  r = r >= TWO32 ? r - TWO32 : r;
  r = r + ((((len + proto) >>> 0) * 256) % TWO32) + c;
  c = r >= TWO32 ? 1 : 0;
  r = r >= TWO32 ? r - TWO32 : r;
  return (r + c) % TWO32;
}

/** `csum_tcpudp_magic`: the folded IPv4 pseudo-header checksum (__sum16). */
export function csumTcpudpMagic(saddr: number, daddr: number, len: number, proto: number, sum: number): number {
  return csumFold(csumTcpudpNofold(saddr, daddr, len, proto, sum));
}

/**
 * `csum_ipv6_magic(saddr, daddr, len, proto, sum)`: the folded IPv6
 * pseudo-header checksum (__sum16); addresses are 16 bytes at `saddrOff` /
 * `daddrOff` of `buf`.
 */
export function csumIpv6Magic(buf: Uint8Array, saddrOff: number, daddrOff: number, len: number, proto: number, sum: number): number {
  let s = csumPartial(buf, saddrOff, 16, sum);
  s = csumPartial(buf, daddrOff, 16, s);
  s = csumAdd(s, bswap32(len >>> 0));
  s = csumAdd(s, bswap16(proto & 0xffff));
  return csumFold(s);
}

/** `csum_replace4(&sum, from, to)` on a __sum16; returns the new __sum16. */
export function csumReplace4(sum16: number, from: number, to: number): number {
  const tmp = csumSub(~csumUnfold(sum16) >>> 0, from);
  return csumFold(csumAdd(tmp, to));
}

/** `csum_replace2(&sum, old, new)` on a __sum16 with __be16 old/new; returns the new __sum16. */
export function csumReplace2(sum16: number, oldv: number, newv: number): number {
  return ~csum16Add(csum16Sub(~sum16 & 0xffff, oldv), newv) & 0xffff;
}

/** `csum_replace_by_diff(&sum, diff)`; returns the new __sum16. */
export function csumReplaceByDiff(sum16: number, diff: number): number {
  return csumFold(csumAdd(diff, ~csumUnfold(sum16) >>> 0));
}

/**
 * `inet_proto_csum_replace4(sum, skb, from, to, pseudohdr)`: the new value of
 * the L4 checksum field (a __sum16); updates `skb.csum` for CHECKSUM_COMPLETE
 * when `pseudohdr`. With CHECKSUM_PARTIAL only a pseudo-header change touches the field.
 */
export function inetProtoCsumReplace4(sum16: number, skb: SkBuff, from: number, to: number, pseudohdr: boolean): number {
  if (skb.ipSummed !== CHECKSUM.PARTIAL) {
    const r = csumReplace4(sum16, from, to);
    if (skb.ipSummed === CHECKSUM.COMPLETE && pseudohdr) {
      skb.csum = ~csumAdd(csumSub(~skb.csum >>> 0, from), to) >>> 0;
    }
    return r;
  }
  if (pseudohdr) return ~csumFold(csumAdd(csumSub(csumUnfold(sum16), from), to)) & 0xffff;
  return sum16 & 0xffff;
}

/** `inet_proto_csum_replace2`: as replace4 with the __be16 values zero-extended. */
export function inetProtoCsumReplace2(sum16: number, skb: SkBuff, from: number, to: number, pseudohdr: boolean): number {
  return inetProtoCsumReplace4(sum16, skb, from & 0xffff, to & 0xffff, pseudohdr);
}

/** csum_partial of `{ ~from[0..3], to[0..3] }` (the diff array of inet_proto_csum_replace16) on top of `seed`. */
function diffSum16(buf: Uint8Array, fromOff: number, toOff: number, seed: number): number {
  let s = seed >>> 0;
  for (let k = 0; k < 16; k += 4) {
    const f = (buf[fromOff + k]! | (buf[fromOff + k + 1]! << 8) | (buf[fromOff + k + 2]! << 16) | (buf[fromOff + k + 3]! << 24)) >>> 0;
    s = csumAdd(s, ~f >>> 0);
  }
  for (let k = 0; k < 16; k += 4) {
    const t = (buf[toOff + k]! | (buf[toOff + k + 1]! << 8) | (buf[toOff + k + 2]! << 16) | (buf[toOff + k + 3]! << 24)) >>> 0;
    s = csumAdd(s, t);
  }
  return s;
}

/**
 * `inet_proto_csum_replace16(sum, skb, from, to, pseudohdr)` for 16-byte
 * addresses at `fromOff` / `toOff` of `buf`. Returns the new __sum16.
 */
export function inetProtoCsumReplace16(sum16: number, skb: SkBuff, buf: Uint8Array, fromOff: number, toOff: number, pseudohdr: boolean): number {
  if (skb.ipSummed !== CHECKSUM.PARTIAL) {
    const r = csumFold(diffSum16(buf, fromOff, toOff, ~csumUnfold(sum16) >>> 0));
    if (skb.ipSummed === CHECKSUM.COMPLETE && pseudohdr) skb.csum = ~diffSum16(buf, fromOff, toOff, ~skb.csum >>> 0) >>> 0;
    return r;
  }
  if (pseudohdr) return ~csumFold(diffSum16(buf, fromOff, toOff, csumUnfold(sum16))) & 0xffff;
  return sum16 & 0xffff;
}

/**
 * `inet_proto_csum_replace_by_diff(sum, skb, diff, pseudohdr, ipv6)` (6.18
 * signature, with the `ipv6` flag that keeps `skb->csum` unchanged for IPv6).
 */
export function inetProtoCsumReplaceByDiff(sum16: number, skb: SkBuff, diff: number, pseudohdr: boolean, ipv6: boolean): number {
  if (skb.ipSummed !== CHECKSUM.PARTIAL) {
    const r = csumReplaceByDiff(sum16, diff);
    if (skb.ipSummed === CHECKSUM.COMPLETE && pseudohdr && !ipv6) skb.csum = ~csumSub(diff, skb.csum) >>> 0;
    return r;
  }
  if (pseudohdr) return ~csumFold(csumAdd(diff, csumUnfold(sum16))) & 0xffff;
  return sum16 & 0xffff;
}

// --- big-endian conveniences for builders and views -------------------------

/** The Internet checksum (RFC 1071) of `buf[off, off+len)` plus `seed` (a __wsum), as a big-endian field value. */
export function inetChecksum(buf: Uint8Array, off: number, len: number, seed = 0): number {
  return bswap16(csumFold(csumPartial(buf, off, len, seed)));
}

/** The IPv4 header checksum of the header at `off` (field treated as zero), big-endian value. */
export function ipv4HeaderChecksum(buf: Uint8Array, off: number): number {
  const ihl = (buf[off]! & 0x0f) * 4;
  const s = csumSub(csumPartial(buf, off, ihl, 0), (buf[off + 10]! | (buf[off + 11]! << 8)) >>> 0);
  return bswap16(csumFold(s));
}

/**
 * TCP/UDP/ICMPv6-style checksum over IPv4: pseudo header of the addresses at
 * `ipOff + 12` / `ipOff + 16`, `proto`, and the `l4Len` bytes at `l4Off` with the
 * checksum field at `l4Off + csumFieldOff` treated as zero. Big-endian value.
 */
export function l4ChecksumV4(buf: Uint8Array, ipOff: number, l4Off: number, l4Len: number, proto: number, csumFieldOff: number): number {
  const saddr = (buf[ipOff + 12]! | (buf[ipOff + 13]! << 8) | (buf[ipOff + 14]! << 16) | (buf[ipOff + 15]! << 24)) >>> 0;
  const daddr = (buf[ipOff + 16]! | (buf[ipOff + 17]! << 8) | (buf[ipOff + 18]! << 16) | (buf[ipOff + 19]! << 24)) >>> 0;
  const f = l4Off + csumFieldOff;
  const body = csumSub(csumPartial(buf, l4Off, l4Len, 0), (buf[f]! | (buf[f + 1]! << 8)) >>> 0);
  return bswap16(csumTcpudpMagic(saddr, daddr, l4Len, proto, body));
}

/**
 * As `l4ChecksumV4` over IPv6: source address at `ipOff + 8`, destination at
 * `daddrOff` (default `ipOff + 24`; with a routing header the final
 * destination, RFC 8200 section 8.1). Big-endian value.
 */
export function l4ChecksumV6(buf: Uint8Array, ipOff: number, l4Off: number, l4Len: number, proto: number, csumFieldOff: number, daddrOff = ipOff + 24): number {
  const f = l4Off + csumFieldOff;
  const body = csumSub(csumPartial(buf, l4Off, l4Len, 0), (buf[f]! | (buf[f + 1]! << 8)) >>> 0);
  return bswap16(csumIpv6Magic(buf, ipOff + 8, daddrOff, l4Len, proto, body));
}
