// @tcbpf/cbpf — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['include/uapi/linux/filter.h', 'net/core/filter.c (sk_chk_filter, bpf_convert_filter)', 'lib/bpf_filter (libpcap text formats)']);
