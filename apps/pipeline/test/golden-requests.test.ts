// The request bytes of the iproute2 model against what tc 6.1 really sent
// (packages/netlink/test/golden/vectors.json, captured from Linux 6.18.44 with
// strace): every modify command the model covers must encode byte for byte
// (nlmsg_seq taken from the vector; tc's nlmsg_pid is 0 in requests).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TCF_ALL_KINDS, TcKernel } from '@tcbpf/tcf';
import { Args, encodeTcRequest, parseTc, splitWords, type TcEnv } from '../src/index.js';

interface Vector { name: string; command: string; status: number; exchanges: { dir: string; hex: string }[] }
const vectors = (JSON.parse(readFileSync(join(import.meta.dirname, '../../../packages/netlink/test/golden/vectors.json'), 'utf8')) as { vectors: Vector[] }).vectors;

// v1 gets ifindex 2 and v0 3, as in the capture namespace
const kernel = new TcKernel({ kinds: TCF_ALL_KINDS, seed: 1 });
const net = kernel.addNet();
net.addVethPair('v0', 'v1');
const env: TcEnv = { ifindex: (n) => net.devByName(n)?.ifindex ?? 0, ifname: (i) => net.ns.getByIndex(i)?.name ?? '' };

/** Commands outside the model today: rate estimators (`est`) and eBPF objects (`obj`, needs cls_bpf), actions-only commands. */
const OUTSIDE = (c: string): boolean => / est /.test(c) || / obj /.test(c) || c.startsWith('tc actions') || c.startsWith('tc chain');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('tc request encoding vs tc 6.1 golden vectors', () => {
  const covered = vectors.filter((v) => !OUTSIDE(v.command) && / (add|replace|change|delete|del) /.test(` ${v.command.split(' ').slice(2).join(' ')} `));
  it('covers the modify commands of the capture', () => {
    expect(covered.length).toBeGreaterThanOrEqual(20);
  });
  for (const v of covered) {
    it(v.name, () => {
      const words = splitWords(v.command.replace(/^tc /, '')).map((w) => w);
      // the vectors quote the bytecode; the capture ran it as one argv word
      const line = v.command.replace(/^tc /, '');
      const bc = /bytecode (.*?,)(?= |$)/.exec(line);
      const ws = bc === null ? words : splitWords(line.replace(bc[1]!, `"${bc[1]!}"`));
      const cmd = parseTc(new Args(ws, line.length + 1), env);
      const sent = Buffer.from(v.exchanges.find((e) => e.dir === 'send')!.hex, 'hex');
      const seq = sent.readUInt32LE(8);
      expect(hex(encodeTcRequest(cmd.request, seq, 0))).toBe(sent.toString('hex'));
    });
  }
});
