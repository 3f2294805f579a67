import { describe, expect, it } from 'vitest';
import { stackPackages } from '../src/index.js';

describe('tcbpf stack listing', () => {
  it('lists every package bottom-up with a version', () => {
    const names = stackPackages().map((p) => p.name);
    expect(names[0]).toBe('@tcbpf/uapi');
    expect(names).toContain('@tcbpf/cls-bpf');
    expect(names.indexOf('@tcbpf/tcf')).toBeLessThan(names.indexOf('@tcbpf/cls-bpf'));
    for (const p of stackPackages()) expect(p.version).toMatch(/^\d+\.\d+\.\d+/);
  });
});
