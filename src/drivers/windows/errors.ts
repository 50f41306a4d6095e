/**
 * Win32 error codes in words a user understands, with what to do about each: the Windows driver
 * turns every failed call into a DriverError through `win32Error`, whose `code` is the POSIX-style
 * name the rest of linkplan already reads (ENOENT, EEXIST, EPERM...), so the applier and the CLI
 * treat a Windows failure like any other. A file in use (a sharing or lock violation, or access
 * denied on a file a running program holds) is reported with the programs that hold it, as
 * holders.ts learns them from Windows, and a hint to close those; where Windows cannot tell, the
 * words stay general. The words themselves are pure (holders can be given): tested on every OS.
 */
import { DriverError } from '../../core/errors.js';
import { holdersFor, type Holder } from './holders.js';

export interface Win32ErrorInfo {
  /** The Windows SDK name, like ERROR_PRIVILEGE_NOT_HELD. */
  name: string;
  /** The POSIX-style code linkplan's other drivers give for the same failure. */
  errno: string;
  /** What went wrong, in words. */
  text: string;
  /** What to do about it, where there is something to do. */
  hint?: string;
}

const DEVELOPER_MODE =
  'turn on Developer Mode (Settings > System > For developers), or run linkplan as administrator; for folders, type: junction needs no privilege';

const KNOWN: Readonly<Record<number, Win32ErrorInfo>> = {
  1: { name: 'ERROR_INVALID_FUNCTION', errno: 'ENOTSUP', text: 'this filesystem does not support this operation (reparse points need NTFS)', hint: 'use a folder on an NTFS volume' },
  2: { name: 'ERROR_FILE_NOT_FOUND', errno: 'ENOENT', text: 'no such file or folder' },
  3: { name: 'ERROR_PATH_NOT_FOUND', errno: 'ENOENT', text: 'a folder of the path does not exist' },
  5: {
    name: 'ERROR_ACCESS_DENIED',
    errno: 'EACCES',
    text: 'access is denied',
    hint: 'check that this user may write there (and that the entry is not read-only), or run linkplan as administrator',
  },
  6: { name: 'ERROR_INVALID_HANDLE', errno: 'EBADF', text: 'the handle is invalid (the folder it was opened on may have been moved or deleted meanwhile)' },
  17: {
    name: 'ERROR_NOT_SAME_DEVICE',
    errno: 'EXDEV',
    text: 'the two paths are on different volumes (a hard link must be on the volume of its target, and a move does not copy)',
    hint: 'for a link, use a symbolic link (or a junction for a folder), or put it on the volume of its target',
  },
  19: { name: 'ERROR_WRITE_PROTECT', errno: 'EROFS', text: 'the volume is write-protected' },
  32: {
    name: 'ERROR_SHARING_VIOLATION',
    errno: 'EBUSY',
    text: 'another program is using it',
    hint: 'close the program that has it open (an editor, a terminal in that folder, an antivirus scan) and run linkplan again',
  },
  33: {
    name: 'ERROR_LOCK_VIOLATION',
    errno: 'EBUSY',
    text: 'another program has locked part of it',
    hint: 'close the program that has it open (an editor, a backup or sync tool, an antivirus scan) and run linkplan again',
  },
  50: {
    name: 'ERROR_NOT_SUPPORTED',
    errno: 'ENOTSUP',
    text: 'this filesystem does not support reparse points (junctions and symbolic links)',
    hint: 'put the link on an NTFS volume, or use a hard link for a file',
  },
  80: { name: 'ERROR_FILE_EXISTS', errno: 'EEXIST', text: 'something already exists there' },
  87: { name: 'ERROR_INVALID_PARAMETER', errno: 'EINVAL', text: 'Windows refused the request as invalid' },
  112: { name: 'ERROR_DISK_FULL', errno: 'ENOSPC', text: 'the volume is full', hint: 'free some space and run linkplan again' },
  123: { name: 'ERROR_INVALID_NAME', errno: 'EINVAL', text: 'the name is not valid on Windows' },
  145: {
    name: 'ERROR_DIR_NOT_EMPTY',
    errno: 'ENOTEMPTY',
    text: 'the folder is not empty',
    hint: 'linkplan never deletes what a folder holds: move its entries elsewhere first',
  },
  183: { name: 'ERROR_ALREADY_EXISTS', errno: 'EEXIST', text: 'something already exists there' },
  206: { name: 'ERROR_FILENAME_EXCED_RANGE', errno: 'ENAMETOOLONG', text: 'the path is too long' },
  267: { name: 'ERROR_DIRECTORY', errno: 'ENOTDIR', text: 'not a folder' },
  1142: {
    name: 'ERROR_TOO_MANY_LINKS',
    errno: 'EMLINK',
    text: 'the target file already has 1024 names, the most NTFS allows for hard links',
    hint: 'use a symbolic link instead, or link to a copy of the file',
  },
  1314: {
    name: 'ERROR_PRIVILEGE_NOT_HELD',
    errno: 'EPERM',
    text: 'this user may not create symbolic links',
    hint: DEVELOPER_MODE,
  },
  4390: { name: 'ERROR_NOT_A_REPARSE_POINT', errno: 'EINVAL', text: 'it is not a reparse point (no link is there)' },
  4392: { name: 'ERROR_INVALID_REPARSE_DATA', errno: 'EINVAL', text: 'Windows refused the reparse data as malformed' },
  4393: {
    name: 'ERROR_REPARSE_TAG_MISMATCH',
    errno: 'EINVAL',
    text: 'the entry is a reparse point of another kind, which cannot be rewritten as this link',
  },
};

/** How to enable symbolic links for a user who may not make them. */
export const SYMLINK_PRIVILEGE_NOTE = `this user may not create symbolic links on Windows: ${DEVELOPER_MODE}`;

/** What Win32 error `code` means, with a hint where there is one; unknown codes are named by number. */
export function win32ErrorInfo(code: number): Win32ErrorInfo {
  return KNOWN[code] ?? { name: `error ${code}`, errno: 'EIO', text: `Windows error ${code}` };
}

/** `notepad.exe (pid 123), Steam (pid 4312)`. */
function holderList(holders: readonly Holder[]): string {
  return holders.map((h) => `${h.name} (pid ${h.pid})`).join(', ');
}

/**
 * What Win32 error `code` means when `holders` (at least one) hold the entry open: the words name
 * them, and the hint says to close them; without holders, win32ErrorInfo's words.
 */
export function inUseInfo(code: number, holders: readonly Holder[] | undefined): Win32ErrorInfo {
  const info = win32ErrorInfo(code);
  if (holders === undefined || holders.length === 0 || (code !== 5 && code !== 32 && code !== 33)) return info;
  const list = holderList(holders);
  const text = code === 5 ? `${info.text}: another program is using it: ${list}` : `${info.text}: ${list}`;
  const hint = `close ${list} (or wait until ${holders.length === 1 ? 'it lets' : 'they let'} go of it), then run linkplan again`;
  return { ...info, text, hint };
}

/**
 * A DriverError for Win32 error `code` while doing `what` at `path`: `path: what (text; ERROR_NAME 5)`
 * plus the hint. For a file in use, the programs holding it are named: `opts.holders` when given
 * (undefined: cannot tell), else asked of Windows (see holders.ts).
 */
export function win32Error(path: string, what: string, opts: { code: number; holders?: readonly Holder[] | undefined }): DriverError {
  const code = opts.code;
  const info = inUseInfo(code, 'holders' in opts ? opts.holders : holdersFor(path, { code }));
  const tail = info.name.startsWith('ERROR_') ? `${info.name} ${code}` : `Win32 ${info.name}`;
  return new DriverError(path, `${what} (${info.text}; ${tail})`, { code: info.errno, ...(info.hint === undefined ? {} : { hint: info.hint }) });
}
