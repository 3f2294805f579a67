// @tcbpf/base — primitives every kernel model shares: the refusal error type,
// the simulated clock, the seeded PRNG, the IDR allocator and byte-order access.
export { KernelError, kerr } from './kernel-error.js';
export type { KernelErrorOptions } from './kernel-error.js';
export { SimClock, HZ } from './clock.js';
export { Prng } from './prng.js';
export { Idr } from './idr.js';
export {
  HOST_LITTLE_ENDIAN,
  u16be, u32be, u16le, u32le, putU16be, putU32be, putU16le, putU32le,
  u16host, u32host, putU16host, putU32host, toHex, fromHex,
} from './byte-order.js';
