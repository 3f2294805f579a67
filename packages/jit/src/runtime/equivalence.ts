// Models no kernel code: a debugging mode (like running a JITed program under
// the kernel's interpreter side by side, which Linux 6.18 cannot do) that runs the
// interpreter and the compiled form on the same input and reports the first
// difference in status, fault instruction, registers R0..R10 or region bytes.
import type { BpfProg } from '@tcbpf/ebpf';
import { RUN_STATUS } from '@tcbpf/ebpf';
import type { JitRuntime } from './jit.js';

/** The first difference between the interpreter and the JIT. */
export interface Difference {
  readonly kind: 'status' | 'fault-pc' | 'register' | 'memory' | 'not-jited';
  /** What differs, e.g. `r3`, `region 2 (packet) byte 14`. */
  readonly what: string;
  readonly interpreter: string;
  readonly jit: string;
}

/** Outcome of one side-by-side run. */
export interface EquivalenceResult {
  /** The interpreter's RUN_STATUS (the reference). */
  readonly status: number;
  /** R0 from the interpreter, as u64. */
  readonly r0: bigint;
  readonly difference: Difference | undefined;
}

const hex = (lo: number, hi: number): string => `0x${(hi >>> 0).toString(16).padStart(8, '0')}${(lo >>> 0).toString(16).padStart(8, '0')}`;

/**
 * Runs every program twice: the interpreter first, then (from the same region
 * bytes) the compiled form. Region bytes are restored between the runs; helper
 * side effects outside regions (hash-map structure, prandom, trace buffer,
 * ring-buffer positions) happen twice, so programs using them can differ.
 */
export class EquivalenceRunner {
  readonly jit: JitRuntime;
  /** Runs compared so far. */
  runs = 0;
  /** Differences seen so far. */
  differences = 0;

  readonly #reset: (() => void) | undefined;

  /**
   * @param reset called before each of the two runs to put kernel state outside the
   *   regions back (e.g. `() => sys.prng.reseed(seed)` for bpf_get_prandom_u32)
   */
  constructor(jit: JitRuntime, reset?: () => void) {
    this.jit = jit;
    this.#reset = reset;
  }

  run(prog: BpfProg, r1hi: number, r1lo: number, r2hi = 0, r2lo = 0): EquivalenceResult {
    const jit = this.jit;
    const mem = jit.kernel.mem;
    if (!jit.info(prog).jited) jit.load(prog);
    const before: (Uint8Array | undefined)[] = [];
    for (let i = 0; i < mem.count; i++) before.push(mem.region(i)?.bytes.slice());
    const it = jit.interpreter;
    this.#reset?.();
    it.runCtx = jit.runCtx;
    it.cpu = jit.cpu;
    const ist = it.run(prog, r1hi, r1lo, r2hi, r2lo);
    const iregs = it.regs.slice();
    const ifault = it.faultPc;
    const after: (Uint8Array | undefined)[] = [];
    for (let i = 0; i < mem.count; i++) after.push(mem.region(i)?.bytes.slice());
    for (let i = 0; i < before.length; i++) {
      const b = before[i];
      const r = mem.region(i);
      if (b !== undefined && r !== undefined && r.bytes.byteLength === b.byteLength) r.bytes.set(b);
    }
    this.#reset?.();
    const jst = jit.run(prog, r1hi, r1lo, r2hi, r2lo);
    this.runs++;
    const r0 = (BigInt(iregs[1]! >>> 0) << 32n) | BigInt(iregs[0]! >>> 0);
    const diff = this.#compare(prog, ist, iregs, ifault, after, jst);
    if (diff !== undefined) this.differences++;
    return { status: ist, r0, difference: diff };
  }

  #compare(prog: BpfProg, ist: number, iregs: Int32Array, ifault: number, after: readonly (Uint8Array | undefined)[], jst: number): Difference | undefined {
    const jit = this.jit;
    if (!jit.lastJited) return { kind: 'not-jited', what: 'program', interpreter: 'interpreted', jit: jit.info(prog).reason ?? 'not jited' };
    if (ist !== jst) return { kind: 'status', what: 'run status', interpreter: String(ist), jit: String(jst) };
    if (ist === RUN_STATUS.BUDGET) return undefined; // the JIT charges the budget per backward edge
    if (ifault !== jit.faultPc) return { kind: 'fault-pc', what: 'fault instruction', interpreter: String(ifault), jit: String(jit.faultPc) };
    const R = jit.regs;
    for (let r = 0; r <= 10; r++) {
      if (iregs[2 * r] !== R[2 * r] || iregs[2 * r + 1] !== R[2 * r + 1]) {
        return { kind: 'register', what: `r${r}`, interpreter: hex(iregs[2 * r]!, iregs[2 * r + 1]!), jit: hex(R[2 * r]!, R[2 * r + 1]!) };
      }
    }
    const mem = jit.kernel.mem;
    for (let i = 0; i < after.length; i++) {
      const a = after[i];
      const r = mem.region(i);
      if (a === undefined || r === undefined) continue;
      const b = r.bytes;
      const n = Math.min(a.byteLength, b.byteLength);
      for (let k = 0; k < n; k++) {
        if (a[k] !== b[k]) return { kind: 'memory', what: `region ${i} (${r.name}) byte ${k}`, interpreter: String(a[k]), jit: String(b[k]) };
      }
      if (a.byteLength !== b.byteLength) return { kind: 'memory', what: `region ${i} (${r.name}) length`, interpreter: String(a.byteLength), jit: String(b.byteLength) };
    }
    return undefined;
  }
}
