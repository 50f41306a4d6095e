/**
 * The plan of a folder entry (`directories:`): a real folder wanted at a path. Where nothing is,
 * it is made (after the folders above it, and with its mode); where a folder is, nothing changes
 * (its mode is left as it is: linkplan sets modes only on folders it makes). Anything else there
 * (a file, a link, something foreign) is a conflict: linkplan neither deletes it nor makes a
 * folder through a link.
 */
import { describeEntry } from '../core/entries.js';
import type { Action, Desired, Entry, MakeFolderAction } from '../core/types.js';
import { baseOf, conflictOf, noop } from './actions.js';
import { missingParents, type PlanContext } from './plan-context.js';
import type { FolderLink } from './folder-links.js';

export function planFolder(ctx: PlanContext, d: Desired, before: Entry, above: readonly FolderLink[]): Action {
  const mode = d.folder?.mode;
  if (before.kind === 'dir') return noop(baseOf(d, before), above.length > 0 ? `a folder already (reached through the folder link ${above[0]?.path ?? ''})` : 'a folder already');
  if (before.kind !== 'absent') {
    return conflictOf(d, before, `is ${describeEntry(before)}, not a folder; linkplan never deletes or replaces it to make one`, 'move it away yourself if the folder belongs here, or drop the entry');
  }
  if (above.length > 0) {
    const via = above[0]?.path ?? '';
    return conflictOf(d, before, `its folder ${via} is a link; linkplan does not make folders through a link`, `make the folder in the place ${via} leads to, or declare ${via} as a folder instead of a link`);
  }
  const parents = missingParents(ctx, d.path);
  if (!parents.ok) return conflictOf(d, before, parents.problem, 'fix the path, or move what is in the way');
  if (parents.dirs.length > 0 && !d.createParents) {
    return conflictOf(d, before, `its folder ${parents.dirs[0] ?? ''} does not exist, and createParents is off`, 'create the folder, or set createParents: true');
  }
  for (const p of parents.dirs) ctx.willCreate.add(ctx.key(p));
  ctx.willCreate.add(ctx.key(d.path));
  const a: MakeFolderAction = { ...baseOf(d, before), kind: 'make-folder', reason: 'a folder the setup needs', after: { kind: 'dir', dev: parents.dev ?? 0 } };
  if (parents.dirs.length > 0) a.parents = parents.dirs;
  if (mode !== undefined) a.mode = mode;
  return a;
}
