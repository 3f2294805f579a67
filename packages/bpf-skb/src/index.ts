// @tcbpf/bpf-skb — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['net/core/filter.c (tc_cls_act helpers, __sk_buff access)', 'net/bpf/test_run.c', 'tools/lib/bpf/libbpf.c (ELF loading)']);
