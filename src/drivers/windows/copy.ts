/**
 * The tree copy of the Windows driver, for a relocation to another volume: what a folder holds
 * (`treeFactsOfWindows`, read at plan time), and the copy itself (`copyTreeOn`), the Windows side
 * of posix-copy.ts with the same contract. The copy walks the original through handles, each
 * entry opened relative to its folder's handle (NtCreateFile with RootDirectory) without following
 * a reparse point, each folder listed by its handle; it makes the copy's top folder and writes
 * everything below it through handles on the folders it made: files with FILE_CREATE (never
 * opened over something that appeared at the name), folders the same way, and a junction or
 * symbolic link inside as an entry of the same kind (a folder, or a file) carrying the same
 * reparse data (FSCTL_GET/SET_REPARSE_POINT): never followed, whatever it leads to. A reparse
 * point of another kind (a cloud placeholder, a deduplicated file, an app execution alias), a
 * volume mounted inside, and an encrypted file (whose copy would not be) are refused, naming them.
 * A file with other names (a hard link) becomes a file of its own. Each file's SHA-256 is taken as
 * it is read; its creation, last access and last write times and its read-only, hidden, system
 * and archive attributes are kept (compression and encryption are not). Then the two trees are
 * walked side by side: the same names, kinds, sizes, attributes and reparse data, each copied file
 * read back (after FlushFileBuffers) and hashed against the original's, and each original file
 * checked unchanged since it was read (size, last write and change times). Only then are the
 * folders' times and attributes set, innermost first; the top folder keeps its own creation time
 * (the identity a journal records of the copy, `dev:ino:birthtime`, includes it).
 */
import path from 'node:path';
import { DriverError } from '../../core/errors.js';
import { newSha256 } from '../../core/hash.js';
import type { TreeCount, TreeFacts } from '../../core/types.js';
import type { CopyOptions } from '../driver.js';
import { CHUNK, COPY_HINT, changedMeanwhile, mismatch, partly, PROGRESS_EVERY, type CopyCounts } from '../tree-copy.js';
import { decodeReparse, formatReparseTag, isNameSurrogate, reparseTagName } from '../ntfs/reparse.js';
import { fileFacts, findEntries, flushOn, readOn, readReparseOn, withEntry, writeOn, writeReparseOn, type FileFacts } from './handles.js';
import { basicInfoOn, createFileAt, listOn, mkdirAt, openAt, setBasicInfoOn, type BasicInfo } from './relative.js';
import {
  FILE_ATTRIBUTE_ARCHIVE,
  FILE_ATTRIBUTE_DIRECTORY,
  FILE_ATTRIBUTE_ENCRYPTED,
  FILE_ATTRIBUTE_HIDDEN,
  FILE_ATTRIBUTE_NORMAL,
  FILE_ATTRIBUTE_READONLY,
  FILE_ATTRIBUTE_REPARSE_POINT,
  FILE_ATTRIBUTE_SYSTEM,
  FILE_LIST_DIRECTORY,
  FILE_READ_DATA,
  FILE_TRAVERSE,
  FILE_WRITE_ATTRIBUTES,
  FILE_WRITE_DATA,
  GENERIC_READ,
  GENERIC_WRITE,
  kernel32 as k,
} from './win32.js';

/** The attributes a copy keeps. */
const KEPT = FILE_ATTRIBUTE_READONLY | FILE_ATTRIBUTE_HIDDEN | FILE_ATTRIBUTE_SYSTEM | FILE_ATTRIBUTE_ARCHIVE;
/** Access to an entry of the original: read its data (a folder: list it), attributes and reparse data. */
const READ = FILE_READ_DATA | FILE_TRAVERSE;

/** Why the reparse point `p` (its raw data `raw`) cannot be copied; undefined for a junction or symbolic link, which can. */
export function reparseProblem(p: string, raw: Buffer): string | undefined {
  const tag = raw.length < 4 ? 0 : raw.readUInt32LE(0);
  if (!isNameSurrogate(tag)) return `${p} is a ${reparseTagName(tag)} reparse point (tag ${formatReparseTag(tag)}), which cannot be copied (its data is another program's to give)`;
  try {
    const rp = decodeReparse(raw);
    if (rp.kind === 'mount-point' && rp.isVolume) return `a volume is mounted at ${p}; it is not copied`;
  } catch {
    // (a name surrogate of another layout: copied as its bytes)
  }
  return undefined;
}

function encrypted(p: string): string {
  return `${p} is encrypted (EFS), and its copy would not be; decrypt it first, or move the folder yourself`;
}

/** What the folder `root` holds, walked without following reparse points; `problem` says what cannot be copied. */
export function treeFactsOfWindows(root: string): TreeFacts {
  const out: TreeFacts = { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0 };
  const stack = [root];
  try {
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      for (const e of findEntries(dir)) {
        const p = path.win32.join(dir, e.name);
        if ((e.attributes & FILE_ATTRIBUTE_REPARSE_POINT) !== 0) {
          const raw = withEntry(p, (h): Buffer | undefined => readReparseOn(h, p), { absent: () => undefined }) ?? Buffer.alloc(4);
          const problem = reparseProblem(p, raw);
          if (problem !== undefined) return { ...out, problem };
          out.links++;
        } else if ((e.attributes & FILE_ATTRIBUTE_DIRECTORY) !== 0) {
          out.folders++;
          stack.push(p);
        } else {
          if ((e.attributes & FILE_ATTRIBUTE_ENCRYPTED) !== 0) return { ...out, problem: encrypted(p) };
          const f = withEntry(p, (h): FileFacts | undefined => fileFacts(h, p), { absent: () => undefined });
          out.files++;
          out.bytes += f?.size ?? 0;
          if ((f?.nlink ?? 1) > 1) out.hardLinked++;
        }
      }
    }
  } catch (e) {
    return { ...out, problem: `${stack[0] ?? root} cannot be read (${e instanceof Error ? e.message : String(e)})` };
  }
  return out;
}

/** A folder open for the copy: its handle and its path (for messages). */
interface Dir {
  h: number;
  path: string;
}

/** What the copy has done so far. */
interface Copying extends CopyCounts {
  count: TreeCount;
  /** Each copied file (by its path in the copy): the original's SHA-256, and its size and times as read. */
  files: Map<string, { hash: string; sig: string }>;
  /** Every folder of the copy (its names below the copy's top, [] the top), outermost first, with the original's times and attributes. */
  dirs: { rel: string[]; basic: BasicInfo }[];
  buf: Buffer;
}

const sigOf = (b: BasicInfo, size: number): string => `${size}:${b.write}:${b.change}`;

/** Opens the entry `name` of `dir` itself with `access` (and READ), runs `fn` with it and its facts, closes it. */
function entry<T>(dir: Dir, name: string, opts: { access: number; what: string }, fn: (h: number, f: FileFacts, p: string) => T): T {
  const p = path.win32.join(dir.path, name);
  const h = openAt(dir.h, name, { p, access: READ | opts.access, what: opts.what });
  if (h === undefined) throw new DriverError(p, `${opts.what} (it is gone)`, { code: 'ENOENT', hint: COPY_HINT });
  try {
    return fn(h, fileFacts(h, p), p);
  } finally {
    k.CloseHandle(h);
  }
}

/** The attributes to give a copy: the kept ones (0 means "leave them", so a file with none gets NORMAL). */
function keptAttributes(attributes: number, directory: boolean): number {
  const kept = attributes & KEPT;
  return kept === 0 && !directory ? FILE_ATTRIBUTE_NORMAL : kept;
}

/** Copies the file open as `src` (the entry `name` of `from`) into `to`, made anew; records its hash. */
function copyFile(src: { h: number; f: FileFacts; path: string }, to: Dir, name: string, c: Copying): void {
  const basic = basicInfoOn(src.h, src.path);
  if ((basic.attributes & FILE_ATTRIBUTE_ENCRYPTED) !== 0) throw new DriverError(src.path, encrypted(src.path).slice(src.path.length + 1), { code: 'ENOTSUP', hint: COPY_HINT });
  const dp = path.win32.join(to.path, name);
  const out = createFileAt(to.h, name, { p: dp, access: FILE_WRITE_DATA | FILE_WRITE_ATTRIBUTES, what: 'cannot make the copy' });
  const hash = newSha256();
  let size = 0;
  try {
    for (;;) {
      const n = readOn(src.h, c.buf, { n: CHUNK, p: src.path, what: 'cannot read' });
      if (n === 0) break;
      hash.update(c.buf.subarray(0, n));
      writeOn(out, c.buf, { n, p: dp, what: 'cannot write the copy' });
      size += n;
      c.bytes += n;
      partly(c, 'copy', dp);
    }
    flushOn(out, dp);
    setBasicInfoOn(out, { ...basic, attributes: keptAttributes(basic.attributes, false) }, { p: dp, what: 'cannot set the times and attributes of the copy' });
  } finally {
    k.CloseHandle(out);
  }
  c.files.set(dp, { hash: hash.digest('hex'), sig: sigOf(basic, size) });
  c.count.files++;
  c.count.bytes += size;
  if (src.f.nlink > 1) c.count.hardLinked++;
  c.opts.onProgress?.({ phase: 'copy', bytes: c.bytes, files: ++c.done, path: dp });
}

/** Makes entry `name` of `to` as the junction or symbolic link open as `src`: the same kind of entry, the same reparse data. */
function copyLink(src: { h: number; f: FileFacts; path: string }, to: Dir, name: string, c: Copying): void {
  const raw = readReparseOn(src.h, src.path);
  if (raw === undefined) throw new DriverError(src.path, 'changed while it was copied (it is no longer a link)', { code: 'ECHANGED', hint: COPY_HINT });
  const problem = reparseProblem(src.path, raw);
  if (problem !== undefined) throw new DriverError(src.path, problem.slice(src.path.length + 1), { code: 'ENOTSUP', hint: COPY_HINT });
  const basic = basicInfoOn(src.h, src.path);
  const dp = path.win32.join(to.path, name);
  const what = 'cannot make the copy of the link';
  const access = GENERIC_READ | GENERIC_WRITE | FILE_WRITE_ATTRIBUTES;
  const h = src.f.directory ? mkdirAt(to.h, name, { p: dp, access, what }) : createFileAt(to.h, name, { p: dp, access, what });
  try {
    writeReparseOn(h, dp, { buffer: raw, what });
    setBasicInfoOn(h, { ...basic, attributes: keptAttributes(basic.attributes, src.f.directory) }, { p: dp, what: 'cannot set the times of the copied link' });
  } finally {
    k.CloseHandle(h);
  }
  c.count.links++;
}

/** Names sorted as the copy walks them. */
function namesOn(d: Dir): string[] {
  return listOn(d.h, d.path)
    .map((e) => e.name)
    .sort();
}

/** Copies what folder `src` holds into folder `dst` (`rel` below the copy's top). */
function copyDir(src: Dir, dst: Dir, ctx: { rel: string[]; volume: number; c: Copying }): void {
  const { c } = ctx;
  for (const name of namesOn(src)) {
    entry(src, name, { access: 0, what: 'cannot open to copy' }, (h, f, sp) => {
      if (f.reparse) return copyLink({ h, f, path: sp }, dst, name, c);
      if (!f.directory) return copyFile({ h, f, path: sp }, dst, name, c);
      if (f.volume !== ctx.volume) throw new DriverError(sp, 'another volume is mounted here; it is not copied', { code: 'EXDEV', hint: COPY_HINT });
      const dp = path.win32.join(dst.path, name);
      const dh = mkdirAt(dst.h, name, { p: dp, access: FILE_TRAVERSE, what: 'cannot make the copy of the folder' });
      try {
        const rel = [...ctx.rel, name];
        c.dirs.push({ rel, basic: basicInfoOn(h, sp) });
        c.count.folders++;
        copyDir({ h, path: sp }, { h: dh, path: dp }, { ...ctx, rel });
      } finally {
        k.CloseHandle(dh);
      }
    });
  }
}

/** SHA-256 of the file open as `h` (`p` in the copy), read from its start. */
function hashOn(h: number, p: string, c: Copying): string {
  const hash = newSha256();
  for (;;) {
    const n = readOn(h, c.buf, { n: CHUNK, p, what: 'cannot read the copy back' });
    if (n === 0) break;
    hash.update(c.buf.subarray(0, n));
    c.bytes += n;
    partly(c, 'verify', p);
  }
  return hash.digest('hex');
}

const kindOf = (f: FileFacts): string => (f.reparse ? 'link' : f.directory ? 'folder' : 'file');

/** Compares the file open as `s` (the original) with the one open as `d` (its copy at `dp`). */
function verifyFile(s: { h: number; f: FileFacts; path: string }, d: { h: number; f: FileFacts; path: string }, c: Copying): void {
  const rec = c.files.get(d.path);
  if (rec === undefined) throw mismatch(d.path, 'a file the copy did not make');
  const sb = basicInfoOn(s.h, s.path);
  if (sigOf(sb, s.f.size) !== rec.sig) throw changedMeanwhile(s.path);
  if (d.f.size !== s.f.size) throw mismatch(d.path, `${d.f.size} bytes where the original has ${s.f.size}`);
  if ((basicInfoOn(d.h, d.path).attributes & KEPT) !== (sb.attributes & KEPT)) throw mismatch(d.path, 'its attributes');
  if (hashOn(d.h, d.path, c) !== rec.hash) throw mismatch(d.path, 'its content');
  c.opts.onProgress?.({ phase: 'verify', bytes: c.bytes, files: ++c.done, path: d.path });
}

/** Keeps the last access time of the entry open as `h` (with FILE_WRITE_ATTRIBUTES) as it is while the handle reads it (-1: not updated; 0: left). */
function keepAccessTime(h: number, p: string): void {
  setBasicInfoOn(h, { creation: 0n, access: -1n, write: 0n, attributes: 0 }, { p, what: 'cannot read the copy back' });
}

/** Compares entry `name` of the original folder `src` and of the copy `dst`. */
function verifyEntry(src: Dir, dst: Dir, name: string, ctx: { volume: number; c: Copying }): void {
  entry(src, name, { access: 0, what: 'cannot read' }, (sh, sf, sp) =>
    entry(dst, name, { access: FILE_WRITE_ATTRIBUTES, what: 'cannot read the copy' }, (dh, df, dp) => {
      keepAccessTime(dh, dp);
      if (kindOf(sf) !== kindOf(df) || sf.directory !== df.directory) throw mismatch(dp, `a ${kindOf(df)} where the original has a ${kindOf(sf)}`);
      if (sf.reparse) {
        const a = readReparseOn(sh, sp);
        const b = readReparseOn(dh, dp);
        if (a === undefined || b === undefined || !a.equals(b)) throw mismatch(dp, 'its reparse data (where the link leads)');
      } else if (!sf.directory) verifyFile({ h: sh, f: sf, path: sp }, { h: dh, f: df, path: dp }, ctx.c);
      else {
        if (sf.volume !== ctx.volume) throw new DriverError(sp, 'another volume is mounted here; it is not copied', { code: 'EXDEV', hint: COPY_HINT });
        verifyDir({ h: sh, path: sp }, { h: dh, path: dp }, ctx);
      }
    }),
  );
}

/** Walks folder `src` of the original and `dst` of the copy side by side. */
function verifyDir(src: Dir, dst: Dir, ctx: { volume: number; c: Copying }): void {
  const a = namesOn(src);
  const b = namesOn(dst);
  const inCopy = new Set(b);
  const missing = a.find((n) => !inCopy.has(n));
  if (missing !== undefined) throw mismatch(path.win32.join(dst.path, missing), 'missing from the copy');
  if (b.length !== a.length) {
    const inOriginal = new Set(a);
    throw mismatch(path.win32.join(dst.path, b.find((n) => !inOriginal.has(n)) ?? ''), 'in the copy but not in the original');
  }
  for (const name of a) verifyEntry(src, dst, name, ctx);
}

/** Sets each folder of the copy's times and attributes, innermost first (after what it holds). */
function finishFolders(top: Dir, c: Copying): void {
  const what = 'cannot set the times and attributes of the copied folder';
  for (let i = c.dirs.length - 1; i >= 0; i--) {
    const { rel, basic } = c.dirs[i] as { rel: string[]; basic: BasicInfo };
    const opened: number[] = [];
    try {
      let h = top.h;
      let p = top.path;
      for (const name of rel) {
        p = path.win32.join(p, name);
        const next = openAt(h, name, { p, access: FILE_TRAVERSE | FILE_LIST_DIRECTORY | FILE_WRITE_ATTRIBUTES, what });
        if (next === undefined) throw new DriverError(p, `${what} (it is gone)`, { code: 'ENOENT', hint: COPY_HINT });
        opened.push(next);
        h = next;
      }
      setBasicInfoOn(h, { ...basic, attributes: keptAttributes(basic.attributes, true) }, { p, what });
    } finally {
      for (const h of opened) k.CloseHandle(h);
    }
  }
}

/**
 * Copies the folder `from.name` of the folder handle `from.dir` to `to.name` of `to.dir` (which
 * must be free), then checks the copy (see above). `made` is told the copy's top folder (volume
 * serial and file index, `serial:index`) once it is made, before `opts.onRoot`. Throws a
 * DriverError naming the file.
 */
export function copyTreeOn(from: { dir: number; name: string; path: string }, to: { dir: number; name: string; path: string }, opts: CopyOptions & { made: (fileId: string) => void }): TreeCount {
  const srcH = openAt(from.dir, from.name, { p: from.path, access: READ, what: 'cannot open the folder' });
  if (srcH === undefined) throw new DriverError(from.path, 'cannot open the folder (it is gone)', { code: 'ENOENT', hint: COPY_HINT });
  try {
    const rootF = fileFacts(srcH, from.path);
    if (!rootF.directory || rootF.reparse) throw new DriverError(from.path, 'is no longer a folder; nothing was copied', { code: 'ENOTDIR', hint: COPY_HINT });
    const rootBasic = basicInfoOn(srcH, from.path);
    const dstH = mkdirAt(to.dir, to.name, { p: to.path, access: FILE_TRAVERSE | FILE_WRITE_ATTRIBUTES, what: 'cannot make the copy' });
    try {
      opts.made(fileFacts(dstH, to.path).fileId);
      opts.onRoot?.();
      const c: Copying = {
        count: { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0 },
        opts,
        files: new Map(),
        // (the top folder keeps its own creation time: it is part of the identity the journal records of the copy)
        dirs: [{ rel: [], basic: { ...rootBasic, creation: 0n } }],
        buf: Buffer.allocUnsafe(CHUNK),
        bytes: 0,
        done: 0,
        mark: PROGRESS_EVERY,
      };
      const src = { h: srcH, path: from.path };
      const dst = { h: dstH, path: to.path };
      copyDir(src, dst, { rel: [], volume: rootF.volume, c });
      c.bytes = 0;
      c.done = 0;
      c.mark = PROGRESS_EVERY;
      verifyDir(src, dst, { volume: rootF.volume, c });
      finishFolders(dst, c);
      return c.count;
    } finally {
      k.CloseHandle(dstH);
    }
  } finally {
    k.CloseHandle(srcH);
  }
}
