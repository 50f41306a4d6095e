/**
 * The steps an apply is made of, each a single driver call with a known inverse: make a folder
 * (undo: remove it while empty), move something (undo: move it back), make a link (undo: remove
 * it), replace a link (undo: put the old one back), remove a link (undo: make it again). An
 * action of the plan expands into a few steps; a failed apply undoes its done steps in reverse.
 * A relocation copies a folder to another volume (`copy-tree`; undo: delete the copy, only while
 * it is the very folder the copy made, whose identity the journal records once it is made, and
 * only while the original is back in its place). One step has no inverse: deleting a backup for
 * `backups prune` (`remove-tree`), which is only ever finished, never undone. Steps are plain
 * values: the journal lists them as they ran.
 */
import type { CopyProgress, Driver } from '../drivers/driver.js';
import { DriverError } from '../core/errors.js';
import { fileIdentity } from '../state/files.js';
import { resolveLinkText, type AbsPath } from '../core/paths.js';
import type { Action, LinkSpec } from '../core/types.js';
import { modeText } from '../core/entries.js';

export type Step =
  | { op: 'mkdir'; path: AbsPath; mode?: number }
  /** Removes an empty folder (an adopt's target, for what moves there). */
  | { op: 'rmdir'; path: AbsPath }
  | { op: 'move'; from: AbsPath; to: AbsPath }
  | { op: 'link'; path: AbsPath; link: LinkSpec }
  | { op: 'replace-link'; path: AbsPath; link: LinkSpec; previous: LinkSpec }
  | { op: 'unlink'; path: AbsPath; previous: LinkSpec }
  /** Deletes the backup at `path` (a file, a link or a tree, never following a link), while it is still `identity`. */
  | { op: 'remove-tree'; path: AbsPath; identity: string }
  /**
   * Copies the folder `from` to `to` (on another volume) and checks the copy. `root`: the identity
   * (`fileIdentity`) of the copy's top folder, once made (the journal records it then).
   */
  | { op: 'copy-tree'; from: AbsPath; to: AbsPath; root?: string };

/** What a step may tell as it runs: the copy's top folder made (its identity), and how far a copy is. */
export interface StepEvents {
  /** Durable on return: the journal's record of the copy's top folder. */
  made?: (root: string) => void;
  progress?: (p: CopyProgress) => void;
}

/** The link an observed entry is, as a spec that can make it again. */
function previousLink(a: Action): LinkSpec {
  const b = a.before;
  if (b.kind === 'symlink' || b.kind === 'junction') return { type: b.kind, target: a.path, linkText: b.linkText };
  if (b.kind === 'file' && a.kind === 'remove' && a.removeTarget !== undefined) return { type: 'hardlink', target: a.removeTarget, linkText: a.removeTarget };
  throw new Error(`${a.path}: ${b.kind} is not a link`);
}

export function stepsFor(a: Action): Step[] {
  const out: Step[] = [];
  addSteps(a, out);
  return out;
}

/** Appends the action's steps to `out` (an apply numbers the steps of thousands of actions in one list). */
export function addSteps(a: Action, out: Step[]): void {
  switch (a.kind) {
    case 'noop':
    case 'conflict':
      return;
    case 'remove':
      out.push({ op: 'unlink', path: a.path, previous: previousLink(a) });
      return;
    case 'create':
      if (a.parents !== undefined) for (let i = 0; i < a.parents.length; i++) out.push({ op: 'mkdir', path: a.parents[i] as AbsPath });
      out.push({ op: 'link', path: a.path, link: a.link });
      return;
    case 'retarget': {
      const previous = previousLink(a);
      // a link someone else made is copied to the backup name first (its text kept, restorable)
      if (a.backupPath !== undefined) out.push({ op: 'link', path: a.backupPath, link: { ...previous, target: resolveLinkText(a.path, previous.linkText) } });
      out.push({ op: 'replace-link', path: a.path, link: a.link, previous });
      return;
    }
    case 'backup-and-link':
      out.push({ op: 'move', from: a.path, to: a.backupPath }, { op: 'link', path: a.path, link: a.link });
      return;
    case 'make-folder':
      for (const p of a.parents ?? []) out.push({ op: 'mkdir', path: p });
      out.push(a.mode === undefined ? { op: 'mkdir', path: a.path } : { op: 'mkdir', path: a.path, mode: a.mode });
      return;
    case 'adopt':
      for (const p of a.targetParents ?? []) out.push({ op: 'mkdir', path: p });
      if (a.intoEmpty === true) out.push({ op: 'rmdir', path: a.link.target });
      out.push({ op: 'move', from: a.path, to: a.link.target }, { op: 'link', path: a.path, link: a.link });
      return;
    case 'relocate':
      for (const p of a.targetParents ?? []) out.push({ op: 'mkdir', path: p });
      if (a.intoEmpty === true) out.push({ op: 'rmdir', path: a.link.target });
      out.push({ op: 'copy-tree', from: a.path, to: a.link.target }, { op: 'move', from: a.path, to: a.backupPath }, { op: 'link', path: a.path, link: a.link });
      return;
  }
}

export function runStep(s: Step, driver: Driver, events?: StepEvents): void {
  switch (s.op) {
    case 'copy-tree':
      copyTreeStep(s, driver, events);
      return;
    case 'mkdir':
      return driver.mkdir(s.path, s.mode);
    case 'rmdir':
      return driver.rmdir(s.path);
    case 'move':
      return driver.move(s.from, s.to);
    case 'link':
      return driver.createLink(s.path, s.link);
    case 'replace-link':
      return driver.replaceLink(s.path, s.link);
    case 'unlink':
      return driver.removeLink(s.path);
    case 'remove-tree':
      removeTreeStep(s, driver);
      return;
  }
}

/** Deletes a backup while it is still the one recorded; what stays (a mount point, say) is an error naming it. */
function removeTreeStep(s: Extract<Step, { op: 'remove-tree' }>, driver: Driver): void {
  if (fileIdentity(s.path) !== s.identity) throw new DriverError(s.path, 'is not that backup any more (something else has its name now); it is left alone');
  const left = driver.removeTree(s.path, { identity: s.identity }).left;
  if (left.length > 0) throw new DriverError(s.path, `deleted in part; left:\n  ${left.join('\n  ')}`);
}

/**
 * Copies a folder, the journal told which folder the copy's top is before anything is written
 * into it (a failed copy deletes what it made itself, and throws).
 */
function copyTreeStep(s: Extract<Step, { op: 'copy-tree' }>, driver: Driver, events: StepEvents | undefined): void {
  const progress = events?.progress;
  driver.copyTree(s.from, s.to, {
    onRoot: () => {
      const root = fileIdentity(s.to);
      if (root === undefined) throw new DriverError(s.to, 'the copy\'s folder is gone as soon as it was made');
      s.root = root;
      events?.made?.(root);
    },
    ...(progress === undefined ? {} : { onProgress: progress }),
  });
}

/** Whether an empty folder is at `p`. */
export function emptyFolderAt(p: AbsPath, driver: Driver): boolean {
  return driver.observe(p).kind === 'dir' && driver.listDir(p).length === 0;
}

/**
 * Deletes the copy a relocation made at `s.to`: only the folder the copy made (its identity as the
 * journal recorded it; where none was recorded, an empty folder alone: nothing was written into it
 * yet), and only while the original folder is in its place at `s.from`. False when nothing is there.
 */
export function removeCopy(s: Extract<Step, { op: 'copy-tree' }>, driver: Driver): boolean {
  const now = fileIdentity(s.to);
  if (now === undefined) return false;
  if (driver.observe(s.from).kind !== 'dir') throw new DriverError(s.to, `the original ${s.from} is not back in its place, so its copy here is kept`);
  if (s.root === undefined) {
    // killed between making the copy's folder and recording which it is: nothing was put in it
    if (!emptyFolderAt(s.to, driver)) throw new DriverError(s.to, 'is not known to be the copy this apply made (no record of it); it is left alone');
    driver.rmdir(s.to);
    return true;
  }
  if (now !== s.root) throw new DriverError(s.to, 'is not the copy this apply made any more (something else has its name now); it is left alone');
  const left = driver.removeTree(s.to, { copy: true, identity: s.root }).left;
  if (left.length > 0) throw new DriverError(s.to, `the copy was deleted in part; left:\n  ${left.join('\n  ')}`);
  return true;
}

export function undoStep(s: Step, driver: Driver): void {
  switch (s.op) {
    case 'copy-tree':
      removeCopy(s, driver);
      return;
    case 'mkdir':
      return driver.rmdir(s.path);
    case 'rmdir':
      return driver.mkdir(s.path);
    case 'move':
      return driver.move(s.to, s.from);
    case 'link':
      return driver.removeLink(s.path);
    case 'replace-link':
      return driver.replaceLink(s.path, s.previous);
    case 'unlink':
      return driver.createLink(s.path, s.previous);
    case 'remove-tree':
      throw new DriverError(s.path, 'a deleted backup cannot be put back');
  }
}

export function describeStep(s: Step, show: (p: string) => string = (p) => p): string {
  switch (s.op) {
    case 'mkdir':
      return `create folder ${show(s.path)}${s.mode === undefined ? '' : ` (mode ${modeText(s.mode)})`}`;
    case 'rmdir':
      return `remove empty folder ${show(s.path)}`;
    case 'move':
      return `move ${show(s.from)} to ${show(s.to)}`;
    case 'link':
      return `create ${s.link.type} ${show(s.path)} -> ${s.link.linkText}`;
    case 'replace-link':
      return `retarget ${show(s.path)} -> ${s.link.linkText}`;
    case 'unlink':
      return `remove link ${show(s.path)}`;
    case 'remove-tree':
      return `delete backup ${show(s.path)}`;
    case 'copy-tree':
      return `copy ${show(s.from)} to ${show(s.to)}`;
  }
}
