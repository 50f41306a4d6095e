// A property test on real temporary trees: a home with files, folders, hard links, links someone
// else made, links linkplan made, dangling links and a folder link into the repository, and a
// random manifest over it. Whatever the manifest: a plan with no conflict applies; the apply
// changes nothing but the declared link paths, their backups, the folders it makes and the
// targets it adopts into; every file's bytes are still somewhere after it; and an apply failing at
// any write rolls back to the exact tree. LINKPLAN_PROPERTY_RUNS sets the number of cases (a
// longer run: LINKPLAN_PROPERTY_RUNS=3000 npx vitest run test/property.test.ts).
import fs from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { stepsFor } from '../src/apply/steps.js';
import { FaultyDriver } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { ApplyError, LinkplanError } from '../src/core/errors.js';
import { loadManifest } from '../src/manifest/load.js';
import type { MadeLink } from '../src/plan/planner.js';
import { observeOn, planPure } from './helpers/plan.js';
import type { Action, Plan } from '../src/core/types.js';
import { runCliAsync } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type SnapshotEntry, type TreeSpec } from './helpers/tree.js';

const RUNS = Number(process.env['LINKPLAN_PROPERTY_RUNS'] ?? '150');
const posix = new PosixDriver();

/** What a name in the home starts as. */
const START = ['absent', 'file', 'folder', 'foreign-link', 'made-link', 'outside-link', 'dangling', 'hardlink', 'folder-link'] as const;
type Start = (typeof START)[number];
const HOME_NAMES = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5'];
const TARGETS = ['f0', 'f1', 'f2', 'd0', 'd1', 'missing', 'new/t'];
const PATHS = [...HOME_NAMES.map((n) => `../home/${n}`), '../home/conf/x', '../home/conf/y', '../home/deep/er/z'];

interface Entry {
  path: string;
  target: string | null;
  state: 'present' | 'absent';
  type: 'auto' | 'symlink' | 'hardlink';
  onConflict: 'refuse' | 'backup' | 'adopt';
  relative: boolean;
}

const entryArb: fc.Arbitrary<Entry> = fc.record({
  path: fc.constantFrom(...PATHS),
  target: fc.option(fc.constantFrom(...TARGETS), { freq: 6 }),
  state: fc.constantFrom('present', 'present', 'present', 'absent'),
  type: fc.constantFrom('auto', 'auto', 'symlink', 'hardlink'),
  onConflict: fc.constantFrom('refuse', 'backup', 'adopt'),
  relative: fc.boolean(),
});

const worldArb = fc.record({
  starts: fc.array(fc.constantFrom(...START), { minLength: HOME_NAMES.length, maxLength: HOME_NAMES.length }),
  entries: fc.uniqueArray(entryArb, { minLength: 1, maxLength: 7, selector: (e) => e.path }),
  failAt: fc.integer({ min: 1, max: 12 }),
});

/** The tree: repo (the manifest's folder, with d0 folded into the home as conf), home, outside. */
function build(root: string, starts: readonly Start[]): Map<string, MadeLink> {
  const repo: TreeSpec = { f0: 'f0 bytes', f1: 'f1 bytes', f2: 'f2 bytes', d0: { x: 'x in d0', y: { link: 'x' } }, d1: { k: 'k in d1' } };
  const home: TreeSpec = {};
  const made = new Map<string, MadeLink>();
  starts.forEach((s, i) => {
    const n = HOME_NAMES[i] as string;
    const p = path.join(root, 'home', n);
    if (s === 'file') home[n] = `${n} is mine`;
    else if (s === 'folder') home[n] = { 'inner.txt': `${n}/inner is mine` };
    else if (s === 'foreign-link') home[n] = { link: path.join(root, 'repo/f1') };
    else if (s === 'made-link') {
      home[n] = { link: path.join(root, 'repo/f2') };
      made.set(p, { type: 'symlink', linkText: path.join(root, 'repo/f2') });
    } else if (s === 'outside-link') home[n] = { link: '../outside' };
    else if (s === 'dangling') home[n] = { link: 'nowhere' };
    else if (s === 'hardlink') home[n] = { hardlink: '../repo/f0' };
    else if (s === 'folder-link') home[n] = { link: '../outside' };
  });
  home['conf'] = { link: '../repo/d0' };
  writeTree(root, { repo, home, outside: { 'keep.txt': 'outside data' } });
  return made;
}

function manifestText(entries: readonly Entry[]): string {
  const lines = entries.map((e) => {
    const parts = [`path: ${e.path}`];
    if (e.target !== null) parts.push(`target: ${e.target}`);
    if (e.state === 'absent') parts.push('state: absent');
    else parts.push(`type: ${e.type}`, `onConflict: ${e.onConflict}`, `relative: ${e.relative}`, 'createParents: true');
    return `  - { ${parts.join(', ')} }`;
  });
  return `version: 1\nlinks:\n${lines.join('\n')}\n`;
}

/** The plan, or undefined where the manifest itself is refused (a layout problem). */
function planFor(root: string, entries: readonly Entry[], made: ReadonlyMap<string, MadeLink>): Plan | undefined {
  fs.writeFileSync(path.join(root, 'repo/layout.yaml'), manifestText(entries));
  let loaded;
  try {
    loaded = loadManifest(path.join(root, 'repo/layout.yaml'), { driver: posix, env: {}, platform: 'linux', hostname: 'h', home: path.join(root, 'home') });
  } catch (e) {
    if (e instanceof LinkplanError) return undefined;
    throw e;
  }
  return planPure(loaded.desired, observeOn(loaded.desired, posix, 'linux'), { manifest: { path: loaded.file, digest: 'sha256:0' }, made });
}

/**
 * The entries left once those the plan finds a conflict for are dropped (planned again until none
 * is), and their plan; undefined where none is left or the manifest is refused.
 */
function conflictFree(root: string, entries: readonly Entry[], made: ReadonlyMap<string, MadeLink>): { plan: Plan; kept: Entry[] } | undefined {
  let kept = [...entries];
  for (let round = 0; round < 4 && kept.length > 0; round++) {
    const plan = planFor(root, kept, made);
    if (plan === undefined) return undefined;
    if (plan.summary.conflict === 0) return { plan, kept };
    const bad = new Set(plan.actions.filter((a) => a.kind === 'conflict').map((a) => a.source.where));
    kept = kept.filter((_, i) => !bad.has(`links[${i}]`));
  }
  return undefined;
}

/** The paths (relative to root) an action may change, with everything below them. */
function allowedRoots(root: string, actions: readonly Action[]): string[] {
  const rel = (p: string): string => path.relative(root, p);
  const out: string[] = [];
  for (const a of actions) {
    if (a.kind === 'noop' || a.kind === 'conflict') continue;
    out.push(rel(a.path));
    if ((a.kind === 'retarget' || a.kind === 'backup-and-link') && a.backupPath !== undefined) out.push(rel(a.backupPath));
    if (a.kind === 'adopt') out.push(rel(a.link.target));
    const folders = a.kind === 'create' ? a.parents : a.kind === 'adopt' ? a.targetParents : undefined;
    for (const p of folders ?? []) out.push(rel(p));
  }
  return out;
}

const within = (p: string, roots: readonly string[]): boolean => roots.some((r) => p === r || p.startsWith(`${r}/`));

function changedPaths(before: Record<string, SnapshotEntry>, after: Record<string, SnapshotEntry>): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  // a file's link count changes when a hard link of it is made or removed: not a change to it
  const same = (a: SnapshotEntry | undefined, b: SnapshotEntry | undefined): boolean =>
    JSON.stringify(a?.kind === 'file' ? { ...a, nlink: 0 } : a) === JSON.stringify(b?.kind === 'file' ? { ...b, nlink: 0 } : b);
  return [...keys].filter((k) => k !== 'repo/layout.yaml' && !same(before[k], after[k])).sort();
}

const contents = (s: Record<string, SnapshotEntry>): Set<string> => new Set(Object.values(s).flatMap((e) => (e.kind === 'file' ? [e.content] : [])));

describe(`random manifests over a home with every kind of entry (${RUNS} cases)`, () => {
  it('a plan with no conflict applies, touches only what it declares, and keeps every byte; a failed apply rolls back exactly', async () => {
    let applied = 0;
    let rolledBack = 0;
    await fc.assert(
      fc.asyncProperty(worldArb, async ({ starts, entries, failAt }) => {
        const root = tempDir('linkplan-prop-');
        const made = build(root, starts);
        const found = conflictFree(root, entries, made);
        if (found === undefined) return;
        const { plan, kept } = found;
        const before = snapshot(root);
        // first an apply that fails at one of its writes: the tree must be exactly as before
        const faulty = new FaultyDriver(posix, { failAt });
        try {
          await applyPlan(plan, faulty);
        } catch (e) {
          expect(e, String(e)).toBeInstanceOf(ApplyError);
          expect((e as ApplyError).message).toMatch(/the disk is as it was before the apply/);
          expect(snapshot(root)).toEqual(before);
          rolledBack++;
        }
        if (faulty.writes >= failAt) {
          // the fault was hit (and rolled back): now the real apply
          await applyPlan(plan, posix);
        }
        applied++;
        const after = snapshot(root);
        const changed = changedPaths(before, after);
        const roots = allowedRoots(root, plan.actions);
        expect(changed.filter((p) => !within(p, roots)), `changed outside the declared paths:\n${manifestText(kept)}`).toEqual([]);
        const lost = [...contents(before)].filter((c) => !contents(after).has(c));
        expect(lost.map((c) => Buffer.from(c, 'base64').toString()), `bytes lost:\n${manifestText(kept)}`).toEqual([]);
        // idempotent: planned again, nothing left to do
        const again = planFor(root, kept, new Map([...made, ...madeBy(plan)]));
        expect(again?.actions.filter((a) => a.kind !== 'noop').map((a) => `${a.kind} ${a.path}: ${a.reason}`)).toEqual([]);
      }),
      { numRuns: RUNS },
    );
    // the cases are not all refused: enough of them apply, and enough fail and roll back
    expect(applied).toBeGreaterThan(RUNS / 4);
    expect(rolledBack).toBeGreaterThan(RUNS / 20);
  }, 600_000);
});

describe(`random manifests, the real command killed at a random write, then recovered (${Math.ceil(RUNS / 10)} cases)`, () => {
  it('rolled back: the exact tree from before; finished forward: only declared paths changed, every byte kept', async () => {
    let killed = 0;
    await fc.assert(
      fc.asyncProperty(worldArb, fc.boolean(), fc.constantFrom('before', 'after'), async ({ starts, entries, failAt }, forward, when) => {
        const base = tempDir('linkplan-propkill-');
        const root = path.join(base, 'w');
        // the command reads its own records: no link in the tree is linkplan's
        build(root, starts);
        const found = conflictFree(root, entries, new Map());
        // (a case with nothing to apply is drawn again: every case counted is a kill)
        fc.pre(found !== undefined);
        const { plan, kept } = found;
        // one driver write per step
        const writes = plan.actions.flatMap(stepsFor).length;
        fc.pre(writes > 0);
        const before = snapshot(root);
        const cwd = path.join(root, 'repo');
        const state = path.join(base, 'state');
        const run = await runCliAsync(['apply', 'layout.yaml', '--yes'], { cwd, state, crashAt: `${when}:${1 + (failAt % writes)}` });
        const ctx = `${manifestText(kept)}killed ${when} write ${1 + (failAt % writes)}: ${run.stdout}${run.stderr}`;
        expect(run.signal, ctx).toBe('SIGKILL');
        killed++;
        const rec = await runCliAsync(['recover', 'layout.yaml', ...(forward ? ['--forward'] : [])], { cwd, state });
        expect(rec.code, `${ctx}\n${rec.stdout}${rec.stderr}`).toBe(0);
        const after = snapshot(root);
        if (!forward) {
          expect(changedPaths(before, after), ctx).toEqual([]);
          return;
        }
        const roots = allowedRoots(root, plan.actions);
        expect(changedPaths(before, after).filter((p) => !within(p, roots)), ctx).toEqual([]);
        expect([...contents(before)].filter((c) => !contents(after).has(c)), ctx).toEqual([]);
      }),
      { numRuns: Math.ceil(RUNS / 10), maxSkipsPerRun: 1000 },
    );
    expect(killed).toBe(Math.ceil(RUNS / 10));
  }, 600_000);
});

/** The links an applied plan made (what its records would hold). */
function madeBy(plan: Plan): Map<string, MadeLink> {
  const out = new Map<string, MadeLink>();
  for (const a of plan.actions) {
    if ((a.kind === 'create' || a.kind === 'retarget' || a.kind === 'backup-and-link' || a.kind === 'adopt') && a.link !== undefined && a.link.type !== 'hardlink') {
      out.set(a.path, { type: a.link.type, linkText: a.link.linkText });
    }
  }
  return out;
}
