// The ntfs-3g driver on a real NTFS volume: a fresh image made with mkntfs and mounted with ntfs-3g.
// Junctions, directory and file symlinks (absolute and relative) and hard links are made through
// the driver, their raw reparse buffers read back with an independent tool (getfattr) and compared
// byte for byte with the codec's, then observed, remounted and observed again; retargets happen in
// place; removals never touch a target's files; foreign reparse points are reported and left
// alone. The pure parts (mountinfo parsing, Windows path translation) run everywhere; the volume
// tests skip loudly where ntfs-3g cannot run, and fail instead on CI.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeReparse,
  encodeAppExecLink,
  encodeMountPoint,
  encodeRawReparse,
  encodeSymlink,
  IO_REPARSE_TAG_APPEXECLINK,
  IO_REPARSE_TAG_CLOUD,
  IO_REPARSE_TAG_MOUNT_POINT,
  IO_REPARSE_TAG_SYMLINK,
  IO_REPARSE_TAG_WOF,
} from '../src/drivers/ntfs/reparse.js';
import { FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT, Ntfs3gDriver, ntfs3gDriverFor } from '../src/drivers/ntfs3g/driver.js';
import { libcXattr, lgetxattr, lsetxattr, XattrError, XATTR_NTFS_REPARSE_DATA, type XattrCalls } from '../src/drivers/ntfs3g/libc.js';
import { isNtfs3gMount, mountOf, ntfs3gMountOf, ntfs3gMounts, parseMountInfo } from '../src/drivers/ntfs3g/mounts.js';
import { normalizeWindowsRoot, WindowsPaths } from '../src/drivers/ntfs3g/windows-paths.js';
import { UsageError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import type { LinkSpec } from '../src/core/types.js';
import { getfattrHex, JDK_TREE, mountFreshVolume, skipNtfs3gTests, type NtfsVolume } from './helpers/ntfs.js';
import { snapshot, writeTree } from './helpers/tree.js';
import { driverError, thrown } from './helpers/errors.js';

const skip = skipNtfs3gTests();

/** A child process that lists a folder through a link until told to stop, and reports any failure. */
const READER = `
const fs = require('node:fs');
const p = process.argv[1];
let reads = 0, stop = false;
const failures = [];
process.stdin.on('data', () => (stop = true));
process.stdout.write('ready\\n');
(function loop() {
  for (let i = 0; i < 20; i++) {
    try {
      const names = fs.readdirSync(p);
      if (!names.includes('bin')) failures.push('no bin in ' + names.join(','));
      reads++;
    } catch (e) {
      failures.push(e.code);
    }
  }
  if (stop) process.stdout.write(JSON.stringify({ reads, failures: failures.slice(0, 10) }), () => process.exit(0));
  else setImmediate(loop);
})();
`;

const GUID = '{6B29FC40-CA47-1067-B31D-00DD010662DA}';
const VOLUME_ROOT = `\\\\?\\Volume${GUID}\\`;

// ---------------------------------------------------------------------------------------------
// Pure parts: run on every machine
// ---------------------------------------------------------------------------------------------

describe('mountinfo', () => {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    '42 22 0:39 / /tmp/x/mnt rw,relatime - fuse /tmp/x/img rw,user_id=0,group_id=0,allow_other',
    '43 22 0:40 / /media/my\\040disk rw,nosuid shared:7 master:2 - fuseblk /dev/sdb1 rw,user_id=0,group_id=0,default_permissions,allow_other,blksize=4096',
    '44 43 0:41 / /media/my\\040disk/inner rw - tmpfs tmpfs rw',
    '45 22 0:42 / /srv/win rw - fuse.ntfs-3g /dev/sdc1 rw,allow_other',
    '46 22 0:43 / /srv/ssh rw - fuse.sshfs me@host:/ rw',
    '47 22 0:44 / /tmp/x/mnt rw - ext4 /dev/sdd1 rw',
    'garbage line',
    '',
  ].join('\n');
  const mounts = parseMountInfo(text);

  it('parses every line it can read, with escapes undone and optional fields skipped', () => {
    expect(mounts.map((m) => [m.mountPoint, m.fstype, m.source])).toEqual([
      ['/', 'ext4', '/dev/sda1'],
      ['/tmp/x/mnt', 'fuse', '/tmp/x/img'],
      ['/media/my disk', 'fuseblk', '/dev/sdb1'],
      ['/media/my disk/inner', 'tmpfs', 'tmpfs'],
      ['/srv/win', 'fuse.ntfs-3g', '/dev/sdc1'],
      ['/srv/ssh', 'fuse.sshfs', 'me@host:/'],
      ['/tmp/x/mnt', 'ext4', '/dev/sdd1'],
    ]);
    expect(mounts[1]).toEqual({
      id: 42,
      parentId: 22,
      device: '0:39',
      root: '/',
      mountPoint: '/tmp/x/mnt',
      options: 'rw,relatime',
      fstype: 'fuse',
      source: '/tmp/x/img',
      superOptions: 'rw,user_id=0,group_id=0,allow_other',
    });
  });

  it('finds the mount holding a path by the longest prefix, the later of two on one point', () => {
    expect(mountOf('/media/my disk/a/b', mounts)?.id).toBe(43);
    expect(mountOf('/media/my disk/inner/x', mounts)?.id).toBe(44);
    expect(mountOf('/media/my diskette', mounts)?.id).toBe(22);
    expect(mountOf('/tmp/x/mnt/file', mounts)?.id).toBe(47);
    expect(mountOf('/srv/win/../ssh/x', mounts)?.id).toBe(46);
  });

  it('takes fuse.ntfs-3g by name and plain fuse/fuseblk only when the probe confirms', () => {
    const probed: string[] = [];
    const probe = (mp: string): boolean => {
      probed.push(mp);
      return mp === '/media/my disk';
    };
    expect(ntfs3gMounts({ mounts, probe }).map((m) => m.id)).toEqual([43, 45]);
    expect(probed).toEqual(['/tmp/x/mnt', '/media/my disk']);
    expect(ntfs3gMountOf('/media/my disk/Users', { mounts, probe })?.source).toBe('/dev/sdb1');
    expect(ntfs3gMountOf('/media/my disk/inner/x', { mounts, probe })).toBeUndefined();
    expect(ntfs3gMountOf('/srv/ssh/x', { mounts, probe })).toBeUndefined();
    const ssh = mounts.find((m) => m.id === 46);
    expect(ssh !== undefined && isNtfs3gMount(ssh, { probe: () => true })).toBe(false);
  });
});

describe('Windows paths of a volume', () => {
  const d = new WindowsPaths({ mountPoint: '/mnt/d', windowsRoot: 'd:' });
  const v = new WindowsPaths({ mountPoint: '/mnt/d/', windowsRoot: VOLUME_ROOT.toLowerCase() });

  it('normalises volume roots', () => {
    expect(normalizeWindowsRoot('d:')).toBe('D:\\');
    expect(normalizeWindowsRoot('D:/')).toBe('D:\\');
    expect(normalizeWindowsRoot('\\\\?\\E:\\')).toBe('E:\\');
    expect(normalizeWindowsRoot(`\\\\?\\Volume${GUID}`)).toBe(VOLUME_ROOT);
    expect(normalizeWindowsRoot('D:\\x')).toBeUndefined();
    expect(normalizeWindowsRoot('\\\\server\\share')).toBeUndefined();
    expect(() => new WindowsPaths({ mountPoint: '/mnt/d', windowsRoot: 'nowhere' })).toThrow(UsageError);
    expect(() => new WindowsPaths({ mountPoint: 'mnt', windowsRoot: 'D:' })).toThrow(UsageError);
  });

  it('turns Linux paths on the volume into Windows paths', () => {
    expect(d.toWindows('/mnt/d')).toBe('D:\\');
    expect(d.toWindows('/mnt/d/tools/jdk-21')).toBe('D:\\tools\\jdk-21');
    expect(v.toWindows('/mnt/d/tools/jdk-21')).toBe(`\\\\?\\Volume${GUID.toLowerCase()}\\tools\\jdk-21`);
    expect(d.toWindows('/mnt/dx/a')).toBeUndefined();
    expect(d.toWindows('/home/me')).toBeUndefined();
    expect(() => d.toWindows('/mnt/d/a:b')).toThrow(/"a:b" is a name Windows cannot use/);
    expect(() => d.toWindows('/mnt/d/back\\slash')).toThrow(/Windows cannot use/);
    expect(() => d.toWindows('/mnt/d/dot.')).toThrow(/Windows cannot use/);
  });

  it('turns Windows paths on the volume into Linux paths, and leaves others alone', () => {
    expect(d.toLinux('D:\\tools\\jdk-21')).toBe('/mnt/d/tools/jdk-21');
    expect(d.toLinux('d:\\Tools\\')).toBe('/mnt/d/Tools');
    expect(d.toLinux('D:\\')).toBe('/mnt/d');
    expect(d.toLinux('\\??\\D:\\a')).toBe('/mnt/d/a');
    expect(d.toLinux('\\\\?\\D:\\a')).toBe('/mnt/d/a');
    expect(d.toLinux('C:\\tools')).toBeUndefined();
    expect(d.toLinux('D:tools')).toBeUndefined();
    expect(d.toLinux('D:\\a\\..\\b')).toBeUndefined();
    expect(v.toLinux(`\\\\?\\Volume${GUID}\\x\\y`)).toBe('/mnt/d/x/y');
    expect(v.toLinux(`\\\\?\\Volume${GUID}\\`)).toBe('/mnt/d');
    expect(v.toLinux('D:\\x')).toBeUndefined();
    expect(d.contains('/mnt/d')).toBe(true);
    expect(d.contains('/mnt/d/x/../y')).toBe(true);
    expect(d.contains('/mnt/d/../e')).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// A real volume
// ---------------------------------------------------------------------------------------------

describe.skipIf(skip)('Ntfs3gDriver on a real NTFS volume (ntfs-3g)', () => {
  let vol: NtfsVolume;
  let d: Ntfs3gDriver;
  const at = (rel: string): AbsPath => path.join(vol.mountPoint, rel) as AbsPath;
  const junction = (target: string, linkText = target): LinkSpec => ({ type: 'junction', target: target as AbsPath, linkText });
  const symlink = (target: string, linkText = target): LinkSpec => ({ type: 'symlink', target: target as AbsPath, linkText });
  const reparseOf = (rel: string): Buffer | undefined => getfattrHex(at(rel), XATTR_NTFS_REPARSE_DATA);
  const attribOf = (rel: string): number => {
    const b = getfattrHex(at(rel), 'system.ntfs_attrib');
    if (b === undefined) throw new Error(`${rel} has no system.ntfs_attrib`);
    return b.readUInt32LE(0);
  };

  beforeAll(async () => {
    vol = await mountFreshVolume();
    d = new Ntfs3gDriver({ mountPoint: vol.mountPoint, windowsRoot: 'D:\\' });
    writeTree(vol.mountPoint, JDK_TREE);
  });

  afterAll(async () => {
    await vol?.dispose();
  });

  it('finds its volume in /proc/self/mountinfo', () => {
    const m = ntfs3gMountOf(at('tools/jdk-21'));
    expect(m?.mountPoint).toBe(vol.mountPoint);
    expect(m?.source).toBe(vol.image);
    expect(['fuse', 'fuseblk', 'fuse.ntfs-3g']).toContain(m?.fstype);
    expect(ntfs3gMountOf(os.tmpdir())).toBeUndefined();
    const found = ntfs3gDriverFor(at('tools'), { windowsRoot: 'e:' });
    expect([found?.name, found?.mountPoint, found?.windowsRoot]).toEqual(['ntfs-3g', vol.mountPoint, 'E:\\']);
    expect(ntfs3gDriverFor(os.tmpdir(), { windowsRoot: 'E:' })).toBeUndefined();
    expect(d.capabilities()).toEqual({ symlinks: true, junctions: true, hardlinks: true });
  });

  it('calls libc without following links and names errno', () => {
    const xattrError = (fn: () => unknown): XattrError => thrown(XattrError, fn);
    const missing = xattrError(() => lgetxattr(at('nope'), XATTR_NTFS_REPARSE_DATA));
    expect([missing.code, missing.errno, missing.syscall]).toEqual(['ENOENT', 2, 'lgetxattr']);
    expect(missing.message).toBe(`ENOENT: No such file or directory, lgetxattr '${at('nope')}'`);
    expect(xattrError(() => lgetxattr(at('data/file.txt'), XATTR_NTFS_REPARSE_DATA)).code).toBe('ENODATA');
    expect(xattrError(() => libcXattr.lremovexattr(at('data'), XATTR_NTFS_REPARSE_DATA)).code).toBe('ENODATA');
    expect(xattrError(() => lsetxattr(at('data'), XATTR_NTFS_REPARSE_DATA, { value: encodeMountPoint('D:\\tools'), mode: 'replace' })).code).toBe('ENODATA');
    // ntfs-3g checks the buffer's own lengths
    expect(xattrError(() => lsetxattr(at('data'), XATTR_NTFS_REPARSE_DATA, { value: Buffer.from([1, 2, 3]) })).code).toBe('EINVAL');
    expect(lgetxattr(at('data'), 'system.ntfs_attrib').readUInt32LE(0) & FILE_ATTRIBUTE_DIRECTORY).toBe(FILE_ATTRIBUTE_DIRECTORY);
  });

  it('makes a junction to a folder on the volume, in the bytes Windows writes', () => {
    const target = at('tools/jdk-21');
    const j = at('links/jdk');
    d.createLink(j, junction(target));

    const raw = reparseOf('links/jdk');
    expect(raw).toEqual(encodeMountPoint('D:\\tools\\jdk-21'));
    expect(decodeReparse(raw ?? Buffer.alloc(0))).toEqual({
      kind: 'mount-point',
      tag: IO_REPARSE_TAG_MOUNT_POINT,
      substituteName: '\\??\\D:\\tools\\jdk-21',
      printName: 'D:\\tools\\jdk-21',
      target: 'D:\\tools\\jdk-21',
      isVolume: false,
    });
    const attrs = attribOf('links/jdk');
    expect(attrs & FILE_ATTRIBUTE_DIRECTORY).toBe(FILE_ATTRIBUTE_DIRECTORY);
    expect(attrs & FILE_ATTRIBUTE_REPARSE_POINT).toBe(FILE_ATTRIBUTE_REPARSE_POINT);

    expect(d.observe(j)).toEqual({ kind: 'junction', linkText: target });
    expect(d.observeTarget(j)).toEqual({ kind: 'dir', dev: fs.statSync(target).dev });
    expect(fs.readdirSync(j).sort()).toEqual(['bin', 'release']);
    expect(fs.readFileSync(path.join(j, 'bin', 'java'), 'utf8')).toBe('java 21');
    expect(d.listDir(at('links'))).toEqual([{ name: 'jdk', kind: 'link' }]);
  });

  it('takes Windows paths as junction targets, and reports other volumes raw', () => {
    d.createLink(at('links/win17'), junction(at('tools/jdk-17'), 'D:\\tools\\jdk-17'));
    expect(reparseOf('links/win17')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));
    expect(d.observe(at('links/win17'))).toEqual({ kind: 'junction', linkText: at('tools/jdk-17') });

    d.createLink(at('links/other-drive'), junction(at('links/other-drive'), 'C:\\Program Files\\App'));
    expect(reparseOf('links/other-drive')).toEqual(encodeMountPoint('C:\\Program Files\\App'));
    expect(d.observe(at('links/other-drive'))).toEqual({ kind: 'junction', linkText: 'C:\\Program Files\\App' });
  });

  it('names the volume by its GUID path when told to', () => {
    const byGuid = new Ntfs3gDriver({ mountPoint: vol.mountPoint, windowsRoot: VOLUME_ROOT });
    byGuid.createLink(at('links/by-guid'), junction(at('tools/jdk-21')));
    const raw = reparseOf('links/by-guid');
    expect(raw).toEqual(encodeMountPoint(`${VOLUME_ROOT}tools\\jdk-21`));
    expect(decodeReparse(raw ?? Buffer.alloc(0))).toMatchObject({ substituteName: `\\??\\Volume${GUID}\\tools\\jdk-21`, isVolume: false });
    expect(byGuid.observe(at('links/by-guid'))).toEqual({ kind: 'junction', linkText: at('tools/jdk-21') });
    // a driver that knows the volume as D: cannot tell that GUID is its own: the raw path
    expect(d.observe(at('links/by-guid'))).toEqual({ kind: 'junction', linkText: `${VOLUME_ROOT}tools\\jdk-21` });
  });

  it('makes a directory symbolic link on a folder object', () => {
    const target = at('tools/jdk-17');
    d.createLink(at('links/dirlink'), symlink(target));
    const raw = reparseOf('links/dirlink');
    expect(raw).toEqual(encodeSymlink('D:\\tools\\jdk-17', { relative: false }));
    expect(decodeReparse(raw ?? Buffer.alloc(0))).toEqual({
      kind: 'symlink',
      tag: IO_REPARSE_TAG_SYMLINK,
      substituteName: '\\??\\D:\\tools\\jdk-17',
      printName: 'D:\\tools\\jdk-17',
      flags: 0,
      relative: false,
      target: 'D:\\tools\\jdk-17',
    });
    // NTFS takes a symlink's folder-ness from the link object's own directory attribute
    expect(attribOf('links/dirlink') & FILE_ATTRIBUTE_DIRECTORY).toBe(FILE_ATTRIBUTE_DIRECTORY);
    expect(d.observe(at('links/dirlink'))).toEqual({ kind: 'symlink', linkText: target });
    expect(fs.readFileSync(at('links/dirlink/bin/java'), 'utf8')).toBe('java 17');
  });

  it('makes file symbolic links, absolute and relative, on file objects', () => {
    d.createLink(at('links/abs.txt'), symlink(at('data/file.txt')));
    expect(reparseOf('links/abs.txt')).toEqual(encodeSymlink('D:\\data\\file.txt', { relative: false }));
    expect(attribOf('links/abs.txt') & FILE_ATTRIBUTE_DIRECTORY).toBe(0);
    expect(d.observe(at('links/abs.txt'))).toEqual({ kind: 'symlink', linkText: at('data/file.txt') });
    expect(fs.readFileSync(at('links/abs.txt'), 'utf8')).toBe('the file');

    d.createLink(at('links/rel.txt'), symlink(at('data/file.txt'), '../data/file.txt'));
    const raw = reparseOf('links/rel.txt');
    expect(raw).toEqual(encodeSymlink('..\\data\\file.txt', { relative: true }));
    expect(decodeReparse(raw ?? Buffer.alloc(0))).toMatchObject({ substituteName: '..\\data\\file.txt', flags: 1, relative: true });
    expect(attribOf('links/rel.txt') & FILE_ATTRIBUTE_DIRECTORY).toBe(0);
    expect(d.observe(at('links/rel.txt'))).toEqual({ kind: 'symlink', linkText: '../data/file.txt' });
    expect(fs.readlinkSync(at('links/rel.txt'))).toBe('../data/file.txt');
    expect(fs.readFileSync(at('links/rel.txt'), 'utf8')).toBe('the file');

    d.createLink(at('links/reldir'), symlink(at('tools/jdk-21'), '../tools/jdk-21'));
    expect(reparseOf('links/reldir')).toEqual(encodeSymlink('..\\tools\\jdk-21', { relative: true }));
    expect(attribOf('links/reldir') & FILE_ATTRIBUTE_DIRECTORY).toBe(FILE_ATTRIBUTE_DIRECTORY);
    expect(fs.readdirSync(at('links/reldir')).sort()).toEqual(['bin', 'release']);
  });

  it('makes hard links and removes them without touching the other name', () => {
    const target = at('data/other.txt');
    d.createLink(at('links/hard.txt'), { type: 'hardlink', target, linkText: target });
    const a = d.observe(at('links/hard.txt'));
    const b = d.observe(target);
    expect(a).toMatchObject({ kind: 'file', nlink: 2, size: 14 });
    expect(a.kind === 'file' && b.kind === 'file' && a.fileId === b.fileId).toBe(true);
    expect(reparseOf('links/hard.txt')).toBeUndefined();
    d.removeLink(at('links/hard.txt'));
    expect(d.observe(at('links/hard.txt'))).toEqual({ kind: 'absent' });
    expect(d.observe(target)).toMatchObject({ kind: 'file', nlink: 1 });
    expect(fs.readFileSync(target, 'utf8')).toBe('the other file');
  });

  it('keeps every link across an unmount and a fresh mount', async () => {
    fs.mkdirSync(at('persist'));
    d.createLink(at('persist/j'), junction(at('tools/jdk-21')));
    d.createLink(at('persist/dirlink'), symlink(at('tools/jdk-17')));
    d.createLink(at('persist/rel.txt'), symlink(at('data/file.txt'), '../data/file.txt'));
    d.createLink(at('persist/hard.txt'), { type: 'hardlink', target: at('data/file.txt'), linkText: at('data/file.txt') });
    const names = ['j', 'dirlink', 'rel.txt', 'hard.txt'];
    const before = names.map((n) => ({
      raw: reparseOf(`persist/${n}`)?.toString('hex'),
      entry: d.observe(at(`persist/${n}`)),
      ino: fs.lstatSync(at(`persist/${n}`)).ino,
    }));
    expect(before.map((b) => b.entry.kind)).toEqual(['junction', 'symlink', 'symlink', 'file']);

    const pid = vol.pid;
    await vol.remount();
    expect(vol.pid).toBeDefined();
    expect(vol.pid).not.toBe(pid);

    const after = names.map((n) => ({
      raw: reparseOf(`persist/${n}`)?.toString('hex'),
      entry: d.observe(at(`persist/${n}`)),
      ino: fs.lstatSync(at(`persist/${n}`)).ino,
    }));
    expect(after).toEqual(before);
    expect(after[0]?.raw).toBe(encodeMountPoint('D:\\tools\\jdk-21').toString('hex'));
    expect(attribOf('persist/dirlink') & FILE_ATTRIBUTE_DIRECTORY).toBe(FILE_ATTRIBUTE_DIRECTORY);
    expect(fs.readFileSync(at('persist/j/bin/java'), 'utf8')).toBe('java 21');
    expect(fs.readFileSync(at('persist/rel.txt'), 'utf8')).toBe('the file');
  });

  it('retargets a junction in place: same MFT record, new data, old target untouched', () => {
    const j = at('links/switch');
    d.createLink(j, junction(at('tools/jdk-21')));
    const ino = fs.lstatSync(j).ino;
    const old = snapshot(at('tools/jdk-21'));

    d.replaceLink(j, junction(at('tools/jdk-17')));

    expect(fs.lstatSync(j).ino).toBe(ino);
    expect(reparseOf('links/switch')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));
    expect(d.observe(j)).toEqual({ kind: 'junction', linkText: at('tools/jdk-17') });
    expect(fs.readFileSync(path.join(j, 'bin', 'java'), 'utf8')).toBe('java 17');
    expect(snapshot(at('tools/jdk-21'))).toEqual(old);
  });

  it('never leaves a moment without the junction while retargeting it (a reader in another process)', async () => {
    const j = at('links/watched');
    d.createLink(j, junction(at('tools/jdk-21')));
    const reader = spawn(process.execPath, ['-e', READER, j], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (b: Buffer) => (out += b.toString()));
    await new Promise<void>((resolve) => reader.stdout.once('data', () => resolve()));
    for (let i = 0; i < 60; i++) d.replaceLink(j, junction(at(i % 2 === 0 ? 'tools/jdk-17' : 'tools/jdk-21')));
    reader.stdin.end('stop\n');
    await new Promise((resolve) => reader.once('exit', resolve));
    const seen = JSON.parse(out.slice(out.indexOf('{'))) as { reads: number; failures: string[] };
    expect(seen.failures).toEqual([]);
    // the last batch of 20 reads runs after "stop"; every earlier one overlapped the retargets
    expect(seen.reads).toBeGreaterThan(20);
    expect(d.observe(j)).toEqual({ kind: 'junction', linkText: at('tools/jdk-21') });
  });

  it('retargets symlinks in place, and changes the kind of a link by renaming a new one over it', () => {
    const s = at('links/switch.txt');
    d.createLink(s, symlink(at('data/file.txt')));
    const ino = fs.lstatSync(s).ino;
    d.replaceLink(s, symlink(at('data/other.txt'), '../data/other.txt'));
    expect(fs.lstatSync(s).ino).toBe(ino);
    expect(reparseOf('links/switch.txt')).toEqual(encodeSymlink('..\\data\\other.txt', { relative: true }));
    expect(fs.readFileSync(s, 'utf8')).toBe('the other file');

    // file symlink -> directory symlink: the link object must become a folder, so a new one replaces it
    d.replaceLink(s, symlink(at('tools/jdk-21')));
    expect(reparseOf('links/switch.txt')).toEqual(encodeSymlink('D:\\tools\\jdk-21', { relative: false }));
    expect(attribOf('links/switch.txt') & FILE_ATTRIBUTE_DIRECTORY).toBe(FILE_ATTRIBUTE_DIRECTORY);

    // directory symlink -> junction
    d.replaceLink(s, junction(at('tools/jdk-17')));
    expect(d.observe(s)).toEqual({ kind: 'junction', linkText: at('tools/jdk-17') });
    expect(reparseOf('links/switch.txt')).toEqual(encodeMountPoint('D:\\tools\\jdk-17'));

    // junction -> hard link
    const nlink = fs.statSync(at('data/file.txt')).nlink;
    d.replaceLink(s, { type: 'hardlink', target: at('data/file.txt'), linkText: at('data/file.txt') });
    expect(d.observe(s)).toMatchObject({ kind: 'file', nlink: nlink + 1 });
    expect(reparseOf('links/switch.txt')).toBeUndefined();
    d.removeLink(s);
    expect(fs.readdirSync(at('links')).filter((n) => n.includes('linkplan-'))).toEqual([]);
    expect(snapshot(at('tools'))['jdk-17/bin/java']).toMatchObject({ kind: 'file' });
  });

  it('removes junctions and directory symlinks as links, never their full targets', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 40; i++) files[`f${i}.txt`] = `content ${i}`;
    writeTree(at('full'), { ...files, sub: { deep: { 'x.bin': 'x' }, 'y.txt': 'y' } });
    const before = snapshot(at('full'));
    expect(Object.keys(before)).toHaveLength(44);

    d.createLink(at('links/to-full'), junction(at('full')));
    d.createLink(at('links/sym-full'), symlink(at('full')));
    d.createLink(at('links/rel-full'), symlink(at('full'), '../full'));
    expect(fs.readdirSync(at('links/to-full'))).toHaveLength(41);

    d.removeLink(at('links/to-full'));
    d.removeLink(at('links/sym-full'));
    d.removeLink(at('links/rel-full'));

    for (const n of ['to-full', 'sym-full', 'rel-full']) expect(d.observe(at(`links/${n}`))).toEqual({ kind: 'absent' });
    expect(snapshot(at('full'))).toEqual(before);

    d.createLink(at('links/file-sym'), symlink(at('data/file.txt')));
    d.removeLink(at('links/file-sym'));
    expect(d.observe(at('links/file-sym'))).toEqual({ kind: 'absent' });
    expect(fs.readFileSync(at('data/file.txt'), 'utf8')).toBe('the file');
  });

  it('refuses what Windows refuses, and leaves nothing behind', () => {
    fs.mkdirSync(at('refuse'));
    writeTree(at('refuse/busy'), { 'keep.txt': 'keep' });
    fs.mkdirSync(at('refuse/empty'));

    // a junction onto an existing folder, full or empty (ntfs-3g itself would take both)
    expect(driverError(() => d.createLink(at('refuse/busy'), junction(at('tools/jdk-21')))).code).toBe('EEXIST');
    expect(driverError(() => d.createLink(at('refuse/empty'), junction(at('tools/jdk-21')))).code).toBe('EEXIST');
    expect(snapshot(at('refuse/busy'))).toEqual({ 'keep.txt': expect.objectContaining({ kind: 'file' }) as unknown });
    expect(reparseOf('refuse/busy')).toBeUndefined();
    expect(reparseOf('refuse/empty')).toBeUndefined();

    const cases: [string, LinkSpec, string, RegExp][] = [
      ['to-file', junction(at('data/file.txt')), 'ENOTDIR', /is not a folder/],
      ['relative', junction(at('tools/jdk-21'), 'tools/jdk-21'), 'EINVAL', /is relative/],
      ['windows-relative', junction(at('tools/jdk-21'), '..\\tools\\jdk-21'), 'EINVAL', /is relative/],
      ['off-volume', junction(os.tmpdir()), 'EXDEV', /is not on this NTFS volume/],
      ['unc', junction(at('x'), '\\\\server\\share\\dir'), 'EINVAL', /network path/],
      ['sym-off-volume', symlink(os.tmpdir()), 'EXDEV', /is not on this NTFS volume/],
      ['sym-rel-escape', symlink('/x', '../../../../../../x'), 'EXDEV', /leads off the volume/],
      ['bad-name', junction(at('a:b')), 'EINVAL', /Windows cannot use/],
    ];
    for (const [name, link, code, message] of cases) {
      const e = driverError(() => d.createLink(at(`refuse/${name}`), link));
      expect([name, e.code]).toEqual([name, code]);
      expect(e.message).toMatch(message);
      expect(e.message.startsWith(`${at(`refuse/${name}`)}: `)).toBe(true);
      expect(d.observe(at(`refuse/${name}`))).toEqual({ kind: 'absent' });
    }
    expect(driverError(() => d.createLink(`${os.tmpdir()}/elsewhere` as AbsPath, junction(at('tools/jdk-21')))).message).toMatch(
      /is not on the NTFS volume mounted at/,
    );
  });

  it('reports foreign reparse points by tag and never touches them', () => {
    fs.mkdirSync(at('foreign'));
    writeTree(at('foreign'), { 'compressed.bin': 'wof data', 'vendor.dat': 'third party', 'alias.exe': '', cloud: {} });
    const wof = Buffer.alloc(16);
    wof.writeUInt32LE(1, 0); // WOF version
    wof.writeUInt32LE(2, 4); // provider: file
    const buffers: [string, Buffer, number, string][] = [
      ['compressed.bin', encodeRawReparse(IO_REPARSE_TAG_WOF, wof), IO_REPARSE_TAG_WOF, 'WOF'],
      ['vendor.dat', encodeRawReparse(0x00001234, Buffer.from('abcd'), GUID), 0x00001234, '0x00001234'],
      [
        'alias.exe',
        encodeAppExecLink({ packageId: 'Python.3.12', appUserModelId: 'Python.3.12!Python', targetPath: 'C:\\Program Files\\WindowsApps\\python.exe', appType: '0' }),
        IO_REPARSE_TAG_APPEXECLINK,
        'APPEXECLINK',
      ],
      ['cloud', encodeRawReparse(IO_REPARSE_TAG_CLOUD, Buffer.from('placeholder')), IO_REPARSE_TAG_CLOUD, 'CLOUD'],
    ];
    for (const [name, buf, tag, tagName] of buffers) {
      const p = at(`foreign/${name}`);
      lsetxattr(p, XATTR_NTFS_REPARSE_DATA, { value: buf });
      expect(d.observe(p)).toEqual({ kind: 'reparse', tag, tagName });
      expect(driverError(() => d.removeLink(p)).message).toMatch(new RegExp(`is a ${tagName} reparse point .*linkplan never touches it`));
      expect(driverError(() => d.replaceLink(p, junction(at('tools/jdk-21')))).message).toMatch(/is no longer a link/);
      expect(driverError(() => d.createLink(p, junction(at('tools/jdk-21')))).code).toBe('EEXIST');
      expect(getfattrHex(p, XATTR_NTFS_REPARSE_DATA)).toEqual(buf);
      expect(lgetxattr(p, XATTR_NTFS_REPARSE_DATA)).toEqual(buf);
    }
    const third = decodeReparse(getfattrHex(at('foreign/vendor.dat'), XATTR_NTFS_REPARSE_DATA) ?? Buffer.alloc(0));
    expect(third).toMatchObject({ kind: 'other', tag: 0x00001234, guid: GUID, data: new Uint8Array(Buffer.from('abcd')) });
  });

  it('refuses to remove plain files and folders', () => {
    fs.mkdirSync(at('plain'));
    fs.writeFileSync(at('plain/file.txt'), 'mine');
    for (const p of [at('plain/file.txt'), at('plain')]) {
      expect(driverError(() => d.removeLink(p)).message).toMatch(/is not a link; linkplan never deletes files or folders/);
      expect(driverError(() => d.replaceLink(p, symlink(at('data/file.txt')))).message).toMatch(/is no longer a link/);
    }
    expect(fs.readFileSync(at('plain/file.txt'), 'utf8')).toBe('mine');
  });

  it('will not remove a junction whose own folder holds entries (made behind its back)', () => {
    writeTree(at('odd'), { 'inside.txt': 'inside' });
    lsetxattr(at('odd'), XATTR_NTFS_REPARSE_DATA, { value: encodeMountPoint('D:\\tools\\jdk-21') });
    expect(d.observe(at('odd'))).toEqual({ kind: 'junction', linkText: at('tools/jdk-21') });
    const e = driverError(() => d.removeLink(at('odd')));
    expect(e.code).toBe('ENOTEMPTY');
    libcXattr.lremovexattr(at('odd'), XATTR_NTFS_REPARSE_DATA);
    expect(d.observe(at('odd'))).toMatchObject({ kind: 'dir' });
    expect(fs.readFileSync(at('odd/inside.txt'), 'utf8')).toBe('inside');
  });

  it('reads entries right after their conversion despite the one-time EIO', () => {
    fs.mkdirSync(at('fresh'));
    const stat = fs.lstatSync(at('fresh')); // the kernel now caches a folder here
    expect(stat.isDirectory()).toBe(true);
    lsetxattr(at('fresh'), XATTR_NTFS_REPARSE_DATA, { value: encodeMountPoint('D:\\data') });
    expect(d.observe(at('fresh'))).toEqual({ kind: 'junction', linkText: at('data') });
    expect(d.observeTarget(at('fresh'))).toMatchObject({ kind: 'dir' });
    d.removeLink(at('fresh'));
    expect(d.observe(at('fresh'))).toEqual({ kind: 'absent' });
  });

  it('removes the folder or file it made when writing the reparse data fails', () => {
    const failing: XattrCalls = {
      ...libcXattr,
      lsetxattr: (p) => {
        throw new XattrError('lsetxattr', p, 5, 'Input/output error');
      },
    };
    const broken = new Ntfs3gDriver({ mountPoint: vol.mountPoint, windowsRoot: 'D:\\', xattr: failing });
    const e = driverError(() => broken.createLink(at('links/broken-j'), junction(at('tools/jdk-21'))));
    expect(e.code).toBe('EIO');
    expect(e.message).toBe(`${at('links/broken-j')}: cannot create junction (EIO: Input/output error)`);
    expect(d.observe(at('links/broken-j'))).toEqual({ kind: 'absent' });
    expect(driverError(() => broken.createLink(at('links/broken-s'), symlink(at('data/file.txt')))).code).toBe('EIO');
    expect(d.observe(at('links/broken-s'))).toEqual({ kind: 'absent' });
  });

  it('reads symlinks ntfs-3g made through symlink(2) as plain symlinks', () => {
    fs.symlinkSync('../data/file.txt', at('links/posix.txt'));
    expect(reparseOf('links/posix.txt')).toBeUndefined();
    expect(d.observe(at('links/posix.txt'))).toEqual({ kind: 'symlink', linkText: '../data/file.txt' });
    d.replaceLink(at('links/posix.txt'), symlink(at('data/other.txt'), '../data/other.txt'));
    expect(reparseOf('links/posix.txt')).toEqual(encodeSymlink('..\\data\\other.txt', { relative: true }));
    d.removeLink(at('links/posix.txt'));
    expect(d.observe(at('links/posix.txt'))).toEqual({ kind: 'absent' });
  });
});
