/**
 * A decorator that kills its own process with SIGKILL at a chosen write call, before or after
 * the call runs: a real crash at an exact point of an apply, for the crash-recovery tests.
 * The test entry (src/testing/entry.ts) composes it around the driver an apply or a recover
 * writes through when its LINKPLAN_CRASH_AT is set (`before:N` or `after:N`). Inside a tree copy
 * (a relocation) it kills at `copy:N` once the Nth file is copied (`copy:0`: once the copy's top
 * folder is made, before the journal records it) or at `verify:N` once the Nth file is checked.
 */
import type { AbsPath } from '../core/paths.js';
import type { TreeCount } from '../core/types.js';
import { NthWriteDecorator } from './decorators.js';
import type { CopyOptions, Driver } from './driver.js';

export interface CrashPoint {
  when: 'before' | 'after' | 'copy' | 'verify';
  /** The 1-based write call; for `copy` and `verify`, the file of the copy (0: its top folder). */
  at: number;
}

export function parseCrashPoint(spec: string | undefined): CrashPoint | undefined {
  const m = /^(before|after|copy|verify):(\d+)$/.exec(spec ?? '');
  if (m === null) return undefined;
  return { when: m[1] as CrashPoint['when'], at: Number(m[2]) };
}

export class CrashingDriver extends NthWriteDecorator {
  constructor(
    inner: Driver,
    private readonly point: CrashPoint,
  ) {
    super(inner);
  }
  protected before(n: number): void {
    if (n === this.point.at && this.point.when === 'before') process.kill(process.pid, 'SIGKILL');
  }
  protected override after(n: number): void {
    if (n === this.point.at && this.point.when === 'after') process.kill(process.pid, 'SIGKILL');
  }
  override copyTree(from: AbsPath, to: AbsPath, opts: CopyOptions = {}): TreeCount {
    const { when, at } = this.point;
    if (when !== 'copy' && when !== 'verify') return super.copyTree(from, to, opts);
    const kill = (): void => void process.kill(process.pid, 'SIGKILL');
    return super.copyTree(from, to, {
      onRoot: () => {
        if (when === 'copy' && at === 0) kill();
        opts.onRoot?.();
      },
      onProgress: (p) => {
        opts.onProgress?.(p);
        if (p.phase === when && p.files === at && p.partly !== true) kill();
      },
    });
  }
}
