// Models kernel/bpf/core.c (Linux 6.18): the instruction table
// (BPF_INSN_MAP / bpf_opcode_in_insntable) and include/uapi/linux/bpf.h encodings.
// One frozen table indexed by the opcode byte drives the structural check, the
// interpreter's decoding, the disassembler and (later) the verifier and the JIT.
//
//   opcode byte (ALU/JMP):   +----------+---+-------+
//                            |  op (4)  | s | class |   s = 0: K (imm), 1: X (src reg)
//                            +----------+---+-------+
//   opcode byte (LD/ST):     +--------+------+-------+
//                            |mode (3)|sz (2)| class |
//                            +--------+------+-------+

/** What an opcode does, as a small integer (no enums: `as const`). */
export const OP_KIND = Object.freeze({
  ALU: 1, NEG: 2, END: 3, MOV: 4, JA: 5, JCOND_GOTO: 6, JMP_COND: 7, CALL: 8, EXIT: 9,
  LDX: 10, LDXSX: 11, ST: 12, STX: 13, ATOMIC: 14, LD_IMM64: 15, LD_ABS: 16, LD_IND: 17,
  MAY_GOTO: 18,
} as const);
/** One of the values of {@link OP_KIND}. */
export type OpKind = (typeof OP_KIND)[keyof typeof OP_KIND];

/** What the kernel knows about one opcode byte. */
export interface OpcodeInfo {
  /** The opcode byte. */
  readonly code: number;
  /** `code & 7` (BPF_CLASS). */
  readonly cls: number;
  /** `code & 0xf0`: ALU/JMP operation, or mode|size bits for loads and stores. */
  readonly op: number;
  /** X (register) source form. */
  readonly x: boolean;
  /** 64-bit operation (ALU64, JMP, DW accesses). */
  readonly is64: boolean;
  /** Access size in bytes for memory and packet instructions, else 0. */
  readonly size: number;
  readonly kind: OpKind;
  /** Base mnemonic in the llvm/bpf_conformance dialect (`add`, `add32`, `ldxw`, `jeq32`...). */
  readonly name: string;
}

const ALU_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'add', 0x10: 'sub', 0x20: 'mul', 0x30: 'div', 0x40: 'or', 0x50: 'and', 0x60: 'lsh', 0x70: 'rsh',
  0x80: 'neg', 0x90: 'mod', 0xa0: 'xor', 0xb0: 'mov', 0xc0: 'arsh', 0xd0: 'end',
});
const JMP_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0x00: 'ja', 0x10: 'jeq', 0x20: 'jgt', 0x30: 'jge', 0x40: 'jset', 0x50: 'jne', 0x60: 'jsgt', 0x70: 'jsge',
  0x80: 'call', 0x90: 'exit', 0xa0: 'jlt', 0xb0: 'jle', 0xc0: 'jslt', 0xd0: 'jsle', 0xe0: 'jcond',
});
const SIZE_BYTES: Readonly<Record<number, number>> = Object.freeze({ 0x00: 4, 0x08: 2, 0x10: 1, 0x18: 8 });
const SIZE_SUFFIX: Readonly<Record<number, string>> = Object.freeze({ 0x00: 'w', 0x08: 'h', 0x10: 'b', 0x18: 'dw' });

function info(code: number): OpcodeInfo | undefined {
  const cls = code & 7;
  const op = code & 0xf0;
  const x = (code & 8) !== 0;
  const sz = code & 0x18;
  const mode = code & 0xe0;
  const mk = (kind: OpKind, name: string, is64: boolean, size = 0): OpcodeInfo =>
    Object.freeze({ code, cls, op, x, is64, size, kind, name });
  switch (cls) {
    case 0x04: // ALU
    case 0x07: { // ALU64
      const is64 = cls === 0x07;
      const sfx = is64 ? '' : '32';
      if (op === 0xe0 || op === 0xf0) return undefined;
      if (op === 0x80) return x ? undefined : mk(OP_KIND.NEG, 'neg' + sfx, is64);
      if (op === 0xd0) {
        if (is64 && x) return undefined; // 0xdf
        return mk(OP_KIND.END, is64 ? 'bswap' : x ? 'be' : 'le', is64);
      }
      if (op === 0xb0) return mk(OP_KIND.MOV, 'mov' + sfx, is64);
      return mk(OP_KIND.ALU, ALU_NAMES[op]! + sfx, is64);
    }
    case 0x05: // JMP
    case 0x06: { // JMP32
      const is64 = cls === 0x05;
      const sfx = is64 ? '' : '32';
      if (op === 0xf0) return undefined;
      if (op === 0x00) return x ? undefined : mk(is64 ? OP_KIND.JA : OP_KIND.JCOND_GOTO, is64 ? 'ja' : 'ja32', is64);
      if (op === 0x80) return is64 && !x ? mk(OP_KIND.CALL, 'call', true) : undefined;
      if (op === 0x90) return is64 && !x ? mk(OP_KIND.EXIT, 'exit', true) : undefined;
      if (op === 0xe0) return is64 && !x ? mk(OP_KIND.MAY_GOTO, 'may_goto', true) : undefined;
      return mk(OP_KIND.JMP_COND, JMP_NAMES[op]! + sfx, is64);
    }
    case 0x01: // LDX
      if (mode === 0x60) return mk(OP_KIND.LDX, 'ldx' + SIZE_SUFFIX[sz]!, sz === 0x18, SIZE_BYTES[sz]);
      if (mode === 0x80 && sz !== 0x18) return mk(OP_KIND.LDXSX, 'ldxs' + SIZE_SUFFIX[sz]!, false, SIZE_BYTES[sz]);
      return undefined;
    case 0x02: // ST
      return mode === 0x60 ? mk(OP_KIND.ST, 'st' + SIZE_SUFFIX[sz]!, sz === 0x18, SIZE_BYTES[sz]) : undefined;
    case 0x03: // STX
      if (mode === 0x60) return mk(OP_KIND.STX, 'stx' + SIZE_SUFFIX[sz]!, sz === 0x18, SIZE_BYTES[sz]);
      // atomics: W and DW for RMW ops; B and H exist only for load-acquire/store-release
      if (mode === 0xc0) return mk(OP_KIND.ATOMIC, 'lock', sz === 0x18, SIZE_BYTES[sz]);
      return undefined;
    case 0x00: // LD
      if (code === 0x18) return mk(OP_KIND.LD_IMM64, 'lddw', true, 8);
      if ((mode === 0x20 || mode === 0x40) && sz !== 0x18)
        return mk(mode === 0x20 ? OP_KIND.LD_ABS : OP_KIND.LD_IND, (mode === 0x20 ? 'ldabs' : 'ldind') + SIZE_SUFFIX[sz]!, false, SIZE_BYTES[sz]);
      return undefined;
    default:
      return undefined;
  }
}

/**
 * The opcode table: `OPCODES[code]` is the description of a valid opcode byte
 * of Linux 6.18, or `undefined` (the kernel says `unknown opcode %02x`).
 */
export const OPCODES: readonly (OpcodeInfo | undefined)[] = Object.freeze(
  Array.from({ length: 256 }, (_, code) => info(code)),
);
