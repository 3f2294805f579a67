// Models kernel/bpf/core.c bpf_prog_select_runtime() / bpf_int_jit_compile() and the
// net.core.bpf_jit_enable switch (Linux 6.18): a program is compiled once at load
// when the JIT is enabled (per kernel instance, and per program here), runs compiled
// from then on, and falls back to the interpreter when the compiler cannot handle it;
// `jited` reports which (as `bpftool prog show` / `tc filter show` do). Tail calls go
// through a trampoline that runs the target's compiled module (the 33-call limit is
// enforced by bpf_tail_call itself, through the same HelperEnv counter).
import { KernelError } from '@tcbpf/base';
import {
  REGION, RUN_STATUS, STACK_REGION_SIZE, type BpfProg, type HelperEnv, type Interpreter, type KernelServices,
} from '@tcbpf/ebpf';
import { compileProgram, type CompileOptions, type JitImage, type JitInput } from '../compile/compiler.js';
import { JitMemory } from './jit-memory.js';
import { ClassicJitRuntime } from './classic-runtime.js';
import { callbackFallbackReason } from './callbacks.js';
import { WASM } from '../wasm/wasm-api.js';
import { JIT_STATUS, LAYOUT } from './layout.js';

/** bpf_jit_enable values: 0 = interpreter, 1 = compile at load. */
export type JitEnable = 0 | 1;

/** Verifier facts passed to the compiler at load (see JitInput.provenRegion and provenRegions()). */
export interface JitFacts {
  /** Per instruction: the fixed region the access was proven to address, or -1. */
  readonly provenRegion?: ArrayLike<number>;
}

/** What `bpftool prog show` would say about a program. */
export interface JitInfo {
  /** The kernel's `jited` flag. */
  readonly jited: boolean;
  /** Wasm bytes (jited_prog_len); 0 when not jited. */
  readonly jitedLen: number;
  /** Why the interpreter runs it (when not jited). */
  readonly reason: string | undefined;
  readonly image: JitImage | undefined;
}

interface Compiled {
  readonly image: JitImage;
  /** run(r1lo, r1hi, r2lo, r2hi, budget) -> status */
  readonly run: (r1lo: number, r1hi: number, r2lo: number, r2hi: number, budget: number) => number;
  /** enter(budget) -> status: start from the registers in the register file (tail calls) */
  readonly enter: (budget: number) => number;
}

/** Options of {@link JitRuntime}. */
export interface JitRuntimeOptions extends CompileOptions {
  /** Initial bpf_jit_enable (default 1). */
  readonly enable?: JitEnable;
  /** Linear memory size in 64 KiB pages (default 256). */
  readonly pages?: number;
  /** Pages of it for resident allocations (default 64). */
  readonly residentPages?: number;
}

/**
 * The JIT of one simulated kernel instance. Binds the stack region to memory
 * inside its linear memory (so the interpreter, sharing the address space, uses
 * the same stack), compiles programs at load() and runs them with run(), which
 * has the interpreter's signature and results.
 */
export class JitRuntime implements HelperEnv {
  /** net.core.bpf_jit_enable for programs loaded from now on. */
  enable: JitEnable;
  readonly kernel: KernelServices;
  readonly interpreter: Interpreter;
  readonly memory: JitMemory;
  /**
   * R0..R10 (lo word at [2n], hi at [2n+1]): a view of the register file in the
   * linear memory. Compiled code stores R1..R5 there before a helper call and
   * reloads R0 after it, so helpers (HelperEnv.regs) read and write it directly.
   */
  readonly regs: Int32Array;
  cpu = 0;
  tailCalls = 0;
  tailCallTarget: BpfProg | undefined = undefined;
  prog: BpfProg | undefined = undefined;
  runCtx: unknown = undefined;
  /** Instruction index of the fault of the last run (-1 if none). */
  faultPc = -1;
  /** Did the last run execute compiled code? */
  lastJited = false;
  readonly #opts: CompileOptions;
  readonly #compiled = new WeakMap<BpfProg, Compiled>();
  readonly #refused = new WeakMap<BpfProg, string>();
  readonly #disabled = new WeakSet<BpfProg>();
  readonly #ctl: Int32Array;
  #lastProg: BpfProg | undefined = undefined;
  #lastCompiled: Compiled | undefined = undefined;

  constructor(kernel: KernelServices, interpreter: Interpreter, opts: JitRuntimeOptions = {}) {
    this.kernel = kernel;
    this.interpreter = interpreter;
    this.enable = opts.enable ?? 1;
    this.#opts = opts.stackify === undefined ? {} : { stackify: opts.stackify };
    this.memory = new JitMemory(kernel.mem, opts.pages ?? 256, opts.residentPages ?? 64);
    const stack = this.memory.alloc(STACK_REGION_SIZE);
    kernel.mem.bind(REGION.STACK, 'stack', stack);
    // map values created from now on live in the resident area (plain arrays, mirrored, once it is full)
    const memory = this.memory;
    kernel.mem.memoryAllocator = (len: number): Uint8Array | null => memory.tryAlloc(len);
    this.regs = new Int32Array(this.memory.memory.buffer, LAYOUT.REGS, 22);
    this.#ctl = this.memory.i32;
  }

  /** Allocate bytes inside the linear memory (bind packet/ctx regions to them to avoid copies). */
  alloc(len: number): Uint8Array {
    return this.memory.alloc(len);
  }

  #classic: ClassicJitRuntime | null = null;

  /** The runtime of this JIT's converted classic programs (one context, net_device and packet image, made on first use). */
  classicRuntime(): ClassicJitRuntime {
    return (this.#classic ??= new ClassicJitRuntime(this));
  }

  /**
   * bpf_prog_select_runtime: compile `prog` if the JIT is enabled (globally and for
   * this program). Never throws for a program the compiler cannot handle: it stays
   * on the interpreter and info() says why.
   */
  load(prog: BpfProg, facts?: JitFacts): JitInfo {
    if (this.enable === 0 || this.#disabled.has(prog)) return this.info(prog);
    this.#compile(prog, facts);
    return this.info(prog);
  }

  /** Per-program switch (e.g. a debugging aid): false keeps it on the interpreter. */
  setProgJit(prog: BpfProg, on: boolean): void {
    if (on) this.#disabled.delete(prog);
    else {
      this.#disabled.add(prog);
      this.#compiled.delete(prog);
      this.#lastProg = undefined;
      this.#lastCompiled = undefined;
    }
  }

  /** Is the program compiled, and if not, why. */
  info(prog: BpfProg): JitInfo {
    const c = this.#compiled.get(prog);
    if (c !== undefined) return { jited: true, jitedLen: c.image.bytes, reason: undefined, image: c.image };
    const reason = this.#disabled.has(prog) ? 'jit disabled for this program'
      : this.#refused.get(prog) ?? (this.enable === 0 ? 'bpf_jit_enable=0' : 'not loaded through the jit');
    return { jited: false, jitedLen: 0, reason, image: undefined };
  }

  #compile(prog: BpfProg, facts?: JitFacts): Compiled | undefined {
    const have = this.#compiled.get(prog);
    if (have !== undefined) return have;
    if (this.#refused.has(prog)) return undefined;
    const cb = callbackFallbackReason(prog.image);
    if (cb !== undefined) {
      this.#refused.set(prog, cb);
      return undefined;
    }
    let image: JitImage;
    try {
      const input: JitInput = { image: prog.image, helperAt: prog.helperAt, subprogs: prog.subprogs, hasLdPacket: prog.typeOps.ldPacket !== undefined };
      image = compileProgram(facts?.provenRegion === undefined ? input : { ...input, provenRegion: facts.provenRegion }, this.#opts);
    } catch (e) {
      if (!(e instanceof KernelError)) throw e;
      this.#refused.set(prog, e.message);
      return undefined;
    }
    const helperAt = prog.helperAt;
    const ld = prog.typeOps.ldPacket;
    const inst = new WASM.Instance(image.module, {
      env: {
        mem: this.memory.memory,
        helper: (pc: number): number => this.#callHelper(helperAt, pc),
        ldpkt: (off: number, size: number): number => this.#ldPacket(ld, off, size),
        tail: (): void => this.#tailCall(),
      },
    });
    const c: Compiled = { image, run: inst.exports['run'] as Compiled['run'], enter: inst.exports['enter'] as Compiled['enter'] };
    this.#compiled.set(prog, c);
    return c;
  }

  #callHelper(helperAt: BpfProg['helperAt'], pc: number): number {
    const fn = helperAt[pc]!;
    const mem = this.memory;
    mem.syncOut();
    const ctl = fn(this);
    if (!mem.refresh()) return 2;
    if (ctl === 0) return 0;
    if (ctl === 1 && this.tailCallTarget !== undefined) return 1;
    return 2;
  }

  #ldPacket(ld: BpfProg['typeOps']['ldPacket'], off: number, size: number): number {
    if (ld === undefined) return -1;
    const mem = this.memory;
    mem.syncOut();
    const v = ld(this, off, size);
    if (!mem.refresh()) return -1;
    return v;
  }

  /** The trampoline: run env.tailCallTarget with the current registers, compiled. */
  #tailCall(): void {
    const target = this.tailCallTarget!;
    this.tailCallTarget = undefined;
    const prev = this.prog;
    this.prog = target;
    target.stats.runCnt++;
    const c = this.#compile(target);
    if (c === undefined) {
      // a target the compiler refused: the run cannot continue identically
      this.#ctl[LAYOUT.STATUS >> 2] = RUN_STATUS.FAULT;
      this.prog = prev;
      return;
    }
    c.enter(this.interpreter.budget);
    this.prog = prev;
  }

  /**
   * Run `prog` from instruction 0 with R1 = (r1hi:r1lo) and R2 = (r2hi:r2lo), like
   * Interpreter.run: compiled when load() compiled it, else on the interpreter.
   * Returns a RUN_STATUS; R0..R10 are in `regs`. Allocates nothing on the compiled path.
   */
  run(prog: BpfProg, r1hi: number, r1lo: number, r2hi = 0, r2lo = 0): number {
    let c = this.#lastCompiled;
    if (prog !== this.#lastProg || c === undefined) {
      c = this.#compiled.get(prog);
      this.#lastProg = prog;
      this.#lastCompiled = c;
    }
    const mem = this.memory;
    if (this.enable === 0 || c === undefined || !mem.refresh()) return this.#interpret(prog, r1hi, r1lo, r2hi, r2lo);
    this.tailCalls = 0;
    this.tailCallTarget = undefined;
    this.prog = prog;
    this.lastJited = true;
    let st = c.run(r1lo, r1hi, r2lo, r2hi, this.interpreter.budget);
    if (mem.mirrored) mem.syncOut();
    if (st === RUN_STATUS.OK) this.faultPc = -1;
    else {
      this.faultPc = this.#ctl[LAYOUT.FAULT_PC >> 2]!;
      if (st === JIT_STATUS.LD_ABS_EXIT) st = RUN_STATUS.OK;
    }
    prog.stats.runCnt++;
    return st;
  }

  #interpret(prog: BpfProg, r1hi: number, r1lo: number, r2hi: number, r2lo: number): number {
    const it = this.interpreter;
    it.runCtx = this.runCtx;
    it.cpu = this.cpu;
    const st = it.run(prog, r1hi, r1lo, r2hi, r2lo);
    this.regs.set(it.regs);
    this.faultPc = it.faultPc;
    this.lastJited = false;
    return st;
  }

  /** R0 low word of the last run. */
  get r0Lo(): number {
    return this.regs[0]!;
  }

  /** R0 of the last run as an unsigned 64-bit bigint (tests and tools only). */
  r0(): bigint {
    return (BigInt(this.regs[1]! >>> 0) << 32n) | BigInt(this.regs[0]! >>> 0);
  }
}
