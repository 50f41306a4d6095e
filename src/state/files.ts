/**
 * Writing the files of a state folder whole and durably, and saying plainly what is wrong when
 * that cannot be done. A write that puts down fewer bytes than asked is continued, and one that
 * puts down none is an error (a nearly full filesystem); a file replaced atomically is written
 * under a temporary name, fsynced, renamed over the old one and its folder fsynced, and the
 * temporary file is removed again if anything fails. Every OS error on a state file becomes a
 * `StateFolderError` naming the file, what linkplan was doing and what the user can do about it
 * (free space, make the folder writable, give another one with --state-dir).
 */
import { statIdentity } from '../core/identity.js';
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode, LinkplanError } from '../core/errors.js';

/** A state file that cannot be read or written as linkplan needs. */
export class StateFolderError extends LinkplanError {
  readonly code: string | undefined;
  constructor(message: string, opts: { hint: string; code?: string | undefined; cause?: unknown }) {
    super(message, { hint: opts.hint, cause: opts.cause });
    this.code = opts.code;
  }
}

/** The codes of a filesystem that has no room left. */
export function isNoSpace(e: unknown): boolean {
  const code = e instanceof StateFolderError ? e.code : errnoCode(e);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'it is gone',
  ENOTDIR: 'a file is where a folder should be',
  EISDIR: 'it is a folder',
  EEXIST: 'something that is not a folder is there',
  EIO: 'input/output error',
};

/** What the user can do about an error on a file of the state folder `dir`. */
export function stateHint(code: string | undefined, dir: string): string {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the filesystem of the state folder ${dir} is full: free some space there (or give another state folder with --state-dir or LINKPLAN_STATE_DIR), then run the command again`;
    case 'EROFS':
      return `the state folder ${dir} is on a read-only filesystem: give a writable one with --state-dir or LINKPLAN_STATE_DIR`;
    case 'EACCES':
    case 'EPERM':
      return `make the state folder ${dir} writable for this user, or give another one with --state-dir or LINKPLAN_STATE_DIR`;
    case 'ENOENT':
      return `the state folder ${dir} (or a folder above it) was removed while linkplan ran; run the command again, and leave the state folder in place while linkplan runs`;
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      return `something that is not linkplan's is in the state folder ${dir}: move it away, then run the command again`;
    default:
      return `check the state folder ${dir} and the disk it is on, then run the command again`;
  }
}

/** An OS error met doing `what` with `file` (in the state folder `dir`, by default the file's folder), as a StateFolderError. */
export function stateError(file: string, what: string, e: unknown, opts: { dir?: string; tail?: string } = {}): StateFolderError {
  if (e instanceof StateFolderError) return e;
  const code = errnoCode(e);
  const reason = code === undefined ? (e instanceof Error ? e.message : String(e)) : `${code}: ${REASONS[code] ?? (e instanceof Error ? e.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*$/, '') : '')}`;
  return new StateFolderError(`${file}: cannot ${what} (${reason})${opts.tail ?? ''}`, { hint: stateHint(code, opts.dir ?? path.dirname(file)), code, cause: e });
}

/** Runs `fn`; an OS error in it becomes a StateFolderError naming `file` and `what`. */
export function onStateFile<T>(file: string, what: string, fn: () => T, opts: { dir?: string; tail?: string } = {}): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof LinkplanError) throw e;
    throw stateError(file, what, e, opts);
  }
}

/** The text of the state file `file`, or undefined where there is none; another OS error becomes a StateFolderError naming `what`. */
export function readStateFile(file: string, what: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw stateError(file, what, e);
  }
}

/** An error like the one a full filesystem gives, for a write that put down nothing. */
function shortWrite(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error('ENOSPC: the write put down no bytes');
  e.code = 'ENOSPC';
  return e;
}

/** Writes all of `data` at the end of (or where the position of) `fd` is; a write that puts down nothing throws ENOSPC. */
export function writeWhole(fd: number, data: string | Uint8Array): void {
  const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let off = 0;
  while (off < buf.length) {
    const n = fs.writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw shortWrite();
    off += n;
  }
}

/** Fsyncs a folder, so a rename or a new file in it is durable; a platform that cannot (Windows) is left be. */
export function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not every platform can fsync a directory; the file's own fsync still holds
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replaces `file` with `data`, whole and durable: written to a temporary name, fsynced, renamed
 * over it and its folder fsynced. On any error the temporary file is removed and the old file is
 * as it was; the error is a StateFolderError saying what of `what` failed.
 */
export function replaceFile(file: string, data: string, what: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'w', 0o600);
    try {
      writeWhole(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    syncDir(path.dirname(file));
  } catch (e) {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // the state folder itself is gone or unwritable: the error below says so
    }
    throw stateError(file, what, e, { tail: `; ${path.basename(file)} is as it was` });
  }
}

/**
 * What is at `p` as the filesystem knows it, not following a link: `dev:ino`, and `:birth time`
 * where the filesystem keeps one (so a later file given the same number is told apart); undefined
 * where nothing is.
 */
export function fileIdentity(p: string): string | undefined {
  const st = fs.lstatSync(p, { bigint: true, throwIfNoEntry: false });
  return st === undefined ? undefined : statIdentity(st);
}

/**
 * The bytes of the files at and below `p`, walked without following a link and without crossing
 * into another filesystem mounted inside (what a backup holds); undefined where nothing is. What
 * cannot be read is not counted.
 */
export function bytesBelow(p: string): number | undefined {
  const top = fs.lstatSync(p, { throwIfNoEntry: false });
  if (top === undefined) return undefined;
  if (!top.isDirectory()) return top.isFile() ? top.size : 0;
  let n = 0;
  const stack = [p];
  while (stack.length > 0) {
    const dir = stack.pop() as string;
    let names: string[];
    try {
      names = fs.readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const st = fs.lstatSync(path.join(dir, name), { throwIfNoEntry: false });
      if (st?.isFile() === true) n += st.size;
      else if (st?.isDirectory() === true && st.dev === top.dev) stack.push(path.join(dir, name));
    }
  }
  return n;
}
