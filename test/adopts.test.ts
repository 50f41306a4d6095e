// Two adopts in one apply where one brings the folder the other's target lies in: whatever their
// order in the manifest, the plan has no conflict, and the apply moves the folder first, then the
// file into it, through the real command on a real tree.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { tempDir, writeTree } from './helpers/tree.js';

const FOLDER = '  - { path: home/app, target: repo/app, onConflict: adopt }\n';
const FILE = '  - { path: home/other.txt, target: repo/app/other.txt, onConflict: adopt }\n';
const DEEPER = '  - { path: home/deep.txt, target: repo/app/sub/deep.txt, onConflict: adopt }\n';

describe('two adopts, one into the folder the other brings', () => {
  for (const [name, entries] of [
    ['folder first', [FOLDER, FILE]],
    ['file first', [FILE, FOLDER]],
    ['file into a new folder inside it, first', [DEEPER, FILE, FOLDER]],
  ] as const) {
    it(`plan and apply (${name})`, () => {
      const d = tempDir();
      writeTree(d, { home: { app: { 'a.txt': 'a\n' }, 'other.txt': 'o\n', 'deep.txt': 'deep\n' }, repo: {}, 'layout.yaml': `version: 1\nlinks:\n${entries.join('')}` });
      const plan = runCli(['plan', 'layout.yaml'], { cwd: d });
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: d });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(fs.readFileSync(path.join(d, 'repo/app/a.txt'), 'utf8')).toBe('a\n');
      expect(fs.readFileSync(path.join(d, 'repo/app/other.txt'), 'utf8')).toBe('o\n');
      expect(fs.readlinkSync(path.join(d, 'home/app'))).toBe(path.join(d, 'repo/app'));
      expect(fs.readFileSync(path.join(d, 'home/other.txt'), 'utf8')).toBe('o\n');
      if ((entries as readonly string[]).includes(DEEPER)) expect(fs.readFileSync(path.join(d, 'home/deep.txt'), 'utf8')).toBe('deep\n');
      expect(runCli(['apply', 'layout.yaml'], { cwd: d }).stdout).toMatch(/^No changes/);
    });
  }
});

describe('two adopts into one target', () => {
  it('is a conflict naming the other entry, and nothing changes', () => {
    const d = tempDir();
    writeTree(d, {
      home: { one: { a: 'a' }, two: { b: 'b' } },
      repo: {},
      'layout.yaml': 'version: 1\nlinks:\n  - { path: home/one, target: repo/t, onConflict: adopt }\n  - { path: home/two, target: repo/t, onConflict: adopt }\n',
    });
    const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: d });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`! conflict home/two: cannot adopt into ${path.join(d, 'repo/t')}: links[0] adopts into it too`);
    expect(fs.readdirSync(path.join(d, 'repo'))).toEqual([]);
  });
});
