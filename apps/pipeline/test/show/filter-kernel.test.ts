// `tc [-s] filter show dev D ingress` of the simulator against this machine's
// Linux 6.18 and iproute2 6.1: the same lines run in the simulator and, with
// the real ip/tc, in a network namespace made for the test (sends: AF_PACKET,
// test/send_pcap.py). Normalised: the kernel-assigned program id (`id N`) and
// the action timestamps (`installed/used/firstused X sec`: jiffies on the
// kernel, the simulated clock — still 0 — here). `total acts N` of `tc
// actions ls` (TCA_ROOT_COUNT, counted under TCA_ACT_FLAG_LARGE_DUMP_ON) is compared as is.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { splitWords } from '../../src/index.js';
import { KERNEL_FILTER_CASES } from './cases.js';
import { simScenario } from './tc-monitor-oracle.js';

const k = kernelOracle();
const py = hasTool('python3');
const appDir = join(import.meta.dirname, '..', '..');
const sendPy = join(import.meta.dirname, '..', 'send_pcap.py');

/** What the comparison ignores (documented above). */
export function normaliseShow(s: string): string {
  return s.replace(/ id \d+ /g, ' id N ').replace(/"id": ?\d+/g, '"id":N').replace(/,?\n? *"(installed|last_used|first_used|expires)": ?\d+/g, '').replace(/ (installed|used|firstused|expires) \d+ sec/g, '');
}

function onKernel(ns: Netns, lines: readonly string[]): void {
  for (const line of lines) {
    const w = splitWords(line).map((x) => x.text);
    if (w[0] === 'send') {
      ns.run('python3', [sendPy, w[2]!, '--hex', w[4]!]);
      continue;
    }
    const oi = w.indexOf('obj');
    if (oi >= 0) w[oi + 1] = join(appDir, w[oi + 1]!);
    ns.run(w[0]!, w.slice(1));
  }
}

describe.skipIf(!k.ok || !py)(`tc filter show: simulator = Linux 6.18 + tc 6.1 (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  for (const c of KERNEL_FILTER_CASES) {
    it(`${c.name}: same text with and without -s, same -j and -s -j -p JSON`, () => {
      const sim: string[] = [];
      const sc = simScenario([...c.lines, `tc ${c.show}`, `tc -s ${c.show}`, `tc -s ${c.show} chain 2`, `tc -j ${c.show}`, `tc -s -j -p ${c.show}`, 'tc -s actions ls action mirred', 'tc actions get action mirred index 9', 'tc -j actions ls action mirred'], (s) => sim.push(s));
      expect(sc).toBeDefined();
      const ns = new Netns('show');
      try {
        ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
        onKernel(ns, c.lines);
        const args = splitWords(c.show).map((x) => x.text);
        const kern = [ns.run('tc', args), ns.run('tc', ['-s', ...args]), ns.run('tc', ['-s', ...args, 'chain', '2']), ns.run('tc', ['-j', ...args]), ns.run('tc', ['-s', '-j', '-p', ...args]), ns.run('tc', ['-s', 'actions', 'ls', 'action', 'mirred']), ns.run('tc', ['actions', 'get', 'action', 'mirred', 'index', '9']), ns.run('tc', ['-j', 'actions', 'ls', 'action', 'mirred'])];
        expect(kern[1]).toContain('Action statistics');
        expect(kern[2]).toMatch(/parse_classify.o:\[tc\] direct-action not_in_hw id \d+ name \w+ tag [0-9a-f]{16} jited/);
        expect(kern[4]).toContain('"actions": [ {');
        expect(kern[4]).toMatch(/"prog": \{\n +"id": \d+,\n +"name": "\w+",\n +"tag": "[0-9a-f]{16}",\n +"jited": 1/);
        expect(sim.map(normaliseShow)).toEqual(kern.map(normaliseShow));
      } finally {
        ns.close();
      }
    });
  }
});
