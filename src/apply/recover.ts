/**
 * Recovery of an apply that was killed midway. The journal says which steps were begun; whether
 * each one really happened is read from the disk, so recovery is exact whatever moment the
 * kill came at, and is itself safe to interrupt and run again. Backward (the default) undoes
 * every step whose effect is present, newest first, leaving the disk as before the apply (but for
 * a folder the apply made that something has been put into since: that stays, and is reported).
 * Forward runs every step whose effect is missing, oldest first, when its starting state still
 * holds, leaving the disk as the apply would have. A relocation's copy is deleted backward (only
 * the folder the journal says the copy made, and only once the original is back), and made again
 * from the start forward unless it was recorded done. A `backups prune` killed midway is always
 * finished, whichever way is asked: a backup it began to delete cannot be put back, so each one
 * still there (and still that backup) is deleted, and what cannot go is reported.
 */
import path from 'node:path';
import type { Driver } from '../drivers/driver.js';
import { isRetargetTempName } from '../drivers/posix.js';
import { DriverError, errnoCode, LinkplanError } from '../core/errors.js';
import type { AbsPath } from '../core/paths.js';
import type { Entry, FolderIdentity, LinkSpec } from '../core/types.js';
import { describeStep, emptyFolderAt, removeCopy, runStep, undoStep, type Step } from './steps.js';
import { fileIdentity } from '../state/files.js';
import { FileJournal } from '../state/journal/writer.js';
import { readJournal, type JournalRecord } from '../state/journal/reader.js';

export class RecoverError extends LinkplanError {}

function isLinkLike(e: Entry, link: LinkSpec, driver: Driver): boolean {
  if (link.type === 'hardlink') {
    if (e.kind !== 'file') return false;
    const t = driver.observeTarget(link.target);
    return t.kind === 'file' && t.fileId === e.fileId;
  }
  return e.kind === link.type && e.linkText === link.linkText;
}

/** True when the step's effect is on disk. */
export function effectPresent(s: Step, driver: Driver): boolean {
  switch (s.op) {
    case 'mkdir':
      return driver.observe(s.path).kind === 'dir';
    case 'rmdir':
      // (what an adopt moved there since is no empty folder)
      return !emptyFolderAt(s.path, driver);
    case 'move':
      return driver.observe(s.from).kind === 'absent' && driver.observe(s.to).kind !== 'absent';
    case 'link':
    case 'replace-link':
      return isLinkLike(driver.observe(s.path), s.link, driver);
    case 'unlink':
    case 'remove-tree':
      return driver.observe(s.path).kind === 'absent';
    case 'copy-tree':
      // (the copy this apply made, whole or in part: whether it is whole, only its done record says)
      return s.root !== undefined && fileIdentity(s.to) === s.root;
  }
}

/** True when the step can run now: the disk is in the state the step starts from. */
export function startStateHolds(s: Step, driver: Driver): boolean {
  switch (s.op) {
    case 'mkdir':
    case 'link':
      return driver.observe(s.path).kind === 'absent';
    case 'rmdir':
      return emptyFolderAt(s.path, driver);
    case 'move':
      return driver.observe(s.from).kind !== 'absent' && driver.observe(s.to).kind === 'absent';
    case 'replace-link':
    case 'unlink':
      return isLinkLike(driver.observe(s.path), s.previous, driver);
    case 'remove-tree':
      return fileIdentity(s.path) === s.identity;
    case 'copy-tree':
      return driver.observe(s.from).kind === 'dir' && driver.observe(s.to).kind === 'absent';
  }
}

/**
 * Backward: deletes the copy a relocation made (whole or in part), once the original is back in
 * its place; what is at the copy's name and is not that copy stays, noted in `left`.
 */
function undoCopy(seq: number, s: Extract<Step, { op: 'copy-tree' }>, ctx: { driver: Driver; journal: FileJournal; left: string[] }): boolean {
  if (fileIdentity(s.to) === undefined) return false;
  ctx.journal.undoing(seq);
  try {
    removeCopy(s, ctx.driver);
  } catch (e) {
    if (!(e instanceof DriverError)) throw e;
    ctx.left.push(`left ${e.message}`);
    return false;
  }
  ctx.journal.undone(seq);
  return true;
}

/**
 * Forward: a relocation's copy that was not recorded done is made again from the start (what a
 * killed copy made is deleted first, and only that), then checked as the first one would have been.
 */
function redoCopy(seq: number, s: Extract<Step, { op: 'copy-tree' }>, ctx: { driver: Driver; journal: FileJournal; backwardCommand: string | undefined }): void {
  const misfit = (why: string): RecoverError =>
    new RecoverError(`cannot finish the apply: step ${seq + 1} (${describeStep(s)}) no longer fits the disk: ${why}`, {
      hint: `run \`${ctx.backwardCommand ?? 'linkplan recover MANIFEST'}\` (without --forward) to roll the apply back instead`,
    });
  try {
    removeCopy(s, ctx.driver);
  } catch (e) {
    if (e instanceof DriverError) throw misfit(e.message);
    throw e;
  }
  if (!startStateHolds(s, ctx.driver)) throw misfit(`${s.from} is no longer a folder, or ${s.to} is taken`);
  ctx.journal.begin([seq]);
  runStep(s, ctx.driver, { made: (root) => ctx.journal.made(seq, root) });
  ctx.journal.done(seq);
}

/**
 * Removes the temporary link an atomic retarget (or its undo) killed between making the new link
 * and renaming it over the old one leaves beside the path: a symbolic link or a hard link, but
 * only one that is the step's new or old link, under the name the driver gives it.
 */
function removeRetargetLeftovers(s: Extract<Step, { op: 'replace-link' }>, driver: Driver): void {
  const dir = path.dirname(s.path) as AbsPath;
  let names: string[];
  try {
    names = driver.listDir(dir).map((d) => d.name);
  } catch {
    return;
  }
  for (const n of names) {
    if (!isRetargetTempName(s.path, n)) continue;
    const full = path.join(dir, n) as AbsPath;
    const e = driver.observe(full);
    if (isLinkLike(e, s.link, driver) || isLinkLike(e, s.previous, driver)) driver.removeLink(full);
  }
}

function isFolderIdentity(f: unknown): f is FolderIdentity {
  return typeof f === 'object' && f !== null && typeof (f as FolderIdentity).path === 'string' && typeof (f as FolderIdentity).fileId === 'string';
}

export interface RecoverResult {
  direction: 'backward' | 'forward';
  /** Steps undone (backward) or run (forward) now. */
  changed: string[];
  /** What a rollback left in place, and why (a folder the apply made that holds something now). */
  left?: string[];
  journal: JournalRecord;
}

function isNotEmpty(e: unknown): boolean {
  const code = e instanceof DriverError ? e.code : errnoCode(e);
  return code === 'ENOTEMPTY' || code === 'EEXIST';
}

/**
 * Whether the folder at `p` holds anything (put there since the apply made it): if so, it is
 * noted in `left` and stays, with what is in it.
 */
function keptFolder(p: AbsPath, driver: Driver, left: string[]): boolean {
  let n: number;
  try {
    n = driver.listDir(p).length;
  } catch {
    return false;
  }
  if (n === 0) return false;
  left.push(`left folder ${p}: it holds what was put there since the apply (${n} entr${n === 1 ? 'y' : 'ies'}); remove it by hand if it is not needed`);
  return true;
}

export function recover(journalFile: string, driver: Driver, opts: { forward: boolean; backwardCommand?: string }): RecoverResult | undefined {
  try {
    return recoverInFolders(journalFile, driver, opts);
  } finally {
    driver.releaseFolders();
  }
}

/** The recovery itself, writing only into the folders the apply's plan saw (the journal lists them). */
function recoverInFolders(journalFile: string, driver: Driver, opts: { forward: boolean; backwardCommand?: string }): RecoverResult | undefined {
  const rec = readJournal(journalFile);
  if (rec === undefined || rec.closed !== undefined) return undefined;
  const journal = FileJournal.reopen(journalFile, { started: rec.header !== undefined });
  if (rec.header === undefined) {
    // killed before the header was durable: no step can have run
    journal.close('recovered');
    return { direction: opts.forward ? 'forward' : 'backward', changed: [], journal: rec };
  }
  // a deletion cannot be undone: a prune's journal is always finished
  if (rec.header.prune !== undefined) return finishPrune(rec, journal, driver);
  const folders: unknown = rec.header.folders;
  driver.expectFolders(Array.isArray(folders) ? folders.filter(isFolderIdentity) : []);
  const steps = rec.header.steps;
  for (const s of steps) if (s.op === 'replace-link') removeRetargetLeftovers(s, driver);
  const changed: string[] = [];
  if (!opts.forward) {
    const left: string[] = [];
    const restore = rec.header.restore !== undefined;
    const ranBefore = (seq: number): boolean => rec.done.has(seq - 1) || effectPresent(steps[seq - 1] as Step, driver);
    const begun = [...rec.begun].sort((a, b) => b - a);
    for (const seq of begun) {
      const s = steps[seq];
      if (s === undefined) continue;
      if (s.op === 'copy-tree') {
        if (undoCopy(seq, s, { driver, journal, left })) changed.push(`delete the copy ${s.to}`);
        continue;
      }
      if (!effectPresent(s, driver)) continue;
      // a restore's last step removes the link it moved aside: its name is free before the
      // restore as after it, so that step ran only if the one before it did
      if (restore && s.op === 'unlink' && seq > 0 && !rec.done.has(seq) && !ranBefore(seq)) continue;
      // a folder the apply made that holds something now is the user's: it stays
      if (s.op === 'mkdir' && keptFolder(s.path, driver, left)) continue;
      journal.undoing(seq);
      try {
        undoStep(s, driver);
      } catch (e) {
        if (!(s.op === 'mkdir' && isNotEmpty(e) && keptFolder(s.path, driver, left))) throw e;
        continue;
      }
      journal.undone(seq);
      changed.push(describeStep(s));
    }
    journal.close('recovered');
    return { direction: 'backward', changed, left, journal: rec };
  }
  // forward: every step must either be done already or be able to run
  for (const [seq, s] of steps.entries()) {
    // a step recorded as done counts as done even if a later step changed its path again
    if (rec.done.has(seq)) continue;
    if (s.op === 'copy-tree') {
      redoCopy(seq, s, { driver, journal, backwardCommand: opts.backwardCommand });
      changed.push(describeStep(s));
      continue;
    }
    if (effectPresent(s, driver)) continue;
    if (!startStateHolds(s, driver)) {
      throw new RecoverError(`cannot finish the apply: step ${seq + 1} (${describeStep(s)}) no longer fits the disk`, {
        hint: `run \`${opts.backwardCommand ?? 'linkplan recover MANIFEST'}\` (without --forward) to roll the apply back instead`,
      });
    }
    journal.begin([seq]);
    runStep(s, driver);
    journal.done(seq);
    changed.push(describeStep(s));
  }
  journal.close('completed-forward');
  return { direction: 'forward', changed, journal: rec };
}

/** Finishes a prune: deletes each backup it lists that is still there and still that backup. */
function finishPrune(rec: JournalRecord, journal: FileJournal, driver: Driver): RecoverResult {
  const changed: string[] = [];
  const left: string[] = [];
  for (const [seq, s] of (rec.header?.steps ?? []).entries()) {
    if (s.op !== 'remove-tree' || rec.done.has(seq) || effectPresent(s, driver)) continue;
    if (!startStateHolds(s, driver)) {
      left.push(`left ${s.path}: it is not that backup any more (something else has its name now)`);
      continue;
    }
    const d = driver.removeTree(s.path, { identity: s.identity });
    journal.done(seq);
    changed.push(describeStep(s));
    for (const l of d.left) left.push(`left ${l}`);
  }
  journal.close('completed-forward');
  return { direction: 'forward', changed, left, journal: rec };
}
