/**
 * The write-ahead journal on disk: a JSON-lines file, readable by a person, in the manifest's
 * state directory. The first line names the format and version and lists every step of the
 * apply with its inverse implied by its op (see steps.ts). Before a batch of steps runs, a
 * `begin` record for the batch is written and fsynced; after each step a `done` record is
 * written (fsynced with the next batch or at the end), during rollback `undone` records, and a
 * `close` record at the end, after which the file is moved to `journal.last.jsonl`.
 * A file without a close record is an unfinished apply: `linkplan recover` reads it back.
 * A torn last line (a crash mid-write) is ignored when reading.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LinkplanError } from '../errors.js';
import type { Step } from './steps.js';

export const JOURNAL_FORMAT = 'linkplan-journal';
export const JOURNAL_VERSION = 1;

export type JournalOutcome = 'committed' | 'rolled-back' | 'rollback-failed' | 'recovered' | 'completed-forward';

export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  version: typeof JOURNAL_VERSION;
  pid: number;
  host: string;
  started: string;
  manifest: string;
  planDigest: string;
  steps: Step[];
}

export class JournalError extends LinkplanError {}

export function journalPath(stateDir: string): string {
  return path.join(stateDir, 'journal.jsonl');
}

/** Writes the journal of one apply. */
export class FileJournal {
  private fd: number;
  private pending: string[] = [];
  private readonly doneSet = new Set<number>();
  private readonly undoneSet = new Set<number>();
  readonly file: string;
  readonly steps: readonly Step[];

  private constructor(file: string, fd: number, steps: readonly Step[]) {
    this.file = file;
    this.fd = fd;
    this.steps = steps;
  }

  /** Starts a journal; refuses if an unfinished one is there. The header is durable on return. */
  static create(stateDir: string, meta: { manifest: string; planDigest: string; steps: readonly Step[] }): FileJournal {
    const file = journalPath(stateDir);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_APPEND, 0o600);
    } catch (e) {
      throw new JournalError(`${file}: an unfinished apply left this journal`, { hint: 'run `linkplan recover MANIFEST` to roll it back (or --forward to finish it)', cause: e });
    }
    const header: JournalHeader = {
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
      manifest: meta.manifest,
      planDigest: meta.planDigest,
      steps: [...meta.steps],
    };
    const j = new FileJournal(file, fd, meta.steps);
    j.pending.push(JSON.stringify(header));
    j.sync();
    syncDir(stateDir);
    return j;
  }

  /** Opens an existing journal for appending (recovery). */
  static reopen(file: string, steps: readonly Step[]): FileJournal {
    return new FileJournal(file, fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND), steps);
  }

  private sync(): void {
    if (this.pending.length === 0) return;
    fs.writeSync(this.fd, this.pending.join('\n') + '\n');
    this.pending = [];
    fs.fsyncSync(this.fd);
  }

  /** Records the intent to run these steps; durable on return. */
  begin(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.pending.push(JSON.stringify({ begin: seqs }));
    this.sync();
  }

  done(seq: number): void {
    this.doneSet.add(seq);
    this.pending.push(JSON.stringify({ done: seq }));
  }

  undone(seq: number): void {
    this.undoneSet.add(seq);
    this.pending.push(JSON.stringify({ undone: seq }));
    this.sync();
  }

  completed(): number[] {
    return [...this.doneSet].filter((s) => !this.undoneSet.has(s)).sort((a, b) => a - b);
  }

  /** Ends the journal and moves it aside as journal.last.jsonl. */
  close(outcome: JournalOutcome): void {
    this.pending.push(JSON.stringify({ close: outcome, at: new Date().toISOString() }));
    this.sync();
    fs.closeSync(this.fd);
    this.fd = -1;
    fs.renameSync(this.file, path.join(path.dirname(this.file), 'journal.last.jsonl'));
    syncDir(path.dirname(this.file));
  }
}

function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not every platform can fsync a directory (Windows); the file's own fsync still holds
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

export interface JournalRecord {
  header: JournalHeader;
  begun: Set<number>;
  done: Set<number>;
  undone: Set<number>;
  closed: JournalOutcome | undefined;
}

/** Reads a journal back; undefined when there is none. */
export function readJournal(file: string): JournalRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l !== '');
  const parsed: unknown[] = [];
  for (const [i, l] of lines.entries()) {
    try {
      parsed.push(JSON.parse(l));
    } catch (e) {
      if (i === lines.length - 1) break; // a torn last line: the write it belonged to never finished
      throw new JournalError(`${file}:${i + 1}: not a journal line`, { hint: 'the journal is damaged; inspect it by hand', cause: e });
    }
  }
  const header = parsed[0] as Partial<JournalHeader> | undefined;
  if (header?.format !== JOURNAL_FORMAT) throw new JournalError(`${file}: not a linkplan journal`, { hint: 'move the file away if it is not linkplan\'s' });
  if (header.version !== JOURNAL_VERSION) {
    throw new JournalError(`${file}: journal version ${String(header.version)} is not one this linkplan reads (${JOURNAL_VERSION})`, {
      hint: 'recover with the linkplan version that wrote it',
    });
  }
  const rec: JournalRecord = { header: header as JournalHeader, begun: new Set(), done: new Set(), undone: new Set(), closed: undefined };
  for (const r of parsed.slice(1) as Record<string, unknown>[]) {
    if (Array.isArray(r['begin'])) for (const s of r['begin'] as number[]) rec.begun.add(s);
    if (typeof r['done'] === 'number') rec.done.add(r['done']);
    if (typeof r['undone'] === 'number') rec.undone.add(r['undone']);
    if (typeof r['close'] === 'string') rec.closed = r['close'] as JournalOutcome;
  }
  return rec;
}
