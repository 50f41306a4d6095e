// Test runner settings: real filesystems are slow to set up, so tests get generous timeouts,
// and files run in separate forks so a mounted volume or a child process never leaks between them.
// test/windows/ holds tests of real junctions and symbolic links on NTFS: they are part of the run
// on Windows only, and elsewhere not collected at all (rather than collected and skipped). The
// ntfs-3g tests mount NTFS images with FUSE, which only Linux has: on Windows they are not
// collected (on CI they would fail rather than skip).
import { configDefaults, defineConfig } from 'vitest/config';

const ONLY_ELSEWHERE = process.platform === 'win32' ? ['test/ntfs3g*.test.ts'] : ['test/windows/**'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: [...configDefaults.exclude, ...ONLY_ELSEWHERE],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // two files at a time even on two cores: most of the time goes to child processes and the disk
    maxWorkers: 2,
    reporters: ['default'],
  },
});
