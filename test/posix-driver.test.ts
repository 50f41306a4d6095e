// Tests for the node:fs driver on a real temporary folder: what observe reports for every kind of
// entry, that links are made, swapped atomically (a concurrent reader never finds the path
// missing) and removed as links, and that every write refuses what would lose data: removing a
// real file or folder, moving over something, removing a folder that is not empty.
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DryRunDriver, FaultyDriver, ReadOnlyDriver } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import type { AbsPath } from '../src/core/paths.js';
import type { LinkSpec } from '../src/core/types.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';
import { driverError } from './helpers/errors.js';

const driver = new PosixDriver();
const at = (dir: string, ...parts: string[]): AbsPath => path.join(dir, ...parts) as AbsPath;
const symlink = (target: AbsPath, linkText: string = target): LinkSpec => ({ type: 'symlink', target, linkText });
const hardlink = (target: AbsPath): LinkSpec => ({ type: 'hardlink', target, linkText: target });

afterEach(() => {
  vi.restoreAllMocks();
});

describe('observe', () => {
  it('reports every kind of entry without following links', async () => {
    const d = tempDir();
    writeTree(d, {
      file: 'hello',
      dir: { inner: 'x' },
      rel: { link: 'file' },
      abs: { link: path.join(d, 'dir') },
      dangling: { link: 'nowhere/at/all' },
      a: 'shared',
      b: { hardlink: 'a' },
    });
    execFileSync('mkfifo', [at(d, 'fifo')]);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(at(d, 'sock'), resolve));
    try {
      const st = fs.statSync(at(d, 'file'));
      expect(driver.observe(at(d, 'file'))).toEqual({ kind: 'file', size: 5, nlink: 1, fileId: `${st.dev}:${st.ino}`, dev: st.dev });
      expect(driver.observe(at(d, 'missing'))).toEqual({ kind: 'absent' });
      expect(driver.observe(at(d, 'dir'))).toEqual({ kind: 'dir', dev: fs.statSync(d).dev });
      expect(driver.observe(at(d, 'rel'))).toEqual({ kind: 'symlink', linkText: 'file' });
      expect(driver.observe(at(d, 'abs'))).toEqual({ kind: 'symlink', linkText: path.join(d, 'dir') });
      expect(driver.observe(at(d, 'dangling'))).toEqual({ kind: 'symlink', linkText: 'nowhere/at/all' });
      expect(driver.observe(at(d, 'fifo'))).toEqual({ kind: 'special', what: 'fifo' });
      expect(driver.observe(at(d, 'sock'))).toEqual({ kind: 'special', what: 'socket' });
      expect(driver.observe('/dev/null' as AbsPath)).toEqual({ kind: 'special', what: 'char-device' });
      const a = driver.observe(at(d, 'a'));
      const b = driver.observe(at(d, 'b'));
      expect(a).toMatchObject({ kind: 'file', nlink: 2, size: 6 });
      expect(b).toEqual(a);
      // a path below a file, or below a dangling link, is simply absent
      expect(driver.observe(at(d, 'file', 'below'))).toEqual({ kind: 'absent' });
      expect(driver.observe(at(d, 'dangling', 'below'))).toEqual({ kind: 'absent' });
      fs.symlinkSync('loopB', at(d, 'loopA'));
      fs.symlinkSync('loopA', at(d, 'loopB'));
      expect(driver.observe(at(d, 'loopA'))).toEqual({ kind: 'symlink', linkText: 'loopB' });
      expect(driver.observe(at(d, 'loopA', 'below'))).toEqual({ kind: 'absent' });
    } finally {
      server.close();
    }
  });

  it('observeTarget follows links the way the OS does', () => {
    const d = tempDir();
    writeTree(d, { file: 'x', dir: {}, toDir: { link: 'dir' }, toFile: { link: 'file' }, dangling: { link: 'none' }, loopA: { link: 'loopB' }, loopB: { link: 'loopA' } });
    execFileSync('mkfifo', [at(d, 'fifo')]);
    const st = fs.statSync(at(d, 'file'));
    expect(driver.observeTarget(at(d, 'toFile'))).toEqual({ kind: 'file', fileId: `${st.dev}:${st.ino}`, dev: st.dev, nlink: 1 });
    expect(driver.observeTarget(at(d, 'toDir'))).toEqual({ kind: 'dir', dev: st.dev });
    expect(driver.observeTarget(at(d, 'dangling'))).toEqual({ kind: 'absent' });
    expect(driver.observeTarget(at(d, 'loopA'))).toEqual({ kind: 'absent' });
    expect(driver.observeTarget(at(d, 'file', 'x'))).toEqual({ kind: 'absent' });
    expect(driver.observeTarget(at(d, 'fifo'))).toEqual({ kind: 'other', dev: st.dev });
  });

  it('listDir lists sorted entries with their kinds, not following links', () => {
    const d = tempDir();
    writeTree(d, { b: 'x', a: {}, c: { link: 'a' }, '.h': 'y' });
    execFileSync('mkfifo', [at(d, 'f')]);
    expect(driver.listDir(d)).toEqual([
      { name: '.h', kind: 'file' },
      { name: 'a', kind: 'dir' },
      { name: 'b', kind: 'file' },
      { name: 'c', kind: 'link' },
      { name: 'f', kind: 'other' },
    ]);
    expect(driver.listDir(at(d, 'c'))).toEqual([]);
    expect(driverError(() => driver.listDir(at(d, 'missing'))).code).toBe('ENOENT');
  });

  it('readHead reads at most max bytes, gives the full size, and refuses a link', () => {
    const d = tempDir();
    writeTree(d, { f: '0123456789', l: { link: 'f' } });
    const r = driver.readHead(at(d, 'f'), 4);
    expect(Buffer.from(r.bytes).toString()).toBe('0123');
    expect(r.size).toBe(10);
    expect(Buffer.from(driver.readHead(at(d, 'f'), 100).bytes).toString()).toBe('0123456789');
    expect(driverError(() => driver.readHead(at(d, 'l'), 4)).code).toBe('ELOOP');
  });

  it('reports its capabilities', () => {
    expect(driver.capabilities()).toEqual({ symlinks: true, junctions: false, hardlinks: true });
    expect(driver.name).toBe('posix');
  });
});

describe('createLink', () => {
  it('makes symbolic links with the given text, relative or absolute', () => {
    const d = tempDir();
    writeTree(d, { t: { f: 'x' }, sub: {} });
    driver.createLink(at(d, 'abs'), symlink(at(d, 't')));
    driver.createLink(at(d, 'sub', 'rel'), symlink(at(d, 't'), '../t'));
    expect(fs.readlinkSync(at(d, 'abs'))).toBe(at(d, 't'));
    expect(fs.readlinkSync(at(d, 'sub', 'rel'))).toBe('../t');
    expect(fs.readFileSync(at(d, 'sub', 'rel', 'f'), 'utf8')).toBe('x');
  });

  it('makes hard links that share the file, through a target that is itself a symbolic link', () => {
    const d = tempDir();
    writeTree(d, { real: 'content', viaLink: { link: 'real' } });
    driver.createLink(at(d, 'h1'), hardlink(at(d, 'real')));
    driver.createLink(at(d, 'h2'), hardlink(at(d, 'viaLink')));
    const ino = fs.statSync(at(d, 'real')).ino;
    expect(fs.lstatSync(at(d, 'h1')).ino).toBe(ino);
    // link(2) alone would hard-link the symbolic link itself; the driver links the file
    expect(fs.lstatSync(at(d, 'h2')).isFile()).toBe(true);
    expect(fs.lstatSync(at(d, 'h2')).ino).toBe(ino);
    expect(fs.statSync(at(d, 'real')).nlink).toBe(3);
  });

  it('refuses a path that is taken, and junctions', () => {
    const d = tempDir();
    writeTree(d, { t: 'x', taken: 'mine', dir: {} });
    const before = snapshot(d);
    const e = driverError(() => driver.createLink(at(d, 'taken'), symlink(at(d, 't'))));
    expect(e.code).toBe('EEXIST');
    expect(e.path).toBe(at(d, 'taken'));
    expect(e.message).toMatch(new RegExp(`^${at(d, 'taken')}: cannot create symlink \\(EEXIST: `));
    expect(driverError(() => driver.createLink(at(d, 'dir'), hardlink(at(d, 't')))).code).toBe('EEXIST');
    expect(driverError(() => driver.createLink(at(d, 'j'), { type: 'junction', target: at(d, 'dir'), linkText: at(d, 'dir') })).message).toContain('junctions exist only on NTFS');
    expect(driverError(() => driver.createLink(at(d, 'no', 'parent'), symlink(at(d, 't')))).code).toBe('ENOENT');
    expect(snapshot(d)).toEqual(before);
  });
});

describe('replaceLink', () => {
  it('swaps a symbolic link for another and leaves no temporary file behind', () => {
    const d = tempDir();
    writeTree(d, { v1: { f: '1' }, v2: { f: '2' }, cur: { link: 'v1' } });
    driver.replaceLink(at(d, 'cur'), symlink(at(d, 'v2'), 'v2'));
    expect(fs.readlinkSync(at(d, 'cur'))).toBe('v2');
    expect(fs.readFileSync(at(d, 'cur', 'f'), 'utf8')).toBe('2');
    driver.replaceLink(at(d, 'cur'), symlink(at(d, 'v1')));
    expect(fs.readlinkSync(at(d, 'cur'))).toBe(at(d, 'v1'));
    expect(fs.readdirSync(d).sort()).toEqual(['cur', 'v1', 'v2']);
    // the folders behind the links were never touched
    expect(fs.readdirSync(at(d, 'v1'))).toEqual(['f']);
    expect(fs.readdirSync(at(d, 'v2'))).toEqual(['f']);
  });

  it('swaps between a hard link and a symbolic link', () => {
    const d = tempDir();
    writeTree(d, { a: 'A', b: 'B', h: { hardlink: 'a' } });
    driver.replaceLink(at(d, 'h'), symlink(at(d, 'b')));
    expect(fs.readlinkSync(at(d, 'h'))).toBe(at(d, 'b'));
    expect(fs.statSync(at(d, 'a')).nlink).toBe(1);
    driver.replaceLink(at(d, 'h'), hardlink(at(d, 'a')));
    expect(fs.lstatSync(at(d, 'h')).ino).toBe(fs.statSync(at(d, 'a')).ino);
    expect(fs.readFileSync(at(d, 'b'), 'utf8')).toBe('B');
    expect(fs.readdirSync(d).sort()).toEqual(['a', 'b', 'h']);
  });

  it('refuses to replace a regular file or a folder, or a path that is gone', () => {
    const d = tempDir();
    writeTree(d, { t: 'x', file: 'precious', dir: { inner: 'y' } });
    const before = snapshot(d);
    expect(driverError(() => driver.replaceLink(at(d, 'file'), symlink(at(d, 't')))).message).toBe(`${at(d, 'file')}: is no longer a link; refusing to replace it`);
    expect(driverError(() => driver.replaceLink(at(d, 'dir'), symlink(at(d, 't')))).message).toBe(`${at(d, 'dir')}: is no longer a link; refusing to replace it`);
    expect(driverError(() => driver.replaceLink(at(d, 'gone'), symlink(at(d, 't')))).code).toBe('ENOENT');
    expect(snapshot(d)).toEqual(before);
  });

  it('is atomic: a reader polling the path never finds it missing or not a link', async () => {
    const d = tempDir();
    writeTree(d, { v1: {}, v2: {}, cur: { link: 'v1' } });
    const stop = at(d, 'stop');
    const poller = `
      const fs = require('node:fs');
      const [p, stop] = process.argv.slice(1);
      let n = 0, bad = 0; const seen = new Set();
      process.stdout.write('ready\\n');
      for (;;) {
        for (let i = 0; i < 200; i++, n++) {
          try { if (fs.lstatSync(p).isSymbolicLink()) seen.add(fs.readlinkSync(p)); else bad++; } catch { bad++; }
        }
        if (fs.existsSync(stop)) break;
      }
      process.stdout.write(JSON.stringify({ n, bad, seen: [...seen].sort() }) + '\\n');`;
    const child = spawn(process.execPath, ['-e', poller, at(d, 'cur'), stop], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8');
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (s: string) => {
        out += s;
        if (out.includes('ready\n')) resolve();
      });
    });
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    let swaps = 0;
    for (const end = Date.now() + 400; Date.now() < end; swaps++) driver.replaceLink(at(d, 'cur'), symlink(at(d, swaps % 2 === 0 ? 'v2' : 'v1'), swaps % 2 === 0 ? 'v2' : 'v1'));
    fs.writeFileSync(stop, '');
    await exited;
    const result = JSON.parse(out.split('\n')[1] ?? '{}') as { n: number; bad: number; seen: string[] };
    expect(swaps).toBeGreaterThan(100);
    expect(result.n).toBeGreaterThan(1000);
    expect(result.seen).toEqual(['v1', 'v2']);
    expect(result.bad).toBe(0);
    fs.unlinkSync(stop);
    expect(fs.readdirSync(d).sort()).toEqual(['cur', 'v1', 'v2']);
  });
});

describe('removeLink', () => {
  it('removes a symbolic link to a folder and never touches the files behind it', () => {
    const d = tempDir();
    writeTree(d, { full: { a: '1', sub: { b: '2' } }, l: { link: 'full' }, dangling: { link: 'none' } });
    const behind = snapshot(at(d, 'full'));
    driver.removeLink(at(d, 'l'));
    driver.removeLink(at(d, 'dangling'));
    expect(fs.readdirSync(d)).toEqual(['full']);
    expect(snapshot(at(d, 'full'))).toEqual(behind);
  });

  it('removes one name of a hard-linked file; the other keeps the content', () => {
    const d = tempDir();
    writeTree(d, { a: 'shared content', b: { hardlink: 'a' } });
    driver.removeLink(at(d, 'b'));
    expect(fs.readdirSync(d)).toEqual(['a']);
    expect(fs.readFileSync(at(d, 'a'), 'utf8')).toBe('shared content');
    expect(fs.statSync(at(d, 'a')).nlink).toBe(1);
    // now `a` is the file's only name: it is data, not a link
    expect(driverError(() => driver.removeLink(at(d, 'a'))).message).toBe(`${at(d, 'a')}: is not a link; linkplan never deletes files or folders`);
    expect(fs.readFileSync(at(d, 'a'), 'utf8')).toBe('shared content');
  });

  it('refuses a regular file, a folder (empty or not) and a missing path', () => {
    const d = tempDir();
    writeTree(d, { file: 'precious', dir: { inner: 'y' }, empty: {} });
    execFileSync('mkfifo', [at(d, 'fifo')]);
    const before = snapshot(d);
    for (const name of ['file', 'dir', 'empty', 'fifo']) {
      expect(driverError(() => driver.removeLink(at(d, name))).message).toBe(`${at(d, name)}: is not a link; linkplan never deletes files or folders`);
    }
    expect(driverError(() => driver.removeLink(at(d, 'missing'))).code).toBe('ENOENT');
    expect(snapshot(d)).toEqual(before);
  });
});

describe('move', () => {
  it('moves a file or a whole tree, links inside it as they are', () => {
    const d = tempDir();
    writeTree(d, { tree: { a: '1', l: { link: '../elsewhere' }, sub: { b: '2' } }, file: 'f' });
    const inside = snapshot(at(d, 'tree'));
    driver.move(at(d, 'tree'), at(d, 'moved'));
    driver.move(at(d, 'file'), at(d, 'moved', 'file'));
    expect(fs.existsSync(at(d, 'tree'))).toBe(false);
    expect(snapshot(at(d, 'moved'))).toEqual({ ...inside, file: { kind: 'file', content: Buffer.from('f').toString('base64'), nlink: 1, mode: fs.statSync(at(d, 'moved', 'file')).mode } });
  });

  it('refuses to overwrite anything at the destination', () => {
    const d = tempDir();
    writeTree(d, { src: 'mine', dst: 'theirs', dir: {}, full: { x: '1' }, dangling: { link: 'none' } });
    const before = snapshot(d);
    for (const to of ['dst', 'dir', 'full', 'dangling']) {
      const e = driverError(() => driver.move(at(d, 'src'), at(d, to)));
      expect(e.code).toBe('EEXIST');
      expect(e.message).toBe(`${at(d, to)}: already exists; refusing to overwrite it`);
    }
    expect(driverError(() => driver.move(at(d, 'missing'), at(d, 'new'))).code).toBe('ENOENT');
    expect(snapshot(d)).toEqual(before);
  });
});

describe('mkdir and rmdir', () => {
  it('mkdir makes one folder; its parent must exist and the path be free', () => {
    const d = tempDir();
    driver.mkdir(at(d, 'a'));
    expect(fs.statSync(at(d, 'a')).isDirectory()).toBe(true);
    expect(driverError(() => driver.mkdir(at(d, 'a'))).code).toBe('EEXIST');
    expect(driverError(() => driver.mkdir(at(d, 'x', 'y'))).code).toBe('ENOENT');
  });

  it('rmdir removes an empty folder and refuses a full one, a file and a link to a folder', () => {
    const d = tempDir();
    writeTree(d, { empty: {}, full: { keep: 'me', sub: {} }, file: 'x', l: { link: 'empty' } });
    driver.rmdir(at(d, 'empty'));
    expect(fs.existsSync(at(d, 'empty'))).toBe(false);
    fs.mkdirSync(at(d, 'empty'));
    const before = snapshot(d);
    expect(driverError(() => driver.rmdir(at(d, 'full'))).code).toBe('ENOTEMPTY');
    expect(driverError(() => driver.rmdir(at(d, 'file'))).code).toBe('ENOTDIR');
    expect(driverError(() => driver.rmdir(at(d, 'l'))).code).toBe('ENOTDIR');
    expect(snapshot(d)).toEqual(before);
  });
});

describe('decorators over the posix driver', () => {
  it('ReadOnlyDriver reads through and refuses all six writes', () => {
    const d = tempDir();
    writeTree(d, { t: 'x', l: { link: 't' }, dir: {} });
    const ro = new ReadOnlyDriver(driver);
    const before = snapshot(d);
    expect(ro.observe(at(d, 'l'))).toEqual({ kind: 'symlink', linkText: 't' });
    expect(ro.listDir(d).map((e) => e.name)).toEqual(['dir', 'l', 't']);
    const calls: [string, () => void][] = [
      ['createLink', () => ro.createLink(at(d, 'n'), symlink(at(d, 't')))],
      ['replaceLink', () => ro.replaceLink(at(d, 'l'), symlink(at(d, 'dir')))],
      ['removeLink', () => ro.removeLink(at(d, 'l'))],
      ['move', () => ro.move(at(d, 't'), at(d, 'u'))],
      ['mkdir', () => ro.mkdir(at(d, 'm'))],
      ['rmdir', () => ro.rmdir(at(d, 'dir'))],
    ];
    for (const [name, call] of calls) expect(driverError(call).message).toMatch(new RegExp(`: ${name} refused: this driver is read-only$`));
    expect(snapshot(d)).toEqual(before);
  });

  it('DryRunDriver records the writes and does none of them', () => {
    const d = tempDir();
    writeTree(d, { t: 'x', l: { link: 't' } });
    const dry = new DryRunDriver(driver);
    const before = snapshot(d);
    dry.mkdir(at(d, 'm'));
    dry.createLink(at(d, 'm', 'n'), symlink(at(d, 't')));
    dry.removeLink(at(d, 'l'));
    dry.move(at(d, 't'), at(d, 'u'));
    expect(dry.calls).toEqual([
      { call: 'mkdir', path: at(d, 'm') },
      { call: 'createLink', path: at(d, 'm', 'n') },
      { call: 'removeLink', path: at(d, 'l') },
      { call: 'move', path: at(d, 't') },
    ]);
    expect(snapshot(d)).toEqual(before);
  });

  it('FaultyDriver fails exactly the Nth write with the chosen code, and counts every write', () => {
    const d = tempDir();
    writeTree(d, { t: 'x' });
    const faulty = new FaultyDriver(driver, { failAt: 2, code: 'ENOSPC' });
    faulty.mkdir(at(d, 'a'));
    const e = driverError(() => faulty.mkdir(at(d, 'b')));
    expect(e.code).toBe('ENOSPC');
    expect(e.message).toBe(`${at(d, 'b')}: mkdir failed (ENOSPC: injected fault)`);
    faulty.mkdir(at(d, 'c'));
    expect(faulty.writes).toBe(3);
    expect(fs.readdirSync(d).sort()).toEqual(['a', 'c', 't']);
    expect(new FaultyDriver(driver, { failAt: 1 }).code).toBe('EIO');
  });
});
