// Models net/sched/act_csum.c (Linux 6.18): recompute the IPv4 header checksum
// and the ICMP/TCP/UDP checksums (IPv4; TCP/UDP/ICMPv6 directly after an IPv6
// header) selected by update_flags. A packet too short for the headers it
// claims is dropped (SHOT, drops++); fragments other than the first are left.
import { kerr } from '@tcbpf/base';
import { csumFold, csumPartial, ipv4HeaderChecksum, l4ChecksumV4, l4ChecksumV6 } from '@tcbpf/skb';
import { TCA_CSUM, TCA_CSUM_UPDATE_FLAG, TCA_ID, TC_ACT, TC_CSUM_SIZE } from '@tcbpf/uapi';
import { tcfActionCheckCtrlact, tcfActionSetCtrlact, tcfIdrCheck, tcfIdrCreate, type TcAction, type TcActionInitArgs, type TcActionOps } from './act-api.js';
import type { TcfResult, TcSkb } from './sch-generic.js';
import type { NlWriter } from './nlattr.js';


/** struct tcf_csum_params. */
export interface CsumParams {
  readonly updateFlags: number;
}

function csumInit(args: TcActionInitArgs): TcAction {
  const tb = args.parse(TCA_CSUM.MAX);
  if (!tb) throw kerr('EINVAL');
  if (tb.has(TCA_CSUM.PARMS) && tb.len(TCA_CSUM.PARMS) < TC_CSUM_SIZE) throw kerr('ERANGE');
  if (!tb.has(TCA_CSUM.PARMS)) throw kerr('EINVAL');
  const d = tb.data(TCA_CSUM.PARMS);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const index = v.getUint32(0, true);
  const action = v.getInt32(8, true);
  const updateFlags = v.getUint32(20, true);
  const existing = tcfIdrCheck(args.net, 'csum', index);
  if (existing && args.bind) {
    existing.refcnt++;
    existing.bindcnt++;
    return existing;
  }
  if (existing && !args.replace) throw kerr('EEXIST');
  const chain = tcfActionCheckCtrlact(action, args.tp);
  const a = existing ?? tcfIdrCreate(csumOps, args.net, index, args.bind);
  tcfActionSetCtrlact(a, action, args.tp, chain);
  a.params = { updateFlags } satisfies CsumParams;
  return a;
}

function put16be(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

/** tcf_csum_ipv4: false = drop. */
function csumIpv4(skb: TcSkb, nh: number, flags: number): boolean {
  const b = skb.buf;
  const end = skb.dataOff + skb.len;
  if (nh + 20 > end) return false;
  const ihl = (b[nh]! & 0x0f) * 4;
  const totLen = (b[nh + 2]! << 8) | b[nh + 3]!;
  const fragOff = ((b[nh + 6]! << 8) | b[nh + 7]!) & 0x1fff;
  const proto = fragOff ? 0 : b[nh + 9]!;
  const l4 = nh + ihl;
  const l4len = totLen - ihl;
  // tcf_csum_skb_nextlayer: the whole datagram must be there and the L4 header fit
  const nextlayer = (jhl: number): boolean => nh + totLen <= end && totLen >= ihl + jhl;
  if (proto === 1 && flags & TCA_CSUM_UPDATE_FLAG.ICMP) {
    if (!nextlayer(8)) return false;
    b[l4 + 2] = b[l4 + 3] = 0;
    const c = csumFold(csumPartial(b, l4, l4len, 0));
    b[l4 + 2] = c & 0xff;
    b[l4 + 3] = c >>> 8;
  } else if (proto === 6 && flags & TCA_CSUM_UPDATE_FLAG.TCP) {
    if (!nextlayer(20)) return false;
    put16be(b, l4 + 16, l4ChecksumV4(b, nh, l4, l4len, 6, 16));
  } else if (proto === 17 && flags & TCA_CSUM_UPDATE_FLAG.UDP) {
    if (!nextlayer(8)) return false;
    const check = (b[l4 + 6]! << 8) | b[l4 + 7]!;
    const ul = (b[l4 + 4]! << 8) | b[l4 + 5]!;
    // only a UDP checksum that is in use, over a well-formed length
    if (check !== 0 && ul === l4len && ul >= 8) {
      let c = l4ChecksumV4(b, nh, l4, ul, 17, 6);
      if (c === 0) c = 0xffff; // CSUM_MANGLED_0
      put16be(b, l4 + 6, c);
    }
  }
  if (flags & TCA_CSUM_UPDATE_FLAG.IPV4HDR) put16be(b, nh + 10, ipv4HeaderChecksum(b, nh));
  return true;
}

/** tcf_csum_ipv6 (no extension-header walk: the next header must be the L4 one). */
function csumIpv6(skb: TcSkb, nh: number, flags: number): boolean {
  const b = skb.buf;
  const end = skb.dataOff + skb.len;
  if (nh + 40 > end) return false;
  const plen = (b[nh + 4]! << 8) | b[nh + 5]!;
  const next = b[nh + 6]!;
  const l4 = nh + 40;
  if (l4 + plen > end) return false;
  if (next === 6 && flags & TCA_CSUM_UPDATE_FLAG.TCP) {
    if (plen < 20) return false;
    put16be(b, l4 + 16, l4ChecksumV6(b, nh, l4, plen, 6, 16));
  } else if (next === 17 && flags & TCA_CSUM_UPDATE_FLAG.UDP) {
    if (plen < 8) return false;
    let c = l4ChecksumV6(b, nh, l4, plen, 17, 6);
    if (c === 0) c = 0xffff;
    put16be(b, l4 + 6, c);
  } else if (next === 58 && flags & TCA_CSUM_UPDATE_FLAG.ICMP) {
    if (plen < 8) return false;
    put16be(b, l4 + 2, l4ChecksumV6(b, nh, l4, plen, 58, 2));
  }
  return true;
}

/** tcf_csum_act. Hot path. */
function csumAct(skb: TcSkb, a: TcAction, _res: TcfResult): number {
  a.use(skb);
  let action = a.tcfaAction;
  if (action === TC_ACT.SHOT) {
    a.stats.drops++;
    return TC_ACT.SHOT;
  }
  const flags = (a.params as CsumParams).updateFlags;
  const proto = skb.protocol;
  // the network header: as set by the stack, else right after the MAC header
  const nh = skb.networkHeader >= 0 ? skb.networkHeader : skb.dataOff + (a.net.atIngress ? 0 : 14);
  let ok = true;
  if (proto === 0x0800) ok = csumIpv4(skb, nh, flags);
  else if (proto === 0x86dd) ok = csumIpv6(skb, nh, flags);
  if (!ok) {
    a.stats.drops++;
    action = TC_ACT.SHOT;
  }
  return action;
}

function csumDump(w: NlWriter, a: TcAction): void {
  const o = w.attrReserve(TCA_CSUM.PARMS, TC_CSUM_SIZE);
  a.dumpGen(w, o);
  w.setU32(o + 20, (a.params as CsumParams).updateFlags);
  a.dumpTm(w, TCA_CSUM.TM);
}

/** act_csum ops. */
export const csumOps: TcActionOps = Object.freeze({
  kind: 'csum',
  id: TCA_ID.CSUM,
  init: csumInit,
  act: csumAct,
  dump: csumDump,
} satisfies TcActionOps);
