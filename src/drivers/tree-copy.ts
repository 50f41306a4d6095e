/**
 * What the two tree copies of a relocation share (posix-copy.ts, and windows/copy.ts): the size
 * they read and write in, how often they tell progress within a big file, and the words of the
 * failures their checks find.
 */
import { DriverError } from '../core/errors.js';
import type { CopyOptions } from './driver.js';

/** The bytes read or written at a time. */
export const CHUNK = 1 << 20;
/** Within a big file, how far the copy (or its check) is, told every so many bytes. */
export const PROGRESS_EVERY = 16 * CHUNK;
/** What to do about a copy that failed, where nothing more is known of the cause. */
export const COPY_HINT = 'fix the cause and run apply again; the original was not touched';

/** What a copy counts as it goes, and where it tells progress. */
export interface CopyCounts {
  opts: CopyOptions;
  /** Bytes copied or checked so far. */
  bytes: number;
  /** Files copied or checked so far. */
  done: number;
  /** Where `bytes` is told next from within a file. */
  mark: number;
}

/** Within a big file, every PROGRESS_EVERY bytes: how far the copy (or its check) is. */
export function partly(c: CopyCounts, phase: 'copy' | 'verify', p: string): void {
  if (c.bytes < c.mark) return;
  c.mark = c.bytes + PROGRESS_EVERY;
  c.opts.onProgress?.({ phase, bytes: c.bytes, files: c.done, path: p, partly: true });
}

/** A difference the check found between the original and the copy. */
export function mismatch(copy: string, what: string): DriverError {
  return new DriverError(copy, `the copy differs from the original (${what}); nothing was switched`, {
    code: 'EMISMATCH',
    hint: 'the copy cannot be trusted: check the target disk (its health, its cable), then run apply again; the original was not touched',
  });
}

/** An original file found changed since the copy read it. */
export function changedMeanwhile(p: string): DriverError {
  return new DriverError(p, 'changed while it was copied; nothing was switched', { code: 'ECHANGED', hint: 'close the programs that write in the folder, then run apply again' });
}
