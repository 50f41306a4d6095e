/**
 * The node:fs driver, for Linux and macOS (and any POSIX filesystem, ntfs-3g's symlink emulation
 * included). It reads entries by path with lstat and readlink, never following a link. It writes
 * only through handles on the real parent folders (folder-handles.ts, posix-at.ts): makes symlinks
 * and hard links there; retargets a link atomically by making the new link under a temporary name
 * and exchanging the two (a file that came out is put back and the retarget refused); removes a
 * link with unlinkat after a no-follow check, which never touches the target; and moves with
 * renameat2(RENAME_NOREPLACE), which never overwrites. Deleting a backup (`removeTree`) walks it
 * through handles too, each folder opened without following a link, each entry unlinked by name.
 * A relocation's copy (`copyTree`, posix-copy.ts) is made below a top folder it makes through the
 * handle on the target's folder, and deleted again, through handles, if it fails.
 */
import { readHeadOf } from './read-head.js';
import fs from 'node:fs';
import path from 'node:path';
import { DriverError, errnoCode } from '../core/errors.js';
import type { AbsPath } from '../core/paths.js';
import type { Capabilities, Entry, FolderIdentity, LinkSpec, TargetInfo, TargetKind, TreeCount, TreeFacts } from '../core/types.js';
import { FolderHandles, folderIdAt } from './folder-handles.js';
import { linkAt, lstatAt, mkdirAt, openDirAt, renameAt, symlinkAt, unlinkAt, type AtStat } from './posix-at.js';
import type { CopyOptions, DirEntry, Driver, RemoveTreeOptions, TreeRemoval } from './driver.js';
import { statIdentity } from '../core/identity.js';
import { copyTreeAt, namesAt, treeFactsOf } from './posix-copy.js';

/** An OS error as a DriverError that names `p` and what was being done (a DriverError as it is). */
export function driverError(p: string, what: string, e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  const code = errnoCode(e);
  const detail = e instanceof Error ? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*$/, '') : String(e);
  return new DriverError(p, `${what} (${code ?? 'error'}: ${detail})`, code === undefined ? { cause: e } : { code, cause: e });
}

/** Runs `fn`, turning an OS error into a DriverError that names `p` and what was being done. */
export function wrap<T>(p: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw driverError(p, what, e);
  }
}

function entryOf(st: fs.Stats, p: string): Entry {
  if (st.isSymbolicLink()) return { kind: 'symlink', linkText: fs.readlinkSync(p) };
  if (st.isFile()) return { kind: 'file', size: st.size, nlink: st.nlink, fileId: `${st.dev}:${st.ino}`, dev: st.dev };
  if (st.isDirectory()) return { kind: 'dir', dev: st.dev };
  if (st.isFIFO()) return { kind: 'special', what: 'fifo' };
  if (st.isSocket()) return { kind: 'special', what: 'socket' };
  if (st.isBlockDevice()) return { kind: 'special', what: 'block-device' };
  if (st.isCharacterDevice()) return { kind: 'special', what: 'char-device' };
  return { kind: 'special', what: 'unknown' };
}

const NO_THROW = { throwIfNoEntry: false } as const;

let tempCounter = 0;

/**
 * The temporary name beside `p` that a retarget makes its new link under before renaming it over
 * `p`: `.NAME.linkplan-PID-N`. Recovery finds what a killed retarget left by it (`isRetargetTempName`).
 */
export function retargetTempName(p: AbsPath): AbsPath {
  return path.join(path.dirname(p), `.${path.basename(p)}.linkplan-${process.pid}-${++tempCounter}`) as AbsPath;
}

/** True when `name`, in the folder of `p`, is a temporary name `retargetTempName(p)` gives. */
export function isRetargetTempName(p: AbsPath, name: string): boolean {
  const prefix = `.${path.basename(p)}.linkplan-`;
  return name.startsWith(prefix) && /^\d+-\d+$/.test(name.slice(prefix.length));
}

/** Renames the new link `tmp` over `p`; if that fails, removes `tmp` and rethrows. */
export function renameOver(tmp: AbsPath, p: AbsPath): void {
  try {
    fs.renameSync(tmp, p);
  } catch (e) {
    fs.unlinkSync(tmp);
    throw e;
  }
}

export class PosixDriver implements Driver {
  readonly name: string = 'posix';
  /** The folders the writes go through (see folder-handles.ts). */
  protected readonly folders = new FolderHandles();

  observe(p: AbsPath): Entry {
    // (no closure: a plan reads thousands of paths)
    try {
      const st = fs.lstatSync(p, NO_THROW);
      return st === undefined ? { kind: 'absent' } : entryOf(st, p);
    } catch (e) {
      // below a file, or below a loop of links: nothing can be there
      const code = errnoCode(e);
      if (code === 'ENOTDIR' || code === 'ELOOP') return { kind: 'absent' };
      throw driverError(p, 'cannot read', e);
    }
  }

  observeTarget(p: AbsPath): TargetInfo {
    return wrap(p, 'cannot read', () => {
      try {
        const st = fs.statSync(p, { throwIfNoEntry: false });
        if (st === undefined) return { kind: 'absent' };
        if (st.isFile()) return { kind: 'file', fileId: `${st.dev}:${st.ino}`, dev: st.dev, nlink: st.nlink };
        if (st.isDirectory()) return { kind: 'dir', dev: st.dev };
        return { kind: 'other', dev: st.dev };
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENOTDIR' || code === 'ELOOP') return { kind: 'absent' };
        throw e;
      }
    });
  }

  /** (a listing can answer it: see ListingMemo) */
  targetKind(p: AbsPath): TargetKind {
    return this.observeTarget(p).kind;
  }

  /** The same everywhere: symbolic links and hard links (the path does not matter to node:fs). */
  capabilities(_path?: AbsPath): Capabilities {
    return { symlinks: true, junctions: false, hardlinks: true };
  }

  listDir(p: AbsPath): DirEntry[] {
    return wrap(p, 'cannot list folder', () => {
      const found = fs.readdirSync(p, { withFileTypes: true });
      const out: DirEntry[] = [];
      for (let i = 0; i < found.length; i++) {
        const d = found[i] as fs.Dirent;
        out.push({ name: d.name, kind: d.isSymbolicLink() ? 'link' : d.isDirectory() ? 'dir' : d.isFile() ? 'file' : 'other' });
      }
      return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    });
  }

  readHead(p: AbsPath, max: number): { bytes: Uint8Array; size: number } {
    return wrap(p, 'cannot read file', () => {
      const fd = fs.openSync(p, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      try {
        return readHeadOf(fd, max);
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  folderId(p: AbsPath): string | undefined {
    return folderIdAt(p);
  }

  expectFolders(folders: readonly FolderIdentity[]): void {
    this.folders.begin(folders);
  }

  releaseFolders(): void {
    this.folders.end();
  }

  /** Makes link `name` in the folder `fd` is a handle on. */
  private makeLinkAt(fd: number, name: string, p: string, link: LinkSpec): void {
    // link(2) does not follow a symbolic link: resolve the target, so the hard link shares the
    // file the target leads to, as the plan observed it, and not the symbolic link itself
    if (link.type === 'hardlink') linkAt(fd, name, { to: fs.realpathSync(link.target) });
    else if (link.type === 'symlink') symlinkAt(fd, name, { linkText: link.linkText });
    else throw new DriverError(p, 'junctions exist only on NTFS; this driver makes symbolic links and hard links');
  }

  createLink(p: AbsPath, link: LinkSpec): void {
    // (no closure and no message made unless it fails: a first apply makes thousands)
    const fd = this.folders.handle(path.dirname(p));
    try {
      this.makeLinkAt(fd, path.basename(p), p, link);
    } catch (e) {
      throw driverError(p, `cannot create ${link.type}`, e);
    } finally {
      this.folders.release(fd);
    }
  }

  replaceLink(p: AbsPath, link: LinkSpec): void {
    const fd = this.folders.handle(path.dirname(p));
    try {
      replaceAt(fd, p, (tmp) => this.makeLinkAt(fd, tmp, p, link));
    } catch (e) {
      throw driverError(p, `cannot retarget ${link.type}`, e);
    } finally {
      this.folders.release(fd);
    }
  }

  removeLink(p: AbsPath): void {
    const fd = this.folders.handle(path.dirname(p));
    try {
      const name = path.basename(p);
      if (!isLinkStat(lstatAt(fd, name), p)) throw new DriverError(p, 'is not a link; linkplan never deletes files or folders');
      unlinkAt(fd, name);
    } catch (e) {
      throw driverError(p, 'cannot remove link', e);
    } finally {
      this.folders.release(fd);
    }
  }

  move(from: AbsPath, to: AbsPath): void {
    const fromFd = this.folders.handle(path.dirname(from));
    let toFd: number | undefined;
    try {
      toFd = path.dirname(to) === path.dirname(from) ? fromFd : this.folders.handle(path.dirname(to));
      moveAt({ dirFd: fromFd, name: path.basename(from) }, { dirFd: toFd, name: path.basename(to) }, to);
    } catch (e) {
      throw driverError(from, `cannot move to ${to}`, e);
    } finally {
      this.folders.release(fromFd);
      if (toFd !== undefined && toFd !== fromFd) this.folders.release(toFd);
    }
  }

  mkdir(p: AbsPath, mode?: number): void {
    const fd = this.folders.handle(path.dirname(p));
    try {
      mkdirAt(fd, path.basename(p), mode);
      this.folders.made(p, fd);
    } catch (e) {
      throw driverError(p, 'cannot create folder', e);
    } finally {
      this.folders.release(fd);
    }
  }

  rmdir(p: AbsPath): void {
    const fd = this.folders.handle(path.dirname(p));
    try {
      unlinkAt(fd, path.basename(p), { dir: true });
      this.folders.removed(p);
    } catch (e) {
      throw driverError(p, 'cannot remove folder', e);
    } finally {
      this.folders.release(fd);
    }
  }

  removeTree(p: AbsPath, opts: RemoveTreeOptions = {}): TreeRemoval {
    const out: TreeRemoval = { files: 0, folders: 0, links: 0, left: [] };
    const copy = opts.copy === true;
    const fd = this.folders.handle(path.dirname(p));
    try {
      const name = path.basename(p);
      const st = lstatAt(fd, name);
      const identity = opts.identity === undefined ? {} : { identity: opts.identity };
      if (st?.kind === 'dir') removeFolderAt(fd, { name, path: p, dev: undefined, copy, ...identity }, out);
      else if (st !== undefined && opts.identity !== undefined) out.left.push(`${p}: it is not the folder that was checked (something else has its name now); it is left alone`);
      else if (st !== undefined) removeEntryAt(fd, { name, path: p, kind: st.kind }, out);
    } catch (e) {
      throw driverError(p, 'cannot delete', e);
    } finally {
      this.folders.release(fd);
    }
    return out;
  }

  copyRefusal(_from?: AbsPath, _to?: AbsPath): string | undefined {
    return undefined;
  }

  treeFacts(p: AbsPath): TreeFacts {
    return treeFactsOf(p);
  }

  freeBytes(p: AbsPath): number | undefined {
    try {
      const st = fs.statfsSync(p);
      return st.bavail * st.bsize;
    } catch {
      return undefined;
    }
  }

  copyTree(from: AbsPath, to: AbsPath, opts: CopyOptions = {}): TreeCount {
    const fromFd = this.folders.handle(path.dirname(from));
    let toFd: number | undefined;
    let made: { dev: number; ino: number } | undefined;
    try {
      toFd = path.dirname(to) === path.dirname(from) ? fromFd : this.folders.handle(path.dirname(to));
      const into = toFd;
      return copyTreeAt({ dirFd: fromFd, name: path.basename(from), path: from }, { dirFd: into, name: path.basename(to), path: to }, { ...opts, made: (id) => (made = id) });
    } catch (e) {
      const err = driverError(from, `cannot copy to ${to}`, e);
      const left = made === undefined || toFd === undefined ? [] : discardCopy(toFd, { name: path.basename(to), path: to, made });
      if (left.length === 0) throw err;
      throw new DriverError(err.path, `${err.message.slice(err.path.length + 2)}; the part copied could not all be deleted, left:\n  ${left.join('\n  ')}`, { ...(err.code === undefined ? {} : { code: err.code }), ...(err.hint === undefined ? {} : { hint: err.hint }), cause: e });
    } finally {
      this.folders.release(fromFd);
      if (toFd !== undefined && toFd !== fromFd) this.folders.release(toFd);
    }
  }
}

/**
 * Deletes what a failed copy made at `c.name` of the folder `dirFd` is a handle on, only while it
 * is still the folder the copy made (`c.made`); returns what stays.
 */
function discardCopy(dirFd: number, c: { name: string; path: string; made: { dev: number; ino: number } }): string[] {
  let same = false;
  try {
    const fd = openDirAt(dirFd, c.name, { follow: false });
    const st = fs.fstatSync(fd);
    fs.closeSync(fd);
    same = st.dev === c.made.dev && st.ino === c.made.ino;
  } catch {
    return [];
  }
  if (!same) return [`${c.path}: it is no longer the folder the copy made`];
  const out: TreeRemoval = { files: 0, folders: 0, links: 0, left: [] };
  removeFolderAt(dirFd, { name: c.name, path: c.path, dev: c.made.dev, copy: true }, out);
  return out.left;
}

/** Removes entry `e.name` (not a folder) of the folder `fd` is a handle on: unlinkat never follows a link. */
function removeEntryAt(fd: number, e: { name: string; path: string; kind: AtStat['kind'] }, out: TreeRemoval): boolean {
  try {
    unlinkAt(fd, e.name);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return true;
    out.left.push(`${e.path}: cannot delete it (${errnoCode(err) ?? String(err)})`);
    return false;
  }
  if (e.kind === 'symlink') out.links++;
  else out.files++;
  return true;
}

/**
 * Removes folder `f.name` of the folder `parentFd` is a handle on, and all it holds, each entry
 * through a handle on its own folder opened without following a link; a folder on another device
 * than `f.dev` (a mount point) is left whole. `f.copy`: a copy linkplan made, whose folders are
 * made writable by their owner first where their mode forbids deleting what they hold. False when
 * something stays.
 */
function removeFolderAt(parentFd: number, f: { name: string; path: string; dev: number | undefined; copy?: boolean; identity?: string }, out: TreeRemoval): boolean {
  let fd: number;
  try {
    fd = openDirAt(parentFd, f.name, { follow: false });
  } catch (err) {
    out.left.push(`${f.path}: cannot open the folder (${errnoCode(err) ?? String(err)})`);
    return false;
  }
  let whole = true;
  try {
    // (one stat of the folder opened, not of its name: one put there after the check is not it)
    const here = fs.fstatSync(fd, { bigint: true });
    if (f.identity !== undefined && statIdentity(here) !== f.identity) {
      out.left.push(`${f.path}: it is not the folder that was checked (something else has its name now); it is left alone`);
      return false;
    }
    const dev = Number(here.dev);
    if (f.dev !== undefined && dev !== f.dev) {
      out.left.push(`${f.path}: another filesystem is mounted there; it is left with all it holds`);
      return false;
    }
    const mode = Number(here.mode);
    if (f.copy === true && (mode & 0o700) !== 0o700) {
      try {
        fs.fchmodSync(fd, (mode & 0o7777) | 0o700);
      } catch {
        // (not its owner: what cannot be deleted is listed below)
      }
    }
    for (const name of namesAt(fd, f.path)) {
      const child = path.join(f.path, name);
      const st = lstatAt(fd, name);
      if (st === undefined) continue;
      const ok = st.kind === 'dir' ? removeFolderAt(fd, { name, path: child, dev, copy: f.copy === true }, out) : removeEntryAt(fd, { name, path: child, kind: st.kind }, out);
      whole &&= ok;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (!whole) return false;
  try {
    unlinkAt(parentFd, f.name, { dir: true });
  } catch (err) {
    out.left.push(`${f.path}: cannot delete the folder (${errnoCode(err) ?? String(err)})`);
    return false;
  }
  out.folders++;
  return true;
}

/** Whether an entry is a link linkplan may remove or replace: a symbolic link, or a file with other names. */
function isLinkStat(st: AtStat | undefined, p: string): boolean {
  // (as node:fs says it, so the caller's message reads "cannot remove link (ENOENT: ...)")
  if (st === undefined) throw Object.assign(new Error(`ENOENT: no such file or directory, lstat '${p}'`), { code: 'ENOENT' });
  return st.kind === 'symlink' || (st.kind === 'file' && st.nlink > 1);
}

/** Where renameat2 / renameatx_np with a flag cannot run: this filesystem or kernel lacks it. */
function unsupported(e: unknown): boolean {
  const code = errnoCode(e);
  return code === 'EINVAL' || code === 'ENOSYS' || code === 'ENOTSUP' || code === 'EOPNOTSUPP';
}

/**
 * Replaces link `p` (in the folder `fd` is a handle on) with the one `make` makes under a
 * temporary name: the two are exchanged, and what came out must be a link, or they are exchanged
 * back and the replacement refused (so a file put there at the last moment is never lost).
 * Where the filesystem cannot exchange, the new link is renamed over the old one.
 */
function replaceAt(fd: number, p: AbsPath, make: (tmp: string) => void): void {
  const name = path.basename(p);
  if (!isLinkStat(lstatAt(fd, name), p)) throw new DriverError(p, 'is no longer a link; refusing to replace it');
  const tmp = path.basename(retargetTempName(p));
  make(tmp);
  const here = { dirFd: fd, name };
  const temp = { dirFd: fd, name: tmp };
  try {
    renameAt(temp, here, { mode: 'exchange' });
  } catch (e) {
    if (!unsupported(e)) {
      unlinkAt(fd, tmp);
      throw e;
    }
    try {
      renameAt(temp, here, { mode: 'plain' });
    } catch (e2) {
      unlinkAt(fd, tmp);
      throw e2;
    }
    return;
  }
  if (isLinkStat(lstatAt(fd, tmp), p)) {
    unlinkAt(fd, tmp);
    return;
  }
  // a file came out: it goes back where it was, and the new link away
  renameAt(temp, here, { mode: 'exchange' });
  unlinkAt(fd, tmp);
  throw new DriverError(p, 'is no longer a link (something else was put there); refusing to replace it, and it is left as it is');
}

/** Renames `from` to `to` (`toPath` names it), refusing to overwrite anything there. */
function moveAt(from: { dirFd: number; name: string }, to: { dirFd: number; name: string }, toPath: string): void {
  const exists = (): DriverError => new DriverError(toPath, 'already exists; refusing to overwrite it', { code: 'EEXIST' });
  try {
    renameAt(from, to, { mode: 'noreplace' });
    return;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST' || errnoCode(e) === 'ENOTEMPTY') throw exists();
    if (!unsupported(e)) throw e;
  }
  // no renameat2 here: the check and the rename are two calls (see README)
  if (lstatAt(to.dirFd, to.name) !== undefined) throw exists();
  renameAt(from, to, { mode: 'plain' });
}
