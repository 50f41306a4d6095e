// observe through the real POSIX driver, on real temporary folders: what it reads of each kind of
// thing a link path can hold (a fifo, hard links and their file identity, links), the free backup
// names it finds, what it never reads (below a folder found absent), the listing of a folder after
// LIST_AFTER absent names (and a property: the listing plans as reading every name does); and a
// few manifests run load -> observe -> plan on a real tree, as the command runs them. The
// planner's own rules are tested on hand-built values in planner.test.ts.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriverDecorator } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { parentOf, type AbsPath } from '../src/core/paths.js';
import { LIST_AFTER } from '../src/plan/observe.js';
import type { MadeLink } from '../src/plan/planner.js';
import type { Capabilities, Desired, Entry, Observed, Plan, TargetInfo, TargetKind } from '../src/core/types.js';
import type { Driver } from '../src/drivers/driver.js';
import { ListingMemoDriver } from '../src/drivers/listing-memo.js';
import { tempDir, writeTree, type TreeSpec } from './helpers/tree.js';
import { desired } from './helpers/desired.js';
import { observeOn, ofKind, only, planOnDisk, planPure } from './helpers/plan.js';

/** One manifest entry, as written in YAML (JSON is YAML). */
type RawLink = Record<string, unknown> & { path: string };

/** The starting tree: targets in <root>/t. */
const BASE: TreeSpec = {
  t: { 'file.txt': 'the target\n', 'other.txt': 'another file\n', dir: { 'a.txt': 'a\n' }, 'other-dir': {} },
};

/** A fresh temporary folder holding `tree` (the base tree of targets by default). */
function treeWith(tree: TreeSpec = BASE): string {
  const root = tempDir();
  writeTree(root, tree);
  return root;
}

/** Writes `links` as layout.yaml in `root`, then loads it, observes the disk and plans. */
function planFor(root: string, links: RawLink[], made?: ReadonlyMap<string, MadeLink>): Plan {
  const file = path.join(root, 'layout.yaml');
  fs.writeFileSync(file, JSON.stringify({ version: 1, links }, null, 2) + '\n');
  return planOnDisk(file, { load: { home: '/home/nobody', hostname: 'test' }, ...(made === undefined ? {} : { made }) });
}

function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

/** The entry observe reads at <root>/l for a link to t/file.txt, and the target it reads. */
function observedAtL(root: string): { entry: Entry | undefined; target: unknown } {
  const links = [desired(`${root}/l`, `${root}/t/file.txt`)];
  const o = observeOn(links, new PosixDriver(), 'linux');
  return { entry: o.entries.get(`${root}/l`), target: o.targets.get(`${root}/t/file.txt`) };
}

describe('what observe reads at a link path (the kinds the planner matrix is built of)', () => {
  it('a fifo is a special entry, read without opening it (which would block)', () => {
    const root = treeWith();
    mkfifo(`${root}/l`);
    expect(observedAtL(root).entry).toEqual({ kind: 'special', what: 'fifo' });
  });

  it('a hard link of the target is a file with two names and the id of the target, which is read followed', () => {
    const root = treeWith({ ...BASE, l: { hardlink: 't/file.txt' } });
    const st = fs.statSync(`${root}/t/file.txt`);
    const fileId = `${st.dev}:${st.ino}`;
    const { entry, target } = observedAtL(root);
    expect(entry).toEqual({ kind: 'file', size: 11, nlink: 2, fileId, dev: st.dev });
    expect(target).toEqual({ kind: 'file', fileId, dev: st.dev, nlink: 2 });
  });

  it('a hard link of another file has two names and another id', () => {
    const root = treeWith({ ...BASE, l: { hardlink: 't/other.txt' } });
    const other = fs.statSync(`${root}/t/other.txt`);
    const { entry, target } = observedAtL(root);
    expect(entry).toEqual({ kind: 'file', size: 13, nlink: 2, fileId: `${other.dev}:${other.ino}`, dev: other.dev });
    expect(target).toMatchObject({ kind: 'file' });
    expect(target).not.toMatchObject({ fileId: `${other.dev}:${other.ino}` });
  });

  it.each([
    ['a regular file', (r: string) => fs.writeFileSync(`${r}/l`, 'mine\n'), { kind: 'file', nlink: 1 }],
    ['an empty folder', (r: string) => fs.mkdirSync(`${r}/l`), { kind: 'dir' }],
    ['a non-empty folder', (r: string) => writeTree(`${r}/l`, { 'keep.txt': 'keep\n' }), { kind: 'dir' }],
    ['a symlink, its text as written', (r: string) => fs.symlinkSync('t/file.txt', `${r}/l`), { kind: 'symlink', linkText: 't/file.txt' }],
    ['a dangling symlink', (r: string) => fs.symlinkSync(`${r}/t/missing`, `${r}/l`), { kind: 'symlink' }],
  ] as const)('%s', (_name, make, entry) => {
    const root = treeWith();
    make(root);
    expect(observedAtL(root).entry).toMatchObject(entry);
  });

  it('a target that is a fifo is read as neither a file nor a folder', () => {
    const root = treeWith();
    mkfifo(`${root}/t/pipe`);
    const o = observeOn([desired(`${root}/l`, `${root}/t/pipe`)], new PosixDriver(), 'linux');
    expect(o.targetKinds?.get(`${root}/t/pipe`)).toBe('other');
  });
});

/** Counts the target questions that reach the driver it wraps. */
class TargetQuestions extends DriverDecorator {
  readonly kinds: string[] = [];
  readonly full: string[] = [];
  override targetKind(p: AbsPath): TargetKind {
    this.kinds.push(p);
    return super.targetKind(p);
  }
  override observeTarget(p: AbsPath): TargetInfo {
    this.full.push(p);
    return super.observeTarget(p);
  }
}

/** A POSIX driver that says this user may not make symbolic links (as on Windows without Developer Mode): `auto` may give a hard link. */
class NoSymlinks extends DriverDecorator {
  override capabilities(p: AbsPath): Capabilities {
    return { ...super.capabilities(p), symlinks: false, junctions: true };
  }
}

describe('what observe reads of a target: its kind, or which file it is as well', () => {
  const read = (root: string, extra: Partial<Desired>, driver: Driver = new PosixDriver()): Observed =>
    observeOn([desired(`${root}/l`, `${root}/t/file.txt`, extra)], driver, 'linux');
  const target = `t/file.txt`;

  it('a symbolic link over nothing, or over another link: its kind alone', () => {
    const root = treeWith();
    expect(read(root, {}).targetKinds?.get(`${root}/${target}`)).toBe('file');
    expect(read(root, {}).targets.has(`${root}/${target}`)).toBe(false);
    fs.symlinkSync('elsewhere', `${root}/l`);
    expect(read(root, { type: 'symlink' }).targetKinds?.get(`${root}/${target}`)).toBe('file');
  });

  it.each([
    ['a file at the path (it may be a hard link of the target)', {}, (r: string) => fs.writeFileSync(`${r}/l`, 'mine\n'), new PosixDriver()],
    ['type: hardlink', { type: 'hardlink' }, () => undefined, new PosixDriver()],
    ['type: auto where this user may not make symbolic links (a file may get a hard link)', {}, () => undefined, new NoSymlinks(new PosixDriver())],
  ] as const)('%s: which file it is, too', (_name, extra, make, driver) => {
    const root = treeWith();
    make(root);
    const st = fs.statSync(`${root}/${target}`);
    const o = read(root, extra, driver);
    expect(o.targets.get(`${root}/${target}`)).toMatchObject({ kind: 'file', fileId: `${st.dev}:${st.ino}`, dev: st.dev });
    expect(o.targetKinds?.has(`${root}/${target}`)).toBe(false);
  });

  it('through a ListingMemo, a target a listing showed as a file or folder costs no question to the driver', () => {
    const root = treeWith();
    fs.symlinkSync('file.txt', `${root}/t/link.txt`);
    const asked = new TargetQuestions(new PosixDriver());
    const driver = new ListingMemoDriver(asked);
    driver.listDir(`${root}/t` as AbsPath);
    const links = ['file.txt', 'dir', 'link.txt', 'missing'].map((n, i) => desired(`${root}/l${i}`, `${root}/t/${n}`));
    const o = observeOn(links, driver, 'linux');
    expect(['file.txt', 'dir', 'link.txt', 'missing'].map((n) => o.targetKinds?.get(`${root}/t/${n}`))).toEqual(['file', 'dir', 'file', 'absent']);
    // a link must be followed, and a name the listing lacks is asked (it may have been made since)
    expect(asked.kinds).toEqual([`${root}/t/link.txt`, `${root}/t/missing`]);
    expect(asked.full).toEqual([]);
  });

  it('a ListingMemo answers from a folder listed after a question about it, and folder by folder', () => {
    const root = treeWith();
    fs.mkdirSync(`${root}/u`);
    fs.writeFileSync(`${root}/u/g.txt`, 'g\n');
    const asked = new TargetQuestions(new PosixDriver());
    const driver = new ListingMemoDriver(asked);
    // asked before its folder is listed: the driver answers
    expect(driver.targetKind(`${root}/t/file.txt` as AbsPath)).toBe('file');
    driver.listDir(`${root}/t` as AbsPath);
    driver.listDir(`${root}/u` as AbsPath);
    for (const p of ['t/file.txt', 't/dir', 'u/g.txt', 't/file.txt', 'u/g.txt']) driver.targetKind(`${root}/${p}` as AbsPath);
    expect(asked.kinds).toEqual([`${root}/t/file.txt`]);
    expect(['t/file.txt', 't/dir', 'u/g.txt'].map((p) => driver.targetKind(`${root}/${p}` as AbsPath))).toEqual(['file', 'dir', 'file']);
  });

  it('a ListingMemo splits a POSIX path at its slashes alone: a backslash is part of a name there', () => {
    const root = treeWith();
    fs.mkdirSync(`${root}/t/a`);
    fs.writeFileSync(`${root}/t/a/b`, 'b\n');
    const asked = new TargetQuestions(new PosixDriver());
    const driver = new ListingMemoDriver(asked);
    driver.listDir(`${root}/t` as AbsPath);
    driver.listDir(`${root}/t/a` as AbsPath);
    // t/a\b is no file (t/a/b is): the memo must not read the name as a folder and a name
    expect(driver.targetKind(`${root}/t/a\\b` as AbsPath)).toBe('absent');
  });

  it('a ListingMemo forgets its listings at the first write through it', () => {
    const root = treeWith();
    const asked = new TargetQuestions(new PosixDriver());
    const driver = new ListingMemoDriver(asked);
    driver.listDir(`${root}/t` as AbsPath);
    expect(driver.targetKind(`${root}/t/file.txt` as AbsPath)).toBe('file');
    expect(asked.kinds).toEqual([]);
    driver.mkdir(`${root}/t/new` as AbsPath);
    expect(driver.targetKind(`${root}/t/file.txt` as AbsPath)).toBe('file');
    expect(asked.kinds).toEqual([`${root}/t/file.txt`]);
  });
});

describe('observe finds the first free backup name', () => {
  it.each([
    [[], 'l.linkplan-backup'],
    [['l.linkplan-backup'], 'l.linkplan-backup-2'],
    [['l.linkplan-backup', 'l.linkplan-backup-2'], 'l.linkplan-backup-3'],
    [['l.linkplan-backup-2'], 'l.linkplan-backup'],
  ] as const)('backup name with %j taken -> %s', (taken, name) => {
    const root = treeWith({ ...BASE, l: 'mine\n' });
    for (const t of taken) fs.writeFileSync(path.join(root, t), 'an earlier backup\n');
    const a = ofKind(only(planFor(root, [{ path: 'l', target: 't/file.txt', onConflict: 'backup' }])), 'backup-and-link');
    expect(a.backupPath).toBe(path.join(root, name));
  });

  it('a dangling symlink or a folder under the backup name also takes it', () => {
    const root = treeWith({ ...BASE, l: 'mine\n', 'l.linkplan-backup': {} });
    fs.symlinkSync(`${root}/nowhere`, `${root}/l.linkplan-backup-2`);
    const a = ofKind(only(planFor(root, [{ path: 'l', target: 't/file.txt', onConflict: 'backup' }])), 'backup-and-link');
    expect(a.backupPath).toBe(`${root}/l.linkplan-backup-3`);
  });
});

/** A POSIX driver that records the paths it is asked to observe and the folders it lists. */
function counting(): { driver: PosixDriver; read: string[]; listed: string[] } {
  const read: string[] = [];
  const listed: string[] = [];
  class Counting extends DriverDecorator {
    override observe(p: AbsPath): Entry {
      read.push(p);
      return super.observe(p);
    }
    override listDir(p: AbsPath): { name: string; kind: 'file' | 'dir' | 'link' | 'other' }[] {
      listed.push(p);
      return super.listDir(p);
    }
  }
  return { driver: new Counting(new PosixDriver()) as unknown as PosixDriver, read, listed };
}

describe('what observe does not read', () => {
  it('nothing is read below a folder found absent, and the folders are still all listed', () => {
    const root = treeWith();
    const links = ['new/a/x', 'new/a/y', 'new/b/x', 'new/c/d/x', 'l'].map((p) => desired(`${root}/${p}`, `${root}/t/file.txt`));
    const c = counting();
    const plan = planPure(links, observeOn(links, c.driver, 'linux'));
    // the first link's folders are read up to one that exists, and every folder above that one
    // (for folder links on the way); below new, found absent, nothing is: new/b, new/c, new/c/d
    // and the links in them cannot exist
    const above: string[] = [];
    for (let a = path.dirname(root); ; a = path.dirname(a)) {
      above.push(a);
      if (a === '/') break;
    }
    expect(c.read.sort()).toEqual([...above, root, `${root}/l`, `${root}/new`, `${root}/new/a`].sort());
    expect(plan.actions.map((a) => [a.kind, 'parents' in a ? a.parents : undefined])).toEqual([
      ['create', [`${root}/new`, `${root}/new/a`]],
      ['create', undefined],
      ['create', [`${root}/new/b`]],
      ['create', [`${root}/new/c`, `${root}/new/c/d`]],
      ['create', undefined],
    ]);
  });
});

describe('a folder where many names are absent is listed once', () => {
  it('after LIST_AFTER absent names: the rest are answered by the listing, and what is there is still read and found', () => {
    const N = LIST_AFTER * 3;
    const root = treeWith({ ...BASE, home: { 'in-the-way': 'mine', '.dot': {}, 'Case': 'x' } });
    const names = Array.from({ length: N }, (_, i) => `f${i}`);
    // what is there comes late, after the listing: it is read all the same
    const all = [...names, 'in-the-way', 'case', 'x~1', 'x:s', 'ends.'];
    const links = all.map((n) => desired(`${root}/home/${n}`, `${root}/t/file.txt`));
    const c = counting();
    const plan = planPure(links, observeOn(links, c.driver, 'linux'));
    expect(c.listed).toEqual([`${root}/home`]);
    const inHome = c.read.filter((p) => parentOf(p as AbsPath, 'linux') === `${root}/home`);
    // LIST_AFTER read before the listing; after it, the names the listing holds (but for case) and the ones it cannot answer for
    expect(inHome).toEqual([...names.slice(0, LIST_AFTER), 'in-the-way', 'case', 'x~1', 'x:s', 'ends.'].map((n) => `${root}/home/${n}`));
    const kinds = Object.fromEntries(plan.actions.map((a) => [path.basename(a.path), a.kind]));
    expect(kinds['in-the-way']).toBe('conflict');
    expect(names.every((n) => kinds[n] === 'create')).toBe(true);
    expect([kinds['case'], kinds['x~1'], kinds['x:s'], kinds['ends.']]).toEqual(['create', 'create', 'create', 'create']);
  });

  it('is not used where the folder holds a name that is not ASCII, and not made for fewer absent names', () => {
    const root = treeWith({ ...BASE, home: { 'café': 'x' } });
    const links = Array.from({ length: LIST_AFTER * 2 }, (_, i) => desired(`${root}/home/f${i}`, `${root}/t/file.txt`));
    const c = counting();
    observeOn(links, c.driver, 'linux');
    expect(c.listed).toEqual([`${root}/home`]);
    expect(c.read.filter((p) => p.startsWith(`${root}/home/`))).toHaveLength(LIST_AFTER * 2);
    const few = Array.from({ length: LIST_AFTER - 1 }, (_, i) => desired(`${root}/home/g${i}`, `${root}/t/file.txt`));
    const d = counting();
    observeOn(few, d.driver, 'linux');
    expect(d.listed).toEqual([]);
  });

  it('plans the same as reading every name, over random folders (property)', () => {
    const root = tempDir();
    fs.mkdirSync(`${root}/t`);
    fs.writeFileSync(`${root}/t/file.txt`, 'f');
    let round = 0;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom('a', 'b', 'A', 'B', 'c.d', 'x~1', 'é', 'e', 'f', 'g'), { maxLength: 6 }),
        fc.integer({ min: LIST_AFTER - 2, max: LIST_AFTER + 3 }),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'A', 'c.d', 'x~1', 'é', 'e', 'z'), { maxLength: 8 }),
        (present, absent, asked) => {
          const home = `${root}/h${round++}`;
          fs.mkdirSync(home);
          for (const n of present) fs.writeFileSync(`${home}/${n}`, n);
          const paths = [...Array.from({ length: absent }, (_, i) => `n${i}`), ...asked];
          const links = paths.map((n) => desired(`${home}/${n}`, `${root}/t/file.txt`));
          const listing = planPure(links, observeOn(links, new PosixDriver(), 'linux'));
          // every name read on its own: a fresh list of links per entry (nothing in one folder is asked twice)
          const each = links.map((l) => planPure([l], observeOn([l], new PosixDriver(), 'linux')).actions[0]?.kind);
          expect(listing.actions.map((a) => a.kind)).toEqual(each);
        },
      ),
      { numRuns: 60 },
    );
  });
});

describe('load -> observe -> plan on a real tree', () => {
  it('gives deep-equal plans for a real tree observed twice', () => {
    const root = treeWith({ ...BASE, l: 'mine\n', m: { link: 't/other.txt' } });
    const links = [
      { path: 'l', target: 't/file.txt', onConflict: 'backup' },
      { path: 'm', target: 't/file.txt', relative: true, onConflict: 'backup' },
      { path: 'n/o', target: 't/dir' },
    ];
    const a = planFor(root, links);
    const b = planFor(root, links);
    expect(b).toEqual(a);
    expect(a.actions.map((x) => x.kind)).toEqual(['backup-and-link', 'retarget', 'create']);
  });

  it('a hard link of the file a symlinked target leads to is already in place', () => {
    const root = treeWith({ ...BASE, alias: { link: 't/file.txt' }, h: { hardlink: 't/file.txt' } });
    const a = ofKind(only(planFor(root, [{ path: 'h', type: 'hardlink', target: 'alias' }])), 'noop');
    expect(a.reason).toBe(`already a hard link of ${root}/alias`);
  });

  it('a fifo in the way is a conflict, and the plan is made without blocking on it', () => {
    const root = treeWith();
    mkfifo(`${root}/l`);
    const a = ofKind(only(planFor(root, [{ path: 'l', target: 't/file.txt' }])), 'conflict');
    expect(a.reason).toBe('a fifo is in the way');
  });

  it('retargets a wrong link linkplan made, and leaves one it did not make as a conflict', () => {
    const root = treeWith({ ...BASE, mine: { link: 't/other.txt' }, theirs: { link: 't/other.txt' } });
    const made = new Map([[`${root}/mine`, { type: 'symlink' as const, linkText: 't/other.txt' }]]);
    const plan = planFor(
      root,
      [
        { path: 'mine', target: 't/file.txt' },
        { path: 'theirs', target: 't/file.txt' },
      ],
      made,
    );
    expect(plan.actions.map((a) => [a.kind, a.reason])).toEqual([
      ['retarget', `points to t/other.txt; should point to ${root}/t/file.txt`],
      ['conflict', `a symbolic link to t/other.txt, which linkplan did not make, is in the way`],
    ]);
  });

  it('is a conflict when a relative text, read from the real folder a linked folder leads to, misses the target', () => {
    const root = treeWith({ ...BASE, data: { home: {} } });
    fs.symlinkSync(`${root}/data/home`, `${root}/home`);
    const away = tempDir();
    fs.writeFileSync(`${away}/layout.yaml`, JSON.stringify({ version: 1, links: [{ path: `${root}/home/sub/l`, target: `${root}/t/file.txt`, relative: true }] }));
    const a = ofKind(only(planOnDisk(`${away}/layout.yaml`)), 'conflict');
    expect(a.reason).toMatch(/the folder .*\/home is a link to .*\/data\/home, and the text is read from there$/);
  });
});

describe('observe asks for the volume GUID path of the drives targetForm: volume-guid needs', () => {
  class Guids extends DriverDecorator {
    readonly asked: string[] = [];
    override volumeGuidPath(root: AbsPath): string | undefined {
      this.asked.push(root);
      return root.toLowerCase() === 'c:\\' ? '\\\\?\\Volume{0b0e4c2a-1111-2222-3333-444455556666}\\' : undefined;
    }
  }

  it('once per drive, only for entries that ask, and only on Windows', () => {
    const driver = new Guids(new PosixDriver());
    const links = [
      desired('C:\\tools\\jdk', 'C:\\tools\\jdk-21', { targetForm: 'volume-guid' }),
      desired('C:\\tools\\node', 'c:\\tools\\node-22', { targetForm: 'volume-guid' }),
      desired('C:\\tools\\plain', 'D:\\tools\\x'),
      desired('C:\\tools\\net', 'E:\\share\\x', { targetForm: 'volume-guid' }),
    ];
    const o = observeOn(links, driver, 'win32');
    expect(driver.asked).toEqual(['C:\\', 'E:\\']);
    expect(o.volumeGuids).toEqual(new Map([['c:\\', '\\\\?\\Volume{0b0e4c2a-1111-2222-3333-444455556666}\\']]));
    const onLinux = new Guids(new PosixDriver());
    observeOn([desired('/t/jdk', '/t/jdk-21', { targetForm: 'volume-guid' })], onLinux, 'linux');
    expect(onLinux.asked).toEqual([]);
  });
});

describe('observe asks what can be made at each path on Windows, where every drive is a volume of its own', () => {
  /** A Windows machine whose E: drive is FAT32: no reparse points there. */
  class FatDriveE extends DriverDecorator {
    override capabilities(p: AbsPath): Capabilities {
      if (!p.toLowerCase().startsWith('e:\\')) return super.capabilities(p);
      return { junctions: false, hardlinks: false, symlinks: false, symlinkNote: 'the FAT32 volume that holds it holds no reparse points' };
    }
  }

  it('gives each link the capabilities of its own volume (none of a FAT drive: no junctions there)', () => {
    const links = [desired('C:\\tools\\jdk', 'C:\\tools\\jdk-21'), desired('E:\\tools\\jdk', 'E:\\tools\\jdk-21')];
    const o = observeOn(links, new FatDriveE(new PosixDriver()), 'win32');
    expect(o.pathCapabilities?.get('e:\\tools\\jdk')).toMatchObject({ junctions: false, symlinks: false });
    expect(o.pathCapabilities?.get('c:\\tools\\jdk')).toEqual(new PosixDriver().capabilities('C:\\tools\\jdk' as AbsPath));
    // and elsewhere, one answer for the whole machine, as before
    const onLinux = observeOn([desired('/t/jdk', '/t/jdk-21')], new FatDriveE(new PosixDriver()), 'linux');
    expect(onLinux.pathCapabilities).toBeUndefined();
  });
});
