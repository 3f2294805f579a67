// Models the IPv4 receive and forward path of Linux 6.18 for the scenario
// kernel, over @tcbpf/skb's routing model (NetNamespace.fib):
// net/ipv4/ip_input.c (ip_rcv_core: PACKET_OTHERHOST, header, checksum and
// length checks, the trim to tot_len; ip_rcv_finish_core), net/ipv4/route.c
// (ip_route_input_slow: martian sources/destinations, broadcast and local
// input, no route / forwarding off → ip_error and its drop reasons),
// net/ipv4/ip_forward.c (ip_forward: pkt_type, TTL, MTU with DF,
// ip_decrease_ttl's incremental checksum, ip_fwd_update_priority's
// rt_tos2priority) and net/ipv4/ip_output.c + net/core/neighbour.c
// (ip_finish_output2 → neigh_output: the Ethernet header from the neighbour
// entry, NOARP devices use their own address), then dev_queue_xmit on the
// output device (its egress hook, qdisc and driver).
// Not modelled (docs/kernel-mapping.md): ICMP errors (time exceeded,
// unreachable, redirects), ARP resolution (an unresolved neighbour drops the
// packet), fragmentation, rp_filter/source validation, IP options, sockets.
// Per packet: no allocation, never throws.
import { AF, IFF, NUD, RTN } from '@tcbpf/uapi';
import { FIB_TYPE_ERROR, type FibRoute, type NetDevice, type NetNamespace, type SkBuff } from '@tcbpf/skb';

/** SKB_DROP_REASON_* names (without the prefix) the IPv4 path reports. */
export type Ipv4DropReason =
  | 'OTHERHOST' | 'IP_INHDR' | 'IP_CSUM' | 'PKT_TOO_SMALL' | 'IP_INVALID_SOURCE' | 'IP_INVALID_DEST'
  | 'IP_LOCALNET' | 'IP_INADDRERRORS' | 'IP_INNOROUTES' | 'NOT_SPECIFIED' | 'PKT_TOO_BIG' | 'NEIGH_FAILED';

/** Where the IPv4 path hands packets (the scenario's counters and trace). */
export interface Ipv4Sink {
  /** ip_local_deliver: the packet is for this host (local, broadcast or joined multicast). */
  deliver(skb: SkBuff, dev: NetDevice): void;
  /** ip_forward decided: `skb` (TTL decremented) leaves through `out`; called before dev_queue_xmit. */
  forward(skb: SkBuff, dev: NetDevice, out: NetDevice, route: FibRoute): void;
  /** kfree_skb_reason on the IPv4 path. */
  drop(skb: SkBuff, dev: NetDevice, reason: Ipv4DropReason): void;
}

const ETH_P_IP = 0x0800;
const ETH_HLEN = 14;
const PACKET_HOST = 0;
const PACKET_OTHERHOST = 3;
/** ip_tos2prio (net/ipv4/route.c): TC_PRIO_* by IPTOS_TOS(tos) >> 1. */
const IP_TOS2PRIO = Object.freeze([0, 0, 0, 0, 2, 2, 2, 2, 6, 6, 6, 6, 4, 4, 4, 4] as const);

/**
 * The IPv4 layer of one namespace: `rcv` is ip_rcv for a packet that passed
 * the ingress hook (data at the network header, protocol ETH_P_IP).
 */
export class Ipv4Input {
  readonly ns: NetNamespace;
  readonly #sink: Ipv4Sink;
  /** net.ipv4.ip_forward_update_priority (default 1). */
  fwdUpdatePriority = true;
  /** net.ipv4.conf.all.route_localnet (default 0). */
  routeLocalnet = false;

  constructor(ns: NetNamespace, sink: Ipv4Sink) {
    this.ns = ns;
    this.#sink = sink;
  }

  /** ip_rcv → ip_rcv_finish → the route's input (deliver, forward or ip_error). Never throws. */
  rcv(skb: SkBuff, dev: NetDevice): void {
    const sink = this.#sink;
    // ip_rcv_core
    if (skb.pktType === PACKET_OTHERHOST) return sink.drop(skb, dev, 'OTHERHOST');
    if (skb.len < 20) return sink.drop(skb, dev, 'IP_INHDR');
    const v = skb.view;
    const nh = skb.dataOff;
    const verIhl = v.getUint8(nh);
    const ihl = (verIhl & 0x0f) * 4;
    if ((verIhl >>> 4) !== 4 || ihl < 20) return sink.drop(skb, dev, 'IP_INHDR');
    if (skb.len < ihl) return sink.drop(skb, dev, 'IP_INHDR');
    // ip_fast_csum: the ones' complement sum of the header (big-endian words) must be 0xffff
    let sum = 0;
    for (let i = 0; i < ihl; i += 2) sum += v.getUint16(nh + i, false);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    if (sum !== 0xffff) return sink.drop(skb, dev, 'IP_CSUM');
    const totLen = v.getUint16(nh + 2, false); // network order
    if (skb.len < totLen) return sink.drop(skb, dev, 'PKT_TOO_SMALL');
    if (totLen < ihl) return sink.drop(skb, dev, 'IP_INHDR');
    skb.trim(totLen); // pskb_trim_rcsum: the Ethernet padding goes
    skb.transportHeader = nh + ihl;

    // ip_route_input_slow (ip_route_input_rcu for multicast)
    const saddr = v.getUint32(nh + 12, false);
    const daddr = v.getUint32(nh + 16, false);
    if (daddr >>> 28 === 0xe) {
      // only the all-hosts group is joined (ip_mc_up); no multicast forwarding
      if (daddr === 0xe0000001) return sink.deliver(skb, dev);
      return sink.drop(skb, dev, 'NOT_SPECIFIED');
    }
    if (saddr >>> 28 === 0xe || saddr === 0xffffffff) return sink.drop(skb, dev, 'IP_INVALID_SOURCE');
    if (daddr === 0xffffffff || (saddr === 0 && daddr === 0)) return sink.deliver(skb, dev); // brd_input
    if (saddr >>> 24 === 0) return sink.drop(skb, dev, 'IP_INVALID_SOURCE');
    if (daddr >>> 24 === 0) return sink.drop(skb, dev, 'IP_INVALID_DEST');
    if (daddr >>> 24 === 127) {
      if (!this.routeLocalnet) return sink.drop(skb, dev, 'IP_INVALID_DEST');
    } else if (saddr >>> 24 === 127 && !this.routeLocalnet) return sink.drop(skb, dev, 'IP_INVALID_SOURCE');
    const fib = this.ns.fib;
    const fwd = fib.forwarding(AF.INET, dev);
    const r = fib.lookup(AF.INET, skb.buf, nh + 16, 0, -1);
    if (r === null) return sink.drop(skb, dev, fwd ? 'IP_INNOROUTES' : 'IP_INADDRERRORS'); // -ENETUNREACH
    const typeErr = FIB_TYPE_ERROR[r.type] ?? 0;
    if (typeErr !== 0) {
      // no_route → ip_error: only ENETUNREACH / EHOSTUNREACH without forwarding have reasons
      if (!fwd) return sink.drop(skb, dev, 'IP_INADDRERRORS');
      return sink.drop(skb, dev, 'NOT_SPECIFIED');
    }
    if (r.type === RTN.BROADCAST || r.type === RTN.LOCAL) return sink.deliver(skb, dev);
    if (!fwd) return sink.drop(skb, dev, 'IP_INADDRERRORS'); // -EHOSTUNREACH
    if (r.type !== RTN.UNICAST) return sink.drop(skb, dev, 'IP_INVALID_DEST');
    const out = r.dev;
    if (out === null) return sink.drop(skb, dev, 'IP_INNOROUTES');
    this.#forward(skb, dev, r, out, nh);
  }

  /** ip_forward → ip_forward_finish → ip_output → ip_finish_output2 → neigh_output. */
  #forward(skb: SkBuff, dev: NetDevice, r: FibRoute, out: NetDevice, nh: number): void {
    const sink = this.#sink;
    const v = skb.view;
    if (skb.pktType !== PACKET_HOST) return sink.drop(skb, dev, 'NOT_SPECIFIED');
    const ttl = v.getUint8(nh + 8);
    if (ttl <= 1) return sink.drop(skb, dev, 'IP_INHDR'); // too_many_hops (the ICMP error is not sent)
    const mtu = this.ns.fib.routeMtu(r);
    // ip_exceeds_mtu with DF; without DF the kernel would fragment (not modelled: dropped too)
    if (skb.len > mtu) return sink.drop(skb, dev, 'PKT_TOO_BIG');
    // the neighbour of the nexthop (gateway, else the destination)
    const gw = r.gatewayFamily === AF.INET ? r.gateway : null;
    const nb = gw !== null ? this.ns.fib.neighbour(AF.INET, out, gw, 0) : this.ns.fib.neighbour(AF.INET, out, skb.buf, nh + 16);
    let lladdr: Uint8Array | null = null;
    if (nb !== undefined && (nb.state & NUD.VALID) !== 0) lladdr = nb.lladdr;
    else if (nb === undefined && (out.flags & (IFF.NOARP | IFF.LOOPBACK)) !== 0) lladdr = out.addr; // arp_constructor: NUD_NOARP
    if (lladdr === null) return sink.drop(skb, dev, 'NEIGH_FAILED'); // ARP resolution is not modelled
    // ip_decrease_ttl: checksum += htons(0x0100) with end-around carry, then --ttl
    let check = v.getUint16(nh + 10, false) + 0x0100;
    check = (check + (check >>> 16)) & 0xffff;
    v.setUint16(nh + 10, check, false);
    v.setUint8(nh + 8, ttl - 1);
    if (this.fwdUpdatePriority) skb.priority = IP_TOS2PRIO[(v.getUint8(nh + 1) & 0x1e) >>> 1]!;
    sink.forward(skb, dev, out, r);
    // neigh_hh_output: the hardware header in front of the network header
    if (skb.headroom() < ETH_HLEN) return sink.drop(skb, dev, 'NOT_SPECIFIED');
    const mac = skb.push(ETH_HLEN);
    skb.buf.set(lladdr, mac);
    skb.buf.set(out.addr, mac + 6);
    v.setUint16(mac + 12, ETH_P_IP, false);
    skb.setDev(out);
    skb.protocol = ETH_P_IP;
    skb.pktType = PACKET_HOST;
    out.ns.devQueueXmit(skb);
  }
}
