// The README's example is this package's test/readme-example.ts (with the
// package name as import path), and it runs.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

describe('README example', () => {
  it('is test/readme-example.ts verbatim and runs', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    const example = readFileSync(new URL('./readme-example.ts', import.meta.url), 'utf8');
    expect(block).toBe(example);
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      await import('./readme-example.js');
      const out = log.mock.calls.map((c) => c.join(' ')).join('\n');
      expect(out).toContain('classid 10001 insns 1');
      expect(out).toContain('NLMSG_ERROR flags=CAPPED seq=1 pid=1234');
      expect(out).toContain('TCA_BPF_CLASSID 0x10001 (1:1)');
    } finally {
      log.mockRestore();
    }
  });
});
