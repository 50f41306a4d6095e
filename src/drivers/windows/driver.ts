/**
 * The native Windows driver: NTFS junctions, symbolic links and hard links through Win32 (koffi,
 * win32.ts). It observes an entry by opening the entry itself (FILE_FLAG_OPEN_REPARSE_POINT, never
 * following a link) and reading its reparse data with FSCTL_GET_REPARSE_POINT, decoded by the
 * shared NTFS logic (ntfs/links.ts) that the ntfs-3g driver uses too: a junction, a symbolic link,
 * or a reparse point of another kind (app execution alias, cloud placeholder, dedup, WOF), which
 * it names and never touches. Junctions are written with FSCTL_SET_REPARSE_POINT on a fresh empty
 * folder and retargeted in place (one FSCTL on the same folder); symbolic links with
 * CreateSymbolicLinkW (with the unprivileged flag Developer Mode honours); hard links as
 * a new name given to the file by handle. Every write but a symbolic link's is made relative to a
 * handle on the checked folder that holds the entry (folders.ts, relative.ts: folders made, hard
 * links named, entries opened to remove or rename), so a folder of the path swapped meanwhile
 * cannot redirect it. A link is removed by a handle on the link itself, checked to be that link
 * before it goes. Every write is read back and compared: a call that reports success has not
 * always done the work (Wine's CreateSymbolicLinkW returns success and makes nothing). Paths reach
 * Win32 in the `\\?\` form, so length is no limit. A relocation's tree copy (copy.ts) is made
 * relative to the handles on the checked folders of the original and of the target, and deleted
 * again, by handles, if it fails.
 */
import { readHeadOf } from '../read-head.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverError } from '../../core/errors.js';
import type { AbsPath } from '../../core/paths.js';
import type { Capabilities, Entry, FolderIdentity, LinkSpec, TargetInfo, TargetKind, TreeCount, TreeFacts } from '../../core/types.js';
import type { CopyOptions, DirEntry, Driver, TreeRemoval } from '../driver.js';
import { copyTreeOn, treeFactsOfWindows } from './copy.js';
import { COPY_HINT } from '../tree-copy.js';
import { entryOfReparse, reparseWrite, verifyReparse, writeReparse, type ReparseTransport, type ReparseWrite } from '../ntfs/links.js';
import { formatReparseTag, isNameSurrogate, ReparseEncodeError, reparseTagName } from '../ntfs/reparse.js';
import { retargetTempName } from '../posix.js';
import { SYMLINK_PRIVILEGE_NOTE, win32Error } from './errors.js';
import {
  check,
  deleteOn,
  fileFacts,
  findEntries,
  freeBytesOf,
  openEntry,
  readReparseOn,
  volumeFactsOn,
  volumeOf,
  withEntry,
  writeReparseOn,
  type FileFacts,
  type VolumeFacts,
} from './handles.js';
import { PinnedFolders } from './folders.js';
import { linkAt, listOn, mkdirAt, openAt, renameAt, setAttributesOn } from './relative.js';
import { windowsNaming } from './naming.js';
import { longPath } from './paths.js';
import {
  DELETE,
  ERROR_FILE_NOT_FOUND,
  ERROR_INVALID_PARAMETER,
  FILE_ATTRIBUTE_DIRECTORY,
  FILE_ATTRIBUTE_READONLY,
  FILE_LIST_DIRECTORY,
  FILE_SUPPORTS_REPARSE_POINTS,
  FILE_WRITE_ATTRIBUTES,
  GENERIC_READ,
  GENERIC_WRITE,
  kernel32 as k,
  SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE,
  SYMBOLIC_LINK_FLAG_DIRECTORY,
  Win32MissingError,
} from './win32.js';

/** What was thrown while doing `what` at `p`, as a DriverError that names both (a DriverError as it is). */
function asDriverError(p: string, what: string, e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  if (e instanceof ReparseEncodeError) {
    return new DriverError(p, `${what} (${e.message.replace(/^reparse buffer: /, '')})`, { code: 'EINVAL', cause: e });
  }
  if (e instanceof Win32MissingError) return new DriverError(p, `${what} (${e.message})`, { code: 'ENOSYS', cause: e });
  return new DriverError(p, `${what} (${e instanceof Error ? e.message : String(e)})`, { cause: e });
}

/** Runs `fn`, turning what it throws into a DriverError that names `p` and what was being done. */
function wrap<T>(p: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw asDriverError(p, what, e);
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
  /** What each folder's volume is (lower-cased folder -> facts), as capabilities() found it. */
  private readonly volumeFacts = new Map<string, VolumeFacts>();

  /** Runs `fn` with a handle on the checked folder that holds `p` and the name of `p` in it. */
  private at<T>(p: string, what: string, fn: (dir: number, name: string) => T): T {
    return this.folders.at(p, fn, { what });
  }

  /** Opens the entry `p` itself relative to its checked folder, runs `fn` on the handle, closes it; `absent()` when nothing is there. */
  private withEntryAt<T>(p: string, opts: { access: number; what: string; absent: () => T }, fn: (h: number) => T): T {
    return this.at(p, opts.what, (dir, name) => {
      const h = openAt(dir, name, { p, access: opts.access, what: opts.what });
      if (h === undefined) return opts.absent();
      try {
        return fn(h);
      } finally {
        k.CloseHandle(h);
      }
    });
  }

  /**
   * Renames the entry `from` itself to `to`, each name relative to its checked folder; over an
   * entry at `to` only with `replace`. The Win32 code of a failure, 0 when done.
   */
  private renameEntry(from: string, to: string, opts: { replace: boolean }): number {
    const what = `cannot move to ${to}`;
    return this.withEntryAt(from, { access: DELETE, what, absent: () => ERROR_FILE_NOT_FOUND }, (h) =>
      this.at(to, what, (dir, name) => renameAt(h, dir, { name, replace: opts.replace })),
    );
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
    const absent = (): never => {
      throw new DriverError(p, `${opts.what} (it is gone)`, { code: 'ENOENT' });
    };
    this.withEntryAt(p, { access: GENERIC_READ | GENERIC_WRITE, what: opts.what, absent }, (h) => {
      const reparse = fileFacts(h, p).reparse;
      if (opts.mode === 'replace' && !reparse) throw new DriverError(p, 'is no longer a link; refusing to replace it');
      if (opts.mode === 'create' && reparse) throw new DriverError(p, 'already is a reparse point; refusing to overwrite it', { code: 'EEXIST' });
      writeReparseOn(h, p, { buffer, what: opts.what });
    });
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
   * What the volume that holds `p` can hold: junctions and symbolic links only where its
   * filesystem holds reparse points (FILE_SUPPORTS_REPARSE_POINTS; never FAT or exFAT), hard links
   * where it is no FAT or exFAT; symbolic links also only when this user may make them, found out
   * once by making one in a temporary folder and reading it back. A volume that cannot be asked
   * counts as NTFS (an apply then says what failed).
   */
  capabilities(p?: AbsPath): Capabilities {
    this.symlinkProbe ??= probeSymlinks(this);
    const all: Capabilities = { junctions: true, hardlinks: true, ...this.symlinkProbe };
    const v = p === undefined ? undefined : this.volumeFactsOf(p);
    if (v === undefined) return all;
    const fat = /^(fat|fat12|fat16|fat32|exfat)$/i.test(v.fileSystem);
    if ((v.flags & FILE_SUPPORTS_REPARSE_POINTS) !== 0 && !fat) return all;
    const note = `the ${v.fileSystem} volume that holds ${p ?? ''} holds no reparse points (no junctions, no symbolic links)`;
    return { junctions: false, hardlinks: !fat, symlinks: false, symlinkNote: note };
  }

  /**
   * What the volume that holds `p` is (the volume of its folder, or of the nearest folder above
   * that exists), asked once per folder; undefined when none can be asked.
   */
  private volumeFactsOf(p: string): VolumeFacts | undefined {
    const seen: string[] = [];
    let dir = path.win32.dirname(path.win32.resolve(p));
    let facts: VolumeFacts | undefined;
    for (;;) {
      const key = dir.toLowerCase();
      facts = this.volumeFacts.get(key);
      if (facts !== undefined) break;
      seen.push(key);
      const at = dir;
      try {
        facts = withEntry(at, (h) => volumeFactsOn(h, at), { follow: true, absent: () => undefined });
      } catch {
        return undefined;
      }
      const up = path.win32.dirname(dir);
      if (facts !== undefined || up === dir) break;
      dir = up;
    }
    if (facts !== undefined) for (const key of seen) this.volumeFacts.set(key, facts);
    return facts;
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

  /**
   * Nothing stops this driver copying a folder: what in it cannot be copied (a reparse point of
   * another program, a volume mounted inside, an encrypted file) is `treeFacts`'s problem.
   */
  copyRefusal(_from?: AbsPath, _to?: AbsPath): string | undefined {
    return undefined;
  }

  treeFacts(p: AbsPath): TreeFacts {
    return treeFactsOfWindows(p);
  }

  freeBytes(p: AbsPath): number | undefined {
    try {
      return freeBytesOf(p);
    } catch {
      return undefined;
    }
  }

  /**
   * Copies the folder `from` to `to` (copy.ts), each relative to the handle on its checked folder;
   * if it fails, what the copy made is deleted (only while `to` is still the folder it made), and
   * what could not be is named.
   */
  copyTree(from: AbsPath, to: AbsPath, opts: CopyOptions = {}): TreeCount {
    let made: string | undefined;
    try {
      return this.at(from, 'cannot open the folder', (fromDir, fromName) =>
        this.at(to, 'cannot make the copy', (toDir, toName) =>
          copyTreeOn({ dir: fromDir, name: fromName, path: from }, { dir: toDir, name: toName, path: to }, { ...opts, made: (id) => (made = id) }),
        ),
      );
    } catch (e) {
      const err = asDriverError(from, `cannot copy to ${to}`, e);
      const left = made === undefined ? [] : this.discardCopy(to, made);
      const hint = err.hint ?? COPY_HINT;
      const tail = left.length === 0 ? '' : `; the part copied could not all be deleted, left:\n  ${left.join('\n  ')}`;
      throw new DriverError(err.path, `${err.message.slice(err.path.length + 2)}${tail}`, { ...(err.code === undefined ? {} : { code: err.code }), hint, cause: e });
    }
  }

  /** Deletes what a failed copy made at `to`, only while it is still the folder the copy made (`made`); returns what stays. */
  private discardCopy(to: AbsPath, made: string): string[] {
    let now: string | undefined;
    try {
      now = this.withEntryAt(to, { access: 0, what: 'cannot open the copy', absent: () => undefined }, (h) => fileFacts(h, to).fileId);
    } catch {
      return [];
    }
    if (now === undefined) return [];
    if (now !== made) return [`${to}: it is no longer the folder the copy made`];
    return this.removeTree(to).left;
  }

  // -------------------------------------------------------------------------------------------
  // Writing links
  // -------------------------------------------------------------------------------------------

  private assertAbsent(p: AbsPath): void {
    if (withEntry(p, () => true, { absent: () => false })) throw new DriverError(p, 'already exists; a link is made only where nothing is', { code: 'EEXIST' });
  }

  createLink(p: AbsPath, link: LinkSpec): void {
    wrap(p, `cannot create ${link.type}`, () => this.makeLink(p, link));
  }

  private makeLink(p: AbsPath, link: LinkSpec): void {
    if (link.type === 'hardlink') return this.makeHardLink(p, link);
    const w = reparseWrite(p, link, { naming: NAMING });
    this.assertAbsent(p);
    if (link.type === 'junction') this.makeJunction(p, w);
    else this.makeSymlink(p, w);
  }

  /**
   * A hard link to the file the target leads to (not to a link in between): the file opened, and
   * given the new name in the checked folder by handle (FileLinkInformation); checked to share its
   * record.
   */
  private makeHardLink(p: AbsPath, link: LinkSpec): void {
    const h = openEntry(link.target, { follow: true, link: true });
    if (h === undefined) throw new DriverError(p, `hard link target ${link.target} does not exist`, { code: 'ENOENT' });
    let fileId: string;
    try {
      const facts = fileFacts(h, link.target);
      if (facts.directory) {
        throw new DriverError(p, `hard link target ${link.target} is a folder; hard links are for files`, { code: 'EISDIR', hint: 'use a junction for a folder' });
      }
      fileId = facts.fileId;
      this.assertAbsent(p);
      const what = 'cannot create hard link';
      this.at(p, what, (dir, name) => linkAt(h, dir, { name, p, what }));
    } finally {
      k.CloseHandle(h);
    }
    const made = this.observe(p);
    if (made.kind !== 'file' || made.fileId !== fileId) {
      throw new DriverError(p, 'Windows reported the hard link made, but it is not there', { code: 'EIO' });
    }
  }

  /** A fresh empty folder (made in the checked folder by handle) turned into a junction; the folder goes again if that fails. */
  private makeJunction(p: AbsPath, w: ReparseWrite): void {
    const what = 'cannot create folder for junction';
    this.at(p, what, (dir, name) => k.CloseHandle(mkdirAt(dir, name, { p, access: 0, what })));
    try {
      writeReparse(p, w, { transport: this, mode: 'create', what: 'cannot create junction', writer: 'Windows' });
    } catch (e) {
      this.removeFreshFolder(p);
      throw e;
    }
  }

  /** The folder just made at `p` (or the junction it became), removed by handle: only while empty, never followed. */
  private removeFreshFolder(p: AbsPath): void {
    try {
      this.withEntryAt(p, { access: DELETE, what: 'cannot remove the folder made for it', absent: () => undefined }, (h) => {
        if (fileFacts(h, p).directory) deleteOn(h, p, { what: 'cannot remove the folder made for it' });
      });
    } catch {
      // best effort: the error that brought us here is the one to report
    }
  }

  /**
   * A symbolic link by CreateSymbolicLinkW, read back: a success with nothing made is an error.
   * The one write made by path: Windows has no call that makes a symbolic link relative to a
   * folder handle (NtCreateFile and FSCTL_SET_REPARSE_POINT on a fresh file would, but a symbolic
   * link's reparse data needs the privilege Developer Mode's flag stands in for only in this call).
   * Its folder was checked (and, in an apply, pinned) first, and the link is read back after.
   */
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

  /** A file symlink or hard link: the new link under a temporary name, renamed (by handle) over the old one. */
  private replaceFileObject(p: AbsPath, link: LinkSpec): void {
    const tmp = retargetTempName(p);
    this.makeLink(tmp, link);
    const code = this.renameEntry(tmp, p, { replace: true });
    if (code !== 0) {
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
    const moved = this.renameEntry(p, aside, { replace: false });
    if (moved !== 0) throw win32Error(p, `cannot move the old link aside to ${aside}`, { code: moved });
    try {
      this.makeLink(p, link);
    } catch (e) {
      const code = this.renameEntry(aside, p, { replace: false });
      if (code !== 0) {
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
    const absent = (): never => {
      throw new DriverError(p, 'is gone', { code: 'ENOENT' });
    };
    this.withEntryAt(p, { access: DELETE, what: 'cannot remove link', absent }, (h) => {
      const f: FileFacts = fileFacts(h, p);
      const isLink = f.reparse ? isNameSurrogate(tagOn(h, p)) : !f.directory && f.nlink > 1;
      if (!isLink) throw new DriverError(p, 'is no longer a link; linkplan never deletes files or folders');
      deleteOn(h, p, { what: 'cannot remove link' });
    });
  }


  // -------------------------------------------------------------------------------------------
  // Writing folders and moving
  // -------------------------------------------------------------------------------------------

  move(from: AbsPath, to: AbsPath): void {
    wrap(from, `cannot move to ${to}`, () => {
      this.folders.release(from);
      const code = this.renameEntry(from, to, { replace: false });
      if (code === 80 || code === 183) throw new DriverError(to, 'already exists; refusing to overwrite it', { code: 'EEXIST' });
      if (code !== 0) throw win32Error(from, `cannot move to ${to}`, { code });
    });
  }

  mkdir(p: AbsPath): void {
    wrap(p, 'cannot create folder', () => {
      this.at(p, 'cannot create folder', (dir, name) => k.CloseHandle(mkdirAt(dir, name, { p, access: 0, what: 'cannot create folder' })));
    });
  }

  rmdir(p: AbsPath): void {
    wrap(p, 'cannot remove folder', () => {
      this.folders.release(p);
      const notPlain = (): never => {
        throw new DriverError(p, 'is not a plain folder; refusing to remove it', { code: 'ENOTDIR' });
      };
      this.withEntryAt(p, { access: DELETE, what: 'cannot remove folder', absent: notPlain }, (h) => {
        const f = fileFacts(h, p);
        if (!f.directory || f.reparse) notPlain();
        // (the name goes when the handle closes; a folder that is not empty is refused here)
        deleteOn(h, p, { what: 'cannot remove folder' });
      });
    });
  }

  /**
   * Deletes what is at `p`, by handles only: each entry opened relative to the handle on its
   * folder without following a link, each folder listed by its handle, so a folder swapped for a
   * link midway cannot lead the walk elsewhere.
   */
  removeTree(p: AbsPath): TreeRemoval {
    const out: TreeRemoval = { files: 0, folders: 0, links: 0, left: [] };
    wrap(p, 'cannot delete', () => this.at(p, 'cannot delete', (dir, name) => removeAt({ dir, name, path: p }, out)));
    return out;
  }
}

/** Access to an entry of a tree being deleted: delete it, list it (a folder), take its read-only attribute off (a file). */
const TREE_ACCESS = DELETE | FILE_LIST_DIRECTORY | FILE_WRITE_ATTRIBUTES;

/** Removes the entry `name` of the folder open as `dir` with all it holds (see removeOpen); what cannot go is listed. True when it is gone. */
function removeAt(e: { dir: number; name: string; path: AbsPath }, out: TreeRemoval): boolean {
  try {
    const h = openAt(e.dir, e.name, { p: e.path, access: TREE_ACCESS, what: 'cannot delete' });
    if (h === undefined) return true;
    try {
      return removeOpen(h, e.path, out);
    } finally {
      // (a name marked for deletion goes now)
      k.CloseHandle(h);
    }
  } catch (err) {
    out.left.push(err instanceof DriverError ? err.message : `${e.path}: ${String(err)}`);
    return false;
  }
}

/**
 * Marks the entry open as `h` for deletion: a link as a link (its target untouched), a folder once
 * all it holds is gone, a file (a read-only one has that attribute taken off first, as deleting
 * it is what was asked); a reparse point of another kind on a folder (a cloud folder, say) is left
 * with all it holds.
 */
function removeOpen(h: number, p: AbsPath, out: TreeRemoval): boolean {
  const f = fileFacts(h, p);
  const tag = f.reparse ? tagOn(h, p) : 0;
  if (f.reparse && isNameSurrogate(tag)) {
    deleteOn(h, p, { what: 'cannot remove link' });
    out.links++;
  } else if (f.reparse && f.directory) {
    out.left.push(`${p}: a ${reparseTagName(tag)} reparse point; it is left with all it holds`);
    return false;
  } else if (f.directory) {
    let whole = true;
    for (const c of listOn(h, p)) whole = removeAt({ dir: h, name: c.name, path: path.win32.join(p, c.name) as AbsPath }, out) && whole;
    if (!whole) return false;
    deleteOn(h, p, { what: 'cannot delete the folder' });
    out.folders++;
  } else {
    deleteFileOn(h, p, f.attributes);
    out.files++;
  }
  return true;
}

function deleteFileOn(h: number, p: string, attributes: number): void {
  try {
    deleteOn(h, p, { what: 'cannot delete it' });
  } catch (e) {
    if (!(e instanceof DriverError && e.code === 'EACCES') || (attributes & FILE_ATTRIBUTE_READONLY) === 0) throw e;
    setAttributesOn(h, attributes & ~FILE_ATTRIBUTE_READONLY, { p, what: 'cannot delete it (read-only, and the attribute cannot be taken off)' });
    deleteOn(h, p, { what: 'cannot delete it' });
  }
}

/** The reparse tag of the entry open as `h` (0 when it carries none). */
function tagOn(h: number, p: string): number {
  const raw = readReparseOn(h, p);
  return raw === undefined || raw.length < 4 ? 0 : raw.readUInt32LE(0);
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
