// Models arch/x86/net/bpf_jit_comp.c do_jit() and bpf_int_jit_compile() (Linux 6.18),
// targeting WebAssembly instead of x86-64: one module per program, native i64
// registers (one local per BPF register), every load/store bounds-checked against
// the region its pointer names (the AddressSpace of @tcbpf/ebpf placed in one
// linear memory), helpers as imported functions, bpf-to-bpf calls as Wasm
// functions, tail calls through the runtime's trampoline, LD_ABS/LD_IND through
// the program type with their implicit exit, division/modulo by zero as the
// kernel defines them, and a loop budget on every backward edge.
//
// Control flow: each BPF function becomes one Wasm function whose forward jumps
// are structured (a `block` per jump target, opened at function entry, outermost =
// furthest target: valid for any forward edge). Backward edges go through a
// dispatcher: `loop` around the whole body with a `br_table` over the back-edge
// targets, so every CFG (reducible or not) is compiled; a natural loop whose body
// is a contiguous range is emitted as a Wasm `loop` instead (the stackifier), see
// {@link planLoops}.
//
// The result must be identical to the interpreter (packages/ebpf/src/vm/
// interpreter.ts): same R0..R10, memory, RUN_STATUS and fault instruction.
import { KernelError } from '@tcbpf/base';
import { AddressSpace, FRAME_STACK, REGION, REGION_HI_BASE, RUN_STATUS } from '@tcbpf/ebpf';
import { BPF_LIMITS } from '@tcbpf/uapi';
import { JIT_STATUS, LAYOUT } from '../runtime/layout.js';
import { BLOCK_VOID, ByteWriter, ModuleBuilder, OP, VT } from '../wasm/module-builder.js';
import { WASM, type WasmModule } from '../wasm/wasm-api.js';

/** What the compiler needs from a loaded program (a subset of BpfProg). */
export interface JitInput {
  /** Two int32 words per slot (see BpfProg.image). */
  readonly image: Int32Array;
  /** Resolved helper per instruction index (CALL src != 1). */
  readonly helperAt: readonly unknown[];
  /** Subprogram start instructions (first = 0). */
  readonly subprogs: readonly number[];
  /** Does the program type implement LD_ABS/LD_IND? */
  readonly hasLdPacket: boolean;
  /**
   * Optional verifier facts: per instruction, the fixed region (REGION.STACK,
   * REGION.CTX or REGION.PACKET) a load/store was proven to address on every
   * path, or -1 (see {@link provenRegions}). A proven access skips the region
   * lookup but keeps an offset check against that region's length: a wrong fact
   * cannot leave the region (see FunctionEmitter.provenAddress).
   */
  readonly provenRegion?: ArrayLike<number>;
}

/** Compiled module plus facts for `bpftool prog show`-like reports. */
export interface JitImage {
  readonly module: WasmModule;
  /** Size of the Wasm binary (the kernel's jited_prog_len). */
  readonly bytes: number;
  /** Functions (subprograms) compiled. */
  readonly functions: number;
  /** Backward-edge targets compiled as Wasm loops (stackified). */
  readonly loops: number;
  /** Backward-edge targets that went through the dispatcher. */
  readonly dispatched: number;
  /** Wasm loops charged to the budget once per entry (counted loops, see countedLoopBound). */
  readonly counted: number;
}

/** Compiler options. */
export interface CompileOptions {
  /** Emit natural loops as Wasm `loop` (default true); false = dispatcher for every back edge. */
  readonly stackify?: boolean;
}

/** Address of the stack top of frame 0 as the interpreter sets R10 (R10 at entry). */
export const FRAME0 = Object.freeze({ hi: AddressSpace.hiOf(REGION.STACK), lo: BPF_LIMITS.MAX_BPF_STACK * BPF_LIMITS.MAX_CALL_FRAMES });

/** Imported function indices. */
const IMPORT = Object.freeze({ HELPER: 0, LD_PKT: 1, TAIL: 2 } as const);
/** Local indices: params R0..R10, then scratch. */
const L = Object.freeze({ NEXT: 11, ENT: 12, A: 13, T: 14, U: 15, FPC: 16, FST: 17, BUD: 18, X: 19, F: 20 } as const);
/** Per base register r: region cache {hi word key i32, base i32, len i64, writable len i64} at CACHE + 4r. */
const CACHE = 21;
const LOCALS = [VT.I32, VT.I32, VT.I64, VT.I64, VT.I64, VT.I32, VT.I32, VT.I64, VT.I32, 0x7c /* f64 */,
  ...Array.from({ length: 11 }, () => [VT.I32, VT.I32, VT.I64, VT.I64]).flat()];
/** First local of the proven-access cache (region bases, then per-(region, size, write) bounds). */
const FACTS = CACHE + 44;
/** Largest precharge of a counted loop (instructions); bigger loops keep the per-iteration charge. */
const MAX_PRECHARGE = 1 << 20;
const F64_LT = 0x63, F64_CONST = 0x44, I64_TRUNC_F64_U = 0xb1;
const HI0 = REGION_HI_BASE;
const MAX_FRAMES = BPF_LIMITS.MAX_CALL_FRAMES;

/** A loop planned for the stackifier: header..latch (inclusive), contiguous. */
export interface LoopPlan {
  readonly head: number;
  readonly latch: number;
}

type Label =
  | { readonly kind: 'exit' | 'fault' | 'top' | 'entry' | 'if' }
  | { readonly kind: 'target'; readonly pc: number }
  | { readonly kind: 'loop'; readonly pc: number };

/** Size in bytes of an LDX/ST/STX opcode's access. */
function accessSize(code: number): number {
  return code & 0x10 ? (code & 8 ? 8 : 1) : code & 8 ? 2 : 4;
}

/** Jump target of instruction `pc` (possibly out of range), or undefined when it does not jump. */
function jumpTarget(w: number, imm: number, pc: number): number | undefined {
  const code = w & 0xff;
  const cls = code & 7;
  if (cls !== 5 && cls !== 6) return undefined;
  const op = code & 0xf0;
  if (code === 0x06) return pc + 1 + imm; // gotol
  if (code === 0x05) return pc + 1 + (w >> 16);
  if (op === 0x80 || op === 0x90 || op === 0xe0 || op === 0x00 || op === 0xf0) return undefined; // call, exit, may_goto, others
  if (!isCondJump(code)) return undefined;
  return pc + 1 + (w >> 16);
}

function isCondJump(code: number): boolean {
  const op = code & 0xf0;
  const cls = code & 7;
  if (cls !== 5 && cls !== 6) return false;
  return op === 0x10 || op === 0x20 || op === 0x30 || op === 0x40 || op === 0x50 || op === 0x60 || op === 0x70 ||
    op === 0xa0 || op === 0xb0 || op === 0xc0 || op === 0xd0;
}

/**
 * Natural loops in program order that can become Wasm loops: a header H with
 * back edges from at most `latch` (the furthest), no edge from outside [H, latch]
 * into (H, latch], no fall-through into the range except at H, and properly
 * nested with the other planned loops. Others use the dispatcher.
 */
export function planLoops(edges: readonly (readonly [number, number])[], start: number, end: number): LoopPlan[] {
  const latchOf = new Map<number, number>();
  for (const [from, to] of edges) if (to <= from) latchOf.set(to, Math.max(latchOf.get(to) ?? -1, from));
  const candidates = [...latchOf.entries()].map(([head, latch]) => ({ head, latch })).sort((a, b) => a.head - b.head || b.latch - a.latch);
  const plans: LoopPlan[] = [];
  for (const c of candidates) {
    if (c.head < start || c.latch >= end) continue;
    let ok = true;
    for (const [from, to] of edges) {
      const fromIn = from >= c.head && from <= c.latch;
      const toIn = to > c.head && to <= c.latch;
      if (toIn && !fromIn) { ok = false; break; }
    }
    // proper nesting with already accepted loops
    for (const p of plans) {
      const disjoint = c.head > p.latch || c.latch < p.head;
      const inside = c.head >= p.head && c.latch <= p.latch;
      const outside = p.head >= c.head && p.latch <= c.latch;
      if (!disjoint && !inside && !outside) { ok = false; break; }
      if (outside) { ok = false; break; } // sorted by head: an outer loop would have come first
    }
    if (ok) plans.push(c);
  }
  // A back-edge target that stays on the dispatcher must not lie inside a Wasm
  // loop (the dispatcher enters blocks opened at function level): drop such loops
  // until none is left.
  for (;;) {
    const heads = new Set(plans.map((p) => p.head));
    const dispatched = [...latchOf.keys()].filter((h) => !heads.has(h));
    const bad = plans.findIndex((p) => dispatched.some((t) => t > p.head && t <= p.latch));
    if (bad < 0) return plans;
    plans.splice(bad, 1);
  }
}

/**
 * Largest number of iterations per entry of a planned loop that is a counted
 * loop, or undefined. Counted: the latch is `if rC < K goto head` or
 * `if rC <= K goto head` (64-bit, unsigned, immediate K >= 0), no other backward
 * jump, call, LD_ABS/LD_IND or atomic lies in [head, latch], rC is written in the
 * loop only by one `rC += k` (ALU64 ADD, immediate k > 0), and no jump inside the
 * loop skips that add (planLoops already guarantees the loop is only entered at
 * its head). Then rC grows by k every iteration and the loop runs at most
 * floor(K'/k) + 2 times per entry (K' = K, or K + 1 for <=; the + 2 covers an rC
 * that starts at or above K' and one unsigned wrap of rC).
 */
export function countedLoopBound(P: Int32Array, lp: LoopPlan): number | undefined {
  const lw = P[lp.latch * 2]!, limm = P[lp.latch * 2 + 1]!;
  const lcode = lw & 0xff;
  if ((lcode !== 0xa5 && lcode !== 0xb5) || lp.head !== lp.latch + 1 + (lw >> 16) || limm < 0) return undefined;
  const c = (lw >>> 8) & 0xf;
  let addAt = -1, step = 0;
  for (let pc = lp.head; pc < lp.latch; pc++) {
    const w = P[pc * 2]!, imm = P[pc * 2 + 1]!;
    const code = w & 0xff, cls = code & 7, d = (w >>> 8) & 0xf;
    if (code === 0x18) { if (d === c) return undefined; pc++; continue; }
    if (cls === 0 || (cls === 3 && (code & 0xe0) === 0xc0)) return undefined; // LD_ABS/LD_IND, atomics
    if ((cls === 5 || cls === 6) && ((code & 0xf0) === 0x80 || (code & 0xf0) === 0x90)) return undefined; // call, exit
    const t = jumpTarget(w, imm, pc);
    if (t !== undefined) {
      if (t <= pc) return undefined; // another backward jump
      continue;
    }
    if ((cls === 4 || cls === 7 || cls === 1) && d === c) {
      if (code !== 0x07 || imm <= 0 || addAt >= 0) return undefined;
      addAt = pc;
      step = imm;
    }
  }
  if (addAt < 0) return undefined;
  // the add must run on every iteration: no jump from before it lands after it
  for (let pc = lp.head; pc < addAt; pc++) {
    const w = P[pc * 2]!;
    if ((w & 0xff) === 0x18) { pc++; continue; }
    const t = jumpTarget(w, P[pc * 2 + 1]!, pc);
    if (t !== undefined && t > addAt && t <= lp.latch) return undefined;
  }
  const limit = lcode === 0xb5 ? limm + 1 : limm;
  return Math.floor(limit / step) + 2;
}

/**
 * Registers instruction range [start, end) never writes (empty when it makes a
 * bpf-to-bpf call). Written: the destination of ALU/ALU64/LDX/LD_IMM64, R0 of
 * calls, LD_ABS/LD_IND and cmpxchg, the source of fetching atomics.
 */
export function unwrittenRegs(P: Int32Array, start: number, end: number): Set<number> {
  const written = new Set<number>();
  for (let pc = start; pc < end; pc++) {
    const w = P[pc * 2]!, imm = P[pc * 2 + 1]!;
    const code = w & 0xff, cls = code & 7, d = (w >>> 8) & 0xf, s = (w >>> 12) & 0xf;
    if (code === 0x18) { written.add(d); pc++; continue; }
    if (code === 0x85) {
      if (s === 1) return new Set();
      written.add(0);
      continue;
    }
    if (cls === 4 || cls === 7 || cls === 1) written.add(d);
    else if (cls === 0) written.add(0);
    else if (cls === 3 && (code & 0xe0) === 0xc0) {
      if (imm === 0xf1) written.add(0);
      else if (imm === 0x100) written.add(d);
      else if ((imm & 1) !== 0) written.add(s);
    }
  }
  const out = new Set<number>();
  for (let r = 0; r <= 10; r++) if (!written.has(r)) out.add(r);
  return out;
}

/** Is the proven-access local of key `k` an i32 (a base, or a bound for accesses with off <= 0)? */
function factIsI32(k: number): boolean {
  return (k & 128) !== 0 || ((k >> 1) & 15) === 15;
}

/** Emits the body of one function. */
class FunctionEmitter {
  readonly w = new ByteWriter();
  readonly labels: Label[] = [];
  loopsEmitted = 0;
  dispatched = 0;
  /** Loops whose budget is charged once at entry (see countedLoopBound). */
  counted = 0;
  /** Proven-access locals: key (i32 << 7 | region << 5 | size << 1 | write), size 15 = the base; see factLocal. */
  readonly facts: Map<number, number>;
  readonly #factsFrozen: boolean;
  readonly #precharged = new Set<number>();
  readonly #in: JitInput;
  readonly #funcIndexOf: Map<number, number>;
  readonly #start: number;
  readonly #end: number;

  constructor(input: JitInput, funcIndexOf: Map<number, number>, start: number, end: number, facts?: Map<number, number>) {
    this.facts = facts ?? new Map<number, number>();
    this.#factsFrozen = facts !== undefined;
    this.#in = input;
    this.#funcIndexOf = funcIndexOf;
    this.#start = start;
    this.#end = end;
  }

  // ---------------- small emitters ----------------
  op(b: number): this { this.w.u8(b); return this; }
  i32(v: number): this { this.w.u8(OP.i32_const).sleb32(v); return this; }
  i64(lo: number, hi: number): this { this.w.u8(OP.i64_const).sleb64(lo, hi); return this; }
  /** i64.const of a sign-extended int32. */
  i64s(v: number): this { return this.i64(v, v >> 31); }
  get(l: number): this { this.w.u8(OP.local_get).uleb(l); return this; }
  set(l: number): this { this.w.u8(OP.local_set).uleb(l); return this; }
  tee(l: number): this { this.w.u8(OP.local_tee).uleb(l); return this; }
  mem(o: number, align: number, offset: number): this { this.w.u8(o).uleb(align).uleb(offset); return this; }
  open(kind: number, label: Label): this { this.w.u8(kind).u8(BLOCK_VOID); this.labels.push(label); return this; }
  close(): this { this.w.u8(OP.end); this.labels.pop(); return this; }
  depthOf(pred: (l: Label) => boolean): number {
    for (let i = this.labels.length - 1; i >= 0; i--) if (pred(this.labels[i]!)) return this.labels.length - 1 - i;
    throw new Error('label not open');
  }
  br(pred: (l: Label) => boolean): this { const d = this.depthOf(pred); this.w.u8(OP.br).uleb(d); return this; }
  brIf(pred: (l: Label) => boolean): this { const d = this.depthOf(pred); this.w.u8(OP.br_if).uleb(d); return this; }

  /** End the run at `pc` with `status` (registers are stored by the exit tail). */
  fault(status: number, pc: number): this {
    this.i32(pc).set(L.FPC).i32(status).set(L.FST);
    return this.br((l) => l.kind === 'fault');
  }

  /** Store R0..R10 into the register file. */
  storeRegs(from: number, to: number): this {
    for (let r = from; r <= to; r++) this.i32(0).get(r).mem(OP.i64_store, 3, LAYOUT.REGS + 8 * r);
    return this;
  }

  loadRegs(from: number, to: number): this {
    for (let r = from; r <= to; r++) this.i32(0).mem(OP.i64_load, 3, LAYOUT.REGS + 8 * r).set(r);
    return this;
  }

  /**
   * Bounds-check [reg + off, +size) against the region the pointer's high word
   * names (writable length for stores) and leave the linear address (i32) on the stack.
   */
  address(reg: number, off: number, size: number, write: boolean, pc: number): this {
    // Region cache of the base register: resolve the high word through the region
    // table only when it differs from the cached key (a loop over one region pays one
    // compare). Calls that may rebind regions reset every cache (invalidateCaches).
    const key = CACHE + 4 * reg, base = key + 1, len = key + 2, wlen = key + 3;
    this.get(reg).i64(32, 0).op(OP.i64_shr_u).op(OP.i32_wrap_i64).tee(L.X).get(key).op(OP.i32_ne);
    this.open(OP.if, { kind: 'if' });
    this.get(L.X).i32(HI0).op(OP.i32_sub).tee(L.ENT).i32(LAYOUT.MAX_REGIONS).op(OP.i32_ge_u);
    this.open(OP.if, { kind: 'if' }).fault(RUN_STATUS.FAULT, pc).close();
    this.get(L.ENT).i32(4).op(OP.i32_shl).set(L.ENT);
    this.get(L.X).set(key);
    this.get(L.ENT).mem(OP.i32_load, 2, LAYOUT.REGION_TABLE).set(base);
    this.get(L.ENT).mem(OP.i64_load32_u, 2, LAYOUT.REGION_TABLE + 4).set(len);
    this.get(L.ENT).mem(OP.i64_load32_u, 2, LAYOUT.REGION_TABLE + 8).set(wlen);
    this.close();
    // a = lo32(reg) + off, as i64 (no wrap); fault unless 0 <= a && a + size <= len
    this.get(reg).i64(-1, 0).op(OP.i64_and);
    if (off !== 0) this.i64s(off).op(OP.i64_add);
    this.tee(L.A).i64s(size).op(OP.i64_add).get(write ? wlen : len).op(OP.i64_gt_s);
    if (off < 0) this.get(L.A).i64(0, 0).op(OP.i64_lt_s).op(OP.i32_or);
    this.open(OP.if, { kind: 'if' }).fault(RUN_STATUS.FAULT, pc).close();
    return this.get(base).get(L.A).op(OP.i32_wrap_i64).op(OP.i32_add);
  }

  /**
   * Address of a load/store the verifier proved to address fixed region `region`
   * (its pointer type is the same on every path): no region lookup, one unsigned
   * compare of A = lo32(reg) + off against the region's length - size
   * (B = max(len - size + 1, 0), loaded at function entry and after every call);
   * A is an i32 when off <= 0 (it cannot wrap upwards, and below 0 it is a huge
   * unsigned value), an i64 otherwise. Identical to address() whenever the pointer does point into `region`
   * (in or out of bounds: an out-of-bounds offset faults the same way). When the
   * fact is wrong the access still lands inside `region` or faults: safety never
   * depends on the verifier.
   */
  provenAddress(region: number, reg: number, off: number, size: number, write: boolean, pc: number): this {
    const base = this.factLocal(region, 15, true, false);
    if (off <= 0) {
      // lo32 + off cannot wrap past 2^32 and goes negative (huge unsigned) below 0: i32 is exact
      const bound = this.factLocal(region, size, write, true);
      this.get(reg).op(OP.i32_wrap_i64);
      if (off !== 0) this.i32(off).op(OP.i32_add);
      this.tee(L.X).get(bound).op(OP.i32_ge_u);
      this.open(OP.if, { kind: 'if' }).fault(RUN_STATUS.FAULT, pc).close();
      return this.get(base).get(L.X).op(OP.i32_add);
    }
    const bound = this.factLocal(region, size, write, false);
    this.get(reg).i64(-1, 0).op(OP.i64_and).i64s(off).op(OP.i64_add);
    this.tee(L.A).get(bound).op(OP.i64_ge_u);
    this.open(OP.if, { kind: 'if' }).fault(RUN_STATUS.FAULT, pc).close();
    return this.get(base).get(L.A).op(OP.i32_wrap_i64).op(OP.i32_add);
  }

  /**
   * The local of (region, size, write) as i32 or i64 (key bit 7); size 15 = the
   * region's base (i32). Allocated in the discovery pass.
   */
  factLocal(region: number, size: number, write: boolean, i32: boolean): number {
    const k = (i32 ? 128 : 0) | (region << 5) | (size << 1) | (write ? 1 : 0);
    const have = this.facts.get(k);
    if (have !== undefined) return have;
    if (this.#factsFrozen) throw new Error(`jit: proven-access local ${k} missing after discovery`);
    const local = FACTS + this.facts.size;
    this.facts.set(k, local);
    return local;
  }

  /**
   * (Re)load every proven-access local from LAYOUT.FIXED_BOUNDS (computed by
   * JitMemory.refresh with the region table). Plain loads at function entry and
   * after calls: nothing the optimiser could sink into a loop body.
   */
  loadFacts(): this {
    for (const [k, local] of this.facts) {
      const slot = LAYOUT.FIXED_BOUNDS + 4 * (k & 127);
      if (factIsI32(k)) this.i32(0).mem(OP.i32_load, 2, slot).set(local);
      else this.i32(0).mem(OP.i64_load32_u, 2, slot).set(local);
    }
    return this;
  }

  /** address() or, for an access with a verifier fact, provenAddress(). */
  access(reg: number, off: number, size: number, write: boolean, pc: number): this {
    const region = this.#in.provenRegion?.[pc] ?? -1;
    if (region === REGION.STACK || region === REGION.CTX || region === REGION.PACKET) return this.provenAddress(region, reg, off, size, write, pc);
    return this.address(reg, off, size, write, pc);
  }

  /** Forget every cached region (after calls that may rebind regions). */
  invalidateCaches(): this {
    this.loadFacts();
    for (let r = 0; r <= 10; r++) {
      const key = CACHE + 4 * r;
      this.i32(0).set(key).i64(0, 0).set(key + 2).i64(0, 0).set(key + 3);
    }
    return this;
  }

  /** Push the second operand of an ALU64/JMP instruction as i64. */
  src64(w: number, imm: number): this {
    return w & 8 ? this.get((w >>> 12) & 0xf) : this.i64s(imm);
  }

  /** Push the second operand of an ALU32/JMP32 instruction as i32. */
  src32(w: number, imm: number): this {
    return w & 8 ? this.get((w >>> 12) & 0xf).op(OP.i32_wrap_i64) : this.i32(imm);
  }

  /** bswap of the i32 on the stack (uses local X). */
  bswap32(): this {
    this.tee(L.X).i32(8).op(OP.i32_rotl).i32(0x00ff00ff).op(OP.i32_and);
    return this.get(L.X).i32(8).op(OP.i32_rotr).i32(0xff00ff00 | 0).op(OP.i32_and).op(OP.i32_or);
  }

  /** Register d = bswap16/32/64 of itself (zero-extended for 16/32). */
  bswap(d: number, bits: number): void {
    if (bits === 16) {
      // ((x & 0xff) << 8) | ((x >> 8) & 0xff)
      this.get(d).op(OP.i32_wrap_i64).tee(L.X).i32(0xff).op(OP.i32_and).i32(8).op(OP.i32_shl)
        .get(L.X).i32(8).op(OP.i32_shr_u).i32(0xff).op(OP.i32_and).op(OP.i32_or).op(OP.i64_extend_i32_u).set(d);
    } else if (bits === 32) {
      this.get(d).op(OP.i32_wrap_i64).bswap32().op(OP.i64_extend_i32_u).set(d);
    } else {
      // (bswap32(lo) << 32) | bswap32(hi)
      this.get(d).op(OP.i32_wrap_i64).bswap32().op(OP.i64_extend_i32_u).i64(32, 0).op(OP.i64_shl)
        .get(d).i64(32, 0).op(OP.i64_shr_u).op(OP.i32_wrap_i64).bswap32().op(OP.i64_extend_i32_u).op(OP.i64_or).set(d);
    }
  }

  /** Budget charge on a backward edge; faults with BUDGET when exhausted. */
  charge(cost: number, pc: number): this {
    this.get(L.BUD).i64s(cost).op(OP.i64_sub).tee(L.BUD).i64(0, 0).op(OP.i64_lt_s);
    return this.open(OP.if, { kind: 'if' }).fault(RUN_STATUS.BUDGET, pc).close();
  }

  /** Unconditional transfer from `pc` to `target`. */
  jump(pc: number, target: number, dispatchIndex: Map<number, number>): void {
    if (target > pc) {
      this.br((l) => l.kind === 'target' && l.pc === target);
      return;
    }
    if (!this.#precharged.has(target)) this.charge(pc - target + 1, pc);
    const loopOpen = this.labels.some((l) => l.kind === 'loop' && l.pc === target);
    if (loopOpen) {
      this.br((l) => l.kind === 'loop' && l.pc === target);
      return;
    }
    this.i32(dispatchIndex.get(target)!).set(L.NEXT).br((l) => l.kind === 'top');
  }

  // ---------------- the function ----------------
  emit(loopPlans: readonly LoopPlan[]): Uint8Array {
    const { image: P } = this.#in;
    const start = this.#start, end = this.#end;
    this.#precharged.clear();
    this.counted = 0;
    // jump targets and edges
    const edges: [number, number][] = [];
    const targets = new Set<number>();
    const secondSlots = new Set<number>();
    for (let pc = start; pc < end; pc++) {
      const w = P[pc * 2]!, imm = P[pc * 2 + 1]!;
      if ((w & 0xff) === 0x18) { secondSlots.add(pc + 1); pc++; continue; }
      const t = jumpTarget(w, imm, pc);
      if (t === undefined) continue;
      if (t < start || t >= end) throw new KernelError('EINVAL', `jit: jump out of range from insn ${pc} to ${t}`);
      edges.push([pc, t]);
      targets.add(t);
    }
    for (const t of targets) if (secondSlots.has(t)) throw new KernelError('EINVAL', `jit: jump into the middle of ld_imm64 at insn ${t}`);
    const loopHeads = new Map<number, LoopPlan>();
    for (const lp of loopPlans) loopHeads.set(lp.head, lp);
    const backTargets = [...new Set(edges.filter(([f, t]) => t <= f && !loopHeads.has(t)).map(([, t]) => t))].sort((a, b) => a - b);
    const dispatchIndex = new Map<number, number>();
    backTargets.forEach((t, i) => dispatchIndex.set(t, i + 1));
    this.dispatched = backTargets.length;
    this.loopsEmitted = loopPlans.length;

    // Which forward-target blocks open where: a target inside a planned loop
    // (head < t <= latch) opens right after that innermost loop's `loop`; others at function top.
    const innermostLoop = (pc: number): LoopPlan | undefined => {
      let best: LoopPlan | undefined;
      for (const lp of loopPlans) if (pc > lp.head && pc <= lp.latch && (best === undefined || lp.head > best.head)) best = lp;
      return best;
    };
    const blockTargetsAtTop: number[] = [];
    const blockTargetsIn = new Map<number, number[]>();
    for (const t of targets) {
      const lp = innermostLoop(t);
      if (lp === undefined) blockTargetsAtTop.push(t);
      else {
        const arr = blockTargetsIn.get(lp.head) ?? [];
        arr.push(t);
        blockTargetsIn.set(lp.head, arr);
      }
    }

    this.w.u8(OP.global_get).uleb(0).u8(OP.local_set).uleb(L.BUD);
    this.loadFacts();
    // Registers the function never writes hold their entry value at exit: store
    // them into the register file now, so they are not live across the body
    // (fewer live values, fewer spills). Not with bpf-to-bpf calls: a callee's
    // exit overwrites the register file.
    const entryStored = unwrittenRegs(P, start, end);
    for (const r of entryStored) this.storeRegs(r, r);
    this.open(OP.block, { kind: 'exit' });
    this.open(OP.block, { kind: 'fault' });
    if (backTargets.length > 0) this.open(OP.loop, { kind: 'top' });
    for (const t of [...blockTargetsAtTop].sort((a, b) => b - a)) this.open(OP.block, { kind: 'target', pc: t });
    if (backTargets.length > 0) {
      this.open(OP.block, { kind: 'entry' });
      this.get(L.NEXT);
      this.w.u8(OP.br_table).uleb(backTargets.length + 1);
      this.w.uleb(0);
      for (const t of backTargets) this.w.uleb(this.depthOf((l) => l.kind === 'target' && l.pc === t));
      this.w.uleb(0);
      this.close();
    }
    const closeLoopsEndingAt = (pc: number): void => {
      // a planned loop whose latch is pc - 1 ends before insn pc
      while (true) {
        const top = this.labels[this.labels.length - 1];
        if (top !== undefined && top.kind === 'loop' && loopHeads.get(top.pc)!.latch < pc) this.close();
        else break;
      }
    };
    for (let pc = start; pc < end; pc++) {
      closeLoopsEndingAt(pc);
      if (targets.has(pc)) {
        const top = this.labels[this.labels.length - 1];
        if (top !== undefined && top.kind === 'target' && top.pc === pc) this.close();
        else throw new Error(`jit: block for target ${pc} is not innermost`);
      }
      const lp = loopHeads.get(pc);
      if (lp !== undefined) {
        const bound = countedLoopBound(P, lp);
        if (bound !== undefined && bound * (lp.latch - lp.head + 1) <= MAX_PRECHARGE) {
          // a counted loop: charge its largest possible cost once per entry
          this.charge(bound * (lp.latch - lp.head + 1), pc);
          this.#precharged.add(pc);
          this.counted++;
        }
        this.open(OP.loop, { kind: 'loop', pc });
        for (const t of [...(blockTargetsIn.get(pc) ?? [])].sort((a, b) => b - a)) this.open(OP.block, { kind: 'target', pc: t });
      }
      pc = this.insn(pc, dispatchIndex);
    }
    closeLoopsEndingAt(end + 1);
    if (backTargets.length > 0) this.close(); // top
    // falling off the end of the function
    this.fault(RUN_STATUS.FAULT, end);
    this.close(); // fault
    this.i32(0).get(L.FST).mem(OP.i32_store, 2, LAYOUT.STATUS).i32(0).get(L.FPC).mem(OP.i32_store, 2, LAYOUT.FAULT_PC);
    this.close(); // exit
    for (let r = 0; r <= 10; r++) if (!entryStored.has(r)) this.storeRegs(r, r);
    this.get(0).op(OP.end);
    return this.w.toBytes();
  }

  /** Emit instruction `pc`; returns the last slot consumed. */
  insn(pc: number, dispatchIndex: Map<number, number>): number {
    const P = this.#in.image;
    const w = P[pc * 2]!;
    const imm = P[pc * 2 + 1]!;
    const code = w & 0xff;
    const d = (w >>> 8) & 0xf;
    const s = (w >>> 12) & 0xf;
    const off = w >> 16;
    // invalid register numbers (the loader refuses them: "R11 is invalid") fault here
    if (d > 10 || s > 10) { this.fault(RUN_STATUS.FAULT, pc); return code === 0x18 ? pc + 1 : pc; }
    switch (code) {
      // ---------------- ALU64 ----------------
      case 0x07: case 0x0f: this.get(d).src64(w, imm).op(OP.i64_add).set(d); break;
      case 0x17: case 0x1f: this.get(d).src64(w, imm).op(OP.i64_sub).set(d); break;
      case 0x27: case 0x2f: this.get(d).src64(w, imm).op(OP.i64_mul).set(d); break;
      case 0x47: case 0x4f: this.get(d).src64(w, imm).op(OP.i64_or).set(d); break;
      case 0x57: case 0x5f: this.get(d).src64(w, imm).op(OP.i64_and).set(d); break;
      case 0xa7: case 0xaf: this.get(d).src64(w, imm).op(OP.i64_xor).set(d); break;
      case 0x67: case 0x6f: this.get(d).src64(w, imm & 63).op(OP.i64_shl).set(d); break;
      case 0x77: case 0x7f: this.get(d).src64(w, imm & 63).op(OP.i64_shr_u).set(d); break;
      case 0xc7: case 0xcf: this.get(d).src64(w, imm & 63).op(OP.i64_shr_s).set(d); break;
      case 0x87: this.i64(0, 0).get(d).op(OP.i64_sub).set(d); break;
      case 0xb7: this.i64s(imm).set(d); break;
      case 0xbf:
        this.get(s);
        if (off === 8) this.op(OP.i64_extend8_s); else if (off === 16) this.op(OP.i64_extend16_s); else if (off !== 0) this.op(OP.i64_extend32_s);
        this.set(d);
        break;
      case 0x37: case 0x3f: case 0x97: case 0x9f: this.div64(w, imm, d, s); break;
      case 0xd7: this.bswap(d, imm === 16 ? 16 : imm === 32 ? 32 : 64); break;
      // ---------------- ALU32 ----------------
      case 0x04: case 0x0c: this.alu32(d, w, imm, OP.i32_add); break;
      case 0x14: case 0x1c: this.alu32(d, w, imm, OP.i32_sub); break;
      case 0x24: case 0x2c: this.alu32(d, w, imm, OP.i32_mul); break;
      case 0x44: case 0x4c: this.alu32(d, w, imm, OP.i32_or); break;
      case 0x54: case 0x5c: this.alu32(d, w, imm, OP.i32_and); break;
      case 0xa4: case 0xac: this.alu32(d, w, imm, OP.i32_xor); break;
      case 0x64: case 0x6c: this.alu32(d, w, imm & 31, OP.i32_shl); break;
      case 0x74: case 0x7c: this.alu32(d, w, imm & 31, OP.i32_shr_u); break;
      case 0xc4: case 0xcc: this.alu32(d, w, imm & 31, OP.i32_shr_s); break;
      case 0x84: this.i32(0).get(d).op(OP.i32_wrap_i64).op(OP.i32_sub).op(OP.i64_extend_i32_u).set(d); break;
      case 0xb4: this.i64(imm, 0).set(d); break;
      case 0xbc:
        this.get(s).op(OP.i32_wrap_i64);
        if (off === 8) this.op(OP.i32_extend8_s); else if (off === 16) this.op(OP.i32_extend16_s);
        this.op(OP.i64_extend_i32_u).set(d);
        break;
      case 0x34: case 0x3c: case 0x94: case 0x9c: this.div32(w, imm, d, s); break;
      case 0xd4:
        if (imm === 16) this.get(d).i64(0xffff, 0).op(OP.i64_and).set(d);
        else if (imm === 32) this.get(d).i64(-1, 0).op(OP.i64_and).set(d);
        break;
      case 0xdc: this.bswap(d, imm === 16 ? 16 : imm === 32 ? 32 : 64); break;
      // ---------------- JMP ----------------
      case 0x05: this.jump(pc, pc + 1 + off, dispatchIndex); break;
      case 0x06: this.jump(pc, pc + 1 + imm, dispatchIndex); break;
      case 0xe5: break; // may_goto: never taken (as the interpreter)
      case 0x85: this.call(pc, w, imm); break;
      case 0x95: this.br((l) => l.kind === 'exit'); break;
      case 0x18:
        this.i64(imm, P[pc * 2 + 3] ?? 0).set(d);
        return pc + 1;
      // ---------------- LDX ----------------
      case 0x61: case 0x69: case 0x71: case 0x79: case 0x81: case 0x89: case 0x91: {
        const size = accessSize(code);
        this.access(s, off, size, false, pc);
        const ops: Record<number, number> = { 0x61: OP.i64_load32_u, 0x69: OP.i64_load16_u, 0x71: OP.i64_load8_u, 0x79: OP.i64_load, 0x81: OP.i64_load32_s, 0x89: OP.i64_load16_s, 0x91: OP.i64_load8_s };
        this.mem(ops[code]!, 0, 0).set(d);
        break;
      }
      // ---------------- ST / STX ----------------
      case 0x62: case 0x6a: case 0x72: case 0x7a: case 0x63: case 0x6b: case 0x73: case 0x7b: {
        const size = accessSize(code);
        this.access(d, off, size, true, pc);
        if (code & 1) this.get(s); else this.i64s(imm);
        this.mem(size === 8 ? OP.i64_store : size === 4 ? OP.i64_store32 : size === 2 ? OP.i64_store16 : OP.i64_store8, 0, 0);
        break;
      }
      case 0xc3: case 0xdb: case 0xd3: case 0xcb: this.atomic(pc, code, d, s, off, imm); break;
      // ---------------- legacy packet loads ----------------
      case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
        const size = code & 0x10 ? 1 : code & 8 ? 2 : 4;
        if (!this.#in.hasLdPacket) {
          // typeOps.ldPacket absent: the interpreter treats the load as failed
          this.i64(0, 0).set(0).i32(-1).set(L.FPC).i32(JIT_STATUS.LD_ABS_EXIT).set(L.FST).br((l) => l.kind === 'fault');
          break;
        }
        if (code & 0x40) this.get(s).op(OP.i32_wrap_i64).i32(imm).op(OP.i32_add); else this.i32(imm);
        this.i32(size);
        this.w.u8(OP.call).uleb(IMPORT.LD_PKT);
        this.tee(L.F);
        this.w.u8(F64_CONST).bytes([0, 0, 0, 0, 0, 0, 0, 0]);
        this.op(F64_LT);
        this.open(OP.if, { kind: 'if' });
        this.i64(0, 0).set(0).i32(-1).set(L.FPC).i32(JIT_STATUS.LD_ABS_EXIT).set(L.FST).br((l) => l.kind === 'fault');
        this.close();
        this.get(L.F).op(I64_TRUNC_F64_U).set(0);
        this.invalidateCaches();
        break;
      }
      default: {
        if (isCondJump(code)) { this.condJump(pc, w, imm, dispatchIndex); break; }
        this.fault(RUN_STATUS.FAULT, pc);
      }
    }
    return pc;
  }

  alu32(d: number, w: number, imm: number, op: number): void {
    this.get(d).op(OP.i32_wrap_i64).src32(w, imm).op(op).op(OP.i64_extend_i32_u).set(d);
  }

  div64(w: number, imm: number, d: number, s: number): void {
    const isMod = (w & 0xf0) === 0x90;
    const signed = w >> 16 === 1;
    if ((w & 8) === 0) {
      if (imm === 0) { if (!isMod) this.i64(0, 0).set(d); return; }
      if (signed && imm === -1) { if (isMod) this.i64(0, 0).set(d); else this.i64(0, 0).get(d).op(OP.i64_sub).set(d); return; }
      this.get(d).i64s(imm).op(isMod ? (signed ? OP.i64_rem_s : OP.i64_rem_u) : signed ? OP.i64_div_s : OP.i64_div_u).set(d);
      return;
    }
    this.get(s).op(OP.i64_eqz);
    this.open(OP.if, { kind: 'if' });
    if (!isMod) this.i64(0, 0).set(d);
    this.op(OP.else);
    if (signed && !isMod) {
      this.get(s).i64(-1, -1).op(OP.i64_eq);
      this.open(OP.if, { kind: 'if' }).i64(0, 0).get(d).op(OP.i64_sub).set(d).op(OP.else).get(d).get(s).op(OP.i64_div_s).set(d).close();
    } else {
      this.get(d).get(s).op(isMod ? (signed ? OP.i64_rem_s : OP.i64_rem_u) : OP.i64_div_u).set(d);
    }
    this.close();
  }

  div32(w: number, imm: number, d: number, s: number): void {
    const isMod = (w & 0xf0) === 0x90;
    const signed = w >> 16 === 1;
    const opc = isMod ? (signed ? OP.i32_rem_s : OP.i32_rem_u) : signed ? OP.i32_div_s : OP.i32_div_u;
    if ((w & 8) === 0) {
      if (imm === 0) { if (isMod) this.get(d).i64(-1, 0).op(OP.i64_and).set(d); else this.i64(0, 0).set(d); return; }
      if (signed && imm === -1) {
        if (isMod) this.i64(0, 0).set(d); else this.i32(0).get(d).op(OP.i32_wrap_i64).op(OP.i32_sub).op(OP.i64_extend_i32_u).set(d);
        return;
      }
      this.get(d).op(OP.i32_wrap_i64).i32(imm).op(opc).op(OP.i64_extend_i32_u).set(d);
      return;
    }
    this.get(s).op(OP.i32_wrap_i64).tee(L.X).op(OP.i32_eqz);
    this.open(OP.if, { kind: 'if' });
    if (isMod) this.get(d).i64(-1, 0).op(OP.i64_and).set(d); else this.i64(0, 0).set(d);
    this.op(OP.else);
    if (signed && !isMod) {
      this.get(L.X).i32(-1).op(OP.i32_eq);
      this.open(OP.if, { kind: 'if' });
      this.i32(0).get(d).op(OP.i32_wrap_i64).op(OP.i32_sub).op(OP.i64_extend_i32_u).set(d);
      this.op(OP.else);
      this.get(d).op(OP.i32_wrap_i64).get(L.X).op(opc).op(OP.i64_extend_i32_u).set(d);
      this.close();
    } else {
      this.get(d).op(OP.i32_wrap_i64).get(L.X).op(opc).op(OP.i64_extend_i32_u).set(d);
    }
    this.close();
  }

  condJump(pc: number, w: number, imm: number, dispatchIndex: Map<number, number>): void {
    const code = w & 0xff;
    const d = (w >>> 8) & 0xf;
    const is64 = (code & 1) === 1;
    const op = code & 0xf0;
    if (is64) this.get(d).src64(w, imm); else this.get(d).op(OP.i32_wrap_i64).src32(w, imm);
    const ops64: Record<number, number> = { 0x10: OP.i64_eq, 0x20: OP.i64_gt_u, 0x30: OP.i64_ge_u, 0x50: OP.i64_ne, 0x60: OP.i64_gt_s, 0x70: OP.i64_ge_s, 0xa0: OP.i64_lt_u, 0xb0: OP.i64_le_u, 0xc0: OP.i64_lt_s, 0xd0: OP.i64_le_s };
    const ops32: Record<number, number> = { 0x10: OP.i32_eq, 0x20: OP.i32_gt_u, 0x30: OP.i32_ge_u, 0x50: OP.i32_ne, 0x60: OP.i32_gt_s, 0x70: OP.i32_ge_s, 0xa0: OP.i32_lt_u, 0xb0: OP.i32_le_u, 0xc0: OP.i32_lt_s, 0xd0: OP.i32_le_s };
    if (op === 0x40) {
      if (is64) this.op(OP.i64_and).op(OP.i64_eqz).op(OP.i32_eqz); else this.op(OP.i32_and);
    } else this.op(is64 ? ops64[op]! : ops32[op]!);
    const target = pc + 1 + (w >> 16);
    if (target > pc) {
      this.brIf((l) => l.kind === 'target' && l.pc === target);
      return;
    }
    this.open(OP.if, { kind: 'if' });
    this.jump(pc, target, dispatchIndex);
    this.close();
  }

  call(pc: number, w: number, imm: number): void {
    if (((w >>> 12) & 0xf) === 1) {
      const target = pc + imm + 1;
      const fi = this.#funcIndexOf.get(target);
      if (fi === undefined) throw new KernelError('EINVAL', `jit: call at insn ${pc} to ${target}, not a subprogram start`);
      // depth check (interpreter: depth + 1 >= MAX_CALL_FRAMES)
      this.i32(0).mem(OP.i32_load, 2, LAYOUT.DEPTH).i32(1).op(OP.i32_add).tee(L.X).i32(MAX_FRAMES).op(OP.i32_ge_u);
      this.open(OP.if, { kind: 'if' }).fault(RUN_STATUS.CALL_DEPTH, pc).close();
      this.i32(0).get(L.X).mem(OP.i32_store, 2, LAYOUT.DEPTH);
      this.get(L.BUD).w.u8(OP.global_set).uleb(0);
      for (let r = 0; r <= 9; r++) this.get(r);
      // R10 lo word -= 512, hi word unchanged
      this.get(10).i64(0, -1).op(OP.i64_and).get(10).op(OP.i32_wrap_i64).i32(FRAME_STACK).op(OP.i32_sub).op(OP.i64_extend_i32_u).op(OP.i64_or);
      this.w.u8(OP.call).uleb(fi);
      this.set(0);
      this.i32(0).i32(0).mem(OP.i32_load, 2, LAYOUT.DEPTH).i32(1).op(OP.i32_sub).mem(OP.i32_store, 2, LAYOUT.DEPTH);
      this.w.u8(OP.global_get).uleb(0);
      this.set(L.BUD);
      this.i32(0).mem(OP.i32_load, 2, LAYOUT.STATUS);
      this.open(OP.if, { kind: 'if' }).get(0).op(OP.return).close();
      this.loadRegs(1, 5);
      this.invalidateCaches();
      return;
    }
    if (this.#in.helperAt[pc] === undefined) { this.fault(RUN_STATUS.BAD_CALL, pc); return; }
    this.storeRegs(0, 5); // R0 too: a helper that fails leaves it as it was
    this.i32(pc);
    this.w.u8(OP.call).uleb(IMPORT.HELPER);
    this.set(L.X);
    this.loadRegs(0, 0);
    this.invalidateCaches();
    this.get(L.X);
    this.open(OP.if, { kind: 'if' });
    this.get(L.X).i32(1).op(OP.i32_eq);
    this.open(OP.if, { kind: 'if' });
    this.storeRegs(0, 10);
    this.get(L.BUD).w.u8(OP.global_set).uleb(0);
    this.w.u8(OP.call).uleb(IMPORT.TAIL);
    this.loadRegs(0, 0).get(0).op(OP.return);
    this.close();
    this.fault(RUN_STATUS.FAULT, pc);
    this.close();
  }

  atomic(pc: number, code: number, d: number, s: number, off: number, imm: number): void {
    const size = code === 0xdb ? 8 : code === 0xc3 ? 4 : code === 0xcb ? 2 : 1;
    const load = size === 8 ? OP.i64_load : size === 4 ? OP.i64_load32_u : size === 2 ? OP.i64_load16_u : OP.i64_load8_u;
    const store = size === 8 ? OP.i64_store : size === 4 ? OP.i64_store32 : size === 2 ? OP.i64_store16 : OP.i64_store8;
    if (imm === 0x100) { // load-acquire
      this.address(s, off, size, false, pc).mem(load, 0, 0).set(d);
      return;
    }
    this.address(d, off, size, true, pc);
    if (imm === 0x110) { this.get(s).mem(store, 0, 0); return; }
    this.set(L.ENT);
    if (size !== 4 && size !== 8) { this.fault(RUN_STATUS.FAULT, pc); return; }
    const binop: Record<number, number> = { 0x00: OP.i64_add, 0x01: OP.i64_add, 0x40: OP.i64_or, 0x41: OP.i64_or, 0x50: OP.i64_and, 0x51: OP.i64_and, 0xa0: OP.i64_xor, 0xa1: OP.i64_xor };
    const known = binop[imm] !== undefined || imm === 0xe1 || imm === 0xf1;
    if (!known) { this.fault(RUN_STATUS.FAULT, pc); return; }
    this.get(L.ENT).mem(load, 0, 0).set(L.T); // old value (zero-extended for size 4)
    const mask = (): void => { if (size === 4) this.i64(-1, 0).op(OP.i64_and); };
    if (imm === 0xf1) {
      // cmpxchg: compare with R0 (low 32 bits for size 4); R0 = old always
      this.get(L.T).get(0);
      mask();
      this.op(OP.i64_eq);
      this.open(OP.if, { kind: 'if' }).get(L.ENT).get(s).mem(store, 0, 0).close();
      this.get(L.T).set(0);
      return;
    }
    this.get(L.ENT);
    if (imm === 0xe1) this.get(s); else this.get(L.T).get(s).op(binop[imm]!);
    this.mem(store, 0, 0);
    if ((imm & 1) !== 0) this.get(L.T).set(s);
  }
}

/**
 * Compile a program to one Wasm module. Throws KernelError(EINVAL) for a shape
 * the compiler does not handle (the caller falls back to the interpreter).
 */
export function compileProgram(input: JitInput, opts: CompileOptions = {}): JitImage {
  const n = input.image.length >> 1;
  if (n === 0) throw new KernelError('EINVAL', 'jit: empty program');
  const starts = [...input.subprogs].sort((a, b) => a - b);
  if (starts[0] !== 0) throw new KernelError('EINVAL', 'jit: first subprogram does not start at insn 0');
  const mb = new ModuleBuilder();
  const tHelper = mb.type([VT.I32], [VT.I32]);
  const tLd = mb.type([VT.I32, VT.I32], [0x7c]);
  const tVoid = mb.type([], []);
  const tFn = mb.type(Array.from({ length: 11 }, () => VT.I64), [VT.I64]);
  const tRun = mb.type([VT.I32, VT.I32, VT.I32, VT.I32, VT.I32], [VT.I32]);
  const tEnter = mb.type([VT.I32], [VT.I32]);
  mb.importFunc('env', 'helper', tHelper);
  mb.importFunc('env', 'ldpkt', tLd);
  mb.importFunc('env', 'tail', tVoid);
  mb.global(VT.I64); // loop budget
  const funcIndexOf = new Map<number, number>();
  starts.forEach((st, i) => funcIndexOf.set(st, mb.nextFuncIndex() + i));
  let loops = 0, dispatched = 0, counted = 0;
  const stackify = opts.stackify ?? true;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i]!;
    const end = starts[i + 1] ?? n;
    const edges: [number, number][] = [];
    for (let pc = start; pc < end; pc++) {
      const w = input.image[pc * 2]!;
      if ((w & 0xff) === 0x18) { pc++; continue; }
      const t = jumpTarget(w, input.image[pc * 2 + 1]!, pc);
      if (t !== undefined) edges.push([pc, t]);
    }
    const plans = stackify ? planLoops(edges, start, end) : [];
    // discovery pass (which proven-access locals the function needs), then the real one
    const probe = new FunctionEmitter(input, funcIndexOf, start, end);
    probe.emit(plans);
    const fe = new FunctionEmitter(input, funcIndexOf, start, end, probe.facts);
    const body = fe.emit(plans);
    counted += fe.counted;
    loops += fe.loopsEmitted;
    dispatched += fe.dispatched;
    mb.func({ type: tFn, locals: [...LOCALS, ...[...fe.facts.keys()].map((k) => (factIsI32(k) ? VT.I32 : VT.I64))], body });
  }
  // run(r1lo, r1hi, r2lo, r2hi, budget): reset the control block, R1/R2 from the
  // arguments, R10 = top of frame 0, the rest zero (as Interpreter.run)
  const rw = new ByteWriter();
  const st32 = (addr: number, v: number): void => { rw.u8(OP.i32_const).sleb32(0).u8(OP.i32_const).sleb32(v).u8(OP.i32_store).uleb(2).uleb(addr); };
  st32(LAYOUT.STATUS, 0);
  st32(LAYOUT.DEPTH, 0);
  st32(LAYOUT.FAULT_PC, -1);
  rw.u8(OP.local_get).uleb(4).u8(OP.i64_extend_i32_u).u8(OP.global_set).uleb(0);
  rw.u8(OP.i64_const).u8(0);
  for (const [lo, hi] of [[0, 1], [2, 3]] as const) {
    rw.u8(OP.local_get).uleb(hi).u8(OP.i64_extend_i32_u).u8(OP.i64_const).u8(32).u8(OP.i64_shl)
      .u8(OP.local_get).uleb(lo).u8(OP.i64_extend_i32_u).u8(OP.i64_or);
  }
  for (let r = 3; r <= 9; r++) rw.u8(OP.i64_const).u8(0);
  rw.u8(OP.i64_const).sleb64(FRAME0.lo, FRAME0.hi);
  rw.u8(OP.call).uleb(funcIndexOf.get(0)!).u8(OP.drop);
  rw.u8(OP.i32_const).sleb32(0).u8(OP.i32_load).uleb(2).uleb(LAYOUT.STATUS).u8(OP.end);
  const runIdx = mb.func({ type: tRun, locals: [], body: rw.toBytes() });
  mb.exportFunc('run', runIdx);
  // enter(budget): a tail call's target starts with the registers in the register file
  const ew = new ByteWriter();
  ew.u8(OP.local_get).uleb(0).u8(OP.i64_extend_i32_u).u8(OP.global_set).uleb(0);
  for (let r = 0; r <= 10; r++) ew.u8(OP.i32_const).sleb32(0).u8(OP.i64_load).uleb(3).uleb(LAYOUT.REGS + 8 * r);
  ew.u8(OP.call).uleb(funcIndexOf.get(0)!).u8(OP.drop);
  ew.u8(OP.i32_const).sleb32(0).u8(OP.i32_load).uleb(2).uleb(LAYOUT.STATUS).u8(OP.end);
  mb.exportFunc('enter', mb.func({ type: tEnter, locals: [], body: ew.toBytes() }));
  const bytes = mb.build();
  let module: WasmModule;
  try {
    module = new WASM.Module(bytes);
  } catch (e) {
    throw new KernelError('EINVAL', `jit: generated module failed validation: ${(e as Error).message}`);
  }
  return { module, bytes: bytes.length, functions: starts.length, loops, dispatched, counted };
}

