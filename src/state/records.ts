/**
 * The records linkplan keeps in a manifest's state directory, beside the journal: which links
 * it created (so `apply --prune` removes only those, and only while they still point where
 * linkplan pointed them), and which things backup and adopt moved aside (so `linkplan backups`
 * can list and restore them).
 *
 * They are `records.json` and the last finished apply: an apply's journal already lists every
 * action durably, so a committed apply (or one `recover --forward` finished) is in the records
 * from the moment its journal is closed and moved to `journal.last.jsonl`, with nothing more
 * written. `records.json` names the last journal it includes (`"journal"`: the id in that
 * journal's close record); a later journal is taken in when the records are read, and written
 * into `records.json` before a new journal can take its place (`settle`). So an apply writes its
 * actions once, and a crash between an apply's end and its records cannot lose them. The file is
 * written whole to a temporary name, fsynced and renamed.
 */
import path from 'node:path';
import type { AbsPath } from '../core/paths.js';
import { LinkplanError } from '../core/errors.js';
import type { LinkSpec, Volume } from '../core/types.js';
import type { RecordedAction } from './journal.js';
import { ensureDir } from './state-dir.js';
import { readStateFile, replaceFile } from './files.js';
import { acceptFormat } from './upgrade.js';
import { journalPath } from './journal/format.js';
import { readFinishedApply, type FinishedApply } from './journal/reader.js';

export interface OwnedLink extends LinkSpec {
  at: string;
}

export interface BackupRecord {
  id: number;
  /** Where the thing was. */
  path: AbsPath;
  /** Where it is now. */
  movedTo: AbsPath;
  kind: 'backup' | 'adopt';
  what: string;
  at: string;
  /**
   * What was moved, as the filesystem knows it (`dev:ino`, and `:birth time` where the filesystem
   * keeps one), taken right before the apply that moved it: prune and restore act on what is at
   * `movedTo` only while it is still that (a later backup may have been given the same name).
   * Absent in records an earlier linkplan wrote.
   */
  identity?: string;
}

/**
 * 3: the records are this file and the last finished apply after the journal it names; an owned
 * link's text is left out where it is its target (most links). Earlier formats are refused
 * (upgrade.ts).
 */
export const RECORDS_VERSION = 3;

interface RecordsFile {
  version: typeof RECORDS_VERSION;
  manifest: string;
  /** The id of the last finished apply's journal the file includes (none: it includes none). */
  journal?: string;
  /** By path; an object in the file. */
  owned: Map<string, OwnedLink>;
  backups: BackupRecord[];
  /** The NTFS volumes (ntfs-3g) of the last apply, so `backups restore` writes through the same drivers. */
  volumes?: Volume[];
}

const DAMAGED_HINT =
  'put it right by hand (it is JSON: one line a link linkplan made and a backup it keeps), or from a copy of the state folder; linkplan changes nothing until it reads, and moving the file aside would lose its list of backups';

const LINK_TYPES: ReadonlySet<unknown> = new Set(['symlink', 'junction', 'hardlink']);

/** Whether a link read from the records is one linkplan writes (its text is left out where it is its target). */
function isOwnedLink(o: unknown): o is Omit<OwnedLink, 'linkText'> & { linkText?: string } {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  return LINK_TYPES.has(r['type']) && typeof r['target'] === 'string' && (r['linkText'] === undefined || typeof r['linkText'] === 'string') && typeof r['at'] === 'string';
}

/** Whether a backup read from the records is one linkplan writes. */
function isBackupRecord(o: unknown): o is BackupRecord {
  if (typeof o !== 'object' || o === null) return false;
  const r = o as Record<string, unknown>;
  return (
    typeof r['id'] === 'number' &&
    typeof r['path'] === 'string' &&
    typeof r['movedTo'] === 'string' &&
    (r['kind'] === 'backup' || r['kind'] === 'adopt') &&
    typeof r['at'] === 'string' &&
    (r['identity'] === undefined || typeof r['identity'] === 'string')
  );
}

/** An owned link as one line of the file: `"path": {"type":…,"target":…,"at":…}`, with `"linkText"` where it is not the target. */
function ownedLine(p: string, o: OwnedLink, at: string): string {
  const linkText = o.linkText === o.target ? '' : `,"linkText":${JSON.stringify(o.linkText)}`;
  return `${JSON.stringify(p)}: {"type":"${o.type}","target":${JSON.stringify(o.target)}${linkText},"at":${at}}`;
}

function stringifyRecords(d: RecordsFile): string {
  const lines = (entries: string[]): string => (entries.length === 0 ? '' : `\n    ${entries.join(',\n    ')}\n  `);
  const owned: string[] = [];
  // (the links of one apply share their time, encoded once)
  let at = '';
  let atJson = '""';
  d.owned.forEach((v, k) => {
    if (v.at !== at) {
      at = v.at;
      atJson = JSON.stringify(at);
    }
    owned.push(ownedLine(k, v, atJson));
  });
  const backups = d.backups.map((b) => JSON.stringify(b));
  return (
    `{\n  "version": ${d.version},\n  "manifest": ${JSON.stringify(d.manifest)},\n` +
    `  "owned": {${lines(owned)}},\n  "backups": [${lines(backups)}]` +
    (d.volumes === undefined ? '' : `,\n  "volumes": ${JSON.stringify(d.volumes)}`) +
    (d.journal === undefined ? '' : `,\n  "journal": ${JSON.stringify(d.journal)}`) +
    '\n}\n'
  );
}

export class Records {
  /** Whether the file lacks what was taken in since it was read (a finished apply, a change). */
  private unsaved = false;

  private constructor(
    readonly file: string,
    private data: RecordsFile,
    /** Whether `records.json` is there. */
    private onDisk: boolean,
  ) {}

  /**
   * Whether these records took in a closed journal that is not yet journal.last.jsonl: they are
   * then only read, never saved (`finishClosedJournal` moves it first, with the records before it saved).
   */
  private readOnly = false;

  /** Reads the records: `records.json`, and the last finished apply where the file does not include it. */
  static load(stateDir: string, manifest: string, opts: { closedJournal?: boolean } = {}): Records {
    const file = path.join(stateDir, 'records.json');
    const read = readRecordsFile(file, manifest);
    const records = new Records(file, read ?? { version: RECORDS_VERSION, manifest, owned: new Map(), backups: [] }, read !== undefined);
    records.takeIn(readFinishedApply(path.join(stateDir, 'journal.last.jsonl')));
    if (opts.closedJournal !== false) {
      const closed = readFinishedApply(journalPath(stateDir), { open: true });
      if (closed !== undefined) {
        records.takeIn(closed);
        records.readOnly = true;
      }
    }
    return records;
  }

  /** Takes in a finished apply (or restore) the file does not include yet. */
  private takeIn(last: FinishedApply | undefined): void {
    if (last === undefined || last.id === this.data.journal) return;
    this.recordApplied(last.actions, new Date(last.at));
    // (a prune writes what it deleted into records.json itself, once its journal is closed)
    if (last.prune !== undefined) {
      // nothing more: the volumes are the last apply's
    } else if (last.restore !== undefined) {
      this.forgetBackup(last.restore.backup);
      this.forgetOwned(last.restore.path);
    } else this.setVolumes(last.volumes);
    this.data.journal = last.id;
    this.unsaved = true;
  }

  /**
   * Writes into `records.json` what it does not include yet. Called before a new journal is
   * made (it will take the last one's place) and after any change made here. Where there is no
   * `records.json` yet, it is written (empty, say): an earlier linkplan then finds version 3 and
   * refuses it, rather than find no records and forget the applies in the journal.
   */
  settle(): void {
    if (this.unsaved || !this.onDisk) this.save();
  }

  owned(): ReadonlyMap<string, OwnedLink> {
    return this.data.owned;
  }

  backups(): readonly BackupRecord[] {
    return this.data.backups;
  }

  volumes(): readonly Volume[] {
    return this.data.volumes ?? [];
  }

  /** Notes the NTFS volumes an apply wrote through (none: forgets them). */
  setVolumes(volumes: readonly Volume[] | undefined): void {
    this.unsaved = true;
    if (volumes === undefined || volumes.length === 0) delete this.data.volumes;
    else this.data.volumes = [...volumes];
  }

  /**
   * Takes in what a committed apply did (a finished apply's journal is taken in when the records
   * are read; this is for what no journal lists, such as the links `--prune` finds changed).
   */
  recordApplied(actions: readonly RecordedAction[], now: Date = new Date()): void {
    if (actions.length === 0) return;
    this.unsaved = true;
    const at = now.toISOString();
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as RecordedAction;
      // removed, or found no longer to be the link linkplan made: not linkplan's any more
      if (a.kind === 'remove' || (a.kind === 'noop' && a.prune !== undefined)) this.data.owned.delete(a.path);
      const l = a.link;
      if (l !== undefined && (a.kind === 'create' || a.kind === 'retarget' || a.kind === 'backup-and-link' || a.kind === 'adopt' || a.kind === 'relocate')) {
        this.data.owned.set(a.path, { type: l.type, target: l.target, linkText: l.linkText ?? l.target, at });
      }
      const what = a.before?.kind ?? 'absent';
      const identity = a.identity === undefined ? {} : { identity: a.identity };
      // (a relocation keeps the original under its backup name, restored and pruned as any backup)
      if ((a.kind === 'backup-and-link' || a.kind === 'retarget' || a.kind === 'relocate') && a.backupPath !== undefined) this.addBackup({ path: a.path, movedTo: a.backupPath, kind: 'backup', what, at, ...identity });
      if (a.kind === 'adopt' && l !== undefined) this.addBackup({ path: a.path, movedTo: l.target, kind: 'adopt', what, at, ...identity });
    }
  }

  /** The id the next backup gets: one more than any there is (found once, not per backup). */
  private nextBackupId: number | undefined;

  private addBackup(b: Omit<BackupRecord, 'id'>): void {
    const id = (this.nextBackupId ??= this.data.backups.reduce((m, r) => Math.max(m, r.id), 0) + 1);
    this.nextBackupId = id + 1;
    this.data.backups.push({ id, ...b });
  }

  forgetBackup(id: number): void {
    this.unsaved = true;
    this.data.backups = this.data.backups.filter((b) => b.id !== id);
  }

  forgetOwned(p: string): void {
    this.unsaved = true;
    this.data.owned.delete(p);
  }

  save(): void {
    if (this.readOnly) throw new Error(`${this.file}: records that took in a closed journal not yet moved are not saved`);
    ensureDir(path.dirname(this.file));
    // one line per owned link and backup: readable, and quick to write for thousands of links
    replaceFile(this.file, stringifyRecords(this.data), "write linkplan's records");
    this.unsaved = false;
    this.onDisk = true;
  }
}

/** Reads `records.json`; undefined where there is none. */
function readRecordsFile(file: string, manifest: string): RecordsFile | undefined {
  const text = readStateFile(file, "read linkplan's records");
  if (text === undefined) return undefined;
  const damaged = (why: string, cause?: unknown): LinkplanError => new LinkplanError(`${file}: linkplan's records are damaged (${why})`, { hint: DAMAGED_HINT, cause });
  let parsed: Partial<Omit<RecordsFile, 'owned' | 'version'> & { version: unknown; owned: Record<string, unknown> }>;
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch (e) {
    throw damaged('not JSON', e);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw damaged('not an object of records');
  // never overwrite records another linkplan wrote: they list backups only it can restore
  acceptFormat(file, { what: 'records', found: parsed.version, current: RECORDS_VERSION, damaged });
  const owned = new Map<string, OwnedLink>();
  const read = parsed.owned ?? {};
  if (typeof read !== 'object' || read === null || Array.isArray(read)) throw damaged('the links it made are not an object by path');
  const backups = parsed.backups ?? [];
  if (!Array.isArray(backups)) throw damaged('the backups are not a list');
  const bad = backups.findIndex((b) => !isBackupRecord(b));
  if (bad >= 0) throw damaged(`backup ${bad + 1} of the list is not a backup record`);
  const paths = Object.keys(read);
  for (let i = 0; i < paths.length; i++) {
    const k = paths[i] as string;
    const o = read[k];
    if (!isOwnedLink(o)) throw damaged(`the link recorded at ${k} is not one linkplan writes`);
    if (o.linkText === undefined) o.linkText = o.target;
    owned.set(k, o as OwnedLink);
  }
  if (parsed.journal !== undefined && typeof parsed.journal !== 'string') throw damaged('the journal they name is not an id');
  return {
    version: RECORDS_VERSION,
    manifest,
    owned,
    backups,
    ...(parsed.volumes === undefined ? {} : { volumes: parsed.volumes }),
    ...(parsed.journal === undefined ? {} : { journal: parsed.journal }),
  };
}
