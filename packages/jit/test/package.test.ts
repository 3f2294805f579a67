import { describe, expect, it } from 'vitest';
import { MODELS } from '../src/index.js';

describe('@tcbpf/jit', () => {
  it('names the kernel sources it models', () => {
    expect(MODELS.length).toBeGreaterThan(0);
    for (const m of MODELS) expect(m).toMatch(/^(include|net|lib|kernel|drivers|tools|arch)\//);
  });
});
