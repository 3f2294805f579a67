import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // every package/app folder with its own vitest.config.ts is one project
    projects: [
      'packages/*/vitest.config.ts',
      'apps/*/vitest.config.ts',
      'internal/*/vitest.config.ts',
      'tooling/*/vitest.config.ts',
    ],
  },
});
