import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// The full chaos suite (`npm run test:chaos`): the CI subset (test/chaos/*.chaos.test.ts, also run by
// `npm test`) plus the long runs in test/chaos/full/. One file at a time: the faults need the two
// cores of the development machine more than the files need each other.
export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    include: ['test/chaos/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
    testTimeout: 600_000,
    hookTimeout: 120_000,
    setupFiles: ['test/support/setup.ts'],
    env: { CHAOS_FULL: '1' },
  },
});
