/**
 * The node:fs driver, for Linux and macOS (and any POSIX filesystem, ntfs-3g's symlink emulation
 * included). It reads entries with lstat and readlink, never following a link; makes symlinks
 * and hard links; retargets a link atomically by making the new link under a temporary name and
 * renaming it over the old one; and removes a link with unlink, which never touches the target.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DriverError, errnoCode } from '../errors.js';
import type { AbsPath } from '../paths.js';
import type { Capabilities, Entry, LinkSpec, TargetInfo } from '../plan/types.js';
import type { DirEntry, Driver } from './driver.js';

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
        if (st.isFile()) return { kind: 'file', fileId: `${st.dev}:${st.ino}`, dev: st.dev };
        if (st.isDirectory()) return { kind: 'dir', dev: st.dev };
        return { kind: 'other', dev: st.dev };
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'ENOTDIR' || code === 'ELOOP') return { kind: 'absent' };
        throw e;
      }
    });
  }

  /** The same everywhere: symbolic links and hard links (the path does not matter to node:fs). */
  capabilities(_path?: AbsPath): Capabilities {
    return { symlinks: true, junctions: false, hardlinks: true };
  }

  listDir(p: AbsPath): DirEntry[] {
    return wrap(p, 'cannot list folder', () =>
      fs
        .readdirSync(p, { withFileTypes: true })
        .map((d): DirEntry => ({
          name: d.name,
          kind: d.isSymbolicLink() ? 'link' : d.isDirectory() ? 'dir' : d.isFile() ? 'file' : 'other',
        }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    );
  }

  readHead(p: AbsPath, max: number): { bytes: Uint8Array; size: number } {
    return wrap(p, 'cannot read file', () => {
      const fd = fs.openSync(p, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
      try {
        const size = fs.fstatSync(fd).size;
        const buf = Buffer.alloc(Math.min(size, max));
        let off = 0;
        while (off < buf.length) {
          const n = fs.readSync(fd, buf, off, buf.length - off, off);
          if (n === 0) break;
          off += n;
        }
        return { bytes: buf.subarray(0, off), size };
      } finally {
        fs.closeSync(fd);
      }
    });
  }

  private makeLink(p: string, link: LinkSpec): void {
    // link(2) does not follow a symbolic link: resolve the target, so the hard link shares the
    // file the target leads to, as the plan observed it, and not the symbolic link itself
    if (link.type === 'hardlink') fs.linkSync(fs.realpathSync(link.target), p);
    else if (link.type === 'symlink') fs.symlinkSync(link.linkText, p);
    else throw new DriverError(p, 'junctions exist only on NTFS; this driver makes symbolic links and hard links');
  }

  createLink(p: AbsPath, link: LinkSpec): void {
    // (no closure and no message made unless it fails: a first apply makes thousands)
    try {
      this.makeLink(p, link);
    } catch (e) {
      throw driverError(p, `cannot create ${link.type}`, e);
    }
  }

  replaceLink(p: AbsPath, link: LinkSpec): void {
    wrap(p, `cannot retarget ${link.type}`, () => {
      const cur = fs.lstatSync(p);
      if (!cur.isSymbolicLink() && !(cur.isFile() && cur.nlink > 1)) {
        throw new DriverError(p, 'is no longer a link; refusing to replace it');
      }
      const tmp = retargetTempName(p);
      this.makeLink(tmp, link);
      renameOver(tmp, p);
    });
  }

  removeLink(p: AbsPath): void {
    wrap(p, 'cannot remove link', () => {
      const st = fs.lstatSync(p);
      if (!st.isSymbolicLink() && !(st.isFile() && st.nlink > 1)) {
        throw new DriverError(p, 'is not a link; linkplan never deletes files or folders');
      }
      fs.unlinkSync(p);
    });
  }

  move(from: AbsPath, to: AbsPath): void {
    wrap(from, `cannot move to ${to}`, () => {
      if (fs.lstatSync(to, { throwIfNoEntry: false }) !== undefined) {
        throw new DriverError(to, 'already exists; refusing to overwrite it', { code: 'EEXIST' });
      }
      fs.renameSync(from, to);
    });
  }

  mkdir(p: AbsPath): void {
    try {
      fs.mkdirSync(p);
    } catch (e) {
      throw driverError(p, 'cannot create folder', e);
    }
  }

  rmdir(p: AbsPath): void {
    wrap(p, 'cannot remove folder', () => fs.rmdirSync(p));
  }
}
