/**
 * Reads what the planner needs from the disk, through a driver and without following links:
 * each link path, its ancestors up to the first that exists (and, for a folder that exists, every
 * folder above it, so folder links on the way are known), each target (followed, as the OS
 * would) and, for an adopt, the target's own entry; and for anything in the way of a `backup`
 * entry, the first free backup name; for a folder that moves into a target on another volume (a
 * relocation), what it holds and the room on the target's volume; what can be made at each link's path (volumes differ: an
 * NTFS volume takes junctions) and the NTFS volumes the driver writes on. The planner itself
 * never reads the disk.
 */
import { autoMayHardLink } from './link-type.js';
import type { Driver } from '../drivers/driver.js';
import { asAbs, parentMemo, parentOf, pathKey, resolveLinkText, type AbsPath, type Platform } from '../core/paths.js';
import { ABSENT } from '../core/entries.js';
import { targetOf, type LinkIndex } from '../core/link-index.js';
import type { Capabilities, Desired, Entry, Observed, TargetInfo, TargetKind, TreeFacts } from '../core/types.js';

/** `path.linkplan-backup`, then `-2`, `-3`...: a new backup never overwrites an earlier one. */
export function backupCandidate(p: AbsPath, n: number): AbsPath {
  return (n === 1 ? `${p}.linkplan-backup` : `${p}.linkplan-backup-${n}`) as AbsPath;
}

/**
 * After this many names looked up in one folder were found absent, the folder is listed once and
 * a name the listing cannot match is absent without a lookup of its own: a first apply into an
 * existing folder (a home with hundreds of dotfile folders to make) asks about hundreds of names
 * there that are not there yet. High enough that a huge folder is never listed for a few names.
 */
export const LIST_AFTER = 64;

/** A Windows drive's root at the start of a path: `C:\`. */
const WINDOWS_DRIVE_ROOT = /^[A-Za-z]:\\/;

/**
 * A name the listing of a folder can answer for: printable ASCII, with no `~` (a Windows short
 * name may name a file its listing gives by its long name), no `:` (an NTFS stream of a file),
 * and no dot or space at the end (which Windows drops).
 */
const LISTABLE_NAME = /^[\x20-\x39\x3b-\x7d]*[\x21-\x2d\x2f-\x39\x3b-\x7d]$/;
/** Names in a listing that keep it usable: ASCII (no case folding or Unicode normalisation a filesystem applies can make one equal to an ASCII name but for ASCII case). */
const NOT_ASCII = /[^\p{ASCII}]/u;

/**
 * The names a folder's listing holds, lower-cased, or null where it cannot answer: it failed, or
 * holds a name that is not ASCII. A name asked about is absent only when no listed name matches it
 * even but for case, so a filesystem that ignores case, or one that folds Unicode, cannot make
 * the listing wrong.
 */
function listedNames(driver: Driver, dir: AbsPath): ReadonlySet<string> | null {
  let list;
  try {
    list = driver.listDir(dir);
  } catch {
    return null;
  }
  const names = new Set<string>();
  for (const { name } of list) {
    if (NOT_ASCII.test(name)) return null;
    names.add(name.toLowerCase());
  }
  return names;
}

export function isInTheWay(e: Entry): boolean {
  return e.kind === 'file' || e.kind === 'dir' || e.kind === 'special';
}

export interface ObserveOptions {
  platform: Platform;
  /** The index of `desired` (`linkIndex(desired, platform)`; a loaded manifest carries it). */
  links: LinkIndex;
}

export function observe(desired: readonly Desired[], driver: Driver, opts: ObserveOptions): Observed {
  const { platform, links } = opts;
  if (links.platform !== platform || links.targets.length !== desired.length) {
    throw new Error(`observe: opts.links indexes ${links.targets.length} links on ${links.platform}, not these ${desired.length} on ${platform}`);
  }
  const reader = new DiskReader(driver, platform);
  desired.forEach((d, i) => reader.readEntry(d, d.target === null ? null : targetOf(links, i)));
  const { capabilities, volumes, pathCapabilities, entries, targets, targetKinds, backupSlots, emptyFolders, volumeGuids, relocations } = reader;
  return {
    platform,
    capabilities,
    ...(volumes.length > 0 ? { volumes } : {}),
    ...(pathCapabilities.size > 0 ? { pathCapabilities } : {}),
    entries,
    targets,
    targetKinds,
    backupSlots,
    ...(emptyFolders.size > 0 ? { emptyFolders } : {}),
    ...(volumeGuids.size > 0 ? { volumeGuids } : {}),
    ...(relocations.size > 0 ? { relocations } : {}),
  };
}

/** What observe has read so far, and how it reads more: each path once. */
class DiskReader {
  readonly entries = new Map<string, Entry>();
  readonly targets = new Map<string, TargetInfo>();
  readonly targetKinds = new Map<string, TargetKind>();
  readonly backupSlots = new Map<string, AbsPath>();
  readonly emptyFolders = new Set<string>();
  /** Folders in the way that move into a target on another volume, by key: what they hold. */
  readonly relocations = new Map<string, TreeFacts>();
  /** Drive root key (`c:\`) -> its volume GUID path, for `targetForm: volume-guid`. */
  readonly volumeGuids = new Map<string, string>();
  readonly pathCapabilities = new Map<string, Capabilities>();
  readonly volumes;
  /** Whether what can be made depends on the path: on NTFS volumes through ntfs-3g, and on Windows (a FAT or exFAT drive holds no junctions). */
  private readonly perPath: boolean;
  /** The root's: what holds wherever no NTFS volume is. */
  readonly capabilities: Capabilities;
  private readonly sep: string;
  /** Folders listed after many absent names in them (LIST_AFTER), by key; null: not usable. */
  private readonly listings = new Map<string, ReadonlySet<string> | null>();
  /** How many names were found absent in a folder, by key. */
  private readonly absentIn = new Map<string, number>();
  /** Keys of folders whose whole chain of ancestors was read (see `chain`). */
  private readonly chained = new Set<string>();
  private lastChained: AbsPath | undefined;
  /** `parentOf` for the links' paths in turn: a glob's come folder by folder (see parentMemo). */
  private readonly folderOf: (p: AbsPath) => AbsPath;

  constructor(
    private readonly driver: Driver,
    private readonly platform: Platform,
  ) {
    this.sep = platform === 'win32' ? '\\' : '/';
    this.folderOf = parentMemo(platform);
    this.volumes = driver.volumes?.() ?? [];
    this.perPath = this.volumes.length > 0 || platform === 'win32';
    this.capabilities = driver.capabilities(asAbs(this.sep, platform));
  }

  private key(p: string): string {
    return pathKey(p, this.platform);
  }

  /** Reads what the planner needs for entry `d`, whose target leads to `eff` through the manifest's links. */
  readEntry(d: Desired, eff: AbsPath | null): void {
    const caps = this.perPath ? this.driver.capabilities(d.path) : this.capabilities;
    if (this.perPath) this.pathCapabilities.set(this.key(d.path), caps);
    // the folders above first: nothing can be at a path whose folder is absent (on a first
    // apply, that is most of them), so it need not be read
    const dir = this.folderOf(d.path);
    const folder = this.ancestors(dir);
    if (folder.kind !== 'absent') this.chain(dir);
    const k = this.key(d.path);
    let e = this.entries.get(k);
    if (e === undefined) {
      // (a path in a folder found absent is absent, and not listed: the planner reads a path
      // missing from the entries as absent, and a first apply has thousands)
      e = folder.kind === 'absent' ? ABSENT : this.lookUp(d.path);
      if (folder.kind !== 'absent') this.entries.set(k, e);
    }
    if (eff !== null) {
      this.target(eff, needsIdentity(d, e, caps));
      if (d.targetForm === 'volume-guid' && d.target !== null) this.volumeGuid(d.target);
      if ((d.onConflict === 'adopt' || d.onConflict === 'persist' || (d.relocate === true && e.kind === 'dir')) && isInTheWay(e)) {
        const at = this.entry(eff);
        this.ancestors(parentOf(eff, this.platform));
        // (an empty folder in the way fills no empty target: it is moved aside, and recovery can
        // always tell a target the move filled from one still empty)
        if (d.onConflict === 'persist' && at.kind === 'dir' && e.kind === 'dir' && this.holds(eff) === 0 && (this.holds(d.path) ?? 0) > 0) {
          this.emptyFolders.add(this.key(eff));
        }
        if (e.kind === 'dir' && (at.kind === 'absent' || this.emptyFolders.has(this.key(eff)))) this.relocation(d.path, eff, e.dev);
      }
    }
    if (d.state === 'present' && (d.onConflict === 'backup' || d.onConflict === 'persist') && (isInTheWay(e) || leadsElsewhere(d, e, this.platform))) this.backupSlot(d.path);
  }

  /** Windows: the volume GUID path of the drive that holds `target`, once per drive (none where the driver cannot say). */
  private volumeGuid(target: AbsPath): void {
    const root = WINDOWS_DRIVE_ROOT.exec(target)?.[0];
    if (this.platform !== 'win32' || root === undefined || this.volumeGuids.has(this.key(root))) return;
    const guid = this.driver.volumeGuidPath?.(root as AbsPath);
    if (guid !== undefined) this.volumeGuids.set(this.key(root), guid);
  }

  /**
   * For the folder `p` (on device `dev`) that moves into the absent `target`: if the nearest
   * folder above the target is on another volume, what `p` holds (or why it cannot be copied) and
   * the room there, and a backup name for the original.
   */
  private relocation(p: AbsPath, target: AbsPath, dev: number): void {
    const there = this.folderAbove(target);
    if (there === undefined || there.dev === dev) return;
    const up = this.entries.get(this.key(parentOf(p, this.platform)));
    // (a folder on a device of its own is a mount point: it cannot be moved aside once copied)
    const refusal = up?.kind === 'dir' && up.dev !== dev ? `${p} is a mount point (another filesystem is mounted there), which cannot be moved aside` : this.driver.copyRefusal(p, target);
    if (refusal !== undefined) {
      this.relocations.set(this.key(p), { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0, problem: refusal });
      return;
    }
    const facts = this.driver.treeFacts(p);
    const free = this.driver.freeBytes(there.path);
    this.relocations.set(this.key(p), free === undefined ? facts : { ...facts, free });
    this.backupSlot(p);
  }

  /** The nearest folder above `p` that exists (read by `ancestors`), and its device. */
  private folderAbove(p: AbsPath): { path: AbsPath; dev: number } | undefined {
    for (let a = parentOf(p, this.platform); ; a = parentOf(a, this.platform)) {
      const e = this.entries.get(this.key(a));
      if (e?.kind === 'dir') return { path: a, dev: e.dev };
      if (e?.kind === 'symlink' || e?.kind === 'junction') {
        const t = this.targets.get(this.key(a));
        return t?.kind === 'dir' ? { path: a, dev: t.dev } : undefined;
      }
      if ((e !== undefined && e.kind !== 'absent') || parentOf(a, this.platform) === a) return undefined;
    }
  }

  /** How many entries folder `p` holds; undefined where it cannot be listed (then it counts as neither empty nor not). */
  private holds(p: AbsPath): number | undefined {
    try {
      return this.driver.listDir(p).length;
    } catch {
      return undefined;
    }
  }

  /** The first free backup name for `p`. */
  private backupSlot(p: AbsPath): void {
    for (let n = 1; ; n++) {
      const c = backupCandidate(p, n);
      if (this.driver.observe(c).kind === 'absent') {
        this.backupSlots.set(this.key(p), c);
        return;
      }
    }
  }

  /** What is at `p`, read once. */
  entry(p: AbsPath): Entry {
    const k = this.key(p);
    let e = this.entries.get(k);
    if (e === undefined) {
      e = this.lookUp(p);
      this.entries.set(k, e);
    }
    return e;
  }

  /**
   * Reads the target at `p` (following links), unless it was read already: which file and volume
   * it is too, or (`identity` false) only what kind of thing it is.
   */
  target(p: AbsPath, identity = true): void {
    const k = this.key(p);
    if (this.targets.has(k)) return;
    if (identity) {
      this.targets.set(k, this.driver.observeTarget(p));
      this.targetKinds.delete(k);
    } else if (!this.targetKinds.has(k)) {
      this.targetKinds.set(k, this.driver.targetKind(p));
    }
  }

  /** Observes `p`, unless its folder's listing shows nothing can be there. */
  private lookUp(p: AbsPath): Entry {
    const up = parentOf(p, this.platform);
    const k = this.key(up);
    const names = this.listings.get(k);
    if (names !== undefined && names !== null) {
      const name = p.slice(up.endsWith(this.sep) ? up.length : up.length + 1);
      if (LISTABLE_NAME.test(name) && !names.has(name.toLowerCase())) return ABSENT;
    }
    const e = this.driver.observe(p);
    if (e.kind === 'absent' && up !== p) {
      const n = (this.absentIn.get(k) ?? 0) + 1;
      this.absentIn.set(k, n);
      if (n === LIST_AFTER) this.listings.set(k, listedNames(this.driver, up));
    }
    return e;
  }

  /**
   * Observes folder `parent` and those above it up to the first one that exists (and follows it
   * if it is a link); returns what `parent` is.
   */
  ancestors(parent: AbsPath): Entry {
    // below a folder found absent (a new tree of folders) nothing can be, and nothing is read
    for (let a = parent; ; ) {
      const e = this.entries.get(this.key(a));
      if (e !== undefined) {
        if (e.kind !== 'absent') break;
        for (let b = parent; b !== a; b = parentOf(b, this.platform)) this.entries.set(this.key(b), ABSENT);
        return ABSENT;
      }
      const up = parentOf(a, this.platform);
      if (up === a) break;
      a = up;
    }
    let folder: Entry | undefined;
    for (let a = parent; ; ) {
      const known = this.entries.has(this.key(a));
      const e = this.entry(a);
      folder ??= e;
      if (e.kind === 'symlink' || e.kind === 'junction') this.target(a);
      if (known || e.kind !== 'absent') return folder;
      const up = parentOf(a, this.platform);
      if (up === a) return folder;
      a = up;
    }
  }

  /**
   * Reads `dir` and every folder above it (following those that are links), so the planner sees
   * every folder link a path is reached through: a home folded by Stow (`~/.config` a link into
   * the repository) must not make the repository's own files look like files in the way.
   */
  chain(dir: AbsPath): void {
    // (a run of links in one folder reads its chain once)
    if (dir === this.lastChained) return;
    this.lastChained = dir;
    for (let a = dir; ; ) {
      const k = this.key(a);
      if (this.chained.has(k)) return;
      this.chained.add(k);
      const e = this.entry(a);
      if (e.kind === 'symlink' || e.kind === 'junction') this.target(a);
      const up = parentOf(a, this.platform);
      if (up === a) return;
      a = up;
    }
  }
}

/**
 * Whether the plan may need to know which file or volume `d`'s target is, not only its kind: to
 * tell whether a file at the path is a hard link of it, or to make a hard link (asked for, or
 * what `auto` gives a file where this user may not make symbolic links). A symbolic link's plan
 * needs the kind alone; the planner refuses to read an identity observe did not read.
 */
function needsIdentity(d: Desired, e: Entry, caps: Capabilities): boolean {
  return e.kind === 'file' || d.type === 'hardlink' || (d.type === 'auto' && autoMayHardLink(caps));
}

/**
 * Whether `e` is a link that leads elsewhere than `d`'s target: one the planner may find someone
 * else made, and move aside for a backup entry (a string comparison: no read).
 */
function leadsElsewhere(d: Desired, e: Entry, platform: Platform): boolean {
  return (e.kind === 'symlink' || e.kind === 'junction') && d.target !== null && pathKey(resolveLinkText(d.path, e.linkText, platform), platform) !== pathKey(d.target, platform);
}
