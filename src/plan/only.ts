/**
 * The entries of a manifest at some paths: what `linkplan switch` plans and applies, so switching
 * one tool's version observes, plans and changes that one link, whatever else in the manifest
 * differs from the disk (and however many links the manifest lists).
 */
import { pathKey, type Platform } from '../core/paths.js';
import type { Desired } from '../core/types.js';

/** The positions in `desired` of the entries at `paths` (compared as `platform` compares paths). */
export function entriesAt(desired: readonly Desired[], paths: readonly string[], platform: Platform): number[] {
  const keys = new Set(paths.map((p) => pathKey(p, platform)));
  const out: number[] = [];
  desired.forEach((d, i) => {
    if (keys.has(pathKey(d.path, platform))) out.push(i);
  });
  return out;
}
