/**
 * Windows path forms the Windows driver hands to Win32: the `\\?\` prefix that lifts the 260
 * character limit (`C:\a` -> `\\?\C:\a`, `\\srv\share\a` -> `\\?\UNC\srv\share\a`) and back,
 * the root of the volume a path lies on, and case-insensitive comparison the way NTFS names
 * compare for people. Pure: no I/O; tested on every OS.
 */
import path from 'node:path';

/** `p` (absolute, normalised) in the `\\?\` form Win32 takes for paths of any length; a path already in a prefixed form is left as it is. */
export function longPath(p: string): string {
  if (p.startsWith('\\\\?\\') || p.startsWith('\\\\.\\') || p.startsWith('\\??\\')) return p;
  if (p.startsWith('\\\\')) return `\\\\?\\UNC\\${p.slice(2)}`;
  if (/^[A-Za-z]:\\/.test(p)) return `\\\\?\\${p}`;
  // a bare drive (`C:`) means the current folder of that drive: name its root instead
  if (/^[A-Za-z]:$/.test(p)) return `\\\\?\\${p}\\`;
  return p;
}

/** The plain form of a `\\?\` or `\??\` path (`\\?\C:\a` -> `C:\a`, `\\?\UNC\srv\s` -> `\\srv\s`); a volume GUID path keeps its prefix. */
export function plainPath(p: string): string {
  for (const prefix of ['\\\\?\\', '\\??\\']) {
    if (!p.startsWith(prefix)) continue;
    const body = p.slice(prefix.length);
    if (/^[A-Za-z]:(\\|$)/.test(body)) return body;
    if (/^UNC\\/i.test(body)) return `\\\\${body.slice(4)}`;
    return `\\\\?\\${body}`;
  }
  return p;
}

/** The root of the volume that holds absolute path `p`: `C:\`, `\\srv\share\`, `\\?\Volume{...}\`. */
export function volumeRootOf(p: string): string {
  const plain = plainPath(p);
  const root = path.win32.parse(plain).root;
  return root.endsWith('\\') ? root : root + '\\';
}

/** True when the two paths name the same entry for Windows (case-insensitive, prefix and trailing `\` aside). */
export function sameWindowsPath(a: string, b: string): boolean {
  const norm = (p: string): string => {
    const q = plainPath(p.replaceAll('/', '\\'));
    return (q.length > 3 && q.endsWith('\\') ? q.slice(0, -1) : q).toLowerCase();
  };
  return norm(a) === norm(b);
}
