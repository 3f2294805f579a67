// Classic BPF: our interpreter and JS-compiled form against libpcap's own C
// interpreter (bpf_filter, bench/native/pcap-filter-bench.c), on the same
// tcpdump-compiled filters and the same packet mix. The libpcap baseline runs
// in the same `pnpm bench` run in a child process that stays up: each timed call
// asks it (over a pipe, a round trip of a few microseconds) for PASSES passes
// over the packets (PASSES is large so waking the child costs little). The
// harness's own self-timed figure (thread CPU time) is printed to stderr.
// Each filter's compiled form is called from a loop of its own (built with
// `new Function`, so V8 keeps separate call feedback for it: closures of one
// function literal share theirs), as in a program that runs one filter and
// as libpcap's harness calls one bpf_filter; a second task calls it from one
// loop shared by all filters (a call site that has seen every filter, so V8
// cannot inline the callee) to show the cost of an indirect call.
// Without gcc/libpcap-dev the baseline falls back to our interpreter, with a note.
import { Prng } from '@tcbpf/base';
import { ClassicFilter, type ClassicEnv, type ClassicSkb, type CompiledClassic, parseDdd } from '@tcbpf/cbpf';
import type { BenchGroup } from '../harness.js';
import { libpcapBench } from '../native/libpcap.js';

/** `tcpdump -y EN10MB -ddd` output (libpcap 1.10.3) of the benchmarked filters. */
export const FILTERS: readonly { readonly expr: string; readonly ddd: string }[] = [
  { expr: 'tcp dst port 80', ddd: '16,40 0 0 12,21 0 4 34525,48 0 0 20,21 0 11 6,40 0 0 56,21 8 9 80,21 0 8 2048,48 0 0 23,21 0 6 6,40 0 0 20,69 4 0 8191,177 0 0 14,72 0 0 16,21 0 1 80,6 0 0 262144,6 0 0 0' },
  { expr: 'ip and udp and (port 53 or port 123)', ddd: '15,40 0 0 12,21 0 12 2048,48 0 0 23,21 0 10 17,40 0 0 20,69 8 0 8191,177 0 0 14,72 0 0 14,21 4 0 53,21 3 0 123,72 0 0 16,21 1 0 53,21 0 1 123,6 0 0 262144,6 0 0 0' },
  { expr: 'ip6 and tcp', ddd: '9,40 0 0 12,21 0 6 34525,48 0 0 20,21 3 0 6,21 0 3 44,48 0 0 54,21 0 1 6,6 0 0 262144,6 0 0 0' },
  { expr: '(tcp port 80 or tcp port 8080) and ip[2:2] > 100', ddd: '18,40 0 0 12,21 15 0 34525,21 0 14 2048,48 0 0 23,21 0 12 6,40 0 0 20,69 10 0 8191,177 0 0 14,72 0 0 14,21 4 0 80,21 3 0 8080,72 0 0 16,21 1 0 80,21 0 3 8080,40 0 0 16,37 0 1 100,6 0 0 262144,6 0 0 0' },
];

/** A deterministic mix: 64-B TCP SYNs, 1500-B UDP, IPv6 TCP, ARP, 802.1Q. */
export function packets(n: number): Uint8Array[] {
  const r = new Prng(0xbe9c);
  const out: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const kind = r.below(10);
    const dport = [80, 443, 22, 53, 123, 8080, 5000][r.below(7)]!;
    if (kind < 4) {
      const f = new Uint8Array(64);
      f.set([0x08, 0x00, 0x45, 0, 0, 44, 0, 1, 0x40, 0, 64, 6], 12);
      f.set([10, 0, 0, 1, 10, 0, 0, 2, 0x9c, 0x40, dport >> 8, dport & 0xff], 26);
      f[46] = 0x60;
      f[47] = 0x02;
      out.push(f);
    } else if (kind < 7) {
      const f = new Uint8Array(kind === 6 ? 1500 : 120);
      f.set([0x08, 0x00, 0x45, 0, (f.length - 14) >> 8, (f.length - 14) & 0xff, 0, 1, 0, 0, 64, 17], 12);
      f.set([10, 0, 0, 1, 10, 0, 0, 2, 0x9c, 0x40, dport >> 8, dport & 0xff], 26);
      out.push(f);
    } else if (kind < 9) {
      const f = new Uint8Array(74);
      f.set([0x86, 0xdd, 0x60, 0, 0, 0, 0, 20, 6, 64], 12);
      f.set([0x9c, 0x40, dport >> 8, dport & 0xff], 54);
      f[66] = 0x50;
      out.push(f);
    } else {
      const f = new Uint8Array(60);
      f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
      f.set([0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1], 12);
      out.push(f);
    }
  }
  return out;
}

export function skbOf(frame: Uint8Array): ClassicSkb {
  const buf = new Uint8Array(frame.length + 32);
  buf.set(frame, 32);
  return {
    buf, dataOff: 32, len: frame.length, macHeader: 32, networkHeader: 46, protocol: (frame[12]! << 8) | frame[13]!, pktType: 0,
    mark: 0, queueMapping: 0, hash: 0, vlanPresent: false, vlanTci: 0, vlanProto: 0, ifindex: 2, devType: 1,
  };
}

/**
 * A loop calling `fn` once per packet of `skbs`, compiled as its own function
 * (`tag` keeps its source distinct), so its call site sees only `fn`.
 */
export function ownLoop(fn: CompiledClassic, skbs: readonly ClassicSkb[], env: ClassicEnv, tag: string): () => number {
  // a benchmark loop with its own call feedback; the source is fixed text plus a comment
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const make = new Function('fn', 'skbs', 'env', `// ${tag.replace(/[\r\n]/g, ' ')}\nreturn () => { let m = 0; for (const s of skbs) m += fn(s, env) !== 0 ? 1 : 0; return m; };`) as (
    f: CompiledClassic,
    s: readonly ClassicSkb[],
    e: ClassicEnv,
  ) => () => number;
  return make(fn, skbs, env);
}

/** A loop shared by every filter: its call site sees all of them. */
function sharedLoop(fn: CompiledClassic, skbs: readonly ClassicSkb[], env: ClassicEnv): number {
  let m = 0;
  for (const s of skbs) m += fn(s, env) !== 0 ? 1 : 0;
  return m;
}

export function groups(): BenchGroup[] {
  const frames = packets(2000);
  const skbs = frames.map(skbOf);
  const env = { cpu: 0, prng: new Prng(1) };
  const out = { sink: 0 };
  const native = libpcapBench(frames);
  if (native.unavailable !== '') process.stderr.write(`cbpf bench: libpcap baseline skipped (${native.unavailable}); interpreter used as baseline\n`);
  const PASSES = 200;
  process.on('exit', () => native.close());
  const all = FILTERS.map(({ ddd }) => ClassicFilter.create(parseDdd(ddd.split(',').join('\n'))));
  return FILTERS.map(({ expr, ddd }, i) => {
    const f = all[i]!;
    const interp: BenchGroup['baseline'] = {
      name: 'cbpf interpreter',
      per: skbs.length,
      fn: () => {
        let m = 0;
        for (const s of skbs) if (f.run(s, env) !== 0) m++;
        out.sink ^= m;
      },
    };
    const jit = f.compiled;
    const loop = ownLoop(jit, skbs, env, expr);
    const compiled: BenchGroup['baseline'] = {
      name: 'cbpf compiled to JS',
      per: skbs.length,
      fn: () => {
        out.sink ^= loop();
      },
    };
    const shared: BenchGroup['baseline'] = {
      name: 'cbpf compiled to JS, call site shared by all filters',
      per: skbs.length,
      // the shared loop has seen every filter before it is timed
      setup: () => {
        for (let r = 0; r < 10; r++) for (const g of all) sharedLoop(g.compiled, skbs, env);
      },
      fn: () => {
        out.sink ^= sharedLoop(jit, skbs, env);
      },
    };
    if (native.unavailable !== '') return { suite: 'cbpf', group: `${expr} (${f.length} insns; no libpcap baseline)`, unit: 'packet', baseline: interp, tasks: [compiled, shared] };
    // same verdicts as libpcap on these packets, checked before timing
    let ours = 0;
    for (const s of skbs) if (f.run(s, env) !== 0) ours++;
    const self = native.run(ddd.split(',').join('\n'), 2000);
    if (self.matches !== ours) throw new Error(`cbpf bench: ${expr}: libpcap matched ${self.matches}, we matched ${ours}`);
    process.stderr.write(`cbpf bench: ${expr}: libpcap bpf_filter self-timed ${self.nsPerPacket.toFixed(2)} ns/packet (${ours}/${skbs.length} match)\n`);
    const ask = native.serve(ddd.split(',').join('\n'));
    return {
      suite: 'cbpf',
      group: `${expr} (${f.length} insns, ${skbs.length}-packet mix)`,
      unit: 'packet',
      baseline: {
        name: `libpcap bpf_filter (C, ${PASSES} passes per call)`,
        per: skbs.length * PASSES,
        fn: () => {
          out.sink ^= ask(PASSES);
        },
      },
      tasks: [interp, compiled, shared],
    };
  });
}
