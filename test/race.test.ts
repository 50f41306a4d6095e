// Proves that a parent folder swapped under a running apply cannot redirect its writes. A helper
// process (test/helpers/swap-folders.mjs) exchanges the folder that holds the link paths with a
// symbolic link to another folder, in a tight loop (renameat2 RENAME_EXCHANGE), while real
// `linkplan apply` processes run saved plans that create, retarget, remove (state: absent) and
// back up thousands of links there. The other folder holds regular files and symbolic links
// under the very names the plans use. Afterwards every entry of the other folder is byte for byte
// and link text for link text what it was, and each apply either finished (its folder then
// holds what an undisturbed apply gives) or refused or rolled back with a clear message (its
// folder then holds what it held before). A saved plan records the folders it writes in, and is
// refused where one became a link to another folder since. Planning never loads koffi.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestStateDir } from '../src/state/state-dir.js';
import { journalPath } from '../src/state/journal/format.js';
import { applyPlan } from '../src/apply/applier.js';
import { ReadOnlyDriver } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { atCallsLoaded } from '../src/drivers/posix-at.js';
import { recordFolders } from '../src/plan/folders.js';
import { loadManifest } from '../src/manifest/load.js';
import { observeOn, planPure } from './helpers/plan.js';
import type { Plan } from '../src/core/types.js';
import { REPO, runCli, runCliAsync } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type SnapshotEntry, type TreeSpec } from './helpers/tree.js';

const N = 1500;
/** How long after an apply's journal appears the swapping starts, one round each. */
const DELAYS = [0, 20];
const SWAPPER = path.join(REPO, 'test', 'helpers', 'swap-folders.mjs');

type Scenario = 'create' | 'retarget' | 'remove' | 'backup';

/** The project of a scenario: its manifest, its targets and the link folder as the plan finds it. */
function project(base: string, scenario: Scenario): string {
  const root = path.join(base, 'w');
  const links: TreeSpec = {};
  const lines: string[] = [];
  for (let i = 0; i < N; i++) {
    if (scenario === 'remove') lines.push(`  - { path: links/l${i}, state: absent }`);
    else if (scenario === 'backup') lines.push(`  - { path: links/l${i}, target: t/f${i % 4}, onConflict: backup }`);
    // (the links to retarget were made by hand: onConflict: backup lets them be replaced, a copy kept)
    else if (scenario === 'retarget') lines.push(`  - { path: links/l${i}, target: t/f${i % 4}, onConflict: backup }`);
    else lines.push(`  - { path: links/l${i}, target: t/f${i % 4} }`);
    if (scenario === 'retarget') links[`l${i}`] = { link: '../t/old' };
    if (scenario === 'remove') links[`l${i}`] = { link: `../t/f${i % 4}` };
    if (scenario === 'backup') links[`l${i}`] = `mine ${i}`;
  }
  writeTree(root, {
    'layout.yaml': `version: 1\nlinks:\n${lines.join('\n')}\n`,
    t: { f0: '0', f1: '1', f2: '2', f3: '3', old: 'old' },
    links,
  });
  return root;
}

/** The other folder: regular files and symbolic links under the names of the link paths. */
function victim(base: string): string {
  const spec: TreeSpec = {};
  for (let i = 0; i < N; i++) {
    if (i % 3 === 0) spec[`l${i}`] = `precious ${i}`;
    else if (i % 3 === 1) spec[`l${i}`] = { link: `elsewhere-${i}` };
    if (i % 50 === 0) spec[`l${i}.linkplan-backup`] = `older backup ${i}`;
  }
  spec['notes.txt'] = 'keep me';
  const dir = path.join(base, 'victim');
  writeTree(dir, spec);
  return dir;
}

/** Starts the swapper on `a` and `b`; resolves once its loop runs, with a function that stops it. */
async function startSwapper(a: string, b: string, files: { stop: string; start?: string; delay: number }): Promise<() => Promise<number>> {
  const start = files.start === undefined ? [] : [files.start, String(files.delay)];
  const child = spawn(process.execPath, [SWAPPER, a, b, files.stop, ...start], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (s: string) => {
      out += s;
      if (out.startsWith('ready\n')) resolve();
    });
    child.on('error', reject);
    void closed.then(() => reject(new Error(`the swapper stopped: ${err}`)));
  });
  return async () => {
    fs.writeFileSync(files.stop, '');
    const code = await closed;
    expect(code, err).toBe(0);
    return Number(out.split('\n')[1]);
  };
}

/** The entries below `dir`; link texts with the project's own temporary folder as `$BASE`. */
function snap(dir: string): Record<string, SnapshotEntry> {
  const base = path.dirname(path.dirname(dir));
  const out = snapshot(dir);
  for (const [k, v] of Object.entries(out)) if (v.kind === 'symlink') out[k] = { kind: 'symlink', linkText: v.linkText.split(base).join('$BASE') };
  return out;
}

interface Outcome {
  scenario: string;
  code: number | null;
  message: string;
  swaps: number;
}

/**
 * One round. `saved`: plan with the folder in place, then apply the saved plan while the swapper
 * runs (its second reading of every path mostly sees the swap and refuses). Otherwise the apply
 * plans for itself with the folder in place, and the swapper starts `delay` ms after its journal
 * appears (right before the first write), so the swaps land among the writes and the rollback.
 */
async function round(scenario: Scenario, reference: Record<string, SnapshotEntry>, run: { saved: boolean; delay: number }): Promise<Outcome> {
  const saved = run.saved;
  const base = tempDir('linkplan-race-');
  const root = project(base, scenario);
  const other = victim(base);
  const before = snap(other);
  const linksBefore = snap(path.join(root, 'links'));
  const state = path.join(base, 'state');
  if (saved) {
    const planned = runCli(['plan', 'layout.yaml', '--out', 'plan.json'], { cwd: root, env: { LINKPLAN_STATE_DIR: state } });
    expect(planned.code, planned.stderr).toBe(0);
  }
  fs.symlinkSync(other, path.join(root, 'swap'));
  const journal = journalPath(manifestStateDir(path.join(root, 'layout.yaml'), { root: state }));
  const files = { stop: path.join(base, 'stop'), delay: run.delay, ...(saved ? {} : { start: journal }) };
  const stop = await startSwapper(path.join(root, 'links'), path.join(root, 'swap'), files);
  const r = await runCliAsync(['apply', saved ? 'plan.json' : 'layout.yaml', '--yes'], { cwd: root, state });
  const swaps = await stop();
  // nothing in the other folder changed, whatever the apply did
  expect(snap(other), `${scenario}: the other folder changed (apply exit ${r.code}: ${r.stderr}${r.stdout.slice(-300)})`).toEqual(before);
  expect(fs.lstatSync(path.join(root, 'links')).isDirectory()).toBe(true);
  const after = snap(path.join(root, 'links'));
  if (r.code === 0) {
    expect(r.stdout).toContain('Applied: ');
    expect(after, `${scenario}: applied, but the link folder is not what an undisturbed apply gives`).toEqual(reference);
  } else {
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/^linkplan: /);
    expect(r.stderr).not.toMatch(/internal error|this is a bug/);
    expect(after, `${scenario}: refused, but the link folder changed: ${r.stderr}`).toEqual(linksBefore);
  }
  return { scenario: `${scenario}${saved ? ' (saved plan)' : ` (+${run.delay} ms)`}`, code: r.code, message: r.stderr.split('\n')[0] ?? '', swaps };
}

/** What an apply of the scenario gives with nobody in the way. */
function referenceOf(scenario: Scenario): Record<string, SnapshotEntry> {
  const base = tempDir('linkplan-race-ref-');
  const root = project(base, scenario);
  const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: root, env: { LINKPLAN_STATE_DIR: path.join(base, 'state') } });
  expect(r.code, r.stderr).toBe(0);
  return snap(path.join(root, 'links'));
}

describe.runIf(process.platform === 'linux')('a parent folder swapped for a link during an apply', () => {
  it('never changes anything in the folder the link leads to', { timeout: 120_000 }, async () => {
    const outcomes: Outcome[] = [];
    for (const scenario of ['create', 'retarget', 'remove', 'backup'] as const) {
      const reference = referenceOf(scenario);
      for (const delay of DELAYS) outcomes.push(await round(scenario, reference, { saved: false, delay }));
      if (scenario === 'create') outcomes.push(await round(scenario, reference, { saved: true, delay: 0 }));
    }
    // the swapper ran through every apply
    for (const o of outcomes) expect(o.swaps, o.scenario).toBeGreaterThan(0);
    console.log(outcomes.map((o) => `${o.scenario}: exit ${o.code} after ${o.swaps} swaps ${o.message}`).join('\n'));
  });
});

describe('a saved plan and the folders it writes in', () => {
  /** A project of three links in `links/` (one there already, to retarget), planned and saved. */
  function saved(): { base: string; root: string; state: string; plan: Plan } {
    const base = tempDir('linkplan-folders-');
    const root = path.join(base, 'w');
    writeTree(root, {
      'layout.yaml': 'version: 1\nlinks:\n  - { path: links/a, target: t/f0 }\n  - { path: links/b, target: t/f1, onConflict: backup }\n  - { path: links/new/c, target: t/f1 }\n',
      t: { f0: '0', f1: '1' },
      links: { b: { link: 'elsewhere' } },
    });
    const state = path.join(base, 'state');
    const r = runCli(['plan', 'layout.yaml', '--out', 'plan.json'], { cwd: root, env: { LINKPLAN_STATE_DIR: state } });
    expect(r.code, r.stderr).toBe(0);
    return { base, root, state, plan: JSON.parse(fs.readFileSync(path.join(root, 'plan.json'), 'utf8')) as Plan };
  }

  it('records each folder it writes in (the nearest existing one for a folder it makes) with its identity', () => {
    const { root, plan } = saved();
    const st = fs.statSync(path.join(root, 'links'), { bigint: true });
    expect(plan.folders).toEqual([{ path: path.join(root, 'links'), fileId: `${st.dev}:${st.ino}` }]);
  });

  it('is refused, naming the folder, when that folder became a link to another one; nothing changes there', () => {
    const { base, root, state } = saved();
    const other = path.join(base, 'other');
    writeTree(other, { b: { link: 'elsewhere' }, keep: 'theirs' });
    fs.renameSync(path.join(root, 'links'), path.join(root, 'links.moved'));
    fs.symlinkSync(other, path.join(root, 'links'));
    const before = snap(other);
    const r = runCli(['apply', 'plan.json', '--yes'], { cwd: root, env: { LINKPLAN_STATE_DIR: state } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`linkplan: ${path.join(root, 'links')}: changed since the plan (now leads to another folder); nothing was done there\n  hint: run linkplan plan again to see the disk as it is now, and apply that plan\n`);
    expect(snap(other)).toEqual(before);
    expect(snapshot(path.join(root, 'links.moved'))).toEqual({ b: { kind: 'symlink', linkText: 'elsewhere' } });
  });

  it('without folders (an earlier linkplan saved it) applies as before where no folder is a link', () => {
    const { root, state, plan } = saved();
    delete plan.folders;
    fs.writeFileSync(path.join(root, 'plan.json'), JSON.stringify(plan, null, 2));
    const r = runCli(['apply', 'plan.json', '--yes'], { cwd: root, env: { LINKPLAN_STATE_DIR: state } });
    expect(r.code, r.stderr).toBe(0);
    expect(Object.keys(snapshot(path.join(root, 'links'))).sort()).toEqual(['a', 'b', 'b.linkplan-backup', 'new', 'new/c']);
  });
});

describe('recovery and the folders the apply wrote in', () => {
  it('rolls back an apply killed midway in a folder reached through a folder link, and refuses once that link leads elsewhere', () => {
    const base = tempDir('linkplan-folders-');
    const root = path.join(base, 'w');
    writeTree(root, {
      // (the folder link leads outside the manifest's folder: into it, nothing is written through a link)
      repo: { 'layout.yaml': 'version: 1\nlinks:\n  - { path: ../home/cfg/a, target: t/f0 }\n  - { path: ../home/cfg/b, target: t/f1 }\n  - { path: ../home/cfg/c, target: t/f1 }\n', t: { f0: '0', f1: '1' } },
      data: { cfg: {} },
      home: { cfg: { link: '../data/cfg' } },
      other: { keep: 'theirs' },
    });
    const env = { LINKPLAN_STATE_DIR: path.join(base, 'state') };
    const killed = runCli(['apply', 'layout.yaml', '--yes'], { cwd: path.join(root, 'repo'), env: { ...env, LINKPLAN_CRASH_AT: 'after:2' } });
    expect(killed.code).toBeNull();
    expect(fs.readdirSync(path.join(root, 'data', 'cfg')).sort()).toEqual(['a', 'b']);
    // the folder link now leads to another folder: recovery must not act there
    fs.renameSync(path.join(root, 'home', 'cfg'), path.join(root, 'home', 'cfg.was'));
    fs.symlinkSync('../other', path.join(root, 'home', 'cfg'));
    const refused = runCli(['recover', 'layout.yaml'], { cwd: path.join(root, 'repo'), env });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`${path.join(root, 'home', 'cfg')}: changed since the plan (now leads to another folder); nothing was done there`);
    expect(snapshot(path.join(root, 'other'))).toEqual({ keep: expect.objectContaining({ kind: 'file' }) as SnapshotEntry });
    // put back, it rolls back through the link
    fs.unlinkSync(path.join(root, 'home', 'cfg'));
    fs.renameSync(path.join(root, 'home', 'cfg.was'), path.join(root, 'home', 'cfg'));
    const r = runCli(['recover', 'layout.yaml'], { cwd: path.join(root, 'repo'), env });
    expect(r.code, r.stderr).toBe(0);
    expect(fs.readdirSync(path.join(root, 'data', 'cfg'))).toEqual([]);
  });
});

describe.runIf(process.platform === 'linux')('the cost of writing through folder handles', () => {
  it('planning (folder identities included) never loads koffi; the first write does', async () => {
    const root = tempDir('linkplan-folders-');
    writeTree(root, {
      'layout.yaml': 'version: 1\nlinks:\n  - { path: home/a/x, target: t/f0 }\n  - { path: home/b/y, target: t/f1 }\n',
      t: { f0: '0', f1: '1' },
    });
    const ro = new ReadOnlyDriver(new PosixDriver());
    const loaded = loadManifest(path.join(root, 'layout.yaml'), { driver: ro });
    const plan = planPure(loaded.desired, observeOn(loaded.desired, ro, 'linux'), { manifest: { path: loaded.file, digest: '' } });
    recordFolders(plan, ro);
    expect(plan.folders).toEqual([{ path: root, fileId: expect.stringMatching(/^\d+:\d+$/) as string }]);
    expect(atCallsLoaded()).toBe(false);
    await applyPlan(plan, new PosixDriver());
    expect(fs.readlinkSync(path.join(root, 'home', 'b', 'y'))).toBe(path.join(root, 't', 'f1'));
    expect(atCallsLoaded()).toBe(true);
  });
});
