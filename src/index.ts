/**
 * linkplan's library API: load a manifest, observe the disk, compute and render a plan, apply
 * it through a driver; and the NTFS reparse-point codec, for other tools.
 */
export { loadManifest, type LoadOptions, type LoadedManifest } from './plan/manifest.js';
export { observe } from './plan/observe.js';
export { computePlan, summarize, hasChanges } from './plan/planner.js';
export { renderPlan } from './plan/render.js';
export { annotateDiffs } from './plan/content-diff.js';
/** The folders a plan writes in, recorded so apply writes only into those very folders. */
export { recordFolders } from './plan/folders.js';
export { applyPlan, preflight } from './apply/applier.js';
/** The write-ahead journal: on disk (what `linkplan apply` writes and `recover` reads), or in memory. */
export { FileJournal, journalPath, readJournal, JournalError, type JournalMeta, type JournalRecord } from './apply/wal.js';
export { MemoryJournal, type Journal, type JournalOutcome } from './apply/journal.js';
/** An action in the short form the journal header keeps (what `linkplan apply` writes there). */
export type { AppliedAction } from './apply/records.js';
export { PosixDriver } from './drivers/posix.js';
export { DryRunDriver, FaultyDriver, ReadOnlyDriver, DriverDecorator } from './drivers/decorators.js';
export type { Driver, DirEntry } from './drivers/driver.js';
export * from './plan/types.js';
export * from './errors.js';
export { toAbs, currentPlatform, type AbsPath, type Platform } from './paths.js';
export { createDriver, createDriverFor, driverFor, type CreateDriverOptions } from './drivers/select.js';
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
