// A classic BPF interpreter with Linux 6.18's run-time semantics (the
// observable behaviour of net/core/filter.c's bpf_convert_filter output run
// by kernel/bpf/core.c): A and X are u32 starting at 0; any failing packet
// load (out of range, negative offsets outside head..tail) and DIV/MOD by
// X == 0 end the program with 0; shifts by X use the low 5 bits; ancillary
// loads ignore the size bits. The program is pre-decoded once into a dense
// Int32Array (internal op, absolute jump targets, k) so a run allocates nothing.
import { SKF_AD_BASE, OP, ancillaryOffset } from './opcodes.js';
import { ancillaryLoad, loadPacket } from './ancillary.js';
import type { ClassicEnv, ClassicSkb } from './context.js';
import type { SockFilter } from './sock-filter.js';

/** Dense internal operation numbers of the pre-decoded form. */
const I = Object.freeze({
  RET_K: 0, RET_A: 1, LD_IMM: 2, LDX_IMM: 3, LD_LEN: 4, LDX_LEN: 5, LD_MEM: 6, LDX_MEM: 7, ST: 8, STX: 9,
  LD_W: 10, LD_H: 11, LD_B: 12, LD_W_IND: 13, LD_H_IND: 14, LD_B_IND: 15, LDX_MSH: 16,
  LD_W_NEG: 17, LD_H_NEG: 18, LD_B_NEG: 19, ANC: 20,
  ADD_K: 21, ADD_X: 22, SUB_K: 23, SUB_X: 24, MUL_K: 25, MUL_X: 26, DIV_K: 27, DIV_X: 28, MOD_K: 29, MOD_X: 30,
  AND_K: 31, AND_X: 32, OR_K: 33, OR_X: 34, XOR_K: 35, XOR_X: 36, LSH_K: 37, LSH_X: 38, RSH_K: 39, RSH_X: 40, NEG: 41,
  JA: 42, JEQ_K: 43, JEQ_X: 44, JGT_K: 45, JGT_X: 46, JGE_K: 47, JGE_X: 48, JSET_K: 49, JSET_X: 50, TAX: 51, TXA: 52,
  // fused "load, then compare with K" pairs (the second instruction is not a jump target)
  LDH_JEQ: 53, LDB_JEQ: 54, LDH_JSET: 55, LDB_JSET: 56, LDH_JGT: 57, LDB_JGT: 58, LDH_JGE: 59, LDB_JGE: 60, LDHI_JEQ: 61,
} as const);

/** Fusable pairs: [first op, second op] -> fused op. */
const FUSE: Readonly<Record<string, number>> = Object.freeze({
  [`${I.LD_H},${I.JEQ_K}`]: I.LDH_JEQ, [`${I.LD_B},${I.JEQ_K}`]: I.LDB_JEQ,
  [`${I.LD_H},${I.JSET_K}`]: I.LDH_JSET, [`${I.LD_B},${I.JSET_K}`]: I.LDB_JSET,
  [`${I.LD_H},${I.JGT_K}`]: I.LDH_JGT, [`${I.LD_B},${I.JGT_K}`]: I.LDB_JGT,
  [`${I.LD_H},${I.JGE_K}`]: I.LDH_JGE, [`${I.LD_B},${I.JGE_K}`]: I.LDB_JGE,
  [`${I.LD_H_IND},${I.JEQ_K}`]: I.LDHI_JEQ,
});

const SIMPLE: Readonly<Record<number, number>> = Object.freeze({
  [OP.RET_K]: I.RET_K, [OP.RET_A]: I.RET_A, [OP.LD_IMM]: I.LD_IMM, [OP.LDX_IMM]: I.LDX_IMM, [OP.LD_LEN]: I.LD_LEN,
  [OP.LDX_LEN]: I.LDX_LEN, [OP.LD_MEM]: I.LD_MEM, [OP.LDX_MEM]: I.LDX_MEM, [OP.ST]: I.ST, [OP.STX]: I.STX,
  [OP.LD_W_IND]: I.LD_W_IND, [OP.LD_H_IND]: I.LD_H_IND, [OP.LD_B_IND]: I.LD_B_IND, [OP.LDX_MSH]: I.LDX_MSH,
  [OP.ADD_K]: I.ADD_K, [OP.ADD_X]: I.ADD_X, [OP.SUB_K]: I.SUB_K, [OP.SUB_X]: I.SUB_X, [OP.MUL_K]: I.MUL_K,
  [OP.MUL_X]: I.MUL_X, [OP.DIV_K]: I.DIV_K, [OP.DIV_X]: I.DIV_X, [OP.MOD_K]: I.MOD_K, [OP.MOD_X]: I.MOD_X,
  [OP.AND_K]: I.AND_K, [OP.AND_X]: I.AND_X, [OP.OR_K]: I.OR_K, [OP.OR_X]: I.OR_X, [OP.XOR_K]: I.XOR_K,
  [OP.XOR_X]: I.XOR_X, [OP.LSH_K]: I.LSH_K, [OP.LSH_X]: I.LSH_X, [OP.RSH_K]: I.RSH_K, [OP.RSH_X]: I.RSH_X,
  [OP.NEG]: I.NEG, [OP.JA]: I.JA, [OP.JEQ_K]: I.JEQ_K, [OP.JEQ_X]: I.JEQ_X, [OP.JGT_K]: I.JGT_K, [OP.JGT_X]: I.JGT_X,
  [OP.JGE_K]: I.JGE_K, [OP.JGE_X]: I.JGE_X, [OP.JSET_K]: I.JSET_K, [OP.JSET_X]: I.JSET_X, [OP.TAX]: I.TAX, [OP.TXA]: I.TXA,
});

/**
 * Pre-decode a checked program: 4 int32 per instruction (op, absolute jt
 * target, absolute jf target, k). A packet load followed by a compare with a
 * constant that no jump enters becomes one fused operation (it reads the
 * compare's k and targets from the next record). Assumes `checkClassic` accepted it.
 */
export function predecode(prog: readonly SockFilter[]): Int32Array {
  const out = new Int32Array(prog.length * 4);
  for (let pc = 0; pc < prog.length; pc++) {
    const f = prog[pc]!;
    let op: number;
    let k = f.k | 0;
    const size = f.code === OP.LD_W_ABS ? 0 : f.code === OP.LD_H_ABS ? 1 : f.code === OP.LD_B_ABS ? 2 : -1;
    if (size >= 0) {
      const u = f.k >>> 0;
      if (u >= SKF_AD_BASE) {
        op = I.ANC;
        k = ancillaryOffset(u);
      } else if (k < 0) op = I.LD_W_NEG + size;
      else op = I.LD_W + size;
    } else {
      const s = SIMPLE[f.code];
      if (s === undefined) throw new RangeError(`predecode: opcode 0x${f.code.toString(16)} at ${pc} was not checked`);
      op = s;
    }
    out[pc * 4] = op;
    out[pc * 4 + 1] = op === I.JA ? pc + 1 + (f.k >>> 0) : pc + 1 + f.jt;
    out[pc * 4 + 2] = pc + 1 + f.jf;
    out[pc * 4 + 3] = k;
  }
  const entered = new Uint8Array(prog.length + 1);
  for (let pc = 0; pc < prog.length; pc++) {
    const op = out[pc * 4]!;
    if (op >= I.JA && op <= I.JSET_X) {
      entered[out[pc * 4 + 1]!] = 1;
      if (op !== I.JA) entered[out[pc * 4 + 2]!] = 1;
    }
  }
  for (let pc = 0; pc + 1 < prog.length; pc++) {
    const fused = FUSE[`${out[pc * 4]!},${out[pc * 4 + 4]!}`];
    if (fused !== undefined && entered[pc + 1] === 0) out[pc * 4] = fused;
  }
  // a conditional jump straight to `ret #k` returns without another dispatch:
  // its target is stored as -1 - target
  for (let pc = 0; pc < prog.length; pc++) {
    const op = out[pc * 4]!;
    if ((op > I.JA && op <= I.JSET_X) || op >= I.LDH_JEQ) {
      for (const slot of op >= I.LDH_JEQ ? [pc * 4 + 5, pc * 4 + 6] : [pc * 4 + 1, pc * 4 + 2]) {
        const t = out[slot]!;
        if (t >= 0 && out[t * 4] === I.RET_K) out[slot] = -1 - t;
      }
    }
  }
  return out;
}

/**
 * Run a pre-decoded program over `skb`: the u32 return value (0 = drop /
 * no match). `mem` is the 16-word scratch area (reused between runs; the
 * checker guarantees every read follows a write). Never throws, never allocates.
 */
export function interpret(ops: Int32Array, mem: Uint32Array, skb: ClassicSkb, env: ClassicEnv): number {
  const buf = skb.buf;
  const d = skb.dataOff;
  const len = skb.len;
  let A = 0;
  let X = 0;
  let pc = 0;
  let v: number;
  for (;;) {
    const i = pc << 2;
    const k = ops[i + 3]!;
    switch (ops[i]) {
      case I.RET_K:
        return k >>> 0;
      case I.RET_A:
        return A;
      case I.LD_IMM:
        A = k >>> 0;
        break;
      case I.LDX_IMM:
        X = k >>> 0;
        break;
      case I.LD_LEN:
        A = len >>> 0;
        break;
      case I.LDX_LEN:
        X = len >>> 0;
        break;
      case I.LD_MEM:
        A = mem[k]!;
        break;
      case I.LDX_MEM:
        X = mem[k]!;
        break;
      case I.ST:
        mem[k] = A;
        break;
      case I.STX:
        mem[k] = X;
        break;
      case I.LD_W:
        if (k > len - 4) return 0;
        v = d + k; // big-endian (network order)
        A = ((buf[v]! << 24) | (buf[v + 1]! << 16) | (buf[v + 2]! << 8) | buf[v + 3]!) >>> 0;
        break;
      case I.LD_H:
        if (k > len - 2) return 0;
        v = d + k; // big-endian
        A = (buf[v]! << 8) | buf[v + 1]!;
        break;
      case I.LD_B:
        if (k >= len) return 0;
        A = buf[d + k]!;
        break;
      case I.LD_W_IND:
        v = (X + k) | 0;
        if (v >= 0 && v <= len - 4) {
          v += d; // big-endian
          A = ((buf[v]! << 24) | (buf[v + 1]! << 16) | (buf[v + 2]! << 8) | buf[v + 3]!) >>> 0;
        } else {
          v = loadPacket(skb, v, 4);
          if (v < 0) return 0;
          A = v;
        }
        break;
      case I.LD_H_IND:
        v = (X + k) | 0;
        if (v >= 0 && v <= len - 2) {
          v += d; // big-endian
          A = (buf[v]! << 8) | buf[v + 1]!;
        } else {
          v = loadPacket(skb, v, 2);
          if (v < 0) return 0;
          A = v;
        }
        break;
      case I.LD_B_IND:
        v = (X + k) | 0;
        if (v >= 0 && v < len) A = buf[d + v]!;
        else {
          v = loadPacket(skb, v, 1);
          if (v < 0) return 0;
          A = v;
        }
        break;
      case I.LDX_MSH:
        if (k >= 0 && k < len) X = (buf[d + k]! & 0xf) << 2;
        else {
          v = loadPacket(skb, k, 1);
          if (v < 0) return 0;
          X = (v & 0xf) << 2;
        }
        break;
      case I.LD_W_NEG:
        v = loadPacket(skb, k, 4);
        if (v < 0) return 0;
        A = v;
        break;
      case I.LD_H_NEG:
        v = loadPacket(skb, k, 2);
        if (v < 0) return 0;
        A = v;
        break;
      case I.LD_B_NEG:
        v = loadPacket(skb, k, 1);
        if (v < 0) return 0;
        A = v;
        break;
      case I.ANC:
        A = ancillaryLoad(k, skb, env, A, X);
        break;
      case I.ADD_K:
        A = (A + k) >>> 0;
        break;
      case I.ADD_X:
        A = (A + X) >>> 0;
        break;
      case I.SUB_K:
        A = (A - k) >>> 0;
        break;
      case I.SUB_X:
        A = (A - X) >>> 0;
        break;
      case I.MUL_K:
        A = Math.imul(A, k) >>> 0;
        break;
      case I.MUL_X:
        A = Math.imul(A, X) >>> 0;
        break;
      case I.DIV_K:
        A = Math.floor(A / (k >>> 0)) >>> 0;
        break;
      case I.DIV_X:
        if (X === 0) return 0;
        A = Math.floor(A / X) >>> 0;
        break;
      case I.MOD_K:
        A = A % (k >>> 0);
        break;
      case I.MOD_X:
        if (X === 0) return 0;
        A = A % X;
        break;
      case I.AND_K:
        A = (A & k) >>> 0;
        break;
      case I.AND_X:
        A = (A & X) >>> 0;
        break;
      case I.OR_K:
        A = (A | k) >>> 0;
        break;
      case I.OR_X:
        A = (A | X) >>> 0;
        break;
      case I.XOR_K:
        A = (A ^ k) >>> 0;
        break;
      case I.XOR_X:
        A = (A ^ X) >>> 0;
        break;
      case I.LSH_K:
        A = (A << k) >>> 0;
        break;
      case I.LSH_X:
        A = (A << (X & 31)) >>> 0;
        break;
      case I.RSH_K:
        A = A >>> k;
        break;
      case I.RSH_X:
        A = A >>> (X & 31);
        break;
      case I.NEG:
        A = -A >>> 0;
        break;
      case I.JA:
        pc = ops[i + 1]!;
        continue;
      case I.JEQ_K:
        pc = A === k >>> 0 ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JEQ_X:
        pc = A === X ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JGT_K:
        pc = A > k >>> 0 ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JGT_X:
        pc = A > X ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JGE_K:
        pc = A >= k >>> 0 ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JGE_X:
        pc = A >= X ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JSET_K:
        pc = (A & k) !== 0 ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.JSET_X:
        pc = (A & X) !== 0 ? ops[i + 1]! : ops[i + 2]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.TAX:
        X = A;
        break;
      case I.TXA:
        A = X;
        break;
      case I.LDH_JEQ:
        if (k > len - 2) return 0;
        v = d + k; // big-endian
        A = (buf[v]! << 8) | buf[v + 1]!;
        pc = A === ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDB_JEQ:
        if (k >= len) return 0;
        A = buf[d + k]!;
        pc = A === ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDH_JSET:
        if (k > len - 2) return 0;
        v = d + k; // big-endian
        A = (buf[v]! << 8) | buf[v + 1]!;
        pc = (A & ops[i + 7]!) !== 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDB_JSET:
        if (k >= len) return 0;
        A = buf[d + k]!;
        pc = (A & ops[i + 7]!) !== 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDH_JGT:
        if (k > len - 2) return 0;
        v = d + k; // big-endian
        A = (buf[v]! << 8) | buf[v + 1]!;
        pc = A > ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDB_JGT:
        if (k >= len) return 0;
        A = buf[d + k]!;
        pc = A > ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDH_JGE:
        if (k > len - 2) return 0;
        v = d + k; // big-endian
        A = (buf[v]! << 8) | buf[v + 1]!;
        pc = A >= ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDB_JGE:
        if (k >= len) return 0;
        A = buf[d + k]!;
        pc = A >= ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      case I.LDHI_JEQ:
        v = (X + k) | 0;
        if (v >= 0 && v <= len - 2) {
          v += d; // big-endian
          A = (buf[v]! << 8) | buf[v + 1]!;
        } else {
          v = loadPacket(skb, v, 2);
          if (v < 0) return 0;
          A = v;
        }
        pc = A === ops[i + 7]! >>> 0 ? ops[i + 5]! : ops[i + 6]!;
        if (pc < 0) return ops[((-1 - pc) << 2) + 3]! >>> 0;
        continue;
      default:
        return 0;
    }
    pc++;
  }
}
