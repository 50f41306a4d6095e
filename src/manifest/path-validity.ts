/**
 * Whether a path from the manifest can exist at all on this platform: no NUL byte, no half of a
 * UTF-16 surrogate pair (a YAML escape like "\ud800" can write one), no name longer
 * than a folder entry holds (255 bytes on Linux and macOS, 255 UTF-16 units on Windows), and not
 * longer than the OS takes (4,095 bytes on Linux, 1,023 on macOS, 32,767 UTF-16 units on
 * Windows). Checked when the manifest is loaded, so `validate` reports it with its place, rather
 * than a driver call failing later with no place at all. Costs one regular expression test for a
 * path of ordinary length.
 */
import type { Platform } from '../core/paths.js';
import { excerpt } from '../core/printable.js';

export interface PathChecker {
  /** What is wrong with `p`, or undefined. */
  (p: string): string | undefined;
  /** Only the length of `p` (its names being known good). */
  total(p: string): string | undefined;
}

interface Limits {
  /** The longest path: in UTF-8 bytes, or in UTF-16 units (Windows). */
  path: number;
  bytes: boolean;
  os: string;
  /** A NUL, or a name that may be too long (more characters than a name of the limit can have). */
  suspect: RegExp;
  sep: RegExp;
}

const NAME_MAX = 255;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function limitsFor(platform: Platform): Limits {
  if (platform === 'win32') return { path: 32_767, bytes: false, os: 'Windows', suspect: /\0|[^\\/]{256}|[\ud800-\udfff]/, sep: /[\\/]/ };
  // a UTF-16 unit is at most 3 UTF-8 bytes: a name of 85 units or fewer fits in 255 bytes
  return { path: platform === 'darwin' ? 1023 : 4095, bytes: true, os: platform === 'darwin' ? 'macOS' : 'Linux', suspect: /\0|[^/]{86}|[\ud800-\udfff]/, sep: /\// };
}

const n = (x: number): string => x.toLocaleString('en-US');

export function pathChecker(platform: Platform): PathChecker {
  const lim = limitsFor(platform);
  const size = (s: string): number => (lim.bytes ? Buffer.byteLength(s) : s.length);
  const unit = lim.bytes ? 'bytes' : 'characters';
  // (a path this short, counted in UTF-16 units, cannot be too long in bytes)
  const quick = lim.bytes ? Math.floor(lim.path / 3) : lim.path;
  const length = (p: string): string | undefined => {
    if (p.length <= quick) return undefined;
    const s = size(p);
    return s > lim.path ? `${excerpt(p, 40)} is ${n(s)} ${unit} long; at most ${n(lim.path)} ${unit} on ${lim.os}` : undefined;
  };
  const check = (p: string): string | undefined => {
    if (lim.suspect.test(p)) {
      if (p.includes('\0')) return `${excerpt(p, 40)} contains a NUL byte, which no path can hold`;
      // (the OS would be given U+FFFD in its place: another name than the manifest's)
      if (LONE_SURROGATE.test(p)) return `${excerpt(p, 40)} holds half of a UTF-16 surrogate pair, which no file name can; write the whole character`;
      for (const name of p.split(lim.sep)) {
        const s = size(name);
        if (s > NAME_MAX) return `${excerpt(name, 40)} is a name of ${n(s)} ${unit}; at most ${NAME_MAX} ${unit} fit in one name on ${lim.os}`;
      }
    }
    return length(p);
  };
  return Object.assign(check, { total: length });
}
