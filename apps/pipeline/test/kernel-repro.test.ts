// The same topology and traffic on this machine's kernel: every example whose
// first line is `# kernel-reproducible` runs in the simulator and, line by
// line, with the real ip/tc in network namespaces made for the test (the
// scenario's `default` namespace is one of them too; replay/send = AF_PACKET
// sends of the same frames, test/send_pcap.py). Per-device packet/byte
// counters and the `tc -s qdisc show` text must be identical; for
// `tc -s class show` the class lines and their Sent/backlog lines (htb tokens
// depend on wall-clock time). With tcpdump installed, every `capture` line also
// runs tcpdump -Q in|out on the kernel's device and the frames must be
// byte-identical (timestamps aside).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { decodeCapture } from '@tcbpf/skb';
import { runScenario, splitWords } from '../src/index.js';

const k = kernelOracle();
const py = hasTool('python3');
const examples = join(import.meta.dirname, '..', 'examples');
const files = readdirSync(examples).filter((f) => f.endsWith('.tcbpf') && readFileSync(join(examples, f), 'utf8').startsWith('# kernel-reproducible'));
// made in beforeAll: with a -t filter that skips every test, no hook runs and nothing is left behind
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-krepro-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function classLines(s: string): string {
  return s.split('\n').filter((l) => l.startsWith('class ') || l.startsWith(' Sent') || l.startsWith(' backlog')).join('\n');
}

interface Counters { rx: [number, number]; tx: [number, number] }

const tcpdump = hasTool('tcpdump');

/** A tcpdump capturing in a namespace (started in the background, stopped with SIGINT). */
interface KernelCapture { readonly name: string; readonly file: string; readonly pid: number }

function waitUntil(ok: () => boolean, what: string): void {
  for (let i = 0; i < 200; i++) {
    if (ok()) return;
    spawnSync('sleep', ['0.025']);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `capture -n NS dev D rx|tx F` on the kernel: tcpdump -Q in|out on the device until stopCaptures. */
function startCapture(ns: Netns, dev: string, dir: string, name: string, outDir: string): KernelCapture {
  const file = join(outDir, `kernel-${name}`);
  const log = `${file}.log`;
  // detached (reaped by init); `timeout` bounds it and forwards SIGINT to tcpdump
  const r = spawnSync('sh', ['-c', `ip netns exec ${ns.name} timeout 120 tcpdump -i ${dev} -Q ${dir === 'rx' ? 'in' : 'out'} --immediate-mode -B 8192 -U -n -w ${file} >${log} 2>&1 & echo $!`], { encoding: 'utf8' });
  const pid = Number(r.stdout.trim());
  waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('listening on'), `tcpdump on ${dev}`);
  return { name, file, pid };
}

function stopCaptures(caps: readonly KernelCapture[]): void {
  for (const c of caps) spawnSync('kill', ['-INT', String(c.pid)]);
  for (const c of caps) waitUntil(() => !existsSync(`/proc/${c.pid}`), `tcpdump ${c.pid} to exit`);
}

/** Run the scenario's lines with the real tools; returns the show outputs and a counter reader. */
function runOnKernel(text: string, nets: Map<string, Netns>, outDir: string): { shows: string[]; counters: (ns: string, dev: string) => Counters; captures: KernelCapture[] } {
  const shows: string[] = [];
  const captures: KernelCapture[] = [];
  const netOf = (name: string): Netns => {
    let ns = nets.get(name);
    if (ns === undefined) {
      ns = new Netns('krepro');
      // no IPv6 autoconfiguration traffic in the counters
      ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      nets.set(name, ns);
    }
    return ns;
  };
  netOf('default');
  for (const line of text.split('\n')) {
    const w = splitWords(line).map((x) => x.text);
    if (w.length === 0) continue;
    if (w[0] === 'ip' && w[1] === 'netns') {
      const ns = netOf(w[3]!);
      // ip netns exec NS CMD ...: the command inside that namespace (sysctl -w)
      if (w[2] === 'exec') ns.run(w[4]!, w.slice(5));
      continue;
    }
    if (w[0] === 'sleep') {
      spawnSync('sleep', [w[1]!]);
      continue;
    }
    const ni = w.indexOf('-n');
    const ns = netOf(ni < 0 ? 'default' : w[ni + 1]!);
    const args = ni < 0 ? w : w.filter((_, i) => i !== ni && i !== ni + 1);
    if (args[0] === 'capture') {
      // capture dev D rx|tx FILE
      if (tcpdump) captures.push(startCapture(ns, args[2]!, args[3]!, args[4]!, outDir));
      continue;
    }
    if (args[0] === 'replay' || args[0] === 'send') {
      if (args[3] !== 'egress') throw new Error(`kernel reproduction sends on egress only: ${line}`);
      const what = args[0] === 'send' ? ['--hex', args[4]!] : [join(examples, args[4]!)];
      ns.run('python3', [join(import.meta.dirname, 'send_pcap.py'), args[2]!, ...what]);
      continue;
    }
    const j = args.indexOf('netns');
    if (j >= 0) args[j + 1] = netOf(args[j + 1]!).name;
    // tc reads `obj`/`bytecode-file` from its cwd; the scenario names them relative to its folder
    for (const f of ['obj', 'bytecode-file']) {
      const o = args.indexOf(f);
      if (o >= 0 && args[0] === 'tc') args[o + 1] = join(examples, args[o + 1]!);
    }
    const out = ns.run(args[0]!, args.slice(1));
    if (args.includes('show')) shows.push(out);
  }
  stopCaptures(captures);
  return {
    shows,
    captures,
    counters: (name, dev) => {
      const j = JSON.parse(netOf(name).run('ip', ['-j', '-s', 'link', 'show', 'dev', dev])) as { stats64: { rx: { packets: number; bytes: number }; tx: { packets: number; bytes: number } } }[];
      const s = j[0]!.stats64;
      return { rx: [s.rx.packets, s.rx.bytes], tx: [s.tx.packets, s.tx.bytes] };
    },
  };
}

describe.skipIf(!k.ok || !py)(`kernel reproduction of examples (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  it('there are kernel-reproducible examples', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });
  for (const file of files) {
    it(`${file}: same per-device counters, tc -s output${tcpdump ? ' and captured frames' : ''} as Linux`, () => {
      const text = readFileSync(join(examples, file), 'utf8');
      const simShows: string[] = [];
      const sim = runScenario(file, text, { outDir: join(tmp, file), inDir: examples, print: (s) => simShows.push(s) });
      const nets = new Map<string, Netns>();
      try {
        const kern = runOnKernel(text, nets, tmp);
        for (const d of sim.devices) expect({ dev: d.dev, rx: [d.rxPackets, d.rxBytes], tx: [d.txPackets, d.txBytes] }).toEqual({ dev: d.dev, ...kern.counters(d.ns, d.dev) });
        expect(sim.devices.reduce((n, d) => n + d.rxPackets, 0)).toBeGreaterThan(0);
        expect(simShows.length).toBe(kern.shows.length);
        simShows.forEach((s, i) => {
          if (s.startsWith('class ')) expect(classLines(s)).toBe(classLines(kern.shows[i]!));
          else expect(s).toBe(kern.shows[i]);
        });
        // the frames each capture saw, byte for byte (timestamps differ)
        for (const c of kern.captures) {
          const frames = (f: string): string[] => [...decodeCapture([readFileSync(f)])].map((p) => Buffer.from(p.data).toString('hex'));
          const want = frames(c.file);
          expect(frames(join(tmp, file, c.name)), `${file}: ${c.name}`).toEqual(want);
          expect(want.length, `${file}: ${c.name} captured frames`).toBeGreaterThan(0);
        }
      } finally {
        for (const ns of nets.values()) ns.close();
      }
    });
  }
});
