/**
 * The driver for a machine with NTFS volumes mounted through ntfs-3g: it sends each call to the
 * driver of the volume that holds its path (the ntfs-3g driver of a listed volume, chosen by the
 * longest mount point that holds the path) and everything else to the fallback, the POSIX
 * driver. So one apply makes real junctions on `/mnt/d` and plain symbolic links in `~`, and the
 * planner asks `capabilities(path)` per path. A move between two volumes is refused here, as the
 * OS would refuse it (the planner never plans one).
 */
import { DriverError } from '../core/errors.js';
import { isSameOrInside, type AbsPath } from '../core/paths.js';
import type { Capabilities, Entry, FolderIdentity, LinkSpec, TargetInfo, TargetKind, TreeCount, TreeFacts, Volume } from '../core/types.js';
import { NO_RELOCATION, type CopyOptions, type DirEntry, type Driver, type RemoveTreeOptions, type TreeRemoval } from './driver.js';

/** One listed volume and the driver that writes on it. */
export interface RoutedVolume {
  volume: Volume;
  driver: Driver;
}

export interface VolumeRouterOptions {
  /** The driver for every path that lies on no listed volume. */
  fallback: Driver;
  volumes: readonly RoutedVolume[];
}

export class VolumeRouter implements Driver {
  readonly name: string;
  private readonly fallback: Driver;
  /** Longest mount point first, so the first that holds a path is the one to use. */
  private readonly routes: readonly RoutedVolume[];

  constructor(opts: VolumeRouterOptions) {
    this.fallback = opts.fallback;
    this.routes = [...opts.volumes].sort((a, b) => b.volume.mount.length - a.volume.mount.length);
    this.name = [opts.fallback.name, ...opts.volumes.map((v) => `${v.driver.name} at ${v.volume.mount}`)].join(' + ');
  }

  /** The driver for path `p`: its volume's, or the fallback. */
  driverAt(p: AbsPath): Driver {
    return this.volumeAt(p)?.driver ?? this.fallback;
  }

  /** The listed volume that holds `p`, if any. */
  volumeAt(p: AbsPath): RoutedVolume | undefined {
    return this.routes.find((r) => isSameOrInside(p, r.volume.mount));
  }

  volumes(): readonly Volume[] {
    return [...this.routes].reverse().map((r) => r.volume);
  }

  observe(p: AbsPath): Entry {
    return this.driverAt(p).observe(p);
  }

  observeTarget(p: AbsPath): TargetInfo {
    return this.driverAt(p).observeTarget(p);
  }

  targetKind(p: AbsPath): TargetKind {
    return this.driverAt(p).targetKind(p);
  }

  volumeGuidPath(root: AbsPath): string | undefined {
    return this.driverAt(root).volumeGuidPath?.(root);
  }

  capabilities(p: AbsPath): Capabilities {
    return this.driverAt(p).capabilities(p);
  }

  listDir(p: AbsPath): DirEntry[] {
    return this.driverAt(p).listDir(p);
  }

  readHead(p: AbsPath, max: number): { bytes: Uint8Array; size: number } {
    return this.driverAt(p).readHead(p, max);
  }

  folderId(p: AbsPath): string | undefined {
    return this.driverAt(p).folderId(p);
  }

  /** Each driver is handed the folders on its volume. */
  expectFolders(folders: readonly FolderIdentity[]): void {
    const drivers = [this.fallback, ...this.routes.map((r) => r.driver)];
    for (const d of drivers) d.expectFolders(folders.filter((f) => this.driverAt(f.path) === d));
  }

  releaseFolders(): void {
    for (const d of [this.fallback, ...this.routes.map((r) => r.driver)]) d.releaseFolders();
  }

  createLink(p: AbsPath, link: LinkSpec): void {
    this.driverAt(p).createLink(p, link);
  }

  replaceLink(p: AbsPath, link: LinkSpec): void {
    this.driverAt(p).replaceLink(p, link);
  }

  removeLink(p: AbsPath): void {
    this.driverAt(p).removeLink(p);
  }

  move(from: AbsPath, to: AbsPath): void {
    const d = this.driverAt(from);
    if (d !== this.driverAt(to)) {
      throw new DriverError(from, `cannot move to ${to}: the two are on different volumes`, { code: 'EXDEV' });
    }
    d.move(from, to);
  }

  mkdir(p: AbsPath, mode?: number): void {
    this.driverAt(p).mkdir(p, mode);
  }

  rmdir(p: AbsPath): void {
    this.driverAt(p).rmdir(p);
  }

  removeTree(p: AbsPath, opts?: RemoveTreeOptions): TreeRemoval {
    return this.driverAt(p).removeTree(p, opts);
  }

  /** A copy between a listed volume and another place is not made yet: each side's driver would write half of it. */
  copyRefusal(from: AbsPath, to: AbsPath): string | undefined {
    const d = this.driverAt(from);
    if (d !== this.driverAt(to)) return `${NO_RELOCATION} (from or to an NTFS volume listed under volumes:)`;
    return d.copyRefusal(from, to);
  }

  treeFacts(p: AbsPath): TreeFacts {
    return this.driverAt(p).treeFacts(p);
  }

  freeBytes(p: AbsPath): number | undefined {
    return this.driverAt(p).freeBytes(p);
  }

  copyTree(from: AbsPath, to: AbsPath, opts?: CopyOptions): TreeCount {
    const refusal = this.copyRefusal(from, to);
    if (refusal !== undefined) throw new DriverError(from, refusal, { code: 'ENOTSUP' });
    return this.driverAt(from).copyTree(from, to, opts);
  }
}
