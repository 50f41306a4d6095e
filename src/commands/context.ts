/**
 * What every command runs with: where it writes and whether it may ask (`Io`), and what is
 * composed from outside (`CommandDeps`): how the drivers are made, a hook that wraps the driver an
 * apply or a recover writes through, and the environment the command reads its switches from. The
 * shipped command passes the real drivers and a hook that changes nothing (`shippedDeps`); the
 * test entry (src/testing/entry.ts) passes one that adds its crash and pause points. A command
 * takes both as arguments, so a test can run it in-process.
 */
import type { Volume } from '../core/types.js';
import type { VolumeFacts } from '../core/volume-facts.js';
import type { Driver } from '../drivers/driver.js';
import { createDriver, driverFor, volumeFacts } from '../drivers/select.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  color: boolean;
  errColor: boolean;
  interactive: boolean;
}

/** The commands that write through a driver `wrapDriver` is given. */
export type WritingCommand = 'apply' | 'recover' | 'backups';

export interface CommandDeps {
  /** The driver for this machine with no NTFS volume (manifests are read through it). */
  createDriver: () => Driver;
  /** The driver for the volumes a manifest, a saved plan or a journal names. */
  driverFor: (source: { volumes?: readonly Volume[] }) => Promise<Driver>;
  /** What this machine's mount table says of ntfs-3g volumes (asked by the manifest loader). */
  volumeFacts: () => VolumeFacts;
  /** Wraps the real driver an apply or a recover writes through (the shipped command: as it is). */
  wrapDriver: (driver: Driver, use: { command: WritingCommand }) => Driver;
  /** The environment the command reads its switches from (NO_COLOR, TERM, LINKPLAN_DEBUG). */
  env: Readonly<Record<string, string | undefined>>;
}

/** What the shipped command runs with: the real drivers, unwrapped, and the process's environment. */
export function shippedDeps(): CommandDeps {
  return { createDriver, driverFor: (source) => driverFor(source), volumeFacts: volumeFacts(), wrapDriver: (driver) => driver, env: process.env };
}
