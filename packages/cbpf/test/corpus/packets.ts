// A deterministic capture of mixed Ethernet frames for the libpcap
// differential test: ARP, IPv4 (with options and fragments), IPv6 (with a
// hop-by-hop header), TCP, UDP, ICMP/ICMPv6, 802.1Q, LLDP, broadcast and
// multicast. Same seed => same bytes (the fixture records the SHA-256).
import { createHash } from 'node:crypto';
import { Prng } from '@tcbpf/base';

export const PACKET_COUNT = 6000;
export const PACKET_SEED = 0xcbf5;

const MACS = [
  [0x00, 0x11, 0x22, 0x33, 0x44, 0x55],
  [0x02, 0x00, 0x00, 0x00, 0x00, 0x01],
  [0x02, 0x00, 0x00, 0x00, 0x00, 0x02],
  [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef],
];
const V4 = [
  [10, 0, 0, 1], [10, 0, 0, 2], [10, 1, 2, 3], [192, 168, 1, 10], [192, 168, 7, 7], [172, 16, 0, 5], [8, 8, 8, 8],
];
const V6 = [
  [0xfe, 0x80, ...Array<number>(13).fill(0), 1],
  [0xfe, 0x80, ...Array<number>(13).fill(0), 2],
  [0x20, 0x01, 0x0d, 0xb8, ...Array<number>(11).fill(0), 0x42],
];
const PORTS = [22, 53, 80, 123, 443, 1234, 1500, 5353, 8080, 40000, 65000];

function csum(b: Uint8Array, off: number, len: number): number {
  let s = 0;
  for (let i = 0; i < len; i += 2) s += (b[off + i]! << 8) | (i + 1 < len ? b[off + i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

class Gen {
  readonly r: Prng;
  constructor(seed: number) {
    this.r = new Prng(seed);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.r.below(a.length)]!;
  }
  bytes(n: number): number[] {
    return Array.from({ length: n }, () => this.r.below(256));
  }
}

function eth(dst: readonly number[], src: readonly number[], type: number, payload: number[], vlan?: number): Uint8Array {
  const hdr = [...dst, ...src];
  if (vlan !== undefined) hdr.push(0x81, 0x00, (vlan >> 8) & 0xff, vlan & 0xff);
  hdr.push(type >> 8, type & 0xff);
  const f = [...hdr, ...payload];
  while (f.length < 60) f.push(0);
  return Uint8Array.from(f);
}

function ipv4(g: Gen, proto: number, src: readonly number[], dst: readonly number[], l4: number[], o: { opts?: number; frag?: number; mf?: boolean; tos?: number } = {}): number[] {
  const optLen = (o.opts ?? 0) * 4;
  const ihl = 5 + (o.opts ?? 0);
  const total = ihl * 4 + l4.length;
  const h = new Uint8Array(ihl * 4);
  h[0] = 0x40 | ihl;
  h[1] = o.tos ?? 0;
  h[2] = total >> 8;
  h[3] = total & 0xff;
  const id = g.r.below(65536);
  h[4] = id >> 8;
  h[5] = id & 0xff;
  const fo = ((o.mf ? 0x2000 : 0) | ((o.frag ?? 0) & 0x1fff)) | (g.r.below(4) === 0 ? 0x4000 : 0);
  h[6] = fo >> 8;
  h[7] = fo & 0xff;
  h[8] = g.pick([1, 32, 64, 128, 255]);
  h[9] = proto;
  h.set(src, 12);
  h.set(dst, 16);
  for (let i = 0; i < optLen; i++) h[20 + i] = i === 0 ? 0x94 : i === 1 ? 4 : 0; // router alert + NOPs/EOL
  const c = csum(h, 0, h.length);
  h[10] = c >> 8;
  h[11] = c & 0xff;
  return [...h, ...l4];
}

function tcp(g: Gen, sport: number, dport: number, flags: number, payload: number[]): number[] {
  const doff = g.r.below(3) === 0 ? 8 : 5;
  const h = Array<number>(doff * 4).fill(0);
  h[0] = sport >> 8; h[1] = sport & 0xff; h[2] = dport >> 8; h[3] = dport & 0xff;
  for (let i = 4; i < 12; i++) h[i] = g.r.below(256);
  h[12] = doff << 4;
  h[13] = flags;
  h[14] = 0xff; h[15] = 0xff;
  if (doff > 5) { h[20] = 2; h[21] = 4; h[22] = 0x05; h[23] = 0xb4; h[24] = 1; h[25] = 1; h[26] = 4; h[27] = 2; }
  return [...h, ...payload];
}

function udp(sport: number, dport: number, payload: number[]): number[] {
  const len = 8 + payload.length;
  return [sport >> 8, sport & 0xff, dport >> 8, dport & 0xff, len >> 8, len & 0xff, 0, 0, ...payload];
}

function l4For(g: Gen, proto: number): number[] {
  const plen = g.pick([0, 4, 20, 100, 300, 1000]);
  const payload = g.r.below(8) === 0 ? [0x47, 0x45, 0x54, 0x20, ...g.bytes(plen)] : g.bytes(plen);
  if (proto === 6) return tcp(g, g.pick(PORTS), g.pick(PORTS), g.pick([0x02, 0x12, 0x10, 0x18, 0x11, 0x04]), payload);
  if (proto === 17) return udp(g.pick(PORTS), g.pick(PORTS), payload);
  if (proto === 1) return [g.pick([0, 3, 8, 11]), 0, 0, 0, ...g.bytes(4), ...payload.slice(0, 56)];
  if (proto === 58) return [g.pick([128, 129, 133, 135, 136]), 0, 0, 0, ...g.bytes(4), ...payload.slice(0, 32)];
  return g.bytes(20 + g.r.below(40));
}

function ipv6(g: Gen, next: number, src: readonly number[], dst: readonly number[], l4: number[], hbh: boolean): number[] {
  const ext = hbh ? [next, 0, 5, 2, 0, 0, 1, 0] : [];
  const plen = ext.length + l4.length;
  return [0x60, 0, 0, 0, plen >> 8, plen & 0xff, hbh ? 0 : next, g.pick([1, 64, 255]), ...src, ...dst, ...ext, ...l4];
}

/** One frame of the mix. */
function frame(g: Gen): Uint8Array {
  const kind = g.r.below(100);
  const smac = g.pick(MACS);
  const dmac = g.pick(MACS);
  if (kind < 8) {
    // ARP request (broadcast) or reply
    const req = g.r.below(2) === 0;
    const spa = g.pick(V4), tpa = g.pick(V4);
    const arp = [0, 1, 8, 0, 6, 4, 0, req ? 1 : 2, ...smac, ...spa, ...(req ? [0, 0, 0, 0, 0, 0] : dmac), ...tpa];
    return eth(req ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : dmac, smac, 0x0806, arp);
  }
  if (kind < 50) {
    const proto = g.pick([6, 6, 6, 17, 17, 17, 1, 47, 2]);
    const o: { opts?: number; frag?: number; mf?: boolean; tos?: number } = {};
    if (g.r.below(10) === 0) o.opts = 1 + g.r.below(3);
    const firstFrag = g.r.below(12) === 0;
    const laterFrag = !firstFrag && g.r.below(12) === 0;
    if (firstFrag) { o.mf = true; o.frag = 0; }
    else if (laterFrag) { o.frag = 1 + g.r.below(200); o.mf = g.r.below(2) === 0; }
    if (g.r.below(6) === 0) o.tos = g.pick([0xb8, 0x10, 0x02]);
    const vlan = g.r.below(10) === 0 ? g.pick([100, 200, 0x2064]) : undefined;
    return eth(dmac, smac, 0x0800, ipv4(g, proto, g.pick(V4), g.pick(V4), l4For(g, proto), o), vlan);
  }
  if (kind < 62) {
    // IPv4 broadcast / multicast UDP
    const bc = g.r.below(2) === 0;
    const dst = bc ? [255, 255, 255, 255] : g.pick([[224, 0, 0, 251], [239, 1, 2, 3], [224, 0, 0, 1]]);
    const dm = bc ? [0xff, 0xff, 0xff, 0xff, 0xff, 0xff] : [0x01, 0x00, 0x5e, dst[1]! & 0x7f, dst[2]!, dst[3]!];
    const l4 = bc ? udp(68, 67, g.bytes(240)) : udp(5353, 5353, g.bytes(40));
    return eth(dm, smac, 0x0800, ipv4(g, 17, g.pick(V4), dst, l4));
  }
  if (kind < 88) {
    const next = g.pick([6, 17, 58, 58]);
    const mc = g.r.below(4) === 0;
    const dst = mc ? [0xff, 0x02, ...Array<number>(13).fill(0), 1] : g.pick(V6);
    const dm = mc ? [0x33, 0x33, 0, 0, 0, 1] : dmac;
    return eth(dm, smac, 0x86dd, ipv6(g, next, g.pick(V6), dst, l4For(g, next), g.r.below(8) === 0));
  }
  if (kind < 92) return eth([0x01, 0x80, 0xc2, 0, 0, 0x0e], smac, 0x88cc, g.bytes(30)); // LLDP
  if (kind < 95) return eth(dmac, smac, 0x8100, [0x00, 100, 0x86, 0xdd, ...g.bytes(60)]); // VLAN-in-VLAN-ish
  // odd ethertypes / truncated IPv4
  if (kind < 98) return eth(dmac, smac, g.pick([0x9000, 0x88b5, 0x0842]), g.bytes(50));
  const f = eth(dmac, smac, 0x0800, ipv4(g, 6, g.pick(V4), g.pick(V4), l4For(g, 6)));
  return f.subarray(0, 14 + 10 + g.r.below(20));
}

/** The generated frames. */
export function generatePackets(count = PACKET_COUNT, seed = PACKET_SEED): Uint8Array[] {
  const g = new Gen(seed);
  return Array.from({ length: count }, () => frame(g));
}

/** A classic pcap file (LE, v2.4, LINKTYPE_ETHERNET); record i has ts_sec = i. */
export function toPcap(frames: readonly Uint8Array[]): Uint8Array {
  const total = 24 + frames.reduce((s, f) => s + 16 + f.length, 0);
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true);
  let o = 24;
  frames.forEach((f, i) => {
    dv.setUint32(o, i, true);
    dv.setUint32(o + 4, 0, true);
    dv.setUint32(o + 8, f.length, true);
    dv.setUint32(o + 12, f.length, true);
    out.set(f, o + 16);
    o += 16 + f.length;
  });
  return out;
}

/** Record indices (ts_sec) of a pcap file, in order. */
export function pcapIndices(pcap: Uint8Array): number[] {
  const dv = new DataView(pcap.buffer, pcap.byteOffset, pcap.byteLength);
  const out: number[] = [];
  if (pcap.length < 24) return out;
  const le = dv.getUint32(0, true) === 0xa1b2c3d4 || dv.getUint32(0, true) === 0xa1b23c4d;
  let o = 24;
  while (o + 16 <= pcap.length) {
    out.push(dv.getUint32(o, le));
    o += 16 + dv.getUint32(o + 8, le);
  }
  return out;
}

export function sha256(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}
