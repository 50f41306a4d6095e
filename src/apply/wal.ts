/**
 * The write-ahead journal on disk: a JSON-lines file, readable by a person, in the manifest's
 * state directory. The first line names the format and version and lists every step of the
 * apply with its inverse implied by its op (see steps.ts). Before a batch of steps runs, a
 * `begin` record for the batch is written and fsynced; after each step a `done` record is
 * written at once (fsynced with the next batch or at the end), during rollback `undone` records, and a
 * `close` record at the end, after which the file is moved to `journal.last.jsonl`.
 * A file without a close record is an unfinished apply: `linkplan recover` reads it back.
 * A torn last line (a crash mid-write) is ignored when reading.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LinkplanError } from '../errors.js';
import type { Action } from '../plan/types.js';
import type { Journal, JournalOutcome } from './journal.js';
import type { Step } from './steps.js';

export const JOURNAL_FORMAT = 'linkplan-journal';
export const JOURNAL_VERSION = 1;

export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  version: typeof JOURNAL_VERSION;
  pid: number;
  host: string;
  started: string;
  manifest: string;
  /** The actions being applied (noops left out), for the records a finished apply updates. */
  actions: Action[];
  steps: Step[];
}

export class JournalError extends LinkplanError {}

export function journalPath(stateDir: string): string {
  return path.join(stateDir, 'journal.jsonl');
}

/** Writes the journal of one apply. */
export class FileJournal implements Journal {
  private fd: number;
  private pending: string[] = [];
  readonly file: string;

  private constructor(
    file: string,
    fd: number,
    private readonly meta: { manifest: string; actions: readonly Action[] } | undefined,
  ) {
    this.file = file;
    this.fd = fd;
  }

  /** Claims the journal file; refuses if an unfinished one is there. */
  static create(stateDir: string, meta: { manifest: string; actions: readonly Action[] }): FileJournal {
    const file = journalPath(stateDir);
    let fd: number;
    try {
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_APPEND, 0o600);
    } catch (e) {
      throw new JournalError(`${file}: an unfinished apply left this journal`, { hint: 'run `linkplan recover MANIFEST` to roll it back (or --forward to finish it)', cause: e });
    }
    return new FileJournal(file, fd, meta);
  }

  /** Opens an existing journal for appending (recovery). */
  static reopen(file: string): FileJournal {
    return new FileJournal(file, fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND), undefined);
  }

  private sync(): void {
    if (this.pending.length === 0) return;
    fs.writeSync(this.fd, this.pending.join('\n') + '\n');
    this.pending = [];
    fs.fsyncSync(this.fd);
  }

  /** Writes the header with every step; durable on return. */
  start(steps: readonly Step[]): void {
    if (this.meta === undefined) return;
    const header: JournalHeader = {
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
      manifest: this.meta.manifest,
      actions: [...this.meta.actions],
      steps: [...steps],
    };
    this.pending.push(JSON.stringify(header));
    this.sync();
    syncDir(path.dirname(this.file));
  }

  begin(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const first = seqs[0] ?? 0;
    const contiguous = seqs.every((s, i) => s === first + i);
    this.pending.push(JSON.stringify(contiguous && seqs.length > 1 ? { begin: [first, first + seqs.length - 1], range: true } : { begin: seqs }));
    this.sync();
  }

  /** Written at once (a process killed right after still leaves it); made durable with the next batch. */
  done(seq: number): void {
    fs.writeSync(this.fd, JSON.stringify({ done: seq }) + '\n');
  }

  undone(seq: number): void {
    this.pending.push(JSON.stringify({ undone: seq }));
    this.sync();
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
  /** Undefined when the apply was killed before its header was written: nothing ran. */
  header: JournalHeader | undefined;
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
  if (parsed.length === 0) return { header: undefined, begun: new Set(), done: new Set(), undone: new Set(), closed: undefined };
  const header = parsed[0] as Partial<JournalHeader> | undefined;
  if (header?.format !== JOURNAL_FORMAT) throw new JournalError(`${file}: not a linkplan journal`, { hint: 'move the file away if it is not linkplan\'s' });
  if (header.version !== JOURNAL_VERSION) {
    throw new JournalError(`${file}: journal version ${String(header.version)} is not one this linkplan reads (${JOURNAL_VERSION})`, {
      hint: 'recover with the linkplan version that wrote it',
    });
  }
  const rec: JournalRecord = { header: header as JournalHeader, begun: new Set(), done: new Set(), undone: new Set(), closed: undefined };
  for (const r of parsed.slice(1) as Record<string, unknown>[]) {
    if (Array.isArray(r['begin'])) {
      const b = r['begin'] as number[];
      if (r['range'] === true) for (let s = b[0] ?? 0; s <= (b[1] ?? -1); s++) rec.begun.add(s);
      else for (const s of b) rec.begun.add(s);
    }
    if (typeof r['done'] === 'number') rec.done.add(r['done']);
    if (typeof r['undone'] === 'number') rec.undone.add(r['undone']);
    if (typeof r['close'] === 'string') rec.closed = r['close'] as JournalOutcome;
  }
  return rec;
}
