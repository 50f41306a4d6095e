// Windows' guards on a real NTFS volume written through ntfs-3g, through the real CLI: the volume
// holds what a Windows system volume holds (\Windows\System32\config, \Users, pagefile.sys, a
// file with NTFS's 1,024 names), and a manifest that would link or move any of them is refused
// in the plan, apply writes nothing, and every one of them is left as it was; `allowSystemPaths`
// lets a link at \Users be made, never one at a boot folder; `targetForm: volume-guid` needs
// the volume listed by its GUID path. Skips loudly where ntfs-3g cannot run, and fails on CI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../src/core/types.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { mountFreshVolume, skipNtfs3gTests, type NtfsVolume } from './helpers/ntfs.js';
import { snapshot, writeTree } from './helpers/tree.js';

const skip = skipNtfs3gTests();
const GUID = '\\\\?\\Volume{6b29fc40-ca47-1067-b31d-00dd010662da}\\';

describe.skipIf(skip)("Windows' guards on a real NTFS volume, through the real CLI", () => {
  let vol: NtfsVolume;
  let work: string;
  const manifest = (): string => path.join(work, 'layout.yaml');
  const cli = (...args: string[]): CliResult => runCli(args, { cwd: work });
  const layout = (windows: string, links: readonly string[]): void =>
    fs.writeFileSync(manifest(), ['version: 1', 'vars:', `  vol: ${vol.mountPoint}`, 'volumes:', '  - mount: ${vol}', `    windows: '${windows}'`, 'links:', ...links, ''].join('\n'));
  const planOf = (): Plan => JSON.parse(cli('plan', '--json', manifest()).stdout) as Plan;

  beforeAll(async () => {
    vol = await mountFreshVolume();
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-ntfs-guards-')));
    writeTree(vol.mountPoint, { Windows: { System32: { config: { SYSTEM: 'hive' } } }, Users: { me: { 'a.txt': 'a' } }, 'pagefile.sys': 'p', data: { big: {}, 'f.txt': 'f' }, elsewhere: {} });
    for (let i = 1; i < 1024; i++) fs.linkSync(path.join(vol.mountPoint, 'data', 'f.txt'), path.join(vol.mountPoint, 'data', 'big', `n${i}`));
  });

  afterAll(async () => {
    await vol?.dispose();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('refuses links at boot folders, system folders and past 1,024 names, and apply writes nothing', () => {
    layout('C:', [
      '  - { path: "${vol}/Windows/System32/config", target: "${vol}/elsewhere", onConflict: backup, allowSystemPaths: true }',
      '  - { path: "${vol}/pagefile.sys", target: "${vol}/data/f.txt", onConflict: backup }',
      '  - { path: "${vol}/Users", target: "${vol}/elsewhere", onConflict: backup }',
      '  - { path: "${vol}/one-more.txt", target: "${vol}/data/f.txt", type: hardlink }',
    ]);
    expect(fs.statSync(path.join(vol.mountPoint, 'data', 'f.txt')).nlink).toBe(1024);
    const before = snapshot(vol.mountPoint);
    const plan = planOf();
    expect(plan.actions.map((a) => [a.kind, a.reason])).toEqual([
      ['conflict', 'is the folder of the registry hives C:\\Windows\\System32\\config, which linkplan never links, moves aside or replaces: Windows reads it while it starts, before any link can be followed, and cannot start if it is redirected'],
      ['conflict', 'is the paging file C:\\pagefile.sys, which linkplan never links, moves aside or replaces: Windows reads it while it starts, before any link can be followed, and cannot start if it is redirected'],
      ['conflict', 'is the Users folder C:\\Users, which linkplan never links, moves aside or replaces: redirecting it breaks Windows updates, Store apps and servicing'],
      ['conflict', `${path.join(vol.mountPoint, 'data', 'f.txt')} has 1024 names (hard links) already, and NTFS gives a file at most 1024`],
    ]);
    const r = cli('apply', manifest(), '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/4 conflicts in the plan/);
    expect(snapshot(vol.mountPoint)).toEqual(before);
  });

  it('allowSystemPaths lets \\Users be moved aside and linked', () => {
    layout('C:', ['  - { path: "${vol}/Users", target: "${vol}/elsewhere", onConflict: backup, allowSystemPaths: true }']);
    const r = cli('apply', manifest(), '--yes');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(fs.readlinkSync(path.join(vol.mountPoint, 'Users'))).toBe(path.join(vol.mountPoint, 'elsewhere'));
    expect(fs.readFileSync(path.join(vol.mountPoint, 'Users.linkplan-backup', 'me', 'a.txt'), 'utf8')).toBe('a');
  });

  it('targetForm: volume-guid needs the volume listed by its GUID path', () => {
    layout('C:', ['  - { path: "${vol}/jdk", target: "${vol}/elsewhere", targetForm: volume-guid }']);
    expect(planOf().actions[0]?.reason).toBe(`targetForm: volume-guid: volumes: names the volume of its target (${vol.mountPoint}) by its drive letter C:\\, so its volume GUID path is not known`);
    layout(GUID, ['  - { path: "${vol}/jdk", target: "${vol}/elsewhere", targetForm: volume-guid }']);
    const a = planOf().actions[0];
    expect(a?.kind).toBe('create');
    expect(a?.notes).toEqual([`written for Windows as ${GUID}elsewhere`]);
  });
});
