// Models the instruction syntax of kernel/bpf/disasm.c (Linux 6.18), i.e. what
// the verifier log and `bpftool prog dump xlated` print, and the close llvm
// objdump syntax: `r0 = *(u32 *)(r1 +76)`, `if w1 s> 0x3 goto pc+2`,
// `lock *(u64 *)(r10 -8) += r1`, `call bpf_map_lookup_elem#1`, `r1 = map[fd:4]`.
// Parses that text back into instructions (the inverse of disasmKernel).
import { KernelError } from '@tcbpf/base';
import { BPF_FUNC } from '@tcbpf/uapi';
import { insn, type Insn } from './insn.js';

const ALU: Readonly<Record<string, number>> = Object.freeze({
  '+=': 0x00, '-=': 0x10, '*=': 0x20, '/=': 0x30, '|=': 0x40, '&=': 0x50, '<<=': 0x60, '>>=': 0x70,
  '%=': 0x90, '^=': 0xa0, '=': 0xb0, 's>>=': 0xc0, 's/=': 0x30, 's%=': 0x90,
});
const JMP: Readonly<Record<string, number>> = Object.freeze({
  '==': 0x10, '>': 0x20, '>=': 0x30, '&': 0x40, '!=': 0x50, 's>': 0x60, 's>=': 0x70,
  '<': 0xa0, '<=': 0xb0, 's<': 0xc0, 's<=': 0xd0,
});
const SIZE: Readonly<Record<string, number>> = Object.freeze({ u8: 0x10, u16: 0x08, u32: 0x00, u64: 0x18, s8: 0x10, s16: 0x08, s32: 0x00 });
const ATOMIC: Readonly<Record<string, number>> = Object.freeze({ add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 });

function err(line: number, msg: string): never {
  throw new KernelError('EINVAL', msg, { where: `line ${line}` });
}

function reg(t: string, line: number): { n: number; w: boolean } {
  const m = /^([rw])(\d+)$/.exec(t);
  if (!m || Number(m[2]) > 10) err(line, `invalid register ${t}`);
  return { n: Number(m[2]), w: m[1] === 'w' };
}

function num(t: string, line: number): bigint {
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(t.trim());
  if (!m) err(line, `invalid number ${t}`);
  const v = BigInt(m[2]!);
  return m[1] === '-' ? -v : v;
}

function imm32(t: string, line: number): number {
  const v = num(t, line);
  if (v < -0x80000000n || v > 0xffffffffn) err(line, `immediate out of range: ${t}`);
  return Number(BigInt.asIntN(32, v));
}

const MEM = String.raw`\(\s*r(\d+)\s*(?:([+-])\s*(\d+|0x[0-9a-f]+))?\s*\)`;

/**
 * Assemble text in the kernel's verifier-log syntax. Accepts an optional
 * `N:` index and `(xx)` opcode prefix on each line, `;`/`//` comments, and
 * `name:` labels usable as jump targets (`goto name`) and bpf-to-bpf call targets
 * (`call name` when `name` is not a helper). Throws KernelError.
 */
export function assembleKernel(source: string): Insn[] {
  const out: Insn[] = [];
  const labels = new Map<string, number>();
  const fixups: { at: number; label: string; line: number; field: 'off' | 'imm' }[] = [];
  const lines = source.split('\n');
  const target = (t: string, line: number, field: 'off' | 'imm'): number => {
    const m = /^(?:pc)?([+-]\d+)$/.exec(t);
    if (m) return Number(m[1]);
    if (!/^[A-Za-z_.][\w.]*$/.test(t)) err(line, `invalid jump target ${t}`);
    fixups.push({ at: out.length, label: t, line, field });
    return 0;
  };
  for (let ln = 0; ln < lines.length; ln++) {
    const line = ln + 1;
    let t = lines[ln]!;
    for (const c of [';', '//']) { const k = t.indexOf(c); if (k >= 0) t = t.slice(0, k); }
    t = t.trim().replace(/^\d+:\s*/, '').replace(/^\([0-9a-f]{2}\)\s*/i, '').trim();
    if (t === '') continue;
    const lab = /^([A-Za-z_.][\w.]*):$/.exec(t);
    if (lab) { labels.set(lab[1]!, out.length); continue; }
    let m: RegExpExecArray | null;
    if (t === 'exit') { out.push(insn(0x95)); continue; }
    if ((m = /^(goto|gotol|may_goto)\s+(\S+)$/.exec(t))) {
      if (m[1] === 'gotol') out.push(insn(0x06, 0, 0, 0, target(m[2]!, line, 'imm')));
      else out.push(insn(m[1] === 'goto' ? 0x05 : 0xe5, 0, 0, target(m[2]!, line, 'off'), 0));
      continue;
    }
    if ((m = /^call\s+(\S+)$/.exec(t))) {
      const c = m[1]!;
      const pc = /^pc([+-]\d+)$/.exec(c);
      if (pc) { out.push(insn(0x85, 0, 1, 0, Number(pc[1]))); continue; }
      const named = /^(?:bpf_)?([a-z_0-9]+?)(?:#(\d+))?$/.exec(c);
      if (/^\d+$/.test(c)) { out.push(insn(0x85, 0, 0, 0, Number(c))); continue; }
      if (named) {
        const id = named[2] !== undefined ? Number(named[2]) : (BPF_FUNC as Readonly<Record<string, number>>)[named[1]!];
        if (id !== undefined) {
          out.push(insn(0x85, 0, 0, 0, id));
          continue;
        }
      }
      // not a helper: a bpf-to-bpf call to a label (`call my_subprog`)
      if (/^[A-Za-z_.][\w.]*$/.test(c)) {
        out.push(insn(0x85, 0, 1, 0, target(c, line, 'imm')));
        continue;
      }
      err(line, `invalid call ${c}`);
    }
    if ((m = /^if\s+([rw]\d+)\s+(s?[<>]=?|==|!=|&)\s+(\S+)\s+goto\s+(\S+)$/.exec(t))) {
      const d = reg(m[1]!, line);
      const op = JMP[m[2]!];
      if (op === undefined) err(line, `invalid comparison ${m[2]!}`);
      const cls = d.w ? 0x06 : 0x05;
      if (/^[rw]\d+$/.test(m[3]!)) {
        const s = reg(m[3]!, line);
        out.push(insn(op | 0x08 | cls, d.n, s.n, target(m[4]!, line, 'off'), 0));
      } else out.push(insn(op | cls, d.n, 0, target(m[4]!, line, 'off'), imm32(m[3]!, line)));
      continue;
    }
    // stores
    if ((m = new RegExp(String.raw`^\*\((u8|u16|u32|u64) \*\)${MEM}\s*=\s*(\S+)$`, 'i').exec(t))) {
      const size = SIZE[m[1]!]!;
      const off = m[3] === undefined ? 0 : Number((m[3] === '-' ? -1n : 1n) * num(m[4]!, line));
      if (/^r\d+$/.test(m[5]!)) out.push(insn(0x63 | size, Number(m[2]), reg(m[5]!, line).n, off, 0));
      else out.push(insn(0x62 | size, Number(m[2]), 0, off, imm32(m[5]!, line)));
      continue;
    }
    if ((m = new RegExp(String.raw`^lock \*\((u32|u64) \*\)${MEM}\s*(\+=|\|=|&=|\^=)\s*r(\d+)$`).exec(t))) {
      const opn = { '+=': 0x00, '|=': 0x40, '&=': 0x50, '^=': 0xa0 }[m[5]! as '+='];
      const off = m[3] === undefined ? 0 : Number((m[3] === '-' ? -1n : 1n) * num(m[4]!, line));
      out.push(insn(m[1] === 'u64' ? 0xdb : 0xc3, Number(m[2]), Number(m[6]), off, opn));
      continue;
    }
    if ((m = new RegExp(String.raw`^store_release\(\((u8|u16|u32|u64) \*\)${MEM},\s*r(\d+)\)$`).exec(t))) {
      const off = m[3] === undefined ? 0 : Number((m[3] === '-' ? -1n : 1n) * num(m[4]!, line));
      out.push(insn(0xc3 | SIZE[m[1]!]!, Number(m[2]), Number(m[5]), off, 0x110));
      continue;
    }
    // everything else is "dst op src"
    if (!(m = /^([rw]\d+)\s+(s?[-+*/%|&^]?=|<<=|s?>>=)\s+(.+)$/.exec(t))) err(line, `cannot parse "${t}"`);
    const d = reg(m[1]!, line);
    const opstr = m[2]!;
    const rhs = m[3]!.trim();
    const cls = d.w ? 0x04 : 0x07;
    if (opstr === '=') {
      let r: RegExpExecArray | null;
      if (/^-([rw]\d+)$/.test(rhs)) { out.push(insn(d.w ? 0x84 : 0x87, d.n)); continue; }
      if ((r = /^(be|le|bswap)(16|32|64)\s+[rw]\d+$/.exec(rhs))) {
        out.push(insn(r[1] === 'le' ? 0xd4 : r[1] === 'be' ? 0xdc : 0xd7, d.n, 0, 0, Number(r[2])));
        continue;
      }
      if ((r = /^\(s(8|16|32)\)([rw]\d+)$/.exec(rhs))) { out.push(insn(cls | 0xb8, d.n, reg(r[2]!, line).n, Number(r[1]), 0)); continue; }
      if (/^[rw]\d+$/.test(rhs)) { out.push(insn(cls | 0xb8, d.n, reg(rhs, line).n, 0, 0)); continue; }
      if ((r = new RegExp(String.raw`^\*\((u8|u16|u32|u64|s8|s16|s32) \*\)${MEM}$`).exec(rhs))) {
        const off = r[3] === undefined ? 0 : Number((r[3] === '-' ? -1n : 1n) * num(r[4]!, line));
        out.push(insn((r[1]!.startsWith('s') ? 0x81 : 0x61) | SIZE[r[1]!]!, d.n, Number(r[2]), off, 0));
        continue;
      }
      if ((r = /^\*\((u8|u16|u32) \*\)skb\[(?:r(\d+)\s*\+\s*)?(-?\w+)\]$/.exec(rhs))) {
        const size = SIZE[r[1]!]!;
        if (r[2] !== undefined) out.push(insn(0x40 | size, 0, Number(r[2]), 0, imm32(r[3]!, line)));
        else out.push(insn(0x20 | size, 0, 0, 0, imm32(r[3]!, line)));
        continue;
      }
      if ((r = new RegExp(String.raw`^atomic(64)?_(fetch_(add|or|and|xor)|xchg)\(\((u32|u64) \*\)${MEM},\s*r(\d+)\)$`).exec(rhs))) {
        const off = r[6] === undefined ? 0 : Number((r[6] === '-' ? -1n : 1n) * num(r[7]!, line));
        const a = r[2] === 'xchg' ? 0xe1 : ATOMIC[r[3]!]! | 1;
        out.push(insn(r[4] === 'u64' ? 0xdb : 0xc3, Number(r[5]), Number(r[8]), off, a));
        continue;
      }
      if ((r = new RegExp(String.raw`^atomic(64)?_cmpxchg\(\((u32|u64) \*\)${MEM},\s*r0,\s*r(\d+)\)$`).exec(rhs))) {
        const off = r[4] === undefined ? 0 : Number((r[4] === '-' ? -1n : 1n) * num(r[5]!, line));
        out.push(insn(r[2] === 'u64' ? 0xdb : 0xc3, Number(r[3]), Number(r[6]), off, 0xf1));
        continue;
      }
      if ((r = new RegExp(String.raw`^load_acquire\(\((u8|u16|u32|u64) \*\)${MEM}\)$`).exec(rhs))) {
        const off = r[3] === undefined ? 0 : Number((r[3] === '-' ? -1n : 1n) * num(r[4]!, line));
        out.push(insn(0xc3 | SIZE[r[1]!]!, d.n, Number(r[2]), off, 0x100));
        continue;
      }
      if ((r = /^map\[(fd|idx):(\d+)\](?:\[0\]\+(\d+))?$/.exec(rhs))) {
        const value = r[3] !== undefined;
        const src = r[1] === 'fd' ? (value ? 2 : 1) : value ? 6 : 5;
        out.push(insn(0x18, d.n, src, 0, Number(r[2])), insn(0, 0, 0, 0, value ? Number(r[3]) : 0));
        continue;
      }
      if ((r = /^subprog\[([+-]\d+)\]$/.exec(rhs))) {
        out.push(insn(0x18, d.n, 4, 0, Number(r[1])), insn(0, 0, 0, 0, 0));
        continue;
      }
      if ((r = /^(\S+?)(\s+ll)?$/.exec(rhs))) {
        const v = num(r[1]!, line);
        const fits = v >= -0x80000000n && v <= 0x7fffffffn;
        if (d.w) { out.push(insn(0xb4, d.n, 0, 0, imm32(r[1]!, line))); continue; }
        if (r[2] === undefined && fits) { out.push(insn(0xb7, d.n, 0, 0, Number(v))); continue; }
        if (v < -(1n << 63n) || v >= 1n << 64n) err(line, `immediate out of range: ${r[1]!}`);
        const u = BigInt.asUintN(64, v);
        out.push(insn(0x18, d.n, 0, 0, Number(BigInt.asIntN(32, u))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))));
        continue;
      }
      err(line, `cannot parse "${t}"`);
    }
    const op = ALU[opstr];
    if (op === undefined) err(line, `invalid operator ${opstr}`);
    const signed = opstr === 's/=' || opstr === 's%=' ? 1 : 0;
    if (/^[rw]\d+$/.test(rhs)) out.push(insn(cls | op | 0x08, d.n, reg(rhs, line).n, signed, 0));
    else out.push(insn(cls | op, d.n, 0, signed, imm32(rhs, line)));
  }
  for (const f of fixups) {
    const at = labels.get(f.label);
    if (at === undefined) err(f.line, `unknown label ${f.label}`);
    const i = out[f.at]!;
    const rel = at - (f.at + 1);
    out[f.at] = f.field === 'off' ? insn(i.code, i.dst, i.src, rel, i.imm) : insn(i.code, i.dst, i.src, i.off, rel);
  }
  return out;
}
