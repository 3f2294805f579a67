// Models the eBPF assembly dialect of the uBPF / bpf_conformance test suites
// (`add32 %r0, 1`, `ldxw %r0, [%r1+4]`, `lock fetch add [%r10-8], %r1`,
// `jeq %r1, 0xb, label`) targeting the instruction encoding of
// include/uapi/linux/bpf.h (Linux 6.18). Written from the suite's format
// description; no code of those projects is used.
import { KernelError } from '@tcbpf/base';
import { insn, type Insn } from './insn.js';

const ALU_OPS: Readonly<Record<string, number>> = Object.freeze({
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70,
  mod: 0x90, xor: 0xa0, mov: 0xb0, arsh: 0xc0, sdiv: 0x30, smod: 0x90,
});
const JMP_OPS: Readonly<Record<string, number>> = Object.freeze({
  jeq: 0x10, jgt: 0x20, jge: 0x30, jset: 0x40, jne: 0x50, jsgt: 0x60, jsge: 0x70,
  jlt: 0xa0, jle: 0xb0, jslt: 0xc0, jsle: 0xd0,
});
const SIZES: Readonly<Record<string, number>> = Object.freeze({ w: 0x00, h: 0x08, b: 0x10, dw: 0x18 });
const ATOMIC_OPS: Readonly<Record<string, number>> = Object.freeze({ add: 0x00, or: 0x40, and: 0x50, xor: 0xa0 });

/** A pending jump or call whose target is a label. */
interface Fixup {
  readonly at: number;
  readonly label: string;
  readonly line: number;
  /** Which field receives the relative offset. */
  readonly field: 'off' | 'imm';
}

function err(line: number, msg: string): never {
  throw new KernelError('EINVAL', msg, { where: `line ${line}` });
}

function parseReg(tok: string | undefined, line: number): number {
  const m = /^%r(\d+)$/.exec(tok ?? '');
  if (!m) err(line, `Invalid register ${tok ?? '(missing)'}`);
  const r = Number(m[1]);
  if (r > 10) err(line, `Invalid register ${tok}`);
  return r;
}

/** Parse an integer literal: decimal (signed) or hex (`0x`, optional `-`). Returns a bigint. */
function parseIntLit(tok: string | undefined, line: number): { value: bigint; hex: boolean } {
  const t = (tok ?? '').trim();
  const m = /^([+-]?)(0x[0-9a-f]+|\d+)$/i.exec(t);
  if (!m) err(line, `Invalid immediate ${tok ?? '(missing)'}`);
  const v = BigInt(m[2]!);
  return { value: m[1] === '-' ? -v : v, hex: /^0x/i.test(m[2]!) };
}

/** A 32-bit immediate: decimal in [-2^31, 2^31), hex in [-2^31, 2^32). Returns int32. */
function parseImm32(tok: string | undefined, line: number): number {
  const { value, hex } = parseIntLit(tok, line);
  const max = hex ? 0xffffffffn : 0x7fffffffn;
  if (value < -0x80000000n || value > max) err(line, `Immediate out of range: ${tok}`);
  return Number(BigInt.asIntN(32, value));
}

function parseOff16(tok: string, line: number): number {
  const { value } = parseIntLit(tok, line);
  if (value < -0x8000n || value > 0x7fffn) err(line, `Offset out of range: ${tok}`);
  return Number(value);
}

/** `[%rN+off]` / `[%rN-off]` / `[%rN]`. */
function parseMem(tok: string | undefined, line: number): { reg: number; off: number } {
  const m = /^\[\s*(%r\d+)\s*(?:([+-])\s*(\S+?))?\s*\]$/.exec((tok ?? '').trim());
  if (!m) err(line, `Invalid memory operand ${tok ?? '(missing)'}`);
  const reg = parseReg(m[1], line);
  const off = m[2] === undefined ? 0 : parseOff16(m[2] + m[3]!, line);
  return { reg, off };
}

function splitOperands(rest: string): string[] {
  const t = rest.trim();
  if (t === '') return [];
  return t.split(',').map((s) => s.trim());
}

function want(ops: readonly string[], n: number, mnem: string, line: number): void {
  if (ops.length !== n) err(line, `Invalid number of operands for ${mnem}`);
}

/**
 * Assemble the uBPF/bpf_conformance dialect into instructions. Labels are
 * `name:` lines; jump targets are labels or `+N`/`-N` (`exit` without an
 * `exit:` label means the next exit instruction, as the suite uses it). Throws KernelError(EINVAL)
 * naming the line on any error.
 */
export function assemble(source: string): Insn[] {
  const out: Insn[] = [];
  const labels = new Map<string, number>();
  const fixups: Fixup[] = [];
  const lines = source.split('\n');
  const target = (tok: string | undefined, line: number, field: 'off' | 'imm'): number => {
    const t = (tok ?? '').trim();
    if (t === '') err(line, 'Invalid number of operands');
    if (/^[+-]\d+$/.test(t)) return Number(t);
    if (!/^[A-Za-z_.][\w.]*$/.test(t)) err(line, `Invalid label ${t}`);
    fixups.push({ at: out.length, label: t, line, field });
    return 0;
  };
  for (let ln = 0; ln < lines.length; ln++) {
    const line = ln + 1;
    let text = lines[ln]!;
    const hash = text.indexOf('#');
    if (hash >= 0) text = text.slice(0, hash);
    text = text.trim();
    if (text === '') continue;
    const lab = /^([A-Za-z_.][\w.]*)\s*:\s*(.*)$/.exec(text);
    if (lab) {
      if (labels.has(lab[1]!)) err(line, `Duplicate label ${lab[1]!}`);
      labels.set(lab[1]!, out.length);
      text = lab[2]!.trim();
      if (text === '') continue;
    }
    const sp = /^(\S+)\s*(.*)$/.exec(text)!;
    const mnem = sp[1]!.toLowerCase();
    const rest = sp[2]!;
    const ops = splitOperands(rest);
    // lock [fetch] op[32] [mem], %rs
    if (mnem === 'lock') {
      const m = /^(fetch\s+)?(\w+?)(32)?\s+(\[[^\]]*\])\s*,\s*(%r\d+)\s*$/.exec(rest.trim());
      if (!m) err(line, 'Invalid number of operands for lock');
      const is32 = m[3] !== undefined;
      const mem = parseMem(m[4], line);
      const src = parseReg(m[5], line);
      const name = m[2]!;
      let imm: number;
      if (name === 'xchg') imm = 0xe1;
      else if (name === 'cmpxchg') imm = 0xf1;
      else if (ATOMIC_OPS[name] !== undefined) imm = ATOMIC_OPS[name] | (m[1] ? 1 : 0);
      else err(line, `Invalid atomic operation ${name}`);
      out.push(insn(0xc3 | (is32 ? 0x00 : 0x18), mem.reg, src, mem.off, imm));
      continue;
    }
    if (mnem === 'exit') { want(ops, 0, mnem, line); out.push(insn(0x95)); continue; }
    if (mnem === 'ja' || mnem === 'ja32') {
      want(ops, 1, mnem, line);
      if (mnem === 'ja') out.push(insn(0x05, 0, 0, target(ops[0], line, 'off'), 0));
      else out.push(insn(0x06, 0, 0, 0, target(ops[0], line, 'imm')));
      continue;
    }
    if (mnem === 'call') {
      const t = rest.trim();
      const loc = /^local\s+(\S+)$/.exec(t);
      if (loc) { out.push(insn(0x85, 0, 1, 0, target(loc[1], line, 'imm'))); continue; }
      if (/^%r\d+$/.test(t)) { out.push(insn(0x8d, parseReg(t, line), 0, 0, 0)); continue; } // callx (not Linux)
      want(ops, 1, mnem, line);
      out.push(insn(0x85, 0, 0, 0, parseImm32(ops[0], line)));
      continue;
    }
    if (mnem === 'lddw') {
      want(ops, 2, mnem, line);
      const dst = parseReg(ops[0], line);
      const { value } = parseIntLit(ops[1], line);
      if (value < -(1n << 63n) || value > (1n << 64n) - 1n) err(line, `Immediate out of range: ${ops[1]!}`);
      const u = BigInt.asUintN(64, value);
      out.push(insn(0x18, dst, 0, 0, Number(BigInt.asIntN(32, u))), insn(0, 0, 0, 0, Number(BigInt.asIntN(32, u >> 32n))));
      continue;
    }
    let m: RegExpExecArray | null;
    if ((m = /^(be|le|bswap|swap)(16|32|64)$/.exec(mnem))) {
      want(ops, 1, mnem, line);
      const code = m[1] === 'le' ? 0xd4 : m[1] === 'be' ? 0xdc : 0xd7;
      out.push(insn(code, parseReg(ops[0], line), 0, 0, Number(m[2])));
      continue;
    }
    if ((m = /^neg(32|64)?$/.exec(mnem))) {
      want(ops, 1, mnem, line);
      out.push(insn(m[1] === '32' ? 0x84 : 0x87, parseReg(ops[0], line)));
      continue;
    }
    if ((m = /^movsx(8|16|32)(32|64)$/.exec(mnem))) {
      want(ops, 2, mnem, line);
      if (m[2] === '32' && m[1] === '32') err(line, `Invalid mnemonic ${mnem}`);
      out.push(insn(m[2] === '32' ? 0xbc : 0xbf, parseReg(ops[0], line), parseReg(ops[1], line), Number(m[1]), 0));
      continue;
    }
    if ((m = /^(add|sub|mul|div|or|and|lsh|rsh|mod|xor|mov|arsh|sdiv|smod)(32|64)?$/.exec(mnem))) {
      want(ops, 2, mnem, line);
      const cls = m[2] === '32' ? 0x04 : 0x07;
      const op = ALU_OPS[m[1]!]!;
      const off = m[1] === 'sdiv' || m[1] === 'smod' ? 1 : 0;
      const dst = parseReg(ops[0], line);
      if (ops[1]!.startsWith('%')) out.push(insn(op | 0x08 | cls, dst, parseReg(ops[1], line), off, 0));
      else out.push(insn(op | cls, dst, 0, off, parseImm32(ops[1], line)));
      continue;
    }
    if ((m = /^(j[a-z]+?)(32)?$/.exec(mnem)) && JMP_OPS[m[1]!] !== undefined) {
      want(ops, 3, mnem, line);
      const cls = m[2] === '32' ? 0x06 : 0x05;
      const op = JMP_OPS[m[1]!]!;
      const dst = parseReg(ops[0], line);
      if (ops[1]!.startsWith('%')) {
        const src = parseReg(ops[1], line);
        out.push(insn(op | 0x08 | cls, dst, src, target(ops[2], line, 'off'), 0));
      } else {
        const imm = parseImm32(ops[1], line);
        out.push(insn(op | cls, dst, 0, target(ops[2], line, 'off'), imm));
      }
      continue;
    }
    if ((m = /^ldx(s?)(b|h|w|dw)$/.exec(mnem))) {
      want(ops, 2, mnem, line);
      if (m[1] === 's' && m[2] === 'dw') err(line, `Invalid mnemonic ${mnem}`);
      const dst = parseReg(ops[0], line);
      const mem = parseMem(ops[1], line);
      out.push(insn((m[1] === 's' ? 0x80 : 0x60) | SIZES[m[2]!]! | 0x01, dst, mem.reg, mem.off, 0));
      continue;
    }
    if ((m = /^st(x?)(b|h|w|dw)$/.exec(mnem))) {
      want(ops, 2, mnem, line);
      const mem = parseMem(ops[0], line);
      if (m[1] === 'x') out.push(insn(0x60 | SIZES[m[2]!]! | 0x03, mem.reg, parseReg(ops[1], line), mem.off, 0));
      else out.push(insn(0x60 | SIZES[m[2]!]! | 0x02, mem.reg, 0, mem.off, parseImm32(ops[1], line)));
      continue;
    }
    if ((m = /^ld(abs|ind)(b|h|w)$/.exec(mnem))) {
      if (m[1] === 'abs') { want(ops, 1, mnem, line); out.push(insn(0x20 | SIZES[m[2]!]!, 0, 0, 0, parseImm32(ops[0], line))); }
      else { want(ops, 2, mnem, line); out.push(insn(0x40 | SIZES[m[2]!]!, 0, parseReg(ops[0], line), 0, parseImm32(ops[1], line))); }
      continue;
    }
    err(line, `Invalid mnemonic ${mnem}`);
  }
  for (const f of fixups) {
    let t = labels.get(f.label);
    // uBPF-suite convention: `exit` as a target without an `exit:` label is the next exit instruction
    if (t === undefined && f.label === 'exit') {
      const k = out.findIndex((i, n) => n > f.at && i.code === 0x95);
      if (k >= 0) t = k;
    }
    if (t === undefined) err(f.line, `Invalid label ${f.label}`);
    const rel = t - (f.at + 1);
    const i = out[f.at]!;
    if (f.field === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) err(f.line, `Jump offset out of range to ${f.label}`);
      out[f.at] = insn(i.code, i.dst, i.src, rel, i.imm);
    } else out[f.at] = insn(i.code, i.dst, i.src, i.off, rel);
  }
  return out;
}
