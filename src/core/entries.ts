/**
 * Entries in words and as shared values: what the plan, its rendering, a saved plan's checks and
 * the applier's drift report all say about what is at a path.
 */
import type { Entry } from './types.js';

/** Nothing at a path: one object, shared. */
export const ABSENT: Entry = { kind: 'absent' };

/** What is at a path, in words: `a folder`, `a symbolic link to ~/x`... */
export function describeEntry(e: Entry): string {
  switch (e.kind) {
    case 'absent':
      return 'nothing';
    case 'file':
      return e.nlink > 1 ? `a regular file (with ${e.nlink} hard links)` : 'a regular file';
    case 'dir':
      return 'a folder';
    case 'symlink':
      return `a symbolic link to ${e.linkText}`;
    case 'junction':
      return `a junction to ${e.linkText}`;
    case 'reparse':
      return `a ${e.tagName} reparse point (tag 0x${e.tag.toString(16).toUpperCase().padStart(8, '0')})`;
    case 'special':
      return `a ${e.what.replace('-', ' ')}`;
  }
}

/** Permission bits as people write them: `0700`. */
export function modeText(mode: number): string {
  return `0${mode.toString(8).padStart(3, '0')}`;
}
