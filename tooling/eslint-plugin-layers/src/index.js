// @ts-check
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { LAYERS, TEST_ONLY, allowedImports } from './layers.js';

export { LAYERS, TEST_ONLY, allowedImports };

/** @type {Map<string, { name: string, root: string } | null>} */
const ownerCache = new Map();

/**
 * The workspace package (name and root folder) that owns a file, found by
 * walking up to the nearest package.json.
 * @param {string} file
 */
function owningPackage(file) {
  let dir = dirname(resolve(file));
  /** @type {string[]} */
  const visited = [];
  for (;;) {
    const cached = ownerCache.get(dir);
    if (cached !== undefined) {
      for (const v of visited) ownerCache.set(v, cached);
      return cached;
    }
    visited.push(dir);
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      const name = /** @type {{ name?: string }} */ (JSON.parse(readFileSync(pj, 'utf8'))).name;
      const found = typeof name === 'string' ? { name, root: dir } : null;
      for (const v of visited) ownerCache.set(v, found);
      return found;
    }
    const parent = dirname(dir);
    if (parent === dir) {
      for (const v of visited) ownerCache.set(v, null);
      return null;
    }
    dir = parent;
  }
}

/** @param {string} spec */
function workspacePackageOf(spec) {
  const m = /^(@tcbpf\/[^/]+)/.exec(spec);
  return m?.[1] ?? null;
}

/** @type {import('eslint').Rule.RuleModule} */
const dependencyDirection = {
  meta: {
    type: 'problem',
    docs: { description: 'Workspace packages import only packages below them in the layer table' },
    schema: [],
    messages: {
      upward: "'{{from}}' may not import '{{to}}': dependencies point down the layer table (tooling/eslint-plugin-layers/src/layers.js).",
      unknown: "'{{to}}' is not in the layer table; add it to tooling/eslint-plugin-layers/src/layers.js.",
      testOnly: "'{{to}}' is for tests only; '{{from}}' imports it from src/.",
      escape: "Relative import '{{spec}}' leaves package '{{from}}'; import the other package by name.",
    },
  },
  create(context) {
    const file = context.filename;
    const found = owningPackage(file);
    if (found === null || !(found.name in LAYERS)) return {};
    const owner = found;
    const allowed = allowedImports(owner.name);
    const rel = relative(owner.root, resolve(file));
    const inSrc = rel.startsWith(`src${sep}`);

    /** @param {any} node an ESTree node (a string literal) @param {unknown} raw */
    function check(node, raw) {
      if (typeof raw !== 'string') return;
      if (raw.startsWith('.')) {
        const target = resolve(dirname(resolve(file)), raw);
        const back = relative(owner.root, target);
        if (back.startsWith('..')) {
          // leaving the package is only an error when it enters another package
          const other = owningPackage(join(target, 'x'));
          if (other !== null && other.name !== owner.name && other.name in LAYERS) {
            context.report({ node, messageId: 'escape', data: { spec: raw, from: owner.name } });
          }
        }
        return;
      }
      const to = workspacePackageOf(raw);
      if (to === null || to === owner.name) return;
      if (!(to in LAYERS)) {
        context.report({ node, messageId: 'unknown', data: { to } });
        return;
      }
      if (TEST_ONLY.includes(to)) {
        if (inSrc) context.report({ node, messageId: 'testOnly', data: { from: owner.name, to } });
        return;
      }
      if (!allowed.has(to)) context.report({ node, messageId: 'upward', data: { from: owner.name, to } });
    }

    return {
      ImportDeclaration(node) { check(node.source, node.source.value); },
      ExportNamedDeclaration(node) { if (node.source) check(node.source, node.source.value); },
      ExportAllDeclaration(node) { check(node.source, node.source.value); },
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
    };
  },
};

const plugin = {
  meta: { name: '@tcbpf/eslint-plugin-layers', version: '0.0.0' },
  rules: { 'dependency-direction': dependencyDirection },
};

export default plugin;
