// Writes examples/traffic.pcap: 64 deterministic mixed packets from
// @tcbpf/skb's generator (seed 13). Run: pnpm exec tsx --conditions=@tcbpf/source apps/pipeline/examples/make-traffic.ts
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from '@tcbpf/base';
import { PcapWriter, generatePackets } from '@tcbpf/skb';

const chunks: Uint8Array[] = [];
const w = new PcapWriter({ write: (c) => void chunks.push(c.slice()) }, { nanosecond: true });
for (const p of generatePackets(new Prng(13), 64)) w.writePacket(p.data, p.tsSec, p.tsNsec);
w.close();
writeFileSync(join(import.meta.dirname, 'traffic.pcap'), Buffer.concat(chunks));
