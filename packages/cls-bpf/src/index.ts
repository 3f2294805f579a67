// @tcbpf/cls-bpf — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['net/sched/cls_bpf.c']);

export { createClsBpfOps, clsBpfOps, ClsBpfProg, ClsBpfHead, CLS_BPF_MAX_OPS, CLS_BPF_NAME_LEN, CLS_BPF_SUPPORTED_GEN_FLAGS, CLS_BPF_HANDLE_MAX } from './cls-bpf.js';
export type { ClsBpfOffload, ClsBpfStatsRequest, ClsBpfOps, ClsBpfOptions, ClsBpfProgShow } from './cls-bpf.js';
export { ClassicJitRuntime } from '@tcbpf/jit';
export { progInfoText } from './prog-info-text.js';
