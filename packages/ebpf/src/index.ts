// @tcbpf/ebpf — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['include/uapi/linux/bpf.h', 'kernel/bpf/core.c', 'kernel/bpf/verifier.c', 'kernel/bpf/syscall.c', 'kernel/bpf/arraymap.c', 'kernel/bpf/hashtab.c', 'kernel/bpf/helpers.c']);
