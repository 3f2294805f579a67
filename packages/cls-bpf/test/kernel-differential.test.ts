// Differential test: cls_bpf rtnetlink replies, dumps, RTNLGRP_TC notifications
// and traffic counters against bytes captured from this machine's kernel by
// fixtures/capture_cls_bpf.py (committed as kernel-cls-bpf.json), with the
// classic program run by the JIT and by the interpreter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
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
