// Regenerates test/fixtures/libpcap-corpus.json from test/corpus/filters.txt
// with this machine's tcpdump/libpcap: for every filter expression its
// `tcpdump -ddd` and `tcpdump -d` output (offline, -y EN10MB) and the set of
// packets of the generated capture that `tcpdump -r` matches.
// Run: cd packages/cbpf && pnpm exec tsx --conditions=@tcbpf/source test/corpus/regen.ts
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKET_COUNT, PACKET_SEED, generatePackets, pcapIndices, sha256, toPcap } from './packets.js';

const here = import.meta.dirname;
const exprs = readFileSync(join(here, 'filters.txt'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
const pcap = toPcap(generatePackets());
const dir = mkdtempSync(join(tmpdir(), 'tcbpf-cbpf-'));
try {
  const file = join(dir, 'mix.pcap');
  writeFileSync(file, pcap);
  const version = execFileSync('tcpdump', ['--version'], { encoding: 'utf8' }).split('\n').slice(0, 2).join('; ');
  const filters = exprs.map((expr) => {
    const ddd = execFileSync('tcpdump', ['-y', 'EN10MB', '-ddd', '--', expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const d = execFileSync('tcpdump', ['-y', 'EN10MB', '-d', '--', expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const out = execFileSync('tcpdump', ['-r', file, '-w', '-', '--', expr], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20 });
    const idx = pcapIndices(new Uint8Array(out.buffer, out.byteOffset, out.byteLength));
    const bits = new Uint8Array(Math.ceil(PACKET_COUNT / 8));
    for (const i of idx) bits[i >> 3]! |= 1 << (i & 7);
    return { expr, ddd, d, matched: idx.length, matches: Buffer.from(bits).toString('base64') };
  });
  const fixture = { generatedBy: 'test/corpus/regen.ts', tcpdump: version, packets: PACKET_COUNT, seed: PACKET_SEED, pcapSha256: sha256(pcap), filters };
  writeFileSync(join(here, '..', 'fixtures', 'libpcap-corpus.json'), `${JSON.stringify(fixture, null, 1)}\n`);
  process.stdout.write(`wrote ${filters.length} filters over ${PACKET_COUNT} packets\n`);
  for (const f of filters) process.stdout.write(`${String(f.matched).padStart(5)}  ${f.expr}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
