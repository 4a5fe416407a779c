import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real servers and child processes, several in turn (a sharded export is
    // 6-8 CLI runs). On 2 cores busy with other work one CLI run took 5-10 s, and 60 s was hit by
    // tests that take 26 s on their own: the limit catches hangs, it is not a speed check.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
  },
});
