// Fuzz: the show printers read netlink messages (from the simulated kernel or,
// through `tc monitor file`-style use, from anywhere): random and mutated dump
// messages must print or be skipped, never throw or hang.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { fuzzRuns } from '@tcbpf/testing';
import { filterMsgJson, jsonDocument, printFilterMsg } from '../../src/index.js';
import { FILTER_CASES } from './cases.js';
import { simDump, simScenario } from './tc-monitor-oracle.js';

const env = { ifindex: () => 0, ifname: (i: number) => `if${i}`, progInfo: (id: number) => (id % 2 ? { name: 'p', tag: '00', jited: true } : undefined) };
// real dump messages to mutate (filters with actions, classic and eBPF)
const seeds = FILTER_CASES.flatMap((c) => simDump(simScenario(c.lines), c.show));

function printAll(m: Uint8Array): void {
  for (const stats of [false, true]) {
    const o = { stats, filterIfindex: 0, env };
    expect(typeof printFilterMsg(m, o)).toBe('string');
    const j = filterMsgJson(m, o);
    if (j === null) continue;
    const doc = jsonDocument([j], true);
    // like json_writer.c, other control characters go out raw (tc's JSON is then invalid too)
    // eslint-disable-next-line no-control-regex
    if (!/[\u0000-\u0007\u000b\u000e-\u001f]/.test(doc)) expect(() => JSON.parse(doc) as unknown).not.toThrow();
  }
}

describe('show printers', () => {
  test.prop([fc.integer({ min: 0, max: seeds.length - 1 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), fc.nat()], { numRuns: fuzzRuns(300, 20000) })('fuzz: mutated filter dump messages print without throwing', (i, flips, cut) => {
    const m = seeds[i]!.slice();
    for (const [at, b] of flips) if (m.length > 36) m[36 + (at % (m.length - 36))] = b;
    const len = Math.max(36, m.length - (cut % 64));
    const v = new DataView(m.buffer);
    v.setUint32(0, len, true);
    printAll(m.subarray(0, len));
  });
  test.prop([fc.uint8Array({ minLength: 36, maxLength: 400 })], { numRuns: fuzzRuns(300, 20000) })('fuzz: random bytes after a tcmsg header print without throwing', (b) => {
    const m = b.slice();
    new DataView(m.buffer).setUint32(0, m.length, true);
    printAll(m);
  });
});
