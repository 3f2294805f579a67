// Models the wire layouts of include/uapi/linux/if_ether.h (struct ethhdr),
// if_vlan.h (struct vlan_hdr), if_arp.h (struct arphdr), ip.h (struct iphdr),
// ipv6.h (struct ipv6hdr, ipv6_opt_hdr, frag_hdr), tcp.h, udp.h, icmp.h and
// icmpv6.h (Linux 6.18): field offsets as data, a dissector, and builders that
// fill in lengths and checksums. All multi-byte fields are big-endian on the
// wire. Builders and `dissect` allocate (tests, tools, the packet generator);
// the offset tables are what hot paths use.
import { kerr } from '@tcbpf/base';
import { ARPHRD, ETH_P, IPPROTO } from '@tcbpf/uapi';
import { csumFold, csumPartial, csumSub, ipv4HeaderChecksum, l4ChecksumV4, l4ChecksumV6 } from './checksum.js';

/** `struct ethhdr` field offsets; 14 bytes. */
export const ETHHDR = Object.freeze({ DEST: 0, SOURCE: 6, PROTO: 12, LEN: 14 });
/** `struct vlan_hdr` (after the TPID): TCI then encapsulated proto; 4 bytes with the TPID. */
export const VLANHDR = Object.freeze({ TCI: 0, ENCAP_PROTO: 2, LEN: 4 });
/** `struct arphdr` + Ethernet/IPv4 body offsets; 28 bytes. */
export const ARPHDR = Object.freeze({ HRD: 0, PRO: 2, HLN: 4, PLN: 5, OP: 6, SHA: 8, SIP: 14, THA: 18, TIP: 24, LEN: 28 });
/** `struct iphdr` offsets; 20 bytes without options. */
export const IPHDR = Object.freeze({ VER_IHL: 0, TOS: 1, TOT_LEN: 2, ID: 4, FRAG_OFF: 6, TTL: 8, PROTOCOL: 9, CHECK: 10, SADDR: 12, DADDR: 16, LEN: 20 });
/** IPv4 `frag_off` bits. */
export const IP_FRAG = Object.freeze({ CE: 0x8000, DF: 0x4000, MF: 0x2000, OFFSET: 0x1fff });
/** `struct ipv6hdr` offsets; 40 bytes. */
export const IPV6HDR = Object.freeze({ VER_TC_FLOW: 0, PAYLOAD_LEN: 4, NEXTHDR: 6, HOP_LIMIT: 7, SADDR: 8, DADDR: 24, LEN: 40 });
/** `struct frag_hdr` offsets; 8 bytes. */
export const FRAGHDR = Object.freeze({ NEXTHDR: 0, RESERVED: 1, FRAG_OFF: 2, IDENTIFICATION: 4, LEN: 8 });
/** `struct tcphdr` offsets; 20 bytes without options. */
export const TCPHDR = Object.freeze({ SOURCE: 0, DEST: 2, SEQ: 4, ACK_SEQ: 8, DOFF: 12, FLAGS: 13, WINDOW: 14, CHECK: 16, URG_PTR: 18, LEN: 20 });
/** TCP flag bits (byte 13). */
export const TCP_FLAG = Object.freeze({ FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 });
/** `struct udphdr` offsets; 8 bytes. */
export const UDPHDR = Object.freeze({ SOURCE: 0, DEST: 2, LEN: 4, CHECK: 6, SIZE: 8 });
/** `struct icmphdr` / `struct icmp6hdr` offsets; 8 bytes. */
export const ICMPHDR = Object.freeze({ TYPE: 0, CODE: 1, CHECKSUM: 2, REST: 4, LEN: 8 });

// --- builders ---------------------------------------------------------------

/** An 802.1Q / 802.1ad tag: TPID (default 0x8100) and TCI (PCP << 13 | DEI << 12 | VID). */
export interface VlanTagSpec {
  readonly tpid?: number;
  readonly tci: number;
}

/** Transport layer of a built packet. */
export type L4Spec =
  | { readonly kind: 'tcp'; readonly sport: number; readonly dport: number; readonly seq?: number; readonly ack?: number; readonly flags?: number; readonly window?: number; readonly urgent?: number; readonly options?: Uint8Array; readonly payload?: Uint8Array }
  | { readonly kind: 'udp'; readonly sport: number; readonly dport: number; readonly payload?: Uint8Array }
  | { readonly kind: 'icmp' | 'icmpv6'; readonly type: number; readonly code: number; readonly rest?: number; readonly payload?: Uint8Array }
  | { readonly kind: 'raw'; readonly proto: number; readonly payload: Uint8Array };

/** One IPv6 extension header: hop-by-hop (0), routing (43), destination options (60) with their body, or a fragment header (44). */
export type Ipv6ExtSpec =
  | { readonly type: 0 | 43 | 60; readonly body: Uint8Array }
  | { readonly type: 44; readonly offset: number; readonly more: boolean; readonly id: number };

/** Network layer of a built packet. */
export type L3Spec =
  | { readonly kind: 'ipv4'; readonly src: Uint8Array; readonly dst: Uint8Array; readonly ttl?: number; readonly tos?: number; readonly id?: number; readonly df?: boolean; readonly mf?: boolean; readonly fragOffset?: number; readonly options?: Uint8Array; readonly l4: L4Spec }
  | { readonly kind: 'ipv6'; readonly src: Uint8Array; readonly dst: Uint8Array; readonly hopLimit?: number; readonly trafficClass?: number; readonly flowLabel?: number; readonly ext?: readonly Ipv6ExtSpec[]; readonly l4: L4Spec }
  | { readonly kind: 'arp'; readonly op: number; readonly sha: Uint8Array; readonly spa: Uint8Array; readonly tha: Uint8Array; readonly tpa: Uint8Array }
  | { readonly kind: 'raw'; readonly etherType: number; readonly payload: Uint8Array };

/** A whole Ethernet frame. */
export interface FrameSpec {
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly vlans?: readonly VlanTagSpec[];
  readonly l3: L3Spec;
}

function l4Proto(l4: L4Spec, v6: boolean): number {
  switch (l4.kind) {
    case 'tcp': return IPPROTO.TCP;
    case 'udp': return IPPROTO.UDP;
    case 'icmp': return v6 ? IPPROTO.ICMPV6 : IPPROTO.ICMP;
    case 'icmpv6': return IPPROTO.ICMPV6;
    case 'raw': return l4.proto;
  }
}

/** Serialise an L4 header + payload (checksum left 0; filled by the L3 builder). Returns bytes and checksum offset (-1: none). */
function buildL4(l4: L4Spec): { bytes: Uint8Array; csumOff: number } {
  switch (l4.kind) {
    case 'tcp': {
      const opt = l4.options ?? new Uint8Array(0);
      if (opt.length % 4 !== 0 || opt.length > 40) throw kerr('EINVAL', `TCP options must be a multiple of 4 bytes up to 40 (got ${opt.length})`, { where: 'tcp options' });
      const pl = l4.payload ?? new Uint8Array(0);
      const hl = 20 + opt.length;
      const b = new Uint8Array(hl + pl.length);
      const v = new DataView(b.buffer);
      v.setUint16(TCPHDR.SOURCE, l4.sport, false);
      v.setUint16(TCPHDR.DEST, l4.dport, false);
      v.setUint32(TCPHDR.SEQ, (l4.seq ?? 0) >>> 0, false);
      v.setUint32(TCPHDR.ACK_SEQ, (l4.ack ?? 0) >>> 0, false);
      b[TCPHDR.DOFF] = (hl / 4) << 4;
      b[TCPHDR.FLAGS] = l4.flags ?? TCP_FLAG.SYN;
      v.setUint16(TCPHDR.WINDOW, l4.window ?? 64240, false);
      v.setUint16(TCPHDR.URG_PTR, l4.urgent ?? 0, false);
      b.set(opt, 20);
      b.set(pl, hl);
      return { bytes: b, csumOff: TCPHDR.CHECK };
    }
    case 'udp': {
      const pl = l4.payload ?? new Uint8Array(0);
      const b = new Uint8Array(8 + pl.length);
      const v = new DataView(b.buffer);
      v.setUint16(UDPHDR.SOURCE, l4.sport, false);
      v.setUint16(UDPHDR.DEST, l4.dport, false);
      v.setUint16(UDPHDR.LEN, b.length & 0xffff, false);
      b.set(pl, 8);
      return { bytes: b, csumOff: UDPHDR.CHECK };
    }
    case 'icmp':
    case 'icmpv6': {
      const pl = l4.payload ?? new Uint8Array(0);
      const b = new Uint8Array(8 + pl.length);
      const v = new DataView(b.buffer);
      b[ICMPHDR.TYPE] = l4.type;
      b[ICMPHDR.CODE] = l4.code;
      v.setUint32(ICMPHDR.REST, (l4.rest ?? 0) >>> 0, false);
      b.set(pl, 8);
      return { bytes: b, csumOff: ICMPHDR.CHECKSUM };
    }
    case 'raw':
      return { bytes: Uint8Array.from(l4.payload), csumOff: -1 };
  }
}

function checkAddr(a: Uint8Array, n: number, what: string): void {
  if (a.length !== n) throw kerr('EINVAL', `${what} must be ${n} bytes (got ${a.length})`, { where: what });
}

/** Build an IPv4 packet (header with options, then L4) with total length and both checksums filled in. */
export function buildIpv4(l3: Extract<L3Spec, { kind: 'ipv4' }>): Uint8Array {
  checkAddr(l3.src, 4, 'ipv4 src');
  checkAddr(l3.dst, 4, 'ipv4 dst');
  const opt = l3.options ?? new Uint8Array(0);
  if (opt.length % 4 !== 0 || opt.length > 40) throw kerr('EINVAL', `IPv4 options must be a multiple of 4 bytes up to 40 (got ${opt.length})`, { where: 'ipv4 options' });
  const { bytes: l4, csumOff } = buildL4(l3.l4);
  const proto = l4Proto(l3.l4, false);
  const hl = 20 + opt.length;
  const total = hl + l4.length;
  if (total > 0xffff) throw kerr('EMSGSIZE', `IPv4 packet of ${total} bytes`, { where: 'ipv4 tot_len' });
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  b[0] = 0x40 | (hl / 4);
  b[IPHDR.TOS] = l3.tos ?? 0;
  v.setUint16(IPHDR.TOT_LEN, total, false);
  v.setUint16(IPHDR.ID, l3.id ?? 0, false);
  v.setUint16(IPHDR.FRAG_OFF, (l3.df === true ? IP_FRAG.DF : 0) | (l3.mf === true ? IP_FRAG.MF : 0) | ((l3.fragOffset ?? 0) & IP_FRAG.OFFSET), false);
  b[IPHDR.TTL] = l3.ttl ?? 64;
  b[IPHDR.PROTOCOL] = proto;
  b.set(l3.src, IPHDR.SADDR);
  b.set(l3.dst, IPHDR.DADDR);
  b.set(opt, 20);
  b.set(l4, hl);
  v.setUint16(IPHDR.CHECK, ipv4HeaderChecksum(b, 0), false);
  // a non-first fragment carries no transport header
  if (csumOff >= 0 && (l3.fragOffset ?? 0) === 0) {
    let c = proto === IPPROTO.ICMP ? icmpChecksum(b, hl, l4.length) : l4ChecksumV4(b, 0, hl, l4.length, proto, csumOff);
    if (proto === IPPROTO.UDP && c === 0) c = 0xffff; // CSUM_MANGLED_0
    v.setUint16(hl + csumOff, c, false);
  }
  return b;
}

/** ICMP (v4) checksum: over the ICMP message only (no pseudo header), checksum field treated as zero; big-endian value. */
function icmpChecksum(b: Uint8Array, off: number, len: number): number {
  const field = (b[off + 2]! | (b[off + 3]! << 8)) >>> 0;
  const s = csumSub(csumPartial(b, off, len, 0), field);
  const f = csumFold(s);
  return ((f & 0xff) << 8) | (f >>> 8);
}

/** Build an IPv6 packet (fixed header, extension headers, L4) with payload length and the L4 checksum filled in. */
export function buildIpv6(l3: Extract<L3Spec, { kind: 'ipv6' }>): Uint8Array {
  checkAddr(l3.src, 16, 'ipv6 src');
  checkAddr(l3.dst, 16, 'ipv6 dst');
  const { bytes: l4, csumOff } = buildL4(l3.l4);
  const proto = l4Proto(l3.l4, true);
  const ext = l3.ext ?? [];
  const extBytes: Uint8Array[] = [];
  let fragmented = false;
  for (const [i, e] of ext.entries()) {
    const next = i + 1 < ext.length ? ext[i + 1]!.type : proto;
    if (e.type === 44) {
      const h = new Uint8Array(8);
      h[0] = next;
      const off = ((e.offset & 0x1fff) << 3) | (e.more ? 1 : 0);
      h[2] = off >>> 8;
      h[3] = off & 0xff;
      new DataView(h.buffer).setUint32(4, e.id >>> 0, false);
      extBytes.push(h);
      if (e.offset !== 0) fragmented = true;
    } else {
      const raw = e.body.length + 2;
      const len = Math.ceil(raw / 8) * 8;
      if (len > 2048) throw kerr('EINVAL', `IPv6 extension header of ${len} bytes`, { where: `ipv6 ext ${i}` });
      const h = new Uint8Array(len);
      h[0] = next;
      h[1] = len / 8 - 1;
      h.set(e.body, 2);
      // pad with PadN when options need padding (hop-by-hop / dst options)
      const pad = len - raw;
      if ((e.type === 0 || e.type === 60) && pad > 0) {
        if (pad === 1) h[raw] = 0;
        else {
          h[raw] = 1;
          h[raw + 1] = pad - 2;
        }
      }
      extBytes.push(h);
    }
  }
  const extLen = extBytes.reduce((a, h) => a + h.length, 0);
  const plen = extLen + l4.length;
  if (plen > 0xffff) throw kerr('EMSGSIZE', `IPv6 payload of ${plen} bytes`, { where: 'ipv6 payload_len' });
  const b = new Uint8Array(40 + plen);
  const v = new DataView(b.buffer);
  v.setUint32(0, ((6 << 28) | (((l3.trafficClass ?? 0) & 0xff) << 20) | ((l3.flowLabel ?? 0) & 0xfffff)) >>> 0, false);
  v.setUint16(IPV6HDR.PAYLOAD_LEN, plen, false);
  b[IPV6HDR.NEXTHDR] = ext.length > 0 ? ext[0]!.type : proto;
  b[IPV6HDR.HOP_LIMIT] = l3.hopLimit ?? 64;
  b.set(l3.src, IPV6HDR.SADDR);
  b.set(l3.dst, IPV6HDR.DADDR);
  let o = 40;
  let finalDst = IPV6HDR.DADDR;
  for (const [i, h] of extBytes.entries()) {
    b.set(h, o);
    const e = ext[i]!;
    // type 0 / type 2 routing header with segments left: the last address is the final destination
    if (e.type === 43 && (h[2] === 0 || h[2] === 2) && h[3]! > 0 && h.length >= 24) finalDst = o + h.length - 16;
    o += h.length;
  }
  b.set(l4, o);
  if (csumOff >= 0 && !fragmented) {
    let c = l4ChecksumV6(b, 0, o, l4.length, proto, csumOff, finalDst);
    if (proto === IPPROTO.UDP && c === 0) c = 0xffff;
    v.setUint16(o + csumOff, c, false);
  }
  return b;
}

/** Build an ARP packet for Ethernet/IPv4 (28 bytes). */
export function buildArp(l3: Extract<L3Spec, { kind: 'arp' }>): Uint8Array {
  checkAddr(l3.sha, 6, 'arp sha');
  checkAddr(l3.tha, 6, 'arp tha');
  checkAddr(l3.spa, 4, 'arp spa');
  checkAddr(l3.tpa, 4, 'arp tpa');
  const b = new Uint8Array(28);
  const v = new DataView(b.buffer);
  v.setUint16(ARPHDR.HRD, ARPHRD.ETHER, false);
  v.setUint16(ARPHDR.PRO, ETH_P.IP, false);
  b[ARPHDR.HLN] = 6;
  b[ARPHDR.PLN] = 4;
  v.setUint16(ARPHDR.OP, l3.op, false);
  b.set(l3.sha, ARPHDR.SHA);
  b.set(l3.spa, ARPHDR.SIP);
  b.set(l3.tha, ARPHDR.THA);
  b.set(l3.tpa, ARPHDR.TIP);
  return b;
}

/** Build a whole Ethernet frame: header, VLAN tags (outermost first), then the L3 packet. No FCS, no padding. */
export function buildFrame(spec: FrameSpec): Uint8Array {
  checkAddr(spec.dst, 6, 'eth dst');
  checkAddr(spec.src, 6, 'eth src');
  let etherType: number;
  let l3: Uint8Array;
  switch (spec.l3.kind) {
    case 'ipv4': etherType = ETH_P.IP; l3 = buildIpv4(spec.l3); break;
    case 'ipv6': etherType = ETH_P.IPV6; l3 = buildIpv6(spec.l3); break;
    case 'arp': etherType = ETH_P.ARP; l3 = buildArp(spec.l3); break;
    case 'raw': etherType = spec.l3.etherType; l3 = spec.l3.payload; break;
  }
  const vlans = spec.vlans ?? [];
  const b = new Uint8Array(14 + 4 * vlans.length + l3.length);
  const v = new DataView(b.buffer);
  b.set(spec.dst, 0);
  b.set(spec.src, 6);
  let o = 12;
  for (const t of vlans) {
    v.setUint16(o, t.tpid ?? ETH_P['8021Q'], false);
    v.setUint16(o + 2, t.tci & 0xffff, false);
    o += 4;
  }
  v.setUint16(o, etherType, false);
  b.set(l3, o + 2);
  return b;
}

// --- dissector -----------------------------------------------------------------

/** What `dissect` found in a frame; offsets are from the frame start, -1 when absent. */
export interface Dissection {
  /** VLAN tags outermost first. */
  vlans: { tpid: number; tci: number }[];
  /** EtherType after the tags (host order), or the 802.3 length field. */
  etherType: number;
  /** Offset of the L3 header. */
  l3Off: number;
  /** 4 or 6 for IP, 0 otherwise. */
  ipVersion: number;
  /** IP protocol / final IPv6 next header (after extension headers); -1 when none. */
  ipProto: number;
  /** IPv4 header length or 40 + extension headers for IPv6. */
  l3Len: number;
  /** IPv6 extension header types in order. */
  ipv6Ext: number[];
  /** IPv4 MF or offset set / IPv6 fragment header present. */
  fragment: boolean;
  /** Fragment offset in bytes (0 for first fragments and unfragmented packets). */
  fragOffset: number;
  /** Offset of the L4 header (-1 when absent: non-first fragment, truncated or not IP). */
  l4Off: number;
  /** L4 length implied by the IP header (may exceed the captured bytes). */
  l4Len: number;
  /** IPv6: offset of the address the pseudo header uses as destination (the final one after a routing header). */
  ipv6FinalDst: number;
  /** Whether the IPv4 header checksum verifies (null if not IPv4 or truncated). */
  ipv4CsumOk: boolean | null;
  /** Whether the TCP/UDP/ICMP/ICMPv6 checksum verifies (null if not applicable or truncated). */
  l4CsumOk: boolean | null;
}

/** Decode the layers of an Ethernet frame (allocates; for tests and tools). Never throws. */
export function dissect(frame: Uint8Array): Dissection {
  const d: Dissection = { vlans: [], etherType: -1, l3Off: -1, ipVersion: 0, ipProto: -1, l3Len: 0, ipv6Ext: [], fragment: false, fragOffset: 0, l4Off: -1, l4Len: 0, ipv6FinalDst: -1, ipv4CsumOk: null, l4CsumOk: null };
  const n = frame.length;
  if (n < 14) return d;
  let o = 12;
  let et = (frame[o]! << 8) | frame[o + 1]!;
  while ((et === 0x8100 || et === 0x88a8) && o + 6 <= n) {
    d.vlans.push({ tpid: et, tci: (frame[o + 2]! << 8) | frame[o + 3]! });
    o += 4;
    et = (frame[o]! << 8) | frame[o + 1]!;
  }
  d.etherType = et;
  o += 2;
  d.l3Off = o;
  if (et === 0x0800 && o + 20 <= n && frame[o]! >> 4 === 4) {
    const ihl = (frame[o]! & 15) * 4;
    const tot = (frame[o + 2]! << 8) | frame[o + 3]!;
    const fo = (frame[o + 6]! << 8) | frame[o + 7]!;
    d.ipVersion = 4;
    d.l3Len = ihl;
    d.ipProto = frame[o + 9]!;
    d.fragment = (fo & (IP_FRAG.MF | IP_FRAG.OFFSET)) !== 0;
    d.fragOffset = (fo & IP_FRAG.OFFSET) * 8;
    if (ihl < 20 || o + ihl > n) return d;
    d.ipv4CsumOk = ipv4HeaderChecksum(frame, o) === ((frame[o + 10]! << 8) | frame[o + 11]!);
    if (d.fragOffset !== 0) return d;
    d.l4Off = o + ihl;
    d.l4Len = tot - ihl;
    if (!d.fragment && d.l4Len >= 0 && d.l4Off + d.l4Len <= n) d.l4CsumOk = verifyL4(frame, o, d, false);
    return d;
  }
  if (et === 0x86dd && o + 40 <= n && frame[o]! >> 4 === 6) {
    d.ipVersion = 6;
    d.ipv6FinalDst = o + IPV6HDR.DADDR;
    const plen = (frame[o + 4]! << 8) | frame[o + 5]!;
    let nh = frame[o + 6]!;
    let p = o + 40;
    for (;;) {
      if (nh === 0 || nh === 43 || nh === 60) {
        if (p + 8 > n) return d;
        d.ipv6Ext.push(nh);
        const len = (frame[p + 1]! + 1) * 8;
        if (nh === 43 && (frame[p + 2] === 0 || frame[p + 2] === 2) && frame[p + 3]! > 0 && len >= 24 && p + len <= n) d.ipv6FinalDst = p + len - 16;
        nh = frame[p]!;
        p += len;
      } else if (nh === 44) {
        if (p + 8 > n) return d;
        d.ipv6Ext.push(nh);
        d.fragment = true;
        d.fragOffset = (((frame[p + 2]! << 8) | frame[p + 3]!) & 0xfff8);
        nh = frame[p]!;
        p += 8;
      } else break;
    }
    d.ipProto = nh;
    d.l3Len = p - o;
    if (d.fragOffset !== 0 || p > n) return d;
    d.l4Off = p;
    d.l4Len = plen - (p - o - 40);
    if (!d.fragment && nh !== 59 && d.l4Len >= 0 && d.l4Off + d.l4Len <= n) d.l4CsumOk = verifyL4(frame, o, d, true);
    return d;
  }
  return d;
}

function verifyL4(frame: Uint8Array, ipOff: number, d: Dissection, v6: boolean): boolean | null {
  const p = d.ipProto;
  let csumOff: number;
  if (p === IPPROTO.TCP) csumOff = TCPHDR.CHECK;
  else if (p === IPPROTO.UDP) csumOff = UDPHDR.CHECK;
  else if (p === IPPROTO.ICMP && !v6) csumOff = ICMPHDR.CHECKSUM;
  else if (p === IPPROTO.ICMPV6 && v6) csumOff = ICMPHDR.CHECKSUM;
  else return null;
  if (d.l4Len < csumOff + 2) return null;
  const stored = (frame[d.l4Off + csumOff]! << 8) | frame[d.l4Off + csumOff + 1]!;
  if (p === IPPROTO.UDP && stored === 0 && !v6) return true; // no checksum
  let want: number;
  if (p === IPPROTO.ICMP) want = icmpChecksum(frame, d.l4Off, d.l4Len);
  else want = v6 ? l4ChecksumV6(frame, ipOff, d.l4Off, d.l4Len, p, csumOff, d.ipv6FinalDst) : l4ChecksumV4(frame, ipOff, d.l4Off, d.l4Len, p, csumOff);
  if (p === IPPROTO.UDP && want === 0) want = 0xffff;
  return want === stored;
}
