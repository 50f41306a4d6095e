/**
 * Which tests run on Windows. A test that needs what only POSIX systems have (a fifo, a
 * pseudo-terminal from util-linux `script`, /proc, POSIX modes and umask, a tmpfs mount) is
 * skipped there, and each skip says why on stderr (`SKIPPED on Windows: ...`); whole files of that
 * kind are left out by vitest.config.ts, which prints its own reasons. On Linux and macOS nothing
 * is skipped by it: `posixOnly` is false there.
 */
export const ON_WINDOWS = process.platform === 'win32';

/** True on Windows, after printing `SKIPPED on Windows: <why>`: for `it.skipIf(posixOnly('...'))`. */
export function posixOnly(why: string): boolean {
  if (ON_WINDOWS) process.stderr.write(`SKIPPED on Windows: ${why}\n`);
  return ON_WINDOWS;
}
