/**
 * Drivers that wrap a real one. `ReadOnlyDriver` refuses every write (plan runs behind it, so
 * planning can never change the disk); `DryRunDriver` records the writes it is asked for instead
 * of doing them; `FaultyDriver` fails a chosen write call with a chosen OS error, which is how
 * rollback is proven on a real filesystem; `CorruptingCopyDriver` changes a file of a tree copy
 * right after it is written, which its check must find.
 */
import fs from 'node:fs';
import { DriverError } from '../core/errors.js';
import type { AbsPath } from '../core/paths.js';
import type { Capabilities, Entry, FolderIdentity, LinkSpec, TargetInfo, TargetKind, TreeCount, TreeFacts, Volume } from '../core/types.js';
import type { CopyOptions, DirEntry, Driver, RemoveTreeOptions, TreeRemoval, WriteCall } from './driver.js';

/** Passes every call to the wrapped driver; subclasses override what they change. */
export class DriverDecorator implements Driver {
  readonly name: string;
  constructor(protected readonly inner: Driver) {
    this.name = inner.name;
  }
  observe(p: AbsPath): Entry {
    return this.inner.observe(p);
  }
  observeTarget(p: AbsPath): TargetInfo {
    return this.inner.observeTarget(p);
  }
  targetKind(p: AbsPath): TargetKind {
    return this.inner.targetKind(p);
  }
  volumeGuidPath(root: AbsPath): string | undefined {
    return this.inner.volumeGuidPath?.(root);
  }
  capabilities(p: AbsPath): Capabilities {
    return this.inner.capabilities(p);
  }
  volumes(): readonly Volume[] {
    return this.inner.volumes?.() ?? [];
  }
  listDir(p: AbsPath): DirEntry[] {
    return this.inner.listDir(p);
  }
  readHead(p: AbsPath, max: number): { bytes: Uint8Array; size: number } {
    return this.inner.readHead(p, max);
  }
  folderId(p: AbsPath): string | undefined {
    return this.inner.folderId(p);
  }
  /** (a check, not a write: a dry run checks its folders too) */
  expectFolders(folders: readonly FolderIdentity[]): void {
    this.inner.expectFolders(folders);
  }
  releaseFolders(): void {
    this.inner.releaseFolders();
  }
  copyRefusal(from: AbsPath, to: AbsPath): string | undefined {
    return this.inner.copyRefusal(from, to);
  }
  treeFacts(p: AbsPath): TreeFacts {
    return this.inner.treeFacts(p);
  }
  freeBytes(p: AbsPath): number | undefined {
    return this.inner.freeBytes(p);
  }
  /** Every write goes through here, so a subclass can intercept all eight in one place. */
  protected write(call: WriteCall, p: AbsPath, run: () => void): void {
    void call;
    void p;
    run();
  }
  createLink(p: AbsPath, link: LinkSpec): void {
    this.write('createLink', p, () => this.inner.createLink(p, link));
  }
  replaceLink(p: AbsPath, link: LinkSpec): void {
    this.write('replaceLink', p, () => this.inner.replaceLink(p, link));
  }
  removeLink(p: AbsPath): void {
    this.write('removeLink', p, () => this.inner.removeLink(p));
  }
  move(from: AbsPath, to: AbsPath): void {
    this.write('move', from, () => this.inner.move(from, to));
  }
  mkdir(p: AbsPath, mode?: number): void {
    this.write('mkdir', p, () => this.inner.mkdir(p, mode));
  }
  rmdir(p: AbsPath): void {
    this.write('rmdir', p, () => this.inner.rmdir(p));
  }
  /** (a write the decorator stops, as any other, removes nothing) */
  removeTree(p: AbsPath, opts?: RemoveTreeOptions): TreeRemoval {
    let out: TreeRemoval = { files: 0, folders: 0, links: 0, left: [] };
    this.write('removeTree', p, () => {
      out = this.inner.removeTree(p, opts);
    });
    return out;
  }
  /** (a write the decorator stops copies nothing) */
  copyTree(from: AbsPath, to: AbsPath, opts?: CopyOptions): TreeCount {
    let out: TreeCount = { bytes: 0, files: 0, folders: 0, links: 0, hardLinked: 0 };
    this.write('copyTree', from, () => {
      out = this.inner.copyTree(from, to, opts);
    });
    return out;
  }
}

export class ReadOnlyDriver extends DriverDecorator {
  protected override write(call: WriteCall, p: AbsPath): void {
    throw new DriverError(p, `${call} refused: this driver is read-only`);
  }
}

export class DryRunDriver extends DriverDecorator {
  readonly calls: { call: WriteCall; path: AbsPath }[] = [];
  protected override write(call: WriteCall, p: AbsPath): void {
    this.calls.push({ call, path: p });
  }
}

export interface FaultOptions {
  /** Fail the Nth write call (1-based). */
  failAt: number;
  /** The OS error code to report. */
  code?: string;
}

/**
 * A decorator that counts its write calls and acts at one of them (1-based): `before` runs ahead
 * of each call, `after` once it ran. The fault-injecting, crashing and pausing drivers are this.
 */
export abstract class NthWriteDecorator extends DriverDecorator {
  private count = 0;
  /** How many write calls were made (the current one included). */
  get writes(): number {
    return this.count;
  }
  protected abstract before(n: number, call: WriteCall, p: AbsPath): void;
  protected after(n: number): void {
    void n;
  }
  protected override write(call: WriteCall, p: AbsPath, run: () => void): void {
    const n = ++this.count;
    this.before(n, call, p);
    run();
    this.after(n);
  }
}

export class FaultyDriver extends NthWriteDecorator {
  readonly code: string;
  constructor(
    inner: Driver,
    private readonly opts: FaultOptions,
  ) {
    super(inner);
    this.code = opts.code ?? 'EIO';
  }
  protected before(n: number, call: WriteCall, p: AbsPath): void {
    if (n === this.opts.failAt) throw new DriverError(p, `${call} failed (${this.code}: injected fault)`, { code: this.code });
  }
}

/**
 * Changes the first byte of the Nth file (1-based) a tree copy writes, once it is written (its size
 * stays: only its content tells): bit rot, or a disk that lies. An empty file gets a byte instead.
 */
export class CorruptingCopyDriver extends DriverDecorator {
  /** The file changed, once it is. */
  corrupted: string | undefined;
  constructor(
    inner: Driver,
    private readonly nth: number,
  ) {
    super(inner);
  }
  override copyTree(from: AbsPath, to: AbsPath, opts: CopyOptions = {}): TreeCount {
    return super.copyTree(from, to, {
      ...opts,
      onProgress: (p) => {
        if (p.phase === 'copy' && p.files === this.nth && p.partly !== true) {
          const fd = fs.openSync(p.path, 'r+');
          try {
            const b = Buffer.alloc(1);
            if (fs.readSync(fd, b, 0, 1, 0) === 0) fs.writeSync(fd, 'x');
            else fs.writeSync(fd, Buffer.of(b[0] === undefined ? 0 : 255 - b[0]), 0, 1, 0);
          } finally {
            fs.closeSync(fd);
          }
          this.corrupted = p.path;
        }
        opts.onProgress?.(p);
      },
    });
  }
}
