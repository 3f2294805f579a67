// Test support: a seeded generator of random verifier-friendly programs for
// the kernel differential test. Every program:
//   prologue  r6 = r1; r0-r5, r7-r9 = random 64-bit constants; stack fp-64..fp-8 = random
//   body      random ALU64/ALU32 (all ops, K and X, MOVSX, NEG, END), aligned LDX/LDXSX/ST/STX
//             and atomics on fp-64..fp-1, forward JMP/JMP32 branches (no loops)
//   epilogue  saves r0 at fp-72, looks up key 0 of the array map and copies fp-72..fp-8
//             (r0 + 8 stack words = 72 bytes) into its value; returns r0.
// So one map lookup after the run shows r0 (all 64 bits) and the stack.
import type { Prng } from '@tcbpf/base';
import { insn, ldImm64, type Insn } from '../src/index.js';

/** Registers the body may use (r6 holds ctx, r10 is the frame pointer). */
const REGS = [0, 1, 2, 3, 4, 5, 7, 8, 9] as const;
/** Size of the map value the epilogue fills. */
export const RESULT_SIZE = 72;

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0] as const;
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0] as const;
const SIZES = [[0x00, 4], [0x08, 2], [0x10, 1], [0x18, 8]] as const;
const ATOMIC_IMMS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1] as const;

function pick<T>(p: Prng, xs: readonly T[]): T {
  return xs[p.below(xs.length)]!;
}

/** An "interesting" 32-bit immediate: small, boundary or random. */
function imm32(p: Prng): number {
  switch (p.below(6)) {
    case 0: return p.below(16);
    case 1: return -1 - p.below(16);
    case 2: return pick(p, [0x7fffffff, -0x80000000, 0xffff, 0x8000, 0x80, 0xff, 0x10000]);
    default: return p.u32() | 0;
  }
}

/** Where a body may work: registers, stack bytes below r10, and whether it may call the subprogram. */
interface BodyShape {
  readonly regs: readonly number[];
  readonly stack: number;
  readonly call: boolean;
}
const MAIN: BodyShape = { regs: REGS, stack: 64, call: false };
/** A bpf-to-bpf callee: r6-r9 are not readable there, its own stack is initialised on entry. */
const CALLEE: BodyShape = { regs: [0, 1, 2, 3, 4, 5], stack: 32, call: false };

/** Placeholder for "call the subprogram" (imm patched once the subprogram's position is known). */
const CALL_MARK = 0x7eadbeef;

/** A body of `len` generated steps (no LD_IMM64, so every index is a jump target candidate). */
function body(p: Prng, len: number, shape: BodyShape = MAIN): Insn[] {
  const out: Insn[] = [];
  const REGS = shape.regs;
  const STACK = shape.stack;
  for (let i = 0; i < len; i++) {
    const remaining = len - i - 1;
    const dst = pick(p, REGS);
    const src = pick(p, REGS);
    if (p.below(30) === 0 && remaining > 0) {
      // the bounds-check idiom the interpreter fuses: rD = rS; rD += K; if rD > rX goto +off
      out.push(insn(0xbf, dst, src), insn(0x07, dst, 0, 0, imm32(p)), insn(0x2d, dst, pick(p, REGS), p.below(Math.min(remaining, 6) + 1), 0));
      continue;
    }
    if (shape.call && p.below(25) === 0) {
      // call the subprogram; R1-R5 are clobbered by a call, so set them again
      out.push(insn(0x85, 0, 1, 0, CALL_MARK));
      for (let r = 1; r <= 5; r++) out.push(insn(0xb7, r, 0, 0, imm32(p)));
      continue;
    }
    const kind = p.below(100);
    if (kind < 45) {
      const is64 = p.below(2) === 0;
      const cls = is64 ? 0x07 : 0x04;
      const op = pick(p, ALU_OPS);
      const x = p.below(2) === 0;
      const signed = (op === 0x30 || op === 0x90) && p.below(2) === 0 ? 1 : 0;
      if (op === 0x60 || op === 0x70 || op === 0xc0) {
        if (x) out.push(insn(cls | op | 8, dst, src));
        else out.push(insn(cls | op, dst, 0, 0, p.below(is64 ? 64 : 32)));
      } else if (op === 0xb0 && x && p.below(3) === 0) {
        out.push(insn(cls | op | 8, dst, src, pick(p, is64 ? [8, 16, 32] : [8, 16]), 0)); // MOVSX
      } else if (x) out.push(insn(cls | op | 8, dst, src, signed, 0));
      else {
        let k = imm32(p);
        if ((op === 0x30 || op === 0x90) && k === 0) k = 7;
        out.push(insn(cls | op, dst, 0, signed, k));
      }
    } else if (kind < 50) {
      out.push(insn(p.below(2) ? 0x87 : 0x84, dst)); // neg
    } else if (kind < 55) {
      out.push(insn(pick(p, [0xd4, 0xdc, 0xd7]), dst, 0, 0, pick(p, [16, 32, 64]))); // le/be/bswap
    } else if (kind < 65) {
      const [sz, n] = pick(p, SIZES);
      const off = -(n * (1 + p.below(STACK / n)));
      const sx = n !== 8 && p.below(3) === 0;
      out.push(insn((sx ? 0x81 : 0x61) | sz, dst, 10, off, 0));
    } else if (kind < 75) {
      const [sz, n] = pick(p, SIZES);
      const off = -(n * (1 + p.below(STACK / n)));
      if (p.below(2)) out.push(insn(0x63 | sz, 10, src, off, 0));
      else out.push(insn(0x62 | sz, 10, 0, off, imm32(p)));
    } else if (kind < 82) {
      const dw = p.below(2) === 0;
      const n = dw ? 8 : 4;
      const off = -(n * (1 + p.below(STACK / n)));
      out.push(insn(dw ? 0xdb : 0xc3, 10, src, off, pick(p, ATOMIC_IMMS)));
    } else if (remaining > 0) {
      const cls = p.below(2) ? 0x05 : 0x06;
      const op = pick(p, JMP_OPS);
      const off = p.below(Math.min(remaining, 8) + 1);
      if (p.below(2)) out.push(insn(cls | op | 8, dst, src, off, 0));
      else out.push(insn(cls | op, dst, 0, off, imm32(p)));
    } else {
      out.push(insn(0xbf, dst, src));
    }
  }
  return out;
}

/**
 * One generated program; `mapFd` is the fd of an ARRAY map (key 4, value
 * RESULT_SIZE, 1 entry) in the loader's fd space.
 */
export function generateProgram(p: Prng, mapFd: number, bodyLen = 8 + p.below(40), withCall = false): Insn[] {
  const out: Insn[] = [insn(0xbf, 6, 1)]; // r6 = r1
  for (const r of REGS) out.push(...ldImm64(r, p.u32(), p.u32()));
  for (let off = -8; off >= -64; off -= 8) {
    out.push(...ldImm64(1, p.u32(), p.u32()), insn(0x7b, 10, 1, off, 0));
  }
  out.push(...ldImm64(1, p.u32(), p.u32())); // r1 again random (it was used as scratch)
  out.push(...body(p, bodyLen, withCall ? { ...MAIN, call: true } : MAIN));
  // epilogue
  out.push(
    insn(0x7b, 10, 0, -72, 0), // *(u64 *)(r10 -72) = r0
    insn(0x62, 10, 0, -76, 0), // *(u32 *)(r10 -76) = 0   (key)
    ...ldImm64(1, 0, mapFd, 1), // r1 = map
    insn(0xbf, 2, 10), // r2 = r10
    insn(0x07, 2, 0, 0, -76), // r2 += -76
    insn(0x85, 0, 0, 0, 1), // call map_lookup_elem
    insn(0x15, 0, 0, 18, 0), // if r0 == 0 goto out (skip 9 load/store pairs)
  );
  for (let i = 0; i < 9; i++) out.push(insn(0x79, 1, 10, -72 + i * 8, 0), insn(0x7b, 0, 1, i * 8, 0));
  out.push(insn(0x79, 0, 10, -72, 0), insn(0x95)); // out: r0 = saved r0; exit
  if (!withCall || !out.some((i) => i.imm === CALL_MARK && i.code === 0x85)) return out.map((i) => (i.code === 0x85 && i.imm === CALL_MARK ? insn(0xb7, 0, 0, 0, 0) : i));
  // the subprogram: r0 = r1, initialise its stack, a random body on r0-r5, exit
  const sub = out.length;
  out.push(insn(0xbf, 0, 1));
  for (let off = -8; off >= -CALLEE.stack; off -= 8) out.push(insn(0x7a, 10, 0, off, imm32(p)));
  out.push(...body(p, 4 + p.below(16), CALLEE), insn(0x95));
  return out.map((i, at) => (i.code === 0x85 && i.imm === CALL_MARK ? insn(0x85, 0, 1, 0, sub - at - 1) : i));
}

/** Replace the map fd of every BPF_PSEUDO_MAP_FD load (to move a program between fd spaces). */
export function withMapFd(insns: readonly Insn[], fd: number): Insn[] {
  return insns.map((i) => (i.code === 0x18 && i.src === 1 ? insn(i.code, i.dst, i.src, i.off, fd) : i));
}
