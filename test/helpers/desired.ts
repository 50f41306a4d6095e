/**
 * Desired entries written by hand, for tests of the pure planner: the defaults a manifest entry
 * gets, with `extra` on top.
 */
import type { AbsPath } from '../../src/core/paths.js';
import type { Desired } from '../../src/core/types.js';

/** A path the tests already wrote absolute and normalised. */
export const P = (p: string): AbsPath => p as AbsPath;

export function desired(p: string, target: string | null, extra: Partial<Desired> = {}): Desired {
  return {
    path: P(p),
    state: 'present',
    target: target === null ? null : P(target),
    type: 'auto',
    relative: false,
    onConflict: 'refuse',
    createParents: true,
    allowCycle: false,
    allowSystemPaths: false,
    targetForm: 'path',
    source: { where: 'links[0]' },
    ...extra,
  };
}
