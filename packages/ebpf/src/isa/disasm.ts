// Models kernel/bpf/disasm.c print_bpf_insn (Linux 6.18): the verifier-log
// syntax (`(61) r0 = *(u32 *)(r1 +76)`), and a second printer for the
// uBPF/bpf_conformance dialect accepted by ./asm.ts. Both read the one opcode table.
import { BPF_FUNC_NAMES } from '@tcbpf/uapi';
import type { Insn } from './insn.js';
import { OPCODES, OP_KIND } from './opcodes.js';

const KALU: Readonly<Record<number, string>> = Object.freeze({
  0x00: '+=', 0x10: '-=', 0x20: '*=', 0x30: '/=', 0x40: '|=', 0x50: '&=', 0x60: '<<=', 0x70: '>>=',
  0x90: '%=', 0xa0: '^=', 0xb0: '=', 0xc0: 's>>=',
});
const KJMP: Readonly<Record<number, string>> = Object.freeze({
  0x10: '==', 0x20: '>', 0x30: '>=', 0x40: '&', 0x50: '!=', 0x60: 's>', 0x70: 's>=',
  0xa0: '<', 0xb0: '<=', 0xc0: 's<', 0xd0: 's<=',
});
const KSIZE: Readonly<Record<number, string>> = Object.freeze({ 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' });
const KSSIZE: Readonly<Record<number, string>> = Object.freeze({ 1: 's8', 2: 's16', 4: 's32' });
const KATOMIC: Readonly<Record<number, string>> = Object.freeze({ 0x00: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' });

function sgn(n: number): string {
  return n < 0 ? `${n}` : `+${n}`;
}
function hex(n: number): string {
  return `0x${(n >>> 0).toString(16)}`;
}

/** Options for the kernel-syntax printer. */
export interface KernelDisasmOptions {
  /** Print the `(61) ` opcode prefix as the verifier log does (default true). */
  readonly opcodePrefix?: boolean;
  /** Name LD_IMM64 map loads; default `map[fd:N]` style from the raw fd. */
  readonly mapName?: (src: number, imm: number, imm2: number) => string;
}

/**
 * One instruction in the kernel's verifier-log syntax. `next` is the second
 * slot of an LD_IMM64 (needed for its high half).
 */
export function disasmKernelInsn(i: Insn, next?: Insn, opts: KernelDisasmOptions = {}): string {
  const pre = opts.opcodePrefix === false ? '' : `(${i.code.toString(16).padStart(2, '0')}) `;
  const op = OPCODES[i.code];
  if (op === undefined) return `${pre}unknown opcode ${i.code.toString(16).padStart(2, '0')}`;
  const r = op.is64 || op.cls === 0x05 || op.cls === 0x07 ? 'r' : 'w';
  const { dst, src, off, imm } = i;
  switch (op.kind) {
    case OP_KIND.ALU:
    case OP_KIND.MOV: {
      const signed = (op.op === 0x30 || op.op === 0x90) && off === 1;
      const opstr = signed ? `s${KALU[op.op]!}` : KALU[op.op]!;
      if (op.x) {
        const sx = op.kind === OP_KIND.MOV && off !== 0 ? `(s${off})` : '';
        return `${pre}${r}${dst} ${opstr} ${sx}${r}${src}`;
      }
      return `${pre}${r}${dst} ${opstr} ${imm}`;
    }
    case OP_KIND.NEG:
      return `${pre}${r}${dst} = -${r}${dst}`;
    case OP_KIND.END:
      if (op.is64) return `${pre}r${dst} = bswap${imm} r${dst}`;
      return `${pre}r${dst} = ${op.x ? 'be' : 'le'}${imm} r${dst}`;
    case OP_KIND.JA:
      return `${pre}goto pc${sgn(off)}`;
    case OP_KIND.JCOND_GOTO:
      return `${pre}gotol pc${sgn(imm)}`;
    case OP_KIND.MAY_GOTO:
      return `${pre}may_goto pc${sgn(off)}`;
    case OP_KIND.JMP_COND:
      return op.x
        ? `${pre}if ${r}${dst} ${KJMP[op.op]!} ${r}${src} goto pc${sgn(off)}`
        : `${pre}if ${r}${dst} ${KJMP[op.op]!} ${hex(imm)} goto pc${sgn(off)}`;
    case OP_KIND.CALL:
      if (src === 1) return `${pre}call pc${sgn(imm)}`;
      if (src === 2) return `${pre}call kernel-function#${imm}`;
      return `${pre}call ${BPF_FUNC_NAMES[imm] !== undefined ? `bpf_${BPF_FUNC_NAMES[imm]}` : 'unknown'}#${imm}`;
    case OP_KIND.EXIT:
      return `${pre}exit`;
    case OP_KIND.LDX:
      return `${pre}r${dst} = *(${KSIZE[op.size]!} *)(r${src} ${sgn(off)})`;
    case OP_KIND.LDXSX:
      return `${pre}r${dst} = *(${KSSIZE[op.size]!} *)(r${src} ${sgn(off)})`;
    case OP_KIND.ST:
      return `${pre}*(${KSIZE[op.size]!} *)(r${dst} ${sgn(off)}) = ${imm}`;
    case OP_KIND.STX:
      return `${pre}*(${KSIZE[op.size]!} *)(r${dst} ${sgn(off)}) = r${src}`;
    case OP_KIND.ATOMIC: {
      const sz = KSIZE[op.size]!;
      const a = op.size === 8 ? '64' : '';
      if (imm === 0x100) return `${pre}r${dst} = load_acquire((${sz} *)(r${src} ${sgn(off)}))`;
      if (imm === 0x110) return `${pre}store_release((${sz} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === 0xe1) return `${pre}r${src} = atomic${a}_xchg((${sz} *)(r${dst} ${sgn(off)}), r${src})`;
      if (imm === 0xf1) return `${pre}r0 = atomic${a}_cmpxchg((${sz} *)(r${dst} ${sgn(off)}), r0, r${src})`;
      const name = KATOMIC[imm & ~1];
      if (name === undefined) return `${pre}BUG_STX_ATOMIC ${hex(imm)}`;
      if (imm & 1) return `${pre}r${src} = atomic${a}_fetch_${name}((${sz} *)(r${dst} ${sgn(off)}), r${src})`;
      return `${pre}lock *(${sz} *)(r${dst} ${sgn(off)}) ${KALU[imm & ~1]!} r${src}`;
    }
    case OP_KIND.LD_IMM64: {
      const hi = next?.imm ?? 0;
      if (src !== 0 && opts.mapName) return `${pre}r${dst} = ${opts.mapName(src, imm, hi)}`;
      if (src === 1) return `${pre}r${dst} = map[fd:${imm}]`;
      if (src === 2) return `${pre}r${dst} = map[fd:${imm}][0]+${hi >>> 0}`;
      if (src === 4) return `${pre}r${dst} = subprog[${sgn(imm)}]`;
      const v = (BigInt(hi >>> 0) << 32n) | BigInt(imm >>> 0);
      return `${pre}r${dst} = 0x${v.toString(16)}`;
    }
    case OP_KIND.LD_ABS:
      return `${pre}r0 = *(${KSIZE[op.size]!} *)skb[${imm}]`;
    case OP_KIND.LD_IND:
      return `${pre}r0 = *(${KSIZE[op.size]!} *)skb[r${src} + ${imm}]`;
    default:
      return `${pre}unknown opcode ${i.code.toString(16).padStart(2, '0')}`;
  }
}

/** A whole program in verifier-log syntax, one `N: (code) text` line per instruction. */
export function disasmKernel(insns: readonly Insn[], opts: KernelDisasmOptions = {}): string {
  const lines: string[] = [];
  for (let n = 0; n < insns.length; n++) {
    const i = insns[n]!;
    lines.push(`${n}: ${disasmKernelInsn(i, insns[n + 1], opts)}`);
    if (i.code === 0x18) n++;
  }
  return lines.join('\n');
}

/** One instruction in the uBPF/bpf_conformance dialect (jump targets as `+N`). */
export function disasmConformanceInsn(i: Insn, next?: Insn): string {
  const op = OPCODES[i.code];
  if (op === undefined) return `.insn 0x${i.code.toString(16)}`;
  const { dst, src, off, imm } = i;
  const b = op.name;
  switch (op.kind) {
    case OP_KIND.ALU: {
      const name = (op.op === 0x30 || op.op === 0x90) && off === 1 ? `s${b}` : b;
      return op.x ? `${name} %r${dst}, %r${src}` : `${name} %r${dst}, ${imm}`;
    }
    case OP_KIND.MOV:
      if (op.x && off !== 0) return `movsx${off}${op.is64 ? '64' : '32'} %r${dst}, %r${src}`;
      return op.x ? `${b} %r${dst}, %r${src}` : `${b} %r${dst}, ${imm}`;
    case OP_KIND.NEG:
      return `${b} %r${dst}`;
    case OP_KIND.END:
      return `${b}${imm} %r${dst}`;
    case OP_KIND.JA:
      return `ja ${sgn(off)}`;
    case OP_KIND.JCOND_GOTO:
      return `ja32 ${sgn(imm)}`;
    case OP_KIND.MAY_GOTO:
      return `may_goto ${sgn(off)}`;
    case OP_KIND.JMP_COND:
      return op.x ? `${b} %r${dst}, %r${src}, ${sgn(off)}` : `${b} %r${dst}, ${hex(imm)}, ${sgn(off)}`;
    case OP_KIND.CALL:
      return src === 1 ? `call local ${sgn(imm)}` : `call ${imm}`;
    case OP_KIND.EXIT:
      return 'exit';
    case OP_KIND.LDX:
    case OP_KIND.LDXSX:
      return `${b} %r${dst}, [%r${src}${sgn(off)}]`;
    case OP_KIND.ST:
      return `${b} [%r${dst}${sgn(off)}], ${imm}`;
    case OP_KIND.STX:
      return `${b} [%r${dst}${sgn(off)}], %r${src}`;
    case OP_KIND.ATOMIC: {
      const w = op.size === 4 ? '32' : '';
      if (imm === 0xe1) return `lock xchg${w} [%r${dst}${sgn(off)}], %r${src}`;
      if (imm === 0xf1) return `lock cmpxchg${w} [%r${dst}${sgn(off)}], %r${src}`;
      const name = KATOMIC[imm & ~1] ?? `op${hex(imm)}`;
      return `lock ${imm & 1 ? 'fetch ' : ''}${name}${w} [%r${dst}${sgn(off)}], %r${src}`;
    }
    case OP_KIND.LD_IMM64: {
      const v = (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(imm >>> 0);
      return `lddw %r${dst}, 0x${v.toString(16)}`;
    }
    case OP_KIND.LD_ABS:
      return `${b} ${imm}`;
    case OP_KIND.LD_IND:
      return `${b} %r${src}, ${imm}`;
    default:
      return `.insn 0x${i.code.toString(16)}`;
  }
}

/** A whole program in the conformance dialect, one instruction per line. */
export function disasmConformance(insns: readonly Insn[]): string {
  const lines: string[] = [];
  for (let n = 0; n < insns.length; n++) {
    const i = insns[n]!;
    lines.push(disasmConformanceInsn(i, insns[n + 1]));
    if (i.code === 0x18) n++;
  }
  return lines.join('\n');
}
