/**
 * Reads what the planner needs from the disk, through a driver and without following links:
 * each link path, its ancestors up to the first that exists (and, for a folder that exists, every
 * folder above it, so folder links on the way are known), each target (followed, as the OS
 * would) and, for an adopt, the target's own entry; and for anything in the way of a `backup`
 * entry, the first free backup name; what can be made at each link's path (volumes differ: an
 * NTFS volume takes junctions) and the NTFS volumes the driver writes on. The planner itself
 * never reads the disk.
 */
import type { Driver } from '../drivers/driver.js';
import { asAbs, parentMemo, parentOf, pathKey, resolveLinkText, type AbsPath, type Platform } from '../core/paths.js';
import { ABSENT, linksOf } from './planner.js';
import type { Capabilities, Desired, Entry, KnownTarget, Observed } from '../core/types.js';

/** `path.linkplan-backup`, then `-2`, `-3`...: a new backup never overwrites an earlier one. */
export function backupCandidate(p: AbsPath, n: number): AbsPath {
  return (n === 1 ? `${p}.linkplan-backup` : `${p}.linkplan-backup-${n}`) as AbsPath;
}

/** A target a glob listed: one object per kind, shared (thousands of entries have one). */
const LISTED_FILE: KnownTarget = { kind: 'file', listed: true };
const LISTED_DIR: KnownTarget = { kind: 'dir', listed: true };

/**
 * After this many names looked up in one folder were found absent, the folder is listed once and
 * a name the listing cannot match is absent without a lookup of its own: a first apply into an
 * existing folder (a home with hundreds of dotfile folders to make) asks about hundreds of names
 * there that are not there yet. High enough that a huge folder is never listed for a few names.
 */
export const LIST_AFTER = 64;

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
  for (let i = 0; i < list.length; i++) {
    const n = (list[i] as { name: string }).name;
    if (NOT_ASCII.test(n)) return null;
    names.add(n.toLowerCase());
  }
  return names;
}

export function isInTheWay(e: Entry): boolean {
  return e.kind === 'file' || e.kind === 'dir' || e.kind === 'special';
}

export function observe(desired: readonly Desired[], driver: Driver, platform: Platform): Observed {
  const entries = new Map<string, Entry>();
  const sep = platform === 'win32' ? '\\' : '/';
  const targets = new Map<string, KnownTarget>();
  const backupSlots = new Map<string, AbsPath>();
  const pathCapabilities = new Map<string, Capabilities>();
  const volumes = driver.volumes?.() ?? [];
  // the root's: what holds wherever no NTFS volume is
  const capabilities = driver.capabilities(asAbs(sep, platform));

  // folders listed after many absent names in them (LIST_AFTER), by key; null: not usable
  const absentIn = new Map<string, number>();
  const listings = new Map<string, ReadonlySet<string> | null>();
  /** Observes `p`, unless its folder's listing shows nothing can be there. */
  const lookUp = (p: AbsPath): Entry => {
    // its folder and the folder's key, worked out only where a listing may answer or a miss is counted
    let up: AbsPath | undefined;
    let k = '';
    if (listings.size > 0) {
      up = parentOf(p, platform);
      k = pathKey(up, platform);
      const names = listings.get(k);
      if (names !== undefined && names !== null) {
        const name = p.slice(up.endsWith(sep) ? up.length : up.length + 1);
        if (LISTABLE_NAME.test(name) && !names.has(name.toLowerCase())) return ABSENT;
      }
    }
    const e = driver.observe(p);
    if (e.kind === 'absent') {
      if (up === undefined) {
        up = parentOf(p, platform);
        k = pathKey(up, platform);
      }
      if (up !== p) {
        const n = (absentIn.get(k) ?? 0) + 1;
        absentIn.set(k, n);
        if (n === LIST_AFTER) listings.set(k, listedNames(driver, up));
      }
    }
    return e;
  };
  const entry = (p: AbsPath): Entry => {
    const k = pathKey(p, platform);
    let e = entries.get(k);
    if (e === undefined) {
      e = lookUp(p);
      entries.set(k, e);
    }
    return e;
  };
  /** Reads the target at `p` (following links), unless it was read already. */
  const target = (p: AbsPath): void => {
    const k = pathKey(p, platform);
    const t = targets.get(k);
    if (t === undefined || 'listed' in t) targets.set(k, driver.observeTarget(p));
  };
  /**
   * Observes folder `parent` and those above it up to the first one that exists (and follows it
   * if it is a link); returns what `parent` is.
   */
  const ancestors = (parent: AbsPath): Entry => {
    // below a folder found absent (a new tree of folders) nothing can be, and nothing is read
    for (let a = parent; ; ) {
      const e = entries.get(pathKey(a, platform));
      if (e !== undefined) {
        if (e.kind !== 'absent') break;
        for (let b = parent; b !== a; b = parentOf(b, platform)) entries.set(pathKey(b, platform), ABSENT);
        return ABSENT;
      }
      const up = parentOf(a, platform);
      if (up === a) break;
      a = up;
    }
    let folder: Entry | undefined;
    for (let a = parent; ; ) {
      const known = entries.has(pathKey(a, platform));
      const e = entry(a);
      folder ??= e;
      if (e.kind === 'symlink' || e.kind === 'junction') target(a);
      if (known || e.kind !== 'absent') return folder;
      const up = parentOf(a, platform);
      if (up === a) return folder;
      a = up;
    }
  };

  /** Keys of folders whose whole chain of ancestors was read (see `chain`). */
  const chained = new Set<string>();
  let lastChained: AbsPath | undefined;
  /**
   * Reads `dir` and every folder above it (following those that are links), so the planner sees
   * every folder link a path is reached through: a home folded by Stow (`~/.config` a link into
   * the repository) must not make the repository's own files look like files in the way.
   */
  const chain = (dir: AbsPath): void => {
    // (a run of links in one folder reads its chain once)
    if (dir === lastChained) return;
    lastChained = dir;
    for (let a = dir; ; ) {
      const k = pathKey(a, platform);
      if (chained.has(k)) return;
      chained.add(k);
      const e = entry(a);
      if (e.kind === 'symlink' || e.kind === 'junction') target(a);
      const up = parentOf(a, platform);
      if (up === a) return;
      a = up;
    }
  };

  const targetOf = linksOf(desired, platform).targetOf;
  const folderOf = parentMemo(platform);
  // (an indexed loop: run once over thousands of links, it runs unoptimised, where `for...of`
  // costs an iterator step per element)
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    const caps = volumes.length > 0 ? driver.capabilities(d.path) : capabilities;
    if (volumes.length > 0) pathCapabilities.set(pathKey(d.path, platform), caps);
    // the folders above first: nothing can be at a path whose folder is absent (on a first
    // apply, that is most of them), so it need not be read
    const folder = ancestors(folderOf(d.path));
    if (folder.kind !== 'absent') chain(folderOf(d.path));
    const k = pathKey(d.path, platform);
    let e = entries.get(k);
    if (e === undefined) {
      // (a path in a folder found absent is absent, and not listed: the planner reads a path
      // missing from the entries as absent, and a first apply has thousands)
      if (folder.kind === 'absent') e = ABSENT;
      else entries.set(k, (e = lookUp(d.path)));
    }
    if (d.target !== null) {
      const eff = targetOf(i);
      if (d.targetKind !== undefined && eff === d.target && d.state === 'present' && d.prune === undefined && needsNoFileIdentity(d, caps) && !(d.onConflict === 'adopt' && isInTheWay(e))) {
        // a glob listed it a moment ago, and a symbolic link or junction needs only its kind
        const tk = pathKey(eff, platform);
        if (!targets.has(tk)) targets.set(tk, d.targetKind === 'dir' ? LISTED_DIR : LISTED_FILE);
      } else {
        target(eff);
      }
      if (d.onConflict === 'adopt' && isInTheWay(e)) {
        entry(eff);
        ancestors(parentOf(eff, platform));
      }
    }
    if (d.state === 'present' && d.onConflict === 'backup' && (isInTheWay(e) || leadsElsewhere(d, e, platform))) {
      for (let n = 1; ; n++) {
        const c = backupCandidate(d.path, n);
        if (driver.observe(c).kind === 'absent') {
          backupSlots.set(pathKey(d.path, platform), c);
          break;
        }
      }
    }
  }
  return {
    platform,
    capabilities,
    ...(volumes.length > 0 ? { pathCapabilities, volumes } : {}),
    entries,
    targets,
    backupSlots,
  };
}

/**
 * Whether `e` is a link that leads elsewhere than `d`'s target: one the planner may find someone
 * else made, and move aside for a backup entry (a string comparison: no read).
 */
function leadsElsewhere(d: Desired, e: Entry, platform: Platform): boolean {
  return (e.kind === 'symlink' || e.kind === 'junction') && d.target !== null && pathKey(resolveLinkText(d.path, e.linkText, platform), platform) !== pathKey(d.target, platform);
}

/** Whether the link `d` makes is one that never needs its target's file identity or volume: not a hard link. */
function needsNoFileIdentity(d: Desired, caps: Capabilities): boolean {
  return d.type === 'symlink' || d.type === 'junction' || (d.type === 'auto' && (caps.symlinks || (caps.junctions && d.targetKind === 'dir')));
}
