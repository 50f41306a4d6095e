/**
 * Checks a manifest's `volumes:` against the machine, and its links against its volumes. On Linux
 * an NTFS volume is written through ntfs-3g, whose own symlink(2) makes Interix symlinks that
 * Windows cannot follow; linkplan writes real reparse points instead, but only on the volumes
 * the manifest lists, since only the manifest can say how Windows names each one. So: every
 * listed mount must be the mount point of an ntfs-3g volume (and listed once, with a Windows name
 * no other entry uses); every link path on an ntfs-3g mount, and the target of every junction and
 * of every link made on a listed volume, must lie on a listed volume, reached by its listed mount
 * point rather than through a link. Reads /proc/self/mountinfo (probing plain FUSE mounts only when
 * a path lies on one); does nothing more where no ntfs-3g volume can be mounted.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ManifestProblem } from '../core/errors.js';
import {
  cachedProbe,
  isNtfs3gMount,
  mayBeNtfs3g,
  mountOf,
  ntfs3gMountProblem,
  readMountInfo,
  realFolder,
  type MountInfo,
  type Ntfs3gMountOptions,
} from '../drivers/ntfs3g/mounts.js';
import { isSameOrInside, type Platform } from '../core/paths.js';
import { yamlPath } from './schema-errors.js';
import { volumeHolding } from '../core/volumes.js';
import type { Desired, Volume } from '../core/types.js';

/** A listed volume and where it is in the manifest. */
export interface ListedVolume extends Volume {
  /** Its index in `volumes:`. */
  index: number;
}

export interface VolumeCheckOptions extends Ntfs3gMountOptions {
  platform: Platform;
  /** Line and column of a YAML path, for problems about `volumes[i]`. */
  place?: (segments: readonly (string | number)[]) => { line?: number; column?: number };
}

/** `p` with every link in it resolved, or as written when it does not exist. */
function realPath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return p;
  }
}

function entryProblem(d: Desired, field: 'path' | 'target', message: string): ManifestProblem {
  return {
    where: `${d.source.where}.${field}`,
    ...(d.source.line === undefined ? {} : { line: d.source.line }),
    ...(d.source.column === undefined ? {} : { column: d.source.column }),
    message,
  };
}

/** Every problem with the volumes and with links on NTFS volumes; empty when all is well. */
export function checkVolumes(desired: readonly Desired[], volumes: readonly ListedVolume[], opts: VolumeCheckOptions): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const at = (segments: (string | number)[], message: string): void => {
    problems.push({ where: yamlPath(segments), ...(opts.place?.(segments) ?? {}), message });
  };
  // Windows names its own volumes; elsewhere than Linux there is no ntfs-3g mount table to check
  if (opts.platform === 'win32') return problems;
  if (opts.platform !== 'linux') {
    for (const v of volumes) at(['volumes', v.index, 'mount'], `${v.mount}: linkplan writes NTFS volumes through ntfs-3g on Linux only`);
    return problems;
  }

  const mounts: readonly MountInfo[] = opts.mounts ?? readMountInfo();
  const probe = cachedProbe(opts.probe);
  const realCache = new Map<string, string>();

  // the listed volumes: each an ntfs-3g mount point, once, with its own Windows name
  const listed: { v: ListedVolume; realMount: string }[] = [];
  for (const v of volumes) {
    const problem = ntfs3gMountProblem(v.mount, { mounts, probe });
    if (problem !== undefined) {
      at(['volumes', v.index, 'mount'], `${v.mount}: ${problem}`);
      continue;
    }
    const realMount = realPath(v.mount);
    const twin = listed.find((l) => l.realMount === realMount);
    if (twin !== undefined) {
      at(['volumes', v.index, 'mount'], `${v.mount}: volumes[${twin.v.index}] lists the same volume already`);
      continue;
    }
    const sameName = listed.find((l) => l.v.windows.toLowerCase() === v.windows.toLowerCase());
    if (sameName !== undefined) {
      at(['volumes', v.index, 'windows'], `${v.windows}: volumes[${sameName.v.index}] (${sameName.v.mount}) has this Windows name already; two volumes cannot share one`);
      continue;
    }
    listed.push({ v, realMount });
  }
  // nothing here can be ntfs-3g: no need to look at each link
  if (listed.length === 0 && !mounts.some(mayBeNtfs3g)) return problems;

  /** What `p` lies on: the ntfs-3g mount (by where it really is) and the listed volume it names, if any. */
  const listedVolumes = listed.map((l) => l.v);
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
  const whereIs = (p: string): { mount: MountInfo | undefined; byName: ListedVolume | undefined } => {
    const m = mountHolding(p);
    const byName = volumeHolding(p, listedVolumes, 'linux');
    return { mount: m !== undefined && isNtfs3gMount(m, { probe }) ? m : undefined, byName };
  };
  const seen = new Set<string>();
  /** Reports what is wrong with `p` (a link path, or a target), if anything; true when nothing is. */
  const check = (d: Desired, field: 'path' | 'target', p: string): boolean => {
    const { mount, byName } = whereIs(p);
    const say = (key: string, message: string): false => {
      const k = `${d.source.where}\0${field}\0${key}`;
      if (!seen.has(k)) {
        seen.add(k);
        problems.push(entryProblem(d, field, message));
      }
      return false;
    };
    const what = field === 'path' ? p : `its target ${p}`;
    const listedHere = mount === undefined ? undefined : listed.find((l) => l.realMount === mount.mountPoint)?.v;
    if (mount !== undefined && listedHere === undefined) {
      return say(
        mount.mountPoint,
        `${what} lies on the NTFS volume mounted with ntfs-3g at ${mount.mountPoint}, which volumes: does not list; add it there ` +
          `({ mount: ${mount.mountPoint}, windows: "D:" }, with the drive letter or volume GUID path Windows gives it), ` +
          `or ntfs-3g would make symlinks Windows cannot follow`,
      );
    }
    if (listedHere !== undefined && byName?.index !== listedHere.index) {
      return say(
        listedHere.mount,
        `${what} leads through a link onto the NTFS volume listed at ${listedHere.mount}; give it as a path below ${listedHere.mount}, so linkplan writes links Windows can follow there`,
      );
    }
    if (mount === undefined && byName !== undefined) {
      return say(byName.mount, `${what} lies below ${byName.mount} only by name: a link on the way leads off that NTFS volume; give the real path`);
    }
    // a target off every NTFS volume: the planner says so per link, once it knows the link's type
    return true;
  };

  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    const pathOk = check(d, 'path', d.path);
    if (d.target === null || d.state !== 'present') continue;
    const onVolume = pathOk && listed.some((l) => isSameOrInside(d.path, l.v.mount, 'linux'));
    if (d.type === 'junction' || onVolume) check(d, 'target', d.target);
  }
  return problems;
}
