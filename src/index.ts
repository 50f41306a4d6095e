/**
 * linkplan's library API: load a manifest, observe the disk, compute and render a plan, apply
 * it through a driver; and the NTFS reparse-point codec, for other tools.
 */
import { loadManifest as loadManifestWith, type LoadOptions, type LoadedManifest } from './manifest/load.js';
import { volumeFacts } from './drivers/select.js';
export type { LoadOptions, LoadedManifest };
export type { VolumeFacts } from './core/volume-facts.js';

/** Loads a manifest; its `volumes:` and the links on ntfs-3g mounts are checked against this machine's mount table unless `opts.volumeFacts` is given. */
export function loadManifest(file: string, opts: LoadOptions): LoadedManifest {
  return loadManifestWith(file, { volumeFacts: volumeFacts(), ...opts });
}
export { observe, type ObserveOptions } from './plan/observe.js';
export { computePlan, type PlanOptions, type MadeLink } from './plan/planner.js';
export { summarize, hasChanges } from './core/summary.js';
/** The index of a list of links that observe and computePlan take (a loaded manifest carries one). */
export { linkIndex, withEntries, type LinkIndex } from './core/link-index.js';
export { renderPlan } from './views/render.js';
/** A plan as `plan --json` writes it: each action's fields in one stable order. */
export { planJson } from './views/plan-json.js';
export { annotateDiffs } from './views/diff.js';
/** The folders a plan writes in, recorded so apply writes only into those very folders. */
export { recordFolders } from './plan/folders.js';
export { applyPlan, preflight } from './apply/applier.js';
/** The write-ahead journal: on disk (what `linkplan apply` writes and `recover` reads), or in memory. */
export { FileJournal, type JournalMeta } from './state/journal/writer.js';
export { readJournal, type JournalRecord } from './state/journal/reader.js';
export { journalPath, JournalError, JOURNAL_VERSION } from './state/journal/format.js';
export { MemoryJournal, type Journal, type JournalOutcome } from './state/journal.js';
export { PosixDriver } from './drivers/posix.js';
export { DryRunDriver, FaultyDriver, ReadOnlyDriver, DriverDecorator } from './drivers/decorators.js';
export type { Driver, DirEntry, CopyOptions, CopyProgress, TreeRemoval } from './drivers/driver.js';
export * from './core/types.js';
export * from './core/errors.js';
export { toAbs, currentPlatform, type AbsPath, type Platform } from './core/paths.js';
export { createDriver, createDriverFor, driverFor, volumeFacts, type CreateDriverOptions } from './drivers/select.js';
export { VolumeRouter, type RoutedVolume, type VolumeRouterOptions } from './drivers/router.js';
/** The REPARSE_DATA_BUFFER codec: decode, encode, tag names and constants. */
export * as reparse from './drivers/ntfs/reparse.js';
export {
  decodeReparse,
  encodeReparse,
  encodeMountPoint,
  encodeSymlink,
  reparseTagName,
  formatReparseTag,
  ReparseDecodeError,
  ReparseEncodeError,
  type ReparsePoint,
} from './drivers/ntfs/reparse.js';
/** The native Windows driver (Win32 through koffi) and its parts, loaded on demand: its calls work on Windows only. */
export function windowsDriver(): Promise<typeof import('./drivers/windows/module.js')> {
  return import('./drivers/windows/module.js');
}
