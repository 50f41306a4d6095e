// What --prune may reach: only links linkplan made in the folders the manifest manages now. The
// same manifest applied with another HOME (or another --var) expands to other folders: the links
// made under the first HOME are left alone and reported, never removed; a link dropped from a
// folder the manifest still manages is pruned. Real command, real trees.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';

const MANIFEST = 'version: 1\nlinks:\n  - { path: ~/.a, target: dots/a }\n  - { path: ~/.b, target: dots/b }\n  - { path: "~/.config/${app}", target: dots/app }\nvars:\n  app: one\n';

function setUp(): { d: string; h1: string; h2: string } {
  const d = tempDir();
  writeTree(d, { repo: { dots: { a: 'a', b: 'b', app: { x: 'x' } }, 'layout.yaml': MANIFEST }, h1: { '.config': {} }, h2: { '.config': {} } });
  return { d, h1: path.join(d, 'h1'), h2: path.join(d, 'h2') };
}

describe('--prune', () => {
  it('leaves the links made under another HOME alone, and says so', () => {
    const { d, h1, h2 } = setUp();
    const cwd = path.join(d, 'repo');
    expect(runCli(['apply', 'layout.yaml'], { cwd, env: { HOME: h1 } }).code).toBe(0);
    const first = snapshot(h1);
    expect(Object.keys(first).sort()).toEqual(['.a', '.b', '.config', '.config/one']);
    const r = runCli(['apply', 'layout.yaml', '--prune', '--yes'], { cwd, env: { HOME: h2 } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Applied: 3 to create, 0 to retarget, 0 to remove');
    expect(r.stdout).toContain(`Left alone (not pruned): ${path.join(h1, '.a')}: it lies outside the folders this manifest manages now`);
    expect(snapshot(h1)).toEqual(first);
  });

  it('says in a saved plan what it left alone, and apply of that plan reports it and forgets the link', () => {
    const { d, h1, h2 } = setUp();
    const cwd = path.join(d, 'repo');
    expect(runCli(['apply', 'layout.yaml'], { cwd, env: { HOME: h1 } }).code).toBe(0);
    const first = snapshot(h1);
    const planned = runCli(['plan', 'layout.yaml', '--prune', '--out', 'p.json'], { cwd, env: { HOME: h2 } });
    expect(planned.code, planned.stderr).toBe(0);
    const saved = JSON.parse(fs.readFileSync(path.join(cwd, 'p.json'), 'utf8')) as { actions: { kind: string; path: string; prune?: string }[] };
    const pruned = saved.actions.filter((a) => a.prune !== undefined).map((a) => [a.kind, a.path, a.prune]);
    expect(pruned).toEqual([path.join(h1, '.a'), path.join(h1, '.b'), path.join(h1, '.config/one')].map((p) => ['noop', p, 'outside']));
    const r = runCli(['apply', 'p.json', '--yes'], { cwd, env: { HOME: h2 } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Left alone (not pruned): ${path.join(h1, '.a')}: it lies outside the folders this manifest manages now`);
    // the records own them no more: a later --prune does not name them
    expect(runCli(['plan', 'layout.yaml', '--prune'], { cwd, env: { HOME: h2 } }).stdout).not.toContain('Left alone');
    expect(snapshot(h1)).toEqual(first);
  });

  it('prunes a dropped link, and one an earlier --var made, in folders the manifest still manages', () => {
    const { d, h1 } = setUp();
    const cwd = path.join(d, 'repo');
    expect(runCli(['apply', 'layout.yaml'], { cwd, env: { HOME: h1 } }).code).toBe(0);
    // ~/.b is dropped; ${app} now expands to two: ~/.config/one is in a folder still managed
    fs.writeFileSync(path.join(cwd, 'layout.yaml'), MANIFEST.replace('  - { path: ~/.b, target: dots/b }\n', '').replace('app: one', 'app: two'));
    const r = runCli(['apply', 'layout.yaml', '--prune', '--yes'], { cwd, env: { HOME: h1 } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Applied: 1 to create, 0 to retarget, 2 to remove');
    expect(fs.existsSync(path.join(h1, '.b'))).toBe(false);
    expect(fs.existsSync(path.join(h1, '.config/one'))).toBe(false);
    expect(fs.readlinkSync(path.join(h1, '.config/two'))).toBe(path.join(cwd, 'dots/app'));
  });

  it('escapes the control characters of a left-alone path in the lines an apply with changes prints, as plan does', () => {
    const d = tempDir();
    const name = 'a\x1b[31mb';
    writeTree(d, { t: { f1: '1', f2: '2' }, home: {} });
    const layout = path.join(d, 'layout.yaml');
    fs.writeFileSync(layout, `version: 1\nlinks:\n  - { path: "home/a\\x1b[31mb", target: t/f1 }\n  - { path: home/c, target: t/f2 }\n`);
    expect(runCli(['apply', 'layout.yaml', '--yes'], { cwd: d }).code).toBe(0);
    // the user points the link linkplan made elsewhere; the manifest drops it and adds a link
    fs.rmSync(path.join(d, 'home', name));
    fs.symlinkSync(path.join(d, 't', 'f2'), path.join(d, 'home', name));
    fs.writeFileSync(layout, 'version: 1\nlinks:\n  - { path: home/c, target: t/f2 }\n  - { path: home/d, target: t/f1 }\n');
    const escaped = 'Left alone (not pruned): home/a\\x1b[31mb: linkplan made a symlink to';
    const planned = runCli(['plan', 'layout.yaml', '--prune'], { cwd: d });
    expect(planned.stdout).toContain(escaped);
    const applied = runCli(['apply', 'layout.yaml', '--prune', '--yes'], { cwd: d });
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('Applied: 1 to create');
    expect(applied.stdout).toContain(escaped);
    expect(applied.stdout).not.toContain('\x1b');
  });
});
