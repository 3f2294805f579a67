import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Linter } from 'eslint';
import { describe, expect, it } from 'vitest';
import plugin, { LAYERS, TEST_ONLY, allowedImports } from '../src/index.js';

const fixtures = resolve(import.meta.dirname, 'fixtures');

function lint(file: string, code: string): string[] {
  const linter = new Linter({ configType: 'flat' });
  const messages = linter.verify(
    code,
    [
      {
        files: ['**/*.js'],
        plugins: { layers: plugin },
        rules: { 'layers/dependency-direction': 'error' },
      },
    ],
    { filename: file },
  );
  return messages.map((m) => m.message);
}

describe('dependency-direction rule', () => {
  it('rejects an upward import (skb importing the tc core)', () => {
    const msgs = lint(join(fixtures, 'skb/src/upward.js'), "import { x } from '@tcbpf/tcf';\nexport { x };\n");
    expect(msgs).toEqual([
      "'@tcbpf/skb' may not import '@tcbpf/tcf': dependencies point down the layer table (tooling/eslint-plugin-layers/src/layers.js).",
    ]);
  });

  it('rejects upward re-exports and dynamic imports too', () => {
    expect(lint(join(fixtures, 'skb/src/a.js'), "export * from '@tcbpf/cls-bpf';\n")).toHaveLength(1);
    expect(lint(join(fixtures, 'skb/src/b.js'), "export const m = import('@tcbpf/tcf/sub');\n")).toHaveLength(1);
  });

  it('accepts a downward import (tcf importing skb and netlink)', () => {
    expect(lint(join(fixtures, 'tcf/src/ok.js'), "import '@tcbpf/skb';\nimport '@tcbpf/netlink';\nimport '@tcbpf/uapi';\n")).toEqual([]);
  });

  it('keeps the tc core free of BPF', () => {
    expect(lint(join(fixtures, 'tcf/src/bpf.js'), "import '@tcbpf/ebpf';\n")).toHaveLength(1);
  });

  it('rejects a relative import into another package', () => {
    const msgs = lint(join(fixtures, 'tcf/src/rel.js'), "import '../../skb/src/index.js';\n");
    expect(msgs).toEqual([
      "Relative import '../../skb/src/index.js' leaves package '@tcbpf/tcf'; import the other package by name.",
    ]);
  });

  it('lets tests, not sources, import the testing package', () => {
    expect(lint(join(fixtures, 'skb/test/t.js'), "import '@tcbpf/testing';\n")).toEqual([]);
    expect(lint(join(fixtures, 'skb/src/t.js'), "import '@tcbpf/testing';\n")).toHaveLength(1);
  });

  it('flags packages missing from the table', () => {
    expect(lint(join(fixtures, 'skb/src/u.js'), "import '@tcbpf/nonexistent';\n")).toHaveLength(1);
  });
});

describe('the workspace obeys the table', () => {
  const root = resolve(import.meta.dirname, '../../..');
  const dirs = ['packages', 'apps', 'internal', 'tooling']
    .flatMap((d) => (existsSync(join(root, d)) ? readdirSync(join(root, d)).map((x) => join(root, d, x)) : []))
    .concat([join(root, 'bench')])
    .filter((d) => existsSync(join(d, 'package.json')));

  it('finds the packages', () => {
    expect(dirs.length).toBeGreaterThanOrEqual(10);
  });

  for (const dir of dirs) {
    const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    it(`${pj.name}: is in the table and declares only allowed workspace dependencies`, () => {
      expect(Object.keys(LAYERS)).toContain(pj.name);
      const allowed = allowedImports(pj.name);
      for (const dep of Object.keys(pj.dependencies ?? {}).filter((d) => d.startsWith('@tcbpf/'))) {
        expect(allowed.has(dep), `${pj.name} -> ${dep}`).toBe(true);
      }
      for (const dep of Object.keys(pj.devDependencies ?? {}).filter((d) => d.startsWith('@tcbpf/'))) {
        expect(allowed.has(dep) || TEST_ONLY.includes(dep), `${pj.name} -(dev)-> ${dep}`).toBe(true);
      }
    });
  }
});
