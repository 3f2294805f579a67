// Models the bpf_fib_lookup, bpf_check_mtu and bpf_skb_set_tstamp parts of
// include/uapi/linux/bpf.h (Linux 6.18): flags, return codes and the layout of
// `struct bpf_fib_lookup`. Transcribed; interface facts, not code.

/** `BPF_FIB_LOOKUP_*` flags of bpf_fib_lookup. */
export const BPF_FIB_LOOKUP = Object.freeze({
  DIRECT: 1 << 0,
  OUTPUT: 1 << 1,
  SKIP_NEIGH: 1 << 2,
  TBID: 1 << 3,
  SRC: 1 << 4,
  MARK: 1 << 5,
} as const);

/** `BPF_FIB_LKUP_RET_*` positive results of bpf_fib_lookup (0 is SUCCESS). */
export const BPF_FIB_LKUP_RET = Object.freeze({
  SUCCESS: 0,
  BLACKHOLE: 1,
  UNREACHABLE: 2,
  PROHIBIT: 3,
  NOT_FWDED: 4,
  FWD_DISABLED: 5,
  UNSUPP_LWT: 6,
  NO_NEIGH: 7,
  FRAG_NEEDED: 8,
  NO_SRC_ADDR: 9,
} as const);

/** Byte offsets in the 64-byte `struct bpf_fib_lookup` (unions share offsets). */
export const BPF_FIB_LOOKUP_OFF = Object.freeze({
  family: 0,
  l4_protocol: 1,
  sport: 2,
  dport: 4,
  /** tot_len (input) / mtu_result (output), u16 host order. */
  tot_len: 6,
  ifindex: 8,
  /** tos (u8, IPv4) / flowinfo (be32, IPv6) / rt_metric (u32 output). */
  tos: 12,
  ipv4_src: 16,
  ipv6_src: 16,
  ipv4_dst: 32,
  ipv6_dst: 32,
  h_vlan_proto: 48,
  h_vlan_TCI: 50,
  /** tbid (u32 input, with DIRECT|TBID), shares the vlan fields. */
  tbid: 48,
  /** mark (u32 input, with MARK), shares smac. */
  mark: 52,
  smac: 52,
  dmac: 58,
  SIZE: 64,
} as const);

/** `BPF_MTU_CHK_*` of bpf_check_mtu. */
export const BPF_MTU_CHK = Object.freeze({
  /** flags: check the packet's segments (GSO). */
  SEGS: 1,
  /** return codes */
  RET_SUCCESS: 0,
  RET_FRAG_NEEDED: 1,
  RET_SEGS_TOOBIG: 2,
} as const);

/** `BPF_SKB_TSTAMP_*` / `BPF_SKB_CLOCK_*` types of bpf_skb_set_tstamp (`__sk_buff.tstamp_type`). */
export const BPF_SKB_TSTAMP = Object.freeze({
  UNSPEC: 0,
  /** BPF_SKB_CLOCK_MONOTONIC (== the old BPF_SKB_TSTAMP_DELIVERY_MONO). */
  CLOCK_MONOTONIC: 1,
  CLOCK_TAI: 2,
} as const);
