/**
 * Sizes and counts as messages and the plan's text show them: bytes in binary units with one
 * decimal (`12.3 MiB`), whole bytes below a KiB, and what a relocation copies in one phrase.
 */
import type { TreeCount } from './types.js';

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** `512 bytes`, `1.5 KiB`, `12.3 MiB`... */
export function bytesText(n: number): string {
  if (n < 1024) return `${n} byte${n === 1 ? '' : 's'}`;
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(1)} ${UNITS[u] ?? ''}`;
}

const plural = (n: number, one: string, many: string): string => `${n} ${n === 1 ? one : many}`;

/** `12.3 MiB in 2,004 files, 12 folders and 3 links`. */
export function treeText(t: TreeCount): string {
  const parts = [plural(t.files, 'file', 'files'), plural(t.folders, 'folder', 'folders'), plural(t.links, 'link', 'links')];
  return `${bytesText(t.bytes)} in ${parts[0] ?? ''}, ${parts[1] ?? ''} and ${parts[2] ?? ''}`;
}
