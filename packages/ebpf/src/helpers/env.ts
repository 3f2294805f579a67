// Models the state a helper sees during one program run in Linux 6.18
// (the implicit `current` CPU, the run's tail-call counter, the trace buffer
// of kernel/trace/bpf_trace.c, the kernel's clock and prandom state).
import type { Prng, SimClock } from '@tcbpf/base';
import type { AddressSpace } from '../vm/address-space.js';
import type { BpfMap } from '../maps/map.js';
import type { BpfProg } from '../prog/program.js';

/** Services of the simulated kernel instance that helpers use. */
export interface KernelServices {
  readonly clock: SimClock;
  readonly prng: Prng;
  readonly mem: AddressSpace;
  /** Number of possible CPUs (per-CPU maps hold this many copies). */
  readonly nrCpus: number;
  /** Map by handle index (the lo word of a BPF_PSEUDO_MAP_FD value). */
  mapByHandle(handle: number): BpfMap | undefined;
  /** Map owning an AddressSpace region (ring buffers find themselves from a record pointer). */
  mapByRegion(region: number): BpfMap | undefined;
  /** Append a line to the trace buffer (bpf_trace_printk → trace_pipe). */
  trace(line: string): void;
}

/** What a helper reads and writes during a run. */
export interface HelperEnv {
  /** Registers: lo word of Rn at [2n], hi word at [2n+1]. */
  readonly regs: Int32Array;
  readonly kernel: KernelServices;
  /** The CPU this run executes on (bpf_get_smp_processor_id). */
  cpu: number;
  /** Tail calls taken in this top-level run. */
  tailCalls: number;
  /** Set by bpf_tail_call before it returns HELPER_CTRL.TAIL_CALL. */
  tailCallTarget: BpfProg | undefined;
  /** The running program. */
  readonly prog: BpfProg | undefined;
  /** Program-type state of this run (e.g. the sk_buff for SCHED_CLS). */
  runCtx: unknown;
  /**
   * Call a callback subprogram (a BPF_PSEUDO_FUNC value's instruction index) of
   * the running program with R1..R4 = (a1..a4, lo/hi words) and R5 = 0, in a
   * fresh frame. Returns 0 (callback returned 0), 1 (returned non-zero) or -1
   * (the run failed). Absent where callbacks cannot run (helpers then fault).
   */
  callback?(entry: number, a1lo: number, a1hi: number, a2lo: number, a2hi: number, a3lo: number, a3hi: number, a4lo: number, a4hi: number): number;
}
