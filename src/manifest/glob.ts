/**
 * Glob expansion for `glob:` entries: walks the target folder without ever following a link, and
 * returns the relative paths to link. A matching folder is linked whole (folding), or with
 * `fold: false` only the files below it are, inside real folders (Stow's --no-folding).
 * Version-control folders (.git, .hg, .svn) are never matched.
 */
import picomatch from 'picomatch';
import type { DirEntry, Driver } from '../drivers/driver.js';
import { entryPath, type AbsPath } from '../core/paths.js';

export interface GlobMatch {
  /** Path relative to the glob's folder, with `/` separators. */
  rel: string;
  kind: DirEntry['kind'];
}

const ALWAYS_SKIPPED = new Set(['.git', '.hg', '.svn']);

export function expandGlob(
  root: AbsPath,
  pattern: string,
  opts: { exclude: readonly string[]; fold: boolean; driver: Driver; nocase: boolean },
): GlobMatch[] {
  const pmOpts = { dot: true, nocase: opts.nocase };
  const isMatch = picomatch(pattern, pmOpts);
  const isExcluded = opts.exclude.length === 0 ? () => false : picomatch([...opts.exclude], pmOpts);
  const deep = pattern.includes('/') || pattern.includes('**');
  const out: GlobMatch[] = [];

  const walk = (rel: string, dir: AbsPath, inMatched: boolean): void => {
    const entries = opts.driver.listDir(dir);
    // (an indexed loop: run over thousands of names, mostly before the optimiser gets to it)
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as DirEntry;
      if (ALWAYS_SKIPPED.has(e.name)) continue;
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      if (isExcluded(r) || isExcluded(e.name)) continue;
      const matched = inMatched || isMatch(r);
      if (e.kind === 'dir') {
        if (matched && opts.fold) out.push({ rel: r, kind: 'dir' });
        else if ((matched && !opts.fold) || deep) walk(r, entryPath(dir, e.name), matched && !opts.fold);
      } else if (matched) {
        out.push({ rel: r, kind: e.kind });
      }
    }
  };
  walk('', root, false);
  return out;
}
