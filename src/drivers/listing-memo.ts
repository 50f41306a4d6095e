/**
 * A driver decorator that keeps the folder listings made through it and answers `targetKind`
 * from them: a name a listing shows as a file or a folder is one (following it changes nothing),
 * so no stat of its own is made. A manifest's globs list the folders their targets are in, and
 * planning a glob of 10,000 files would otherwise stat each target once more. What a listing cannot
 * tell (a link, which must be followed; anything else; a path in no listed folder) is asked of the
 * driver, and so is every other question: `observeTarget` still reads which file and volume a
 * target is. Several decorators may share one memo (the manifest is loaded through one driver and
 * observed through another); any write through one of them forgets every listing, so an answer is
 * never older than the last write made through it.
 */
import { currentPlatform, parentMemo, type AbsPath, type Platform } from '../core/paths.js';
import type { TargetKind } from '../core/types.js';
import { DriverDecorator } from './decorators.js';
import type { DirEntry, Driver, WriteCall } from './driver.js';

/** The listings kept, by folder path as it was listed: each name's kind there. */
export class ListingMemo {
  private readonly folders = new Map<string, Map<string, DirEntry['kind']>>();
  /** What separates a folder from a name in the paths asked about (a backslash is part of a name on POSIX). */
  private readonly sep: string;
  /** The folder of each path asked about: a glob's targets are asked about folder by folder (see parentMemo). */
  private readonly folderOf: (p: AbsPath) => AbsPath;
  /** The folder the last answer came from, and its names. */
  private lastDir: string | undefined;
  private lastNames: Map<string, DirEntry['kind']> | undefined;

  constructor(platform: Platform = currentPlatform()) {
    this.sep = platform === 'win32' ? '\\' : '/';
    this.folderOf = parentMemo(platform);
  }

  remember(dir: AbsPath, entries: readonly DirEntry[]): void {
    this.lastDir = undefined;
    const names = new Map<string, DirEntry['kind']>();
    // (an indexed loop: a glob lists thousands of names, mostly before the optimiser gets to it)
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i] as DirEntry;
      names.set(e.name, e.kind);
    }
    this.folders.set(dir, names);
  }

  /** What a listing says `p` is, where that is a file or a folder; undefined where it cannot say. */
  kindOf(p: AbsPath): 'file' | 'dir' | undefined {
    const cut = p.lastIndexOf(this.sep);
    if (cut <= 0) return undefined;
    const dir = this.folderOf(p);
    // (a folder other than what precedes the last separator, such as a drive's root: no listing answers)
    if (dir.length !== cut) return undefined;
    if (dir !== this.lastDir) {
      this.lastDir = dir;
      this.lastNames = this.folders.get(dir);
    }
    const kind = this.lastNames?.get(p.slice(cut + 1));
    return kind === 'file' || kind === 'dir' ? kind : undefined;
  }

  forget(): void {
    this.folders.clear();
    this.lastDir = undefined;
  }
}

export class ListingMemoDriver extends DriverDecorator {
  constructor(
    inner: Driver,
    private readonly memo: ListingMemo = new ListingMemo(),
  ) {
    super(inner);
  }

  override listDir(p: AbsPath): DirEntry[] {
    const list = this.inner.listDir(p);
    this.memo.remember(p, list);
    return list;
  }

  override targetKind(p: AbsPath): TargetKind {
    return this.memo.kindOf(p) ?? this.inner.targetKind(p);
  }

  protected override write(call: WriteCall, p: AbsPath, run: () => void): void {
    this.memo.forget();
    super.write(call, p, run);
  }
}
