/**
 * Deleting one backup, for `linkplan backups prune`: the one deliberate deletion of user data
 * linkplan makes, and only when asked. A backup that is a folder tree is walked through the
 * driver without ever following a link: a link inside it is removed as a link (what it points to
 * stays), a folder on another filesystem (a mount point inside the backup) is left with all it
 * holds, and a file is removed only while it is still the file that was looked at. What was
 * removed and what was left is counted, so the command can say so.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Driver } from '../drivers/driver.js';
import { errnoCode } from '../core/errors.js';
import type { AbsPath } from '../core/paths.js';

export interface Deleted {
  files: number;
  folders: number;
  links: number;
  /** What was left in place, and why (nothing: the backup is gone whole). */
  left: string[];
}

/** Deletes the backup at `root`: a file, a link, or a folder tree (on the filesystem the folder is on). */
export function deleteBackup(root: AbsPath, driver: Driver): Deleted {
  const out: Deleted = { files: 0, folders: 0, links: 0, left: [] };
  const top = driver.observe(root);
  if (top.kind === 'dir') removeTree(root, top.dev, driver, out);
  else removeOne(root, driver, out);
  return out;
}

/** Removes one entry that is not a folder: a link as a link, a file while it is the one seen. */
function removeOne(p: AbsPath, driver: Driver, out: Deleted): boolean {
  const e = driver.observe(p);
  try {
    switch (e.kind) {
      case 'absent':
        return true;
      case 'symlink':
      case 'junction':
        driver.removeLink(p);
        out.links++;
        return true;
      case 'file': {
        // removed only while it is the file looked at (a name swapped meanwhile is left)
        const st = fs.lstatSync(p);
        if (!st.isFile() || `${st.dev}:${st.ino}` !== e.fileId) {
          out.left.push(`${p}: it changed while the backup was being deleted`);
          return false;
        }
        fs.unlinkSync(p);
        out.files++;
        return true;
      }
      case 'dir':
        return false;
      default: {
        // a FIFO, a socket, a device node, another reparse point: unlinking never opens it
        const st = fs.lstatSync(p);
        if (st.isDirectory()) return false;
        fs.unlinkSync(p);
        out.files++;
        return true;
      }
    }
  } catch (err) {
    out.left.push(`${p}: cannot delete it (${errnoCode(err) ?? (err instanceof Error ? err.message : String(err))})`);
    return false;
  }
}

/** Removes the folder `dir` (on the filesystem `dev`) and what it holds; false when something stays. */
function removeTree(dir: AbsPath, dev: number, driver: Driver, out: Deleted): boolean {
  const here = driver.observe(dir);
  if (here.kind !== 'dir') return removeOne(dir, driver, out);
  if (here.dev !== dev) {
    out.left.push(`${dir}: another filesystem is mounted there; it is left with all it holds`);
    return false;
  }
  let names: string[];
  try {
    names = driver.listDir(dir).map((d) => d.name);
  } catch (err) {
    out.left.push(`${dir}: cannot list it (${err instanceof Error ? err.message : String(err)})`);
    return false;
  }
  let whole = true;
  for (const n of names) {
    const p = path.join(dir, n) as AbsPath;
    const ok = driver.observe(p).kind === 'dir' ? removeTree(p, dev, driver, out) : removeOne(p, driver, out);
    whole &&= ok;
  }
  if (!whole) return false;
  try {
    driver.rmdir(dir);
    out.folders++;
    return true;
  } catch (err) {
    out.left.push(`${dir}: cannot delete the folder (${err instanceof Error ? err.message : String(err)})`);
    return false;
  }
}

/** "3 files, 1 folder and 2 links", for a report. */
export function deletedText(d: Deleted): string {
  const part = (n: number, one: string, many: string): string | undefined => (n === 0 ? undefined : `${n} ${n === 1 ? one : many}`);
  const parts = [part(d.files, 'file', 'files'), part(d.folders, 'folder', 'folders'), part(d.links, 'link', 'links')].filter((s): s is string => s !== undefined);
  if (parts.length === 0) return 'nothing';
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) ?? ''}`;
}
