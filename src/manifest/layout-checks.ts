/**
 * Checks a manifest's links as a whole, after expansion: two entries for one path (compared
 * case-insensitively where the filesystem is), a link inside another link's path (it would be
 * made through that link), and a link that lies inside its own target, or whose target lies
 * inside it (a cycle), unless the entry allows it. A path that is its own target is no link: it is
 * already in place (a repository cloned where the manifest links it to).
 */
import type { ManifestProblem } from '../core/errors.js';
import { isInside, parentMemo, parentOf, pathKey } from '../core/paths.js';
import type { LinkIndex } from '../core/link-index.js';
import type { Desired } from '../core/types.js';

function describe(d: Desired): string {
  return d.source.match === undefined ? d.source.where : `${d.source.where} (glob match ${d.source.match})`;
}

function problem(d: Desired, message: string): ManifestProblem {
  return {
    where: d.source.where,
    ...(d.source.line === undefined ? {} : { line: d.source.line }),
    ...(d.source.column === undefined ? {} : { column: d.source.column }),
    message,
  };
}

/** Checks `desired`, whose index `links` is. */
export function checkLayout(desired: readonly Desired[], links: LinkIndex): ManifestProblem[] {
  const { platform } = links;
  const problems: ManifestProblem[] = [];
  // where the index of the links holds every entry, none is declared twice; otherwise they are looked for one by one
  let byKey: ReadonlyMap<string, Desired> = links.byPath;
  if (links.byPath.size !== desired.length) {
    const all = new Map<string, Desired>();
    for (const d of desired) {
      const k = pathKey(d.path, platform);
      const first = all.get(k);
      if (first !== undefined) {
        const line = first.source.line === undefined ? '' : ` (line ${first.source.line})`;
        problems.push(problem(d, `${d.path}: declared twice; ${describe(first)}${line} already declares it`));
      } else {
        all.set(k, d);
      }
    }
    byKey = all;
  }
  /** Keys of folders with no present link of the manifest at or above them. */
  const clear = new Set<string>();
  const folderOf = parentMemo(platform);
  // (indexed loops: run once over thousands of links, mostly before the optimiser gets to them,
  // where `for...of` costs an iterator step per element)
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    // a link whose folder is (inside) another link: creating it would write through that link
    // (made only when a folder not yet known clear is met: most links meet none)
    let seen: string[] | undefined;
    for (let p = folderOf(d.path); ; ) {
      const k = pathKey(p, platform);
      if (clear.has(k)) break;
      const up = parentOf(p, platform);
      if (up === p) break; // the root: no link can be there
      const outer = byKey.get(k);
      if (outer !== undefined && outer.state === 'present' && outer.folder === undefined && outer.target !== outer.path) {
        problems.push(problem(d, `${d.path}: lies inside ${outer.path}, which ${describe(outer)} makes a link; linkplan does not make links through another link`));
        seen = undefined;
        break;
      }
      (seen ??= []).push(k);
      p = up;
    }
    if (seen !== undefined) for (let j = 0; j < seen.length; j++) clear.add(seen[j] as string);
    if (d.state !== 'present' || d.target === null) continue;
    // (a path that is its own target is already in place: a repository cloned where it is linked to)
    if (pathKey(d.path, platform) === pathKey(d.target, platform)) continue;
    if (isInside(d.path, d.target, platform) && !d.allowCycle) {
      problems.push(
        problem(d, `${d.path}: lies inside its own target ${d.target}, which makes an endless loop for anything that walks the tree; set allowCycle: true if you mean it`),
      );
    } else if (isInside(d.target, d.path, platform)) {
      problems.push(problem(d, `${d.path}: its target ${d.target} lies inside the link itself, so it can never be reached`));
    }
  }
  return problems;
}
