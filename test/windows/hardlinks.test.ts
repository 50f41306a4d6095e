// Hard links on a real NTFS volume: made, recognised as in place, removed without touching the
// file's other name, and refused in the plan for a file that has all the names NTFS allows.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { project, reparsePoint } from './windows.js';

describe('hard links (Windows)', () => {
  it('are made, unchanged on a second apply, and removed as one name of the file', () => {
    const p = project({ t: { 'settings.ini': 'x=1' } });
    p.layout('version: 1\nlinks:\n  - { path: app/settings.ini, target: t/settings.ini, type: hardlink }\n');
    let r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const a = fs.statSync(p.at('app', 'settings.ini'), { bigint: true });
    const b = fs.statSync(p.at('t', 'settings.ini'), { bigint: true });
    expect(a.ino).toBe(b.ino);
    expect(a.nlink).toBe(2n);
    expect(reparsePoint(p.at('app', 'settings.ini'))).toBeUndefined();
    const names = spawnSync('fsutil', ['hardlink', 'list', p.at('t', 'settings.ini')], { encoding: 'utf8' }).stdout.toLowerCase();
    expect(names).toContain('\\app\\settings.ini');
    expect(p.cli(['apply', 'layout.yaml']).stdout).toMatch(/^No changes/);

    p.layout('version: 1\nlinks:\n  - { path: app/settings.ini, target: t/settings.ini, state: absent }\n');
    r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(p.at('app', 'settings.ini'))).toBe(false);
    expect(fs.readFileSync(p.at('t', 'settings.ini'), 'utf8')).toBe('x=1');
    expect(fs.statSync(p.at('t', 'settings.ini')).nlink).toBe(1);
  });

  it('a file with 1024 names takes no more: the plan says so, and apply writes nothing', () => {
    const p = project({ t: { 'f.txt': 'f' }, names: {} });
    for (let i = 1; i < 1024; i++) fs.linkSync(p.at('t', 'f.txt'), p.at('names', `n${i}`));
    expect(fs.statSync(p.at('t', 'f.txt')).nlink).toBe(1024);
    p.layout('version: 1\nlinks:\n  - { path: one-more.txt, target: t/f.txt, type: hardlink }\n');
    const a = p.plan().actions[0];
    expect(a?.kind).toBe('conflict');
    expect(a?.reason).toMatch(/has 1024 names \(hard links\) already, and NTFS gives a file at most 1024/);
    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(1);
    expect(fs.existsSync(p.at('one-more.txt'))).toBe(false);
  });
});
