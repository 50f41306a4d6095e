/**
 * Fixture trees the apply tests share: the targets of the trees that plan every kind of action
 * (six files, a folder, two versions of a tool, a managed rc and a config folder), which each test
 * completes with its own manifest, links and things in the way.
 */
import type { TreeSpec } from './tree.js';

/** The folder `t` of an every-kind-of-action tree; f6 is the file `rm/h` is a hard link of. */
export const EVERY_ACTION_TARGETS: TreeSpec = {
  f1: 'one',
  f2: 'two',
  f3: 'three',
  f4: 'four',
  f5: 'five',
  f6: 'six, shared with rm/h',
  rc: 'managed rc',
  dir1: { k: 'k' },
  v1: { VERSION: '1' },
  v2: { VERSION: '2' },
  cfgdir: { x: 'x' },
};
