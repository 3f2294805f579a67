// Models iproute2's classic-bytecode text handling (lib/bpf_legacy.c,
// bpf_parse_string + bpf_ops_parse, as shipped for Linux 6.18): tc's
// `bytecode "N,code jt jf k,..."` argument and `bytecode-file FILE`, and the
// `bytecode '...'` form `tc filter show` prints. Numbers are read the way
// sscanf("%hu %hhu %hhu %u") reads them (decimal, sign allowed, wrapped to
// the field width). Errors are KernelError(EINVAL) carrying iproute2's message
// (its specific line where it prints one, else its generic closing line).
import { KernelError } from '@tcbpf/base';
import { CBPF_LIMITS } from '@tcbpf/uapi';
import { type SockFilter, insn } from './sock-filter.js';

/** tc's closing line for any bytecode it cannot parse. */
const UNABLE = 'Unable to parse bpf command line';

const WS = new Set([' ', '\t', '\n', '\v', '\f', '\r']);
const ULONG_MAX = (1n << 64n) - 1n;

/** sscanf's %u family: skip blanks, optional sign, decimal digits; strtoul wrap; the value mod 2^bits. */
function scanUnsigned(s: string, pos: number, bits: number): { value: number; next: number } | undefined {
  let i = pos;
  while (i < s.length && WS.has(s[i]!)) i++;
  let neg = false;
  if (s[i] === '+' || s[i] === '-') {
    neg = s[i] === '-';
    i++;
  }
  const start = i;
  while (i < s.length && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i === start) return undefined;
  let v = BigInt(s.slice(start, i));
  if (v > ULONG_MAX) v = ULONG_MAX;
  else if (neg) v = (ULONG_MAX + 1n - v) & ULONG_MAX;
  return { value: Number(v & ((1n << BigInt(bits)) - 1n)), next: i };
}

/**
 * Parse tc's `bytecode` string `N,c jt jf k,...` into instructions, with
 * iproute2's rules and messages (count, comma separator, record count).
 */
export function parseBytecode(str: string): SockFilter[] {
  const lenScan = scanUnsigned(str, 0, 16);
  // iproute2 refuses these three silently, then prints its generic line
  if (lenScan === undefined || str[lenScan.next] !== ',') throw new KernelError('EINVAL', UNABLE, { where: 'bytecode: length' });
  const bpfLen = lenScan.value;
  if (bpfLen === 0 || bpfLen > CBPF_LIMITS.MAXINSNS) throw new KernelError('EINVAL', UNABLE, { where: `bytecode: length ${bpfLen}` });
  const out: SockFilter[] = [];
  let pos = lenScan.next;
  for (;;) {
    const comma = str.indexOf(',', pos);
    if (comma < 0 || comma + 1 >= str.length) break;
    pos = comma + 1;
    if (out.length >= bpfLen) throw new KernelError('EINVAL', 'Real program length exceeds encoded length parameter!', { where: 'bytecode' });
    const code = scanUnsigned(str, pos, 16);
    const jt = code && scanUnsigned(str, code.next, 8);
    const jf = jt && scanUnsigned(str, jt.next, 8);
    const k = jf && scanUnsigned(str, jf.next, 32);
    if (!code || !jt || !jf || !k) throw new KernelError('EINVAL', `Error at instruction ${out.length}!`, { where: 'bytecode', insn: out.length });
    out.push(insn(code.value, jt.value, jf.value, k.value));
  }
  if (out.length !== bpfLen) throw new KernelError('EINVAL', 'Parsed program length is less than encoded length parameter!', { where: 'bytecode' });
  return out;
}

/**
 * The `bytecode-file` transformation: newlines become one comma, runs of
 * blanks collapse to one, everything else is kept — so `tcpdump -ddd` output works.
 */
export function bytecodeFileToString(text: string): string {
  let out = '';
  let prev = ' ';
  for (const c of text) {
    if (c === '\n') {
      if (prev !== ',') out += ',';
      prev = ',';
    } else if (c === ' ' || c === '\t') {
      if (prev !== ' ') out += c;
      prev = ' ';
    } else {
      out += c;
      prev = c;
    }
  }
  return out;
}

/** Parse the contents of a `bytecode-file`. */
export function parseBytecodeFile(text: string): SockFilter[] {
  return parseBytecode(bytecodeFileToString(text));
}

/**
 * Format instructions as tc's bytecode string `N,c jt jf k,...`; `trailingComma`
 * gives bpf_asm's output form, without it the form `tc filter show` prints.
 */
export function formatBytecode(prog: readonly SockFilter[], trailingComma = false): string {
  const body = prog.map((f) => `${f.code} ${f.jt} ${f.jf} ${f.k >>> 0}`).join(',');
  return `${prog.length},${body}${trailingComma ? ',' : ''}`;
}
