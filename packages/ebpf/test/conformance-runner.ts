// Test support: parse and run bpf_conformance `.data` files on the interpreter
// with the suite's runner semantics (r1 = pointer to mem, r2 = its length,
// r10 = 512-byte stack frame, result = final r0 as u64).
import { readFileSync } from 'node:fs';
import { BPF_PROG_TYPE } from '@tcbpf/uapi';
import {
  AddressSpace, BpfSyscall, REGION, RUN_STATUS, assemble, insn, makeProgType, type Insn,
} from '../src/index.js';

export interface ConformanceFile {
  readonly asm: string | undefined;
  readonly raw: Insn[] | undefined;
  readonly mem: Uint8Array;
  readonly result: bigint | undefined;
  readonly error: string | undefined;
}

export function parseDataFile(text: string): ConformanceFile {
  const sections = new Map<string, string[]>();
  let cur: string | undefined;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*$/, '');
    const sec = /^\s*--\s*(.*)$/.exec(line);
    if (sec) { cur = sec[1]!.trim().toLowerCase(); sections.set(cur, []); continue; }
    if (cur !== undefined) sections.get(cur)!.push(line);
  }
  const asm = sections.get('asm')?.join('\n');
  let raw: Insn[] | undefined;
  const rawLines = sections.get('raw');
  if (rawLines) {
    raw = [];
    for (const l of rawLines) {
      const toks = l.trim().split(/\s+/).filter((t) => t !== '');
      if (toks.length === 0) continue;
      if (toks.length === 8 && toks.every((t) => /^[0-9a-f]{2}$/i.test(t))) {
        const b = toks.map((t) => parseInt(t, 16));
        const dv = new DataView(new Uint8Array(b).buffer);
        raw.push(insn(b[0]!, b[1]! & 0xf, b[1]! >> 4, dv.getInt16(2, true), dv.getInt32(4, true)));
        continue;
      }
      for (const t of toks) {
        const v = BigInt(t); // "0x…" hex or decimal u64, opcode in the low byte
        const lo = Number(v & 0xffffffffn), hi = Number((v >> 32n) & 0xffffffffn);
        raw.push(insn(lo & 0xff, (lo >> 8) & 0xf, (lo >> 12) & 0xf, (lo >>> 16) << 16 >> 16, hi | 0));
      }
    }
  }
  const memToks = (sections.get('mem') ?? []).join(' ').trim().split(/\s+/).filter((t) => t !== '');
  const mem = new Uint8Array(memToks.map((t) => parseInt(t, 16)));
  const resLines = sections.get('result')?.join(' ').trim();
  const result = resLines ? BigInt.asUintN(64, BigInt(resLines)) : undefined;
  const errLines = sections.get('error');
  const error = errLines === undefined ? undefined : errLines.join('\n').trim();
  return { asm, raw, mem, result, error };
}

/** The outcome of one file: the result, or why it was refused. */
export type Outcome =
  | { readonly kind: 'result'; readonly r0: bigint }
  | { readonly kind: 'refused'; readonly stage: 'assemble' | 'load' | 'run'; readonly message: string };

const CONFORMANCE_TYPE = makeProgType({ type: BPF_PROG_TYPE.SOCKET_FILTER, name: 'conformance', ctxSize: 0 });

/** Assemble (or take raw), load through BpfSyscall (structural checks) and run. */
export function runFile(path: string): { file: ConformanceFile; outcome: Outcome } {
  const file = parseDataFile(readFileSync(path, 'utf8'));
  let insns: Insn[];
  try {
    insns = file.raw ?? assemble(file.asm ?? '');
  } catch (e) {
    return { file, outcome: { kind: 'refused', stage: 'assemble', message: (e as Error).message } };
  }
  const sys = new BpfSyscall({ progTypes: [CONFORMANCE_TYPE] });
  let fd: number;
  try {
    fd = sys.progLoad({ progType: BPF_PROG_TYPE.SOCKET_FILTER, insns, license: 'GPL' });
  } catch (e) {
    return { file, outcome: { kind: 'refused', stage: 'load', message: (e as Error).message } };
  }
  const memCopy = new Uint8Array(Math.max(file.mem.length, 1));
  memCopy.set(file.mem);
  sys.mem.bind(REGION.CTX, 'mem', memCopy);
  const hi = file.mem.length > 0 ? AddressSpace.hiOf(REGION.CTX) : 0;
  const st = sys.run(sys.prog(fd), hi, 0, 0, file.mem.length);
  if (st !== RUN_STATUS.OK) return { file, outcome: { kind: 'refused', stage: 'run', message: `run status ${st} at insn ${sys.interpreter.faultPc}` } };
  return { file, outcome: { kind: 'result', r0: sys.interpreter.r0() } };
}

/** Did the file pass the way the conformance runner judges it? */
export function passes(file: ConformanceFile, outcome: Outcome): boolean {
  if (file.error !== undefined && file.result === undefined) return outcome.kind === 'refused';
  if (file.result === undefined) return false;
  return outcome.kind === 'result' && outcome.r0 === file.result;
}
