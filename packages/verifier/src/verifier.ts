// Models kernel/bpf/verifier.c bpf_check() and kernel/bpf/syscall.c
// bpf_prog_load()'s verifier-facing checks (Linux 6.18): instruction count
// limits, the structural pass, the walk, the statistics line of
// print_verification_stats() (kernel/bpf/log.c) and the verdict.
import { KernelError } from '@tcbpf/base';
import { Checker } from './check.js';
import { decodeInsns } from './insn.js';
import { SCHED_CLS_OPS } from './prog-types/sched-cls.js';
import { type Refusal, checkStructure } from './structural.js';
import type { FuncInfo, MapDescriptor, ProgTypeOps } from './types.js';

/** Options of one verification (the verifier-facing fields of BPF_PROG_LOAD). */
export interface VerifyOptions {
  /** Program type ops; default SCHED_CLS. */
  readonly progType?: ProgTypeOps;
  /** log_level bits: 1 = level 1, 2 = level 2, 4 = statistics. */
  readonly logLevel?: number;
  /** License string (GPL-compatible ones unlock gpl_only helpers). */
  readonly license?: string;
  /** prog_flags (BPF_F_STRICT_ALIGNMENT = 1). */
  readonly progFlags?: number;
  /** Map referenced by an LD_IMM64 fd; undefined = not a map fd. */
  readonly maps?: ((fd: number) => MapDescriptor | undefined) | ReadonlyMap<number, MapDescriptor>;
  /**
   * func_info (with the BTF FUNC linkage of each record), as given with prog_btf_fd.
   * Needed for callbacks (BPF_PSEUDO_FUNC): without it the kernel refuses them
   * ("missing btf func_info"). Global functions are not verified separately (see kernel-mapping.md).
   */
  readonly funcInfo?: readonly FuncInfo[];
}

/** A context access the kernel rewrites after verification (convert_ctx_accesses). */
export interface CtxAccessSite {
  readonly insn: number;
  readonly off: number;
  readonly size: number;
  readonly write: boolean;
}

/** Machine-readable refusal: the failing instruction, its text, the register state there and the reason. */
export interface StructuredRefusal {
  readonly insn: number;
  readonly insnText: string;
  readonly errno: string;
  readonly reason: string;
  readonly details: readonly string[];
  readonly state: readonly string[];
}

/** The verdict. */
export interface VerifyResult {
  readonly ok: boolean;
  /** errno name of the refusal ('' when accepted). */
  readonly errno: string;
  /** Negative errno as the syscall returns it (0 when accepted). */
  readonly code: number;
  /** The kernel's message (first line) of the refusal, '' when accepted. */
  readonly message: string;
  /** Instruction index of the refusal (-1 when none). */
  readonly insn: number;
  /** The verifier log as the kernel writes it for the requested level ('' at level 0). */
  readonly log: string;
  readonly processed: number;
  readonly maxStatesPerInsn: number;
  readonly totalStates: number;
  readonly peakStates: number;
  /** Stack depth of each subprogram. */
  readonly stackDepths: readonly number[];
  readonly ctxAccesses: readonly CtxAccessSite[];
  /**
   * Per instruction: the REG_TYPE of the pointer a load/store/atomic (or a
   * helper's memory argument at a call) used on every path the verifier walked,
   * -1 where no path reached one, ACCESS_MIXED where paths disagreed. In an
   * accepted program every access with a type >= 0 was proven in bounds for
   * that type (the JIT drops its region lookup for them, see @tcbpf/jit).
   */
  readonly accessTypes: Int8Array;
  /** JSON-friendly form of a refusal (null when accepted). */
  readonly structured: StructuredRefusal | null;
}

const ERRNO_CODE: Readonly<Record<string, number>> = Object.freeze({ EINVAL: 22, EACCES: 13, E2BIG: 7, EBADF: 9, EFAULT: 14, ENOTSUPP: 524, EPROTO: 71, ENOMEM: 12 });

/** license_is_gpl_compatible (include/linux/license.h). */
export function licenseIsGplCompatible(l: string): boolean {
  return ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'].includes(l);
}

function statsLine(processed: number, maxStates: number, total: number, peak: number): string {
  return `processed ${processed} insns (limit 1000000) max_states_per_insn ${maxStates} total_states ${total} peak_states ${peak} mark_read 0`;
}

/**
 * Verify a program given as raw `struct bpf_insn` bytes (little-endian).
 * Never throws for bad programs: the verdict says why, as the kernel would.
 */
export function verify(insnBytes: Uint8Array, opts: VerifyOptions = {}): VerifyResult {
  const ops = opts.progType ?? SCHED_CLS_OPS;
  const level = opts.logLevel ?? 0;
  const m = opts.maps;
  const maps = m === undefined ? (): undefined => undefined : typeof m === 'function' ? m : (fd: number): MapDescriptor | undefined => m.get(fd);
  const base = { processed: 0, maxStatesPerInsn: 0, totalStates: 0, peakStates: 0, stackDepths: [0], ctxAccesses: [] as CtxAccessSite[], accessTypes: new Int8Array(0) };
  const cnt = insnBytes.length >>> 3;
  if (insnBytes.length % 8 !== 0 || cnt === 0 || cnt > 1_000_000) {
    return { ok: false, errno: 'E2BIG', code: -7, message: '', insn: -1, log: '', ...base, structured: null };
  }
  const p = decodeInsns(insnBytes);
  const st = checkStructure(p, { maps, funcInfo: opts.funcInfo });
  if ('errno' in st) {
    const r: Refusal = st;
    const log = level === 0 ? '' : `${r.message}\n${level & 4 ? 'stack depth 0\n' : ''}${statsLine(0, 0, 0, 0)}\n`;
    return {
      ok: false, errno: r.errno, code: -(ERRNO_CODE[r.errno] ?? 22), message: r.message, insn: r.insn, log, ...base,
      structured: { insn: r.insn, insnText: '', errno: r.errno, reason: r.message, details: [], state: [] },
    };
  }
  const checker = new Checker(p, {
    ops, logLevel: level, gpl: licenseIsGplCompatible(opts.license ?? 'GPL'), strictAlignment: ((opts.progFlags ?? 0) & 1) !== 0, structure: st,
    funcInfo: opts.funcInfo,
  });
  const w = checker.run();
  const ctxAccesses: CtxAccessSite[] = [];
  for (let i = 0; i < p.len; i++) {
    if (w.ptrType[i] !== 1) continue;
    const code = p.code[i]!;
    const cls = code & 7;
    if (cls !== 1 && cls !== 2 && cls !== 3) continue;
    ctxAccesses.push({ insn: i, off: p.off[i]!, size: [4, 2, 1, 8][(code >> 3) & 3]!, write: cls !== 1 });
  }
  // at level 1 the kernel keeps only the failing path's log (pop_stack resets it)
  const lines = w.refusal === null && (level & 2) === 0 ? [] : [...w.log];
  if (level & 4) lines.push(`stack depth ${w.stackDepths.join('+')}`);
  lines.push(statsLine(w.processed, w.maxStatesPerInsn, w.totalStates, w.peakStates));
  let text = lines.join('\n');
  if (w.refusal?.glued === true) text = text.replace(`${w.refusal.message}\n`, w.refusal.message);
  const log = level === 0 ? '' : `${text}\n`;
  const common = {
    processed: w.processed, maxStatesPerInsn: w.maxStatesPerInsn, totalStates: w.totalStates, peakStates: w.peakStates, stackDepths: w.stackDepths,
    ctxAccesses, accessTypes: w.accessType, log,
  };
  if (w.refusal === null) return { ok: true, errno: '', code: 0, message: '', insn: -1, ...common, structured: null };
  const r = w.refusal;
  return {
    ok: false, errno: r.errno, code: -(ERRNO_CODE[r.errno] ?? 22), message: r.message, insn: r.insn, ...common,
    structured: { insn: r.insn, insnText: r.insn >= 0 && r.insn < p.len ? insnText(p, r.insn) : '', errno: r.errno, reason: r.message, details: r.more ?? [], state: w.failState },
  };
}

import { disasmInsn } from './disasm.js';
function insnText(p: ReturnType<typeof decodeInsns>, i: number): string {
  return disasmInsn(p, i);
}

/** verify(), but a refusal throws KernelError (errno, kernel message, instruction index). */
export function verifyOrThrow(insnBytes: Uint8Array, opts: VerifyOptions = {}): VerifyResult {
  const r = verify(insnBytes, opts);
  if (!r.ok) throw new KernelError(r.errno as 'EINVAL', r.message, { ...(r.insn >= 0 ? { insn: r.insn } : {}), where: 'BPF_PROG_LOAD' });
  return r;
}

export { ACCESS_MIXED } from './check.js';
