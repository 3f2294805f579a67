// The disassembler against libpcap's own bpf_image() (test/oracle/bpf-image.c,
// built with gcc -lpcap): every code 0..0xff (accepted or not) with varied
// jt/jf/k, line for line — the text `tcpdump -d` prints. Skips with the reason
// when gcc or libpcap-dev is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Prng } from '@tcbpf/base';
import { hasTool } from '@tcbpf/testing';
import { type SockFilter, ancK, disassembleInsn, insn } from '../src/index.js';

const SRC = join(import.meta.dirname, 'oracle', 'bpf-image.c');
const CACHE = join(import.meta.dirname, '..', '..', '..', 'node_modules', '.cache', 'tcbpf');
const BIN = join(CACHE, 'bpf-image');

function build(): string {
  if (!hasTool('gcc')) return 'gcc not installed';
  if (existsSync(BIN) && statSync(BIN).mtimeMs >= statSync(SRC).mtimeMs) return '';
  mkdirSync(CACHE, { recursive: true });
  const r = spawnSync('gcc', ['-O1', '-o', BIN, SRC, '-lpcap'], { encoding: 'utf8' });
  return r.status === 0 ? '' : `cannot build against libpcap (libpcap-dev missing?): ${r.stderr.trim().split('\n')[0] ?? ''}`;
}
const reason = build();

describe.skipIf(reason !== '')(`disassembler vs libpcap bpf_image (${reason || 'libpcap available'})`, () => {
  it('matches on every 8-bit code with varied operands', () => {
    const r = new Prng(0xd15a);
    const ks = [0, 1, 12, 255, 0x7fffffff, 0x80000000, 0xffffffff, ancK(0), ancK(48), ancK(56), ancK(60), ancK(64), ancK(2), (-0x100000 >>> 0)];
    const prog: SockFilter[] = [];
    for (let code = 0; code < 0x100; code++) {
      for (const k of ks) prog.push(insn(code, r.below(256), r.below(256), k));
      prog.push(insn(code, 0, 0, r.u32()));
    }
    // 16-bit codes libpcap prints as unimp
    prog.push(insn(0x1234, 1, 2, 3), insn(0x8006, 0, 0, 1));
    const input = prog.map((f) => `${f.code} ${f.jt} ${f.jf} ${f.k}`).join('\n');
    const out = spawnSync(BIN, [], { input, encoding: 'utf8', maxBuffer: 64 << 20 });
    expect(out.status).toBe(0);
    const want = out.stdout.split('\n');
    let same = 0;
    const diffs: string[] = [];
    prog.forEach((f, n) => {
      const ours = disassembleInsn(f, n);
      if (ours === want[n]) same++;
      else diffs.push(`${JSON.stringify(f)}: libpcap "${want[n]}" ours "${ours}"`);
    });
    expect(diffs.slice(0, 8)).toEqual([]);
    expect(same).toBe(prog.length);
  });
});
