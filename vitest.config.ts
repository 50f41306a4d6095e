// Test runner settings: real filesystems are slow to set up, so tests get generous timeouts,
// and files run in separate forks so a mounted volume or a child process never leaks between them.
// test/windows/ holds tests of real junctions and symbolic links on NTFS: they are part of the run
// on Windows only, and elsewhere not collected at all (rather than collected and skipped). The
// files below test what only POSIX systems have: on Windows they are not collected, and the
// reason for each is printed (tests of that kind inside other files skip with a reason:
// test/helpers/platform.ts). Elsewhere every file runs.
import { configDefaults, defineConfig } from 'vitest/config';

/** The test files that apply only off Windows, each with why. */
const POSIX_ONLY: Readonly<Record<string, string>> = {
  'test/ntfs3g*.test.ts': 'they mount NTFS images with ntfs-3g, a Linux FUSE driver',
  'test/ntfs-links.test.ts': 'it reads NTFS links through ntfs-3g, a Linux FUSE driver (the Windows driver reads its own in test/windows/)',
  'test/full-disk-links.test.ts': 'it mounts a tmpfs with few inodes (Linux, as root)',
  'test/posix-driver.test.ts': 'it tests the node:fs driver, which linkplan uses off Windows only (fifos, POSIX modes); the Windows driver is tested in test/windows/',
  'test/observe.test.ts': 'it observes through the node:fs driver, which linkplan uses off Windows only (fifos, POSIX links)',
  'test/pinned-writes.test.ts': "it tests the node:fs driver's calls relative to a folder handle (openat, renameat2) and counts descriptors in /proc/self/fd",
  'test/race.test.ts': 'it swaps folders with renameat2(RENAME_EXCHANGE), which only Linux has',
  'test/signals.test.ts': 'it sends SIGHUP and SIGTERM, which Windows does not deliver, on a pseudo-terminal from util-linux script',
  'test/output.test.ts': 'it writes to fifos and to a pipe another process made non-blocking (POSIX pipes)',
  'test/windows-wine.test.ts': 'it runs the Windows driver under Wine, on Linux; on Windows test/windows/ runs it natively',
};

const ON_WINDOWS = process.platform === 'win32';
if (ON_WINDOWS && process.env['VITEST_POOL_ID'] === undefined) {
  for (const [file, why] of Object.entries(POSIX_ONLY)) process.stderr.write(`SKIPPED on Windows: ${file}: ${why}\n`);
}
const ONLY_ELSEWHERE = ON_WINDOWS ? Object.keys(POSIX_ONLY) : ['test/windows/**'];

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
