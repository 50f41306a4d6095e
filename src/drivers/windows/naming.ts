/**
 * Windows paths as the shared NTFS link logic (ntfs/links.ts) sees them on Windows itself: the
 * driver's own paths are Windows paths, so a target is written as given (without a `\\?\`
 * prefix), a root-relative symbolic link (`\a\b`) reads as a path on the link's own volume, and a
 * relative one is never refused for leaving its volume (Windows stops `..` at the volume root).
 * Whether a target is a folder is asked of the caller (the driver opens it; tests answer).
 */
import path from 'node:path';
import { isWindowsAbsolute } from '../../core/paths.js';
import type { NtfsNaming } from '../ntfs/links.js';
import { plainPath, volumeRootOf } from './paths.js';

export function windowsNaming(targetIsDirectory: (p: string) => boolean | undefined): NtfsNaming {
  return {
    api: path.win32,
    isLocalAbsolute: isWindowsAbsolute,
    windowsOf: (_p, local) => plainPath(local),
    toLocal: (w) => plainPath(w),
    rootRelativeToLocal: (p, rest) => path.win32.join(volumeRootOf(p), rest),
    checkRelative: () => undefined,
    targetIsDirectory,
  };
}
