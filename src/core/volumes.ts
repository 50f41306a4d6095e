/**
 * NTFS volumes written through ntfs-3g, as paths see them: which listed volume holds a path, and
 * the name Windows reads for a Linux path on one. The manifest's checks and the planner share them.
 */
import path from 'node:path';
import { isSameOrInside, type Platform } from './paths.js';
import type { Volume } from './types.js';

/** Of `volumes`, the one that holds `p`: the longest mount point that is `p` or lies above it. */
export function volumeHolding<V extends { mount: string }>(p: string, volumes: readonly V[], platform: Platform): V | undefined {
  let best: V | undefined;
  // (asked of every link's path, mostly with no volumes listed: no iterator made)
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i] as V;
    if (isSameOrInside(p, v.mount, platform) && (best === undefined || v.mount.length > best.mount.length)) best = v;
  }
  return best;
}

/** The path Windows reads for Linux path `p` on NTFS volume `v`: `/mnt/d/a/b` is `D:\a\b`. */
export function windowsPathOn(v: Volume, p: string): string {
  const rest = path.posix.relative(v.mount, p);
  return rest === '' ? v.windows : v.windows + rest.split('/').join('\\');
}
