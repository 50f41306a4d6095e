/**
 * What the commands that change the disk share about a manifest's state directory: finding it,
 * refusing to go on while an unfinished apply's journal is there, and running a job under the
 * lock.
 */
import fs from 'node:fs';
import os from 'node:os';
import { acquireLock, liveLockHolder } from './lock.js';
import { ensureDir, manifestStateDir } from './state-dir.js';
import { JournalError, journalPath, readJournal } from './wal.js';

export interface StateOptions {
  stateDir?: string;
  lockTimeout?: string;
}

export function stateDirFor(manifestPath: string, opts: StateOptions): string {
  return manifestStateDir(manifestPath, opts.stateDir === undefined ? {} : { root: opts.stateDir });
}

/** Refuses while a journal of an unfinished apply is in the state directory. */
export function refuseIfUnfinished(stateDir: string, manifestArg: string): void {
  const file = journalPath(stateDir);
  if (!fs.existsSync(file)) return;
  // under the lock (apply, backups restore) the live holder is this very process: the journal
  // then is an interrupted apply's, not a running one's
  const holder = liveLockHolder(stateDir);
  if (holder !== undefined && !(holder.pid === process.pid && holder.host === os.hostname())) {
    throw new JournalError(`${manifestArg}: an apply is running right now (pid ${holder.pid} on ${holder.host}, since ${holder.started})`, {
      hint: 'wait for it to finish, then run the command again',
    });
  }
  let started = '';
  try {
    const rec = readJournal(file);
    if (rec?.header !== undefined) started = ` (started ${rec.header.started} by pid ${rec.header.pid} on ${rec.header.host})`;
  } catch {
    // a damaged journal is still an unfinished apply
  }
  throw new JournalError(`${manifestArg}: an apply was interrupted and left its journal ${file}${started}`, {
    hint: `run \`linkplan recover ${manifestArg}\` to roll it back to where it started, or add --forward to finish it`,
  });
}

export function lockTimeoutMs(opts: StateOptions): number {
  const s = opts.lockTimeout === undefined ? 30 : Number(opts.lockTimeout);
  return Number.isFinite(s) && s >= 0 ? s * 1000 : 30_000;
}

/** Runs `job` holding the state directory's lock. */
export async function withLock<T>(stateDir: string, opts: StateOptions & { command: string }, job: () => Promise<T>): Promise<T> {
  ensureDir(stateDir);
  const lock = acquireLock(stateDir, { timeoutMs: lockTimeoutMs(opts), command: opts.command });
  try {
    return await job();
  } finally {
    lock.release();
  }
}
