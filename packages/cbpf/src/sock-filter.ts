// Models struct sock_filter / struct sock_fprog of include/uapi/linux/filter.h
// (Linux 6.18): 8-byte records { u16 code; u8 jt; u8 jf; u32 k; } in host byte
// order (little-endian on the modelled x86-64 host).
import { KernelError } from '@tcbpf/base';
import { CBPF_LIMITS } from '@tcbpf/uapi';

/** One classic instruction, fields as in `struct sock_filter` (k as an unsigned 32-bit number). */
export interface SockFilter {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** Build an instruction, normalising every field to its C width (u16, u8, u8, u32). */
export function insn(code: number, jt: number, jf: number, k: number): SockFilter {
  return Object.freeze({ code: code & 0xffff, jt: jt & 0xff, jf: jf & 0xff, k: k >>> 0 });
}

/** BPF_STMT(code, k). */
export function stmt(code: number, k: number): SockFilter {
  return insn(code, 0, 0, k);
}

/** BPF_JUMP(code, k, jt, jf). */
export function jump(code: number, k: number, jt: number, jf: number): SockFilter {
  return insn(code, jt, jf, k);
}

/** Encode instructions as the `sock_filter` array the kernel copies in (host order = little-endian). */
export function encodeSockFilters(prog: readonly SockFilter[]): Uint8Array {
  const out = new Uint8Array(prog.length * CBPF_LIMITS.SOCK_FILTER_SIZE);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < prog.length; i++) {
    const f = prog[i]!;
    const o = i * 8;
    dv.setUint16(o, f.code, true); // host order (LE)
    dv.setUint8(o + 2, f.jt);
    dv.setUint8(o + 3, f.jf);
    dv.setUint32(o + 4, f.k >>> 0, true); // host order (LE)
  }
  return out;
}

/**
 * Decode a `sock_filter` array (host order). The length must be a multiple of
 * 8 (EINVAL otherwise, naming the byte length), as cls_bpf requires of TCA_BPF_OPS.
 */
export function decodeSockFilters(bytes: Uint8Array): SockFilter[] {
  if (bytes.length % CBPF_LIMITS.SOCK_FILTER_SIZE !== 0) {
    throw new KernelError('EINVAL', `sock_filter array of ${bytes.length} bytes is not a multiple of 8`, { where: 'sock_filter' });
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: SockFilter[] = [];
  for (let o = 0; o < bytes.length; o += 8) {
    out.push(insn(dv.getUint16(o, true), dv.getUint8(o + 2), dv.getUint8(o + 3), dv.getUint32(o + 4, true)));
  }
  return out;
}
