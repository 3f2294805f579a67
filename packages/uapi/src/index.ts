// @tcbpf/uapi — Linux user-space API constants and struct layouts as data.
// Models include/uapi/linux/* of Linux 6.18. Every table here is an interface fact
// (numbers and names), grouped by the header it comes from.
export { ERRNO, ERRNO_TEXT } from './errno.js';
export type { ErrnoName } from './errno.js';
export * from './bpf.js';
export * from './bpf-helpers.js';
export * from './if-ether.js';
export * from './if-arp.js';
export * from './if-packet.js';
export * from './in.js';
export * from './netlink.js';
export * from './rtnetlink.js';
export * from './pkt-cls.js';
export * from './pkt-sched.js';
export * from './gen-stats.js';
export * from './tc-act.js';
export * from './if.js';
export * from './bpf-verifier.js';
export * from './filter.js';
export * from './elf.js';
export * from './bpf-elf.js';
export * from './btf.js';
export * from './tc-core.js';
export * from './rtnetlink-route.js';
export * from './neighbour.js';
export * from './socket.js';
export * from './bpf-fib.js';
