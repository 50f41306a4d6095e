/**
 * Reads what the planner needs from the disk, through a driver and without following links:
 * each link path, its ancestors up to the first that exists, each target (followed, as the OS
 * would) and, for an adopt, the target's own entry; and for anything in the way of a `backup`
 * entry, the first free backup name; what can be made at each link's path (volumes differ: an
 * NTFS volume takes junctions) and the NTFS volumes the driver writes on. The planner itself
 * never reads the disk.
 */
import type { Driver } from '../drivers/driver.js';
import { asAbs, parentMemo, parentOf, pathKey, type AbsPath, type Platform } from '../paths.js';
import { ABSENT, linksOf } from './planner.js';
import type { Capabilities, Desired, Entry, KnownTarget, Observed } from './types.js';

/** `path.linkplan-backup`, then `-2`, `-3`...: a new backup never overwrites an earlier one. */
export function backupCandidate(p: AbsPath, n: number): AbsPath {
  return (n === 1 ? `${p}.linkplan-backup` : `${p}.linkplan-backup-${n}`) as AbsPath;
}

/** A target a glob listed: one object per kind, shared (thousands of entries have one). */
const LISTED_FILE: KnownTarget = { kind: 'file', listed: true };
const LISTED_DIR: KnownTarget = { kind: 'dir', listed: true };

export function isInTheWay(e: Entry): boolean {
  return e.kind === 'file' || e.kind === 'dir' || e.kind === 'special';
}

export function observe(desired: readonly Desired[], driver: Driver, platform: Platform): Observed {
  const entries = new Map<string, Entry>();
  const targets = new Map<string, KnownTarget>();
  const backupSlots = new Map<string, AbsPath>();
  const pathCapabilities = new Map<string, Capabilities>();
  const volumes = driver.volumes?.() ?? [];
  // the root's: what holds wherever no NTFS volume is
  const capabilities = driver.capabilities(asAbs(platform === 'win32' ? '\\' : '/', platform));

  const entry = (p: AbsPath): Entry => {
    const k = pathKey(p, platform);
    let e = entries.get(k);
    if (e === undefined) {
      e = driver.observe(p);
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
    const k = pathKey(d.path, platform);
    let e = entries.get(k);
    if (e === undefined) {
      // (a path in a folder found absent is absent, and not listed: the planner reads a path
      // missing from the entries as absent, and a first apply has thousands)
      if (folder.kind === 'absent') e = ABSENT;
      else entries.set(k, (e = driver.observe(d.path)));
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
    if (d.state === 'present' && d.onConflict === 'backup' && isInTheWay(e)) {
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

/** Whether the link `d` makes is one that never needs its target's file identity or volume: not a hard link. */
function needsNoFileIdentity(d: Desired, caps: Capabilities): boolean {
  return d.type === 'symlink' || d.type === 'junction' || (d.type === 'auto' && (caps.symlinks || (caps.junctions && d.targetKind === 'dir')));
}
