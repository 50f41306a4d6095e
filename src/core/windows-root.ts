/**
 * How Windows names the root of a volume: a drive (`D:\`) or a volume GUID path
 * (`\\?\Volume{GUID}\`), in the one spelling linkplan keeps. The manifest's `volumes:` and the
 * ntfs-3g driver both read it. Pure: no I/O.
 */

const GUID = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
const VOLUME_ROOT = new RegExp(`^\\\\\\\\[?.]\\\\(Volume\\{${GUID}\\})\\\\?$`, 'i');
const DRIVE_ROOT = /^(?:\\\\[?.]\\)?([A-Za-z]):[\\/]?$/;

/** Normalises a Windows volume root to `D:\` or `\\?\Volume{GUID}\`; undefined if it is neither. */
export function normalizeWindowsRoot(root: string): string | undefined {
  const drive = DRIVE_ROOT.exec(root);
  if (drive?.[1] !== undefined) return `${drive[1].toUpperCase()}:\\`;
  const volume = VOLUME_ROOT.exec(root.replaceAll('/', '\\'));
  if (volume?.[1] !== undefined) return `\\\\?\\Volume${volume[1].slice(6)}\\`;
  return undefined;
}
