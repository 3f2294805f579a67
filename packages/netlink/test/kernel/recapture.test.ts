// Re-captures the golden vectors on this machine (test/golden/capture.py under
// strace, in a fresh namespace) and checks they equal the committed ones after
// normalising what legitimately differs between runs:
//   - nlmsg_seq and nlmsg_pid of every message, and of the request header
//     echoed inside NLMSG_ERROR (tc seeds seq from the clock; pid is its port id);
//   - every struct tcf_t (install/lastuse/expires/firstuse: clock ticks since
//     the action was created or used);
//   - TCA_BPF_ID (the kernel's id of the eBPF program, global to the machine).
// Everything else (ifindexes, kernel-assigned handles, action indexes,
// counters, flags, extack texts and offsets) must be identical.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fromHex, toHex } from '@tcbpf/base';
import { hasTool, kernelOracle } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { decodeStream, encodeStream } from '../../src/index.js';
import type { AttrNode, RtnlBody, RtnlMessage } from '../../src/index.js';

const k = kernelOracle();
const reason = !k.ok ? k.reason : !hasTool('strace') ? 'strace not installed' : !hasTool('python3') ? 'python3 not installed' : !hasTool('clang-19') ? 'clang-19 not installed' : '';

interface VectorFile {
  vectors: { name: string; command: string; status: number; exchanges: { dir: string; hex: string }[] }[];
}

function normAttrs(nodes: readonly AttrNode[]): AttrNode[] {
  return nodes.map((n) => {
    const v = n.value;
    if (v.kind === 'struct' && v.layout.name === 'tcf_t') return { ...n, value: { ...v, fields: { install: 0n, lastuse: 0n, expires: 0n, firstuse: 0n } } };
    if (n.name === 'TCA_BPF_ID' && v.kind === 'u32') return { ...n, value: { ...v, value: 0 } };
    if (v.kind === 'nested') return { ...n, value: { ...v, attrs: normAttrs(v.attrs) } };
    return n;
  });
}

function normBody(b: RtnlBody): RtnlBody {
  switch (b.kind) {
    case 'tc':
      return { ...b, attrs: normAttrs(b.attrs) };
    case 'error':
      return { ...b, request: { ...b.request, seq: 0, pid: 0 }, requestBody: b.requestBody === undefined ? undefined : normBody(b.requestBody) };
    default:
      return b;
  }
}

/** Normalised bytes of a datagram (see the header comment). */
function normalise(hex: string): string {
  const msgs: RtnlMessage[] = decodeStream(fromHex(hex)).map((m) => ({ header: { ...m.header, seq: 0, pid: 0 }, body: normBody(m.body) }));
  return toHex(encodeStream(msgs));
}

describe.skipIf(reason !== '')(`golden vectors re-captured from this kernel match (kernel: ${reason || 'available'})`, () => {
  it('every command sends and receives the committed bytes (normalised)', () => {
    const script = fileURLToPath(new URL('../golden/capture.py', import.meta.url));
    const fresh = JSON.parse(execFileSync('python3', [script, '--stdout'], { encoding: 'utf8', maxBuffer: 64 << 20 })) as VectorFile;
    const committed = JSON.parse(readFileSync(new URL('../golden/vectors.json', import.meta.url), 'utf8')) as VectorFile;
    expect(fresh.vectors.map((v) => v.name)).toEqual(committed.vectors.map((v) => v.name));
    let compared = 0;
    fresh.vectors.forEach((v, i) => {
      const c = committed.vectors[i]!;
      expect(v.status, v.name).toBe(c.status);
      expect(v.exchanges.map((e) => e.dir), v.name).toEqual(c.exchanges.map((e) => e.dir));
      v.exchanges.forEach((e, j) => {
        expect(normalise(e.hex), `${v.name} exchange ${j}`).toBe(normalise(c.exchanges[j]!.hex));
        compared++;
      });
    });
    expect(compared).toBeGreaterThanOrEqual(95);
  });
});
