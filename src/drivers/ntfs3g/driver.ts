/**
 * The driver for one NTFS volume mounted with ntfs-3g on Linux: real junctions and real NTFS
 * symbolic links, made and read as reparse data through the `system.ntfs_reparse_data` extended
 * attribute, so a Windows machine that mounts the volume later finds the links Windows itself
 * would have made. ntfs-3g's own view (every reparse point shown as a symlink, its target guessed
 * onto this mount) is used only to follow links; what a link is comes from its true buffer.
 * Paths given and returned are Linux paths under the mount point; reparse data holds Windows
 * paths (`windowsRoot` + the rest, with backslashes). Windows' rules are applied even where
 * ntfs-3g is looser: junctions are made on fresh empty folders, to absolute folders only, and
 * never onto anything that exists. A link may also lead to another NTFS volume the same Windows
 * machine sees (`peers`: the other volumes of the manifest), written with that volume's Windows
 * name. Everything else (hard links, moves, folders, listing, reading) is the POSIX driver's,
 * which this one extends; so are paths off the volume.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DriverError, errnoCode } from '../../core/errors.js';
import type { AbsPath } from '../../core/paths.js';
import type { Capabilities, Entry, LinkSpec, TargetInfo, TreeCount, Volume } from '../../core/types.js';
import { NO_RELOCATION } from '../driver.js';
import { entryOfReparse, reparseWrite, writeReparse, type NtfsNaming, type ReparseWrite } from '../ntfs/links.js';
import { decodeReparse, formatReparseTag, ReparseEncodeError, type ReparsePoint } from '../ntfs/reparse.js';
import { PosixDriver, renameOver, retargetTempName, wrap as wrapFsError } from '../posix.js';
import { libcXattr, XATTR_NTFS_ATTRIB, XATTR_NTFS_REPARSE_DATA, type XattrCalls } from './libc.js';
import { ntfs3gMountOf, type Ntfs3gMountOptions } from './mounts.js';
import { WindowsPaths } from './windows-paths.js';

/** FILE_ATTRIBUTE_DIRECTORY: the link object is a folder (a junction, a directory symlink). */
export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
/** FILE_ATTRIBUTE_REPARSE_POINT. */
export const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;

export interface Ntfs3gDriverOptions {
  /** Absolute Linux path where ntfs-3g mounts the volume. */
  mountPoint: string;
  /** How Windows names the volume's root: `D:\` or `\\?\Volume{GUID}\`. */
  windowsRoot: string;
  /** The xattr calls; default: libc's. Tests pass a stand-in to inject faults. */
  xattr?: XattrCalls;
  /**
   * Other NTFS volumes that Windows sees next to this one (mounted with ntfs-3g here too): links on
   * this volume may lead to them, written with their Windows names, and read back as Linux paths.
   */
  peers?: readonly { mountPoint: string; windowsRoot: string }[];
}

/** The POSIX driver's `wrap`, which also says what is wrong with a reparse buffer that cannot be written. */
function wrap<T>(p: string, what: string, fn: () => T): T {
  return wrapFsError(p, what, () => {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ReparseEncodeError) {
        throw new DriverError(p, `${what} (${e.message.replace(/^reparse buffer: /, '')})`, { code: 'EINVAL', cause: e });
      }
      throw e;
    }
  });
}

/**
 * ntfs-3g quirk: the first lookup of an entry right after it turned from a folder or file into a
 * reparse point (or back) fails once with EIO, while the kernel drops the inode it had cached with
 * the old type. The second attempt sees the new entry.
 */
function retryEio<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (errnoCode(e) !== 'EIO') throw e;
    return fn();
  }
}

function lstatOrUndefined(p: string): fs.Stats | undefined {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false });
  } catch (e) {
    if (errnoCode(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

function statOrUndefined(p: string): fs.Stats | undefined {
  try {
    return retryEio(() => fs.statSync(p, { throwIfNoEntry: false }));
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOTDIR' || code === 'ELOOP') return undefined;
    throw e;
  }
}

export class Ntfs3gDriver extends PosixDriver {
  override readonly name: string = 'ntfs-3g';
  /** The volume's two namings: Linux under the mount point, Windows under `windowsRoot`. */
  readonly paths: WindowsPaths;
  /** The other volumes links may lead to; see Ntfs3gDriverOptions.peers. */
  readonly peers: readonly WindowsPaths[];
  private readonly xattr: XattrCalls;
  /** Linux paths on this volume and its peers, as the shared NTFS link logic sees them. */
  readonly naming: NtfsNaming;

  constructor(opts: Ntfs3gDriverOptions) {
    super();
    this.paths = new WindowsPaths(opts);
    this.peers = (opts.peers ?? []).map((v) => new WindowsPaths(v));
    this.xattr = opts.xattr ?? libcXattr;
    this.naming = {
      api: path.posix,
      isLocalAbsolute: (text) => text.startsWith('/'),
      windowsOf: (p, local, what) => this.windowsOf(p, local, what),
      toLocal: (w) => this.toLinux(w),
      // (a link's own volume is always this one)
      rootRelativeToLocal: (_p, rest) => this.paths.rootRelativeToLinux(rest),
      checkRelative: (p, text, local) => {
        if (this.volumeOf(local) !== this.paths) {
          throw new DriverError(
            p,
            `relative symbolic link target "${text}" leads off the volume (${this.paths.mountPoint}); Windows would stop at the volume root`,
            { code: 'EXDEV', hint: 'use an absolute target' },
          );
        }
      },
      targetIsDirectory: (local) => statOrUndefined(local)?.isDirectory(),
      };
  }

  /** (links in a copied tree would have to be written as NTFS reparse data: not done yet) */
  override copyRefusal(): string | undefined {
    return `${NO_RELOCATION} (ntfs-3g at ${this.paths.mountPoint})`;
  }

  override copyTree(from: AbsPath): TreeCount {
    throw new DriverError(from, this.copyRefusal() ?? NO_RELOCATION, { code: 'ENOTSUP' });
  }

  get mountPoint(): string {
    return this.paths.mountPoint;
  }

  get windowsRoot(): string {
    return this.paths.windowsRoot;
  }

  /** True when `p` is on this volume (the mount point or below it). */
  contains(p: string): boolean {
    return this.paths.contains(p);
  }

  /** Junctions and NTFS symbolic links on this volume; elsewhere, what the POSIX driver can do. */
  override capabilities(p?: AbsPath): Capabilities {
    if (p !== undefined && !this.paths.contains(p)) return super.capabilities(p);
    return { symlinks: true, junctions: true, hardlinks: true };
  }

  /** This volume, as the manifest lists it. */
  volumes(): readonly Volume[] {
    return [{ mount: this.paths.mountPoint as AbsPath, windows: this.paths.windowsRoot }];
  }

  /** The volume (this one or a peer) that holds Linux path `p`: the longest mount point that does. */
  private volumeOf(p: string): WindowsPaths | undefined {
    let best: WindowsPaths | undefined;
    for (const v of [this.paths, ...this.peers]) {
      if (v.contains(p) && (best === undefined || v.mountPoint.length > best.mountPoint.length)) best = v;
    }
    return best;
  }

  /** The Linux path of Windows path `w` on this volume or a peer, else undefined. */
  private toLinux(w: string): string | undefined {
    for (const v of [this.paths, ...this.peers]) {
      const l = v.toLinux(w);
      if (l !== undefined) return l;
    }
    return undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  /** The raw reparse buffer of `p` itself, or undefined when it carries none. */
  readReparseData(p: AbsPath): Buffer | undefined {
    return wrap(p, 'cannot read reparse data', () => {
      try {
        return retryEio(() => this.xattr.lgetxattr(p, XATTR_NTFS_REPARSE_DATA));
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENODATA' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return undefined;
        throw e;
      }
    });
  }

  /** The Windows file attributes of `p` itself (FILE_ATTRIBUTE_*), or undefined where ntfs-3g gives none. */
  readWindowsAttributes(p: AbsPath): number | undefined {
    return wrap(p, 'cannot read Windows attributes', () => {
      try {
        const b = retryEio(() => this.xattr.lgetxattr(p, XATTR_NTFS_ATTRIB));
        return b.length >= 4 ? b.readUInt32LE(0) : undefined;
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENODATA' || code === 'ENOTSUP' || code === 'EOPNOTSUPP') return undefined;
        throw e;
      }
    });
  }

  /** The decoded reparse point of `p`, undefined for a plain entry; a malformed buffer throws ReparseDecodeError. */
  readReparse(p: AbsPath): ReparsePoint | undefined {
    const raw = this.readReparseData(p);
    return raw === undefined ? undefined : decodeReparse(raw);
  }

  override observe(p: AbsPath): Entry {
    if (!this.paths.contains(p)) return super.observe(p);
    return retryEio(() => {
      const st = wrap(p, 'cannot read', () => lstatOrUndefined(p));
      if (st === undefined) return { kind: 'absent' };
      if (st.isSymbolicLink() || st.isDirectory() || st.isFile()) {
        const raw = this.readReparseData(p);
        if (raw !== undefined) return entryOfReparse(p, raw, { naming: this.naming });
      }
      // a plain entry, or a symlink ntfs-3g made through symlink(2) (an Interix system file)
      return super.observe(p);
    });
  }

  override observeTarget(p: AbsPath): TargetInfo {
    // ntfs-3g follows junctions and symlinks itself (stat); the quirk applies here too
    return retryEio(() => super.observeTarget(p));
  }

  // -------------------------------------------------------------------------------------------
  // Writing
  // -------------------------------------------------------------------------------------------

  private assertOnVolume(p: AbsPath): void {
    if (!this.paths.contains(p)) {
      throw new DriverError(p, `is not on the NTFS volume mounted at ${this.paths.mountPoint}`, {
        hint: 'use the driver of the volume (or of the filesystem) that holds this path',
      });
    }
  }

  /** Windows form of an absolute Linux path on this volume or a peer; throws for paths elsewhere. */
  private windowsOf(p: AbsPath, linuxPath: string, what: string): string {
    let w: string | undefined;
    try {
      w = this.volumeOf(linuxPath)?.toWindows(linuxPath);
    } catch (e) {
      throw new DriverError(p, `${what} ${linuxPath}: ${e instanceof Error ? e.message : String(e)}`, { code: 'EINVAL' });
    }
    if (w === undefined) {
      throw new DriverError(
        p,
        `${what} ${linuxPath} is not on this NTFS volume (${this.paths.mountPoint})${this.peers.length > 0 ? ' nor on another one it knows' : ''}; Windows could not follow a link to it`,
        { code: 'EXDEV', hint: 'link to a path on the same volume, or give the target as a Windows path (C:\\...)' },
      );
    }
    return w;
  }

  /** The bytes `link` becomes at `p`, under Windows' rules (shared with the Windows driver). */
  private reparseWrite(p: AbsPath, link: LinkSpec): ReparseWrite {
    return reparseWrite(p, link, { naming: this.naming });
  }

  /** Writes the raw reparse data of `p` itself (the xattr), absorbing ntfs-3g's EIO quirk after it. */
  writeReparseData(p: AbsPath, buffer: Buffer, opts: { mode: 'create' | 'replace'; what: string }): void {
    this.xattr.lsetxattr(p, XATTR_NTFS_REPARSE_DATA, { value: buffer, mode: opts.mode });
    this.settle(p);
  }

  /** Absorbs the EIO quirk right after a conversion, so the next reader sees the new entry. */
  private settle(p: AbsPath): void {
    try {
      retryEio(() => fs.lstatSync(p));
    } catch {
      // verify() reports what is wrong, if anything is
    }
  }

  /** Makes a fresh empty folder or file at `p` and turns it into the reparse point. */
  private writeNewReparse(p: AbsPath, w: ReparseWrite): void {
    const directory = w.directory ?? false;
    if (directory) fs.mkdirSync(p);
    else fs.closeSync(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW));
    try {
      writeReparse(p, w, { transport: this, mode: 'create', what: 'cannot write reparse data', writer: 'ntfs-3g' });
    } catch (e) {
      this.removeFresh(p, directory);
      throw e;
    }
  }

  /** Removes the folder or file writeNewReparse made, reparse data or not (both only while empty). */
  private removeFresh(p: AbsPath, directory: boolean): void {
    try {
      const st = retryEio(() => fs.lstatSync(p));
      // as a reparse point ntfs-3g shows it as a symlink, which unlink removes (a folder only while empty)
      if (st.isSymbolicLink() || !directory) fs.unlinkSync(p);
      else fs.rmdirSync(p);
    } catch {
      // best effort: the error that brought us here is the one to report
    }
  }

  private makeNtfsLink(p: AbsPath, link: LinkSpec): void {
    if (link.type === 'hardlink') {
      // like the POSIX driver: share the file the target leads to, not a link in between
      fs.linkSync(fs.realpathSync(link.target), p);
      return;
    }
    const w = this.reparseWrite(p, link);
    if (lstatOrUndefined(p) !== undefined) throw new DriverError(p, 'already exists; a link is made only where nothing is', { code: 'EEXIST' });
    this.writeNewReparse(p, w);
  }

  override createLink(p: AbsPath, link: LinkSpec): void {
    wrap(p, `cannot create ${link.type}`, () => {
      this.assertOnVolume(p);
      this.makeNtfsLink(p, link);
    });
  }

  override replaceLink(p: AbsPath, link: LinkSpec): void {
    wrap(p, `cannot retarget ${link.type}`, () => {
      this.assertOnVolume(p);
      const cur = this.observe(p);
      const isHardLink = cur.kind === 'file' && cur.nlink > 1;
      if (cur.kind !== 'junction' && cur.kind !== 'symlink' && !isHardLink) {
        throw new DriverError(p, 'is no longer a link; refusing to replace it');
      }
      // in place, where NTFS allows it: a junction's data, or a symlink's of the same folder-ness
      if ((cur.kind === 'junction' && link.type === 'junction') || (cur.kind === 'symlink' && link.type === 'symlink')) {
        const raw = this.readReparseData(p);
        if (raw !== undefined) {
          const w = this.reparseWrite(p, link);
          const attrs = this.readWindowsAttributes(p);
          const isDir = attrs === undefined ? undefined : (attrs & FILE_ATTRIBUTE_DIRECTORY) !== 0;
          if (isDir !== undefined && (w.directory === undefined || w.directory === isDir)) {
            writeReparse(p, w, { transport: this, mode: 'replace', what: 'cannot write reparse data', writer: 'ntfs-3g' });
            return;
          }
        }
      }
      // otherwise: the new link under a temporary name, renamed over the old one
      const tmp = retargetTempName(p);
      if (link.type === 'hardlink') this.makeNtfsLink(tmp, link);
      else {
        const w = this.reparseWrite(p, link);
        if (lstatOrUndefined(tmp) !== undefined) throw new DriverError(tmp, 'already exists', { code: 'EEXIST' });
        this.writeNewReparse(tmp, w);
      }
      renameOver(tmp, p);
      this.settle(p);
    });
  }

  override removeLink(p: AbsPath): void {
    wrap(p, 'cannot remove link', () => {
      this.assertOnVolume(p);
      const cur = this.observe(p);
      if (cur.kind === 'reparse') {
        throw new DriverError(p, `is a ${cur.tagName} reparse point (tag ${formatReparseTag(cur.tag)}), not a link; linkplan never touches it`, {
          code: 'EPERM',
        });
      }
      if (cur.kind !== 'junction' && cur.kind !== 'symlink' && !(cur.kind === 'file' && cur.nlink > 1)) {
        throw new DriverError(p, 'is not a link; linkplan never deletes files or folders');
      }
      // ntfs-3g shows junctions and directory symlinks as symlinks: rmdir fails (ENOTDIR), unlink
      // removes the link object alone and refuses (ENOTEMPTY) a folder that has entries of its own
      try {
        retryEio(() => fs.unlinkSync(p));
      } catch (e) {
        if (errnoCode(e) === 'ENOTEMPTY') {
          throw new DriverError(
            p,
            'is a junction whose own folder holds entries (ntfs-3g allows this, Windows does not); linkplan will not delete them',
            {
              code: 'ENOTEMPTY',
              hint: `see them with \`setfattr -h -x system.ntfs_reparse_data ${p}\` (it makes the junction a plain folder), then move them`,
            },
          );
        }
        throw e;
      }
    });
  }
}

export interface Ntfs3gDriverForOptions extends Ntfs3gMountOptions {
  /** How Windows names the root of the volume that holds the path: `D:\` or `\\?\Volume{GUID}\`. */
  windowsRoot: string;
  xattr?: XattrCalls;
}

/**
 * The driver for the ntfs-3g volume that holds `p` (found in /proc/self/mountinfo), or undefined
 * when `p` is not on an ntfs-3g volume. Linux cannot know the volume's drive letter or GUID path:
 * the caller says how Windows names it.
 */
export function ntfs3gDriverFor(p: string, opts: Ntfs3gDriverForOptions): Ntfs3gDriver | undefined {
  const m = ntfs3gMountOf(p, opts);
  if (m === undefined) return undefined;
  return new Ntfs3gDriver({ mountPoint: m.mountPoint, windowsRoot: opts.windowsRoot, ...(opts.xattr === undefined ? {} : { xattr: opts.xattr }) });
}
