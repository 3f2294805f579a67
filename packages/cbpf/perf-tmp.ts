import { Prng } from '@tcbpf/base';
import { ClassicFilter, parseDdd } from './src/index.js';
import { generatePackets } from './test/corpus/packets.js';
import { skbOf } from './test/helpers.js';
const F = ['16,40 0 0 12,21 0 4 34525,48 0 0 20,21 0 11 6,40 0 0 56,21 8 9 80,21 0 8 2048,48 0 0 23,21 0 6 6,40 0 0 20,69 4 0 8191,177 0 0 14,72 0 0 16,21 0 1 80,6 0 0 262144,6 0 0 0',
'15,40 0 0 12,21 0 12 2048,48 0 0 23,21 0 10 17,40 0 0 20,69 8 0 8191,177 0 0 14,72 0 0 14,21 4 0 53,21 3 0 123,72 0 0 16,21 1 0 53,21 0 1 123,6 0 0 262144,6 0 0 0',
'9,40 0 0 12,21 0 6 34525,48 0 0 20,21 3 0 6,21 0 3 44,48 0 0 54,21 0 1 6,6 0 0 262144,6 0 0 0'];
const skbs = generatePackets(2000).map((f) => skbOf(f));
const env = { cpu: 0, prng: new Prng(1) };
for (const d of F) {
  const f = ClassicFilter.create(parseDdd(d.split(',').join('\n')));
  const time = (fn: () => number): number => {
    let best = Infinity;
    for (let r = 0; r < 30; r++) {
      const t0 = process.hrtime.bigint();
      let m = 0;
      for (let k = 0; k < 10; k++) m += fn();
      const t = Number(process.hrtime.bigint() - t0) / (10 * skbs.length);
      if (t < best) best = t;
      if (m < 0) console.log(m);
    }
    return best;
  };
  const i = time(() => { let m = 0; for (const s of skbs) if (f.run(s, env)) m++; return m; });
  const c = time(() => { let m = 0; for (const s of skbs) if (f.runCompiled(s, env)) m++; return m; });
  console.log(`${f.length} insns: interp ${i.toFixed(1)} ns, compiled ${c.toFixed(1)} ns, ratio ${(i / c).toFixed(2)}`);
}
