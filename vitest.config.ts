// Test runner settings: real filesystems are slow to set up, so tests get generous timeouts,
// and files run in separate forks so a mounted volume or a child process never leaks between them.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two files at a time even on two cores: most of the time goes to child processes and the disk
    maxWorkers: 2,
    reporters: ['default'],
  },
});
