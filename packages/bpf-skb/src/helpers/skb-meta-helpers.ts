// Models net/core/filter.c (Linux 6.18): bpf_get_hash_recalc (skb_get_hash →
// __skb_get_hash_net: flow dissection with FLOW_DISSECTOR_F_STOP_AT_FLOW_LABEL,
// __flow_hash_consistentify, __skb_set_sw_hash), bpf_skb_set_tstamp,
// bpf_skb_get_tunnel_opt and bpf_skb_set_tunnel_opt (with
// include/net/ip_tunnels.h ip_tunnel_info_opts_set/get and the
// IP_TUNNEL_*_OPT_BIT "options present" flags). Per-packet paths allocate
// nothing and never throw.
//
// The flow hash: the kernel keys siphash with a random per-boot secret
// (hashrnd), so its values cannot be reproduced; tcbpf hashes the same
// dissected fields with a keyed mix seeded per SkbRunState, so which packets
// share a hash (same flow, either direction) is what the kernel gives.
import { HELPER_CTRL, ARG, RET, proto, type HelperDef, type HelperEnv } from '@tcbpf/ebpf';
import { type SkBuff } from '@tcbpf/skb';
import { BPF_FUNC, BPF_SKB_TSTAMP } from '@tcbpf/uapi';
import { SkbRunState } from '../skb-run-state.js';
import { argHi, argLo, memIdx, setR0, setR0u32 } from './helper-call.js';

const EINVAL = -22;
const ENOENT = -2;
const ENOMEM = -12;
const EOPNOTSUPP = -95;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
/** IP_TUNNEL_OPTS_MAX: options_len is a u8. */
const IP_TUNNEL_OPTS_MAX = 255;
/** ip_tunnel_set_options_present: GENEVE_OPT, VXLAN_OPT, ERSPAN_OPT and GTP_OPT bits. */
const TUNNEL_OPTIONS_PRESENT = (1 << 11) | (1 << 12) | (1 << 14) | (1 << 15);


// ---- flow hash ----

/** One round of a 32-bit keyed mix (murmur3-style finaliser steps). */
function mix(h: number, k: number): number {
  let x = Math.imul(k, 0xcc9e2d51);
  x = (x << 15) | (x >>> 17);
  x = Math.imul(x, 0x1b873593);
  h ^= x;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Do the addresses at [a, a+n) sort before those at [b, b+n) as the kernel's u32 compares of big-endian words do? Returns <0, 0, >0. */
function cmpAddr(buf: Uint8Array, a: number, b: number, n: number): number {
  for (let i = 0; i < n; i++) {
    const d = buf[a + i]! - buf[b + i]!;
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * __skb_get_hash: dissect the frame (VLAN tags, IPv4/IPv6 addresses and
 * protocol, ports of TCP/UDP/UDP-Lite/SCTP/DCCP, the SPI of ESP/AH, the IPv6 flow label which stops dissection), order the
 * address pair and the port pair (__flow_hash_consistentify), hash them with `seed` and store a
 * software hash (l4 when ports or a flow label were found).
 */
function skbComputeHash(skb: SkBuff, seed: number): void {
  const b = skb.buf;
  const v = skb.view;
  const end = skb.dataOff + skb.len;
  let proto = skb.protocol & 0xffff;
  let off = skb.networkHeader >= 0 ? skb.networkHeader : skb.dataOff;
  let h = seed | 0;
  if (skb.vlanPresent) h = mix(h, ((skb.vlanProto & 0xffff) << 16) | (skb.vlanTci & 0x0fff));
  // in-band VLAN tags (the first one is what the dissector keeps)
  let tags = 0;
  while ((proto === 0x8100 || proto === 0x88a8) && off + 4 <= end && tags < 8) {
    if (tags === 0 && !skb.vlanPresent) h = mix(h, (proto << 16) | (v.getUint16(off, false) & 0x0fff));
    proto = v.getUint16(off + 2, false);
    off += 4;
    tags++;
  }
  h = mix(h, proto);
  let ipProto = 0;
  let ports = 0;
  let label = 0;
  let aOff = -1;
  let alen = 0;
  let th = -1;
  if (proto === ETH_P_IP && off + 20 <= end && (b[off]! >>> 4) === 4 && (b[off]! & 0x0f) >= 5) {
    const ihl = (b[off]! & 0x0f) * 4;
    ipProto = b[off + 9]!;
    aOff = off + 12;
    alen = 4;
    const frag = v.getUint16(off + 6, false) & 0x3fff; // MF or offset: no ports
    if (frag === 0 && off + ihl <= end) th = off + ihl;
  } else if (proto === ETH_P_IPV6 && off + 40 <= end && (b[off]! >>> 4) === 6) {
    ipProto = b[off + 6]!;
    aOff = off + 8;
    alen = 16;
    label = v.getUint32(off, false) & 0xfffff;
    if (label === 0) th = off + 40;
  }
  if (th >= 0) {
    if (ipProto === 6 || ipProto === 17 || ipProto === 136 || ipProto === 132 || ipProto === 33 || ipProto === 50) {
      if (th + 4 <= end) ports = v.getUint32(th, false);
    } else if (ipProto === 51) {
      if (th + 8 <= end) ports = v.getUint32(th + 4, false);
    }
    // (ICMP type, code and echo id do not enter the hash: checked against the kernel)
  }
  h = mix(h, ipProto | (label << 8));
  if (aOff >= 0) {
    // __flow_hash_consistentify: addresses and ports are each put in order, independently
    const swap = cmpAddr(b, aOff + alen, aOff, alen) < 0;
    const first = swap ? aOff + alen : aOff;
    const second = swap ? aOff : aOff + alen;
    for (let i = 0; i < alen; i += 4) h = mix(h, v.getUint32(first + i, false));
    for (let i = 0; i < alen; i += 4) h = mix(h, v.getUint32(second + i, false));
    const sp = ports >>> 16;
    const dp = ports & 0xffff;
    h = mix(h, dp < sp ? ((dp << 16) | sp) : ports);
  }
  let hash = fmix(h ^ (alen * 2 + 8));
  if (hash === 0) hash = 1;
  skb.setHash(hash, ports !== 0 || label !== 0, true);
}

/** bpf_get_hash_recalc(skb): skb_get_hash. */
function getHashRecalc(env: HelperEnv): number {
  const s = env.runCtx;
  if (!(s instanceof SkbRunState)) return HELPER_CTRL.FAULT;
  s.ctx.store();
  const skb = s.ctx.skb;
  if (!skb.l4Hash && !skb.swHash) skbComputeHash(skb, s.flowHashSeed());
  s.ctx.load();
  return setR0u32(env, skb.hash);
}

/** bpf_skb_set_tstamp(skb, tstamp, tstamp_type) */
function skbSetTstamp(env: HelperEnv): number {
  const s = env.runCtx;
  if (!(s instanceof SkbRunState)) return HELPER_CTRL.FAULT;
  s.ctx.store();
  const skb = s.ctx.skb;
  const p = skb.protocol & 0xffff;
  if (p !== ETH_P_IP && p !== ETH_P_IPV6) return setR0(env, EOPNOTSUPP);
  const lo = argLo(env, 2) >>> 0;
  const hi = argHi(env, 2) >>> 0;
  const tstamp = hi * 0x100000000 + lo;
  const zero = lo === 0 && hi === 0;
  switch (argLo(env, 3)) { // u32 tstamp_type: the upper half is not seen
    case BPF_SKB_TSTAMP.UNSPEC:
      skb.tstamp = tstamp;
      skb.tstampType = BPF_SKB_TSTAMP.UNSPEC;
      break;
    case BPF_SKB_TSTAMP.CLOCK_MONOTONIC:
    case BPF_SKB_TSTAMP.CLOCK_TAI:
      if (zero) return setR0(env, EINVAL);
      skb.tstamp = tstamp;
      skb.tstampType = argLo(env, 3);
      break;
    default:
      return setR0(env, EINVAL);
  }
  s.ctx.load();
  return setR0(env, 0);
}

/** bpf_skb_get_tunnel_opt(skb, to, size) */
function skbGetTunnelOpt(env: HelperEnv): number {
  const s = env.runCtx;
  if (!(s instanceof SkbRunState)) return HELPER_CTRL.FAULT;
  const size = argLo(env, 3) >>> 0;
  const idx = memIdx(env, argHi(env, 2), argLo(env, 2), size);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const to = env.kernel.mem.region(idx)!.bytes;
  const off = argLo(env, 2) >>> 0;
  const info = s.tunnels.get(s.ctx.skb);
  const opts = info === undefined ? undefined : s.tunnelOpts.get(info);
  if (info === undefined || opts === undefined || (info.flags & TUNNEL_OPTIONS_PRESENT) === 0) {
    to.fill(0, off, off + size);
    return setR0(env, ENOENT);
  }
  if (size < opts.len) {
    to.fill(0, off, off + size);
    return setR0(env, ENOMEM);
  }
  const ob = opts.bytes;
  for (let i = 0; i < opts.len; i++) to[off + i] = ob[i]!;
  to.fill(0, off + opts.len, off + size);
  return setR0(env, opts.len);
}

/** bpf_skb_set_tunnel_opt(skb, from, size): only on the metadata bpf_skb_set_tunnel_key attached. */
function skbSetTunnelOpt(env: HelperEnv): number {
  const s = env.runCtx;
  if (!(s instanceof SkbRunState)) return HELPER_CTRL.FAULT;
  const size = argLo(env, 3) >>> 0;
  const idx = memIdx(env, argHi(env, 2), argLo(env, 2), size);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const info = s.tunnels.get(s.ctx.skb);
  if (info === undefined || (size & 3) !== 0) return setR0(env, EINVAL);
  if (size > IP_TUNNEL_OPTS_MAX) return setR0(env, ENOMEM);
  const off = argLo(env, 2) >>> 0;
  // ip_tunnel_info_opts_set: options_len = size; bytes and the present flags only when size > 0
  let opts = s.tunnelOpts.get(info);
  if (opts === undefined) {
    opts = { bytes: new Uint8Array(IP_TUNNEL_OPTS_MAX), len: 0 }; // once per metadata dst
    s.tunnelOpts.set(info, opts);
  }
  opts.len = size;
  if (size > 0) {
    const from = env.kernel.mem.region(idx)!.bytes;
    for (let i = 0; i < size; i++) opts.bytes[i] = from[off + i]!;
    info.flags |= TUNNEL_OPTIONS_PRESENT;
  }
  return setR0(env, 0);
}

const P = ARG.PTR_TO_CTX;
const A = ARG.ANYTHING;

/** bpf_get_hash_recalc, bpf_skb_set_tstamp, bpf_skb_get/set_tunnel_opt for SCHED_CLS/SCHED_ACT. */
export const SKB_META_HELPERS: readonly HelperDef[] = Object.freeze([
  { proto: proto(BPF_FUNC.get_hash_recalc, RET.INTEGER, [P]), fn: getHashRecalc },
  { proto: proto(BPF_FUNC.skb_set_tstamp, RET.INTEGER, [P, A, A]), fn: skbSetTstamp },
  { proto: proto(BPF_FUNC.skb_get_tunnel_opt, RET.INTEGER, [P, ARG.PTR_TO_UNINIT_MEM, ARG.CONST_SIZE]), fn: skbGetTunnelOpt },
  { proto: proto(BPF_FUNC.skb_set_tunnel_opt, RET.INTEGER, [P, ARG.PTR_TO_MEM, ARG.CONST_SIZE]), fn: skbSetTunnelOpt },
]);
