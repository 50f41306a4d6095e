// Junctions on a real Windows volume, made, retargeted and removed by the CLI, each step checked
// with Windows' own tool (`fsutil reparsepoint query`) and through the junction itself; and the
// refusals a plan makes before any write: a junction to a network path, a boot folder.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { project, reparsePoint, TAG_MOUNT_POINT } from './windows.js';

const jdkLayout = (v: string): string => `version: 1\nlinks:\n  - { path: tools/jdk, target: t/jdk-${v}, type: junction }\n`;

describe('junctions (Windows)', () => {
  it('are created, retargeted in place and removed, as fsutil reads them', () => {
    const p = project({ t: { 'jdk-17': { release: '17' }, 'jdk-21': { release: '21' } } });
    const link = p.at('tools', 'jdk');
    p.layout(jdkLayout('21'));
    let r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    let rp = reparsePoint(link);
    expect(rp?.tag).toBe(TAG_MOUNT_POINT);
    expect(rp?.text.toLowerCase()).toContain(p.at('t', 'jdk-21').toLowerCase());
    expect(fs.readFileSync(path.join(link, 'release'), 'utf8')).toBe('21');
    const id = fs.lstatSync(link, { bigint: true }).ino;

    // a switch rewrites the junction's data in place: the same entry, another target
    p.layout(jdkLayout('17'));
    r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Applied: 0 to create, 1 to retarget/m);
    rp = reparsePoint(link);
    expect(rp?.tag).toBe(TAG_MOUNT_POINT);
    expect(rp?.text.toLowerCase()).toContain(p.at('t', 'jdk-17').toLowerCase());
    expect(fs.lstatSync(link, { bigint: true }).ino).toBe(id);
    expect(fs.readFileSync(path.join(link, 'release'), 'utf8')).toBe('17');
    expect(p.cli(['plan', 'layout.yaml', '--detailed-exitcode']).code).toBe(0);

    // removed as a link: the folder it led to keeps everything
    p.layout('version: 1\nlinks:\n  - { path: tools/jdk, state: absent }\n');
    r = p.cli(['apply', 'layout.yaml', '--yes']);
    expect(r.code).toBe(0);
    expect(fs.existsSync(link)).toBe(false);
    expect(reparsePoint(link)).toBeUndefined();
    expect(fs.readFileSync(p.at('t', 'jdk-17', 'release'), 'utf8')).toBe('17');
  });

  it('auto gives a folder a junction, with no privilege asked', () => {
    const p = project({ t: { app: { 'a.txt': 'a' } } });
    p.layout('version: 1\nlinks:\n  - { path: current, target: t/app }\n');
    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(0);
    expect(reparsePoint(p.at('current'))?.tag).toBe(TAG_MOUNT_POINT);
  });

  it('a junction to a network path is refused in the plan, and apply writes nothing', () => {
    const p = project();
    p.layout('version: 1\nlinks:\n  - { path: share, target: "//localhost/C$/Windows", type: junction }\n');
    const plan = p.plan();
    expect(plan.actions[0]?.kind).toBe('conflict');
    // (where the admin share cannot be reached, the target is missing: refused all the same)
    expect(plan.actions[0]?.reason).toMatch(/a junction cannot lead to a network path|does not exist/);
    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(1);
    expect(fs.existsSync(p.at('share'))).toBe(false);
  });

  it('a boot folder is refused in the plan, even with onConflict: backup', () => {
    const p = project({ t: {} });
    const windir = process.env['SystemRoot'] ?? 'C:\\Windows';
    p.layout(`version: 1\nlinks:\n  - { path: '${path.join(windir, 'System32', 'config')}', target: t, onConflict: backup, allowSystemPaths: true }\n`);
    const plan = p.plan();
    expect(plan.actions[0]?.kind).toBe('conflict');
    expect(plan.actions[0]?.reason).toMatch(/^is the folder of the registry hives .*, which linkplan never links, moves aside or replaces/);
  });
});
