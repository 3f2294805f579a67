// Models kernel/bpf/core.c bpf_prog_calc_tag (Linux 6.18): the program tag is
// the first BPF_TAG_SIZE (8) bytes of a digest over the instruction image with
// the map-fd / map-value immediates of LD_IMM64 (both slots) zeroed, because fds
// are not stable across processes. Linux 6.18 hashes with SHA-256 (verified on
// this machine: `r0 = 5; exit` has tag c1abe8d4fceb5316 = sha256(image)[0..8]);
// kernels before it used SHA-1 (progTagSha1, for comparing with older kernels).
import { toHex } from '@tcbpf/base';
import { encodeInsns, insn, type Insn } from '../isa/insn.js';
import { sha1 } from './sha1.js';
import { sha256 } from './sha256.js';

/** The instruction image the tag is computed over (map fds zeroed). */
function tagImage(insns: readonly Insn[]): Uint8Array {
  let wasLdMap = false;
  const masked = insns.map((i) => {
    if (!wasLdMap && i.code === 0x18 && (i.src === 1 || i.src === 2)) {
      wasLdMap = true;
      return insn(i.code, i.dst, i.src, i.off, 0);
    }
    if (wasLdMap && i.code === 0 && i.dst === 0 && i.src === 0 && i.off === 0) {
      wasLdMap = false;
      return insn(0, 0, 0, 0, 0);
    }
    wasLdMap = false;
    return i;
  });
  return encodeInsns(masked);
}

/** The 8 tag bytes of a program as Linux 6.18 computes them (SHA-256). */
export function progTagBytes(insns: readonly Insn[]): Uint8Array {
  return sha256(tagImage(insns)).subarray(0, 8);
}

/** The tag kernels before 6.18 report (SHA-1 over the same image), as hex. */
export function progTagSha1(insns: readonly Insn[]): string {
  return toHex(sha1(tagImage(insns)).subarray(0, 8));
}

/** The tag as the kernel prints it (`tc filter show`, bpftool): 16 lower-case hex digits. */
export function progTag(insns: readonly Insn[]): string {
  return toHex(progTagBytes(insns));
}
