/**
 * The Windows driver's writes on a name inside an open folder handle, so a folder of the path
 * swapped for a link (or another folder) after it was checked can never redirect a write: ntdll's
 * NtCreateFile with OBJECT_ATTRIBUTES.RootDirectory = the folder's handle and a one-component name
 * (opened with FILE_OPEN_REPARSE_POINT: a link at the name is opened as itself, never followed),
 * and NtSetInformationFile with FileRenameInformation / FileLinkInformation, whose RootDirectory is
 * the folder the new name goes in. (Win32's SetFileInformationByHandle(FileRenameInfo) reads its
 * name as a DOS path on Wine and refuses a relative one there; the NT call takes it as the kernel
 * does on both.) Each NTSTATUS becomes the Win32 code errors.ts words (RtlNtStatusToDosError), so
 * a failure reads as one of a path call would. A folder is listed by its handle too
 * (GetFileInformationByHandleEx(FileFullDirectoryInfo)), and an entry's attributes set on its
 * handle, so a walk that deletes a tree never goes by path. This is the Windows side of
 * posix-at.ts.
 */
import { win32Error } from './errors.js';
import { isAbsentCode, type FoundEntry } from './handles.js';
import {
  ERROR_NO_MORE_FILES,
  FILE_ATTRIBUTE_NORMAL,
  FILE_ATTRIBUTE_REPARSE_POINT,
  FileBasicInfo,
  FileFullDirectoryInfo,
  FileFullDirectoryRestartInfo,
  FILE_CREATE,
  FILE_DIRECTORY_FILE,
  FILE_LIST_DIRECTORY,
  FILE_NON_DIRECTORY_FILE,
  FILE_OPEN,
  FILE_OPEN_FOR_BACKUP_INTENT,
  FILE_OPEN_REPARSE_POINT,
  FILE_READ_ATTRIBUTES,
  FILE_SHARE_DELETE,
  FILE_SHARE_READ,
  FILE_SHARE_WRITE,
  FILE_SYNCHRONOUS_IO_NONALERT,
  FileLinkInformation,
  FileRenameInformation,
  kernel32 as k,
  OBJ_CASE_INSENSITIVE,
  offsetOf,
  sizeOf,
  SYNCHRONIZE,
} from './win32.js';

const SHARE_ALL = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
/** Every open here: synchronous I/O on the handle, any folder this user may reach by backup rights, and never through a link. */
const OPTIONS = FILE_SYNCHRONOUS_IO_NONALERT | FILE_OPEN_FOR_BACKUP_INTENT | FILE_OPEN_REPARSE_POINT;

/** The Win32 code of a failed NTSTATUS (negative), or 0 for a success. */
function dosCode(status: number): number {
  return status < 0 ? k.RtlNtStatusToDosError(status) : 0;
}

/** NtCreateFile on `name` inside the folder open as `dir`: the handle, or the Win32 code of the failure. */
function ntCreate(dir: number, name: string, opts: { access: number; disposition: number; options: number; share?: number }): { handle: number; code: number } {
  const handle: [number] = [0];
  const bytes = name.length * 2;
  const status = k.NtCreateFile(
    handle,
    opts.access | SYNCHRONIZE | FILE_READ_ATTRIBUTES,
    {
      Length: sizeOf('OBJECT_ATTRIBUTES'),
      RootDirectory: dir,
      ObjectName: { Length: bytes, MaximumLength: bytes, Buffer: name },
      Attributes: OBJ_CASE_INSENSITIVE,
      SecurityDescriptor: null,
      SecurityQualityOfService: null,
    },
    {},
    null,
    0,
    opts.share ?? SHARE_ALL,
    opts.disposition,
    opts.options | OPTIONS,
    null,
    0,
  );
  const code = dosCode(status);
  return { handle: code === 0 ? handle[0] : 0, code };
}

export interface OpenAtOptions {
  /** `p`: the path the entry has, for messages. */
  p: string;
  /** Access beyond FILE_READ_ATTRIBUTES and SYNCHRONIZE (DELETE, GENERIC_WRITE...). */
  access: number;
  /** Say what was being done, if the open fails. */
  what: string;
}

/**
 * A handle on the entry `name` itself inside the folder open as `dir` (a link there is opened as
 * the link); undefined when nothing is there. The caller closes it.
 */
export function openAt(dir: number, name: string, opts: OpenAtOptions): number | undefined {
  const r = ntCreate(dir, name, { access: opts.access, disposition: FILE_OPEN, options: 0 });
  if (r.code === 0) return r.handle;
  if (isAbsentCode(r.code)) return undefined;
  throw win32Error(opts.p, opts.what, { code: r.code });
}

/**
 * Makes the folder `name` inside the folder open as `dir` (refused where anything is, a link
 * included) and returns a handle on it with `opts.access` (FILE_LIST_DIRECTORY at least); the
 * caller closes it.
 */
export function mkdirAt(dir: number, name: string, opts: OpenAtOptions): number {
  const r = ntCreate(dir, name, { access: opts.access | FILE_LIST_DIRECTORY, disposition: FILE_CREATE, options: FILE_DIRECTORY_FILE });
  if (r.code !== 0) throw win32Error(opts.p, opts.what, { code: r.code });
  return r.handle;
}

/**
 * Makes the file `name` inside the folder open as `dir` (FILE_CREATE: refused where anything is,
 * a link included; never opened over something that appeared at the name) and returns a handle
 * on it with `opts.access`; the caller closes it.
 */
export function createFileAt(dir: number, name: string, opts: OpenAtOptions): number {
  const r = ntCreate(dir, name, { access: opts.access, disposition: FILE_CREATE, options: FILE_NON_DIRECTORY_FILE });
  if (r.code !== 0) throw win32Error(opts.p, opts.what, { code: r.code });
  return r.handle;
}

/** An entry's times (FILETIME units, as int64) and attributes, as FileBasicInfo holds them. */
export interface BasicInfo {
  creation: bigint;
  access: bigint;
  write: bigint;
  change: bigint;
  attributes: number;
}

/** The times and attributes of the entry open as `h`. */
export function basicInfoOn(h: number, p: string): BasicInfo {
  const b = Buffer.alloc(sizeOf('FILE_BASIC_INFO'));
  if (k.GetFileInformationByHandleEx(h, FileBasicInfo, b, b.length) === 0) throw win32Error(p, 'cannot read its times and attributes', { code: k.GetLastError() });
  const at = (m: string): number => offsetOf('FILE_BASIC_INFO', m);
  return {
    creation: b.readBigInt64LE(at('CreationTime')),
    access: b.readBigInt64LE(at('LastAccessTime')),
    write: b.readBigInt64LE(at('LastWriteTime')),
    change: b.readBigInt64LE(at('ChangeTime')),
    attributes: b.readUInt32LE(at('FileAttributes')),
  };
}

/**
 * Sets the creation, last access and last write times and the attributes of the entry open as
 * `h` (with FILE_WRITE_ATTRIBUTES); the change time is the system's. A time of 0, and attributes
 * of 0, leave what is there.
 */
export function setBasicInfoOn(h: number, info: Omit<BasicInfo, 'change'>, opts: { p: string; what: string }): void {
  const b = Buffer.alloc(sizeOf('FILE_BASIC_INFO'));
  const at = (m: string): number => offsetOf('FILE_BASIC_INFO', m);
  b.writeBigInt64LE(info.creation, at('CreationTime'));
  b.writeBigInt64LE(info.access, at('LastAccessTime'));
  b.writeBigInt64LE(info.write, at('LastWriteTime'));
  b.writeUInt32LE(info.attributes, at('FileAttributes'));
  if (k.SetFileInformationByHandle(h, FileBasicInfo, b, b.length) === 0) throw win32Error(opts.p, opts.what, { code: k.GetLastError() });
}

/** FILE_RENAME_INFORMATION / FILE_LINK_INFORMATION (one layout) for `name` in folder `dir`. */
function nameInformation(dir: number, name: string, replace: boolean): Buffer {
  const at = offsetOf('FILE_RENAME_INFORMATION', 'FileName');
  const b = Buffer.alloc(Math.max(at + name.length * 2, sizeOf('FILE_RENAME_INFORMATION')));
  b.writeUInt8(replace ? 1 : 0, offsetOf('FILE_RENAME_INFORMATION', 'ReplaceIfExists'));
  b.writeBigInt64LE(BigInt(dir), offsetOf('FILE_RENAME_INFORMATION', 'RootDirectory'));
  b.writeUInt32LE(name.length * 2, offsetOf('FILE_RENAME_INFORMATION', 'FileNameLength'));
  b.write(name, at, 'utf16le');
  return b;
}

/** The Win32 code NtSetInformationFile gives for class `cls` on `h` with `info` (0: done). */
function setInformation(h: number, info: Buffer, cls: number): number {
  return dosCode(k.NtSetInformationFile(h, {}, info, info.length, cls));
}

/**
 * Renames the entry open as `h` (opened with DELETE) to `name` inside the folder open as `dir`;
 * over an entry there only with `replace`. The Win32 code of a failure, 0 when done (the caller
 * words it: a name taken is not always an error to report as is).
 */
export function renameAt(h: number, dir: number, opts: { name: string; replace: boolean }): number {
  return setInformation(h, nameInformation(dir, opts.name, opts.replace), FileRenameInformation);
}

/** Gives the file open as `h` another name, `name` inside the folder open as `dir` (never over an entry there): a hard link. */
export function linkAt(h: number, dir: number, opts: { name: string; p: string; what: string }): void {
  const code = setInformation(h, nameInformation(dir, opts.name, false), FileLinkInformation);
  if (code !== 0) throw win32Error(opts.p, opts.what, { code });
}

/** The entries of the folder open as `h` (with FILE_LIST_DIRECTORY), no `.` and `..`, unsorted: read from the handle, never by path. */
export function listOn(h: number, p: string): FoundEntry[] {
  const at = (member: string): number => offsetOf('FILE_FULL_DIR_INFO', member);
  const buf = Buffer.alloc(64 * 1024);
  const out: FoundEntry[] = [];
  for (let cls = FileFullDirectoryRestartInfo; ; cls = FileFullDirectoryInfo) {
    if (k.GetFileInformationByHandleEx(h, cls, buf, buf.length) === 0) {
      const code = k.GetLastError();
      if (code === ERROR_NO_MORE_FILES) return out;
      throw win32Error(p, 'cannot list folder', { code });
    }
    for (let off = 0; ; ) {
      const attributes = buf.readUInt32LE(off + at('FileAttributes'));
      const nameAt = off + at('FileName');
      const name = buf.toString('utf16le', nameAt, nameAt + buf.readUInt32LE(off + at('FileNameLength')));
      // (EaSize holds the reparse tag of a reparse point)
      const tag = (attributes & FILE_ATTRIBUTE_REPARSE_POINT) !== 0 ? buf.readUInt32LE(off + at('EaSize')) : 0;
      if (name !== '.' && name !== '..') out.push({ name, attributes, tag });
      const next = buf.readUInt32LE(off + at('NextEntryOffset'));
      if (next === 0) break;
      off += next;
    }
  }
}

/** Sets the attributes of the entry open as `h` (with FILE_WRITE_ATTRIBUTES); its times stay as they are. */
export function setAttributesOn(h: number, attributes: number, opts: { p: string; what: string }): void {
  // (times of 0 leave them as they are; attributes of 0 would too: no attribute at all is FILE_ATTRIBUTE_NORMAL)
  setBasicInfoOn(h, { creation: 0n, access: 0n, write: 0n, attributes: attributes === 0 ? FILE_ATTRIBUTE_NORMAL : attributes }, opts);
}
