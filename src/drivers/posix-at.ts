/**
 * libc's calls relative to an open folder, through koffi: the only file of the node:fs driver
 * that imports koffi. node:fs acts by path only, so a folder of the path swapped for a link
 * between a check and a write would redirect the write; these calls act on a name inside a
 * folder handle instead (`openat` with O_DIRECTORY and O_NOFOLLOW, `symlinkat`, `linkat`,
 * `unlinkat`, `mkdirat`, `readlinkat`, a no-follow stat, `openat` of a file (made with an exact
 * mode), `utimensat` without following, `syncfs`, and `renameat2` with RENAME_NOREPLACE or
 * RENAME_EXCHANGE, which node:fs does not offer at all). On macOS the same names exist, with
 * `renameatx_np(RENAME_EXCL / RENAME_SWAP)` for renameat2 (bound the same way, untested). One line
 * per C prototype; koffi and libc load on first use (a synchronous require: `plan` and other
 * read-only runs never load them); errno is read right after each call; a failing call throws a
 * SysCallError shaped like a Node system error (`code` ENOENT, EEXIST...), so `errnoCode()` and
 * the drivers' error wrapping treat it like any node:fs error.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import util from 'node:util';
import type koffiModule from 'koffi';
import type { KoffiFunc } from 'koffi';

type Koffi = typeof koffiModule;

const DARWIN = process.platform === 'darwin';

// One line per C prototype. ssize_t is intptr_t (koffi has none). openat is variadic in C; it
// reads its fourth argument only with O_CREAT, which these folder opens never pass.
const PROTOTYPES = {
  openat: 'int openat(int dirfd, const char *path, int flags)',
  openatMode: 'int openat(int dirfd, const char *path, int flags, ...)',
  utimensat: 'int utimensat(int dirfd, const char *path, const void *times, int flags)',
  syncfs: 'int syncfs(int fd)',
  posix_fadvise: 'int posix_fadvise(int fd, int64_t offset, int64_t len, int advice)',
  symlinkat: 'int symlinkat(const char *target, int dirfd, const char *path)',
  linkat: 'int linkat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, int flags)',
  unlinkat: 'int unlinkat(int dirfd, const char *path, int flags)',
  mkdirat: 'int mkdirat(int dirfd, const char *path, uint32_t mode)',
  readlinkat: 'intptr_t readlinkat(int dirfd, const char *path, _Out_ void *buf, size_t size)',
  renameat: 'int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)',
  renameat2: 'int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)',
  renameatx_np: 'int renameatx_np(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)',
  statx: 'int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ void *buf)',
  fstatat: `int ${DARWIN && process.arch === 'x64' ? 'fstatat$INODE64' : 'fstatat'}(int dirfd, const char *path, _Out_ void *buf, int flags)`,
  strerror: 'const char *strerror(int errnum)',
} as const;

type Fn<T extends (...args: never[]) => unknown> = KoffiFunc<T>;
interface Libc {
  openat: Fn<(dirfd: number, path: string, flags: number) => number>;
  /** openat with its variadic mode argument (`'uint32_t', mode` after the flags). */
  openatMode: Fn<(dirfd: number, path: string, flags: number, modeType: string, mode: number) => number>;
  utimensat: Fn<(dirfd: number, path: string, times: Buffer, flags: number) => number>;
  /** Linux only. */
  syncfs: Fn<(fd: number) => number> | undefined;
  /** Linux only. */
  fadvise: Fn<(fd: number, offset: number, len: number, advice: number) => number> | undefined;
  symlinkat: Fn<(target: string, dirfd: number, path: string) => number>;
  linkat: Fn<(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number>;
  unlinkat: Fn<(dirfd: number, path: string, flags: number) => number>;
  mkdirat: Fn<(dirfd: number, path: string, mode: number) => number>;
  readlinkat: Fn<(dirfd: number, path: string, buf: Buffer, size: number) => number>;
  renameat: Fn<(olddirfd: number, oldpath: string, newdirfd: number, newpath: string) => number>;
  /** renameat2 (Linux) or renameatx_np (macOS); undefined where libc has neither. */
  renameFlags: Fn<(olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) => number> | undefined;
  /** statx (Linux) or fstatat (macOS), whichever this platform uses for a no-follow stat. */
  statx: Fn<(dirfd: number, path: string, flags: number, mask: number, buf: Buffer) => number> | undefined;
  fstatat: Fn<(dirfd: number, path: string, buf: Buffer, flags: number) => number> | undefined;
  strerror: Fn<(errnum: number) => string | null>;
}

/** The platform's values of the constants these calls take. */
const C = DARWIN
  ? { AT_FDCWD: -2, AT_SYMLINK_NOFOLLOW: 0x20, AT_REMOVEDIR: 0x80, O_CLOEXEC: 0x1000000, NOREPLACE: 0x4, EXCHANGE: 0x2 }
  : { AT_FDCWD: -100, AT_SYMLINK_NOFOLLOW: 0x100, AT_REMOVEDIR: 0x200, O_CLOEXEC: 0o2000000, NOREPLACE: 1, EXCHANGE: 2 };
const O_DIRECTORY = fs.constants.O_DIRECTORY ?? 0;
const O_NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;
/** statx's mask: the type, mode, link count and inode number (STATX_TYPE|MODE|NLINK|INO). */
const STATX_WANTED = 0x1 | 0x2 | 0x4 | 0x100;

/** The handle that names the process's working folder: a path then is taken as it is. */
export const AT_FDCWD = C.AT_FDCWD;

let koffiLoaded: Koffi | undefined;
let libc: Libc | undefined;

function koffiNow(): Koffi {
  koffiLoaded ??= createRequire(import.meta.url)('koffi') as Koffi;
  return koffiLoaded;
}

function optional<T>(make: () => T): T | undefined {
  try {
    return make();
  } catch {
    return undefined; // an older libc without the symbol
  }
}

function bind(): Libc {
  if (libc !== undefined) return libc;
  const koffi = koffiNow();
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load(DARWIN ? 'libSystem.B.dylib' : 'libc.so.6');
  } catch {
    lib = koffi.load(null); // not glibc (musl, say): the process itself exports libc's symbols
  }
  const f = <T>(proto: string): T => lib.func(proto) as T;
  libc = {
    openat: f(PROTOTYPES.openat),
    openatMode: f(PROTOTYPES.openatMode),
    utimensat: f(PROTOTYPES.utimensat),
    syncfs: DARWIN ? undefined : optional(() => f(PROTOTYPES.syncfs)),
    fadvise: DARWIN ? undefined : optional(() => f(PROTOTYPES.posix_fadvise)),
    symlinkat: f(PROTOTYPES.symlinkat),
    linkat: f(PROTOTYPES.linkat),
    unlinkat: f(PROTOTYPES.unlinkat),
    mkdirat: f(PROTOTYPES.mkdirat),
    readlinkat: f(PROTOTYPES.readlinkat),
    renameat: f(PROTOTYPES.renameat),
    renameFlags: optional(() => f(DARWIN ? PROTOTYPES.renameatx_np : PROTOTYPES.renameat2)),
    statx: DARWIN ? undefined : f(PROTOTYPES.statx),
    fstatat: DARWIN ? f(PROTOTYPES.fstatat) : undefined,
    strerror: f(PROTOTYPES.strerror),
  };
  return libc;
}

/** True once koffi has been loaded in this process (tests check that read-only runs never load it). */
export function atCallsLoaded(): boolean {
  return koffiLoaded !== undefined;
}

/**
 * A failed call. Its message reads like Node's (`EEXIST: File exists, symlinkat 'name'`), `code`
 * is the errno name and `errno` its number.
 */
export class SysCallError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;
  constructor(syscall: string, path: string, errno: number, text: string) {
    const code = errnoName(errno);
    super(`${code}: ${text}, ${syscall} '${path}'`);
    this.name = 'SysCallError';
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}

/** `ENOENT` for 2 and so on; `E<number>` for a number the platform does not name. */
export function errnoName(errno: number): string {
  try {
    return util.getSystemErrorName(-errno);
  } catch {
    return `E${errno}`;
  }
}

function fail(c: Libc, syscall: string, path: string): never {
  const errno = koffiNow().errno();
  throw new SysCallError(syscall, path, errno, c.strerror(errno) ?? `error ${errno}`);
}

/**
 * Opens folder `name` of folder handle `dirFd` (or a path, with AT_FDCWD) for use as a handle.
 * `follow: false` refuses a link as the last component (ELOOP or ENOTDIR); links before it are
 * followed as the OS follows them. The caller closes the handle (fs.closeSync).
 */
export function openDirAt(dirFd: number, name: string, opts: { follow: boolean }): number {
  const c = bind();
  const fd = c.openat(dirFd, name, O_DIRECTORY | C.O_CLOEXEC | (opts.follow ? 0 : O_NOFOLLOW));
  if (fd < 0) fail(c, 'openat', name);
  return fd;
}

/**
 * Opens entry `name` of folder `dirFd` with `flags` (O_NOFOLLOW and O_CLOEXEC added: a link as the
 * last component is refused), making it with exactly `mode` where the flags hold O_CREAT (the
 * umask cleared for the one call). The caller closes it (fs.closeSync).
 */
export function openFileAt(dirFd: number, name: string, opts: { flags: number; mode?: number }): number {
  const c = bind();
  const flags = opts.flags | O_NOFOLLOW | C.O_CLOEXEC;
  if (opts.mode === undefined) {
    const fd = c.openat(dirFd, name, flags);
    if (fd < 0) fail(c, 'openat', name);
    return fd;
  }
  const umask = process.umask(0);
  try {
    const fd = c.openatMode(dirFd, name, flags, 'uint32_t', opts.mode);
    if (fd < 0) fail(c, 'openat', name);
    return fd;
  } finally {
    process.umask(umask);
  }
}

/**
 * Sets the access and modification times (nanoseconds since the epoch) of entry `name` of folder
 * `dirFd`, of a symbolic link itself, not of what it leads to.
 */
export function utimensAt(dirFd: number, name: string, times: { atimeNs: bigint; mtimeNs: bigint }): void {
  const c = bind();
  // two struct timespec { time_t tv_sec; long tv_nsec; }: 64-bit fields on the 64-bit platforms linkplan runs on
  const buf = Buffer.alloc(32);
  const put = (at: number, ns: bigint): void => {
    // (seconds rounded down, so a time before 1970 has nanoseconds in 0..999999999 as the call wants)
    const rest = ((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n;
    buf.writeBigInt64LE((ns - rest) / 1_000_000_000n, at);
    buf.writeBigInt64LE(rest, at + 8);
  };
  put(0, times.atimeNs);
  put(16, times.mtimeNs);
  if (c.utimensat(dirFd, name, buf, C.AT_SYMLINK_NOFOLLOW) !== 0) fail(c, 'utimensat', name);
}

/** Writes to the disk what is cached of the filesystem that holds `fd` (syncfs; fsync of `fd` alone where there is none). */
export function syncFsOf(fd: number): void {
  const c = bind();
  if (c.syncfs === undefined) {
    fs.fsyncSync(fd);
    return;
  }
  if (c.syncfs(fd) !== 0) fail(c, 'syncfs', String(fd));
}

/**
 * Asks the kernel to drop what it caches of the file open at `fd` (POSIX_FADV_DONTNEED; written
 * to the disk already), so reading it next reads the disk. Best effort: nothing where it cannot.
 */
export function dropCachedPages(fd: number): void {
  const c = bind();
  c.fadvise?.(fd, 0, 0, 4);
}

/** Makes symbolic link `name` in folder `dirFd` with link text `opts.linkText`; EEXIST if anything is there. */
export function symlinkAt(dirFd: number, name: string, opts: { linkText: string }): void {
  const c = bind();
  if (c.symlinkat(opts.linkText, dirFd, name) !== 0) fail(c, 'symlinkat', name);
}

/** Makes hard link `name` in folder `dirFd` to the file at path `opts.to` (not following a link there). */
export function linkAt(dirFd: number, name: string, opts: { to: string }): void {
  const c = bind();
  if (c.linkat(C.AT_FDCWD, opts.to, dirFd, name, 0) !== 0) fail(c, 'linkat', name);
}

/** Removes entry `name` of folder `dirFd` (a link or file; an empty folder with `dir`). */
export function unlinkAt(dirFd: number, name: string, opts: { dir: boolean } = { dir: false }): void {
  const c = bind();
  if (c.unlinkat(dirFd, name, opts.dir ? C.AT_REMOVEDIR : 0) !== 0) fail(c, 'unlinkat', name);
}

/**
 * Makes folder `name` in folder `dirFd`: with mode 0777 less the umask, as mkdir(1), or with
 * exactly `mode` (the umask cleared for the one call, so the folder never has other bits).
 */
export function mkdirAt(dirFd: number, name: string, mode?: number): void {
  const c = bind();
  if (mode === undefined) {
    if (c.mkdirat(dirFd, name, 0o777) !== 0) fail(c, 'mkdirat', name);
    return;
  }
  const umask = process.umask(0);
  try {
    if (c.mkdirat(dirFd, name, mode) !== 0) fail(c, 'mkdirat', name);
  } finally {
    process.umask(umask);
  }
}

/** The link text of symbolic link `name` in folder `dirFd`; EINVAL if it is no symbolic link. */
export function readlinkAt(dirFd: number, name: string): string {
  const c = bind();
  for (let size = 4096; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = c.readlinkat(dirFd, name, buf, size);
    if (n < 0) fail(c, 'readlinkat', name);
    if (n < size) return buf.toString('utf8', 0, n);
  }
}

export interface AtStat {
  kind: 'symlink' | 'file' | 'dir' | 'other';
  nlink: number;
}

/** What entry `name` of folder `dirFd` is, not following a link; undefined when nothing is there. */
export function lstatAt(dirFd: number, name: string): AtStat | undefined {
  const c = bind();
  const buf = Buffer.alloc(256);
  const r = c.statx !== undefined ? c.statx(dirFd, name, C.AT_SYMLINK_NOFOLLOW, STATX_WANTED, buf) : (c.fstatat?.(dirFd, name, buf, C.AT_SYMLINK_NOFOLLOW) ?? -1);
  if (r !== 0) {
    if (koffiNow().errno() === 2) return undefined; // ENOENT, on Linux and macOS alike
    fail(c, DARWIN ? 'fstatat' : 'statx', name);
  }
  // statx: stx_nlink u32 at 16, stx_mode u16 at 28; macOS stat: st_mode u16 at 4, st_nlink u16 at 6
  const mode = DARWIN ? buf.readUInt16LE(4) : buf.readUInt16LE(28);
  const nlink = DARWIN ? buf.readUInt16LE(6) : buf.readUInt32LE(16);
  const type = mode & 0o170000;
  const kind = type === 0o120000 ? 'symlink' : type === 0o100000 ? 'file' : type === 0o040000 ? 'dir' : 'other';
  return { kind, nlink };
}

/**
 * Renames `fromName` of folder `fromFd` to `toName` of folder `toFd`. `noreplace`: fails with
 * EEXIST if anything is at the new name; `exchange`: swaps the two, both of which must exist.
 * Throws a SysCallError with EINVAL or ENOSYS where the filesystem or the kernel cannot do it
 * (the caller decides what to do instead).
 */
export function renameAt(from: { dirFd: number; name: string }, to: { dirFd: number; name: string }, opts: { mode: 'noreplace' | 'exchange' | 'plain' }): void {
  const c = bind();
  if (opts.mode === 'plain') {
    if (c.renameat(from.dirFd, from.name, to.dirFd, to.name) !== 0) fail(c, 'renameat', from.name);
    return;
  }
  const call = DARWIN ? 'renameatx_np' : 'renameat2';
  if (c.renameFlags === undefined) throw new SysCallError(call, from.name, DARWIN ? 45 : 38, `${call} is not in this C library`);
  if (c.renameFlags(from.dirFd, from.name, to.dirFd, to.name, opts.mode === 'noreplace' ? C.NOREPLACE : C.EXCHANGE) !== 0) fail(c, call, from.name);
}
