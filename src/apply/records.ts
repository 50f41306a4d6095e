/**
 * The records linkplan keeps in a manifest's state directory, beside the journal: which links
 * it created (so `apply --prune` removes only those, and only while they still point where
 * linkplan pointed them), and which things backup and adopt moved aside (so `linkplan backups`
 * can list and restore them). Files are written whole to a temporary name, fsynced and renamed.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { AbsPath } from '../paths.js';
import type { Action, LinkSpec } from '../plan/types.js';
import { PRUNE_WHERE } from './prune.js';

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

interface RecordsFile {
  version: 1;
  manifest: string;
  owned: Record<string, OwnedLink>;
  backups: BackupRecord[];
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

export class Records {
  private constructor(
    readonly file: string,
    private data: RecordsFile,
  ) {}

  static load(stateDir: string, manifest: string): Records {
    const file = path.join(stateDir, 'records.json');
    let data: RecordsFile = { version: 1, manifest, owned: {}, backups: [] };
    try {
      const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<RecordsFile>;
      if (parsed.version === 1) data = { version: 1, manifest, owned: parsed.owned ?? {}, backups: parsed.backups ?? [] };
    } catch {
      // no records yet
    }
    return new Records(file, data);
  }

  owned(): ReadonlyMap<string, OwnedLink> {
    return new Map(Object.entries(this.data.owned));
  }

  backups(): readonly BackupRecord[] {
    return this.data.backups;
  }

  /** Takes in what a committed apply did. */
  recordApplied(actions: readonly Action[], now: Date = new Date()): void {
    const at = now.toISOString();
    for (const a of actions) {
      // removed, or found no longer to be the link linkplan made: not linkplan's any more
      if (a.kind === 'remove' || (a.kind === 'noop' && a.source.where === PRUNE_WHERE)) delete this.data.owned[a.path];
      if (a.link !== undefined && (a.kind === 'create' || a.kind === 'retarget' || a.kind === 'backup-and-link' || a.kind === 'adopt')) {
        this.data.owned[a.path] = { ...a.link, at };
      }
      if (a.kind === 'backup-and-link' && a.backupPath !== undefined) this.addBackup({ path: a.path, movedTo: a.backupPath, kind: 'backup', what: a.before.kind, at });
      if (a.kind === 'adopt' && a.link !== undefined) this.addBackup({ path: a.path, movedTo: a.link.target, kind: 'adopt', what: a.before.kind, at });
    }
  }

  private addBackup(b: Omit<BackupRecord, 'id'>): void {
    const id = this.data.backups.reduce((m, r) => Math.max(m, r.id), 0) + 1;
    this.data.backups.push({ id, ...b });
  }

  forgetBackup(id: number): void {
    this.data.backups = this.data.backups.filter((b) => b.id !== id);
  }

  forgetOwned(p: string): void {
    delete this.data.owned[p];
  }

  save(): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
    writeAtomic(this.file, JSON.stringify(this.data, null, 2) + '\n');
  }
}
