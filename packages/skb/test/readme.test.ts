// The README's example is test/readme-example.ts verbatim, and it runs with
// the output its comments state.
import { describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe('README example', () => {
  it('is the same code as test/readme-example.ts and prints what its comments say', async () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const example = readFileSync(join(import.meta.dirname, 'readme-example.ts'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example);
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.map((x) => (typeof x === 'string' ? `'${x}'` : String(x))).join(' ')));
    try {
      await import('./readme-example.js');
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual(['2 3', "1 '800'", '2 2', '0 42 true', '1 42 true']);
  });
});
