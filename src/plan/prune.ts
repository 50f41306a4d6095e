/**
 * `--prune`: for every link linkplan created for a manifest (its records) that the manifest no
 * longer declares, an entry asking to remove it, but only while it is still exactly the link
 * linkplan made (home-manager's rule), and only in or below a folder the manifest manages now (one
 * of its links' folders as expanded this time). Such an entry carries `Desired.prune`; where the
 * planner leaves its path as it is, the noop says what it found there (`NoopAction.prune`).
 */
import { parentOf, pathKey, type AbsPath, type Platform } from '../core/paths.js';
import type { Desired } from '../core/types.js';
import type { OwnedLink } from '../state/records.js';

/** The source of an entry of `--prune`, as messages and the JSON plan show it. */
const PRUNE_SOURCE = { where: 'prune' } as const;

export function pruneEntries(desired: readonly Desired[], owned: ReadonlyMap<string, OwnedLink>, platform: Platform): Desired[] {
  if (owned.size === 0) return []; // (a first apply: no set of the manifest's thousands of paths)
  const declared = new Set(desired.map((d) => pathKey(d.path, platform)));
  // the folders the manifest manages now, and those below them: a link it made elsewhere (under
  // another HOME, say, or another --var) is not one this expansion of the manifest could have made
  const managed = new Set(desired.map((d) => pathKey(parentOf(d.path, platform), platform)));
  /** Whether a folder the manifest manages now holds `p`, or a folder above it. */
  const managedAbove = (p: AbsPath): boolean => {
    for (let a = parentOf(p, platform); ; a = parentOf(a, platform)) {
      if (managed.has(pathKey(a, platform))) return true;
      if (parentOf(a, platform) === a) return false;
    }
  };
  const out: Desired[] = [];
  owned.forEach((link, p) => {
    if (declared.has(pathKey(p, platform))) return;
    const outside = !managedAbove(p as AbsPath);
    out.push({
      path: p as AbsPath,
      state: 'absent',
      target: link.target,
      type: link.type,
      relative: false,
      onConflict: 'refuse',
      createParents: false,
      allowCycle: false,
      allowSystemPaths: false,
      targetForm: 'path',
      prune: outside ? { type: link.type, linkText: link.linkText, outside } : { type: link.type, linkText: link.linkText },
      source: { ...PRUNE_SOURCE },
    });
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
