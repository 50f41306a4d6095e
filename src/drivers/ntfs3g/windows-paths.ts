/**
 * How one NTFS volume's paths read on both sides: Linux paths under the ntfs-3g mount point
 * (`/mnt/d/tools/jdk`) and the Windows paths that reparse data holds (`D:\tools\jdk`, or
 * `\\?\Volume{GUID}\tools\jdk`). The driver writes the Windows form into junctions and symbolic
 * links and turns what it reads back into the Linux form when the path lies on this volume, so the
 * planner compares like with like. Pure: no I/O.
 */
import path from 'node:path';
import { UsageError } from '../../core/errors.js';
import { normalizeWindowsRoot } from '../../core/windows-root.js';
import { unwindowsComponent } from '../ntfs/names.js';

export { normalizeWindowsRoot, unwindowsComponent };


export interface WindowsPathsOptions {
  /** Absolute Linux path where ntfs-3g mounts the volume. */
  mountPoint: string;
  /** How Windows names the volume's root: `D:\` (or `D:`) or `\\?\Volume{GUID}\`. */
  windowsRoot: string;
}


export class WindowsPaths {
  readonly mountPoint: string;
  readonly windowsRoot: string;

  constructor(opts: WindowsPathsOptions) {
    if (!path.posix.isAbsolute(opts.mountPoint)) {
      throw new UsageError(`${opts.mountPoint}: the mount point of an NTFS volume must be an absolute path`);
    }
    const root = normalizeWindowsRoot(opts.windowsRoot);
    if (root === undefined) {
      throw new UsageError(`${opts.windowsRoot}: not a Windows volume root`, {
        hint: 'name the volume as Windows does: a drive root like D:\\ or a volume GUID path like \\\\?\\Volume{GUID}\\',
      });
    }
    const mp = path.posix.resolve(opts.mountPoint);
    this.mountPoint = mp;
    this.windowsRoot = root;
  }

  /** True when Linux path `p` is the mount point or below it. */
  contains(p: string): boolean {
    const abs = path.posix.resolve(p);
    return abs === this.mountPoint || abs.startsWith(this.mountPoint === '/' ? '/' : this.mountPoint + '/');
  }

  /** Components of Linux path `p` below the mount point, or undefined when `p` is not on the volume. */
  private componentsOf(p: string): string[] | undefined {
    if (!this.contains(p)) return undefined;
    const rest = path.posix.relative(this.mountPoint, path.posix.resolve(p));
    return rest === '' ? [] : rest.split('/');
  }

  /**
   * The Windows path of Linux path `p` (`/mnt/d/a/b` -> `D:\a\b`), or undefined when `p` is not on
   * this volume. Throws an Error naming the component when Windows could not name it (a `\`, `:`,
   * `*`... in it, or a trailing dot or space).
   */
  toWindows(p: string): string | undefined {
    const parts = this.componentsOf(p);
    if (parts === undefined) return undefined;
    const bad = unwindowsComponent(parts);
    if (bad !== undefined) throw new Error(`"${bad}" is a name Windows cannot use in a path`);
    return this.windowsRoot + parts.join('\\');
  }

  /**
   * The Linux path of absolute Windows path `w` when it lies on this volume (`D:\a\b` ->
   * `/mnt/d/a/b`; drive letters and GUIDs compare case-insensitively; `\\?\D:\a` and `\??\D:\a`
   * count as `D:\a`), else undefined. Paths with `.` or `..` components are left to the caller.
   */
  toLinux(w: string): string | undefined {
    let p = w.replaceAll('/', '\\');
    if (p.startsWith('\\??\\') || p.startsWith('\\\\?\\') || p.startsWith('\\\\.\\')) {
      const body = p.slice(4);
      p = /^[A-Za-z]:\\/.test(body) ? body : `\\\\?\\${body}`;
    }
    const root = this.windowsRoot;
    const rootNoSlash = root.slice(0, -1);
    let rest: string;
    if (p.toLowerCase() === rootNoSlash.toLowerCase() && !/^[A-Za-z]:$/.test(p)) rest = '';
    else if (p.toLowerCase().startsWith(root.toLowerCase())) rest = p.slice(root.length);
    else return undefined;
    return this.rootRelativeToLinux(rest);
  }

  /** Linux path of a path relative to the volume root (`a\b` or `\a\b`), or undefined with `.`/`..`. */
  rootRelativeToLinux(rest: string): string | undefined {
    const parts = rest.split('\\').filter((c) => c !== '');
    if (parts.some((c) => c === '.' || c === '..')) return undefined;
    return parts.length === 0 ? this.mountPoint : path.posix.join(this.mountPoint, ...parts);
  }
}
