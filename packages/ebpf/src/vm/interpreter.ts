// Models kernel/bpf/core.c ___bpf_prog_run (Linux 6.18): the eBPF interpreter,
// with bpf-to-bpf call frames (MAX_CALL_FRAMES = 8), tail calls
// (MAX_TAIL_CALL_CNT = 33 per top-level run) and the legacy LD_ABS/LD_IND loads
// whose failure returns 0 from the whole program.
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
  readonly #frameRet = new Int32Array(MAX_FRAMES);
  readonly #frameSaved = new Int32Array(MAX_FRAMES * 10);
  readonly #frameProg: (BpfProg | undefined)[] = new Array<BpfProg | undefined>(MAX_FRAMES).fill(undefined);

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
    const st = this.#exec(prog);
    prog.stats.runCnt++;
    prog.stats.insnCnt += this.executed;
    return st;
  }

  #exec(startProg: BpfProg): number {
    const R = this.regs;
    const mem = this.mem;
    const views = mem.views;
    let lens = mem.lens;
    let writable = mem.writable;
    const tmp = this.#scratch;
    const frameRet = this.#frameRet;
    const frameSaved = this.#frameSaved;
    const frameProg = this.#frameProg;
    let prog = startProg;
    this.prog = prog;
    let P = prog.image;
    let helperAt = prog.helperAt;
    let depth = 0;
    let pc = 0;
    let count = 0;
    const budget = this.budget;

    for (;;) {
      if (++count > budget) { this.executed = count - 1; this.faultPc = pc; return RUN_STATUS.BUDGET; }
      const w = P[pc * 2]!;
      const imm = P[pc * 2 + 1]!;
      const d = (w >>> 7) & 0x1e;
      const s = (w >>> 11) & 0x1e;
      switch (w & 0xff) {
        // ---------------- ALU64 ----------------
        case 0x07: case 0x0f: { // add
          const blo = w & 8 ? R[s]! : imm, bhi = w & 8 ? R[s + 1]! : imm >> 31;
          const alo = R[d]!;
          const lo = (alo + blo) | 0;
          R[d + 1] = (R[d + 1]! + bhi + ((lo >>> 0) < (alo >>> 0) ? 1 : 0)) | 0;
          R[d] = lo;
          break;
        }
        case 0x17: case 0x1f: { // sub
          const blo = w & 8 ? R[s]! : imm, bhi = w & 8 ? R[s + 1]! : imm >> 31;
          const alo = R[d]!;
          R[d + 1] = (R[d + 1]! - bhi - ((alo >>> 0) < (blo >>> 0) ? 1 : 0)) | 0;
          R[d] = (alo - blo) | 0;
          break;
        }
        case 0x27: case 0x2f: { // mul
          const blo = w & 8 ? R[s]! : imm, bhi = w & 8 ? R[s + 1]! : imm >> 31;
          const alo = R[d]!, ahi = R[d + 1]!;
          R[d + 1] = (mulhiU32(alo >>> 0, blo >>> 0) + Math.imul(alo, bhi) + Math.imul(ahi, blo)) | 0;
          R[d] = Math.imul(alo, blo);
          break;
        }
        case 0x37: case 0x3f: case 0x97: case 0x9f: { // div, mod (off 1: sdiv, smod)
          const blo = w & 8 ? R[s]! : imm, bhi = w & 8 ? R[s + 1]! : imm >> 31;
          const isMod = (w & 0xf0) === 0x90;
          if (blo === 0 && bhi === 0) {
            if (!isMod) { R[d] = 0; R[d + 1] = 0; }
            break;
          }
          let alo = R[d]!, ahi = R[d + 1]!;
          if (w >> 16 === 1) {
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
          break;
        }
        case 0x47: case 0x4f: // or
          if (w & 8) { R[d] = R[d]! | R[s]!; R[d + 1] = R[d + 1]! | R[s + 1]!; } else { R[d] = R[d]! | imm; R[d + 1] = R[d + 1]! | (imm >> 31); }
          break;
        case 0x57: case 0x5f: // and
          if (w & 8) { R[d] = R[d]! & R[s]!; R[d + 1] = R[d + 1]! & R[s + 1]!; } else { R[d] = R[d]! & imm; R[d + 1] = R[d + 1]! & (imm >> 31); }
          break;
        case 0xa7: case 0xaf: // xor
          if (w & 8) { R[d] = R[d]! ^ R[s]!; R[d + 1] = R[d + 1]! ^ R[s + 1]!; } else { R[d] = R[d]! ^ imm; R[d + 1] = R[d + 1]! ^ (imm >> 31); }
          break;
        case 0x67: case 0x6f: { // lsh
          const n = (w & 8 ? R[s]! : imm) & 63;
          if (n === 0) break;
          if (n < 32) { R[d + 1] = (R[d + 1]! << n) | (R[d]! >>> (32 - n)); R[d] = R[d]! << n; } else { R[d + 1] = R[d]! << (n - 32); R[d] = 0; }
          break;
        }
        case 0x77: case 0x7f: { // rsh
          const n = (w & 8 ? R[s]! : imm) & 63;
          if (n === 0) break;
          if (n < 32) { R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n)); R[d + 1] = R[d + 1]! >>> n; } else { R[d] = R[d + 1]! >>> (n - 32); R[d + 1] = 0; }
          break;
        }
        case 0xc7: case 0xcf: { // arsh
          const n = (w & 8 ? R[s]! : imm) & 63;
          if (n === 0) break;
          if (n < 32) { R[d] = (R[d]! >>> n) | (R[d + 1]! << (32 - n)); R[d + 1] = R[d + 1]! >> n; } else { R[d] = R[d + 1]! >> (n - 32); R[d + 1] = R[d + 1]! >> 31; }
          break;
        }
        case 0x87: { // neg
          const lo = R[d]!;
          R[d + 1] = (~R[d + 1]! + (lo === 0 ? 1 : 0)) | 0;
          R[d] = (-lo) | 0;
          break;
        }
        case 0xb7: R[d] = imm; R[d + 1] = imm >> 31; break; // mov imm
        case 0xbf: { // mov / movsx
          const off = w >> 16;
          if (off === 0) { R[d] = R[s]!; R[d + 1] = R[s + 1]!; }
          else if (off === 8) { const v = (R[s]! << 24) >> 24; R[d] = v; R[d + 1] = v >> 31; }
          else if (off === 16) { const v = (R[s]! << 16) >> 16; R[d] = v; R[d + 1] = v >> 31; }
          else { const v = R[s]!; R[d] = v; R[d + 1] = v >> 31; }
          break;
        }
        case 0xd7: { // bswap16/32/64
          if (imm === 16) { const x = R[d]!; R[d] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff); R[d + 1] = 0; }
          else if (imm === 32) { R[d] = bswap32(R[d]!); R[d + 1] = 0; }
          else { const lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); }
          break;
        }
        // ---------------- ALU32 (results zero-extended) ----------------
        case 0x04: R[d] = (R[d]! + imm) | 0; R[d + 1] = 0; break;
        case 0x0c: R[d] = (R[d]! + R[s]!) | 0; R[d + 1] = 0; break;
        case 0x14: R[d] = (R[d]! - imm) | 0; R[d + 1] = 0; break;
        case 0x1c: R[d] = (R[d]! - R[s]!) | 0; R[d + 1] = 0; break;
        case 0x24: R[d] = Math.imul(R[d]!, imm); R[d + 1] = 0; break;
        case 0x2c: R[d] = Math.imul(R[d]!, R[s]!); R[d + 1] = 0; break;
        case 0x34: case 0x3c: case 0x94: case 0x9c: { // div32, mod32 (off 1: signed)
          const b = w & 8 ? R[s]! : imm;
          const a = R[d]!;
          const isMod = (w & 0xf0) === 0x90;
          R[d + 1] = 0;
          if (b === 0) { if (!isMod) R[d] = 0; break; }
          if (w >> 16 === 1) R[d] = isMod ? (a % b) | 0 : Math.trunc(a / b) | 0;
          else R[d] = isMod ? ((a >>> 0) % (b >>> 0)) | 0 : Math.floor((a >>> 0) / (b >>> 0)) | 0;
          break;
        }
        case 0x44: R[d] = R[d]! | imm; R[d + 1] = 0; break;
        case 0x4c: R[d] = R[d]! | R[s]!; R[d + 1] = 0; break;
        case 0x54: R[d] = R[d]! & imm; R[d + 1] = 0; break;
        case 0x5c: R[d] = R[d]! & R[s]!; R[d + 1] = 0; break;
        case 0x64: R[d] = R[d]! << (imm & 31); R[d + 1] = 0; break;
        case 0x6c: R[d] = R[d]! << (R[s]! & 31); R[d + 1] = 0; break;
        case 0x74: R[d] = R[d]! >>> (imm & 31); R[d + 1] = 0; break;
        case 0x7c: R[d] = R[d]! >>> (R[s]! & 31); R[d + 1] = 0; break;
        case 0x84: R[d] = (-R[d]!) | 0; R[d + 1] = 0; break;
        case 0xa4: R[d] = R[d]! ^ imm; R[d + 1] = 0; break;
        case 0xac: R[d] = R[d]! ^ R[s]!; R[d + 1] = 0; break;
        case 0xb4: R[d] = imm; R[d + 1] = 0; break;
        case 0xbc: { // mov32 / movsx32
          const off = w >> 16;
          R[d] = off === 8 ? (R[s]! << 24) >> 24 : off === 16 ? (R[s]! << 16) >> 16 : R[s]!;
          R[d + 1] = 0;
          break;
        }
        case 0xc4: R[d] = R[d]! >> (imm & 31); R[d + 1] = 0; break;
        case 0xcc: R[d] = R[d]! >> (R[s]! & 31); R[d + 1] = 0; break;
        case 0xd4: // le16/32/64: truncate on a little-endian machine
          if (imm === 16) { R[d] = R[d]! & 0xffff; R[d + 1] = 0; } else if (imm === 32) R[d + 1] = 0;
          break;
        case 0xdc: // be16/32/64
          if (imm === 16) { const x = R[d]!; R[d] = ((x & 0xff) << 8) | ((x >>> 8) & 0xff); R[d + 1] = 0; }
          else if (imm === 32) { R[d] = bswap32(R[d]!); R[d + 1] = 0; }
          else { const lo = R[d]!; R[d] = bswap32(R[d + 1]!); R[d + 1] = bswap32(lo); }
          break;
        // ---------------- JMP ----------------
        case 0x05: pc += w >> 16; break; // ja
        case 0x06: pc += imm; break; // gotol
        case 0xe5: break; // may_goto: the loop budget is never exhausted here (see kernel-mapping.md)
        case 0x15: case 0x1d: case 0x16: case 0x1e: // jeq
        case 0x25: case 0x2d: case 0x26: case 0x2e: // jgt
        case 0x35: case 0x3d: case 0x36: case 0x3e: // jge
        case 0x45: case 0x4d: case 0x46: case 0x4e: // jset
        case 0x55: case 0x5d: case 0x56: case 0x5e: // jne
        case 0x65: case 0x6d: case 0x66: case 0x6e: // jsgt
        case 0x75: case 0x7d: case 0x76: case 0x7e: // jsge
        case 0xa5: case 0xad: case 0xa6: case 0xae: // jlt
        case 0xb5: case 0xbd: case 0xb6: case 0xbe: // jle
        case 0xc5: case 0xcd: case 0xc6: case 0xce: // jslt
        case 0xd5: case 0xdd: case 0xd6: case 0xde: { // jsle
          const alo = R[d]!;
          const blo = w & 8 ? R[s]! : imm;
          let ahi: number, bhi: number;
          if (w & 1) { ahi = R[d + 1]!; bhi = w & 8 ? R[s + 1]! : imm >> 31; } else { ahi = 0; bhi = 0; }
          let t: boolean;
          switch (w & 0xf0) {
            case 0x10: t = alo === blo && ahi === bhi; break;
            case 0x50: t = alo !== blo || ahi !== bhi; break;
            case 0x40: t = (alo & blo) !== 0 || (ahi & bhi) !== 0; break;
            case 0x20: t = ahi === bhi ? alo >>> 0 > blo >>> 0 : ahi >>> 0 > bhi >>> 0; break;
            case 0x30: t = ahi === bhi ? alo >>> 0 >= blo >>> 0 : ahi >>> 0 > bhi >>> 0; break;
            case 0xa0: t = ahi === bhi ? alo >>> 0 < blo >>> 0 : ahi >>> 0 < bhi >>> 0; break;
            case 0xb0: t = ahi === bhi ? alo >>> 0 <= blo >>> 0 : ahi >>> 0 < bhi >>> 0; break;
            default: {
              // signed: JMP compares hi words signed; JMP32 compares the low words signed
              if (w & 1) {
                if (ahi !== bhi) { t = (w & 0xf0) === 0x60 || (w & 0xf0) === 0x70 ? ahi > bhi : ahi < bhi; break; }
                const ua = alo >>> 0, ub = blo >>> 0;
                switch (w & 0xf0) {
                  case 0x60: t = ua > ub; break;
                  case 0x70: t = ua >= ub; break;
                  case 0xc0: t = ua < ub; break;
                  default: t = ua <= ub;
                }
              } else {
                switch (w & 0xf0) {
                  case 0x60: t = alo > blo; break;
                  case 0x70: t = alo >= blo; break;
                  case 0xc0: t = alo < blo; break;
                  default: t = alo <= blo;
                }
              }
            }
          }
          if (t) pc += w >> 16;
          break;
        }
        case 0x85: { // call
          if (((w >>> 12) & 0xf) === 1) { // bpf-to-bpf
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
          const ctl = fn(this);
          lens = mem.lens;
          writable = mem.writable;
          if (ctl !== HELPER_CTRL.CONTINUE) {
            if (ctl === HELPER_CTRL.TAIL_CALL && this.tailCallTarget !== undefined) {
              prog = this.tailCallTarget;
              this.tailCallTarget = undefined;
              this.prog = prog;
              prog.stats.runCnt++;
              P = prog.image;
              helperAt = prog.helperAt;
              pc = 0;
              continue;
            }
            this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT;
          }
          break;
        }
        case 0x95: { // exit
          if (depth === 0) { this.executed = count; return RUN_STATUS.OK; }
          depth--;
          const b = depth * 10;
          for (let k = 0; k < 10; k++) R[12 + k] = frameSaved[b + k]!;
          pc = frameRet[depth]!;
          if (frameProg[depth] !== prog) {
            prog = frameProg[depth]!;
            this.prog = prog;
            P = prog.image;
            helperAt = prog.helperAt;
          }
          continue;
        }
        // ---------------- LD_IMM64 ----------------
        case 0x18:
          R[d] = imm; R[d + 1] = P[pc * 2 + 3]!;
          pc += 2;
          continue;
        // ---------------- LDX ----------------
        case 0x61: case 0x69: case 0x71: case 0x79: case 0x81: case 0x89: case 0x91: {
          const code = w & 0xff;
          const size = code & 0x10 ? (code & 8 ? 8 : 1) : code & 8 ? 2 : 4;
          const ri = (R[s + 1]! - HI0) | 0;
          const a = (R[s]! >>> 0) + (w >> 16);
          if (ri < 0 || ri >= lens.length || a < 0 || a + size > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          switch (code) {
            case 0x61: R[d] = dv.getInt32(a, true); R[d + 1] = 0; break;
            case 0x69: R[d] = dv.getUint16(a, true); R[d + 1] = 0; break;
            case 0x71: R[d] = dv.getUint8(a); R[d + 1] = 0; break;
            case 0x79: R[d] = dv.getInt32(a, true); R[d + 1] = dv.getInt32(a + 4, true); break;
            case 0x81: { const v = dv.getInt32(a, true); R[d] = v; R[d + 1] = v >> 31; break; }
            case 0x89: { const v = dv.getInt16(a, true); R[d] = v; R[d + 1] = v >> 31; break; }
            default: { const v = dv.getInt8(a); R[d] = v; R[d + 1] = v >> 31; }
          }
          break;
        }
        // ---------------- ST / STX ----------------
        case 0x62: case 0x6a: case 0x72: case 0x7a: case 0x63: case 0x6b: case 0x73: case 0x7b: {
          const code = w & 0xff;
          const size = code & 0x10 ? (code & 8 ? 8 : 1) : code & 8 ? 2 : 4;
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + (w >> 16);
          if (ri < 0 || ri >= lens.length || a < 0 || a + size > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          const lo = code & 1 ? R[s]! : imm;
          switch (size) {
            case 4: dv.setInt32(a, lo, true); break;
            case 2: dv.setInt16(a, lo, true); break;
            case 1: dv.setInt8(a, lo); break;
            default: dv.setInt32(a, lo, true); dv.setInt32(a + 4, code & 1 ? R[s + 1]! : imm >> 31, true);
          }
          break;
        }
        // ---------------- atomics ----------------
        case 0xc3: case 0xdb: case 0xd3: case 0xcb: {
          const code = w & 0xff;
          const size = code === 0xdb ? 8 : code === 0xc3 ? 4 : code === 0xcb ? 2 : 1;
          if (imm === 0x100) { // load-acquire: dst = *(src + off)
            const ri = (R[s + 1]! - HI0) | 0;
            const a = (R[s]! >>> 0) + (w >> 16);
            if (ri < 0 || ri >= lens.length || a < 0 || a + size > lens[ri]!) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
            const dv = views[ri]!;
            if (size === 8) { R[d] = dv.getInt32(a, true); R[d + 1] = dv.getInt32(a + 4, true); }
            else { R[d] = size === 4 ? dv.getInt32(a, true) : size === 2 ? dv.getUint16(a, true) : dv.getUint8(a); R[d + 1] = 0; }
            break;
          }
          const ri = (R[d + 1]! - HI0) | 0;
          const a = (R[d]! >>> 0) + (w >> 16);
          if (ri < 0 || ri >= lens.length || a < 0 || a + size > lens[ri]! || writable[ri] === 0) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
          const dv = views[ri]!;
          if (imm === 0x110) { // store-release
            const v = R[s]!;
            if (size === 8) { dv.setInt32(a, v, true); dv.setInt32(a + 4, R[s + 1]!, true); }
            else if (size === 4) dv.setInt32(a, v, true); else if (size === 2) dv.setInt16(a, v, true); else dv.setInt8(a, v);
            break;
          }
          if (size !== 4 && size !== 8) { this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT; }
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
            default: this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT;
          }
          if (store) { dv.setInt32(a, nlo, true); if (size === 8) dv.setInt32(a + 4, nhi, true); }
          if ((imm & 1) !== 0 && imm !== 0xf1) { R[s] = olo; R[s + 1] = ohi; }
          break;
        }
        // ---------------- legacy packet loads ----------------
        case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
          const code = w & 0xff;
          const size = code & 0x10 ? 1 : code & 8 ? 2 : 4;
          const off = code & 0x40 ? (R[s]! + imm) | 0 : imm;
          const ld = prog.typeOps.ldPacket;
          const v = ld === undefined ? -1 : ld(this, off, size);
          lens = mem.lens;
          writable = mem.writable;
          if (v < 0) { R[0] = 0; R[1] = 0; this.executed = count; return RUN_STATUS.OK; }
          R[0] = v | 0; R[1] = 0;
          break;
        }
        default:
          this.executed = count; this.faultPc = pc; return RUN_STATUS.FAULT;
      }
      pc++;
    }
  }
}
