// `tc [-s] [-j] [-p] qdisc|class show` of an htb tree after traffic, simulator
// against this machine's Linux 6.18 + tc 6.1 in a network namespace made for
// the test (tc 6.1 prints htb classes as text even with -j). Normalised: the
// htb ` tokens: ... ctokens: ...` line only (it depends on wall-clock time on
// the kernel); every other line, counters included, must be equal.
import { describe, expect, it } from 'vitest';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { splitWords } from '../../src/index.js';
import { simScenario } from './tc-monitor-oracle.js';
import { join } from 'node:path';

const k = kernelOracle();
const py = hasTool('python3');
const sendPy = join(import.meta.dirname, '..', 'send_pcap.py');
const UDP = '02000000000202000000000108004500001c00010000401166cd0a0000010a00000203e800350008fc0a';
const LINES = ['ip link add va type veth peer name vb', 'ip link set va up', 'ip link set vb up',
  'tc qdisc add dev va root handle 1: htb default 20', 'tc class add dev va parent 1: classid 1:1 htb rate 10mbit',
  'tc class add dev va parent 1:1 classid 1:10 htb rate 1mbit ceil 5mbit prio 1', 'tc class add dev va parent 1:1 classid 1:20 htb rate 2mbit burst 15k',
  `send dev va egress ${UDP}`, `send dev va egress ${UDP}`];
const SHOWS = ['tc -s -j class show dev va', 'tc -j -p class show dev va', 'tc -s class show dev va', 'tc -p qdisc show dev va', 'tc -j -p -s qdisc show dev va', 'tc -j qdisc show'];

const dropTokens = (s: string): string => s.split('\n').filter((l) => !l.startsWith(' tokens:')).join('\n');

describe.skipIf(!k.ok || !py)(`qdisc/class show -j/-p: simulator = Linux 6.18 + tc 6.1 (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  it('htb tree after two packets', () => {
    const sim: string[] = [];
    simScenario([...LINES, ...SHOWS], (s) => sim.push(s));
    const ns = new Netns('cls');
    try {
      ns.run('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
      for (const l of LINES) {
        const w = splitWords(l).map((x) => x.text);
        if (w[0] === 'send') ns.run('python3', [sendPy, w[2]!, '--hex', w[4]!]);
        else ns.run(w[0]!, w.slice(1));
      }
      const kern = SHOWS.map((l) => {
        const w = splitWords(l).map((x) => x.text);
        return ns.run(w[0]!, w.slice(1));
      });
      expect(kern[2]).toMatch(/Sent [1-9]\d* bytes 2 pkt/);
      expect(sim.map(dropTokens)).toEqual(kern.map(dropTokens));
    } finally {
      ns.close();
    }
  });
});
