// Models the classic "BPF extension" loads of net/core/filter.c (Linux 6.18):
// convert_skb_access / convert_bpf_extensions (SKF_AD_* reads of sk_buff
// fields), bpf_skb_get_nlattr and bpf_skb_get_nlattr_nest (lib/nlattr.c's
// nla_find over packet bytes) and bpf_skb_load_helper_*'s negative offsets
// (bpf_internal_load_pointer_neg_helper). None of these allocate or throw.
//
// VLAN: since Linux 5.19 an sk_buff has no separate "tag present" bit: the
// offloaded tag is the u32 vlan_all (vlan_proto, vlan_tci), present iff it is
// non-zero (skb_vlan_tag_present), and __vlan_hwaccel_clear_tag zeroes it.
// SKF_AD_VLAN_TAG / SKF_AD_VLAN_TPID read vlan_tci / vlan_proto as they are
// and SKF_AD_VLAN_TAG_PRESENT tests vlan_all != 0 (convert_bpf_extensions).
// A ClassicSkb keeps the flag and the fields apart (@tcbpf/skb's vlanClear
// only drops the flag), so vlan_all is read through the flag: see vlanAll.
import { SKF_AD, SKF_OFF } from '@tcbpf/uapi';
import type { ClassicEnv, ClassicSkb } from './context.js';
import { skbGetPoff } from './flow-dissector.js';

/** Read a host-order (little-endian) u16 at `o` of buf: nlattr headers are host order. */
function u16host(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}

/** lib/nlattr.c nla_find over data[start .. start+rem): offset of the attribute from data, or -1. */
function nlaFind(skb: ClassicSkb, start: number, rem: number, type: number): number {
  const b = skb.buf;
  let pos = start;
  // nla_ok: rem >= 4 && nla_len >= 4 && nla_len <= rem
  while (rem >= 4) {
    const nlaLen = u16host(b, skb.dataOff + pos);
    if (nlaLen < 4 || nlaLen > rem) break;
    // nla_type(): type & NLA_TYPE_MASK (0x3fff); attrtype is an int
    if ((u16host(b, skb.dataOff + pos + 2) & 0x3fff) === type) return pos;
    const tot = (nlaLen + 3) & ~3;
    rem -= tot;
    pos += tot;
  }
  return -1;
}

/**
 * The kernel's skb->vlan_all for a ClassicSkb, as (vlan_tci << 16 | vlan_proto)
 * (host-order halves; only "zero or not" and the halves matter): 0 without a tag.
 */
export function vlanAll(skb: ClassicSkb): number {
  return skb.vlanPresent ? (((skb.vlanTci & 0xffff) << 16) | (skb.vlanProto & 0xffff)) >>> 0 : 0;
}

/** bpf_skb_get_nlattr(skb, A, X). */
export function skbGetNlattr(skb: ClassicSkb, a: number, x: number): number {
  const len = skb.len;
  if (len < 4) return 0;
  if (a >>> 0 > len - 4) return 0;
  const found = nlaFind(skb, a >>> 0, len - (a >>> 0), x | 0);
  return found < 0 ? 0 : found;
}

/** bpf_skb_get_nlattr_nest(skb, A, X). */
export function skbGetNlattrNest(skb: ClassicSkb, a: number, x: number): number {
  const len = skb.len;
  if (len < 4) return 0;
  const start = a >>> 0;
  if (start > len - 4) return 0;
  const rem = len - start;
  const nlaLen = u16host(skb.buf, skb.dataOff + start);
  if (nlaLen < 4 || nlaLen > rem) return 0; // !nla_ok
  const found = nlaFind(skb, start + 4, nlaLen - 4, x | 0);
  return found < 0 ? 0 : found;
}

/**
 * The ancillary load at SKF_AD offset `off` (already validated by the checker):
 * the new value of A. Size bits are ignored, as in the kernel.
 */
export function ancillaryLoad(off: number, skb: ClassicSkb, env: ClassicEnv, a: number, x: number): number {
  switch (off) {
    case SKF_AD.PROTOCOL:
      return skb.protocol & 0xffff;
    case SKF_AD.PKTTYPE:
      return skb.pktType & 7;
    case SKF_AD.IFINDEX:
      return skb.ifindex >>> 0;
    case SKF_AD.NLATTR:
      return skbGetNlattr(skb, a, x);
    case SKF_AD.NLATTR_NEST:
      return skbGetNlattrNest(skb, a, x);
    case SKF_AD.MARK:
      return skb.mark >>> 0;
    case SKF_AD.QUEUE:
      return skb.queueMapping & 0xffff;
    case SKF_AD.HATYPE:
      return skb.devType & 0xffff;
    case SKF_AD.RXHASH:
      return skb.hash >>> 0;
    case SKF_AD.CPU:
      return env.cpu >>> 0;
    case SKF_AD.ALU_XOR_X:
      return (a ^ x) >>> 0;
    case SKF_AD.VLAN_TAG:
      return vlanAll(skb) >>> 16;
    case SKF_AD.VLAN_TAG_PRESENT:
      return vlanAll(skb) !== 0 ? 1 : 0;
    case SKF_AD.PAY_OFFSET:
      return skbGetPoff(skb);
    case SKF_AD.RANDOM:
      return env.prng.u32() >>> 0;
    case SKF_AD.VLAN_TPID:
      return vlanAll(skb) & 0xffff;
    default:
      return a;
  }
}

/**
 * Buffer index of a `size`-byte packet load at signed offset `k` from
 * skb->data, or -1 when the kernel's load fails (the program then returns 0).
 * Non-negative offsets must lie inside the data; negative ones go through
 * SKF_NET_OFF / SKF_LL_OFF and must lie inside head..tail.
 */
export function loadIndex(skb: ClassicSkb, k: number, size: number): number {
  if (k >= 0) return k <= skb.len - size ? skb.dataOff + k : -1;
  let p: number;
  if (k >= SKF_OFF.NET) {
    if (skb.networkHeader < 0) return -1; // unset (~0U): far past the tail
    p = skb.networkHeader + k - SKF_OFF.NET;
  }
  else if (k >= SKF_OFF.LL) {
    if (skb.macHeader < 0) return -1;
    p = skb.macHeader + k - SKF_OFF.LL;
  } else return -1;
  return p >= 0 && p + size <= skb.dataOff + skb.len ? p : -1;
}

/** A big-endian packet load at signed offset `k`, or -1 on failure (the value itself is u32, so -1 is free). */
export function loadPacket(skb: ClassicSkb, k: number, size: number): number {
  const i = loadIndex(skb, k, size);
  if (i < 0) return -1;
  const b = skb.buf;
  // packet data is network order (big-endian)
  if (size === 4) return ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
  if (size === 2) return (b[i]! << 8) | b[i + 1]!;
  return b[i]!;
}
