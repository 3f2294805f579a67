// Models bpf_convert_filter, convert_bpf_extensions, convert_bpf_ld_abs and
// convert_skb_access of net/core/filter.c (Linux 6.18): the translation of a
// checked classic program into eBPF, the form the kernel actually runs.
// Register mapping as in the kernel: A = R0, X = R7, ctx (sk_buff) = R6,
// tmp = R2, cached skb->data = R8, cached headlen = R9, M[k] = the 32-bit
// stack slot at fp - (4k + 4). Output is plain `struct bpf_insn` records
// ({code, dst, src, off, imm}, 8 bytes each in uapi layout), independent of
// @tcbpf/ebpf's internals.
//
// Deliberate differences (docs/kernel-mapping.md): the kernel addresses
// `struct sk_buff`/`struct net_device` fields by their (config-dependent,
// unobservable) offsets and calls kernel functions by address; we use the
// fixed layout CLASSIC_CTX and the internal call numbers CLASSIC_CALL below.
// The converted program is not observable on a real kernel, so what is tested
// is that it computes exactly what the classic program computes.
import { KernelError } from '@tcbpf/base';
import { SKF_AD } from '@tcbpf/uapi';
import { OP, SKF_AD_BASE, isCondJump } from './opcodes.js';
import type { SockFilter } from './sock-filter.js';

/** One eBPF instruction, fields as in uapi `struct bpf_insn` (imm as signed 32-bit). */
export interface BpfInsn {
  readonly code: number;
  readonly dst: number;
  readonly src: number;
  readonly off: number;
  readonly imm: number;
}

/** Byte offsets of the sk_buff fields converted programs read through R6 (a tcbpf layout). */
export const CLASSIC_CTX = Object.freeze({
  /** u64: address of skb->data */
  DATA: 0,
  /** u32: skb->len */
  LEN: 8,
  /** u32: skb->data_len (non-linear bytes; 0 here) */
  DATA_LEN: 12,
  /** u16, network order: skb->protocol */
  PROTOCOL: 16,
  /** u32: vlan_all = vlan_proto (u16, network order) | vlan_tci (u16, host order) << 16 */
  VLAN_ALL: 20,
  /** u16, network order: skb->vlan_proto */
  VLAN_PROTO: 20,
  /** u16: skb->vlan_tci */
  VLAN_TCI: 22,
  /** u8: pkt_type in the low 3 bits */
  PKT_TYPE: 24,
  /** u32: skb->mark */
  MARK: 28,
  /** u16: skb->queue_mapping */
  QUEUE_MAPPING: 32,
  /** u32: skb->hash */
  HASH: 36,
  /** u64: address of skb->dev (0 = none) */
  DEV: 40,
  /** size of the context image */
  SIZE: 48,
} as const);

/** Byte offsets in the net_device image converted programs read through skb->dev. */
export const CLASSIC_DEV = Object.freeze({ IFINDEX: 0, TYPE: 4, SIZE: 8 } as const);

/**
 * Kernel functions a converted program calls (BPF_EMIT_CALL of a kernel
 * address in Linux), numbered for tcbpf. R1..R5 arguments, result in R0.
 */
export const CLASSIC_CALL = Object.freeze({
  /** bpf_skb_load_helper_8(skb, data, headlen, offset): byte or negative on failure */
  SKB_LOAD_HELPER_8: -0x1001,
  SKB_LOAD_HELPER_16: -0x1002,
  SKB_LOAD_HELPER_32: -0x1003,
  /** bpf_skb_get_pay_offset(skb) */
  SKB_GET_PAY_OFFSET: -0x1004,
  /** bpf_skb_get_nlattr(skb, A, X) */
  SKB_GET_NLATTR: -0x1005,
  /** bpf_skb_get_nlattr_nest(skb, A, X) */
  SKB_GET_NLATTR_NEST: -0x1006,
  /** bpf_get_raw_cpu_id() */
  GET_RAW_CPU_ID: -0x1007,
  /** bpf_user_rnd_u32() */
  USER_RND_U32: -0x1008,
} as const);

/** The result of a conversion: the eBPF program and its stack use. */
export interface ConvertedClassic {
  readonly insns: readonly BpfInsn[];
  /** Bytes of stack the scratch memory uses (aux->stack_depth). */
  readonly stackDepth: number;
  /** True when the program has packet loads (skb->data and headlen are cached). */
  readonly seenLdAbs: boolean;
}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R6 = 6, R7 = 7, R8 = 8, R9 = 9, R10 = 10;
const A = R0, X = R7, TMP = R2, CTX = R6, D = R8, H = R9, FP = R10;
// eBPF opcode parts (include/uapi/linux/bpf.h, bpf_common.h)
const LDX = 0x01, STX = 0x03, ALU = 0x04, JMP = 0x05, ALU64 = 0x07;
const W = 0x00, HSZ = 0x08, B = 0x10, DW = 0x18, MEM = 0x60;
const K = 0x00, XS = 0x08;
const ADD = 0x00, SUB = 0x10, AND = 0x50, LSH = 0x60, XOR = 0xa0, MOV = 0xb0, END = 0xd0;
const JA = 0x00, JEQ = 0x10, JGT = 0x20, JSET = 0x40, JNE = 0x50, JSGE = 0x70, CALL = 0x80, EXIT = 0x90, JLT = 0xa0, JLE = 0xb0, JSLT = 0xc0;
const TO_BE = 0x08;

function i(code: number, dst: number, src: number, off: number, imm: number): BpfInsn {
  return Object.freeze({ code, dst, src, off, imm: imm | 0 });
}
const mov64Reg = (dst: number, src: number): BpfInsn => i(ALU64 | MOV | XS, dst, src, 0, 0);
const mov64Imm = (dst: number, imm: number): BpfInsn => i(ALU64 | MOV | K, dst, 0, 0, imm);
const mov32Imm = (dst: number, imm: number): BpfInsn => i(ALU | MOV | K, dst, 0, 0, imm);
const mov32Reg = (dst: number, src: number): BpfInsn => i(ALU | MOV | XS, dst, src, 0, 0);
const alu32Reg = (op: number, dst: number, src: number): BpfInsn => i(ALU | op | XS, dst, src, 0, 0);
const alu32Imm = (op: number, dst: number, imm: number): BpfInsn => i(ALU | op | K, dst, 0, 0, imm);
const alu64Imm = (op: number, dst: number, imm: number): BpfInsn => i(ALU64 | op | K, dst, 0, 0, imm);
const ldx = (size: number, dst: number, src: number, off: number): BpfInsn => i(LDX | size | MEM, dst, src, off, 0);
const stx = (size: number, dst: number, src: number, off: number): BpfInsn => i(STX | size | MEM, dst, src, off, 0);
const jmpImm = (op: number, dst: number, imm: number, off: number): BpfInsn => i(JMP | op | K, dst, 0, off, imm);
const ja = (off: number): BpfInsn => i(JMP | JA, 0, 0, off, 0);
const call = (fn: number): BpfInsn => i(JMP | CALL, 0, 0, 0, fn);
const exit = (): BpfInsn => i(JMP | EXIT, 0, 0, 0, 0);
const endianBe = (dst: number, bits: number): BpfInsn => i(ALU | END | TO_BE, dst, 0, 0, bits);

/** convert_bpf_ld_abs: fast path for non-negative ABS offsets, the load helper otherwise. */
function ldAbs(size: number, k: number, indirect: boolean, out: BpfInsn[]): void {
  const bytes = size === W ? 4 : size === HSZ ? 2 : 1;
  const endian = size === HSZ || size === W;
  const offset = k | 0;
  if (!indirect && offset >= 0) {
    const ldxOffOk = offset <= 0x7fff;
    out.push(mov64Reg(TMP, H));
    if (offset !== 0) out.push(alu64Imm(SUB, TMP, offset));
    out.push(jmpImm(JSLT, TMP, bytes, 2 + (endian ? 1 : 0) + (ldxOffOk ? 0 : 2)));
    if (ldxOffOk) out.push(ldx(size, A, D, offset));
    else out.push(mov64Reg(TMP, D), alu64Imm(ADD, TMP, offset), ldx(size, A, TMP, 0));
    if (endian) out.push(endianBe(A, bytes * 8));
    out.push(ja(8));
  }
  out.push(mov64Reg(R1, CTX), mov64Reg(R2, D), mov64Reg(R3, H));
  if (!indirect) out.push(mov64Imm(R4, offset));
  else {
    out.push(mov64Reg(R4, X));
    if (k !== 0) out.push(alu64Imm(ADD, R4, offset));
  }
  out.push(call(size === B ? CLASSIC_CALL.SKB_LOAD_HELPER_8 : size === HSZ ? CLASSIC_CALL.SKB_LOAD_HELPER_16 : CLASSIC_CALL.SKB_LOAD_HELPER_32));
  out.push(jmpImm(JSGE, A, 0, 2), alu32Reg(XOR, A, A), exit());
}

/** convert_bpf_extensions; false when `k` is not an ancillary offset. */
function extension(k: number, out: BpfInsn[]): boolean {
  if (k >>> 0 < SKF_AD_BASE) return false;
  const off = (k >>> 0) - SKF_AD_BASE;
  switch (off) {
    case SKF_AD.PROTOCOL:
      out.push(ldx(HSZ, A, CTX, CLASSIC_CTX.PROTOCOL), endianBe(A, 16));
      return true;
    case SKF_AD.PKTTYPE:
      out.push(ldx(B, A, CTX, CLASSIC_CTX.PKT_TYPE), alu32Imm(AND, A, 7));
      return true;
    case SKF_AD.IFINDEX:
    case SKF_AD.HATYPE:
      out.push(ldx(DW, TMP, CTX, CLASSIC_CTX.DEV), jmpImm(JNE, TMP, 0, 1), exit());
      out.push(off === SKF_AD.IFINDEX ? ldx(W, A, TMP, CLASSIC_DEV.IFINDEX) : ldx(HSZ, A, TMP, CLASSIC_DEV.TYPE));
      return true;
    case SKF_AD.MARK:
      out.push(ldx(W, A, CTX, CLASSIC_CTX.MARK));
      return true;
    case SKF_AD.RXHASH:
      out.push(ldx(W, A, CTX, CLASSIC_CTX.HASH));
      return true;
    case SKF_AD.QUEUE:
      out.push(ldx(HSZ, A, CTX, CLASSIC_CTX.QUEUE_MAPPING));
      return true;
    case SKF_AD.VLAN_TAG:
      out.push(ldx(HSZ, A, CTX, CLASSIC_CTX.VLAN_TCI));
      return true;
    case SKF_AD.VLAN_TAG_PRESENT:
      out.push(ldx(W, A, CTX, CLASSIC_CTX.VLAN_ALL), jmpImm(JEQ, A, 0, 1), alu32Imm(MOV, A, 1));
      return true;
    case SKF_AD.VLAN_TPID:
      out.push(ldx(HSZ, A, CTX, CLASSIC_CTX.VLAN_PROTO), endianBe(A, 16));
      return true;
    case SKF_AD.PAY_OFFSET:
    case SKF_AD.NLATTR:
    case SKF_AD.NLATTR_NEST:
    case SKF_AD.CPU:
    case SKF_AD.RANDOM: {
      out.push(mov64Reg(R1, CTX), mov64Reg(R2, A), mov64Reg(R3, X));
      const fn =
        off === SKF_AD.PAY_OFFSET ? CLASSIC_CALL.SKB_GET_PAY_OFFSET
        : off === SKF_AD.NLATTR ? CLASSIC_CALL.SKB_GET_NLATTR
        : off === SKF_AD.NLATTR_NEST ? CLASSIC_CALL.SKB_GET_NLATTR_NEST
        : off === SKF_AD.CPU ? CLASSIC_CALL.GET_RAW_CPU_ID
        : CLASSIC_CALL.USER_RND_U32;
      out.push(call(fn));
      return true;
    }
    case SKF_AD.ALU_XOR_X:
      out.push(alu32Reg(XOR, A, X));
      return true;
    default:
      return false;
  }
}

/** A jump placeholder: resolved once every classic instruction's start is known. */
interface Fixup {
  readonly at: number;
  readonly target: number;
}

/**
 * Convert a program that `checkClassic` accepted into eBPF, as
 * bpf_convert_filter does (prologue, per-instruction expansion, jump
 * relocation). Throws KernelError(EINVAL) if a jump does not fit in 16 bits.
 */
export function convertClassic(prog: readonly SockFilter[]): ConvertedClassic {
  const seenLdAbs = prog.some((f) => {
    const c = f.code;
    if (c === OP.LD_W_IND || c === OP.LD_H_IND || c === OP.LD_B_IND || c === OP.LDX_MSH) return true;
    return (c === OP.LD_W_ABS || c === OP.LD_H_ABS || c === OP.LD_B_ABS) && f.k >>> 0 < SKF_AD_BASE;
  });
  const out: BpfInsn[] = [alu32Reg(XOR, A, A), alu32Reg(XOR, X, X), mov64Reg(CTX, R1)];
  if (seenLdAbs) out.push(ldx(DW, D, CTX, CLASSIC_CTX.DATA), ldx(W, H, CTX, CLASSIC_CTX.LEN), ldx(W, TMP, CTX, CLASSIC_CTX.DATA_LEN), alu32Reg(SUB, H, TMP));
  const addrs: number[] = [];
  const fixups: Fixup[] = [];
  let stackDepth = 0;
  const jump = (code: number, dst: number, src: number, imm: number, target: number): void => {
    fixups.push({ at: out.length, target });
    out.push(i(code, dst, src, 0, imm));
  };
  for (let pc = 0; pc < prog.length; pc++) {
    addrs[pc] = out.length;
    const f = prog[pc]!;
    const code = f.code;
    const k = f.k >>> 0;
    switch (code) {
      case OP.LD_W_ABS:
      case OP.LD_H_ABS:
      case OP.LD_B_ABS:
        if (!extension(k, out)) ldAbs(code & 0x18, k, false, out);
        break;
      case OP.LD_W_IND:
      case OP.LD_H_IND:
      case OP.LD_B_IND:
        ldAbs(code & 0x18, k, true, out);
        break;
      case OP.LDX_MSH:
        out.push(mov64Reg(X, A));
        ldAbs(B, k, false, out);
        out.push(alu32Imm(AND, A, 0xf), alu32Imm(LSH, A, 2), mov64Reg(TMP, X), mov64Reg(X, A), mov64Reg(A, TMP));
        break;
      case OP.RET_K:
        out.push(mov32Imm(R0, k), exit());
        break;
      case OP.RET_A:
        out.push(exit());
        break;
      case OP.ST:
      case OP.STX: {
        const so = k * 4 + 4;
        out.push(stx(W, FP, code === OP.ST ? A : X, -so));
        if (so > stackDepth) stackDepth = so;
        break;
      }
      case OP.LD_MEM:
      case OP.LDX_MEM:
        out.push(ldx(W, code === OP.LD_MEM ? A : X, FP, -(k * 4 + 4)));
        break;
      case OP.LD_IMM:
        out.push(mov32Imm(A, k));
        break;
      case OP.LDX_IMM:
        out.push(mov32Imm(X, k));
        break;
      case OP.TAX:
        out.push(mov64Reg(X, A));
        break;
      case OP.TXA:
        out.push(mov64Reg(A, X));
        break;
      case OP.LD_LEN:
      case OP.LDX_LEN:
        out.push(ldx(W, code === OP.LD_LEN ? A : X, CTX, CLASSIC_CTX.LEN));
        break;
      case OP.JA:
        jump(JMP | JA, 0, 0, 0, pc + 1 + k);
        break;
      default:
        if (isCondJump(code)) {
          let src = code & 0x08;
          let srcReg = src === XS ? X : 0;
          let imm = k;
          if (src === K && (k | 0) < 0) {
            // immediates are signed in eBPF: zero-extend into tmp, compare registers
            out.push(mov32Imm(TMP, k));
            src = XS;
            srcReg = TMP;
            imm = 0;
          }
          const op = code & 0xf0;
          if (f.jf === 0) jump(JMP | op | src, A, srcReg, imm, pc + 1 + f.jt);
          else if (f.jt === 0 && op !== JSET) jump(JMP | (op === JEQ ? JNE : op === JGT ? JLE : JLT) | src, A, srcReg, imm, pc + 1 + f.jf);
          else {
            jump(JMP | op | src, A, srcReg, imm, pc + 1 + f.jt);
            jump(JMP | JA, 0, 0, 0, pc + 1 + f.jf);
          }
        } else if ((code & 0x07) === ALU) {
          // every classic ALU op maps 1:1 onto eBPF ALU32 (A op= K/X)
          if (code === OP.DIV_X || code === OP.MOD_X) out.push(mov32Reg(X, X), jmpImm(JNE, X, 0, 2), alu32Reg(XOR, A, A), exit());
          out.push(i(code, A, X, 0, k));
        } else {
          throw new KernelError('EINVAL', `insn ${pc}: opcode 0x${code.toString(16)} cannot be converted`, { insn: pc, where: 'bpf_convert_filter' });
        }
    }
  }
  for (const fx of fixups) {
    const off = addrs[fx.target]! - fx.at - 1;
    if (off < -0x8000 || off > 0x7fff) throw new KernelError('EINVAL', `converted jump offset ${off} does not fit in 16 bits`, { where: 'bpf_convert_filter' });
    const old = out[fx.at]!;
    out[fx.at] = i(old.code, old.dst, old.src, off, old.imm);
  }
  return Object.freeze({ insns: Object.freeze(out), stackDepth, seenLdAbs });
}

/** Encode eBPF instructions as uapi `struct bpf_insn` bytes (host order, LE; dst in the low nibble). */
export function encodeBpfInsns(insns: readonly BpfInsn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const dv = new DataView(out.buffer);
  insns.forEach((x, n) => {
    const o = n * 8;
    dv.setUint8(o, x.code);
    dv.setUint8(o + 1, (x.dst & 0xf) | ((x.src & 0xf) << 4));
    dv.setInt16(o + 2, x.off, true); // host order (LE)
    dv.setInt32(o + 4, x.imm, true); // host order (LE)
  });
  return out;
}
