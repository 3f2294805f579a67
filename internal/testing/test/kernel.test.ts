import { describe, expect, it } from 'vitest';
import { Netns, fuzzRuns, kernelOracle } from '../src/index.js';
import { existsSync } from 'node:fs';

const k = kernelOracle();

describe('fuzz sizes', () => {
  it('uses the CI size unless TCBPF_FUZZ=full', () => {
    expect(fuzzRuns(10, 1000)).toBe(process.env['TCBPF_FUZZ'] === 'full' ? 1000 : 10);
  });
});

describe.skipIf(!k.ok)(`network namespaces (kernel: ${k.ok ? 'available' : k.reason})`, () => {
  it('creates a namespace with lo up and deletes it', () => {
    const ns = new Netns('self');
    try {
      expect(existsSync(`/run/netns/${ns.name}`)).toBe(true);
      expect(ns.run('ip', ['-o', 'link', 'show', 'lo'])).toMatch(/UP|UNKNOWN/);
    } finally {
      ns.close();
    }
    expect(existsSync(`/run/netns/${ns.name}`)).toBe(false);
  });
});
