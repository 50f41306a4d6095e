/**
 * The tree copy of the node:fs driver, for a relocation to another volume: what a folder holds
 * (`treeFactsOf`, read at plan time), and the copy itself (`copyTreeAt`). The copy walks the
 * original through handles on its folders, each opened without following a link; it makes the
 * copy's top folder (private, mode 0700, until the end) and writes everything below it through
 * handles on the folders it made: files with O_CREAT|O_EXCL|O_NOFOLLOW (never through something
 * that appeared at a name), symbolic links as links with the same text (never followed, whatever
 * they lead to), folders with mkdirat. A file with other names (a hard link) becomes a file of its
 * own. Modes and access and modification times are kept (nanoseconds, links' own included; the
 * owner too when run as root); each file's SHA-256 is taken as it is read. Then the two trees are
 * walked side by side: the same names, kinds, sizes, modes and link texts, each copied file read
 * back from the disk (its cached pages dropped first, where the kernel allows) and hashed against
 * the original's, and each original file checked unchanged since it was
 * read (size and times). Only then are the folders' modes and times set, innermost first.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DriverError, errnoCode } from '../core/errors.js';
import { newSha256 } from '../core/hash.js';
import type { TreeCount, TreeFacts } from '../core/types.js';
import type { CopyOptions } from './driver.js';
import { CHUNK, COPY_HINT, changedMeanwhile, mismatch, partly, PROGRESS_EVERY, type CopyCounts } from './tree-copy.js';
import { dropCachedPages, mkdirAt, openDirAt, openFileAt, readlinkAt, symlinkAt, syncFsOf, utimensAt } from './posix-at.js';

/** Linux's O_NOATIME: reading a file the user owns leaves its access time alone (0 elsewhere). */
const O_NOATIME = (fs.constants as Record<string, number | undefined>)['O_NOATIME'] ?? 0;

/** The names in the folder `fd` is a handle on (read through the handle where the OS allows it). */
export function namesAt(fd: number, p: string): string[] {
  try {
    return fs.readdirSync(`/proc/self/fd/${fd}`);
  } catch {
    // (no /proc: the names are read by path, and each is still opened through the handle)
    return fs.readdirSync(p);
  }
}

/** What entry `name` of the folder `fd` is a handle on is, not following a link (by path where there is no /proc). */
function statAt(fd: number, name: string, p: string): fs.BigIntStats {
  try {
    return fs.lstatSync(`/proc/self/fd/${fd}/${name}`, { bigint: true });
  } catch (e) {
    if (errnoCode(e) === 'ENOENT' && fs.existsSync(`/proc/self/fd/${fd}`)) throw e;
    return fs.lstatSync(p, { bigint: true });
  }
}

function kindText(st: fs.Stats | fs.BigIntStats): string {
  if (st.isFIFO()) return 'a fifo';
  if (st.isSocket()) return 'a socket';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isCharacterDevice()) return 'a character device';
  return 'something that is neither file, folder nor link';
}

/** What the folder `root` holds, walked without following links; `problem` says what cannot be copied. */
export function treeFactsOf(root: string): TreeFacts {
  const out: TreeFacts = { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0 };
  const stack = [root];
  let dev: number | undefined;
  try {
    dev = fs.lstatSync(root).dev;
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      for (const d of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, d.name);
        if (d.isSymbolicLink()) out.links++;
        else if (d.isFile()) {
          const st = fs.lstatSync(p);
          out.files++;
          out.bytes += st.size;
          if (st.nlink > 1) out.hardLinked++;
        } else if (d.isDirectory()) {
          if (fs.lstatSync(p).dev !== dev) return { ...out, problem: `another filesystem is mounted at ${p}` };
          out.folders++;
          stack.push(p);
        } else return { ...out, problem: `${p} is ${kindText(fs.lstatSync(p))}, which cannot be copied` };
      }
    }
  } catch (e) {
    return { ...out, problem: `${stack[0] ?? root} cannot be read (${errnoCode(e) ?? String(e)})` };
  }
  return out;
}

/** A folder open for the copy: its handle and its path (for messages). */
interface Dir {
  fd: number;
  path: string;
}

/** What the copy has done so far. */
interface Copying extends CopyCounts {
  count: TreeCount;
  /** Each copied file (by its path in the copy): the original's SHA-256 and its size and times as read. */
  files: Map<string, { hash: string; sig: string }>;
  /** Every folder of the copy (relative to its top, '' the top), outermost first, with the original's mode and times. */
  dirs: { rel: string; st: fs.BigIntStats }[];
  buf: Buffer;
  asRoot: boolean;
}

/** What to do about a copy that failed with `code`. */
function hintFor(code: string | undefined): string {
  if (code === 'ENOSPC' || code === 'EDQUOT') return 'free space (or files: inodes) on the target volume, or choose another target, then run apply again; the original was not touched';
  if (code === 'EIO') return 'a disk could not be read or written: check it (its health, its cable), then run apply again; the original was not touched';
  return COPY_HINT;
}

/** A DriverError naming `p`, for an OS error while doing `what`. */
function failed(p: string, what: string, e: unknown): DriverError {
  if (e instanceof DriverError) return e;
  const code = errnoCode(e);
  const hint = hintFor(code);
  return new DriverError(p, `${what} (${code ?? (e instanceof Error ? e.message : String(e))})`, code === undefined ? { cause: e, hint } : { code, cause: e, hint });
}

function at<T>(p: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw failed(p, what, e);
  }
}

const sigOf = (st: fs.BigIntStats): string => `${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
const times = (st: fs.BigIntStats): { atimeNs: bigint; mtimeNs: bigint } => ({ atimeNs: st.atimeNs, mtimeNs: st.mtimeNs });

/** Opens a file to read, leaving its access time alone where this user may. */
function openToRead(dirFd: number, name: string): number {
  if (O_NOATIME !== 0) {
    try {
      return openFileAt(dirFd, name, { flags: fs.constants.O_RDONLY | O_NOATIME });
    } catch (e) {
      if (errnoCode(e) !== 'EPERM') throw e;
    }
  }
  return openFileAt(dirFd, name, { flags: fs.constants.O_RDONLY });
}

function writeAll(fd: number, buf: Buffer, n: number): void {
  for (let off = 0; off < n; ) off += fs.writeSync(fd, buf, off, n - off);
}

/** Copies file `name` of `src` into `dst`, made anew; records its hash. */
function copyFile(src: Dir, dst: Dir, name: string, c: Copying): void {
  const from = path.join(src.path, name);
  const to = path.join(dst.path, name);
  const inFd = at(from, 'cannot open to copy', () => openToRead(src.fd, name));
  try {
    const st = fs.fstatSync(inFd, { bigint: true });
    if (!st.isFile()) throw new DriverError(from, 'changed while it was copied (it is no longer a file)');
    const outFd = at(to, 'cannot make the copy', () => openFileAt(dst.fd, name, { flags: fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, mode: 0o600 }));
    const hash = newSha256();
    try {
      for (;;) {
        const n = at(from, 'cannot read', () => fs.readSync(inFd, c.buf, 0, CHUNK, null));
        if (n === 0) break;
        hash.update(c.buf.subarray(0, n));
        at(to, 'cannot write the copy', () => writeAll(outFd, c.buf, n));
        c.bytes += n;
        partly(c, 'copy', to);
      }
      at(to, 'cannot set the owner and mode of the copy', () => {
        if (c.asRoot) fs.fchownSync(outFd, Number(st.uid), Number(st.gid));
        fs.fchmodSync(outFd, Number(st.mode & 0o7777n));
      });
    } finally {
      fs.closeSync(outFd);
    }
    at(to, 'cannot set the times of the copy', () => utimensAt(dst.fd, name, times(st)));
    c.files.set(to, { hash: hash.digest('hex'), sig: sigOf(st) });
    c.count.files++;
    c.count.bytes += Number(st.size);
    if (st.nlink > 1) c.count.hardLinked++;
    c.opts.onProgress?.({ phase: 'copy', bytes: c.bytes, files: ++c.done, path: to });
  } finally {
    fs.closeSync(inFd);
  }
}

/** Opens folder `name` of both trees (the original's must be a folder on `dev`), runs `fn`, closes them. */
function inFolders(pair: { src: Dir; dst: Dir; name: string; dev: bigint }, fn: (src: Dir, dst: Dir) => void): void {
  const sp = path.join(pair.src.path, pair.name);
  const dp = path.join(pair.dst.path, pair.name);
  const sfd = at(sp, 'cannot open the folder', () => openDirAt(pair.src.fd, pair.name, { follow: false }));
  try {
    if (fs.fstatSync(sfd).dev !== Number(pair.dev)) throw new DriverError(sp, 'another filesystem is mounted here; it is not copied');
    const dfd = at(dp, 'cannot open the copy of the folder', () => openDirAt(pair.dst.fd, pair.name, { follow: false }));
    try {
      fn({ fd: sfd, path: sp }, { fd: dfd, path: dp });
    } finally {
      fs.closeSync(dfd);
    }
  } finally {
    fs.closeSync(sfd);
  }
}

/** Copies what folder `src` holds into folder `dst` (`rel` below the copy's top). */
function copyDir(src: Dir, dst: Dir, ctx: { rel: string; dev: bigint; c: Copying }): void {
  const { c } = ctx;
  const names = at(src.path, 'cannot list the folder', () => namesAt(src.fd, src.path)).sort();
  for (const name of names) {
    const sp = path.join(src.path, name);
    const dp = path.join(dst.path, name);
    const st = at(sp, 'cannot read', () => statAt(src.fd, name, sp));
    if (st.isSymbolicLink()) {
      const text = at(sp, 'cannot read the link', () => readlinkAt(src.fd, name));
      at(dp, 'cannot make the copy of the link', () => symlinkAt(dst.fd, name, { linkText: text }));
      at(dp, 'cannot set the times of the copied link', () => {
        if (c.asRoot) fs.lchownSync(`/proc/self/fd/${dst.fd}/${name}`, Number(st.uid), Number(st.gid));
        utimensAt(dst.fd, name, times(st));
      });
      c.count.links++;
    } else if (st.isFile()) copyFile(src, dst, name, c);
    else if (st.isDirectory()) {
      at(dp, 'cannot make the copy of the folder', () => mkdirAt(dst.fd, name, 0o700));
      const rel = ctx.rel === '' ? name : `${ctx.rel}/${name}`;
      c.dirs.push({ rel, st });
      c.count.folders++;
      inFolders({ src, dst, name, dev: ctx.dev }, (s, d) => copyDir(s, d, { ...ctx, rel }));
    } else throw new DriverError(sp, `is ${kindText(st)}, which cannot be copied`);
  }
}

/** SHA-256 of the file at `name` of `dir`, read through the handle. */
function hashAt(dir: Dir, name: string, c: Copying): string {
  const p = path.join(dir.path, name);
  const fd = at(p, 'cannot read the copy back', () => openToRead(dir.fd, name));
  try {
    // (read from the disk, not from what the kernel kept of the writes: the copy is on the disk since syncfs)
    dropCachedPages(fd);
    const hash = newSha256();
    for (;;) {
      const n = at(p, 'cannot read the copy back', () => fs.readSync(fd, c.buf, 0, CHUNK, null));
      if (n === 0) break;
      hash.update(c.buf.subarray(0, n));
      c.bytes += n;
      partly(c, 'verify', p);
    }
    return hash.digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** Compares entry `name` of the original folder `src` and of the copy `dst`. */
function verifyEntry(src: Dir, dst: Dir, name: string, ctx: { rel: string; dev: bigint; c: Copying }): void {
  const { c } = ctx;
  const sp = path.join(src.path, name);
  const dp = path.join(dst.path, name);
  const s = at(sp, 'cannot read', () => statAt(src.fd, name, sp));
  const d = at(dp, 'cannot read the copy', () => statAt(dst.fd, name, dp));
  const kind = (st: fs.BigIntStats): string => (st.isSymbolicLink() ? 'link' : st.isFile() ? 'file' : st.isDirectory() ? 'folder' : 'other');
  if (kind(s) !== kind(d)) throw mismatch(dp, `a ${kind(d)} where the original has a ${kind(s)}`);
  if (s.isSymbolicLink()) {
    const a = readlinkAt(src.fd, name);
    const b = readlinkAt(dst.fd, name);
    if (a !== b) throw mismatch(dp, `link text ${b} where the original has ${a}`);
  } else if (s.isFile()) {
    const rec = c.files.get(dp);
    if (rec === undefined) throw mismatch(dp, 'a file the copy did not make');
    if (sigOf(s) !== rec.sig) throw changedMeanwhile(sp);
    if (d.size !== s.size) throw mismatch(dp, `${d.size} bytes where the original has ${s.size}`);
    if ((d.mode & 0o7777n) !== (s.mode & 0o7777n)) throw mismatch(dp, 'its mode');
    if (hashAt(dst, name, c) !== rec.hash) throw mismatch(dp, 'its content');
    c.opts.onProgress?.({ phase: 'verify', bytes: c.bytes, files: ++c.done, path: dp });
  } else {
    const rel = ctx.rel === '' ? name : `${ctx.rel}/${name}`;
    inFolders({ src, dst, name, dev: ctx.dev }, (s2, d2) => verifyDir(s2, d2, { ...ctx, rel }));
  }
}

/** Walks folder `src` of the original and `dst` of the copy side by side. */
function verifyDir(src: Dir, dst: Dir, ctx: { rel: string; dev: bigint; c: Copying }): void {
  const a = at(src.path, 'cannot list the folder', () => namesAt(src.fd, src.path)).sort();
  const b = at(dst.path, 'cannot list the copy of the folder', () => namesAt(dst.fd, dst.path)).sort();
  const inCopy = new Set(b);
  const missing = a.find((n) => !inCopy.has(n));
  if (missing !== undefined) throw mismatch(path.join(dst.path, missing), 'missing from the copy');
  if (b.length !== a.length) {
    const inOriginal = new Set(a);
    const extra = b.find((n) => !inOriginal.has(n)) ?? '';
    throw mismatch(path.join(dst.path, extra), 'in the copy but not in the original');
  }
  for (const name of a) verifyEntry(src, dst, name, ctx);
}

/** Sets each folder of the copy's owner, mode and times, innermost first (after what it holds). */
function finishFolders(top: Dir, c: Copying): void {
  for (let i = c.dirs.length - 1; i >= 0; i--) {
    const { rel, st } = c.dirs[i] as { rel: string; st: fs.BigIntStats };
    const p = rel === '' ? top.path : path.join(top.path, rel);
    const fd = rel === '' ? top.fd : at(p, 'cannot open the copy of the folder', () => openDirAt(top.fd, rel, { follow: false }));
    try {
      at(p, 'cannot set the owner, mode and times of the copied folder', () => {
        if (c.asRoot) fs.fchownSync(fd, Number(st.uid), Number(st.gid));
        fs.fchmodSync(fd, Number(st.mode & 0o7777n));
        utimensAt(fd, '.', times(st));
      });
    } finally {
      if (fd !== top.fd) fs.closeSync(fd);
    }
  }
}

/**
 * Copies the folder `from.name` of the folder handle `from.dirFd` to `to.name` of `to.dirFd`
 * (which must be free), then checks the copy (see above). `made` is told the copy's top folder
 * (device and inode) once it is made, before `opts.onRoot`. Throws a DriverError naming the file.
 */
export function copyTreeAt(from: { dirFd: number; name: string; path: string }, to: { dirFd: number; name: string; path: string }, opts: CopyOptions & { made: (id: { dev: number; ino: number }) => void }): TreeCount {
  const srcFd = at(from.path, 'cannot open the folder', () => openDirAt(from.dirFd, from.name, { follow: false }));
  try {
    const rootSt = fs.fstatSync(srcFd, { bigint: true });
    at(to.path, 'cannot make the copy', () => mkdirAt(to.dirFd, to.name, 0o700));
    const dstFd = at(to.path, 'cannot open the copy', () => openDirAt(to.dirFd, to.name, { follow: false }));
    try {
      const made = fs.fstatSync(dstFd);
      opts.made({ dev: made.dev, ino: made.ino });
      opts.onRoot?.();
      const c: Copying = {
        count: { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0 },
        opts,
        files: new Map(),
        dirs: [{ rel: '', st: rootSt }],
        buf: Buffer.allocUnsafe(CHUNK),
        asRoot: process.getuid?.() === 0,
        bytes: 0,
        done: 0,
        mark: PROGRESS_EVERY,
      };
      const src = { fd: srcFd, path: from.path };
      const dst = { fd: dstFd, path: to.path };
      copyDir(src, dst, { rel: '', dev: rootSt.dev, c });
      at(to.path, 'cannot write the copy to the disk', () => syncFsOf(dstFd));
      c.bytes = 0;
      c.done = 0;
      c.mark = PROGRESS_EVERY;
      verifyDir(src, dst, { rel: '', dev: rootSt.dev, c });
      finishFolders(dst, c);
      return c.count;
    } finally {
      fs.closeSync(dstFd);
    }
  } finally {
    fs.closeSync(srcFd);
  }
}
