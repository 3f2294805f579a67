// Writes the captures of the forwarding examples: forwarding.pcap (what
// forwarding.tcbpf replays, kernel-reproducible: only packets the router
// forwards or tc drops, so no ICMP error or ARP traffic appears on Linux) and
// forwarding-drops.pcap (forwarding-drops.tcbpf: one packet per drop reason).
// Run: pnpm exec tsx --conditions=@tcbpf/source apps/pipeline/examples/make-forwarding-traffic.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PcapWriter, buildFrame, type L4Spec } from '@tcbpf/skb';

const mac = (last: number): Uint8Array => Uint8Array.of(0x02, 0, 0, 0, 0, last);
const ip = (s: string): Uint8Array => Uint8Array.from(s.split('.').map(Number));
/** a0 (02:..:0a) → r0 (02:..:10): what host a sends to its router. */
const A0 = mac(0x0a);
const R0 = mac(0x10);

interface Pkt { dst?: Uint8Array; to: string; l4: L4Spec; ttl?: number; tos?: number; df?: boolean; size?: number; badCsum?: boolean }

function write(file: string, pkts: readonly Pkt[]): void {
  const chunks: Uint8Array[] = [];
  const w = new PcapWriter({ write: (c) => void chunks.push(c.slice()) }, { nanosecond: true });
  pkts.forEach((p, i) => {
    const l4: L4Spec = p.size !== undefined && p.l4.kind === 'udp' ? { ...p.l4, payload: new Uint8Array(p.size) } : p.l4;
    const f = buildFrame({ dst: p.dst ?? R0, src: A0, l3: { kind: 'ipv4', src: ip('10.1.0.2'), dst: ip(p.to), ttl: p.ttl ?? 64, tos: p.tos ?? 0, df: p.df ?? true, id: i + 1, l4 } });
    if (p.badCsum === true) f[24] = f[24]! ^ 0xff; // the IPv4 header checksum's first byte
    w.writePacket(f, 1, i * 1_000_000); // 1 ms apart
  });
  w.close();
  writeFileSync(join(import.meta.dirname, file), Buffer.concat(chunks));
}

const udp = (dport: number): L4Spec => ({ kind: 'udp', sport: 4000, dport, payload: new Uint8Array(18) });
const tcp = (dport: number): L4Spec => ({ kind: 'tcp', sport: 40000, dport, flags: 0x02 });

const fwd: Pkt[] = [];
for (let i = 0; i < 16; i++) fwd.push({ to: '10.2.0.2', l4: udp(5000 + i), size: 18 + i * 40 });
for (let i = 0; i < 8; i++) fwd.push({ to: `10.3.0.${7 + i}`, l4: tcp(80), tos: i % 2 === 0 ? 0x10 : 0 });
for (let i = 0; i < 4; i++) fwd.push({ to: '10.2.0.2', l4: udp(9) }); // dropped by r0's cls_bpf filter
for (let i = 0; i < 4; i++) fwd.push({ dst: mac(0x99), to: '10.2.0.2', l4: udp(5000) }); // PACKET_OTHERHOST at r0
write('forwarding.pcap', fwd);

write('forwarding-drops.pcap', [
  { to: '10.2.0.2', l4: udp(5000) }, // forwarded
  { to: '10.9.9.9', l4: udp(5000) }, // no route: IP_INNOROUTES
  { to: '10.2.0.2', l4: udp(5000), ttl: 1 }, // TTL exceeded: IP_INHDR
  { to: '10.2.0.2', l4: udp(5000), badCsum: true }, // IP_CSUM
  { to: '10.5.0.1', l4: udp(5000) }, // blackhole route: NOT_SPECIFIED
  { to: '10.2.0.3', l4: udp(5000) }, // no neighbour entry: NEIGH_FAILED
  { to: '10.4.0.1', l4: udp(5000), size: 1400 }, // route mtu 1000 with DF: PKT_TOO_BIG
  { to: '10.1.0.1', l4: udp(5000) }, // the router's own address: local delivery
  { to: '0.1.2.3', l4: udp(5000) }, // zeronet destination: IP_INVALID_DEST
  { to: '255.255.255.255', l4: udp(5000) }, // limited broadcast: local delivery
]);
