// Models the register and stack state of kernel/bpf/verifier.c (Linux 6.18):
// struct bpf_reg_state with its tnum and 64/32-bit signed/unsigned bounds,
// __update_reg_bounds/__reg_deduce_bounds/__reg_bound_offset (reg_bounds_sync),
// stack slots (STACK_INVALID/SPILL/MISC/ZERO) and print_verifier_state()'s
// text (kernel/bpf/log.c).
import {
  S32_MAX, S32_MIN, S64_MAX, S64_MIN, type Tnum, U32_MAX, U64_MAX, s64, tnumConst, tnumIntersect, tnumRange, tnumStr,
  tnumSubreg, tnumWithSubreg, u64,
} from './tnum.js';
import { REG_TYPE, REG_TYPE_NAME, type MapDescriptor } from './types.js';

/** One register (or spilled slot) of the abstract state. */
export class Reg {
  type: number = REG_TYPE.NOT_INIT;
  /** Fixed offset of a pointer. */
  off = 0;
  id = 0;
  refObjId = 0;
  /** Proven packet range. */
  range = 0;
  map: MapDescriptor | null = null;
  frameno = 0;
  memSize = 0;
  ringbuf = false;
  /** Subprogram number of a PTR_TO_FUNC (subprogno). */
  subprog = 0;
  tv = 0n;
  tm = U64_MAX;
  umin = 0n;
  umax = U64_MAX;
  smin = S64_MIN;
  smax = S64_MAX;
  u32min = 0;
  u32max = 0xffffffff;
  s32min = S32_MIN;
  s32max = S32_MAX;

  /** A deep copy. */
  clone(): Reg {
    const r = new Reg();
    r.copyFrom(this);
    return r;
  }
  copyFrom(o: Reg): void {
    this.type = o.type; this.off = o.off; this.id = o.id; this.refObjId = o.refObjId; this.range = o.range; this.map = o.map;
    this.frameno = o.frameno; this.memSize = o.memSize; this.ringbuf = o.ringbuf; this.subprog = o.subprog; this.tv = o.tv; this.tm = o.tm;
    this.umin = o.umin; this.umax = o.umax; this.smin = o.smin; this.smax = o.smax;
    this.u32min = o.u32min; this.u32max = o.u32max; this.s32min = o.s32min; this.s32max = o.s32max;
  }
  get tnum(): Tnum {
    return { value: this.tv, mask: this.tm };
  }
  set tnum(t: Tnum) {
    this.tv = t.value;
    this.tm = t.mask;
  }
  isPtr(): boolean {
    return this.type !== REG_TYPE.SCALAR && this.type !== REG_TYPE.NOT_INIT;
  }
  isConst(): boolean {
    return this.type === REG_TYPE.SCALAR && this.tm === 0n;
  }
  isConst32(): boolean {
    return this.type === REG_TYPE.SCALAR && (this.tm & U32_MAX) === 0n;
  }
  isNull(): boolean {
    return this.type === REG_TYPE.SCALAR && this.tm === 0n && this.tv === 0n;
  }
  /** __mark_reg_unbounded + unknown var_off, keeps nothing of the pointer. */
  markUnknown(): void {
    this.type = REG_TYPE.SCALAR; this.off = 0; this.id = 0; this.refObjId = 0; this.range = 0; this.map = null; this.frameno = 0; this.memSize = 0; this.ringbuf = false; this.subprog = 0;
    this.tv = 0n; this.tm = U64_MAX;
    this.markUnbounded();
  }
  markUnbounded(): void {
    this.umin = 0n; this.umax = U64_MAX; this.smin = S64_MIN; this.smax = S64_MAX;
    this.u32min = 0; this.u32max = 0xffffffff; this.s32min = S32_MIN; this.s32max = S32_MAX;
  }
  markNotInit(): void {
    this.markUnknown();
    this.type = REG_TYPE.NOT_INIT;
  }
  /** __mark_reg_known */
  markKnown(v: bigint): void {
    const x = u64(v);
    this.tv = x; this.tm = 0n;
    this.umin = x; this.umax = x; this.smin = s64(x); this.smax = s64(x);
    const lo = Number(x & U32_MAX);
    this.u32min = lo; this.u32max = lo; this.s32min = lo | 0; this.s32max = lo | 0;
  }
  /** A pointer of `type` at offset 0 with known-zero variable part. */
  markPtr(type: number): void {
    this.markUnknown();
    this.markKnown(0n);
    this.type = type;
  }
  /** Clear the upper 32 bits (zext_32_to_64 from the 32-bit bounds). */
  zext32(): void {
    this.tnum = tnumSubreg(this.tnum);
    this.umin = BigInt(this.u32min); this.umax = BigInt(this.u32max);
    this.smin = this.umin; this.smax = this.umax;
  }
  /** reg_bounds_sync */
  sync(): void {
    if (this.tm === 0n && this.umin === this.tv && this.umax === this.tv) {
      this.markKnown(this.tv);
      return;
    }
    updateBounds(this);
    deduceBounds(this);
    deduceBounds(this);
    deduceBounds(this);
    boundOffset(this);
    updateBounds(this);
  }
}

const TWO64 = 1n << 64n;
/** s64() for a value already in [0, 2^64). */
function toS(x: bigint): bigint {
  return x > S64_MAX ? x - TWO64 : x;
}
/** u64() for a value already in [-2^63, 2^63). */
function toU(x: bigint): bigint {
  return x < 0n ? x + TWO64 : x;
}

function maxB(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}
function minB(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

const SIGN = 1n << 63n;
const NOT_SIGN = ~SIGN & U64_MAX;
function updateBounds(r: Reg): void {
  r.smin = maxB(r.smin, toS(r.tv | (r.tm & SIGN)));
  r.smax = minB(r.smax, toS(r.tv | (r.tm & NOT_SIGN)));
  r.umin = maxB(r.umin, r.tv);
  r.umax = minB(r.umax, r.tv | r.tm);
  const v32 = Number(r.tv & U32_MAX);
  const m32 = Number(r.tm & U32_MAX);
  r.s32min = Math.max(r.s32min, (v32 | (m32 & 0x80000000)) | 0);
  r.s32max = Math.min(r.s32max, (v32 | (m32 & 0x7fffffff)) | 0);
  r.u32min = Math.max(r.u32min, v32 >>> 0);
  r.u32max = Math.min(r.u32max, (v32 | m32) >>> 0);
}

function deduceBounds(r: Reg): void {
  // 32-bit: signed <-> unsigned
  if ((r.u32min | 0) <= (r.u32max | 0)) {
    r.s32min = Math.max(r.s32min, r.u32min | 0);
    r.s32max = Math.min(r.s32max, r.u32max | 0);
  }
  if ((r.s32min >>> 0) <= (r.s32max >>> 0)) {
    r.u32min = Math.max(r.u32min, r.s32min >>> 0);
    r.u32max = Math.min(r.u32max, r.s32max >>> 0);
  }
  // 64 -> 32 when the upper 32 bits are fixed
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = Math.max(r.u32min, Number(r.umin & U32_MAX));
    r.u32max = Math.min(r.u32max, Number(r.umax & U32_MAX));
    const lo = Number(r.umin & U32_MAX) | 0;
    const hi = Number(r.umax & U32_MAX) | 0;
    if (lo <= hi) {
      r.s32min = Math.max(r.s32min, lo);
      r.s32max = Math.min(r.s32max, hi);
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    const lo = Number(BigInt.asIntN(32, r.smin));
    const hi = Number(BigInt.asIntN(32, r.smax));
    if (lo <= hi) {
      r.s32min = Math.max(r.s32min, lo);
      r.s32max = Math.min(r.s32max, hi);
    }
  }
  // 64-bit: signed <-> unsigned
  if (toS(r.umin) <= toS(r.umax)) {
    r.smin = maxB(r.smin, toS(r.umin));
    r.smax = minB(r.smax, toS(r.umax));
  }
  if (toU(r.smin) <= toU(r.smax)) {
    r.umin = maxB(r.umin, toU(r.smin));
    r.umax = minB(r.umax, toU(r.smax));
  }
  // 32 -> 64: a value within [0, U32_MAX] carries its 32-bit bounds
  if (r.umax <= U32_MAX) {
    r.umin = maxB(r.umin, BigInt(r.u32min));
    r.umax = minB(r.umax, BigInt(r.u32max));
    r.smin = maxB(r.smin, BigInt(r.u32min));
    r.smax = minB(r.smax, BigInt(r.u32max));
  }
}

function boundOffset(r: Reg): void {
  const v64 = tnumIntersect(r.tnum, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(BigInt(r.u32min), BigInt(r.u32max)));
  r.tnum = tnumWithSubreg(v64, v32);
}

/** Stack slot byte types (enum bpf_stack_slot_type). */
export const STACK = Object.freeze({ INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3 } as const);
const SLOT_CHAR = ['?', 'r', 'm', '0'];

/** One call frame: registers, 64 stack slots of 8 bytes, its own stack depth. */
export class Frame {
  readonly regs: Reg[] = [];
  /** slot types, 512 bytes; index 0 = fp-512 ... 511 = fp-1 */
  readonly stype = new Uint8Array(512);
  /** spilled register per 8-byte slot (index = spi, fp-8 is spi 0) */
  readonly spill: (Reg | null)[] = new Array<Reg | null>(64).fill(null);
  frameno: number;
  subprog: number;
  callsite: number;
  /** -lowest offset touched */
  allocated = 0;
  /** in_callback_fn: this frame runs a bpf_loop/for_each_map_elem callback (R0 must be in [0, 1] at exit). */
  inCallback = false;
  /** callback_depth: callback iterations scheduled from this frame's current call instruction. */
  callbackDepth = 0;

  constructor(frameno: number, subprog: number, callsite: number) {
    this.frameno = frameno;
    this.subprog = subprog;
    this.callsite = callsite;
    for (let i = 0; i < 11; i++) this.regs.push(new Reg());
  }
  clone(): Frame {
    const f = new Frame(this.frameno, this.subprog, this.callsite);
    for (let i = 0; i < 11; i++) f.regs[i]!.copyFrom(this.regs[i]!);
    f.stype.set(this.stype);
    for (let i = 0; i < 64; i++) {
      const s = this.spill[i];
      f.spill[i] = s === null || s === undefined ? null : s.clone();
    }
    f.allocated = this.allocated;
    f.inCallback = this.inCallback;
    f.callbackDepth = this.callbackDepth;
    return f;
  }
  /** Slot type byte for stack offset `off` (negative). */
  slotType(off: number): number {
    return this.stype[512 + off]!;
  }
}

/** verbose_snum / verbose_unum of kernel/bpf/log.c: small numbers in decimal, others in hex. */
function snum(v: bigint): string {
  return v >= -512n && v <= 512n ? `${v}` : `0x${u64(v).toString(16)}`;
}
function unum(v: bigint): string {
  return v <= 512n ? `${v}` : `0x${v.toString(16)}`;
}

/** print_scalar_ranges: equal bounds are merged (`smin=smin32=0`). */
function scalarRanges(r: Reg): string[] {
  const s32min = BigInt(r.s32min);
  const s32max = BigInt(r.s32max);
  const m = [
    { n: 'smin', v: r.smin, omit: r.smin === S64_MIN },
    { n: 'smax', v: r.smax, omit: r.smax === S64_MAX },
    { n: 'umin', v: r.umin, omit: r.umin === 0n },
    { n: 'umax', v: r.umax, omit: r.umax === U64_MAX },
    { n: 'smin32', v: s32min >= -512n && s32min <= 512n ? s32min : BigInt(r.s32min >>> 0), omit: r.s32min === S32_MIN },
    { n: 'smax32', v: s32max >= -512n && s32max <= 512n ? s32max : BigInt(r.s32max >>> 0), omit: r.s32max === S32_MAX },
    { n: 'umin32', v: BigInt(r.u32min), omit: r.u32min === 0 },
    { n: 'umax32', v: BigInt(r.u32max), omit: r.u32max === 0xffffffff },
  ];
  const out: string[] = [];
  for (let i = 0; i < m.length; i++) {
    const a = m[i]!;
    if (a.omit) continue;
    const neg1 = a.n[0] === 's' && s64(a.v) < 0n;
    let text = `${a.n}=`;
    for (let j = i + 2; j < m.length; j += 2) {
      const b = m[j]!;
      if (b.omit || u64(b.v) !== u64(a.v)) continue;
      const neg2 = b.n[0] === 's' && s64(b.v) < 0n;
      if (neg2 !== neg1) continue;
      b.omit = true;
      text += `${b.n}=`;
    }
    out.push(text + (a.n[0] === 's' ? snum(s64(a.v)) : unum(a.v)));
  }
  return out;
}

/** Text of one register as print_verifier_state shows it. */
export function regStr(r: Reg, frameno = r.frameno): string {
  const t = r.type;
  if (t === REG_TYPE.SCALAR) {
    if (r.tm === 0n) return snum(s64(r.tv));
    const parts = r.id !== 0 ? [`id=${r.id}`, ...scalarRanges(r)] : scalarRanges(r);
    if (r.tm !== U64_MAX) parts.push(`var_off=${tnumStr(r.tnum)}`);
    return `scalar(${parts.join(',')})`;
  }
  const fp = t === REG_TYPE.PTR_TO_STACK && r.frameno !== frameno ? `[${r.frameno}]` : '';
  if (t === REG_TYPE.PTR_TO_STACK && r.tm === 0n) return `${fp}fp${r.off + Number(s64(r.tv))}`;
  const name = (r.ringbuf ? 'ringbuf_' : '') + (REG_TYPE_NAME[t] ?? '?');
  const parts: string[] = [];
  if (r.id !== 0) parts.push(`id=${r.id}`);
  if (r.refObjId !== 0) parts.push(`ref_obj_id=${r.refObjId}`);
  if (r.off !== 0) parts.push(`off=${r.off}`);
  if (t === REG_TYPE.PTR_TO_PACKET || t === REG_TYPE.PTR_TO_PACKET_META) parts.push(`r=${r.range}`);
  else if ((t === REG_TYPE.PTR_TO_MAP_VALUE || t === REG_TYPE.PTR_TO_MAP_VALUE_OR_NULL || t === REG_TYPE.CONST_PTR_TO_MAP || t === REG_TYPE.PTR_TO_MAP_KEY) && r.map !== null) {
    parts.push(`ks=${r.map.keySize},vs=${r.map.valueSize}`);
  } else if (t === REG_TYPE.PTR_TO_MEM || t === REG_TYPE.PTR_TO_MEM_OR_NULL) parts.push(`sz=${r.memSize}`);
  if (r.tm === 0n) {
    if (r.tv !== 0n) parts.push(`imm=${r.tv.toString(16)}`);
  } else {
    parts.push(...scalarRanges(r));
    if (r.tm !== U64_MAX) parts.push(`var_off=${tnumStr(r.tnum)}`);
  }
  return `${fp}${name}(${parts.join(',')})`;
}

/** Known constant as a tnum, for the fake source register of K-form instructions. */
export function constReg(v: bigint): Reg {
  const r = new Reg();
  r.type = REG_TYPE.SCALAR;
  r.markKnown(v);
  return r;
}

/** `fp-8=mmmmmmmm` / `fp-8=ctx()` items of a frame's stack. */
export function stackStr(f: Frame, only?: Uint8Array): string[] {
  const out: string[] = [];
  for (let spi = 0; spi < 64; spi++) {
    if (only !== undefined && only[spi] === 0) continue;
    const base = 512 - (spi + 1) * 8;
    let any = false;
    let s = '';
    for (let i = 7; i >= 0; i--) {
      const t = f.stype[base + i]!;
      if (t !== STACK.INVALID) any = true;
      s += SLOT_CHAR[t];
    }
    if (!any) continue;
    const sp = f.spill[spi];
    if (f.stype[base] === STACK.SPILL && sp) {
      // MISC/ZERO/INVALID bytes above a narrower spill are printed before the register
      let prefix = '';
      for (let i = 7; i >= 0 && f.stype[base + i] !== STACK.SPILL; i--) prefix += SLOT_CHAR[f.stype[base + i]!];
      out.push(`fp${-(spi + 1) * 8}=${prefix}${regStr(sp, f.frameno)}`);
    }
    else out.push(`fp${-(spi + 1) * 8}=${s}`);
  }
  return out;
}

export { tnumConst };
