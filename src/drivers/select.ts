/**
 * Picks the real driver for this machine. Linux and macOS use node:fs; NTFS volumes and Windows
 * get drivers of their own.
 */
import { UsageError } from '../errors.js';
import { currentPlatform } from '../paths.js';
import type { Driver } from './driver.js';
import { PosixDriver } from './posix.js';

export function createDriver(): Driver {
  const platform = currentPlatform();
  if (platform === 'win32') {
    throw new UsageError('this build of linkplan has no Windows driver yet', { hint: 'run linkplan on Linux or macOS for now' });
  }
  return new PosixDriver();
}
