// The pure planner as a table: every desired kind against every observed kind, the target
// states, parents, ordering, chains and backup names, on hand-built `Desired` and `Observed`
// values (a world under /w that exists only in them) planned through `planPure`: nothing is read
// from a disk, so every row is fast and says exactly what the planner was told. What observe
// reads from real folders (fifos, hard links, the listing shortcut, free backup names) and a few
// load -> observe -> plan runs on a real tree are in observe.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isInside, parentOf, type AbsPath } from '../src/core/paths.js';
import type { MadeLink } from '../src/plan/planner.js';
import type { ActionKind, ConflictPolicy, Desired, Entry, Observed, Plan, RequestedType, TargetInfo } from '../src/core/types.js';
import { desired } from './helpers/desired.js';
import { absent, dir, dirTarget, fifo, file, fileTarget, hardLinkOf, observedOf, otherTarget, symlink } from './helpers/observed.js';
import { actionAt, MANIFEST, ofKind, only, planPure } from './helpers/plan.js';

/** The folder every world of this file lives in (on no disk). */
const R = '/w';
/** `rel` under R; an absolute path as it is. */
const at = (rel: string): string => (rel.startsWith('/') ? rel : `${R}/${rel}`);

/** The ids of the files of the base world, as a target (followed) and as an entry share them. */
const FILE_ID = '1:10';
const OTHER_ID = '1:11';
const A_ID = '1:12';

/**
 * The base world: R holds t/file.txt, t/other.txt, t/dir/a.txt and t/other-dir, each read as
 * observe would read it both as an entry and as a target.
 */
const BASE_ENTRIES: Record<string, Entry> = {
  '': dir(),
  t: dir(),
  't/file.txt': file({ fileId: FILE_ID }),
  't/other.txt': file({ fileId: OTHER_ID }),
  't/dir': dir(),
  't/dir/a.txt': file({ fileId: A_ID }),
  't/other-dir': dir(),
};
const BASE_TARGETS: Record<string, TargetInfo> = {
  't': dirTarget(),
  't/file.txt': fileTarget(FILE_ID),
  't/other.txt': fileTarget(OTHER_ID),
  't/dir': dirTarget(),
  't/dir/a.txt': fileTarget(A_ID),
  't/other-dir': dirTarget(),
};

const under = <V>(o: Record<string, V>): Record<string, V> => Object.fromEntries(Object.entries(o).map(([k, v]) => [k === '' ? R : at(k), v]));

interface WorldParts {
  /** Targets (followed), besides the base world's; paths relative to R. */
  targets?: Record<string, TargetInfo>;
  /** Paths relative to R whose backup name observe found free: `l` -> `l.linkplan-backup`. */
  backups?: string[] | Record<string, string>;
  /** Leave out the base world (a tree of other folders). */
  bare?: true;
}

/** The base world with `entries` (relative to R) on top, as observe would have read it. */
function world(entries: Record<string, Entry> = {}, parts: WorldParts = {}): Observed {
  const slots = Array.isArray(parts.backups) ? Object.fromEntries(parts.backups.map((p) => [p, `${p}.linkplan-backup`])) : (parts.backups ?? {});
  return observedOf(under({ ...(parts.bare === true ? { '': dir() } : BASE_ENTRIES), ...entries }), {
    targets: under({ ...(parts.bare === true ? {} : BASE_TARGETS), ...parts.targets }),
    backupSlots: Object.fromEntries(Object.entries(under(slots)).map(([k, v]) => [k, at(v)])),
  });
}

/** One manifest entry, as written in YAML, with paths relative to R (the manifest's folder). */
interface RawLink {
  path: string;
  target?: string;
  type?: RequestedType;
  state?: 'present' | 'absent';
  relative?: boolean;
  onConflict?: ConflictPolicy;
  createParents?: boolean;
}

/** The desired entries the manifest loader makes of `links`: paths resolved against R, the defaults filled in. */
function links(raw: readonly RawLink[]): Desired[] {
  return raw.map((l, i) =>
    desired(at(l.path), l.target === undefined ? null : at(l.target), {
      state: l.state ?? 'present',
      type: l.type ?? 'auto',
      relative: l.relative ?? false,
      onConflict: l.onConflict ?? 'refuse',
      createParents: l.createParents ?? true,
      source: { where: `links[${i}]` },
    }),
  );
}

/** The manifest in R, as the links' paths are written relative to it. */
const MANIFEST_HERE = { path: `${R}/layout.yaml`, digest: MANIFEST.digest };

/**
 * Plans `raw` against `observed`: the manifest in R, or elsewhere (`away`: R then holds no source
 * of it); `made` the symbolic links linkplan's records hold (path relative to R -> text).
 */
function planFor(raw: readonly RawLink[], observed: Observed, extra: { made?: Record<string, string>; away?: true } = {}): Plan {
  const made = extra.made === undefined ? undefined : new Map<string, MadeLink>(Object.entries(extra.made).map(([p, t]) => [at(p), { type: 'symlink', linkText: t }]));
  return planPure(links(raw), observed, { manifest: extra.away === true ? MANIFEST : MANIFEST_HERE, ...(made === undefined ? {} : { made }) });
}

// ---------------------------------------------------------------------------------------------
// The matrix: desired kind x observed kind
// ---------------------------------------------------------------------------------------------

interface DesiredKind {
  name: string;
  link: Omit<RawLink, 'path'>;
  /** What the target is: decides which observed rows make sense and what a right link is. */
  target: 'file' | 'dir' | null;
  /** The link text a correct link has. */
  rightText?: string;
  /** The same target in the other form (absolute <-> relative). */
  otherText?: string;
}

const DESIRED: DesiredKind[] = [
  { name: 'symlink', link: { type: 'symlink', target: 't/file.txt' }, target: 'file', rightText: `${R}/t/file.txt`, otherText: 't/file.txt' },
  { name: 'symlink relative', link: { type: 'symlink', relative: true, target: 't/file.txt' }, target: 'file', rightText: 't/file.txt', otherText: `${R}/t/file.txt` },
  { name: 'auto', link: { target: 't/file.txt' }, target: 'file', rightText: `${R}/t/file.txt`, otherText: 't/file.txt' },
  { name: 'auto to a folder', link: { target: 't/dir' }, target: 'dir', rightText: `${R}/t/dir`, otherText: 't/dir' },
  { name: 'junction', link: { type: 'junction', target: 't/dir' }, target: 'dir', rightText: `${R}/t/dir`, otherText: 't/dir' },
  { name: 'hardlink', link: { type: 'hardlink', target: 't/file.txt' }, target: 'file', rightText: `${R}/t/file.txt`, otherText: 't/file.txt' },
  { name: 'absent', link: { state: 'absent' }, target: null },
  { name: 'absent with target', link: { state: 'absent', target: 't/file.txt' }, target: 'file', rightText: `${R}/t/file.txt`, otherText: 't/file.txt' },
];

interface ObservedKind {
  name: string;
  /** What observe reads at R/l (undefined: nothing); `d` is the desired kind (its target decides a "right" link). */
  entry: (d: DesiredKind) => Entry | undefined;
  /** The `before.kind` the action must carry. */
  before: Entry['kind'];
  /** Only for desired kinds with this target kind (a hard link of a folder cannot exist). */
  onlyFor?: 'file';
  /** linkplan made the link there (its records hold it, as it is now). */
  made?: true;
}

const targetOf = (d: DesiredKind): string => at(d.target === 'dir' ? 't/dir' : 't/file.txt');
const wrongOf = (d: DesiredKind): string => `${R}/t/${d.target === 'dir' ? 'other-dir' : 'other.txt'}`;

// (an empty and a non-empty folder read alike: observe tells the planner a folder, nothing more)
const OBSERVED: ObservedKind[] = [
  { name: 'absent', entry: () => undefined, before: 'absent' },
  { name: 'regular file', entry: () => file(), before: 'file' },
  { name: 'hard link of the target', entry: () => hardLinkOf(FILE_ID), before: 'file', onlyFor: 'file' },
  { name: 'hard link of another file', entry: () => hardLinkOf(OTHER_ID), before: 'file' },
  { name: 'empty folder', entry: () => dir(), before: 'dir' },
  { name: 'non-empty folder', entry: () => dir(), before: 'dir' },
  { name: 'symlink to the right target', entry: (d) => symlink(d.rightText ?? `${R}/t/file.txt`), before: 'symlink' },
  { name: 'symlink to a wrong target', entry: (d) => symlink(wrongOf(d)), before: 'symlink' },
  { name: 'dangling symlink', entry: () => symlink(`${R}/t/missing`), before: 'symlink' },
  { name: "linkplan's symlink to a wrong target", entry: (d) => symlink(wrongOf(d)), before: 'symlink', made: true },
  { name: "linkplan's dangling symlink", entry: () => symlink(`${R}/t/missing`), before: 'symlink', made: true },
  { name: 'symlink, same target in the other form', entry: (d) => symlink(d.otherText ?? 't/file.txt'), before: 'symlink' },
  { name: 'fifo', entry: () => fifo(), before: 'special' },
];

/** The world of a row: the base world with `o`'s entry at R/l. */
function rowWorld(o: ObservedKind, d: DesiredKind, parts: WorldParts = {}): Observed {
  const e = o.entry(d);
  return world(e === undefined ? {} : { l: e }, parts);
}

/** What a cell expects: the action kind and a fragment of its reason (or hint). */
interface Cell {
  kind: ActionKind;
  reason?: RegExp;
}

const C = (kind: ActionKind, reason?: RegExp): Cell => (reason === undefined ? { kind } : { kind, reason });
const inTheWay = (what: RegExp): Cell => C('conflict', what);
const neverDeletes = C('conflict', /not a link; linkplan never deletes files or folders/);
const foreignLink = C('conflict', /^a symbolic link to .*, which linkplan did not make, is in the way$/);
/** The same cell for each desired kind that wants a link (all but the two absent ones). */
const everyLink = (cell: Cell): Record<string, Cell> => Object.fromEntries(DESIRED.filter((d) => d.link.state !== 'absent').map((d) => [d.name, cell]));

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
    ...everyLink(inTheWay(/^a regular file is in the way$/)),
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
    ...everyLink(inTheWay(/^a folder is in the way$/)),
    absent: neverDeletes,
    'absent with target': neverDeletes,
  },
  'non-empty folder': {
    ...everyLink(inTheWay(/^a folder is in the way$/)),
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
    ...everyLink(foreignLink),
    absent: C('remove', /removes a symbolic link to .*other/),
    'absent with target': C('conflict', /^is a symbolic link to .*\/t\/other\.txt, not to .*\/t\/file\.txt; left alone$/),
  },
  'dangling symlink': {
    ...everyLink(foreignLink),
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
    ...everyLink(inTheWay(/^a fifo is in the way$/)),
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
    const e = row.observed.entry(row.desired);
    const made = row.observed.made === true && e?.kind === 'symlink' ? { l: e.linkText } : undefined;
    const plan = planFor([{ path: 'l', ...row.desired.link }], rowWorld(row.observed, row.desired), made === undefined ? {} : { made });
    const a = only(plan);
    const p = at('l');
    const target = row.desired.target === null ? null : targetOf(row.desired);

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
        const text = row.desired.rightText;
        expect(a.link).toEqual({ type: isHard ? 'hardlink' : 'symlink', target, linkText: isHard ? target : text });
        expect(a.after).toEqual(isHard ? { kind: 'hardlink', target } : { kind: 'symlink', linkText: text });
        expect(a).not.toHaveProperty('parents');
        if (row.desired.name === 'junction') expect(a.notes).toEqual(['junctions exist only on NTFS; on linux a directory symbolic link stands in for it']);
        else expect(a.notes).toEqual([]);
        break;
      }
      case 'noop':
        expect(a.after).toEqual(a.before);
        expect(a).not.toHaveProperty('link');
        break;
      case 'remove':
        expect(a.after).toEqual({ kind: 'absent' });
        expect(a).not.toHaveProperty('link');
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
    const d = DESIRED[0];
    if (d === undefined) throw new Error('no desired kinds');
    const a = ofKind(only(planFor([{ path: 'l', target: 't/file.txt', onConflict: 'backup' }], rowWorld(o, d, { backups: ['l'] }))), 'backup-and-link');
    expect(a.before.kind).toBe(o.before);
    expect(a.backupPath).toBe(`${R}/l.linkplan-backup`);
    expect(a.link).toEqual({ type: 'symlink', target: `${R}/t/file.txt`, linkText: `${R}/t/file.txt` });
    expect(a.after).toEqual({ kind: 'symlink', linkText: `${R}/t/file.txt` });
    expect(a.reason).toMatch(/is in the way; it is moved aside to .*\/l\.linkplan-backup$/);
  });

  it('a hard link of the target is not in the way of a hard link entry, even with backup', () => {
    const a = ofKind(only(planFor([{ path: 'l', type: 'hardlink', target: 't/file.txt', onConflict: 'backup' }], world({ l: hardLinkOf(FILE_ID) }, { backups: ['l'] }))), 'noop');
    expect(a).not.toHaveProperty('backupPath');
  });

  it("backup does not touch a link that is already right, and retargets a wrong one linkplan made", () => {
    const plan = planFor(
      [
        { path: 'right', target: 't/file.txt', onConflict: 'backup' },
        { path: 'wrong', target: 't/file.txt', onConflict: 'backup' },
      ],
      world({ right: symlink(`${R}/t/file.txt`), wrong: symlink(`${R}/t/other.txt`) }, { backups: ['wrong'] }),
      { made: { wrong: `${R}/t/other.txt` } },
    );
    expect(plan.actions.map((a) => a.kind)).toEqual(['noop', 'retarget']);
    expect(plan.actions.every((a) => !('backupPath' in a))).toBe(true);
  });

  it('backup replaces a wrong link someone else made in one retarget, keeping a copy under the backup name', () => {
    const a = ofKind(only(planFor([{ path: 'wrong', target: 't/file.txt', onConflict: 'backup' }], world({ wrong: symlink(`${R}/t/other.txt`) }, { backups: ['wrong'] }))), 'retarget');
    expect(a.backupPath).toBe(`${R}/wrong.linkplan-backup`);
    expect(a.reason).toBe(`is a symbolic link to ${R}/t/other.txt, which linkplan did not make, and is replaced; a copy of it is kept at ${R}/wrong.linkplan-backup`);
  });

  it('moves what is in the way to the backup name observe found free', () => {
    const a = ofKind(only(planFor([{ path: 'l', target: 't/file.txt', onConflict: 'backup' }], world({ l: file() }, { backups: { l: 'l.linkplan-backup-3' } }))), 'backup-and-link');
    expect(a.backupPath).toBe(`${R}/l.linkplan-backup-3`);
  });

  it('two entries get backup names of their own paths', () => {
    const plan = planFor(
      [
        { path: 'l', target: 't/file.txt', onConflict: 'backup' },
        { path: 'm', target: 't/dir', onConflict: 'backup' },
      ],
      world({ l: file(), m: dir() }, { backups: ['l', 'm'] }),
    );
    expect(plan.actions.map((a) => [a.kind, 'backupPath' in a ? a.backupPath : undefined])).toEqual([
      ['backup-and-link', `${R}/l.linkplan-backup`],
      ['backup-and-link', `${R}/m.linkplan-backup`],
    ]);
    expect(plan.summary).toMatchObject({ backup: 2, conflict: 0 });
  });
});

describe('onConflict: adopt moves what is in the way into a target that does not exist yet', () => {
  it.each([
    ['regular file', file(), 'file', 'new.txt'],
    ['hard link of another file', hardLinkOf(OTHER_ID), 'file', 'new.txt'],
    ['empty folder', dir(), 'dir', 'new-dir'],
    ['non-empty folder', dir(), 'dir', 'new-dir'],
  ] as const)('%s, target missing -> adopt', (_name, entry, kind, name) => {
    const a = ofKind(only(planFor([{ path: 'l', target: `t/${name}`, onConflict: 'adopt' }], world({ l: entry }))), 'adopt');
    expect(a.before.kind).toBe(kind);
    expect(a.link).toEqual({ type: 'symlink', target: `${R}/t/${name}`, linkText: `${R}/t/${name}` });
    expect(a.after).toEqual({ kind: 'symlink', linkText: `${R}/t/${name}` });
    expect(a.targetParents).toBeUndefined();
    expect(a).not.toHaveProperty('backupPath');
    expect(a.reason).toMatch(/is in the way; it is moved to the target .*\/t\/new.*, then linked$/);
  });

  it.each([
    ['regular file', file(), 't/file.txt'],
    ['non-empty folder', dir(), 't/dir'],
    ['fifo', fifo(), 't/file.txt'],
  ] as const)('%s, target exists -> conflict', (_name, entry, target) => {
    const a = ofKind(only(planFor([{ path: 'l', target, onConflict: 'adopt' }], world({ l: entry }))), 'conflict');
    expect(a.reason).toMatch(/is in the way, and it cannot be adopted because the target .* exists already$/);
    expect(a.hint).toMatch(/onConflict: backup/);
  });

  it('adopt creates the missing folders of the target, outermost first', () => {
    const a = ofKind(only(planFor([{ path: 'l', target: 'store/deep/l', onConflict: 'adopt' }], world({ l: dir() }))), 'adopt');
    expect(a.targetParents).toEqual([`${R}/store`, `${R}/store/deep`]);
    expect(a).not.toHaveProperty('parents');
  });

  it('adopt with a hard link entry adopts the file and hard-links it back', () => {
    const a = ofKind(only(planFor([{ path: 'l', type: 'hardlink', target: 't/adopted.txt', onConflict: 'adopt' }], world({ l: file() }))), 'adopt');
    expect(a.link).toEqual({ type: 'hardlink', target: `${R}/t/adopted.txt`, linkText: `${R}/t/adopted.txt` });
    expect(a.after).toEqual({ kind: 'hardlink', target: `${R}/t/adopted.txt` });
  });

  it('adopting a folder into a hard link entry is a conflict (a hard link needs a file)', () => {
    const a = ofKind(only(planFor([{ path: 'l', type: 'hardlink', target: 't/adopted', onConflict: 'adopt' }], world({ l: dir() }))), 'conflict');
    expect(a.reason).toMatch(/a hard link can only point to a file, and the target is a folder/);
  });

  it('a fifo cannot be adopted: the conflict names the fifo, not the target', () => {
    const a = ofKind(only(planFor([{ path: 'l', target: 't/new', onConflict: 'adopt' }], world({ l: fifo() }))), 'conflict');
    expect(a.reason).toMatch(/^a fifo is in the way, and only a file or a folder can be adopted$/);
    expect(a.hint).toMatch(/onConflict: backup/);
  });

  it('adopt when the target path holds a dangling symlink is a conflict (the move would find it in the way)', () => {
    const a = ofKind(only(planFor([{ path: 'l', target: 't/new.txt', onConflict: 'adopt' }], world({ l: file(), 't/new.txt': symlink(`${R}/nowhere`) }))), 'conflict');
    expect(a.reason).toMatch(/cannot adopt into .*\/t\/new\.txt: it is a symbolic link to .*\/nowhere/);
  });

  it('adopt with nothing in the way is a plain create, and with a missing target a conflict', () => {
    const plan = planFor(
      [
        { path: 'l', target: 't/file.txt', onConflict: 'adopt' },
        { path: 'm', target: 't/missing', onConflict: 'adopt' },
      ],
      world(),
    );
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'conflict']);
    expect(actionAt(plan, `${R}/m`).reason).toBe(`its target ${R}/t/missing does not exist`);
  });
});

// ---------------------------------------------------------------------------------------------
// Target states
// ---------------------------------------------------------------------------------------------

/** The base world with a fifo at t/pipe. */
const withPipe = (): Observed => world({ 't/pipe': fifo() }, { targets: { 't/pipe': otherTarget() } });

describe('target states', () => {
  it.each([
    ['symlink to a missing target', { type: 'symlink', target: 't/missing' }, /^its target .*\/t\/missing does not exist$/, /create the target first/],
    ['auto to a missing target', { target: 't/missing' }, /does not exist$/, /create the target first/],
    ['hardlink to a missing target', { type: 'hardlink', target: 't/missing' }, /does not exist$/, /create the target first/],
    ['junction to a file', { type: 'junction', target: 't/file.txt' }, /^a junction can only point to a folder, and the target is a file$/, /use type: symlink or hardlink/],
    ['hardlink to a folder', { type: 'hardlink', target: 't/dir' }, /^a hard link can only point to a file, and the target is a folder$/, /use type: symlink/],
    ['symlink to a fifo', { type: 'symlink', target: 't/pipe' }, /^its target .*\/t\/pipe is neither a file nor a folder$/, /point the link at a file or a folder/],
  ] as const)('%s -> conflict', (_name, link, reason, hint) => {
    const a = ofKind(only(planFor([{ path: 'l', ...link }], withPipe())), 'conflict');
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
    const a = ofKind(only(planFor([{ path: 'l', target: 't/dir', ...extra }], world())), 'create');
    expect(a.link.type).toBe(type);
  });

  it('a target reached through a symlinked folder counts as existing', () => {
    const a = ofKind(only(planFor([{ path: 'l', type: 'hardlink', target: 'via/file.txt' }], world({ via: symlink(`${R}/t`) }, { targets: { via: dirTarget(), 'via/file.txt': fileTarget(FILE_ID) } }))), 'create');
    expect(a.link).toEqual({ type: 'hardlink', target: `${R}/via/file.txt`, linkText: `${R}/via/file.txt` });
  });

  it('a relative link to a folder above the link is written with ..', () => {
    const a = ofKind(only(planFor([{ path: 'home/sub/l', target: 't/dir', relative: true }], world({ home: dir(), 'home/sub': dir() }))), 'create');
    expect(a.link.linkText).toBe('../../t/dir');
    expect(a.after).toEqual({ kind: 'symlink', linkText: '../../t/dir' });
  });

  it('a relative hard link entry ignores relative (a hard link has no text)', () => {
    const a = ofKind(only(planFor([{ path: 'l', type: 'hardlink', relative: true, target: 't/file.txt' }], world())), 'create');
    expect(a.link).toEqual({ type: 'hardlink', target: `${R}/t/file.txt`, linkText: `${R}/t/file.txt` });
  });

  it('a retarget says what changes for a version switch', () => {
    const tools = world(
      { tools: dir(), 'tools/app-1.0': dir(), 'tools/app-2.0': dir(), 'tools/app': symlink(`${R}/tools/app-1.0`) },
      { bare: true, targets: { 'tools/app-1.0': dirTarget(), 'tools/app-2.0': dirTarget(), 'tools/app': dirTarget() } },
    );
    // (the manifest's `tools/app-${v}` with v = 2.0, as the loader expands it)
    const a = ofKind(only(planFor([{ path: 'tools/app', target: 'tools/app-2.0', type: 'junction' }], tools, { made: { 'tools/app': `${R}/tools/app-1.0` } })), 'retarget');
    expect(a.before).toEqual({ kind: 'symlink', linkText: `${R}/tools/app-1.0` });
    expect(a.link).toEqual({ type: 'symlink', target: `${R}/tools/app-2.0`, linkText: `${R}/tools/app-2.0` });
    expect(a.reason).toBe(`points to ${R}/tools/app-1.0; should point to ${R}/tools/app-2.0`);
  });
});

// ---------------------------------------------------------------------------------------------
// Parents
// ---------------------------------------------------------------------------------------------

describe('parent folders', () => {
  it('missing parents are listed outermost first', () => {
    const a = ofKind(only(planFor([{ path: 'a/b/c/l', target: 't/file.txt' }], world())), 'create');
    expect(a.parents).toEqual([`${R}/a`, `${R}/a/b`, `${R}/a/b/c`]);
  });

  it('createParents: false makes a missing parent a conflict naming the outermost folder', () => {
    const a = ofKind(only(planFor([{ path: 'a/b/l', target: 't/file.txt', createParents: false }], world())), 'conflict');
    expect(a.reason).toBe(`its folder ${R}/a does not exist, and createParents is off`);
    expect(a.hint).toMatch(/createParents: true/);
    expect(a).not.toHaveProperty('parents');
  });

  it('createParents: false is fine when the folder exists', () => {
    const a = ofKind(only(planFor([{ path: 'a/l', target: 't/file.txt', createParents: false }], world({ a: dir() }))), 'create');
    expect(a.parents).toBeUndefined();
  });

  it.each([
    ['a regular file', world({ a: file() }), /^its folder .*\/a is a regular file, so no folder can be made there$/],
    ['a fifo', world({ a: fifo() }), /^its folder .*\/a is a fifo, so no folder can be made there$/],
    ['a symlink to a file', world({ a: symlink(`${R}/t/file.txt`) }, { targets: { a: fileTarget(FILE_ID) } }), /^its folder .*\/a is a symbolic link to .*, which leads to a file$/],
    ['a dangling symlink', world({ a: symlink(`${R}/nowhere`) }), /^its folder .*\/a is a symbolic link to .*nowhere, which leads to nothing$/],
  ] as const)('a parent that is %s -> conflict', (_name, observed, reason) => {
    const a = ofKind(only(planFor([{ path: 'a/b/l', target: 't/file.txt' }], observed)), 'conflict');
    expect(a.reason).toMatch(reason);
  });

  it('a parent that is a symlink to a folder outside the sources is used as it is', () => {
    const a = ofKind(only(planFor([{ path: 'a/sub/l', target: 't/file.txt' }], world({ real: dir(), a: symlink(`${R}/real`) }, { targets: { a: dirTarget() } }), { away: true })), 'create');
    expect(a.parents).toEqual([`${R}/a/sub`]);
  });

  it('two links sharing a new parent: the folder is listed once, on the first action', () => {
    const plan = planFor(
      [
        { path: 'n/m/one', target: 't/file.txt' },
        { path: 'n/m/two', target: 't/other.txt' },
        { path: 'n/three', target: 't/dir' },
      ],
      world(),
    );
    expect(plan.actions.map((a) => [a.kind, a.path, 'parents' in a ? a.parents : undefined])).toEqual([
      ['create', `${R}/n/m/one`, [`${R}/n`, `${R}/n/m`]],
      ['create', `${R}/n/m/two`, undefined],
      ['create', `${R}/n/three`, undefined],
    ]);
  });

  it('a conflicting first link does not claim the new parent for itself', () => {
    const plan = planFor(
      [
        { path: 'n/one', target: 't/missing' },
        { path: 'n/two', target: 't/file.txt' },
      ],
      world(),
    );
    expect(plan.actions.map((a) => [a.kind, 'parents' in a ? a.parents : undefined])).toEqual([
      ['conflict', undefined],
      ['create', [`${R}/n`]],
    ]);
  });

  it('a folder can be made where this plan removes a link', () => {
    const plan = planFor(
      [
        { path: 'old/l', target: 't/file.txt' },
        { path: 'old', state: 'absent' },
      ],
      world({ old: symlink(`${R}/t/dir`) }, { targets: { old: dirTarget() } }),
    );
    expect(plan.actions.map((a) => [a.kind, a.path, 'parents' in a ? a.parents : undefined])).toEqual([
      ['remove', `${R}/old`, undefined],
      ['create', `${R}/old/l`, [`${R}/old`]],
    ]);
  });

  it('after that apply, the folder made in place of the removed link is unchanged (idempotent)', () => {
    const plan = planFor(
      [
        { path: 'old/l', target: 't/file.txt' },
        { path: 'old', state: 'absent' },
      ],
      world({ old: dir(), 'old/l': symlink(`${R}/t/file.txt`) }),
    );
    expect(plan.actions.map((a) => [a.kind, a.path, a.reason])).toEqual([
      ['noop', `${R}/old/l`, `already a symbolic link to ${R}/t/file.txt`],
      ['noop', `${R}/old`, 'a real folder, which links of this manifest are made in; no link here'],
    ]);
  });

  it('an absent entry on a real folder with no links of the manifest inside is still a conflict', () => {
    const plan = planFor(
      [
        { path: 'other/l', target: 't/file.txt' },
        { path: 'old', state: 'absent' },
      ],
      world({ old: dir(), 'old/x': file(), other: dir() }),
    );
    expect(plan.actions.map((a) => a.kind)).toEqual(['create', 'conflict']);
  });

  it('a link left alone by a conflicting absent entry is not treated as removed', () => {
    const plan = planFor(
      [
        { path: 'old/l', target: 't/file.txt' },
        { path: 'old', state: 'absent', target: 't/other-dir' },
      ],
      world({ old: symlink(`${R}/t/dir`) }, { targets: { old: dirTarget() } }),
      { away: true },
    );
    const old = actionAt(plan, `${R}/old`);
    expect(old.kind).toBe('conflict');
    // the link stays, so the new link goes through it into t/dir, which exists: no folder to make
    const inner = ofKind(actionAt(plan, `${R}/old/l`), 'create');
    expect(inner.parents).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// Ordering and chains
// ---------------------------------------------------------------------------------------------

describe('ordering', () => {
  it('removals come first; everything else keeps manifest order', () => {
    const observed = world({
      gone1: symlink(`${R}/t/file.txt`),
      gone2: symlink(`${R}/t/dir`),
      same: symlink(`${R}/t/file.txt`),
      switch: symlink(`${R}/t/other.txt`),
    });
    const plan = planFor(
      [
        { path: 'new', target: 't/file.txt' },
        { path: 'gone1', state: 'absent' },
        { path: 'same', target: 't/file.txt' },
        { path: 'missing', target: 't/missing' },
        { path: 'switch', target: 't/file.txt' },
        { path: 'gone2', state: 'absent', target: 't/dir' },
        { path: 'never', state: 'absent' },
      ],
      observed,
      { made: { switch: `${R}/t/other.txt` } },
    );
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
    const plan = planFor(
      [
        { path: 'old', state: 'absent' },
        { path: 'x', target: 'old/file.txt' },
      ],
      world({ old: symlink(`${R}/t`) }, { targets: { 'old/file.txt': fileTarget(FILE_ID) } }),
    );
    expect(plan.actions.map((a) => [a.kind, path.basename(a.path)])).toEqual([
      ['remove', 'old'],
      ['conflict', 'x'],
    ]);
    expect(actionAt(plan, `${R}/x`).reason).toBe(`its target ${R}/old/file.txt is reached through ${R}/old, a link this plan removes`);
  });
});

describe('a target that is another link of the same manifest (chain)', () => {
  it('is read through that link: both are created, in manifest order', () => {
    const plan = planFor(
      [
        { path: 'current', target: 'latest' },
        { path: 'latest', target: 't/dir' },
      ],
      world(),
    );
    expect(plan.actions.map((a) => [a.kind, 'link' in a ? a.link : undefined])).toEqual([
      ['create', { type: 'symlink', target: `${R}/latest`, linkText: `${R}/latest` }],
      ['create', { type: 'symlink', target: `${R}/t/dir`, linkText: `${R}/t/dir` }],
    ]);
  });

  it.each([
    ['a junction through a chain sees the folder at its end', [{ path: 'a', target: 'b', type: 'junction' }, { path: 'b', target: 't/dir' }], {}, ['create', 'create'], undefined],
    ['a path inside another link of the manifest is followed through it', [{ path: 'cfg', target: 'stow/a.txt' }, { path: 'stow', target: 't/dir' }], {}, ['create', 'create'], undefined],
    ['a chain that ends nowhere is a conflict on the first link', [{ path: 'a', target: 'b' }, { path: 'b', target: 't/missing' }], {}, ['conflict', 'conflict'], `its target ${R}/b does not exist`],
    ['a hard link to another link of the manifest is a conflict', [{ path: 'h', type: 'hardlink', target: 'f' }, { path: 'f', target: 't/file.txt' }], {}, ['conflict', 'create'], /is itself a link of this manifest; a hard link needs a real file/],
    // (removals come first: h, then f)
    ['removing a hard link whose target is another link of the manifest compares the real file', [{ path: 'h', state: 'absent', target: 'f' }, { path: 'f', target: 't/file.txt' }], { h: hardLinkOf(FILE_ID) }, ['remove', 'create'], undefined],
  ] as const)('%s', (_name, raw, entries, kinds, reason) => {
    const plan = planFor(raw, world(entries));
    expect(plan.actions.map((a) => [a.kind, path.basename(a.path)])).toEqual(kinds.map((k, i) => [k, raw[i]?.path]));
    if (typeof reason === 'string') expect(plan.actions[0]?.reason).toBe(reason);
    else if (reason !== undefined) expect(plan.actions[0]?.reason).toMatch(reason);
  });
});

// ---------------------------------------------------------------------------------------------
// Purity: values in, a value out
// ---------------------------------------------------------------------------------------------

/** A world that exists only in these values: none of these paths is on disk. */
const WORLD_DESIRED: Desired[] = [
  desired('/linkplan-nowhere/home/.bashrc', '/linkplan-nowhere/dots/bashrc'),
  desired('/linkplan-nowhere/home/.vimrc', '/linkplan-nowhere/dots/vimrc', { relative: true, type: 'symlink' }),
  desired('/linkplan-nowhere/home/.gitconfig', '/linkplan-nowhere/dots/gitconfig', { onConflict: 'backup' }),
  desired('/linkplan-nowhere/home/.config/app', '/linkplan-nowhere/dots/app'),
  desired('/linkplan-nowhere/old', null, { state: 'absent' }),
  desired('/linkplan-nowhere/home/h', '/linkplan-nowhere/dots/big', { type: 'hardlink' }),
];
const WORLD_OBSERVED = observedOf(
  {
    '/linkplan-nowhere/home/.bashrc': absent,
    '/linkplan-nowhere/home': dir(),
    '/linkplan-nowhere/home/.vimrc': symlink('/linkplan-nowhere/dots/vimrc'),
    '/linkplan-nowhere/home/.gitconfig': file({ size: 10, fileId: '1:5' }),
    '/linkplan-nowhere/home/.config/app': absent,
    '/linkplan-nowhere/home/.config': absent,
    '/linkplan-nowhere/old': symlink('somewhere'),
    '/linkplan-nowhere': dir(),
    '/linkplan-nowhere/home/h': absent,
  },
  {
    targets: {
      '/linkplan-nowhere/dots/bashrc': fileTarget('1:2'),
      '/linkplan-nowhere/dots/vimrc': fileTarget('1:3'),
      '/linkplan-nowhere/dots/gitconfig': fileTarget('1:4'),
      '/linkplan-nowhere/dots/app': dirTarget(),
      '/linkplan-nowhere/dots/big': fileTarget('2:9', 2),
    },
    backupSlots: { '/linkplan-nowhere/home/.gitconfig': '/linkplan-nowhere/home/.gitconfig.linkplan-backup' },
  },
);

describe('computePlan is pure', () => {
  it('plans a world that exists only in its inputs (no I/O)', () => {
    expect(fs.existsSync('/linkplan-nowhere')).toBe(false);
    const plan = planPure(WORLD_DESIRED, WORLD_OBSERVED);
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
    const vimrc = ofKind(actionAt(plan, '/linkplan-nowhere/home/.vimrc'), 'retarget');
    expect(vimrc.link.linkText).toBe('../dots/vimrc');
    expect(vimrc.reason).toBe('link text is /linkplan-nowhere/dots/vimrc; should be ../dots/vimrc (same place, relative form)');
    expect(ofKind(actionAt(plan, '/linkplan-nowhere/home/.gitconfig'), 'backup-and-link').backupPath).toBe('/linkplan-nowhere/home/.gitconfig.linkplan-backup');
    expect(ofKind(actionAt(plan, '/linkplan-nowhere/home/.config/app'), 'create').parents).toEqual(['/linkplan-nowhere/home/.config']);
    // the hard link's target is on another volume (dev 2) than its folder (dev 1)
    expect(actionAt(plan, '/linkplan-nowhere/home/h').reason).toBe(
      'hard links cannot cross volumes, and /linkplan-nowhere/dots/big is on another volume',
    );
    expect(plan.summary).toEqual({ create: 2, retarget: 1, remove: 1, backup: 1, adopt: 0, unchanged: 0, conflict: 1 });
  });

  it('gives deep-equal plans for the same inputs, and leaves its inputs as they were', () => {
    const before = structuredClone({ d: WORLD_DESIRED, e: [...WORLD_OBSERVED.entries], t: [...WORLD_OBSERVED.targets] });
    const one = planPure(WORLD_DESIRED, WORLD_OBSERVED);
    const two = planPure(WORLD_DESIRED, WORLD_OBSERVED);
    expect(two).toEqual(one);
    expect(JSON.stringify(two)).toBe(JSON.stringify(one));
    expect(two).not.toBe(one);
    expect({ d: WORLD_DESIRED, e: [...WORLD_OBSERVED.entries], t: [...WORLD_OBSERVED.targets] }).toEqual(before);
  });

  it('an entry the observation knows nothing about is planned as absent, with its folders to make', () => {
    const plan = planPure([desired('/linkplan-nowhere/x/y', '/linkplan-nowhere/t')], observedOf({ '/': dir() }, { targets: { '/linkplan-nowhere/t': dirTarget() } }));
    const a = ofKind(only(plan), 'create');
    expect(a.parents).toEqual(['/linkplan-nowhere', '/linkplan-nowhere/x']);
  });

  it('a foreign reparse point is never touched', () => {
    const plan = planPure(
      [desired('/w/l', '/w/t', { onConflict: 'backup' })],
      observedOf({ '/w/l': { kind: 'reparse', tag: 0x9000001a, tagName: 'cloud' }, '/w': dir() }, { targets: { '/w/t': dirTarget() } }),
    );
    const a = ofKind(only(plan), 'conflict');
    expect(a.reason).toBe('is a cloud reparse point (tag 0x9000001A), which linkplan does not touch');
  });

  it('a hard link on the same volume as its folder is fine', () => {
    const plan = planPure([desired('/w/h', '/w/f', { type: 'hardlink' })], observedOf({ '/w': dir(7) }, { targets: { '/w/f': fileTarget('7:1', 7) } }));
    expect(only(plan).kind).toBe('create');
  });

  it.each([
    ['a folder, symlinks allowed', 'dir', true, false, 'junction', /a junction, which needs no privilege/],
    ['a folder, relative, symlinks allowed', 'dir', true, true, 'symlink', /a relative link needs one/],
    ['a folder, relative, no symlinks', 'dir', false, true, 'junction', /a junction/],
    ['a file, symlinks allowed', 'file', true, false, 'symlink', /this user may create them/],
    ['a file, no symlinks', 'file', false, false, 'hardlink', /may not create symbolic links/],
  ] as const)('auto on win32 to %s -> %s', (_name, kind, symlinks, relative, type, why) => {
    const t: TargetInfo = kind === 'dir' ? dirTarget() : fileTarget('1:1');
    const plan = planPure(
      [desired('C:\\w\\l', 'C:\\w\\t', { relative })],
      observedOf(
        { 'C:\\w': dir() },
        {
          platform: 'win32',
          capabilities: { symlinks, junctions: true, hardlinks: true, ...(symlinks ? {} : { symlinkNote: 'no privilege' }) },
          targets: { 'C:\\w\\t': t },
        },
      ),
    );
    const a = ofKind(only(plan), 'create');
    expect(a.link.type).toBe(type);
    expect(a.reason).toMatch(why);
    expect(a.link.linkText).toBe(type === 'symlink' && relative ? 't' : 'C:\\w\\t');
  });

  it('type: symlink where symlinks are unavailable is a conflict with a hint', () => {
    const plan = planPure(
      [desired('/w/l', '/w/t', { type: 'symlink' })],
      observedOf(
        { '/w': dir() },
        { targets: { '/w/t': fileTarget('1:1') }, capabilities: { symlinks: false, junctions: false, hardlinks: true, symlinkNote: 'Developer Mode is off' } },
      ),
    );
    const a = ofKind(only(plan), 'conflict');
    expect(a.reason).toBe('cannot create symbolic links here: Developer Mode is off');
    expect(a.hint).toMatch(/Developer Mode/);
  });

  it('backup without a free backup name in the observation is a conflict, not a guess', () => {
    const plan = planPure(
      [desired('/w/l', '/w/t', { onConflict: 'backup' })],
      observedOf({ '/w/l': file({ size: 1, fileId: '1:2' }), '/w': dir() }, { targets: { '/w/t': fileTarget('1:1') } }),
    );
    expect(only(plan).kind).toBe('conflict');
  });
});

describe('hard links and symbolic links at the target', () => {
  /** The base world with `alias`, a symbolic link to t/file.txt (followed, the file itself). */
  const withAlias = (entries: Record<string, Entry> = {}): Observed => world({ alias: symlink('t/file.txt'), ...entries }, { targets: { alias: fileTarget(FILE_ID) } });

  it('a hard link to a name that is a symlink is planned to that name (the driver links the file it leads to)', () => {
    const a = ofKind(only(planFor([{ path: 'h', type: 'hardlink', target: 'alias' }], withAlias())), 'create');
    expect(a.link).toEqual({ type: 'hardlink', target: `${R}/alias`, linkText: `${R}/alias` });
  });

  it('a hard link of the file a symlinked target leads to is already in place', () => {
    const a = ofKind(only(planFor([{ path: 'h', type: 'hardlink', target: 'alias' }], withAlias({ h: hardLinkOf(FILE_ID), 't/file.txt': hardLinkOf(FILE_ID) }))), 'noop');
    expect(a.reason).toBe(`already a hard link of ${R}/alias`);
  });

  it('a symlink to a name that is a symlink is fine', () => {
    const a = only(planFor([{ path: 's', target: 'alias' }], withAlias()));
    expect(a.kind).toBe('create');
  });
});

describe('targets observe read the kind of alone', () => {
  /** The base world, with t/file.txt and t/dir read by kind only. */
  const kindsOnly = (entries: Record<string, Entry> = {}): Observed => {
    const o = world(entries);
    const k = (p: string): string => at(p);
    return { ...o, targets: new Map(), targetKinds: new Map([[k('t/file.txt'), 'file'], [k('t/dir'), 'dir'], [k('t/gone'), 'absent']]) };
  };

  it('plan a symbolic link as a full read would', () => {
    for (const target of ['t/file.txt', 't/dir', 't/gone']) {
      const raw = [{ path: 'l', target }];
      expect(planFor(raw, kindsOnly())).toEqual(planFor(raw, world()));
    }
  });

  it('a plan that needs to know which file the target is refuses to guess (observe must read it)', () => {
    expect(() => planFor([{ path: 'h', type: 'hardlink', target: 't/file.txt' }], kindsOnly())).toThrow(/observe read only what kind of thing .*t\/file\.txt is \(file\), not which file or volume/);
    expect(() => planFor([{ path: 'h', target: 't/file.txt', state: 'absent' }], kindsOnly({ h: file({ nlink: 2 }) }))).toThrow(/observe read only what kind/);
  });
});

describe('relative links below a folder that is itself a link (one outside the sources)', () => {
  /** Plans `raw` from a manifest in a folder of its own, so R holds no source of it. */
  const planAway = (raw: RawLink[], observed: Observed): Plan => planFor(raw, observed, { away: true });
  /** R/home, a link to the folder R/data/home (as `text`), with `inside` in it. */
  const linkedHome = (text: string, inside: Record<string, Entry> = {}): Observed =>
    world({ data: dir(), 'data/home': dir(), 'home-real': dir(), home: symlink(text), ...inside }, { targets: { home: dirTarget() } });

  it('is a conflict when the relative text, read from the real folder, misses the target', () => {
    const a = ofKind(only(planAway([{ path: 'home/sub/l', target: 't/file.txt', relative: true }], linkedHome(`${R}/data/home`))), 'conflict');
    expect(a.reason).toBe(
      `relative text ../../t/file.txt would not reach ${R}/t/file.txt: the folder ${R}/home is a link to ${R}/data/home, and the text is read from there`,
    );
    expect(a.hint).toMatch(/relative: false/);
    expect(a.link?.linkText).toBe('../../t/file.txt');
  });

  it('stays a conflict once such a link exists (it is dangling, not unchanged)', () => {
    const a = only(planAway([{ path: 'home/l', target: 't/file.txt', relative: true }], linkedHome(`${R}/data/home`, { 'home/l': symlink('../t/file.txt') })));
    expect(a.kind).toBe('conflict');
  });

  it('is fine when the real folder sits where the text still reaches the target', () => {
    const a = ofKind(only(planAway([{ path: 'home/l', target: 't/file.txt', relative: true }], linkedHome('home-real'))), 'create');
    expect(a.link.linkText).toBe('../t/file.txt');
  });

  it('an absolute link below a linked folder is fine', () => {
    const a = only(planAway([{ path: 'home/l', target: 't/file.txt' }], linkedHome(`${R}/data/home`)));
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
