// The bpf() syscall of this machine's kernel as a test oracle: compiles
// internal/testing/oracle/bpf-syscall.c with gcc (or cc/clang) into node_modules/.cache/tcbpf/
// on first use and talks to it over a line protocol (see the C file's header).
// Tests call `bpfOracle()` and skip with `reason` when it is unavailable
// (no C compiler, not root, bpf() refused).
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasTool } from './kernel.js';

const here = dirname(fileURLToPath(import.meta.url));
const SOURCE = join(here, '..', 'oracle', 'bpf-syscall.c');
const CACHE = join(here, '..', '..', '..', 'node_modules', '.cache', 'tcbpf');
const BINARY = join(CACHE, 'bpf-syscall');

/** Availability of the bpf() oracle. */
export interface BpfOracleStatus {
  readonly ok: boolean;
  /** Why it is unavailable (empty when ok). */
  readonly reason: string;
  /** Path of the compiled driver (when ok). */
  readonly binary: string;
}

let status: BpfOracleStatus | undefined;

/** Compile the driver if needed and probe that bpf() works here. */
export function bpfOracle(): BpfOracleStatus {
  if (status) return status;
  const no = (reason: string): BpfOracleStatus => (status = { ok: false, reason, binary: '' });
  if (process.env['TCBPF_NO_KERNEL'] === '1') return no('TCBPF_NO_KERNEL=1');
  if (process.platform !== 'linux') return no(`not Linux (${process.platform})`);
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return no('not root');
  const cc = ['gcc', 'cc', 'clang-19', 'clang'].find((t) => hasTool(t));
  if (cc === undefined) return no('no C compiler (gcc, cc, clang-19, clang) installed');
  const stale = !existsSync(BINARY) || statSync(BINARY).mtimeMs < statSync(SOURCE).mtimeMs;
  if (stale) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = `${BINARY}.${process.pid}`;
    const built = spawnSync(cc, ['-O1', '-Wall', '-o', tmp, SOURCE], { encoding: 'utf8' });
    if (built.status !== 0) return no(`${cc} failed: ${built.stderr.trim().split('\n')[0] ?? ''}`);
    spawnSync('mv', ['-f', tmp, BINARY]);
  }
  const probe = spawnSync(BINARY, [], { input: 'map_create 2 4 4 1 0 -1\n', encoding: 'utf8' });
  if (!probe.stdout.startsWith('ok')) return no(`bpf(BPF_MAP_CREATE) refused: ${probe.stdout.trim() || probe.stderr.trim()}`);
  return (status = { ok: true, reason: '', binary: BINARY });
}

/** A failed bpf() call: errno and (for BPF_PROG_LOAD) the verifier log. */
export class BpfOracleError extends Error {
  readonly errno: number;
  readonly log: string;
  constructor(errno: number, log: string, what: string) {
    super(`${what}: errno ${errno}${log ? `: ${log.trim().split('\n')[0] ?? ''}` : ''}`);
    this.name = 'BpfOracleError';
    this.errno = errno;
    this.log = log;
  }
}

/** The result of a call: value or the errno (and log). */
export type BpfOracleResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly errno: number; readonly log: string };

/** BPF_PROG_TEST_RUN output. */
export interface TestRunOut {
  readonly retval: number;
  readonly duration: number;
  readonly dataOut: Uint8Array;
  readonly ctxOut: Uint8Array;
}

/** BPF_OBJ_GET_INFO_BY_FD of a program. */
export interface OracleProgInfo {
  readonly tag: string;
  readonly id: number;
  readonly type: number;
  readonly jitedLen: number;
  readonly xlatedLen: number;
  readonly verifiedInsns: number;
  readonly runCnt: number;
}

function hex(b: Uint8Array | undefined): string {
  if (b === undefined || b.length === 0) return '-';
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}
function unhex(s: string | undefined): Uint8Array {
  if (s === undefined || s === '-') return new Uint8Array(0);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * One driver process: a live set of kernel fds (maps, programs). Every call is
 * async (a line round trip). Always `close()` it (or use `await using`).
 */
export class BpfOracle {
  readonly #child: ChildProcessWithoutNullStreams;
  readonly #waiting: ((line: string) => void)[] = [];
  #buf = '';
  #closed = false;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.#child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.#buf += chunk;
      let nl: number;
      while ((nl = this.#buf.indexOf('\n')) >= 0) {
        const line = this.#buf.slice(0, nl);
        this.#buf = this.#buf.slice(nl + 1);
        this.#waiting.shift()?.(line);
      }
    });
  }

  /** Start a driver (throws when `bpfOracle()` is not ok). */
  static open(): BpfOracle {
    const st = bpfOracle();
    if (!st.ok) throw new Error(`bpf oracle unavailable: ${st.reason}`);
    return new BpfOracle(spawn(st.binary, [], { stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Send one raw request line; resolves with the raw response line. */
  request(line: string): Promise<string> {
    if (this.#closed) return Promise.reject(new Error('oracle closed'));
    return new Promise((resolve) => {
      this.#waiting.push(resolve);
      this.#child.stdin.write(`${line}\n`);
    });
  }

  async #call<T>(line: string, parse: (toks: string[]) => T): Promise<BpfOracleResult<T>> {
    const r = await this.request(line);
    const toks = r.trim().split(' ');
    if (toks[0] === 'ok') return { ok: true, value: parse(toks.slice(1)) };
    const log = new TextDecoder().decode(unhex(toks[2]));
    return { ok: false, errno: Number(toks[1]), log };
  }

  /** Number of possible CPUs (per-CPU value layout). */
  async nrCpus(): Promise<number> {
    const r = await this.#call('nproc', (t) => Number(t[0]));
    return r.ok ? r.value : 1;
  }

  mapCreate(type: number, keySize: number, valueSize: number, maxEntries: number, flags = 0, innerMapFd = -1): Promise<BpfOracleResult<number>> {
    return this.#call(`map_create ${type} ${keySize} ${valueSize} ${maxEntries} ${flags} ${innerMapFd}`, (t) => Number(t[0]));
  }
  mapUpdate(fd: number, key: Uint8Array, value: Uint8Array, flags = 0): Promise<BpfOracleResult<null>> {
    return this.#call(`map_update ${fd} ${hex(key)} ${hex(value)} ${flags}`, () => null);
  }
  mapLookup(fd: number, key: Uint8Array, valueSize: number): Promise<BpfOracleResult<Uint8Array>> {
    return this.#call(`map_lookup ${fd} ${hex(key)} ${valueSize}`, (t) => unhex(t[0]));
  }
  mapLookupAndDelete(fd: number, key: Uint8Array, valueSize: number): Promise<BpfOracleResult<Uint8Array>> {
    return this.#call(`map_lookup_and_delete ${fd} ${hex(key)} ${valueSize}`, (t) => unhex(t[0]));
  }
  mapDelete(fd: number, key: Uint8Array): Promise<BpfOracleResult<null>> {
    return this.#call(`map_delete ${fd} ${hex(key)}`, () => null);
  }
  mapNextKey(fd: number, key: Uint8Array | undefined, keySize: number): Promise<BpfOracleResult<Uint8Array>> {
    return this.#call(`map_next ${fd} ${hex(key)} ${keySize}`, (t) => unhex(t[0]));
  }
  /** BPF_PROG_LOAD of an 8-byte instruction image; log_level 1 so failures carry the verifier log. */
  progLoad(type: number, insns: Uint8Array, license = 'GPL', fdArray: readonly number[] = []): Promise<BpfOracleResult<number>> {
    return this.#call(`prog_load ${type} ${hex(insns)} ${license} 1 ${fdArray.join(' ')}`.trim(), (t) => Number(t[0]));
  }
  testRun(fd: number, data: Uint8Array | undefined, dataOutSize: number, ctx?: Uint8Array, ctxOutSize = 0, repeat = 1): Promise<BpfOracleResult<TestRunOut>> {
    return this.#call(`test_run ${fd} ${hex(data)} ${dataOutSize} ${hex(ctx)} ${ctxOutSize} ${repeat}`, (t) => ({
      retval: Number(t[0]), duration: Number(t[1]), dataOut: unhex(t[2]), ctxOut: unhex(t[3]),
    }));
  }
  progInfo(fd: number): Promise<BpfOracleResult<OracleProgInfo>> {
    return this.#call(`prog_info ${fd}`, (t) => ({
      tag: t[0]!, id: Number(t[1]), type: Number(t[2]), jitedLen: Number(t[3]), xlatedLen: Number(t[4]),
      verifiedInsns: Number(t[5]), runCnt: Number(t[6]),
    }));
  }
  closeFd(fd: number): Promise<BpfOracleResult<null>> {
    return this.#call(`close ${fd}`, () => null);
  }

  /** End the driver; the kernel frees every object it held. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#child.stdin.end();
    this.#child.kill();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Unwrap an BpfOracleResult or throw BpfOracleError. */
export function must<T>(r: BpfOracleResult<T>, what = 'bpf()'): T {
  if (!r.ok) throw new BpfOracleError(r.errno, r.log, what);
  return r.value;
}
