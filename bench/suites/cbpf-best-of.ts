// A load-robust companion of cbpf.bench.ts for shared, busy machines, where
// tinybench's mean wall time mostly measures preemption: the same filters and
// packets, each figure the minimum over many short repetitions — JS by wall
// time (best of 40 x 5 passes), libpcap by its self-timed thread CPU time
// (best of 10 x 20 passes). Run: cd bench && npx tsx --conditions=@tcbpf/source suites/cbpf-best-of.ts
import { Prng } from '@tcbpf/base';
import { ClassicFilter, parseDdd } from '@tcbpf/cbpf';
import { libpcapBench } from '../native/libpcap.js';
import { FILTERS, packets, skbOf } from './cbpf.bench.js';

const frames = packets(2000);
const skbs = frames.map(skbOf);
const env = { cpu: 0, prng: new Prng(1) };
const native = libpcapBench(frames);
const fmt = (n: number): string => n.toFixed(2);
process.stdout.write('filter | libpcap ns/pkt | interpreter ns/pkt (x) | compiled ns/pkt (x)\n');
for (const { expr, ddd } of FILTERS) {
  const text = ddd.split(',').join('\n');
  const f = ClassicFilter.create(parseDdd(text));
  const fn = f.compiled;
  let interp = Infinity;
  let compiled = Infinity;
  let sink = 0;
  for (let r = 0; r < 40; r++) {
    let t0 = process.hrtime.bigint();
    for (let k = 0; k < 5; k++) for (const s of skbs) sink += f.run(s, env) !== 0 ? 1 : 0;
    interp = Math.min(interp, Number(process.hrtime.bigint() - t0) / (5 * skbs.length));
    t0 = process.hrtime.bigint();
    for (let k = 0; k < 5; k++) for (const s of skbs) sink += fn(s, env) !== 0 ? 1 : 0;
    compiled = Math.min(compiled, Number(process.hrtime.bigint() - t0) / (5 * skbs.length));
  }
  let c = NaN;
  if (native.unavailable === '') {
    c = Infinity;
    for (let r = 0; r < 10; r++) c = Math.min(c, native.run(text, 20).nsPerPacket);
  }
  process.stdout.write(`${expr} | ${fmt(c)} | ${fmt(interp)} (${fmt(interp / c)}) | ${fmt(compiled)} (${fmt(compiled / c)})${sink < 0 ? '!' : ''}\n`);
}
if (native.unavailable !== '') process.stdout.write(`libpcap baseline skipped: ${native.unavailable}\n`);
native.close();
