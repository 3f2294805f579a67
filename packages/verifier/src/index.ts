// @tcbpf/verifier — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['kernel/bpf/verifier.c', 'kernel/bpf/tnum.c', 'kernel/bpf/log.c', 'net/core/filter.c (tc_cls_act_is_valid_access)']);
