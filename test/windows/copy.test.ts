// The Windows driver's tree copy (a relocation's) on a real NTFS volume: a junction inside (one
// leading outside the tree) is copied as a junction with the same target, never followed (what it
// leads to is not copied); a symbolic link too, when run elevated (its reparse data is written
// on a handle, which Developer Mode's flag does not cover); files byte for byte
// with their last write time and their read-only and hidden attributes, as Windows' own tools read
// them; nothing in such a tree refused at plan time; and the copy's top folder still the one the
// journal was told of at the end (its creation time, part of that identity, is its own).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AbsPath } from '../../src/core/paths.js';
import { WindowsDriver } from '../../src/drivers/windows/driver.js';
import { tempDir } from '../helpers/tree.js';
import { canCreateSymlinks, linkType, reparsePoint, TAG_MOUNT_POINT, TAG_SYMLINK } from './windows.js';

const abs = (...parts: string[]): AbsPath => path.join(...parts) as AbsPath;

/** The attribute letters `attrib` prints for `p` (R, H, A...). */
function attrib(p: string): string {
  const r = spawnSync('attrib', [p], { encoding: 'utf8' });
  return (r.stdout.slice(0, r.stdout.indexOf(p)) || '').replace(/\s/g, '');
}

/** Whether this process runs as an administrator (`net session` answers only then). */
function elevated(): boolean {
  return spawnSync('net', ['session'], { stdio: 'ignore' }).status === 0;
}

describe('a relocation\'s tree copy (Windows)', () => {
  it('copies junctions (and symbolic links) as links with the same target, files with their times and attributes, and checks the copy', () => {
    const root = fs.realpathSync.native(tempDir());
    const src = abs(root, 'src');
    fs.mkdirSync(path.join(src, 'sub'), { recursive: true });
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(path.join(root, 'outside', 'big.bin'), Buffer.alloc(3 << 20, 7));
    fs.writeFileSync(path.join(src, 'sub', 'save.dat'), 'save');
    fs.writeFileSync(path.join(src, 'ro.txt'), 'read-only');
    fs.writeFileSync(path.join(src, 'hidden.txt'), 'hidden');
    fs.utimesSync(path.join(src, 'sub', 'save.dat'), new Date('2021-05-06T07:08:09Z'), new Date('2021-05-06T07:08:09Z'));
    fs.chmodSync(path.join(src, 'ro.txt'), 0o444);
    expect(spawnSync('attrib', ['+h', path.join(src, 'hidden.txt')]).status).toBe(0);
    fs.symlinkSync(path.join(root, 'outside'), path.join(src, 'j'), 'junction');
    const symlinks = canCreateSymlinks() && elevated();
    if (symlinks) fs.symlinkSync('sub\\save.dat', path.join(src, 's.dat'), 'file');

    const d = new WindowsDriver();
    expect(d.copyRefusal(src, abs(root, 'dst'))).toBeUndefined();
    expect(d.treeFacts(src)).toEqual({ bytes: 19, files: 3, folders: 1, links: symlinks ? 2 : 1, hardLinked: 0 });
    expect(d.freeBytes(abs(root))).toBeGreaterThan(0);
    // (the identity a journal records of the copy's top folder when it is made, as state/files.ts reads it)
    const identity = (): string => {
      const st = fs.lstatSync(path.join(root, 'dst'), { bigint: true });
      return `${st.dev}:${st.ino}:${st.birthtimeNs}`;
    };
    let atRoot = '';
    const count = d.copyTree(src, abs(root, 'dst'), { onRoot: () => (atRoot = identity()) });
    // still the folder the journal was told of, so a rollback or a recovery deletes it as its own
    expect(identity()).toBe(atRoot);
    expect(count).toEqual({ bytes: 19, files: 3, folders: 1, links: symlinks ? 2 : 1, hardLinked: 0 });

    const dst = path.join(root, 'dst');
    expect(linkType(path.join(dst, 'j'))).toBe('Junction');
    expect(reparsePoint(path.join(dst, 'j'))?.tag).toBe(TAG_MOUNT_POINT);
    expect(fs.readlinkSync(path.join(dst, 'j'))).toBe(fs.readlinkSync(path.join(src, 'j')));
    if (symlinks) {
      expect(reparsePoint(path.join(dst, 's.dat'))?.tag).toBe(TAG_SYMLINK);
      expect(fs.readFileSync(path.join(dst, 's.dat'), 'utf8')).toBe('save');
    }
    expect(fs.readFileSync(path.join(dst, 'sub', 'save.dat'), 'utf8')).toBe('save');
    expect(fs.statSync(path.join(dst, 'sub', 'save.dat')).mtimeMs).toBe(Date.parse('2021-05-06T07:08:09Z'));
    expect(attrib(path.join(dst, 'ro.txt'))).toContain('R');
    expect(attrib(path.join(dst, 'hidden.txt'))).toContain('H');
    // the junction was not followed: what it leads to stays where it is, once
    expect(fs.readdirSync(path.join(root, 'outside'))).toEqual(['big.bin']);
  });
});
