// Pure codec for NTFS reparse data (REPARSE_DATA_BUFFER and REPARSE_GUID_DATA_BUFFER, [MS-FSCC]
// 2.1.2): it turns the raw bytes that FSCTL_GET_REPARSE_POINT returns (or that ntfs-3g exposes as
// the `system.ntfs_reparse_data` extended attribute) into a typed description of a junction, volume
// mount point, symbolic link, app execution alias, WSL symlink or any other tagged entry, and builds
// the bytes FSCTL_SET_REPARSE_POINT expects for junctions and symbolic links the way `mklink /J` and
// `mklink` lay them out. It does no I/O and behaves the same on every OS; every malformed buffer is
// reported as a ReparseDecodeError and every unusable encoder input as a ReparseEncodeError.

// ---------------------------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------------------------

/** Largest reparse buffer (header included) NTFS stores or returns: 16 KiB. */
export const MAXIMUM_REPARSE_DATA_BUFFER_SIZE = 16384;
/** Size of the ReparseTag + ReparseDataLength + Reserved header of every reparse buffer. */
export const REPARSE_DATA_BUFFER_HEADER_SIZE = 8;
/** Header size of a third-party buffer: the 8-byte header followed by the 16-byte ReparseGuid. */
export const REPARSE_GUID_DATA_BUFFER_HEADER_SIZE = 24;
/** Symbolic link Flags bit: the substitute name is relative to the link's directory. */
export const SYMLINK_FLAG_RELATIVE = 0x00000001;
/** Version field of the app execution alias buffers Windows writes. */
export const APPEXECLINK_VERSION = 3;
/** Version field of WSL symlink buffers. */
export const LX_SYMLINK_VERSION = 2;

// Reparse tags, [MS-FSCC] 2.1.2.1 (plus DATALESS_CIM from the Windows SDK headers).
export const IO_REPARSE_TAG_RESERVED_ZERO = 0x00000000;
export const IO_REPARSE_TAG_RESERVED_ONE = 0x00000001;
export const IO_REPARSE_TAG_RESERVED_TWO = 0x00000002;
export const IO_REPARSE_TAG_MOUNT_POINT = 0xa0000003;
export const IO_REPARSE_TAG_HSM = 0xc0000004;
export const IO_REPARSE_TAG_DRIVE_EXTENDER = 0x80000005;
export const IO_REPARSE_TAG_HSM2 = 0x80000006;
export const IO_REPARSE_TAG_SIS = 0x80000007;
export const IO_REPARSE_TAG_WIM = 0x80000008;
export const IO_REPARSE_TAG_CSV = 0x80000009;
export const IO_REPARSE_TAG_DFS = 0x8000000a;
export const IO_REPARSE_TAG_FILTER_MANAGER = 0x8000000b;
export const IO_REPARSE_TAG_SYMLINK = 0xa000000c;
export const IO_REPARSE_TAG_IIS_CACHE = 0xa0000010;
export const IO_REPARSE_TAG_DFSR = 0x80000012;
export const IO_REPARSE_TAG_DEDUP = 0x80000013;
export const IO_REPARSE_TAG_APPXSTRM = 0xc0000014;
export const IO_REPARSE_TAG_NFS = 0x80000014;
export const IO_REPARSE_TAG_FILE_PLACEHOLDER = 0x80000015;
export const IO_REPARSE_TAG_DFM = 0x80000016;
export const IO_REPARSE_TAG_WOF = 0x80000017;
export const IO_REPARSE_TAG_WCI = 0x80000018;
export const IO_REPARSE_TAG_WCI_1 = 0x90001018;
export const IO_REPARSE_TAG_GLOBAL_REPARSE = 0xa0000019;
export const IO_REPARSE_TAG_CLOUD = 0x9000001a;
export const IO_REPARSE_TAG_CLOUD_1 = 0x9000101a;
export const IO_REPARSE_TAG_CLOUD_2 = 0x9000201a;
export const IO_REPARSE_TAG_CLOUD_3 = 0x9000301a;
export const IO_REPARSE_TAG_CLOUD_4 = 0x9000401a;
export const IO_REPARSE_TAG_CLOUD_5 = 0x9000501a;
export const IO_REPARSE_TAG_CLOUD_6 = 0x9000601a;
export const IO_REPARSE_TAG_CLOUD_7 = 0x9000701a;
export const IO_REPARSE_TAG_CLOUD_8 = 0x9000801a;
export const IO_REPARSE_TAG_CLOUD_9 = 0x9000901a;
export const IO_REPARSE_TAG_CLOUD_A = 0x9000a01a;
export const IO_REPARSE_TAG_CLOUD_B = 0x9000b01a;
export const IO_REPARSE_TAG_CLOUD_C = 0x9000c01a;
export const IO_REPARSE_TAG_CLOUD_D = 0x9000d01a;
export const IO_REPARSE_TAG_CLOUD_E = 0x9000e01a;
export const IO_REPARSE_TAG_CLOUD_F = 0x9000f01a;
export const IO_REPARSE_TAG_APPEXECLINK = 0x8000001b;
export const IO_REPARSE_TAG_PROJFS = 0x9000001c;
export const IO_REPARSE_TAG_LX_SYMLINK = 0xa000001d;
export const IO_REPARSE_TAG_STORAGE_SYNC = 0x8000001e;
export const IO_REPARSE_TAG_WCI_TOMBSTONE = 0xa000001f;
export const IO_REPARSE_TAG_UNHANDLED = 0x80000020;
export const IO_REPARSE_TAG_ONEDRIVE = 0x80000021;
export const IO_REPARSE_TAG_PROJFS_TOMBSTONE = 0xa0000022;
export const IO_REPARSE_TAG_AF_UNIX = 0x80000023;
export const IO_REPARSE_TAG_LX_FIFO = 0x80000024;
export const IO_REPARSE_TAG_LX_CHR = 0x80000025;
export const IO_REPARSE_TAG_LX_BLK = 0x80000026;
export const IO_REPARSE_TAG_STORAGE_SYNC_FOLDER = 0x90000027;
export const IO_REPARSE_TAG_WCI_LINK = 0xa0000027;
export const IO_REPARSE_TAG_WCI_LINK_1 = 0xa0001027;
export const IO_REPARSE_TAG_DATALESS_CIM = 0xa0000028;

const TAG_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [IO_REPARSE_TAG_RESERVED_ZERO, 'RESERVED_ZERO'],
  [IO_REPARSE_TAG_RESERVED_ONE, 'RESERVED_ONE'],
  [IO_REPARSE_TAG_RESERVED_TWO, 'RESERVED_TWO'],
  [IO_REPARSE_TAG_MOUNT_POINT, 'MOUNT_POINT'],
  [IO_REPARSE_TAG_HSM, 'HSM'],
  [IO_REPARSE_TAG_DRIVE_EXTENDER, 'DRIVE_EXTENDER'],
  [IO_REPARSE_TAG_HSM2, 'HSM2'],
  [IO_REPARSE_TAG_SIS, 'SIS'],
  [IO_REPARSE_TAG_WIM, 'WIM'],
  [IO_REPARSE_TAG_CSV, 'CSV'],
  [IO_REPARSE_TAG_DFS, 'DFS'],
  [IO_REPARSE_TAG_FILTER_MANAGER, 'FILTER_MANAGER'],
  [IO_REPARSE_TAG_SYMLINK, 'SYMLINK'],
  [IO_REPARSE_TAG_IIS_CACHE, 'IIS_CACHE'],
  [IO_REPARSE_TAG_DFSR, 'DFSR'],
  [IO_REPARSE_TAG_DEDUP, 'DEDUP'],
  [IO_REPARSE_TAG_APPXSTRM, 'APPXSTRM'],
  [IO_REPARSE_TAG_NFS, 'NFS'],
  [IO_REPARSE_TAG_FILE_PLACEHOLDER, 'FILE_PLACEHOLDER'],
  [IO_REPARSE_TAG_DFM, 'DFM'],
  [IO_REPARSE_TAG_WOF, 'WOF'],
  [IO_REPARSE_TAG_WCI, 'WCI'],
  [IO_REPARSE_TAG_WCI_1, 'WCI_1'],
  [IO_REPARSE_TAG_GLOBAL_REPARSE, 'GLOBAL_REPARSE'],
  [IO_REPARSE_TAG_CLOUD, 'CLOUD'],
  [IO_REPARSE_TAG_CLOUD_1, 'CLOUD_1'],
  [IO_REPARSE_TAG_CLOUD_2, 'CLOUD_2'],
  [IO_REPARSE_TAG_CLOUD_3, 'CLOUD_3'],
  [IO_REPARSE_TAG_CLOUD_4, 'CLOUD_4'],
  [IO_REPARSE_TAG_CLOUD_5, 'CLOUD_5'],
  [IO_REPARSE_TAG_CLOUD_6, 'CLOUD_6'],
  [IO_REPARSE_TAG_CLOUD_7, 'CLOUD_7'],
  [IO_REPARSE_TAG_CLOUD_8, 'CLOUD_8'],
  [IO_REPARSE_TAG_CLOUD_9, 'CLOUD_9'],
  [IO_REPARSE_TAG_CLOUD_A, 'CLOUD_A'],
  [IO_REPARSE_TAG_CLOUD_B, 'CLOUD_B'],
  [IO_REPARSE_TAG_CLOUD_C, 'CLOUD_C'],
  [IO_REPARSE_TAG_CLOUD_D, 'CLOUD_D'],
  [IO_REPARSE_TAG_CLOUD_E, 'CLOUD_E'],
  [IO_REPARSE_TAG_CLOUD_F, 'CLOUD_F'],
  [IO_REPARSE_TAG_APPEXECLINK, 'APPEXECLINK'],
  [IO_REPARSE_TAG_PROJFS, 'PROJFS'],
  [IO_REPARSE_TAG_LX_SYMLINK, 'LX_SYMLINK'],
  [IO_REPARSE_TAG_STORAGE_SYNC, 'STORAGE_SYNC'],
  [IO_REPARSE_TAG_WCI_TOMBSTONE, 'WCI_TOMBSTONE'],
  [IO_REPARSE_TAG_UNHANDLED, 'UNHANDLED'],
  [IO_REPARSE_TAG_ONEDRIVE, 'ONEDRIVE'],
  [IO_REPARSE_TAG_PROJFS_TOMBSTONE, 'PROJFS_TOMBSTONE'],
  [IO_REPARSE_TAG_AF_UNIX, 'AF_UNIX'],
  [IO_REPARSE_TAG_LX_FIFO, 'LX_FIFO'],
  [IO_REPARSE_TAG_LX_CHR, 'LX_CHR'],
  [IO_REPARSE_TAG_LX_BLK, 'LX_BLK'],
  [IO_REPARSE_TAG_STORAGE_SYNC_FOLDER, 'STORAGE_SYNC_FOLDER'],
  [IO_REPARSE_TAG_WCI_LINK, 'WCI_LINK'],
  [IO_REPARSE_TAG_WCI_LINK_1, 'WCI_LINK_1'],
  [IO_REPARSE_TAG_DATALESS_CIM, 'DATALESS_CIM'],
]);

// ---------------------------------------------------------------------------------------------
// Tag helpers
// ---------------------------------------------------------------------------------------------

/**
 * Normalises a tag to an unsigned 32-bit number. Accepts the signed form too (some bindings declare
 * `dwReserved0` or the tag constants as int32); anything that is not a 32-bit integer is a RangeError.
 */
function u32Tag(tag: number): number {
  if (!Number.isInteger(tag) || tag < -0x80000000 || tag > 0xffffffff) {
    throw new RangeError(`reparse tag must be a 32-bit integer, got ${String(tag)}`);
  }
  return tag >>> 0;
}

/** `0x%08X` form of a tag. */
export function formatReparseTag(tag: number): string {
  return `0x${u32Tag(tag).toString(16).toUpperCase().padStart(8, '0')}`;
}

/**
 * The Microsoft name of a tag without its `IO_REPARSE_TAG_` prefix (`MOUNT_POINT`, `CLOUD_3`, ...),
 * or `0x%08X` for a tag Microsoft does not list (every third-party tag among them).
 */
export function reparseTagName(tag: number): string {
  return TAG_NAMES.get(u32Tag(tag)) ?? formatReparseTag(tag);
}

/** Bit 31: the tag is owned by Microsoft (its buffer has no GUID). */
export function isMicrosoftTag(tag: number): boolean {
  return (u32Tag(tag) & 0x80000000) !== 0;
}

/** Bit 29: the entry stands for another named entity (junctions, symlinks, WSL symlinks...). */
export function isNameSurrogate(tag: number): boolean {
  return (u32Tag(tag) & 0x20000000) !== 0;
}

/** Bit 28: a directory carrying this tag may have children. */
export function isDirectoryTag(tag: number): boolean {
  return (u32Tag(tag) & 0x10000000) !== 0;
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export type ReparseDecodeErrorCode =
  /** the argument is not a Uint8Array */
  | 'bad-input'
  /** fewer than the 8 header bytes */
  | 'short-header'
  /** more than MAXIMUM_REPARSE_DATA_BUFFER_SIZE bytes */
  | 'too-large'
  /** header + ReparseDataLength is not the buffer's length */
  | 'length-mismatch'
  /** a third-party (non-Microsoft) tag buffer too short to hold its GUID */
  | 'short-guid-header'
  /** the data is shorter than the fixed fields of its tag's layout */
  | 'short-data'
  /** a UTF-16 name starts at an odd byte offset */
  | 'odd-offset'
  /** a UTF-16 name or string list has an odd byte length */
  | 'odd-length'
  /** a name runs past the end of PathBuffer */
  | 'offset-out-of-range'
  /** an empty substitute name or WSL target: nothing to follow */
  | 'empty-name'
  /** a NUL character inside a substitute name or WSL target */
  | 'nul-in-name'
  /** an app execution alias or WSL symlink version this codec does not know */
  | 'bad-version'
  /** an app execution alias whose string list is unterminated, short or has unknown extra strings */
  | 'bad-string-list'
  /** a WSL symlink target that is not valid UTF-8 */
  | 'bad-utf8';

/** A reparse buffer that cannot be decoded. `message` reads `reparse buffer: what is wrong`. */
export class ReparseDecodeError extends Error {
  readonly code: ReparseDecodeErrorCode;

  constructor(code: ReparseDecodeErrorCode, what: string) {
    super(`reparse buffer: ${what}`);
    this.name = 'ReparseDecodeError';
    this.code = code;
  }
}

export type ReparseEncodeErrorCode =
  /** the target (or a required string) is empty */
  | 'empty-target'
  /** a relative path where an absolute one is needed (junctions; symlinks with relative: false) */
  | 'relative-target'
  /** an absolute path given with relative: true */
  | 'absolute-target'
  /** a UNC path as a junction target: junctions only reach local volumes */
  | 'unc-target'
  /** a path form this codec does not write (device paths other than drive, Volume{GUID} and UNC) */
  | 'unsupported-target'
  /** `.` or `..` inside an absolute path: Windows does not resolve them in NT paths */
  | 'dot-component'
  /** an empty component (`C:\a\\b`) inside an absolute path */
  | 'empty-component'
  /** a NUL character in a path, print name or string */
  | 'nul-character'
  /** the buffer would exceed MAXIMUM_REPARSE_DATA_BUFFER_SIZE */
  | 'too-large'
  /** a GUID string that is not `{xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}` */
  | 'bad-guid'
  /** a GUID with a Microsoft tag, or none with a third-party tag */
  | 'guid-mismatch'
  /** raw encoding asked for a tag that has its own kind (junction, symlink, ...), or a bad tag */
  | 'bad-tag'
  /** a version this codec does not write */
  | 'bad-version';

/** An encoder input that cannot become a valid reparse buffer. `message` reads `reparse buffer: ...`. */
export class ReparseEncodeError extends Error {
  readonly code: ReparseEncodeErrorCode;

  constructor(code: ReparseEncodeErrorCode, what: string) {
    super(`reparse buffer: ${what}`);
    this.name = 'ReparseEncodeError';
    this.code = code;
  }
}

// ---------------------------------------------------------------------------------------------
// Decoded shapes
// ---------------------------------------------------------------------------------------------

/** A junction (directory mount point) or a volume mount point. */
export interface MountPointReparse {
  readonly kind: 'mount-point';
  readonly tag: number;
  /** NT path the system follows, exactly as stored (`\??\C:\dir`). */
  readonly substituteName: string;
  /** Name for display, exactly as stored; may be empty. */
  readonly printName: string;
  /** Win32 form of the substitute name (`C:\dir`, `\\?\Volume{...}\`); see ntToWin32Path. */
  readonly target: string;
  /** The substitute name is the root of a volume by GUID (`\??\Volume{...}\`). */
  readonly isVolume: boolean;
}

/** A symbolic link. */
export interface SymlinkReparse {
  readonly kind: 'symlink';
  readonly tag: number;
  /** Path the system follows, exactly as stored (`\??\C:\file`, `..\dir`). */
  readonly substituteName: string;
  /** Name for display, exactly as stored; may be empty. */
  readonly printName: string;
  /** The raw Flags field. */
  readonly flags: number;
  /** Flags bit 0 (SYMLINK_FLAG_RELATIVE). */
  readonly relative: boolean;
  /** Relative: the substitute name as stored. Absolute: its Win32 form (`C:\x`, `\\server\share`). */
  readonly target: string;
}

/** An app execution alias (the WindowsApps `python.exe` kind). */
export interface AppExecLinkReparse {
  readonly kind: 'app-exec-link';
  readonly tag: number;
  readonly version: number;
  readonly packageId: string;
  readonly appUserModelId: string;
  /** The executable the alias starts. */
  readonly targetPath: string;
  /** Application type string (`0` for desktop bridge apps), when present. */
  readonly appType?: string;
}

/** A symlink made by WSL: its target is a Linux path. */
export interface LxSymlinkReparse {
  readonly kind: 'lx-symlink';
  readonly tag: number;
  readonly version: number;
  readonly target: string;
}

/** Any other tag: data that is not a link linkplan understands. */
export interface OtherReparse {
  readonly kind: 'other';
  readonly tag: number;
  /** reparseTagName(tag). */
  readonly tagName: string;
  /** ReparseGuid of a third-party tag, `{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}` (upper case). */
  readonly guid?: string;
  /** The bytes after the header (after the GUID for third-party tags); a copy. */
  readonly data: Uint8Array;
}

export type ReparsePoint =
  | MountPointReparse
  | SymlinkReparse
  | AppExecLinkReparse
  | LxSymlinkReparse
  | OtherReparse;

export interface DecodeReparseOptions {
  /**
   * Accept bytes after header + ReparseDataLength and ignore them (for callers that hand over the
   * whole FSCTL_GET_REPARSE_POINT output buffer instead of the returned byte count). Default false:
   * the buffer must be exactly as long as its header says.
   */
  readonly allowTrailingBytes?: boolean | undefined;
}

// ---------------------------------------------------------------------------------------------
// Path translation
// ---------------------------------------------------------------------------------------------

const NT_PREFIX = '\\??\\';
const GUID_BODY = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
const VOLUME_ROOT_NT = new RegExp(`^\\\\\\?\\?\\\\Volume\\{${GUID_BODY}\\}\\\\?$`, 'i');
const VOLUME_HEAD = new RegExp(`^Volume\\{${GUID_BODY}\\}`, 'i');
const DRIVE_ABSOLUTE = /^[A-Za-z]:\\/;

/**
 * Win32 form of an NT path as found in a substitute name:
 * `\??\C:\x` → `C:\x`; `\??\UNC\srv\share\x` → `\\srv\share\x`; any other `\??\rest` (volume GUID
 * paths among them) → `\\?\rest`; any other path starting with `\` (`\Device\...`) →
 * `\\?\GLOBALROOT\...`; a name without a leading backslash is returned unchanged.
 */
export function ntToWin32Path(nt: string): string {
  if (nt.startsWith(NT_PREFIX)) {
    const rest = nt.slice(NT_PREFIX.length);
    if (DRIVE_ABSOLUTE.test(rest)) return rest;
    if (/^UNC\\/i.test(rest)) return `\\\\${rest.slice(4)}`;
    return `\\\\?\\${rest}`;
  }
  if (nt.startsWith('\\')) return `\\\\?\\GLOBALROOT${nt}`;
  return nt;
}

type ParsedPath =
  | { readonly type: 'drive'; readonly nt: string; readonly plain: string }
  | { readonly type: 'volume'; readonly nt: string; readonly plain: string }
  | { readonly type: 'unc'; readonly nt: string; readonly plain: string }
  | { readonly type: 'relative'; readonly path: string };

function checkNoNul(s: string, what: string): void {
  if (s.includes('\0')) throw new ReparseEncodeError('nul-character', `${what} contains a NUL character`);
}

/** Components after the root of an absolute path: no `.`, `..` or empty ones (one trailing `\` allowed). */
function checkComponents(rest: string, original: string): void {
  if (rest === '') return;
  const parts = rest.split('\\');
  if (parts.at(-1) === '') parts.pop();
  for (const part of parts) {
    if (part === '') {
      throw new ReparseEncodeError('empty-component', `path "${original}" has an empty component`);
    }
    if (part === '.' || part === '..') {
      throw new ReparseEncodeError(
        'dot-component',
        `path "${original}" has a "${part}" component; resolve it before linking`,
      );
    }
  }
}

/** Classifies a link target (after `/` → `\`) into the absolute forms this codec writes, or relative. */
function parseTarget(input: string): ParsedPath {
  const p = input.replaceAll('/', '\\');
  let body: string | undefined;
  if (p.startsWith(NT_PREFIX)) body = p.slice(4);
  else if (p.startsWith('\\\\?\\') || p.startsWith('\\\\.\\')) body = p.slice(4);

  if (body !== undefined) {
    if (DRIVE_ABSOLUTE.test(body)) {
      checkComponents(body.slice(3), input);
      return { type: 'drive', nt: NT_PREFIX + body, plain: body };
    }
    const volume = VOLUME_HEAD.exec(body);
    if (volume) {
      const rest = body.slice(volume[0].length);
      if (!rest.startsWith('\\')) {
        throw new ReparseEncodeError(
          'unsupported-target',
          `volume path "${input}" must end its Volume{GUID} part with a backslash`,
        );
      }
      checkComponents(rest.slice(1), input);
      return { type: 'volume', nt: NT_PREFIX + body, plain: `\\\\?\\${body}` };
    }
    if (/^UNC\\/i.test(body)) return parseUnc(body.slice(4), input);
    throw new ReparseEncodeError(
      'unsupported-target',
      `path "${input}" is a device path that is not a drive, Volume{GUID} or UNC path`,
    );
  }
  if (p.startsWith('\\\\')) return parseUnc(p.slice(2), input);
  if (DRIVE_ABSOLUTE.test(p)) {
    checkComponents(p.slice(3), input);
    return { type: 'drive', nt: NT_PREFIX + p, plain: p };
  }
  return { type: 'relative', path: p };
}

function parseUnc(rest: string, original: string): ParsedPath {
  const [server = '', share = ''] = rest.split('\\');
  if (server === '' || share === '') {
    throw new ReparseEncodeError('unsupported-target', `UNC path "${original}" needs a server and a share`);
  }
  checkComponents(rest, original);
  return { type: 'unc', nt: `${NT_PREFIX}UNC\\${rest}`, plain: `\\\\${rest}` };
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(code: ReparseDecodeErrorCode, what: string): never {
  throw new ReparseDecodeError(code, what);
}

/** Reads one UTF-16LE name of PathBuffer, checking alignment and bounds. */
function readName(
  b: Buffer,
  pathStart: number,
  pathLength: number,
  offset: number,
  length: number,
  which: string,
): string {
  if (offset % 2 !== 0) fail('odd-offset', `${which} name offset ${offset} is odd`);
  if (length % 2 !== 0) fail('odd-length', `${which} name length ${length} is odd`);
  if (offset + length > pathLength) {
    fail(
      'offset-out-of-range',
      `${which} name (offset ${offset}, length ${length}) runs past PathBuffer's ${pathLength} bytes`,
    );
  }
  return b.toString('utf16le', pathStart + offset, pathStart + offset + length);
}

function checkSubstitute(name: string, what: string): void {
  if (name === '') fail('empty-name', `${what} is empty`);
  if (name.includes('\0')) fail('nul-in-name', `${what} contains a NUL character`);
}

function decodeNamePair(
  b: Buffer,
  end: number,
  fixed: number,
): { substituteName: string; printName: string } {
  const subOffset = b.readUInt16LE(8);
  const subLength = b.readUInt16LE(10);
  const printOffset = b.readUInt16LE(12);
  const printLength = b.readUInt16LE(14);
  const pathStart = REPARSE_DATA_BUFFER_HEADER_SIZE + fixed;
  const pathLength = end - pathStart;
  const substituteName = readName(b, pathStart, pathLength, subOffset, subLength, 'substitute');
  const printName = readName(b, pathStart, pathLength, printOffset, printLength, 'print');
  checkSubstitute(substituteName, 'substitute name');
  return { substituteName, printName };
}

function formatGuid(b: Buffer, at: number): string {
  const hex = (start: number, end: number): string => b.toString('hex', start, end);
  const d1 = b.readUInt32LE(at).toString(16).padStart(8, '0');
  const d2 = b.readUInt16LE(at + 4).toString(16).padStart(4, '0');
  const d3 = b.readUInt16LE(at + 6).toString(16).padStart(4, '0');
  const d4 = hex(at + 8, at + 10);
  const d5 = hex(at + 10, at + 16);
  return `{${d1}-${d2}-${d3}-${d4}-${d5}}`.toUpperCase();
}

function decodeAppExecLink(b: Buffer, tag: number, end: number): AppExecLinkReparse {
  const start = REPARSE_DATA_BUFFER_HEADER_SIZE;
  if (end - start < 4) fail('short-data', `app execution alias data is ${end - start} bytes, less than its 4-byte version`);
  const version = b.readUInt32LE(start);
  if (version !== APPEXECLINK_VERSION) {
    fail('bad-version', `app execution alias version ${version} is not ${APPEXECLINK_VERSION}`);
  }
  const listStart = start + 4;
  if ((end - listStart) % 2 !== 0) fail('odd-length', `app execution alias string list has an odd length`);
  const text = b.toString('utf16le', listStart, end);
  if (!text.endsWith('\0')) fail('bad-string-list', 'app execution alias string list is not NUL-terminated');
  const strings = text.slice(0, -1).split('\0');
  const [packageId = '', appUserModelId = '', targetPath = '', appType = '', ...extra] = strings;
  if (strings.length < 3) {
    fail('bad-string-list', `app execution alias has ${strings.length} strings, needs at least 3`);
  }
  if (extra.some((s) => s !== '')) {
    fail('bad-string-list', `app execution alias has ${strings.length} strings, more than the 4 known`);
  }
  if (packageId === '' || appUserModelId === '' || targetPath === '') {
    fail('bad-string-list', 'app execution alias has an empty package id, app id or target path');
  }
  return {
    kind: 'app-exec-link',
    tag,
    version,
    packageId,
    appUserModelId,
    targetPath,
    ...(appType === '' ? {} : { appType }),
  };
}

function decodeLxSymlink(b: Buffer, tag: number, end: number): LxSymlinkReparse {
  const start = REPARSE_DATA_BUFFER_HEADER_SIZE;
  if (end - start < 4) fail('short-data', `WSL symlink data is ${end - start} bytes, less than its 4-byte version`);
  const version = b.readUInt32LE(start);
  if (version !== LX_SYMLINK_VERSION) {
    fail('bad-version', `WSL symlink version ${version} is not ${LX_SYMLINK_VERSION}`);
  }
  let target: string;
  try {
    target = utf8.decode(b.subarray(start + 4, end));
  } catch {
    fail('bad-utf8', 'WSL symlink target is not valid UTF-8');
  }
  checkSubstitute(target, 'WSL symlink target');
  return { kind: 'lx-symlink', tag, version, target };
}

/**
 * Decodes a reparse buffer (REPARSE_DATA_BUFFER, or REPARSE_GUID_DATA_BUFFER for third-party tags).
 *
 * Names are read exactly where SubstituteNameOffset/Length and PrintNameOffset/Length put them in
 * PathBuffer, whatever their order and whether or not NUL terminators follow them. By default the
 * buffer must be exactly header + ReparseDataLength bytes long (see DecodeReparseOptions). Any
 * malformed buffer throws ReparseDecodeError; no other exception escapes.
 */
export function decodeReparse(buf: Uint8Array, options: DecodeReparseOptions = {}): ReparsePoint {
  if (!(buf instanceof Uint8Array)) fail('bad-input', 'input is not a Uint8Array');
  const size = buf.byteLength;
  if (size > MAXIMUM_REPARSE_DATA_BUFFER_SIZE) {
    fail('too-large', `${size} bytes is more than the ${MAXIMUM_REPARSE_DATA_BUFFER_SIZE}-byte maximum`);
  }
  if (size < REPARSE_DATA_BUFFER_HEADER_SIZE) {
    fail('short-header', `${size} bytes is shorter than the ${REPARSE_DATA_BUFFER_HEADER_SIZE}-byte header`);
  }
  const b = Buffer.from(buf.buffer, buf.byteOffset, size);
  const tag = b.readUInt32LE(0);
  const dataLength = b.readUInt16LE(4);
  const microsoft = isMicrosoftTag(tag);
  const headerSize = microsoft ? REPARSE_DATA_BUFFER_HEADER_SIZE : REPARSE_GUID_DATA_BUFFER_HEADER_SIZE;
  if (!microsoft && size < REPARSE_GUID_DATA_BUFFER_HEADER_SIZE) {
    fail(
      'short-guid-header',
      `third-party tag ${formatReparseTag(tag)} needs a ${REPARSE_GUID_DATA_BUFFER_HEADER_SIZE}-byte header with its GUID, got ${size} bytes`,
    );
  }
  const end = headerSize + dataLength;
  if (end > size || (end < size && options.allowTrailingBytes !== true)) {
    fail(
      'length-mismatch',
      `ReparseDataLength ${dataLength} plus the ${headerSize}-byte header makes ${end} bytes, but the buffer has ${size}`,
    );
  }

  switch (tag) {
    case IO_REPARSE_TAG_MOUNT_POINT: {
      if (dataLength < 8) fail('short-data', `mount point data is ${dataLength} bytes, less than its 8 bytes of name fields`);
      const { substituteName, printName } = decodeNamePair(b, end, 8);
      return {
        kind: 'mount-point',
        tag,
        substituteName,
        printName,
        target: ntToWin32Path(substituteName),
        isVolume: VOLUME_ROOT_NT.test(substituteName),
      };
    }
    case IO_REPARSE_TAG_SYMLINK: {
      if (dataLength < 12) fail('short-data', `symbolic link data is ${dataLength} bytes, less than its 12 bytes of fields`);
      const flags = b.readUInt32LE(16);
      const { substituteName, printName } = decodeNamePair(b, end, 12);
      const relative = (flags & SYMLINK_FLAG_RELATIVE) !== 0;
      return {
        kind: 'symlink',
        tag,
        substituteName,
        printName,
        flags,
        relative,
        target: relative ? substituteName : ntToWin32Path(substituteName),
      };
    }
    case IO_REPARSE_TAG_APPEXECLINK:
      return decodeAppExecLink(b, tag, end);
    case IO_REPARSE_TAG_LX_SYMLINK:
      return decodeLxSymlink(b, tag, end);
    default:
      return {
        kind: 'other',
        tag,
        tagName: reparseTagName(tag),
        ...(microsoft ? {} : { guid: formatGuid(b, REPARSE_DATA_BUFFER_HEADER_SIZE) }),
        data: new Uint8Array(b.subarray(headerSize, end)),
      };
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

function header(tag: number, dataLength: number): Buffer {
  if (dataLength + REPARSE_DATA_BUFFER_HEADER_SIZE > MAXIMUM_REPARSE_DATA_BUFFER_SIZE) {
    throw new ReparseEncodeError(
      'too-large',
      `${dataLength + REPARSE_DATA_BUFFER_HEADER_SIZE} bytes is more than the ${MAXIMUM_REPARSE_DATA_BUFFER_SIZE}-byte maximum`,
    );
  }
  const h = Buffer.alloc(REPARSE_DATA_BUFFER_HEADER_SIZE);
  h.writeUInt32LE(tag >>> 0, 0);
  h.writeUInt16LE(dataLength, 4);
  return h;
}

function utf16(s: string): Buffer {
  return Buffer.from(s, 'utf16le');
}

const NUL16 = Buffer.alloc(2);

export interface EncodeMountPointOptions {
  /** Display name; defaults to the plain path (`C:\dir`, `\\?\Volume{...}\`). */
  readonly printName?: string | undefined;
}

/**
 * The buffer `mklink /J` writes for a junction (or mountvol for a volume mount point): substitute
 * name `\??\` + absolute local path, then the print name, each followed by a UTF-16 NUL that the
 * name lengths leave out and ReparseDataLength counts. Accepts `C:\dir`, `C:/dir`, `\\?\C:\dir`,
 * `\\.\C:\dir`, `\??\C:\dir` and `\\?\Volume{GUID}\...`; rejects relative, drive-relative,
 * root-relative and UNC targets and absolute paths with `.`, `..` or empty components.
 */
export function encodeMountPoint(target: string, opts: EncodeMountPointOptions = {}): Buffer {
  if (target === '') throw new ReparseEncodeError('empty-target', 'junction target is empty');
  checkNoNul(target, `junction target "${target.replaceAll('\0', '\\0')}"`);
  const parsed = parseTarget(target);
  if (parsed.type === 'relative') {
    throw new ReparseEncodeError(
      'relative-target',
      `junction target "${target}" is not an absolute local path (C:\\dir or \\\\?\\Volume{GUID}\\)`,
    );
  }
  if (parsed.type === 'unc') {
    throw new ReparseEncodeError('unc-target', `junction target "${target}" is a network path; junctions only reach local volumes`);
  }
  const printName = opts.printName ?? parsed.plain;
  checkNoNul(printName, 'print name');
  const sub = utf16(parsed.nt);
  const print = utf16(printName);
  const pathBuffer = Buffer.concat([sub, NUL16, print, NUL16]);
  const fields = Buffer.alloc(8);
  fields.writeUInt16LE(0, 0);
  fields.writeUInt16LE(sub.length, 2);
  fields.writeUInt16LE(sub.length + 2, 4);
  fields.writeUInt16LE(print.length, 6);
  return Buffer.concat([header(IO_REPARSE_TAG_MOUNT_POINT, 8 + pathBuffer.length), fields, pathBuffer]);
}

export interface EncodeSymlinkOptions {
  /** Write SYMLINK_FLAG_RELATIVE and the target as given; the target must then be relative. */
  readonly relative: boolean;
  /** Display name; defaults to the plain target (`C:\x`, `\\server\share\x`, or the relative path). */
  readonly printName?: string | undefined;
}

/**
 * The buffer `mklink` writes for a symbolic link: print name first, then substitute name, without
 * NULs. `/` becomes `\`. Absolute targets (`C:\x`, `\\?\C:\x`, `\\?\Volume{GUID}\x`, UNC
 * `\\server\share\x`) get the NT prefix (`\??\C:\x`, `\??\UNC\server\share\x`); relative ones
 * (`..\x`, and root- or drive-relative `\x`, `C:x`, which Windows also flags relative) are written
 * as they are with SYMLINK_FLAG_RELATIVE.
 */
export function encodeSymlink(target: string, opts: EncodeSymlinkOptions): Buffer {
  if (target === '') throw new ReparseEncodeError('empty-target', 'symbolic link target is empty');
  checkNoNul(target, `symbolic link target "${target.replaceAll('\0', '\\0')}"`);
  const parsed = parseTarget(target);
  let substitute: string;
  let plain: string;
  if (opts.relative) {
    if (parsed.type !== 'relative') {
      throw new ReparseEncodeError('absolute-target', `symbolic link target "${target}" is absolute but relative was asked for`);
    }
    substitute = plain = parsed.path;
  } else {
    if (parsed.type === 'relative') {
      throw new ReparseEncodeError('relative-target', `symbolic link target "${target}" is not absolute`);
    }
    substitute = parsed.nt;
    plain = parsed.plain;
  }
  const printName = opts.printName ?? plain;
  checkNoNul(printName, 'print name');
  const sub = utf16(substitute);
  const print = utf16(printName);
  const fields = Buffer.alloc(12);
  fields.writeUInt16LE(print.length, 0);
  fields.writeUInt16LE(sub.length, 2);
  fields.writeUInt16LE(0, 4);
  fields.writeUInt16LE(print.length, 6);
  fields.writeUInt32LE(opts.relative ? SYMLINK_FLAG_RELATIVE : 0, 8);
  return Buffer.concat([header(IO_REPARSE_TAG_SYMLINK, 12 + print.length + sub.length), fields, print, sub]);
}

export interface AppExecLinkFields {
  readonly packageId: string;
  readonly appUserModelId: string;
  readonly targetPath: string;
  /** Written as the fourth string when given (Windows writes `0` for desktop bridge apps). */
  readonly appType?: string | undefined;
  /** Only APPEXECLINK_VERSION (3) is written. */
  readonly version?: number | undefined;
}

/** An app execution alias buffer: u32 version 3, then NUL-terminated UTF-16LE strings. */
export function encodeAppExecLink(fields: AppExecLinkFields): Buffer {
  const version = fields.version ?? APPEXECLINK_VERSION;
  if (version !== APPEXECLINK_VERSION) {
    throw new ReparseEncodeError('bad-version', `app execution alias version ${version} is not ${APPEXECLINK_VERSION}`);
  }
  const strings = [fields.packageId, fields.appUserModelId, fields.targetPath];
  if (strings.some((s) => s === '')) {
    throw new ReparseEncodeError('empty-target', 'app execution alias needs a package id, an app id and a target path');
  }
  if (fields.appType !== undefined && fields.appType !== '') strings.push(fields.appType);
  for (const s of strings) checkNoNul(s, 'app execution alias string');
  const v = Buffer.alloc(4);
  v.writeUInt32LE(version, 0);
  const list = Buffer.concat(strings.flatMap((s) => [utf16(s), NUL16]));
  return Buffer.concat([header(IO_REPARSE_TAG_APPEXECLINK, 4 + list.length), v, list]);
}

/** A WSL symlink buffer: u32 version 2, then the target in UTF-8 without a NUL. */
export function encodeLxSymlink(target: string): Buffer {
  if (target === '') throw new ReparseEncodeError('empty-target', 'WSL symlink target is empty');
  checkNoNul(target, 'WSL symlink target');
  const v = Buffer.alloc(4);
  v.writeUInt32LE(LX_SYMLINK_VERSION, 0);
  const t = Buffer.from(target, 'utf8');
  return Buffer.concat([header(IO_REPARSE_TAG_LX_SYMLINK, 4 + t.length), v, t]);
}

function parseGuid(guid: string): Buffer {
  const m = new RegExp(`^\\{?(${GUID_BODY})\\}?$`).exec(guid);
  if (!m || guid.startsWith('{') !== guid.endsWith('}')) {
    throw new ReparseEncodeError('bad-guid', `"${guid}" is not a GUID`);
  }
  const hex = (m[1] ?? '').replaceAll('-', '');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(parseInt(hex.slice(0, 8), 16), 0);
  out.writeUInt16LE(parseInt(hex.slice(8, 12), 16), 4);
  out.writeUInt16LE(parseInt(hex.slice(12, 16), 16), 6);
  Buffer.from(hex.slice(16), 'hex').copy(out, 8);
  return out;
}

const DEDICATED_TAGS: ReadonlySet<number> = new Set([
  IO_REPARSE_TAG_MOUNT_POINT,
  IO_REPARSE_TAG_SYMLINK,
  IO_REPARSE_TAG_APPEXECLINK,
  IO_REPARSE_TAG_LX_SYMLINK,
]);

/**
 * A buffer for any other tag from its raw data: Microsoft tags take no GUID, third-party tags
 * require one (written after the header; ReparseDataLength then counts the data only). The tags
 * that have their own kind (mount point, symlink, app exec link, WSL symlink) are refused here.
 */
export function encodeRawReparse(tag: number, data: Uint8Array, guid?: string): Buffer {
  let t: number;
  try {
    t = u32Tag(tag);
  } catch {
    throw new ReparseEncodeError('bad-tag', `reparse tag ${String(tag)} is not a 32-bit integer`);
  }
  if (DEDICATED_TAGS.has(t)) {
    throw new ReparseEncodeError('bad-tag', `tag ${reparseTagName(t)} has its own encoder`);
  }
  const microsoft = isMicrosoftTag(t);
  if (microsoft && guid !== undefined) {
    throw new ReparseEncodeError('guid-mismatch', `Microsoft tag ${reparseTagName(t)} takes no GUID`);
  }
  if (!microsoft && guid === undefined) {
    throw new ReparseEncodeError('guid-mismatch', `third-party tag ${formatReparseTag(t)} needs a GUID`);
  }
  const guidBytes = guid === undefined ? Buffer.alloc(0) : parseGuid(guid);
  const h = header(t, guidBytes.length + data.length);
  h.writeUInt16LE(data.length, 4);
  return Buffer.concat([h, guidBytes, data]);
}

/** Anything encodeReparse can write; every decoded ReparsePoint is one. */
export type EncodableReparsePoint =
  | { readonly kind: 'mount-point'; readonly target: string; readonly printName?: string | undefined }
  | {
      readonly kind: 'symlink';
      readonly target: string;
      readonly relative: boolean;
      readonly printName?: string | undefined;
    }
  | ({ readonly kind: 'app-exec-link' } & AppExecLinkFields)
  | { readonly kind: 'lx-symlink'; readonly target: string }
  | { readonly kind: 'other'; readonly tag: number; readonly guid?: string | undefined; readonly data: Uint8Array };

/** Encodes by kind: encodeMountPoint, encodeSymlink, encodeAppExecLink, encodeLxSymlink or encodeRawReparse. */
export function encodeReparse(point: EncodableReparsePoint): Buffer {
  switch (point.kind) {
    case 'mount-point':
      return encodeMountPoint(point.target, { printName: point.printName });
    case 'symlink':
      return encodeSymlink(point.target, { relative: point.relative, printName: point.printName });
    case 'app-exec-link':
      return encodeAppExecLink(point);
    case 'lx-symlink':
      return encodeLxSymlink(point.target);
    case 'other':
      return encodeRawReparse(point.tag, point.data, point.guid);
  }
}
