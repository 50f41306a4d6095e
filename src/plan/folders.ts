/**
 * Adds to a plan which real folders it writes in: each folder that holds a link path, a backup
 * name or an adopt target, or, where the plan makes that folder, the nearest one above it that
 * exists; each with the identity (device:inode) of the folder its path leads to now. Apply writes
 * only into those very folders (a folder swapped since, even for a link to another, is refused),
 * so a saved plan carries them. A small read step after the pure planner: one stat per folder,
 * through the driver.
 */
import type { Driver } from '../drivers/driver.js';
import { currentPlatform, parentMemo, parentOf, type AbsPath } from '../core/paths.js';
import { isCreation, type Action, type FolderIdentity, type Plan } from '../core/types.js';

/** The folders the plan's writes happen in, the nearest existing one for those it makes. */
export function writtenFolders(actions: readonly Action[]): AbsPath[] {
  return foldersWrittenIn(actions, madeFolders(actions));
}

/** The folders the plan makes. */
function madeFolders(actions: readonly Action[]): Set<string> {
  // (indexed loops, each in a function of its own: run once over thousands of actions, mostly
  // before the optimiser gets to them)
  const made = new Set<string>();
  const addAll = (ps: readonly AbsPath[] | undefined): void => {
    if (ps !== undefined) for (let j = 0; j < ps.length; j++) made.add(ps[j] as AbsPath);
  };
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as Action;
    if (isCreation(a)) addAll(a.parents);
    if (a.kind === 'make-folder') made.add(a.path);
    if (a.kind === 'adopt' || a.kind === 'relocate') addAll(a.targetParents);
  }
  return made;
}

/** The folders the actions write in, where those the plan makes (`made`) count as the nearest existing one above. */
function foldersWrittenIn(actions: readonly Action[], made: ReadonlySet<string>): AbsPath[] {
  const platform = currentPlatform();
  const out = new Set<string>();
  // (the folder each parent folder is written in, worked out once: a glob puts many links in one,
  // and its actions come folder by folder)
  const seen = new Set<string>();
  const folderOf = parentMemo(platform);
  const add = (p: AbsPath): void => {
    const parent = folderOf(p);
    if (seen.has(parent)) return;
    seen.add(parent);
    let dir = parent;
    for (let up = parentOf(dir, platform); made.has(dir) && up !== dir; up = parentOf(dir, platform)) dir = up;
    out.add(dir);
  };
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as Action;
    if (a.kind === 'noop' || a.kind === 'conflict') continue;
    add(a.path);
    if ((a.kind === 'retarget' || a.kind === 'backup-and-link' || a.kind === 'relocate') && a.backupPath !== undefined) add(a.backupPath);
    if (a.kind === 'adopt' || a.kind === 'relocate') add(a.link.target);
  }
  return [...out].sort() as AbsPath[];
}

/** Sets `plan.folders`: each folder the plan writes in, and the folder its path leads to now. */
export function recordFolders(plan: Plan, driver: Driver): void {
  if (plan.actions.every((a) => a.kind === 'noop' || a.kind === 'conflict')) return;
  const folders: FolderIdentity[] = [];
  for (const dir of writtenFolders(plan.actions)) {
    const fileId = driver.folderId(dir);
    if (fileId !== undefined) folders.push({ path: dir, fileId });
  }
  if (folders.length > 0) plan.folders = folders;
}
