// Models net/core/filter.c bpf_prog_create() (Linux 6.18) for one classic
// program: a convenience over its JIT's ClassicJitRuntime (classic-runtime.ts),
// which does the check, the conversion to eBPF and the runs.
import type { ClassicEnv, ClassicSkb, SockFilter } from '@tcbpf/cbpf';
import type { BpfProg } from '@tcbpf/ebpf';
import type { ClassicJitRuntime } from './classic-runtime.js';
import type { JitInfo, JitRuntime } from './jit.js';

/**
 * A classic program converted to eBPF and compiled by a {@link JitRuntime}. Runs
 * give the classic program's u32 result (A at RET A, or K).
 */
export class ClassicProgram {
  readonly jit: JitRuntime;
  /** The eBPF program the conversion produced (what the JIT compiled). */
  readonly prog: BpfProg;
  readonly #rt: ClassicJitRuntime;

  private constructor(rt: ClassicJitRuntime, prog: BpfProg) {
    this.jit = rt.jit;
    this.prog = prog;
    this.#rt = rt;
  }

  /**
   * bpf_prog_create: check (bpf_check_classic, throws KernelError), convert, and
   * compile with `jit` (which falls back to the interpreter when it cannot).
   */
  static create(filter: readonly SockFilter[], jit: JitRuntime): ClassicProgram {
    const rt = jit.classicRuntime();
    return new ClassicProgram(rt, rt.create(filter));
  }

  /** The JIT's report for the converted program. */
  info(): JitInfo {
    return this.jit.info(this.prog);
  }

  /** Run on `skb`; returns the classic result as a uint32 (0 when the run fails). */
  run(skb: ClassicSkb, env: ClassicEnv): number {
    return this.#rt.run(this.prog, skb, env) >>> 0;
  }
}
