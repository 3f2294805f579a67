// Models the address families of include/linux/socket.h (Linux 6.18) that
// user space sees in rtnetlink and BPF structs. Interface facts, not code.

/** `AF_*` address families. */
export const AF = Object.freeze({
  UNSPEC: 0,
  INET: 2,
  INET6: 10,
} as const);
