// A reparse point linkplan did not make and that is no link (here a file compressed by
// `compact /exe`, tag WOF) is left exactly as it is: in the way of a link, named by a
// state: absent entry, or in the way of an adopt into a target that exists, it is a conflict of
// the plan, and apply writes nothing. (With onConflict: backup a WOF file may be moved aside as
// the data it is, depending on how the driver reads it; that case is not asked here.)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { project, reparsePoint, TAG_WOF } from './windows.js';

describe('a foreign reparse point (Windows)', () => {
  it('is left alone, whatever the manifest says', () => {
    const content = 'compressible '.repeat(8192);
    const p = project({ t: { 'f.txt': 'f' }, 'packed.txt': content });
    const c = spawnSync('compact', ['/c', '/exe:xpress4k', p.at('packed.txt')], { encoding: 'utf8' });
    expect(c.status, c.stdout).toBe(0);
    expect(reparsePoint(p.at('packed.txt'))?.tag).toBe(TAG_WOF);

    for (const entry of ['{ path: packed.txt, target: t/f.txt }', '{ path: packed.txt, state: absent }', '{ path: packed.txt, target: t/f.txt, onConflict: adopt }']) {
      p.layout(`version: 1\nlinks:\n  - ${entry}\n`);
      const a = p.plan().actions[0];
      expect(a?.kind, entry).toBe('conflict');
      expect(p.cli(['apply', 'layout.yaml', '--yes']).code, entry).toBe(1);
      expect(reparsePoint(p.at('packed.txt'))?.tag, entry).toBe(TAG_WOF);
      expect(fs.readFileSync(p.at('packed.txt'), 'utf8'), entry).toBe(content);
      expect(fs.readdirSync(p.root).filter((n) => n.includes('linkplan-backup')), entry).toEqual([]);
    }
  });
});
