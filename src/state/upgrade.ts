/**
 * The one place where the format version of a state file is recognised: the journal of an
 * unfinished apply, the journal of the last finished one, and the records. This linkplan reads
 * its own formats only; a file in an earlier one (written by a development build: no release was
 * made of those) or a later one is refused here with what to do, and nothing is changed. A new
 * format that can be read back from an older one is turned into the current one here, before any
 * other code sees it.
 */
import { LinkplanError } from '../core/errors.js';

export class FormatVersionError extends LinkplanError {}

/** The state files whose formats are versioned. */
export type VersionedFile = 'journal' | 'last journal' | 'records';

const OLDER_HINT: Record<VersionedFile, string> = {
  journal:
    'run `linkplan recover MANIFEST` with the linkplan that wrote it (or add --forward to finish it), then use this one; without that linkplan, put right by hand the paths the journal lists (it is JSON lines) and move the file aside',
  'last journal':
    'it lists the last finished apply: run any command of the linkplan that wrote it once (it takes the journal into records.json), or move the state folder aside to start new records (linkplan then forgets the links and backups that apply made; the disk keeps them)',
  records:
    'list its backups with `linkplan backups list MANIFEST` of the linkplan that wrote it, then move the state folder aside to start new records (linkplan then forgets the links and backups listed there; the disk keeps them)',
};

/**
 * Accepts `found`, the version a state file gives, when it is `current`; otherwise throws a
 * FormatVersionError naming the file and what to do. `readable`: earlier versions that read as the
 * current one (what they hold is a part of what it may hold). `damaged` makes the error for a version that is
 * not a number at all.
 */
export function acceptFormat(file: string, f: { what: VersionedFile; found: unknown; current: number; readable?: readonly number[]; damaged: (why: string) => Error }): void {
  const { what, found, current } = f;
  if (found === current || (typeof found === 'number' && f.readable?.includes(found) === true)) return;
  if (typeof found !== 'number' || !Number.isInteger(found) || found < 1) throw f.damaged(`its format version ${JSON.stringify(found) ?? 'is missing'} is not a version`);
  if (found > current) {
    throw new FormatVersionError(`${file}: ${what} format ${found} is newer than this linkplan reads (${current})`, { hint: 'use the linkplan that wrote it, or a later one' });
  }
  const reads = [...(f.readable ?? []), current];
  const readsText = reads.length === 1 ? `format ${current}` : `formats ${reads.slice(0, -1).join(', ')} and ${current}`;
  throw new FormatVersionError(`${file}: ${what} format ${found} is from an earlier linkplan; this one reads ${readsText} only`, { hint: OLDER_HINT[what] });
}
