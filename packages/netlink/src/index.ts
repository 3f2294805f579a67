// @tcbpf/netlink — see README.md. Linux 6.18 is the modelled kernel.

/** Kernel sources this package models (Linux 6.18), for docs and the demo. */
export const MODELS: readonly string[] = Object.freeze(['include/uapi/linux/netlink.h', 'lib/nlattr.c', 'net/netlink/af_netlink.c (acks, extack)', 'include/uapi/linux/rtnetlink.h', 'include/uapi/linux/pkt_cls.h', 'include/uapi/linux/pkt_sched.h']);
