// Models bpf_prog_create / bpf_prog_create_from_user of net/core/filter.c
// (Linux 6.18) from the caller's point of view: check once, then run many
// times. A ClassicFilter holds the checked instructions, the pre-decoded
// interpreter form and the compiled JS form; both give the same verdicts.
import { checkClassic } from './checker.js';
import type { ClassicEnv, ClassicSkb } from './context.js';
import { interpret, predecode } from './interpreter.js';
import { type CompiledClassic, compileClassic } from './jit.js';
import type { SockFilter } from './sock-filter.js';
import { insn } from './sock-filter.js';

/** Options of {@link ClassicFilter.create}. */
export interface ClassicFilterOptions {
  /** Build the compiled JS form too (default true). */
  readonly compile?: boolean;
}

/** A checked classic program, ready to run on sk_buffs. */
export class ClassicFilter {
  /** The instructions, as loaded (frozen copies). */
  readonly insns: readonly SockFilter[];
  readonly #ops: Int32Array;
  readonly #mem = new Uint32Array(16);
  readonly #compiled: CompiledClassic | undefined;

  private constructor(insns: readonly SockFilter[], compile: boolean) {
    this.insns = insns;
    this.#ops = predecode(insns);
    this.#compiled = compile ? compileClassic(insns) : undefined;
  }

  /** Check `prog` like the kernel (KernelError EINVAL on refusal) and prepare both run forms. */
  static create(prog: readonly SockFilter[], options: ClassicFilterOptions = {}): ClassicFilter {
    const copy = Object.freeze(prog.map((f) => insn(f.code, f.jt, f.jf, f.k)));
    checkClassic(copy);
    return new ClassicFilter(copy, options.compile ?? true);
  }

  /** Number of instructions. */
  get length(): number {
    return this.insns.length;
  }

  /** Run with the interpreter: the u32 return value (0 = drop / no match). */
  run(skb: ClassicSkb, env: ClassicEnv): number {
    return interpret(this.#ops, this.#mem, skb, env);
  }

  /** Run the compiled JS form (falls back to the interpreter if built with `compile: false`). */
  runCompiled(skb: ClassicSkb, env: ClassicEnv): number {
    return this.#compiled === undefined ? interpret(this.#ops, this.#mem, skb, env) : this.#compiled(skb, env);
  }

  /** The compiled function itself, for callers that want to hold it directly. */
  get compiled(): CompiledClassic {
    if (this.#compiled === undefined) {
      const ops = this.#ops;
      const mem = this.#mem;
      return (skb, env) => interpret(ops, mem, skb, env);
    }
    return this.#compiled;
  }
}
