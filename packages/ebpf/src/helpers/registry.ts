// Models include/linux/bpf.h (Linux 6.18) `struct bpf_func_proto` and the
// helper lookup of kernel/bpf/helpers.c (bpf_base_func_proto): a helper is its
// prototype (argument and return kinds, whether it changes packet data, GPL-only)
// plus its implementation. Program types add their own helpers to a registry.
import { KernelError } from '@tcbpf/base';
import { BPF_FUNC_NAMES } from '@tcbpf/uapi';
import type { HelperEnv } from './env.js';

/** Argument kinds (`enum bpf_arg_type`, the subset helpers here use). */
export const ARG = Object.freeze({
  DONTCARE: 0, ANYTHING: 1, CONST_MAP_PTR: 2, PTR_TO_MAP_KEY: 3, PTR_TO_MAP_VALUE: 4,
  PTR_TO_MEM: 5, PTR_TO_UNINIT_MEM: 6, CONST_SIZE: 7, CONST_SIZE_OR_ZERO: 8, PTR_TO_CTX: 9,
  PTR_TO_FUNC: 10, PTR_TO_STACK_OR_NULL: 11, CONST_ALLOC_SIZE_OR_ZERO: 12, PTR_TO_ALLOC_MEM: 13,
  PTR_TO_MEM_OR_NULL: 14, PTR_TO_CONST_STR: 15,
} as const);
/** One of {@link ARG}. */
export type ArgKind = (typeof ARG)[keyof typeof ARG];

/** Return kinds (`enum bpf_return_type`, subset). */
export const RET = Object.freeze({
  INTEGER: 0, VOID: 1, PTR_TO_MAP_VALUE_OR_NULL: 2, PTR_TO_ALLOC_MEM_OR_NULL: 3,
} as const);
/** One of {@link RET}. */
export type RetKind = (typeof RET)[keyof typeof RET];

/** What a helper implementation tells the interpreter. */
export const HELPER_CTRL = Object.freeze({
  /** R0 was written; continue with the next instruction. */
  CONTINUE: 0,
  /** env.tailCallTarget was set: replace the running program (bpf_tail_call). */
  TAIL_CALL: 1,
  /** A memory argument was outside every region: end the run with a fault. */
  FAULT: 2,
} as const);

/** `struct bpf_func_proto`. */
export interface HelperProto {
  readonly id: number;
  readonly name: string;
  readonly ret: RetKind;
  readonly args: readonly ArgKind[];
  /** Invalidates packet pointers (bpf_helper_changes_pkt_data). */
  readonly changesPktData: boolean;
  readonly gplOnly: boolean;
}

/**
 * A helper implementation: reads R1..R5 from `env.regs` (lo at 2r, hi at 2r+1),
 * writes R0 there, returns a {@link HELPER_CTRL} code. Never throws, never allocates
 * on the success path of per-packet helpers.
 */
export type HelperFn = (env: HelperEnv) => number;

/** A helper: prototype plus implementation. */
export interface HelperDef {
  readonly proto: HelperProto;
  readonly fn: HelperFn;
}

/** Build a frozen prototype with the kernel's name for `id`. */
export function proto(id: number, ret: RetKind, args: readonly ArgKind[], opts: { changesPktData?: boolean; gplOnly?: boolean } = {}): HelperProto {
  return Object.freeze({
    id,
    name: BPF_FUNC_NAMES[id] ?? `unknown#${id}`,
    ret,
    args: Object.freeze([...args]),
    changesPktData: opts.changesPktData ?? false,
    gplOnly: opts.gplOnly ?? false,
  });
}

/** Helpers by id. Program types compose registries (base helpers + their own). */
export class HelperRegistry {
  readonly #defs = new Map<number, HelperDef>();

  /** Add helpers; a second definition of an id is refused (EEXIST). */
  register(...defs: readonly HelperDef[]): this {
    for (const d of defs) {
      if (this.#defs.has(d.proto.id)) throw new KernelError('EEXIST', `helper ${d.proto.name}#${d.proto.id} registered twice`);
      this.#defs.set(d.proto.id, d);
    }
    return this;
  }

  get(id: number): HelperDef | undefined {
    return this.#defs.get(id);
  }

  /** Registered ids, ascending. */
  ids(): number[] {
    return [...this.#defs.keys()].sort((a, b) => a - b);
  }
}
