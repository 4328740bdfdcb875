import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts', 'devstack/tests/**/*.test.ts'],
    // Starts the Firestore and Pub/Sub emulators once for the run, stops them afterwards.
    globalSetup: ['tests/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores: more workers only queue.
    maxWorkers: 2,
  },
});
