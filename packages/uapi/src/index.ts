// @tcbpf/uapi — Linux user-space API constants and struct layouts as data.
// Models include/uapi/linux/* of Linux 6.18. Every table here is an interface fact
// (numbers and names), grouped by the header it comes from.
export { ERRNO, ERRNO_TEXT } from './errno.js';
export type { ErrnoName } from './errno.js';
