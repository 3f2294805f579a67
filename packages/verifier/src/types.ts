// Models include/linux/bpf.h (Linux 6.18): the interfaces the verifier
// consumes — bpf_verifier_ops (context access rules), bpf_func_proto (helper
// argument and return kinds) and the map attributes it checks against.
// Defined here so the verifier does not depend on the engine's internals.

/** `enum bpf_reg_type` subset, as the log spells them (see REG_TYPE_NAME). */
export const REG_TYPE = Object.freeze({
  NOT_INIT: 0,
  SCALAR: 1,
  PTR_TO_CTX: 2,
  CONST_PTR_TO_MAP: 3,
  PTR_TO_MAP_VALUE: 4,
  PTR_TO_MAP_VALUE_OR_NULL: 5,
  PTR_TO_STACK: 6,
  PTR_TO_PACKET_META: 7,
  PTR_TO_PACKET: 8,
  PTR_TO_PACKET_END: 9,
  PTR_TO_MEM: 10,
  PTR_TO_MEM_OR_NULL: 11,
  PTR_TO_SOCK_COMMON: 12,
  PTR_TO_SOCK_COMMON_OR_NULL: 13,
  PTR_TO_FUNC: 14,
  /** A map key a bpf_for_each_map_elem callback receives (R2), read-only. */
  PTR_TO_MAP_KEY: 15,
} as const);
/** A REG_TYPE value. */
export type RegType = (typeof REG_TYPE)[keyof typeof REG_TYPE];

/** reg_type_str() of kernel/bpf/log.c for each REG_TYPE (ringbuf memory adds `ringbuf_`). */
export const REG_TYPE_NAME: readonly string[] = Object.freeze([
  '?', 'scalar', 'ctx', 'map_ptr', 'map_value', 'map_value_or_null', 'fp', 'pkt_meta', 'pkt', 'pkt_end',
  'mem', 'mem_or_null', 'sock_common', 'sock_common_or_null', 'func', 'map_key',
]);

/** `enum bpf_access_type`. */
export const ACCESS = Object.freeze({ READ: 1, WRITE: 2 } as const);

/** Answer of a program type's `is_valid_access` for a context access. */
export interface CtxAccess {
  /** Register type a load produces (SCALAR for plain fields). */
  readonly regType: RegType;
}

/** The parts of `struct bpf_verifier_ops` and the program type the verifier uses. */
export interface ProgTypeOps {
  readonly name: string;
  /** sizeof the context struct. */
  readonly ctxSize: number;
  /**
   * `is_valid_access(off, size, type)`: null when the kernel refuses
   * (`invalid bpf_context access off=N size=M`). `isStImm` marks a BPF_ST store.
   */
  isValidAccess(off: number, size: number, type: 1 | 2, isStImm: boolean): CtxAccess | null;
  /** The helper prototype for `id`, or undefined when the type may not call it. */
  helper(id: number): HelperProto | undefined;
  /** Whether LD_ABS/LD_IND are allowed (may_access_skb). */
  readonly mayAccessSkb: boolean;
  /** Whether direct packet writes are allowed (may_access_direct_pkt_data for writes). */
  readonly pktWrite: boolean;
}

/** `enum bpf_arg_type` subset. */
export const ARG = Object.freeze({
  DONTCARE: 0,
  CONST_MAP_PTR: 1,
  PTR_TO_MAP_KEY: 2,
  PTR_TO_MAP_VALUE: 3,
  PTR_TO_MEM: 4,
  PTR_TO_MEM_OR_NULL: 5,
  PTR_TO_UNINIT_MEM: 6,
  CONST_SIZE: 7,
  CONST_SIZE_OR_ZERO: 8,
  PTR_TO_CTX: 9,
  ANYTHING: 10,
  PTR_TO_RINGBUF_MEM: 11,
  CONST_ALLOC_SIZE_OR_ZERO: 12,
  PTR_TO_FIXED_UNINIT_MEM4: 13,
  PTR_TO_UNINIT_MAP_VALUE: 14,
  PTR_TO_FUNC: 15,
  PTR_TO_STACK_OR_NULL: 16,
} as const);
/** An ARG value. */
export type ArgKind = (typeof ARG)[keyof typeof ARG];

/** `enum bpf_return_type` subset. */
export const RET = Object.freeze({
  INTEGER: 0,
  VOID: 1,
  PTR_TO_MAP_VALUE_OR_NULL: 2,
  PTR_TO_RINGBUF_MEM_OR_NULL: 3,
} as const);
/** A RET value. */
export type RetKind = (typeof RET)[keyof typeof RET];

/** `struct bpf_func_proto` as the verifier needs it. */
export interface HelperProto {
  readonly id: number;
  readonly name: string;
  readonly args: readonly ArgKind[];
  readonly ret: RetKind;
  /** bpf_helper_changes_pkt_data(): invalidates packet pointers. */
  readonly changesPkt?: boolean;
  readonly gplOnly?: boolean;
  /** `.pkt_access`: the helper may be given packet pointers. */
  readonly pktAccess?: boolean;
  /** Needs callbacks or other machinery this verifier does not model. */
  readonly unsupported?: string;
}

/** The map attributes the verifier checks against (`struct bpf_map`). */
export interface MapDescriptor {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
  /** inner_map_meta of ARRAY_OF_MAPS / HASH_OF_MAPS: a non-NULL lookup result is a pointer to this map. */
  readonly inner?: MapDescriptor;
}

/** BTF func linkage (`enum btf_func_linkage`): BTF_FUNC_STATIC, BTF_FUNC_GLOBAL, BTF_FUNC_EXTERN. */
export const BTF_FUNC_LINKAGE = Object.freeze({ STATIC: 0, GLOBAL: 1, EXTERN: 2 } as const);

/**
 * One `struct bpf_func_info` record with the linkage of the BTF FUNC it names
 * (what the verifier learns from BPF_PROG_LOAD's func_info + prog_btf_fd).
 */
export interface FuncInfo {
  /** First instruction of the subprogram. */
  readonly insnOff: number;
  /** BTF_FUNC_LINKAGE of the function. */
  readonly linkage: number;
}
