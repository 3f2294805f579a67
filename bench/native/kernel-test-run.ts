// This machine's kernel for the JIT benchmark: BPF_PROG_LOAD + BPF_PROG_TEST_RUN
// with `repeat`, through the bpf() line driver internal/testing/oracle/bpf-syscall.c
// (compiled here with gcc into node_modules/.cache/tcbpf/). Returns the kernel's
// reported duration per run (ns), or a note saying why it was skipped (not root,
// no gcc, bpf() refused, verifier refusal).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const SOURCE = fileURLToPath(new URL('../../internal/testing/oracle/bpf-syscall.c', import.meta.url));
const CACHE = fileURLToPath(new URL('../../node_modules/.cache/tcbpf/', import.meta.url));
const BINARY = `${CACHE}bpf-syscall-bench`;

/** Kernel result for one program. */
export type KernelRun = { readonly ok: true; readonly nsPerRun: number; readonly retval: number } | { readonly ok: false; readonly note: string };

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Load each program (SCHED_CLS) and test_run it `repeat` times on its packet. */
export function kernelTestRun(progs: readonly { readonly insns: Uint8Array; readonly packet: Uint8Array; readonly repeat: number }[]): KernelRun[] {
  const skip = (note: string): KernelRun[] => progs.map(() => ({ ok: false, note }));
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return skip('not root: BPF_PROG_TEST_RUN needs CAP_BPF/CAP_NET_ADMIN');
  if (!existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs) {
    mkdirSync(CACHE, { recursive: true });
    const cc = spawnSync('gcc', ['-O1', '-o', BINARY, SOURCE], { encoding: 'utf8' });
    if (cc.error !== undefined || cc.status !== 0) return skip(`gcc failed: ${cc.error?.message ?? cc.stderr.split('\n')[0]}`);
  }
  const out: KernelRun[] = [];
  for (const p of progs) {
    const load = spawnSync(BINARY, [], { input: `prog_load 3 ${hex(p.insns)} GPL 1\ntest_run 3 ${hex(p.packet)} 0 - 0 ${p.repeat}\n`, encoding: 'utf8' });
    const lines = load.stdout.trim().split('\n');
    if (!lines[0]?.startsWith('ok')) { out.push({ ok: false, note: `BPF_PROG_LOAD refused: ${lines[0] ?? load.stderr}` }); continue; }
    const t = lines[1]?.split(' ') ?? [];
    if (t[0] !== 'ok') { out.push({ ok: false, note: `BPF_PROG_TEST_RUN failed: ${lines[1] ?? ''}` }); continue; }
    out.push({ ok: true, retval: Number(t[1]), nsPerRun: Number(t[2]) });
  }
  return out;
}
