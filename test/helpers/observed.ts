/**
 * `Observed` values written by hand, for tests of the pure planner: what observe would have read
 * from a disk, built from small pieces (`file()`, `dir()`, `symlink(text)`, a target's `fileTarget()`
 * or `dirTarget()`) and put together by `observedOf`, which keys every path as the planner does.
 * A path left out of `entries` or `targets` is absent, as it is for the planner.
 */
import { pathKey, type AbsPath, type Platform } from '../../src/core/paths.js';
import type { Capabilities, Entry, Observed, TargetInfo, TargetKind, Volume } from '../../src/core/types.js';

/** The file id a regular file gets unless told otherwise: shared with no target the tests name. */
export const OWN_FILE_ID = '1:1000';

/** A regular file (one name, an id of its own, on volume 1 unless told otherwise). */
export function file(o: { fileId?: string; nlink?: number; size?: number; dev?: number } = {}): Entry {
  return { kind: 'file', size: o.size ?? 5, nlink: o.nlink ?? 1, fileId: o.fileId ?? OWN_FILE_ID, dev: o.dev ?? 1 };
}

/** A second name of the file `fileId` (a hard link: two names). */
export function hardLinkOf(fileId: string, dev = 1): Entry {
  return file({ fileId, nlink: 2, dev });
}

export function dir(dev = 1): Entry {
  return { kind: 'dir', dev };
}

export function symlink(linkText: string): Entry {
  return { kind: 'symlink', linkText };
}

export function junction(linkText: string): Entry {
  return { kind: 'junction', linkText };
}

export function fifo(): Entry {
  return { kind: 'special', what: 'fifo' };
}

export const absent: Entry = { kind: 'absent' };

/** A target that is a file (followed), with its identity. */
export function fileTarget(fileId: string, dev = 1): TargetInfo {
  return { kind: 'file', fileId, dev };
}

export function dirTarget(dev = 1): TargetInfo {
  return { kind: 'dir', dev };
}

/** A target that is neither a file nor a folder (a fifo, followed). */
export function otherTarget(dev = 1): TargetInfo {
  return { kind: 'other', dev };
}

export interface ObservedParts {
  targets?: Record<string, TargetInfo>;
  /** Targets whose kind alone observe read. */
  targetKinds?: Record<string, TargetKind>;
  /** Path with something in the way -> the first free backup name observe found. */
  backupSlots?: Record<string, string>;
  platform?: Platform;
  /** Linux's by default: symbolic links and hard links, no junctions. */
  capabilities?: Capabilities;
  pathCapabilities?: Record<string, Capabilities>;
  volumes?: Volume[];
  /** Windows: drive root -> its volume GUID path, as the driver answered. */
  volumeGuids?: Record<string, string>;
}

const keyed = <V>(o: Record<string, V>, platform: Platform): Map<string, V> => new Map(Object.entries(o).map(([p, v]) => [pathKey(p, platform), v]));

/** An observation of `entries` (link paths and folders, path -> entry) and the `parts` around them. */
export function observedOf(entries: Record<string, Entry>, parts: ObservedParts = {}): Observed {
  const platform = parts.platform ?? 'linux';
  return {
    platform,
    capabilities: parts.capabilities ?? { symlinks: true, junctions: false, hardlinks: true },
    ...(parts.pathCapabilities === undefined ? {} : { pathCapabilities: keyed(parts.pathCapabilities, platform) }),
    ...(parts.volumes === undefined ? {} : { volumes: parts.volumes }),
    ...(parts.volumeGuids === undefined ? {} : { volumeGuids: keyed(parts.volumeGuids, platform) }),
    entries: keyed(entries, platform),
    targets: keyed(parts.targets ?? {}, platform),
    ...(parts.targetKinds === undefined ? {} : { targetKinds: keyed(parts.targetKinds, platform) }),
    backupSlots: keyed(
      Object.fromEntries(Object.entries(parts.backupSlots ?? {}).map(([p, b]) => [p, b as AbsPath])),
      platform,
    ),
  };
}
