// Models include/uapi/linux/filter.h and the classic half of
// include/uapi/linux/bpf_common.h (Linux 6.18): the sock_filter encoding,
// classic instruction fields, the ancillary-load offsets (SKF_AD_*) and the
// negative-offset bases. Numbers only; classic BPF's classes 6 and 7 are
// RET and MISC (eBPF reuses them as JMP32 and ALU64, see ./bpf.ts).

/** Classic instruction classes (`code & 0x07`). */
export const CBPF_CLASS = Object.freeze({
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, RET: 0x06, MISC: 0x07,
} as const);

/** Load sizes (`code & 0x18`). */
export const CBPF_SIZE = Object.freeze({ W: 0x00, H: 0x08, B: 0x10 } as const);

/** Load modes (`code & 0xe0`). */
export const CBPF_MODE = Object.freeze({ IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, LEN: 0x80, MSH: 0xa0 } as const);

/** ALU operations (`code & 0xf0`). */
export const CBPF_ALU = Object.freeze({
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70, NEG: 0x80, MOD: 0x90, XOR: 0xa0,
} as const);

/** Jump operations (`code & 0xf0`). */
export const CBPF_JMP = Object.freeze({ JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40 } as const);

/** Operand source (`code & 0x08`): K = immediate, X = index register. */
export const CBPF_SRC = Object.freeze({ K: 0x00, X: 0x08 } as const);

/** Return value source (`code & 0x18`, BPF_RVAL). */
export const CBPF_RVAL = Object.freeze({ K: 0x00, X: 0x08, A: 0x10 } as const);

/** MISC operations (`code & 0xf8`, BPF_MISCOP). */
export const CBPF_MISCOP = Object.freeze({ TAX: 0x00, TXA: 0x80 } as const);

/** Limits of classic programs (filter.h / bpf_common.h). */
export const CBPF_LIMITS = Object.freeze({
  /** BPF_MAXINSNS */
  MAXINSNS: 4096,
  /** BPF_MEMWORDS: scratch memory cells M[0..15] */
  MEMWORDS: 16,
  /** sizeof(struct sock_filter) */
  SOCK_FILTER_SIZE: 8,
} as const);

/**
 * Ancillary-load offsets: an ABS load of `SKF_AD_OFF + off` reads sk_buff
 * metadata instead of packet bytes (SKF_AD_PROTOCOL ... SKF_AD_VLAN_TPID).
 */
export const SKF_AD = Object.freeze({
  PROTOCOL: 0,
  PKTTYPE: 4,
  IFINDEX: 8,
  NLATTR: 12,
  NLATTR_NEST: 16,
  MARK: 20,
  QUEUE: 24,
  HATYPE: 28,
  RXHASH: 32,
  CPU: 36,
  ALU_XOR_X: 40,
  VLAN_TAG: 44,
  VLAN_TAG_PRESENT: 48,
  PAY_OFFSET: 52,
  RANDOM: 56,
  VLAN_TPID: 60,
  MAX: 64,
} as const);

/** Name of an SKF_AD_* offset, e.g. `'PROTOCOL'`. */
export type SkfAdName = Exclude<keyof typeof SKF_AD, 'MAX'>;

/** Negative-offset bases of classic loads (signed 32-bit values). */
export const SKF_OFF = Object.freeze({
  /** SKF_AD_OFF: start of the ancillary range */
  AD: -0x1000,
  /** SKF_NET_OFF: offsets relative to the network header */
  NET: -0x100000,
  /** SKF_LL_OFF: offsets relative to the link-layer (MAC) header */
  LL: -0x200000,
} as const);

/** Socket options of classic filters (asm-generic/socket.h). */
export const SO_FILTER = Object.freeze({ SO_ATTACH_FILTER: 26, SO_DETACH_FILTER: 27, SO_LOCK_FILTER: 44 } as const);
