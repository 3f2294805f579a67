// Models net/core/filter.c (Linux 6.18): bpf_skb_fib_lookup with
// bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup / bpf_fib_set_fwd_params, and
// bpf_skb_check_mtu (with __dev_via_ifindex, is_skb_forwardable,
// skb_gso_validate_network_len), against the routing model of @tcbpf/skb
// (NetNamespace.fib). Per-packet paths allocate nothing and never throw.
import { ARG, HELPER_CTRL, RET, proto, type HelperDef, type HelperEnv } from '@tcbpf/ebpf';
import { FIB_TYPE_ERROR, type NetDevice, type NetNamespace, type SkBuff } from '@tcbpf/skb';
import { AF, BPF_FIB_LKUP_RET as FR, BPF_FIB_LOOKUP as FL, BPF_FIB_LOOKUP_OFF as O, BPF_FUNC, BPF_MTU_CHK, NUD, RTN, RT_TABLE } from '@tcbpf/uapi';
import { SkbRunState } from '../skb-run-state.js';
import { argHi, argLo, memIdx, setR0 } from './helper-call.js';

const EINVAL = -22;
const ENODEV = -19;
const EAFNOSUPPORT = -97;
const FIB_LOOKUP_MASK = FL.DIRECT | FL.OUTPUT | FL.SKIP_NEIGH | FL.TBID | FL.SRC | FL.MARK;

/** dev_net(skb->dev), or the runner's namespace. */
function netOf(s: SkbRunState): NetNamespace | undefined {
  return s.ctx.skb.dev?.ns ?? s.ns;
}

/** is_skb_forwardable(dev, skb) (net/core/dev.c). */
function isSkbForwardable(dev: NetDevice, skb: SkBuff): boolean {
  if (!dev.isUp()) return false;
  if (skb.len <= dev.mtu + dev.hardHeaderLen + 4) return true;
  return skb.gsoSize !== 0;
}

/** rt6_need_strict: ipv6_addr_type() has MULTICAST, LINKLOCAL or LOOPBACK. */
function needStrict6(b: Uint8Array, off: number): boolean {
  const b0 = b[off]!;
  if (b0 === 0xff) return true;
  if (b0 === 0xfe && (b[off + 1]! & 0xc0) === 0x80) return true;
  for (let i = 0; i < 15; i++) if (b[off + i] !== 0) return false;
  return b[off + 15] === 1;
}

/** bpf_fib_set_fwd_params */
function setFwdParams(v: DataView, p: number, mtu: number): number {
  v.setUint16(p + O.h_vlan_TCI, 0, true);
  v.setUint16(p + O.h_vlan_proto, 0, true);
  if (mtu !== 0) v.setUint16(p + O.tot_len, mtu & 0xffff, true);
  return FR.SUCCESS;
}

/** bpf_ipv4_fib_lookup / bpf_ipv6_fib_lookup on `params` at bytes[p..p+64). */
function fibLookup(ns: NetNamespace, b: Uint8Array, v: DataView, p: number, flags: number, checkMtu: boolean, v6: boolean): number {
  const fib = ns.fib;
  const family = v6 ? AF.INET6 : AF.INET;
  // link-local, multicast and loopback addresses are never forwarded (rt6_need_strict on dst and src)
  if (v6 && (needStrict6(b, p + O.ipv6_dst) || needStrict6(b, p + O.ipv6_src))) return FR.NOT_FWDED;
  const ifindex = v.getUint32(p + O.ifindex, true);
  let dev = ns.getByIndex(ifindex);
  if (dev === undefined) return ENODEV;
  if (!fib.forwarding(family, dev)) return FR.FWD_DISABLED;
  // IPv4 takes only nexthops on the output device; IPv6 passes ifindex as oif (input or output) to rank routes
  const oif = v6 || (flags & FL.OUTPUT) !== 0 ? ifindex : 0;
  let table = -1;
  if ((flags & FL.DIRECT) !== 0) {
    table = RT_TABLE.MAIN;
    if ((flags & FL.TBID) !== 0) {
      table = v.getUint32(p + O.tbid, true);
      v.setUint32(p + O.tbid, 0, true); // zeroed for the vlan output
    }
    if (!fib.hasTable(family, table)) return FR.NOT_FWDED;
  }
  // (BPF_FIB_LOOKUP_MARK only matters to policy rules, which are not modelled)
  const r = fib.lookup(family, b, p + O.ipv4_dst, oif, table);
  if (r === null) return FR.NOT_FWDED;
  const err = FIB_TYPE_ERROR[r.type];
  if (err !== undefined) {
    if (r.type === RTN.BLACKHOLE) return FR.BLACKHOLE;
    if (r.type === RTN.UNREACHABLE) return FR.UNREACHABLE;
    if (r.type === RTN.PROHIBIT) return FR.PROHIBIT;
    return FR.NOT_FWDED;
  }
  if (r.type !== RTN.UNICAST || r.dev === null) return FR.NOT_FWDED;
  let mtu = 0;
  if (checkMtu) {
    mtu = fib.routeMtu(r);
    if (v.getUint16(p + O.tot_len, true) > mtu) {
      v.setUint16(p + O.tot_len, mtu & 0xffff, true);
      return FR.FRAG_NEEDED;
    }
  }
  dev = r.dev;
  v.setUint32(p + O.tos, r.metric >>> 0, true); // rt_metric
  v.setUint32(p + O.ifindex, dev.ifindex, true);
  if (!v6) {
    if ((flags & FL.SRC) !== 0) fib.preferredSource(r, b, p + O.ipv4_dst, b, p + O.ipv4_src);
    if (r.gatewayFamily === AF.INET) b.set(r.gateway!, p + O.ipv4_dst);
    else if (r.gatewayFamily === AF.INET6) {
      b[p + O.family] = AF.INET6;
      b.set(r.gateway!, p + O.ipv6_dst);
    }
  } else {
    if (r.gateway !== null) b.set(r.gateway, p + O.ipv6_dst);
    if ((flags & FL.SRC) !== 0 && !fib.preferredSource(r, b, p + O.ipv6_dst, b, p + O.ipv6_src)) return FR.NO_SRC_ADDR;
  }
  if ((flags & FL.SKIP_NEIGH) !== 0) return setFwdParams(v, p, mtu);
  const nfam = v6 || r.gatewayFamily === AF.INET6 ? AF.INET6 : AF.INET;
  const n = fib.neighbour(nfam, dev, b, p + O.ipv4_dst);
  if (n === undefined || (n.state & NUD.VALID) === 0) return FR.NO_NEIGH;
  if (n.lladdr !== null) b.set(n.lladdr, p + O.dmac);
  else b.fill(0, p + O.dmac, p + O.dmac + 6);
  b.set(dev.addr, p + O.smac);
  return setFwdParams(v, p, mtu);
}

/** bpf_fib_lookup(skb, params, plen, flags) */
function skbFibLookup(env: HelperEnv): number {
  const s = env.runCtx;
  if (!(s instanceof SkbRunState)) return HELPER_CTRL.FAULT;
  const plen = argLo(env, 3);
  const idx = memIdx(env, argHi(env, 2), argLo(env, 2), plen);
  if (idx < 0) return HELPER_CTRL.FAULT;
  if (plen < O.SIZE) return setR0(env, EINVAL);
  if ((argLo(env, 4) & ~FIB_LOOKUP_MASK) !== 0) return setR0(env, EINVAL); // u32 flags: the upper half is not seen
  const flags = argLo(env, 4);
  const region = env.kernel.mem.region(idx)!;
  const b = region.bytes;
  const v = region.view;
  const p = argLo(env, 2) >>> 0;
  const checkMtu = v.getUint16(p + O.tot_len, true) !== 0;
  const ns = netOf(s);
  const family = b[p + O.family];
  let rc = EAFNOSUPPORT;
  if (ns !== undefined && (family === AF.INET || family === AF.INET6)) rc = fibLookup(ns, b, v, p, flags, checkMtu, family === AF.INET6);
  if (rc === FR.SUCCESS && !checkMtu && ns !== undefined) {
    // without tot_len, the skb itself is checked against the MTU of the resulting device
    const dev = ns.getByIndex(v.getUint32(p + O.ifindex, true))!;
    if (!isSkbForwardable(dev, s.ctx.skb)) rc = FR.FRAG_NEEDED;
    v.setUint16(p + O.tot_len, dev.mtu & 0xffff, true);
  }
  return setR0(env, rc);
}

/** skb_gso_validate_network_len(skb, mtu) for skbs without a GSO type (skb_gso_transport_seglen is then gso_size). */
function gsoNetworkLenOk(skb: SkBuff, mtu: number): boolean {
  const seglen = skb.gsoSize + (skb.transportHeader - skb.networkHeader);
  return seglen <= mtu;
}

/** bpf_check_mtu(skb, ifindex, *mtu_len, len_diff, flags) */
function skbCheckMtu(env: HelperEnv): number {
  const s = env.runCtx;
  if (!(s instanceof SkbRunState)) return HELPER_CTRL.FAULT;
  const idx = memIdx(env, argHi(env, 3), argLo(env, 3), 4);
  if (idx < 0) return HELPER_CTRL.FAULT;
  const region = env.kernel.mem.region(idx)!;
  const mv = region.view;
  const mp = argLo(env, 3) >>> 0;
  const skb = s.ctx.skb;
  const flagsLo = argLo(env, 5);
  if (argHi(env, 5) !== 0 || (flagsLo & ~BPF_MTU_CHK.SEGS) !== 0) return setR0(env, EINVAL);
  const lenDiff = argLo(env, 4) | 0;
  const mtuLen = mv.getUint32(mp, true);
  if ((flagsLo & BPF_MTU_CHK.SEGS) !== 0 && (lenDiff !== 0 || mtuLen !== 0)) return setR0(env, EINVAL);
  const ifindex = argLo(env, 2) >>> 0;
  let dev = skb.dev ?? undefined;
  if (ifindex !== 0) dev = netOf(s)?.getByIndex(ifindex);
  if (dev === undefined) return setR0(env, ENODEV);
  const mtu = dev.mtu;
  const devLen = (mtu + dev.hardHeaderLen) | 0;
  let skbLen = mtuLen !== 0 ? (mtuLen + dev.hardHeaderLen) | 0 : skb.len;
  skbLen = (skbLen + lenDiff) | 0;
  let ret: number = BPF_MTU_CHK.RET_FRAG_NEEDED;
  if (skbLen <= devLen) ret = BPF_MTU_CHK.RET_SUCCESS;
  else if (skb.gsoSize !== 0) {
    ret = BPF_MTU_CHK.RET_SUCCESS;
    if ((flagsLo & BPF_MTU_CHK.SEGS) !== 0) {
      // segments cannot be measured without a transport header: -EINVAL, mtu_len untouched
      if (!skb.transportHeaderWasSet()) return setR0(env, EINVAL);
      if (!gsoNetworkLenOk(skb, mtu)) ret = BPF_MTU_CHK.RET_SEGS_TOOBIG;
    }
  }
  mv.setUint32(mp, mtu >>> 0, true);
  return setR0(env, ret);
}

const P = ARG.PTR_TO_CTX;
const A = ARG.ANYTHING;

/** bpf_fib_lookup and bpf_check_mtu for SCHED_CLS/SCHED_ACT. */
export const FIB_HELPERS: readonly HelperDef[] = Object.freeze([
  { proto: proto(BPF_FUNC.fib_lookup, RET.INTEGER, [P, ARG.PTR_TO_MEM, ARG.CONST_SIZE, A], { gplOnly: true }), fn: skbFibLookup },
  { proto: proto(BPF_FUNC.check_mtu, RET.INTEGER, [P, A, ARG.PTR_TO_MEM, A, A], { gplOnly: true }), fn: skbCheckMtu },
]);
