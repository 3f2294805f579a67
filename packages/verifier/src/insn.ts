// Models include/uapi/linux/bpf.h struct bpf_insn (Linux 6.18): a program
// decoded from raw 8-byte little-endian records into flat typed arrays.

/** A program as parallel arrays: code, dst, src, off, imm per slot. */
export interface Insns {
  readonly len: number;
  readonly code: Uint8Array;
  readonly dst: Uint8Array;
  readonly src: Uint8Array;
  readonly off: Int16Array;
  readonly imm: Int32Array;
}

/** Decode `struct bpf_insn` records (byte 0 code, byte 1 src<<4|dst, off LE s16, imm LE s32). */
export function decodeInsns(bytes: Uint8Array): Insns {
  const len = bytes.length >>> 3;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, len * 8);
  const code = new Uint8Array(len);
  const dst = new Uint8Array(len);
  const src = new Uint8Array(len);
  const off = new Int16Array(len);
  const imm = new Int32Array(len);
  for (let i = 0; i < len; i++) {
    const b = i * 8;
    code[i] = dv.getUint8(b);
    const r = dv.getUint8(b + 1);
    dst[i] = r & 0x0f;
    src[i] = r >> 4;
    off[i] = dv.getInt16(b + 2, true);
    imm[i] = dv.getInt32(b + 4, true);
  }
  return { len, code, dst, src, off, imm };
}

/** Encode one instruction (little-endian) into `out` at slot `i`. */
export function encodeInsn(out: Uint8Array, i: number, code: number, dst: number, src: number, off: number, imm: number): void {
  const dv = new DataView(out.buffer, out.byteOffset + i * 8, 8);
  dv.setUint8(0, code);
  dv.setUint8(1, ((src & 0xf) << 4) | (dst & 0xf));
  dv.setInt16(2, off, true);
  dv.setInt32(4, imm, true);
}
