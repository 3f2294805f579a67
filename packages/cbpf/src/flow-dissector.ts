// Models the part of net/core/flow_dissector.c (Linux 6.18) that SKF_AD_PAY_OFFSET
// uses: skb_get_poff = __skb_flow_dissect with the basic key set
// (flow_keys_basic_dissector, flags 0) followed by __skb_get_poff.
// Modelled L3: IPv4, IPv6 (+ hop-by-hop/routing/destination/fragment headers),
// 802.1Q/802.1ad (offloaded and in-band), MPLS, ARP/RARP, FCoE, IP-in-IP and
// IPv6-in-IP re-dissection. Not modelled (listed in docs/kernel-mapping.md):
// GRE, PPPoE, TIPC, batman-adv, CFM, PTP, HSR; those return 0 here.
import type { ClassicSkb } from './context.js';

const MAX_FLOW_DISSECT_HDRS = 15;
const FLOW_DIS_IS_FRAGMENT = 1;
const FLOW_DIS_FIRST_FRAG = 2;
const RET_OUT_GOOD = 0;
const RET_OUT_BAD = 1;
const RET_PROTO_AGAIN = 2;
const RET_IPPROTO_AGAIN = 3;
const RET_CONTINUE = 4;

/** Byte `off` from skb->data, or -1 when outside the linear data (__skb_header_pointer failure). */
function byteAt(skb: ClassicSkb, off: number): number {
  if (off < 0 || off >= skb.len) return -1;
  return skb.buf[skb.dataOff + off]!;
}

function has(skb: ClassicSkb, off: number, n: number): boolean {
  return off >= 0 && off + n <= skb.len;
}

function be16(skb: ClassicSkb, off: number): number {
  const b = skb.buf, o = skb.dataOff + off;
  return (b[o]! << 8) | b[o + 1]!; // network order (big-endian)
}

/**
 * SKF_AD_PAY_OFFSET: offset of the L4 payload from skb->data, or 0 when the
 * flow dissector fails. Never throws.
 */
export function skbGetPoff(skb: ClassicSkb): number {
  // an unset network header (~0U) puts every header read past the data
  if (skb.networkHeader < 0) return 0;
  let nhoff = skb.networkHeader - skb.dataOff;
  let proto = skb.vlanPresent ? skb.vlanProto : skb.protocol;
  let ipProto = 0;
  let flags = 0;
  let numHdrs = 0;
  let vlanSeen = false;
  let good = true;

  dissect: for (;;) {
    // proto_again
    let fdret = RET_CONTINUE;
    switch (proto) {
      case 0x0800: {
        if (!has(skb, nhoff, 20)) { fdret = RET_OUT_BAD; break; }
        const vihl = byteAt(skb, nhoff);
        const ihl = vihl & 0x0f;
        if (ihl < 5) { fdret = RET_OUT_BAD; break; }
        const fragOff = be16(skb, nhoff + 6);
        ipProto = byteAt(skb, nhoff + 9);
        nhoff += ihl * 4;
        if ((fragOff & 0x3fff) !== 0) {
          flags |= FLOW_DIS_IS_FRAGMENT;
          if ((fragOff & 0x1fff) !== 0) { fdret = RET_OUT_GOOD; break; }
          flags |= FLOW_DIS_FIRST_FRAG;
          fdret = RET_OUT_GOOD; // no FLOW_DISSECTOR_F_PARSE_1ST_FRAG
        }
        break;
      }
      case 0x86dd: {
        if (!has(skb, nhoff, 40)) { fdret = RET_OUT_BAD; break; }
        ipProto = byteAt(skb, nhoff + 6);
        nhoff += 40;
        break;
      }
      case 0x8100:
      case 0x88a8: {
        if (!vlanSeen && skb.vlanPresent) {
          proto = skb.protocol;
        } else {
          if (!has(skb, nhoff, 4)) { fdret = RET_OUT_BAD; break; }
          proto = be16(skb, nhoff + 2);
          nhoff += 4;
        }
        vlanSeen = true;
        fdret = RET_PROTO_AGAIN;
        break;
      }
      case 0x8847:
      case 0x8848:
        if (!has(skb, nhoff, 4)) { fdret = RET_OUT_BAD; break; }
        nhoff += 4;
        fdret = RET_OUT_GOOD;
        break;
      case 0x0806:
      case 0x8035:
        fdret = RET_OUT_GOOD;
        break;
      case 0x8906: // FCoE: FCOE_HEADER_LEN 38 against the linear length
        if (skb.len - nhoff < 38) { fdret = RET_OUT_BAD; break; }
        nhoff += 38;
        fdret = RET_OUT_GOOD;
        break;
      default:
        fdret = RET_OUT_BAD;
    }
    if (fdret === RET_OUT_GOOD) break dissect;
    if (fdret === RET_PROTO_AGAIN) {
      if (++numHdrs <= MAX_FLOW_DISSECT_HDRS) continue dissect;
      break dissect;
    }
    if (fdret === RET_OUT_BAD) { good = false; break dissect; }

    // ip_proto_again
    for (;;) {
      fdret = RET_CONTINUE;
      switch (ipProto) {
        case 0: // NEXTHDR_HOP
        case 43: // NEXTHDR_ROUTING
        case 60: {
          // NEXTHDR_DEST
          if (proto !== 0x86dd) break;
          if (!has(skb, nhoff, 2)) { fdret = RET_OUT_BAD; break; }
          const next = byteAt(skb, nhoff);
          const hlen = byteAt(skb, nhoff + 1);
          ipProto = next;
          nhoff += (hlen + 1) << 3;
          fdret = RET_IPPROTO_AGAIN;
          break;
        }
        case 44: {
          // NEXTHDR_FRAGMENT
          if (proto !== 0x86dd) break;
          if (!has(skb, nhoff, 8)) { fdret = RET_OUT_BAD; break; }
          flags |= FLOW_DIS_IS_FRAGMENT;
          ipProto = byteAt(skb, nhoff);
          const fo = be16(skb, nhoff + 2);
          nhoff += 8;
          if ((fo & 0xfff8) === 0) flags |= FLOW_DIS_FIRST_FRAG;
          fdret = RET_OUT_GOOD;
          break;
        }
        case 4: // IPPROTO_IPIP
          proto = 0x0800;
          fdret = RET_PROTO_AGAIN;
          break;
        case 41: // IPPROTO_IPV6
          proto = 0x86dd;
          fdret = RET_PROTO_AGAIN;
          break;
        case 137: // IPPROTO_MPLS
          proto = 0x8847;
          fdret = RET_PROTO_AGAIN;
          break;
        default:
          break;
      }
      if (fdret === RET_IPPROTO_AGAIN) {
        if (++numHdrs <= MAX_FLOW_DISSECT_HDRS) continue;
        break dissect;
      }
      if (fdret === RET_PROTO_AGAIN) {
        if (++numHdrs <= MAX_FLOW_DISSECT_HDRS) continue dissect;
        break dissect;
      }
      if (fdret === RET_OUT_BAD) good = false;
      break dissect;
    }
  }

  if (!good) return 0;
  // key_control->thoff = min_t(u16, nhoff, skb->len)
  let poff = Math.min(nhoff & 0xffff, skb.len & 0xffff);
  if ((flags & FLOW_DIS_IS_FRAGMENT) !== 0 && (flags & FLOW_DIS_FIRST_FRAG) === 0) return poff;
  switch (ipProto) {
    case 6: {
      const doff = byteAt(skb, poff + 12);
      if (doff < 0) return poff;
      poff += Math.max(20, (doff & 0xf0) >>> 2);
      break;
    }
    case 17: // UDP
    case 136: // UDPLITE
      poff += 8;
      break;
    case 1: // ICMP: sizeof(struct icmphdr)
      poff += 8;
      break;
    case 58: // ICMPV6: sizeof(struct icmp6hdr)
      poff += 8;
      break;
    case 2: // IGMP
      poff += 8;
      break;
    case 33: // DCCP: sizeof(struct dccp_hdr)
      poff += 12;
      break;
    case 132: // SCTP
      poff += 12;
      break;
    default:
      break;
  }
  return poff;
}
