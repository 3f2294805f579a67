// Runner for bench/native/pcap-filter-bench.c: builds it with gcc against
// Debian's libpcap (-lpcap) at run time into node_modules/.cache/tcbpf/, writes
// the benchmark's packets as a pcap file and a program as `tcpdump -ddd` text,
// and runs libpcap's bpf_filter over them. `unavailable` says why not (no gcc,
// no libpcap-dev) so the suite can skip the baseline with a note.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SRC = join(import.meta.dirname, 'pcap-filter-bench.c');
const CACHE = join(import.meta.dirname, '..', '..', 'node_modules', '.cache', 'tcbpf');

export interface LibpcapBench {
  /** Empty when usable, else the reason it is not. */
  readonly unavailable: string;
  /** Run REPS passes of bpf_filter over every packet: self-timed ns/packet and matches per pass. */
  run(ddd: string, reps: number): LibpcapTiming;
  /**
   * Keep a harness process up for `ddd`; the returned function asks it for REPS
   * passes over a pipe and waits for the answer (a synchronous round trip of a
   * few microseconds), returning the matches of one pass.
   */
  serve(ddd: string): (reps: number) => number;
  /** Like `serve`, but each request answers with the harness's own timing of those REPS passes. */
  serveTimed(ddd: string): (reps: number) => LibpcapTiming;
  /** Remove the temporary files. */
  close(): void;
}

/** One timed request: ns per packet by thread CPU time and by wall time, and the matches of one pass. */
export interface LibpcapTiming {
  readonly nsPerPacket: number;
  readonly wallNsPerPacket: number;
  readonly matches: number;
}

function parseTiming(line: string): LibpcapTiming {
  const [ns, m, wall] = line.trim().split(/\s+/).map(Number);
  return { nsPerPacket: ns ?? NaN, matches: m ?? NaN, wallNsPerPacket: wall ?? NaN };
}

function toPcap(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(24 + frames.reduce((s, f) => s + 16 + f.length, 0));
  const dv = new DataView(out.buffer);
  dv.setUint32(0, 0xa1b2c3d4, true);
  dv.setUint16(4, 2, true);
  dv.setUint16(6, 4, true);
  dv.setUint32(16, 65535, true);
  dv.setUint32(20, 1, true);
  let o = 24;
  for (const [i, f] of frames.entries()) {
    dv.setUint32(o, i, true);
    dv.setUint32(o + 8, f.length, true);
    dv.setUint32(o + 12, f.length, true);
    out.set(f, o + 16);
    o += 16 + f.length;
  }
  return out;
}

/** Build the harness (once) and stage `frames` as a pcap file. */
export function libpcapBench(frames: readonly Uint8Array[]): LibpcapBench {
  const bin = join(CACHE, 'pcap-filter-bench');
  const fail = (why: string): LibpcapBench => ({
    unavailable: why,
    run: () => {
      throw new Error(why);
    },
    serve: () => {
      throw new Error(why);
    },
    serveTimed: () => {
      throw new Error(why);
    },
    close: () => undefined,
  });
  if (spawnSync('sh', ['-c', 'command -v gcc'], { stdio: 'ignore' }).status !== 0) return fail('gcc not installed');
  if (!existsSync(bin) || statSync(bin).mtimeMs < statSync(SRC).mtimeMs) {
    mkdirSync(CACHE, { recursive: true });
    const r = spawnSync('gcc', ['-O2', '-o', bin, SRC, '-lpcap'], { encoding: 'utf8' });
    if (r.status !== 0) return fail(`cannot build against libpcap (libpcap-dev missing?): ${r.stderr.trim().split('\n')[0] ?? ''}`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tcbpf-bench-'));
  const pcap = join(dir, 'packets.pcap');
  writeFileSync(pcap, toPcap(frames));
  const children: { child: ChildProcess; req: number; res: number }[] = [];
  let served = 0;
  return {
    unavailable: '',
    run(ddd, reps) {
      const prog = join(dir, 'prog.ddd');
      writeFileSync(prog, ddd);
      const r = spawnSync(bin, [pcap, prog, String(reps)], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`pcap-filter-bench failed: ${r.stderr}`);
      return parseTiming(r.stdout);
    },
    serve(ddd) {
      const ask = this.serveTimed(ddd);
      return (reps) => ask(reps).matches;
    },
    serveTimed(ddd) {
      const id = served++;
      const prog = join(dir, `serve-${id}.ddd`);
      writeFileSync(prog, ddd);
      const reqPath = join(dir, `req-${id}`);
      const resPath = join(dir, `res-${id}`);
      for (const p of [reqPath, resPath]) if (spawnSync('mkfifo', [p]).status !== 0) throw new Error(`mkfifo ${p} failed`);
      const child = spawn(bin, [pcap, prog, 'serve', reqPath, resPath], { stdio: 'ignore' });
      child.unref(); // never keeps the benchmark process alive; close() ends it
      // same open order as the child (request first), so neither side blocks forever
      const req = openSync(reqPath, 'w');
      const res = openSync(resPath, 'r');
      children.push({ child, req, res });
      const buf = new Uint8Array(128);
      const enc = new TextEncoder();
      const dec = new TextDecoder();
      return (reps) => {
        writeSync(req, enc.encode(`${reps}\n`));
        let text = '';
        while (!text.endsWith('\n')) {
          const n = readSync(res, buf, 0, buf.length, null);
          if (n <= 0) throw new Error('pcap-filter-bench closed its pipe');
          text += dec.decode(buf.subarray(0, n));
        }
        return parseTiming(text);
      };
    },
    close() {
      for (const c of children) {
        closeSync(c.req);
        closeSync(c.res);
        c.child.kill();
      }
      children.length = 0;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
