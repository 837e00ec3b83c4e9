import { defineConfig } from 'vitest/config';

// One config for every suite. Server-backed suites (Postgres, Redis) decide for themselves whether
// their service is reachable; under CI=true an unreachable service is a failure, never a skip
// (see test/support/services.ts).
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['**/node_modules/**', 'test/chaos/full/**'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['test/support/setup.ts'],
  },
});
