// The committed fixture objects are exactly what test/fixtures/build.sh makes
// from the committed C sources with clang-19 (the script maps the checkout path
// out of the debug info, so the bytes do not depend on where it runs).
import { hasTool } from '@tcbpf/testing';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FIXTURES, readFixture } from './fixture-objects.js';

const tool = hasTool('clang-19') ? '' : 'clang-19 not installed';

describe.skipIf(tool !== '')(`fixture objects are reproducible (${tool || 'clang-19'})`, () => {
  it('build.sh regenerates byte-identical objects from the sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tcbpf-fixtures-'));
    try {
      cpSync(fileURLToPath(new URL('./fixtures/', import.meta.url)), dir, { recursive: true });
      execFileSync('sh', [join(dir, 'build.sh')], { stdio: 'pipe' });
      for (const f of FIXTURES) expect(new Uint8Array(readFileSync(join(dir, 'progs', f))), f).toEqual(readFixture(f));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
