/**
 * A decorator that kills its own process with SIGKILL at a chosen write call, before or after
 * the call runs: a real crash at an exact point of an apply, for the crash-recovery tests.
 * The test entry (src/testing/entry.ts) composes it around the driver an apply or a recover
 * writes through when its LINKPLAN_CRASH_AT is set (`before:N` or `after:N`).
 */
import { NthWriteDecorator } from './decorators.js';
import type { Driver } from './driver.js';

export interface CrashPoint {
  when: 'before' | 'after';
  /** The 1-based write call. */
  at: number;
}

export function parseCrashPoint(spec: string | undefined): CrashPoint | undefined {
  const m = /^(before|after):(\d+)$/.exec(spec ?? '');
  if (m === null) return undefined;
  return { when: m[1] === 'before' ? 'before' : 'after', at: Number(m[2]) };
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
}
