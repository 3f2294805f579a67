// Differential test against libpcap: every filter of the corpus, compiled by
// `tcpdump -ddd` (fixture), run over the generated 6,000-frame capture; for
// every packet our verdict (interpreter and compiled form) must equal
// `tcpdump -r`'s match decision (fixture). The -d disassembly must match
// libpcap's line for line. With tcpdump installed, a sample of the fixture is
// re-derived live so a libpcap change is noticed.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool } from '@tcbpf/testing';
import { ClassicFilter, bytecodeFileToString, disassemble, formatDdd, parseBytecodeFile, parseDdd } from '../src/index.js';
import { generatePackets, sha256, toPcap } from './corpus/packets.js';
import { envOf, skbOf } from './helpers.js';

interface Corpus {
  packets: number;
  pcapSha256: string;
  tcpdump: string;
  filters: { expr: string; ddd: string; d: string; matched: number; matches: string }[];
}

const corpus = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'libpcap-corpus.json'), 'utf8')) as Corpus;
const frames = generatePackets(corpus.packets);
const skbs = frames.map((f) => skbOf(f, { pktType: 0, ifindex: 2, devType: 1 }));
const env = envOf();
const compared: string[] = [];
const refusedByLinux: string[] = [];

describe('libpcap differential (tcpdump -ddd programs over a generated capture)', () => {
  it('the capture is the one the fixture was made from', () => {
    expect(frames.length).toBeGreaterThanOrEqual(5000);
    expect(sha256(toPcap(frames))).toBe(corpus.pcapSha256);
    expect(corpus.filters.length).toBeGreaterThanOrEqual(40);
  });

  for (const f of corpus.filters) {
    it(`${f.expr}`, () => {
      const prog = parseDdd(f.ddd);
      expect(formatDdd(prog)).toBe(f.ddd);
      expect(disassemble(prog)).toBe(f.d);
      // tc's bytecode-file path reads the same text
      expect(parseBytecodeFile(f.ddd)).toEqual(prog);
      expect(bytecodeFileToString(f.ddd).split(',')[0]).toBe(String(prog.length));
      // libpcap implements `protochain` with a backward `ja`; its user-space
      // interpreter runs it, Linux's checker refuses it (jumps are forward only).
      if (prog.some((x) => x.code === 0x05 && x.k >= 0x80000000)) {
        expect(() => ClassicFilter.create(prog)).toThrow(/EINVAL.*jumps past the end/);
        refusedByLinux.push(f.expr);
        return;
      }
      const filter = ClassicFilter.create(prog);
      compared.push(f.expr);
      const want = Buffer.from(f.matches, 'base64');
      let agree = 0;
      let matched = 0;
      const mismatches: number[] = [];
      for (let i = 0; i < skbs.length; i++) {
        const expected = ((want[i >> 3]! >> (i & 7)) & 1) === 1;
        const a = filter.run(skbs[i]!, env);
        const b = filter.runCompiled(skbs[i]!, env);
        if (a !== b) mismatches.push(i);
        if ((a !== 0) === expected) agree++;
        else mismatches.push(i);
        if (a !== 0) matched++;
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
      expect(agree).toBe(skbs.length);
      expect(matched).toBe(f.matched);
    });
  }
});

describe('libpcap differential coverage', () => {
  it('compared at least 40 filters over at least 5,000 packets', () => {
    expect(compared.length).toBeGreaterThanOrEqual(40);
    expect(compared.length * skbs.length).toBeGreaterThanOrEqual(200_000);
    expect(refusedByLinux).toEqual(['ip6 protochain 6', 'ip protochain 17']);
  });
});

describe.skipIf(!hasTool('tcpdump'))(`live libpcap re-check (${hasTool('tcpdump') ? 'tcpdump present' : 'tcpdump not installed'})`, () => {
  it('tcpdump -ddd / -d of a sample of the corpus still equal the fixture and our formatting', () => {
    const sample = corpus.filters.filter((_, i) => i % 8 === 0);
    for (const f of sample) {
      const ddd = execFileSync('tcpdump', ['-y', 'EN10MB', '-ddd', '--', f.expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const d = execFileSync('tcpdump', ['-y', 'EN10MB', '-d', '--', f.expr], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      expect(ddd).toBe(f.ddd);
      expect(disassemble(parseDdd(ddd))).toBe(d);
    }
  });
});
