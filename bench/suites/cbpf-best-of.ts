// A load-robust companion of cbpf.bench.ts for shared, busy machines, where
// tinybench's mean wall time mostly measures preemption: the same filters and
// packets, each figure the minimum over many short repetitions. Each filter is
// measured in its own process (as libpcap's harness is), so the loop that
// calls the compiled function sees one callee — what a program running one
// filter has. Per round, in turn: 5 passes of the interpreter, 5 of the
// compiled form, 5 of the compiled form built without its length fast path
// (from a second loop, so each loop has one callee) (JS wall time), and 5 of
// libpcap's bpf_filter in the C
// harness (its own thread-CPU and wall time); the figure is the best of the
// rounds, so all three see the same machine conditions. The last column calls
// every filter's compiled function from one shared loop (one call site that
// has seen four callees, so V8 cannot inline them): the cost of an indirect call.
// Run: cd bench && npx tsx --conditions=@tcbpf/source suites/cbpf-best-of.ts [ROUNDS]
import { spawnSync } from 'node:child_process';
import { Prng } from '@tcbpf/base';
import { ClassicFilter, type ClassicSkb, type CompiledClassic, compileClassic, parseDdd } from '@tcbpf/cbpf';
import { libpcapBench } from '../native/libpcap.js';
import { FILTERS, packets, skbOf } from './cbpf.bench.js';

const PASSES = 5;
const frames = packets(2000);
const skbs = frames.map(skbOf);
const env = { cpu: 0, prng: new Prng(1) };
const fmt = (n: number): string => n.toFixed(2);
const now = (): bigint => process.hrtime.bigint();

interface Row {
  readonly interp: number;
  readonly compiled: number;
  readonly checked: number;
  readonly cpu: number;
  readonly wall: number;
  readonly matches: number;
}

/** PASSES passes of the compiled form: matches. */
function passesCompiled(fn: CompiledClassic): number {
  let m = 0;
  for (let k = 0; k < PASSES; k++) for (const s of skbs) m += fn(s, env) !== 0 ? 1 : 0;
  return m;
}

/** The same loop for the form without fast path (its own call site). */
function passesChecked(fn: CompiledClassic): number {
  let m = 0;
  for (let k = 0; k < PASSES; k++) for (const s of skbs) m += fn(s, env) !== 0 ? 1 : 0;
  return m;
}

/** Child: measure FILTERS[index] alone. */
function measureOne(index: number, rounds: number): Row {
  const { ddd } = FILTERS[index]!;
  const text = ddd.split(',').join('\n');
  const f = ClassicFilter.create(parseDdd(text));
  const fn = f.compiled;
  const checkedFn = compileClassic(f.insns, false);
  const native = libpcapBench(frames);
  const ask = native.unavailable === '' ? native.serveTimed(text) : undefined;
  let interp = Infinity;
  let compiled = Infinity;
  let checked = Infinity;
  let mk = 0;
  let cpu = Infinity;
  let wall = Infinity;
  let mi = 0;
  let mc = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = now();
    for (let k = 0; k < PASSES; k++) for (const s of skbs) mi += f.run(s, env) !== 0 ? 1 : 0;
    interp = Math.min(interp, Number(now() - t0) / (PASSES * skbs.length));
    t0 = now();
    mc += passesCompiled(fn);
    compiled = Math.min(compiled, Number(now() - t0) / (PASSES * skbs.length));
    t0 = now();
    mk += passesChecked(checkedFn);
    checked = Math.min(checked, Number(now() - t0) / (PASSES * skbs.length));
    if (ask !== undefined) {
      const c = ask(PASSES);
      if (c.matches * PASSES * (r + 1) !== mc) throw new Error(`libpcap matched ${c.matches} per pass, compiled ${mc / (PASSES * (r + 1))}`);
      cpu = Math.min(cpu, c.nsPerPacket);
      wall = Math.min(wall, c.wallNsPerPacket);
    }
  }
  native.close();
  if (mi !== mc || mk !== mc) throw new Error(`interpreter matched ${mi}, compiled ${mc}, without fast path ${mk}`);
  return { interp, compiled, checked, cpu: ask === undefined ? NaN : cpu, wall: ask === undefined ? NaN : wall, matches: mc / (PASSES * rounds) };
}

/** Parent, shared call site: one loop calls every filter's compiled function. */
function sharedCallSite(rounds: number): number[] {
  const fns = FILTERS.map(({ ddd }) => ClassicFilter.create(parseDdd(ddd.split(',').join('\n'))).compiled);
  const loop = (fn: (skb: ClassicSkb, e: typeof env) => number): number => {
    let m = 0;
    for (const s of skbs) m += fn(s, env) !== 0 ? 1 : 0;
    return m;
  };
  for (let r = 0; r < 20; r++) for (const fn of fns) loop(fn);
  const best = fns.map(() => Infinity);
  let sink = 0;
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, i) => {
      const t0 = now();
      for (let k = 0; k < PASSES; k++) sink += loop(fn);
      best[i] = Math.min(best[i]!, Number(now() - t0) / (PASSES * skbs.length));
    });
  }
  return sink < 0 ? [] : best;
}

const childAt = process.argv.indexOf('--filter');
if (childAt >= 0) {
  process.stdout.write(`${JSON.stringify(measureOne(Number(process.argv[childAt + 1]), Number(process.argv[childAt + 2])))}\n`);
} else {
  const rounds = Number(process.argv[2] ?? 60);
  const rows = FILTERS.map((_, i) => {
    const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, '--filter', String(i), String(rounds)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`filter ${i}: ${r.stderr}`);
    return JSON.parse(r.stdout) as Row;
  });
  const shared = sharedCallSite(rounds);
  process.stdout.write(
    `best of ${rounds} rounds x ${PASSES} passes over ${skbs.length} packets, ns/packet; (x) = / libpcap wall\n` +
      'filter | libpcap CPU | libpcap wall | interpreter (x) | compiled (x) | compiled without fast path (x) | compiled, shared call site (x)\n',
  );
  FILTERS.forEach(({ expr }, i) => {
    const r = rows[i]!;
    const x = (v: number): string => `${fmt(v)} (${fmt(v / r.wall)})`;
    process.stdout.write(`${expr} | ${fmt(r.cpu)} | ${fmt(r.wall)} | ${x(r.interp)} | ${x(r.compiled)} | ${x(r.checked)} | ${x(shared[i]!)}\n`);
  });
  if (rows.some((r) => Number.isNaN(r.wall))) process.stdout.write('libpcap baseline skipped (no gcc or libpcap-dev)\n');
}
