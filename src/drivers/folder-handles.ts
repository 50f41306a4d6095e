/**
 * The open folders the node:fs driver writes through. Every write acts on a name inside a handle
 * on its real parent folder, never on a path, so a folder of the path swapped for a link between
 * a check and the write cannot send the write elsewhere. During an apply (between `begin` and
 * `end`) each folder is opened once: a folder the plan recorded is opened as the OS resolves its
 * path and must be the very folder the plan saw (same device and inode), or the write is refused;
 * a folder the apply makes is opened from its parent's handle right after it is made; any other
 * folder is opened without following a link as its last component and pinned at first use.
 * Outside an apply (recover, restore) a handle is opened per write, the same way, and closed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DriverError, errnoCode } from '../core/errors.js';
import type { FolderIdentity } from '../core/types.js';
import { AT_FDCWD, openDirAt } from './posix-at.js';

/** The identity the plan records of a folder: `device:inode` of what its path leads to. */
export function folderIdOf(st: fs.BigIntStats): string {
  return `${st.dev}:${st.ino}`;
}

/** The identity of the folder `p` leads to (following links as the OS would); undefined if none. */
export function folderIdAt(p: string): string | undefined {
  try {
    const st = fs.statSync(p, { bigint: true, throwIfNoEntry: false });
    return st?.isDirectory() === true ? folderIdOf(st) : undefined;
  } catch {
    return undefined; // below a file, a loop of links: no folder there
  }
}

const PLAN_AGAIN = 'run linkplan plan again to see the disk as it is now, and apply that plan';

export class FolderHandles {
  /** The folders open for this apply (path -> handle); undefined outside an apply. */
  private open: Map<string, number> | undefined;
  /** What the plan recorded (path -> identity). */
  private expected = new Map<string, string>();

  /** Starts an apply: checks and keeps a handle on every folder the plan recorded. */
  begin(folders: readonly FolderIdentity[]): void {
    this.end();
    this.open = new Map();
    for (const f of folders) this.expected.set(f.path, f.fileId);
    for (const f of folders) {
      try {
        this.handle(f.path);
      } catch (e) {
        // a folder gone since is refused when (and only if) something is written there
        if (!(e instanceof DriverError && e.code === 'ENOENT')) throw e;
      }
    }
  }

  /** Ends an apply: closes every handle. */
  end(): void {
    if (this.open !== undefined) for (const fd of this.open.values()) fs.closeSync(fd);
    this.open = undefined;
    this.expected.clear();
  }

  /** The handle on folder `dir`; give it back with `release`. Throws a DriverError naming `dir`. */
  handle(dir: string): number {
    const kept = this.open?.get(dir);
    if (kept !== undefined) return kept;
    const fd = this.openFolder(dir);
    this.open?.set(dir, fd);
    return fd;
  }

  /** Closes `fd` unless an apply keeps it. */
  release(fd: number): void {
    if (this.open === undefined) fs.closeSync(fd);
  }

  /** Keeps a handle on folder `dir`, just made in the folder `parentFd` is a handle on. */
  made(dir: string, parentFd: number): void {
    if (this.open === undefined || this.open.has(dir)) return;
    this.open.set(dir, wrapOpen(dir, () => openDirAt(parentFd, path.basename(dir), { follow: false })));
  }

  /** Forgets folder `dir`, just removed. */
  removed(dir: string): void {
    const fd = this.open?.get(dir);
    if (fd === undefined) return;
    this.open?.delete(dir);
    fs.closeSync(fd);
  }

  private openFolder(dir: string): number {
    const want = this.expected.get(dir);
    if (want !== undefined) {
      const fd = wrapOpen(dir, () => openDirAt(AT_FDCWD, dir, { follow: true }));
      let now: string;
      try {
        now = folderIdOf(fs.fstatSync(fd, { bigint: true }));
      } catch (e) {
        fs.closeSync(fd);
        throw new DriverError(dir, 'cannot read folder', { cause: e });
      }
      if (now !== want) {
        fs.closeSync(fd);
        throw new DriverError(dir, 'changed since the plan (now leads to another folder); nothing was done there', { hint: PLAN_AGAIN });
      }
      return fd;
    }
    // not recorded: its last component must be a real folder, not a link to one
    const parent = path.dirname(dir);
    const parentFd = parent !== dir ? this.open?.get(parent) : undefined;
    return wrapOpen(dir, () => (parentFd !== undefined ? openDirAt(parentFd, path.basename(dir), { follow: false }) : openDirAt(AT_FDCWD, dir, { follow: false })));
  }
}

/** Opens a folder, turning a failure into a DriverError that says what was in the way. */
function wrapOpen(dir: string, open: () => number): number {
  try {
    return open();
  } catch (e) {
    const code = errnoCode(e);
    if ((code === 'ENOTDIR' || code === 'ELOOP') && isLink(dir)) {
      throw new DriverError(dir, 'is a link to a folder, and the plan did not record the folder it must lead to; nothing was done there', {
        code: 'ELOOP',
        hint: PLAN_AGAIN,
      });
    }
    const why = code === 'ENOENT' ? 'the folder is gone' : code === 'ENOTDIR' ? 'it is not a folder' : (code ?? String(e));
    throw new DriverError(dir, `cannot open folder (${why}); nothing was done there`, code === undefined ? { cause: e } : { code, cause: e });
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p, { throwIfNoEntry: false })?.isSymbolicLink() === true;
  } catch {
    return false;
  }
}
