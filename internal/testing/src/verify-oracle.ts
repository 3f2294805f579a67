// Kernel oracle for the eBPF verifier: loads raw programs with BPF_PROG_LOAD
// through a small C harness (internal/testing/oracle/bpf-verify.c, own code,
// MIT) compiled with gcc into node_modules/.cache/tcbpf/ on first use.
// Needs root (CAP_BPF + CAP_PERFMON) and gcc; `verifyOracle()` says why not.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTool } from './kernel.js';

/** A map the harness creates before the load (index = position in the list). */
export interface OracleMap {
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags?: number;
}

/** One BPF_PROG_LOAD request. LD_IMM64 map references (src 1/2) with imm < maps.length are patched to real fds. */
export interface OracleLoad {
  readonly insns: Uint8Array;
  readonly progType?: number;
  readonly logLevel?: number;
  readonly progFlags?: number;
  readonly license?: string;
  readonly maps?: readonly OracleMap[];
}

/** The kernel's answer. */
export interface OracleResult {
  /** errno of the load without a log buffer (0 = accepted). */
  readonly errno: number;
  /** errno of the load with the log buffer (16 MiB). */
  readonly logErrno: number;
  /** bpf_prog_info.verified_insns of an accepted load, else -1. */
  readonly verifiedInsns: number;
  readonly log: string;
}

/** Whether the verifier oracle can run here. */
export interface VerifyOracle {
  readonly ok: boolean;
  readonly reason: string;
}

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', 'oracle', 'bpf-verify.c');
const cacheDir = join(here, '..', '..', '..', 'node_modules', '.cache', 'tcbpf');
const binary = join(cacheDir, 'bpf-verify');

let state: VerifyOracle | undefined;

/** Availability of the kernel verifier oracle (root + gcc + a working bpf()). */
export function verifyOracle(): VerifyOracle {
  if (state) return state;
  if (process.env['TCBPF_NO_KERNEL'] === '1') return (state = { ok: false, reason: 'TCBPF_NO_KERNEL=1' });
  if (process.platform !== 'linux') return (state = { ok: false, reason: `not Linux (${process.platform})` });
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return (state = { ok: false, reason: 'not root' });
  if (!hasTool('gcc')) return (state = { ok: false, reason: 'gcc not installed' });
  try {
    ensureBinary();
    const probe = kernelVerify({ insns: Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0) });
    if (probe.errno !== 0) return (state = { ok: false, reason: `BPF_PROG_LOAD of a trivial program failed with errno ${probe.errno}` });
  } catch (e) {
    return (state = { ok: false, reason: `bpf-verify harness unusable: ${(e as Error).message}` });
  }
  return (state = { ok: true, reason: '' });
}

function ensureBinary(): void {
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(cacheDir, { recursive: true });
    execFileSync('gcc', ['-O2', '-o', binary, source], { stdio: 'pipe' });
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Load one program through the kernel and return its verdict and log. */
export function kernelVerify(req: OracleLoad): OracleResult {
  ensureBinary();
  const lines = [
    `type ${req.progType ?? 3}`,
    `level ${req.logLevel ?? 1}`,
    `flags ${req.progFlags ?? 0}`,
    `license ${req.license ?? 'GPL'}`,
    ...(req.maps ?? []).map((m) => `map ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags ?? 0}`),
    `insns ${hex(req.insns)}`,
  ];
  const r = spawnSync(binary, [], { input: `${lines.join('\n')}\n`, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bpf-verify failed (${r.status}): ${r.stderr}`);
  const out = r.stdout;
  const m = /^errno (-?\d+)\nlogerrno (-?\d+)\ninsns (-?\d+)\nlog\n/.exec(out);
  if (!m) throw new Error(`bpf-verify: unexpected output ${out.slice(0, 200)}`);
  return { errno: Number(m[1]), logErrno: Number(m[2]), verifiedInsns: Number(m[3]), log: out.slice(m[0].length) };
}
