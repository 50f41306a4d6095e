/**
 * Paths are normalised once, at the edge, into the branded `AbsPath` type: absolute, resolved,
 * without a trailing separator. Everything inside linkplan then compares plain strings, through
 * `pathKey`, which folds case where the platform's filesystems usually do (Windows, macOS).
 */
import path from 'node:path';

export type AbsPath = string & { readonly __brand: 'AbsPath' };
export type Platform = 'linux' | 'darwin' | 'win32' | 'other';

export function currentPlatform(): Platform {
  const p = process.platform;
  return p === 'linux' || p === 'darwin' || p === 'win32' ? p : 'other';
}

function pathApi(platform: Platform): path.PlatformPath {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** An absolute POSIX path already normal: each segment named (no empty, `.` or `..` one), no `/` at the end. */
const NORMAL_POSIX = /^(?:\/(?!\.\.?(?:\/|$))[^/]+)+$/;

/** Resolves `p` against `base` (itself absolute) and normalises it. */
export function toAbs(p: string, base: string, platform: Platform = currentPlatform()): AbsPath {
  // (a manifest of thousands of entries gives thousands of absolute paths that are normal already;
  // POSIX resolve never leaves a `/` at the end but the root's)
  if (platform !== 'win32') return (NORMAL_POSIX.test(p) ? p : path.posix.resolve(base, p)) as AbsPath;
  const api = pathApi(platform);
  let out = api.resolve(base, p);
  const root = api.parse(out).root;
  while (out.length > root.length && out.endsWith(api.sep)) out = out.slice(0, -1);
  return out as AbsPath;
}

/** Marks a path that is already absolute and normalised (read back from a saved plan, say). */
export function asAbs(p: string, platform: Platform = currentPlatform()): AbsPath {
  return toAbs(p, pathApi(platform).sep, platform);
}

/** The key two paths share when they name the same entry: case-folded on Windows and macOS. */
export function pathKey(p: string, platform: Platform = currentPlatform()): string {
  return platform === 'win32' || platform === 'darwin' ? p.toLowerCase() : p;
}

/** True when `child` lies strictly below `parent`. */
export function isInside(child: string, parent: string, platform: Platform = currentPlatform()): boolean {
  const sep = pathApi(platform).sep;
  const c = pathKey(child, platform);
  const p = pathKey(parent, platform);
  // below `p`: longer, starting with it, and a separator right after it (or `p` ends in one)
  return c.length > p.length && c.startsWith(p) && (p.endsWith(sep) || c[p.length] === sep);
}

export function isSameOrInside(child: string, parent: string, platform: Platform = currentPlatform()): boolean {
  return pathKey(child, platform) === pathKey(parent, platform) || isInside(child, parent, platform);
}

export function parentOf(p: AbsPath, platform: Platform = currentPlatform()): AbsPath {
  if (platform !== 'win32') {
    // what precedes the last separator (the planner asks this of every path, often many times)
    const i = p.lastIndexOf('/');
    if (i > 0 && i < p.length - 1 && p.charCodeAt(i - 1) !== 47) return p.slice(0, i) as AbsPath;
    if (i === 0 && p.length > 1) return '/' as AbsPath;
  }
  return pathApi(platform).dirname(p) as AbsPath;
}

/**
 * `parentOf` for a run of paths that mostly share their folder (a glob's matches come folder by
 * folder): while the folder stays the same, the same string is handed back rather than a new
 * slice, so a Map or Set it is looked up in finds its hash already computed (bench/README.md,
 * "Kept": the layout checks and the link index of a 10,000-link glob).
 */
export function parentMemo(platform: Platform = currentPlatform()): (p: AbsPath) => AbsPath {
  const sep = pathApi(platform).sep;
  const code = sep.charCodeAt(0);
  let last = '' as AbsPath;
  return (p) => {
    const n = last.length;
    // below `last` and no separator after it (`last` is normal: never ends in one but the root)
    if (n > 0 && p.length > n + 1 && p.charCodeAt(n) === code && p.indexOf(sep, n + 1) === -1 && p.startsWith(last)) return last;
    return (last = parentOf(p, platform));
  };
}

/**
 * The entry at `rel` below folder `dir`, `rel` being names as folder listings give them (never
 * empty, `.`, `..` or with a separator in one), `/` between them: `dir` being normal, putting the
 * two together is all there is to do (node:path's join would normalise the lot again, and a glob
 * of thousands of matches would pay milliseconds for it).
 */
export function entryPath(dir: AbsPath, rel: string, platform: Platform = currentPlatform()): AbsPath {
  const sep = pathApi(platform).sep;
  return ((dir.endsWith(sep) ? dir : dir + sep) + (sep === '/' ? rel : rel.replaceAll('/', sep))) as AbsPath;
}

/** The text a relative link at `linkPath` needs to reach `target`. */
export function relativeLinkText(linkPath: AbsPath, target: AbsPath, platform: Platform = currentPlatform()): string {
  const api = pathApi(platform);
  const rel = api.relative(api.dirname(linkPath), target);
  return rel === '' ? '.' : rel;
}

/** Where a link's text leads, read the way the OS reads it: relative to the link's folder. */
export function resolveLinkText(linkPath: AbsPath, linkText: string, platform: Platform = currentPlatform()): AbsPath {
  return toAbs(linkText, pathApi(platform).dirname(linkPath), platform);
}

/** True for the absolute Windows forms: `C:\x`, `C:/x`, `\\server\share`, `\\?\...`, `\??\...`. */
export function isWindowsAbsolute(p: string): boolean {
  return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\') || p.startsWith('\\??\\');
}

/** Shows a path to a person: relative to `base` when below it, `~`-abbreviated under home. */
export function displayPath(p: string, opts: DisplayOptions = {}): string {
  return pathDisplay(opts)(p);
}

export interface DisplayOptions {
  base?: string;
  home?: string;
  platform?: Platform;
}

/**
 * `displayPath` with its options fixed once, for the thousands of paths an apply prints against
 * one base and one home: each path then costs a comparison or two and a slice.
 */
export function pathDisplay(opts: DisplayOptions = {}): (p: string) => string {
  const platform = opts.platform ?? currentPlatform();
  const sep = pathApi(platform).sep;
  const fold = platform === 'win32' || platform === 'darwin';
  // both are absolute and normalised, so below a folder is its prefix and a separator
  // (the part shown is cut at the folder's own length, as given: case folding may change a length)
  const below = (root: string | undefined): { key: string; prefix: string; cut: number } | undefined =>
    root === undefined || root === ''
      ? undefined
      : { key: pathKey(root, platform), prefix: pathKey(root.endsWith(sep) ? root : root + sep, platform), cut: root.endsWith(sep) ? root.length : root.length + 1 };
  const base = below(opts.base);
  const home = below(opts.home);
  return (p) => {
    const k = fold ? p.toLowerCase() : p;
    if (base !== undefined) {
      if (k === base.key) return '.';
      if (k.length > base.prefix.length && k.startsWith(base.prefix)) return p.slice(base.cut);
    }
    if (home !== undefined && k.length > home.prefix.length && k.startsWith(home.prefix)) return '~' + sep + p.slice(home.cut);
    return p;
  };
}

/** `s` as one word of a shell command line (quoted only where it needs to be). */
export function shellWord(s: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  if (currentPlatform() === 'win32') return `"${s.replace(/"/g, '""')}"`;
  return `'${s.replace(/'/g, "'\\''")}'`;
}
