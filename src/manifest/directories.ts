/**
 * Turns the manifest's `directories:` into folder entries: real folders the setup needs (`~/.ssh`,
 * `~/.local/bin`: dotbot's `create:`), each path expanded and resolved as a link's is, with its
 * `when`, and its `mode` read as octal permission bits: `"0700"`, or the number YAML makes of
 * `0700` unquoted (700, whose digits are read as octal, as chmod reads them).
 */
import type { Desired } from '../core/types.js';
import { excerpt } from '../core/printable.js';
import { entryMaker, resolvePath, sourceAt, type EntryContext } from './entries.js';
import type { RawManifest } from './raw.js';
import { whenHolds } from './when.js';

/** The permission bits `mode` says, or undefined when it says none. */
export function parseMode(mode: string | number): number | undefined {
  const digits = String(mode);
  return /^0?[0-7]{3}$/.test(digits) ? parseInt(digits, 8) : undefined;
}

/** The folder entries of `raw.directories` that apply here, and how many were left out by their `when`; problems reported. */
export function expandDirectories(raw: RawManifest, ec: EntryContext & { placed: boolean }): { desired: Desired[]; skipped: number } {
  const desired: Desired[] = [];
  let skipped = 0;
  (raw.directories ?? []).forEach((item, i) => {
    const dir = typeof item === 'string' ? { path: item } : item;
    const where = ['directories', i];
    if (!whenHolds('when' in dir ? dir.when : undefined, ec.machine)) {
      skipped++;
      return;
    }
    const p = resolvePath(dir.path, typeof item === 'string' ? where : [...where, 'path'], ec);
    const mode = 'mode' in dir && dir.mode !== undefined ? parseMode(dir.mode) : undefined;
    if ('mode' in dir && dir.mode !== undefined && mode === undefined) {
      ec.problems.at([...where, 'mode'], `${excerpt(String(dir.mode))} is not a mode: write three octal digits, quoted, like "0700" or "0755"`);
      return;
    }
    if (p === undefined) return;
    const createParents = 'createParents' in dir ? dir.createParents : undefined;
    const made = entryMaker(createParents === undefined ? {} : { createParents })(p, null, sourceAt(where, ec, ec.placed));
    desired.push({ ...made, folder: mode === undefined ? {} : { mode } });
  });
  return { desired, skipped };
}
