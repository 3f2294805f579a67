// The README's library example stays runnable: its scenario lines (taken from
// the README itself) give what its closing comment says.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { formatStats, runScenario } from '../src/index.js';

it('README example: the scenario lines run and give vb rx 1, drops: TC_INGRESS=1', () => {
  const md = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
  const block = /```ts\n([\s\S]*?)```/.exec(md)?.[1] ?? '';
  const lines = [...block.matchAll(/^ {2}'([^']*)',$/gm)].map((m) => m[1]!);
  expect(lines.length).toBeGreaterThan(3);
  expect(block).toContain('// vb rx 1, drops: TC_INGRESS=1');
  const tmp = mkdtempSync(join(tmpdir(), 'tcbpf-readme-'));
  try {
    const r = runScenario('inline', lines.join('\n'), { outDir: tmp, inDir: '.' });
    const s = formatStats(r);
    expect(r.devices.find((d) => d.dev === 'vb')?.rxPackets).toBe(1);
    expect(s).toContain('drops: TC_INGRESS=1');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
});
