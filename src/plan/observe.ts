/**
 * Reads what the planner needs from the disk, through a driver and without following links:
 * each link path, its ancestors up to the first that exists, each target (followed, as the OS
 * would) and, for an adopt, the target's own entry; and for anything in the way of a `backup`
 * entry, the first free backup name; what can be made at each link's path (volumes differ: an
 * NTFS volume takes junctions) and the NTFS volumes the driver writes on. The planner itself
 * never reads the disk.
 */
import type { Driver } from '../drivers/driver.js';
import { asAbs, parentOf, pathKey, type AbsPath, type Platform } from '../paths.js';
import { effectiveTarget, indexDesired } from './planner.js';
import type { Capabilities, Desired, Entry, Observed, TargetInfo } from './types.js';

/** `path.linkplan-backup`, then `-2`, `-3`...: a new backup never overwrites an earlier one. */
export function backupCandidate(p: AbsPath, n: number): AbsPath {
  return (n === 1 ? `${p}.linkplan-backup` : `${p}.linkplan-backup-${n}`) as AbsPath;
}

export function isInTheWay(e: Entry): boolean {
  return e.kind === 'file' || e.kind === 'dir' || e.kind === 'special';
}

export function observe(desired: readonly Desired[], driver: Driver, platform: Platform): Observed {
  const entries = new Map<string, Entry>();
  const targets = new Map<string, TargetInfo>();
  const backupSlots = new Map<string, AbsPath>();
  const pathCapabilities = new Map<string, Capabilities>();

  const entry = (p: AbsPath): Entry => {
    const k = pathKey(p, platform);
    let e = entries.get(k);
    if (e === undefined) {
      e = driver.observe(p);
      entries.set(k, e);
    }
    return e;
  };
  const target = (p: AbsPath): TargetInfo => {
    const k = pathKey(p, platform);
    let t = targets.get(k);
    if (t === undefined) {
      t = driver.observeTarget(p);
      targets.set(k, t);
    }
    return t;
  };
  /** Observes the ancestors of `p` up to the first one that exists (and follows it if it is a link). */
  const ancestors = (p: AbsPath): void => {
    for (let a = parentOf(p, platform); ; a = parentOf(a, platform)) {
      const known = entries.has(pathKey(a, platform));
      const e = entry(a);
      if (e.kind === 'symlink' || e.kind === 'junction') target(a);
      if (known || e.kind !== 'absent' || parentOf(a, platform) === a) return;
    }
  };

  const index = indexDesired(desired, platform);
  for (const d of desired) {
    pathCapabilities.set(pathKey(d.path, platform), driver.capabilities(d.path));
    const e = entry(d.path);
    ancestors(d.path);
    if (d.target !== null) {
      const eff = effectiveTarget(d.target, index, platform);
      target(eff);
      if (d.onConflict === 'adopt' && isInTheWay(e)) {
        entry(eff);
        ancestors(eff);
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
  const volumes = driver.volumes?.() ?? [];
  return {
    platform,
    // the root's: what holds wherever no NTFS volume is
    capabilities: driver.capabilities(asAbs(platform === 'win32' ? '\\' : '/', platform)),
    pathCapabilities,
    ...(volumes.length > 0 ? { volumes } : {}),
    entries,
    targets,
    backupSlots,
  };
}
