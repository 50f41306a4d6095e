/**
 * libc's extended-attribute calls, through koffi: the only file of the ntfs-3g driver that imports
 * koffi. ntfs-3g exposes an entry's raw reparse buffer as the `system.ntfs_reparse_data` extended
 * attribute (and its Windows attributes as `system.ntfs_attrib`), which node:fs cannot read or
 * write. Only the no-follow calls are bound (`lgetxattr`, `lsetxattr`, `lremovexattr`): ntfs-3g
 * shows every reparse point as a symbolic link, and the following variants would read or rewrite
 * the target instead. koffi itself and libc are loaded on first use (a synchronous require, so
 * importing this file costs nothing: mount detection imports it, and most runs never touch an
 * NTFS volume); a failing call throws an XattrError
 * shaped like a Node system error (`code` is the errno name: ENODATA, ENOTSUP, EIO...), so
 * `errnoCode()` and the drivers' error wrapping treat it like any node:fs error.
 */
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';
import type { KoffiFunc } from 'koffi';
import { SysCallError } from '../posix-at.js';

type Koffi = typeof koffiModule;

// One line per C prototype, like Go's x/sys `//sys` lines. ssize_t is intptr_t here (koffi has no
// ssize_t); errno is read with koffi.errno() right after each call, before anything else runs.
const PROTOTYPES = {
  lgetxattr: 'intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)',
  lsetxattr: 'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
  lremovexattr: 'int lremovexattr(const char *path, const char *name)',
  strerror: 'const char *strerror(int errnum)',
} as const;

interface Libc {
  lgetxattr: KoffiFunc<(path: string, name: string, value: Buffer | null, size: number) => number>;
  lsetxattr: KoffiFunc<(path: string, name: string, value: Uint8Array, size: number, flags: number) => number>;
  lremovexattr: KoffiFunc<(path: string, name: string) => number>;
  strerror: KoffiFunc<(errnum: number) => string | null>;
}

/** setxattr flags from <sys/xattr.h>. */
export const XATTR_CREATE = 1;
export const XATTR_REPLACE = 2;
/** The largest value Linux passes through an xattr call (XATTR_SIZE_MAX). */
export const XATTR_SIZE_MAX = 65536;

/** ntfs-3g's attribute holding an entry's raw REPARSE_DATA_BUFFER. */
export const XATTR_NTFS_REPARSE_DATA = 'system.ntfs_reparse_data';
/** ntfs-3g's attribute holding an entry's Windows file attributes (u32, little-endian). */
export const XATTR_NTFS_ATTRIB = 'system.ntfs_attrib';

let koffiLoaded: Koffi | undefined;
let libc: Libc | undefined;

/** koffi, loaded on first use: its native module costs start-up time that most runs never need. */
function koffiNow(): Koffi {
  koffiLoaded ??= createRequire(import.meta.url)('koffi') as Koffi;
  return koffiLoaded;
}

/** True once koffi has been loaded in this process (tests check that runs without volumes never load it). */
export function koffiIsLoaded(): boolean {
  return koffiLoaded !== undefined;
}

function bind(): Libc {
  if (libc !== undefined) return libc;
  const koffi = koffiNow();
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load('libc.so.6');
  } catch {
    // not glibc (musl, say): the process itself exports libc's symbols
    lib = koffi.load(null);
  }
  libc = {
    lgetxattr: lib.func(PROTOTYPES.lgetxattr) as Libc['lgetxattr'],
    lsetxattr: lib.func(PROTOTYPES.lsetxattr) as Libc['lsetxattr'],
    lremovexattr: lib.func(PROTOTYPES.lremovexattr) as Libc['lremovexattr'],
    strerror: lib.func(PROTOTYPES.strerror) as Libc['strerror'],
  };
  return libc;
}

/** A failed xattr call: a `SysCallError` (`code` the errno name, `errno` its number, a message like Node's). */
export class XattrError extends SysCallError {
  constructor(syscall: string, path: string, errno: number, text: string) {
    super(syscall, path, errno, text);
    this.name = 'XattrError';
  }
}

function fail(l: Libc, syscall: string, path: string): never {
  const errno = koffiNow().errno();
  throw new XattrError(syscall, path, errno, l.strerror(errno) ?? `error ${errno}`);
}

/** The value of attribute `name` of `path` itself (never its target). Throws XattrError (ENODATA when absent). */
export function lgetxattr(path: string, name: string): Buffer {
  const l = bind();
  // ask for the size, then read; a value that grew in between (ERANGE) is asked for again
  for (let attempt = 0; ; attempt++) {
    const size = l.lgetxattr(path, name, null, 0);
    if (size < 0) fail(l, 'lgetxattr', path);
    const buf = Buffer.alloc(Math.min(Math.max(size, 1), XATTR_SIZE_MAX));
    const n = l.lgetxattr(path, name, buf, buf.length);
    if (n >= 0) return buf.subarray(0, n);
    const k = koffiNow();
    if (k.errno() !== k.os.errno['ERANGE'] || attempt >= 3) fail(l, 'lgetxattr', path);
  }
}

export interface SetXattrOptions {
  value: Uint8Array;
  /** `create`: fail with EEXIST if the attribute exists; `replace`: fail with ENODATA if it does not. */
  mode?: 'create' | 'replace' | 'either';
}

/** Sets attribute `name` of `path` itself (never its target) to `opts.value`. Throws XattrError. */
export function lsetxattr(path: string, name: string, opts: SetXattrOptions): void {
  const l = bind();
  const flags = opts.mode === 'create' ? XATTR_CREATE : opts.mode === 'replace' ? XATTR_REPLACE : 0;
  if (l.lsetxattr(path, name, opts.value, opts.value.byteLength, flags) !== 0) fail(l, 'lsetxattr', path);
}

/** Removes attribute `name` of `path` itself (never its target). Throws XattrError (ENODATA when absent). */
export function lremovexattr(path: string, name: string): void {
  const l = bind();
  if (l.lremovexattr(path, name) !== 0) fail(l, 'lremovexattr', path);
}

/** The three calls as one value, so a driver can be handed a fault-injecting stand-in in tests. */
export interface XattrCalls {
  lgetxattr(path: string, name: string): Buffer;
  lsetxattr(path: string, name: string, opts: SetXattrOptions): void;
  lremovexattr(path: string, name: string): void;
}

export const libcXattr: XattrCalls = { lgetxattr, lsetxattr, lremovexattr };
