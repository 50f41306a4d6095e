// The Windows driver's writes by folder handle on a real NTFS volume: a folder an apply writes in
// is pinned (renaming it fails until the apply ends, which Wine cannot show for a process outside
// it); folders made, hard links named, entries renamed and removed, and a tree deleted by handles
// without following a junction inside it; and the capabilities the volume's own flags give.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AbsPath } from '../../src/core/paths.js';
import { WindowsDriver } from '../../src/drivers/windows/driver.js';
import { tempDir } from '../helpers/tree.js';

const abs = (...parts: string[]): AbsPath => path.join(...parts) as AbsPath;

describe('writes by folder handle (Windows)', () => {
  it('pins the folders of an apply: no rename of one until the apply ends', () => {
    const root = fs.realpathSync.native(tempDir());
    const dir = abs(root, 'pinned');
    fs.mkdirSync(dir);
    const d = new WindowsDriver();
    d.expectFolders([{ path: dir, fileId: d.folderId(dir) ?? '' }]);
    try {
      d.mkdir(abs(dir, 'made'));
      expect(() => fs.renameSync(dir, path.join(root, 'elsewhere'))).toThrow(/EBUSY|EPERM|EACCES/);
    } finally {
      d.releaseFolders();
    }
    fs.renameSync(dir, path.join(root, 'elsewhere'));
    expect(fs.readdirSync(path.join(root, 'elsewhere'))).toEqual(['made']);
  });

  it('makes folders and hard links, moves and removes entries, and deletes a tree without following a junction in it', () => {
    const root = fs.realpathSync.native(tempDir());
    const d = new WindowsDriver();
    const tree = abs(root, 'tree');
    d.mkdir(tree);
    d.mkdir(abs(tree, 'sub'));
    fs.writeFileSync(path.join(root, 'file.txt'), 'data');
    d.createLink(abs(tree, 'sub', 'hard.txt'), { type: 'hardlink', target: abs(root, 'file.txt'), linkText: abs(root, 'file.txt') });
    expect(fs.statSync(path.join(root, 'file.txt')).nlink).toBe(2);
    d.move(abs(tree, 'sub', 'hard.txt'), abs(tree, 'moved.txt'));
    expect(fs.readdirSync(tree).sort()).toEqual(['moved.txt', 'sub']);
    fs.mkdirSync(path.join(root, 'outside'));
    fs.writeFileSync(path.join(root, 'outside', 'keep.txt'), 'keep');
    fs.symlinkSync(path.join(root, 'outside'), path.join(tree, 'sub', 'j'), 'junction');
    fs.writeFileSync(path.join(tree, 'sub', 'read-only.txt'), 'r');
    fs.chmodSync(path.join(tree, 'sub', 'read-only.txt'), 0o444);
    expect(d.removeTree(tree)).toEqual({ files: 2, folders: 2, links: 1, left: [] });
    expect(fs.existsSync(tree)).toBe(false);
    expect(fs.readdirSync(path.join(root, 'outside'))).toEqual(['keep.txt']);
    expect(fs.statSync(path.join(root, 'file.txt')).nlink).toBe(1);
  });

  it("takes what the volume holds from its filesystem's flags: junctions and hard links on NTFS", () => {
    const root = fs.realpathSync.native(tempDir());
    expect(new WindowsDriver().capabilities(abs(root, 'link'))).toMatchObject({ junctions: true, hardlinks: true });
  });
});
