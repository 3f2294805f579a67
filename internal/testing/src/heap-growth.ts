// Steady-state heap growth per operation, for the "per-packet paths allocate
// nothing" tests: the smallest growth over several measurement windows in
// which no garbage collection ran (a 'gc' PerformanceObserver tells), so the
// first windows' JIT warm-up (unoptimised code boxes numbers) and a GC
// shrinking the heap mid-window do not count.
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

/** Options of {@link heapBytesPerOp}. */
export interface HeapGrowthOptions {
  /** GC-free windows to measure (default 6; at most 40 attempts). */
  readonly windows?: number;
  /** Runs before each window, outside it (e.g. resetting a sink). */
  readonly setup?: () => void;
}

/**
 * Heap bytes per operation: `run` performs N operations and returns N; the
 * result is the smallest (heap after - heap before) / N over GC-free windows.
 * Throws when a GC ran during every window.
 */
export async function heapBytesPerOp(run: () => number, opts: HeapGrowthOptions = {}): Promise<number> {
  const want = opts.windows ?? 6;
  const gcs: [number, number][] = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push([e.startTime, e.startTime + e.duration]);
  });
  obs.observe({ entryTypes: ['gc'] });
  let best = Infinity;
  let windows = 0;
  try {
    for (let attempt = 0; attempt < 40 && windows < want; attempt++) {
      opts.setup?.();
      const t0 = performance.now();
      const h0 = getHeapStatistics().used_heap_size;
      const ops = run();
      const h1 = getHeapStatistics().used_heap_size;
      const t1 = performance.now();
      await new Promise((r) => setTimeout(r, 20));
      if (!gcs.some(([s, e]) => e >= t0 && s <= t1)) {
        windows++;
        best = Math.min(best, (h1 - h0) / ops);
      }
    }
    if (windows === 0) throw new Error('a GC ran during every measurement window');
    return best;
  } finally {
    obs.disconnect();
  }
}
