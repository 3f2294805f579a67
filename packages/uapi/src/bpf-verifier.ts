// Models include/uapi/linux/bpf.h and include/linux/bpf_verifier.h (Linux 6.18):
// the verifier-facing constants user space can observe (log levels, limits,
// register-state bounds). Numbers only.

/** log_level bits of BPF_PROG_LOAD (include/linux/bpf_verifier.h BPF_LOG_*). */
export const BPF_LOG = Object.freeze({ LEVEL1: 1, LEVEL2: 2, STATS: 4, FIXED: 8 } as const);

/** Limits the verifier enforces (include/linux/bpf_verifier.h, include/linux/bpf.h, kernel/bpf/verifier.c). */
export const BPF_VERIFIER_LIMITS = Object.freeze({
  /** BPF_COMPLEXITY_LIMIT_INSNS: processed instructions per load */
  COMPLEXITY_LIMIT_INSNS: 1_000_000,
  /** BPF_COMPLEXITY_LIMIT_JMP_SEQ: pending branch states */
  COMPLEXITY_LIMIT_JMP_SEQ: 8192,
  /** MAX_PACKET_OFF: largest packet pointer offset */
  MAX_PACKET_OFF: 0xffff,
  /** BPF_MAX_VAR_OFF: largest pointer offset (1 << 29) */
  MAX_VAR_OFF: 1 << 29,
  /** BPF_MAX_VAR_SIZ: largest variable access size (1 << 29) */
  MAX_VAR_SIZ: 1 << 29,
  /** MAX_BPF_FUNC_ARGS / MAX_BPF_FUNC_REG_ARGS */
  MAX_FUNC_REG_ARGS: 5,
  /** BPF_MAX_SUBPROGS */
  MAX_SUBPROGS: 256,
  /** NET_IP_ALIGN as assumed by the verifier for strict packet alignment */
  NET_IP_ALIGN: 2,
  /** BPF_REG_SIZE: one stack slot */
  REG_SIZE: 8,
} as const);

/** Access types of `is_valid_access` (include/linux/bpf.h enum bpf_access_type). */
export const BPF_ACCESS = Object.freeze({ READ: 1, WRITE: 2 } as const);
