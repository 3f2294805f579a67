// Models kernel/bpf/disasm.c (Linux 6.18): print_bpf_insn(), the instruction
// text of verifier logs, e.g. `(61) r2 = *(u32 *)(r1 +76)`.
import { BPF_FUNC_NAMES } from '@tcbpf/uapi';
import type { Insns } from './insn.js';

const ALU_STR: readonly string[] = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian', '?', '?'];
const JMP_STR: readonly string[] = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<=', '?', '?'];
const SIZE_STR: readonly string[] = ['u32', 'u16', 'u8', 'u64'];
const SSIZE_STR: readonly string[] = ['s32', 's16', 's8', 's64'];

function hex2(c: number): string {
  return c.toString(16).padStart(2, '0');
}
function sgn(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}
function hexImm(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** Helper name as the log prints it (`bpf_map_lookup_elem#1`, `unknown#10000`). */
export function funcIdName(id: number): string {
  const n = id >= 0 ? BPF_FUNC_NAMES[id] : undefined;
  return n === undefined ? `unknown` : `bpf_${n}`;
}

/** One instruction as `(code) text`, without index or newline. */
export function disasmInsn(p: Insns, i: number): string {
  const code = p.code[i]!;
  const dst = p.dst[i]!;
  const src = p.src[i]!;
  const off = p.off[i]!;
  const imm = p.imm[i]!;
  const cls = code & 7;
  const h = `(${hex2(code)})`;
  if (cls === 4 || cls === 7) {
    const r = cls === 7 ? 'r' : 'w';
    const op = code & 0xf0;
    const x = (code & 8) !== 0;
    if (op === 0xd0) {
      if (cls === 7) return `${h} r${dst} = bswap${imm} r${dst}`;
      return `${h} r${dst} = ${x ? 'be' : 'le'}${imm} r${dst}`;
    }
    if (op === 0x80) return `${h} ${r}${dst} = -${r}${dst}`;
    if (op === 0xb0 && x && (off === 8 || off === 16 || off === 32)) return `${h} ${r}${dst} = (s${off})${r}${src}`;
    if (op === 0xb0 && x && cls === 7 && off === 1) return `${h} r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
    const s = (op === 0x30 || op === 0x90) && off === 1 ? `s${ALU_STR[op >> 4]!}` : ALU_STR[op >> 4]!;
    return x ? `${h} ${r}${dst} ${s} ${r}${src}` : `${h} ${r}${dst} ${s} ${imm}`;
  }
  if (cls === 3) {
    const mode = code & 0xe0;
    const sz = SIZE_STR[(code >> 3) & 3]!;
    if (mode === 0x60) return `${h} *(${sz} *)(r${dst} ${sgn(off)}) = r${src}`;
    if (mode === 0xc0) {
      const w = (code & 0x18) === 0x18 ? '64' : '';
      const ops: Record<number, string> = { 0: '+=', 0x40: '|=', 0x50: '&=', 0xa0: '^=' };
      const names: Record<number, string> = { 0: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' };
      if (ops[imm] !== undefined) return `${h} lock *(${sz} *)(r${dst} ${sgn(off)}) ${ops[imm]} r${src}`;
      if (names[imm & ~1] !== undefined && (imm & 1) === 1) return `${h} r${src} = atomic${w}_fetch_${names[imm & ~1]!}((${sz} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === 0xf1) return `${h} r0 = atomic${w}_cmpxchg((${sz} *)(r${dst} ${sgn(off)}), r0, r${src})`;
      if (imm === 0xe1) return `${h} r${src} = atomic${w}_xchg((${sz} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === 0x100) return `${h} r${dst} = load_acquire((${sz} *)(r${src} ${sgn(off)}))`;
      if (imm === 0x110) return `${h} store_release((${sz} *)(r${dst} ${sgn(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (cls === 2) return `${h} *(${SIZE_STR[(code >> 3) & 3]!} *)(r${dst} ${sgn(off)}) = ${imm}`;
  if (cls === 1) {
    const mode = code & 0xe0;
    const sz = (mode === 0x80 ? SSIZE_STR : SIZE_STR)[(code >> 3) & 3]!;
    return `${h} r${dst} = *(${sz} *)(r${src} ${sgn(off)})`;
  }
  if (cls === 0) {
    const mode = code & 0xe0;
    const sz = SIZE_STR[(code >> 3) & 3]!;
    if (mode === 0x20) return `${h} r0 = *(${sz} *)skb[${imm}]`;
    if (mode === 0x40) return `${h} r0 = *(${sz} *)skb[r${src} + ${imm}]`;
    if (mode === 0x00 && code === 0x18) {
      const hi = i + 1 < p.len ? p.imm[i + 1]! : 0;
      if (src === 1 || src === 5) return `${h} r${dst} = map[id:${imm}]`;
      if (src === 2 || src === 6) return `${h} r${dst} = map[id:${imm}][0]+${hi}`;
      const v = (BigInt(hi >>> 0) << 32n) | BigInt(imm >>> 0);
      return `${h} r${dst} = 0x${v.toString(16)}`;
    }
    return `${h} BUG_ld_${hex2(code)}`;
  }
  // JMP / JMP32
  const op = code & 0xf0;
  const x = (code & 8) !== 0;
  if (cls === 5 && op === 0x80) {
    if (src === 1) return `${h} call pc${sgn(imm)}`;
    if (src === 2) return `${h} call kernel-function`;
    return `${h} call ${funcIdName(imm)}#${imm}`;
  }
  if (cls === 5 && op === 0x90) return `${h} exit`;
  if (op === 0x00) return cls === 6 ? `${h} gotol pc${sgn(imm)}` : `${h} goto pc${sgn(off)}`;
  if (cls === 5 && op === 0xe0 && src === 0) return `${h} may_goto pc${sgn(off)}`;
  if (op === 0xe0) return x ? `${h} if r${dst} (null) r${src} goto pc${sgn(off)}` : `${h} if r${dst} (null) ${hexImm(imm)} goto pc${sgn(off)}`;
  const r = cls === 6 ? 'w' : 'r';
  return x ? `${h} if ${r}${dst} ${JMP_STR[op >> 4]!} ${r}${src} goto pc${sgn(off)}` : `${h} if ${r}${dst} ${JMP_STR[op >> 4]!} ${hexImm(imm)} goto pc${sgn(off)}`;
}
