// Models kernel/bpf/core.c ___bpf_prog_run (Linux 6.18): the eBPF interpreter,
// with bpf-to-bpf call frames (MAX_CALL_FRAMES = 8), tail calls
// (MAX_TAIL_CALL_CNT = 33 per top-level run) and the legacy LD_ABS/LD_IND loads
// whose failure returns 0 from the whole program. Callbacks (bpf_loop,
// bpf_for_each_map_elem) re-enter the dispatch loop one frame deeper, as the
// JITed kernel calls the callback subprogram as a function (the kernel's own
// interpreter refuses callbacks: "callbacks are not allowed in non-JITed programs").
//
// Registers are int32 pairs (no BigInt): R[2n] = low word, R[2n+1] = high word.
// Every memory access goes through the AddressSpace (hi word = region, lo word =
// offset) and is bounds-checked, so the interpreter is memory-safe even for a
// program the verifier would refuse; a bad access ends the run with
// RUN_STATUS.FAULT (never a JS exception). The hot loop allocates nothing.
import { BPF_LIMITS } from '@tcbpf/uapi';
import { HELPER_CTRL } from '../helpers/registry.js';
import type { HelperEnv, KernelServices } from '../helpers/env.js';
import type { BpfProg } from '../prog/program.js';
import { AddressSpace, REGION, REGION_HI_BASE } from './address-space.js';

/** How a run ended. */
export const RUN_STATUS = Object.freeze({
  /** EXIT from the main frame (or a failed LD_ABS/IND: R0 = 0). */
  OK: 0,
  /** A load/store/atomic/helper argument outside every region, or a store to a read-only region. */
  FAULT: 1,
  /** More than MAX_CALL_FRAMES nested bpf-to-bpf calls. */
  CALL_DEPTH: 2,
  /** A CALL with no resolved helper (the loader should have refused it). */
  BAD_CALL: 3,
  /** The instruction budget ran out (an unverified infinite loop). */
  BUDGET: 4,
} as const);

/** Bytes of stack per call frame (MAX_BPF_STACK). */
export const FRAME_STACK = BPF_LIMITS.MAX_BPF_STACK;
/** Size of the stack region: one 512-byte frame per possible call depth. */
export const STACK_REGION_SIZE = FRAME_STACK * BPF_LIMITS.MAX_CALL_FRAMES;

const MAX_FRAMES = BPF_LIMITS.MAX_CALL_FRAMES;
const HI0 = REGION_HI_BASE;

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

/** High 32 bits of the unsigned 64-bit product of two uint32 values. */
function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff, a1 = a >>> 16, b0 = b & 0xffff, b1 = b >>> 16;
  const p01 = a0 * b1, p10 = a1 * b0;
  const mid = ((a0 * b0) >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
  return (a1 * b1 + Math.floor(p01 / 65536) + Math.floor(p10 / 65536) + Math.floor(mid / 65536)) | 0;
}

/** Dense handler id per opcode byte (0 = not executable); the interpreter switches on these. */
const HANDLER: Uint8Array = Uint8Array.from([
  0, 0, 0, 0, 3, 54, 55, 1, 0, 0, 0, 0, 4, 0, 0, 2,
  0, 0, 0, 0, 7, 59, 61, 5, 103, 0, 0, 0, 8, 60, 62, 6,
  104, 0, 0, 0, 11, 63, 65, 9, 104, 0, 0, 0, 12, 64, 66, 10,
  104, 0, 0, 0, 15, 67, 69, 13, 0, 0, 0, 0, 16, 68, 70, 14,
  104, 0, 0, 0, 19, 71, 73, 17, 104, 0, 0, 0, 20, 72, 74, 18,
  104, 0, 0, 0, 23, 75, 77, 21, 0, 0, 0, 0, 24, 76, 78, 22,
  0, 105, 112, 116, 27, 79, 81, 25, 0, 106, 113, 117, 28, 80, 82, 26,
  0, 107, 114, 118, 31, 83, 85, 29, 0, 108, 115, 119, 32, 84, 86, 30,
  0, 109, 0, 0, 34, 57, 0, 33, 0, 110, 0, 0, 0, 0, 0, 0,
  0, 111, 0, 0, 37, 58, 0, 35, 0, 0, 0, 0, 38, 0, 0, 36,
  0, 0, 0, 0, 41, 87, 89, 39, 0, 0, 0, 0, 42, 88, 90, 40,
  0, 0, 0, 0, 45, 91, 93, 43, 0, 0, 0, 0, 46, 92, 94, 44,
  0, 0, 0, 120, 49, 95, 97, 47, 0, 0, 0, 120, 50, 96, 98, 48,
  0, 0, 0, 120, 52, 99, 101, 51, 0, 0, 0, 120, 53, 100, 102, 0,
  0, 0, 0, 0, 0, 56, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
]);

/** Superinstruction handler ids (after the opcode handlers). */
const H_LEA = 121;
const H_LEA_JGT = 122;

const TWO32 = 0x1_0000_0000;
const TWO52 = 0x10_0000_0000_0000;

/**
 * Unsigned 64-bit divide: out[0..1] = quotient lo/hi, out[2..3] = remainder.
 * Divisor must be non-zero.
 */
function udivmod64(alo: number, ahi: number, blo: number, bhi: number, out: Int32Array): void {
  const a = (ahi >>> 0) * TWO32 + (alo >>> 0);
  const b = (bhi >>> 0) * TWO32 + (blo >>> 0);
  if (a < TWO52 && b < TWO52) {
    let q = Math.floor(a / b);
    let r = a - q * b;
    if (r < 0) { q -= 1; r += b; } else if (r >= b) { q += 1; r -= b; }
    out[0] = q % TWO32; out[1] = Math.floor(q / TWO32);
    out[2] = r % TWO32; out[3] = Math.floor(r / TWO32);
    return;
  }
  // shift-subtract long division on the pairs
  let qlo = 0, qhi = 0, rlo = 0, rhi = 0;
  for (let i = 63; i >= 0; i--) {
    // r = r << 1 | bit i of a
    rhi = (rhi << 1) | (rlo >>> 31);
    rlo = (rlo << 1) | ((i >= 32 ? ahi >>> (i - 32) : alo >>> i) & 1);
    // if r >= b: r -= b, set bit i of q
    if ((rhi >>> 0) > (bhi >>> 0) || (rhi === bhi && (rlo >>> 0) >= (blo >>> 0))) {
      const nlo = (rlo - blo) | 0;
      rhi = (rhi - bhi - ((rlo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
      rlo = nlo;
      if (i >= 32) qhi |= 1 << (i - 32); else qlo |= 1 << i;
    }
  }
  out[0] = qlo; out[1] = qhi; out[2] = rlo; out[3] = rhi;
}

/**
 * One interpreter per simulated kernel instance (it owns the register file,
 * the stack region and the call-frame stack). It is also the HelperEnv that
 * helpers receive.
 */
export class Interpreter implements HelperEnv {
  /** R0..R10, lo/hi int32 pairs. */
  readonly regs = new Int32Array(22);
  readonly kernel: KernelServices;
  readonly mem: AddressSpace;
  cpu = 0;
  tailCalls = 0;
  tailCallTarget: BpfProg | undefined = undefined;
  prog: BpfProg | undefined = undefined;
  runCtx: unknown = undefined;
  /** Instructions executed by the last run. */
  executed = 0;
  /** Instruction index of the fault of the last run (-1 if none). */
  faultPc = -1;
  /** Maximum instructions per run before RUN_STATUS.BUDGET (not a kernel limit: the verifier bounds loops). */
  budget = 1 << 26;
  /** The stack bytes (region 0), 8 frames of 512 bytes, frame 0 at the top. */
  readonly stack = new Uint8Array(STACK_REGION_SIZE);

  readonly #scratch = new Int32Array(4);
  readonly #decodeCache = new WeakMap<BpfProg, Int32Array>();
  readonly #frameRet = new Int32Array(MAX_FRAMES);
  readonly #frameSaved = new Int32Array(MAX_FRAMES * 10);
  readonly #frameProg: (BpfProg | undefined)[] = new Array<BpfProg | undefined>(MAX_FRAMES).fill(undefined);
  /** Instructions run by callbacks during the current helper call (added to the caller's count). */
  #nested = 0;
  /** Budget left to the running dispatch loop when it called the current helper (callbacks share it). */
  #budgetLeft = 0;
  /** Status of a callback run that failed (returned by the calling run instead of FAULT), 0 if none. */
  #cbStatus = 0;

  constructor(kernel: KernelServices) {
    this.kernel = kernel;
    this.mem = kernel.mem;
    this.mem.bind(REGION.STACK, 'stack', this.stack);
  }

  /** R0 low word of the last run (what test_run reports as retval). */
  get r0Lo(): number {
    return this.regs[0]!;
  }
  /** R0 high word of the last run. */
  get r0Hi(): number {
    return this.regs[1]!;
  }
  /** R0 of the last run as an unsigned 64-bit bigint (for tests and tools, not the hot path). */
  r0(): bigint {
    return (BigInt(this.regs[1]! >>> 0) << 32n) | BigInt(this.regs[0]! >>> 0);
  }

  /** Address of the top of frame 0's stack (R10 at entry): [hi, lo]. */
  static framePointer(): readonly [number, number] {
    return [AddressSpace.hiOf(REGION.STACK), STACK_REGION_SIZE];
  }

  /**
   * Run `prog` from instruction 0 with R1 = (r1hi:r1lo) and optionally R2.
   * Returns a RUN_STATUS; R0 is in `regs[0..1]`.
   */
  run(prog: BpfProg, r1hi: number, r1lo: number, r2hi = 0, r2lo = 0): number {
    const R = this.regs;
    R.fill(0);
    R[2] = r1lo; R[3] = r1hi;
    R[4] = r2lo; R[5] = r2hi;
    R[20] = STACK_REGION_SIZE; R[21] = AddressSpace.hiOf(REGION.STACK);
    this.tailCalls = 0;
    this.tailCallTarget = undefined;
    this.faultPc = -1;
    this.#nested = 0;
    this.#cbStatus = 0;
    const st = this.#exec(prog, 0, 0, this.budget);
    prog.stats.runCnt++;
    prog.stats.insnCnt += this.executed;
    return st;
  }

  /**
   * The dispatch image of a program: its image with the opcode byte replaced by a dense handler
   * id, and two superinstructions where no jump lands inside them: `rD = rS; rD += K` (LEA,
   * K kept in the first slot's imm) and LEA followed by `if rD > rX goto` (the packet bounds
   * check of every parser). Fused slots run as one dispatch but count as their instructions.
   */
  #decoded(prog: BpfProg): Int32Array {
    let img = this.#decodeCache.get(prog);
    if (img !== undefined) return img;
    img = new Int32Array(prog.image);
    const n = img.length >> 1;
    const target = new Uint8Array(n + 1);
    for (let i = 0; i < n; i++) {
      const w = img[i * 2]!;
      const code = w & 0xff;
      const cls = code & 7;
      if (code === 0x18) { i++; continue; }
      if (code === 0x06) target[Math.min(n, Math.max(0, i + 1 + img[i * 2 + 1]!))] = 1;
      else if (code === 0x85 && ((w >>> 12) & 0xf) === 1) target[Math.min(n, Math.max(0, i + 1 + img[i * 2 + 1]!))] = 1;
      else if ((cls === 5 || cls === 6) && (code & 0xf0) !== 0x80 && (code & 0xf0) !== 0x90) target[Math.min(n, Math.max(0, i + 1 + (w >> 16)))] = 1;
    }
    for (let i = 0; i < n; i++) {
      const w = img[i * 2]!;
      const code = w & 0xff;
      if (code === 0x18) { img[i * 2] = (w & ~0xff) | HANDLER[code]!; i++; continue; }
      img[i * 2] = (w & ~0xff) | HANDLER[code]!;
      // superinstructions (decided on the original opcodes)
      const w1 = i + 1 < n ? prog.image[(i + 1) * 2]! : 0;
      const dst = (w >>> 8) & 0xf;
      if (code === 0xbf && w >> 16 === 0 && i + 1 < n && !target[i + 1] && (w1 & 0xff) === 0x07 && ((w1 >>> 8) & 0xf) === dst && ((w1 >>> 12) & 0xf) === 0 && w1 >> 16 === 0) {
        const w2 = i + 2 < n ? prog.image[(i + 2) * 2]! : 0;
        const fuseJgt = i + 2 < n && !target[i + 2] && (w2 & 0xff) === 0x2d && ((w2 >>> 8) & 0xf) === dst;
        img[i * 2] = (w & ~0xff) | (fuseJgt ? H_LEA_JGT : H_LEA);
        img[i * 2 + 1] = prog.image[(i + 1) * 2 + 1]!;
      }
    }
    this.#decodeCache.set(prog, img);
    return img;
  }

  /** 64-bit DIV/MOD (unsigned, or signed when off = 1) of R[d/2] by (bhi:blo). Rare: kept out of the loop. */
  #divmod64(d: number, blo: number, bhi: number, signed: boolean, isMod: boolean): void {
    const R = this.regs;
    const tmp = this.#scratch;
    if (blo === 0 && bhi === 0) {
      if (!isMod) { R[d] = 0; R[d + 1] = 0; }
      return;
    }
    let alo = R[d]!, ahi = R[d + 1]!;
    if (signed) {
      const an = ahi < 0, bn = bhi < 0;
      let ulo = blo, uhi = bhi;
      if (an) { ahi = (~ahi + (alo === 0 ? 1 : 0)) | 0; alo = (-alo) | 0; }
      if (bn) { uhi = (~uhi + (ulo === 0 ? 1 : 0)) | 0; ulo = (-ulo) | 0; }
      udivmod64(alo, ahi, ulo, uhi, tmp);
      let rlo = isMod ? tmp[2]! : tmp[0]!, rhi = isMod ? tmp[3]! : tmp[1]!;
      if (isMod ? an : an !== bn) { rhi = (~rhi + (rlo === 0 ? 1 : 0)) | 0; rlo = (-rlo) | 0; }
      R[d] = rlo; R[d + 1] = rhi;
    } else {
      udivmod64(alo, ahi, blo, bhi, tmp);
      R[d] = isMod ? tmp[2]! : tmp[0]!; R[d + 1] = isMod ? tmp[3]! : tmp[1]!;
    }
  }

  /** STX|ATOMIC (all sizes and operations). Returns a RUN_STATUS. */
  #atomic(code: number, d: number, s: number, off: number, imm: number): number {
    const R = this.regs;
    const mem = this.mem;
    const size = code === 0xdb ? 8 : code === 0xc3 ? 4 : code === 0xcb ? 2 : 1;
    if (imm === 0x100) { // load-acquire: dst = *(src + off)
      const ri = (R[s + 1]! - HI0) | 0;
      const a = (R[s]! >>> 0) + off;
      if (ri >>> 0 >= mem.lens.length || a < 0 || a + size > mem.lens[ri]!) return RUN_STATUS.FAULT;
      const dv = mem.views[ri]!;
      if (size === 8) { R[d] = dv.getInt32(a, true); R[d + 1] = dv.getInt32(a + 4, true); }
      else { R[d] = size === 4 ? dv.getInt32(a, true) : size === 2 ? dv.getUint16(a, true) : dv.getUint8(a); R[d + 1] = 0; }
      return RUN_STATUS.OK;
    }
    const ri = (R[d + 1]! - HI0) | 0;
    const a = (R[d]! >>> 0) + off;
    if (ri >>> 0 >= mem.lens.length || a < 0 || a + size > mem.lens[ri]! || mem.writable[ri] === 0) return RUN_STATUS.FAULT;
    const dv = mem.views[ri]!;
    if (imm === 0x110) { // store-release
      const v = R[s]!;
      if (size === 8) { dv.setInt32(a, v, true); dv.setInt32(a + 4, R[s + 1]!, true); }
      else if (size === 4) dv.setInt32(a, v, true); else if (size === 2) dv.setInt16(a, v, true); else dv.setInt8(a, v);
      return RUN_STATUS.OK;
    }
    if (size !== 4 && size !== 8) return RUN_STATUS.FAULT;
    const olo = dv.getInt32(a, true);
    const ohi = size === 8 ? dv.getInt32(a + 4, true) : 0;
    const slo = R[s]!, shi = size === 8 ? R[s + 1]! : 0;
    let nlo: number, nhi: number;
    let store = true;
    switch (imm) {
      case 0x00: case 0x01: nlo = (olo + slo) | 0; nhi = (ohi + shi + ((nlo >>> 0) < (olo >>> 0) ? 1 : 0)) | 0; break;
      case 0x40: case 0x41: nlo = olo | slo; nhi = ohi | shi; break;
      case 0x50: case 0x51: nlo = olo & slo; nhi = ohi & shi; break;
      case 0xa0: case 0xa1: nlo = olo ^ slo; nhi = ohi ^ shi; break;
      case 0xe1: nlo = slo; nhi = shi; break;
      case 0xf1: { // cmpxchg: compare with R0, R0 = old always
        const eq = size === 8 ? olo === R[0] && ohi === R[1] : olo === R[0];
        nlo = slo; nhi = shi; store = eq;
        R[0] = olo; R[1] = ohi;
        break;
      }
      default: return RUN_STATUS.FAULT;
    }
    if (store) { dv.setInt32(a, nlo, true); if (size === 8) dv.setInt32(a + 4, nhi, true); }
    if ((imm & 1) !== 0 && imm !== 0xf1) { R[s] = olo; R[s + 1] = ohi; }
    return RUN_STATUS.OK;
  }

  /**
   * Call the callback subprogram starting at instruction `entry` of the running
   * program from a helper, in a fresh frame below the helper's caller, with
   * R1..R4 as given and R5 = 0; R6..R10 are preserved. Returns 0 when the
   * callback returned 0, 1 when it returned anything else, -1 when the run
   * failed (fault, call depth, budget; the whole run then ends with that
   * status). Callbacks share the run's instruction budget. Allocates nothing.
   */
  callback(entry: number, a1lo: number, a1hi: number, a2lo: number, a2hi: number, a3lo: number, a3hi: number, a4lo: number, a4hi: number): number {
    const R = this.regs;
    const prog = this.prog;
    const depth = ((STACK_REGION_SIZE - R[20]!) / FRAME_STACK) | 0;
    if (prog === undefined || depth < 0 || entry < 0 || entry >= prog.image.length >> 1) { this.#cbStatus = RUN_STATUS.FAULT; return -1; }
    if (depth + 1 >= MAX_FRAMES) { this.#cbStatus = RUN_STATUS.CALL_DEPTH; return -1; }
    const left = this.#budgetLeft - this.#nested;
    if (left <= 0) { this.#cbStatus = RUN_STATUS.BUDGET; return -1; }
    const saved = this.#frameSaved;
    const b = depth * 10;
    for (let k = 0; k < 10; k++) saved[b + k] = R[12 + k]!; // r6..r10
    R[2] = a1lo; R[3] = a1hi; R[4] = a2lo; R[5] = a2hi; R[6] = a3lo; R[7] = a3hi; R[8] = a4lo; R[9] = a4hi; R[10] = 0; R[11] = 0;
    R[20] = (R[20]! - FRAME_STACK) | 0;
    const outer = this.#nested;
    this.#nested = 0;
    const savedLeft = this.#budgetLeft;
    const st = this.#exec(prog, entry, depth + 1, left);
    this.#budgetLeft = savedLeft;
    this.#nested = outer + this.executed;
    this.prog = prog;
    for (let k = 0; k < 10; k++) R[12 + k] = saved[b + k]!;
    if (st !== RUN_STATUS.OK) { this.#cbStatus = st; return -1; }
    return (R[0]! | R[1]!) !== 0 ? 1 : 0;
  }

  #exec(startProg: BpfProg, startPc: number, baseDepth: number, budget: number): number {
    const R = this.regs;
    const mem = this.mem;
    const views = mem.views;
    let lens = mem.lens;
    let writable = mem.writable;
    let nreg = lens.length;
    const frameRet = this.#frameRet;
    const frameSaved = this.#frameSaved;
    const frameProg = this.#frameProg;
    let prog = startProg;
    this.prog = prog;
    let P = this.#decoded(prog);
    let helperAt = prog.helperAt;
    let depth = baseDepth;
    let pc = startPc;
    let count = 0;

    for (;;) {
      if (++count > budget) { this.executed = count - 1; this.faultPc = pc; return RUN_STATUS.BUDGET; }
      const w = P[pc * 2]!;
      const imm = P[pc * 2 + 1]!;
      const d = (w >>> 7) & 0x1e;
      const s = (w >>> 11) & 0x1e;
      const off = w >> 16;
      switch (w & 0xff) {
        case 1: { // ADD64K
          const blo = imm, bhi = imm >> 31;
          const alo = R[d]!;
          const lo = (alo + blo) | 0;
          R[d + 1] = (R[d + 1]! + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
          R[d] = lo;
          break;
        }
        case 2: { // ADD64X
          const blo = R[s]!, bhi = R[s + 1]!;
          const alo = R[d]!;
          const lo = (alo + blo) | 0;
          R[d + 1] = (R[d + 1]! + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
          R[d] = lo;
          break;
        }
        case 3: { // ADD32K
          const b = imm;
          R[d] = (R[d]! + b) | 0;
          R[d + 1] = 0;
          break;
        }
        case 4: { // ADD32X
          const b = R[s]!;
          R[d] = (R[d]! + b) | 0;
          R[d + 1] = 0;
          break;
        }
        case 5: { // SUB64K
          const blo = imm, bhi = imm >> 31;
          const alo = R[d]!;
          R[d + 1] = (R[d + 1]! - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
          R[d] = (alo - blo) | 0;
          break;
        }
        case 6: { // SUB64X
          const blo = R[s]!, bhi = R[s + 1]!;
          const alo = R[d]!;
          R[d + 1] = (R[d + 1]! - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
          R[d] = (alo - blo) | 0;
          break;
        }
        case 7: { // SUB32K
          const b = imm;
          R[d] = (R[d]! - b) | 0;
          R[d + 1] = 0;
          break;
        }
        case 8: { // SUB32X
          const b = R[s]!;
          R[d] = (R[d]! - b) | 0;
          R[d + 1] = 0;
          break;
        }
        case 9: { // MUL64K
          const blo = imm, bhi = imm >> 31;
          const alo = R[d]!, ahi = R[d + 1]!;
          R[d + 1] = (mulhiU32(alo >>> 0, blo >>> 0) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
          R[d] = Math.imul(alo, blo);
          break;
        }
        case 10: { // MUL64X
          const blo = R[s]!, bhi = R[s + 1]!;
          const alo = R[d]!, ahi = R[d + 1]!;
          R[d + 1] = (mulhiU32(alo >>> 0, blo >>> 0) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
          R[d] = Math.imul(alo, blo);
          break;
        }
        case 11: { // MUL32K
          const b = imm;
          R[d] = Math.imul(R[d]!, b);
          R[d + 1] = 0;
          break;
        }
        case 12: { // MUL32X
          const b = R[s]!;
          R[d] = Math.imul(R[d]!, b);
          R[d + 1] = 0;
          break;
        }
        case 13: { // DIV64K
          const blo = imm, bhi = imm >> 31;
          this.#divmod64(d, blo, bhi, off === 1, false);
          break;
        }
        case 14: { // DIV64X
          const blo = R[s]!, bhi = R[s + 1]!;
          this.#divmod64(d, blo, bhi, off === 1, false);
          break;
        }
        case 15: { // DIV32K
          const b = imm;
          const a = R[d]!;
          R[d + 1] = 0;
          if (b === 0) { R[d] = 0; break; }
          if (off === 1) R[d] = Math.trunc(a / b) | 0;
          else R[d] = Math.floor((a >>> 0) / (b >>> 0)) | 0;
          break;
        }
        case 16: { // DIV32X
          const b = R[s]!;
          const a = R[d]!;
          R[d + 1] = 0;
          if (b === 0) { R[d] = 0; break; }
          if (off === 1) R[d] = Math.trunc(a / b) | 0;
          else R[d] = Math.floor((a >>> 0) / (b >>> 0)) | 0;
          break;
        }
        case 17: { // OR64K
          const blo = imm, bhi = imm >> 31;
          R[d] = R[d]! | blo;
          R[d + 1] = R[d + 1]! | bhi;
          break;
        }
        case 18: { // OR64X
          const blo = R[s]!, bhi = R[s + 1]!;
          R[d] = R[d]! | blo;
          R[d + 1] = R[d + 1]! | bhi;
          break;
        }
        case 19: { // OR32K
          const b = imm;
          R[d] = R[d]! | b;
          R[d + 1] = 0;
          break;
        }
        case 20: { // OR32X
          const b = R[s]!;
          R[d] = R[d]! | b;
          R[d + 1] = 0;
          break;
        }
        case 21: { // AND64K
          const blo = imm, bhi = imm >> 31;
          R[d] = R[d]! & blo;
          R[d + 1] = R[d + 1]! & bhi;
          break;
        }
        case 22: { // AND64X
          const blo = R[s]!, bhi = R[s + 1]!;
          R[d] = R[d]! & blo;
          R[d + 1] = R[d + 1]! & bhi;
          break;
        }
        case 23: { // AND32K
          const b = imm;
          R[d] = R[d]! & b;
          R[d + 1] = 0;
          break;
        }
        case 24: { // AND32X
          const b = R[s]!;
          R[d] = R[d]! & b;
          R[d + 1] = 0;
          break;
        }
        case 25: { // LSH64K
          const n = imm & 63;
          if (n === 0) break;
          if (n < 32) { R[d + 1] = (R[d + 1]! << n) | (R[d]! >>> (32 - n)); R[d] = R[d]! << n; } else { R[d + 1] = R[d]! << (n - 32); R[d] = 0; }
          break;
        }
        case 26: { // LSH64X
          const n = R[s]! & 63;
          if (n === 0) break;
          if (n < 32) { R[d + 1] = (R[d + 1]! << n) | (R[d]! >>> (32 - n)); R[d] = R[d]! << n; } else { R[d + 1] = R[d]! << (n - 32); R[d] = 0; }
          break;
        }
        case 27: { // LSH32K
          const b = imm;
          R[d] = R[d]! << (b & 31);
          R[d + 1] = 0;
          break;
        }
        case 28: { // LSH32X
          const b = R[s]!;
          R[d] = R[d]! << (b & 31);
          R[d + 1] = 0;
          break;
        }
        case 29: { // RSH64K
          const n = imm & 63;
          if (n === 0) break;
          if (n < 32) { R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n)); R[d + 1] = R[d + 1]! >>> n; } else { R[d] = R[d + 1]! >>> (n - 32); R[d + 1] = 0; }
          break;
        }
        case 30: { // RSH64X
          const n = R[s]! & 63;
          if (n === 0) break;
          if (n < 32) { R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n)); R[d + 1] = R[d + 1]! >>> n; } else { R[d] = R[d + 1]! >>> (n - 32); R[d + 1] = 0; }
          break;
        }
        case 31: { // RSH32K
          const b = imm;
          R[d] = R[d]! >>> (b & 31);
          R[d + 1] = 0;
          break;
        }
        case 32: { // RSH32X
          const b = R[s]!;
          R[d] = R[d]! >>> (b & 31);
          R[d + 1] = 0;
          break;
        }
        case 33: { // NEG64
          const lo = R[d]!;
          R[d + 1] = (~R[d + 1]! + (lo === 0 ? 1 : 0)) | 0;
          R[d] = (-lo) | 0;
          break;
        }
        case 34: { // NEG32
          R[d] = (-R[d]!) | 0;
          R[d + 1] = 0;
          break;
        }
        case 35: { // MOD64K
          const blo = imm, bhi = imm >> 31;
          this.#divmod64(d, blo, bhi, off === 1, true);
          break;
        }
        case 36: { // MOD64X
          const blo = R[s]!, bhi = R[s + 1]!;
          this.#divmod64(d, blo, bhi, off === 1, true);
          break;
        }
        case 37: { // MOD32K
          const b = imm;
          const a = R[d]!;
          R[d + 1] = 0;
          if (b === 0) { break; }
          if (off === 1) R[d] = (a % b) | 0;
          else R[d] = ((a >>> 0) % (b >>> 0)) | 0;
          break;
        }
        case 38: { // MOD32X
          const b = R[s]!;
          const a = R[d]!;
          R[d + 1] = 0;
          if (b === 0) { break; }
          if (off === 1) R[d] = (a % b) | 0;
          else R[d] = ((a >>> 0) % (b >>> 0)) | 0;
          break;
        }
        case 39: { // XOR64K
          const blo = imm, bhi = imm >> 31;
          R[d] = R[d]! ^ blo;
          R[d + 1] = R[d + 1]! ^ bhi;
          break;
        }
        case 40: { // XOR64X
          const blo = R[s]!, bhi = R[s + 1]!;
          R[d] = R[d]! ^ blo;
          R[d + 1] = R[d + 1]! ^ bhi;
          break;
        }
        case 41: { // XOR32K
          const b = imm;
          R[d] = R[d]! ^ b;
          R[d + 1] = 0;
          break;
        }
        case 42: { // XOR32X
          const b = R[s]!;
          R[d] = R[d]! ^ b;
          R[d + 1] = 0;
          break;
        }
        case 43: { // MOV64K
          R[d] = imm;
          R[d + 1] = imm >> 31;
          break;
        }
        case 44: { // MOV64X
          if (off === 0) { R[d] = R[s]!; R[d + 1] = R[s + 1]!; }
          else if (off === 8) { const x = (R[s]! << 24) >> 24; R[d] = x; R[d + 1] = x >> 31; }
          else if (off === 16) { const x = (R[s]! << 16) >> 16; R[d] = x; R[d + 1] = x >> 31; }
          else { const x = R[s]!; R[d] = x; R[d + 1] = x >> 31; }
          break;
        }
        case 45: { // MOV32K
          R[d] = imm;
          R[d + 1] = 0;
          break;
        }
        case 46: { // MOV32X
          R[d] = off === 8 ? (R[s]! << 24) >> 24 : off === 16 ? (R[s]! << 16) >> 16 : R[s]!;
          R[d + 1] = 0;
          break;
        }
        case 47: { // ARSH64K
          const n = imm & 63;
          if (n === 0) break;
          if (n < 32) { R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n)); R[d + 1] = R[d + 1]! >> n; } else { R[d] = R[d + 1]! >> (n - 32); R[d + 1] = R[d + 1]! >> 31; }
          break;
        }
        case 48: { // ARSH64X
          const n = R[s]! & 63;
          if (n === 0) break;
          if (n < 32) { R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n)); R[d + 1] = R[d + 1]! >> n; } else { R[d] = R[d + 1]! >> (n - 32); R[d + 1] = R[d + 1]! >> 31; }
          break;
        }
        case 49: { // ARSH32K
          const b = imm;
          R[d] = R[d]! >> (b & 31);
          R[d + 1] = 0;
          break;
        }
        case 50: { // ARSH32X
          const b = R[s]!;
          R[d] = R[d]! >> (b & 31);
          R[d + 1] = 0;
          break;
        }
        case 51: { // BSWAP
          if (imm === 16) { const x = R[d]!; R[d] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff); R[d + 1] = 0; }
          else if (imm === 32) { R[d] = bswap32(R[d]!); R[d + 1] = 0; }
          else { const lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); }
          break;
        }
        case 52: { // LE
          if (imm === 16) { R[d] = R[d]! & 0xffff; R[d + 1] = 0; } else if (imm === 32) R[d + 1] = 0;
          break;
        }
        case 53: { // BE
          if (imm === 16) { const x = R[d]!; R[d] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff); R[d + 1] = 0; }
          else if (imm === 32) { R[d] = bswap32(R[d]!); R[d + 1] = 0; }
          else { const lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); }
          break;
        }
        case 54: { // JA
          pc += off;
          break;
        }
        case 55: { // GOTOL
          pc += imm;
          break;
        }
        case 56: { // MAY_GOTO
          break; // the loop budget is never exhausted here (see kernel-mapping.md)
        }
        case 57: { // CALL
          if (((w >>> 12) & 0xf) === 1) { // bpf-to-bpf call
            if (depth + 1 >= MAX_FRAMES) { this.executed = count; this.faultPc = pc; return RUN_STATUS.CALL_DEPTH; }
            frameRet[depth] = pc + 1;
            frameProg[depth] = prog;
            const b = depth * 10;
            for (let k = 0; k < 10; k++) frameSaved[b + k] = R[12 + k]!; // r6..r10
            depth++;
            R[20] = (R[20]! - FRAME_STACK) | 0;
            pc += imm + 1;
            continue;
          }
          const fn = helperAt[pc];
          if (fn === undefined) { this.executed = count; this.faultPc = pc; return RUN_STATUS.BAD_CALL; }
          this.#budgetLeft = budget - count;
          const ctl = fn(this);
          if (this.#nested !== 0) { count += this.#nested; this.#nested = 0; }
          lens = mem.lens;
          writable = mem.writable;
          nreg = lens.length;
          if (ctl !== HELPER_CTRL.CONTINUE) {
            if (ctl === HELPER_CTRL.TAIL_CALL && this.tailCallTarget !== undefined) {
              prog = this.tailCallTarget;
              this.tailCallTarget = undefined;
              this.prog = prog;
              P = this.#decoded(prog);
              helperAt = prog.helperAt;
              pc = 0;
              continue;
            }
            this.executed = count;
            const cs = this.#cbStatus;
            if (cs !== 0) { this.#cbStatus = 0; return cs; } // a callback failed: its status, its fault pc
            this.faultPc = pc;
            return RUN_STATUS.FAULT;
          }
          break;
        }
        case 58: { // EXIT
          if (depth === baseDepth) { this.executed = count; return RUN_STATUS.OK; }
          depth--;
          const b = depth * 10;
          for (let k = 0; k < 10; k++) R[12 + k] = frameSaved[b + k]!;
          pc = frameRet[depth]!;
          if (frameProg[depth] !== prog) {
            prog = frameProg[depth]!;
            this.prog = prog;
            P = this.#decoded(prog);
            helperAt = prog.helperAt;
          }
          continue;
        }
        case 59: { // JEQ64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (alo === blo && ahi === bhi) pc += off;
          break;
        }
        case 60: { // JEQ64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (alo === blo && ahi === bhi) pc += off;
          break;
        }
        case 61: { // JEQ32K
          const a = R[d]!;
          const b = imm;
          if (a === b) pc += off;
          break;
        }
        case 62: { // JEQ32X
          const a = R[d]!;
          const b = R[s]!;
          if (a === b) pc += off;
          break;
        }
        case 63: { // JGT64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi >>> 0 > bhi >>> 0) pc += off;
          break;
        }
        case 64: { // JGT64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi >>> 0 > bhi >>> 0) pc += off;
          break;
        }
        case 65: { // JGT32K
          const a = R[d]!;
          const b = imm;
          if (a >>> 0 > b >>> 0) pc += off;
          break;
        }
        case 66: { // JGT32X
          const a = R[d]!;
          const b = R[s]!;
          if (a >>> 0 > b >>> 0) pc += off;
          break;
        }
        case 67: { // JGE64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 >= blo >>> 0 : ahi >>> 0 > bhi >>> 0) pc += off;
          break;
        }
        case 68: { // JGE64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 >= blo >>> 0 : ahi >>> 0 > bhi >>> 0) pc += off;
          break;
        }
        case 69: { // JGE32K
          const a = R[d]!;
          const b = imm;
          if (a >>> 0 >= b >>> 0) pc += off;
          break;
        }
        case 70: { // JGE32X
          const a = R[d]!;
          const b = R[s]!;
          if (a >>> 0 >= b >>> 0) pc += off;
          break;
        }
        case 71: { // JSET64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if ((alo & blo) !== 0 || (ahi & bhi) !== 0) pc += off;
          break;
        }
        case 72: { // JSET64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if ((alo & blo) !== 0 || (ahi & bhi) !== 0) pc += off;
          break;
        }
        case 73: { // JSET32K
          const a = R[d]!;
          const b = imm;
          if ((a & b) !== 0) pc += off;
          break;
        }
        case 74: { // JSET32X
          const a = R[d]!;
          const b = R[s]!;
          if ((a & b) !== 0) pc += off;
          break;
        }
        case 75: { // JNE64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (alo !== blo || ahi !== bhi) pc += off;
          break;
        }
        case 76: { // JNE64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (alo !== blo || ahi !== bhi) pc += off;
          break;
        }
        case 77: { // JNE32K
          const a = R[d]!;
          const b = imm;
          if (a !== b) pc += off;
          break;
        }
        case 78: { // JNE32X
          const a = R[d]!;
          const b = R[s]!;
          if (a !== b) pc += off;
          break;
        }
        case 79: { // JSGT64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi > bhi) pc += off;
          break;
        }
        case 80: { // JSGT64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi > bhi) pc += off;
          break;
        }
        case 81: { // JSGT32K
          const a = R[d]!;
          const b = imm;
          if (a > b) pc += off;
          break;
        }
        case 82: { // JSGT32X
          const a = R[d]!;
          const b = R[s]!;
          if (a > b) pc += off;
          break;
        }
        case 83: { // JSGE64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 >= blo >>> 0 : ahi > bhi) pc += off;
          break;
        }
        case 84: { // JSGE64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 >= blo >>> 0 : ahi > bhi) pc += off;
          break;
        }
        case 85: { // JSGE32K
          const a = R[d]!;
          const b = imm;
          if (a >= b) pc += off;
          break;
        }
        case 86: { // JSGE32X
          const a = R[d]!;
          const b = R[s]!;
          if (a >= b) pc += off;
          break;
        }
        case 87: { // JLT64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 < blo >>> 0 : ahi >>> 0 < bhi >>> 0) pc += off;
          break;
        }
        case 88: { // JLT64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 < blo >>> 0 : ahi >>> 0 < bhi >>> 0) pc += off;
          break;
        }
        case 89: { // JLT32K
          const a = R[d]!;
          const b = imm;
          if (a >>> 0 < b >>> 0) pc += off;
          break;
        }
        case 90: { // JLT32X
          const a = R[d]!;
          const b = R[s]!;
          if (a >>> 0 < b >>> 0) pc += off;
          break;
        }
        case 91: { // JLE64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 <= blo >>> 0 : ahi >>> 0 < bhi >>> 0) pc += off;
          break;
        }
        case 92: { // JLE64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 <= blo >>> 0 : ahi >>> 0 < bhi >>> 0) pc += off;
          break;
        }
        case 93: { // JLE32K
          const a = R[d]!;
          const b = imm;
          if (a >>> 0 <= b >>> 0) pc += off;
          break;
        }
        case 94: { // JLE32X
          const a = R[d]!;
          const b = R[s]!;
          if (a >>> 0 <= b >>> 0) pc += off;
          break;
        }
        case 95: { // JSLT64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 < blo >>> 0 : ahi < bhi) pc += off;
          break;
        }
        case 96: { // JSLT64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 < blo >>> 0 : ahi < bhi) pc += off;
          break;
        }
        case 97: { // JSLT32K
          const a = R[d]!;
          const b = imm;
          if (a < b) pc += off;
          break;
        }
        case 98: { // JSLT32X
          const a = R[d]!;
          const b = R[s]!;
          if (a < b) pc += off;
          break;
        }
        case 99: { // JSLE64K
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = imm, bhi = imm >> 31;
          if (ahi === bhi ? alo >>> 0 <= blo >>> 0 : ahi < bhi) pc += off;
          break;
        }
        case 100: { // JSLE64X
          const alo = R[d]!, ahi = R[d + 1]!;
          const blo = R[s]!, bhi = R[s + 1]!;
          if (ahi === bhi ? alo >>> 0 <= blo >>> 0 : ahi < bhi) pc += off;
          break;
        }
        case 101: { // JSLE32K
          const a = R[d]!;
          const b = imm;
          if (a <= b) pc += off;
          break;
        }
        case 102: { // JSLE32X
          const a = R[d]!;
          const b = R[s]!;
          if (a <= b) pc += off;
          break;
        }
        case 103: { // LDDW
          R[d] = imm;
          R[d + 1] = P[pc * 2 + 3]!;
          pc += 2;
          continue;
        }
        case 104: { // LDPKT
          const code = prog.image[pc * 2]! & 0xff;
          const size = code & 0x10 ? 1 : code & 8 ? 2 : 4;
          const at = code & 0x40 ? (R[s]! + imm) | 0 : imm;
          const ld = prog.typeOps.ldPacket;
          const v = ld === undefined ? -1 : ld(this, at, size);
          lens = mem.lens;
          writable = mem.writable;
          nreg = lens.length;
          if (v < 0) { R[0] = 0; R[1] = 0; this.executed = count; return RUN_STATUS.OK; }
          R[0] = v | 0;
          R[1] = 0;
          break;
        }
        case 105: { // LDXW
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 4 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          R[d] = dv.getInt32(a, true); R[d + 1] = 0;
          break;
        }
        case 106: { // LDXH
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 2 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          R[d] = dv.getUint16(a, true); R[d + 1] = 0;
          break;
        }
        case 107: { // LDXB
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 1 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          R[d] = dv.getUint8(a); R[d + 1] = 0;
          break;
        }
        case 108: { // LDXDW
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 8 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          R[d] = dv.getInt32(a, true); R[d + 1] = dv.getInt32(a + 4, true);
          break;
        }
        case 109: { // LDXSW
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 4 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          const x = dv.getInt32(a, true); R[d] = x; R[d + 1] = x >> 31;
          break;
        }
        case 110: { // LDXSH
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 2 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          const x = dv.getInt16(a, true); R[d] = x; R[d + 1] = x >> 31;
          break;
        }
        case 111: { // LDXSB
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 1 > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          const x = dv.getInt8(a); R[d] = x; R[d + 1] = x >> 31;
          break;
        }
        case 112: { // STW
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 4 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt32(a, imm, true);
          break;
        }
        case 113: { // STH
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 2 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt16(a, imm, true);
          break;
        }
        case 114: { // STB
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 1 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt8(a, imm);
          break;
        }
        case 115: { // STDW
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 8 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt32(a, imm, true); dv.setInt32(a + 4, imm >> 31, true);
          break;
        }
        case 116: { // STXW
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 4 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt32(a, R[s]!, true);
          break;
        }
        case 117: { // STXH
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 2 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt16(a, R[s]!, true);
          break;
        }
        case 118: { // STXB
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 1 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt8(a, R[s]!);
          break;
        }
        case 119: { // STXDW
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + off;
          if (ri >>> 0 >= nreg || a < 0 || a + 8 > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          dv.setInt32(a, R[s]!, true); dv.setInt32(a + 4, R[s + 1]!, true);
          break;
        }
        case 120: { // ATOMIC
          const st = this.#atomic(prog.image[pc * 2]! & 0xff, d, s, off, imm);
          if (st !== RUN_STATUS.OK) { this.executed = count; this.faultPc = pc; return st; }
          break;
        }
        case 121: { // LEA: rD = rS; rD += imm
          const blo = imm, bhi = imm >> 31;
          const alo = R[s]!;
          const lo = (alo + blo) | 0;
          R[d + 1] = (R[s + 1]! + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
          R[d] = lo;
          count++;
          pc++;
          break;
        }
        case 122: { // LEA_JGT: rD = rS; rD += imm; if rD > rX goto +off
          const blo = imm, bhi = imm >> 31;
          const alo = R[s]!;
          const lo = (alo + blo) | 0;
          const hi = (R[s + 1]! + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
          R[d + 1] = hi;
          R[d] = lo;
          const w2 = P[pc * 2 + 4]!;
          const x = (w2 >>> 11) & 0x1e;
          const xlo = R[x]!, xhi = R[x + 1]!;
          count += 2;
          pc += 2;
          if (hi === xhi ? lo >>> 0 > xlo >>> 0 : hi >>> 0 > xhi >>> 0) pc += w2 >> 16;
          break;
        }
        default:
          { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
      }
      pc++;
    }
  }
}
