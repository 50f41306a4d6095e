/**
 * What the commands that change the disk share about a manifest's state directory: finding it
 * (keyed by the manifest's real path), refusing to go on while an unfinished apply's journal is
 * there, finishing a journal that was closed but not yet moved aside, running a job under the
 * lock, and the exact command lines the hints name (with --state-dir when one was given).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { shellWord } from '../core/paths.js';
import { acquireLock, liveLockHolder } from './lock.js';
import { Records } from './records.js';
import { ensureDir, manifestKey, manifestStateDir } from './state-dir.js';
import { onStateFile, syncDir } from './files.js';
import { JournalError, journalPath } from './journal/format.js';
import { closedJournal, readJournal } from './journal/reader.js';
import type { JournalOutcome } from './journal.js';

export interface StateOptions {
  stateDir?: string;
  lockTimeout?: string;
}

/**
 * The state folder of the manifest at `manifestPath`: keyed by its real path. A folder an earlier
 * linkplan keyed by the path as given (through a linked folder) is used while there is no other.
 */
export function stateDirFor(manifestPath: string, opts: StateOptions): string {
  const root = opts.stateDir === undefined ? {} : { root: opts.stateDir };
  const real = manifestStateDir(manifestKey(manifestPath), root);
  const given = path.resolve(manifestPath);
  if (given === manifestKey(manifestPath) || fs.existsSync(real)) return real;
  const earlier = manifestStateDir(given, root);
  return fs.existsSync(earlier) ? earlier : real;
}

/** The exact command line `linkplan WORDS... MANIFEST [--state-dir DIR]`, quoted for a shell. */
export function commandLine(words: readonly string[], manifestArg: string, opts: StateOptions & { after?: readonly string[] } = {}): string {
  const all = ['linkplan', ...words, manifestArg, ...(opts.after ?? []), ...(opts.stateDir === undefined ? [] : ['--state-dir', opts.stateDir])];
  return all.map(shellWord).join(' ');
}

/** Refuses while a journal of an unfinished apply is in the state directory (a closed one is not). */
export function refuseIfUnfinished(stateDir: string, manifestArg: string, opts: StateOptions = {}): void {
  const file = journalPath(stateDir);
  if (!fs.existsSync(file) || closedJournal(file) !== undefined) return;
  // under the lock (apply, backups restore) the live holder is this very process: the journal
  // then is an interrupted apply's, not a running one's
  const holder = liveLockHolder(stateDir);
  if (holder !== undefined && !(holder.pid === process.pid && holder.host === os.hostname())) {
    throw new JournalError(`${manifestArg}: an apply is running right now (pid ${holder.pid} on ${holder.host}, since ${holder.started})`, {
      hint: 'wait for it to finish, then run the command again',
    });
  }
  let started = '';
  let what = 'an apply';
  try {
    const rec = readJournal(file);
    if (rec?.header !== undefined) started = ` (started ${rec.header.started} by pid ${rec.header.pid} on ${rec.header.host})`;
    if (rec?.header?.restore !== undefined) what = `a restore of backup ${rec.header.restore.backup}`;
    const pruned = rec?.header?.prune?.backups;
    if (pruned !== undefined) what = `a prune of backup${pruned.length === 1 ? '' : 's'} ${pruned.length === 1 ? String(pruned[0]) : `${pruned.slice(0, -1).join(', ')} and ${String(pruned.at(-1))}`}`;
  } catch {
    // a damaged journal is still an unfinished apply
  }
  throw new JournalError(`${manifestArg}: ${what} was interrupted and left its journal ${file}${started}`, {
    hint: `run \`${commandLine(['recover'], manifestArg, opts)}\` to roll it back to where it started, or add --forward to finish it`,
  });
}

/**
 * Under the lock: moves a journal killed after its close record (before its move) to
 * journal.last.jsonl, as its apply would have, after writing into records.json the last
 * finished apply it replaces. Returns how that journal ended, or undefined where there was none.
 */
export function finishClosedJournal(stateDir: string, manifestPath: string): JournalOutcome | undefined {
  const file = journalPath(stateDir);
  const closed = closedJournal(file);
  if (closed === undefined) return undefined;
  Records.load(stateDir, manifestPath, { closedJournal: false }).settle();
  onStateFile(file, 'move the closed journal to journal.last.jsonl', () => fs.renameSync(file, path.join(stateDir, 'journal.last.jsonl')));
  syncDir(stateDir);
  return closed.outcome;
}

/** Under the lock, before a command changes anything: finishes a closed journal, then refuses an unfinished one. */
export function settleState(stateDir: string, manifestPath: string, manifestArg: string, opts: StateOptions = {}): void {
  finishClosedJournal(stateDir, manifestPath);
  refuseIfUnfinished(stateDir, manifestArg, opts);
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
