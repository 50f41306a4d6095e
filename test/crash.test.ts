// Proves "all or nothing" against real crashes: a 50-action apply (creates, some in new folders,
// retargets, removals, backups and adopts) runs as a real child process (the built CLI) and is
// SIGKILLed at every write in turn, before it and after it (LINKPLAN_CRASH_AT, which only the
// test entry dist/test-entry.cjs reads: the shipped command ignores it, as the last tests check).
// After each kill, `linkplan recover` must give back the exact tree from before the apply, byte for
// byte, and a fresh apply must then succeed; `recover --forward` must give the exact tree a clean apply
// gives. Recovery is killed midway too and run again; plan and apply refuse while a journal is
// there; a journal killed before its header was written recovers as "nothing ran".
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestStateDir } from '../src/state/state-dir.js';
import { readJournal } from '../src/state/journal/reader.js';
import { BIN, childEnv, REPO, runCliAsync, type AsyncCliRun } from './helpers/cli.js';
import { EVERY_ACTION_TARGETS } from './helpers/fixtures.js';
import { snapshot, tempDir, writeTree, type SnapshotEntry, type TreeSpec } from './helpers/tree.js';

type Run = AsyncCliRun;

/** Runs the real CLI as a child process without waiting for it synchronously. */
const cli = runCliAsync;

/** Runs `jobs` with at most `limit` at once; returns their results in order. */
async function pool<T>(jobs: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const out: T[] = new Array<T>(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < jobs.length; i = next++) out[i] = await (jobs[i] as () => Promise<T>)();
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return out;
}

// twice the cores, at most 4: a recovery spends much of its time waiting on fsync, not running
const PARALLEL = Math.max(2, Math.min(4, 2 * os.availableParallelism()));

// 50 actions: 21 creates (8 new folders, one where a removed link was), 10 retargets, 8
// removals, 8 backups (one next to an earlier backup) and 3 adopts (one into new folders)
const MANIFEST = `version: 1
links:
  - { path: links/a1, target: t/f1 }
  - { path: links/a2, target: t/f2 }
  - { path: links/a3, target: t/f3 }
  - { path: links/a4, target: t/f4 }
  - { path: links/a5, target: t/v1 }
  - { path: links/a6, target: t/v2 }
  - { path: links/a7, target: t/dir1 }
  - { path: links/a8, target: t/f8 }
  - { path: new/d1/x1, target: t/f1 }
  - { path: new/d1/x2, target: t/f2 }
  - { path: new/d2/x3, target: t/v1 }
  - { path: deep/p/q/r, target: t/f3 }
  - { path: links/rel1, target: t/f4, relative: true }
  - { path: links/rel2, target: t/v2, relative: true }
  - { path: links/h1, target: t/f5, type: hardlink }
  - { path: links/h2, target: t/f6, type: hardlink }
  - { path: links/j1, target: t/v1, type: junction }
  - { path: more/m1, target: t/f7 }
  - { path: more/m2, target: t/f8 }
  - { path: old/new, target: t/f1 }
  - { path: links/a9, target: t/f7, relative: true }
  - { path: cur1, target: t/v2, onConflict: backup }
  - { path: cur2, target: t/v2, onConflict: backup }
  - { path: cur3, target: t/v2, onConflict: backup }
  - { path: cur4, target: t/v2, relative: true, onConflict: backup }
  - { path: cur5, target: t/v1, onConflict: backup }
  - { path: cur6, target: t/f2, onConflict: backup }
  - { path: cur7, target: t/dir1, onConflict: backup }
  - { path: cur8, target: t/v2, onConflict: backup }
  - { path: cur9, target: t/v1, relative: true }
  - { path: links/s2h, target: t/f5, type: hardlink, onConflict: backup }
  - { path: rm/l1, state: absent }
  - { path: rm/l2, state: absent }
  - { path: rm/l3, state: absent }
  - { path: rm/l4, state: absent, target: t/v1 }
  - { path: rm/l5, state: absent }
  - { path: rm/l6, state: absent }
  - { path: rm/h, state: absent, target: t/f6 }
  - { path: old, state: absent }
  - { path: home/.b1, target: t/rc, onConflict: backup }
  - { path: home/.b2, target: t/rc, onConflict: backup }
  - { path: home/.b3, target: t/cfgdir, onConflict: backup }
  - { path: home/.b4, target: t/rc, onConflict: backup }
  - { path: home/.b5, target: t/cfgdir, onConflict: backup }
  - { path: home/.b6, target: t/f1, onConflict: backup }
  - { path: home/.b7, target: t/f2, onConflict: backup }
  - { path: home/.b8, target: t/v1, onConflict: backup }
  - { path: home/data, target: t/data, onConflict: adopt }
  - { path: home/notes.txt, target: t/new/sub/notes.txt, onConflict: adopt }
  - { path: home/cfg.ini, target: t/cfg.ini, onConflict: adopt }
`;

/** A smaller apply of the same kinds, for the checks that need no matrix. */
const SMALL = `version: 1
links:
  - { path: links/a1, target: t/f1 }
  - { path: new/d1/x1, target: t/f1 }
  - { path: links/h1, target: t/f5, type: hardlink }
  - { path: old/new, target: t/f1 }
  - { path: cur1, target: t/v2, onConflict: backup }
  - { path: cur4, target: t/v2, relative: true, onConflict: backup }
  - { path: links/s2h, target: t/f5, type: hardlink, onConflict: backup }
  - { path: rm/l1, state: absent }
  - { path: rm/h, state: absent, target: t/f6 }
  - { path: old, state: absent }
  - { path: home/.b3, target: t/cfgdir, onConflict: backup }
  - { path: home/.b4, target: t/rc, onConflict: backup }
  - { path: home/.b6, target: t/f1, onConflict: backup }
  - { path: home/data, target: t/data, onConflict: adopt }
  - { path: home/notes.txt, target: t/new/sub/notes.txt, onConflict: adopt }
`;

function spec(root: string, manifest: string): TreeSpec {
  const abs = (p: string): { link: string } => ({ link: path.join(root, p) });
  return {
    'layout.yaml': manifest,
    t: { ...EVERY_ACTION_TARGETS, f7: 'seven', f8: 'eight', full: { a: 'A', sub: { b: 'B' } } },
    links: { s2h: abs('t/f1') },
    cur1: abs('t/v1'),
    cur2: abs('t/v1'),
    cur3: { link: 't/v1' },
    cur4: abs('t/v1'),
    cur5: { link: 'nowhere' },
    cur6: abs('t/f1'),
    cur7: abs('t/v1'),
    cur8: { link: '../elsewhere' },
    cur9: abs('t/v1'),
    old: { link: 't' },
    rm: {
      l1: { link: '../t/full' },
      l2: { link: 'gone' },
      l3: abs('t/f1'),
      l4: abs('t/v1'),
      l5: { link: '../t/v2' },
      l6: { link: '/nonexistent/linkplan/target' },
      h: { hardlink: '../t/f6' },
    },
    home: {
      '.b1': 'my own b1',
      '.b2': 'my own b2',
      '.b3': { settings: 's3', sub: { deeper: 'd' } },
      '.b4': 'b4 in the way',
      '.b4.linkplan-backup': 'an earlier backup of b4',
      '.b5': { empty: {} },
      '.b6': 'b6',
      '.b7': '',
      '.b8': { v: 'mine' },
      data: { d1: 'data', sub: { d2: '' } },
      'notes.txt': 'my notes',
      'cfg.ini': '[cfg]\n',
    },
  };
}

function build(root: string, manifest: string): void {
  fs.rmSync(root, { recursive: true, force: true });
  writeTree(root, spec(root, manifest));
}

/** A snapshot with the tree's own folder written as `$ROOT` in link texts, so trees at two places compare. */
function snap(root: string): Record<string, SnapshotEntry> {
  const out = snapshot(root);
  for (const [k, v] of Object.entries(out)) if (v.kind === 'symlink') out[k] = { kind: 'symlink', linkText: v.linkText.split(root).join('$ROOT') };
  return out;
}

interface Reference {
  manifest: string;
  pre: Record<string, SnapshotEntry>;
  post: Record<string, SnapshotEntry>;
  /** Write calls of a clean apply (one per journal step). */
  writes: number;
}

/** Applies the manifest once, cleanly, to learn the tree before and after and the number of writes. */
async function reference(manifest: string): Promise<Reference> {
  const base = tempDir();
  const root = path.join(base, 'w');
  const state = path.join(base, 'state');
  build(root, manifest);
  const pre = snap(root);
  const r = await cli(['apply', 'layout.yaml', '--yes'], { cwd: root, state });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^Applied: /m);
  const post = snap(root);
  const dirs = fs.readdirSync(state);
  expect(dirs).toHaveLength(1);
  const dir = path.join(state, dirs[0] ?? '');
  expect(fs.existsSync(path.join(dir, 'journal.jsonl'))).toBe(false);
  const lines = fs.readFileSync(path.join(dir, 'journal.last.jsonl'), 'utf8').trimEnd().split('\n');
  const header = JSON.parse(lines[0] ?? '') as { format: string; version: number; actions: unknown[] };
  expect(header.format).toBe('linkplan-journal');
  expect(header.version).toBe(5);
  const steps = readJournal(path.join(dir, 'journal.last.jsonl'))?.header?.steps ?? [];
  expect(JSON.parse(lines.at(-1) ?? '')).toMatchObject({ close: 'committed' });
  expect((await cli(['apply', 'layout.yaml'], { cwd: root, state })).stdout).toMatch(/^No changes/);
  return { manifest, pre, post, writes: steps.length };
}

/** The one state folder below `state` (per manifest). */
function manifestState(state: string): string {
  const dirs = fs.readdirSync(state);
  expect(dirs).toHaveLength(1);
  return path.join(state, dirs[0] ?? '');
}

interface Case {
  root: string;
  state: string;
  /** Names the case in assertion messages. */
  ctx: string;
}

/** Builds the starting tree in a fresh folder and runs an apply killed at `point`. */
async function crashedApply(ref: Reference, point: string): Promise<Case> {
  const base = tempDir();
  const c: Case = { root: path.join(base, 'w'), state: path.join(base, 'state'), ctx: `apply killed ${point}` };
  build(c.root, ref.manifest);
  const r = await cli(['apply', 'layout.yaml', '--yes'], { cwd: c.root, state: c.state, crashAt: point });
  expect(r.signal, `${c.ctx}: ${r.stderr}`).toBe('SIGKILL');
  expect(fs.existsSync(path.join(manifestState(c.state), 'journal.jsonl')), c.ctx).toBe(true);
  return c;
}

async function recoverOk(c: Case, args: string[] = []): Promise<Run> {
  const r = await cli(['recover', 'layout.yaml', ...args], { cwd: c.root, state: c.state });
  expect(r.stderr, c.ctx).toBe('');
  expect(r.code, c.ctx).toBe(0);
  const dir = manifestState(c.state);
  expect(fs.existsSync(path.join(dir, 'journal.jsonl')), c.ctx).toBe(false);
  expect(fs.existsSync(path.join(dir, 'lock')), `${c.ctx}: the lock is released`).toBe(false);
  return r;
}

async function applyOk(c: Case, ref: Reference): Promise<void> {
  const r = await cli(['apply', 'layout.yaml', '--yes'], { cwd: c.root, state: c.state });
  expect(r.stderr, c.ctx).toBe('');
  expect(r.code, c.ctx).toBe(0);
  expect(r.stdout, c.ctx).toMatch(/^Applied: /m);
  expect(snap(c.root), `${c.ctx}, then applied again`).toEqual(ref.post);
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('an apply of 50 actions killed at every write', () => {
  let big: Reference | undefined;
  const bigRef = async (): Promise<Reference> => (big ??= await reference(MANIFEST));

  it('has the kinds of action the matrix needs, and a clean apply is idempotent', async () => {
    const ref = await bigRef();
    const base = tempDir();
    const root = path.join(base, 'w');
    build(root, MANIFEST);
    const r = await cli(['plan', 'layout.yaml', '--json'], { cwd: root, state: path.join(base, 'state') });
    const plan = JSON.parse(r.stdout) as { actions: { kind: string }[]; summary: Record<string, number> };
    expect(plan.actions).toHaveLength(50);
    expect(plan.summary).toEqual({ create: 21, retarget: 10, remove: 8, backup: 8, adopt: 3, unchanged: 0, conflict: 0 });
    // 21 links + 8 folders, 10 retargets, 8 removals, 8 x (move, link), 3 x (move, link) + 2 folders
    expect(ref.writes).toBe(80);
    expect(ref.post).not.toEqual(ref.pre);
  });

  // (the tree after each rollback is checked byte for byte; a fresh apply then runs on a spread:
  // what it starts from differs between kill points only in the journal the rollback finished)
  it('recover rolls back to the exact tree from before, after a kill right after each write; apply then succeeds (checked on every fourth)', async () => {
    const ref = await bigRef();
    await pool(
      range(ref.writes).map((n) => async () => {
        const c = await crashedApply(ref, `after:${n}`);
        const r = await recoverOk(c);
        expect(r.stdout, c.ctx).toMatch(/^Rolled back the interrupted apply: undid \d+ steps?; the disk is as it was before it$/m);
        expect(snap(c.root), c.ctx).toEqual(ref.pre);
        if (n % 4 === 2 || n === ref.writes) await applyOk(c, ref);
      }),
      PARALLEL,
    );
  }, 300_000);

  // a kill right before write N leaves the disk of a kill right after write N-1, and a journal
  // without that write's done record: the odd writes are killed before for a rollback, the even
  // ones for a forward recovery, so between the two every write is
  it('recover rolls back to the exact tree from before, after a kill right before each odd write; apply then succeeds (checked on every fourth)', async () => {
    const ref = await bigRef();
    await pool(
      range(ref.writes)
        .filter((n) => n % 2 === 1 || n === ref.writes)
        .map((n) => async () => {
          const c = await crashedApply(ref, `before:${n}`);
          await recoverOk(c);
          expect(snap(c.root), c.ctx).toEqual(ref.pre);
          // the state differs from after:N-1 only by the done record of N-1: apply again on a spread
          if (n % 4 === 1 || n === ref.writes) await applyOk(c, ref);
        }),
      PARALLEL,
    );
  }, 300_000);

  it('recover --forward finishes the apply to the exact tree a clean apply gives, after a kill right after each write', async () => {
    const ref = await bigRef();
    await pool(
      range(ref.writes).map((n) => async () => {
        const c = await crashedApply(ref, `after:${n}`);
        const r = await recoverOk(c, ['--forward']);
        expect(r.stdout, c.ctx).toMatch(/^Finished the interrupted apply: ran the \d+ steps? it had left$/m);
        expect(snap(c.root), c.ctx).toEqual(ref.post);
      }),
      PARALLEL,
    );
  }, 300_000);

  it('recover --forward finishes the apply to the exact tree a clean apply gives, after a kill right before each even write', async () => {
    const ref = await bigRef();
    await pool(
      range(ref.writes)
        .filter((n) => n % 2 === 0 || n === 1)
        .map((n) => async () => {
          const c = await crashedApply(ref, `before:${n}`);
          await recoverOk(c, ['--forward']);
          expect(snap(c.root), c.ctx).toEqual(ref.post);
          if (n % 10 === 0) {
            // a second apply has nothing to do (checked on a spread, to keep the run short)
            const again = await cli(['apply', 'layout.yaml'], { cwd: c.root, state: c.state });
            expect(again.stdout, c.ctx).toMatch(/^No changes/);
          }
        }),
      PARALLEL,
    );
  }, 300_000);

  it('recovery killed across its own writes, then run again, still ends exactly before the apply', async () => {
    const ref = await bigRef();
    // the apply is killed after its last write, before it commits: recovery has all 80 steps to undo
    // every third point after a write, every seventh before one (40 of its 160 points)
    const points = [
      ...range(ref.writes)
        .filter((k) => k % 3 === 1 || k === ref.writes)
        .map((k) => `after:${k}`),
      ...range(ref.writes)
        .filter((k) => k % 7 === 2)
        .map((k) => `before:${k}`),
    ];
    await pool(
      points.map((point) => async () => {
        const c = await crashedApply(ref, `after:${ref.writes}`);
        c.ctx = `recover killed ${point}`;
        const killed = await cli(['recover', 'layout.yaml'], { cwd: c.root, state: c.state, crashAt: point });
        expect(killed.signal, c.ctx).toBe('SIGKILL');
        expect(fs.existsSync(path.join(manifestState(c.state), 'journal.jsonl')), c.ctx).toBe(true);
        await recoverOk(c);
        expect(snap(c.root), c.ctx).toEqual(ref.pre);
      }),
      PARALLEL,
    );
  }, 300_000);

  it('forward recovery killed across its own writes, then run again, still ends exactly after the apply', async () => {
    const ref = await bigRef();
    // killed before write 30: forward recovery has the other 42 to run; killed after every third one
    const points = range(ref.writes - 29)
      .filter((k) => k % 3 === 1 || k === ref.writes - 29)
      .map((k) => `after:${k}`);
    await pool(
      points.map((point) => async () => {
        const c = await crashedApply(ref, 'before:30');
        c.ctx = `recover --forward killed ${point}`;
        const killed = await cli(['recover', 'layout.yaml', '--forward'], { cwd: c.root, state: c.state, crashAt: point });
        expect(killed.signal, c.ctx).toBe('SIGKILL');
        await recoverOk(c, ['--forward']);
        expect(snap(c.root), c.ctx).toEqual(ref.post);
      }),
      PARALLEL,
    );
  }, 300_000);

  it('a rollback killed midway can be finished forward instead, and a forward run killed midway rolled back', async () => {
    const ref = await bigRef();
    const ks = range(ref.writes).filter((k) => k <= 3 || k % 10 === 0 || k >= ref.writes - 1);
    await pool(
      [
        ...ks.map((k) => async () => {
          const c = await crashedApply(ref, `after:${ref.writes}`);
          c.ctx = `recover killed after:${k}, then recover --forward`;
          expect((await cli(['recover', 'layout.yaml'], { cwd: c.root, state: c.state, crashAt: `after:${k}` })).signal, c.ctx).toBe('SIGKILL');
          await recoverOk(c, ['--forward']);
          expect(snap(c.root), c.ctx).toEqual(ref.post);
        }),
        // killed after write 1, the apply leaves 70 writes for forward recovery
        ...ks.filter((k) => k <= ref.writes - 1).map((k) => async () => {
          const c = await crashedApply(ref, 'after:1');
          c.ctx = `recover --forward killed after:${k}, then recover`;
          expect((await cli(['recover', 'layout.yaml', '--forward'], { cwd: c.root, state: c.state, crashAt: `after:${k}` })).signal, c.ctx).toBe('SIGKILL');
          await recoverOk(c);
          expect(snap(c.root), c.ctx).toEqual(ref.pre);
        }),
        // killed twice, each way
        // (a rollback that undid k1 steps leaves k1 for the forward run to redo)
        ...[
          [20, 5],
          [30, 1],
          [1, 1],
        ].map(([k1, k2]) => async () => {
          const c = await crashedApply(ref, `after:${ref.writes}`);
          c.ctx = `recover killed after:${k1}, recover --forward killed after:${k2}, then recover --forward`;
          expect((await cli(['recover', 'layout.yaml'], { cwd: c.root, state: c.state, crashAt: `after:${k1}` })).signal, c.ctx).toBe('SIGKILL');
          expect((await cli(['recover', 'layout.yaml', '--forward'], { cwd: c.root, state: c.state, crashAt: `after:${k2}` })).signal, c.ctx).toBe('SIGKILL');
          await recoverOk(c, ['--forward']);
          expect(snap(c.root), c.ctx).toEqual(ref.post);
        }),
        ...[
          [5, 20],
          [30, 1],
        ].map(([k1, k2]) => async () => {
          const c = await crashedApply(ref, 'after:20');
          c.ctx = `recover --forward killed after:${k1}, recover killed after:${k2}, then recover`;
          expect((await cli(['recover', 'layout.yaml', '--forward'], { cwd: c.root, state: c.state, crashAt: `after:${k1}` })).signal, c.ctx).toBe('SIGKILL');
          expect((await cli(['recover', 'layout.yaml'], { cwd: c.root, state: c.state, crashAt: `after:${k2}` })).signal, c.ctx).toBe('SIGKILL');
          await recoverOk(c);
          expect(snap(c.root), c.ctx).toEqual(ref.pre);
        }),
      ],
      PARALLEL,
    );
  }, 300_000);
});

describe('while an interrupted apply\'s journal is there', () => {
  it('plan and apply refuse, naming the journal and `linkplan recover`; recover then clears the way', async () => {
    const ref = await reference(SMALL);
    const c = await crashedApply(ref, 'after:5');
    const crashed = snap(c.root);
    expect(crashed).not.toEqual(ref.pre);
    const journal = path.join(manifestState(c.state), 'journal.jsonl');
    for (const args of [['plan', 'layout.yaml'], ['apply', 'layout.yaml', '--yes'], ['apply', 'layout.yaml', '--dry-run'], ['plan', 'layout.yaml', '--prune']]) {
      const r = await cli(args, { cwd: c.root, state: c.state });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(r.stderr, args.join(' ')).toContain(`linkplan: layout.yaml: an apply was interrupted and left its journal ${journal} (started `);
      expect(r.stderr, args.join(' ')).toContain('hint: run `linkplan recover layout.yaml` to roll it back to where it started, or add --forward to finish it\n');
      expect(r.stderr, args.join(' ')).not.toContain('internal error');
    }
    expect(snap(c.root), 'refusing changed nothing').toEqual(crashed);
    const r = await recoverOk(c);
    expect(r.stdout).toMatch(/^Rolled back the interrupted apply: undid 5 steps; the disk is as it was before it\n/);
    expect(snap(c.root)).toEqual(ref.pre);
    expect((await cli(['recover', 'layout.yaml'], { cwd: c.root, state: c.state })).stdout).toBe('Nothing to recover: no unfinished apply of layout.yaml\n');
    await applyOk(c, ref);
  });

  it('a journal killed before its header was written (an empty file) recovers as "nothing ran"', async () => {
    const ref = await reference(SMALL);
    const base = tempDir();
    const c: Case = { root: path.join(base, 'w'), state: path.join(base, 'state'), ctx: 'empty journal' };
    build(c.root, SMALL);
    const dir = manifestStateDir(path.join(c.root, 'layout.yaml'), { root: c.state });
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'journal.jsonl'), '');
    const refused = await cli(['apply', 'layout.yaml', '--yes'], { cwd: c.root, state: c.state });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`left its journal ${path.join(dir, 'journal.jsonl')}`);
    const r = await recoverOk(c);
    expect(r.stdout).toBe('Nothing ran: the interrupted apply of layout.yaml stopped before its journal listed any step; the journal is cleared\n');
    expect(snap(c.root)).toEqual(ref.pre);
    await applyOk(c, ref);
  });

  it('the temporary link of a retarget killed inside the driver call is cleared, symbolic or hard', async () => {
    const ref = await reference(SMALL);
    const c = await crashedApply(ref, 'after:3');
    // what a kill between making the new link under a temporary name and renaming it leaves
    const links = path.join(c.root, 'links');
    fs.symlinkSync(path.join(c.root, 't/v2'), path.join(c.root, '.cur1.linkplan-4242-1'));
    fs.linkSync(path.join(c.root, 't/f5'), path.join(links, '.s2h.linkplan-4242-2'));
    // names like those that linkplan did not make stay
    fs.writeFileSync(path.join(links, '.s2h.linkplan-notes'), 'mine');
    fs.symlinkSync('elsewhere', path.join(links, '.s2h.linkplan-4242-3'));
    const r = await recoverOk(c);
    expect(r.stdout).toMatch(/undid 3 steps/);
    expect(snap(c.root)).toEqual({
      ...ref.pre,
      'links/.s2h.linkplan-notes': snapshot(c.root)['links/.s2h.linkplan-notes'],
      'links/.s2h.linkplan-4242-3': { kind: 'symlink', linkText: 'elsewhere' },
    });
  });

  it('a torn last journal line (killed mid-write) is ignored', async () => {
    const ref = await reference(SMALL);
    const c = await crashedApply(ref, 'after:7');
    fs.appendFileSync(path.join(manifestState(c.state), 'journal.jsonl'), '{"done":');
    const r = await recoverOk(c);
    expect(r.stdout).toMatch(/undid 7 steps/);
    expect(snap(c.root)).toEqual(ref.pre);
  });
});

describe('the shipped command', () => {
  /** Runs bin/linkplan.js itself (never the test entry), with `env` added. */
  function shipped(args: string[], c: Case, env: Record<string, string>): { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: c.root, env: childEnv({ LINKPLAN_STATE_DIR: c.state, ...env }), encoding: 'utf8', timeout: 30_000 });
    return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  }

  it('ignores the crash and pause points: with LINKPLAN_CRASH_AT and LINKPLAN_PAUSE_AT set, apply and recover complete normally', async () => {
    const ref = await reference(SMALL);
    const crashed = await crashedApply(ref, 'after:4');
    const gate = path.join(tempDir('linkplan-gate-'), 'go');
    fs.writeFileSync(gate, '');
    const points = { LINKPLAN_CRASH_AT: 'after:1', LINKPLAN_PAUSE_AT: `1:${gate}` };
    const recovered = shipped(['recover', 'layout.yaml'], crashed, points);
    expect(recovered.signal, recovered.stderr).toBe(null);
    expect(recovered.stdout).toMatch(/^Rolled back the interrupted apply: undid 4 steps/);
    expect(recovered.code).toBe(0);
    expect(snap(crashed.root)).toEqual(ref.pre);
    const applied = shipped(['apply', 'layout.yaml', '--yes'], crashed, points);
    expect(applied.signal, applied.stderr).toBe(null);
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toMatch(/^Applied: /m);
    expect(applied.code).toBe(0);
    expect(snap(crashed.root)).toEqual(ref.post);
    expect(fs.existsSync(path.join(manifestState(crashed.state), 'journal.jsonl'))).toBe(false);
    expect(fs.existsSync(`${gate}.paused`), 'the apply was never held').toBe(false);
  });

  it('holds none of the test entry\'s crash or pause code, and its loader never names the test entry', () => {
    const bundle = fs.readFileSync(path.join(REPO, 'dist', 'cli.cjs'), 'utf8');
    for (const s of ['LINKPLAN_PAUSE_AT', 'PausingDriver', 'LINKPLAN_CRASH_AT', 'CrashingDriver']) expect(bundle, s).not.toContain(s);
    expect(fs.readFileSync(BIN, 'utf8')).not.toContain('test-entry');
  });
});
