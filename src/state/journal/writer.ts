/**
 * The journal's writer (`FileJournal`): claims `journal.jsonl` in the state folder, writes the
 * header (format.ts: the apply's actions in short and its steps) and then a record before and
 * after each step, each made durable where recovery depends on it. Before steps run, a `begin`
 * record for them is written and fsynced (an apply begins all its steps at once: whether a begun
 * step ran is read from the disk); after each step a `done` record (written at once when a later
 * step changes the same path again; otherwise with the next record that is synced, consecutive
 * steps in one `{"done":[first,last],"range":true}`); during a rollback, before each undo an
 * `undoing` record (fsynced) and after it an `undone` record; for a copy, once its folder is made,
 * a `made` record naming it (fsynced); and a `close` record at the end,
 * with the journal's id, after which the file is moved to `journal.last.jsonl` (a journal closed
 * before its header was written recorded nothing that ran, and is removed). A committed journal
 * there is part of linkplan's records (records.ts) until `records.json` takes it in. Every record
 * is written whole (a write cut short by a full disk is cut off again and is an error); before
 * its header, the journal puts down a reserve file (`journal.reserve`) as large as the records a
 * rollback of all its steps writes, and frees it when a rollback or the close finds the disk
 * full, so a full state folder midway still rolls back and closes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, LinkplanError } from '../../core/errors.js';
import type { FolderIdentity, Volume } from '../../core/types.js';
import type { Journal, JournalOutcome } from '../journal.js';
import { ensureDir } from '../state-dir.js';
import { fileIdentity, isNoSpace, onStateFile, stateError, syncDir, writeWhole } from '../files.js';
import type { Step } from '../../apply/steps.js';
import {
  encodeStep,
  OWN_LINK,
  OWN_LINK_ALONE,
  journalAction,
  JournalError,
  journalPath,
  JOURNAL_FORMAT,
  JOURNAL_VERSION,
  reservePath,
  type JournalSource,
  type PruneNote,
  type RestoreNote,
} from './format.js';

/** What the header says about the apply besides its steps. */
export interface JournalMeta {
  manifest: string;
  /** The actions the apply runs, in order (noops left out): the records take what they did from them. */
  actions: readonly JournalSource[];
  volumes?: readonly Volume[] | undefined;
  folders?: readonly FolderIdentity[] | undefined;
  /** A restore's journal: the backup it puts back (it has no actions). */
  restore?: RestoreNote | undefined;
  /** A prune's journal: the backups it deletes (it has no actions). */
  prune?: PruneNote | undefined;
}

/** Where the steps of each action end in the apply's list of steps (`ends[i]`: one past action i's last). */
export interface StartOptions {
  ends?: ArrayLike<number> | undefined;
}

/** Writes the journal of one apply. */
export class FileJournal implements Journal {
  private fd: number;
  private pending: string[] = [];
  /** Done steps not yet in `pending`, consecutive: the first and the last (-1: none). */
  private doneFirst = -1;
  private doneLast = -1;
  readonly file: string;
  /** Whether the header is in the file: a journal without one records nothing that ran. */
  private started: boolean;
  /** Steps a later step changes a path of again (see `done`). */
  private retouched: ReadonlySet<number> = new Set();
  /** The bytes of whole records in the file: a write cut short is cut back to here. */
  private size: number;
  /** The reserve file, while there is one (see `start`). */
  private reserve: string | undefined;
  /** Set once the apply winds down (a rollback or the close): a full disk then frees the reserve. */
  private windingDown = false;

  private constructor(
    file: string,
    fd: number,
    private readonly meta: JournalMeta | undefined,
    started: boolean,
  ) {
    this.file = file;
    this.fd = fd;
    this.started = started;
    this.size = fs.fstatSync(fd).size;
  }

  /** Claims the journal file; refuses if an unfinished one is there. */
  static create(stateDir: string, meta: JournalMeta): FileJournal {
    const file = journalPath(stateDir);
    let fd: number;
    try {
      ensureDir(stateDir);
      fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_APPEND, 0o600);
    } catch (e) {
      if (errnoCode(e) === 'EEXIST') {
        throw new JournalError(`${file}: an unfinished apply left this journal`, { hint: 'run `linkplan recover MANIFEST` to roll it back (or --forward to finish it)', cause: e });
      }
      throw new JournalError(`${file}: cannot write the journal (${errnoCode(e) ?? String(e)}); nothing was changed`, {
        hint: e instanceof LinkplanError && e.hint !== undefined ? e.hint : 'give a state folder you can write to (--state-dir or LINKPLAN_STATE_DIR)',
        cause: e,
      });
    }
    return new FileJournal(file, fd, meta, false);
  }

  /**
   * Opens an existing journal for appending (recovery); `started` says whether it has its header.
   * A journal killed mid-write may end without a newline: after a whole record one is added, and a
   * torn record (which reading ignores) is cut off, so what is appended starts a line of its own.
   */
  static reopen(file: string, opts: { started: boolean } = { started: true }): FileJournal {
    const fd = onStateFile(file, 'open the journal', () => fs.openSync(file, fs.constants.O_RDWR | fs.constants.O_APPEND));
    try {
      onStateFile(file, 'write the journal', () => endWithNewline(fd));
    } catch (e) {
      fs.closeSync(fd);
      throw e;
    }
    return new FileJournal(file, fd, undefined, opts.started);
  }

  /**
   * Appends `text` whole. A write the disk cuts short is cut back off (so the journal still ends
   * in whole records) and is an error; once the apply winds down, a full disk first frees the
   * reserve and tries again.
   */
  private put(text: string): void {
    const bytes = Buffer.from(text, 'utf8');
    for (;;) {
      try {
        writeWhole(this.fd, bytes);
        this.size += bytes.length;
        return;
      } catch (e) {
        try {
          fs.ftruncateSync(this.fd, this.size);
        } catch {
          // the file is gone with its folder: the error below says so
        }
        if (!(this.windingDown && isNoSpace(e) && this.freeReserve())) throw stateError(this.file, 'write the journal', e);
      }
    }
  }

  /** Removes the reserve file; false when there was none. */
  private freeReserve(): boolean {
    const r = this.reserve;
    if (r === undefined) return false;
    this.reserve = undefined;
    try {
      fs.rmSync(r, { force: true });
    } catch {
      // it stays for the next apply to reuse (create truncates it)
    }
    return true;
  }

  /** Queues a record after the done steps queued before it. */
  private push(line: string): void {
    this.flushDone();
    this.pending.push(line);
  }

  private flushDone(): void {
    const first = this.doneFirst;
    const last = this.doneLast;
    if (first < 0) return;
    this.doneFirst = this.doneLast = -1;
    this.pending.push(first === last ? `{"done":${first}}` : `{"done":[${first},${last}],"range":true}`);
  }

  private sync(): void {
    this.flushDone();
    if (this.pending.length === 0) return;
    // (one line, a header of thousands of actions say, is written as it is and its newline after it)
    const text = this.pending.length === 1 ? (this.pending[0] as string) : this.pending.join('\n');
    this.pending = [];
    this.put(text + '\n');
    onStateFile(this.file, 'write the journal to the disk', () => fs.fsyncSync(this.fd));
  }

  /**
   * Writes the header, with every step the apply will run; durable on return. `ends` says which
   * steps are which action's (the header then writes them in short beside it). First puts down
   * the reserve a rollback of every step needs. If either cannot be written, nothing ran: the
   * journal is removed and the error says so.
   */
  start(steps: readonly Step[], opts: StartOptions = {}): void {
    this.retouched = retouchedSteps(steps);
    if (this.meta === undefined) return;
    try {
      this.reserve = writeReserve(path.dirname(this.file), steps.length);
      this.push(this.header(steps, opts.ends));
      this.sync();
      syncDir(path.dirname(this.file));
    } catch (e) {
      this.discard();
      const err = stateError(this.file, 'write the journal', e);
      throw new JournalError(`${err.message}; nothing was changed`, { hint: err.hint ?? '', cause: e });
    }
    this.started = true;
  }

  /**
   * The header's line: one JSON object, its steps last. They are written as text group by group
   * (stepsText), the rest by JSON.stringify: the same bytes as one JSON.stringify of the whole,
   * which the tests check.
   */
  private header(steps: readonly Step[], ends: ArrayLike<number> | undefined): string {
    const meta = this.meta as JournalMeta;
    const head = JSON.stringify({
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
      manifest: meta.manifest,
      ...(meta.volumes === undefined || meta.volumes.length === 0 ? {} : { volumes: meta.volumes }),
      ...(meta.folders === undefined || meta.folders.length === 0 ? {} : { folders: meta.folders }),
      ...(meta.restore === undefined ? {} : { restore: meta.restore }),
      ...(meta.prune === undefined ? {} : { prune: meta.prune }),
      actions: meta.actions.map(journalActionWithIdentity),
    });
    return `${head.slice(0, -1)},"steps":${stepsText(steps, meta.actions, ends)}}`;
  }

  /** Closes and removes a journal that records nothing that ran, and its reserve. */
  private discard(): void {
    this.pending = [];
    this.doneFirst = this.doneLast = -1;
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.freeReserve();
    try {
      fs.rmSync(this.file, { force: true });
      syncDir(path.dirname(this.file));
    } catch {
      // the state folder is gone: so is the journal
    }
  }

  begin(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    const first = seqs[0] ?? 0;
    let contiguous = true;
    for (let i = 1; i < seqs.length && contiguous; i++) contiguous = seqs[i] === first + i;
    this.push(JSON.stringify(contiguous && seqs.length > 1 ? { begin: [first, first + seqs.length - 1], range: true } : { begin: seqs }));
    this.sync();
  }

  /**
   * Written at once (a process killed right after still leaves it) when a later step of the apply
   * changes one of this step's paths again, so the disk alone could not tell `recover --forward`
   * that it ran; otherwise written with the next record that is synced, or at the close
   * (recovery reads the disk for a begun step without a done record), consecutive steps as one
   * range. Durable from then on.
   */
  done(seq: number): void {
    // a reopened journal (no meta) is a recovery's, a restore has three steps and a prune one a
    // backup: each is written at once (recovery tells a restore's steps apart by them)
    const m = this.meta;
    if (m === undefined || m.restore !== undefined || m.prune !== undefined || (this.retouched.size > 0 && this.retouched.has(seq))) {
      this.put(`{"done":${seq}}\n`);
      return;
    }
    if (this.doneFirst >= 0 && seq === this.doneLast + 1) this.doneLast = seq;
    else {
      this.flushDone();
      this.doneFirst = this.doneLast = seq;
    }
  }

  /** Written and made durable at once: a copy's folder is known before anything is put in it. */
  made(seq: number, root: string): void {
    this.push(JSON.stringify({ made: seq, root }));
    this.sync();
  }

  /**
   * Durable before the undo runs: a rollback killed right after undoing a step, before its
   * `undone` record, must not leave the step's `done` record standing for `recover --forward`.
   */
  undoing(seq: number): void {
    this.windingDown = true;
    this.push(JSON.stringify({ undoing: seq }));
    this.sync();
  }

  /** Written at once; made durable with the next record that is synced. */
  undone(seq: number): void {
    this.put(JSON.stringify({ undone: seq }) + '\n');
  }

  /**
   * Ends the journal and moves it aside as journal.last.jsonl. A journal without its header (the
   * apply was refused by its checks, or killed before its first step) records nothing that ran:
   * it is removed, and the journal of the apply before stays journal.last.jsonl.
   */
  close(outcome: JournalOutcome): void {
    if (!this.started) {
      this.discard();
      return;
    }
    this.windingDown = true;
    // the id names this journal in the records: a committed journal is part of them (records.ts)
    this.push(JSON.stringify({ close: outcome, at: new Date().toISOString(), id: journalId() }));
    this.sync();
    fs.closeSync(this.fd);
    this.fd = -1;
    const dir = path.dirname(this.file);
    try {
      fs.renameSync(this.file, path.join(dir, 'journal.last.jsonl'));
    } catch (e) {
      // (where the journal is still there, the next command that takes the lock moves it)
      const tail = fs.existsSync(this.file) ? '; it has ended all the same, and the next linkplan command finishes this' : '';
      throw stateError(this.file, 'move the closed journal to journal.last.jsonl', e, { tail });
    }
    syncDir(dir);
    this.freeReserve();
    // (a recovery's journal has none of its own: the killed apply's goes with it)
    if (this.meta === undefined) fs.rmSync(reservePath(dir), { force: true });
  }
}

/**
 * Puts down, beside the journal, as many bytes as a rollback of `steps` steps writes to it (the
 * done records still queued, an `undoing` and an `undone` record each, and the close), and two
 * pages more for the blocks the journal's end shares: freed when the disk is full, that room is
 * the rollback's. Not fsynced: only the room counts.
 */
function writeReserve(dir: string, steps: number): string {
  const digits = String(Math.max(steps, 1)).length;
  // per step: the done record still queued (at most one a step), then `{"undoing":N}` and `{"undone":N}`
  const bytes = steps * (38 + 3 * digits) + 160 + 8192;
  const file = reservePath(dir);
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    writeWhole(fd, Buffer.alloc(bytes));
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
  return file;
}

/** Makes the journal open at `fd` end with a whole line (see `FileJournal.reopen`). */
function endWithNewline(fd: number): void {
  const size = fs.fstatSync(fd).size;
  if (size === 0) return;
  const last = Buffer.alloc(1);
  fs.readSync(fd, last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  // the last line, read back: the journal's records are short, except its header
  const text = fs.readFileSync(fd, 'utf8');
  const start = text.lastIndexOf('\n') + 1;
  let whole = true;
  try {
    JSON.parse(text.slice(start));
  } catch {
    whole = false;
  }
  if (whole) fs.writeSync(fd, '\n');
  else fs.ftruncateSync(fd, Buffer.byteLength(text.slice(0, start)));
  fs.fsyncSync(fd);
}

/** A new journal's id: unique among the journals of one state folder (made one at a time, under its lock). */
function journalId(): string {
  return `${Date.now().toString(36)}-${process.pid.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/**
 * `journalAction`, and for a backup or an adopt the identity of what it moves (read now, right
 * before the apply's first step: a move keeps it), so prune and restore later know it.
 */
function journalActionWithIdentity(a: JournalSource): Record<string, unknown> {
  const out = journalAction(a);
  if (a.kind === 'backup-and-link' || a.kind === 'adopt' || a.kind === 'relocate') {
    const id = fileIdentity(a.path);
    if (id !== undefined) out['identity'] = id;
  }
  return out;
}

/** The text of a group that is a create's own link alone (OWN_LINK_ALONE): the commonest by far. */
const OWN_LINK_ALONE_TEXT = JSON.stringify(OWN_LINK_ALONE);

/**
 * The steps in groups (JSON text), group i beside action i, each step in short (format.ts); without
 * `ends` (or where they do not fit the actions) one group of steps written in full. A group that is
 * a create's own link alone is written as its known text; the others, a run at a time, by
 * JSON.stringify (thousands of small arrays in one call cost more: bench/README.md).
 */
function stepsText(steps: readonly Step[], actions: readonly JournalSource[], ends: ArrayLike<number> | undefined): string {
  if (ends === undefined || ends.length !== actions.length || (ends[ends.length - 1] ?? 0) !== steps.length) return JSON.stringify([steps.map((s) => encodeStep(s, undefined))]);
  const out: string[] = [];
  let run: (readonly unknown[])[][] = [];
  const flush = (): void => {
    if (run.length > 0) out.push(JSON.stringify(run).slice(1, -1));
    run = [];
  };
  // (an indexed loop: run once over tens of thousands of steps)
  let k = 0;
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i];
    const end = ends[i] as number;
    if (end === k + 1) {
      // (a group of one step: encodeStep says whether it is the action's own link, OWN_LINK)
      const only = encodeStep(steps[k++] as Step, a);
      if (only !== OWN_LINK) run.push([only]);
      else {
        flush();
        out.push(OWN_LINK_ALONE_TEXT);
      }
      continue;
    }
    const group: (readonly unknown[])[] = [];
    for (; k < end; k++) group.push(encodeStep(steps[k] as Step, a));
    run.push(group);
  }
  flush();
  return `[${out.join(',')}]`;
}

/** The steps a later step of the same apply touches a path of again. */
export function retouchedSteps(steps: readonly Step[]): Set<number> {
  // one pass: a step that touches a path an earlier step touched makes that earlier step one
  // (a loop per step, no arrays: an apply may have tens of thousands)
  const last = new Map<string, number>();
  const out = new Set<number>();
  const touch = (p: string, seq: number): void => {
    const before = last.get(p);
    if (before !== undefined && before !== seq) out.add(before);
    last.set(p, seq);
  };
  for (let seq = 0; seq < steps.length; seq++) {
    const s = steps[seq] as Step;
    if (s.op === 'move' || s.op === 'copy-tree') {
      touch(s.from, seq);
      touch(s.to, seq);
    } else touch(s.path, seq);
  }
  return out;
}

