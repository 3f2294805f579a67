// `pnpm bench`: run every suite in bench/suites (or those named on the command
// line), print a table, write bench/results/latest.json.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus } from 'node:os';
import { type BenchGroup, type BenchResult, runGroup } from './harness.js';

const dir = import.meta.dirname;
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const timeMs = Number(process.env['TCBPF_BENCH_MS'] ?? 500);

const files = readdirSync(join(dir, 'suites'))
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
  .sort();

const results: BenchResult[] = [];
const fmt = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
for (const f of files) {
  const mod = (await import(join(dir, 'suites', f))) as { groups: () => BenchGroup[] | Promise<BenchGroup[]> };
  const groups = await mod.groups();
  for (const g of groups) {
    process.stderr.write(`bench ${g.suite} / ${g.group} ...\n`);
    results.push(...(await runGroup(g, timeMs)));
  }
}

const header = ['suite', 'group', 'task', 'ns/unit', 'units/s', '±%', 'x baseline'];
const lines = results.map((r) => [
  r.suite,
  r.group,
  r.isBaseline ? `${r.task} (baseline)` : r.task,
  `${fmt(r.nsPerUnit)} ns/${r.unit}`,
  r.unitsPerSec >= 1e6 ? `${(r.unitsPerSec / 1e6).toFixed(2)} M` : `${(r.unitsPerSec / 1e3).toFixed(1)} k`,
  r.rme.toFixed(1),
  r.ratioToBaseline.toFixed(2),
]);
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const row = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
process.stdout.write(`${row(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
for (const l of lines) process.stdout.write(`${row(l)}\n`);

mkdirSync(join(dir, 'results'), { recursive: true });
const out = {
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  timeMsPerTask: timeMs,
  results,
};
writeFileSync(join(dir, 'results', 'latest.json'), `${JSON.stringify(out, null, 2)}\n`);
process.stdout.write(`\nwrote bench/results/latest.json (${results.length} rows)\n`);
