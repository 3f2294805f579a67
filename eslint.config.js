// @ts-check
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from '@tcbpf/eslint-plugin-layers';

export default defineConfig(
  globalIgnores([
    '**/dist/**',
    '**/coverage/**',
    '**/.turbo/**',
    '**/node_modules/**',
    '**/test/fixtures/**',
    '**/results/**',
    '**/.ci-out/**',
  ]),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        // each file is linted with its nearest tsconfig.json (which resolves
        // workspace deps to source via customConditions)
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    plugins: { layers },
    rules: {
      'layers/dependency-direction': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use `as const` objects instead of enums.' },
        { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' },
      ],
    },
  },
  {
    // Package sources: determinism and the one error type.
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time comes from the kernel instance clock.' },
        { object: 'Math', property: 'random', message: 'Randomness comes from the kernel instance PRNG.' },
        { object: 'performance', property: 'now', message: 'Time comes from the kernel instance clock.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'Buffer', message: 'Use Uint8Array.' },
      ],
    },
  },
  {
    // config files and tool entry points may default-export
    files: ['**/*.config.ts', '**/*.config.js', 'tooling/**/*.js', 'eslint.config.js'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
