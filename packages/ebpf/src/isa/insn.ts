// Models include/uapi/linux/bpf.h (Linux 6.18) `struct bpf_insn`: the 8-byte
// instruction encoding, host order (little-endian, see @tcbpf/base HOST_LITTLE_ENDIAN).
//
//   byte 0      1           2..3          4..7
//   +--------+-----------+-------------+--------------+
//   | code   | src | dst | off (s16 LE)| imm (s32 LE) |
//   +--------+-----------+-------------+--------------+
//              hi    lo nibble
import { KernelError } from '@tcbpf/base';

/** One decoded `struct bpf_insn` (LD_IMM64 occupies two of these). */
export interface Insn {
  /** Opcode byte, 0..255. */
  readonly code: number;
  /** Destination register, 0..15 (only 0..10 are valid). */
  readonly dst: number;
  /** Source register, 0..15 (also the pseudo kind of LD_IMM64 and CALL). */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
}

/** Size of one instruction in bytes. */
export const INSN_SIZE = 8;

/** Build an instruction, normalising the fields to their encoded ranges. */
export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return Object.freeze({ code: code & 0xff, dst: dst & 0xf, src: src & 0xf, off: (off << 16) >> 16, imm: imm | 0 });
}

/** Decode a byte image of instructions (length must be a multiple of 8). */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0)
    throw new KernelError('EINVAL', `program length ${bytes.length} is not a multiple of ${INSN_SIZE}`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o < bytes.length; o += INSN_SIZE) {
    const regs = dv.getUint8(o + 1);
    out.push(insn(dv.getUint8(o), regs & 0xf, regs >> 4, dv.getInt16(o + 2, true), dv.getInt32(o + 4, true)));
  }
  return out;
}

/** Encode instructions into their 8-byte little-endian image. */
export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const dv = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const o = n * INSN_SIZE;
    dv.setUint8(o, i.code & 0xff);
    dv.setUint8(o + 1, ((i.src & 0xf) << 4) | (i.dst & 0xf));
    dv.setInt16(o + 2, i.off, true);
    dv.setInt32(o + 4, i.imm, true);
  });
  return out;
}

/** The two slots of `LD_IMM64 dst, value` for a value given as (hi, lo) uint32 halves. */
export function ldImm64(dst: number, hi: number, lo: number, src = 0): [Insn, Insn] {
  return [insn(0x18, dst, src, 0, lo | 0), insn(0, 0, 0, 0, hi | 0)];
}
