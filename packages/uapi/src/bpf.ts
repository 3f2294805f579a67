// Models include/uapi/linux/bpf.h and include/uapi/linux/bpf_common.h (Linux 6.18):
// instruction-encoding constants, pseudo sources, map and program types, map
// flags, bpf() commands and the limits user space can observe. Numbers only.
// The helper-id list (__BPF_FUNC_MAPPER) is generated into ./bpf-helpers.ts.

/** Instruction classes (`code & 0x07`). */
export const BPF_CLASS = Object.freeze({
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07,
} as const);

/** Load/store sizes (`code & 0x18`). */
export const BPF_SIZE = Object.freeze({ W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const);

/** Load/store modes (`code & 0xe0`). */
export const BPF_MODE = Object.freeze({
  IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0, MEMSX: 0x80, ATOMIC: 0xc0,
} as const);

/** Operand source bit (`code & 0x08`) of ALU/JMP; END uses it as TO_LE/TO_BE. */
export const BPF_SRC = Object.freeze({ K: 0x00, X: 0x08, TO_LE: 0x00, TO_BE: 0x08 } as const);

/** ALU operations (`code & 0xf0`). */
export const BPF_ALU_OP = Object.freeze({
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const);

/** JMP operations (`code & 0xf0`). */
export const BPF_JMP_OP = Object.freeze({
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0, JCOND: 0xe0,
} as const);

/** Atomic operations (imm of STX|ATOMIC). */
export const BPF_ATOMIC_OP = Object.freeze({
  ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01, XCHG: 0xe1, CMPXCHG: 0xf1,
  LOAD_ACQ: 0x100, STORE_REL: 0x110,
} as const);

/** `src` of LD_IMM64 (BPF_PSEUDO_*) and of CALL. */
export const BPF_PSEUDO = Object.freeze({
  MAP_FD: 1, MAP_VALUE: 2, BTF_ID: 3, FUNC: 4, MAP_IDX: 5, MAP_IDX_VALUE: 6,
  CALL: 1, KFUNC_CALL: 2,
} as const);

/** Register numbers. */
export const BPF_REG = Object.freeze({
  R0: 0, R1: 1, R2: 2, R3: 3, R4: 4, R5: 5, R6: 6, R7: 7, R8: 8, R9: 9, R10: 10, FP: 10,
} as const);

/** Limits of the instruction set and of one program run. */
export const BPF_LIMITS = Object.freeze({
  /** include/linux/filter.h MAX_BPF_STACK */
  MAX_BPF_STACK: 512,
  /** include/linux/bpf_verifier.h MAX_CALL_FRAMES */
  MAX_CALL_FRAMES: 8,
  /** include/linux/bpf.h MAX_TAIL_CALL_CNT */
  MAX_TAIL_CALL_CNT: 33,
  /** include/uapi/linux/bpf.h BPF_MAXINSNS (unprivileged limit; root: 1M processed) */
  BPF_MAXINSNS: 4096,
  /** include/linux/bpf.h BPF_COMPLEXITY_LIMIT_INSNS */
  BPF_COMPLEXITY_LIMIT_INSNS: 1_000_000,
  /** include/uapi/linux/bpf.h BPF_TAG_SIZE */
  BPF_TAG_SIZE: 8,
  /** include/uapi/linux/bpf.h BPF_OBJ_NAME_LEN */
  BPF_OBJ_NAME_LEN: 16,
} as const);

/** `enum bpf_cmd`. */
export const BPF_CMD = Object.freeze({
  MAP_CREATE: 0, MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_DELETE_ELEM: 3, MAP_GET_NEXT_KEY: 4,
  PROG_LOAD: 5, OBJ_PIN: 6, OBJ_GET: 7, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_TEST_RUN: 10,
  PROG_GET_NEXT_ID: 11, MAP_GET_NEXT_ID: 12, PROG_GET_FD_BY_ID: 13, MAP_GET_FD_BY_ID: 14,
  OBJ_GET_INFO_BY_FD: 15, PROG_QUERY: 16, RAW_TRACEPOINT_OPEN: 17, BTF_LOAD: 18,
  BTF_GET_FD_BY_ID: 19, TASK_FD_QUERY: 20, MAP_LOOKUP_AND_DELETE_ELEM: 21, MAP_FREEZE: 22,
  BTF_GET_NEXT_ID: 23, MAP_LOOKUP_BATCH: 24, MAP_LOOKUP_AND_DELETE_BATCH: 25,
  MAP_UPDATE_BATCH: 26, MAP_DELETE_BATCH: 27,
} as const);

/** `enum bpf_map_type`. */
export const BPF_MAP_TYPE = Object.freeze({
  UNSPEC: 0, HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5,
  PERCPU_ARRAY: 6, STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16,
  XSKMAP: 17, SOCKHASH: 18, CGROUP_STORAGE: 19, REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24, DEVMAP_HASH: 25,
  STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30,
  USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const);

/** `enum bpf_prog_type`. */
export const BPF_PROG_TYPE = Object.freeze({
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6,
  PERF_EVENT: 7, CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12,
  SOCK_OPS: 13, SK_SKB: 14, CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17,
  CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19, LIRC_MODE2: 20, SK_REUSEPORT: 21,
  FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25,
  TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const);

/**
 * `enum bpf_attach_type` (Linux 6.18: up to BPF_TRACE_UPROBE_SESSION). Values
 * are implicit in the header (0, 1, 2, ...); the enum only ever grows at the end.
 */
export const BPF_ATTACH_TYPE = Object.freeze({
  CGROUP_INET_INGRESS: 0, CGROUP_INET_EGRESS: 1, CGROUP_INET_SOCK_CREATE: 2, CGROUP_SOCK_OPS: 3,
  SK_SKB_STREAM_PARSER: 4, SK_SKB_STREAM_VERDICT: 5, CGROUP_DEVICE: 6, SK_MSG_VERDICT: 7,
  CGROUP_INET4_BIND: 8, CGROUP_INET6_BIND: 9, CGROUP_INET4_CONNECT: 10, CGROUP_INET6_CONNECT: 11,
  CGROUP_INET4_POST_BIND: 12, CGROUP_INET6_POST_BIND: 13, CGROUP_UDP4_SENDMSG: 14, CGROUP_UDP6_SENDMSG: 15,
  LIRC_MODE2: 16, FLOW_DISSECTOR: 17, CGROUP_SYSCTL: 18, CGROUP_UDP4_RECVMSG: 19, CGROUP_UDP6_RECVMSG: 20,
  CGROUP_GETSOCKOPT: 21, CGROUP_SETSOCKOPT: 22, TRACE_RAW_TP: 23, TRACE_FENTRY: 24, TRACE_FEXIT: 25,
  MODIFY_RETURN: 26, LSM_MAC: 27, TRACE_ITER: 28, CGROUP_INET4_GETPEERNAME: 29, CGROUP_INET6_GETPEERNAME: 30,
  CGROUP_INET4_GETSOCKNAME: 31, CGROUP_INET6_GETSOCKNAME: 32, XDP_DEVMAP: 33, CGROUP_INET_SOCK_RELEASE: 34,
  XDP_CPUMAP: 35, SK_LOOKUP: 36, XDP: 37, SK_SKB_VERDICT: 38, SK_REUSEPORT_SELECT: 39,
  SK_REUSEPORT_SELECT_OR_MIGRATE: 40, PERF_EVENT: 41, TRACE_KPROBE_MULTI: 42, LSM_CGROUP: 43, STRUCT_OPS: 44,
  NETFILTER: 45, TCX_INGRESS: 46, TCX_EGRESS: 47, TRACE_UPROBE_MULTI: 48, CGROUP_UNIX_CONNECT: 49,
  CGROUP_UNIX_SENDMSG: 50, CGROUP_UNIX_RECVMSG: 51, CGROUP_UNIX_GETPEERNAME: 52, CGROUP_UNIX_GETSOCKNAME: 53,
  NETKIT_PRIMARY: 54, NETKIT_PEER: 55, TRACE_KPROBE_SESSION: 56, TRACE_UPROBE_SESSION: 57,
} as const);

/** `MAX_BPF_ATTACH_TYPE` (`__MAX_BPF_ATTACH_TYPE`): one past the last attach type. */
export const MAX_BPF_ATTACH_TYPE = 58;

/** Flags of BPF_MAP_UPDATE_ELEM. */
export const BPF_UPDATE = Object.freeze({ ANY: 0, NOEXIST: 1, EXIST: 2, F_LOCK: 4 } as const);

/** map_flags of BPF_MAP_CREATE. */
export const BPF_MAP_CREATE_FLAG = Object.freeze({
  NO_PREALLOC: 1 << 0, NO_COMMON_LRU: 1 << 1, NUMA_NODE: 1 << 2, RDONLY: 1 << 3, WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5, ZERO_SEED: 1 << 6, RDONLY_PROG: 1 << 7, WRONLY_PROG: 1 << 8,
  CLONE: 1 << 9, MMAPABLE: 1 << 10, PRESERVE_ELEMS: 1 << 11, INNER_MAP: 1 << 12, LINK: 1 << 13,
  PATH_FD: 1 << 14, VTYPE_BTF_OBJ_FD: 1 << 15, TOKEN_FD: 1 << 16, SEGV_ON_FAULT: 1 << 17,
  NO_USER_CONV: 1 << 18,
} as const);

/** Flags of helpers that address per-CPU slots and ring buffers. */
export const BPF_HELPER_FLAG = Object.freeze({
  /** perf_event_output: index = current CPU */
  F_CURRENT_CPU: 0xffffffff,
  /** ringbuf_output/submit/discard */
  RB_NO_WAKEUP: 1, RB_FORCE_WAKEUP: 2,
  /** ringbuf_query */
  RB_AVAIL_DATA: 0, RB_RING_SIZE: 1, RB_CONS_POS: 2, RB_PROD_POS: 3,
} as const);

/** Ring-buffer record header bits (kernel/bpf/ringbuf.c, BPF_RINGBUF_*). */
export const BPF_RINGBUF = Object.freeze({ BUSY_BIT: 0x80000000, DISCARD_BIT: 0x40000000, HDR_SZ: 8 } as const);

/** prog_flags of BPF_PROG_LOAD. */
export const BPF_PROG_LOAD_FLAG = Object.freeze({
  F_STRICT_ALIGNMENT: 1 << 0, F_ANY_ALIGNMENT: 1 << 1, F_TEST_RND_HI32: 1 << 2,
  F_TEST_STATE_FREQ: 1 << 3, F_SLEEPABLE: 1 << 4, F_XDP_HAS_FRAGS: 1 << 5,
} as const);
