// Cgroup v2 support for kernel-differential tests: find the cgroup2 mount,
// make uniquely named cgroup directories (always removed by `cleanup()`), and
// start the bpf() driver of bpf-oracle.ts with open cgroup directory fds
// passed in as fds 3, 4, ... (so they can be stored in a
// BPF_MAP_TYPE_CGROUP_ARRAY) and, optionally, inside one of those cgroups (the
// driver is the task whose cgroup BPF_PROG_TEST_RUN's fake socket gets).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { BpfOracle, bpfOracle } from './bpf-oracle.js';

/** Where cgroup2 is mounted (first cgroup2 line of /proc/mounts), or undefined. */
export function cgroup2Mount(): string | undefined {
  if (!existsSync('/proc/mounts')) return undefined;
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const f = line.split(' ');
    if (f[2] === 'cgroup2' && f[1] !== undefined) return f[1];
  }
  return undefined;
}

/** Throw-away cgroup directories under the cgroup2 mount. */
export class CgroupDirs {
  readonly mount: string;
  /** Unique top directory name (below the mount) holding every directory made. */
  readonly top: string;
  readonly #made: string[] = [];

  constructor(mount: string, tag = 'tcbpf') {
    this.mount = mount;
    this.top = `${tag}-${process.pid}-${Math.floor(Math.random() * 1e9).toString(36)}`;
    this.mkdir('');
  }

  /** mkdir `rel` below the top directory; returns its path below the mount. */
  mkdir(rel: string): string {
    const p = rel === '' ? this.top : `${this.top}/${rel}`;
    mkdirSync(join(this.mount, p));
    this.#made.push(p);
    return p;
  }

  /** open(O_RDONLY | O_DIRECTORY) of a path below the mount ('' = the mount root). Close it with closeSync. */
  open(p: string): number {
    return openSync(join(this.mount, p), 'r');
  }

  /** rmdir everything made, deepest first (retries briefly while a just-killed driver still counts as a member). */
  cleanup(): void {
    for (const p of this.#made.splice(0).reverse()) {
      for (let i = 0; ; i++) {
        try {
          rmdirSync(join(this.mount, p));
          break;
        } catch (e) {
          if (i >= 40 || (e as NodeJS.ErrnoException).code !== 'EBUSY') throw e;
          spawnSync('sleep', ['0.05']);
        }
      }
    }
  }
}

/** A driver with extra fds; `exited` resolves when the process is gone. */
export interface FdBpfOracle {
  readonly oracle: BpfOracle;
  readonly exited: Promise<void>;
}

/**
 * Start a bpf() driver with `fds` as its fds 3, 4, ...; inside the cgroup
 * directory `cgroupDir` (absolute path) when given. Throws when `bpfOracle()`
 * is not ok. Close `oracle` and await `exited` before removing that cgroup.
 */
export function bpfOracleWithFds(fds: readonly number[], cgroupDir?: string): FdBpfOracle {
  const st = bpfOracle();
  if (!st.ok) throw new Error(`bpf oracle unavailable: ${st.reason}`);
  const stdio: ('pipe' | number)[] = ['pipe', 'pipe', 'pipe', ...fds];
  const child = cgroupDir === undefined
    ? spawn(st.binary, [], { stdio })
    : spawn('sh', ['-c', 'echo $$ > "$1/cgroup.procs" && exec "$2"', 'sh', cgroupDir, st.binary], { stdio });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  // the same driver and line protocol as BpfOracle.open(), with more fds
  const Ctor = BpfOracle as unknown as new (c: ChildProcessWithoutNullStreams) => BpfOracle;
  return { oracle: new Ctor(child as unknown as ChildProcessWithoutNullStreams), exited };
}

