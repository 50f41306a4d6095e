/**
 * A decorator that holds its process still at a chosen write call, before the call runs, until a
 * gate file appears: a moment in the middle of an apply that a test can reach every time, to send
 * signals at (they are handled once the apply goes on). On reaching the write it makes
 * `GATE.paused`; it goes on when `GATE` exists (or after a minute). The test entry
 * (src/testing/entry.ts) composes it around the driver an apply writes through when its
 * LINKPLAN_PAUSE_AT is set (`N:GATE`, N the 1-based write call), as it does the crash hook.
 */
import fs from 'node:fs';
import { NthWriteDecorator } from './decorators.js';
import type { Driver } from './driver.js';

export interface PausePoint {
  /** The 1-based write call to stop before. */
  at: number;
  gate: string;
}

export function parsePausePoint(spec: string | undefined): PausePoint | undefined {
  const m = /^(\d+):(.+)$/.exec(spec ?? '');
  if (m === null) return undefined;
  return { at: Number(m[1]), gate: m[2] as string };
}

export class PausingDriver extends NthWriteDecorator {
  constructor(
    inner: Driver,
    private readonly point: PausePoint,
  ) {
    super(inner);
  }
  protected before(n: number): void {
    if (n !== this.point.at) return;
    fs.writeFileSync(`${this.point.gate}.paused`, String(process.pid));
    const tick = new Int32Array(new SharedArrayBuffer(4));
    for (let waited = 0; waited < 60_000 && !fs.existsSync(this.point.gate); waited += 5) Atomics.wait(tick, 0, 0, 5);
  }
}
