// Tests for writes that cannot be redirected, on a real temporary folder: the calls relative to a
// folder handle (src/drivers/posix-at.ts) and each of their refusals; and the node:fs driver during
// an apply, which writes only into the folders the plan saw: a folder swapped for a link to
// another since the plan is refused and nothing changes there; a folder swapped once its handle
// is open is still written through the handle; a retarget puts back a file that appeared at the
// last moment; where the filesystem lacks renameat2's flags, the plain rename is used.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import * as at from '../src/drivers/posix-at.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { DriverError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import type { LinkSpec } from '../src/core/types.js';
import { driverError, thrown } from './helpers/errors.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';

/** What the tests inject into the calls the driver makes (the real calls run otherwise). */
const inject = vi.hoisted(() => ({
  /** Runs right after a symbolic link is made, with its name. */
  afterSymlink: undefined as ((name: string) => void) | undefined,
  /** The errno name renameAt fails with (every mode but `plain`, or every mode with `all`). */
  renameFails: undefined as { code: string; errno: number; all?: boolean } | undefined,
}));

vi.mock('../src/drivers/posix-at.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/drivers/posix-at.js')>();
  return {
    ...real,
    symlinkAt: (dirFd: number, name: string, opts: { linkText: string }): void => {
      real.symlinkAt(dirFd, name, opts);
      inject.afterSymlink?.(name);
    },
    renameAt: (...args: Parameters<typeof real.renameAt>): void => {
      const f = inject.renameFails;
      if (f !== undefined && (f.all === true || args[2].mode !== 'plain')) throw new real.SysCallError('renameat2', args[0].name, f.errno, 'injected');
      real.renameAt(...args);
    },
  };
});

const driver = new PosixDriver();
const P = (...parts: string[]): AbsPath => path.join(...parts) as AbsPath;
const symlink = (target: AbsPath, linkText: string = target): LinkSpec => ({ type: 'symlink', target, linkText });

afterEach(() => {
  inject.afterSymlink = undefined;
  inject.renameFails = undefined;
  driver.releaseFolders();
});

/** The handles this process has open. */
function openHandles(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

describe.runIf(process.platform === 'linux')('calls relative to a folder handle', () => {
  it('act on a name in the folder the handle is on, wherever its path leads now', () => {
    const d = tempDir();
    writeTree(d, { a: { f: 'x' } });
    const fd = at.openDirAt(at.AT_FDCWD, P(d, 'a'), { follow: false });
    try {
      fs.renameSync(P(d, 'a'), P(d, 'b'));
      fs.mkdirSync(P(d, 'a'));
      at.symlinkAt(fd, 's', { linkText: 't' });
      at.mkdirAt(fd, 'sub');
      at.linkAt(fd, 'h', { to: P(d, 'b', 'f') });
      expect(at.readlinkAt(fd, 's')).toBe('t');
      expect(at.lstatAt(fd, 's')).toEqual({ kind: 'symlink', nlink: 1 });
      expect(at.lstatAt(fd, 'h')).toEqual({ kind: 'file', nlink: 2 });
      expect(at.lstatAt(fd, 'sub')).toMatchObject({ kind: 'dir' });
      expect(at.lstatAt(fd, 'none')).toBeUndefined();
      at.renameAt({ dirFd: fd, name: 's' }, { dirFd: fd, name: 's2' }, { mode: 'noreplace' });
      at.renameAt({ dirFd: fd, name: 's2' }, { dirFd: fd, name: 'h' }, { mode: 'exchange' });
      expect(at.lstatAt(fd, 's2')).toEqual({ kind: 'file', nlink: 2 });
      at.unlinkAt(fd, 'sub', { dir: true });
      at.unlinkAt(fd, 's2');
      expect(snapshot(P(d, 'b'))).toMatchObject({ f: { kind: 'file', nlink: 1 }, h: { kind: 'symlink', linkText: 't' } });
      expect(Object.keys(snapshot(P(d, 'b')))).toEqual(['f', 'h']);
      expect(fs.readdirSync(P(d, 'a'))).toEqual([]);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('refuse what they must, with errors shaped like Node system errors, and change nothing', () => {
    const d = tempDir();
    writeTree(d, { dir: { full: { x: '1' }, file: 'mine', link: { link: 'file' } }, to: { link: 'dir' } });
    const before = snapshot(d);
    const err = (fn: () => unknown): at.SysCallError => thrown(at.SysCallError, fn);
    // a link as the last component of a folder opened without following it
    expect(err(() => at.openDirAt(at.AT_FDCWD, P(d, 'to'), { follow: false })).code).toMatch(/^(ELOOP|ENOTDIR)$/);
    const fd = at.openDirAt(at.AT_FDCWD, P(d, 'dir'), { follow: false });
    try {
      const e = err(() => at.symlinkAt(fd, 'file', { linkText: 'x' }));
      expect(e).toMatchObject({ code: 'EEXIST', syscall: 'symlinkat', path: 'file', errno: 17 });
      expect(e.message).toBe("EEXIST: File exists, symlinkat 'file'");
      expect(err(() => at.mkdirAt(fd, 'full')).code).toBe('EEXIST');
      expect(err(() => at.linkAt(fd, 'link', { to: P(d, 'dir', 'file') })).code).toBe('EEXIST');
      expect(err(() => at.unlinkAt(fd, 'full')).code).toBe('EISDIR');
      expect(err(() => at.unlinkAt(fd, 'full', { dir: true })).code).toBe('ENOTEMPTY');
      expect(err(() => at.unlinkAt(fd, 'file', { dir: true })).code).toBe('ENOTDIR');
      expect(err(() => at.readlinkAt(fd, 'file')).code).toBe('EINVAL');
      for (const over of ['file', 'link', 'full']) {
        expect(err(() => at.renameAt({ dirFd: fd, name: 'link' === over ? 'file' : 'link' }, { dirFd: fd, name: over }, { mode: 'noreplace' })).code).toBe('EEXIST');
      }
      expect(err(() => at.renameAt({ dirFd: fd, name: 'file' }, { dirFd: fd, name: 'none' }, { mode: 'exchange' })).code).toBe('ENOENT');
      expect(err(() => at.openDirAt(fd, 'file', { follow: false })).code).toBe('ENOTDIR');
    } finally {
      fs.closeSync(fd);
    }
    expect(snapshot(d)).toEqual(before);
  });
});

/** A folder of link paths, and another folder its path is swapped for (a link to it). */
function swapSetUp(): { d: AbsPath; links: AbsPath; real: AbsPath; victim: AbsPath; swap: () => void } {
  const d = tempDir();
  writeTree(d, {
    t: { a: 'A', b: 'B' },
    links: { old: { link: '../t/a' }, file: 'mine' },
    victim: { old: { link: 'theirs' }, file: 'theirs', other: 'keep' },
  });
  const links = P(d, 'links');
  const real = P(d, 'links.real');
  return { d, links, real, victim: P(d, 'victim'), swap: () => (fs.renameSync(links, real), fs.symlinkSync(P(d, 'victim'), links)) };
}

describe.runIf(process.platform === 'linux')('the node:fs driver during an apply', () => {
  it('refuses a folder swapped since the plan for a link to another, before any write, and changes nothing there', () => {
    const s = swapSetUp();
    const fileId = driver.folderId(s.links);
    expect(fileId).toMatch(/^\d+:\d+$/);
    s.swap();
    const before = snapshot(s.d);
    const e = driverError(() => driver.expectFolders([{ path: s.links, fileId: fileId ?? '' }]));
    expect(e.message).toBe(`${s.links}: changed since the plan (now leads to another folder); nothing was done there`);
    expect(e.hint).toMatch(/plan again/);
    expect(snapshot(s.d)).toEqual(before);
  });

  it('writes through the handle into the folder the plan saw, even once its path leads to another', () => {
    const s = swapSetUp();
    driver.expectFolders([{ path: s.links, fileId: driver.folderId(s.links) ?? '' }]);
    s.swap();
    const victim = snapshot(s.victim);
    driver.createLink(P(s.links, 'new'), symlink(P(s.d, 't', 'a'), '../t/a'));
    driver.replaceLink(P(s.links, 'old'), symlink(P(s.d, 't', 'b'), '../t/b'));
    driver.move(P(s.links, 'file'), P(s.links, 'file.bak'));
    driver.mkdir(P(s.links, 'sub'));
    driver.rmdir(P(s.links, 'sub'));
    driver.removeLink(P(s.links, 'new'));
    expect(snapshot(s.victim)).toEqual(victim);
    expect(snapshot(s.real)).toMatchObject({ old: { kind: 'symlink', linkText: '../t/b' }, 'file.bak': { kind: 'file', content: Buffer.from('mine').toString('base64') } });
    expect(Object.keys(snapshot(s.real)).sort()).toEqual(['file.bak', 'old']);
  });

  it('accepts a folder reached through a link when it is the folder the plan saw', () => {
    const d = tempDir();
    writeTree(d, { repo: { cfg: {} }, home: { cfg: { link: '../repo/cfg' } } });
    const cfg = P(d, 'home', 'cfg');
    expect(driver.folderId(cfg)).toBe(driver.folderId(P(d, 'repo', 'cfg')));
    driver.expectFolders([{ path: cfg, fileId: driver.folderId(cfg) ?? '' }]);
    driver.createLink(P(cfg, 'x'), symlink(P(d, 'repo'), '../..'));
    expect(fs.readlinkSync(P(d, 'repo', 'cfg', 'x'))).toBe('../..');
  });

  it('without a recorded identity, refuses a folder whose last component is a link', () => {
    const s = swapSetUp();
    s.swap();
    const before = snapshot(s.d);
    for (const session of [false, true]) {
      if (session) driver.expectFolders([]);
      const e = driverError(() => driver.createLink(P(s.links, 'new'), symlink(P(s.d, 't', 'a'))));
      expect(e.message).toBe(`${s.links}: is a link to a folder, and the plan did not record the folder it must lead to; nothing was done there`);
      expect(driverError(() => driver.removeLink(P(s.links, 'old'))).message).toMatch(/is a link to a folder/);
      expect(driverError(() => driver.move(P(s.links, 'file'), P(s.d, 'file'))).message).toMatch(/is a link to a folder/);
      driver.releaseFolders();
    }
    expect(snapshot(s.d)).toEqual(before);
  });

  it('writes into a folder it made through that folder’s own handle', () => {
    const s = swapSetUp();
    driver.expectFolders([{ path: s.links, fileId: driver.folderId(s.links) ?? '' }]);
    const sub = P(s.links, 'sub');
    driver.mkdir(sub);
    fs.renameSync(sub, P(s.links, 'sub.real'));
    fs.symlinkSync(s.victim, sub);
    const victim = snapshot(s.victim);
    driver.createLink(P(sub, 'x'), symlink(P(s.d, 't', 'a'), 'made'));
    expect(snapshot(s.victim)).toEqual(victim);
    expect(fs.readlinkSync(P(s.links, 'sub.real', 'x'))).toBe('made');
  });

  it('closes every handle it opened when the apply ends', () => {
    const s = swapSetUp();
    const n = openHandles();
    driver.expectFolders([{ path: s.links, fileId: driver.folderId(s.links) ?? '' }]);
    driver.mkdir(P(s.links, 'a'));
    driver.mkdir(P(s.links, 'a', 'b'));
    driver.createLink(P(s.d, 't', 'c'), symlink(P(s.d, 't', 'a'), 'a'));
    expect(openHandles()).toBe(n + 4);
    driver.releaseFolders();
    expect(openHandles()).toBe(n);
    // outside an apply, a handle lives for one write
    driver.createLink(P(s.d, 't', 'd'), symlink(P(s.d, 't', 'a'), 'a'));
    expect(openHandles()).toBe(n);
  });
});

describe.runIf(process.platform === 'linux')('replaceLink and move without overwriting', () => {
  it('a retarget puts back a file that appeared at the last moment, and leaves no temporary link', () => {
    const d = tempDir();
    writeTree(d, { v1: {}, v2: {}, cur: { link: 'v1' } });
    inject.afterSymlink = (name) => {
      if (!name.startsWith('.cur.linkplan-')) return;
      fs.unlinkSync(P(d, 'cur'));
      fs.writeFileSync(P(d, 'cur'), 'dropped in');
    };
    const e = driverError(() => driver.replaceLink(P(d, 'cur'), symlink(P(d, 'v2'), 'v2')));
    expect(e.message).toBe(`${P(d, 'cur')}: is no longer a link (something else was put there); refusing to replace it, and it is left as it is`);
    expect(fs.readFileSync(P(d, 'cur'), 'utf8')).toBe('dropped in');
    expect(fs.readdirSync(d).sort()).toEqual(['cur', 'v1', 'v2']);
  });

  it('removes its temporary link when the exchange fails, leaving the old link', () => {
    const d = tempDir();
    writeTree(d, { v1: {}, v2: {}, cur: { link: 'v1' } });
    inject.renameFails = { code: 'EXDEV', errno: 18, all: true };
    const e = driverError(() => driver.replaceLink(P(d, 'cur'), symlink(P(d, 'v2'))));
    expect(e.code).toBe('EXDEV');
    expect(e.message).toMatch(new RegExp(`^${P(d, 'cur')}: cannot retarget symlink \\(EXDEV: `));
    expect(fs.readlinkSync(P(d, 'cur'))).toBe('v1');
    expect(fs.readdirSync(d).sort()).toEqual(['cur', 'v1', 'v2']);
  });

  it('falls back to a plain rename where the filesystem has no renameat2 flags (EINVAL), still refusing to overwrite', () => {
    const d = tempDir();
    writeTree(d, { v1: {}, v2: {}, cur: { link: 'v1' }, file: 'mine', taken: 'theirs' });
    inject.renameFails = { code: 'EINVAL', errno: 22 };
    driver.replaceLink(P(d, 'cur'), symlink(P(d, 'v2'), 'v2'));
    expect(fs.readlinkSync(P(d, 'cur'))).toBe('v2');
    driver.move(P(d, 'file'), P(d, 'file.bak'));
    expect(fs.readFileSync(P(d, 'file.bak'), 'utf8')).toBe('mine');
    const e = driverError(() => driver.move(P(d, 'file.bak'), P(d, 'taken')));
    expect(e.message).toBe(`${P(d, 'taken')}: already exists; refusing to overwrite it`);
    expect(fs.readFileSync(P(d, 'taken'), 'utf8')).toBe('theirs');
    expect(fs.readdirSync(d).sort()).toEqual(['cur', 'file.bak', 'taken', 'v1', 'v2']);
  });

  it('refuses every overwrite with EEXIST, and a refusal is a DriverError naming the path', () => {
    const d = tempDir();
    writeTree(d, { a: 'A', b: 'B', dir: {} });
    for (const to of ['b', 'dir']) {
      const e = driverError(() => driver.move(P(d, 'a'), P(d, to)));
      expect(e).toBeInstanceOf(DriverError);
      expect(e.code).toBe('EEXIST');
    }
    expect(fs.readFileSync(P(d, 'b'), 'utf8')).toBe('B');
  });
});
