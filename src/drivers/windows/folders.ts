/**
 * The folders the Windows driver writes in, checked before each write so that a write cannot be
 * redirected. During an apply (between `begin` and `end`) each folder is checked once and then
 * pinned: a handle stays open on it without FILE_SHARE_DELETE, so until the apply ends no process
 * can rename or delete it (nor any folder above it) to put a link or another folder in its place.
 * A folder the plan recorded is opened as Windows resolves its path and must be the very folder
 * the plan saw (the same file record); any other folder (one the apply made, say) must not be a
 * reparse point itself. Outside an apply (recover, restore) each write checks its folder the same
 * way, unpinned. A folder is let go before the driver itself removes or moves it.
 */
import path from 'node:path';
import { DriverError } from '../../core/errors.js';
import type { FolderIdentity } from '../../core/types.js';
import { fileFacts, openEntry } from './handles.js';
import { kernel32 as k } from './win32.js';

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
        this.check(f.path);
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

  /** Before a write in folder `dir`: checks it (once per apply, then pinned); throws a DriverError naming it. */
  check(dir: string): void {
    const key = keyOf(dir);
    if (this.pinned?.has(key) === true) return;
    const expected = this.expected.get(key);
    const h = openEntry(dir, { follow: expected !== undefined, pin: true });
    if (h === undefined) {
      // a folder the plan saw is gone; any other missing folder is for the write's own call to report
      if (expected !== undefined) throw new DriverError(dir, 'the folder the plan saw is gone; nothing was written there', { code: 'ENOENT', hint: PLAN_AGAIN });
      return;
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
    if (this.pinned === undefined) k.CloseHandle(h);
    else this.pinned.set(key, h);
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
