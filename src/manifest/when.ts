/**
 * An entry's `when` condition: whether it holds on this machine (its operating system, host name
 * and environment variables). An entry whose condition does not hold is left out of the layout.
 */
import type { Platform } from '../core/paths.js';
import type { RawWhen } from './raw.js';
import { envValue } from './vars.js';

/** What a condition is evaluated against. */
export interface Machine {
  platform: Platform;
  hostname: string;
  env: Readonly<Record<string, string | undefined>>;
}

const OS_NAMES: ReadonlyMap<string, Platform> = new Map([
  ['linux', 'linux'],
  ['macos', 'darwin'],
  ['darwin', 'darwin'],
  ['windows', 'win32'],
]);

/** True when `when` holds on `machine` (and when there is no condition). */
export function whenHolds(when: RawWhen | undefined, machine: Machine): boolean {
  if (when === undefined) return true;
  if (when.os !== undefined) {
    const list = Array.isArray(when.os) ? when.os : [when.os];
    if (!list.some((o) => OS_NAMES.get(o) === machine.platform)) return false;
  }
  if (when.hostname !== undefined) {
    const list = Array.isArray(when.hostname) ? when.hostname : [when.hostname];
    const full = machine.hostname.toLowerCase();
    const short = full.split('.')[0] ?? full;
    if (!list.some((h) => h.toLowerCase() === full || h.toLowerCase() === short)) return false;
  }
  for (const [k, want] of Object.entries(when.env ?? {})) {
    const v = envValue(machine.env, k);
    const set = v !== undefined && v !== '';
    if (want === true ? !set : want === false ? set : v !== String(want)) return false;
  }
  return true;
}
