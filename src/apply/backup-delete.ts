/**
 * Deleting backups, for `linkplan backups prune`: the one deliberate deletion of user data
 * linkplan makes, and only when asked. Each backup is one `remove-tree` step, journaled like an
 * apply's steps and run through the driver (`Driver.removeTree`: through handles on the folders,
 * never following a link, a link inside removed as a link, a folder on another filesystem left
 * with all it holds), and only while what has the backup's name is still the backup its record
 * names. A deletion cannot be undone: a prune killed midway is finished by `linkplan recover`
 * (recover.ts). What was removed and what was left is counted, so the command can say so.
 */
import type { Driver, TreeRemoval } from '../drivers/driver.js';
import { LinkplanError } from '../core/errors.js';
import type { BackupRecord } from '../state/records.js';
import { fileIdentity } from '../state/files.js';
import { FileJournal } from '../state/journal/writer.js';
import type { Step } from './steps.js';


/** One backup's deletion: what went, or why it was not touched (`skipped`). */
export interface Pruned {
  backup: BackupRecord;
  removed: TreeRemoval;
  skipped?: string;
}

/** A prune stopped by a driver error; `done` says what happened to the backups before it. */
export class PruneError extends LinkplanError {
  done: Pruned[] = [];
}

/**
 * Deletes `backups` (each with its identity), under a journal made in `stateDir`. Returns what
 * happened to each; a driver error stops the prune (the backups deleted before it stay deleted,
 * and are returned with it in a PruneError's `done`).
 */
export function runPrune(stateDir: string, backups: readonly BackupRecord[], ctx: { manifest: string; driver: Driver }): Pruned[] {
  const steps: Step[] = backups.map((b) => ({ op: 'remove-tree', path: b.movedTo, identity: b.identity ?? '' }));
  const journal = FileJournal.create(stateDir, { manifest: ctx.manifest, actions: [], prune: { backups: backups.map((b) => b.id) } });
  const out: Pruned[] = [];
  try {
    journal.start(steps);
    journal.begin(steps.map((_, i) => i));
  } catch (e) {
    journal.close('refused');
    throw e;
  }
  try {
    for (let i = 0; i < backups.length; i++) {
      const b = backups[i] as BackupRecord;
      const none: TreeRemoval = { files: 0, folders: 0, links: 0, left: [] };
      // right before it goes: still the backup its record names (a name reused since is left)
      if (b.identity === undefined || fileIdentity(b.movedTo) !== b.identity) out.push({ backup: b, removed: none, skipped: 'it is not that backup any more' });
      else out.push({ backup: b, removed: ctx.driver.removeTree(b.movedTo) });
      journal.done(i);
    }
  } catch (e) {
    // (nothing to roll back: what was deleted stays deleted, and the rest was not touched)
    journal.close('rollback-failed');
    const err = new PruneError(`prune stopped at ${backups[out.length]?.movedTo ?? 'the start'}: ${e instanceof Error ? e.message : String(e)}`, {
      hint: 'the backups deleted before it stay deleted (their records are dropped); fix the cause and run prune again',
      cause: e,
    });
    err.done = out;
    throw err;
  } finally {
    ctx.driver.releaseFolders();
  }
  journal.close('committed');
  return out;
}

/** "3 files, 1 folder and 2 links", for a report. */
export function deletedText(d: TreeRemoval): string {
  const part = (n: number, one: string, many: string): string | undefined => (n === 0 ? undefined : `${n} ${n === 1 ? one : many}`);
  const parts = [part(d.files, 'file', 'files'), part(d.folders, 'folder', 'folders'), part(d.links, 'link', 'links')].filter((s): s is string => s !== undefined);
  if (parts.length === 0) return 'nothing';
  return parts.length === 1 ? (parts[0] as string) : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1) ?? ''}`;
}
