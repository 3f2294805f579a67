// Models kernel/bpf/verifier.c (Linux 6.18): do_check() — the path-sensitive
// walk with check_alu_op, check_mem_access (ctx/stack/packet/map value/mem),
// check_cond_jmp_op with packet range proofs and null checks, check_helper_call,
// check_func_call/prepare_func_exit, is_state_visited (pruning, infinite-loop
// detection), the 1M processed-instruction budget and check_max_stack_depth;
// callbacks: BPF_PSEUDO_FUNC ld_imm64 (PTR_TO_FUNC), push_callback_call with
// set_loop_callback_state / map_set_for_each_callback_args, the callback
// return check and widen_imprecise_scalars of prepare_func_exit.
// The log follows kernel/bpf/log.c at levels 1 and 2.
import { disasmInsn, funcIdName } from './disasm.js';
import { computeLiveRegs, liveStr } from './liveness.js';
import type { Insns } from './insn.js';
import type { Reg} from './reg-state.js';
import { Frame, STACK, constReg, regStr, stackStr } from './reg-state.js';
import { boundsInvalid, coerceSubregToSizeSx, coerceToSize, coerceToSizeSx, regSetMinMax, scalarAlu, scalarBranchTaken } from './scalar-alu.js';
import type { Refusal, Structure } from './structural.js';
import { S64_MAX, S64_MIN, U64_MAX, s64, tnumAdd, tnumConst, tnumIn, tnumIsAligned, tnumStr, tnumSub, u64 } from './tnum.js';
import { ARG, BTF_FUNC_LINKAGE, type FuncInfo, type HelperProto, type MapDescriptor, type ProgTypeOps, REG_TYPE, REG_TYPE_NAME, RET } from './types.js';

const T = REG_TYPE;
const MAX_VAR_OFF = 1 << 29;
const MAX_PACKET_OFF = 0xffff;
const LIMIT = 1_000_000;

/**
 * Internal control-flow signal of a refusal, caught in Checker.run(). Not an
 * Error: a refusal is the normal outcome of verification and must not pay for
 * a stack trace.
 */
class Reject {
  readonly refusal: Refusal;
  constructor(r: Refusal) {
    this.refusal = r;
  }
}

/** One verifier state: the call frames of a path. */
class VState {
  frames: Frame[] = [];
  parent: VState | null = null;
  branches = 0;
  refs: { id: number; insn: number }[] = [];
  insn = 0;
  /** callback_unroll_depth: callback bodies entered on this path. */
  callbackUnrollDepth = 0;
  get cur(): Frame {
    return this.frames[this.frames.length - 1]!;
  }
  clone(): VState {
    const s = new VState();
    s.frames = this.frames.map((f) => f.clone());
    s.parent = this.parent;
    s.refs = this.refs.map((r) => ({ ...r }));
    s.insn = this.insn;
    s.callbackUnrollDepth = this.callbackUnrollDepth;
    return s;
  }
}

/** Options of the walk. */
export interface WalkOptions {
  readonly ops: ProgTypeOps;
  readonly logLevel: number;
  readonly gpl: boolean;
  readonly strictAlignment: boolean;
  readonly structure: Structure;
  /** func_info records (BTF given), undefined without BTF. */
  readonly funcInfo?: readonly FuncInfo[] | undefined;
  /** Structured trace consumer: called with each refusal's register state. */
}

/** Result of the walk. */
export interface WalkResult {
  readonly refusal: Refusal | null;
  readonly processed: number;
  readonly maxStatesPerInsn: number;
  readonly totalStates: number;
  readonly peakStates: number;
  readonly log: string[];
  /** Register/stack state (text) of the failing path at the refusal. */
  readonly failState: readonly string[];
  readonly stackDepths: readonly number[];
  /** Per instruction: pointer type of the memory operand (ctx accesses get rewritten). */
  readonly ptrType: Int8Array;
  /** Per instruction: REG_TYPE of the memory operand on every path that reached it (-1 none, ACCESS_MIXED when paths differ). */
  readonly accessType: Int8Array;
  readonly seen: Uint8Array;
}

/** accessType value of an instruction reached with different pointer types. */
export const ACCESS_MIXED = -2;

/** vlog_alignment(): pad the instruction text so `;` lands on the next 40-column stop. */
function alignPad(s: string): string {
  const pos = s.length + 1;
  const pad = Math.ceil(Math.max(pos + 4, 40) / 8) * 8 - pos - 1;
  return s + ' '.repeat(Math.max(pad, 1));
}

/** The walker. One instance verifies one program. */
export class Checker {
  private readonly p: Insns;
  private readonly o: WalkOptions;
  private readonly log: string[] = [];
  private readonly explored: { st: VState; hit: number; miss: number }[][] = [];
  private idGen = 0;
  private processed = 0;
  private jmps = 0;
  private prevJmps = 0;
  private prevInsns = 0;
  private totalStates = 0;
  private peakStates = 0;
  private curStates = 0;
  private maxStatesPerInsn = 0;
  private readonly stackDepth: number[];
  private readonly ptrType: Int8Array;
  private readonly accessType: Int8Array;
  private readonly seen: Uint8Array;
  private stack: { st: VState; insn: number; logLen: number; from: number }[] = [];
  private st!: VState;
  private scratched = 0;
  private readonly scratchedStack = new Uint8Array(64);
  private anyStackScratched = false;
  private skipAppend = false;
  private lastFail: string[] = [];
  private readonly subprogOf: Int32Array;
  private readonly live: Uint16Array;

  constructor(p: Insns, o: WalkOptions) {
    this.p = p;
    this.o = o;
    this.stackDepth = o.structure.subprogStarts.map(() => 0);
    this.ptrType = new Int8Array(p.len).fill(-1);
    this.accessType = new Int8Array(p.len).fill(-1);
    this.seen = new Uint8Array(p.len);
    this.subprogOf = new Int32Array(p.len);
    this.live = computeLiveRegs(p, o.ops);
    const starts = o.structure.subprogStarts;
    for (let s = 0; s < starts.length; s++) for (let i = starts[s]!; i < (starts[s + 1] ?? p.len); i++) this.subprogOf[i] = s;
  }

  private vlog(line: string): void {
    if (this.o.logLevel > 0) this.log.push(line);
  }
  private fail(errno: Refusal['errno'], message: string, more?: string[]): never {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- internal signal, see Reject
    throw new Reject({ errno, message, insn: this.st.insn, ...(more === undefined ? {} : { more }) });
  }
  private regs(): Reg[] {
    return this.st.cur.regs;
  }

  /** Verify; never throws. */
  run(): WalkResult {
    let refusal: Refusal | null = null;
    try {
      this.doCheck();
      if ((this.o.logLevel & 2) === 0) this.log.length = 0;
      this.checkMaxStackDepth();
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      refusal = e.refusal;
      this.vlog(refusal.message);
      for (const l of refusal.more ?? []) this.vlog(l);
      this.lastFail = this.st === undefined ? [] : this.stateLines(this.st);
    }
    return {
      refusal, processed: this.processed, maxStatesPerInsn: this.maxStatesPerInsn, totalStates: this.totalStates, peakStates: this.peakStates,
      log: this.log, failState: this.lastFail, stackDepths: this.stackDepth, ptrType: this.ptrType, accessType: this.accessType, seen: this.seen,
    };
  }

  private stateLines(s: VState): string[] {
    const out: string[] = [];
    for (const f of s.frames) {
      const items: string[] = [];
      f.regs.forEach((r, i) => {
        if (r.type !== T.NOT_INIT) items.push(`R${i}=${regStr(r)}`);
      });
      items.push(...stackStr(f));
      out.push((s.frames.length > 1 ? `frame${f.frameno}: ` : '') + items.join(' '));
    }
    return out;
  }

  private printState(scratchedOnly: boolean): string {
    const f = this.st.cur;
    const items: string[] = [];
    f.regs.forEach((r, i) => {
      if (r.type === T.NOT_INIT) return;
      if (scratchedOnly && (this.scratched & (1 << i)) === 0) return;
      items.push(`R${i}=${regStr(r)}`);
    });
    if (!scratchedOnly) items.push(...stackStr(f));
    else if (this.anyStackScratched) items.push(...stackStr(f, this.scratchedStack));
    return (this.st.frames.length > 1 ? `frame${f.frameno}: ` : '') + items.join(' ');
  }

  private initState(): VState {
    const s = new VState();
    const f = new Frame(0, 0, -1);
    f.regs[1]!.markPtr(T.PTR_TO_CTX);
    f.regs[10]!.markPtr(T.PTR_TO_STACK);
    f.regs[10]!.frameno = 0;
    s.frames.push(f);
    return s;
  }

  private doCheck(): void {
    this.st = this.initState();
    if ((this.o.logLevel & 2) !== 0) {
      this.o.structure.subprogStarts.forEach((st, k) => this.vlog(`func#${k} @${st}`));
      this.vlog('Live regs before insn:');
      for (let i = 0; i < this.p.len; i++) {
        this.vlog(`${String(i).padStart(7)}: ${liveStr(this.live[i]!)} ${disasmInsn(this.p, i)}`);
        if (this.p.code[i] === 0x18) i++;
      }
    }
    let prevInsn = -1;
    let doPrintState = false;
    this.scratched = (1 << 1) | (1 << 10);
    for (;;) {
      const idx = this.st.insn;
      if (idx >= this.p.len) this.fail('EFAULT', `invalid insn idx ${idx} insn_cnt ${this.p.len}`);
      if (++this.processed > LIMIT) {
        this.fail('E2BIG', `BPF program is too large. Processed ${this.processed} insn`);
      }
      this.seen[idx] = 1;
      const pruned = this.isStateVisited(idx);
      if (pruned) {
        if ((this.o.logLevel & 3) !== 0) {
          if (doPrintState) this.vlog(`\nfrom ${prevInsn} to ${idx}: safe`);
          else this.vlog(`${idx}: safe`);
        }
        const pp = this.popPath();
        if (pp < -1) return;
        prevInsn = pp;
        doPrintState = true;
        continue;
      }
      if ((this.o.logLevel & 2) !== 0 && doPrintState) {
        this.vlog(`\nfrom ${prevInsn} to ${idx}: ${this.printState(false)}`);
        doPrintState = false;
      }
      if ((this.o.logLevel & 3) !== 0) {
        if (this.scratched !== 0 || this.anyStackScratched) {
          const s = this.printState(true);
          this.vlog(`${idx}: ${s}`);
        }
        this.clearScratch();
        this.vlog(`${idx}: ${disasmInsn(this.p, idx)}`);
      }
      const next = this.step(idx);
      if (this.skipAppend) this.skipAppend = false;
      else if ((this.o.logLevel & 3) !== 0 && (this.scratched !== 0 || this.anyStackScratched) && next >= 0 && this.log.length > 0) {
        const last = this.log.length - 1;
        this.log[last] = `${alignPad(this.log[last]!)}; ${this.printState(true)}`;
        this.clearScratch();
      }
      if (next === -1) {
        // path ended at exit
        const pp = this.popPath();
        if (pp < -1) return;
        prevInsn = pp;
        doPrintState = true;
        continue;
      }
      prevInsn = idx;
      this.st.insn = next;
    }
  }

  private clearScratch(): void {
    this.scratched = 0;
    if (this.anyStackScratched) this.scratchedStack.fill(0);
    this.anyStackScratched = false;
  }

  private scratchStack(f: Frame, off: number, size: number): void {
    if (f !== this.st.cur) return;
    for (let o = off; o < off + size; o++) {
      if (o < -512 || o >= 0) continue;
      this.scratchedStack[(-o - 1) >> 3] = 1;
    }
    this.anyStackScratched = true;
  }

  /** pop_stack: returns the instruction that pushed the resumed path, or -2 when nothing is left. */
  private popPath(): number {
    this.updateBranchCounts(this.st.parent);
    const e = this.stack.pop();
    if (e === undefined) return -2;
    if ((this.o.logLevel & 2) === 0 && this.o.logLevel !== 0) this.log.length = e.logLen;
    this.st = e.st;
    this.st.insn = e.insn;
    this.scratched = 0x7ff;
    return e.from;
  }

  private updateBranchCounts(s0: VState | null): void {
    let s = s0;
    while (s) {
      s.branches--;
      if (s.branches > 0) break;
      s = s.parent;
    }
  }

  private pushStack(target: number): VState {
    const c = this.st.clone();
    c.insn = target;
    if (c.parent) c.parent.branches++;
    this.stack.push({ st: c, insn: target, logLen: this.log.length, from: this.st.insn });
    if (this.stack.length > 8192) this.fail('E2BIG', `The sequence of ${this.stack.length} jumps is too complex.`);
    return c;
  }

  // ---------------------------------------------------------------- pruning
  private isStateVisited(idx: number): boolean {
    if (this.o.structure.prunePoint[idx] !== 1) return false;
    let addNew = false;
    // is_force_checkpoint: callback-calling helper calls always get a checkpoint
    const force = this.o.structure.callsCallback[idx] === 1;
    if (force || (this.jmps - this.prevJmps >= 2 && this.processed - this.prevInsns >= 8)) addNew = true;
    const list = (this.explored[idx] ??= []);
    let n = 0;
    for (let k = 0; k < list.length; k++) {
      const sl = list[k]!;
      const old = sl.st;
      n++;
      if (old.branches > 0) {
        if (force) {
          // calls_callback: an iteration that ends within an earlier one is done
          if (this.statesEqual(old, this.st, false)) {
            sl.hit++;
            return true;
          }
        } else if (this.statesEqual(old, this.st, true) && old.callbackUnrollDepth === this.st.callbackUnrollDepth) {
          this.fail('EINVAL', `infinite loop detected at insn ${idx}`, [`cur state: ${this.stateLines(this.st).join(' ')}`, `old state: ${this.stateLines(old).join(' ')}`]);
        }
        if (!force && this.jmps - this.prevJmps < 20 && this.processed - this.prevInsns < 100) addNew = false;
      } else if (this.statesEqual(old, this.st, false)) {
        sl.hit++;
        return true;
      }
      if (addNew) sl.miss++;
      if (sl.miss > sl.hit * 3 + 3) {
        list.splice(k, 1);
        k--;
        this.curStates--;
      }
    }
    if (n > this.maxStatesPerInsn) this.maxStatesPerInsn = n;
    if (!addNew) return false;
    this.totalStates++;
    this.curStates++;
    if (this.curStates > this.peakStates) this.peakStates = this.curStates;
    this.prevJmps = this.jmps;
    this.prevInsns = this.processed;
    const snap = this.st.clone();
    snap.insn = idx;
    snap.branches = 1;
    snap.parent = this.st.parent;
    list.push({ st: snap, hit: 0, miss: 0 });
    this.st.parent = snap;
    return false;
  }

  private statesEqual(old: VState, cur: VState, exact: boolean): boolean {
    if (old.frames.length !== cur.frames.length) return false;
    if (old.refs.length !== cur.refs.length) return false;
    const idmap = new Map<number, number>();
    const checkId = (a: number, b: number): boolean => {
      if (a === 0) return b === 0 || !exact;
      const m = idmap.get(a);
      if (m === undefined) {
        idmap.set(a, b);
        return true;
      }
      return m === b;
    };
    for (let fi = 0; fi < old.frames.length; fi++) {
      const fo = old.frames[fi]!;
      const fc = cur.frames[fi]!;
      if (fo.callsite !== fc.callsite) return false;
      if (fo.callbackDepth > fc.callbackDepth) return false;
      const liveMask = !exact && fi === old.frames.length - 1 ? this.live[old.insn]! | (1 << 10) : 0x7ff;
      for (let i = 0; i < 11; i++) {
        if ((liveMask & (1 << i)) === 0) continue;
        if (!this.regsafe(fo.regs[i]!, fc.regs[i]!, exact, checkId)) return false;
      }
      for (let b = 0; b < 512; b++) {
        const to = fo.stype[b]!;
        const tc = fc.stype[b]!;
        if (exact) {
          if (to !== tc) return false;
          continue;
        }
        if (to === STACK.INVALID) continue;
        if (to === STACK.MISC && (tc === STACK.MISC || tc === STACK.ZERO || tc === STACK.SPILL)) {
          if (tc === STACK.SPILL) {
            const sp = fc.spill[(511 - b) >> 3];
            if (sp && sp.type !== T.SCALAR) return false;
          }
          continue;
        }
        if (to !== tc) return false;
      }
      for (let spi = 0; spi < 64; spi++) {
        const base = 512 - (spi + 1) * 8;
        if (fo.stype[base] !== STACK.SPILL) continue;
        const a = fo.spill[spi];
        const c = fc.spill[spi];
        if (!a || !c) return false;
        if (!this.regsafe(a, c, exact, checkId)) return false;
      }
    }
    return true;
  }

  private regsafe(a: Reg, c: Reg, exact: boolean, checkId: (a: number, b: number) => boolean): boolean {
    if (exact) {
      return a.type === c.type && a.off === c.off && a.tv === c.tv && a.tm === c.tm && a.umin === c.umin && a.umax === c.umax && a.smin === c.smin &&
        a.smax === c.smax && a.range === c.range && a.map === c.map && a.u32min === c.u32min && a.u32max === c.u32max && a.s32min === c.s32min &&
        a.s32max === c.s32max && a.subprog === c.subprog && checkId(a.id, c.id);
    }
    if (a.type === T.NOT_INIT) return true;
    if (c.type === T.NOT_INIT) return false;
    if (a.type !== c.type) return false;
    const within = a.umin <= c.umin && a.umax >= c.umax && a.smin <= c.smin && a.smax >= c.smax && a.u32min <= c.u32min && a.u32max >= c.u32max &&
      a.s32min <= c.s32min && a.s32max >= c.s32max && tnumIn(a.tnum, c.tnum);
    switch (a.type) {
      case T.SCALAR:
        return within && checkId(a.id, c.id);
      case T.PTR_TO_PACKET:
      case T.PTR_TO_PACKET_META:
        return a.off === c.off && a.range <= c.range && within && checkId(a.id, c.id);
      case T.PTR_TO_MAP_VALUE:
      case T.PTR_TO_MAP_VALUE_OR_NULL:
      case T.PTR_TO_MEM:
      case T.PTR_TO_MEM_OR_NULL:
        return a.map === c.map && a.off === c.off && a.memSize === c.memSize && within && checkId(a.id, c.id) && a.refObjId === c.refObjId;
      case T.PTR_TO_STACK:
        return a.off === c.off && a.frameno === c.frameno && within;
      default:
        return a.off === c.off && a.map === c.map && a.subprog === c.subprog && within && checkId(a.id, c.id);
    }
  }

  // ---------------------------------------------------------------- registers
  private checkReg(regno: number, kind: 'src' | 'dst' | 'dstNoMark'): Reg {
    if (regno >= 11) this.fail('EINVAL', `R${regno} is invalid`);
    const r = this.regs()[regno]!;
    this.scratched |= 1 << regno;
    if (kind === 'src') {
      if (r.type === T.NOT_INIT) this.fail('EACCES', `R${regno} !read_ok`);
      return r;
    }
    if (regno === 10) this.fail('EACCES', 'frame pointer is read only');
    this.scratched |= 1 << regno;
    if (kind === 'dst') r.markUnknown();
    return r;
  }

  private typeStr(r: Reg): string {
    return (r.ringbuf ? 'ringbuf_' : '') + (REG_TYPE_NAME[r.type] ?? '?');
  }

  // ---------------------------------------------------------------- step
  /** Execute one instruction abstractly; returns the next index or -1 at a path end. */
  private step(i: number): number {
    const p = this.p;
    const code = p.code[i]!;
    const cls = code & 7;
    switch (cls) {
      case 4:
      case 7:
        this.checkAlu(i);
        return i + 1;
      case 1:
        this.checkLdx(i);
        return i + 1;
      case 3:
        if ((code & 0xe0) === 0xc0) {
          this.checkAtomic(i);
          return i + 1;
        }
        if ((code & 0xe0) !== 0x60 || p.imm[i] !== 0) this.fail('EINVAL', 'BPF_STX uses reserved fields');
        this.checkReg(p.src[i]!, 'src');
        this.checkReg(p.dst[i]!, 'src');
        this.memAccess(i, p.dst[i]!, p.off[i]!, sizeOf(code), 2, p.src[i]!, false, false);
        return i + 1;
      case 2:
        if ((code & 0xe0) !== 0x60 || p.src[i] !== 0) this.fail('EINVAL', 'BPF_ST uses reserved fields');
        this.checkReg(p.dst[i]!, 'src');
        this.memAccess(i, p.dst[i]!, p.off[i]!, sizeOf(code), 2, -1, false, false, BigInt(p.imm[i]!));
        return i + 1;
      case 0: {
        const mode = code & 0xe0;
        if (mode === 0x20 || mode === 0x40) {
          this.checkLdAbs(i);
          return i + 1;
        }
        if (mode !== 0) this.fail('EINVAL', 'invalid BPF_LD mode');
        this.checkLdImm(i);
        return i + 2;
      }
      default:
        return this.checkJmp(i);
    }
  }

  private checkAlu(i: number): void {
    const p = this.p;
    const code = p.code[i]!;
    const op = code & 0xf0;
    const x = (code & 8) !== 0;
    const alu64 = (code & 7) === 7;
    const dst = p.dst[i]!;
    const src = p.src[i]!;
    const off = p.off[i]!;
    const imm = p.imm[i]!;
    if (op === 0xd0 || op === 0x80) {
      if (op === 0x80) {
        if (x || src !== 0 || off !== 0 || imm !== 0) this.fail('EINVAL', 'BPF_NEG uses reserved fields');
      } else if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64) || (alu64 && x)) {
        this.fail('EINVAL', 'BPF_END uses reserved fields');
      }
      const d = this.checkReg(dst, 'src');
      // root (allow_ptr_leaks): is_pointer_value() is false, a pointer becomes an unknown scalar
      if (op === 0x80 && d.type === T.SCALAR) {
        this.checkReg(dst, 'dstNoMark');
        scalarAlu(0x80, d, d, !alu64);
      } else {
        this.checkReg(dst, 'dst');
        if (op === 0xd0 && imm !== 64) {
          coerceToSize(d, imm / 8);
        }
      }
      return;
    }
    if (op === 0xb0) {
      if (x) {
        if (!alu64) {
          if ((off !== 0 && off !== 8 && off !== 16) || imm !== 0) this.fail('EINVAL', 'BPF_MOV uses reserved fields');
        } else if (off === 1) {
          if (imm !== 1 && imm !== 1 << 16) this.fail('EINVAL', 'addr_space_cast insn can only convert between address space 1 and 0');
          this.fail('EINVAL', 'addr_space_cast insn can only be used in a program that has an associated arena');
        } else if ((off !== 0 && off !== 8 && off !== 16 && off !== 32) || imm !== 0) this.fail('EINVAL', 'BPF_MOV uses reserved fields');
        this.checkReg(src, 'src');
      } else if (src !== 0 || off !== 0) this.fail('EINVAL', 'BPF_MOV uses reserved fields');
      const d = this.checkReg(dst, 'dstNoMark');
      if (x) {
        const s = this.regs()[src]!;
        if (alu64) {
          if (off === 0) {
            if (s.type === T.SCALAR && s.id === 0 && !s.isConst()) s.id = ++this.idGen;
            if (d !== s) d.copyFrom(s);
          } else {
            if (s.isPtr()) {
              d.markUnknown();
              return;
            }
            const keep = s.clone();
            d.copyFrom(keep);
            d.id = 0;
            coerceToSizeSx(d, off / 8);
          }
        } else {
          if (s.isPtr()) {
            d.markUnknown();
            d.zext32();
            d.sync();
            return;
          }
          const keep = s.clone();
          d.copyFrom(keep);
          d.id = 0;
          if (off === 0) {
            d.zext32();
            d.sync();
          } else coerceSubregToSizeSx(d, off / 8);
        }
      } else {
        d.markUnknown();
        d.markKnown(alu64 ? u64(BigInt(imm)) : BigInt(imm >>> 0));
      }
      return;
    }
    if (op > 0xd0) this.fail('EINVAL', `invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
    if (x) {
      if (imm !== 0 || (off !== 0 && off !== 1) || (off === 1 && op !== 0x90 && op !== 0x30)) this.fail('EINVAL', 'BPF_ALU uses reserved fields');
      this.checkReg(src, 'src');
    } else if (src !== 0 || (off !== 0 && off !== 1) || (off === 1 && op !== 0x90 && op !== 0x30)) this.fail('EINVAL', 'BPF_ALU uses reserved fields');
    this.checkReg(dst, 'src');
    if ((op === 0x90 || op === 0x30) && !x && imm === 0) this.fail('EINVAL', 'div by zero');
    if ((op === 0x60 || op === 0x70 || op === 0xc0) && !x) {
      const size = alu64 ? 64 : 32;
      if (imm < 0 || imm >= size) this.fail('EINVAL', `invalid shift ${imm}`);
    }
    const d = this.checkReg(dst, 'dstNoMark');
    const s = x ? this.regs()[src]! : constReg(alu64 ? u64(BigInt(imm)) : BigInt(imm >>> 0));
    this.adjustRegMinMax(i, op, d, s, dst, !alu64, x);
  }

  private adjustRegMinMax(_i: number, op: number, d: Reg, s: Reg, dstno: number, alu32: boolean, x: boolean): void {
    if (x && s.isPtr()) {
      if (d.isPtr()) {
        if (op === 0x10) {
          d.markUnknown();
          if (alu32) { d.zext32(); d.sync(); }
          return;
        }
        this.fail('EACCES', `R${dstno} pointer ${ALU_STR[op >> 4]!} pointer prohibited`);
      }
      this.adjustPtr(op, s, d, d, dstno, alu32);
      return;
    }
    if (d.isPtr()) {
      this.adjustPtr(op, d, s, d, dstno, alu32);
      return;
    }
    scalarAlu(op, d, s.clone(), alu32);
  }

  /** adjust_ptr_min_max_vals */
  private adjustPtr(op: number, ptr: Reg, off: Reg, dst: Reg, dstno: number, alu32: boolean): void {
    if (alu32) {
      if (op === 0x10) {
        dst.markUnknown();
        dst.zext32();
        dst.sync();
        return;
      }
      this.fail('EACCES', `R${dstno} 32-bit pointer arithmetic prohibited`);
    }
    if (ptr.type === T.PTR_TO_MAP_VALUE_OR_NULL || ptr.type === T.PTR_TO_MEM_OR_NULL || ptr.type === T.PTR_TO_SOCK_COMMON_OR_NULL) {
      this.fail('EACCES', `R${dstno} pointer arithmetic on ${this.typeStr(ptr)} prohibited, null-check it first`);
    }
    const known = off.isConst();
    const smin = off.smin;
    const smax = off.smax;
    if ((known && (smin !== smax || off.umin !== off.umax)) || smin > smax || off.umin > off.umax) {
      dst.markUnknown();
      return;
    }
    switch (ptr.type) {
      case T.PTR_TO_CTX: case T.PTR_TO_MAP_VALUE: case T.PTR_TO_STACK: case T.PTR_TO_PACKET_META: case T.PTR_TO_PACKET: case T.PTR_TO_MEM: case T.PTR_TO_FUNC:
        break;
      case T.CONST_PTR_TO_MAP:
        if (known && smin === 0n && op === 0x00) break;
        this.fail('EACCES', `R${dstno} pointer arithmetic on ${this.typeStr(ptr)} prohibited`);
        break;
      default:
        this.fail('EACCES', `R${dstno} pointer arithmetic on ${this.typeStr(ptr)} prohibited`);
    }
    const ptrName = this.typeStr(ptr);
    const res = ptr.clone();
    this.saneOffset(off, ptrName);
    this.saneOffset(ptr, ptrName);
    res.u32min = 0; res.u32max = 0xffffffff; res.s32min = -0x80000000; res.s32max = 0x7fffffff;
    const isPkt = ptr.type === T.PTR_TO_PACKET || ptr.type === T.PTR_TO_PACKET_META;
    switch (op) {
      case 0x00: {
        const nOff = ptr.off + Number(smin);
        if (known && nOff === (nOff | 0)) {
          res.off = nOff;
          break;
        }
        const a = ptr.smin + off.smin;
        const b = ptr.smax + off.smax;
        if (a < S64_MIN || b > -(S64_MIN + 1n)) { res.smin = S64_MIN; res.smax = -(S64_MIN + 1n); } else { res.smin = a; res.smax = b; }
        const c = ptr.umin + off.umin;
        const e = ptr.umax + off.umax;
        if (e > U64_MAX) { res.umin = 0n; res.umax = U64_MAX; } else { res.umin = c; res.umax = e; }
        res.tnum = tnumAdd(ptr.tnum, off.tnum);
        if (isPkt) {
          res.id = ++this.idGen;
          res.range = 0;
        }
        break;
      }
      case 0x10: {
        if (dst === off) this.fail('EACCES', `R${dstno} tried to subtract pointer from scalar`);
        if (ptr.type === T.PTR_TO_STACK) this.fail('EACCES', `R${dstno} subtraction from stack pointer prohibited`);
        const nOff = ptr.off - Number(smin);
        if (known && nOff === (nOff | 0)) {
          res.off = nOff;
          break;
        }
        const a = ptr.smin - off.smax;
        const b = ptr.smax - off.smin;
        if (a < S64_MIN || b > -(S64_MIN + 1n)) { res.smin = S64_MIN; res.smax = -(S64_MIN + 1n); } else { res.smin = a; res.smax = b; }
        if (ptr.umin < off.umax) { res.umin = 0n; res.umax = U64_MAX; } else { res.umin = ptr.umin - off.umax; res.umax = ptr.umax - off.umin; }
        res.tnum = tnumSub(ptr.tnum, off.tnum);
        if (isPkt) {
          res.id = ++this.idGen;
          if (smin < 0n) res.range = 0;
        }
        break;
      }
      case 0x50: case 0x40: case 0xa0:
        this.fail('EACCES', `R${dstno} bitwise operator ${ALU_STR[op >> 4]!} on pointer prohibited`);
        break;
      default:
        this.fail('EACCES', `R${dstno} pointer arithmetic with ${ALU_STR[op >> 4]!} operator prohibited`);
    }
    this.saneOffset(res, ptrName);
    res.sync();
    dst.copyFrom(res);
  }

  /** check_reg_sane_offset */
  private saneOffset(r: Reg, name: string): void {
    const known = r.tm === 0n;
    const val = s64(r.tv);
    if (known && (val >= BigInt(MAX_VAR_OFF) || val <= -BigInt(MAX_VAR_OFF))) this.fail('EACCES', `math between ${name} pointer and ${val} is not allowed`);
    if (r.off >= MAX_VAR_OFF || r.off <= -MAX_VAR_OFF) this.fail('EACCES', `${name} pointer offset ${r.off} is not allowed`);
    if (r.smin === S64_MIN) this.fail('EINVAL', `math between ${name} pointer and register with unbounded min value is not allowed`);
    if (r.smin >= BigInt(MAX_VAR_OFF) || r.smin <= -BigInt(MAX_VAR_OFF)) this.fail('EINVAL', `value ${r.smin} makes ${name} pointer be out of bounds`);
  }

  // ---------------------------------------------------------------- loads and stores
  private checkLdx(i: number): void {
    const p = this.p;
    const code = p.code[i]!;
    this.checkReg(p.src[i]!, 'src');
    this.checkReg(p.dst[i]!, 'dstNoMark');
    this.memAccess(i, p.src[i]!, p.off[i]!, sizeOf(code), 1, p.dst[i]!, false, (code & 0xe0) === 0x80);
  }

  private recordPtrType(i: number, r: Reg): void {
    const t = r.type === T.PTR_TO_CTX ? 1 : 0;
    const prev = this.ptrType[i]!;
    if (prev === -1) this.ptrType[i] = t;
    else if (prev !== t) this.fail('EINVAL', 'same insn cannot be used with different pointers');
  }

  /** check_mem_access. `t`: 1 read, 2 write. */
  private memAccess(i: number, regno: number, insnOff: number, size: number, t: 1 | 2, valueReg: number, strictOnce: boolean, ldsx: boolean, stImm?: bigint): void {
    const regs = this.regs();
    const reg = regs[regno]!;
    this.checkAlignment(reg, insnOff, size, strictOnce);
    const off = insnOff + reg.off;
    if (!strictOnce) this.recordPtrType(i, reg);
    const at = this.accessType[i]!;
    if (at === -1) this.accessType[i] = reg.type;
    else if (at !== reg.type) this.accessType[i] = ACCESS_MIXED;
    let loaded: Reg | null = null;
    switch (reg.type) {
      case T.PTR_TO_MAP_VALUE: {
        this.checkMapAccess(regno, reg, off, size, false);
        if (t === 1 && valueReg >= 0) loaded = this.unknown(valueReg);
        break;
      }
      case T.PTR_TO_MEM: {
        this.checkMemRegion(regno, reg, off, size, reg.memSize, false);
        if (t === 1 && valueReg >= 0) loaded = this.unknown(valueReg);
        break;
      }
      case T.PTR_TO_MAP_KEY: {
        if (t === 2) this.fail('EACCES', `write to change key R${regno} not allowed`);
        this.checkMemRegion(regno, reg, off, size, reg.map?.keySize ?? 0, false);
        if (valueReg >= 0) loaded = this.unknown(valueReg);
        break;
      }
      case T.PTR_TO_CTX: {
        if (reg.off !== 0 || reg.tm !== 0n || reg.tv !== 0n) {
          if (reg.tm !== 0n) this.fail('EACCES', `variable ctx access var_off=${tnumStr(reg.tnum)} disallowed`);
          this.fail('EACCES', `dereference of modified ctx ptr R${regno} off=${reg.off + Number(s64(reg.tv))} disallowed`);
        }
        const info = this.o.ops.isValidAccess(off, size, t, stImm !== undefined);
        if (info === null) this.fail('EACCES', `invalid bpf_context access off=${off} size=${size}`);
        if (t === 1 && valueReg >= 0) {
          const d = regs[valueReg]!;
          this.scratched |= 1 << valueReg;
          if (info.regType === T.SCALAR) {
            d.markUnknown();
            loaded = d;
          } else {
            d.markPtr(info.regType);
            if (info.regType === T.PTR_TO_SOCK_COMMON_OR_NULL) d.id = ++this.idGen;
          }
        }
        break;
      }
      case T.PTR_TO_STACK: {
        this.stackAccessWithinBounds(regno, reg, off, size, t, t === 1 ? ' read from' : ' write to');
        if (t === 1) this.stackRead(regno, reg, off, size, valueReg);
        else this.stackWrite(reg, off, size, valueReg, stImm);
        if (t === 1 && valueReg >= 0 && regs[valueReg]!.type === T.SCALAR) loaded = regs[valueReg]!;
        break;
      }
      case T.PTR_TO_PACKET:
      case T.PTR_TO_PACKET_META: {
        if (t === 2 && !this.o.ops.pktWrite) this.fail('EACCES', 'cannot write into packet');
        this.checkPacketAccess(regno, reg, off, size, false);
        if (t === 1 && valueReg >= 0) loaded = this.unknown(valueReg);
        break;
      }
      case T.PTR_TO_SOCK_COMMON: {
        this.fail('EACCES', `R${regno} invalid sock_common access off=${off} size=${size} (socket fields are not modelled)`);
        break;
      }
      default:
        this.fail('EACCES', `R${regno} invalid mem access '${this.typeStr(reg)}'`);
    }
    if (loaded !== null && size < 8 && loaded.type === T.SCALAR) {
      if (ldsx) coerceToSizeSx(loaded, size);
      else coerceToSize(loaded, size);
    }
  }

  private unknown(regno: number): Reg {
    const r = this.regs()[regno]!;
    r.markUnknown();
    this.scratched |= 1 << regno;
    return r;
  }

  private checkAlignment(reg: Reg, off: number, size: number, strictOnce: boolean): void {
    const strict = this.o.strictAlignment || strictOnce;
    if (reg.type === T.PTR_TO_PACKET || reg.type === T.PTR_TO_PACKET_META) {
      if (!strict || size === 1) return;
      const ro = tnumAdd(reg.tnum, tnumConst(BigInt(2 + reg.off + off)));
      if (!tnumIsAligned(ro, size)) this.fail('EACCES', `misaligned packet access off 2+${tnStr(reg)}+${reg.off}+${off} size ${size}`);
      return;
    }
    let desc = '';
    let st = strict;
    switch (reg.type) {
      case T.PTR_TO_MAP_VALUE: desc = 'value '; break;
      case T.PTR_TO_MAP_KEY: desc = 'key '; break;
      case T.PTR_TO_CTX: desc = 'context '; break;
      case T.PTR_TO_STACK: desc = 'stack '; st = true; break;
      default: break;
    }
    if (!st || size === 1) return;
    const ro = tnumAdd(reg.tnum, tnumConst(BigInt(reg.off + off)));
    if (!tnumIsAligned(ro, size)) this.fail('EACCES', `misaligned ${desc}access off ${tnStr(reg)}+${reg.off}+${off} size ${size}`);
  }

  /** __check_mem_access */
  private memOk(regno: number, reg: Reg, off: bigint, size: number, memSize: number, zeroOk: boolean): boolean {
    const sizeOk = size > 0 || (size === 0 && zeroOk);
    if (off >= 0n && sizeOk && off + BigInt(size) <= BigInt(memSize)) return true;
    if (reg.type === T.PTR_TO_MAP_VALUE) this.vlog(`invalid access to map value, value_size=${memSize} off=${off} size=${size}`);
    else if (reg.type === T.PTR_TO_MAP_KEY) this.vlog(`invalid access to map key, key_size=${memSize} off=${off} size=${size}`);
    else if (reg.type === T.PTR_TO_PACKET || reg.type === T.PTR_TO_PACKET_META) {
      this.vlog(`invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`);
    } else this.vlog(`invalid access to memory, mem_size=${memSize} off=${off} size=${size}`);
    return false;
  }

  private memFail(regno: number, reg: Reg, off: bigint, size: number, memSize: number, zeroOk: boolean, then: string): void {
    const before = this.log.length;
    if (this.memOk(regno, reg, off, size, memSize, zeroOk)) return;
    const first = this.log.length > before ? this.log.pop()! : memText(regno, reg, off, size, memSize);
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- internal signal, see Reject
    throw new Reject({ errno: 'EACCES', message: first, insn: this.st.insn, more: [then] });
  }

  /** check_mem_region_access / check_map_access */
  private checkMemRegion(regno: number, reg: Reg, off: number, size: number, memSize: number, zeroOk: boolean): void {
    if (reg.smin < 0n && (reg.smin === S64_MIN || BigInt(off) + reg.smin !== BigInt((off + Number(reg.smin)) | 0) || reg.smin + BigInt(off) < 0n)) {
      this.fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    }
    this.memFail(regno, reg, reg.smin + BigInt(off), size, memSize, zeroOk, `R${regno} min value is outside of the allowed memory range`);
    if (reg.umax >= BigInt(MAX_VAR_OFF)) this.fail('EACCES', `R${regno} unbounded memory access, make sure to bounds check any such access`);
    this.memFail(regno, reg, reg.umax + BigInt(off), size, memSize, zeroOk, `R${regno} max value is outside of the allowed memory range`);
  }

  private checkMapAccess(regno: number, reg: Reg, off: number, size: number, zeroOk: boolean): void {
    this.checkMemRegion(regno, reg, off, size, reg.map?.valueSize ?? 0, zeroOk);
  }

  /** check_packet_access */
  private checkPacketAccess(regno: number, reg: Reg, off: number, size: number, zeroOk: boolean): void {
    if (reg.smin < 0n) this.fail('EACCES', `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
    this.memFail(regno, reg, BigInt(off), size, reg.range, zeroOk, `R${regno} offset is outside of the packet`);
  }

  /** check_stack_access_within_bounds */
  private stackAccessWithinBounds(regno: number, reg: Reg, off: number, size: number, t: 1 | 2, extra: string): void {
    let minOff: number;
    let maxOff: number;
    if (reg.tm === 0n) {
      minOff = Number(s64(reg.tv)) + off;
      maxOff = minOff + size;
    } else {
      if (reg.smax >= BigInt(MAX_VAR_OFF) || reg.smin <= -BigInt(MAX_VAR_OFF)) this.fail('EACCES', `invalid unbounded variable-offset${extra} stack R${regno}`);
      minOff = Number(reg.smin) + off;
      maxOff = Number(reg.smax) + off + size;
    }
    let errno: 'EACCES' | 'EINVAL' | null = null;
    const minValid = -512;
    if (minOff < minValid || minOff > -1) errno = 'EACCES';
    else if (maxOff > 0) errno = 'EINVAL';
    if (errno !== null) {
      if (reg.tm === 0n) this.fail(errno, `invalid${extra} stack R${regno} off=${off} size=${size}`);
      this.fail(errno, `invalid variable-offset${extra} stack R${regno} var_off=${tnumStr(reg.tnum)} off=${off} size=${size}`);
    }
    void t;
    const f = this.frameOf(reg);
    if (-minOff > f.allocated) f.allocated = -minOff;
    const sp = f.subprog;
    if (-minOff > this.stackDepth[sp]!) this.stackDepth[sp] = -minOff;
  }

  private frameOf(reg: Reg): Frame {
    return this.st.frames[reg.frameno] ?? this.st.cur;
  }

  private stackWrite(reg: Reg, off0: number, size: number, valueReg: number, stImm?: bigint): void {
    const f = this.frameOf(reg);
    if (reg.tm === 0n) this.scratchStack(f, off0 + Number(s64(reg.tv)), size);
    if (reg.tm !== 0n) {
      // variable offset write: every byte possibly touched becomes MISC (ZERO stays if writing zero)
      const lo = Number(reg.smin) + off0;
      const hi = Number(reg.smax) + off0 + size;
      const v = valueReg >= 0 ? this.regs()[valueReg]! : null;
      const zero = (v !== null && v.isNull()) || stImm === 0n;
      for (let o = lo; o < hi; o++) {
        const spi = (-o - 1) >> 3;
        if (f.stype[512 + o] === STACK.SPILL) this.scrubSpill(f, spi);
        if (!(zero && f.stype[512 + o] === STACK.ZERO)) f.stype[512 + o] = STACK.MISC;
      }
      return;
    }
    const off = off0 + Number(s64(reg.tv));
    const spi = (-off - 1) >> 3;
    const base = 512 - (spi + 1) * 8;
    const v = valueReg >= 0 ? this.regs()[valueReg]! : stImm !== undefined ? constReg(stImm) : null;
    if (v !== null && v.type !== T.SCALAR) {
      if (size !== 8) this.fail('EACCES', 'invalid size of register spill');
      if (f !== this.st.cur && v.type === T.PTR_TO_STACK) this.fail('EINVAL', 'cannot spill pointers to stack into stack frame of the caller');
      f.spill[spi] = v.clone();
      for (let k = 0; k < 8; k++) f.stype[base + k] = STACK.SPILL;
      return;
    }
    if (v !== null && off % 8 === 0) {
      const sv = v.clone();
      f.spill[spi] = sv;
      for (let k = 0; k < 8; k++) {
        // save_register_state: the spilled bytes, then mark_stack_slot_misc for the rest
        if (k < size) f.stype[base + k] = STACK.SPILL;
        else if (f.stype[base + k] === STACK.SPILL) f.stype[base + k] = STACK.MISC;
      }
      if (size < 8) {
        coerceToSize(sv, size);
        if (v.umax >= 1n << BigInt(size * 8)) sv.id = 0;
      }
      return;
    }
    if (f.stype[base] === STACK.SPILL) this.scrubSpill(f, spi);
    const zero = v !== null && v.isNull();
    for (let k = 0; k < size; k++) f.stype[512 + off + k] = zero ? STACK.ZERO : STACK.MISC;
  }

  private scrubSpill(f: Frame, spi: number): void {
    const base = 512 - (spi + 1) * 8;
    for (let k = 0; k < 8; k++) if (f.stype[base + k] === STACK.SPILL) f.stype[base + k] = STACK.MISC;
    f.spill[spi] = null;
  }

  private stackRead(regno: number, reg: Reg, off0: number, size: number, dstReg: number): void {
    const f = this.frameOf(reg);
    if (reg.tm === 0n) this.scratchStack(f, off0 + Number(s64(reg.tv)), size);
    if (reg.tm !== 0n) {
      if (dstReg >= 0) this.unknown(dstReg);
      void regno;
      return;
    }
    const off = off0 + Number(s64(reg.tv));
    const spi = (-off - 1) >> 3;
    const base = 512 - (spi + 1) * 8;
    const sp = f.spill[spi];
    if (f.stype[base] === STACK.SPILL && sp) {
      let spillSize = 0;
      while (spillSize < 8 && f.stype[base + spillSize] === STACK.SPILL) spillSize++;
      if (size !== 8 || spillSize !== 8) {
        if (sp.type !== T.SCALAR) this.fail('EACCES', 'invalid size of register fill');
        if (dstReg < 0) return;
        const d = this.regs()[dstReg]!;
        this.scratched |= 1 << dstReg;
        if (size <= spillSize && (off - base + 512) === 0) {
          d.copyFrom(sp);
          if (sp.umax >= 1n << BigInt(size * 8)) d.id = 0;
          return;
        }
        let spills = 0;
        let zeros = 0;
        for (let k = 0; k < size; k++) {
          const ty = f.stype[512 + off + k]!;
          if (ty === STACK.SPILL) spills++;
          else if (ty === STACK.ZERO) zeros++;
        }
        if (spills === size && sp.isNull()) { d.markUnknown(); d.markKnown(0n); } else if (zeros === size) { d.markUnknown(); d.markKnown(0n); } else d.markUnknown();
        return;
      }
      if (dstReg >= 0) {
        this.regs()[dstReg]!.copyFrom(sp);
        this.scratched |= 1 << dstReg;
      }
      return;
    }
    let zeros = 0;
    for (let k = 0; k < size; k++) if (f.stype[512 + off + k] === STACK.ZERO) zeros++;
    if (dstReg >= 0) {
      const d = this.unknown(dstReg);
      if (zeros === size) d.markKnown(0n);
    }
  }

  private checkAtomic(i: number): void {
    const p = this.p;
    const code = p.code[i]!;
    const imm = p.imm[i]!;
    const okOps = [0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1];
    if (imm === 0x100 || imm === 0x110) this.fail('EINVAL', 'load-acquire/store-release atomics are not supported by this verifier');
    if (!okOps.includes(imm)) this.fail('EINVAL', `BPF_ATOMIC uses invalid atomic opcode ${(imm >>> 0).toString(16).padStart(2, '0')}`);
    if ((code & 0x18) !== 0x00 && (code & 0x18) !== 0x18) this.fail('EINVAL', 'invalid atomic operand size');
    const src = p.src[i]!;
    const dst = p.dst[i]!;
    this.checkReg(src, 'src');
    this.checkReg(dst, 'src');
    if (imm === 0xf1) this.checkReg(0, 'src');
    const d = this.regs()[dst]!;
    if (d.type === T.PTR_TO_CTX || d.type === T.PTR_TO_PACKET || d.type === T.PTR_TO_PACKET_META || d.type === T.PTR_TO_SOCK_COMMON) {
      this.fail('EACCES', `BPF_ATOMIC stores into R${dst} ${this.typeStr(d)} is not allowed`);
    }
    let load = -1;
    if ((imm & 1) !== 0) {
      load = imm === 0xf1 ? 0 : src;
      this.checkReg(load, 'dst');
    }
    const size = sizeOf(code);
    this.memAccess(i, dst, p.off[i]!, size, 1, -1, true, false);
    if (load >= 0) this.memAccess(i, dst, p.off[i]!, size, 1, load, true, false);
    this.memAccess(i, dst, p.off[i]!, size, 2, -1, true, false);
  }

  private checkLdImm(i: number): void {
    const p = this.p;
    if ((p.code[i]! & 0x18) !== 0x18) this.fail('EINVAL', 'invalid BPF_LD_IMM insn');
    if (p.off[i] !== 0) this.fail('EINVAL', 'BPF_LD_IMM64 uses reserved fields');
    const dst = p.dst[i]!;
    const d = this.checkReg(dst, 'dst');
    const src = p.src[i]!;
    if (src === 0) {
      d.markKnown((BigInt(p.imm[i + 1]! >>> 0) << 32n) | BigInt(p.imm[i]! >>> 0));
      return;
    }
    if (src === 4) {
      const sub = this.o.structure.subprogStarts.indexOf(i + p.imm[i]! + 1);
      const fi = this.o.funcInfo;
      if (fi === undefined) this.fail('EINVAL', 'missing btf func_info');
      if (fi[sub]?.linkage !== BTF_FUNC_LINKAGE.STATIC) this.fail('EINVAL', 'callback function not static');
      d.markPtr(T.PTR_TO_FUNC);
      d.subprog = sub;
      return;
    }
    const map = this.o.structure.ldMaps.get(i) ?? null;
    if (src === 1) {
      d.markPtr(T.CONST_PTR_TO_MAP);
      d.map = map;
    } else {
      d.markPtr(T.PTR_TO_MAP_VALUE);
      d.map = map;
      d.off = p.imm[i + 1]!;
    }
  }

  private checkLdAbs(i: number): void {
    const p = this.p;
    const code = p.code[i]!;
    const mode = code & 0xe0;
    if (!this.o.ops.mayAccessSkb) this.fail('EINVAL', 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
    if (p.dst[i] !== 0 || p.off[i] !== 0 || (code & 0x18) === 0x18 || (mode === 0x20 && p.src[i] !== 0)) this.fail('EINVAL', 'BPF_LD_[ABS|IND] uses reserved fields');
    this.checkReg(6, 'src');
    this.checkResourceLeak('BPF_LD_[ABS|IND]');
    const r6 = this.regs()[6]!;
    if (r6.type !== T.PTR_TO_CTX) this.fail('EINVAL', 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if (mode === 0x40) this.checkReg(p.src[i]!, 'src');
    if (r6.off !== 0 || r6.tm !== 0n || r6.tv !== 0n) this.fail('EACCES', `dereference of modified ctx ptr R6 off=${r6.off} disallowed`);
    this.clobberCallerSaved();
    this.unknown(0);
  }

  private clobberCallerSaved(): void {
    const regs = this.regs();
    for (let r = 0; r <= 5; r++) {
      regs[r]!.markNotInit();
      this.scratched |= 1 << r;
    }
  }

  /** check_resource_leak: check_reference_leak's line, then the caller's. */
  private checkResourceLeak(what: string): void {
    const ref = this.st.refs[0];
    if (ref !== undefined) this.fail('EINVAL', `Unreleased reference id=${ref.id} alloc_insn=${ref.insn}`, [`${what} would lead to reference leak`]);
  }

  // ---------------------------------------------------------------- jumps and calls
  private checkJmp(i: number): number {
    const p = this.p;
    const code = p.code[i]!;
    const cls = code & 7;
    const op = code & 0xf0;
    const x = (code & 8) !== 0;
    this.jmps++;
    if (op === 0x80) {
      if (x || (p.src[i] !== 2 && p.off[i] !== 0) || (p.src[i] !== 0 && p.src[i] !== 1 && p.src[i] !== 2) || p.dst[i] !== 0 || cls === 6) {
        this.fail('EINVAL', 'BPF_CALL uses reserved fields');
      }
      if (p.src[i] === 1) return this.checkFuncCall(i);
      return this.checkHelperCall(i);
    }
    if (op === 0x00) {
      if (x || p.src[i] !== 0 || p.dst[i] !== 0 || (cls === 5 && p.imm[i] !== 0) || (cls === 6 && p.off[i] !== 0)) this.fail('EINVAL', 'BPF_JA uses reserved fields');
      return cls === 5 ? i + p.off[i]! + 1 : i + p.imm[i]! + 1;
    }
    if (op === 0x90) {
      if (x || p.imm[i] !== 0 || p.src[i] !== 0 || p.dst[i] !== 0 || cls === 6) this.fail('EINVAL', 'BPF_EXIT uses reserved fields');
      return this.checkExit(i);
    }
    return this.checkCondJmp(i);
  }

  private checkExit(i: number): number {
    const s = this.st;
    if (s.frames.length === 1) this.checkResourceLeak('BPF_EXIT instruction in main prog');
    if (s.frames.length > 1) {
      // prepare_func_exit: R0 is copied as it is (an unset R0 fails where the caller reads it)
      const r0 = s.cur.regs[0]!;
      if (r0.type === T.PTR_TO_STACK) this.fail('EINVAL', 'cannot return stack pointer to the caller');
      const inCallback = s.cur.inCallback;
      if (inCallback) {
        if (r0.type !== T.SCALAR) this.fail('EACCES', 'R0 not a scalar value');
        // callback_ret_range [0, 1], checked on the 64-bit bounds (bpf_callback_t returns u64)
        if (r0.smin < 0n || r0.smax > 1n) {
          let m = 'At callback return the register R0 has';
          if (r0.smin > S64_MIN) m += ` smin=${r0.smin}`;
          if (r0.smax < S64_MAX) m += ` smax=${r0.smax}`;
          if (r0.smin === S64_MIN && r0.smax === S64_MAX) m += ' unknown scalar value';
          this.fail('EINVAL', `${m} should have been in [0, 1]`);
        }
      }
      const callee = s.frames.pop()!;
      const caller = s.cur;
      // a callback goes back to its call instruction, which schedules the next iteration
      const ret = inCallback ? callee.callsite : callee.callsite + 1;
      if (!inCallback) caller.regs[0]!.copyFrom(callee.regs[0]!);
      if ((this.o.logLevel & 3) !== 0) {
        this.vlog('returning from callee:');
        this.vlog(frameItems(callee));
        this.vlog(`to caller at ${ret}:`);
        this.vlog(frameItems(caller));
      }
      if (inCallback) this.widenImpreciseScalars(ret);
      this.clearScratch();
      this.skipAppend = true;
      void i;
      return ret;
    }
    this.checkReg(0, 'src');
    return -1;
  }

  /**
   * widen_imprecise_scalars against find_prev_entry(): scalars that changed
   * since the previous visit of the call instruction become unknown, so that
   * counters kept in the callback context converge. This model has no
   * precision marks, so every scalar counts as imprecise except the caller's
   * argument registers at the call (bpf_loop marks R1 precise) — see
   * docs/kernel-mapping.md.
   */
  private widenImpreciseScalars(callsite: number): void {
    const list = this.explored[callsite];
    if (list === undefined) return;
    const cur = this.st;
    let prev: VState | undefined;
    for (let k = list.length - 1; k >= 0; k--) {
      const o = list[k]!.st;
      if (o.branches === 0 || o.frames.length !== cur.frames.length) continue;
      let same = true;
      for (let f = 0; f < o.frames.length; f++) if (o.frames[f]!.callsite !== cur.frames[f]!.callsite) same = false;
      if (same) {
        prev = o;
        break;
      }
    }
    if (prev === undefined) return;
    const widen = (a: Reg, c: Reg): void => {
      if (a.type !== T.SCALAR || c.type !== T.SCALAR) return;
      if (a.tv === c.tv && a.tm === c.tm && a.umin === c.umin && a.umax === c.umax && a.smin === c.smin && a.smax === c.smax &&
        a.u32min === c.u32min && a.u32max === c.u32max && a.s32min === c.s32min && a.s32max === c.s32max) return;
      c.markUnknown();
    };
    for (let f = cur.frames.length - 1; f >= 0; f--) {
      const fo = prev.frames[f]!;
      const fc = cur.frames[f]!;
      for (let r = 0; r < 10; r++) {
        if (f === cur.frames.length - 1 && r >= 1 && r <= 5) continue;
        widen(fo.regs[r]!, fc.regs[r]!);
      }
      for (let spi = 0; spi < 64; spi++) {
        const base = 512 - (spi + 1) * 8;
        const a = fo.spill[spi];
        const c = fc.spill[spi];
        if (fo.stype[base] !== STACK.SPILL || fc.stype[base] !== STACK.SPILL || !a || !c) continue;
        widen(a, c);
      }
    }
  }

  private checkFuncCall(i: number): number {
    const s = this.st;
    if (s.frames.length >= 8) this.fail('E2BIG', `the call stack of ${s.frames.length + 1} frames is too deep`);
    const target = i + this.p.imm[i]! + 1;
    const sub = this.o.structure.subprogStarts.indexOf(target);
    const caller = s.cur;
    const callee = new Frame(s.frames.length, sub, i);
    for (let r = 1; r <= 5; r++) callee.regs[r]!.copyFrom(caller.regs[r]!);
    callee.regs[10]!.markPtr(T.PTR_TO_STACK);
    callee.regs[10]!.frameno = callee.frameno;
    for (let r = 0; r <= 5; r++) caller.regs[r]!.markNotInit();
    s.frames.push(callee);
    this.scratched = 0x7ff;
    if ((this.o.logLevel & 3) !== 0) {
      this.vlog('caller:');
      this.vlog(frameItems(caller));
      this.vlog('callee:');
      this.vlog(frameItems(callee));
    }
    // the callee's first instruction prints its whole state; nothing is appended to the call line
    this.clearScratch();
    this.scratched = 0x7ff;
    this.skipAppend = true;
    return target;
  }

  private argTypeError(regno: number, r: Reg, expected: string): never {
    this.fail('EACCES', `R${regno} type=${this.typeStr(r)} expected=${expected}`);
  }

  private checkHelperCall(i: number): number {
    const id = this.p.imm[i]!;
    if (id < 0 || id > 211) this.fail('EINVAL', `invalid func ${funcIdName(id)}#${id}`);
    const fn = this.o.ops.helper(id);
    if (fn === undefined) this.fail('EINVAL', `program of this type cannot use helper ${funcIdName(id)}#${id}`);
    if (!this.o.gpl && fn.gplOnly === true) this.fail('EINVAL', 'cannot call GPL-restricted function from non-GPL compatible program');
    if (fn.unsupported !== undefined) this.fail('EINVAL', `helper ${funcIdName(id)}#${id} is not supported by this verifier (${fn.unsupported})`);
    const meta: Meta = { map: null, rawReg: -1, rawSize: 0, memSize: 0, releaseId: 0, memReg: -1, memRaw: false, memNull: false, constKey: -1, subprog: -1 };
    for (let a = 0; a < fn.args.length; a++) this.checkFuncArg(fn, a, meta);
    if (id === 12) {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- internal signal, see Reject
      if (meta.map === null || meta.map.type !== 3) throw new Reject({ errno: 'EINVAL', message: 'expected prog array map for tail call', insn: i, glued: true });
    }
    if (meta.rawReg >= 0) {
      for (let k = 0; k < meta.rawSize; k++) this.memAccess(i, meta.rawReg, k, 1, 2, -1, false, false);
    }
    if (id === 164) this.pushCallbackCall(i, meta, 164);
    else if (id === 181) {
      // the verifier relies on R1 (nr_loops) to stop unrolling
      const cur = this.st.cur;
      if (BigInt(cur.callbackDepth) < this.regs()[1]!.umax) this.pushCallbackCall(i, meta, 181);
      else {
        cur.callbackDepth = 0;
        if ((this.o.logLevel & 2) !== 0) this.vlog(`frame${cur.frameno} bpf_loop iteration limit reached`);
      }
    }
    this.checkMapFuncCompat(meta.map, fn);
    if (id === 12) this.checkResourceLeak('tail_call');
    if (meta.releaseId !== 0) this.releaseReference(meta.releaseId);
    this.clobberCallerSaved();
    const r0 = this.regs()[0]!;
    switch (fn.ret) {
      case RET.INTEGER:
        r0.markUnknown();
        break;
      case RET.VOID:
        // observed on 6.18: R0 stays readable after a void helper
        r0.markUnknown();
        break;
      case RET.PTR_TO_MAP_VALUE_OR_NULL:
        r0.markPtr(T.PTR_TO_MAP_VALUE_OR_NULL);
        r0.map = meta.map;
        r0.id = ++this.idGen;
        // array maps with a constant in-range key never return NULL (can_elide_value_nullness)
        if (id === 1 && meta.map !== null && (meta.map.type === 2 || meta.map.type === 6) && meta.constKey >= 0 && meta.constKey < meta.map.maxEntries) {
          r0.type = T.PTR_TO_MAP_VALUE;
          r0.id = 0;
        }
        break;
      case RET.PTR_TO_RINGBUF_MEM_OR_NULL: {
        r0.markPtr(T.PTR_TO_MEM_OR_NULL);
        r0.ringbuf = true;
        r0.memSize = meta.memSize;
        ++this.idGen;
        const rid = ++this.idGen;
        r0.id = rid;
        r0.refObjId = rid;
        this.st.refs.push({ id: rid, insn: i });
        break;
      }
      default:
        break;
    }
    this.scratched |= 1;
    if (fn.changesPkt === true) this.clearAllPktPointers();
    return i + 1;
  }

  private checkMapFuncCompat(map: MapDescriptor | null, fn: HelperProto): void {
    if (map === null) return;
    const id = fn.id;
    const bad = (): never => this.fail('EINVAL', `cannot pass map_type ${map.type} into func ${funcIdName(id)}#${id}`);
    switch (map.type) {
      case 3: if (id !== 12) bad(); break;
      case 4: if (id !== 25 && id !== 22 && id !== 55) bad(); break;
      case 27: if (id !== 130 && id !== 131 && id !== 134) bad(); break;
      case 22: case 23: if (id !== 87 && id !== 88 && id !== 89 && id !== 2) bad(); break;
      case 8: if (id !== 33 && id !== 37) bad(); break;
      default: break;
    }
    switch (id) {
      case 130: case 131: case 134: if (map.type !== 27) bad(); break;
      case 87: case 88: case 89: if (map.type !== 22 && map.type !== 23 && map.type !== 30) bad(); break;
      case 33: if (map.type !== 8) bad(); break;
      case 25: case 22: if (map.type !== 4) bad(); break;
      case 195: if (map.type !== 5 && map.type !== 6 && map.type !== 10) bad(); break;
      default: break;
    }
  }

  private releaseReference(id: number): void {
    this.st.refs = this.st.refs.filter((r) => r.id !== id);
    for (const f of this.st.frames) {
      for (const r of f.regs) if (r.refObjId === id) r.markUnknown();
      for (let spi = 0; spi < 64; spi++) {
        const sp = f.spill[spi];
        if (sp && sp.refObjId === id) sp.markUnknown();
      }
    }
  }

  private checkFuncArg(fn: HelperProto, a: number, meta: Meta): void {
    const kind = fn.args[a]!;
    const regno = a + 1;
    if (kind === ARG.DONTCARE) return;
    const r = this.checkReg(regno, 'src');
    if (kind === ARG.ANYTHING) return;
    // may_access_direct_pkt_data(env, meta, BPF_READ): only helpers marked pkt_access take packet pointers
    if ((r.type === T.PTR_TO_PACKET || r.type === T.PTR_TO_PACKET_META) && fn.pktAccess !== true) this.fail('EACCES', 'helper access to the packet is not allowed');
    const mayNull = kind === ARG.PTR_TO_MEM_OR_NULL || kind === ARG.PTR_TO_STACK_OR_NULL;
    const nullSkip = mayNull && r.isNull();
    switch (kind) {
      case ARG.CONST_MAP_PTR:
        if (r.type !== T.CONST_PTR_TO_MAP) this.argTypeError(regno, r, 'map_ptr');
        meta.map = r.map;
        return;
      case ARG.PTR_TO_CTX:
        if (r.type !== T.PTR_TO_CTX) this.argTypeError(regno, r, 'ctx');
        if (r.off !== 0 || r.tm !== 0n || r.tv !== 0n) this.fail('EACCES', `dereference of modified ctx ptr R${regno} off=${r.off} disallowed`);
        return;
      case ARG.PTR_TO_MAP_KEY:
      case ARG.PTR_TO_MAP_VALUE:
      case ARG.PTR_TO_UNINIT_MAP_VALUE: {
        if (!isMemType(r.type)) this.argTypeError(regno, r, 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
        if (meta.map === null) this.fail('EACCES', kind === ARG.PTR_TO_MAP_KEY ? 'invalid map_ptr to access map->key' : 'invalid map_ptr to access map->value');
        const sz = kind === ARG.PTR_TO_MAP_KEY ? meta.map.keySize : meta.map.valueSize;
        if (kind === ARG.PTR_TO_MAP_KEY) meta.constKey = this.constStackKey(r, sz);
        this.helperMemAccess(regno, r, sz, kind === ARG.PTR_TO_UNINIT_MAP_VALUE ? 2 : 1, false, meta);
        return;
      }
      case ARG.PTR_TO_MEM:
      case ARG.PTR_TO_MEM_OR_NULL:
      case ARG.PTR_TO_UNINIT_MEM:
        if (!nullSkip && !isMemType(r.type)) this.argTypeError(regno, r, 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
        meta.memReg = regno;
        meta.memRaw = kind === ARG.PTR_TO_UNINIT_MEM;
        meta.memNull = nullSkip;
        return;
      case ARG.PTR_TO_FIXED_UNINIT_MEM4:
        if (!isMemType(r.type)) this.argTypeError(regno, r, 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_');
        this.helperMemAccess(regno, r, 4, 2, false, meta);
        return;
      case ARG.CONST_SIZE:
      case ARG.CONST_SIZE_OR_ZERO: {
        if (r.type !== T.SCALAR) this.argTypeError(regno, r, 'scalar');
        const zeroOk = kind === ARG.CONST_SIZE_OR_ZERO;
        const raw = meta.memRaw && r.isConst();
        if (r.smin < 0n) this.fail('EACCES', `R${regno} min value is negative, either use unsigned or 'var &= const'`);
        if (r.umin === 0n && !zeroOk) this.fail('EACCES', `R${regno} invalid zero-sized read: u64=[${r.umin},${r.umax}]`);
        if (r.umax >= BigInt(MAX_VAR_OFF)) this.fail('EACCES', `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        const memReg = this.regs()[regno - 1]!;
        if (meta.memNull && r.umax === 0n) return;
        const m2: Meta = raw ? meta : { ...meta, rawReg: -1 };
        this.helperMemAccess(regno - 1, memReg, Number(r.umax), meta.memRaw ? 2 : 1, zeroOk, raw ? m2 : null);
        return;
      }
      case ARG.CONST_ALLOC_SIZE_OR_ZERO:
        if (r.type !== T.SCALAR) this.argTypeError(regno, r, 'scalar');
        if (r.tm !== 0n) this.fail('EACCES', `R${regno} is not a known constant'`);
        meta.memSize = Number(r.tv);
        return;
      case ARG.PTR_TO_FUNC:
        if (r.type !== T.PTR_TO_FUNC) this.argTypeError(regno, r, 'func');
        meta.subprog = r.subprog;
        return;
      case ARG.PTR_TO_STACK_OR_NULL:
        if (nullSkip) return;
        if (r.type !== T.PTR_TO_STACK) this.argTypeError(regno, r, 'fp');
        return;
      case ARG.PTR_TO_RINGBUF_MEM:
        if (!(r.type === T.PTR_TO_MEM && r.ringbuf)) this.argTypeError(regno, r, 'ringbuf_mem');
        if (r.refObjId === 0) this.fail('EINVAL', `R${regno} must be referenced when passed to release function`);
        if (r.off !== 0 || r.tm !== 0n || r.tv !== 0n) this.fail('EACCES', `R${regno} must have zero offset when passed to release func`);
        meta.releaseId = r.refObjId;
        return;
      default:
        this.fail('EINVAL', `helper argument kind ${String(kind)} is not supported by this verifier`);
    }
  }

  /**
   * push_callback_call: schedule the callback body (its own frame, typed
   * arguments) as a path to explore later; this path goes on after the call.
   */
  private pushCallbackCall(i: number, meta: Meta, id: 164 | 181): void {
    const s = this.st;
    if (s.frames.length >= 8) this.fail('E2BIG', `the call stack of ${s.frames.length + 1} frames is too deep`);
    const sub = meta.subprog;
    const caller = s.cur;
    const callee = new Frame(s.frames.length, sub, i);
    const r = callee.regs;
    if (id === 164) {
      // map_set_for_each_callback_args: (map, key, value, ctx)
      const map = caller.regs[1]!.map;
      if (map === null || ![1, 2, 5, 6, 9, 10].includes(map.type)) this.fail('ENOTSUPP', 'callback function not allowed for map');
      r[1]!.copyFrom(caller.regs[1]!);
      r[2]!.markPtr(T.PTR_TO_MAP_KEY);
      r[2]!.map = map;
      r[3]!.markPtr(T.PTR_TO_MAP_VALUE);
      r[3]!.map = map;
      r[4]!.copyFrom(caller.regs[3]!);
    } else {
      // set_loop_callback_state: (u32 index, void *ctx); index is an unknown scalar
      r[1]!.markUnknown();
      r[2]!.copyFrom(caller.regs[3]!);
    }
    r[10]!.markPtr(T.PTR_TO_STACK);
    r[10]!.frameno = callee.frameno;
    callee.inCallback = true;
    const c = this.pushStack(this.o.structure.subprogStarts[sub]!);
    c.frames[c.frames.length - 1]!.callbackDepth++;
    c.frames.push(callee);
    c.callbackUnrollDepth++;
    caller.callbackDepth = 0;
  }

  /** get_constant_map_key: a 4-byte key held on the stack as a spilled constant or zero bytes. */
  private constStackKey(r: Reg, size: number): number {
    if (r.type !== T.PTR_TO_STACK || r.tm !== 0n || size !== 4) return -1;
    const off = r.off + Number(s64(r.tv));
    if (off < -512 || off + size > 0) return -1;
    const f = this.frameOf(r);
    let zeros = 0;
    for (let k = 0; k < size; k++) if (f.stype[512 + off + k] === STACK.ZERO) zeros++;
    if (zeros === size) return 0;
    if (off % 8 !== 0 || f.stype[512 + off] !== STACK.SPILL) return -1;
    const sp = f.spill[(-off - 1) >> 3];
    if (!sp || sp.type !== T.SCALAR || (sp.tm & 0xffffffffn) !== 0n) return -1;
    for (let k = 0; k < size; k++) if (f.stype[512 + off + k] !== STACK.SPILL) return -1;
    return Number(sp.tv & 0xffffffffn);
  }

  /** check_helper_mem_access */
  private helperMemAccess(regno: number, r: Reg, size: number, t: 1 | 2, zeroOk: boolean, meta: Meta | null): void {
    switch (r.type) {
      case T.PTR_TO_PACKET:
      case T.PTR_TO_PACKET_META:
        this.checkPacketAccess(regno, r, r.off, size, zeroOk);
        return;
      case T.PTR_TO_MAP_VALUE:
        this.checkMapAccess(regno, r, r.off, size, zeroOk);
        return;
      case T.PTR_TO_MEM:
        this.checkMemRegion(regno, r, r.off, size, r.memSize, zeroOk);
        return;
      case T.PTR_TO_MAP_KEY:
        if (t === 2) this.fail('EACCES', `R${regno} cannot write into ${this.typeStr(r)}`);
        this.checkMemRegion(regno, r, r.off, size, r.map?.keySize ?? 0, zeroOk);
        return;
      case T.PTR_TO_STACK:
        this.stackRangeInitialized(regno, r, r.off, size, zeroOk, t, meta);
        return;
      default:
        if (zeroOk && size === 0 && r.isNull()) return;
        this.fail('EACCES', `R${regno} type=${this.typeStr(r)} expected=fp`);
    }
  }

  private stackRangeInitialized(regno: number, r: Reg, off: number, size: number, zeroOk: boolean, t: 1 | 2, meta: Meta | null): void {
    if (size === 0 && !zeroOk) this.fail('EACCES', 'invalid zero-sized read');
    this.stackAccessWithinBounds(regno, r, off, size, t, t === 1 ? ' read from' : ' write to');
    if (meta !== null && t === 2 && r.tm === 0n) {
      meta.rawReg = regno;
      meta.rawSize = size;
      return;
    }
    const f = this.frameOf(r);
    const minOff = r.tm === 0n ? Number(s64(r.tv)) + off : Number(r.smin) + off;
    const maxOff = r.tm === 0n ? minOff : Number(r.smax) + off;
    for (let o = minOff; o < maxOff + size; o++) {
      const spi = (-o - 1) >> 3;
      const ty = f.stype[512 + o]!;
      if (t === 2) {
        if (ty === STACK.SPILL) this.scrubSpill(f, spi);
        f.stype[512 + o] = STACK.MISC;
      }
    }
  }

  private clearAllPktPointers(): void {
    for (const f of this.st.frames) {
      for (const r of f.regs) {
        if (r.type === T.PTR_TO_PACKET || r.type === T.PTR_TO_PACKET_META || r.type === T.PTR_TO_PACKET_END) r.markUnknown();
      }
      for (let spi = 0; spi < 64; spi++) {
        const sp = f.spill[spi];
        if (sp && (sp.type === T.PTR_TO_PACKET || sp.type === T.PTR_TO_PACKET_META || sp.type === T.PTR_TO_PACKET_END)) sp.markUnknown();
      }
    }
  }

  private checkCondJmp(i: number): number {
    const p = this.p;
    const code = p.code[i]!;
    const op = code & 0xf0;
    const x = (code & 8) !== 0;
    const jmp32 = (code & 7) === 6;
    if (op === 0xe0) {
      if (code !== 0xe5 || p.src[i] !== 0 || p.dst[i] !== 0 || p.imm[i] !== 0) this.fail('EINVAL', `invalid may_goto imm ${p.imm[i]!}`);
      this.fail('EINVAL', 'may_goto is not supported by this verifier');
    }
    const dstno = p.dst[i]!;
    const d = this.checkReg(dstno, 'src');
    let s: Reg;
    if (x) {
      if (p.imm[i] !== 0) this.fail('EINVAL', 'BPF_JMP/JMP32 uses reserved fields');
      s = this.checkReg(p.src[i]!, 'src');
    } else {
      if (p.src[i] !== 0) this.fail('EINVAL', 'BPF_JMP/JMP32 uses reserved fields');
      s = constReg(jmp32 ? BigInt(p.imm[i]! >>> 0) : u64(BigInt(p.imm[i]!)));
    }
    const target = i + p.off[i]! + 1;
    const pred = this.branchTaken(d, s, op, jmp32);
    if (pred === 1) return target;
    if (pred === 0) return i + 1;
    const other = this.pushStack(target);
    const oRegs = other.cur.regs;
    const oDst = oRegs[dstno]!;
    const oSrc = x ? oRegs[p.src[i]!]! : s.clone();
    const fSrc = x ? s : s.clone();
    regSetMinMax(oDst, oSrc, d, fSrc, op, jmp32);
    if (d.type === T.SCALAR && d.id !== 0) {
      this.syncLinked(this.st, d);
      this.syncLinked(other, oDst);
    }
    if (x && s.type === T.SCALAR && s.id !== 0) {
      this.syncLinked(this.st, s);
      this.syncLinked(other, oSrc);
    }
    if (!jmp32 && !x && p.imm[i] === 0 && (op === 0x10 || op === 0x50) && isMaybeNull(d.type)) {
      this.markPtrOrNull(this.st, d.id, op === 0x50);
      this.markPtrOrNull(other, d.id, op === 0x10);
    } else if (x) {
      this.tryMatchPkt(op, jmp32, d, s, this.st, other, dstno, p.src[i]!);
    }
    if (boundsInvalid(d) || (x && boundsInvalid(s))) {
      // the fall-through is infeasible: treat as ending this path
    }
    return i + 1;
  }

  private branchTaken(d: Reg, s: Reg, op: number, jmp32: boolean): number {
    if (d.type === T.SCALAR && s.type === T.SCALAR) return scalarBranchTaken(d, s, op, jmp32);
    if (d.isPtr() && s.isPtr()) return -1;
    const ptr = d.isPtr() ? d : s;
    const other = d.isPtr() ? s : d;
    if (!other.isConst() || other.tv !== 0n) return -1;
    if (isMaybeNull(ptr.type)) return -1;
    if (ptr.type === T.PTR_TO_PACKET_END || ptr.type === T.PTR_TO_PACKET || ptr.type === T.PTR_TO_PACKET_META) {
      // pointers are never NULL except ... the kernel only decides for reg_not_null types
    }
    if (op === 0x10) return 0;
    if (op === 0x50) return 1;
    return -1;
  }

  private syncLinked(st: VState, known: Reg): void {
    for (const f of st.frames) {
      for (const r of f.regs) if (r !== known && r.type === T.SCALAR && r.id === known.id) { const id = r.id; r.copyFrom(known); r.id = id; }
      for (const sp of f.spill) if (sp && sp !== known && sp.type === T.SCALAR && sp.id === known.id) sp.copyFrom(known);
    }
  }

  private markPtrOrNull(st: VState, id: number, isNull: boolean): void {
    if (id === 0) return;
    const fix = (r: Reg): void => {
      if (r.id !== id || !isMaybeNull(r.type)) return;
      if (isNull) {
        const ref = r.refObjId;
        r.markUnknown();
        r.markKnown(0n);
        if (ref !== 0) st.refs = st.refs.filter((x) => x.id !== ref);
        return;
      }
      // a map-in-map value is the inner map (map->inner_map_meta)
      if (r.type === T.PTR_TO_MAP_VALUE_OR_NULL && r.map?.inner !== undefined) {
        r.type = T.CONST_PTR_TO_MAP;
        r.map = r.map.inner;
      } else r.type = r.type === T.PTR_TO_MAP_VALUE_OR_NULL ? T.PTR_TO_MAP_VALUE : r.type === T.PTR_TO_MEM_OR_NULL ? T.PTR_TO_MEM : T.PTR_TO_SOCK_COMMON;
      if (r.refObjId === 0) r.id = 0;
    };
    for (const f of st.frames) {
      for (const r of f.regs) fix(r);
      for (const sp of f.spill) if (sp) fix(sp);
    }
  }

  private tryMatchPkt(op: number, jmp32: boolean, d: Reg, s: Reg, thisB: VState, otherB: VState, dstno: number, srcno: number): void {
    if (jmp32) return;
    const pkt = (r: Reg): boolean => r.type === T.PTR_TO_PACKET;
    const end = (r: Reg): boolean => r.type === T.PTR_TO_PACKET_END;
    const meta = (r: Reg): boolean => r.type === T.PTR_TO_PACKET_META;
    const initPkt = (r: Reg): boolean => r.type === T.PTR_TO_PACKET && r.off === 0 && r.tm === 0n && r.tv === 0n;
    const fwd = (pkt(d) && end(s)) || (meta(d) && initPkt(s));
    const rev = (end(d) && pkt(s)) || (initPkt(d) && meta(s));
    const good = (st: VState, reg: Reg, open: boolean): void => this.findGoodPkt(st, reg, open);
    void dstno; void srcno;
    switch (op) {
      case 0x20:
        if (fwd) good(thisB, d, false);
        else if (rev) good(otherB, s, true);
        break;
      case 0xa0:
        if (fwd) good(otherB, d, true);
        else if (rev) good(thisB, s, false);
        break;
      case 0x30:
        if (fwd) good(thisB, d, true);
        else if (rev) good(otherB, s, false);
        break;
      case 0xb0:
        if (fwd) good(otherB, d, false);
        else if (rev) good(thisB, s, true);
        break;
      default:
        break;
    }
  }

  /** find_good_pkt_pointers */
  private findGoodPkt(st: VState, reg: Reg, open: boolean): void {
    if (reg.off < 0 || (reg.off === 0 && open)) return;
    if (reg.umax > BigInt(MAX_PACKET_OFF) || reg.umax + BigInt(reg.off) > BigInt(MAX_PACKET_OFF)) return;
    let nr = reg.off;
    if (open) nr++;
    const type = reg.type;
    const id = reg.id;
    for (const f of st.frames) {
      for (const r of f.regs) if (r.type === type && r.id === id) r.range = Math.max(r.range, nr);
      for (const sp of f.spill) if (sp && sp.type === type && sp.id === id) sp.range = Math.max(sp.range, nr);
    }
  }

  // ---------------------------------------------------------------- post checks
  private checkMaxStackDepth(): void {
    // walk the call graph from main: depth = sum of rounded frames along the deepest chain
    const starts = this.o.structure.subprogStarts;
    const calls: number[][] = starts.map(() => []);
    for (let i = 0; i < this.p.len; i++) {
      if (((this.p.code[i] === 0x85 && this.p.src[i] === 1) || (this.p.code[i] === 0x18 && this.p.src[i] === 4)) && this.seen[i] === 1) {
        calls[this.subprogOf[i]!]!.push(starts.indexOf(i + this.p.imm[i]! + 1));
      }
    }
    const round = (d: number): number => Math.ceil(d / 16) * 16;
    const walk = (sp: number, depth: number, frames: number): void => {
      const total = depth + round(this.stackDepth[sp]!);
      if (total > 512) this.fail('EACCES', `combined stack size of ${frames} calls is ${total}. Too large`);
      for (const c of calls[sp]!) if (c >= 0) walk(c, total, frames + 1);
    };
    walk(0, 0, 1);
  }
}

interface Meta {
  map: MapDescriptor | null;
  rawReg: number;
  rawSize: number;
  memSize: number;
  releaseId: number;
  memReg: number;
  memRaw: boolean;
  memNull: boolean;
  /** Constant map key found on the stack (get_constant_map_key), -1 if none. */
  constKey: number;
  /** Subprogram of an ARG_PTR_TO_FUNC argument, -1 if none. */
  subprog: number;
}

const ALU_STR: readonly string[] = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian', '?', '?'];

/** print_verifier_state(print_all) of one frame: ` frame1: R1=ctx() R10=fp0`. */
function frameItems(f: Frame): string {
  let out = f.frameno !== 0 ? ` frame${f.frameno}:` : '';
  f.regs.forEach((r, i) => {
    if (r.type !== T.NOT_INIT) out += ` R${i}=${regStr(r, f.frameno)}`;
  });
  for (const x of stackStr(f)) out += ` ${x}`;
  return out;
}

function sizeOf(code: number): number {
  return [4, 2, 1, 8][(code >> 3) & 3]!;
}

function isMaybeNull(t: number): boolean {
  return t === T.PTR_TO_MAP_VALUE_OR_NULL || t === T.PTR_TO_MEM_OR_NULL || t === T.PTR_TO_SOCK_COMMON_OR_NULL;
}

function isMemType(t: number): boolean {
  return t === T.PTR_TO_STACK || t === T.PTR_TO_PACKET || t === T.PTR_TO_PACKET_META || t === T.PTR_TO_MAP_VALUE || t === T.PTR_TO_MEM || t === T.PTR_TO_MAP_KEY;
}

function tnStr(r: Reg): string {
  return r.tm === 0n ? `${s64(r.tv)}` : tnumStr(r.tnum);
}

function memText(regno: number, reg: Reg, off: bigint, size: number, memSize: number): string {
  if (reg.type === T.PTR_TO_MAP_VALUE) return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
  if (reg.type === T.PTR_TO_PACKET || reg.type === T.PTR_TO_PACKET_META) return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
  return `invalid access to memory, mem_size=${memSize} off=${off} size=${size}`;
}
