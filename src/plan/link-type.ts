/**
 * The link type for an entry, from what the link's own volume can hold: where junctions exist
 * (Windows, or an NTFS volume written through ntfs-3g), `auto` gives a folder a junction (a
 * symbolic link where the target is a network path, which no junction reaches) and a file a
 * symbolic link where this user may create them, else a hard link; elsewhere a symbolic link
 * stands in for everything. Says why, or why the type asked for cannot be made: the privilege
 * is decided here, at plan time, from the capabilities the driver reported for the link's path.
 */
import type { Platform } from '../core/paths.js';
import type { Capabilities, Desired, LinkType, Volume } from '../core/types.js';
import { DEVELOPER_MODE_HINT, isNetworkPath } from './windows-guards.js';

export type TypeChoice = { ok: true; type: LinkType; why: string; notes: readonly string[] } | { ok: false; problem: string; hint: string };

/** `D:\ at /mnt/d`: an NTFS volume as the plan names it. */
function volumeName(v: Volume): string {
  return `${v.windows} at ${v.mount}`;
}

export interface TypeContext {
  platform: Platform;
  /** What the link's volume can hold. */
  caps: Capabilities;
  /** The NTFS volume written through ntfs-3g that holds the link, if any. */
  ntfs: Volume | undefined;
}

/** The link type for `d`, whose target is `targetKind`. */
export function chooseType(d: Desired, targetKind: 'file' | 'dir' | 'other', ctx: TypeContext): TypeChoice {
  switch (d.type) {
    case 'auto':
      return chooseAuto(d, targetKind, ctx);
    case 'junction':
      return chooseJunction(d, targetKind, ctx);
    case 'symlink':
      if (!ctx.caps.symlinks) {
        return {
          ok: false,
          problem: `cannot create symbolic links here${noteOf(ctx.caps)}`,
          hint: ctx.platform === 'win32' ? `${DEVELOPER_MODE_HINT}; or use type: auto (a junction for a folder, a hard link for a file on the same volume)` : 'enable Developer Mode or run elevated, or use type: auto (a junction for folders)',
        };
      }
      return { ok: true, type: 'symlink', why: `symlink requested${onVolume(ctx)}`, notes: [] };
    case 'hardlink':
      if (targetKind !== 'file') return { ok: false, problem: `a hard link can only point to a file, and the target is ${kindInWords(targetKind)}`, hint: 'use type: symlink (or junction for a folder)' };
      if (!ctx.caps.hardlinks) return { ok: false, problem: 'cannot create hard links here: this volume holds none', hint: 'use type: symlink or type: auto' };
      return { ok: true, type: 'hardlink', why: `hardlink requested${onVolume(ctx)}`, notes: [] };
  }
}

/** `: why`, where the driver said why symbolic links are unavailable. */
function noteOf(caps: Capabilities): string {
  return caps.symlinkNote === undefined ? '' : `: ${caps.symlinkNote}`;
}

/** What to do where no symbolic link can be made. */
function noSymlinkHint(caps: Capabilities, platform: Platform): string {
  if (platform !== 'win32') return 'make the link on a filesystem that holds symbolic links';
  // (junctions need no privilege: where there are none, the volume holds no links at all, whoever asks)
  return caps.junctions ? DEVELOPER_MODE_HINT : 'make the link on an NTFS volume: this filesystem holds no junctions or symbolic links, whatever the privilege (FAT and exFAT hold none)';
}

/** A Windows network path, which junctions cannot lead to. */
function networkTarget(d: Desired, ctx: TypeContext): boolean {
  return ctx.platform === 'win32' && d.target !== null && isNetworkPath(d.target);
}

function kindInWords(targetKind: 'file' | 'dir' | 'other'): string {
  return targetKind === 'dir' ? 'a folder' : targetKind === 'file' ? 'a file' : 'neither a file nor a folder';
}

function onVolume(ctx: TypeContext): string {
  return ctx.ntfs === undefined ? '' : ` on the NTFS volume ${volumeName(ctx.ntfs)}`;
}

/** Whether `auto` may give a file a hard link on a volume with `caps` (so the plan needs to know which file the target is). */
export function autoMayHardLink(caps: Capabilities): boolean {
  return !caps.symlinks;
}

/** One answer per platform, made once: most entries of a plan get it, and it is the same value each time. */
const NATIVE_SYMLINK = new Map<Platform, TypeChoice>();
function nativeSymlink(platform: Platform): TypeChoice {
  let c = NATIVE_SYMLINK.get(platform);
  if (c === undefined) NATIVE_SYMLINK.set(platform, (c = Object.freeze({ ok: true, type: 'symlink', why: `auto: a symbolic link, the native link on ${platform}`, notes: Object.freeze([]) })));
  return c;
}

function chooseAuto(d: Desired, targetKind: 'file' | 'dir' | 'other', ctx: TypeContext): TypeChoice {
  const { caps, ntfs, platform } = ctx;
  const on = onVolume(ctx);
  if (!caps.junctions && caps.symlinks) return nativeSymlink(platform);
  if (!caps.junctions && targetKind === 'dir') {
    return { ok: false, problem: `cannot link to a folder here: this volume holds no junctions, and symbolic links are unavailable${noteOf(caps)}`, hint: noSymlinkHint(caps, platform) };
  }
  if (targetKind === 'dir') return autoFolder(d, ctx);
  if (ntfs !== undefined && caps.symlinks) return { ok: true, type: 'symlink', why: `auto: a symbolic link${on} (junctions lead only to folders)`, notes: [] };
  if (!autoMayHardLink(caps)) return { ok: true, type: 'symlink', why: 'auto: a symbolic link (this user may create them)', notes: [] };
  if (!caps.hardlinks) {
    return { ok: false, problem: `cannot link to a file here: symbolic links are unavailable${noteOf(caps)}, and this volume holds no hard links`, hint: noSymlinkHint(caps, platform) };
  }
  return {
    ok: true,
    type: 'hardlink',
    why: 'auto: a hard link, since this user may not create symbolic links',
    notes: [`symbolic links are unavailable${caps.symlinkNote === undefined ? '' : ` (${caps.symlinkNote})`}; a hard link to a file splits if an app saves by replacing the file`],
  };
}

/** `auto` for a folder where junctions exist: a junction, unless only a symbolic link can do (relative text, a network target). */
function autoFolder(d: Desired, ctx: TypeContext): TypeChoice {
  const { caps, ntfs } = ctx;
  const on = onVolume(ctx);
  if (networkTarget(d, ctx)) {
    if (caps.symlinks) return { ok: true, type: 'symlink', why: 'auto: a symbolic link, since a junction cannot lead to a network path', notes: [] };
    return {
      ok: false,
      problem: `its target ${d.target ?? ''} is a network path, which a junction cannot lead to, and symbolic links are unavailable${noteOf(caps)}`,
      hint: `${DEVELOPER_MODE_HINT}; or point the link at a folder on a local volume`,
    };
  }
  if (d.relative && caps.symlinks) return { ok: true, type: 'symlink', why: `auto: a symbolic link${on}, since a relative link needs one`, notes: [] };
  const notes = d.relative ? [`junction targets are always absolute; relative is ignored (symbolic links are unavailable${caps.symlinkNote === undefined ? '' : `: ${caps.symlinkNote}`})`] : [];
  if (ntfs !== undefined) return { ok: true, type: 'junction', why: `auto: a junction${on}, the folder link Windows follows without privilege`, notes };
  return { ok: true, type: 'junction', why: 'auto: a junction, which needs no privilege', notes };
}

function chooseJunction(d: Desired, targetKind: 'file' | 'dir' | 'other', ctx: TypeContext): TypeChoice {
  const { caps, platform } = ctx;
  if (targetKind !== 'dir') return { ok: false, problem: `a junction can only point to a folder, and the target is ${kindInWords(targetKind)}`, hint: 'use type: symlink or hardlink for files' };
  if (networkTarget(d, ctx)) {
    return {
      ok: false,
      problem: `a junction cannot lead to a network path, and the target ${d.target ?? ''} is one: Windows follows junctions only to local volumes`,
      hint: 'use type: symlink (it needs Developer Mode or an elevated prompt), or point the junction at a folder on a local volume',
    };
  }
  if (!caps.junctions && !caps.symlinks) {
    return { ok: false, problem: `cannot make a junction here: this volume holds none, and symbolic links are unavailable${noteOf(caps)}`, hint: noSymlinkHint(caps, platform) };
  }
  if (!caps.junctions) {
    return {
      ok: true,
      type: 'symlink',
      why: 'junction requested; a directory symbolic link stands in for it',
      notes: [
        platform === 'win32'
          ? 'junctions exist only on NTFS, and this volume has none; a directory symbolic link stands in for it'
          : `junctions exist only on NTFS; on ${platform} a directory symbolic link stands in for it`,
      ],
    };
  }
  return { ok: true, type: 'junction', why: `junction requested${onVolume(ctx)}`, notes: d.relative ? ['junction targets are always absolute; relative is ignored'] : [] };
}
