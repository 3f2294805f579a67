// Models include/linux/bpf.h (Linux 6.18) `struct bpf_prog` / `bpf_prog_aux`
// (type, name, license, tag, id, run statistics, used maps) and
// `struct bpf_prog_ops` / `bpf_verifier_ops` (what a program type provides:
// context size, helpers, legacy packet loads).
import type { HelperDef, HelperFn } from '../helpers/registry.js';
import type { HelperEnv } from '../helpers/env.js';
import type { Insn } from '../isa/insn.js';
import type { BpfMap } from '../maps/map.js';

/**
 * What a program type provides (kernel: bpf_verifier_ops + bpf_prog_ops).
 * @tcbpf/bpf-skb implements SCHED_CLS/SCHED_ACT with this.
 */
export interface ProgTypeOps {
  /** BPF_PROG_TYPE_* number. */
  readonly type: number;
  /** Kernel name, e.g. `sched_cls`. */
  readonly name: string;
  /** Size of the context structure the program sees through R1. */
  readonly ctxSize: number;
  /** get_func_proto: the helper with this id if the type allows it. */
  getHelper(id: number): HelperDef | undefined;
  /**
   * LD_ABS/LD_IND packet load of `size` (1, 2, 4) bytes at `offset` (already
   * `src + imm` with 32-bit wrap, signed). Returns the big-endian value as a
   * uint32 number, or -1 when out of range (the program then returns 0).
   * Absent: the type does not allow LD_ABS/IND.
   */
  readonly ldPacket?: (env: HelperEnv, offset: number, size: number) => number;
}

/** Per-program run statistics (bpf_prog_stats; kernel.bpf_stats_enabled). */
export interface ProgStats {
  runCnt: number;
  runTimeNs: number;
  /** Instructions executed by the interpreter over all runs (simulator-only). */
  insnCnt: number;
}

/** A loaded program (`struct bpf_prog`). */
export interface BpfProg {
  readonly id: number;
  readonly type: number;
  readonly typeOps: ProgTypeOps;
  /** Up to 15 characters (BPF_OBJ_NAME_LEN - 1). */
  readonly name: string;
  readonly license: string;
  readonly gplCompatible: boolean;
  /** The instructions as loaded (before map-fd resolution). */
  readonly insns: readonly Insn[];
  /** 16 hex digits, as `tc filter show` prints it. */
  readonly tag: string;
  readonly tagBytes: Uint8Array;
  /** Subprogram start instructions (first = 0). */
  readonly subprogs: readonly number[];
  /** Maps referenced by LD_IMM64 (used_maps), in first-use order. */
  readonly usedMaps: readonly BpfMap[];
  /**
   * Executable image for the interpreter: two int32 words per instruction
   * slot: w0 = code | dst << 8 | src << 12 | off << 16, w1 = imm (LD_IMM64:
   * map handles and values already resolved, hi half in the next slot's w1).
   */
  readonly image: Int32Array;
  /** Resolved helper implementation per instruction index (CALL src=0). */
  readonly helperAt: readonly (HelperFn | undefined)[];
  readonly stats: ProgStats;
}
