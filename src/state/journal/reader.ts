/**
 * The journal's reader: reads a journal back (`readJournal`: its header, steps decoded, and which
 * steps were begun, done and undone), tells whether a `journal.jsonl` has its close record
 * (`closedJournal`: its apply has ended, and only the move to `journal.last.jsonl` was missed),
 * and reads the finished apply a committed journal holds for the records (`readFinishedApply`).
 * The format version is accepted in one place (upgrade.ts). A file without a close record is an
 * unfinished apply: `linkplan recover` reads it back. A torn last line (a crash mid-write) is
 * ignored when reading.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Volume } from '../../core/types.js';
import type { Step } from '../../apply/steps.js';
import type { JournalOutcome, RecordedAction } from '../journal.js';
import { readStateFile } from '../files.js';
import { acceptFormat } from '../upgrade.js';
import { DAMAGED_JOURNAL_HINT, decodeStep, JournalError, JOURNAL_FORMAT, JOURNAL_READABLE, JOURNAL_VERSION, type JournalHeader, type PruneNote, type RestoreNote } from './format.js';

/** A finished apply that is in the records: what it did, and its journal's id and end. */
export interface FinishedApply {
  id: string;
  at: string;
  /** As the journal lists them, in short. */
  actions: RecordedAction[];
  volumes: Volume[] | undefined;
  /** For a restore's journal: the backup it put back. */
  restore: RestoreNote | undefined;
  /** For a prune's journal: the backups it deleted. */
  prune: PruneNote | undefined;
}

/** The outcomes after which every action of the journal ran. */
const APPLIED: ReadonlySet<unknown> = new Set<JournalOutcome>(['committed', 'completed-forward']);

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
  const text = readStateFile(file, "read the last apply's journal");
  if (text === undefined) return undefined;
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
  if (typeof header !== 'object' || header === null || header.format !== JOURNAL_FORMAT) throw damaged('its first line is not a journal header');
  acceptFormat(file, { what: 'last journal', found: header.version, current: JOURNAL_VERSION, readable: JOURNAL_READABLE, damaged });
  if (!Array.isArray(header.actions)) throw damaged('its header lists no actions');
  const restore = header.restore;
  if (restore !== undefined && (typeof restore !== 'object' || restore === null || typeof restore.backup !== 'number' || typeof restore.path !== 'string')) throw damaged('the restore it names is not a backup');
  const prune = header.prune;
  if (prune !== undefined && (typeof prune !== 'object' || prune === null || !Array.isArray(prune.backups))) throw damaged('the prune it names lists no backups');
  return { id, at, actions: header.actions, volumes: header.volumes, restore, prune };
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
  const text = readStateFile(file, 'read the journal');
  if (text === undefined) return undefined;
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
  const header = readHeader(file, parsed[0]);
  const rec: JournalRecord = { header, begun: new Set(), done: new Set(), undone: new Set(), closed: undefined };
  // a range names steps of this apply only (a damaged one cannot make recovery count for ever)
  const lastStep = header.steps.length - 1;
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
    // the folder a copy made (the latest record wins: a copy run again by --forward makes another)
    if (typeof r['made'] === 'number' && typeof r['root'] === 'string') {
      const s = header.steps[r['made']];
      if (s?.op === 'copy-tree') s.root = r['root'];
    }
  }
  return rec;
}

/** The journal's first line, its version accepted and its steps read back from their short form. */
function readHeader(file: string, first: unknown): JournalHeader {
  const header = first as (Partial<Omit<JournalHeader, 'steps'>> & { version?: unknown; steps?: unknown }) | undefined;
  if (typeof header !== 'object' || header === null || header.format !== JOURNAL_FORMAT) throw new JournalError(`${file}: not a linkplan journal`, { hint: "move the file away if it is not linkplan's" });
  const damaged = (why: string, cause?: unknown): JournalError => new JournalError(`${file}:1: the journal's header is damaged (${why})`, { hint: 'the journal is damaged; inspect it by hand', cause });
  acceptFormat(file, { what: 'journal', found: header.version, current: JOURNAL_VERSION, readable: JOURNAL_READABLE, damaged });
  const actions = header.actions;
  if (!Array.isArray(actions) || !actions.every(isRecordedAction)) throw damaged('its actions are not a list of actions');
  const groups = header.steps;
  if (!Array.isArray(groups) || !groups.every((g) => Array.isArray(g))) throw damaged('its steps are not a list of groups');
  const steps: Step[] = [];
  try {
    for (let i = 0; i < groups.length; i++) for (const code of groups[i] as unknown[]) steps.push(decodeStep(code, actions[i]));
  } catch (e) {
    throw damaged(`step ${steps.length + 1}: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  return { ...(header as JournalHeader), actions, steps };
}

function isRecordedAction(a: unknown): a is RecordedAction {
  if (typeof a !== 'object' || a === null) return false;
  const r = a as Record<string, unknown>;
  return typeof r['kind'] === 'string' && typeof r['path'] === 'string' && path.isAbsolute(r['path']);
}
