/**
 * The Win32 calls of the Windows driver, through koffi: the only file of the Windows driver that
 * imports koffi. One line per prototype (as the Windows SDK headers declare it, like Go's x/sys
 * `//sys` lines), the constants, and the structures they fill; nothing else. kernel32 gives the
 * documented Win32 calls; ntdll gives the few that act on a name relative to an open folder
 * handle (NtCreateFile with OBJECT_ATTRIBUTES.RootDirectory, NtSetInformationFile for a rename
 * or a hard link into a folder handle), which Win32 has no path-free form of, and
 * RtlNtStatusToDosError, which turns their NTSTATUS into the Win32 code errors.ts knows; rstrtmgr
 * (the Restart Manager) names the processes that hold a file open, for holders.ts. koffi
 * and each DLL are loaded on first use, and each function is bound on its first call, so a
 * function that Wine or an older Windows lacks (FindFirstFileNameW: Wine 8 has none) fails only
 * where it is called, with a Win32MissingError naming it. Errors: GetLastError is bound like the
 * rest and must be called right after the failing call, before anything else runs (koffi keeps
 * the value from Node's and V8's own Win32 calls in between: koffi 2.6.10 and later).
 */
import { createRequire } from 'node:module';
import type koffiModule from 'koffi';

type Koffi = typeof koffiModule;

// ---------------------------------------------------------------------------------------------
// Constants (winnt.h, fileapi.h, winioctl.h, winbase.h, minwinbase.h)
// ---------------------------------------------------------------------------------------------

export const GENERIC_READ = 0x80000000;
export const GENERIC_WRITE = 0x40000000;
export const FILE_READ_ATTRIBUTES = 0x0080;
export const FILE_WRITE_ATTRIBUTES = 0x0100;
export const DELETE = 0x00010000;
export const SYNCHRONIZE = 0x00100000;
/** A folder's FILE_READ_DATA: an open with it takes part in sharing checks (one with attributes only does not). */
export const FILE_LIST_DIRECTORY = 0x0001;
export const FILE_TRAVERSE = 0x0020;
/** A file's data: read, and written (the same bits as FILE_LIST_DIRECTORY and FILE_ADD_FILE of a folder). */
export const FILE_READ_DATA = 0x0001;
export const FILE_WRITE_DATA = 0x0002;
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const FILE_SHARE_DELETE = 0x4;
export const OPEN_EXISTING = 3;
export const FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000;
export const FILE_FLAG_BACKUP_SEMANTICS = 0x02000000;
export const FILE_ATTRIBUTE_READONLY = 0x1;
export const FILE_ATTRIBUTE_HIDDEN = 0x2;
export const FILE_ATTRIBUTE_SYSTEM = 0x4;
export const FILE_ATTRIBUTE_ARCHIVE = 0x20;
/** Attributes a tree copy does not keep (the copy is neither compressed nor encrypted): see copy.ts. */
export const FILE_ATTRIBUTE_COMPRESSED = 0x800;
export const FILE_ATTRIBUTE_ENCRYPTED = 0x4000;
export const FILE_ATTRIBUTE_DIRECTORY = 0x10;
export const FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
export const INVALID_FILE_ATTRIBUTES = 0xffffffff;
export const ERROR_ACCESS_DENIED = 5;
export const FSCTL_SET_REPARSE_POINT = 0x000900a4;
export const FSCTL_GET_REPARSE_POINT = 0x000900a8;
export const FSCTL_DELETE_REPARSE_POINT = 0x000900ac;
export const MAXIMUM_REPARSE_DATA_BUFFER_SIZE = 16384;
export const SYMBOLIC_LINK_FLAG_DIRECTORY = 0x1;
export const SYMBOLIC_LINK_FLAG_ALLOW_UNPRIVILEGED_CREATE = 0x2;
/** FINDEX_INFO_LEVELS: FindExInfoBasic (no 8.3 name). */
export const FindExInfoBasic = 1;
/** FINDEX_SEARCH_OPS: FindExSearchNameMatch. */
export const FindExSearchNameMatch = 0;
export const FIND_FIRST_EX_LARGE_FETCH = 0x2;
/** FILE_INFO_BY_HANDLE_CLASS: FileAttributeTagInfo. */
export const FileAttributeTagInfo = 9;
/** FILE_INFO_BY_HANDLE_CLASS: FileDispositionInfo. */
export const FileDispositionInfo = 4;
/** FILE_INFO_BY_HANDLE_CLASS: FileBasicInfo (attributes and times; a time of 0 is left as it is). */
export const FileBasicInfo = 0;
/** FILE_INFO_BY_HANDLE_CLASS: a folder's entries by handle, from the start (Restart) or on. */
export const FileFullDirectoryInfo = 14;
export const FileFullDirectoryRestartInfo = 15;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
/** FILE_SYSTEM_FLAGS (GetVolumeInformation*): the volume holds reparse points (junctions, symbolic links). */
export const FILE_SUPPORTS_REPARSE_POINTS = 0x80;
/** GetFinalPathNameByHandleW flags: FILE_NAME_NORMALIZED | VOLUME_NAME_DOS. */
export const FILE_NAME_NORMALIZED = 0x0;
export const VOLUME_NAME_DOS = 0x0;
export const VOLUME_NAME_GUID = 0x1;
export const MAX_PATH = 260;
/** What CreateFileW and the FindFirst* calls return on failure, as an intptr_t. */
export const INVALID_HANDLE_VALUE = -1;

// NtCreateFile (winternl.h): dispositions, options, and OBJECT_ATTRIBUTES.Attributes.
export const FILE_OPEN = 1;
export const FILE_CREATE = 2;
export const FILE_DIRECTORY_FILE = 0x1;
export const FILE_SYNCHRONOUS_IO_NONALERT = 0x20;
export const FILE_NON_DIRECTORY_FILE = 0x40;
export const FILE_OPEN_FOR_BACKUP_INTENT = 0x4000;
/** NtCreateFile's option: open the entry itself, never what a link at it leads to. */
export const FILE_OPEN_REPARSE_POINT = 0x00200000;
export const OBJ_CASE_INSENSITIVE = 0x40;
/** FILE_INFORMATION_CLASS (NtSetInformationFile): a new name, and another name (a hard link). */
export const FileRenameInformation = 10;
export const FileLinkInformation = 11;

// Win32 error codes (winerror.h) the driver tests for by value.
export const ERROR_FILE_NOT_FOUND = 2;
export const ERROR_PATH_NOT_FOUND = 3;
export const ERROR_NO_MORE_FILES = 18;
export const ERROR_HANDLE_EOF = 38;
export const ERROR_NOT_SUPPORTED = 50;
export const ERROR_INVALID_PARAMETER = 87;
export const ERROR_INSUFFICIENT_BUFFER = 122;
export const ERROR_MORE_DATA = 234;
export const ERROR_PRIVILEGE_NOT_HELD = 1314;
export const ERROR_NOT_A_REPARSE_POINT = 4390;
/** A loop of links on the way (POSIX's ELOOP). */
export const ERROR_CANT_RESOLVE_FILENAME = 1921;
/** Another process has the file open without sharing, or holds a lock on a range of it. */
export const ERROR_SHARING_VIOLATION = 32;
export const ERROR_LOCK_VIOLATION = 33;

// Restart Manager (restartmanager.h): who holds a file open.
/** The characters of a session key, without its NUL (RmStartSession writes CCH_RM_SESSION_KEY + 1). */
export const CCH_RM_SESSION_KEY = 32;
export const CCH_RM_MAX_APP_NAME = 255;
export const CCH_RM_MAX_SVC_NAME = 63;
/** RM_APP_TYPE: a Windows service (strServiceShortName names it). */
export const RmService = 3;

// ---------------------------------------------------------------------------------------------
// Types and structures
// ---------------------------------------------------------------------------------------------

/** Names of the SDK's types, as koffi aliases (BOOL is an int, not C's bool). */
const ALIASES = { BOOL: 'int', BOOLEAN: 'uint8_t', DWORD: 'uint32_t', HANDLE: 'intptr_t', LPCWSTR: 'const char16_t *', NTSTATUS: 'int32_t', UINT: 'uint32_t', USHORT: 'uint16_t' } as const;

/** The structures the calls fill, member by member in declaration order, as koffi declares them. */
export const STRUCTS = {
  FILETIME: { dwLowDateTime: 'DWORD', dwHighDateTime: 'DWORD' },
  BY_HANDLE_FILE_INFORMATION: {
    dwFileAttributes: 'DWORD',
    ftCreationTime: 'FILETIME',
    ftLastAccessTime: 'FILETIME',
    ftLastWriteTime: 'FILETIME',
    dwVolumeSerialNumber: 'DWORD',
    nFileSizeHigh: 'DWORD',
    nFileSizeLow: 'DWORD',
    nNumberOfLinks: 'DWORD',
    nFileIndexHigh: 'DWORD',
    nFileIndexLow: 'DWORD',
  },
  FILE_ATTRIBUTE_TAG_INFO: { FileAttributes: 'DWORD', ReparseTag: 'DWORD' },
  FILE_DISPOSITION_INFO: { DeleteFile: 'BOOLEAN' },
  FILE_BASIC_INFO: { CreationTime: 'int64_t', LastAccessTime: 'int64_t', LastWriteTime: 'int64_t', ChangeTime: 'int64_t', FileAttributes: 'DWORD' },
  /** One entry of a folder listed by handle (read by hand at these offsets; EaSize holds the reparse tag of a reparse point). */
  FILE_FULL_DIR_INFO: {
    NextEntryOffset: 'DWORD',
    FileIndex: 'DWORD',
    CreationTime: 'int64_t',
    LastAccessTime: 'int64_t',
    LastWriteTime: 'int64_t',
    ChangeTime: 'int64_t',
    EndOfFile: 'int64_t',
    AllocationSize: 'int64_t',
    FileAttributes: 'DWORD',
    FileNameLength: 'DWORD',
    EaSize: 'DWORD',
    FileName: 'char16_t[1]',
  },
  /** A counted UTF-16 name (Length and MaximumLength in bytes, no NUL needed). */
  UNICODE_STRING: { Length: 'USHORT', MaximumLength: 'USHORT', Buffer: 'const char16_t *' },
  /** RootDirectory: the open folder ObjectName is relative to. */
  OBJECT_ATTRIBUTES: {
    Length: 'DWORD',
    RootDirectory: 'HANDLE',
    ObjectName: 'UNICODE_STRING *',
    Attributes: 'DWORD',
    SecurityDescriptor: 'void *',
    SecurityQualityOfService: 'void *',
  },
  /** (Status shares a union with a pointer: pointer-sized) */
  IO_STATUS_BLOCK: { Status: 'intptr_t', Information: 'uintptr_t' },
  /**
   * Both classes take this one layout, the name's UTF-16 following at FileName (the structure is
   * filled by hand in a buffer of the right length at these offsets: see relative.ts).
   */
  FILE_RENAME_INFORMATION: { ReplaceIfExists: 'BOOLEAN', RootDirectory: 'HANDLE', FileNameLength: 'DWORD', FileName: 'char16_t[1]' },
  FILE_LINK_INFORMATION: { ReplaceIfExists: 'BOOLEAN', RootDirectory: 'HANDLE', FileNameLength: 'DWORD', FileName: 'char16_t[1]' },
  WIN32_FIND_DATAW: {
    dwFileAttributes: 'DWORD',
    ftCreationTime: 'FILETIME',
    ftLastAccessTime: 'FILETIME',
    ftLastWriteTime: 'FILETIME',
    nFileSizeHigh: 'DWORD',
    nFileSizeLow: 'DWORD',
    dwReserved0: 'DWORD',
    dwReserved1: 'DWORD',
    cFileName: 'char16_t[260]',
    cAlternateFileName: 'char16_t[14]',
  },
  /** A process, told apart from a later one given the same id by its start time. */
  RM_UNIQUE_PROCESS: { dwProcessId: 'DWORD', ProcessStartTime: 'FILETIME' },
  /** One process RmGetList names (read by hand at these offsets from an array of them). */
  RM_PROCESS_INFO: {
    Process: 'RM_UNIQUE_PROCESS',
    strAppName: 'char16_t[256]',
    strServiceShortName: 'char16_t[64]',
    ApplicationType: 'int',
    AppStatus: 'DWORD',
    TSSessionId: 'DWORD',
    bRestartable: 'BOOL',
  },
} as const;

export interface ByHandleFileInformation {
  dwFileAttributes: number;
  dwVolumeSerialNumber: number;
  nFileSizeHigh: number;
  nFileSizeLow: number;
  nNumberOfLinks: number;
  nFileIndexHigh: number;
  nFileIndexLow: number;
}

export interface FileAttributeTagInfo {
  FileAttributes: number;
  ReparseTag: number;
}

export interface UnicodeString {
  Length: number;
  MaximumLength: number;
  Buffer: string;
}

export interface ObjectAttributes {
  Length: number;
  RootDirectory: number;
  ObjectName: UnicodeString;
  Attributes: number;
  SecurityDescriptor: null;
  SecurityQualityOfService: null;
}

export interface Win32FindDataW {
  dwFileAttributes: number;
  nFileSizeHigh: number;
  nFileSizeLow: number;
  /** The reparse tag when dwFileAttributes has FILE_ATTRIBUTE_REPARSE_POINT. */
  dwReserved0: number;
  cFileName: string;
}

// ---------------------------------------------------------------------------------------------
// Prototypes (kernel32)
// ---------------------------------------------------------------------------------------------

export const PROTOTYPES = {
  GetLastError: 'DWORD __stdcall GetLastError()',
  CreateFileW: 'HANDLE __stdcall CreateFileW(LPCWSTR lpFileName, DWORD dwDesiredAccess, DWORD dwShareMode, void *lpSecurityAttributes, DWORD dwCreationDisposition, DWORD dwFlagsAndAttributes, HANDLE hTemplateFile)',
  CloseHandle: 'BOOL __stdcall CloseHandle(HANDLE hObject)',
  DeviceIoControl: 'BOOL __stdcall DeviceIoControl(HANDLE hDevice, DWORD dwIoControlCode, const void *lpInBuffer, DWORD nInBufferSize, _Out_ void *lpOutBuffer, DWORD nOutBufferSize, _Out_ DWORD *lpBytesReturned, void *lpOverlapped)',
  GetFileInformationByHandle: 'BOOL __stdcall GetFileInformationByHandle(HANDLE hFile, _Out_ BY_HANDLE_FILE_INFORMATION *lpFileInformation)',
  GetFileInformationByHandleEx: 'BOOL __stdcall GetFileInformationByHandleEx(HANDLE hFile, int FileInformationClass, _Out_ void *lpFileInformation, DWORD dwBufferSize)',
  SetFileInformationByHandle: 'BOOL __stdcall SetFileInformationByHandle(HANDLE hFile, int FileInformationClass, const void *lpFileInformation, DWORD dwBufferSize)',
  GetFileAttributesW: 'DWORD __stdcall GetFileAttributesW(LPCWSTR lpFileName)',
  SetFileAttributesW: 'BOOL __stdcall SetFileAttributesW(LPCWSTR lpFileName, DWORD dwFileAttributes)',
  FindFirstFileNameW: 'HANDLE __stdcall FindFirstFileNameW(LPCWSTR lpFileName, DWORD dwFlags, _Inout_ DWORD *StringLength, _Out_ void *LinkName)',
  FindNextFileNameW: 'BOOL __stdcall FindNextFileNameW(HANDLE hFindStream, _Inout_ DWORD *StringLength, _Out_ void *LinkName)',
  FindClose: 'BOOL __stdcall FindClose(HANDLE hFindFile)',
  FindFirstFileExW: 'HANDLE __stdcall FindFirstFileExW(LPCWSTR lpFileName, int fInfoLevelId, _Out_ WIN32_FIND_DATAW *lpFindFileData, int fSearchOp, void *lpSearchFilter, DWORD dwAdditionalFlags)',
  FindNextFileW: 'BOOL __stdcall FindNextFileW(HANDLE hFindFile, _Out_ WIN32_FIND_DATAW *lpFindFileData)',
  CreateSymbolicLinkW: 'BOOLEAN __stdcall CreateSymbolicLinkW(LPCWSTR lpSymlinkFileName, LPCWSTR lpTargetFileName, DWORD dwFlags)',
  ReadFile: 'BOOL __stdcall ReadFile(HANDLE hFile, _Out_ void *lpBuffer, DWORD nNumberOfBytesToRead, _Out_ DWORD *lpNumberOfBytesRead, void *lpOverlapped)',
  WriteFile: 'BOOL __stdcall WriteFile(HANDLE hFile, const void *lpBuffer, DWORD nNumberOfBytesToWrite, _Out_ DWORD *lpNumberOfBytesWritten, void *lpOverlapped)',
  FlushFileBuffers: 'BOOL __stdcall FlushFileBuffers(HANDLE hFile)',
  GetDiskFreeSpaceExW: 'BOOL __stdcall GetDiskFreeSpaceExW(LPCWSTR lpDirectoryName, _Out_ uint64_t *lpFreeBytesAvailableToCaller, _Out_ uint64_t *lpTotalNumberOfBytes, _Out_ uint64_t *lpTotalNumberOfFreeBytes)',
  RemoveDirectoryW: 'BOOL __stdcall RemoveDirectoryW(LPCWSTR lpPathName)',
  DeleteFileW: 'BOOL __stdcall DeleteFileW(LPCWSTR lpFileName)',
  GetFinalPathNameByHandleW: 'DWORD __stdcall GetFinalPathNameByHandleW(HANDLE hFile, _Out_ void *lpszFilePath, DWORD cchFilePath, DWORD dwFlags)',
  GetVolumePathNameW: 'BOOL __stdcall GetVolumePathNameW(LPCWSTR lpszFileName, _Out_ void *lpszVolumePathName, DWORD cchBufferLength)',
  GetVolumeNameForVolumeMountPointW: 'BOOL __stdcall GetVolumeNameForVolumeMountPointW(LPCWSTR lpszVolumeMountPoint, _Out_ void *lpszVolumeName, DWORD cchBufferLength)',
  GetVolumeInformationByHandleW: 'BOOL __stdcall GetVolumeInformationByHandleW(HANDLE hFile, _Out_ void *lpVolumeNameBuffer, DWORD nVolumeNameSize, _Out_ DWORD *lpVolumeSerialNumber, _Out_ DWORD *lpMaximumComponentLength, _Out_ DWORD *lpFileSystemFlags, _Out_ void *lpFileSystemNameBuffer, DWORD nFileSystemNameSize)',
  // ntdll (winternl.h)
  NtCreateFile: 'NTSTATUS __stdcall NtCreateFile(_Out_ HANDLE *FileHandle, DWORD DesiredAccess, OBJECT_ATTRIBUTES *ObjectAttributes, _Out_ IO_STATUS_BLOCK *IoStatusBlock, void *AllocationSize, DWORD FileAttributes, DWORD ShareAccess, DWORD CreateDisposition, DWORD CreateOptions, void *EaBuffer, DWORD EaLength)',
  NtSetInformationFile: 'NTSTATUS __stdcall NtSetInformationFile(HANDLE FileHandle, _Out_ IO_STATUS_BLOCK *IoStatusBlock, const void *FileInformation, DWORD Length, int FileInformationClass)',
  RtlNtStatusToDosError: 'DWORD __stdcall RtlNtStatusToDosError(NTSTATUS Status)',
  // rstrtmgr (restartmanager.h): each returns a Win32 error code (0: done)
  RmStartSession: 'DWORD __stdcall RmStartSession(_Out_ DWORD *pSessionHandle, DWORD dwSessionFlags, _Out_ void *strSessionKey)',
  RmRegisterResources: 'DWORD __stdcall RmRegisterResources(DWORD dwSessionHandle, UINT nFiles, const char16_t **rgsFileNames, UINT nApplications, void *rgApplications, UINT nServices, void *rgsServiceNames)',
  RmGetList: 'DWORD __stdcall RmGetList(DWORD dwSessionHandle, _Out_ UINT *pnProcInfoNeeded, _Inout_ UINT *pnProcInfo, _Out_ void *rgAffectedApps, _Out_ DWORD *lpdwRebootReasons)',
  RmEndSession: 'DWORD __stdcall RmEndSession(DWORD dwSessionHandle)',
} as const;

type Dll = 'kernel32.dll' | 'ntdll.dll' | 'rstrtmgr.dll';

/** The DLL of each function that is not kernel32's. */
const DLL_OF: Readonly<Record<string, Dll>> = {
  NtCreateFile: 'ntdll.dll',
  NtSetInformationFile: 'ntdll.dll',
  RtlNtStatusToDosError: 'ntdll.dll',
  RmStartSession: 'rstrtmgr.dll',
  RmRegisterResources: 'rstrtmgr.dll',
  RmGetList: 'rstrtmgr.dll',
  RmEndSession: 'rstrtmgr.dll',
};
const dllOf = (fn: string): Dll => DLL_OF[fn] ?? 'kernel32.dll';

/** The calls as JavaScript sees them (a BOOL is a number: 0 is failure). */
export interface Kernel32 {
  GetLastError(): number;
  CreateFileW(name: string, access: number, share: number, sa: null, disposition: number, flags: number, template: number): number;
  CloseHandle(h: number): number;
  DeviceIoControl(h: number, code: number, inBuf: Buffer | null, inSize: number, outBuf: Buffer | null, outSize: number, returned: [number], overlapped: null): number;
  GetFileInformationByHandle(h: number, info: Partial<ByHandleFileInformation>): number;
  GetFileInformationByHandleEx(h: number, cls: number, info: Buffer, size: number): number;
  SetFileInformationByHandle(h: number, cls: number, info: Buffer, size: number): number;
  GetFileAttributesW(name: string): number;
  SetFileAttributesW(name: string, attributes: number): number;
  FindFirstFileNameW(name: string, flags: number, length: [number], linkName: Buffer): number;
  FindNextFileNameW(h: number, length: [number], linkName: Buffer): number;
  FindClose(h: number): number;
  FindFirstFileExW(name: string, level: number, data: Partial<Win32FindDataW>, op: number, filter: null, flags: number): number;
  FindNextFileW(h: number, data: Partial<Win32FindDataW>): number;
  CreateSymbolicLinkW(link: string, target: string, flags: number): number;
  ReadFile(h: number, buf: Buffer, size: number, read: [number], overlapped: null): number;
  WriteFile(h: number, buf: Buffer, size: number, written: [number], overlapped: null): number;
  FlushFileBuffers(h: number): number;
  /** (the counts come back as number or bigint, as koffi gives a uint64_t) */
  GetDiskFreeSpaceExW(name: string, available: [number | bigint], total: [number | bigint], free: [number | bigint]): number;
  RemoveDirectoryW(name: string): number;
  DeleteFileW(name: string): number;
  GetFinalPathNameByHandleW(h: number, out: Buffer, chars: number, flags: number): number;
  GetVolumePathNameW(name: string, out: Buffer, chars: number): number;
  GetVolumeNameForVolumeMountPointW(mountPoint: string, out: Buffer, chars: number): number;
  GetVolumeInformationByHandleW(h: number, name: Buffer | null, nameChars: number, serial: [number], maxComponent: [number], flags: [number], fsName: Buffer, fsNameChars: number): number;
  /** An NTSTATUS: negative on failure (NT_SUCCESS is >= 0). */
  NtCreateFile(handle: [number], access: number, attributes: ObjectAttributes, io: Record<string, never>, allocation: null, fileAttributes: number, share: number, disposition: number, options: number, ea: null, eaLength: number): number;
  NtSetInformationFile(h: number, io: Record<string, never>, info: Buffer, length: number, cls: number): number;
  RtlNtStatusToDosError(status: number): number;
  RmStartSession(session: [number], flags: number, key: Buffer): number;
  RmRegisterResources(session: number, nFiles: number, files: string[], nApps: number, apps: null, nServices: number, services: null): number;
  RmGetList(session: number, needed: [number], count: [number], infos: Buffer | null, reasons: [number]): number;
  RmEndSession(session: number): number;
}

export type Win32Function = keyof typeof PROTOTYPES;

// ---------------------------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------------------------

/** A Win32 function this system's kernel32 (or ntdll, rstrtmgr) does not export, or whose DLL does not load (Wine, an older Windows). */
export class Win32MissingError extends Error {
  constructor(readonly fn: string, cause: unknown) {
    super(`${fn}: ${dllOf(fn).replace(/\.dll$/, '')} on this system has no such function`, { cause });
    this.name = 'Win32MissingError';
  }
}

type Lib = ReturnType<Koffi['load']>;
let koffi: Koffi | undefined;
const libs = new Map<string, Lib>();
const bound = new Map<string, (...args: never[]) => unknown>();

/** koffi with the types declared (once; no DLL needed, so the layouts can be read on any OS). */
function declared(): Koffi {
  if (koffi === undefined) {
    const k = createRequire(import.meta.url)('koffi') as Koffi;
    for (const [name, type] of Object.entries(ALIASES)) k.alias(name, type);
    for (const [name, members] of Object.entries(STRUCTS)) k.struct(name, members);
    koffi = k;
  }
  return koffi;
}

/** The DLL `dll` loaded (once), with koffi's types declared. */
function load(dll: Dll = 'kernel32.dll'): Lib {
  const k = declared();
  let lib = libs.get(dll);
  if (lib === undefined) {
    lib = k.load(dll);
    libs.set(dll, lib);
  }
  return lib;
}

/** DLL `dll` for `fn`, a Win32MissingError when it does not load. */
function loadOptional(fn: Win32Function, dll: Dll): Lib {
  try {
    return load(dll);
  } catch (e) {
    throw new Win32MissingError(fn, e);
  }
}

/** Binds `fn` on its first call; throws Win32MissingError when its DLL lacks it. */
function bind(fn: Win32Function): (...args: never[]) => unknown {
  let f = bound.get(fn);
  if (f === undefined) {
    const dll = dllOf(fn);
    // (kernel32 and ntdll are always there; rstrtmgr is loaded only when a holder is looked up)
    const lib = dll === 'rstrtmgr.dll' ? loadOptional(fn, dll) : load(dll);
    try {
      f = lib.func(PROTOTYPES[fn]);
    } catch (e) {
      throw new Win32MissingError(fn, e);
    }
    bound.set(fn, f);
  }
  return f;
}

/** kernel32's (and ntdll's) calls, each bound on first use. */
export const kernel32: Kernel32 = Object.fromEntries(
  (Object.keys(PROTOTYPES) as Win32Function[]).map((fn) => [fn, (...args: never[]) => bind(fn)(...args)]),
) as unknown as Kernel32;

/** Binds every function now: the ones this system lacks, by name (none on Windows 10; FindFirstFileNameW and friends on Wine 8). */
export function missingFunctions(): Win32Function[] {
  const missing: Win32Function[] = [];
  for (const fn of Object.keys(PROTOTYPES) as Win32Function[]) {
    try {
      bind(fn);
    } catch (e) {
      if (!(e instanceof Win32MissingError)) throw e;
      missing.push(fn);
    }
  }
  return missing;
}

/** The byte offset koffi gives `member` of structure `name` (for the structures filled by hand). */
export function offsetOf(name: keyof typeof STRUCTS, member: string): number {
  return declared().offsetof(name, member);
}

/** The size koffi gives structure `name`. */
export function sizeOf(name: keyof typeof STRUCTS): number {
  return declared().sizeof(name);
}

/** The size and member offsets koffi gives each structure, for checking against the SDK headers. */
export function structLayouts(): Record<string, { size: number; offsets: Record<string, number> }> {
  const k = declared();
  return Object.fromEntries(
    Object.entries(STRUCTS).map(([name, members]) => [
      name,
      { size: k.sizeof(name), offsets: Object.fromEntries(Object.keys(members).map((m) => [m, k.offsetof(name, m)])) },
    ]),
  );
}
