// @tcbpf/skb — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['include/linux/skbuff.h', 'net/core/skbuff.c', 'net/core/dev.c (rx/tx paths)', 'drivers/net/veth.c', 'include/net/checksum.h']);
