// A deterministic traffic generator for tests and fixtures (not a kernel
// model): a seeded mix of ARP, IPv4 (options, fragments), IPv6 (extension
// headers), TCP, UDP, ICMP, ICMPv6, 802.1Q/802.1ad tags, broadcast, multicast and
// 802.3/LLC frames. The same Prng seed always yields the same packets and timestamps.
import type { Prng } from '@tcbpf/base';
import { buildFrame, TCP_FLAG, type FrameSpec, type Ipv6ExtSpec, type L3Spec, type L4Spec, type VlanTagSpec } from './headers.js';

/** Kinds of packet the generator emits (the `kind` of each packet). */
export const GENERATED_KINDS = Object.freeze([
  'arp-request', 'arp-reply', 'ipv4-tcp', 'ipv4-tcp-options', 'ipv4-udp', 'ipv4-udp-broadcast', 'ipv4-udp-multicast',
  'ipv4-icmp', 'ipv4-options', 'ipv4-fragment-first', 'ipv4-fragment-later', 'ipv6-tcp', 'ipv6-udp', 'ipv6-icmpv6',
  'ipv6-icmpv6-multicast', 'ipv6-hopopts', 'ipv6-dstopts-routing', 'ipv6-fragment-first', 'ipv6-fragment-later', 'llc',
] as const);

/** One of GENERATED_KINDS. */
export type GeneratedKind = (typeof GENERATED_KINDS)[number];

/** A generated frame with its capture timestamp. */
export interface GeneratedPacket {
  /** The Ethernet frame (no FCS). */
  readonly data: Uint8Array;
  /** Seconds since the epoch. */
  readonly tsSec: number;
  /** Nanoseconds within the second. */
  readonly tsNsec: number;
  /** What was generated. */
  readonly kind: GeneratedKind;
  /** VLAN tags added (0, 1 or 2). */
  readonly vlanTags: number;
}

/** Generator options. */
export interface GeneratorOptions {
  /** First timestamp, seconds (default 1,700,000,000). */
  readonly startSec?: number;
  /** Fraction of frames (0..1) that get one 802.1Q tag; a fifth of those get 802.1ad + 802.1Q. Default 0.15. */
  readonly vlanRatio?: number;
  /** Largest payload in bytes (default 1200; frames stay below 1518). */
  readonly maxPayload?: number;
}

const HOSTS4 = [[10, 0, 0, 1], [10, 0, 0, 2], [192, 168, 1, 10], [192, 168, 1, 20], [172, 16, 5, 4]] as const;
const HOSTS6 = ['20010db8000000000000000000000001', '20010db8000000000000000000000002', 'fe800000000000000000000000000011', 'fe800000000000000000000000000022'] as const;
const MACS = ['020000000001', '020000000002', '02aabbccddee', '0a1b2c3d4e5f'] as const;
const PORTS = [22, 53, 80, 123, 443, 8080, 5353, 1234] as const;

function hex(s: string): Uint8Array {
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function pick<T>(prng: Prng, xs: readonly T[]): T {
  return xs[prng.below(xs.length)]!;
}

function bytes(prng: Prng, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = prng.u32() & 0xff;
  return b;
}

/**
 * Generate `count` frames from `prng` (deterministic for a seed). Timestamps
 * increase by 1 µs .. 2 ms with nanosecond precision.
 */
export function generatePackets(prng: Prng, count: number, opts: GeneratorOptions = {}): GeneratedPacket[] {
  const out: GeneratedPacket[] = [];
  for (const p of packetStream(prng, count, opts)) out.push(p);
  return out;
}

/** As `generatePackets`, one frame at a time (nothing kept). */
export function* packetStream(prng: Prng, count: number, opts: GeneratorOptions = {}): Generator<GeneratedPacket> {
  let sec = opts.startSec ?? 1_700_000_000;
  let nsec = 0;
  const vlanRatio = opts.vlanRatio ?? 0.15;
  const maxPayload = Math.max(0, Math.min(opts.maxPayload ?? 1200, 1400));
  for (let i = 0; i < count; i++) {
    nsec += 1000 + prng.below(2_000_000);
    while (nsec >= 1_000_000_000) {
      nsec -= 1_000_000_000;
      sec++;
    }
    const kind = GENERATED_KINDS[prng.below(GENERATED_KINDS.length)]!;
    let vlans: VlanTagSpec[] = [];
    if (prng.below(1_000_000) < vlanRatio * 1_000_000) {
      const tci = ((prng.below(8) << 13) | (1 + prng.below(4094))) & 0xffff;
      vlans = prng.below(5) === 0 ? [{ tpid: 0x88a8, tci: 100 + prng.below(50) }, { tpid: 0x8100, tci }] : [{ tci }];
    }
    const spec = makeSpec(prng, kind, maxPayload);
    const data = buildFrame({ ...spec, vlans });
    yield { data, tsSec: sec, tsNsec: nsec, kind, vlanTags: vlans.length };
  }
}

function l4(prng: Prng, proto: 'tcp' | 'udp', maxPayload: number, withOptions = false): L4Spec {
  const payload = bytes(prng, prng.below(maxPayload + 1));
  if (proto === 'udp') return { kind: 'udp', sport: pick(prng, PORTS), dport: pick(prng, PORTS), payload };
  const flagsChoices = [TCP_FLAG.SYN, TCP_FLAG.SYN | TCP_FLAG.ACK, TCP_FLAG.ACK, TCP_FLAG.PSH | TCP_FLAG.ACK, TCP_FLAG.FIN | TCP_FLAG.ACK, TCP_FLAG.RST];
  const flags = pick(prng, flagsChoices);
  return {
    kind: 'tcp',
    sport: 1024 + prng.below(60000),
    dport: pick(prng, PORTS),
    seq: prng.u32(),
    ack: prng.u32(),
    flags,
    window: prng.below(65536),
    // MSS, SACK-permitted, timestamps, window scale (20 bytes)
    ...(withOptions ? { options: Uint8Array.from([2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]) } : {}),
    payload: (flags & (TCP_FLAG.SYN | TCP_FLAG.RST)) !== 0 ? new Uint8Array(0) : payload,
  };
}

function v4(prng: Prng, l: L4Spec, extra: { dst?: Uint8Array; options?: Uint8Array; mf?: boolean; fragOffset?: number; id?: number } = {}): L3Spec {
  return {
    kind: 'ipv4',
    src: Uint8Array.from(pick(prng, HOSTS4)),
    dst: extra.dst ?? Uint8Array.from(pick(prng, HOSTS4)),
    ttl: 1 + prng.below(255),
    tos: prng.below(4) === 0 ? prng.below(256) : 0,
    id: extra.id ?? prng.below(65536),
    df: extra.mf === undefined && extra.fragOffset === undefined && prng.below(2) === 0,
    ...(extra.mf !== undefined ? { mf: extra.mf } : {}),
    ...(extra.fragOffset !== undefined ? { fragOffset: extra.fragOffset } : {}),
    ...(extra.options !== undefined ? { options: extra.options } : {}),
    l4: l,
  };
}

function v6(prng: Prng, l: L4Spec, extra: { dst?: Uint8Array; ext?: readonly Ipv6ExtSpec[] } = {}): L3Spec {
  return {
    kind: 'ipv6',
    src: hex(pick(prng, HOSTS6)),
    dst: extra.dst ?? hex(pick(prng, HOSTS6)),
    hopLimit: 1 + prng.below(255),
    trafficClass: prng.below(4) === 0 ? prng.below(256) : 0,
    flowLabel: prng.below(0x100000),
    ...(extra.ext !== undefined ? { ext: extra.ext } : {}),
    l4: l,
  };
}

function makeSpec(prng: Prng, kind: GeneratedKind, maxPayload: number): Omit<FrameSpec, 'vlans'> {
  const src = hex(pick(prng, MACS));
  const uni = hex(pick(prng, MACS));
  const bcast = hex('ffffffffffff');
  switch (kind) {
    case 'arp-request':
      return { dst: bcast, src, l3: { kind: 'arp', op: 1, sha: src, spa: Uint8Array.from(pick(prng, HOSTS4)), tha: new Uint8Array(6), tpa: Uint8Array.from(pick(prng, HOSTS4)) } };
    case 'arp-reply':
      return { dst: uni, src, l3: { kind: 'arp', op: 2, sha: src, spa: Uint8Array.from(pick(prng, HOSTS4)), tha: uni, tpa: Uint8Array.from(pick(prng, HOSTS4)) } };
    case 'ipv4-tcp':
      return { dst: uni, src, l3: v4(prng, l4(prng, 'tcp', maxPayload)) };
    case 'ipv4-tcp-options':
      return { dst: uni, src, l3: v4(prng, l4(prng, 'tcp', maxPayload, true)) };
    case 'ipv4-udp':
      return { dst: uni, src, l3: v4(prng, l4(prng, 'udp', maxPayload)) };
    case 'ipv4-udp-broadcast':
      return { dst: bcast, src, l3: v4(prng, { kind: 'udp', sport: 68, dport: 67, payload: bytes(prng, 240 + prng.below(60)) }, { dst: Uint8Array.from([255, 255, 255, 255]) }) };
    case 'ipv4-udp-multicast':
      return { dst: hex('01005e0000fb'), src, l3: v4(prng, { kind: 'udp', sport: 5353, dport: 5353, payload: bytes(prng, 12 + prng.below(200)) }, { dst: Uint8Array.from([224, 0, 0, 251]) }) };
    case 'ipv4-icmp':
      return { dst: uni, src, l3: v4(prng, { kind: 'icmp', type: pick(prng, [8, 0, 3, 11]), code: 0, rest: prng.u32(), payload: bytes(prng, prng.below(Math.min(maxPayload, 1000) + 1)) }) };
    case 'ipv4-options': {
      // router alert (4 bytes) or record route (11 bytes + NOP) or NOP x4
      const opts = pick(prng, [Uint8Array.from([0x94, 4, 0, 0]), Uint8Array.from([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 1]), Uint8Array.from([1, 1, 1, 0])]);
      return { dst: uni, src, l3: v4(prng, prng.below(2) === 0 ? l4(prng, 'udp', maxPayload) : l4(prng, 'tcp', maxPayload), { options: opts }) };
    }
    case 'ipv4-fragment-first':
      return { dst: uni, src, l3: v4(prng, l4(prng, 'udp', Math.min(maxPayload, 1000)), { mf: true, fragOffset: 0 }) };
    case 'ipv4-fragment-later':
      return { dst: uni, src, l3: v4(prng, { kind: 'raw', proto: pick(prng, [6, 17, 1]), payload: bytes(prng, 8 * (1 + prng.below(100))) }, { mf: prng.below(2) === 0, fragOffset: 1 + prng.below(1000) }) };
    case 'ipv6-tcp':
      return { dst: uni, src, l3: v6(prng, l4(prng, 'tcp', maxPayload, prng.below(2) === 0)) };
    case 'ipv6-udp':
      return { dst: uni, src, l3: v6(prng, l4(prng, 'udp', maxPayload)) };
    case 'ipv6-icmpv6':
      return { dst: uni, src, l3: v6(prng, { kind: 'icmpv6', type: pick(prng, [128, 129, 1, 3]), code: 0, rest: prng.u32(), payload: bytes(prng, prng.below(Math.min(maxPayload, 1000) + 1)) }) };
    case 'ipv6-icmpv6-multicast': {
      // neighbour solicitation to the solicited-node multicast group
      const low = bytes(prng, 3);
      const dst = hex('ff0200000000000000000001ff000000');
      dst.set(low, 13);
      const mac = Uint8Array.from([0x33, 0x33, 0xff, low[0]!, low[1]!, low[2]!]);
      const target = hex(pick(prng, HOSTS6));
      target.set(low, 13);
      return { dst: mac, src, l3: v6(prng, { kind: 'icmpv6', type: 135, code: 0, rest: 0, payload: Uint8Array.from([...target, 1, 1, ...src]) }, { dst }) };
    }
    case 'ipv6-hopopts': {
      // MLD-style hop-by-hop with router alert
      return { dst: hex('333300000016'), src, l3: v6(prng, { kind: 'icmpv6', type: 143, code: 0, rest: 1, payload: bytes(prng, 20) }, { dst: hex('ff020000000000000000000000000016'), ext: [{ type: 0, body: Uint8Array.from([5, 2, 0, 0]) }] }) };
    }
    case 'ipv6-dstopts-routing': {
      const rh = Uint8Array.from([0, 1, 0, 0, 0, 0, ...hex(pick(prng, HOSTS6))]); // type 0 routing, segs left 1, one address
      return { dst: uni, src, l3: v6(prng, prng.below(2) === 0 ? l4(prng, 'udp', maxPayload) : l4(prng, 'tcp', maxPayload), { ext: [{ type: 60, body: Uint8Array.from([1, 0]) }, { type: 43, body: rh }] }) };
    }
    case 'ipv6-fragment-first':
      return { dst: uni, src, l3: v6(prng, l4(prng, 'udp', Math.min(maxPayload, 1000)), { ext: [{ type: 44, offset: 0, more: true, id: prng.u32() }] }) };
    case 'ipv6-fragment-later':
      return { dst: uni, src, l3: v6(prng, { kind: 'raw', proto: 17, payload: bytes(prng, 8 * (1 + prng.below(100))) }, { ext: [{ type: 44, offset: 1 + prng.below(1000), more: prng.below(2) === 0, id: prng.u32() }] }) };
    case 'llc': {
      // 802.3 length + LLC/SNAP-ish payload (STP to 01:80:c2:00:00:00)
      const payload = Uint8Array.from([0x42, 0x42, 0x03, ...bytes(prng, 35)]);
      return { dst: hex('0180c2000000'), src, l3: { kind: 'raw', etherType: payload.length, payload } };
    }
  }
}
