/**
 * The Win32 steps the Windows driver is built from, each one call or two on kernel32 with its
 * failure turned into a DriverError a user can act on (errors.ts): open an entry itself (never
 * following a link) or what it leads to, read its file information and its raw reparse data,
 * write reparse data on an open handle, delete an entry by handle, list a folder without opening
 * its entries, and name where a handle really is. Paths are given in linkplan's form and handed
 * to Win32 in the `\\?\` form (paths.ts), so no path is too long.
 */
import { win32Error } from './errors.js';
import { longPath, plainPath } from './paths.js';
import {
  DELETE,
  ERROR_CANT_RESOLVE_FILENAME,
  ERROR_FILE_NOT_FOUND,
  ERROR_HANDLE_EOF,
  ERROR_INVALID_PARAMETER,
  ERROR_NOT_SUPPORTED,
  ERROR_NO_MORE_FILES,
  ERROR_NOT_A_REPARSE_POINT,
  ERROR_PATH_NOT_FOUND,
  FILE_ATTRIBUTE_DIRECTORY,
  FILE_FLAG_BACKUP_SEMANTICS,
  FILE_FLAG_OPEN_REPARSE_POINT,
  FILE_LIST_DIRECTORY,
  FILE_TRAVERSE,
  FILE_READ_ATTRIBUTES,
  FILE_WRITE_ATTRIBUTES,
  FILE_SHARE_DELETE,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  FIND_FIRST_EX_LARGE_FETCH,
  FindExInfoBasic,
  FindExSearchNameMatch,
  FileDispositionInfo,
  FSCTL_GET_REPARSE_POINT,
  FSCTL_SET_REPARSE_POINT,
  GENERIC_READ,
  GENERIC_WRITE,
  INVALID_HANDLE_VALUE,
  kernel32 as k,
  MAX_PATH,
  MAXIMUM_REPARSE_DATA_BUFFER_SIZE,
  OPEN_EXISTING,
  SYNCHRONIZE,
  type ByHandleFileInformation,
  type Win32FindDataW,
} from './win32.js';

const SHARE_ALL = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;

/** Codes that mean "nothing is there" (the entry, or a folder on its way, or a loop of links where one should be). */
export function isAbsentCode(code: number): boolean {
  return code === ERROR_FILE_NOT_FOUND || code === ERROR_PATH_NOT_FOUND || code === ERROR_CANT_RESOLVE_FILENAME;
}

export interface OpenOptions {
  /** Open what a link leads to (as programs do) rather than the link itself. */
  follow?: boolean;
  /** Also for writing reparse data. */
  write?: boolean;
  /** Also for deleting (by handle). */
  delete?: boolean;
  /** Also for giving it another name (a hard link: FileLinkInformation takes FILE_WRITE_ATTRIBUTES, as CreateHardLinkW opens it). */
  link?: boolean;
  /**
   * Let no one rename or delete the entry while the handle is open (no FILE_SHARE_DELETE): for a
   * folder, its path then keeps leading to it, and no folder above it can be renamed either.
   */
  pin?: boolean;
  /**
   * A folder to act in by handle: with FILE_LIST_DIRECTORY and FILE_TRAVERSE (read access, so the
   * open takes part in sharing checks and `pin` holds).
   */
  folder?: boolean;
}

/** A handle on `p` itself (or, with `follow`, on what it leads to); undefined when nothing is there. */
export function openEntry(p: string, opts: OpenOptions = {}): number | undefined {
  const access =
    FILE_READ_ATTRIBUTES |
    (opts.write === true ? GENERIC_READ | GENERIC_WRITE : 0) |
    (opts.delete === true ? DELETE : 0) |
    (opts.link === true ? FILE_WRITE_ATTRIBUTES | SYNCHRONIZE : 0) |
    (opts.folder === true ? FILE_LIST_DIRECTORY | FILE_TRAVERSE | SYNCHRONIZE : 0);
  const flags = FILE_FLAG_BACKUP_SEMANTICS | (opts.follow === true ? 0 : FILE_FLAG_OPEN_REPARSE_POINT);
  const share = opts.pin === true ? FILE_SHARE_READ | FILE_SHARE_WRITE : SHARE_ALL;
  const h = k.CreateFileW(longPath(p), access, share, null, OPEN_EXISTING, flags, 0);
  if (h === INVALID_HANDLE_VALUE) {
    const code = k.GetLastError();
    if (isAbsentCode(code)) return undefined;
    throw win32Error(p, 'cannot open', { code });
  }
  return h;
}

/** Runs `fn` on a handle on `p` (see openEntry), closing it after; `opts.absent()` when nothing is there. */
export function withEntry<T>(p: string, fn: (h: number) => T, opts: OpenOptions & { absent: () => T }): T {
  const h = openEntry(p, opts);
  if (h === undefined) return opts.absent();
  try {
    return fn(h);
  } finally {
    k.CloseHandle(h);
  }
}

/** What GetFileInformationByHandle says of an open entry, in the units linkplan uses. */
export interface FileFacts {
  attributes: number;
  directory: boolean;
  reparse: boolean;
  size: number;
  nlink: number;
  /** Volume serial number: which volume holds it. */
  volume: number;
  /** `serial:index`: which file record it is. */
  fileId: string;
}

export function fileFacts(h: number, p: string): FileFacts {
  const info: Partial<ByHandleFileInformation> = {};
  if (k.GetFileInformationByHandle(h, info) === 0) throw win32Error(p, 'cannot read file information', { code: k.GetLastError() });
  const i = info as ByHandleFileInformation;
  const index = (BigInt(i.nFileIndexHigh) << 32n) | BigInt(i.nFileIndexLow);
  return {
    attributes: i.dwFileAttributes,
    directory: (i.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) !== 0,
    reparse: (i.dwFileAttributes & 0x400) !== 0,
    size: i.nFileSizeHigh * 2 ** 32 + i.nFileSizeLow,
    nlink: i.nNumberOfLinks,
    volume: i.dwVolumeSerialNumber,
    fileId: `${i.dwVolumeSerialNumber}:${index}`,
  };
}

/** The raw reparse buffer on an open entry; undefined when it carries none. */
export function readReparseOn(h: number, p: string): Buffer | undefined {
  const out = Buffer.alloc(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
  const returned: [number] = [0];
  if (k.DeviceIoControl(h, FSCTL_GET_REPARSE_POINT, null, 0, out, out.length, returned, null) === 0) {
    const code = k.GetLastError();
    if (code === ERROR_NOT_A_REPARSE_POINT) return undefined;
    throw win32Error(p, 'cannot read reparse data', { code });
  }
  return Buffer.from(out.subarray(0, returned[0]));
}

/** Writes reparse data on an entry opened for writing (a fresh empty folder, or a junction to retarget in place). */
export function writeReparseOn(h: number, p: string, opts: { buffer: Buffer; what: string }): void {
  const { buffer, what } = opts;
  const returned: [number] = [0];
  if (k.DeviceIoControl(h, FSCTL_SET_REPARSE_POINT, buffer, buffer.length, null, 0, returned, null) === 0) {
    throw win32Error(p, what, { code: k.GetLastError() });
  }
}

/** Marks an entry open with `delete` for deletion: its name goes when the handle closes (a folder only while empty). */
export function deleteOn(h: number, p: string, opts: { what: string }): void {
  const what = opts.what;
  if (k.SetFileInformationByHandle(h, FileDispositionInfo, Buffer.from([1]), 1) === 0) throw win32Error(p, what, { code: k.GetLastError() });
}

/** One entry of a folder as FindFirstFileExW lists it: no entry is opened. */
export interface FoundEntry {
  name: string;
  attributes: number;
  /** The reparse tag, where the entry is a reparse point (0 otherwise). */
  tag: number;
}

/** The entries of folder `p` (no `.` and `..`), unsorted; a missing folder throws ENOENT. */
export function findEntries(p: string): FoundEntry[] {
  const data: Partial<Win32FindDataW> = {};
  const pattern = longPath(p) + (p.endsWith('\\') ? '*' : '\\*');
  const h = k.FindFirstFileExW(pattern, FindExInfoBasic, data, FindExSearchNameMatch, null, FIND_FIRST_EX_LARGE_FETCH);
  if (h === INVALID_HANDLE_VALUE) {
    const code = k.GetLastError();
    if (code === ERROR_FILE_NOT_FOUND) return [];
    throw win32Error(p, 'cannot list folder', { code });
  }
  const out: FoundEntry[] = [];
  try {
    for (;;) {
      const d = data as Win32FindDataW;
      if (d.cFileName !== '.' && d.cFileName !== '..') {
        out.push({ name: d.cFileName, attributes: d.dwFileAttributes, tag: (d.dwFileAttributes & 0x400) !== 0 ? d.dwReserved0 : 0 });
      }
      if (k.FindNextFileW(h, data) === 0) {
        const code = k.GetLastError();
        if (code === ERROR_NO_MORE_FILES) break;
        throw win32Error(p, 'cannot list folder', { code });
      }
    }
  } finally {
    k.FindClose(h);
  }
  return out;
}

/** Reads up to `n` bytes of the file open as `h` (with FILE_READ_DATA) into `buf`, from where the last read ended; 0 at its end. */
export function readOn(h: number, buf: Buffer, opts: { n: number; p: string; what: string }): number {
  const read: [number] = [0];
  if (k.ReadFile(h, buf, opts.n, read, null) === 0) {
    const code = k.GetLastError();
    if (code === ERROR_HANDLE_EOF) return 0;
    throw win32Error(opts.p, opts.what, { code });
  }
  return read[0];
}

/** Writes the first `n` bytes of `buf` to the file open as `h` (with FILE_WRITE_DATA), after what was written before. */
export function writeOn(h: number, buf: Buffer, opts: { n: number; p: string; what: string }): void {
  for (let off = 0; off < opts.n; ) {
    const written: [number] = [0];
    if (k.WriteFile(h, off === 0 ? buf : buf.subarray(off), opts.n - off, written, null) === 0) throw win32Error(opts.p, opts.what, { code: k.GetLastError() });
    if (written[0] === 0) throw win32Error(opts.p, opts.what, { code: ERROR_HANDLE_EOF });
    off += written[0];
  }
}

/** Asks Windows to write what it holds of the file open as `h` to the disk (FlushFileBuffers). */
export function flushOn(h: number, p: string): void {
  if (k.FlushFileBuffers(h) === 0) throw win32Error(p, 'cannot write the copy to the disk', { code: k.GetLastError() });
}

/** Bytes this user may still write on the volume that holds the folder `p` (GetDiskFreeSpaceExW, quotas counted). */
export function freeBytesOf(p: string): number {
  const available: [number | bigint] = [0];
  const dir = longPath(p);
  check(p, k.GetDiskFreeSpaceExW(dir.endsWith('\\') ? dir : `${dir}\\`, available, [0], [0]) !== 0, { what: 'cannot tell the free space of its volume' });
  return Number(available[0]);
}

/** After a path call (`ok` true when it returned success): a failure as a DriverError naming `p` and what was being done. */
export function check(p: string, ok: boolean, opts: { what: string }): void {
  if (!ok) throw win32Error(p, opts.what, { code: k.GetLastError() });
}

/** A string a Win32 call wrote into `out` (UTF-16, NUL-terminated). */
function utf16z(out: Buffer): string {
  const s = out.toString('utf16le');
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** What GetVolumeInformationByHandleW says of the volume an open entry is on: its filesystem's name (NTFS, FAT32, exFAT, ReFS...) and flags. */
export interface VolumeFacts {
  fileSystem: string;
  /** FILE_SYSTEM_FLAGS: FILE_SUPPORTS_REPARSE_POINTS and the rest. */
  flags: number;
}

export function volumeFactsOn(h: number, p: string): VolumeFacts {
  const fsName = Buffer.alloc((MAX_PATH + 1) * 2);
  const flags: [number] = [0];
  const ok = k.GetVolumeInformationByHandleW(h, null, 0, [0], [0], flags, fsName, MAX_PATH + 1) !== 0;
  check(p, ok, { what: 'cannot tell which filesystem holds it' });
  return { fileSystem: utf16z(fsName), flags: flags[0] };
}

/**
 * The volume that holds `p` as Windows names it: its mount point (`C:\`) and, where Windows gives
 * it one, its volume GUID path (`\\?\Volume{GUID}\`), which survives a change of drive letter
 * (a network or virtual drive has none).
 */
export function volumeOf(p: string): { mountPoint: string; guidPath: string | undefined } {
  const chars = 32768;
  const mp = Buffer.alloc(chars * 2);
  check(p, k.GetVolumePathNameW(longPath(p), mp, chars) !== 0, { what: 'cannot find the volume that holds it' });
  const mountPoint = plainPath(utf16z(mp));
  const guid = Buffer.alloc(100 * 2);
  if (k.GetVolumeNameForVolumeMountPointW(longPath(mountPoint), guid, 100) === 0) {
    const code = k.GetLastError();
    // (what Windows says of a drive that is no volume of its own: not a mount point, not supported)
    if (code === ERROR_NOT_A_REPARSE_POINT || code === ERROR_INVALID_PARAMETER || code === ERROR_NOT_SUPPORTED) return { mountPoint, guidPath: undefined };
    throw win32Error(p, `cannot name the volume mounted at ${mountPoint}`, { code });
  }
  return { mountPoint, guidPath: utf16z(guid) };
}
