// The benchmark harness: a suite is a list of groups; each group has one
// baseline task measured in the same run, and every other task is reported as
// a ratio against it. Work per iteration can be scaled (`per`) so results read
// as ns per packet, per instruction or per byte.
import { Bench } from 'tinybench';

export interface BenchTask {
  readonly name: string;
  readonly fn: () => void;
  /** How many units one call processes (packets, instructions, bytes); default 1. */
  readonly per?: number;
  /** Optional setup run once before timing. */
  readonly setup?: () => void;
}

export interface BenchGroup {
  readonly suite: string;
  readonly group: string;
  /** Unit name for `per`, e.g. 'packet', 'insn', 'message'. */
  readonly unit: string;
  readonly baseline: BenchTask;
  readonly tasks: readonly BenchTask[];
  /** Bytes per unit, to report MB/s where it means something. */
  readonly bytesPerUnit?: number;
}

export interface BenchResult {
  suite: string;
  group: string;
  task: string;
  unit: string;
  nsPerUnit: number;
  unitsPerSec: number;
  rme: number;
  samples: number;
  ratioToBaseline: number;
  isBaseline: boolean;
  mbPerSec?: number;
}

export async function runGroup(g: BenchGroup, timeMs: number): Promise<BenchResult[]> {
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(200, timeMs / 2) });
  const all = [g.baseline, ...g.tasks];
  for (const t of all) {
    t.setup?.();
    bench.add(t.name, t.fn);
  }
  await bench.run();
  const rows: BenchResult[] = [];
  let baseNs = NaN;
  for (const [i, t] of all.entries()) {
    const task = bench.tasks[i];
    const r = task?.result;
    if (!r || r.state !== 'completed') throw new Error(`benchmark ${g.suite}/${g.group}/${t.name} did not complete`);
    const nsPerCall = r.latency.mean * 1e6;
    const nsPerUnit = nsPerCall / (t.per ?? 1);
    if (i === 0) baseNs = nsPerUnit;
    const row: BenchResult = {
      suite: g.suite,
      group: g.group,
      task: t.name,
      unit: g.unit,
      nsPerUnit,
      unitsPerSec: 1e9 / nsPerUnit,
      rme: r.latency.rme,
      samples: r.latency.samplesCount,
      ratioToBaseline: nsPerUnit / baseNs,
      isBaseline: i === 0,
    };
    if (g.bytesPerUnit !== undefined) row.mbPerSec = (g.bytesPerUnit * 1e9) / nsPerUnit / 1e6;
    rows.push(row);
  }
  return rows;
}
