// @tcbpf/jit — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['kernel/bpf/core.c (bpf_jit_enable, bpf_prog_select_runtime)', 'arch/x86/net/bpf_jit_comp.c (semantics of the native JIT)']);
