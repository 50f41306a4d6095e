/**
 * The folders the Windows driver writes in, each opened and checked before a write there, and the
 * write then made relative to that handle (relative.ts), so it cannot be redirected: a folder of
 * the path swapped for a link or another folder after the check leaves the write in the folder
 * that was checked. During an apply (between `begin` and `end`) each folder is checked once and
 * then pinned: a handle stays open on it, with read access (FILE_LIST_DIRECTORY: an open with
 * attribute access only takes no part in Windows' sharing checks) and without FILE_SHARE_DELETE,
 * so until the apply ends no Windows process can rename or delete it to put a link or another
 * folder in its place. A folder the plan recorded is opened as Windows resolves its path and must
 * be the very folder the plan saw (the same file record); any other folder (one the apply made,
 * say) must not be a reparse point itself. Outside an apply (recover, restore) each write opens
 * and checks its folder the same way, for that write only. A folder is let go before the driver
 * itself removes or moves it.
 */
import path from 'node:path';
import { DriverError } from '../../core/errors.js';
import type { FolderIdentity } from '../../core/types.js';
import { win32Error } from './errors.js';
import { fileFacts, openEntry } from './handles.js';
import { ERROR_PATH_NOT_FOUND, kernel32 as k } from './win32.js';

const PLAN_AGAIN = 'run linkplan plan again to see the disk as it is now, and apply that plan';

/** The key of a folder: Windows compares names without case. */
const keyOf = (p: string): string => path.win32.resolve(p).toLowerCase();

export class PinnedFolders {
  /** The folders pinned for this apply (key -> handle); undefined outside an apply. */
  private pinned: Map<string, number> | undefined;
  /** What the plan recorded (key -> identity). */
  private readonly expected = new Map<string, string>();

  /** Starts an apply: checks and pins every folder the plan recorded (one gone since is refused only if written in). */
  begin(folders: readonly FolderIdentity[]): void {
    this.end();
    this.pinned = new Map();
    for (const f of folders) this.expected.set(keyOf(f.path), f.fileId);
    for (const f of folders) {
      try {
        this.open(f.path);
      } catch (e) {
        if (!(e instanceof DriverError && e.code === 'ENOENT')) {
          this.end();
          throw e;
        }
      }
    }
  }

  /** Ends an apply: lets go of every folder. */
  end(): void {
    if (this.pinned !== undefined) for (const h of this.pinned.values()) k.CloseHandle(h);
    this.pinned = undefined;
    this.expected.clear();
  }

  /**
   * Runs `fn` with a handle on the folder that holds `p` and the name of `p` in it, the folder
   * checked first (see `open`); `opts.what` words a missing folder.
   */
  at<T>(p: string, fn: (dir: number, name: string) => T, opts: { what: string }): T {
    const dir = path.win32.dirname(p);
    const h = this.open(dir);
    if (h === undefined) throw win32Error(p, opts.what, { code: ERROR_PATH_NOT_FOUND });
    try {
      return fn(h, path.win32.basename(p));
    } finally {
      if (this.pinned === undefined) k.CloseHandle(h);
    }
  }

  /**
   * A handle on folder `dir`, checked (once per apply, then pinned; outside an apply the caller
   * closes it); undefined when no folder is there that the plan did not expect. Throws a
   * DriverError naming it when it is not the folder to write in.
   */
  private open(dir: string): number | undefined {
    const key = keyOf(dir);
    const held = this.pinned?.get(key);
    if (held !== undefined) return held;
    const expected = this.expected.get(key);
    const h = openEntry(dir, { follow: expected !== undefined, pin: true, folder: true });
    if (h === undefined) {
      // a folder the plan saw is gone; any other missing folder is for the write to report
      if (expected !== undefined) throw new DriverError(dir, 'the folder the plan saw is gone; nothing was written there', { code: 'ENOENT', hint: PLAN_AGAIN });
      return undefined;
    }
    try {
      const f = fileFacts(h, dir);
      if (!f.directory) throw new DriverError(dir, 'is no longer a folder; nothing was written there', { code: 'ENOTDIR', hint: PLAN_AGAIN });
      if (expected !== undefined && f.fileId !== expected) {
        throw new DriverError(dir, 'is no longer the folder the plan saw (it was replaced or moved since); nothing was written there', { code: 'ESTALE', hint: PLAN_AGAIN });
      }
      if (expected === undefined && f.reparse) {
        throw new DriverError(dir, 'is reached through a link (a junction or symbolic link is its last component); linkplan writes only in real folders', { code: 'ELOOP', hint: PLAN_AGAIN });
      }
    } catch (e) {
      k.CloseHandle(h);
      throw e;
    }
    this.pinned?.set(key, h);
    return h;
  }

  /** Lets go of folder `p` and every pinned folder inside it, before the driver removes or moves it. */
  release(p: string): void {
    if (this.pinned === undefined) return;
    const key = keyOf(p);
    for (const [k2, h] of this.pinned) {
      if (k2 === key || k2.startsWith(key.endsWith('\\') ? key : key + '\\')) {
        k.CloseHandle(h);
        this.pinned.delete(k2);
      }
    }
  }
}
