// End-to-end: every scenario in examples/ runs, and its outputs (tc -s text,
// statistics, trace, captures) equal the committed files in test/expected/<name>/.
// TCBPF_UPDATE_EXPECTED=1 rewrites them (review the diff before committing).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatStats, runScenario, type TraceEntry } from '../src/index.js';

const examples = join(import.meta.dirname, '..', 'examples');
const expectedRoot = join(import.meta.dirname, 'expected');
const update = process.env.TCBPF_UPDATE_EXPECTED === '1';
// made in beforeAll: with a -t filter that skips every test, no hook runs and nothing is left behind
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-e2e-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const scenarios = readdirSync(examples).filter((f) => f.endsWith('.tcbpf'));

describe('examples/ scenarios against expected outputs', () => {
  it('there is at least one example', () => {
    expect(scenarios.length).toBeGreaterThan(0);
  });
  for (const name of scenarios) {
    it(name, () => {
      const out = join(tmp, name);
      const trace: TraceEntry[] = [];
      const shows: string[] = [];
      const r = runScenario(name, readFileSync(join(examples, name), 'utf8'), {
        outDir: out, inDir: examples, trace: (e) => trace.push(e), print: (s) => shows.push(s),
      });
      const files: Record<string, Uint8Array> = {
        'show.txt': Buffer.from(shows.join('')),
        'stats.txt': Buffer.from(formatStats(r)),
        'trace.jsonl': Buffer.from(trace.map((e) => `${JSON.stringify(e)}\n`).join('')),
      };
      for (const f of readdirSync(out)) files[f] = readFileSync(join(out, f));
      const dir = join(expectedRoot, name.replace(/\.tcbpf$/, ''));
      if (update) {
        mkdirSync(dir, { recursive: true });
        for (const [f, b] of Object.entries(files)) writeFileSync(join(dir, f), b);
      }
      expect(existsSync(dir), `expected outputs for ${name}`).toBe(true);
      expect(Object.keys(files).sort()).toEqual(readdirSync(dir).sort());
      for (const [f, b] of Object.entries(files)) {
        const want = readFileSync(join(dir, f));
        if (f.endsWith('.pcap')) expect(Buffer.compare(Buffer.from(b), want), `${name}: ${f} differs`).toBe(0);
        else expect(Buffer.from(b).toString('utf8'), `${name}: ${f}`).toBe(want.toString('utf8'));
      }
    });
  }
});
