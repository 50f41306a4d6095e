// Symbolic links on a real Windows volume, with and without the privilege to create them (an
// elevated prompt or Developer Mode): linkplan must report what this user may do, decide it at
// plan time, and never start an apply it cannot finish. The workflow runs this file as the
// runner's administrator and again as a standard user with Developer Mode on and off, telling it
// what to expect through LINKPLAN_EXPECT_SYMLINKS (1 or 0); run by hand, the probe decides. What
// each link is, PowerShell says (fsutil may need an administrator).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshot } from '../helpers/tree.js';
import { canCreateSymlinks, linkType, project } from './windows.js';

const allowed = canCreateSymlinks();
const expected = process.env['LINKPLAN_EXPECT_SYMLINKS'];

describe('symbolic links (Windows)', () => {
  it.runIf(expected !== undefined)('this user may create them exactly where the workflow set it up so', () => {
    expect(allowed).toBe(expected === '1');
  });

  it('linkplan plans a type: symlink entry as this user may make it', () => {
    const p = project({ t: { 'f.txt': 'f' } });
    p.layout('version: 1\nlinks:\n  - { path: l.txt, target: t/f.txt, type: symlink }\n');
    const a = p.plan().actions[0];
    expect(a?.kind).toBe(allowed ? 'create' : 'conflict');
    if (a?.kind === 'conflict') expect(a.hint).toMatch(/Developer Mode \(Settings > System > For developers\)/);
  });

  it.runIf(allowed)('with the privilege: file and folder symlinks are made, and auto gives a file one', () => {
    const p = project({ t: { 'f.txt': 'f', d: { 'a.txt': 'a' } } });
    p.layout('version: 1\nlinks:\n  - { path: l.txt, target: t/f.txt, type: symlink }\n  - { path: ld, target: t/d, type: symlink }\n  - { path: auto.txt, target: t/f.txt }\n  - { path: rel.txt, target: t/f.txt, type: symlink, relative: true }\n');
    const r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const l of ['l.txt', 'ld', 'auto.txt', 'rel.txt']) expect(linkType(p.at(l)), l).toBe('SymbolicLink');
    expect(fs.statSync(p.at('ld')).isDirectory()).toBe(true);
    expect(fs.readFileSync(p.at('ld', 'a.txt'), 'utf8')).toBe('a');
    expect(fs.readlinkSync(p.at('rel.txt'))).toBe(path.join('t', 'f.txt'));
    expect(fs.readFileSync(p.at('auto.txt'), 'utf8')).toBe('f');
    expect(p.cli(['plan', 'layout.yaml', '--detailed-exitcode']).code).toBe(0);
  });

  it.runIf(!allowed)('without it: auto gives a file a hard link and a folder a junction; type: symlink stops apply before any write', () => {
    const p = project({ t: { 'f.txt': 'f', d: {} } });
    p.layout('version: 1\nlinks:\n  - { path: auto.txt, target: t/f.txt }\n  - { path: auto-dir, target: t/d }\n');
    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(0);
    expect(linkType(p.at('auto.txt'))).toBe('HardLink');
    expect(fs.statSync(p.at('auto.txt')).nlink).toBe(2);
    expect(linkType(p.at('auto-dir'))).toBe('Junction');

    p.layout('version: 1\nlinks:\n  - { path: new/a.txt, target: t/f.txt }\n  - { path: new/l.txt, target: t/f.txt, type: symlink }\n');
    const before = snapshot(p.root);
    const r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/cannot create symbolic links here/);
    expect(snapshot(p.root)).toEqual(before);
  });
});
