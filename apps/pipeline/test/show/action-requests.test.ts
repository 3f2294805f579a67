// The request bytes of the csum and police action words against what tc 6.1
// sends for the same command: tc runs under strace (`-e write=3` dumps the
// netlink sendmsg buffer) in a network namespace made for the test. This
// kernel has neither act_csum nor act_police, so it refuses the request, but
// tc has sent it by then. Compared byte for byte, nlmsg_seq taken from tc's.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Netns, hasTool, kernelOracle } from '@tcbpf/testing';
import { Args, encodeTcRequest, parseTc, splitWords } from '../../src/index.js';

const k = kernelOracle();
const st = hasTool('strace');
const COMMANDS = [
  'filter add dev vb ingress prio 1 matchall action csum iph and udp index 4',
  'filter add dev vb ingress prio 1 matchall action csum tcp udp sctp pipe',
  'filter add dev vb ingress prio 2 matchall action police rate 1mbit burst 10k conform-exceed drop/pipe index 6',
  'filter add dev vb ingress prio 3 matchall action police rate 8kbit burst 1600 mtu 1500 action csum icmp',
  'filter add dev vb ingress prio 4 bpf bytecode "1,6 0 0 0" action police rate 10gbit burst 64k conform-exceed pipe',
];

/** The first netlink sendmsg buffer of `tc ARGS` (strace's -e write hex dump). */
function tcRequest(ns: Netns, args: readonly string[], dir: string): Buffer {
  const out = join(dir, 'strace.txt');
  spawnSync('ip', ['netns', 'exec', ns.name, 'strace', '-f', '-e', 'trace=sendmsg', '-e', 'write=3', '-o', out, 'tc', ...args], { encoding: 'utf8' });
  const lines = readFileSync(out, 'utf8').split('\n');
  const start = lines.findIndex((l) => l.includes('sendmsg(') && l.includes('RTM_NEWTFILTER'));
  const bytes: number[] = [];
  for (const l of lines.slice(start + 1)) {
    const m = /^\s*\| [0-9a-f]{5} {2}((?:[0-9a-f]{2} {1,2})+)/.exec(l);
    if (m === null) {
      if (bytes.length > 0) break;
      continue;
    }
    for (const h of m[1]!.trim().split(/\s+/)) bytes.push(Number.parseInt(h, 16));
  }
  return Buffer.from(bytes);
}

describe.skipIf(!k.ok || !st)(`csum/police request bytes = tc 6.1's (kernel: ${k.ok ? (st ? 'ok' : 'strace missing') : k.reason})`, () => {
  it(`${COMMANDS.length} commands encode byte for byte`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcbpf-req-'));
    const ns = new Netns('req');
    try {
      ns.run('ip', ['link', 'add', 'va', 'type', 'veth', 'peer', 'name', 'vb']);
      ns.run('tc', ['qdisc', 'add', 'dev', 'vb', 'clsact']);
      const links = JSON.parse(ns.run('ip', ['-j', 'link', 'show'])) as { ifindex: number; ifname: string }[];
      const env = { ifindex: (n: string) => links.find((l) => l.ifname === n)?.ifindex ?? 0, ifname: (i: number) => `if${i}` };
      for (const c of COMMANDS) {
        const words = splitWords(c);
        const sent = tcRequest(ns, words.map((w) => w.text), dir);
        expect(sent.length, c).toBeGreaterThan(36);
        const ours = encodeTcRequest(parseTc(new Args(words, c.length + 1), env).request, sent.readUInt32LE(8), 0);
        expect(Buffer.from(ours).toString('hex'), c).toBe(sent.toString('hex'));
      }
    } finally {
      ns.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
