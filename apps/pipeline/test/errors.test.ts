// Bad scenario lines: file:line:col, the kernel's errno and extack (or
// iproute2's own usage text), the run stops, and captures already open are
// closed as valid pcaps. Plus a fuzz test: random lines never crash the runner.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fc, test } from '@fast-check/vitest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeCapture } from '@tcbpf/skb';
import { fuzzRuns } from '@tcbpf/testing';
import { Scenario, ScenarioError, runScenario } from '../src/index.js';

// made in beforeAll: with a -t filter that skips every test, no hook runs and nothing is left behind
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-err-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SETUP = ['ip link add va type veth peer name vb', 'ip link set va up', 'ip link set vb up'];

function fail(lines: readonly string[]): ScenarioError {
  try {
    runScenario('t.tcbpf', lines.join('\n'), { outDir: tmp, inDir: tmp });
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error('scenario did not fail');
}

describe('scenario errors', () => {
  it('unknown classifier kind: the kernel has no such module → ENOENT with its extack', () => {
    const e = fail([...SETUP, 'tc qdisc add dev va clsact', 'tc filter add dev va ingress u32']);
    expect(e.message).toBe('t.tcbpf:5:1: Error: TC classifier not found. (ENOENT)');
    expect([e.line, e.col, e.errno]).toEqual([5, 1, 'ENOENT']);
  });
  it('cls_bpf refuses a classic program the checker rejects: bare EINVAL (bpf_prog_create has no extack)', () => {
    const e = fail([...SETUP, 'tc qdisc add dev va clsact', 'tc filter add dev va ingress bpf bytecode "1,21 0 5 2048"']);
    expect([e.line, e.col, e.errno]).toEqual([5, 1, 'EINVAL']);
  });
  it('filter without a clsact qdisc: the kernel refusal', () => {
    const e = fail([...SETUP, 'tc filter add dev va ingress matchall action drop']);
    expect(e.errno).toBeDefined();
    expect(e.line).toBe(4);
  });
  it('duplicate qdisc: EEXIST', () => {
    const e = fail([...SETUP, 'tc qdisc add dev va clsact', '  tc qdisc add dev va clsact']);
    expect(e.message).toBe('t.tcbpf:5:3: Error: Exclusivity flag on, cannot modify. (EEXIST)');
  });
  it('usage errors point at the word', () => {
    expect(fail([...SETUP, 'tc qdisc add dev nope clsact']).message).toBe('t.tcbpf:4:18: Cannot find device "nope"');
    expect(fail([...SETUP, 'tc class add dev va parent 1: classid 1:10 htb rate 10furlongs']).message).toBe('t.tcbpf:4:53: Illegal "rate"');
    expect(fail([...SETUP, 'tc filter add dev va ingress matchall action mirred egress redirect dev zz']).message).toMatch(/^t\.tcbpf:4:\d+: Cannot find device "zz"$/);
    expect(fail(['frobnicate']).message).toBe('t.tcbpf:1:1: unknown command "frobnicate" (expected ip, tc, sysctl, echo, ethtool, replay, send, capture or sleep)');
    expect(fail([...SETUP, 'tc filter add dev va ingress bpf bytecode "2,6 0 0 0,"']).message).toMatch(/^t\.tcbpf:4:43: Parsed program length is less than encoded length parameter!/);
  });
  it('a failing line leaves earlier captures complete', () => {
    const out = mkdtempSync(join(tmp, 'cap-'));
    const frame = 'ffffffffffff02000000000108060001080006040001020000000001c0a80001000000000000c0a80002';
    expect(() => runScenario('c.tcbpf', [...SETUP, 'capture dev vb rx vb.pcap', `send dev va egress ${frame}`, `send dev va egress ${frame}`, 'tc qdisc add dev va bogus'].join('\n'), { outDir: out, inDir: out })).toThrow(ScenarioError);
    const recs = [...decodeCapture([readFileSync(join(out, 'vb.pcap'))])];
    expect(recs.length).toBe(2);
    expect(Buffer.from(recs[0]!.data).toString('hex')).toBe(frame);
  });
});

const WORDS = ['tc', 'ip', 'link', 'qdisc', 'class', 'filter', 'add', 'del', 'show', 'dev', 'va', 'vb', 'root', 'handle', '1:', '1:10', 'parent',
  'htb', 'rate', '1mbit', 'ceil', 'default', '10', 'clsact', 'ingress', 'egress', 'matchall', 'bpf', 'bytecode', '"1,6 0 0 0,"', 'action', 'drop',
  'mirred', 'redirect', 'mirror', 'skbedit', 'priority', 'prio', 'protocol', 'ip', 'chain', '3', 'classid', 'block', 'pfifo', 'limit', '-s', 'set', 'up',
  'send', 'replay', 'capture', 'rx', 'tx', 'sleep', '0', 'x', '"', '#', '-n', 'veth', 'type', 'peer', 'name', '0xffffffff', '65536'];

test.prop([fc.array(fc.array(fc.constantFrom(...WORDS), { maxLength: 12 }), { maxLength: 8 })], { numRuns: fuzzRuns(200, 20000) })(
  'fuzz: random scenario lines either run or raise a ScenarioError (never another exception)',
  (lines) => {
    const sc = new Scenario({ outDir: tmp, inDir: tmp });
    for (const l of SETUP) sc.exec('f', 0, l);
    lines.forEach((ws, i) => {
      const line = ws.join(' ').replace(/\b(replay|capture)\b/g, 'x');
      try {
        sc.exec('f', i + 1, line);
      } catch (e) {
        expect(e).toBeInstanceOf(ScenarioError);
        const se = e as ScenarioError;
        expect(se.line).toBe(i + 1);
        expect(se.col).toBeGreaterThanOrEqual(1);
      }
    });
    sc.finish();
  },
);
