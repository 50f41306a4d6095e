/**
 * How a link's target is written, for `targetForm:` (no I/O). `path` writes the target as it is
 * (`C:\tools\jdk-21`); `volume-guid` writes it by its volume's GUID path
 * (`\\?\Volume{GUID}\tools\jdk-21`), which keeps leading to the same folder when the volume's
 * drive letter changes. On Windows the GUID comes from what observe read (`Observed.volumeGuids`,
 * which the driver answers), so the plan holds the very text the driver writes and reads back; on
 * an NTFS volume written through ntfs-3g the listed volume's own name is written, so there the
 * volume must be listed by its GUID path. Also notes a drive-letter target on another drive, which
 * a drive-letter change would break.
 */
import type { Platform } from '../core/paths.js';
import type { Desired, LinkType, Volume } from '../core/types.js';
import { isNetworkPath } from './windows-guards.js';

export type TargetText = { ok: true; linkText: string; byVolumeGuid: boolean; note?: string } | { ok: false; problem: string; hint: string };

export interface TargetTextContext {
  type: LinkType;
  /** The link's text is relative (a symbolic link only). */
  relative: boolean;
  /** The NTFS volume written through ntfs-3g that holds the link, if any. */
  ntfs: Volume | undefined;
  platform: Platform;
  volumeAt: (p: string) => Volume | undefined;
  volumeGuids: ReadonlyMap<string, string> | undefined;
  key: (p: string) => string;
}

const DRIVE_ROOT = /^[A-Za-z]:\\/;
const GUID_ROOT = /^\\\\\?\\Volume\{[0-9A-Fa-f-]{36}\}\\/;

/** The text a link to `d.target` holds (before any relative form), or why the form asked for cannot be written. */
export function targetText(d: Desired & { target: string }, ctx: TargetTextContext): TargetText {
  const plain: TargetText = { ok: true, linkText: d.target, byVolumeGuid: false };
  if (d.targetForm !== 'volume-guid') return ctx.platform === 'win32' && !ctx.relative ? { ...plain, ...driveNote(d, ctx.type) } : plain;
  const ignored = (why: string): TargetText => ({ ...plain, note: `targetForm: volume-guid is ignored: ${why}` });
  if (ctx.type === 'hardlink') return ignored('a hard link holds no target text');
  if (ctx.relative) return ignored('relative text names no volume');
  if (ctx.ntfs !== undefined) return onNtfs3g(d, ctx, plain);
  if (ctx.platform !== 'win32') return ignored(`volume GUID paths exist only on Windows and NTFS volumes, not on ${ctx.platform}`);
  if (GUID_ROOT.test(d.target)) return plain;
  const root = DRIVE_ROOT.exec(d.target)?.[0];
  if (root === undefined) {
    return {
      ok: false,
      problem: `targetForm: volume-guid: its target ${d.target} is ${isNetworkPath(d.target) ? 'a network path' : 'on no drive'}, which has no volume GUID path`,
      hint: 'use targetForm: path for this link',
    };
  }
  const guid = ctx.volumeGuids?.get(ctx.key(root));
  if (guid === undefined) {
    return {
      ok: false,
      problem: `targetForm: volume-guid: the volume GUID path of ${root} is not known (a network or subst drive has none)`,
      hint: 'use targetForm: path for this link',
    };
  }
  const linkText = guid + d.target.slice(root.length);
  return { ok: true, linkText, byVolumeGuid: true, note: `written as ${linkText}, the volume GUID path of ${d.target}: it keeps leading there if the drive letter of ${root} changes` };
}

/** On an ntfs-3g volume the driver writes the listed volume's name: the form is met when that name is a GUID path. */
function onNtfs3g(d: Desired & { target: string }, ctx: TargetTextContext, plain: TargetText): TargetText {
  const there = ctx.volumeAt(d.target);
  // (a target on no listed volume is refused by the planner's NTFS check)
  if (there === undefined || GUID_ROOT.test(there.windows)) return plain;
  return {
    ok: false,
    problem: `targetForm: volume-guid: volumes: names the volume of its target (${there.mount}) by its drive letter ${there.windows}, so its volume GUID path is not known`,
    hint: `list that volume as windows: '\\\\?\\Volume{GUID}\\' (mountvol on Windows prints it), or use targetForm: path`,
  };
}

/** A note for a junction or absolute symbolic link on Windows whose target is on another drive than the link. */
function driveNote(d: Desired & { target: string }, type: LinkType): { note?: string } {
  if (type === 'hardlink') return {};
  const linkDrive = DRIVE_ROOT.exec(d.path)?.[0];
  const targetDrive = DRIVE_ROOT.exec(d.target)?.[0];
  if (linkDrive === undefined || targetDrive === undefined || linkDrive.toLowerCase() === targetDrive.toLowerCase()) return {};
  return { note: `its target is on another drive (${targetDrive}); if that drive's letter changes, the link breaks: targetForm: volume-guid avoids that` };
}
