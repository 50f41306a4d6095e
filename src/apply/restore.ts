/**
 * `linkplan backups restore`, journaled like an apply: the link that took a backup's place steps
 * aside under a free name, the backup moves back, and the link is removed. Its journal lists
 * these steps and names the backup; a kill at any point leaves it for `linkplan recover` (back
 * to before the restore, or --forward to finish it), and once it is committed the records forget
 * the backup and the link (records.ts takes that from its journal). The steps run through the
 * applier's step runner, so a failure midway undoes the steps that ran, in reverse, as an apply's.
 */
import type { Driver } from '../drivers/driver.js';
import { LinkplanError } from '../core/errors.js';
import type { AbsPath } from '../core/paths.js';
import type { LinkSpec } from '../core/types.js';
import type { BackupRecord, OwnedLink } from '../state/records.js';
import { fileIdentity } from '../state/files.js';
import type { Step } from './steps.js';
import { runSteps } from './applier.js';
import { FileJournal } from '../state/journal/writer.js';

export class RestoreError extends LinkplanError {}

/** `base`, or `base.1`, `base.2`, ...: the first name where nothing is. */
function freeName(driver: Driver, base: string): AbsPath {
  for (let i = 0; ; i++) {
    const p = (i === 0 ? base : `${base}.${i}`) as AbsPath;
    if (driver.observe(p).kind === 'absent') return p;
  }
}

/**
 * The steps that put backup `b` back: checks that it is still there and still the backup, and
 * that only a link (or nothing) is where it goes back to. `owned` gives a hard link's target;
 * `pruneCommand` is named in the hint for a backup that is gone.
 */
export function restoreSteps(b: BackupRecord, driver: Driver, opts: { owned: OwnedLink | undefined; pruneCommand: string }): { steps: Step[]; replacesLink: boolean } {
  const owned = opts.owned;
  if (driver.observe(b.movedTo).kind === 'absent') {
    throw new RestoreError(`${b.movedTo}: the backup is gone`, { hint: `nothing to restore; \`${opts.pruneCommand} --older-than AGE\` drops its record once it is older than AGE` });
  }
  if (b.identity !== undefined && fileIdentity(b.movedTo) !== b.identity) {
    throw new RestoreError(`${b.movedTo}: this is not backup ${b.id} any more (another file or folder has its name now)`, {
      hint: 'linkplan leaves it alone; if it is what you want back, move it by hand',
    });
  }
  const now = driver.observe(b.path);
  if (now.kind === 'absent') return { steps: [{ op: 'move', from: b.movedTo, to: b.path }], replacesLink: false };
  let previous: LinkSpec | undefined;
  const aside = freeName(driver, `${b.path}.linkplan-restoring`);
  if (now.kind === 'symlink' || now.kind === 'junction') previous = { type: now.kind, target: aside, linkText: now.linkText };
  else if (now.kind === 'file' && now.nlink > 1 && owned?.type === 'hardlink') previous = { type: 'hardlink', target: owned.target, linkText: owned.target };
  if (previous === undefined) {
    const what = now.kind === 'file' && now.nlink > 1 ? 'a hard link linkplan did not make' : 'something that is not a link';
    throw new RestoreError(`${b.path}: ${what} is there now`, { hint: 'move it away first; restore never overwrites anything' });
  }
  // the link steps aside first, so that undoing the restore puts it back exactly
  const steps: Step[] = [
    { op: 'move', from: b.path, to: aside },
    { op: 'move', from: b.movedTo, to: b.path },
    { op: 'unlink', path: aside, previous },
  ];
  return { steps, replacesLink: true };
}

/**
 * Runs the restore's steps under its journal (made in `stateDir`), through the applier's step
 * runner: a failure midway undoes the steps that ran, in reverse, and says so.
 */
export async function runRestore(stateDir: string, steps: readonly Step[], ctx: { manifest: string; backup: BackupRecord; driver: Driver }): Promise<void> {
  const journal = FileJournal.create(stateDir, { manifest: ctx.manifest, actions: [], restore: { backup: ctx.backup.id, path: ctx.backup.path } });
  try {
    await runSteps(steps, ctx.driver, { journal, what: `restore of backup ${ctx.backup.id}`, where: () => ctx.backup.path });
  } finally {
    ctx.driver.releaseFolders();
  }
}
