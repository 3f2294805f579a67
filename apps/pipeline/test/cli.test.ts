import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stackPackages } from '../src/index.js';

const app = join(import.meta.dirname, '..');
// made in beforeAll: with a -t filter that skips every test, no hook runs and nothing is left behind
let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'tcbpf-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tcbpf(...args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('pnpm', ['exec', 'tsx', '--conditions=@tcbpf/source', 'src/cli.ts', ...args], { cwd: app, encoding: 'utf8' });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('tcbpf stack listing', () => {
  it('lists every package bottom-up with a version', () => {
    const names = stackPackages().map((p) => p.name);
    expect(names[0]).toBe('@tcbpf/uapi');
    expect(names).toContain('@tcbpf/cls-bpf');
    expect(names.indexOf('@tcbpf/tcf')).toBeLessThan(names.indexOf('@tcbpf/cls-bpf'));
    for (const p of stackPackages()) expect(p.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('tcbpf command line', () => {
  it('demo writes captures, trace and statistics into the folder it names', () => {
    const out = join(tmp, 'demo');
    const r = tcbpf('demo', '--out', out);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`outputs in ${out}`);
    expect(r.stdout).toContain('qdisc htb 1: root refcnt 3 r2q 10 default 0x30');
    // the eBPF classifier picked every class; the classic filter's redirect reached dm0
    expect(r.stdout).toMatch(/class htb 1:10 root .*\n Sent \d+ bytes [1-9]\d* pkt/);
    expect(r.stdout).toMatch(/right +dm0 +0 +0 +0 +[1-9]\d* /);
    for (const f of ['va-tx.pcap', 'vb-rx.pcap', 'dm0-tx.pcap', 'trace.jsonl', 'stats.txt']) expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(app, 'test/expected/demo/stats.txt'), 'utf8')).toBe(readFileSync(join(out, 'stats.txt'), 'utf8'));
  }, 30_000);
  it('--no-jit runs the scenario\'s BPF programs on the interpreters with the same results', () => {
    const a = tcbpf('run', 'examples/cls-bpf-repro.tcbpf', '--out', join(tmp, 'jit'), '--json');
    const b = tcbpf('--no-jit', 'run', 'examples/cls-bpf-repro.tcbpf', '--out', join(tmp, 'nojit'), '--json');
    expect([a.status, b.status]).toEqual([0, 0]);
    expect(JSON.parse(b.stdout)).toEqual(JSON.parse(a.stdout));
    expect(readFileSync(join(tmp, 'nojit', 'dm0-tx.pcap'))).toEqual(readFileSync(join(tmp, 'jit', 'dm0-tx.pcap')));
  }, 60_000);
  it('run --json prints machine-readable results', () => {
    const r = tcbpf('run', 'examples/kernel-repro.tcbpf', '--out', join(tmp, 'k'), '--json');
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout) as { packets: number; devices: { dev: string; rxPackets: number }[]; show: string[] };
    expect(j.packets).toBe(64);
    expect(j.devices.find((d) => d.dev === 'vb')?.rxPackets).toBe(64);
    expect(j.show.length).toBe(3);
  }, 30_000);
  it('a bad line: file:line:col, errno and extack on stderr, exit status 1', () => {
    const f = join(tmp, 'bad.tcbpf');
    writeFileSync(f, 'ip link add va type veth peer name vb\n\ntc qdisc add dev va clsact\ntc qdisc add dev va clsact\n');
    const r = tcbpf('run', f, '--out', join(tmp, 'bad'));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`${f}:4:1: Error: Exclusivity flag on, cannot modify. (EEXIST)\n`);
  }, 30_000);
});
