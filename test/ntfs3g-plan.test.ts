// A manifest with `volumes:` on a real NTFS volume (a fresh image mounted with ntfs-3g), through the
// real CLI: `plan` shows junctions as junctions, `apply --yes` writes the reparse buffers Windows
// itself writes (read back with getfattr and compared byte for byte with the codec's, Windows paths
// inside), a remount and `plan` again show nothing to do, a var retargets the junction in place
// (same MFT record; back again through a saved plan), `state: absent` removes it and leaves its target
// whole, and a foreign reparse point is a conflict named by its tag that apply never touches. A
// link on an ntfs-3g mount the manifest does not list is refused with the mount named. Skips
// loudly where ntfs-3g cannot run, and fails instead on CI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMountPoint, encodeRawReparse, encodeSymlink, IO_REPARSE_TAG_CLOUD } from '../src/drivers/ntfs/reparse.js';
import { FILE_ATTRIBUTE_DIRECTORY } from '../src/drivers/ntfs3g/driver.js';
import { lsetxattr, XATTR_NTFS_ATTRIB, XATTR_NTFS_REPARSE_DATA } from '../src/drivers/ntfs3g/libc.js';
import { validatePlan } from '../src/generated/validators.js';
import type { Plan } from '../src/core/types.js';
import { linkOf } from './helpers/plan.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { getfattrHex, JDK_TREE, mountFreshVolume, skipNtfs3gTests, type NtfsVolume } from './helpers/ntfs.js';
import { snapshot, writeTree } from './helpers/tree.js';

const skip = skipNtfs3gTests();

/** The manifest: every kind of link on the volume, and one on ext4 that leads onto it. */
function layout(mount: string, opts: { jdkAbsent?: boolean; foreign?: boolean } = {}): string {
  return [
    'version: 1',
    'vars:',
    `  vol: ${mount}`,
    '  jdk: "21"',
    'volumes:',
    '  - mount: ${vol}',
    '    windows: "D:"',
    'links:',
    ...(opts.jdkAbsent === true
      ? ['  - path: ${vol}/links/jdk', '    state: absent']
      : ['  - path: ${vol}/links/jdk', '    target: ${vol}/tools/jdk-${jdk}', '    type: junction']),
    '  - path: ${vol}/links/java-home', // auto, a folder: a junction
    '    target: ${vol}/tools/jdk-17',
    '  - path: ${vol}/links/dirsym',
    '    target: ${vol}/tools/jdk-17',
    '    type: symlink',
    '  - path: ${vol}/links/file-abs.txt', // auto, a file: a symbolic link
    '    target: ${vol}/data/file.txt',
    '  - path: ${vol}/links/file-rel.txt',
    '    target: ${vol}/data/file.txt',
    '    relative: true',
    '  - path: ${vol}/links/nested/dir-rel', // auto, relative: a directory symbolic link, in a new folder
    '    target: ${vol}/tools/jdk-21',
    '    relative: true',
    '  - path: ${vol}/links/hard.txt',
    '    target: ${vol}/data/other.txt',
    '    type: hardlink',
    '  - path: home/jdk', // on ext4: a directory symbolic link stands in for the junction
    '    target: ${vol}/tools/jdk-21',
    '    type: junction',
    ...(opts.foreign === true ? ['  - path: ${vol}/links/foreign.dat', '    target: ${vol}/data/file.txt', '    onConflict: backup'] : []),
    '',
  ].join('\n');
}

describe.skipIf(skip)('a manifest with volumes: on a real NTFS volume, through the real CLI', () => {
  let vol: NtfsVolume;
  let work: string;
  const at = (rel: string): string => path.join(vol.mountPoint, rel);
  const manifest = (): string => path.join(work, 'layout.yaml');
  const cli = (...args: string[]): CliResult => runCli(args, { cwd: work });
  const reparseOf = (rel: string): Buffer | undefined => getfattrHex(at(rel), XATTR_NTFS_REPARSE_DATA);
  const isDirectoryObject = (rel: string): boolean => ((getfattrHex(at(rel), XATTR_NTFS_ATTRIB)?.readUInt32LE(0) ?? 0) & FILE_ATTRIBUTE_DIRECTORY) !== 0;
  const planJson = (...args: string[]): Plan => {
    const r = cli('plan', '--json', manifest(), ...args);
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as Plan;
  };

  beforeAll(async () => {
    vol = await mountFreshVolume();
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-ntfs-plan-')));
    writeTree(vol.mountPoint, JDK_TREE);
    writeTree(work, { home: {} });
    fs.writeFileSync(manifest(), layout(vol.mountPoint));
  });

  afterAll(async () => {
    await vol?.dispose();
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('the CLI builds the ntfs-3g drivers for the volumes the manifest lists', () => {
    const plan = planJson();
    expect(plan.volumes).toEqual([{ mount: vol.mountPoint, windows: 'D:\\' }]);
  });

  it('plans junctions as junctions, and says what Windows will read', () => {
    const plan = planJson();
    expect(validatePlan(plan), JSON.stringify(validatePlan.errors)).toBe(true);
    expect(plan.actions.map((a) => [path.relative(vol.mountPoint, a.path), a.kind, linkOf(a)?.type, linkOf(a)?.linkText])).toEqual([
      ['links/jdk', 'create', 'junction', at('tools/jdk-21')],
      ['links/java-home', 'create', 'junction', at('tools/jdk-17')],
      ['links/dirsym', 'create', 'symlink', at('tools/jdk-17')],
      ['links/file-abs.txt', 'create', 'symlink', at('data/file.txt')],
      ['links/file-rel.txt', 'create', 'symlink', '../data/file.txt'],
      ['links/nested/dir-rel', 'create', 'symlink', '../../tools/jdk-21'],
      ['links/hard.txt', 'create', 'hardlink', at('data/other.txt')],
      [path.relative(vol.mountPoint, path.join(work, 'home/jdk')), 'create', 'symlink', at('tools/jdk-21')],
    ]);
    expect(plan.actions[1]?.reason).toBe(`auto: a junction on the NTFS volume D:\\ at ${vol.mountPoint}, the folder link Windows follows without privilege`);
    expect(plan.actions[0]?.notes).toEqual(['written for Windows as D:\\tools\\jdk-21']);
    expect(plan.actions[7]?.notes).toEqual(['junctions exist only on NTFS; on linux a directory symbolic link stands in for it']);

    const r = cli('plan', manifest());
    expect([r.code, r.stderr]).toEqual([0, '']);
    const text = r.stdout.split('\n');
    expect(text).toContain(`  + create   ${at('links/jdk')} -> ${at('tools/jdk-21')}  (junction)`);
    expect(text).toContain(`  + create   ${at('links/java-home')} -> ${at('tools/jdk-17')}  (junction)`);
    expect(text).toContain(`  + create   ${at('links/dirsym')} -> ${at('tools/jdk-17')}  (symlink)`);
    expect(text).toContain(`  + create   ${at('links/file-rel.txt')} -> ${at('data/file.txt')}  (symlink, relative text ../data/file.txt)`);
    expect(text).toContain(`  + create   ${at('links/nested/dir-rel')} -> ${at('tools/jdk-21')}  (symlink, relative text ../../tools/jdk-21, new folder ${at('links/nested')})`);
    expect(text).toContain(`  + create   home/jdk -> ${at('tools/jdk-21')}  (symlink)`);
    expect(text).toContain('      note: written for Windows as D:\\tools\\jdk-21');
    expect(text).toContain('Plan: 8 to create, 0 to retarget, 0 to remove, 0 unchanged');
  });

  it('applies with the reparse data Windows writes, byte for byte', () => {
    const r = cli('apply', manifest(), '--yes');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('Applied: 8 to create');

    expect(reparseOf('links/jdk')).toEqual(encodeMountPoint('D:\\tools\\jdk-21'));
    expect(reparseOf('links/java-home')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));
    expect(reparseOf('links/dirsym')).toEqual(encodeSymlink('D:\\tools\\jdk-17', { relative: false }));
    expect(reparseOf('links/file-abs.txt')).toEqual(encodeSymlink('D:\\data\\file.txt', { relative: false }));
    expect(reparseOf('links/file-rel.txt')).toEqual(encodeSymlink('..\\data\\file.txt', { relative: true }));
    expect(reparseOf('links/nested/dir-rel')).toEqual(encodeSymlink('..\\..\\tools\\jdk-21', { relative: true }));
    expect(reparseOf('links/hard.txt')).toBeUndefined();
    expect(reparseOf('links/nested')).toBeUndefined();
    // the link object is a folder for junctions and directory symlinks, a file for file symlinks
    expect(['jdk', 'java-home', 'dirsym', 'file-abs.txt', 'file-rel.txt', 'nested/dir-rel'].map((n) => isDirectoryObject(`links/${n}`))).toEqual([true, true, true, false, false, true]);

    const hard = fs.statSync(at('links/hard.txt'));
    expect(hard.ino).toBe(fs.statSync(at('data/other.txt')).ino);
    expect(hard.nlink).toBe(2);
    expect(fs.readlinkSync(path.join(work, 'home/jdk'))).toBe(at('tools/jdk-21'));

    // ntfs-3g follows them all
    expect(fs.readFileSync(at('links/jdk/bin/java'), 'utf8')).toBe('java 21');
    expect(fs.readFileSync(at('links/java-home/bin/java'), 'utf8')).toBe('java 17');
    expect(fs.readFileSync(at('links/nested/dir-rel/bin/java'), 'utf8')).toBe('java 21');
    expect(fs.readFileSync(at('links/file-rel.txt'), 'utf8')).toBe('the file');
    expect(fs.readFileSync(path.join(work, 'home/jdk/bin/java'), 'utf8')).toBe('java 21');
  });

  it('after a remount, plan finds nothing to do', async () => {
    const pid = vol.pid;
    await vol.remount();
    expect(vol.pid).not.toBe(pid);
    const plan = planJson();
    expect(plan.actions.map((a) => a.kind)).toEqual(Array<string>(8).fill('noop'));
    expect(plan.actions[0]?.before).toEqual({ kind: 'junction', linkText: at('tools/jdk-21') });
    const r = cli('plan', manifest(), '--detailed-exitcode');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('No changes');
    expect(cli('plan', manifest(), '--verbose').stdout).toContain(`  = ok       ${at('links/jdk')} -> ${at('tools/jdk-21')}  (junction)`);
  });

  it('retargets the junction in place when a var changes (apply --var), and back through a saved plan', () => {
    const ino = fs.lstatSync(at('links/jdk')).ino;
    const jdk21 = snapshot(at('tools/jdk-21'));

    const shown = cli('plan', manifest(), '--var', 'jdk=17');
    expect(shown.stdout.split('\n')).toContain(`  ~ retarget ${at('links/jdk')} -> ${at('tools/jdk-17')}  (junction; was ${at('tools/jdk-21')})`);
    const r = cli('apply', manifest(), '--var', 'jdk=17');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('Applied: 0 to create, 1 to retarget');
    expect(reparseOf('links/jdk')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));
    expect(fs.lstatSync(at('links/jdk')).ino).toBe(ino);
    expect(fs.readFileSync(at('links/jdk/bin/java'), 'utf8')).toBe('java 17');
    expect(cli('apply', manifest(), '--var', 'jdk=17').stdout).toContain('No changes');

    // and back to the manifest's own value, through a saved plan: it records the volumes
    const saved = path.join(work, 'back.json');
    expect(cli('plan', manifest(), '--out', saved).code).toBe(0);
    expect((JSON.parse(fs.readFileSync(saved, 'utf8')) as Plan).volumes).toEqual([{ mount: vol.mountPoint, windows: 'D:\\' }]);
    const back = cli('apply', saved);
    expect([back.code, back.stderr]).toEqual([0, '']);
    expect(reparseOf('links/jdk')).toEqual(encodeMountPoint('D:\\tools\\jdk-21'));
    expect(fs.lstatSync(at('links/jdk')).ino).toBe(ino);
    expect(snapshot(at('tools/jdk-21'))).toEqual(jdk21);
  });

  it('recovers a killed retarget through the drivers its journal names: the junction reads as before, byte for byte', () => {
    const before = reparseOf('links/jdk');
    expect(before).toEqual(encodeMountPoint('D:\\tools\\jdk-21'));
    const killed = runCli(['apply', manifest(), '--var', 'jdk=17'], { cwd: work, env: { LINKPLAN_CRASH_AT: 'after:1' } });
    expect(killed.code).toBeNull(); // killed by SIGKILL after the junction was rewritten
    expect(reparseOf('links/jdk')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));
    const refused = cli('plan', manifest());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('linkplan recover');

    const r = cli('recover', manifest());
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('Rolled back the interrupted apply');
    expect(reparseOf('links/jdk')).toEqual(before);
    expect(cli('plan', manifest(), '--detailed-exitcode').code).toBe(0);
  });

  it('removes the junction for state: absent, and every file of its target is still there', () => {
    const before = { jdk21: snapshot(at('tools/jdk-21')), jdk17: snapshot(at('tools/jdk-17')), data: snapshot(at('data')) };
    expect(Object.keys(before.jdk21)).toEqual(['bin', 'bin/java', 'release']);
    fs.writeFileSync(manifest(), layout(vol.mountPoint, { jdkAbsent: true }));

    const shown = cli('plan', manifest());
    expect(shown.stdout.split('\n')).toContain(`  - remove   ${at('links/jdk')}  (a junction to ${at('tools/jdk-21')})`);
    const r = cli('apply', manifest(), '--yes');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(fs.lstatSync(at('links/jdk'), { throwIfNoEntry: false })).toBeUndefined();
    expect({ jdk21: snapshot(at('tools/jdk-21')), jdk17: snapshot(at('tools/jdk-17')), data: snapshot(at('data')) }).toEqual(before);
    expect(reparseOf('links/java-home')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));
    expect(cli('apply', manifest(), '--yes').stdout).toContain('No changes');
  });

  it('shows a foreign reparse point by its tag as a conflict, and apply leaves it alone', () => {
    const foreign = at('links/foreign.dat');
    fs.writeFileSync(foreign, 'placeholder');
    const buffer = encodeRawReparse(IO_REPARSE_TAG_CLOUD, Buffer.from('cloud placeholder data'));
    lsetxattr(foreign, XATTR_NTFS_REPARSE_DATA, { value: buffer });
    // ntfs-3g quirk: the first lookup after an entry turns into a reparse point fails once with EIO
    try {
      fs.lstatSync(foreign);
    } catch (e) {
      expect((e as { code?: string }).code).toBe('EIO');
    }
    fs.writeFileSync(manifest(), layout(vol.mountPoint, { jdkAbsent: true, foreign: true }));
    const links = snapshot(at('links'));

    const shown = cli('plan', manifest());
    expect(shown.code).toBe(1);
    const lines = shown.stdout.split('\n');
    expect(lines).toContain(`  ! conflict ${foreign}: is a CLOUD reparse point (tag 0x9000001A), which linkplan does not touch`);
    expect(lines).toContain('      hint: remove or move it with the tool that made it, or choose another path');
    expect(shown.stderr).toContain('the plan has 1 conflict');

    const r = cli('apply', manifest(), '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${foreign}: is a CLOUD reparse point (tag 0x9000001A), which linkplan does not touch`);
    expect(getfattrHex(foreign, XATTR_NTFS_REPARSE_DATA)).toEqual(buffer);
    expect(snapshot(at('links'))).toEqual(links);
    expect(fs.existsSync(`${foreign}.linkplan-backup`)).toBe(false);
  });

  it('refuses a link on an ntfs-3g mount the manifest does not list, naming the mount', () => {
    const unlisted = path.join(work, 'unlisted.yaml');
    fs.writeFileSync(unlisted, ['version: 1', 'links:', `  - path: ${at('elsewhere/jdk')}`, `    target: ${at('tools/jdk-21')}`, ''].join('\n'));
    for (const command of ['validate', 'plan', 'apply']) {
      const r = cli(command, unlisted, ...(command === 'apply' ? ['--yes'] : []));
      expect([command, r.code, r.stdout]).toEqual([command, 1, '']);
      expect(r.stderr).toContain(
        `unlisted.yaml:3:5: links[0].path: ${at('elsewhere/jdk')} lies on the NTFS volume mounted with ntfs-3g at ${vol.mountPoint}, which volumes: does not list; add it there ({ mount: ${vol.mountPoint}, windows: "D:" }`,
      );
      expect(r.stderr).toContain('or ntfs-3g would make symlinks Windows cannot follow');
    }
    expect(fs.existsSync(at('elsewhere'))).toBe(false);

    const notNtfs = path.join(work, 'not-ntfs.yaml');
    fs.writeFileSync(notNtfs, ['version: 1', 'volumes:', `  - { mount: ${work}, windows: "E:" }`, 'links: []', ''].join('\n'));
    const r = cli('plan', notNtfs);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`not-ntfs\\.yaml:3:14: volumes\\[0\\]\\.mount: ${work}: is not where an NTFS volume is mounted with ntfs-3g \\(it is on the \\S+ filesystem mounted at /\\S*\\)`));
  });
});

describe.skipIf(skip)('two NTFS volumes, one manifest', () => {
  let d: NtfsVolume;
  let e: NtfsVolume;
  let work: string;
  const manifest = (): string => path.join(work, 'layout.yaml');
  const cli = (...args: string[]): CliResult => runCli(args, { cwd: work });

  beforeAll(async () => {
    [d, e] = await Promise.all([mountFreshVolume({ label: 'system' }), mountFreshVolume({ label: 'data' })]);
    work = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-ntfs-two-')));
    writeTree(d.mountPoint, { 'Program Files': {}, 'notes.txt': 'on D' });
    writeTree(e.mountPoint, { App: { 'app.exe': 'the app' }, 'data.bin': 'on E' });
    fs.writeFileSync(
      manifest(),
      [
        'version: 1',
        'volumes:',
        `  - { mount: ${d.mountPoint}, windows: "C:" }`,
        `  - { mount: ${e.mountPoint}, windows: "\\\\\\\\?\\\\Volume{6B29FC40-CA47-1067-B31D-00DD010662DA}\\\\" }`,
        'links:',
        `  - { path: "${d.mountPoint}/Program Files/App", target: ${e.mountPoint}/App }`,
        `  - { path: ${d.mountPoint}/data.txt, target: ${e.mountPoint}/data.bin }`,
        '',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await Promise.all([d?.dispose(), e?.dispose()]);
    if (work !== undefined) fs.rmSync(work, { recursive: true, force: true });
  });

  it('links a folder moved to another volume with a junction that names it the Windows way, and reads it back', () => {
    const volumeRoot = '\\\\?\\Volume{6B29FC40-CA47-1067-B31D-00DD010662DA}\\';
    const plan = JSON.parse(cli('plan', '--json', manifest()).stdout) as Plan;
    expect(plan.actions.map((a) => [a.kind, linkOf(a)?.type, a.notes])).toEqual([
      ['create', 'junction', [`written for Windows as ${volumeRoot}App`]],
      ['create', 'symlink', [`written for Windows as ${volumeRoot}data.bin`]],
    ]);
    const r = cli('apply', manifest());
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(getfattrHex(path.join(d.mountPoint, 'Program Files/App'), XATTR_NTFS_REPARSE_DATA)).toEqual(encodeMountPoint(`${volumeRoot}App`));
    expect(getfattrHex(path.join(d.mountPoint, 'data.txt'), XATTR_NTFS_REPARSE_DATA)).toEqual(encodeSymlink(`${volumeRoot}data.bin`, { relative: false }));
    // read back as the Linux paths the manifest gave: nothing to do
    const again = JSON.parse(cli('plan', '--json', manifest()).stdout) as Plan;
    expect(again.actions.map((a) => [a.kind, a.before])).toEqual([
      ['noop', { kind: 'junction', linkText: path.join(e.mountPoint, 'App') }],
      ['noop', { kind: 'symlink', linkText: path.join(e.mountPoint, 'data.bin') }],
    ]);
    expect(fs.readFileSync(path.join(e.mountPoint, 'App/app.exe'), 'utf8')).toBe('the app');
  });

  it('refuses a hard link from one volume to the other, and a relative link between them', () => {
    const other = path.join(work, 'cross.yaml');
    fs.writeFileSync(
      other,
      [
        'version: 1',
        'volumes:',
        `  - { mount: ${d.mountPoint}, windows: "C:" }`,
        `  - { mount: ${e.mountPoint}, windows: "E:" }`,
        'links:',
        `  - { path: ${d.mountPoint}/hard.bin, target: ${e.mountPoint}/data.bin, type: hardlink }`,
        `  - { path: ${d.mountPoint}/rel.bin, target: ${e.mountPoint}/data.bin, relative: true }`,
        `  - { path: ${work}/notes.txt, target: ${d.mountPoint}/notes.txt, type: hardlink }`,
        '',
      ].join('\n'),
    );
    const r = cli('plan', other);
    expect(r.code).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines).toContain(`  ! conflict ${d.mountPoint}/hard.bin: hard links cannot cross volumes, and ${e.mountPoint}/data.bin is on another volume`);
    expect(lines).toContain(`  ! conflict ${d.mountPoint}/rel.bin: relative text cannot lead from the NTFS volume C:\\ to E:\\: Windows reads it within the link's own volume`);
    expect(lines).toContain(`  ! conflict notes.txt: hard links cannot cross volumes, and ${d.mountPoint}/notes.txt is on another volume`);
    expect(cli('apply', other, '--yes').code).toBe(1);
    expect(fs.existsSync(path.join(d.mountPoint, 'hard.bin'))).toBe(false);
  });
});
