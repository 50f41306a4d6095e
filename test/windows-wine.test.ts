// The native Windows driver, run for real: the Windows build of Node under Wine loads linkplan's
// build with koffi's Windows binary and drives the driver through Win32 (test/wine/driver-checks.mjs
// writes each outcome to a JSON file, judged here). Writes go relative to a handle on their
// folder (NtCreateFile, NtSetInformationFile), and a folder swapped for a link from outside Wine
// after it was pinned still gets the folder made in it. Wine has no reparse points: making a junction
// must fail with the words "does not support reparse points" and leave nothing, and a symbolic
// link that Wine reports as made (it makes none) must be caught by the read-back. Hard links,
// file information, listing, long paths and Win32 error words are checked for real. A small C
// program built with mingw-w64 prints the SDK's constants and structure layouts, compared with
// win32.ts and with the layouts koffi computes. Last, the linkplan command itself applies a
// manifest under Wine (state folder, lock, journal, rollback).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as win32 from '../src/drivers/windows/win32.js';
import { REPO, runWine, runWineNode, skipWineTests, stageBuild, winePath, wineSetup } from './helpers/wine.js';

type Outcome = { value?: unknown; error?: { name?: string; message: string; code?: string; hint?: string } };
type Layouts = Record<string, { size: number; offsets: Record<string, number> }>;

const skip = skipWineTests();

/** A writable folder on a filesystem other than the one of `dir` (for a hard link across volumes), if there is one. */
function otherFilesystemThan(dir: string): string | undefined {
  for (const base of ['/dev/shm', '/run']) {
    try {
      if (fs.statSync(base).dev === fs.statSync(dir).dev) continue;
      fs.accessSync(base, fs.constants.W_OK);
      return base;
    } catch {
      // not there, or not writable: try the next
    }
  }
  return undefined;
}

const otherBase = otherFilesystemThan(os.tmpdir());
if (!skip && otherBase === undefined) process.stderr.write('\nSKIPPED: the hard link across volumes under Wine needs a second writable filesystem (/dev/shm)\n\n');

describe.skipIf(skip)('the Windows driver under Wine', () => {
  let cache = '';
  let app = '';
  let tmp = '';
  let other: string | undefined;
  let r: Record<string, Outcome> = {};
  let sdk: { constants: Record<string, number>; structs: Layouts } = { constants: {}, structs: {} };
  const value = (name: string): unknown => {
    const o = r[name];
    if (o === undefined || o.error !== undefined) throw new Error(`${name}: ${JSON.stringify(o ?? 'not run')}`);
    return o.value;
  };
  const error = (name: string): NonNullable<Outcome['error']> => {
    const o = r[name];
    if (o?.error === undefined) throw new Error(`${name}: expected an error, got ${JSON.stringify(o ?? 'not run')}`);
    return o.error;
  };

  beforeAll(() => {
    cache = wineSetup();
    app = stageBuild(cache);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-wine-'));
    other = otherBase === undefined ? undefined : fs.mkdtempSync(path.join(otherBase, 'linkplan-wine-'));
    const work = path.join(tmp, 'driver');
    fs.mkdirSync(work);
    const indexUrl = 'file:///' + winePath(path.join(app, 'dist', 'index.js')).replaceAll('\\', '/');
    const resultsFile = path.join(tmp, 'results.json');
    // (a Windows name for the Linux shell: Wine starts an ELF program given any name)
    fs.symlinkSync('/bin/sh', path.join(tmp, 'sh.exe'));
    const run = runWineNode(cache, {
      args: [
        winePath(path.join(REPO, 'test', 'wine', 'driver-checks.mjs')),
        indexUrl,
        winePath(work),
        winePath(resultsFile),
        other === undefined ? '-' : winePath(other),
        winePath(path.join(tmp, 'sh.exe')),
      ],
    });
    if (!fs.existsSync(resultsFile)) throw new Error(`the Windows Node under Wine wrote no results (exit ${String(run.status)}):\n${run.output}`);
    r = JSON.parse(fs.readFileSync(resultsFile, 'utf8')) as Record<string, Outcome>;
    if (r['fatal'] !== undefined) throw new Error(`driver-checks.mjs failed: ${r['fatal'].error?.message ?? ''}`);

    const exe = path.join(tmp, 'layout.exe');
    const cc = spawnSync('x86_64-w64-mingw32-gcc', ['-O0', '-o', exe, path.join(REPO, 'test', 'wine', 'layout.c')], { encoding: 'utf8' });
    if (cc.status !== 0) throw new Error(`layout.c does not compile: ${cc.stderr}`);
    const printed = runWine(cache, exe);
    sdk = JSON.parse(printed.output) as typeof sdk;
  }, 240_000);

  afterAll(() => {
    if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
    if (other !== undefined) fs.rmSync(other, { recursive: true, force: true });
    if (app !== '') fs.rmSync(app, { recursive: true, force: true });
  });

  it('runs as Windows, gets the Windows driver from createDriverFor(), and binds every Win32 function but those Wine 8 lacks', () => {
    expect(value('platform')).toBe('win32');
    expect(value('driverName')).toBe('windows');
    // Wine 8 exports no FindFirstFileNameW / FindNextFileNameW: bound lazily, missing only there
    expect((value('missing') as string[]).filter((f) => f !== 'FindFirstFileNameW' && f !== 'FindNextFileNameW')).toEqual([]);
  });

  it('declares the constants and structure layouts the Windows SDK headers define (a mingw-w64 program run under Wine)', () => {
    const declared = win32 as unknown as Record<string, unknown>;
    for (const [name, v] of Object.entries(sdk.constants)) expect({ name, value: declared[name] }).toEqual({ name, value: v });
    // and every constant win32.ts declares is one the program printed
    expect(Object.keys(declared).filter((n) => typeof declared[n] === 'number' && !(n in sdk.constants))).toEqual([]);
    expect(Object.keys(sdk.structs).sort()).toEqual(Object.keys(win32.STRUCTS).sort());
    expect(value('layouts')).toEqual(sdk.structs);
  });

  it('observes files, folders and absent paths without following links, case-insensitively', () => {
    const file = value('observeFile') as { kind: string; size: number; nlink: number; fileId: string };
    expect(file).toMatchObject({ kind: 'file', size: 4, nlink: 1 });
    expect(value('observeFileUpper')).toEqual(file);
    expect(value('observeDir')).toMatchObject({ kind: 'dir' });
    expect(value('observeAbsent')).toEqual({ kind: 'absent' });
    expect(value('observeBelowAbsent')).toEqual({ kind: 'absent' });
    expect(value('targetOfFile')).toMatchObject({ kind: 'file', fileId: file.fileId });
    // Wine's drives are Linux folders: a mount point each, no volume GUID path (JSON leaves out the undefined)
    expect(value('volume')).toEqual({ mountPoint: 'Z:\\' });
    expect(value('volumeC')).toEqual({ mountPoint: 'C:\\' });
  });

  it('makes hard links by handle (FileLinkInformation into the folder\'s handle), read back as the same file record, and removes only the link', () => {
    const file = value('observeFile') as { fileId: string };
    expect(value('hardCreate')).toBeNull();
    expect(value('hardObserve')).toMatchObject({ kind: 'file', nlink: 2, fileId: file.fileId });
    expect(error('hardAgain')).toMatchObject({ code: 'EEXIST' });
    expect(error('hardToFolder').message).toMatch(/is a folder; hard links are for files/);
    expect(value('listDir')).toEqual([
      { name: 'file.txt', kind: 'file' },
      { name: 'folder', kind: 'dir' },
      { name: 'hard.txt', kind: 'file' },
    ]);
    expect(error('removePlainFile').message).toMatch(/is not a link; linkplan never deletes files or folders$/);
    expect(error('removeFolder').message).toMatch(/is not a link/);
    expect(value('hardRemove')).toBeNull();
    expect(value('afterHardRemove')).toMatchObject({ kind: 'file', nlink: 1, fileId: file.fileId });
  });

  it('retargets a hard link by a new one renamed over it, and refuses to replace a file that is no link', () => {
    expect(value('hardRetarget')).toBeNull();
    const [current, one, two] = value('afterRetarget') as { fileId: string; nlink: number }[];
    expect(current).toMatchObject({ kind: 'file', fileId: two?.fileId, nlink: 2 });
    expect(one).toMatchObject({ kind: 'file', nlink: 1 });
    expect(value('afterRetargetList')).toEqual(['current.txt', 'one.txt', 'two.txt']);
    // to a junction (which Wine cannot make): the old link is put back as it was, nothing else left
    expect(error('hardToJunction')).toMatchObject({ code: 'ENOTSUP', message: expect.stringMatching(/current\.txt: cannot create junction \(this filesystem does not support reparse points/) as unknown });
    expect(value('afterHardToJunction')).toEqual([current, ['current.txt', 'dir', 'one.txt', 'two.txt']]);
    expect(error('retargetPlainFile').message).toMatch(/one\.txt: is no longer a link; refusing to replace it$/);
  });

  it.skipIf(otherBase === undefined)('refuses a hard link across volumes with words saying so (ERROR_NOT_SAME_DEVICE)', () => {
    const e = error('hardAcrossVolumes');
    expect(e.code).toBe('EXDEV');
    expect(e.message).toMatch(/the two paths are on different volumes \(a hard link must be on the volume of its target, and a move does not copy\); ERROR_NOT_SAME_DEVICE 17\)$/);
    expect(e.hint).toMatch(/symbolic link/);
    expect(value('afterAcross')).toEqual({ kind: 'absent' });
  });

  it('reaches paths longer than MAX_PATH through the \\\\?\\ form', () => {
    expect(value('longPathLength') as number).toBeGreaterThan(260);
    expect(value('longHard')).toBeNull();
    expect(value('longObserve')).toMatchObject({ kind: 'file', nlink: 2 });
  });

  it('says a junction cannot be made where reparse points are unsupported, and leaves nothing behind', () => {
    const e = error('junctionCreate');
    expect(e.code).toBe('ENOTSUP');
    expect(e.message).toMatch(/junction: cannot create junction \(this filesystem does not support reparse points \(junctions and symbolic links\); ERROR_NOT_SUPPORTED 50\)$/);
    expect(e.hint).toMatch(/NTFS/);
    expect(value('afterJunction')).toEqual({ kind: 'absent' });
  });

  it('catches a symbolic link reported as made that is not there', () => {
    const e = error('symlinkCreate');
    expect(e.code).toBe('EIO');
    expect(e.message).toMatch(/symlink\.txt: Windows reported the link made, but no link is there$/);
    expect(value('afterSymlink')).toEqual({ kind: 'absent' });
  });

  it("tells what a volume holds from its filesystem's flags: Wine's drives say NTFS without FILE_SUPPORTS_REPARSE_POINTS, so no junctions or symbolic links there, hard links yes", () => {
    const work = winePath(path.join(tmp, 'driver'));
    expect(value('capabilities')).toEqual({
      junctions: false,
      hardlinks: true,
      symlinks: false,
      symlinkNote: `the NTFS volume that holds ${work} holds no reparse points (no junctions, no symbolic links)`,
    });
    // (a path whose folders are not there yet: the volume of the nearest folder that is)
    expect(value('capabilitiesBelowAbsent')).toMatchObject({ junctions: false, hardlinks: true, symlinks: false });
  });

  it('maps Win32 errors of folder calls to words and codes, moves without overwriting, and deletes a tree without its targets', () => {
    expect(error('mkdirMissingParent')).toMatchObject({ code: 'ENOENT' });
    expect(error('mkdirMissingParent').message).toMatch(/\(a folder of the path does not exist; ERROR_PATH_NOT_FOUND 3\)$/);
    expect(error('moveOntoExisting')).toMatchObject({ code: 'EEXIST' });
    expect(error('moveOntoExisting').message).toMatch(/folder: already exists; refusing to overwrite it$/);
    expect(value('moveFolder')).toBeNull();
    expect(value('folderId')).toMatch(/^\d+:\d+$/);
    expect(value('rmdirMoved')).toBeNull();
    expect(value('removeTree')).toEqual({ files: 3, folders: 2, links: 0, left: [] });
    expect(value('afterTree')).toEqual({ kind: 'absent' });
    // the hard link inside went as a name: the file it shared a record with stays (with its long-path name)
    expect(value('afterTreeFile')).toMatchObject({ kind: 'file', nlink: 2 });
  });

  it('checks the folders an apply writes in against the plan, and pins them until the apply ends', () => {
    expect(error('expectWrongFolder')).toMatchObject({ code: 'ESTALE', message: expect.stringMatching(/pinned: is no longer the folder the plan saw/) as unknown });
    // a refused start pins nothing, and leaves no apply open: later writes check the folder anew
    expect(value('writeAfterRefusal')).toBeNull();
    expect(value('expectFolders')).toBeNull();
    expect(value('writeInPinned')).toBeNull();
    // a folder made in the apply is written in, and removed (let go of first)
    expect(value('rmdirInApply')).toBeNull();
    expect(value('releaseFolders')).toBeNull();
    expect(value('renameReleased')).toBeNull();
    // a folder of the plan gone at the start, and another one made in its place before a write there
    expect(error('writeInMovedFolder')).toMatchObject({ code: 'ESTALE', message: expect.stringMatching(/pinned: is no longer the folder the plan saw \(it was replaced or moved since\); nothing was written there$/) as unknown });
  });

  it('pins the folders of an apply so that no Windows process can rename them until it ends', () => {
    expect(error('renamePinned')).toMatchObject({ code: 'EBUSY' });
    expect(fs.existsSync(path.join(tmp, 'driver', 'held'))).toBe(true);
    expect(fs.existsSync(path.join(tmp, 'driver', 'held-elsewhere'))).toBe(false);
  });

  it('makes a folder relative to the handle on the folder it checked: a pinned folder swapped for a link to another one meanwhile (by a process that ignores sharing) gets the new folder, the other one nothing', () => {
    const work = path.join(tmp, 'driver');
    expect(value('swapped')).toBe(true);
    expect(fs.readlinkSync(path.join(work, 'swap'))).toBe('decoy');
    expect(value('swapMkdir')).toBeNull();
    expect(fs.readdirSync(path.join(work, 'swap-original')).sort()).toEqual(['gone.txt', 'made', 'one.txt']);
    expect(fs.readdirSync(path.join(work, 'decoy'))).toEqual(['gone.txt']);
    // (a hard link, a rename or a removal relative to that handle cannot be shown under Wine: its
    // server names an open folder by the path it last knew, and acts on that path; Windows acts on
    // the folder's file object)
  });

  it('binds the Restart Manager (rstrtmgr.dll) and asks it who holds a file in use: Wine\'s names nobody, so the lookup says "cannot tell" at once and the error keeps its general words', () => {
    expect(value('missing')).not.toEqual(expect.arrayContaining([expect.stringMatching(/^Rm/)]));
    const holder = value('holder') as { pid: number; handle: string };
    // the other process really holds it (a handle, not `error <code>`)
    expect(holder.handle).toMatch(/^\d+$/);
    expect(holder.pid).toBeGreaterThan(0);
    const { holders, ms } = value('holdersOf') as { holders: unknown; ms: number };
    expect(holders).toBeNull();
    expect(ms).toBeLessThan(2000);
    const e = error('removeHeld');
    expect(e.code).toBe('EBUSY');
    expect(e.message).toMatch(/held-link\.txt: cannot remove link \(another program is using it; ERROR_SHARING_VIOLATION 32\)$/);
    expect(e.hint).toMatch(/^close the program that has it open/);
    expect(value('afterRemoveHeld')).toMatchObject({ kind: 'file', nlink: 2 });
    // once the other process lets go, the link goes
    expect(value('removeLetGo')).toBeNull();
  });

  it("copies a tree for a relocation (walked by handles, files made with FILE_CREATE, a file with two names as two files): contents byte for byte, last write times and the read-only, hidden and archive attributes kept, folders' times set after their contents", () => {
    expect(value('copyRefusal')).toBeNull();
    const count = { bytes: 5_120_034, files: 7, folders: 3, links: 0, hardLinked: 2 };
    expect(value('copyFacts')).toEqual(count);
    expect(value('copyFree')).toEqual(expect.any(Number) as unknown);
    expect(value('copyFree') as number).toBeGreaterThan(0);
    expect(value('copyTree')).toEqual(count);
    expect(value('copyRoots')).toBe(1);
    // (the copy's top folder keeps its own creation time, so the identity a journal records of it
    // holds to the end: not checkable here, as Wine reports a folder's creation time as its last
    // change, which each entry made in it moves; test/windows/copy.test.ts checks it on NTFS)
    type Described = { rel: string; kind: string; mtime: number; atime: number; attributes: number; sha256?: string };
    const strip = (t: Described[]): Omit<Described, 'atime' | 'sha256'>[] => t.map(({ rel, kind, mtime, attributes }) => ({ rel, kind, mtime, attributes }));
    const before = value('copySrcTree') as Described[];
    const copy = value('copyDstTree') as Described[];
    const after = value('copySrcAfter') as Described[];
    // (access times are not compared: under Wine they do not read back as a program set them)
    expect(strip(copy)).toEqual(strip(before));
    expect(copy.map((e) => [e.rel, e.sha256])).toEqual(after.map((e) => [e.rel, e.sha256]));
    expect(strip(after)).toEqual(strip(before));
    // a file with two names in the tree becomes two files
    expect(value('copyLinkCounts')).toEqual([2, 1, 1]);
    expect(before.find((e) => e.rel === 'ro.txt')?.attributes).toBe(0x21);
    expect(before.find((e) => e.rel === 'hidden.txt')?.attributes).toBe(0x22);
    expect(before.find((e) => e.rel === 'a\\b')?.mtime).toBe(Date.UTC(2020, 0, 2, 9, 4, 5));
    // to the root of another drive (another volume serial): the same tree, and deleted again by removeTree
    const onC = value('copyToDriveRoot') as { count: unknown; volumes: number[]; trees: [unknown, unknown] };
    expect(onC.count).toEqual(count);
    expect(onC.trees[1]).toEqual(onC.trees[0]);
    expect(onC.volumes[0]).not.toBe(onC.volumes[1]);
    expect(value('afterDriveRoot')).toEqual({ kind: 'absent' });
    // progress: each file copied, then each checked, in the copy's names
    const progress = value('copyProgress') as { phase: string; files: number; path: string }[];
    expect(progress.map((p) => `${p.phase} ${p.files} ${p.path}`)).toEqual(
      ['copy', 'verify'].flatMap((phase) => ['a\\b\\deep.txt', 'a\\big.bin', 'a\\deep-too.txt', 'empty.txt', 'file.txt', 'hidden.txt', 'ro.txt'].map((f, i) => `${phase} ${i + 1} copy-dst\\${f}`)),
    );
  });

  it('finds a copy changed between its writing and its check, or an original written to meanwhile, names the file, and deletes the copy; refuses a target that exists and leaves it as it was', () => {
    const bad = value('copyCorruptedFile') as string;
    expect(bad).toMatch(/copy-bad\\a\\b\\deep\.txt$/);
    expect(error('copyCorrupted')).toMatchObject({ code: 'EMISMATCH', message: `${bad}: the copy differs from the original (its content); nothing was switched` });
    expect(value('afterCorrupted')).toEqual({ kind: 'absent' });
    expect(error('copyChanged')).toMatchObject({ code: 'ECHANGED', message: expect.stringMatching(/copy-src\\file\.txt: changed while it was copied; nothing was switched$/) as unknown });
    expect(value('afterChanged')).toEqual({ kind: 'absent' });
    expect(error('copyOntoExisting')).toMatchObject({ code: 'EEXIST', message: expect.stringMatching(/copy-taken: cannot make the copy \(something already exists there; ERROR_ALREADY_EXISTS 183\)$/) as unknown });
    expect(value('afterOntoExisting')).toEqual(['mine.txt']);
  });

  it('has the words of the Win32 errors users meet in the Windows build', () => {
    const words = value('errorWords') as Record<string, { name: string; errno: string; text: string }>;
    expect(words['50']?.text).toBe('this filesystem does not support reparse points (junctions and symbolic links)');
    expect(words['1314']).toMatchObject({ name: 'ERROR_PRIVILEGE_NOT_HELD', errno: 'EPERM' });
    for (const c of ['1314', '4390', '17', '1142', '5', '32', '33', '145', '183', '50']) expect(words[c]?.name).toMatch(/^ERROR_/);
  });

  it('runs the linkplan command under Wine: a junction on a volume without reparse points is a conflict and nothing is written; hard links apply, and a second apply changes nothing; a symbolic link is a conflict the plan explains', () => {
    const m = path.join(tmp, 'manifest');
    fs.mkdirSync(path.join(m, 'data'), { recursive: true });
    fs.mkdirSync(path.join(m, 'tools', 'app-2'), { recursive: true });
    fs.mkdirSync(path.join(m, 'links'));
    fs.writeFileSync(path.join(m, 'data', 'data.txt'), 'data');
    const hardlink = '  - path: links/data.txt\n    target: data/data.txt\n    type: hardlink\n';
    fs.writeFileSync(path.join(m, 'both.yaml'), `version: 1\nlinks:\n${hardlink}  - path: links/tool\n    target: tools/app-2\n    type: junction\n`);
    fs.writeFileSync(path.join(m, 'hard.yaml'), `version: 1\nlinks:\n${hardlink}`);
    const env = { LINKPLAN_STATE_DIR: winePath(path.join(tmp, 'state')), NO_COLOR: '1' };
    const linkplan = (...args: string[]): ReturnType<typeof runWineNode> => runWineNode(cache, { args: [winePath(path.join(app, 'bin', 'linkplan.js')), ...args], env });

    // the volume holds no junctions: the plan says so, and the apply refuses before any write
    const failed = linkplan('apply', '--yes', winePath(path.join(m, 'both.yaml')));
    expect(failed.output).toMatch(/conflict links\\tool: cannot make a junction here: this volume holds none, and symbolic links are unavailable: the NTFS volume that holds .*links\\tool holds no reparse points/);
    expect(failed.output).not.toMatch(/^ {4}at /m);
    expect(failed.status).toBe(1);
    expect(fs.readdirSync(path.join(m, 'links'))).toEqual([]);
    expect(fs.statSync(path.join(m, 'data', 'data.txt')).nlink).toBe(1);

    const applied = linkplan('apply', '--yes', winePath(path.join(m, 'hard.yaml')));
    expect({ status: applied.status, output: applied.output }).toMatchObject({ status: 0 });
    expect(fs.statSync(path.join(m, 'links', 'data.txt')).ino).toBe(fs.statSync(path.join(m, 'data', 'data.txt')).ino);
    const again = linkplan('apply', '--yes', winePath(path.join(m, 'hard.yaml')));
    expect({ status: again.status, output: again.output }).toMatchObject({ status: 0, output: expect.stringMatching(/^No changes: the disk already matches /m) as unknown });

    // symbolic links: the volume holds none, and the plan says so
    fs.writeFileSync(path.join(m, 'sym.yaml'), 'version: 1\nlinks:\n  - path: links/sym.txt\n    target: data/data.txt\n    type: symlink\n');
    const sym = linkplan('plan', winePath(path.join(m, 'sym.yaml')));
    expect(sym.output).toMatch(/conflict links\\sym\.txt: cannot create symbolic links here: the NTFS volume that holds .*links\\sym\.txt holds no reparse points/);
    expect(sym.status).toBe(1);
  });
});
