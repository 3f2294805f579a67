// Kernel oracle for programs that need BTF func_info (callbacks through
// BPF_PSEUDO_FUNC, global functions): like kernelVerify() of verify-oracle.ts,
// but loads a minimal BTF (int, `int (void)`, one FUNC per subprogram with its
// linkage) and passes func_info. Harness: internal/testing/oracle/bpf-verify-func.c
// (own code, MIT), compiled with gcc into node_modules/.cache/tcbpf/ on first use.
// Availability: verifyOracle() (root, gcc, a working bpf()).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OracleLoad, OracleResult } from './verify-oracle.js';

/** One func_info record: the subprogram's first instruction and its BTF linkage (0 static, 1 global). */
export interface OracleFunc {
  readonly insnOff: number;
  readonly linkage: number;
}

/** A BPF_PROG_LOAD request with func_info. */
export interface OracleFuncLoad extends OracleLoad {
  readonly funcs: readonly OracleFunc[];
}

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, '..', 'oracle', 'bpf-verify-func.c');
const cacheDir = join(here, '..', '..', '..', 'node_modules', '.cache', 'tcbpf');
const binary = join(cacheDir, 'bpf-verify-func');

function ensureBinary(): void {
  if (!existsSync(binary) || statSync(binary).mtimeMs < statSync(source).mtimeMs) {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${binary}.${process.pid}`;
    execFileSync('gcc', ['-O2', '-o', tmp, source], { stdio: 'pipe' });
    execFileSync('mv', ['-f', tmp, binary]);
  }
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** Load one program with BTF func_info through the kernel; its verdict and log. */
export function kernelVerifyFunc(req: OracleFuncLoad): OracleResult {
  ensureBinary();
  const lines = [
    `type ${req.progType ?? 3}`,
    `level ${req.logLevel ?? 1}`,
    `flags ${req.progFlags ?? 0}`,
    `license ${req.license ?? 'GPL'}`,
    ...(req.maps ?? []).map((m) => `map ${m.type} ${m.keySize} ${m.valueSize} ${m.maxEntries} ${m.flags ?? 0}`),
    ...req.funcs.map((f) => `func ${f.insnOff} ${f.linkage}`),
    `insns ${hex(req.insns)}`,
  ];
  const r = spawnSync(binary, [], { input: `${lines.join('\n')}\n`, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`bpf-verify-func failed (${r.status}): ${r.stderr}`);
  const out = r.stdout;
  const m = /^errno (-?\d+)\nlogerrno (-?\d+)\ninsns (-?\d+)\nlog\n/.exec(out);
  if (!m) throw new Error(`bpf-verify-func: unexpected output ${out.slice(0, 200)}`);
  return { errno: Number(m[1]), logErrno: Number(m[2]), verifiedInsns: Number(m[3]), log: out.slice(m[0].length) };
}
