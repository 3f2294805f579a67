// The kernel as an oracle for classic BPF: a small C harness
// (../oracle/cbpf-socket.c, built here with gcc into
// node_modules/.cache/tcbpf/) attaches programs with SO_ATTACH_FILTER to an
// AF_PACKET socket on `lo` inside a throw-away network namespace and reports
// the checker's verdict and, for accepted programs, the captured length of the
// outgoing and host-side copy of every frame. Needs root, ip and gcc; the
// `reason` says why not when unavailable. An option binds the filtered
// sockets to one EtherType: they then see host-side copies only, delivered by
// protocol after __netif_receive_skb_core has dealt with (and cleared) an
// offloaded VLAN tag.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { hasTool, kernelOracle, Netns } from './kernel.js';

/** One classic instruction (same shape as @tcbpf/cbpf's SockFilter). */
export interface OracleInsn {
  readonly code: number;
  readonly jt: number;
  readonly jf: number;
  readonly k: number;
}

/** The kernel's answer for one program. */
export type CbpfOracleResult =
  | { readonly accepted: false; readonly errno: number }
  | { readonly accepted: true; readonly out: readonly number[]; readonly in: readonly number[] };

/** How the oracle's namespace and sockets are set up. */
export interface CbpfOracleOptions {
  /** Bind the filtered sockets to this EtherType (host order) instead of ETH_P_ALL: `out` is then always 0. */
  readonly bindProtocol?: number;
}

export interface CbpfSocketOracle {
  readonly ok: boolean;
  readonly reason: string;
  /** Load every program and send every frame (on lo, in a fresh namespace). */
  run(programs: readonly (readonly OracleInsn[])[], frames: readonly Uint8Array[], options?: CbpfOracleOptions): CbpfOracleResult[];
}

const SRC = join(import.meta.dirname, '..', 'oracle', 'cbpf-socket.c');
const CACHE = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'tcbpf');

function build(): { bin: string; error: string } {
  const bin = join(CACHE, 'cbpf-socket');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(SRC).mtimeMs) return { bin, error: '' };
  mkdirSync(CACHE, { recursive: true });
  const r = spawnSync('gcc', ['-O2', '-Wall', '-o', bin, SRC], { encoding: 'utf8' });
  return { bin, error: r.status === 0 ? '' : `gcc failed: ${r.stderr.trim()}` };
}

function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** The classic-BPF socket oracle, or the reason it is unavailable. */
export function cbpfSocketOracle(): CbpfSocketOracle {
  const k = kernelOracle();
  const unavailable = (reason: string): CbpfSocketOracle => ({
    ok: false,
    reason,
    run: () => {
      throw new Error(`cbpf socket oracle unavailable: ${reason}`);
    },
  });
  if (!k.ok) return unavailable(k.reason);
  if (!hasTool('gcc')) return unavailable('gcc not installed');
  const { bin, error } = build();
  if (error !== '') return unavailable(error);
  return {
    ok: true,
    reason: '',
    run(programs, frames, options = {}) {
      const lines: string[] = [];
      for (const f of frames) lines.push(`F ${hex(f)}`);
      for (const p of programs) lines.push(`P ${p.length} ${p.map((i) => `${i.code} ${i.jt} ${i.jf} ${i.k >>> 0}`).join(' ')}`);
      const ns = new Netns('cbpf');
      try {
        const args = options.bindProtocol === undefined ? [] : [String(options.bindProtocol)];
        const out = ns.run(bin, args, `${lines.join('\n')}\n`).trimEnd().split('\n');
        if (out.length !== programs.length) throw new Error(`oracle answered ${out.length} lines for ${programs.length} programs`);
        return out.map((l) => {
          if (l.startsWith('E ')) return { accepted: false, errno: Number(l.slice(2)) };
          if (!l.startsWith('R')) throw new Error(`oracle: unexpected line ${l}`);
          const nums = l.slice(1).trim().split(/\s+/).filter((x) => x !== '').map(Number);
          if (nums.length !== frames.length * 2) throw new Error(`oracle: expected ${frames.length * 2} lengths, got ${nums.length} (timeout?)`);
          return { accepted: true, out: nums.filter((_, i) => i % 2 === 0), in: nums.filter((_, i) => i % 2 === 1) };
        });
      } finally {
        ns.close();
      }
    },
  };
}
