/**
 * `linkplan backups`: what backup and adopt moved aside for a manifest, listed from its records;
 * `restore ID` puts one back (removing the link that took its place), journaled (restore.ts);
 * `prune --older-than AGE` deletes old backups, the only time linkplan deletes data, and only
 * when asked: only a backup that is still the file or folder its record names (its identity),
 * never following a link inside it nor crossing into another filesystem, journaled and through
 * the driver (backup-delete.ts); a prune killed midway is finished by `linkplan recover`.
 */
import os from 'node:os';
import path from 'node:path';
import type { Command, Option } from 'commander';
import type { CommandDeps } from './context.js';
import type { Driver } from '../drivers/driver.js';
import { NotConfirmedError, UsageError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { deletedText, PruneError, runPrune, type Pruned } from '../apply/backup-delete.js';
import { confirm } from '../views/prompt.js';
import { Records, type BackupRecord } from '../state/records.js';
import { restoreSteps, runRestore } from '../apply/restore.js';
import { manifestKey } from '../state/state-dir.js';
import { bytesBelow, fileIdentity } from '../state/files.js';
import { bytesText } from '../core/sizes.js';
import { commandLine, settleState, stateDirFor, withLock, type StateOptions } from '../state/state.js';

interface BackupsIo {
  out: (s: string) => void;
  interactive: boolean;
}

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

export function parseAge(s: string): number {
  const m = /^(\d+)\s*([mhdw])$/.exec(s.trim());
  if (m === null) throw new UsageError(`--older-than ${s}: expected a number and a unit, like 30d, 12h, 2w or 90m`);
  return Number(m[1]) * (UNITS[m[2] ?? 'd'] ?? 0);
}

/**
 * Whether what is at the backup's name is still the backup: 'gone' (nothing there), 'other'
 * (something else has its name now), 'unknown' (an earlier linkplan did not record its identity).
 */
function backupState(b: BackupRecord): 'here' | 'gone' | 'other' | 'unknown' {
  const id = fileIdentity(b.movedTo);
  if (id === undefined) return 'gone';
  if (b.identity === undefined) return 'unknown';
  return id === b.identity ? 'here' : 'other';
}

function list(file: string, opts: StateOptions, io: BackupsIo): number {
  const records = Records.load(stateDirFor(file, opts), manifestKey(file));
  const all = records.backups();
  if (all.length === 0) {
    io.out(`No backups recorded for ${file}\n`);
    return 0;
  }
  const base = path.dirname(path.resolve(file));
  const show = (p: string): string => displayPath(p, { base, home: os.homedir() });
  const notes = { here: '', unknown: '', gone: '  (gone)', other: '  (replaced: something else has this name now)' };
  let total = 0;
  for (const b of all) {
    const state = backupState(b);
    // the space a backup holds (an adopt's is the target's: it holds nothing of its own)
    const bytes = b.kind === 'backup' && (state === 'here' || state === 'unknown') ? bytesBelow(b.movedTo) : undefined;
    total += bytes ?? 0;
    io.out(`  ${String(b.id).padStart(3)}  ${b.at.slice(0, 19).replace('T', ' ')}  ${b.kind === 'adopt' ? 'adopted ' : 'backed up'}  ${show(b.path)} -> ${show(b.movedTo)}${bytes === undefined ? '' : `  ${bytesText(bytes)}`}${notes[state]}\n`);
  }
  io.out(`${all.length} backup${all.length === 1 ? '' : 's'} (${bytesText(total)}); restore one with \`${commandLine(['backups', 'restore'], file, { ...opts, after: ['ID'] })}\`\n`);
  return 0;
}

function findBackup(records: Records, id: string, file: string, opts: StateOptions): BackupRecord {
  const b = records.backups().find((r) => String(r.id) === id);
  if (b === undefined) throw new UsageError(`backup ${id}: no such backup`, { hint: `list them with \`${commandLine(['backups', 'list'], file, opts)}\`` });
  return b;
}

/** The driver a backups command writes through: the last apply's volumes, wrapped as the deps say (the test entry's crash points). */
async function writeDriver(records: Records, deps: CommandDeps): Promise<Driver> {
  return deps.wrapDriver(await deps.driverFor({ volumes: records.volumes() }), { command: 'backups' });
}

async function restore(file: string, id: string, opts: StateOptions, run: { io: BackupsIo; deps: CommandDeps }): Promise<number> {
  const { io } = run;
  const manifestPath = manifestKey(file);
  const stateDir = stateDirFor(file, opts);
  return withLock(stateDir, { ...opts, command: `linkplan backups restore ${file} ${id}` }, async () => {
    settleState(stateDir, manifestPath, file, opts);
    const records = Records.load(stateDir, manifestPath);
    const b = findBackup(records, id, file, opts);
    // through the drivers of the NTFS volumes the last apply wrote on, as apply did
    const driver = await writeDriver(records, run.deps);
    const { steps, replacesLink } = restoreSteps(b, driver, { owned: records.owned().get(b.path), pruneCommand: commandLine(['backups', 'prune'], file, opts) });
    // the last apply goes into records.json before this restore's journal takes its place; the
    // restore itself is in the records once its journal is committed
    records.settle();
    await runRestore(stateDir, steps, { manifest: manifestPath, backup: b, driver });
    io.out(`Restored backup ${b.id}: ${b.movedTo} is back at ${b.path}${replacesLink ? ' (the link that was there is removed)' : ''}\n`);
    return 0;
  });
}

async function prune(file: string, opts: StateOptions & { olderThan: string; yes?: boolean }, run: { io: BackupsIo; deps: CommandDeps }): Promise<number> {
  const { io } = run;
  const manifestPath = manifestKey(file);
  const stateDir = stateDirFor(file, opts);
  const age = parseAge(opts.olderThan);
  return withLock(stateDir, { ...opts, command: `linkplan backups prune ${file}` }, async () => {
    settleState(stateDir, manifestPath, file, opts);
    const records = Records.load(stateDir, manifestPath);
    const cutoff = Date.now() - age;
    const old = records.backups().filter((b) => Date.parse(b.at) < cutoff);
    if (old.length === 0) {
      io.out(`No backups older than ${opts.olderThan}\n`);
      return 0;
    }
    // a backup is deleted only while what has its name is still that backup
    const state = new Map(old.map((b) => [b.id, b.kind === 'backup' ? backupState(b) : 'here']));
    const toDelete = old.filter((b) => b.kind === 'backup' && state.get(b.id) === 'here');
    if (toDelete.length > 0 && opts.yes !== true) {
      for (const b of toDelete) io.out(`  ${b.id}  ${b.movedTo}\n`);
      const q = `Delete these ${toDelete.length} backup${toDelete.length === 1 ? '' : 's'} for good? [y/N] `;
      if (!io.interactive) throw new NotConfirmedError('deleting backups needs confirmation, and there is no terminal to ask', { hint: 'run again with --yes' });
      if (!(await confirm(q))) throw new NotConfirmedError('nothing was deleted');
    }
    // the last apply goes into records.json before this prune's journal takes its place
    records.settle();
    const driver = await writeDriver(records, run.deps);
    const doomed = old.filter((b) => b.kind === 'backup' && state.get(b.id) === 'here');
    let stopped: PruneError | undefined;
    let results: Pruned[] = [];
    try {
      if (doomed.length > 0) results = runPrune(stateDir, doomed, { manifest: manifestPath, driver });
    } catch (e) {
      if (!(e instanceof PruneError)) throw e;
      stopped = e;
      results = e.done;
    }
    const { pruned, deleted } = reportPruned(old, { state, results: new Map(results.map((r) => [r.backup.id, r])), records }, io);
    records.settle();
    io.out(`Pruned ${pruned} backup record${pruned === 1 ? '' : 's'}; deleted ${deleted} backup${deleted === 1 ? '' : 's'}\n`);
    if (stopped !== undefined) throw stopped;
    return 0;
  });
}

/** Says what became of each old backup, and drops the records of those that are gone. */
function reportPruned(
  old: readonly BackupRecord[],
  ctx: { state: ReadonlyMap<number, string>; results: ReadonlyMap<number, Pruned>; records: Records },
  io: BackupsIo,
): { pruned: number; deleted: number } {
  let pruned = 0;
  let deleted = 0;
  for (const b of old) {
    const st = ctx.state.get(b.id);
    if (st === 'other' || st === 'unknown') {
      io.out(
        st === 'other'
          ? `Left backup ${b.id}: ${b.movedTo} is not that backup any more (something else has its name now); it and the record stay\n`
          : `Left backup ${b.id}: ${b.movedTo} cannot be told to be that backup (an earlier linkplan did not record which file it was); delete it by hand if it is, and the next prune drops the record\n`,
      );
      continue;
    }
    // adopted content is the link's live target now: only the record goes
    if (b.kind === 'backup' && st === 'here') {
      const r = ctx.results.get(b.id);
      // (not reached: the prune stopped before it)
      if (r === undefined) continue;
      if (r.skipped !== undefined) {
        io.out(`Left backup ${b.id}: ${b.movedTo}: ${r.skipped}; it and the record stay\n`);
        continue;
      }
      if (r.removed.left.length > 0) {
        io.out(`Deleted part of backup ${b.id} (${deletedText(r.removed)}); left, with its record:\n${r.removed.left.map((l) => `  ${l}\n`).join('')}`);
        continue;
      }
      io.out(`Deleted backup ${b.id}: ${b.movedTo} (${deletedText(r.removed)})\n`);
      deleted++;
    }
    ctx.records.forgetBackup(b.id);
    pruned++;
  }
  return { pruned, deleted };
}

export function backupsCommand(
  program: Command,
  ctx: { io: BackupsIo; deps: CommandDeps; stateDirOption: () => Option; lockTimeoutOption: () => Option; setCode: (c: number) => void },
): void {
  const backups = program.command('backups').description('list, restore or prune what backup and adopt moved aside');
  backups
    .command('list', { isDefault: true })
    .description('list the backups recorded for a manifest')
    .argument('<manifest>', 'the layout.yaml file')
    .addOption(ctx.stateDirOption())
    .action((file: string, opts: StateOptions) => {
      ctx.setCode(list(file, opts, ctx.io));
    });
  backups
    .command('restore')
    .description('put a backup back where it was, removing the link that took its place')
    .argument('<manifest>', 'the layout.yaml file')
    .argument('<id>', 'the backup, as `backups list` numbers it')
    .addOption(ctx.stateDirOption())
    .addOption(ctx.lockTimeoutOption())
    .action(async (file: string, id: string, opts: StateOptions) => {
      ctx.setCode(await restore(file, id, opts, ctx));
    });
  backups
    .command('prune')
    .description('delete backups older than an age (adopted content stays: it is the link target)')
    .argument('<manifest>', 'the layout.yaml file')
    .requiredOption('--older-than <age>', 'like 30d, 12h, 2w')
    .option('-y, --yes', 'do not ask before deleting')
    .addOption(ctx.stateDirOption())
    .addOption(ctx.lockTimeoutOption())
    .action(async (file: string, opts: StateOptions & { olderThan: string; yes?: boolean }) => {
      ctx.setCode(await prune(file, opts, ctx));
    });
}
