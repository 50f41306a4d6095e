/**
 * NTFS links as both NTFS drivers see them, whichever way the bytes travel (ntfs-3g's
 * `system.ntfs_reparse_data` extended attribute on Linux, FSCTL_GET/SET_REPARSE_POINT on Windows):
 * what a raw reparse buffer is as an Entry (a junction, a symbolic link with its link text in the
 * driver's own path form, or a reparse point of another kind that is never touched), the buffer a
 * LinkSpec becomes under Windows' rules (junctions absolute, local and to folders; relative
 * symbolic links that stay on their volume; names Windows can use), and the read-back after a
 * write that proves the data is really there. The transport (how a buffer is read) and the naming
 * (how the driver's paths and the Windows paths inside a buffer map onto each other) are given by
 * the driver; nothing here does I/O of its own but through them.
 */
import type path from 'node:path';
import { DriverError } from '../../core/errors.js';
import { isWindowsAbsolute, type AbsPath } from '../../core/paths.js';
import type { Entry, LinkSpec } from '../../core/types.js';
import { unwindowsComponent } from './names.js';
import {
  decodeReparse,
  encodeMountPoint,
  encodeSymlink,
  ReparseDecodeError,
  reparseTagName,
  type ReparsePoint,
  type SymlinkReparse,
} from './reparse.js';

/** How the raw reparse data of one entry is read and written: the entry itself, never what it leads to. */
export interface ReparseTransport {
  /** The raw reparse buffer of `p` itself, or undefined when it carries none. */
  readReparseData(p: AbsPath): Buffer | undefined;
  /**
   * Writes `buffer` as the reparse data of `p` itself: `create` on an entry that carries none (a
   * fresh empty folder or file), `replace` over the data of a link of the same tag (in place, the
   * link never missing). Throws a DriverError naming `p`; `what` says what was being done.
   */
  writeReparseData(p: AbsPath, buffer: Buffer, opts: { mode: 'create' | 'replace'; what: string }): void;
}

/** How a driver's own paths and the Windows paths inside reparse data map onto each other. */
export interface NtfsNaming {
  /** The path module of the driver's own paths (posix under ntfs-3g, win32 on Windows). */
  readonly api: path.PlatformPath;
  /** True when `text` is an absolute path in the driver's own form. */
  isLocalAbsolute(text: string): boolean;
  /**
   * The Windows path of absolute local path `local` (what a link at `p` leads to); throws a
   * DriverError naming `p` when Windows could not follow a link there. `what` names the target.
   */
  windowsOf(p: AbsPath, local: string, what: string): string;
  /** The local path of absolute Windows path `w`, when the driver can name it. */
  toLocal(w: string): string | undefined;
  /** The local path of `rest` (`\a\b`), relative to the root of the volume that holds link `p`. */
  rootRelativeToLocal(p: AbsPath, rest: string): string | undefined;
  /** Throws a DriverError when relative link text `text` at `p`, leading to `local`, leaves the volume of `p`. */
  checkRelative(p: AbsPath, text: string, local: string): void;
  /** Whether `local`, followed, is a folder; undefined when nothing is there. */
  targetIsDirectory(local: string): boolean | undefined;
}

/** What a link spec becomes on an NTFS volume: the bytes to write and the kind of object that carries them. */
export interface ReparseWrite {
  buffer: Buffer;
  /** The link object is a folder (junctions always; symlinks whose target is a folder); undefined when it cannot be told. */
  directory: boolean | undefined;
  /** The target as Windows reads it: absolute Windows path, or relative with `\` (what CreateSymbolicLinkW takes). */
  windowsTarget: string;
  /** The link text is relative to the link's folder. */
  relative: boolean;
}

/** An Entry for raw reparse data: a junction, a symbolic link, or a reparse point of another kind (never a link). */
export function entryOfReparse(p: AbsPath, raw: Buffer, opts: { naming: NtfsNaming }): Entry {
  const naming = opts.naming;
  let rp: ReparsePoint;
  try {
    rp = decodeReparse(raw);
  } catch (e) {
    if (!(e instanceof ReparseDecodeError)) throw e;
    // unreadable data: report its tag, so it is never mistaken for a link or touched
    const tag = raw.length >= 4 ? raw.readUInt32LE(0) : 0;
    return { kind: 'reparse', tag, tagName: reparseTagName(tag) };
  }
  switch (rp.kind) {
    case 'mount-point':
      return { kind: 'junction', linkText: naming.toLocal(rp.target) ?? rp.target };
    case 'symlink':
      return { kind: 'symlink', linkText: symlinkTextOf(p, rp, { naming }) };
    default:
      return { kind: 'reparse', tag: rp.tag, tagName: reparseTagName(rp.tag) };
  }
}

/** Link text of a symlink at `p` as the planner compares it: the driver's separator for relative ones, local paths where it can name them. */
export function symlinkTextOf(p: AbsPath, rp: SymlinkReparse, opts: { naming: NtfsNaming }): string {
  const naming = opts.naming;
  if (!rp.relative) return naming.toLocal(rp.target) ?? rp.target;
  const sub = rp.substituteName;
  // root-relative `\a\b`: the root of the link's own volume
  if (sub.startsWith('\\')) return naming.rootRelativeToLocal(p, sub) ?? sub;
  // drive-relative `C:a`: only Windows knows where that leads
  if (/^[A-Za-z]:/.test(sub)) return sub;
  return sub.replaceAll('\\', naming.api.sep);
}

/** The mount-point buffer for a junction at `p` (Windows' rules: absolute, local, a folder). */
function junctionWrite(p: AbsPath, link: LinkSpec, naming: NtfsNaming): ReparseWrite {
  const text = link.linkText;
  let windows: string;
  let local: string | undefined;
  if (naming.isLocalAbsolute(text)) {
    local = naming.api.resolve(text);
    windows = naming.windowsOf(p, local, 'junction target');
  } else if (isWindowsAbsolute(text)) {
    windows = text;
    local = naming.toLocal(text);
  } else {
    throw new DriverError(p, `junction target "${text}" is relative; a junction needs an absolute path to a folder`, { code: 'EINVAL' });
  }
  if (local !== undefined && naming.targetIsDirectory(local) === false) {
    throw new DriverError(p, `junction target ${local} is not a folder; a junction can only lead to a folder`, {
      code: 'ENOTDIR',
      hint: 'use a symbolic link or a hard link for a file',
    });
  }
  return { buffer: encodeMountPoint(windows), directory: true, windowsTarget: windows, relative: false };
}

/** The symlink buffer for a symbolic link at `p`, and whether its target is a folder. */
function symlinkWrite(p: AbsPath, link: LinkSpec, naming: NtfsNaming): ReparseWrite {
  const text = link.linkText;
  const api = naming.api;
  let local: string | undefined;
  let windows: string;
  let relative = false;
  if (naming.isLocalAbsolute(text)) {
    local = api.resolve(text);
    windows = naming.windowsOf(p, local, 'symbolic link target');
  } else if (isWindowsAbsolute(text)) {
    local = naming.toLocal(text);
    windows = text;
  } else {
    const parts = api.sep === '/' ? text.split('/') : text.split(/[\\/]/);
    const bad = unwindowsComponent(parts.filter((c) => c !== '.' && c !== '..'));
    if (bad !== undefined) {
      throw new DriverError(p, `symbolic link target "${text}": "${bad}" is a name Windows cannot use in a path`, { code: 'EINVAL' });
    }
    local = api.resolve(api.dirname(p), text);
    naming.checkRelative(p, text, local);
    windows = parts.join('\\');
    relative = true;
  }
  const buffer = encodeSymlink(windows, { relative });
  let directory = local === undefined ? undefined : naming.targetIsDirectory(local);
  if (directory === undefined && link.target !== p) directory = naming.targetIsDirectory(link.target);
  return { buffer, directory, windowsTarget: windows, relative };
}

/** What `link` becomes as reparse data at `p`: throws a DriverError for a link Windows would refuse or could not follow. */
export function reparseWrite(p: AbsPath, link: LinkSpec, opts: { naming: NtfsNaming }): ReparseWrite {
  const naming = opts.naming;
  if (link.type === 'hardlink') throw new DriverError(p, 'a hard link is no reparse point', { code: 'EINVAL' });
  return link.type === 'junction' ? junctionWrite(p, link, naming) : symlinkWrite(p, link, naming);
}

/** Two decoded links that Windows follows the same way: kind, relativeness and target (case folded). */
function sameLink(a: ReparsePoint, b: ReparsePoint): boolean {
  if (a.kind === 'mount-point' && b.kind === 'mount-point') return a.target.toLowerCase() === b.target.toLowerCase();
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.relative === b.relative && a.target.toLowerCase() === b.target.toLowerCase();
  return false;
}

export interface VerifyOptions {
  /**
   * The bytes must be the very ones written (the transport wrote them itself). Otherwise (the OS
   * laid the buffer out, as CreateSymbolicLinkW does) the link read back must lead where asked.
   */
  exact: boolean;
  /** Who did not keep the data, for the message (`ntfs-3g`, `Windows`). */
  writer: string;
}

/**
 * Reads back what was written at `p`: a call that returned success has not always done the work
 * (Wine's CreateSymbolicLinkW returns success and makes nothing). Throws a DriverError (EIO) when
 * the entry carries no such link.
 */
export function verifyReparse(p: AbsPath, expected: ReparseWrite, opts: VerifyOptions & { transport: Pick<ReparseTransport, 'readReparseData'> }): void {
  const got = opts.transport.readReparseData(p);
  let ok = false;
  if (got !== undefined) {
    if (opts.exact) ok = got.equals(expected.buffer);
    else {
      try {
        ok = sameLink(decodeReparse(got), decodeReparse(expected.buffer));
      } catch (e) {
        if (!(e instanceof ReparseDecodeError)) throw e;
      }
    }
  }
  if (ok) return;
  if (got === undefined) throw new DriverError(p, `${opts.writer} reported the link made, but no link is there`, { code: 'EIO' });
  throw new DriverError(p, `${opts.writer} did not keep the reparse data written to it`, { code: 'EIO' });
}

/**
 * Writes the link `w` at `p` through the transport (`create` on a fresh empty object, `replace` in
 * place over a link of the same tag), then reads it back: the bytes must be the ones written.
 */
export function writeReparse(p: AbsPath, w: ReparseWrite, opts: { transport: ReparseTransport; mode: 'create' | 'replace'; what: string; writer: string }): void {
  opts.transport.writeReparseData(p, w.buffer, { mode: opts.mode, what: opts.what });
  verifyReparse(p, w, { transport: opts.transport, exact: true, writer: opts.writer });
}
