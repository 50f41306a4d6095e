/**
 * The link type for an entry, from what the link's own volume can hold: where junctions exist
 * (Windows, or an NTFS volume written through ntfs-3g), `auto` gives a folder a junction and a file
 * a symbolic link; elsewhere a symbolic link stands in for everything. Says why, or why the type
 * asked for cannot be made.
 */
import type { Platform } from '../core/paths.js';
import type { Capabilities, Desired, LinkType, Volume } from '../core/types.js';

export type TypeChoice = { ok: true; type: LinkType; why: string; notes: string[] } | { ok: false; problem: string; hint: string };

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
          problem: `cannot create symbolic links here${ctx.caps.symlinkNote === undefined ? '' : `: ${ctx.caps.symlinkNote}`}`,
          hint: 'enable Developer Mode or run elevated, or use type: auto (a junction for folders)',
        };
      }
      return { ok: true, type: 'symlink', why: `symlink requested${onVolume(ctx)}`, notes: [] };
    case 'hardlink':
      if (targetKind !== 'file') return { ok: false, problem: `a hard link can only point to a file, and the target is ${kindInWords(targetKind)}`, hint: 'use type: symlink (or junction for a folder)' };
      return { ok: true, type: 'hardlink', why: `hardlink requested${onVolume(ctx)}`, notes: [] };
  }
}

function kindInWords(targetKind: 'file' | 'dir' | 'other'): string {
  return targetKind === 'dir' ? 'a folder' : targetKind === 'file' ? 'a file' : 'neither a file nor a folder';
}

function onVolume(ctx: TypeContext): string {
  return ctx.ntfs === undefined ? '' : ` on the NTFS volume ${volumeName(ctx.ntfs)}`;
}

function chooseAuto(d: Desired, targetKind: 'file' | 'dir' | 'other', ctx: TypeContext): TypeChoice {
  const { caps, ntfs, platform } = ctx;
  const on = onVolume(ctx);
  if (!caps.junctions) return { ok: true, type: 'symlink', why: `auto: a symbolic link, the native link on ${platform}`, notes: [] };
  if (targetKind === 'dir') {
    if (d.relative && caps.symlinks) return { ok: true, type: 'symlink', why: `auto: a symbolic link${on}, since a relative link needs one`, notes: [] };
    if (ntfs !== undefined) return { ok: true, type: 'junction', why: `auto: a junction${on}, the folder link Windows follows without privilege`, notes: [] };
    return { ok: true, type: 'junction', why: 'auto: a junction, which needs no privilege', notes: [] };
  }
  if (ntfs !== undefined && caps.symlinks) return { ok: true, type: 'symlink', why: `auto: a symbolic link${on} (junctions lead only to folders)`, notes: [] };
  if (caps.symlinks) return { ok: true, type: 'symlink', why: 'auto: a symbolic link (this user may create them)', notes: [] };
  return {
    ok: true,
    type: 'hardlink',
    why: 'auto: a hard link, since this user may not create symbolic links',
    notes: [`symbolic links are unavailable${caps.symlinkNote === undefined ? '' : ` (${caps.symlinkNote})`}; a hard link to a file splits if an app saves by replacing the file`],
  };
}

function chooseJunction(d: Desired, targetKind: 'file' | 'dir' | 'other', ctx: TypeContext): TypeChoice {
  const { caps, platform } = ctx;
  if (targetKind !== 'dir') return { ok: false, problem: `a junction can only point to a folder, and the target is ${kindInWords(targetKind)}`, hint: 'use type: symlink or hardlink for files' };
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
