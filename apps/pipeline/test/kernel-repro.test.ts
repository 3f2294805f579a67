// The same topology and traffic on this machine's kernel: examples/kernel-repro.tcbpf
// is run in the simulator and, line by line, with the real ip/tc in two
// network namespaces made for the test (replay = AF_PACKET sends of the same
// capture, test/send_pcap.py). Per-device packet/byte counters and the
// `tc -s qdisc show` text must be identical; for `tc -s class show` the class
// lines and their Sent/backlog lines (tokens depend on wall-clock time).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { runScenario, splitWords } from '../src/index.js';

const k = kernelOracle();
const py = hasTool('python3');
const examples = join(import.meta.dirname, '..', 'examples');
const file = 'kernel-repro.tcbpf';
const tmp = mkdtempSync(join(tmpdir(), 'tcbpf-krepro-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function classLines(s: string): string {
  return s.split('\n').filter((l) => l.startsWith('class ') || l.startsWith(' Sent') || l.startsWith(' backlog')).join('\n');
}

describe.skipIf(!k.ok || !py)(`kernel reproduction of examples/${file} (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  it('same per-device counters and tc -s output as Linux', () => {
    const text = readFileSync(join(examples, file), 'utf8');
    const simShows: string[] = [];
    const sim = runScenario(file, text, { outDir: tmp, inDir: examples, print: (s) => simShows.push(s) });

    const nets = new Map<string, Netns>();
    const kernShows: string[] = [];
    try {
      for (const line of text.split('\n')) {
        const w = splitWords(line).map((x) => x.text);
        if (w.length === 0) continue;
        if (w[0] === 'ip' && w[1] === 'netns') {
          const ns = new Netns('krepro');
          // no IPv6 autoconfiguration traffic in the counters
          ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
          nets.set(w[3]!, ns);
          continue;
        }
        if (w[0] === 'sleep') {
          spawnSync('sleep', [w[1]!]);
          continue;
        }
        const ni = w.indexOf('-n');
        const ns = nets.get(w[ni + 1]!)!;
        const args = w.filter((_, i) => i !== ni && i !== ni + 1);
        if (args[0] === 'capture') continue;
        if (args[0] === 'replay') {
          ns.run('python3', [join(import.meta.dirname, 'send_pcap.py'), args[2]!, join(examples, args[4]!)]);
          continue;
        }
        const j = args.indexOf('netns');
        if (j >= 0) args[j + 1] = nets.get(args[j + 1]!)!.name;
        const out = ns.run(args[0]!, args.slice(1));
        if (args.includes('show')) kernShows.push(out);
      }
      // per-device counters
      const counters = (name: string, dev: string): { rx: [number, number]; tx: [number, number] } => {
        const j = JSON.parse(nets.get(name)!.run('ip', ['-j', '-s', 'link', 'show', 'dev', dev])) as { stats64: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } } }[];
        const s = j[0]!.stats64;
        return { rx: [s.rx.packets, s.rx.bytes], tx: [s.tx.packets, s.tx.bytes] };
      };
      for (const d of sim.devices) {
        const kc = counters(d.ns, d.dev);
        expect({ dev: d.dev, rx: [d.rxPackets, d.rxBytes], tx: [d.txPackets, d.txBytes] }).toEqual({ dev: d.dev, ...kc });
      }
      expect(sim.devices.find((d) => d.dev === 'vb')!.rxPackets).toBe(64);
      expect(simShows.length).toBe(kernShows.length);
      expect(simShows[0]).toBe(kernShows[0]);
      expect(classLines(simShows[1]!)).toBe(classLines(kernShows[1]!));
      expect(simShows[2]).toBe(kernShows[2]);
    } finally {
      for (const ns of nets.values()) ns.close();
    }
  });
});
