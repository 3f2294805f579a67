// Models net/core/filter.c (Linux 6.18): the sk_buff helpers of
// tc_cls_act_func_proto — bpf_skb_load_bytes(_relative), bpf_skb_store_bytes,
// bpf_l3_csum_replace, bpf_l4_csum_replace, bpf_csum_diff, bpf_csum_update,
// bpf_csum_level, bpf_redirect, bpf_redirect_peer, bpf_clone_redirect,
// bpf_skb_vlan_push/pop, bpf_skb_change_type, bpf_skb_change_tail,
// bpf_skb_pull_data, bpf_set_hash(_invalid), bpf_get_cgroup_classid,
// bpf_get_route_realm, bpf_get_socket_cookie, bpf_skb_ecn_set_ce — with the
// kernel's argument checks and negative-errno returns, and
// include/linux/if_vlan.h / net/core/skbuff.c skb_vlan_push/skb_vlan_pop.
// Per-packet paths allocate nothing and never throw.
import { ARG, FdArrayMap, HELPER_CTRL, MAP_HANDLE_HI, PerfEventBuffer, RET, proto, type HelperDef, type HelperEnv } from '@tcbpf/ebpf';
import { BPF_FUNC, BPF_MAP_TYPE } from '@tcbpf/uapi';
import {
  CHECKSUM, VLAN_HLEN, csumAdd, csumPartial, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub, inetProtoCsumReplace2,
  inetProtoCsumReplace4, inetProtoCsumReplaceByDiff, type SkBuff,
} from '@tcbpf/skb';
import { SkbRunState, type TunnelInfo } from '../skb-run-state.js';
import { CGROUP_HELPERS } from './cgroup-helpers.js';
import { FIB_HELPERS } from './fib-helpers.js';
import { SKB_META_HELPERS } from './skb-meta-helpers.js';
import { argHi, argLo, memIdx, setR0, setR0u32 } from './helper-call.js';

/** Helper flag bits of include/uapi/linux/bpf.h used by the sk_buff helpers. */
export const SKB_HELPER_FLAG = Object.freeze({
  F_RECOMPUTE_CSUM: 1 << 0,
  F_INVALIDATE_HASH: 1 << 1,
  F_HDR_FIELD_MASK: 0xf,
  F_PSEUDO_HDR: 1 << 4,
  F_MARK_MANGLED_0: 1 << 5,
  F_MARK_ENFORCE: 1 << 6,
  F_IPV6: 1 << 7,
  F_INGRESS: 1 << 0,
  HDR_START_MAC: 0,
  HDR_START_NET: 1,
  CSUM_LEVEL_QUERY: 0,
  CSUM_LEVEL_INC: 1,
  CSUM_LEVEL_DEC: 2,
  CSUM_LEVEL_RESET: 3,
} as const);

/** TC_ACT_* values the redirect helpers return (include/uapi/linux/pkt_cls.h). */
const TC_ACT_SHOT = 2;
const TC_ACT_REDIRECT = 7;
const EFAULT = -14;
const EINVAL = -22;
const ENOMEM = -12;
const EACCES = -13;
const ENOTSUPP = -524;
const ETH_HLEN = 14;
const ETH_ALEN = 6;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const CSUM_MANGLED_0 = 0xffff;
const F = SKB_HELPER_FLAG;

/** The run's state, or undefined when the program runs without one (the helper then faults the run). */
function st(env: HelperEnv): SkbRunState | undefined {
  const s = env.runCtx;
  return s instanceof SkbRunState ? s : undefined;
}
function regionBytes(env: HelperEnv, idx: number): Uint8Array {
  return env.kernel.mem.region(idx)!.bytes;
}
function ror8(x: number): number {
  return ((x >>> 8) | (x << 24)) >>> 0;
}
/** skb_postpush_rcsum: add bytes now at `off` (buffer offset) to a CHECKSUM_COMPLETE csum. */
function postpushRcsum(skb: SkBuff, off: number, len: number): void {
  if (skb.ipSummed !== CHECKSUM.COMPLETE) return;
  const c = csumPartial(skb.buf, off, len, 0);
  skb.csum = csumAdd(skb.csum, ((off - skb.dataOff) & 1) !== 0 ? ror8(c) : c);
}
/** skb_postpull_rcsum for bytes at `off` (buffer offset). */
function postpullRcsum(skb: SkBuff, off: number, len: number): void {
  if (skb.ipSummed !== CHECKSUM.COMPLETE) return;
  const c = csumPartial(skb.buf, off, len, 0);
  skb.csum = csumSub(skb.csum, ((off - skb.dataOff) & 1) !== 0 ? ror8(c) : c);
}

/** Copy `len` bytes between different buffers without making a view (subarray would allocate per call). */
function copyBytes(src: Uint8Array, srcOff: number, dst: Uint8Array, dstOff: number, len: number): void {
  for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i]!;
}

/** Before a helper changes the sk_buff: fold the program's ctx writes into it. */
function enter(env: HelperEnv): SkbRunState | undefined {
  const s = st(env);
  s?.ctx.store();
  return s;
}
/** After: refresh the ctx mirror and packet pointers (bpf_compute_data_pointers). */
function leave(s: SkbRunState): void {
  s.ctx.load();
  s.ctx.bindPacket(s.mem);
}

// ---- bytes ----

/** bpf_skb_load_bytes(skb, offset, to, len) */
function skbLoadBytes(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  const off = argLo(env, 2) >>> 0;
  const len = argLo(env, 4) >>> 0;
  const idx = memIdx(env, argHi(env, 3), argLo(env, 3), len);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const to = regionBytes(env, idx);
  const toOff = argLo(env, 3) >>> 0;
  if (off > 0x7fffffff || off + len > skb.len) {
    to.fill(0, toOff, toOff + len);
    return setR0(env, EFAULT);
  }
  copyBytes(skb.buf, skb.dataOff + off, to, toOff, len);
  return setR0(env, 0);
}

/** bpf_skb_load_bytes_relative(skb, offset, to, len, start_header) */
function skbLoadBytesRelative(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  const off = argLo(env, 2) >>> 0;
  const len = argLo(env, 4) >>> 0;
  const idx = memIdx(env, argHi(env, 3), argLo(env, 3), len);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const to = regionBytes(env, idx);
  const toOff = argLo(env, 3) >>> 0;
  const hdrLo = argLo(env, 5) >>> 0;
  let start = -1;
  if (off <= 0xffff && argHi(env, 5) === 0) {
    if (hdrLo === F.HDR_START_MAC) start = skb.macHeader;
    else if (hdrLo === F.HDR_START_NET) start = skb.networkHeader;
  }
  const end = skb.dataOff + skb.len;
  if (start < 0 || start + off + len > end) {
    to.fill(0, toOff, toOff + len);
    return setR0(env, EFAULT);
  }
  copyBytes(skb.buf, start + off, to, toOff, len);
  return setR0(env, 0);
}

/** bpf_skb_store_bytes(skb, offset, from, len, flags) */
function skbStoreBytes(env: HelperEnv): number {
  const s = st(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const off = argLo(env, 2) >>> 0;
  const len = argLo(env, 4) >>> 0;
  const idx = memIdx(env, argHi(env, 3), argLo(env, 3), len);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const flagsLo = argLo(env, 5);
  if (argHi(env, 5) !== 0 || (flagsLo & ~(F.F_RECOMPUTE_CSUM | F.F_INVALIDATE_HASH)) !== 0) return setR0(env, EINVAL);
  if (off > 0x7fffffff || off + len > skb.len) return setR0(env, EFAULT);
  const at = skb.dataOff + off;
  const recompute = (flagsLo & F.F_RECOMPUTE_CSUM) !== 0;
  if (recompute) postpullRcsum(skb, at, len);
  const from = regionBytes(env, idx);
  const fromOff = argLo(env, 3) >>> 0;
  if (from === skb.buf) skb.buf.copyWithin(at, fromOff, fromOff + len);
  else copyBytes(from, fromOff, skb.buf, at, len);
  if (recompute) postpushRcsum(skb, at, len);
  if ((flagsLo & F.F_INVALIDATE_HASH) !== 0) {
    s.ctx.store();
    skb.clearHash();
    s.ctx.load();
  }
  return setR0(env, 0);
}

// ---- checksums ----

/** bpf_l3_csum_replace(skb, offset, from, to, flags) */
function l3CsumReplace(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  const off = argLo(env, 2) >>> 0;
  const flagsLo = argLo(env, 5);
  if (argHi(env, 5) !== 0 || (flagsLo & ~F.F_HDR_FIELD_MASK) !== 0) return setR0(env, EINVAL);
  if (off > 0xffff || (off & 1) !== 0) return setR0(env, EFAULT);
  if (off + 2 > skb.len) return setR0(env, EFAULT);
  const at = skb.dataOff + off;
  const sum = skb.view.getUint16(at, true); // __sum16 as the host (LE) sees it
  const from = argLo(env, 3) >>> 0;
  const to = argLo(env, 4) >>> 0;
  let nsum: number;
  switch (flagsLo & F.F_HDR_FIELD_MASK) {
    case 0:
      if (from !== 0 || argHi(env, 3) !== 0) return setR0(env, EINVAL);
      nsum = csumReplaceByDiff(sum, to);
      break;
    case 2:
      nsum = csumReplace2(sum, from & 0xffff, to & 0xffff);
      break;
    case 4:
      nsum = csumReplace4(sum, from, to);
      break;
    default:
      return setR0(env, EINVAL);
  }
  skb.view.setUint16(at, nsum & 0xffff, true);
  return setR0(env, 0);
}

/** bpf_l4_csum_replace(skb, offset, from, to, flags) */
function l4CsumReplace(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  const off = argLo(env, 2) >>> 0;
  const flagsLo = argLo(env, 5);
  const allowed = F.F_MARK_MANGLED_0 | F.F_MARK_ENFORCE | F.F_PSEUDO_HDR | F.F_HDR_FIELD_MASK | F.F_IPV6;
  if (argHi(env, 5) !== 0 || (flagsLo & ~allowed) !== 0) return setR0(env, EINVAL);
  if (off > 0xffff || (off & 1) !== 0) return setR0(env, EFAULT);
  if (off + 2 > skb.len) return setR0(env, EFAULT);
  const pseudo = (flagsLo & F.F_PSEUDO_HDR) !== 0;
  const mmzero = (flagsLo & F.F_MARK_MANGLED_0) !== 0;
  const mforce = (flagsLo & F.F_MARK_ENFORCE) !== 0;
  const ipv6 = (flagsLo & F.F_IPV6) !== 0;
  const at = skb.dataOff + off;
  const sum = skb.view.getUint16(at, true);
  if (mmzero && !mforce && sum === 0) return setR0(env, 0);
  const from = argLo(env, 3) >>> 0;
  const to = argLo(env, 4) >>> 0;
  let nsum: number;
  switch (flagsLo & F.F_HDR_FIELD_MASK) {
    case 0:
      if (from !== 0 || argHi(env, 3) !== 0) return setR0(env, EINVAL);
      nsum = inetProtoCsumReplaceByDiff(sum, skb, to, pseudo, ipv6);
      break;
    case 2:
      nsum = inetProtoCsumReplace2(sum, skb, from, to, pseudo);
      break;
    case 4:
      nsum = inetProtoCsumReplace4(sum, skb, from, to, pseudo);
      break;
    default:
      return setR0(env, EINVAL);
  }
  if (mmzero && (nsum & 0xffff) === 0) nsum = CSUM_MANGLED_0;
  skb.view.setUint16(at, nsum & 0xffff, true);
  return setR0(env, 0);
}

/**
 * bpf_csum_diff(from, from_size, to, to_size, seed), Linux 6.18 form: the
 * one's-complement difference folded to 16 bits (csum_from32to16), any sizes.
 */
function csumDiff(env: HelperEnv): number {
  const fromSize = argLo(env, 2) >>> 0;
  const toSize = argLo(env, 4) >>> 0;
  let ret = argLo(env, 5) >>> 0;
  let fromBuf: Uint8Array | undefined;
  let toBuf: Uint8Array | undefined;
  if (fromSize > 0) {
    const i = memIdx(env, argHi(env, 1), argLo(env, 1), fromSize);
    if (i < 0) return HELPER_CTRL.FAULT;
    fromBuf = regionBytes(env, i);
  }
  if (toSize > 0) {
    const i = memIdx(env, argHi(env, 3), argLo(env, 3), toSize);
    if (i < 0) return HELPER_CTRL.FAULT;
    toBuf = regionBytes(env, i);
  }
  const fo = argLo(env, 1) >>> 0;
  const tofs = argLo(env, 3) >>> 0;
  if (fromBuf !== undefined && toBuf !== undefined) ret = csumSub(csumPartial(toBuf, tofs, toSize, ret), csumPartial(fromBuf, fo, fromSize, 0));
  else if (toBuf !== undefined) ret = csumPartial(toBuf, tofs, toSize, ret);
  else if (fromBuf !== undefined) ret = ~csumPartial(fromBuf, fo, fromSize, ~ret >>> 0) >>> 0;
  // csum_from32to16
  const folded = (ret + (((ret >>> 16) | (ret << 16)) >>> 0)) >>> 0;
  return setR0u32(env, folded >>> 16);
}

/** bpf_csum_update(skb, csum) */
function csumUpdate(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  if (skb.ipSummed === CHECKSUM.COMPLETE) {
    skb.csum = csumAdd(skb.csum, argLo(env, 2) >>> 0);
    return setR0u32(env, skb.csum);
  }
  return setR0(env, ENOTSUPP);
}

/** bpf_csum_level(skb, level) */
function csumLevel(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  if (argHi(env, 2) !== 0) return setR0(env, EINVAL);
  switch (argLo(env, 2)) {
    case F.CSUM_LEVEL_QUERY:
      return setR0(env, skb.ipSummed === CHECKSUM.UNNECESSARY ? skb.csumLevel : EACCES);
    case F.CSUM_LEVEL_INC:
      if (skb.ipSummed === CHECKSUM.UNNECESSARY && skb.csumLevel < 3) skb.csumLevel++;
      return setR0(env, 0);
    case F.CSUM_LEVEL_DEC:
      if (skb.ipSummed === CHECKSUM.UNNECESSARY) {
        if (skb.csumLevel === 0) skb.ipSummed = CHECKSUM.NONE;
        else skb.csumLevel--;
      }
      return setR0(env, 0);
    case F.CSUM_LEVEL_RESET:
      skb.ipSummed = CHECKSUM.NONE;
      skb.csumLevel = 0;
      return setR0(env, 0);
    default:
      return setR0(env, EINVAL);
  }
}

// ---- redirect ----

/** bpf_redirect(ifindex, flags): records the target; the verdict acts on it. */
function redirect(env: HelperEnv): number {
  const s = st(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const flagsLo = argLo(env, 2);
  if (argHi(env, 2) !== 0 || (flagsLo & ~F.F_INGRESS) !== 0) return setR0(env, TC_ACT_SHOT);
  s.redirectIfindex = argLo(env, 1) >>> 0;
  s.redirectFlags = flagsLo;
  s.redirectPeer = false;
  return setR0(env, TC_ACT_REDIRECT);
}

/** bpf_redirect_peer(ifindex, flags): flags must be 0. */
function redirectPeer(env: HelperEnv): number {
  const s = st(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  if (argHi(env, 2) !== 0 || argLo(env, 2) !== 0) return setR0(env, TC_ACT_SHOT);
  s.redirectIfindex = argLo(env, 1) >>> 0;
  s.redirectFlags = 0;
  s.redirectPeer = true;
  return setR0(env, TC_ACT_REDIRECT);
}

/** bpf_clone_redirect(skb, ifindex, flags): a copy goes to the device now. */
function cloneRedirect(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const flagsLo = argLo(env, 3);
  if (argHi(env, 3) !== 0 || (flagsLo & ~F.F_INGRESS) !== 0) return setR0(env, EINVAL);
  const ifindex = argLo(env, 2) >>> 0;
  const dev = s.ns?.getByIndex(ifindex);
  if (dev === undefined) return setR0(env, EINVAL);
  const skb = s.ctx.skb;
  // __bpf_redirect_common: a link-layer header must be carried
  if (skb.macHeader >= skb.networkHeader || skb.len === 0) return setR0(env, -34 /* ERANGE */);
  const r = s.onCloneRedirect(skb, ifindex, (flagsLo & F.F_INGRESS) !== 0);
  leave(s);
  return setR0(env, r);
}

// ---- VLAN ----

/** __vlan_insert_inner_tag + the offloaded-tag move of skb_vlan_push. */
function vlanInsertInband(skb: SkBuff, proto: number, tci: number): number {
  if (skb.dataOff < VLAN_HLEN && skb.ensureHeadroom(VLAN_HLEN) !== 0) return ENOMEM;
  const macLen = skb.macLen;
  skb.push(VLAN_HLEN);
  const d = skb.dataOff;
  if (macLen > 12) skb.buf.copyWithin(d, d + VLAN_HLEN, d + VLAN_HLEN + macLen - 2);
  if (skb.macHeader >= 0) skb.macHeader -= VLAN_HLEN;
  const veth = d + macLen - ETH_HLEN;
  if (macLen >= 2) skb.view.setUint16(veth + 16, skb.protocol, false);
  else skb.view.setUint16(veth + 16, skb.view.getUint16(veth + 12, false), false);
  skb.view.setUint16(veth + 12, proto, false);
  skb.view.setUint16(veth + 14, tci, false);
  return 0;
}

/** bpf_skb_vlan_push(skb, vlan_proto, vlan_tci) */
function skbVlanPush(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const protoBe = argLo(env, 2) & 0xffff; // __be16 as loaded little-endian
  let proto = ((protoBe & 0xff) << 8) | (protoBe >>> 8);
  if (proto !== ETH_P_8021Q && proto !== ETH_P_8021AD) proto = ETH_P_8021Q;
  const tci = argLo(env, 3) & 0xffff;
  let ret = 0;
  if (skb.vlanPresent) {
    if (skb.dataOff !== skb.macHeader) ret = EINVAL;
    else {
      ret = vlanInsertInband(skb, skb.vlanProto, skb.vlanTci);
      if (ret === 0) {
        skb.protocol = skb.vlanProto;
        if (skb.networkHeader >= 0) skb.networkHeader -= VLAN_HLEN;
        postpushRcsum(skb, skb.dataOff + 2 * ETH_ALEN, VLAN_HLEN);
      }
    }
  }
  if (ret === 0) skb.vlanPut(proto, tci);
  if (skb.macHeader >= 0 && skb.networkHeader >= 0) skb.macLen = skb.networkHeader - skb.macHeader;
  leave(s);
  return setR0(env, ret);
}

function ethTypeVlan(p: number): boolean {
  return p === ETH_P_8021Q || p === ETH_P_8021AD;
}

/** __skb_vlan_pop: remove the in-band tag after the MAC addresses; returns 0 or -errno, the TCI in `out[0]`. */
function skbVlanPopInband(skb: SkBuff): number {
  if (skb.dataOff !== skb.macHeader) return EINVAL;
  if (skb.len < ETH_HLEN + VLAN_HLEN) return ENOMEM;
  const d = skb.dataOff;
  postpullRcsum(skb, d + 2 * ETH_ALEN, VLAN_HLEN);
  const tci = skb.view.getUint16(d + ETH_HLEN, false);
  const encap = skb.view.getUint16(d + ETH_HLEN + 2, false);
  skb.buf.copyWithin(d + VLAN_HLEN, d, d + 2 * ETH_ALEN);
  skb.protocol = encap >= 0x600 ? encap : 0x0004;
  skb.pull(VLAN_HLEN);
  skb.macHeader += VLAN_HLEN;
  if (skb.networkHeader < 0 || skb.networkHeader - skb.dataOff < ETH_HLEN) skb.networkHeader = skb.dataOff + ETH_HLEN;
  skb.macLen = skb.networkHeader - skb.macHeader;
  return tci | 0x10000;
}

/** bpf_skb_vlan_pop(skb) */
function skbVlanPop(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  let ret = 0;
  if (skb.vlanPresent) skb.vlanClear();
  else if (ethTypeVlan(skb.protocol)) {
    const r = skbVlanPopInband(skb);
    if (r < 0) ret = r;
  } else {
    leave(s);
    return setR0(env, 0);
  }
  if (ret === 0 && ethTypeVlan(skb.protocol)) {
    const proto = skb.protocol;
    const r = skbVlanPopInband(skb);
    if (r < 0) ret = r;
    else skb.vlanPut(proto, r & 0xffff);
  }
  leave(s);
  return setR0(env, ret);
}

// ---- size changes ----

/** bpf_skb_change_tail(skb, new_len, flags) */
function skbChangeTail(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const newLen = argLo(env, 2) >>> 0;
  if (argHi(env, 3) !== 0 || argLo(env, 3) !== 0) return setR0(env, EINVAL);
  // bpf_skb_change_tail: min_len = __bpf_skb_min_len (network/transport offsets), max 0xffff + 1 - ...
  const minLen = Math.max(skb.networkHeader >= 0 ? skb.networkHeader - skb.dataOff : 0, skb.transportHeader >= 0 ? skb.transportHeader - skb.dataOff : 0, skb.macHeader >= 0 ? skb.macHeader - skb.dataOff : 0);
  if (newLen > 0xffff || newLen < minLen) return setR0(env, EINVAL);
  if (newLen > skb.len) {
    const grow = newLen - skb.len;
    if (skb.tailroom() < grow) skb.expandHead(0, grow - skb.tailroom());
    const at = skb.put(grow);
    skb.buf.fill(0, at, at + grow);
  } else if (newLen < skb.len) {
    skb.trim(newLen);
  }
  if (skb.ipSummed === CHECKSUM.COMPLETE) skb.ipSummed = CHECKSUM.NONE;
  leave(s);
  return setR0(env, 0);
}

/** BPF_SKB_MAX_LEN = SKB_MAX_ALLOC on x86-64: (4096 << 2) - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)). */
const BPF_SKB_MAX_LEN = 16384 - 320;

/** bpf_skb_change_head(skb, head_room, flags): head_room zero bytes in front, MAC header reset there. */
function skbChangeHead(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const room = argLo(env, 2) >>> 0;
  const newLen = skb.len + room;
  if (argHi(env, 3) !== 0 || argLo(env, 3) !== 0 || (skb.gsoSize === 0 && newLen > BPF_SKB_MAX_LEN) || newLen > 0xffffffff) {
    leave(s);
    return setR0(env, EINVAL);
  }
  if (skb.dataOff < room) skb.expandHead(room - skb.dataOff, 0);
  skb.push(room);
  skb.buf.fill(0, skb.dataOff, skb.dataOff + room);
  skb.resetMacHeader();
  skb.macLen = skb.networkHeader >= 0 ? skb.networkHeader - skb.macHeader : 0;
  leave(s);
  return setR0(env, 0);
}

/** bpf_redirect_neigh(ifindex, params, plen, flags): plen 0 or ≥ sizeof(struct bpf_redir_neigh) (20), flags 0. */
function redirectNeigh(env: HelperEnv): number {
  const s = st(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const plen = argLo(env, 3) >>> 0;
  if ((plen !== 0 && plen < 20) || argLo(env, 4) !== 0 || argHi(env, 4) !== 0) return setR0(env, TC_ACT_SHOT);
  s.redirectIfindex = argLo(env, 1) >>> 0;
  s.redirectFlags = 0;
  s.redirectPeer = false;
  return setR0(env, TC_ACT_REDIRECT);
}

/** bpf_skb_net_hdr_push: `len` zero bytes inserted after the first `off` bytes; headers move with the data. */
function netHdrPush(skb: SkBuff, off: number, len: number): number {
  const transSame = skb.transportHeader === skb.networkHeader;
  if (skb.dataOff < len) skb.expandHead(len - skb.dataOff, 0);
  skb.push(len);
  const d = skb.dataOff;
  skb.buf.copyWithin(d, d + len, d + len + off);
  skb.buf.fill(0, d + off, d + off + len);
  if (skb.macHeader >= 0) skb.macHeader -= len;
  if (skb.networkHeader >= 0) skb.networkHeader -= len;
  if (transSame) skb.transportHeader = skb.networkHeader;
  return 0;
}

/** bpf_skb_net_hdr_pop: `len` bytes after the first `off` bytes removed. */
function netHdrPop(skb: SkBuff, off: number, len: number): number {
  const transSame = skb.transportHeader === skb.networkHeader;
  if (off + len > skb.len) return ENOMEM;
  const old = skb.dataOff;
  skb.pull(len);
  postpullRcsum(skb, old + off, len);
  skb.buf.copyWithin(skb.dataOff, old, old + off);
  if (skb.macHeader >= 0) skb.macHeader += len;
  if (skb.networkHeader >= 0) skb.networkHeader += len;
  if (transSame) skb.transportHeader = skb.networkHeader;
  return 0;
}

/** bpf_skb_change_proto(skb, proto, flags): IPv4 <-> IPv6 room change (20 bytes) at the network header. */
function skbChangeProto(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  if (argHi(env, 3) !== 0 || argLo(env, 3) !== 0) {
    leave(s);
    return setR0(env, EINVAL);
  }
  const pb = argLo(env, 2) & 0xffff; // __be16 as loaded little-endian
  const to = ((pb & 0xff) << 8) | (pb >>> 8);
  const off = skb.macHeader >= 0 && skb.networkHeader >= 0 ? skb.networkHeader - skb.macHeader : 0;
  let ret: number;
  if (skb.protocol === ETH_P_IP && to === ETH_P_IPV6 && (argLo(env, 2) >>> 16) === 0 && argHi(env, 2) === 0) {
    ret = netHdrPush(skb, off, 20);
    if (ret === 0) {
      skb.protocol = ETH_P_IPV6;
      skb.clearHash();
    }
  } else if (skb.protocol === ETH_P_IPV6 && to === ETH_P_IP && (argLo(env, 2) >>> 16) === 0 && argHi(env, 2) === 0) {
    ret = netHdrPop(skb, off, 20);
    if (ret === 0) {
      skb.protocol = ETH_P_IP;
      skb.clearHash();
    }
  } else ret = ENOTSUPP;
  leave(s);
  return setR0(env, ret);
}

const ADJ = Object.freeze({
  FIXED_GSO: 1, ENCAP_L3_IPV4: 2, ENCAP_L3_IPV6: 4, ENCAP_L4_GRE: 8, ENCAP_L4_UDP: 16, NO_CSUM_RESET: 32, ENCAP_L2_ETH: 64,
  DECAP_L3_IPV4: 128, DECAP_L3_IPV6: 256, MODE_NET: 0, MODE_MAC: 1,
} as const);
/** BPF_F_ADJ_ROOM_MASK without the ENCAP_L2 length byte (flags bits 56..63). */
const ADJ_MASK_LO = ADJ.FIXED_GSO | ADJ.ENCAP_L3_IPV4 | ADJ.ENCAP_L3_IPV6 | ADJ.ENCAP_L4_GRE | ADJ.ENCAP_L4_UDP | ADJ.ENCAP_L2_ETH | ADJ.DECAP_L3_IPV4 | ADJ.DECAP_L3_IPV6;

/**
 * bpf_skb_adjust_room(skb, len_diff, mode, flags): insert (zeroed) or remove
 * room after the MAC header (BPF_ADJ_ROOM_MAC) or after the IPv4/IPv6 header
 * (BPF_ADJ_ROOM_NET); encapsulation flags switch skb->protocol to the outer L3.
 */
function skbAdjustRoom(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const r = adjustRoom(skb, argLo(env, 2), argLo(env, 3) >>> 0, argHi(env, 3), argLo(env, 4) >>> 0, argHi(env, 4) >>> 0);
  leave(s);
  return setR0(env, r);
}

function adjustRoom(skb: SkBuff, lenDiff: number, mode: number, modeHi: number, flo: number, fhi: number): number {
  const abs = Math.abs(lenDiff);
  const shrink = lenDiff < 0;
  if ((flo & ~(ADJ_MASK_LO | ADJ.NO_CSUM_RESET)) !== 0 || (fhi & 0x00ffffff) !== 0) return EINVAL;
  if (abs > 0xfff) return EFAULT;
  if (skb.protocol !== ETH_P_IP && skb.protocol !== ETH_P_IPV6) return ENOTSUPP;
  const baseLen = skb.protocol === ETH_P_IP ? 20 : 40;
  let off = skb.macHeader >= 0 && skb.networkHeader >= 0 ? skb.networkHeader - skb.macHeader : 0;
  if (modeHi !== 0) return ENOTSUPP;
  if (mode === ADJ.MODE_NET) off += baseLen;
  else if (mode !== ADJ.MODE_MAC) return ENOTSUPP;
  let lenMin = baseLen;
  const decap = flo & (ADJ.DECAP_L3_IPV4 | ADJ.DECAP_L3_IPV6);
  if (decap !== 0) {
    if (!shrink) return EINVAL;
    if (decap === ADJ.DECAP_L3_IPV4) lenMin = 20;
    else if (decap === ADJ.DECAP_L3_IPV6) lenMin = 40;
    else return EINVAL;
  }
  const lenCur = skb.len - (skb.networkHeader - skb.dataOff);
  if ((shrink && (abs >= lenCur || lenCur - abs < lenMin)) || (!shrink && skb.len + abs > BPF_SKB_MAX_LEN && skb.gsoSize === 0)) return ENOTSUPP;
  let ret: number;
  if (shrink) {
    if ((flo & ~(ADJ.FIXED_GSO | ADJ.DECAP_L3_IPV4 | ADJ.DECAP_L3_IPV6 | ADJ.NO_CSUM_RESET)) !== 0 || fhi !== 0) return EINVAL;
    ret = netHdrPop(skb, off, abs);
    if (ret === 0 && decap !== 0) skb.protocol = decap === ADJ.DECAP_L3_IPV4 ? ETH_P_IP : ETH_P_IPV6;
  } else {
    const encap = (flo & (ADJ.ENCAP_L3_IPV4 | ADJ.ENCAP_L3_IPV6)) !== 0;
    const innerMacLen = fhi >>> 24;
    if (encap) {
      if ((flo & ADJ.ENCAP_L3_IPV4) !== 0 && (flo & ADJ.ENCAP_L3_IPV6) !== 0) return EINVAL;
      if ((flo & ADJ.ENCAP_L4_GRE) !== 0 && (flo & ADJ.ENCAP_L4_UDP) !== 0) return EINVAL;
      if ((flo & ADJ.ENCAP_L2_ETH) !== 0 && innerMacLen < ETH_HLEN) return EINVAL;
      if (innerMacLen > abs) return EINVAL;
    }
    ret = netHdrPush(skb, off, abs);
    if (ret === 0 && encap) {
      if (skb.protocol === ETH_P_IP && (flo & ADJ.ENCAP_L3_IPV6) !== 0) skb.protocol = ETH_P_IPV6;
      else if (skb.protocol === ETH_P_IPV6 && (flo & ADJ.ENCAP_L3_IPV4) !== 0) skb.protocol = ETH_P_IP;
    }
  }
  if (ret === 0 && (flo & ADJ.NO_CSUM_RESET) === 0 && skb.ipSummed === CHECKSUM.UNNECESSARY) {
    skb.ipSummed = CHECKSUM.NONE;
    skb.csumLevel = 0;
  }
  return ret;
}

/** struct bpf_tunnel_key (include/uapi/linux/bpf.h): offsets and size. */
const TK = Object.freeze({ tunnel_id: 0, remote: 4, tos: 20, ttl: 21, ext: 22, label: 24, local: 28, SIZE: 44 } as const);
const TUNNEL_BIT = Object.freeze({ CSUM: 0, KEY: 2, SEQ: 3, DONT_FRAGMENT: 8, NOCACHE: 13 } as const);
const EPROTO = -71;

/** bpf_skb_set_tunnel_key(skb, from, size, flags): attach TX tunnel metadata. */
function skbSetTunnelKey(env: HelperEnv): number {
  const s = st(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const size = argLo(env, 3) >>> 0;
  const idx = memIdx(env, argHi(env, 2), argLo(env, 2), size);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const flo = argLo(env, 4);
  if (argHi(env, 4) !== 0 || (flo & ~(1 | 2 | 4 | 8 | 16)) !== 0) return setR0(env, EINVAL);
  if (size !== TK.SIZE && size !== TK.local && size !== TK.label && size !== TK.ext && size !== 8) return setR0(env, EINVAL);
  const key = new Uint8Array(TK.SIZE);
  const off = argLo(env, 2) >>> 0;
  key.set(regionBytes(env, idx).subarray(off, off + size));
  const kv = new DataView(key.buffer);
  const ipv6 = (flo & 1) !== 0;
  const label = kv.getUint32(TK.label, true);
  if ((!ipv6 && label !== 0) || kv.getUint16(TK.ext, true) !== 0) return setR0(env, EINVAL);
  let f = 1 << TUNNEL_BIT.NOCACHE;
  if ((flo & 4) !== 0) f |= 1 << TUNNEL_BIT.DONT_FRAGMENT;
  if ((flo & 2) === 0) f |= 1 << TUNNEL_BIT.CSUM;
  if ((flo & 8) !== 0) f |= 1 << TUNNEL_BIT.SEQ;
  if ((flo & 16) === 0) f |= 1 << TUNNEL_BIT.KEY;
  const info: TunnelInfo = {
    ipv6, tunId: kv.getUint32(TK.tunnel_id, true), tos: key[TK.tos]!, ttl: key[TK.ttl]!, flags: f,
    label: ipv6 ? label & 0xfffff : 0, src: new Uint8Array(16), dst: new Uint8Array(16),
  };
  if (ipv6) {
    info.dst.set(key.subarray(TK.remote, TK.remote + 16));
    info.src.set(key.subarray(TK.local, TK.local + 16));
  } else {
    // cpu_to_be32 of the host-order u32 fields
    new DataView(info.dst.buffer).setUint32(0, kv.getUint32(TK.remote, true), false);
    new DataView(info.src.buffer).setUint32(0, kv.getUint32(TK.local, true), false);
  }
  s.tunnels.set(s.ctx.skb, info);
  return setR0(env, 0);
}

/** bpf_skb_get_tunnel_key(skb, to, size, flags): read the tunnel metadata (remote = its source). */
function skbGetTunnelKey(env: HelperEnv): number {
  const s = st(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const size = argLo(env, 3) >>> 0;
  const idx = memIdx(env, argHi(env, 2), argLo(env, 2), size);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const out = regionBytes(env, idx);
  const off = argLo(env, 2) >>> 0;
  const info = s.tunnels.get(s.ctx.skb);
  const flo = argLo(env, 4);
  const fail = (err: number): number => {
    out.fill(0, off, off + size);
    return setR0(env, err);
  };
  if (info === undefined || argHi(env, 4) !== 0 || (flo & ~(1 | 16)) !== 0) return fail(EINVAL);
  if (info.ipv6 !== ((flo & 1) !== 0)) return fail(EPROTO);
  if (size !== TK.SIZE) {
    if (size === 8) {
      if (info.ipv6) return fail(EINVAL);
    } else if (size !== TK.local && size !== TK.label && size !== TK.ext) return fail(EINVAL);
  }
  const to = new Uint8Array(TK.SIZE);
  const tv = new DataView(to.buffer);
  tv.setUint32(TK.tunnel_id, info.tunId, true);
  to[TK.tos] = info.tos;
  to[TK.ttl] = info.ttl;
  if ((flo & 16) !== 0) tv.setUint16(TK.ext, info.flags & 0xffff, false); // ip_tunnel_flags_to_be16
  if (info.ipv6) {
    to.set(info.src, TK.remote);
    to.set(info.dst, TK.local);
    tv.setUint32(TK.label, info.label, true);
  } else {
    tv.setUint32(TK.remote, new DataView(info.src.buffer).getUint32(0, false), true);
    tv.setUint32(TK.local, new DataView(info.dst.buffer).getUint32(0, false), true);
  }
  out.set(to.subarray(0, size), off);
  return setR0(env, 0);
}

/** bpf_skb_pull_data(skb, len): the data is always linear here. */
function skbPullData(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const len = argLo(env, 2) >>> 0;
  if (argHi(env, 2) !== 0 || len > skb.len) {
    leave(s);
    return setR0(env, ENOMEM);
  }
  leave(s);
  return setR0(env, 0);
}

// ---- metadata ----

/** bpf_skb_change_type(skb, type) */
function skbChangeType(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  const skb = s.ctx.skb;
  const t = argLo(env, 2) >>> 0;
  if (skb.pktType > 3 || t > 3 || argHi(env, 2) !== 0) return setR0(env, EINVAL);
  skb.pktType = t;
  leave(s);
  return setR0(env, 0);
}

/** bpf_set_hash(skb, hash): a software, non-L4 hash. */
function setHash(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  s.ctx.skb.setHash(argLo(env, 2) >>> 0, false, true);
  leave(s);
  return setR0(env, 0);
}

/** bpf_set_hash_invalid(skb) */
function setHashInvalid(env: HelperEnv): number {
  const s = enter(env);
  if (s === undefined) return HELPER_CTRL.FAULT;
  s.ctx.skb.clearHash();
  leave(s);
  return setR0(env, 0);
}

/**
 * vlan_get_protocol (include/linux/if_vlan.h): skb->protocol, or for in-band
 * VLAN frames the EtherType after the VLAN headers (0 when they are cut short).
 */
function vlanGetProtocol(skb: SkBuff): number {
  let type = skb.protocol;
  let depth = skb.macLen === 0 ? ETH_HLEN : skb.macLen;
  const base = skb.macHeader >= 0 ? skb.macHeader : skb.dataOff;
  const end = skb.dataOff + skb.len;
  while (ethTypeVlan(type)) {
    if (base + depth + VLAN_HLEN > end) return 0;
    type = skb.view.getUint16(base + depth + 2, false);
    depth += VLAN_HLEN;
  }
  return type;
}

/** bpf_skb_ecn_set_ce(skb): INET_ECN_set_ce on IPv4/IPv6 with ECT(0/1) (include/net/inet_ecn.h). */
function skbEcnSetCe(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  const nh = skb.networkHeader;
  const tail = skb.dataOff + skb.len;
  const proto = vlanGetProtocol(skb);
  const hlen = proto === ETH_P_IP ? 20 : proto === ETH_P_IPV6 ? 40 : 0;
  if (hlen === 0 || skb.len < hlen || nh < 0 || nh + hlen > tail) return setR0(env, 0);
  const v = skb.view;
  if (proto === ETH_P_IP) {
    const tos = skb.buf[nh + 1]!;
    const ecn = (tos + 1) & 3;
    if ((ecn & 2) === 0) return setR0(env, ecn === 0 ? 1 : 0);
    // check_add = htons(0xFFFB) + htons(ecn) as u16 on a little-endian host; csum16_add
    const addend = (0xfbff + (ecn << 8)) & 0xffff;
    let res = (v.getUint16(nh + 10, true) + addend) & 0xffff;
    res = (res + (res < addend ? 1 : 0)) & 0xffff;
    v.setUint16(nh + 10, res, true);
    skb.buf[nh + 1] = tos | 3;
    return setR0(env, 1);
  }
  const from = v.getUint32(nh, true);
  if ((skb.buf[nh + 1]! & 0x30) === 0) return setR0(env, 0); // ipv6_get_dsfield & INET_ECN_MASK == Not-ECT
  skb.buf[nh + 1] = skb.buf[nh + 1]! | 0x30;
  const to = v.getUint32(nh, true);
  if (skb.ipSummed === CHECKSUM.COMPLETE) skb.csum = csumAdd(csumSub(skb.csum, from), to);
  return setR0(env, 1);
}

/**
 * bpf_skb_event_output (bpf_perf_event_output for skb programs): the record is
 * `meta` followed by the first `(flags & BPF_F_CTXLEN_MASK) >> 32` bytes of the
 * packet; flags' low 32 bits are the PERF_EVENT_ARRAY index or BPF_F_CURRENT_CPU.
 */
function skbEventOutput(env: HelperEnv): number {
  const s0 = st(env);
  if (s0 === undefined) return HELPER_CTRL.FAULT;
  const skb = s0.ctx.skb;
  if (argHi(env, 2) !== MAP_HANDLE_HI) return HELPER_CTRL.FAULT;
  const m = env.kernel.mapByHandle(argLo(env, 2));
  if (!(m instanceof FdArrayMap) || m.type !== BPF_MAP_TYPE.PERF_EVENT_ARRAY) return HELPER_CTRL.FAULT;
  const size = argLo(env, 5) >>> 0;
  const idx = memIdx(env, argHi(env, 4), argLo(env, 4), size);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const fhi = argHi(env, 3) >>> 0;
  if ((fhi & ~0xfffff) !== 0) return setR0(env, EINVAL);
  const skbSize = fhi;
  if (skbSize > skb.len) return setR0(env, EFAULT);
  const flo = argLo(env, 3) >>> 0;
  const index = flo === 0xffffffff ? env.cpu : flo;
  if (index >= m.maxEntries) return setR0(env, -7 /* E2BIG */);
  const ev = m.slot(index);
  if (!(ev instanceof PerfEventBuffer)) return setR0(env, -2 /* ENOENT */);
  if (ev.cpu !== env.cpu) return setR0(env, -95 /* EOPNOTSUPP */);
  if (ev.records.length >= ev.capacity) {
    ev.lost++;
    return setR0(env, -28 /* ENOSPC */);
  }
  const rec = new Uint8Array(size + skbSize);
  const off = argLo(env, 4) >>> 0;
  rec.set(regionBytes(env, idx).subarray(off, off + size), 0);
  rec.set(skb.buf.subarray(skb.dataOff, skb.dataOff + skbSize), size);
  ev.records.push(rec);
  return setR0(env, 0);
}

/** Helpers returning 0 in a namespace without sockets, cgroups or routes with realms. */
function zero(env: HelperEnv): number {
  return setR0(env, 0);
}

/** bpf_get_socket_uid(skb): overflowuid (65534) without a full socket, which is every skb here. */
function overflowUid(env: HelperEnv): number {
  return setR0(env, 65534);
}

const P = ARG.PTR_TO_CTX;
const A = ARG.ANYTHING;

/** The tc helpers tcbpf implements for SCHED_CLS/SCHED_ACT (with @tcbpf/ebpf's BASE_HELPERS; perf_event_output replaces the base one). */
export const TC_HELPERS: readonly HelperDef[] = Object.freeze([
  { proto: proto(BPF_FUNC.skb_store_bytes, RET.INTEGER, [P, A, ARG.PTR_TO_MEM, ARG.CONST_SIZE, A], { changesPktData: true }), fn: skbStoreBytes },
  { proto: proto(BPF_FUNC.l3_csum_replace, RET.INTEGER, [P, A, A, A, A], { changesPktData: true }), fn: l3CsumReplace },
  { proto: proto(BPF_FUNC.l4_csum_replace, RET.INTEGER, [P, A, A, A, A], { changesPktData: true }), fn: l4CsumReplace },
  { proto: proto(BPF_FUNC.clone_redirect, RET.INTEGER, [P, A, A], { changesPktData: true }), fn: cloneRedirect },
  { proto: proto(BPF_FUNC.get_cgroup_classid, RET.INTEGER, [P]), fn: zero },
  { proto: proto(BPF_FUNC.skb_vlan_push, RET.INTEGER, [P, A, A], { changesPktData: true }), fn: skbVlanPush },
  { proto: proto(BPF_FUNC.skb_vlan_pop, RET.INTEGER, [P], { changesPktData: true }), fn: skbVlanPop },
  { proto: proto(BPF_FUNC.redirect, RET.INTEGER, [A, A]), fn: redirect },
  { proto: proto(BPF_FUNC.get_route_realm, RET.INTEGER, [P]), fn: zero },
  { proto: proto(BPF_FUNC.get_socket_cookie, RET.INTEGER, [P]), fn: zero },
  { proto: proto(BPF_FUNC.get_socket_uid, RET.INTEGER, [P]), fn: overflowUid },
  { proto: proto(BPF_FUNC.skb_load_bytes, RET.INTEGER, [P, A, ARG.PTR_TO_UNINIT_MEM, ARG.CONST_SIZE]), fn: skbLoadBytes },
  { proto: proto(BPF_FUNC.csum_diff, RET.INTEGER, [ARG.PTR_TO_MEM_OR_NULL, ARG.CONST_SIZE_OR_ZERO, ARG.PTR_TO_MEM_OR_NULL, ARG.CONST_SIZE_OR_ZERO, A]), fn: csumDiff },
  { proto: proto(BPF_FUNC.skb_change_type, RET.INTEGER, [P, A]), fn: skbChangeType },
  { proto: proto(BPF_FUNC.skb_change_tail, RET.INTEGER, [P, A, A], { changesPktData: true }), fn: skbChangeTail },
  { proto: proto(BPF_FUNC.skb_pull_data, RET.INTEGER, [P, A], { changesPktData: true }), fn: skbPullData },
  { proto: proto(BPF_FUNC.csum_update, RET.INTEGER, [P, A]), fn: csumUpdate },
  { proto: proto(BPF_FUNC.set_hash_invalid, RET.VOID, [P]), fn: setHashInvalid },
  { proto: proto(BPF_FUNC.set_hash, RET.INTEGER, [P, A]), fn: setHash },
  { proto: proto(BPF_FUNC.skb_load_bytes_relative, RET.INTEGER, [P, A, ARG.PTR_TO_UNINIT_MEM, ARG.CONST_SIZE, A]), fn: skbLoadBytesRelative },
  { proto: proto(BPF_FUNC.skb_ecn_set_ce, RET.INTEGER, [P]), fn: skbEcnSetCe },
  { proto: proto(BPF_FUNC.csum_level, RET.INTEGER, [P, A]), fn: csumLevel },
  { proto: proto(BPF_FUNC.redirect_peer, RET.INTEGER, [A, A]), fn: redirectPeer },
  { proto: proto(BPF_FUNC.perf_event_output, RET.INTEGER, [P, ARG.CONST_MAP_PTR, A, ARG.PTR_TO_MEM, ARG.CONST_SIZE_OR_ZERO]), fn: skbEventOutput },
  { proto: proto(BPF_FUNC.skb_change_proto, RET.INTEGER, [P, A, A], { changesPktData: true }), fn: skbChangeProto },
  { proto: proto(BPF_FUNC.skb_adjust_room, RET.INTEGER, [P, A, A, A], { changesPktData: true }), fn: skbAdjustRoom },
  { proto: proto(BPF_FUNC.skb_set_tunnel_key, RET.INTEGER, [P, ARG.PTR_TO_MEM, ARG.CONST_SIZE, A]), fn: skbSetTunnelKey },
  { proto: proto(BPF_FUNC.skb_get_tunnel_key, RET.INTEGER, [P, ARG.PTR_TO_UNINIT_MEM, ARG.CONST_SIZE, A]), fn: skbGetTunnelKey },
  { proto: proto(BPF_FUNC.skb_change_head, RET.INTEGER, [P, A, A], { changesPktData: true }), fn: skbChangeHead },
  { proto: proto(BPF_FUNC.redirect_neigh, RET.INTEGER, [A, ARG.PTR_TO_MEM_OR_NULL, ARG.CONST_SIZE_OR_ZERO, A]), fn: redirectNeigh },
  ...FIB_HELPERS,
  ...SKB_META_HELPERS,
  ...CGROUP_HELPERS,
]);
