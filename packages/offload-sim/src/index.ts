// @tcbpf/offload-sim — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['drivers/net/netdevsim/bpf.c', 'drivers/net/netdevsim/netdev.c']);
