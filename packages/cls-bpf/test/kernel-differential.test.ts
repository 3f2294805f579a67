// Differential test: cls_bpf rtnetlink replies, dumps, RTNLGRP_TC notifications
// and traffic counters against bytes captured from this machine's kernel by
// fixtures/capture_cls_bpf.py (committed as kernel-cls-bpf.json), with the
// classic program run by the JIT and by the interpreter.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasTool, kernelOracle } from '@tcbpf/testing';
import { diffKernel, type Fixture } from './support/replay.js';

const here = new URL('.', import.meta.url).pathname;
const fixture = JSON.parse(readFileSync(join(here, 'fixtures/kernel-cls-bpf.json'), 'utf8')) as Fixture;
const names = Object.keys(fixture.sequences);

describe(`cls_bpf bytes equal the kernel's (fixture from Linux ${fixture.kernel})`, () => {
  it('compares at least 30 control sequences and 5 traffic sequences', () => {
    expect(names.filter((n) => n.startsWith('bpf-')).length).toBeGreaterThanOrEqual(30);
    expect(names.filter((n) => n.startsWith('traffic-')).length).toBeGreaterThanOrEqual(5);
  });
  for (const name of names) {
    it(`${name} (jit)`, () => {
      expect(diffKernel(fixture.sequences[name]!, true)).toEqual([]);
    });
    if (name.startsWith('traffic-')) {
      it(`${name} (interpreter)`, () => {
        expect(diffKernel(fixture.sequences[name]!, false)).toEqual([]);
      });
    }
  }
});

const k = kernelOracle();
const py = hasTool('python3');

describe.skipIf(!k.ok || !py)(`live re-capture agrees with tcbpf (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  it('every other sequence, captured now from this kernel, replays identically', () => {
    // half the sequences keep the live run near 10 s; the committed fixture covers them all
    const subset = names.filter((_, i) => i % 2 === 0);
    const r = spawnSync('python3', [join(here, 'fixtures/capture_cls_bpf.py'), '--only', ...subset], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    const live = JSON.parse(r.stdout) as Fixture;
    for (const n of subset) expect([n, diffKernel(live.sequences[n]!)]).toEqual([n, []]);
  }, 90_000);
});
