/**
 * The native Windows driver: NTFS junctions, symbolic links and hard links through Win32 (koffi,
 * win32.ts). It observes an entry by opening the entry itself (FILE_FLAG_OPEN_REPARSE_POINT, never
 * following a link) and reading its reparse data with FSCTL_GET_REPARSE_POINT, decoded by the
 * shared NTFS logic (ntfs/links.ts) that the ntfs-3g driver uses too: a junction, a symbolic link,
 * or a reparse point of another kind (app execution alias, cloud placeholder, dedup, WOF), which
 * it names and never touches. Junctions are written with FSCTL_SET_REPARSE_POINT on a fresh empty
 * folder and retargeted in place (one FSCTL on the same folder); symbolic links with
 * CreateSymbolicLinkW (with the unprivileged flag Developer Mode honours); hard links with
 * CreateHardLinkW. A link is removed by a handle on the link itself, checked to be that link
 * before it goes. Every write is read back and compared: a call that reports success has not
 * always done the work (Wine's CreateSymbolicLinkW returns success and makes nothing). Paths reach
 * Win32 in the `\\?\` form, so length is no limit.
 */
import { readHeadOf } from '../read-head.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverError } from '../../core/errors.js';
import type { AbsPath } from '../../core/paths.js';
import type { Capabilities, Entry, FolderIdentity, LinkSpec, TargetInfo, TargetKind, TreeCount, TreeFacts } from '../../core/types.js';
import { NO_RELOCATION, type DirEntry, type Driver, type TreeRemoval } from '../driver.js';
import { entryOfReparse, reparseWrite, verifyReparse, writeReparse, type ReparseTransport, type ReparseWrite } from '../ntfs/links.js';
import { formatReparseTag, isNameSurrogate, ReparseEncodeError, reparseTagName } from '../ntfs/reparse.js';
import { retargetTempName } from '../posix.js';
import { SYMLINK_PRIVILEGE_NOTE, win32Error } from './errors.js';
import { check, deleteOn, fileFacts, finalPathOf, findEntries, openEntry, readReparseOn, volumeOf, withEntry, writeReparseOn, type FileFacts } from './handles.js';
import { PinnedFolders } from './folders.js';
import { windowsNaming } from './naming.js';
import { longPath } from './paths.js';
import {
  ERROR_ACCESS_DENIED,
  ERROR_INVALID_PARAMETER,
  FILE_ATTRIBUTE_DIRECTORY,
  FILE_ATTRIBUTE_READONLY,
  FILE_ATTRIBUTE_REPARSE_POINT,
  kernel32 as k,
  MOVEFILE_REPLACE_EXISTING,
  SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE,
  SYMBOLIC_LINK_FLAG_DIRECTORY,
  Win32MissingError,
} from './win32.js';

/** Runs `fn`, turning what it throws into a DriverError that names `p` and what was being done. */
function wrap<T>(p: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof DriverError) throw e;
    if (e instanceof ReparseEncodeError) {
      throw new DriverError(p, `${what} (${e.message.replace(/^reparse buffer: /, '')})`, { code: 'EINVAL', cause: e });
    }
    if (e instanceof Win32MissingError) throw new DriverError(p, `${what} (${e.message})`, { code: 'ENOSYS', cause: e });
    throw new DriverError(p, `${what} (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
}

/** Windows paths as the shared NTFS logic sees them; a target's folder-ness read by opening it. */
const NAMING = windowsNaming((local) => withEntry(local, (h) => fileFacts(h, local).directory, { follow: true, absent: () => undefined }));

/** The folder-ness of the link object, told from its own attributes (never from its target). */
function isDirectoryObject(p: string): boolean {
  return withEntry(p, (h) => fileFacts(h, p).directory, { absent: () => false });
}

export class WindowsDriver implements Driver, ReparseTransport {
  readonly name: string = 'windows';
  private symlinkProbe: Pick<Capabilities, 'symlinks' | 'symlinkNote'> | undefined;
  /** The folders the writes go in, checked (and, during an apply, pinned) first: see folders.ts. */
  private readonly folders = new PinnedFolders();

  /** Checks the folder that holds `p` before a write there. */
  private inFolderOf(p: string): void {
    this.folders.check(path.win32.dirname(p));
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  /** The raw reparse buffer of `p` itself, or undefined when it carries none (or nothing is there). */
  readReparseData(p: AbsPath): Buffer | undefined {
    return wrap(p, 'cannot read reparse data', () =>
      withEntry(p, (h) => (fileFacts(h, p).reparse ? readReparseOn(h, p) : undefined), { absent: () => undefined }),
    );
  }

  /**
   * Writes the raw reparse data of `p` itself with FSCTL_SET_REPARSE_POINT on a handle on it:
   * `create` only on an entry that carries none, `replace` only over one that does.
   */
  writeReparseData(p: AbsPath, buffer: Buffer, opts: { mode: 'create' | 'replace'; what: string }): void {
    const h = openEntry(p, { write: true });
    if (h === undefined) throw new DriverError(p, `${opts.what} (it is gone)`, { code: 'ENOENT' });
    try {
      const reparse = fileFacts(h, p).reparse;
      if (opts.mode === 'replace' && !reparse) throw new DriverError(p, 'is no longer a link; refusing to replace it');
      if (opts.mode === 'create' && reparse) throw new DriverError(p, 'already is a reparse point; refusing to overwrite it', { code: 'EEXIST' });
      writeReparseOn(h, p, { buffer, what: opts.what });
    } finally {
      k.CloseHandle(h);
    }
  }

  observe(p: AbsPath): Entry {
    return wrap(p, 'cannot read', () =>
      withEntry(
        p,
        (h): Entry => {
          const f = fileFacts(h, p);
          if (f.reparse) {
            const raw = readReparseOn(h, p);
            if (raw !== undefined) return entryOfReparse(p, raw, { naming: NAMING });
          }
          if (f.directory) return { kind: 'dir', dev: f.volume };
          return { kind: 'file', size: f.size, nlink: f.nlink, fileId: f.fileId, dev: f.volume };
        },
        { absent: (): Entry => ({ kind: 'absent' }) },
      ),
    );
  }

  observeTarget(p: AbsPath): TargetInfo {
    return wrap(p, 'cannot read', () =>
      withEntry(
        p,
        (h): TargetInfo => {
          const f = fileFacts(h, p);
          return f.directory ? { kind: 'dir', dev: f.volume } : { kind: 'file', fileId: f.fileId, dev: f.volume, nlink: f.nlink };
        },
        { follow: true, absent: (): TargetInfo => ({ kind: 'absent' }) },
      ),
    );
  }

  /** (no listing to answer it from here: see ListingMemo) */
  targetKind(p: AbsPath): TargetKind {
    return this.observeTarget(p).kind;
  }

  /** The volume GUID path of the drive `root` (`C:\`), where Windows gives one. */
  volumeGuidPath(root: AbsPath): string | undefined {
    return this.volumeOf(root).guidPath;
  }

  /**
   * Junctions and hard links on any NTFS volume; symbolic links when this user may make them,
   * found out once by making one in a temporary folder and reading it back.
   */
  capabilities(_p?: AbsPath): Capabilities {
    this.symlinkProbe ??= probeSymlinks(this);
    return { junctions: true, hardlinks: true, ...this.symlinkProbe };
  }

  /** The mount point and (where Windows gives one) the volume GUID path of the volume that holds `p`. */
  volumeOf(p: AbsPath): { mountPoint: string; guidPath: string | undefined } {
    return wrap(p, 'cannot name its volume', () => volumeOf(p));
  }

  listDir(p: AbsPath): DirEntry[] {
    return wrap(p, 'cannot list folder', () =>
      findEntries(p)
        .map((e): DirEntry => {
          const dir = (e.attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0;
          return { name: e.name, kind: e.tag !== 0 && isNameSurrogate(e.tag) ? 'link' : dir ? 'dir' : 'file' };
        })
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
  }

  readHead(p: AbsPath, max: number): { bytes: Uint8Array; size: number } {
    return wrap(p, 'cannot read file', () => {
      const fd = fs.openSync(longPath(p), 'r');
      try {
        return readHeadOf(fd, max);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  /** `serial:index` of the folder `p` leads to, following links as Windows does; undefined where no folder is. */
  folderId(p: AbsPath): string | undefined {
    try {
      return withEntry(p, (h) => {
        const f = fileFacts(h, p);
        return f.directory ? f.fileId : undefined;
      }, { follow: true, absent: () => undefined });
    } catch {
      return undefined;
    }
  }

  /** Starts an apply: each folder the plan recorded must be the very folder it saw; each is pinned until releaseFolders. */
  expectFolders(folders: readonly FolderIdentity[]): void {
    this.folders.begin(folders);
  }

  releaseFolders(): void {
    this.folders.end();
  }

  /** (a relocation's copy is not written for Windows yet: the plan turns this into a conflict) */
  copyRefusal(): string | undefined {
    return `${NO_RELOCATION} (Windows)`;
  }

  treeFacts(): TreeFacts {
    return { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0, problem: `${NO_RELOCATION} (Windows)` };
  }

  freeBytes(): number | undefined {
    return undefined;
  }

  copyTree(from: AbsPath): TreeCount {
    throw new DriverError(from, `${NO_RELOCATION} (Windows)`, { code: 'ENOTSUP' });
  }

  // -------------------------------------------------------------------------------------------
  // Writing links
  // -------------------------------------------------------------------------------------------

  private assertAbsent(p: AbsPath): void {
    if (withEntry(p, () => true, { absent: () => false })) throw new DriverError(p, 'already exists; a link is made only where nothing is', { code: 'EEXIST' });
  }

  createLink(p: AbsPath, link: LinkSpec): void {
    wrap(p, `cannot create ${link.type}`, () => {
      this.inFolderOf(p);
      this.makeLink(p, link);
    });
  }

  private makeLink(p: AbsPath, link: LinkSpec): void {
    if (link.type === 'hardlink') return this.makeHardLink(p, link);
    const w = reparseWrite(p, link, { naming: NAMING });
    this.assertAbsent(p);
    if (link.type === 'junction') this.makeJunction(p, w);
    else this.makeSymlink(p, w);
  }

  /** A hard link to the file the target leads to (not to a link in between), checked to share its record. */
  private makeHardLink(p: AbsPath, link: LinkSpec): void {
    const target = withEntry(
      link.target,
      (h) => ({ facts: fileFacts(h, link.target), final: finalPathOf(h, link.target) }),
      { follow: true, absent: () => undefined },
    );
    if (target === undefined) throw new DriverError(p, `hard link target ${link.target} does not exist`, { code: 'ENOENT' });
    if (target.facts.directory) {
      throw new DriverError(p, `hard link target ${link.target} is a folder; hard links are for files`, { code: 'EISDIR', hint: 'use a junction for a folder' });
    }
    this.assertAbsent(p);
    check(p, k.CreateHardLinkW(longPath(p), target.final, null) !== 0, { what: 'cannot create hard link' });
    const made = this.observe(p);
    if (made.kind !== 'file' || made.fileId !== target.facts.fileId) {
      throw new DriverError(p, 'Windows reported the hard link made, but it is not there', { code: 'EIO' });
    }
  }

  /** A fresh empty folder turned into a junction; the folder goes again if that fails. */
  private makeJunction(p: AbsPath, w: ReparseWrite): void {
    check(p, k.CreateDirectoryW(longPath(p), null) !== 0, { what: 'cannot create folder for junction' });
    try {
      writeReparse(p, w, { transport: this, mode: 'create', what: 'cannot create junction', writer: 'Windows' });
    } catch (e) {
      // the fresh folder (or the junction it became): removed only while empty, never followed
      k.RemoveDirectoryW(longPath(p));
      throw e;
    }
  }

  /** A symbolic link by CreateSymbolicLinkW, read back: a success with nothing made is an error. */
  private makeSymlink(p: AbsPath, w: ReparseWrite): void {
    const dirFlag = w.directory === true ? SYMBOLIC_LINK_FLAG_DIRECTORY : 0;
    let ok = k.CreateSymbolicLinkW(longPath(p), w.windowsTarget, dirFlag | SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) !== 0;
    if (!ok) {
      const code = k.GetLastError();
      // Windows before 10 1703 knows no unprivileged flag
      if (code !== ERROR_INVALID_PARAMETER) throw win32Error(p, 'cannot create symlink', { code });
      ok = k.CreateSymbolicLinkW(longPath(p), w.windowsTarget, dirFlag) !== 0;
      check(p, ok, { what: 'cannot create symlink' });
    }
    try {
      verifyReparse(p, w, { transport: this, exact: false, writer: 'Windows' });
    } catch (e) {
      this.removeIfLink(p);
      throw e;
    }
  }

  /** Removes the link at `p` if one is there (a link this driver has just made), leaving anything else. */
  private removeIfLink(p: AbsPath): void {
    try {
      const cur = this.observe(p);
      if (cur.kind === 'junction' || cur.kind === 'symlink') this.deleteLinkObject(p);
    } catch {
      // best effort: the error that brought us here is the one to report
    }
  }

  replaceLink(p: AbsPath, link: LinkSpec): void {
    wrap(p, `cannot retarget ${link.type}`, () => {
      this.inFolderOf(p);
      const cur = this.observe(p);
      const isHardLink = cur.kind === 'file' && cur.nlink > 1;
      if (cur.kind !== 'junction' && cur.kind !== 'symlink' && !isHardLink) throw new DriverError(p, 'is no longer a link; refusing to replace it');
      if (cur.kind === link.type && this.retargetInPlace(p, link)) return;
      const newIsDir = link.type === 'junction' || (link.type === 'symlink' && reparseWrite(p, link, { naming: NAMING }).directory === true);
      if (!isDirectoryObject(p) && !newIsDir) this.replaceFileObject(p, link);
      else this.replaceAside(p, link);
    });
  }

  /**
   * Rewrites the reparse data of the link at `p` in place (one FSCTL on the same object: no moment
   * without the link). False when Windows refuses it for a symbolic link (that takes a privilege).
   */
  private retargetInPlace(p: AbsPath, link: LinkSpec): boolean {
    const w = reparseWrite(p, link, { naming: NAMING });
    if (link.type === 'symlink' && w.directory !== undefined && w.directory !== isDirectoryObject(p)) return false;
    try {
      writeReparse(p, w, { transport: this, mode: 'replace', what: `cannot retarget ${link.type}`, writer: 'Windows' });
    } catch (e) {
      if (link.type === 'symlink' && e instanceof DriverError && e.code === 'EPERM') return false;
      throw e;
    }
    return true;
  }

  /** A file symlink or hard link: the new link under a temporary name, renamed over the old one. */
  private replaceFileObject(p: AbsPath, link: LinkSpec): void {
    const tmp = retargetTempName(p);
    this.makeLink(tmp, link);
    if (k.MoveFileExW(longPath(tmp), longPath(p), MOVEFILE_REPLACE_EXISTING) === 0) {
      const code = k.GetLastError();
      this.deleteLinkObject(tmp);
      throw win32Error(p, `cannot put the new ${link.type} in place`, { code });
    }
  }

  /**
   * A link Windows cannot rename another over (a folder one, or a file one to become a folder
   * one): the old link is renamed aside (the link itself, never its target), the new one made,
   * and the old one deleted; if the new one cannot be made, the old one is renamed back.
   */
  private replaceAside(p: AbsPath, link: LinkSpec): void {
    const aside = retargetTempName(p);
    check(p, k.MoveFileExW(longPath(p), longPath(aside), 0) !== 0, { what: `cannot move the old link aside to ${aside}` });
    try {
      this.makeLink(p, link);
    } catch (e) {
      if (k.MoveFileExW(longPath(aside), longPath(p), 0) === 0) {
        const code = k.GetLastError();
        throw new DriverError(p, `cannot retarget ${link.type}, nor put the old link back: it is at ${aside} (${win32Error(aside, 'move', { code }).message})`, {
          cause: e,
          hint: `rename ${aside} back to ${p}`,
        });
      }
      throw e;
    }
    this.deleteLinkObject(aside);
  }

  removeLink(p: AbsPath): void {
    wrap(p, 'cannot remove link', () => {
      this.inFolderOf(p);
      const cur = this.observe(p);
      if (cur.kind === 'reparse') {
        throw new DriverError(p, `is a ${cur.tagName} reparse point (tag ${formatReparseTag(cur.tag)}), not a link; linkplan never touches it`, { code: 'EPERM' });
      }
      if (cur.kind !== 'junction' && cur.kind !== 'symlink' && !(cur.kind === 'file' && cur.nlink > 1)) {
        throw new DriverError(p, 'is not a link; linkplan never deletes files or folders');
      }
      this.deleteLinkObject(p);
      if (this.observe(p).kind !== 'absent') throw new DriverError(p, 'Windows reported the link removed, but it is still there', { code: 'EIO' });
    });
  }

  /**
   * Deletes the link object at `p` by a handle on it, checked on that very handle to be a link
   * (a reparse point, or a file with other names) so an entry swapped in meanwhile is never deleted.
   */
  private deleteLinkObject(p: AbsPath): void {
    const h = openEntry(p, { delete: true });
    if (h === undefined) throw new DriverError(p, 'is gone', { code: 'ENOENT' });
    try {
      const f: FileFacts = fileFacts(h, p);
      const isLink = f.reparse ? isNameSurrogate(this.tagOn(h, p)) : !f.directory && f.nlink > 1;
      if (!isLink) throw new DriverError(p, 'is no longer a link; linkplan never deletes files or folders');
      deleteOn(h, p, { what: 'cannot remove link' });
    } finally {
      k.CloseHandle(h);
    }
  }

  private tagOn(h: number, p: string): number {
    const raw = readReparseOn(h, p);
    return raw === undefined || raw.length < 4 ? 0 : raw.readUInt32LE(0);
  }

  // -------------------------------------------------------------------------------------------
  // Writing folders and moving
  // -------------------------------------------------------------------------------------------

  move(from: AbsPath, to: AbsPath): void {
    wrap(from, `cannot move to ${to}`, () => {
      this.folders.release(from);
      this.inFolderOf(from);
      this.inFolderOf(to);
      if (k.MoveFileExW(longPath(from), longPath(to), 0) === 0) {
        const code = k.GetLastError();
        if (code === 80 || code === 183) throw new DriverError(to, 'already exists; refusing to overwrite it', { code: 'EEXIST' });
        throw win32Error(from, `cannot move to ${to}`, { code });
      }
    });
  }

  mkdir(p: AbsPath): void {
    wrap(p, 'cannot create folder', () => {
      this.inFolderOf(p);
      check(p, k.CreateDirectoryW(longPath(p), null) !== 0, { what: 'cannot create folder' });
    });
  }

  rmdir(p: AbsPath): void {
    wrap(p, 'cannot remove folder', () => {
      this.folders.release(p);
      this.inFolderOf(p);
      if (this.observe(p).kind !== 'dir') throw new DriverError(p, 'is not a plain folder; refusing to remove it', { code: 'ENOTDIR' });
      check(p, k.RemoveDirectoryW(longPath(p)) !== 0, { what: 'cannot remove folder' });
    });
  }

  removeTree(p: AbsPath): TreeRemoval {
    const out: TreeRemoval = { files: 0, folders: 0, links: 0, left: [] };
    wrap(p, 'cannot delete', () => {
      this.inFolderOf(p);
      const top = withEntry(
        p,
        (h) => {
          const f = fileFacts(h, p);
          return { path: p, attributes: f.attributes, tag: f.reparse ? this.tagOn(h, p) : 0 };
        },
        { absent: () => undefined },
      );
      if (top !== undefined) removeEntry(this, top, out);
    });
    return out;
  }
}

/** Removes one entry of a tree being deleted: a link as a link, a folder with all it holds, a file; what cannot go is listed. */
function removeEntry(d: WindowsDriver, e: { path: AbsPath; attributes: number; tag: number }, out: TreeRemoval): boolean {
  const reparse = (e.attributes & FILE_ATTRIBUTE_REPARSE_POINT) !== 0;
  try {
    if (reparse && isNameSurrogate(e.tag)) {
      d.removeLink(e.path);
      out.links++;
    } else if (reparse && (e.attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0) {
      out.left.push(`${e.path}: a ${reparseTagName(e.tag)} reparse point; it is left with all it holds`);
      return false;
    } else if ((e.attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0) {
      let whole = true;
      for (const c of findEntries(e.path)) whole = removeEntry(d, { path: path.win32.join(e.path, c.name) as AbsPath, attributes: c.attributes, tag: c.tag }, out) && whole;
      if (!whole) return false;
      check(e.path, k.RemoveDirectoryW(longPath(e.path)) !== 0, { what: 'cannot delete the folder' });
      out.folders++;
    } else {
      deleteFile(e.path, e.attributes);
      out.files++;
    }
    return true;
  } catch (err) {
    out.left.push(err instanceof DriverError ? err.message : `${e.path}: ${String(err)}`);
    return false;
  }
}

/**
 * Deletes a file of a tree being deleted; a read-only one (git's objects are) has that attribute
 * taken off first, as deleting it is what was asked.
 */
function deleteFile(p: string, attributes: number): void {
  if (k.DeleteFileW(longPath(p)) !== 0) return;
  const code = k.GetLastError();
  if (code !== ERROR_ACCESS_DENIED || (attributes & FILE_ATTRIBUTE_READONLY) === 0) throw win32Error(p, 'cannot delete it', { code });
  check(p, k.SetFileAttributesW(longPath(p), attributes & ~FILE_ATTRIBUTE_READONLY) !== 0, { what: 'cannot delete it (read-only, and the attribute cannot be taken off)' });
  check(p, k.DeleteFileW(longPath(p)) !== 0, { what: 'cannot delete it' });
}

/**
 * Whether this user can make symbolic links here: one is made in a fresh temporary folder with
 * the unprivileged flag and read back (a success that made nothing counts as no).
 */
function probeSymlinks(d: WindowsDriver): Pick<Capabilities, 'symlinks' | 'symlinkNote'> {
  let dir: string | undefined;
  try {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-probe-'));
    const target = path.win32.join(dir, 'target');
    const link = path.win32.join(dir, 'link') as AbsPath;
    fs.writeFileSync(target, '');
    const ok = k.CreateSymbolicLinkW(longPath(link), target, SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE) !== 0;
    const code = ok ? 0 : k.GetLastError();
    const made = d.observe(link);
    if (made.kind === 'symlink') {
      d.removeLink(link);
      return { symlinks: true };
    }
    if (!ok && code === 1314) return { symlinks: false, symlinkNote: SYMLINK_PRIVILEGE_NOTE };
    const why = ok ? 'Windows reported a test symbolic link made, but none appeared (Wine does this)' : `making a test symbolic link failed (${win32Error(link, 'symlink', { code }).message.replace(/^.*?\(/, '(').slice(1, -1)})`;
    return { symlinks: false, symlinkNote: `${why}; linkplan cannot make symbolic links here` };
  } catch (e) {
    return { symlinks: false, symlinkNote: `could not find out whether symbolic links can be made here (${e instanceof Error ? e.message : String(e)})` };
  } finally {
    if (dir !== undefined) {
      for (const name of ['target']) fs.rmSync(path.join(dir, name), { force: true });
      try {
        fs.rmdirSync(dir);
      } catch {
        // a probe link that could not be removed keeps its folder; nothing else is in it
      }
    }
  }
}
