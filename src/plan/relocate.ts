/**
 * The plan of a relocation: a folder in the way moves into its absent target on another volume,
 * where a rename cannot take it. What observe read of it (what it holds, the room on the target's
 * volume, whether the driver can copy it) decides: a `relocate` action (copy, check, keep the
 * original under its backup name, link), or a conflict that says what stands in the way (something
 * in the folder that cannot be copied, a driver that cannot copy yet, too little room: both figures).
 */
import type { AbsPath } from '../core/paths.js';
import { bytesText } from '../core/sizes.js';
import type { Action, Desired, Entry, TreeCount } from '../core/types.js';
import { conflictOf, type LinkBase } from './actions.js';
import type { PlanContext } from './plan-context.js';

/** The relocation to plan: the entry, what is in the way (described), the link's fields, and the folders the target needs. */
export interface RelocationAsked {
  d: Desired & { target: AbsPath };
  before: Entry;
  what: string;
  base: LinkBase;
  targetParents: AbsPath[];
  /** The target is an empty folder (persist) that the copy takes the place of. */
  intoEmpty: boolean;
}

export function planRelocate(ctx: PlanContext, r: RelocationAsked): Action {
  const { d, before, what } = r;
  const facts = ctx.observed.relocations?.get(ctx.key(d.path));
  if (facts === undefined) {
    return conflictOf(d, before, `cannot adopt ${what} into ${d.target}: the two are on different volumes`, 'run plan again: the folder was not read for a relocation');
  }
  if (facts.problem !== undefined) {
    return conflictOf(d, before, `cannot relocate ${what} to ${d.target} on another volume: ${facts.problem}`, 'move it yourself, or use onConflict: backup to move it aside');
  }
  if (facts.free !== undefined && facts.bytes > facts.free) {
    return conflictOf(
      d,
      before,
      `cannot relocate ${what} to ${d.target}: it holds ${bytesText(facts.bytes)} (${facts.bytes} bytes), and the target's volume has ${bytesText(facts.free)} (${facts.free} bytes) free`,
      'free space on the target volume, or choose a target on another one',
    );
  }
  const backupPath = ctx.observed.backupSlots.get(ctx.key(d.path));
  if (backupPath === undefined) return conflictOf(d, before, `${what} is in the way, and no backup name was found to keep it under`, 'run plan again');
  for (const p of r.targetParents) ctx.willCreate.add(ctx.key(p));
  const copy: TreeCount = { bytes: facts.bytes, files: facts.files, folders: facts.folders, links: facts.links, hardLinked: facts.hardLinked };
  const notes = [...r.base.notes];
  if (copy.hardLinked > 0) notes.push(`${copy.hardLinked} file${copy.hardLinked === 1 ? ' has' : 's have'} other names (hard links); each is copied as a file of its own`);
  return {
    ...r.base,
    notes,
    kind: 'relocate',
    reason: `${what} is in the way, and the target ${d.target} is on another volume: it is copied there${r.intoEmpty ? ' in place of the empty folder there' : ''}, the copy checked, the original kept at ${backupPath}, then linked`,
    backupPath,
    copy,
    ...(r.targetParents.length > 0 ? { targetParents: r.targetParents } : {}),
    ...(r.intoEmpty ? { intoEmpty: true as const } : {}),
  };
}
