/**
 * Finds NTFS volumes mounted with ntfs-3g, from /proc/self/mountinfo, and answers "which mount
 * holds this path" (the longest mount-point prefix; of two mounts on one point, the later is on
 * top). ntfs-3g shows up as fstype `fuse.ntfs-3g` (or `fuse.lowntfs-3g`, `fuse.ntfs`) when mounted
 * through mount(8), but as plain `fuseblk` (a block device) or `fuse` (an image file, as on the
 * test machines: `fuse /tmp/x/img`) when ntfs-3g is started directly. The plain forms are shared
 * by every FUSE filesystem, so they are confirmed by a probe: only ntfs-3g answers the
 * `system.ntfs_attrib` attribute of its root. Parsing is pure; reading and probing are separate.
 */
import fs from 'node:fs';
import path from 'node:path';
import { lgetxattr, XATTR_NTFS_ATTRIB } from './libc.js';

/** One line of /proc/self/mountinfo (proc(5)), with the octal escapes of paths undone. */
export interface MountInfo {
  id: number;
  parentId: number;
  /** `major:minor` of the filesystem. */
  device: string;
  /** The directory of the filesystem that is mounted here (`/` for a whole volume). */
  root: string;
  mountPoint: string;
  /** Per-mount options (`rw,relatime`). */
  options: string;
  /** `fuse`, `fuseblk`, `fuse.ntfs-3g`, `ext4`... */
  fstype: string;
  /** The device or image (`/dev/sdb1`, `/tmp/x/img`). */
  source: string;
  /** Per-superblock options (`rw,user_id=0,group_id=0,allow_other`). */
  superOptions: string;
}

/** Says whether the FUSE filesystem mounted at a point is ntfs-3g. */
export type Ntfs3gProbe = (mountPoint: string) => boolean;

/** fstypes only ntfs-3g (and its lowntfs-3g variant) mounts with. */
const NTFS3G_FSTYPES: ReadonlySet<string> = new Set(['fuse.ntfs-3g', 'fuse.lowntfs-3g', 'fuse.ntfs']);
/** fstypes of FUSE filesystems started without a subtype: ntfs-3g among them, or not. */
const GENERIC_FUSE_FSTYPES: ReadonlySet<string> = new Set(['fuse', 'fuseblk']);

function unescapeField(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

/** Parses the text of a mountinfo file; lines it cannot read are skipped. */
export function parseMountInfo(text: string): MountInfo[] {
  const out: MountInfo[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const fields = line.split(' ');
    const dash = fields.indexOf('-', 6);
    if (dash < 0 || fields.length < dash + 3) continue;
    const [id, parentId, device, root, mountPoint, options] = fields;
    const fstype = fields[dash + 1];
    const source = fields[dash + 2];
    if (id === undefined || parentId === undefined || device === undefined || root === undefined || mountPoint === undefined) continue;
    if (options === undefined || fstype === undefined || source === undefined) continue;
    out.push({
      id: Number(id),
      parentId: Number(parentId),
      device,
      root: unescapeField(root),
      mountPoint: unescapeField(mountPoint),
      options,
      fstype,
      source: unescapeField(source),
      superOptions: fields[dash + 3] ?? '',
    });
  }
  return out;
}

/** The mounts of this process, from /proc/self/mountinfo (none where that file does not exist). */
export function readMountInfo(file = '/proc/self/mountinfo'): MountInfo[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return parseMountInfo(text);
}

function isAtOrBelow(p: string, mountPoint: string): boolean {
  if (mountPoint === '/') return p.startsWith('/');
  return p === mountPoint || p.startsWith(mountPoint + '/');
}

/**
 * The mount that holds absolute path `p` (normalised here, links not resolved): the longest
 * mount point that is `p` or an ancestor of it; of equal ones the last listed (mounted on top).
 */
export function mountOf(p: string, mounts: readonly MountInfo[]): MountInfo | undefined {
  const abs = path.posix.resolve(p);
  let best: MountInfo | undefined;
  for (const m of mounts) {
    if (isAtOrBelow(abs, m.mountPoint) && (best === undefined || m.mountPoint.length >= best.mountPoint.length)) best = m;
  }
  return best;
}

/** The default probe: ntfs-3g alone answers `system.ntfs_attrib` on its root. */
export function probeNtfs3g(mountPoint: string): boolean {
  try {
    return lgetxattr(mountPoint, XATTR_NTFS_ATTRIB).length === 4;
  } catch {
    return false;
  }
}

export interface Ntfs3gMountOptions {
  /** The mounts to look at; default: readMountInfo(). */
  mounts?: readonly MountInfo[];
  /** Confirms a plain `fuse`/`fuseblk` mount is ntfs-3g; default: probeNtfs3g. */
  probe?: Ntfs3gProbe;
}

/** Whether `m` is an ntfs-3g mount: by its fstype, or a plain FUSE fstype that the probe confirms. */
export function isNtfs3gMount(m: MountInfo, opts: Pick<Ntfs3gMountOptions, 'probe'> = {}): boolean {
  if (NTFS3G_FSTYPES.has(m.fstype)) return true;
  return GENERIC_FUSE_FSTYPES.has(m.fstype) && (opts.probe ?? probeNtfs3g)(m.mountPoint);
}

/** Every ntfs-3g mount, in mountinfo order. */
export function ntfs3gMounts(opts: Ntfs3gMountOptions = {}): MountInfo[] {
  return (opts.mounts ?? readMountInfo()).filter((m) => isNtfs3gMount(m, opts));
}

/**
 * The ntfs-3g mount that holds `p`, or undefined when the mount that holds it is another
 * filesystem (a mount inside an ntfs-3g volume hides the volume below it).
 */
export function ntfs3gMountOf(p: string, opts: Ntfs3gMountOptions = {}): MountInfo | undefined {
  const m = mountOf(p, opts.mounts ?? readMountInfo());
  return m !== undefined && isNtfs3gMount(m, opts) ? m : undefined;
}

/** `probe` with its answers remembered, for one run that asks about many paths of few mounts. */
export function cachedProbe(probe: Ntfs3gProbe = probeNtfs3g): Ntfs3gProbe {
  const known = new Map<string, boolean>();
  return (mountPoint) => {
    let v = known.get(mountPoint);
    if (v === undefined) {
      v = probe(mountPoint);
      known.set(mountPoint, v);
    }
    return v;
  };
}

/** True for a mount that may be ntfs-3g: one of its fstypes, or a plain FUSE one (not probed). */
export function mayBeNtfs3g(m: MountInfo): boolean {
  return NTFS3G_FSTYPES.has(m.fstype) || GENERIC_FUSE_FSTYPES.has(m.fstype);
}

/** `p` with the links in its folders resolved (its last component is left as it is); folders that do not exist are kept as written. */
export function realParentPath(p: string, cache?: Map<string, string>): string {
  const abs = path.posix.resolve(p);
  if (abs === '/') return abs;
  return path.posix.join(realFolder(path.posix.dirname(abs), cache), path.posix.basename(abs));
}

/** Folder `dir` with every link in it resolved; the part that does not exist kept as written. */
export function realFolder(dir: string, cache?: Map<string, string>): string {
  const hit = cache?.get(dir);
  if (hit !== undefined) return hit;
  let real: string;
  try {
    real = fs.realpathSync(dir);
  } catch {
    real = dir === '/' ? dir : path.posix.join(realFolder(path.posix.dirname(dir), cache), path.posix.basename(dir));
  }
  cache?.set(dir, real);
  return real;
}

/**
 * Why `mount` is not the mount point of an NTFS volume mounted with ntfs-3g, or undefined when it
 * is one. A path that leads to the mount point through links counts as the mount point.
 */
export function ntfs3gMountProblem(mount: string, opts: Ntfs3gMountOptions = {}): string | undefined {
  const mounts = opts.mounts ?? readMountInfo();
  const given = path.posix.resolve(mount);
  let real = given;
  try {
    real = fs.realpathSync(given);
  } catch {
    // does not exist: it is not a mount point, and the lookup below says so
  }
  const m = mountOf(real, mounts);
  if (m !== undefined && isNtfs3gMount(m, opts)) {
    if (m.mountPoint === real) return undefined;
    return `is a folder on the NTFS volume mounted at ${m.mountPoint}; list the mount point itself`;
  }
  if (mounts.length === 0) return 'is not an NTFS volume mounted with ntfs-3g (no mount table here: linkplan finds ntfs-3g volumes on Linux only)';
  return `is not where an NTFS volume is mounted with ntfs-3g${m === undefined ? '' : ` (it is on the ${m.fstype} filesystem mounted at ${m.mountPoint})`}`;
}
