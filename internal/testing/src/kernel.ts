// Access to this machine's kernel for differential tests: who may use it, and
// throw-away network namespaces with unique names that are always deleted.
// A kernel-dependent test calls `kernelOracle()` and skips with `reason` when
// it is not available, so the skip is visible with its cause.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface KernelOracle {
  readonly ok: boolean;
  /** Why it is unavailable (empty when ok). */
  readonly reason: string;
}

let cached: KernelOracle | undefined;

function which(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

/** Is a command-line tool on PATH? */
export function hasTool(tool: string): boolean {
  return which(tool);
}

/** Whether root, `ip`, `tc` and network namespaces are usable here. */
export function kernelOracle(): KernelOracle {
  if (cached) return cached;
  if (process.env['TCBPF_NO_KERNEL'] === '1') return (cached = { ok: false, reason: 'TCBPF_NO_KERNEL=1' });
  if (process.platform !== 'linux') return (cached = { ok: false, reason: `not Linux (${process.platform})` });
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return (cached = { ok: false, reason: 'not root' });
  for (const t of ['ip', 'tc']) if (!which(t)) return (cached = { ok: false, reason: `${t} (iproute2) not installed` });
  const probe = `tcbpf-probe-${process.pid}`;
  const add = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (add.status !== 0) return (cached = { ok: false, reason: `cannot create a network namespace: ${add.stderr.trim()}` });
  spawnSync('ip', ['netns', 'del', probe]);
  return (cached = { ok: true, reason: '' });
}

let counter = 0;

/** A network namespace made for one test; `close()` deletes it (also on process exit). */
export class Netns {
  readonly name: string;
  #closed = false;

  constructor(tag = 't') {
    this.name = `tcbpf-${tag}-${process.pid}-${++counter}`;
    execFileSync('ip', ['netns', 'add', this.name]);
    live.add(this);
    this.run('ip', ['link', 'set', 'lo', 'up']);
  }

  /** Run a command inside the namespace; returns stdout. Throws with stderr on failure. */
  run(cmd: string, args: readonly string[], input?: Uint8Array | string): string {
    const r = spawnSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8', input });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.trim()}`);
    return r.stdout;
  }

  /** Run a command inside the namespace and return status, stdout and stderr without throwing. */
  tryRun(cmd: string, args: readonly string[]): { status: number; stdout: string; stderr: string } {
    const r = spawnSync('ip', ['netns', 'exec', this.name, cmd, ...args], { encoding: 'utf8' });
    return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    live.delete(this);
    if (existsSync(`/run/netns/${this.name}`)) spawnSync('ip', ['netns', 'del', this.name]);
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

const live = new Set<Netns>();
process.on('exit', () => {
  for (const ns of live) ns.close();
});
