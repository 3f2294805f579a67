import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

// Workspace packages export "@tcbpf/source" -> ./src/index.ts, so tests run on
// source: no build is needed before `vitest run`.
export default defineConfig({
  ssr: { resolve: { conditions: ['@tcbpf/source', ...defaultServerConditions] } },
  resolve: { conditions: ['@tcbpf/source', ...defaultClientConditions] },
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
