// The planner as a table: every desired kind against every observed kind, built for real in a
// temporary folder (files, folders, hard links, symlinks in both forms, a fifo), read with
// `observe` through the POSIX driver, and planned with the pure `computePlan`. Then the target
// states, parents, ordering, chains and backup names, and proof that the planner is pure.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriverDecorator } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { isInside, parentOf, type AbsPath } from '../src/core/paths.js';
import { loadManifest } from '../src/manifest/load.js';
import { LIST_AFTER, observe } from '../src/plan/observe.js';
import { computePlan, type MadeLink } from '../src/plan/planner.js';
import { linkIndex } from '../src/core/link-index.js';
import type { Action, ActionKind, Desired, Entry, Observed, Plan, TargetInfo } from '../src/core/types.js';
import { tempDir, writeTree, type TreeSpec } from './helpers/tree.js';
import { desired, P } from './helpers/desired.js';

const MANIFEST = { path: '/nowhere/layout.yaml', digest: 'sha256:' + '0'.repeat(64) };

/** One manifest entry, as written in YAML (JSON is YAML). */
type RawLink = Record<string, unknown> & { path: string };

/** Writes `links` as layout.yaml in `root`, loads it for real, observes the disk and plans. */
function planFor(root: string, links: RawLink[], extra: { vars?: Record<string, string>; manifestDir?: string; made?: ReadonlyMap<string, MadeLink> } = {}): Plan {
  const file = path.join(extra.manifestDir ?? root, 'layout.yaml');
  fs.writeFileSync(file, JSON.stringify({ version: 1, links }, null, 2) + '\n');
  const driver = new PosixDriver();
  const loaded = loadManifest(file, { driver, platform: 'linux', env: {}, home: '/home/nobody', hostname: 'test', ...(extra.vars ? { vars: extra.vars } : {}) });
  const made = extra.made;
  return computePlan(loaded.desired, observe(loaded.desired, driver, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: { path: loaded.file, digest: loaded.digest }, ...(made === undefined ? {} : { made: () => made }) });
}

function only(plan: Plan): Action {
  expect(plan.actions).toHaveLength(1);
  const a = plan.actions[0];
  if (a === undefined) throw new Error('no action');
  return a;
}

function actionAt(plan: Plan, p: string): Action {
  const a = plan.actions.find((x) => x.path === p);
  if (a === undefined) throw new Error(`no action for ${p}; have ${plan.actions.map((x) => x.path).join(', ')}`);
  return a;
}

function mkfifo(p: string): void {
  execFileSync('mkfifo', [p]);
}

// ---------------------------------------------------------------------------------------------
// The matrix: desired kind x observed kind
// ---------------------------------------------------------------------------------------------

/** The starting tree every matrix row shares; the link lives at <root>/l. */
const BASE: TreeSpec = {
  t: { 'file.txt': 'the target\n', 'other.txt': 'another file\n', dir: { 'a.txt': 'a\n' }, 'other-dir': {} },
};

/** A fresh temporary folder holding `tree` (the base tree of targets by default). */
function treeWith(tree: TreeSpec = BASE): string {
  const root = tempDir();
  writeTree(root, tree);
  return root;
}

interface DesiredKind {
  name: string;
  link: Omit<RawLink, 'path'>;
  /** What the target is: decides which observed rows make sense and what a right link is. */
  target: 'file' | 'dir' | null;
  /** The link text a correct link has (relative to root for a relative entry). */
  rightText?: (root: string) => string;
  /** The same target in the other form (absolute <-> relative). */
  otherText?: (root: string) => string;
}

const DESIRED: DesiredKind[] = [
  { name: 'symlink', link: { type: 'symlink', target: 't/file.txt' }, target: 'file', rightText: (r) => `${r}/t/file.txt`, otherText: () => 't/file.txt' },
  { name: 'symlink relative', link: { type: 'symlink', relative: true, target: 't/file.txt' }, target: 'file', rightText: () => 't/file.txt', otherText: (r) => `${r}/t/file.txt` },
  { name: 'auto', link: { target: 't/file.txt' }, target: 'file', rightText: (r) => `${r}/t/file.txt`, otherText: () => 't/file.txt' },
  { name: 'auto to a folder', link: { target: 't/dir' }, target: 'dir', rightText: (r) => `${r}/t/dir`, otherText: () => 't/dir' },
  { name: 'junction', link: { type: 'junction', target: 't/dir' }, target: 'dir', rightText: (r) => `${r}/t/dir`, otherText: () => 't/dir' },
  { name: 'hardlink', link: { type: 'hardlink', target: 't/file.txt' }, target: 'file', rightText: (r) => `${r}/t/file.txt`, otherText: () => 't/file.txt' },
  { name: 'absent', link: { state: 'absent' }, target: null },
  { name: 'absent with target', link: { state: 'absent', target: 't/file.txt' }, target: 'file', rightText: (r) => `${r}/t/file.txt`, otherText: () => 't/file.txt' },
];

interface ObservedKind {
  name: string;
  /** Makes the thing at <root>/l; `d` is the desired kind (its target decides a "right" link). */
  make: (root: string, d: DesiredKind) => void;
  /** The `before.kind` observe must report. */
  before: Entry['kind'];
  /** Only for desired kinds with this target kind (a hard link of a folder cannot exist). */
  onlyFor?: 'file';
  /** linkplan made the link there (its records hold it, as it is now). */
  made?: true;
}

const l = (root: string): string => path.join(root, 'l');
const targetOf = (root: string, d: DesiredKind): string => path.join(root, d.target === 'dir' ? 't/dir' : 't/file.txt');

const OBSERVED: ObservedKind[] = [
  { name: 'absent', make: () => undefined, before: 'absent' },
  { name: 'regular file', make: (r) => fs.writeFileSync(l(r), 'mine\n'), before: 'file' },
  { name: 'hard link of the target', make: (r, d) => fs.linkSync(targetOf(r, d), l(r)), before: 'file', onlyFor: 'file' },
  { name: 'hard link of another file', make: (r) => fs.linkSync(path.join(r, 't/other.txt'), l(r)), before: 'file' },
  { name: 'empty folder', make: (r) => fs.mkdirSync(l(r)), before: 'dir' },
  { name: 'non-empty folder', make: (r) => writeTree(l(r), { 'keep.txt': 'keep\n' }), before: 'dir' },
  { name: 'symlink to the right target', make: (r, d) => fs.symlinkSync(d.rightText?.(r) ?? `${r}/t/file.txt`, l(r)), before: 'symlink' },
  { name: 'symlink to a wrong target', make: (r, d) => fs.symlinkSync(`${r}/t/${d.target === 'dir' ? 'other-dir' : 'other.txt'}`, l(r)), before: 'symlink' },
  { name: 'dangling symlink', make: (r) => fs.symlinkSync(`${r}/t/missing`, l(r)), before: 'symlink' },
  { name: "linkplan's symlink to a wrong target", make: (r, d) => fs.symlinkSync(`${r}/t/${d.target === 'dir' ? 'other-dir' : 'other.txt'}`, l(r)), before: 'symlink', made: true },
  { name: "linkplan's dangling symlink", make: (r) => fs.symlinkSync(`${r}/t/missing`, l(r)), before: 'symlink', made: true },
  { name: 'symlink, same target in the other form', make: (r, d) => fs.symlinkSync(d.otherText?.(r) ?? 't/file.txt', l(r)), before: 'symlink' },
  { name: 'fifo', make: (r) => mkfifo(l(r)), before: 'special' },
];

/** What a cell expects: the action kind and a fragment of its reason (or hint). */
interface Cell {
  kind: ActionKind;
  reason?: RegExp;
}

const C = (kind: ActionKind, reason?: RegExp): Cell => (reason === undefined ? { kind } : { kind, reason });
const inTheWay = (what: RegExp): Cell => C('conflict', what);
const neverDeletes = C('conflict', /not a link; linkplan never deletes files or folders/);
const foreignLink = C('conflict', /^a symbolic link to .*, which linkplan did not make, is in the way$/);

/** expected[observed][desired] */
const EXPECTED: Record<string, Record<string, Cell | undefined>> = {
  absent: {
    symlink: C('create', /symlink requested/),
    'symlink relative': C('create', /symlink requested/),
    auto: C('create', /auto: a symbolic link, the native link on linux/),
    'auto to a folder': C('create', /auto/),
    junction: C('create', /junction requested; a directory symbolic link stands in/),
    hardlink: C('create', /hardlink requested/),
    absent: C('noop', /already absent/),
    'absent with target': C('noop', /already absent/),
  },
  'regular file': {
    symlink: inTheWay(/^a regular file is in the way$/),
    'symlink relative': inTheWay(/^a regular file is in the way$/),
    auto: inTheWay(/^a regular file is in the way$/),
    'auto to a folder': inTheWay(/^a regular file is in the way$/),
    junction: inTheWay(/^a regular file is in the way$/),
    hardlink: inTheWay(/^a regular file is in the way$/),
    absent: C('conflict', /is a regular file, not a link; linkplan never deletes/),
    'absent with target': C('conflict', /is a regular file, not a link; linkplan never deletes/),
  },
  'hard link of the target': {
    symlink: inTheWay(/^a regular file \(with 2 hard links\) is in the way$/),
    'symlink relative': inTheWay(/with 2 hard links\) is in the way/),
    auto: inTheWay(/with 2 hard links\) is in the way/),
    hardlink: C('noop', /already a hard link of .*\/t\/file\.txt$/),
    absent: C('conflict', /with 2 hard links\), not a link; linkplan never deletes/),
    'absent with target': C('remove', /state: absent; removes this hard link of .*\/t\/file\.txt$/),
  },
  'hard link of another file': {
    symlink: inTheWay(/^a regular file \(with 2 hard links\) is in the way$/),
    'symlink relative': inTheWay(/with 2 hard links\) is in the way/),
    auto: inTheWay(/with 2 hard links\) is in the way/),
    'auto to a folder': inTheWay(/with 2 hard links\) is in the way/),
    junction: inTheWay(/with 2 hard links\) is in the way/),
    hardlink: inTheWay(/with 2 hard links\) is in the way/),
    absent: C('conflict', /not a link; linkplan never deletes/),
    'absent with target': C('conflict', /is a regular file that is not a hard link of .*\/t\/file\.txt; linkplan never deletes files/),
  },
  'empty folder': {
    symlink: inTheWay(/^a folder is in the way$/),
    'symlink relative': inTheWay(/^a folder is in the way$/),
    auto: inTheWay(/^a folder is in the way$/),
    'auto to a folder': inTheWay(/^a folder is in the way$/),
    junction: inTheWay(/^a folder is in the way$/),
    hardlink: inTheWay(/^a folder is in the way$/),
    absent: neverDeletes,
    'absent with target': neverDeletes,
  },
  'non-empty folder': {
    symlink: inTheWay(/^a folder is in the way$/),
    'symlink relative': inTheWay(/^a folder is in the way$/),
    auto: inTheWay(/^a folder is in the way$/),
    'auto to a folder': inTheWay(/^a folder is in the way$/),
    junction: inTheWay(/^a folder is in the way$/),
    hardlink: inTheWay(/^a folder is in the way$/),
    absent: neverDeletes,
    'absent with target': neverDeletes,
  },
  'symlink to the right target': {
    symlink: C('noop', /^already a symbolic link to \//),
    'symlink relative': C('noop', /^already a symbolic link to t\/file\.txt$/),
    auto: C('noop', /^already a symbolic link to/),
    'auto to a folder': C('noop', /^already a symbolic link to/),
    junction: C('noop', /^already a symbolic link to/),
    hardlink: C('retarget', /^is a symbolic link to .*; should be a hardlink to .*\/t\/file\.txt$/),
    absent: C('remove', /^state: absent; removes a symbolic link to/),
    'absent with target': C('remove', /^state: absent; removes a symbolic link to/),
  },
  'symlink to a wrong target': {
    symlink: foreignLink,
    'symlink relative': foreignLink,
    auto: foreignLink,
    'auto to a folder': foreignLink,
    junction: foreignLink,
    hardlink: foreignLink,
    absent: C('remove', /removes a symbolic link to .*other/),
    'absent with target': C('conflict', /^is a symbolic link to .*\/t\/other\.txt, not to .*\/t\/file\.txt; left alone$/),
  },
  'dangling symlink': {
    symlink: foreignLink,
    'symlink relative': foreignLink,
    auto: foreignLink,
    'auto to a folder': foreignLink,
    junction: foreignLink,
    hardlink: foreignLink,
    absent: C('remove', /removes a symbolic link to .*\/t\/missing$/),
    'absent with target': C('conflict', /not to .*\/t\/file\.txt; left alone$/),
  },
  "linkplan's symlink to a wrong target": {
    symlink: C('retarget', /^points to .*\/t\/other\.txt; should point to .*\/t\/file\.txt$/),
    'symlink relative': C('retarget', /^points to .*\/t\/other\.txt; should point to t\/file\.txt$/),
    auto: C('retarget', /^points to .*other\.txt; should point to/),
    'auto to a folder': C('retarget', /^points to .*other-dir; should point to .*\/t\/dir$/),
    junction: C('retarget', /^points to .*other-dir; should point to .*\/t\/dir$/),
    hardlink: C('retarget', /^is a symbolic link to .*other\.txt; should be a hardlink/),
    absent: C('remove', /removes a symbolic link to .*other/),
    'absent with target': C('conflict', /^is a symbolic link to .*\/t\/other\.txt, not to .*\/t\/file\.txt; left alone$/),
  },
  "linkplan's dangling symlink": {
    symlink: C('retarget', /^points to .*\/t\/missing; should point to/),
    'symlink relative': C('retarget', /^points to .*\/t\/missing; should point to t\/file\.txt$/),
    auto: C('retarget', /missing; should point to/),
    'auto to a folder': C('retarget', /missing; should point to/),
    junction: C('retarget', /missing; should point to/),
    hardlink: C('retarget', /^is a symbolic link to .*missing; should be a hardlink/),
    absent: C('remove', /removes a symbolic link to .*\/t\/missing$/),
    'absent with target': C('conflict', /not to .*\/t\/file\.txt; left alone$/),
  },
  'symlink, same target in the other form': {
    symlink: C('retarget', /^link text is t\/file\.txt; should be \/.*\/t\/file\.txt \(same place, absolute form\)$/),
    'symlink relative': C('retarget', /^link text is \/.*\/t\/file\.txt; should be t\/file\.txt \(same place, relative form\)$/),
    auto: C('retarget', /\(same place, absolute form\)$/),
    'auto to a folder': C('retarget', /^link text is t\/dir; .*\(same place, absolute form\)$/),
    junction: C('retarget', /\(same place, absolute form\)$/),
    hardlink: C('retarget', /^is a symbolic link to t\/file\.txt; should be a hardlink/),
    absent: C('remove', /removes a symbolic link to t\/file\.txt$/),
    'absent with target': C('remove', /removes a symbolic link to t\/file\.txt$/),
  },
  fifo: {
    symlink: inTheWay(/^a fifo is in the way$/),
    'symlink relative': inTheWay(/^a fifo is in the way$/),
    auto: inTheWay(/^a fifo is in the way$/),
    'auto to a folder': inTheWay(/^a fifo is in the way$/),
    junction: inTheWay(/^a fifo is in the way$/),
    hardlink: inTheWay(/^a fifo is in the way$/),
    absent: C('conflict', /is a fifo, not a link; linkplan never deletes/),
    'absent with target': C('conflict', /is a fifo, not a link; linkplan never deletes/),
  },
};

interface MatrixRow {
  observed: ObservedKind;
  desired: DesiredKind;
  cell: Cell;
}

const MATRIX: MatrixRow[] = OBSERVED.flatMap((o) =>
  DESIRED.filter((d) => o.onlyFor === undefined || d.target === o.onlyFor).map((d): MatrixRow => {
    const cell = EXPECTED[o.name]?.[d.name];
    if (cell === undefined) throw new Error(`the table has no cell for ${o.name} x ${d.name}`);
    return { observed: o, desired: d, cell };
  }),
);

describe('planner matrix: observed kind x desired kind (refuse)', () => {
  it('covers every observed kind against every desired kind that can meet it', () => {
    expect(MATRIX).toHaveLength(OBSERVED.length * DESIRED.length - DESIRED.filter((d) => d.target !== 'file').length);
    expect(MATRIX.length).toBeGreaterThanOrEqual(80);
  });

  it.each(MATRIX.map((r) => [`${r.observed.name} | ${r.desired.name} -> ${r.cell.kind}`, r] as const))('%s', (_name, row) => {
    const root = treeWith();
    row.observed.make(root, row.desired);
    const made = row.observed.made === true ? new Map([[path.join(root, 'l'), { type: 'symlink' as const, linkText: fs.readlinkSync(path.join(root, 'l')) }]]) : undefined;
    const plan = planFor(root, [{ path: 'l', ...row.desired.link }], made === undefined ? {} : { made });
    const a = only(plan);
    const p = path.join(root, 'l');
    const target = row.desired.target === null ? null : targetOf(root, row.desired);

    expect(a.path).toBe(p);
    expect(a.before.kind).toBe(row.observed.before);
    expect(a.kind).toBe(row.cell.kind);
    if (row.cell.reason !== undefined) expect(a.reason).toMatch(row.cell.reason);
    expect(a.source.where).toBe('links[0]');

    // the fields every kind must (or must not) carry
    switch (a.kind) {
      case 'create':
      case 'retarget': {
        if (target === null) throw new Error('a link without a target');
        const isHard = row.desired.name === 'hardlink';
        const text = row.desired.rightText?.(root);
        expect(a.link).toEqual({ type: isHard ? 'hardlink' : 'symlink', target, linkText: isHard ? target : text });
        expect(a.after).toEqual(isHard ? { kind: 'hardlink', target } : { kind: 'symlink', linkText: text });
        expect(a.parents).toBeUndefined();
        if (row.desired.name === 'junction') expect(a.notes).toEqual(['junctions exist only on NTFS; on linux a directory symbolic link stands in for it']);
        else expect(a.notes).toEqual([]);
        break;
      }
      case 'noop':
        expect(a.after).toEqual(a.before);
        expect(a.link).toBeUndefined();
        break;
      case 'remove':
        expect(a.after).toEqual({ kind: 'absent' });
        expect(a.link).toBeUndefined();
        if (a.before.kind === 'file') expect(a.removeTarget).toBe(target);
        else expect(a.removeTarget).toBeUndefined();
        break;
      case 'conflict':
        // a conflict changes nothing and says what to do
        expect(a.after).toEqual(a.before);
        expect(a.hint).toMatch(/\w/);
        if (row.desired.target !== null && row.desired.link.state !== 'absent') {
          expect(a.hint).toMatch(/onConflict: backup/);
          expect(a.link?.target).toBe(target);
        }
        break;
      default:
        throw new Error(`unexpected ${a.kind}`);
    }
    const s = plan.summary;
    expect(s.create + s.retarget + s.remove + s.backup + s.adopt + s.unchanged + s.conflict).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
// onConflict: backup and adopt, against every kind of thing that can be in the way
// ---------------------------------------------------------------------------------------------

const IN_THE_WAY = OBSERVED.filter((o) => o.before === 'file' || o.before === 'dir' || o.before === 'special');

describe('onConflict: backup moves anything in the way aside', () => {
  it.each(IN_THE_WAY.map((o) => [o.name, o] as const))('%s -> backup-and-link', (_name, o) => {
    const root = treeWith();
    const d = DESIRED[0];
    if (d === undefined) throw new Error('no desired kinds');
    o.make(root, d);
    const a = only(planFor(root, [{ path: 'l', target: 't/file.txt', onConflict: 'backup' }]));
    expect(a.kind).toBe('backup-and-link');
    expect(a.before.kind).toBe(o.before);
    expect(a.backupPath).toBe(`${root}/l.linkplan-backup`);
    expect(a.link).toEqual({ type: 'symlink', target: `${root}/t/file.txt`, linkText: `${root}/t/file.txt` });
    expect(a.after).toEqual({ kind: 'symlink', linkText: `${root}/t/file.txt` });
    expect(a.reason).toMatch(/is in the way; it is moved aside to .*\/l\.linkplan-backup$/);
  });

  it('a hard link of the target is not in the way of a hard link entry, even with backup', () => {
    const root = treeWith();
    fs.linkSync(`${root}/t/file.txt`, `${root}/l`);
    const a = only(planFor(root, [{ path: 'l', type: 'hardlink', target: 't/file.txt', onConflict: 'backup' }]));
    expect(a.kind).toBe('noop');
    expect(a.backupPath).toBeUndefined();
  });

  it("backup does not touch a link that is already right, and retargets a wrong one linkplan made", () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t/file.txt`, `${root}/right`);
    fs.symlinkSync(`${root}/t/other.txt`, `${root}/wrong`);
    const made = new Map([[`${root}/wrong`, { type: 'symlink' as const, linkText: `${root}/t/other.txt` }]]);
    const plan = planFor(
      root,
      [
        { path: 'right', target: 't/file.txt', onConflict: 'backup' },
        { path: 'wrong', target: 't/file.txt', onConflict: 'backup' },
      ],
      { made },
    );
    expect(plan.actions.map((a) => a.kind)).toEqual(['noop', 'retarget']);
    expect(plan.actions.every((a) => a.backupPath === undefined)).toBe(true);
  });

  it('backup replaces a wrong link someone else made in one retarget, keeping a copy under the backup name', () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t/other.txt`, `${root}/wrong`);
    const a = only(planFor(root, [{ path: 'wrong', target: 't/file.txt', onConflict: 'backup' }]));
    expect(a.kind).toBe('retarget');
    expect(a.backupPath).toBe(`${root}/wrong.linkplan-backup`);
    expect(a.reason).toBe(`is a symbolic link to ${root}/t/other.txt, which linkplan did not make, and is replaced; a copy of it is kept at ${root}/wrong.linkplan-backup`);
  });

  it.each([
    [[], 'l.linkplan-backup'],
    [['l.linkplan-backup'], 'l.linkplan-backup-2'],
    [['l.linkplan-backup', 'l.linkplan-backup-2'], 'l.linkplan-backup-3'],
    [['l.linkplan-backup-2'], 'l.linkplan-backup'],
  ] as const)('backup name with %j taken -> %s', (taken, name) => {
    const root = treeWith({ ...BASE, l: 'mine\n' });
    for (const t of taken) fs.writeFileSync(path.join(root, t), 'an earlier backup\n');
    const a = only(planFor(root, [{ path: 'l', target: 't/file.txt', onConflict: 'backup' }]));
    expect(a.kind).toBe('backup-and-link');
    expect(a.backupPath).toBe(path.join(root, name));
  });

  it('a dangling symlink or a folder under the backup name also takes it', () => {
    const root = treeWith({ ...BASE, l: 'mine\n', 'l.linkplan-backup': {} });
    fs.symlinkSync(`${root}/nowhere`, `${root}/l.linkplan-backup-2`);
    const a = only(planFor(root, [{ path: 'l', target: 't/file.txt', onConflict: 'backup' }]));
    expect(a.backupPath).toBe(`${root}/l.linkplan-backup-3`);
  });

  it('two entries get backup names of their own paths', () => {
    const root = treeWith({ ...BASE, l: 'mine\n', m: { x: 'x\n' } });
    const plan = planFor(root, [
      { path: 'l', target: 't/file.txt', onConflict: 'backup' },
      { path: 'm', target: 't/dir', onConflict: 'backup' },
    ]);
    expect(plan.actions.map((a) => [a.kind, a.backupPath])).toEqual([
      ['backup-and-link', `${root}/l.linkplan-backup`],
      ['backup-and-link', `${root}/m.linkplan-backup`],
    ]);
    expect(plan.summary).toMatchObject({ backup: 2, conflict: 0 });
  });
});

describe('onConflict: adopt moves what is in the way into a target that does not exist yet', () => {
  it.each([
    ['regular file', (r: string) => fs.writeFileSync(`${r}/l`, 'mine\n'), 'file', 'new.txt'],
    ['hard link of another file', (r: string) => fs.linkSync(`${r}/t/other.txt`, `${r}/l`), 'file', 'new.txt'],
    ['empty folder', (r: string) => fs.mkdirSync(`${r}/l`), 'dir', 'new-dir'],
    ['non-empty folder', (r: string) => writeTree(`${r}/l`, { 'keep.txt': 'keep\n' }), 'dir', 'new-dir'],
  ] as const)('%s, target missing -> adopt', (_name, make, kind, name) => {
    const root = treeWith();
    make(root);
    const a = only(planFor(root, [{ path: 'l', target: `t/${name}`, onConflict: 'adopt' }]));
    expect(a.kind).toBe('adopt');
    expect(a.before.kind).toBe(kind);
    expect(a.link).toEqual({ type: 'symlink', target: `${root}/t/${name}`, linkText: `${root}/t/${name}` });
    expect(a.after).toEqual({ kind: 'symlink', linkText: `${root}/t/${name}` });
    expect(a.targetParents).toBeUndefined();
    expect(a.backupPath).toBeUndefined();
    expect(a.reason).toMatch(/is in the way; it is moved to the target .*\/t\/new.*, then linked$/);
  });

  it.each([
    ['regular file', (r: string) => fs.writeFileSync(`${r}/l`, 'mine\n'), 't/file.txt'],
    ['non-empty folder', (r: string) => writeTree(`${r}/l`, { 'keep.txt': 'keep\n' }), 't/dir'],
    ['fifo', (r: string) => mkfifo(`${r}/l`), 't/file.txt'],
  ] as const)('%s, target exists -> conflict', (_name, make, target) => {
    const root = treeWith();
    make(root);
    const a = only(planFor(root, [{ path: 'l', target, onConflict: 'adopt' }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toMatch(/is in the way, and it cannot be adopted because the target .* exists already$/);
    expect(a.hint).toMatch(/onConflict: backup/);
  });

  it('adopt creates the missing folders of the target, outermost first', () => {
    const root = treeWith({ ...BASE, l: { 'keep.txt': 'keep\n' } });
    const a = only(planFor(root, [{ path: 'l', target: 'store/deep/l', onConflict: 'adopt' }]));
    expect(a.kind).toBe('adopt');
    expect(a.targetParents).toEqual([`${root}/store`, `${root}/store/deep`]);
    expect(a.parents).toBeUndefined();
  });

  it('adopt with a hard link entry adopts the file and hard-links it back', () => {
    const root = treeWith({ ...BASE, l: 'mine\n' });
    const a = only(planFor(root, [{ path: 'l', type: 'hardlink', target: 't/adopted.txt', onConflict: 'adopt' }]));
    expect(a.kind).toBe('adopt');
    expect(a.link).toEqual({ type: 'hardlink', target: `${root}/t/adopted.txt`, linkText: `${root}/t/adopted.txt` });
    expect(a.after).toEqual({ kind: 'hardlink', target: `${root}/t/adopted.txt` });
  });

  it('adopting a folder into a hard link entry is a conflict (a hard link needs a file)', () => {
    const root = treeWith({ ...BASE, l: { x: 'x\n' } });
    const a = only(planFor(root, [{ path: 'l', type: 'hardlink', target: 't/adopted', onConflict: 'adopt' }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toMatch(/a hard link can only point to a file, and the target is a folder/);
  });

  it('a fifo cannot be adopted: the conflict names the fifo, not the target', () => {
    const root = treeWith();
    mkfifo(`${root}/l`);
    const a = only(planFor(root, [{ path: 'l', target: 't/new', onConflict: 'adopt' }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toMatch(/^a fifo is in the way, and only a file or a folder can be adopted$/);
    expect(a.hint).toMatch(/onConflict: backup/);
  });

  it('adopt when the target path holds a dangling symlink is a conflict (the move would find it in the way)', () => {
    const root = treeWith({ ...BASE, l: 'mine\n' });
    fs.symlinkSync(`${root}/nowhere`, `${root}/t/new.txt`);
    const a = only(planFor(root, [{ path: 'l', target: 't/new.txt', onConflict: 'adopt' }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toMatch(/cannot adopt into .*\/t\/new\.txt: it is a symbolic link to .*\/nowhere/);
  });

  it('adopt with nothing in the way is a plain create, and with a missing target a conflict', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'l', target: 't/file.txt', onConflict: 'adopt' },
      { path: 'm', target: 't/missing', onConflict: 'adopt' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'conflict']);
    expect(actionAt(plan, `${root}/m`).reason).toBe(`its target ${root}/t/missing does not exist`);
  });
});

// ---------------------------------------------------------------------------------------------
// Target states
// ---------------------------------------------------------------------------------------------

describe('target states', () => {
  it.each([
    ['symlink to a missing target', { type: 'symlink', target: 't/missing' }, /^its target .*\/t\/missing does not exist$/, /create the target first/],
    ['auto to a missing target', { target: 't/missing' }, /does not exist$/, /create the target first/],
    ['hardlink to a missing target', { type: 'hardlink', target: 't/missing' }, /does not exist$/, /create the target first/],
    ['junction to a file', { type: 'junction', target: 't/file.txt' }, /^a junction can only point to a folder, and the target is a file$/, /use type: symlink or hardlink/],
    ['hardlink to a folder', { type: 'hardlink', target: 't/dir' }, /^a hard link can only point to a file, and the target is a folder$/, /use type: symlink/],
    ['symlink to a fifo', { type: 'symlink', target: 't/pipe' }, /^its target .*\/t\/pipe is neither a file nor a folder$/, /point the link at a file or a folder/],
  ] as const)('%s -> conflict', (_name, link, reason, hint) => {
    const root = treeWith();
    mkfifo(`${root}/t/pipe`);
    const a = only(planFor(root, [{ path: 'l', ...link }]));
    expect(a.kind).toBe('conflict');
    expect(a.before).toEqual({ kind: 'absent' });
    expect(a.after).toEqual({ kind: 'absent' });
    expect(a.reason).toMatch(reason);
    expect(a.hint).toMatch(hint);
  });

  it.each([
    ['symlink', { type: 'symlink' }, 'symlink'],
    ['auto', {}, 'symlink'],
    ['junction', { type: 'junction' }, 'symlink'],
  ] as const)('%s to a folder -> a %s', (_name, extra, type) => {
    const root = treeWith();
    const a = only(planFor(root, [{ path: 'l', target: 't/dir', ...extra }]));
    expect(a.kind).toBe('create');
    expect(a.link?.type).toBe(type);
  });

  it('a target reached through a symlinked folder counts as existing', () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t`, `${root}/via`);
    const a = only(planFor(root, [{ path: 'l', type: 'hardlink', target: 'via/file.txt' }]));
    expect(a.kind).toBe('create');
    expect(a.link).toEqual({ type: 'hardlink', target: `${root}/via/file.txt`, linkText: `${root}/via/file.txt` });
  });

  it('a relative link to a folder above the link is written with ..', () => {
    const root = treeWith({ ...BASE, home: { sub: {} } });
    const a = only(planFor(root, [{ path: 'home/sub/l', target: 't/dir', relative: true }]));
    expect(a.kind).toBe('create');
    expect(a.link?.linkText).toBe('../../t/dir');
    expect(a.after).toEqual({ kind: 'symlink', linkText: '../../t/dir' });
  });

  it('a relative hard link entry ignores relative (a hard link has no text)', () => {
    const root = treeWith();
    const a = only(planFor(root, [{ path: 'l', type: 'hardlink', relative: true, target: 't/file.txt' }]));
    expect(a.link).toEqual({ type: 'hardlink', target: `${root}/t/file.txt`, linkText: `${root}/t/file.txt` });
  });

  it('a retarget says what changes for a version switch', () => {
    const root = treeWith({ tools: { 'app-1.0': {}, 'app-2.0': {} } });
    fs.symlinkSync(`${root}/tools/app-1.0`, `${root}/tools/app`);
    const made = new Map([[`${root}/tools/app`, { type: 'symlink' as const, linkText: `${root}/tools/app-1.0` }]]);
    const a = only(planFor(root, [{ path: 'tools/app', target: 'tools/app-${v}', type: 'junction' }], { vars: { v: '2.0' }, made }));
    expect(a.kind).toBe('retarget');
    expect(a.before).toEqual({ kind: 'symlink', linkText: `${root}/tools/app-1.0` });
    expect(a.link).toEqual({ type: 'symlink', target: `${root}/tools/app-2.0`, linkText: `${root}/tools/app-2.0` });
    expect(a.reason).toBe(`points to ${root}/tools/app-1.0; should point to ${root}/tools/app-2.0`);
  });
});

// ---------------------------------------------------------------------------------------------
// Parents
// ---------------------------------------------------------------------------------------------

describe('parent folders', () => {
  it('missing parents are listed outermost first', () => {
    const root = treeWith();
    const a = only(planFor(root, [{ path: 'a/b/c/l', target: 't/file.txt' }]));
    expect(a.kind).toBe('create');
    expect(a.parents).toEqual([`${root}/a`, `${root}/a/b`, `${root}/a/b/c`]);
  });

  it('createParents: false makes a missing parent a conflict naming the outermost folder', () => {
    const root = treeWith();
    const a = only(planFor(root, [{ path: 'a/b/l', target: 't/file.txt', createParents: false }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toBe(`its folder ${root}/a does not exist, and createParents is off`);
    expect(a.hint).toMatch(/createParents: true/);
    expect(a.parents).toBeUndefined();
  });

  it('createParents: false is fine when the folder exists', () => {
    const root = treeWith({ ...BASE, a: {} });
    const a = only(planFor(root, [{ path: 'a/l', target: 't/file.txt', createParents: false }]));
    expect(a.kind).toBe('create');
    expect(a.parents).toBeUndefined();
  });

  it.each([
    ['a regular file', (r: string) => fs.writeFileSync(`${r}/a`, 'x\n'), /^its folder .*\/a is a regular file, so no folder can be made there$/],
    ['a fifo', (r: string) => mkfifo(`${r}/a`), /^its folder .*\/a is a fifo, so no folder can be made there$/],
    ['a symlink to a file', (r: string) => fs.symlinkSync(`${r}/t/file.txt`, `${r}/a`), /^its folder .*\/a is a symbolic link to .*, which leads to a file$/],
    ['a dangling symlink', (r: string) => fs.symlinkSync(`${r}/nowhere`, `${r}/a`), /^its folder .*\/a is a symbolic link to .*nowhere, which leads to nothing$/],
  ] as const)('a parent that is %s -> conflict', (_name, make, reason) => {
    const root = treeWith();
    make(root);
    const a = only(planFor(root, [{ path: 'a/b/l', target: 't/file.txt' }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toMatch(reason);
  });

  it('a parent that is a symlink to a folder outside the sources is used as it is', () => {
    const root = treeWith({ ...BASE, real: {} });
    fs.symlinkSync(`${root}/real`, `${root}/a`);
    const a = only(planFor(root, [{ path: `${root}/a/sub/l`, target: `${root}/t/file.txt` }], { manifestDir: tempDir() }));
    expect(a.kind).toBe('create');
    expect(a.parents).toEqual([`${root}/a/sub`]);
  });

  it('two links sharing a new parent: the folder is listed once, on the first action', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'n/m/one', target: 't/file.txt' },
      { path: 'n/m/two', target: 't/other.txt' },
      { path: 'n/three', target: 't/dir' },
    ]);
    expect(plan.actions.map((a) => [a.kind, a.path, a.parents])).toEqual([
      ['create', `${root}/n/m/one`, [`${root}/n`, `${root}/n/m`]],
      ['create', `${root}/n/m/two`, undefined],
      ['create', `${root}/n/three`, undefined],
    ]);
  });

  it('a conflicting first link does not claim the new parent for itself', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'n/one', target: 't/missing' },
      { path: 'n/two', target: 't/file.txt' },
    ]);
    expect(plan.actions.map((a) => [a.kind, a.parents])).toEqual([
      ['conflict', undefined],
      ['create', [`${root}/n`]],
    ]);
  });

  it('a folder can be made where this plan removes a link', () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t/dir`, `${root}/old`);
    const plan = planFor(root, [
      { path: 'old/l', target: 't/file.txt' },
      { path: 'old', state: 'absent' },
    ]);
    expect(plan.actions.map((a) => [a.kind, a.path, a.parents])).toEqual([
      ['remove', `${root}/old`, undefined],
      ['create', `${root}/old/l`, [`${root}/old`]],
    ]);
  });

  it('after that apply, the folder made in place of the removed link is unchanged (idempotent)', () => {
    const root = tempDir();
    writeTree(root, { ...BASE, old: { l: { link: `${root}/t/file.txt` } } });
    const plan = planFor(root, [
      { path: 'old/l', target: 't/file.txt' },
      { path: 'old', state: 'absent' },
    ]);
    expect(plan.actions.map((a) => [a.kind, a.path, a.reason])).toEqual([
      ['noop', `${root}/old/l`, `already a symbolic link to ${root}/t/file.txt`],
      ['noop', `${root}/old`, 'a real folder, which links of this manifest are made in; no link here'],
    ]);
  });

  it('an absent entry on a real folder with no links of the manifest inside is still a conflict', () => {
    const root = treeWith({ ...BASE, old: { x: 'x\n' }, other: {} });
    const plan = planFor(root, [
      { path: 'other/l', target: 't/file.txt' },
      { path: 'old', state: 'absent' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'conflict']);
  });

  it('a link left alone by a conflicting absent entry is not treated as removed', () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t/dir`, `${root}/old`);
    const plan = planFor(
      root,
      [
        { path: `${root}/old/l`, target: `${root}/t/file.txt` },
        { path: `${root}/old`, state: 'absent', target: `${root}/t/other-dir` },
      ],
      { manifestDir: tempDir() },
    );
    const old = actionAt(plan, `${root}/old`);
    expect(old.kind).toBe('conflict');
    // the link stays, so the new link goes through it into t/dir, which exists: no folder to make
    const inner = actionAt(plan, `${root}/old/l`);
    expect(inner.kind).toBe('create');
    expect(inner.parents).toBeUndefined();
  });

  it('nothing is read below a folder found absent, and the folders are still all listed', () => {
    const root = treeWith();
    const read: string[] = [];
    class Counting extends DriverDecorator {
      override observe(p: AbsPath): Entry {
        read.push(p);
        return super.observe(p);
      }
    }
    const links = ['new/a/x', 'new/a/y', 'new/b/x', 'new/c/d/x', 'l'].map((p) => desired(`${root}/${p}`, `${root}/t/file.txt`));
    const plan = computePlan(links, observe(links, new Counting(new PosixDriver()), { platform: 'linux', links: linkIndex(links, 'linux') }), { manifest: MANIFEST, links: linkIndex(links, 'linux') });
    // the first link's folders are read up to one that exists, and every folder above that one
    // (for folder links on the way); below new, found absent, nothing is: new/b, new/c, new/c/d
    // and the links in them cannot exist
    const above: string[] = [];
    for (let a = path.dirname(root); ; a = path.dirname(a)) {
      above.push(a);
      if (a === '/') break;
    }
    expect(read.sort()).toEqual([...above, root, `${root}/l`, `${root}/new`, `${root}/new/a`].sort());
    expect(plan.actions.map((a) => [a.kind, a.parents])).toEqual([
      ['create', [`${root}/new`, `${root}/new/a`]],
      ['create', undefined],
      ['create', [`${root}/new/b`]],
      ['create', [`${root}/new/c`, `${root}/new/c/d`]],
      ['create', undefined],
    ]);
  });
});

describe('a folder where many names are absent is listed once', () => {
  /** A driver that records the paths it is asked to observe and the folders it lists. */
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

  it('after LIST_AFTER absent names: the rest are answered by the listing, and what is there is still read and found', () => {
    const N = LIST_AFTER * 3;
    const root = treeWith({ ...BASE, home: { 'in-the-way': 'mine', '.dot': {}, 'Case': 'x' } });
    const names = Array.from({ length: N }, (_, i) => `f${i}`);
    // what is there comes late, after the listing: it is read all the same
    const all = [...names, 'in-the-way', 'case', 'x~1', 'x:s', 'ends.'];
    const links = all.map((n) => desired(`${root}/home/${n}`, `${root}/t/file.txt`));
    const c = counting();
    const plan = computePlan(links, observe(links, c.driver, { platform: 'linux', links: linkIndex(links, 'linux') }), { manifest: MANIFEST, links: linkIndex(links, 'linux') });
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
    observe(links, c.driver, { platform: 'linux', links: linkIndex(links, 'linux') });
    expect(c.listed).toEqual([`${root}/home`]);
    expect(c.read.filter((p) => p.startsWith(`${root}/home/`))).toHaveLength(LIST_AFTER * 2);
    const few = Array.from({ length: LIST_AFTER - 1 }, (_, i) => desired(`${root}/home/g${i}`, `${root}/t/file.txt`));
    const d = counting();
    observe(few, d.driver, { platform: 'linux', links: linkIndex(few, 'linux') });
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
          const listing = computePlan(links, observe(links, new PosixDriver(), { platform: 'linux', links: linkIndex(links, 'linux') }), { manifest: MANIFEST, links: linkIndex(links, 'linux') });
          // every name read on its own: a fresh list of links per entry (nothing in one folder is asked twice)
          const each = links.map((l) => computePlan([l], observe([l], new PosixDriver(), { platform: 'linux', links: linkIndex([l], 'linux') }), { manifest: MANIFEST, links: linkIndex([l], 'linux') }).actions[0]?.kind);
          expect(listing.actions.map((a) => a.kind)).toEqual(each);
        },
      ),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Ordering and chains
// ---------------------------------------------------------------------------------------------

describe('ordering', () => {
  it('removals come first; everything else keeps manifest order', () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t/file.txt`, `${root}/gone1`);
    fs.symlinkSync(`${root}/t/dir`, `${root}/gone2`);
    fs.symlinkSync(`${root}/t/file.txt`, `${root}/same`);
    fs.symlinkSync(`${root}/t/other.txt`, `${root}/switch`);
    const plan = planFor(root, [
      { path: 'new', target: 't/file.txt' },
      { path: 'gone1', state: 'absent' },
      { path: 'same', target: 't/file.txt' },
      { path: 'missing', target: 't/missing' },
      { path: 'switch', target: 't/file.txt' },
      { path: 'gone2', state: 'absent', target: 't/dir' },
      { path: 'never', state: 'absent' },
    ], { made: new Map([[`${root}/switch`, { type: 'symlink', linkText: `${root}/t/other.txt` }]]) });
    expect(plan.actions.map((a) => [a.kind, path.basename(a.path)])).toEqual([
      ['remove', 'gone1'],
      ['remove', 'gone2'],
      ['create', 'new'],
      ['noop', 'same'],
      ['conflict', 'missing'],
      ['retarget', 'switch'],
      ['noop', 'never'],
    ]);
    expect(plan.summary).toEqual({ create: 1, retarget: 1, remove: 2, backup: 0, adopt: 0, unchanged: 2, conflict: 1 });
  });
  it('a target reached through a link the plan removes is a conflict, not a link left dangling', () => {
    const root = treeWith();
    fs.symlinkSync(`${root}/t`, `${root}/old`);
    const plan = planFor(root, [
      { path: 'old', state: 'absent' },
      { path: 'x', target: 'old/file.txt' },
    ]);
    expect(plan.actions.map((a) => [a.kind, path.basename(a.path)])).toEqual([
      ['remove', 'old'],
      ['conflict', 'x'],
    ]);
    expect(actionAt(plan, `${root}/x`).reason).toBe(`its target ${root}/old/file.txt is reached through ${root}/old, a link this plan removes`);
  });
});

describe('a target that is another link of the same manifest (chain)', () => {
  it('is read through that link: both are created, in manifest order', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'current', target: 'latest' },
      { path: 'latest', target: 't/dir' },
    ]);
    expect(plan.actions.map((a) => [a.kind, a.link])).toEqual([
      ['create', { type: 'symlink', target: `${root}/latest`, linkText: `${root}/latest` }],
      ['create', { type: 'symlink', target: `${root}/t/dir`, linkText: `${root}/t/dir` }],
    ]);
  });

  it('a junction through a chain sees the folder at its end', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'a', target: 'b', type: 'junction' },
      { path: 'b', target: 't/dir' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'create']);
  });

  it('a path inside another link of the manifest is followed through it', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'cfg', target: 'stow/a.txt' },
      { path: 'stow', target: 't/dir' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'create']);
  });

  it('a chain that ends nowhere is a conflict on the first link', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'a', target: 'b' },
      { path: 'b', target: 't/missing' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['conflict', 'conflict']);
    expect(plan.actions[0]?.reason).toBe(`its target ${root}/b does not exist`);
  });

  it('a hard link to another link of the manifest is a conflict', () => {
    const root = treeWith();
    const plan = planFor(root, [
      { path: 'h', type: 'hardlink', target: 'f' },
      { path: 'f', target: 't/file.txt' },
    ]);
    expect(plan.actions.map((a) => a.kind)).toEqual(['conflict', 'create']);
    expect(plan.actions[0]?.reason).toMatch(/is itself a link of this manifest; a hard link needs a real file/);
  });

  it('removing a hard link whose target is another link of the manifest compares the real file', () => {
    const root = treeWith();
    fs.linkSync(`${root}/t/file.txt`, `${root}/h`);
    const plan = planFor(root, [
      { path: 'h', state: 'absent', target: 'f' },
      { path: 'f', target: 't/file.txt' },
    ]);
    expect(plan.actions.map((a) => [a.kind, path.basename(a.path)])).toEqual([
      ['remove', 'h'],
      ['create', 'f'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Purity: values in, a value out
// ---------------------------------------------------------------------------------------------



function observed(entries: Record<string, Entry>, targets: Record<string, TargetInfo>, extra: Partial<Observed> = {}): Observed {
  return {
    platform: 'linux',
    capabilities: { symlinks: true, junctions: false, hardlinks: true },
    entries: new Map(Object.entries(entries)),
    targets: new Map(Object.entries(targets)),
    backupSlots: new Map(),
    ...extra,
  };
}

/** A world that exists only in these values: none of these paths is on disk. */
const WORLD_DESIRED: Desired[] = [
  desired('/linkplan-nowhere/home/.bashrc', '/linkplan-nowhere/dots/bashrc'),
  desired('/linkplan-nowhere/home/.vimrc', '/linkplan-nowhere/dots/vimrc', { relative: true, type: 'symlink' }),
  desired('/linkplan-nowhere/home/.gitconfig', '/linkplan-nowhere/dots/gitconfig', { onConflict: 'backup' }),
  desired('/linkplan-nowhere/home/.config/app', '/linkplan-nowhere/dots/app'),
  desired('/linkplan-nowhere/old', null, { state: 'absent' }),
  desired('/linkplan-nowhere/home/h', '/linkplan-nowhere/dots/big', { type: 'hardlink' }),
];
const WORLD_OBSERVED = observed(
  {
    '/linkplan-nowhere/home/.bashrc': { kind: 'absent' },
    '/linkplan-nowhere/home': { kind: 'dir', dev: 1 },
    '/linkplan-nowhere/home/.vimrc': { kind: 'symlink', linkText: '/linkplan-nowhere/dots/vimrc' },
    '/linkplan-nowhere/home/.gitconfig': { kind: 'file', size: 10, nlink: 1, fileId: '1:5', dev: 1 },
    '/linkplan-nowhere/home/.config/app': { kind: 'absent' },
    '/linkplan-nowhere/home/.config': { kind: 'absent' },
    '/linkplan-nowhere/old': { kind: 'symlink', linkText: 'somewhere' },
    '/linkplan-nowhere': { kind: 'dir', dev: 1 },
    '/linkplan-nowhere/home/h': { kind: 'absent' },
  },
  {
    '/linkplan-nowhere/dots/bashrc': { kind: 'file', fileId: '1:2', dev: 1 },
    '/linkplan-nowhere/dots/vimrc': { kind: 'file', fileId: '1:3', dev: 1 },
    '/linkplan-nowhere/dots/gitconfig': { kind: 'file', fileId: '1:4', dev: 1 },
    '/linkplan-nowhere/dots/app': { kind: 'dir', dev: 1 },
    '/linkplan-nowhere/dots/big': { kind: 'file', fileId: '2:9', dev: 2 },
  },
  { backupSlots: new Map([['/linkplan-nowhere/home/.gitconfig', P('/linkplan-nowhere/home/.gitconfig.linkplan-backup')]]) },
);

describe('computePlan is pure', () => {
  it('plans a world that exists only in its inputs (no I/O)', () => {
    expect(fs.existsSync('/linkplan-nowhere')).toBe(false);
    const plan = computePlan(WORLD_DESIRED, WORLD_OBSERVED, { manifest: MANIFEST, links: linkIndex(WORLD_DESIRED, 'linux') });
    expect(plan.formatVersion).toBe(1);
    expect(plan.platform).toBe('linux');
    expect(plan.manifest).toEqual(MANIFEST);
    expect(plan.actions.map((a) => [a.kind, a.path])).toEqual([
      ['remove', '/linkplan-nowhere/old'],
      ['create', '/linkplan-nowhere/home/.bashrc'],
      ['retarget', '/linkplan-nowhere/home/.vimrc'],
      ['backup-and-link', '/linkplan-nowhere/home/.gitconfig'],
      ['create', '/linkplan-nowhere/home/.config/app'],
      ['conflict', '/linkplan-nowhere/home/h'],
    ]);
    const vimrc = actionAt(plan, '/linkplan-nowhere/home/.vimrc');
    expect(vimrc.link?.linkText).toBe('../dots/vimrc');
    expect(vimrc.reason).toBe('link text is /linkplan-nowhere/dots/vimrc; should be ../dots/vimrc (same place, relative form)');
    expect(actionAt(plan, '/linkplan-nowhere/home/.gitconfig').backupPath).toBe('/linkplan-nowhere/home/.gitconfig.linkplan-backup');
    expect(actionAt(plan, '/linkplan-nowhere/home/.config/app').parents).toEqual(['/linkplan-nowhere/home/.config']);
    // the hard link's target is on another volume (dev 2) than its folder (dev 1)
    expect(actionAt(plan, '/linkplan-nowhere/home/h').reason).toBe(
      'hard links cannot cross volumes, and /linkplan-nowhere/dots/big is on another volume',
    );
    expect(plan.summary).toEqual({ create: 2, retarget: 1, remove: 1, backup: 1, adopt: 0, unchanged: 0, conflict: 1 });
  });

  it('gives deep-equal plans for the same inputs, and leaves its inputs as they were', () => {
    const before = structuredClone({ d: WORLD_DESIRED, e: [...WORLD_OBSERVED.entries], t: [...WORLD_OBSERVED.targets] });
    const one = computePlan(WORLD_DESIRED, WORLD_OBSERVED, { manifest: MANIFEST, links: linkIndex(WORLD_DESIRED, 'linux') });
    const two = computePlan(WORLD_DESIRED, WORLD_OBSERVED, { manifest: MANIFEST, links: linkIndex(WORLD_DESIRED, 'linux') });
    expect(two).toEqual(one);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    expect(two).not.toBe(one);
    expect({ d: WORLD_DESIRED, e: [...WORLD_OBSERVED.entries], t: [...WORLD_OBSERVED.targets] }).toEqual(before);
  });

  it('gives deep-equal plans for a real tree observed twice', () => {
    const root = treeWith({ ...BASE, l: 'mine\n', m: { link: 't/other.txt' } });
    const file = path.join(root, 'layout.yaml');
    fs.writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        links: [
          { path: 'l', target: 't/file.txt', onConflict: 'backup' },
          { path: 'm', target: 't/file.txt', relative: true, onConflict: 'backup' },
          { path: 'n/o', target: 't/dir' },
        ],
      }),
    );
    const driver = new PosixDriver();
    const loaded = loadManifest(file, { driver, platform: 'linux', env: {} });
    const m = { path: loaded.file, digest: loaded.digest };
    const a = computePlan(loaded.desired, observe(loaded.desired, driver, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: m });
    const b = computePlan(loaded.desired, observe(loaded.desired, driver, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: m });
    expect(b).toEqual(a);
    expect(a.actions.map((x) => x.kind)).toEqual(['backup-and-link', 'retarget', 'create']);
  });

  it('an entry the observation knows nothing about is planned as absent, with its folders to make', () => {
    const ds = [desired('/linkplan-nowhere/x/y', '/linkplan-nowhere/t')];
    const plan = computePlan(ds, observed({ '/': { kind: 'dir', dev: 1 } }, { '/linkplan-nowhere/t': { kind: 'dir', dev: 1 } }), {
      manifest: MANIFEST,
      links: linkIndex(ds, 'linux'),
    });
    const a = only(plan);
    expect(a.kind).toBe('create');
    expect(a.parents).toEqual(['/linkplan-nowhere', '/linkplan-nowhere/x']);
  });

  it('a foreign reparse point is never touched', () => {
    const ds = [desired('/w/l', '/w/t', { onConflict: 'backup' })];
    const plan = computePlan(
      ds,
      observed({ '/w/l': { kind: 'reparse', tag: 0x9000001a, tagName: 'cloud' }, '/w': { kind: 'dir', dev: 1 } }, { '/w/t': { kind: 'dir', dev: 1 } }),
      { manifest: MANIFEST, links: linkIndex(ds, 'linux') },
    );
    const a = only(plan);
    expect(a.kind).toBe('conflict');
    expect(a.reason).toBe('is a cloud reparse point (tag 0x9000001A), which linkplan does not touch');
  });

  it('a hard link on the same volume as its folder is fine', () => {
    const ds = [desired('/w/h', '/w/f', { type: 'hardlink' })];
    const plan = computePlan(
      ds,
      observed({ '/w': { kind: 'dir', dev: 7 } }, { '/w/f': { kind: 'file', fileId: '7:1', dev: 7 } }),
      { manifest: MANIFEST, links: linkIndex(ds, 'linux') },
    );
    expect(only(plan).kind).toBe('create');
  });

  it.each([
    ['a folder, symlinks allowed', 'dir', true, false, 'junction', /a junction, which needs no privilege/],
    ['a folder, relative, symlinks allowed', 'dir', true, true, 'symlink', /a relative link needs one/],
    ['a folder, relative, no symlinks', 'dir', false, true, 'junction', /a junction/],
    ['a file, symlinks allowed', 'file', true, false, 'symlink', /this user may create them/],
    ['a file, no symlinks', 'file', false, false, 'hardlink', /may not create symbolic links/],
  ] as const)('auto on win32 to %s -> %s', (_name, kind, symlinks, relative, type, why) => {
    const t: TargetInfo = kind === 'dir' ? { kind: 'dir', dev: 1 } : { kind: 'file', fileId: '1:1', dev: 1 };
    const ds = [desired('C:\\w\\l', 'C:\\w\\t', { relative })];
    const plan = computePlan(
      ds,
      {
        platform: 'win32',
        capabilities: { symlinks, junctions: true, hardlinks: true, ...(symlinks ? {} : { symlinkNote: 'no privilege' }) },
        entries: new Map([['c:\\w', { kind: 'dir', dev: 1 }]]),
        targets: new Map([['c:\\w\\t', t]]),
        backupSlots: new Map(),
      },
      { manifest: MANIFEST, links: linkIndex(ds, 'win32') },
    );
    const a = only(plan);
    expect(a.kind).toBe('create');
    expect(a.link?.type).toBe(type);
    expect(a.reason).toMatch(why);
    expect(a.link?.linkText).toBe(type === 'symlink' && relative ? 't' : 'C:\\w\\t');
  });

  it('type: symlink where symlinks are unavailable is a conflict with a hint', () => {
    const ds = [desired('/w/l', '/w/t', { type: 'symlink' })];
    const plan = computePlan(
      ds,
      observed({ '/w': { kind: 'dir', dev: 1 } }, { '/w/t': { kind: 'file', fileId: '1:1', dev: 1 } }, {
        capabilities: { symlinks: false, junctions: false, hardlinks: true, symlinkNote: 'Developer Mode is off' },
      }),
      { manifest: MANIFEST, links: linkIndex(ds, 'linux') },
    );
    const a = only(plan);
    expect(a.kind).toBe('conflict');
    expect(a.reason).toBe('cannot create symbolic links here: Developer Mode is off');
    expect(a.hint).toMatch(/Developer Mode/);
  });

  it('backup without a free backup name in the observation is a conflict, not a guess', () => {
    const ds = [desired('/w/l', '/w/t', { onConflict: 'backup' })];
    const plan = computePlan(
      ds,
      observed({ '/w/l': { kind: 'file', size: 1, nlink: 1, fileId: '1:2', dev: 1 }, '/w': { kind: 'dir', dev: 1 } }, { '/w/t': { kind: 'file', fileId: '1:1', dev: 1 } }),
      { manifest: MANIFEST, links: linkIndex(ds, 'linux') },
    );
    expect(only(plan).kind).toBe('conflict');
  });
});

describe('hard links and symbolic links at the target', () => {
  it('a hard link to a name that is a symlink is planned to that name (the driver links the file it leads to)', () => {
    const root = treeWith({ ...BASE, alias: { link: 't/file.txt' } });
    const a = only(planFor(root, [{ path: 'h', type: 'hardlink', target: 'alias' }]));
    expect(a.kind).toBe('create');
    expect(a.link).toEqual({ type: 'hardlink', target: `${root}/alias`, linkText: `${root}/alias` });
  });

  it('a hard link of the file a symlinked target leads to is already in place', () => {
    const root = treeWith({ ...BASE, alias: { link: 't/file.txt' }, h: { hardlink: 't/file.txt' } });
    const a = only(planFor(root, [{ path: 'h', type: 'hardlink', target: 'alias' }]));
    expect(a.kind).toBe('noop');
    expect(a.reason).toBe(`already a hard link of ${root}/alias`);
  });

  it('a symlink to a name that is a symlink is fine', () => {
    const root = treeWith({ ...BASE, alias: { link: 't/file.txt' } });
    const a = only(planFor(root, [{ path: 's', target: 'alias' }]));
    expect(a.kind).toBe('create');
  });
});

describe('relative links below a folder that is itself a link (one outside the sources)', () => {
  /** Plans `links` (paths in `root`) from a manifest in a folder of its own, so `root` holds no source of it. */
  const planAway = (root: string, links: RawLink[]): Plan =>
    planFor(
      root,
      links.map((l) => ({ ...l, path: `${root}/${l.path}`, target: `${root}/${String(l['target'])}` })),
      { manifestDir: tempDir() },
    );

  it('is a conflict when the relative text, read from the real folder, misses the target', () => {
    const root = treeWith({ ...BASE, data: { home: {} } });
    fs.symlinkSync(`${root}/data/home`, `${root}/home`);
    const a = only(planAway(root, [{ path: 'home/sub/l', target: 't/file.txt', relative: true }]));
    expect(a.kind).toBe('conflict');
    expect(a.reason).toBe(
      `relative text ../../t/file.txt would not reach ${root}/t/file.txt: the folder ${root}/home is a link to ${root}/data/home, and the text is read from there`,
    );
    expect(a.hint).toMatch(/relative: false/);
    expect(a.link?.linkText).toBe('../../t/file.txt');
  });

  it('stays a conflict once such a link exists (it is dangling, not unchanged)', () => {
    const root = treeWith({ ...BASE, data: { home: { l: { link: '../t/file.txt' } } } });
    fs.symlinkSync(`${root}/data/home`, `${root}/home`);
    const a = only(planAway(root, [{ path: 'home/l', target: 't/file.txt', relative: true }]));
    expect(a.kind).toBe('conflict');
  });

  it('is fine when the real folder sits where the text still reaches the target', () => {
    const root = treeWith({ ...BASE, 'home-real': {} });
    fs.symlinkSync('home-real', `${root}/home`);
    const a = only(planAway(root, [{ path: 'home/l', target: 't/file.txt', relative: true }]));
    expect(a.kind).toBe('create');
    expect(a.link?.linkText).toBe('../t/file.txt');
  });

  it('an absolute link below a linked folder is fine', () => {
    const root = treeWith({ ...BASE, data: { home: {} } });
    fs.symlinkSync(`${root}/data/home`, `${root}/home`);
    const a = only(planAway(root, [{ path: 'home/l', target: 't/file.txt' }]));
    expect(a.kind).toBe('create');
  });
});

describe('paths', () => {
  it("parentOf is node:path's dirname, for any text (POSIX), and names Windows folders as path.win32 does", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[/a.]{0,12}$/), (p) => {
        expect(parentOf(p as AbsPath, 'linux')).toBe(path.posix.dirname(p));
      }),
      { numRuns: 2000 },
    );
    expect(parentOf('/' as AbsPath, 'linux')).toBe('/');
    expect(parentOf('/home/me/.config/x' as AbsPath, 'linux')).toBe('/home/me/.config');
    expect(parentOf('C:\\tools\\jdk' as AbsPath, 'win32')).toBe('C:\\tools');
    expect(parentOf('C:\\' as AbsPath, 'win32')).toBe('C:\\');
  });

  it('isInside: strictly below, that is starting with the folder and a separator (for any text)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[/ab]{0,6}$/), fc.stringMatching(/^[/ab]{0,6}$/), (c, p) => {
        const prefix = p.endsWith('/') ? p : `${p}/`;
        expect(isInside(c, p, 'linux')).toBe(c !== p && c.startsWith(prefix));
      }),
      { numRuns: 3000 },
    );
    expect(isInside('C:\\Tools\\JDK', 'c:\\tools', 'win32')).toBe(true);
    expect(isInside('C:\\toolsx', 'C:\\tools', 'win32')).toBe(false);
    expect(isInside('C:\\x', 'C:\\', 'win32')).toBe(true);
  });
});
