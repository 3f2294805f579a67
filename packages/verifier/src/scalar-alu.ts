// Models the scalar half of kernel/bpf/verifier.c (Linux 6.18):
// adjust_scalar_min_max_vals() (scalar_min_max_add/sub/mul/and/or/xor/lsh/
// rsh/arsh and their 32-bit forms), coerce_reg_to_size(), is_branch_taken()
// and regs_refine_cond_op() for conditional jumps.
import type { Reg } from './reg-state.js';
import {
  S64_MAX, S64_MIN, type Tnum, U32_MAX, U64_MAX, s64, tnumAdd, tnumAnd, tnumArshift, tnumCast, tnumConst, tnumIntersect, tnumLshift, tnumMul, tnumOr,
  tnumRange, tnumRshift, tnumSub, tnumSubreg, tnumWithSubreg, tnumXor, u64,
} from './tnum.js';
import { REG_TYPE } from './types.js';

/** A width-generic view of a scalar: tnum and bounds within 32 or 64 bits. */
interface View {
  t: Tnum;
  umin: bigint;
  umax: bigint;
  smin: bigint;
  smax: bigint;
}

function view(r: Reg, w: number): View {
  if (w === 64) return { t: r.tnum, umin: r.umin, umax: r.umax, smin: r.smin, smax: r.smax };
  return { t: tnumSubreg(r.tnum), umin: BigInt(r.u32min), umax: BigInt(r.u32max), smin: BigInt(r.s32min), smax: BigInt(r.s32max) };
}

function lims(w: number): { M: bigint; SMIN: bigint; SMAX: bigint } {
  return w === 64 ? { M: U64_MAX, SMIN: S64_MIN, SMAX: S64_MAX } : { M: U32_MAX, SMIN: -0x80000000n, SMAX: 0x7fffffffn };
}

function sx(x: bigint, w: number): bigint {
  return BigInt.asIntN(w, x);
}

function fromUnsigned(v: View, w: number): void {
  const { SMIN, SMAX } = lims(w);
  if (sx(v.umin, w) <= sx(v.umax, w)) {
    v.smin = sx(v.umin, w);
    v.smax = sx(v.umax, w);
  } else {
    v.smin = SMIN;
    v.smax = SMAX;
  }
}

/** Apply ALU op `op` (0x00 ADD ... 0xc0 ARSH, 0x80 NEG) of width w to scalars; returns false when the result is unknown. */
function aluView(op: number, d: View, s: View, w: number): View | null {
  const { M, SMIN, SMAX } = lims(w);
  const cast = (t: Tnum): Tnum => tnumCast(t, w / 8);
  const r: View = { t: d.t, umin: 0n, umax: M, smin: SMIN, smax: SMAX };
  switch (op) {
    case 0x00: {
      const a = d.smin + s.smin;
      const b = d.smax + s.smax;
      if (a < SMIN || a > SMAX || b < SMIN || b > SMAX) { r.smin = SMIN; r.smax = SMAX; } else { r.smin = a; r.smax = b; }
      const c = d.umin + s.umin;
      const e = d.umax + s.umax;
      if (e > M) { r.umin = 0n; r.umax = M; } else { r.umin = c; r.umax = e; }
      r.t = cast(tnumAdd(d.t, s.t));
      return r;
    }
    case 0x10: {
      const a = d.smin - s.smax;
      const b = d.smax - s.smin;
      if (a < SMIN || a > SMAX || b < SMIN || b > SMAX) { r.smin = SMIN; r.smax = SMAX; } else { r.smin = a; r.smax = b; }
      if (d.umin < s.umax) { r.umin = 0n; r.umax = M; } else { r.umin = d.umin - s.umax; r.umax = d.umax - s.umin; }
      r.t = cast(tnumSub(d.t, s.t));
      return r;
    }
    case 0x20: {
      r.t = cast(tnumMul(d.t, s.t));
      const hi = d.umax * s.umax;
      if (hi > M) { r.umin = 0n; r.umax = M; } else { r.umin = d.umin * s.umin; r.umax = hi; }
      const ps = [d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax];
      if (ps.some((x) => x < SMIN || x > SMAX)) { r.smin = SMIN; r.smax = SMAX; } else {
        r.smin = ps.reduce((a, b) => (a < b ? a : b));
        r.smax = ps.reduce((a, b) => (a > b ? a : b));
      }
      return r;
    }
    case 0x50: {
      r.t = tnumAnd(d.t, s.t);
      r.umin = r.t.value;
      r.umax = d.umax < s.umax ? d.umax : s.umax;
      if (d.smin < 0n || s.smin < 0n) { r.smin = SMIN; r.smax = SMAX; } else fromUnsigned(r, w);
      return r;
    }
    case 0x40: {
      r.t = tnumOr(d.t, s.t);
      r.umin = d.umin > s.umin ? d.umin : s.umin;
      r.umax = r.t.value | r.t.mask;
      if (d.smin < 0n || s.smin < 0n) { r.smin = SMIN; r.smax = SMAX; } else fromUnsigned(r, w);
      return r;
    }
    case 0xa0: {
      r.t = tnumXor(d.t, s.t);
      r.umin = r.t.value;
      r.umax = r.t.value | r.t.mask;
      if (d.smin >= 0n && s.smin >= 0n) fromUnsigned(r, w); else { r.smin = SMIN; r.smax = SMAX; }
      return r;
    }
    case 0x60: {
      const sh = BigInt(s.umin);
      r.t = cast(tnumLshift(d.t, Number(sh)));
      if (d.umax > M >> sh) { r.umin = 0n; r.umax = M; } else { r.umin = d.umin << sh; r.umax = d.umax << sh; }
      return r;
    }
    case 0x70: {
      const sh = Number(s.umin);
      r.t = tnumRshift(d.t, sh);
      r.umin = d.umin >> BigInt(sh);
      r.umax = d.umax >> BigInt(sh);
      return r;
    }
    case 0xc0: {
      const sh = Number(s.umin);
      r.smin = d.smin >> BigInt(sh);
      r.smax = d.smax >> BigInt(sh);
      r.t = tnumArshift(d.t, sh, w);
      return r;
    }
    default:
      return null;
  }
}

function storeView(r: Reg, v: View, w: number): void {
  if (w === 64) {
    r.tnum = v.t;
    r.umin = v.umin; r.umax = v.umax; r.smin = v.smin; r.smax = v.smax;
    r.u32min = 0; r.u32max = 0xffffffff; r.s32min = -0x80000000; r.s32max = 0x7fffffff;
  } else {
    r.tnum = tnumSubreg(v.t);
    r.u32min = Number(v.umin); r.u32max = Number(v.umax); r.s32min = Number(v.smin); r.s32max = Number(v.smax);
    r.zext32();
  }
  r.sync();
}

/** is_safe_to_compute_dst_reg_range */
function safeToCompute(op: number, src: Reg, w: number): boolean {
  const isConst = w === 32 ? src.isConst32() && src.s32min === src.s32max && src.u32min === src.u32max : src.isConst() && src.smin === src.smax && src.umin === src.umax;
  switch (op) {
    case 0x00: case 0x10: case 0x80: case 0x50: case 0xa0: case 0x40: case 0x20:
      return true;
    case 0x60: case 0x70: case 0xc0:
      return isConst && (w === 32 ? src.u32max < 32 : src.umax < 64n);
    default:
      return false;
  }
}

/** adjust_scalar_min_max_vals: dst = dst op src for two scalars. */
export function scalarAlu(op: number, dst: Reg, src: Reg, alu32: boolean): void {
  const w = alu32 ? 32 : 64;
  if (!safeToCompute(op, src, w)) {
    dst.markUnknown();
    if (alu32) dst.zext32();
    if (alu32) dst.sync();
    return;
  }
  let d = view(dst, w);
  let s = view(src, w);
  let o = op;
  if (op === 0x80) {
    s = d;
    d = { t: tnumConst(0n), umin: 0n, umax: 0n, smin: 0n, smax: 0n };
    o = 0x10;
  }
  const r = aluView(o, d, s, w);
  dst.id = 0;
  if (r === null) {
    dst.markUnknown();
    if (alu32) { dst.zext32(); dst.sync(); }
    return;
  }
  storeView(dst, r, w);
}

/** coerce_reg_to_size: keep the low `size` bytes, zero-extended. */
export function coerceToSize(r: Reg, size: number): void {
  if (size >= 8) return;
  r.tnum = tnumCast(r.tnum, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  const nm = ~mask & U64_MAX;
  if ((r.umin & nm) === (r.umax & nm)) { r.umin &= mask; r.umax &= mask; } else { r.umin = 0n; r.umax = mask; }
  r.smin = r.umin;
  r.smax = r.umax;
  if (size < 4) { r.u32min = 0; r.u32max = 0xffffffff; r.s32min = -0x80000000; r.s32max = 0x7fffffff; } else {
    r.u32min = 0; r.u32max = 0xffffffff; r.s32min = -0x80000000; r.s32max = 0x7fffffff;
  }
  r.sync();
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes to 64 bits. */
export function coerceToSizeSx(r: Reg, size: number): void {
  const bits = BigInt(size * 8);
  if (r.tm === 0n) {
    r.markKnown(BigInt.asIntN(Number(bits), r.tv));
    return;
  }
  const lo = -(1n << (bits - 1n));
  const hi = (1n << (bits - 1n)) - 1n;
  r.markUnknown();
  r.smin = lo; r.smax = hi;
  r.sync();
}

/** MOVSX32: sign-extend low `size` bytes into 32 bits, zero-extend to 64. */
export function coerceSubregToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if ((r.tm & U32_MAX) === 0n) {
    const v = BigInt.asUintN(32, BigInt.asIntN(bits, r.tv));
    r.markKnown(v);
    return;
  }
  r.markUnknown();
  r.s32min = -(2 ** (bits - 1)); r.s32max = 2 ** (bits - 1) - 1;
  r.u32min = 0; r.u32max = 0xffffffff;
  r.sync();
  r.zext32();
  r.sync();
}

/** Flip a jump op for the fall-through branch (rev_opcode). */
function revOp(op: number): number {
  switch (op) {
    case 0x10: return 0x50;
    case 0x50: return 0x10;
    case 0x40: return 0x140; // JSET negated
    case 0x20: return 0xb0;
    case 0xb0: return 0x20;
    case 0x30: return 0xa0;
    case 0xa0: return 0x30;
    case 0x60: return 0xd0;
    case 0xd0: return 0x60;
    case 0x70: return 0xc0;
    case 0xc0: return 0x70;
    default: return op;
  }
}

/** Swap operands of a comparison (flip_opcode). */
function flipOp(op: number): number {
  switch (op) {
    case 0x20: return 0xa0;
    case 0xa0: return 0x20;
    case 0x30: return 0xb0;
    case 0xb0: return 0x30;
    case 0x60: return 0xc0;
    case 0xc0: return 0x60;
    case 0x70: return 0xd0;
    case 0xd0: return 0x70;
    default: return op;
  }
}

/** is_scalar_branch_taken: 1 taken, 0 not taken, -1 unknown. */
export function scalarBranchTaken(a: Reg, b: Reg, op: number, jmp32: boolean): number {
  const w = jmp32 ? 32 : 64;
  const x = view(a, w);
  const y = view(b, w);
  const xConst = x.t.mask === 0n;
  const yConst = y.t.mask === 0n;
  switch (op) {
    case 0x10:
    case 0x50: {
      let r = -1;
      if (xConst && yConst) r = x.t.value === y.t.value ? 1 : 0;
      else if (x.umin > y.umax || x.umax < y.umin || x.smin > y.smax || x.smax < y.smin) r = 0;
      else if (((x.t.value ^ y.t.value) & ~(x.t.mask | y.t.mask) & U64_MAX) !== 0n) r = 0;
      if (r === -1) return -1;
      return op === 0x10 ? r : 1 - r;
    }
    case 0x40:
      if (!yConst) return -1;
      if ((x.t.value & y.t.value) !== 0n) return 1;
      if (((x.t.value | x.t.mask) & y.t.value) === 0n) return 0;
      return -1;
    case 0x20:
      if (x.umin > y.umax) return 1;
      if (x.umax <= y.umin) return 0;
      return -1;
    case 0x60:
      if (x.smin > y.smax) return 1;
      if (x.smax <= y.smin) return 0;
      return -1;
    case 0xa0:
      if (x.umax < y.umin) return 1;
      if (x.umin >= y.umax) return 0;
      return -1;
    case 0xc0:
      if (x.smax < y.smin) return 1;
      if (x.smin >= y.smax) return 0;
      return -1;
    case 0x30:
      if (x.umin >= y.umax) return 1;
      if (x.umax < y.umin) return 0;
      return -1;
    case 0x70:
      if (x.smin >= y.smax) return 1;
      if (x.smax < y.smin) return 0;
      return -1;
    case 0xb0:
      if (x.umax <= y.umin) return 1;
      if (x.umin > y.umax) return 0;
      return -1;
    case 0xd0:
      if (x.smax <= y.smin) return 1;
      if (x.smin > y.smax) return 0;
      return -1;
    default:
      return -1;
  }
}

function put(r: Reg, v: View, w: number): void {
  if (w === 64) {
    r.tnum = v.t;
    r.umin = v.umin; r.umax = v.umax; r.smin = v.smin; r.smax = v.smax;
  } else {
    r.tnum = tnumWithSubreg(r.tnum, v.t);
    r.u32min = Number(v.umin); r.u32max = Number(v.umax); r.s32min = Number(v.smin); r.s32max = Number(v.smax);
  }
}

function refine(r1: Reg, r2: Reg, op0: number, jmp32: boolean): void {
  const w = jmp32 ? 32 : 64;
  let a = r1;
  let b = r2;
  let op = op0;
  if (op === 0xa0 || op === 0xb0 || op === 0xc0 || op === 0xd0) {
    a = r2; b = r1; op = flipOp(op);
  }
  const x = view(a, w);
  const y = view(b, w);
  const mx = (p: bigint, q: bigint): bigint => (p > q ? p : q);
  const mn = (p: bigint, q: bigint): bigint => (p < q ? p : q);
  switch (op) {
    case 0x10: {
      x.umin = y.umin = mx(x.umin, y.umin);
      x.umax = y.umax = mn(x.umax, y.umax);
      x.smin = y.smin = mx(x.smin, y.smin);
      x.smax = y.smax = mn(x.smax, y.smax);
      x.t = y.t = tnumIntersect(x.t, y.t);
      break;
    }
    case 0x50: {
      if (y.t.mask !== 0n) break;
      const v = y.t.value;
      if (x.umin === v) x.umin += 1n;
      if (x.umax === v) x.umax -= 1n;
      const sv = sx(v, w);
      if (x.smin === sv) x.smin += 1n;
      if (x.smax === sv) x.smax -= 1n;
      break;
    }
    case 0x40:
      if (y.t.mask === 0n && (y.t.value & (y.t.value - 1n)) === 0n) x.t = tnumOr(x.t, y.t);
      break;
    case 0x140:
      if (y.t.mask === 0n) x.t = tnumAnd(x.t, { value: ~y.t.value & (w === 64 ? U64_MAX : U32_MAX), mask: 0n });
      break;
    case 0x30:
      x.umin = mx(x.umin, y.umin);
      y.umax = mn(y.umax, x.umax);
      break;
    case 0x20:
      x.umin = mx(x.umin, y.umin + 1n);
      y.umax = mn(y.umax, x.umax - 1n);
      break;
    case 0x70:
      x.smin = mx(x.smin, y.smin);
      y.smax = mn(y.smax, x.smax);
      break;
    case 0x60:
      x.smin = mx(x.smin, y.smin + 1n);
      y.smax = mn(y.smax, x.smax - 1n);
      break;
    default:
      break;
  }
  put(a, x, w);
  put(b, y, w);
}

/** reg_set_min_max: refine both registers for the taken (op) and fall-through (reversed op) branches. */
export function regSetMinMax(trueR1: Reg, trueR2: Reg, falseR1: Reg, falseR2: Reg, op: number, jmp32: boolean): void {
  if (falseR1.type !== REG_TYPE.SCALAR || falseR2.type !== REG_TYPE.SCALAR) return;
  refine(falseR1, falseR2, revOp(op), jmp32);
  falseR1.sync(); falseR2.sync();
  refine(trueR1, trueR2, op, jmp32);
  trueR1.sync(); trueR2.sync();
}

/** True when bounds are contradictory (a dead branch). */
export function boundsInvalid(r: Reg): boolean {
  return r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max || (r.tv & r.tm) !== 0n;
}

export { tnumRange, s64, u64 };
