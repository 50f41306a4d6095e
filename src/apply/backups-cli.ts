/**
 * `linkplan backups`: what backup and adopt moved aside for a manifest, listed from its records;
 * `restore ID` puts one back (removing the link that took its place); `prune --older-than AGE`
 * deletes old backups, the only time linkplan deletes data, and only when asked.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command, Option } from 'commander';
import { driverFor } from '../drivers/select.js';
import type { Driver } from '../drivers/driver.js';
import { LinkplanError, NotConfirmedError, UsageError } from '../errors.js';
import { displayPath, type AbsPath } from '../paths.js';
import { confirm } from './confirm.js';
import { Records, type BackupRecord } from './records.js';
import { refuseIfUnfinished, stateDirFor, withLock, type StateOptions } from './state.js';

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

function manifestPathOf(file: string): string {
  return path.resolve(file);
}

function list(file: string, opts: StateOptions, io: BackupsIo): number {
  const records = Records.load(stateDirFor(manifestPathOf(file), opts), manifestPathOf(file));
  const all = records.backups();
  if (all.length === 0) {
    io.out(`No backups recorded for ${file}\n`);
    return 0;
  }
  const base = path.dirname(manifestPathOf(file));
  const show = (p: string): string => displayPath(p, { base, home: os.homedir() });
  for (const b of all) {
    const here = fs.existsSync(b.movedTo) ? '' : '  (gone)';
    io.out(`  ${String(b.id).padStart(3)}  ${b.at.slice(0, 19).replace('T', ' ')}  ${b.kind === 'adopt' ? 'adopted ' : 'backed up'}  ${show(b.path)} -> ${show(b.movedTo)}${here}\n`);
  }
  io.out(`${all.length} backup${all.length === 1 ? '' : 's'}; restore one with \`linkplan backups restore ${file} ID\`\n`);
  return 0;
}

/** `base`, or `base.1`, `base.2`, ...: the first name where nothing is. */
function freeName(driver: Driver, base: string): AbsPath {
  for (let i = 0; ; i++) {
    const p = (i === 0 ? base : `${base}.${i}`) as AbsPath;
    if (driver.observe(p).kind === 'absent') return p;
  }
}

function findBackup(records: Records, id: string): BackupRecord {
  const b = records.backups().find((r) => String(r.id) === id);
  if (b === undefined) throw new UsageError(`backup ${id}: no such backup`, { hint: 'list them with `linkplan backups list MANIFEST`' });
  return b;
}

async function restore(file: string, id: string, opts: StateOptions, io: BackupsIo): Promise<number> {
  const manifestPath = manifestPathOf(file);
  const stateDir = stateDirFor(manifestPath, opts);
  return withLock(stateDir, { ...opts, command: `linkplan backups restore ${file} ${id}` }, async () => {
    refuseIfUnfinished(stateDir, file);
    const records = Records.load(stateDir, manifestPath);
    const b = findBackup(records, id);
    // through the drivers of the NTFS volumes the last apply wrote on, as apply did
    const driver = await driverFor({ volumes: records.volumes() });
    const saved = driver.observe(b.movedTo);
    if (saved.kind === 'absent') throw new LinkplanError(`${b.movedTo}: the backup is gone`, { hint: 'nothing to restore; drop it with `linkplan backups prune`' });
    const now = driver.observe(b.path);
    const isLink = now.kind === 'symlink' || now.kind === 'junction' || (now.kind === 'file' && now.nlink > 1);
    if (now.kind !== 'absent' && !isLink) {
      throw new LinkplanError(`${b.path}: something that is not a link is there now`, { hint: 'move it away first; restore never overwrites anything' });
    }
    // the link steps aside under a free name first, so a failed move puts it back exactly
    const aside = isLink ? freeName(driver, `${b.path}.linkplan-restoring`) : undefined;
    if (aside !== undefined) driver.move(b.path, aside);
    try {
      driver.move(b.movedTo, b.path);
    } catch (e) {
      if (aside !== undefined) driver.move(aside, b.path);
      throw e;
    }
    if (aside !== undefined) driver.removeLink(aside);
    records.forgetBackup(b.id);
    records.forgetOwned(b.path);
    records.save();
    io.out(`Restored backup ${b.id}: ${b.movedTo} is back at ${b.path}${isLink ? ' (the link that was there is removed)' : ''}\n`);
    return 0;
  });
}

async function prune(file: string, opts: StateOptions & { olderThan: string; yes?: boolean }, io: BackupsIo): Promise<number> {
  const manifestPath = manifestPathOf(file);
  const stateDir = stateDirFor(manifestPath, opts);
  const age = parseAge(opts.olderThan);
  return withLock(stateDir, { ...opts, command: `linkplan backups prune ${file}` }, async () => {
    refuseIfUnfinished(stateDir, file);
    const records = Records.load(stateDir, manifestPath);
    const cutoff = Date.now() - age;
    const old = records.backups().filter((b) => Date.parse(b.at) < cutoff);
    if (old.length === 0) {
      io.out(`No backups older than ${opts.olderThan}\n`);
      return 0;
    }
    const toDelete = old.filter((b) => b.kind === 'backup');
    if (toDelete.length > 0 && opts.yes !== true) {
      for (const b of toDelete) io.out(`  ${b.id}  ${b.movedTo}\n`);
      const q = `Delete these ${toDelete.length} backup${toDelete.length === 1 ? '' : 's'} for good? [y/N] `;
      if (!io.interactive) throw new NotConfirmedError('deleting backups needs confirmation, and there is no terminal to ask', { hint: 'run again with --yes' });
      if (!(await confirm(q))) throw new NotConfirmedError('nothing was deleted');
    }
    for (const b of old) {
      // adopted content is the link's live target now: only the record goes
      if (b.kind === 'backup') fs.rmSync(b.movedTo, { recursive: true, force: true });
      records.forgetBackup(b.id);
    }
    records.save();
    io.out(`Pruned ${old.length} backup record${old.length === 1 ? '' : 's'}; deleted ${toDelete.length} backup${toDelete.length === 1 ? '' : 's'}\n`);
    return 0;
  });
}

export function backupsCommand(
  program: Command,
  ctx: { io: BackupsIo; stateDirOption: () => Option; lockTimeoutOption: () => Option; setCode: (c: number) => void },
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
      ctx.setCode(await restore(file, id, opts, ctx.io));
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
      ctx.setCode(await prune(file, opts, ctx.io));
    });
}
