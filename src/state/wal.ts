/**
 * The write-ahead journal on disk: a JSON-lines file, readable by a person, in the manifest's
 * state directory. The first line names the format and version and lists every action of the
 * apply (noops left out), in short (`journalAction`: what its steps and the records follow
 * from); the apply's steps, numbered, follow from them by `stepsFor` (steps.ts), each with its
 * inverse implied by its op, so this journal version pins how actions become steps. Before steps
 * run, a `begin` record for them is written and fsynced (an apply begins all its steps at once:
 * whether a begun step ran is read from the disk); after each step a `done` record (written at
 * once when a later step changes the same path again; otherwise with the next record that is
 * synced, consecutive steps in one `{"done":[first,last],"range":true}`); during a rollback,
 * before each undo an `undoing` record (fsynced) and after it an `undone` record; and a `close`
 * record at the end, with the journal's id, after which the file is moved to `journal.last.jsonl`
 * (a journal closed before its header was written recorded nothing that ran, and is removed).
 * A committed journal there is part of linkplan's records (records.ts) until `records.json` takes
 * it in, naming its id. A journal killed after its close record, before that move, has ended all
 * the same: the next command that takes the lock moves it (`finishClosedJournal`, state.ts).
 * Every record is written whole (a write cut short by a full disk is cut off again and is an
 * error); before its header, the journal puts down a reserve file (`journal.reserve`) as large as
 * the records a rollback of all its steps writes, and frees it when a rollback or the close
 * finds the disk full, so a full state folder midway still rolls back and closes.
 * A `backups restore` is journaled the same way: its header lists its steps itself, and names the
 * backup it restores (`restore`), which its records forget once it is committed.
 * A file without a close record is an unfinished apply: `linkplan recover` reads it back. The
 * journals of earlier linkplans read back too: version 2 (actions in full, one done record per
 * step) and version 1 (which listed the steps themselves as well). A torn last line (a crash
 * mid-write) is ignored when reading.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, LinkplanError } from '../core/errors.js';
import type { FolderIdentity, LinkSpec, Volume } from '../core/types.js';
import type { AppliedAction, Journal, JournalOutcome, RecordedAction } from './journal.js';
import { ensureDir } from './state-dir.js';
import { fileIdentity, isNoSpace, onStateFile, stateError, syncDir, writeWhole } from './files.js';
import { stepsFor, type Step, type StepSource } from '../apply/steps.js';

export const JOURNAL_FORMAT = 'linkplan-journal';
/**
 * 3: actions in short (no link text that is the target, no `before` where nothing was, no
 * source) and done records in ranges; 2: actions in full, the steps following from them; 1
 * listed the steps as well.
 */
export const JOURNAL_VERSION = 3;
/** The versions this linkplan reads back. */
const READS = [1, 2, 3];

/** The journal's first line, read back; `steps` as the header lists them (1) or as they follow from its actions (2, 3). */
export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  version: number;
  pid: number;
  host: string;
  started: string;
  manifest: string;
  /** The actions being applied (noops left out), in short, for the records a finished apply updates. */
  actions: AppliedAction[];
  steps: Step[];
  /** The NTFS volumes (ntfs-3g) the apply wrote through, so recovery uses the same drivers. */
  volumes?: Volume[];
  /** The folders the plan writes in and which folders they were, so recovery writes only there. */
  folders?: FolderIdentity[];
  /** For a `backups restore`: the backup it puts back (its steps are listed in `steps`). */
  restore?: RestoreNote;
}

/** The backup a restore puts back, as its journal names it. */
export interface RestoreNote {
  backup: number;
  path: string;
}

export class JournalError extends LinkplanError {}

/** What the header says about the apply besides its steps. */
export interface JournalMeta {
  manifest: string;
  /** The actions the apply runs, in order (noops left out): recovery works its steps out from them. */
  actions: readonly StepSource[];
  volumes?: readonly Volume[] | undefined;
  folders?: readonly FolderIdentity[] | undefined;
  /** A restore's journal: the backup, and the steps (its header lists them; it has no actions). */
  restore?: { note: RestoreNote; steps: readonly Step[] } | undefined;
}

export function journalPath(stateDir: string): string {
  return path.join(stateDir, 'journal.jsonl');
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
   * Writes the header; durable on return. `steps` must be the ones the header's actions make
   * (`stepsFor`), or a restore's. First puts down the reserve a rollback of every step needs. If
   * either cannot be written, nothing ran: the journal is removed and the error says so.
   */
  start(steps: readonly Step[]): void {
    this.retouched = retouchedSteps(steps);
    if (this.meta === undefined) return;
    try {
      this.reserve = writeReserve(path.dirname(this.file), steps.length);
      this.push(JSON.stringify(this.header()));
      this.sync();
      syncDir(path.dirname(this.file));
    } catch (e) {
      this.discard();
      const err = stateError(this.file, 'write the journal', e);
      throw new JournalError(`${err.message}; nothing was changed`, { hint: err.hint ?? '', cause: e });
    }
    this.started = true;
  }

  private header(): Record<string, unknown> {
    const meta = this.meta as JournalMeta;
    return {
      format: JOURNAL_FORMAT,
      version: JOURNAL_VERSION,
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
      manifest: meta.manifest,
      ...(meta.volumes === undefined || meta.volumes.length === 0 ? {} : { volumes: meta.volumes }),
      ...(meta.folders === undefined || meta.folders.length === 0 ? {} : { folders: meta.folders }),
      actions: meta.actions.map(journalActionWithIdentity),
      ...(meta.restore === undefined ? {} : { restore: meta.restore.note, steps: meta.restore.steps }),
    };
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
    // a reopened journal (no meta) is a recovery's, and a restore has three steps: each is
    // written at once (recovery tells a restore's steps apart by them)
    if (this.meta === undefined || this.meta.restore !== undefined || (this.retouched.size > 0 && this.retouched.has(seq))) {
      this.put(`{"done":${seq}}\n`);
      return;
    }
    if (this.doneFirst >= 0 && seq === this.doneLast + 1) this.doneLast = seq;
    else {
      this.flushDone();
      this.doneFirst = this.doneLast = seq;
    }
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
 * `journalAction`, and for a backup or an adopt the identity of what it moves (read now, right
 * before the apply's first step: a move keeps it), so prune and restore later know it.
 */
function journalActionWithIdentity(a: StepSource): Record<string, unknown> {
  const out = journalAction(a);
  if (a.kind === 'backup-and-link' || a.kind === 'adopt') {
    const id = fileIdentity(a.path);
    if (id !== undefined) out['identity'] = id;
  }
  return out;
}

/** The reserve file of the journals in `dir`. */
export function reservePath(dir: string): string {
  return path.join(dir, 'journal.reserve');
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

/** A finished apply that is in the records: what it did, and its journal's id and end. */
export interface FinishedApply {
  id: string;
  at: string;
  /** As the journal lists them (version 3: in short). */
  actions: RecordedAction[];
  volumes: Volume[] | undefined;
  /** For a restore's journal: the backup it put back. */
  restore: RestoreNote | undefined;
}

/** The outcomes after which every action of the journal ran. */
const APPLIED: ReadonlySet<unknown> = new Set<JournalOutcome>(['committed', 'completed-forward']);

/** What to do about a damaged journal that holds a part of the records: never "throw it away". */
export const DAMAGED_JOURNAL_HINT =
  'put it right by hand (JSON lines: a header, then one record a line, the last one its close), or from a copy of the state folder; linkplan changes nothing until it reads, and moving the file aside would lose the links and backups of that apply from its records';

/** The last line of `text` (without its newline). */
function lastLineOf(text: string): string {
  const end = text.endsWith('\n') ? text.length - 1 : text.length;
  return text.slice(text.lastIndexOf('\n', end - 1) + 1, end);
}

/**
 * The close record of the journal `file` (`journal.jsonl`), if it has one: the apply it records
 * has ended, and only moving it to journal.last.jsonl was missed. Undefined for an unfinished
 * (or running) apply's journal, or none.
 */
export function closedJournal(file: string): { outcome: JournalOutcome; id: string | undefined } | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(lastLineOf(text)) as Record<string, unknown>;
    if (typeof r['close'] !== 'string' || text.indexOf('\n') === text.length - 1) return undefined;
    return { outcome: r['close'] as JournalOutcome, id: typeof r['id'] === 'string' ? r['id'] : undefined };
  } catch {
    return undefined;
  }
}

/**
 * The finished apply in the journal `file` (`journal.last.jsonl`, or a closed `journal.jsonl`)
 * where every action ran (it was committed, or `recover --forward` finished it) and its journal
 * has an id; undefined otherwise (none, rolled back, or closed by a linkplan that wrote its
 * records itself). Only its close record (the last line) is read unless it is one: most reads
 * find it in `records.json` already. `open`: the file may be a journal still being written, whose
 * last line may not be whole.
 */
export function readFinishedApply(file: string, opts: { open?: boolean } = {}): FinishedApply | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw stateError(file, "read the last apply's journal", e);
  }
  const damaged = (why: string, cause?: unknown): JournalError =>
    new JournalError(`${file}: the last apply's journal is damaged (${why}); it holds that apply's part of the records`, { hint: DAMAGED_JOURNAL_HINT, cause });
  let close: Record<string, unknown>;
  try {
    close = JSON.parse(lastLineOf(text)) as Record<string, unknown>;
  } catch (e) {
    if (opts.open === true) return undefined;
    // (a journal is moved here only after its close record is durable: a last line that does not parse was damaged since)
    throw damaged('its last line is not a journal record', e);
  }
  if (typeof close !== 'object' || close === null || !APPLIED.has(close['close']) || close['id'] === undefined) return undefined;
  const { id, at } = close;
  if (typeof id !== 'string' || typeof at !== 'string' || Number.isNaN(Date.parse(at))) throw damaged('its close record has no id and time');
  let header: Partial<JournalHeader> & { version?: unknown };
  try {
    header = JSON.parse(text.slice(0, text.indexOf('\n'))) as typeof header;
  } catch (e) {
    throw damaged('its first line is not a journal header', e);
  }
  if (typeof header !== 'object' || header === null || header.format !== JOURNAL_FORMAT || typeof header.version !== 'number' || !READS.includes(header.version) || !Array.isArray(header.actions)) {
    throw damaged('its first line is not a journal header this linkplan reads');
  }
  const restore = header.restore;
  if (restore !== undefined && (typeof restore !== 'object' || restore === null || typeof restore.backup !== 'number' || typeof restore.path !== 'string')) throw damaged('the restore it names is not a backup');
  return { id, at, actions: header.actions, volumes: header.volumes, restore };
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
    if (s.op === 'move') {
      touch(s.from, seq);
      touch(s.to, seq);
    } else touch(s.path, seq);
  }
  return out;
}

/**
 * An action as a version 3 journal lists it: its kind and path; its link, with the link's text
 * only where that is not the target; the folders it makes, its backup name, the target of a hard
 * link it removes; and what was at the path, only where something was (a link with its text, so
 * a retarget or a removal can be undone).
 */
export function journalAction(a: StepSource): Record<string, unknown> {
  // (fields set one by one, in a stable order: an apply may list tens of thousands)
  const out: Record<string, unknown> = { kind: a.kind, path: a.path };
  const l = a.link;
  if (l !== undefined) out['link'] = l.linkText === l.target ? { type: l.type, target: l.target } : { type: l.type, target: l.target, linkText: l.linkText };
  if (a.parents !== undefined) out['parents'] = a.parents;
  if (a.targetParents !== undefined) out['targetParents'] = a.targetParents;
  if (a.backupPath !== undefined) out['backupPath'] = a.backupPath;
  if (a.removeTarget !== undefined) out['removeTarget'] = a.removeTarget;
  const b = a.before;
  if (b.kind !== 'absent') out['before'] = b.linkText !== undefined && (b.kind === 'symlink' || b.kind === 'junction') ? { kind: b.kind, linkText: b.linkText } : { kind: b.kind };
  return out;
}

/** A restore journal's steps, checked to be steps (a restore moves things and removes a link). */
function restoreSteps(steps: unknown): Step[] {
  const isPath = (p: unknown): boolean => typeof p === 'string' && path.isAbsolute(p);
  const ok = (s: unknown): s is Step => {
    if (typeof s !== 'object' || s === null) return false;
    const r = s as Record<string, unknown>;
    const prev = r['previous'] as Record<string, unknown> | undefined;
    if (r['op'] === 'move') return isPath(r['from']) && isPath(r['to']);
    return r['op'] === 'unlink' && isPath(r['path']) && typeof prev === 'object' && prev !== null && typeof prev['type'] === 'string' && typeof prev['linkText'] === 'string' && isPath(prev['target']);
  };
  if (!Array.isArray(steps) || !steps.every(ok)) throw new Error('the steps of the restore are not a move and a removal of a link');
  return steps;
}

/** A version 3 journal's action in full again: a link's text is its target where none is given, and nothing was at a path without `before`. */
function fullAction(read: AppliedAction): AppliedAction {
  const a = read as Omit<AppliedAction, 'before'> & { before?: AppliedAction['before']; link?: Omit<LinkSpec, 'linkText'> & { linkText?: string } };
  const link = a.link === undefined || a.link.linkText !== undefined ? read.link : { ...a.link, linkText: a.link.target };
  return { ...a, link, before: a.before ?? { kind: 'absent' } };
}

export interface JournalRecord {
  /** Undefined when the apply was killed before its header was written: nothing ran. */
  header: JournalHeader | undefined;
  begun: Set<number>;
  /** Steps whose latest record is `done`. */
  done: Set<number>;
  /** Steps whose latest record is `undone`. */
  undone: Set<number>;
  closed: JournalOutcome | undefined;
}

/** Reads a journal back; undefined when there is none. */
export function readJournal(file: string): JournalRecord | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw stateError(file, 'read the journal', e);
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
  const header = parsed[0] as (Partial<JournalHeader> & { version?: unknown }) | undefined;
  if (header?.format !== JOURNAL_FORMAT) throw new JournalError(`${file}: not a linkplan journal`, { hint: 'move the file away if it is not linkplan\'s' });
  if (typeof header.version !== 'number' || !READS.includes(header.version)) {
    throw new JournalError(`${file}: journal version ${String(header.version)} is not one this linkplan reads (${READS.slice(0, -1).join(', ')} or ${READS.at(-1) ?? ''})`, {
      hint: 'recover with the linkplan version that wrote it',
    });
  }
  if (header.version >= 2) {
    try {
      if (header.version >= 3) header.actions = (header.actions ?? []).map(fullAction);
      // a restore's journal lists its steps itself; an apply's follow from its actions
      if (header.restore !== undefined) header.steps = restoreSteps(header.steps);
      else header.steps = (header.actions ?? []).flatMap(stepsFor);
    } catch (e) {
      throw new JournalError(`${file}:1: the journal's actions are damaged (${e instanceof Error ? e.message : String(e)})`, { hint: 'the journal is damaged; inspect it by hand', cause: e });
    }
  }
  const rec: JournalRecord = { header: header as JournalHeader, begun: new Set(), done: new Set(), undone: new Set(), closed: undefined };
  // a range names steps of this apply only (a damaged one cannot make recovery count for ever)
  const lastStep = (header.steps?.length ?? 0) - 1;
  const span = (b: readonly unknown[]): [number, number] => [Math.max(0, Number(b[0])), Math.min(lastStep, Number(b[1]))];
  for (const r of parsed.slice(1) as Record<string, unknown>[]) {
    if (Array.isArray(r['begin'])) {
      const b = r['begin'] as number[];
      if (r['range'] === true) {
        const [from, to] = span(b);
        for (let s = from; s <= to; s++) rec.begun.add(s);
      } else for (const s of b) rec.begun.add(s);
    }
    // a step's latest record wins: a step done, then (being) undone by a rollback or an
    // interrupted recovery, is not known to be done any more (the disk says whether it is); one
    // undone and then run again by --forward is done
    const done = r['done'];
    if (typeof done === 'number') {
      rec.done.add(done);
      rec.undone.delete(done);
    } else if (Array.isArray(done) && r['range'] === true) {
      const [from, to] = span(done);
      for (let s = from; s <= to; s++) {
        rec.done.add(s);
        rec.undone.delete(s);
      }
    }
    if (typeof r['undoing'] === 'number') rec.done.delete(r['undoing']);
    if (typeof r['undone'] === 'number') {
      rec.undone.add(r['undone']);
      rec.done.delete(r['undone']);
    }
    if (typeof r['close'] === 'string') rec.closed = r['close'] as JournalOutcome;
  }
  return rec;
}
