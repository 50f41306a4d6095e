/**
 * The answers the manifest loader asks of this machine about NTFS volumes mounted with ntfs-3g
 * (core/volume-facts.ts), from the mount table: which listed mounts are ntfs-3g mount points, and
 * which ntfs-3g volume really holds a path. The table is read when the facts are made (once per
 * load, and only on Linux); a plain FUSE mount is probed (loading koffi) only when a path lies on
 * one; where each folder really is, and each probe's answer, is worked out once.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { VolumeFacts } from '../../core/volume-facts.js';
import { cachedProbe, isNtfs3gMount, mayBeNtfs3g, mountOf, ntfs3gMountProblem, readMountInfo, realFolder, type MountInfo, type Ntfs3gMountOptions } from './mounts.js';

/** `p` with every link in it resolved, or as written when it does not exist. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

/** This machine's facts (or those of the mount table and probe given), read now. */
export function ntfs3gVolumeFacts(opts: Ntfs3gMountOptions = {}): VolumeFacts {
  const mounts: readonly MountInfo[] = opts.mounts ?? readMountInfo();
  const probe = cachedProbe(opts.probe);
  const realCache = new Map<string, string>();
  const byMountPoint = new Map(mounts.map((m) => [m.mountPoint, m]));
  /** Per folder: where it really is, and the mount that holds it (links share folders by the thousand). */
  const folders = new Map<string, { real: string; mount: MountInfo | undefined }>();
  /** The mount that really holds `p`: its folder's, unless `p` is itself a mount point. */
  const mountHolding = (p: string): MountInfo | undefined => {
    const dir = path.posix.dirname(p);
    let f = folders.get(dir);
    if (f === undefined) {
      const real = realFolder(dir, realCache);
      f = { real, mount: mountOf(real, mounts) };
      folders.set(dir, f);
    }
    if (dir === p) return f.mount;
    return byMountPoint.get(f.real === '/' ? `/${path.posix.basename(p)}` : `${f.real}/${path.posix.basename(p)}`) ?? f.mount;
  };
  return {
    mountProblem: (mount) => ntfs3gMountProblem(mount, { mounts, probe }),
    realPath,
    mayHoldNtfs3g: () => mounts.some(mayBeNtfs3g),
    ntfs3gMountHolding: (p) => {
      const m = mountHolding(p);
      return m !== undefined && isNtfs3gMount(m, { probe }) ? m.mountPoint : undefined;
    },
  };
}
