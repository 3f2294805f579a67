// Differential test: tcbpf's rtnetlink replies, dumps and RTNLGRP_TC
// notifications against bytes captured from this machine's Linux kernel by
// test/fixtures/capture_rtnl.py (committed in kernel-tc.json; re-captured live
// when root is available). Normalised: nlmsg_pid of kernel-sent messages (the
// socket's port id, assigned by the kernel), the wall-clock tcf_t timestamps of
// mirred actions, and HTB tokens/ctokens after traffic (refill depends on the
// real time between frames). Nothing else.
import { readFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { kernelOracle, hasTool } from '@tcbpf/testing';
import { diffKernel, normHtbTokens, type Fixture } from './support/replay.js';

const here = new URL('.', import.meta.url).pathname;
const fixture = JSON.parse(readFileSync(join(here, 'fixtures/kernel-tc.json'), 'utf8')) as Fixture;

const names = Object.keys(fixture.sequences);
const matching = names;

describe(`rtnetlink bytes equal the kernel's (fixture from Linux ${fixture.kernel})`, () => {
  it('compares at least 40 sequences byte for byte', () => {
    expect(matching.length).toBeGreaterThanOrEqual(40);
  });
  for (const name of matching) {
    it(name, () => {
      const r = diffKernel(fixture.sequences[name]!, normHtbTokens);
      expect(r).toEqual([]);
    });
  }
});

const k = kernelOracle();
const py = hasTool('python3');
describe.skipIf(!k.ok || !py)(`live re-capture agrees with tcbpf (kernel: ${k.ok ? (py ? 'ok' : 'python3 missing') : k.reason})`, () => {
  it('re-captured sequences replay identically', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcbpf-tcf-'));
    try {
      // every other sequence keeps the live run near 10 s; the committed fixture covers them all
      const subset = matching.filter((_, i) => i % 2 === 0);
      const r = spawnSync('python3', [join(here, 'fixtures/capture_rtnl.py'), '--only', ...subset], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status).toBe(0);
      writeFileSync(join(dir, 'live.json'), r.stdout);
      const live = JSON.parse(r.stdout) as Fixture;
      for (const n of subset) expect([n, diffKernel(live.sequences[n]!, normHtbTokens)]).toEqual([n, []]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});

