/**
 * The records linkplan keeps in a manifest's state directory, beside the journal: which links
 * it created (so `apply --prune` removes only those, and only while they still point where
 * linkplan pointed them), and which things backup and adopt moved aside (so `linkplan backups`
 * can list and restore them). Files are written whole to a temporary name, fsynced and renamed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AbsPath } from '../paths.js';
import { LinkplanError, errnoCode } from '../errors.js';
import type { Action, LinkSpec, Volume } from '../plan/types.js';
import { PRUNE_WHERE } from './prune.js';
import { ensureDir } from './state-dir.js';

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
}

/**
 * An applied action in the form the journal keeps: what the records take from it (so `recover
 * --forward` can update the records as the apply would have), and what its steps follow from
 * (`stepsFor`: the journal lists actions, not steps).
 */
export interface AppliedAction {
  kind: Action['kind'];
  path: AbsPath;
  link?: LinkSpec;
  parents?: AbsPath[];
  targetParents?: AbsPath[];
  backupPath?: AbsPath;
  removeTarget?: AbsPath;
  /** What was there; a link's text, so a step that replaces or removes it can put it back. */
  before: { kind: Action['before']['kind']; linkText?: string };
  source: { where: string };
}

/**
 * An action in the form the journal keeps (fields set one by one: thousands on a first apply). Its
 * `link` and folder lists are the action's own: read them, do not change them.
 */
export function appliedAction(a: Action): AppliedAction {
  const b = a.before;
  const before: AppliedAction['before'] = b.kind === 'symlink' || b.kind === 'junction' ? { kind: b.kind, linkText: b.linkText } : { kind: b.kind };
  const out: AppliedAction = { kind: a.kind, path: a.path, before, source: { where: a.source.where } };
  if (a.link !== undefined) out.link = a.link;
  if (a.parents !== undefined) out.parents = a.parents;
  if (a.targetParents !== undefined) out.targetParents = a.targetParents;
  if (a.backupPath !== undefined) out.backupPath = a.backupPath;
  if (a.removeTarget !== undefined) out.removeTarget = a.removeTarget;
  return out;
}

interface RecordsFile {
  version: 1;
  manifest: string;
  /** By path; an object in the file. */
  owned: Map<string, OwnedLink>;
  backups: BackupRecord[];
  /** The NTFS volumes (ntfs-3g) of the last apply, so `backups restore` writes through the same drivers. */
  volumes?: Volume[];
}

function writeAtomic(file: string, data: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}

/** An owned link as one line of the file: `"path": {"type":…,"target":…,"linkText":…,"at":…}`. */
function ownedLine(p: string, o: OwnedLink): string {
  const target = JSON.stringify(o.target);
  // (most links' text is their target: encoded once)
  const linkText = o.linkText === o.target ? target : JSON.stringify(o.linkText);
  return `${JSON.stringify(p)}: {"type":${JSON.stringify(o.type)},"target":${target},"linkText":${linkText},"at":${JSON.stringify(o.at)}}`;
}

function stringifyRecords(d: RecordsFile): string {
  const lines = (entries: string[]): string => (entries.length === 0 ? '' : `\n    ${entries.join(',\n    ')}\n  `);
  const owned: string[] = [];
  for (const [k, v] of d.owned) owned.push(ownedLine(k, v));
  const backups = d.backups.map((b) => JSON.stringify(b));
  return (
    `{\n  "version": ${d.version},\n  "manifest": ${JSON.stringify(d.manifest)},\n` +
    `  "owned": {${lines(owned)}},\n  "backups": [${lines(backups)}]` +
    (d.volumes === undefined ? '' : `,\n  "volumes": ${JSON.stringify(d.volumes)}`) +
    '\n}\n'
  );
}

export class Records {
  private constructor(
    readonly file: string,
    private data: RecordsFile,
  ) {}

  static load(stateDir: string, manifest: string): Records {
    const file = path.join(stateDir, 'records.json');
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') return new Records(file, { version: 1, manifest, owned: new Map(), backups: [] }); // no records yet
      throw new LinkplanError(`${file}: cannot read linkplan's records (${errnoCode(e) ?? String(e)})`, { hint: 'check the state directory\'s permissions', cause: e });
    }
    let parsed: Partial<Omit<RecordsFile, 'owned'> & { owned: Record<string, OwnedLink> }>;
    try {
      parsed = JSON.parse(text) as typeof parsed;
    } catch (e) {
      throw new LinkplanError(`${file}: linkplan's records are damaged (not JSON)`, {
        hint: 'move the file aside to start afresh: linkplan then forgets which links it made (prune leaves them alone) and its backups list',
        cause: e,
      });
    }
    if (parsed.version !== 1) {
      // never overwrite records a newer linkplan wrote: they list backups only it can restore
      throw new LinkplanError(`${file}: records version ${String(parsed.version)} is not one this linkplan reads (1)`, {
        hint: 'use the linkplan version that wrote them',
      });
    }
    return new Records(file, {
      version: 1,
      manifest,
      owned: new Map(Object.entries(parsed.owned ?? {})),
      backups: parsed.backups ?? [],
      ...(parsed.volumes === undefined ? {} : { volumes: parsed.volumes }),
    });
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
    if (volumes === undefined || volumes.length === 0) delete this.data.volumes;
    else this.data.volumes = [...volumes];
  }

  /** Takes in what a committed apply did. */
  recordApplied(actions: readonly AppliedAction[], now: Date = new Date()): void {
    const at = now.toISOString();
    for (const a of actions) {
      // removed, or found no longer to be the link linkplan made: not linkplan's any more
      if (a.kind === 'remove' || (a.kind === 'noop' && a.source.where === PRUNE_WHERE)) this.data.owned.delete(a.path);
      if (a.link !== undefined && (a.kind === 'create' || a.kind === 'retarget' || a.kind === 'backup-and-link' || a.kind === 'adopt')) {
        const { type, target, linkText } = a.link;
        this.data.owned.set(a.path, { type, target, linkText, at });
      }
      if (a.kind === 'backup-and-link' && a.backupPath !== undefined) this.addBackup({ path: a.path, movedTo: a.backupPath, kind: 'backup', what: a.before.kind, at });
      if (a.kind === 'adopt' && a.link !== undefined) this.addBackup({ path: a.path, movedTo: a.link.target, kind: 'adopt', what: a.before.kind, at });
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
    this.data.backups = this.data.backups.filter((b) => b.id !== id);
  }

  forgetOwned(p: string): void {
    this.data.owned.delete(p);
  }

  save(): void {
    ensureDir(path.dirname(this.file));
    // one line per owned link and backup: readable, and quick to write for thousands of links
    writeAtomic(this.file, stringifyRecords(this.data));
  }
}
