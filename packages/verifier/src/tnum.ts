// Models kernel/bpf/tnum.c (Linux 6.18): tracked numbers, a (value, mask)
// pair where set mask bits are unknown. 64-bit arithmetic on bigint: the
// verifier is a load-time control path, not a per-packet path.

/** 2^64 - 1 */
export const U64_MAX = 0xffff_ffff_ffff_ffffn;
/** 2^32 - 1 */
export const U32_MAX = 0xffff_ffffn;
/** INT64_MAX */
export const S64_MAX = 0x7fff_ffff_ffff_ffffn;
/** INT64_MIN */
export const S64_MIN = -0x8000_0000_0000_0000n;
/** INT32 bounds */
export const S32_MAX = 0x7fff_ffff;
export const S32_MIN = -0x8000_0000;

/** A tracked number: bits set in `mask` are unknown; `value & mask === 0`. */
export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

/** Wrap to u64. */
export function u64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}
/** Wrap to s64. */
export function s64(x: bigint): bigint {
  return BigInt.asIntN(64, x);
}

/** tnum_const */
export function tnumConst(v: bigint): Tnum {
  return { value: u64(v), mask: 0n };
}
/** tnum_unknown */
export const TNUM_UNKNOWN: Tnum = Object.freeze({ value: 0n, mask: U64_MAX });

function fls64(x: bigint): number {
  if (x === 0n) return 0;
  const hi = Number(x >> 32n);
  if (hi !== 0) return 64 - Math.clz32(hi);
  return 32 - Math.clz32(Number(x));
}

/** tnum_range: the tnum covering [min, max]. */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = min ^ max;
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return { value: min & ~delta & U64_MAX, mask: delta };
}
/** tnum_lshift */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  return { value: u64(a.value << BigInt(shift)), mask: u64(a.mask << BigInt(shift)) };
}
/** tnum_rshift */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  return { value: a.value >> BigInt(shift), mask: a.mask >> BigInt(shift) };
}
/** tnum_arshift (min_insn 32 or 64) */
export function tnumArshift(a: Tnum, shift: number, insnBits: number): Tnum {
  if (insnBits === 32) {
    const v = BigInt.asIntN(32, a.value) >> BigInt(shift);
    const m = BigInt.asIntN(32, a.mask) >> BigInt(shift);
    return { value: BigInt.asUintN(32, v), mask: BigInt.asUintN(32, m) };
  }
  return { value: u64(s64(a.value) >> BigInt(shift)), mask: u64(s64(a.mask) >> BigInt(shift)) };
}
/** tnum_add */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return { value: sv & ~mu & U64_MAX, mask: mu };
}
/** tnum_sub */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return { value: dv & ~mu & U64_MAX, mask: mu };
}
/** tnum_neg */
export function tnumNeg(a: Tnum): Tnum {
  return tnumSub(tnumConst(0n), a);
}
/** tnum_and */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return { value: v, mask: alpha & beta & ~v & U64_MAX };
}
/** tnum_or */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return { value: v, mask: mu & ~v & U64_MAX };
}
/** tnum_xor */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}
/** tnum_mul (the 6.x shift-and-add form) */
export function tnumMul(a0: Tnum, b0: Tnum): Tnum {
  let a = a0;
  let b = b0;
  let accV = tnumConst(u64(a.value * b.value));
  let accM: Tnum = tnumConst(0n);
  while (a.value !== 0n || a.mask !== 0n) {
    if ((a.value & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: b.mask });
    else if ((a.mask & 1n) !== 0n) accM = tnumAdd(accM, { value: 0n, mask: b.value | b.mask });
    a = tnumRshift(a, 1);
    b = tnumLshift(b, 1);
  }
  accV = tnumAdd(accV, accM);
  return accV;
}
/** tnum_intersect */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return { value: v & ~mu & U64_MAX, mask: mu };
}
/** tnum_cast: keep the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = size >= 8 ? U64_MAX : (1n << BigInt(size * 8)) - 1n;
  return { value: a.value & m, mask: a.mask & m };
}
/** tnum_is_const */
export function tnumIsConst(a: Tnum): boolean {
  return a.mask === 0n;
}
/** tnum_is_unknown */
export function tnumIsUnknown(a: Tnum): boolean {
  return a.mask === U64_MAX;
}
/** tnum_is_aligned */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (size === 0) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}
/** tnum_in: is every value of b a value of a? */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  if ((b.mask & ~a.mask & U64_MAX) !== 0n) return false;
  return a.value === (b.value & ~a.mask & U64_MAX);
}
/** tnum_subreg: the low 32 bits. */
export function tnumSubreg(a: Tnum): Tnum {
  return tnumCast(a, 4);
}
/** tnum_clear_subreg */
export function tnumClearSubreg(a: Tnum): Tnum {
  return tnumLshift(tnumRshift(a, 32), 32);
}
/** tnum_with_subreg */
export function tnumWithSubreg(reg: Tnum, subreg: Tnum): Tnum {
  return tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
}
/** tnum_const_subreg */
export function tnumConstSubreg(a: Tnum, v: number): Tnum {
  return tnumWithSubreg(a, tnumConst(BigInt(v >>> 0)));
}
/** tnum_equals_const */
export function tnumEqualsConst(a: Tnum, v: bigint): boolean {
  return a.mask === 0n && a.value === u64(v);
}
/** tnum_sbin/tnum_strn: `(0x0; 0xffffffff)` as the log prints it. */
export function tnumStr(a: Tnum): string {
  return `(0x${a.value.toString(16)}; 0x${a.mask.toString(16)})`;
}
