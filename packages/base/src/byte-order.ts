// Byte-order reads and writes on Uint8Array, named for the order they use.
// Netlink headers and bpf_insn are host order; this project fixes the host as
// little-endian (x86-64, the kernel we test against): HOST_LITTLE_ENDIAN.
// Packet fields are big-endian (network order). None of these allocate.

/** The modelled host is x86-64: little-endian. */
export const HOST_LITTLE_ENDIAN = true;

export function u16be(b: Uint8Array, off: number): number {
  return ((b[off]! << 8) | b[off + 1]!) >>> 0;
}
export function u32be(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
export function u16le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8)) >>> 0;
}
export function u32le(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) >>> 0;
}
export function putU16be(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
export function putU32be(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}
export function putU16le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
}
export function putU32le(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}
/** Host order = little-endian (see HOST_LITTLE_ENDIAN). */
export const u16host = u16le;
export const u32host = u32le;
export const putU16host = putU16le;
export const putU32host = putU32le;

/** Lower-case hex of a byte range, no separators. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Parse hex (whitespace and ':' ignored); throws RangeError on odd length or bad digits. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/[\s:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new RangeError(`bad hex string (${clean.length} digits)`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
