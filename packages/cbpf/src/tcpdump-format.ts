// The text forms libpcap prints for a compiled filter (libpcap 1.10
// bpf_dump.c / bpf_image.c, as used by `tcpdump -d/-dd/-ddd`): the -ddd
// decimal listing tc's bytecode-file accepts, the -dd C initialisers and the
// -d disassembly, reproduced line for line; plus a parser for -ddd output.
// Not kernel code: libpcap is the oracle for these formats.
import { KernelError } from '@tcbpf/base';
import { CBPF_LIMITS } from '@tcbpf/uapi';
import { OP } from './opcodes.js';
import { type SockFilter, insn } from './sock-filter.js';

/** libpcap's symbolic names of the Linux ancillary offsets (bpf_image's `offsets[]`). */
const ANC_NAMES: Readonly<Record<number, string>> = Object.freeze({
  0: 'proto', 4: 'type', 8: 'ifidx', 12: 'nla', 16: 'nlan', 20: 'mark', 24: 'queue', 28: 'hatype', 32: 'rxhash',
  36: 'cpu', 40: 'xor_x', 44: 'vlan_tci', 48: 'vlanp', 52: 'poff', 56: 'random', 60: 'vlan_tpid',
});

const s32 = (k: number): number => k | 0;
const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`;

function absOperand(k: number): string {
  const u = k >>> 0;
  if (u >= 0xfffff000 && u < 0xfffff000 + 64) {
    const name = ANC_NAMES[u - 0xfffff000];
    if (name !== undefined) return `[${name}]`;
  }
  return `[${s32(k)}]`;
}

/** One line of `tcpdump -d` (libpcap bpf_image) for instruction `n`. */
export function disassembleInsn(f: SockFilter, n: number): string {
  const k = f.k >>> 0;
  let op: string;
  let operand: string;
  switch (f.code) {
    case OP.RET_K: op = 'ret'; operand = `#${s32(k)}`; break;
    case OP.RET_A: op = 'ret'; operand = ''; break;
    case OP.LD_W_ABS: op = 'ld'; operand = absOperand(k); break;
    case OP.LD_H_ABS: op = 'ldh'; operand = absOperand(k); break;
    case OP.LD_B_ABS: op = 'ldb'; operand = absOperand(k); break;
    case OP.LD_LEN: op = 'ld'; operand = '#pktlen'; break;
    case OP.LD_W_IND: op = 'ld'; operand = `[x + ${s32(k)}]`; break;
    case OP.LD_H_IND: op = 'ldh'; operand = `[x + ${s32(k)}]`; break;
    case OP.LD_B_IND: op = 'ldb'; operand = `[x + ${s32(k)}]`; break;
    case OP.LD_IMM: op = 'ld'; operand = `#${hex(k)}`; break;
    case OP.LDX_IMM: op = 'ldx'; operand = `#${hex(k)}`; break;
    case OP.LDX_MSH: op = 'ldxb'; operand = `4*([${s32(k)}]&0xf)`; break;
    case OP.LD_MEM: op = 'ld'; operand = `M[${s32(k)}]`; break;
    case OP.LDX_MEM: op = 'ldx'; operand = `M[${s32(k)}]`; break;
    case OP.ST: op = 'st'; operand = `M[${s32(k)}]`; break;
    case OP.STX: op = 'stx'; operand = `M[${s32(k)}]`; break;
    case OP.JA: op = 'ja'; operand = `${s32(n + 1 + k)}`; break;
    case OP.JGT_K: op = 'jgt'; operand = `#${hex(k)}`; break;
    case OP.JGE_K: op = 'jge'; operand = `#${hex(k)}`; break;
    case OP.JEQ_K: op = 'jeq'; operand = `#${hex(k)}`; break;
    case OP.JSET_K: op = 'jset'; operand = `#${hex(k)}`; break;
    case OP.JGT_X: op = 'jgt'; operand = 'x'; break;
    case OP.JGE_X: op = 'jge'; operand = 'x'; break;
    case OP.JEQ_X: op = 'jeq'; operand = 'x'; break;
    case OP.JSET_X: op = 'jset'; operand = 'x'; break;
    case OP.ADD_X: op = 'add'; operand = 'x'; break;
    case OP.SUB_X: op = 'sub'; operand = 'x'; break;
    case OP.MUL_X: op = 'mul'; operand = 'x'; break;
    case OP.DIV_X: op = 'div'; operand = 'x'; break;
    case OP.MOD_X: op = 'mod'; operand = 'x'; break;
    case OP.AND_X: op = 'and'; operand = 'x'; break;
    case OP.OR_X: op = 'or'; operand = 'x'; break;
    case OP.XOR_X: op = 'xor'; operand = 'x'; break;
    case OP.LSH_X: op = 'lsh'; operand = 'x'; break;
    case OP.RSH_X: op = 'rsh'; operand = 'x'; break;
    case OP.ADD_K: op = 'add'; operand = `#${s32(k)}`; break;
    case OP.SUB_K: op = 'sub'; operand = `#${s32(k)}`; break;
    case OP.MUL_K: op = 'mul'; operand = `#${s32(k)}`; break;
    case OP.DIV_K: op = 'div'; operand = `#${s32(k)}`; break;
    case OP.MOD_K: op = 'mod'; operand = `#${s32(k)}`; break;
    case OP.AND_K: op = 'and'; operand = `#${hex(k)}`; break;
    case OP.OR_K: op = 'or'; operand = `#${hex(k)}`; break;
    case OP.XOR_K: op = 'xor'; operand = `#${hex(k)}`; break;
    case OP.LSH_K: op = 'lsh'; operand = `#${s32(k)}`; break;
    case OP.RSH_K: op = 'rsh'; operand = `#${s32(k)}`; break;
    case OP.NEG: op = 'neg'; operand = ''; break;
    case OP.TAX: op = 'tax'; operand = ''; break;
    case OP.TXA: op = 'txa'; operand = ''; break;
    default: op = 'unimp'; operand = hex(f.code); break;
  }
  const num = String(n).padStart(3, '0');
  if ((f.code & 0x07) === 0x05 && (f.code & 0xf0) !== 0x00) {
    return `(${num}) ${op.padEnd(8)} ${operand.padEnd(16)} jt ${n + 1 + f.jt}\tjf ${n + 1 + f.jf}`;
  }
  return `(${num}) ${op.padEnd(8)} ${operand}`;
}

/** `tcpdump -d` output for a program: one line per instruction, each ending in a newline. */
export function disassemble(prog: readonly SockFilter[]): string {
  return prog.map((f, i) => `${disassembleInsn(f, i)}\n`).join('');
}

/** `tcpdump -ddd` output: the count, then `code jt jf k` in decimal per line. */
export function formatDdd(prog: readonly SockFilter[]): string {
  return `${prog.length}\n${prog.map((f) => `${f.code} ${f.jt} ${f.jf} ${f.k >>> 0}\n`).join('')}`;
}

/** `tcpdump -dd` output: C initialisers `{ 0x28, 0, 0, 0x0000000c },`. */
export function formatDd(prog: readonly SockFilter[]): string {
  return prog.map((f) => `{ 0x${f.code.toString(16)}, ${f.jt}, ${f.jf}, 0x${(f.k >>> 0).toString(16).padStart(8, '0')} },\n`).join('');
}

function field(tok: string | undefined, max: number, line: number, what: string): number {
  if (tok === undefined || !/^\d+$/.test(tok)) throw new KernelError('EINVAL', `line ${line}: ${what} is not a decimal number`, { where: 'tcpdump -ddd' });
  const v = Number(tok);
  if (v > max) throw new KernelError('EINVAL', `line ${line}: ${what} ${tok} exceeds ${max}`, { where: 'tcpdump -ddd' });
  return v;
}

/**
 * Parse `tcpdump -ddd` output strictly: a count line, then exactly that many
 * `code jt jf k` lines (decimal, in range). Blank trailing lines are ignored.
 */
export function parseDdd(text: string): SockFilter[] {
  const lines = text.split('\n').map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const n = field(lines[0], CBPF_LIMITS.MAXINSNS, 1, 'instruction count');
  if (n === 0) throw new KernelError('EINVAL', 'line 1: instruction count is 0', { where: 'tcpdump -ddd' });
  if (lines.length - 1 !== n) throw new KernelError('EINVAL', `count says ${n} instructions, found ${lines.length - 1}`, { where: 'tcpdump -ddd' });
  const out: SockFilter[] = [];
  for (let i = 1; i <= n; i++) {
    const t = lines[i]!.split(/\s+/);
    if (t.length !== 4) throw new KernelError('EINVAL', `line ${i + 1}: expected 4 fields, found ${t.length}`, { where: 'tcpdump -ddd' });
    out.push(insn(field(t[0], 0xffff, i + 1, 'code'), field(t[1], 0xff, i + 1, 'jt'), field(t[2], 0xff, i + 1, 'jf'), field(t[3], 0xffffffff, i + 1, 'k')));
  }
  return out;
}
