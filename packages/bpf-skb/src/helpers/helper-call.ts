// The eBPF helper calling convention as @tcbpf/ebpf's HelperEnv presents it
// (Linux 6.18, kernel/bpf/core.c and the arch calling convention: R1-R5 are
// the arguments, R0 the result): each 64-bit register is two int32 halves,
// regs[2n] the low and regs[2n+1] the high word. Shared by the SCHED_CLS
// helper modules of this folder; numbers only, no allocation, never throws.
import { HELPER_CTRL, type HelperEnv } from '@tcbpf/ebpf';

/** R0 = a signed 32-bit value (sign-extended to 64 bits); the run continues. */
export function setR0(env: HelperEnv, v: number): number {
  env.regs[0] = v | 0;
  env.regs[1] = v < 0 ? -1 : 0;
  return HELPER_CTRL.CONTINUE;
}

/** R0 = an unsigned 32-bit value (upper half zero); the run continues. */
export function setR0u32(env: HelperEnv, v: number): number {
  env.regs[0] = v | 0;
  env.regs[1] = 0;
  return HELPER_CTRL.CONTINUE;
}

/** Low 32 bits of register Rn. */
export function argLo(env: HelperEnv, n: number): number {
  return env.regs[n * 2]!;
}

/** High 32 bits of register Rn (the region handle of a pointer). */
export function argHi(env: HelperEnv, n: number): number {
  return env.regs[n * 2 + 1]!;
}

/** Region index of [hi:lo, +size) in the address space, or -1 when it is not wholly inside one region. */
export function memIdx(env: HelperEnv, hi: number, lo: number, size: number): number {
  const mem = env.kernel.mem;
  const idx = mem.indexOf(hi);
  if (idx < 0) return -1;
  const off = lo >>> 0;
  return size >= 0 && off + size <= mem.lens[idx]! ? idx : -1;
}
