// Test support: a seeded generator of random programs that the structural checks
// of @tcbpf/ebpf accept, covering every instruction class the JIT compiles:
// ALU64/ALU32 (all ops, K and X, MOVSX, NEG, END/BSWAP, division by zero and by -1),
// LD_IMM64, LDX/LDXSX/ST/STX/atomics on the stack, the packet (R6) and a map value
// (some deliberately out of range, so faults are compared too), forward branches
// (JMP/JMP32), bounded loops (backward edges), nested loops, bpf-to-bpf calls and
// helper calls (map lookup/update, clock, cpu id).
import type { Prng } from '@tcbpf/base';
import { insn, ldImm64, type Insn } from '@tcbpf/ebpf';

const REGS = [0, 2, 3, 4, 5, 7, 8, 9] as const;
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0] as const;
const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0] as const;
const SIZES = [[0x00, 4], [0x08, 2], [0x10, 1], [0x18, 8]] as const;
const ATOMIC_IMMS = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1, 0x100, 0x110] as const;

function pick<T>(p: Prng, xs: readonly T[]): T {
  return xs[p.below(xs.length)]!;
}

function imm32(p: Prng): number {
  switch (p.below(7)) {
    case 0: return p.below(16);
    case 1: return -1 - p.below(16);
    case 2: return pick(p, [0x7fffffff, -0x80000000, 0xffff, 0x8000, 0x80, 0xff, 0x10000, 0, -1, 1]);
    default: return p.u32() | 0;
  }
}

/** Options of {@link genProgram}. */
export interface GenOptions {
  /** Packet length (R6 points at it, R2 holds the length at entry). */
  readonly pktLen: number;
  /** LD_IMM64 map-fd value for helper calls (undefined: no map helpers). */
  readonly mapFd?: number;
  /** Value size of that map. */
  readonly valueSize?: number;
  /**
   * Only what Linux 6.18's verifier accepts for root without further proof: no
   * pointer arithmetic on R6/R10, memory only on the stack at aligned offsets,
   * no helpers, no atomics on uninitialised slots; R0 folded to 32 bits at exit.
   */
  readonly kernelSafe?: boolean;
}

class Gen {
  readonly out: Insn[] = [];
  readonly p: Prng;
  readonly o: GenOptions;
  /** Registers a loop counter holds (never written by the body). */
  readonly reserved = new Set<number>();
  calls: number[] = [];

  constructor(p: Prng, o: GenOptions) {
    this.p = p;
    this.o = o;
  }

  reg(): number {
    for (;;) {
      const r = pick(this.p, REGS);
      if (!this.reserved.has(r)) return r;
    }
  }

  alu(): void {
    const p = this.p;
    const is64 = p.below(2) === 0;
    const cls = is64 ? 0x07 : 0x04;
    const op = pick(p, ALU_OPS);
    const dst = this.reg();
    const x = p.below(2) === 0;
    const src = this.o.kernelSafe === true ? this.reg() : pick(p, [...REGS, 6, 10]);
    if (op === 0x80) { this.out.push(insn(cls | 0x80, dst, 0, 0, 0)); return; }
    if (op === 0x60 || op === 0x70 || op === 0xc0) {
      if (x) this.out.push(insn(cls | op | 8, dst, src, 0, 0));
      else this.out.push(insn(cls | op, dst, 0, 0, p.below(is64 ? 64 : 32)));
      return;
    }
    if (op === 0xb0 && x && p.below(3) === 0) { // movsx
      this.out.push(insn(cls | 0xb8, dst, src, pick(p, is64 ? [8, 16, 32] : [8, 16]), 0));
      return;
    }
    const off = (op === 0x30 || op === 0x90) && p.below(2) === 0 ? 1 : 0;
    if (x) this.out.push(insn(cls | op | 8, dst, src, off, 0));
    else this.out.push(insn(cls | op, dst, 0, off, (op === 0x30 || op === 0x90) ? imm32(p) || 3 : imm32(p))); // K-form div/mod by 0 is refused
  }

  endian(): void {
    const p = this.p;
    const kind = p.below(3);
    const bits = pick(p, [16, 32, 64]);
    const dst = this.reg();
    this.out.push(insn(kind === 0 ? 0xd4 : kind === 1 ? 0xdc : 0xd7, dst, 0, 0, bits));
  }

  /** A memory access: base r10 (stack), r6 (packet) or a random register. */
  mem(): void {
    const p = this.p;
    const [sz, bytes] = pick(p, SIZES);
    if (this.o.kernelSafe === true) {
      const off = -8 * (1 + p.below(8));
      const r = this.reg();
      const k = p.below(3);
      // stores first so that loads read initialised slots (the prologue fills fp-64..fp-8)
      if (k === 0) this.out.push(insn(0x61 | sz, r, 10, off, 0));
      else if (k === 1) this.out.push(insn(0x62 | sz, 10, 0, off, imm32(p)));
      else this.out.push(insn(0x63 | sz, 10, r, off, 0));
      return;
    }
    const which = p.below(100);
    let base: number, off: number;
    if (which < 55) { base = 10; off = -8 * (1 + p.below(64)) + (p.below(8) === 0 ? p.below(8) : 0); }
    else if (which < 97) {
      base = 6;
      // mostly in range; sometimes straddling the end or before the start
      off = p.below(30) === 0 ? p.below(this.o.pktLen + 8) - 2 : p.below(Math.max(1, this.o.pktLen - bytes + 1));
    } else { base = this.reg(); off = p.below(64) - 32; }
    if (off < -512) off = -512;
    const kind = p.below(10);
    const r = this.reg();
    if (kind < 4) this.out.push(insn(0x61 | sz, r, base, off, 0));
    else if (kind < 5 && bytes !== 8) this.out.push(insn(0x81 | sz, r, base, off, 0)); // ldxsx
    else if (kind < 7) this.out.push(insn(0x62 | sz, base, 0, off, imm32(p)));
    else if (kind < 9) this.out.push(insn(0x63 | sz, base, pick(p, [...REGS, 6, 10]), off, 0));
    else {
      const imm = pick(p, ATOMIC_IMMS);
      const asz = imm >= 0x100 ? sz : pick(p, [0x00, 0x18]);
      const src = imm === 0x100 ? base : this.reg();
      const dst = imm === 0x100 ? this.reg() : base;
      if (imm === 0xf1 && this.reserved.has(0)) return;
      this.out.push(insn(0xc3 | asz, dst, src, off, imm));
    }
  }

  /** A forward conditional branch over a generated block. */
  branch(depth: number): void {
    const p = this.p;
    const op = pick(p, JMP_OPS);
    const cls = p.below(2) === 0 ? 0x05 : 0x06;
    const any = (): number => (this.o.kernelSafe === true ? pick(p, REGS) : this.regAny());
    const x = p.below(2) === 0;
    const at = this.out.length;
    this.out.push(insn(0, 0, 0, 0, 0)); // patched
    this.block(depth + 1, 1 + p.below(6));
    const skip = this.out.length - at - 1;
    this.out[at] = x ? insn(cls | op | 8, any(), any(), skip, 0) : insn(cls | op, any(), 0, skip, imm32(p));
  }

  regAny(): number {
    return pick(this.p, [...REGS, 6]);
  }

  /**
   * A bounded loop: counter = n; body; counter -= 1; if counter != 0 goto body.
   * One in three counts up instead (counter = s; body; counter += k; if counter
   * < K (or <= K) goto body: the JIT's counted-loop form, charged once at entry).
   */
  loop(depth: number): void {
    const p = this.p;
    const free = REGS.filter((r) => !this.reserved.has(r) && r !== 0);
    if (free.length === 0) return;
    const c = pick(p, free);
    if (p.below(3) === 0) {
      this.out.push(insn(0xb7, c, 0, 0, p.below(4) === 0 ? 20 : p.below(3)));
      this.reserved.add(c);
      const head = this.out.length;
      this.block(depth + 1, 1 + p.below(8));
      this.out.push(insn(0x07, c, 0, 0, 1 + p.below(3)));
      const back = head - (this.out.length + 1);
      this.out.push(insn(p.below(2) === 0 ? 0xa5 : 0xb5, c, 0, back, 1 + p.below(12)));
      this.reserved.delete(c);
      return;
    }
    this.out.push(insn(0xb7, c, 0, 0, 1 + p.below(12)));
    this.reserved.add(c);
    const head = this.out.length;
    this.block(depth + 1, 1 + p.below(8));
    this.out.push(insn(0x07, c, 0, 0, -1));
    const back = head - (this.out.length + 1);
    if (p.below(2) === 0) this.out.push(insn(0x55, c, 0, back, 0));
    else this.out.push(insn(0x56, c, 0, back, 0)); // jne32
    this.reserved.delete(c);
  }

  helper(): void {
    const p = this.p;
    if (this.reserved.size > 0) return; // R1..R5 are clobbered
    const k = p.below(4);
    if (k === 0 || this.o.mapFd === undefined) { this.out.push(insn(0x85, 0, 0, 0, pick(p, [5, 8]))); this.scrub(); return; }
    // key 0 at fp-4
    this.out.push(insn(0x62, 10, 0, -4, p.below(4) === 0 ? 1 : 0));
    this.out.push(...ldImm64(1, 0, this.o.mapFd, 1));
    this.out.push(insn(0xbf, 2, 10, 0, 0), insn(0x07, 2, 0, 0, -4));
    if (k === 1) {
      this.out.push(insn(0xbf, 3, 10, 0, 0), insn(0x07, 3, 0, 0, -64), insn(0xb7, 4, 0, 0, 0), insn(0x85, 0, 0, 0, 2));
      this.scrub();
      return;
    }
    this.out.push(insn(0x85, 0, 0, 0, 1));
    // if r0 != 0 { access the value }
    const vs = this.o.valueSize ?? 8;
    const at = this.out.length;
    this.out.push(insn(0, 0, 0, 0, 0));
    const r = pick(p, [3, 4, 5, 7]);
    this.out.push(insn(0x61, r, 0, p.below(vs), 0), insn(0x07, r, 0, 0, 1), insn(0x63, 0, r, p.below(vs + 2), 0));
    this.out[at] = insn(0x15, 0, 0, this.out.length - at - 1, 0);
    this.scrub();
  }

  /** Re-initialise R1..R5 after a call (the verifier marks them unreadable). */
  scrub(): void {
    for (const r of [1, 2, 3, 4, 5]) this.out.push(insn(0xb7, r, 0, 0, imm32(this.p)));
  }

  call(): void {
    if (this.reserved.size > 0) return;
    this.calls.push(this.out.length);
    this.out.push(insn(0x85, 0, 1, 0, 0)); // patched
    this.scrub();
  }

  block(depth: number, len: number): void {
    const p = this.p;
    for (let i = 0; i < len; i++) {
      const k = p.below(100);
      if (k < 40) this.alu();
      else if (k < 45) this.endian();
      else if (k < 62) this.mem();
      else if (k < 70 && depth < 3) this.branch(depth);
      else if (k < 75 && depth < 2) this.loop(depth);
      else if (k < 79 && this.o.kernelSafe !== true) this.helper();
      else if (k < 82 && depth < 2 && this.o.kernelSafe !== true) this.call();
      else if (k < 85) this.out.push(...ldImm64(this.reg(), imm32(p), imm32(p)));
      else this.alu();
    }
  }
}

/** A random program; R1 = packet pointer, R2 = its length at entry. */
export function genProgram(p: Prng, o: GenOptions): Insn[] {
  const g = new Gen(p, o);
  g.out.push(insn(0xbf, 6, 1, 0, 0));
  for (const r of [0, 2, 3, 4, 5, 7, 8, 9]) g.out.push(...ldImm64(r, imm32(p), imm32(p)));
  if (o.kernelSafe === true) for (let k = 1; k <= 8; k++) g.out.push(insn(0x7b, 10, 9 - (k % 3), -8 * k, 0));
  g.block(0, 6 + p.below(30));
  if (o.kernelSafe === true) g.out.push(insn(0xbf, 1, 0, 0, 0), insn(0x77, 1, 0, 0, 32), insn(0xaf, 0, 1, 0, 0));
  g.out.push(insn(0x95, 0, 0, 0, 0));
  // one subprogram every call goes to: a little ALU/stack work
  if (g.calls.length > 0) {
    const sub = g.out.length;
    const sg = new Gen(p, { pktLen: o.pktLen });
    for (const r of [0, 7, 8, 9]) sg.out.push(insn(0xb7, r, 0, 0, imm32(p)));
    sg.block(2, 2 + p.below(8));
    // nested call depth: sometimes recurse into itself once more is impossible to bound; keep simple
    sg.out.push(insn(0x95, 0, 0, 0, 0));
    const body = sg.out.filter((x) => !(x.code === 0x85 && x.src === 1));
    g.out.push(...body);
    for (const at of g.calls) g.out[at] = insn(0x85, 0, 1, 0, sub - at - 1);
  }
  return g.out;
}

/**
 * Facts a verifier would give for a generated program (JitInput.provenRegion):
 * loads and stores based on R10 address the stack, those based on R6 the packet
 * (R6 = R1 = the packet pointer, never written after insn 0). Atomics and other
 * bases get none.
 */
export function factsFor(insns: readonly Insn[], regions: { readonly stack: number; readonly packet: number }): Int8Array {
  const out = new Int8Array(insns.length).fill(-1);
  const r6Written = insns.some((x, i) => i > 0 && x.dst === 6 && ((x.code & 7) === 4 || (x.code & 7) === 7 || (x.code & 7) === 1 || x.code === 0x18));
  insns.forEach((x, i) => {
    const cls = x.code & 7, mode = x.code & 0xe0;
    let base = -1;
    if (cls === 1 && (mode === 0x60 || mode === 0x80)) base = x.src;
    else if ((cls === 2 || cls === 3) && mode === 0x60) base = x.dst;
    if (base === 10) out[i] = regions.stack;
    else if (base === 6 && !r6Written) out[i] = regions.packet;
  });
  return out;
}
