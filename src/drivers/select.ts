/**
 * Picks the real driver for this machine. Windows uses Win32 (drivers/windows/, loaded with a
 * dynamic import on Windows only). Linux and macOS use node:fs; NTFS volumes mounted with
 * ntfs-3g (the manifest's `volumes:`, or a saved plan's) get the ntfs-3g driver, behind a router
 * that sends every other path to node:fs. The ntfs-3g driver is loaded with a dynamic import only
 * when there are volumes, and koffi (behind its xattr calls) only on its first call, so every
 * other run starts as fast as before.
 */
import { UsageError } from '../core/errors.js';
import { currentPlatform, type Platform } from '../core/paths.js';
import type { Volume } from '../core/types.js';
import type { VolumeFacts } from '../core/volume-facts.js';
import type { Driver } from './driver.js';
import type { XattrCalls } from './ntfs3g/libc.js';
import { ntfs3gMountProblem, readMountInfo, type Ntfs3gMountOptions } from './ntfs3g/mounts.js';
import { ntfs3gVolumeFacts } from './ntfs3g/volume-facts.js';
import { normalizeWindowsRoot } from '../core/windows-root.js';
import { PosixDriver } from './posix.js';
import { VolumeRouter } from './router.js';

/** The Windows driver's module, once loaded (loadPlatformDriver). */
let windowsDriver: typeof import('./windows/driver.js') | undefined;

/**
 * Loads the driver this platform needs beyond node:fs, once: the Windows driver on Windows
 * (elsewhere nothing is loaded). createDriver() needs it done first there; the command does it
 * at its start, and createDriverFor() does it itself.
 */
export async function loadPlatformDriver(platform: Platform = currentPlatform()): Promise<void> {
  if (platform === 'win32') windowsDriver ??= await import('./windows/driver.js');
}

/** The driver for this machine, with no NTFS volumes: Win32 on Windows (see loadPlatformDriver), node:fs elsewhere. */
export function createDriver(): Driver {
  const platform = currentPlatform();
  if (platform === 'win32') {
    if (windowsDriver === undefined) {
      throw new UsageError('the Windows driver is not loaded yet', { hint: 'call (and await) loadPlatformDriver() before createDriver(), or use createDriverFor()' });
    }
    return new windowsDriver.WindowsDriver();
  }
  return new PosixDriver();
}

export interface CreateDriverOptions {
  /** NTFS volumes mounted with ntfs-3g, and how Windows names each (`D:` or `\\?\Volume{GUID}\`). */
  volumes?: readonly { mount: string; windows: string }[];
  /** Where to find ntfs-3g mounts; default: this machine's mount table. */
  mounts?: Ntfs3gMountOptions;
  /** The xattr calls of the ntfs-3g drivers; default: libc's. */
  xattr?: XattrCalls;
  platform?: Platform;
}

/**
 * The driver for this machine and these NTFS volumes: node:fs when there are none (or on
 * Windows, which names its own volumes), else a VolumeRouter with one ntfs-3g driver per volume.
 * Each volume must be mounted with ntfs-3g now (a UsageError says which is not). Async because
 * the ntfs-3g driver is loaded on demand.
 */
export async function createDriverFor(opts: CreateDriverOptions = {}): Promise<Driver> {
  const volumes = opts.volumes ?? [];
  const platform = opts.platform ?? currentPlatform();
  if (platform === 'win32') await loadPlatformDriver(platform);
  if (volumes.length === 0 || platform === 'win32') return createDriver();
  // mount detection and path naming are cheap (koffi loads only if a plain FUSE mount is probed);
  // the driver itself is loaded here, on demand
  const { Ntfs3gDriver } = await import('./ntfs3g/driver.js');
  const mounts = { ...opts.mounts, mounts: opts.mounts?.mounts ?? readMountInfo() };
  const resolved: Volume[] = [];
  for (const v of volumes) {
    const problem = ntfs3gMountProblem(v.mount, mounts);
    if (problem !== undefined) {
      throw new UsageError(`${v.mount}: ${problem}`, {
        hint: 'mount the volume with ntfs-3g first (or remove it from volumes: in the manifest); nothing was changed',
      });
    }
    const windows = normalizeWindowsRoot(v.windows);
    if (windows === undefined) throw new UsageError(`${v.windows}: not a Windows volume name`, { hint: 'use a drive like D: or a volume GUID path like \\\\?\\Volume{GUID}\\' });
    resolved.push({ mount: v.mount as Volume['mount'], windows });
  }
  return new VolumeRouter({
    fallback: createDriver(),
    volumes: resolved.map((v) => ({
      volume: v,
      driver: new Ntfs3gDriver({
        mountPoint: v.mount,
        windowsRoot: v.windows,
        peers: resolved.filter((o) => o !== v).map((o) => ({ mountPoint: o.mount, windowsRoot: o.windows })),
        ...(opts.xattr === undefined ? {} : { xattr: opts.xattr }),
      }),
    })),
  });
}

/**
 * What the manifest loader asks about this machine's ntfs-3g mounts (LoadOptions.volumeFacts):
 * made when asked, from the mount table read then (or the one given), so a load that never asks
 * (off Linux) reads none.
 */
export function volumeFacts(opts: Pick<CreateDriverOptions, 'mounts'> = {}): () => VolumeFacts {
  return () => ntfs3gVolumeFacts(opts.mounts);
}

/**
 * The driver a loaded manifest or a saved plan needs: the same volumes, the same drivers. The
 * CLI calls this after `loadManifest` (with the LoadedManifest) and for `apply PLAN.json` (with
 * the Plan), so a saved plan is applied through the drivers it was made with.
 */
export function driverFor(source: { volumes?: readonly Volume[] }, opts: Omit<CreateDriverOptions, 'volumes'> = {}): Promise<Driver> {
  return createDriverFor({ ...opts, ...(source.volumes === undefined ? {} : { volumes: source.volumes }) });
}
