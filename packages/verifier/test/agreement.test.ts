// Verdict agreement with Linux 6.18 on the committed corpus fixtures (no root
// needed), and a live re-check against this machine's kernel when possible.
import { kernelVerify, verifyOracle } from '@tcbpf/testing';
import { describe, expect, it } from 'vitest';
import { compareOne } from './corpus/compare.js';
import { existsSync } from 'node:fs';
import { CONFORMANCE_NEGATIVE, allCases, loadVerdicts, toHex } from './corpus/fixtures.js';
import { kernelMessage } from './corpus/kernel-message.js';

const verdicts = loadVerdicts();
// the two programs that run into the 1M budget take ~8 s each here: their own test
const heavy = (processed: number): boolean => processed > 900_000;

describe('corpus agreement with the kernel (fixtures)', () => {
  it('covers at least 300 programs, accepted and refused, from every source', () => {
    expect(verdicts.length).toBeGreaterThanOrEqual(300);
    const names = verdicts.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('conformance-')).length).toBe(45);
    expect(names.filter((n) => n.startsWith('clang-')).length).toBeGreaterThanOrEqual(12);
    expect(verdicts.filter((v) => v.errno === 0).length).toBeGreaterThan(100);
    expect(verdicts.filter((v) => v.errno !== 0).length).toBeGreaterThan(100);
  });

  it('the fixtures match the corpus programs', () => {
    const byName = new Map(allCases().map((c) => [c.name, toHex(c.insns)]));
    const conformance = existsSync(CONFORMANCE_NEGATIVE);
    for (const v of verdicts) {
      if (v.name.startsWith('conformance-') && !conformance) continue;
      expect(byName.get(v.name), v.name).toBe(v.hex);
    }
  });

  it('agrees on verdict, errno and the first message line for every program', () => {
    const bad: string[] = [];
    let n = 0;
    for (const v of verdicts) {
      if (heavy(v.processed)) continue;
      n++;
      const a = compareOne(v);
      if (!(a.verdict && a.errno && a.message)) bad.push(`${a.name}: kernel "${a.kernel}" mine "${a.mine}"`);
    }
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(1000);
  });

  it('agrees on the 1M-instruction budget cases (BPF program is too large)', () => {
    let n = 0;
    for (const v of verdicts.filter((x) => x.processed > 900_000)) {
      const a = compareOne(v);
      expect([a.verdict, a.errno, a.message], v.name).toEqual([true, true, true]);
      n++;
    }
    expect(n).toBe(2);
  }, 180_000);
});

const k = verifyOracle();
describe.skipIf(!k.ok)(`corpus against the live kernel (kernel: ${k.reason})`, () => {
  it('the fixtures are still what this kernel answers', () => {
    const changed: string[] = [];
    for (const c of allCases()) {
      const v = verdicts.find((x) => x.name === c.name);
      if (v === undefined || heavy(v.processed)) continue;
      const r = kernelVerify({ insns: c.insns, maps: c.maps ?? [], license: c.license ?? 'GPL', progFlags: c.flags ?? 0, logLevel: 1 });
      const msg = r.errno === 0 ? '' : kernelMessage(r.log);
      if (r.errno !== v.errno || msg !== v.message) changed.push(`${c.name}: now ${r.errno} "${msg}", fixture ${v.errno} "${v.message}"`);
    }
    expect(changed).toEqual([]);
  });
});
