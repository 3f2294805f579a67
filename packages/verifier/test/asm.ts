// A tiny eBPF assembler for tests: each helper returns one or two 8-byte
// struct bpf_insn records as [code, dst, src, off, imm] tuples.
export type Ins = readonly [number, number, number, number, number];

/** Raw instruction. */
export const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Ins => [code, dst, src, off, imm];

/** Encode instructions little-endian. */
export function prog(...ins: (Ins | Ins[])[]): Uint8Array {
  const flat: Ins[] = [];
  for (const x of ins) {
    if (Array.isArray(x[0])) flat.push(...(x as Ins[]));
    else flat.push(x as Ins);
  }
  const out = new Uint8Array(flat.length * 8);
  const dv = new DataView(out.buffer);
  flat.forEach(([c, d, s, o, imm], i) => {
    dv.setUint8(i * 8, c);
    dv.setUint8(i * 8 + 1, ((s & 0xf) << 4) | (d & 0xf));
    dv.setInt16(i * 8 + 2, o, true);
    dv.setInt32(i * 8 + 4, imm, true);
  });
  return out;
}

export const SZ = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;
export const mov = (d: number, imm: number): Ins => I(0xb7, d, 0, 0, imm);
export const mov32 = (d: number, imm: number): Ins => I(0xb4, d, 0, 0, imm);
export const movr = (d: number, s: number): Ins => I(0xbf, d, s);
export const alu = (op: number, d: number, imm: number): Ins => I(0x07 | op, d, 0, 0, imm);
export const alur = (op: number, d: number, s: number): Ins => I(0x0f | op, d, s);
export const alu32 = (op: number, d: number, imm: number): Ins => I(0x04 | op, d, 0, 0, imm);
export const add = (d: number, imm: number): Ins => alu(0x00, d, imm);
export const addr = (d: number, s: number): Ins => alur(0x00, d, s);
export const and = (d: number, imm: number): Ins => alu(0x50, d, imm);
export const ldx = (sz: number, d: number, s: number, off: number): Ins => I(0x61 | sz, d, s, off);
export const stx = (sz: number, d: number, s: number, off: number): Ins => I(0x63 | sz, d, s, off);
export const st = (sz: number, d: number, off: number, imm: number): Ins => I(0x62 | sz, d, 0, off, imm);
export const jmp = (op: number, d: number, imm: number, off: number): Ins => I(0x05 | op, d, 0, off, imm);
export const jmpr = (op: number, d: number, s: number, off: number): Ins => I(0x0d | op, d, s, off);
export const ja = (off: number): Ins => I(0x05, 0, 0, off);
export const call = (id: number): Ins => I(0x85, 0, 0, 0, id);
export const callLocal = (rel: number): Ins => I(0x85, 0, 1, 0, rel);
export const exit = (): Ins => I(0x95);
export const ld64 = (d: number, v: bigint): Ins[] => [I(0x18, d, 0, 0, Number(BigInt.asIntN(32, v))), I(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n)))];
export const ldmap = (d: number, fd: number): Ins[] => [I(0x18, d, 1, 0, fd), I(0)];
export const ldmapval = (d: number, fd: number, off: number): Ins[] => [I(0x18, d, 2, 0, fd), I(0, 0, 0, 0, off)];
export const JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JSGT = 0x60, JSGE = 0x70, JLT = 0xa0, JLE = 0xb0, JSLT = 0xc0, JSLE = 0xd0;
export const ADD = 0x00, SUB = 0x10, MUL = 0x20, DIV = 0x30, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70, MOD = 0x90, XOR = 0xa0, ARSH = 0xc0;
