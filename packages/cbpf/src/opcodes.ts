// Models the allowed-opcode table of net/core/filter.c (Linux 6.18,
// chk_code_allowed) and the ancillary offsets recognised by bpf_anc_helper.
// The mnemonic of each code is libpcap's (bpf_image) / bpf_asm's spelling.
import { CBPF_ALU as ALU, CBPF_CLASS as C, CBPF_JMP as J, CBPF_MODE as M, CBPF_SIZE as S, CBPF_SRC as SRC, SKF_AD, SKF_OFF } from '@tcbpf/uapi';

/** Every opcode Linux accepts for socket and cls_bpf filters, with its mnemonic. */
export const CLASSIC_OPCODES: Readonly<Record<number, string>> = Object.freeze({
  [C.LD | S.W | M.IMM]: 'ld #k',
  [C.LD | S.W | M.ABS]: 'ld [k]',
  [C.LD | S.H | M.ABS]: 'ldh [k]',
  [C.LD | S.B | M.ABS]: 'ldb [k]',
  [C.LD | S.W | M.IND]: 'ld [x + k]',
  [C.LD | S.H | M.IND]: 'ldh [x + k]',
  [C.LD | S.B | M.IND]: 'ldb [x + k]',
  [C.LD | M.MEM]: 'ld M[k]',
  [C.LD | S.W | M.LEN]: 'ld #len',
  [C.LDX | S.W | M.IMM]: 'ldx #k',
  [C.LDX | M.MEM]: 'ldx M[k]',
  [C.LDX | S.W | M.LEN]: 'ldx #len',
  [C.LDX | S.B | M.MSH]: 'ldxb 4*([k]&0xf)',
  [C.ST]: 'st M[k]',
  [C.STX]: 'stx M[k]',
  [C.ALU | ALU.ADD | SRC.K]: 'add #k',
  [C.ALU | ALU.ADD | SRC.X]: 'add x',
  [C.ALU | ALU.SUB | SRC.K]: 'sub #k',
  [C.ALU | ALU.SUB | SRC.X]: 'sub x',
  [C.ALU | ALU.MUL | SRC.K]: 'mul #k',
  [C.ALU | ALU.MUL | SRC.X]: 'mul x',
  [C.ALU | ALU.DIV | SRC.K]: 'div #k',
  [C.ALU | ALU.DIV | SRC.X]: 'div x',
  [C.ALU | ALU.MOD | SRC.K]: 'mod #k',
  [C.ALU | ALU.MOD | SRC.X]: 'mod x',
  [C.ALU | ALU.AND | SRC.K]: 'and #k',
  [C.ALU | ALU.AND | SRC.X]: 'and x',
  [C.ALU | ALU.OR | SRC.K]: 'or #k',
  [C.ALU | ALU.OR | SRC.X]: 'or x',
  [C.ALU | ALU.XOR | SRC.K]: 'xor #k',
  [C.ALU | ALU.XOR | SRC.X]: 'xor x',
  [C.ALU | ALU.LSH | SRC.K]: 'lsh #k',
  [C.ALU | ALU.LSH | SRC.X]: 'lsh x',
  [C.ALU | ALU.RSH | SRC.K]: 'rsh #k',
  [C.ALU | ALU.RSH | SRC.X]: 'rsh x',
  [C.ALU | ALU.NEG]: 'neg',
  [C.JMP | J.JA]: 'ja L',
  [C.JMP | J.JEQ | SRC.K]: 'jeq #k',
  [C.JMP | J.JEQ | SRC.X]: 'jeq x',
  [C.JMP | J.JGT | SRC.K]: 'jgt #k',
  [C.JMP | J.JGT | SRC.X]: 'jgt x',
  [C.JMP | J.JGE | SRC.K]: 'jge #k',
  [C.JMP | J.JGE | SRC.X]: 'jge x',
  [C.JMP | J.JSET | SRC.K]: 'jset #k',
  [C.JMP | J.JSET | SRC.X]: 'jset x',
  [C.RET | 0x00]: 'ret #k',
  [C.RET | 0x10]: 'ret a',
  [C.MISC | 0x00]: 'tax',
  [C.MISC | 0x80]: 'txa',
});

/** Named opcodes for building programs in code: `OP.LDH_ABS` = 0x28 etc. */
export const OP = Object.freeze({
  LD_IMM: 0x00, LD_W_ABS: 0x20, LD_H_ABS: 0x28, LD_B_ABS: 0x30, LD_W_IND: 0x40, LD_H_IND: 0x48, LD_B_IND: 0x50,
  LD_MEM: 0x60, LD_LEN: 0x80, LDX_IMM: 0x01, LDX_MEM: 0x61, LDX_LEN: 0x81, LDX_MSH: 0xb1, ST: 0x02, STX: 0x03,
  ADD_K: 0x04, ADD_X: 0x0c, SUB_K: 0x14, SUB_X: 0x1c, MUL_K: 0x24, MUL_X: 0x2c, DIV_K: 0x34, DIV_X: 0x3c,
  OR_K: 0x44, OR_X: 0x4c, AND_K: 0x54, AND_X: 0x5c, LSH_K: 0x64, LSH_X: 0x6c, RSH_K: 0x74, RSH_X: 0x7c,
  NEG: 0x84, MOD_K: 0x94, MOD_X: 0x9c, XOR_K: 0xa4, XOR_X: 0xac,
  JA: 0x05, JEQ_K: 0x15, JEQ_X: 0x1d, JGT_K: 0x25, JGT_X: 0x2d, JGE_K: 0x35, JGE_X: 0x3d, JSET_K: 0x45, JSET_X: 0x4d,
  RET_K: 0x06, RET_A: 0x16, TAX: 0x07, TXA: 0x87,
} as const);

/** True when Linux accepts `code` (chk_code_allowed). */
export function isClassicOpcode(code: number): boolean {
  return Object.prototype.hasOwnProperty.call(CLASSIC_OPCODES, code);
}

/** k of an ABS load of an ancillary field: SKF_AD_OFF + off, as an unsigned 32-bit value. */
export function ancK(off: number): number {
  return (SKF_OFF.AD + off) >>> 0;
}

/** First k (unsigned) of the ancillary range: 0xfffff000. */
export const SKF_AD_BASE = SKF_OFF.AD >>> 0;

/**
 * If `k` of an ABS load names a known ancillary field, its SKF_AD offset;
 * otherwise -1 (bpf_anc_helper).
 */
export function ancillaryOffset(k: number): number {
  const u = k >>> 0;
  if (u < SKF_AD_BASE) return -1;
  const off = u - SKF_AD_BASE;
  return off < SKF_AD.MAX && off % 4 === 0 ? off : -1;
}

/** Is this an ABS load of any size (the only mode where ancillary offsets apply)? */
export function isAbsLoad(code: number): boolean {
  return code === OP.LD_W_ABS || code === OP.LD_H_ABS || code === OP.LD_B_ABS;
}

/** Is this a conditional jump? */
export function isCondJump(code: number): boolean {
  return (code & 0x07) === C.JMP && (code & 0xf0) !== J.JA;
}
