// Proves that two applies never interleave: 8 real processes (the built CLI) started together
// apply the same manifest with the same state folder. Exactly one does the work; the others wait
// for the lock and find nothing to do, or, with a tiny --lock-timeout, stop naming the holder.
// A lock left by a dead process is taken over (by exactly one of 8 contenders); a lock held by a
// live process times out naming it; plan refuses while a live apply holds the lock.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Records } from '../src/state/records.js';
import { manifestStateDir } from '../src/state/state-dir.js';
import { REPO, runCliAsync, type AsyncCliRun } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type SnapshotEntry } from './helpers/tree.js';

type Run = AsyncCliRun;

/** Runs the real CLI as a child process without waiting for it synchronously. */
const cli = runCliAsync;

const HOST = os.hostname();
const N = 8;

/** A manifest of `n` links with a backup among them (so apply needs --yes), and its tree. */
function project(n: number): { root: string; state: string } {
  const base = tempDir();
  const root = path.join(base, 'w');
  const links = Array.from({ length: n }, (_, i) => `  - { path: links/g${i % 10}/l${i}, target: t/f${i % 5} }`);
  writeTree(root, {
    'layout.yaml': `version: 1\nlinks:\n${links.join('\n')}\n  - { path: home/rc, target: t/f0, onConflict: backup }\n  - { path: cur, target: t/v2, onConflict: backup }\n`,
    t: { f0: '0', f1: '1', f2: '2', f3: '3', f4: '4', v1: { V: '1' }, v2: { V: '2' } },
    home: { rc: 'mine' },
    cur: { link: 't/v1' },
  });
  return { root, state: path.join(base, 'state') };
}

function snap(root: string): Record<string, SnapshotEntry> {
  const out = snapshot(root);
  for (const [k, v] of Object.entries(out)) if (v.kind === 'symlink') out[k] = { kind: 'symlink', linkText: v.linkText.split(root).join('$ROOT') };
  return out;
}

/** The tree a single, uncontended apply of the same manifest gives. */
async function expectedTree(n: number): Promise<Record<string, SnapshotEntry>> {
  const p = project(n);
  const r = await cli(['apply', 'layout.yaml', '--yes'], { cwd: p.root, state: p.state });
  expect(r.code).toBe(0);
  return snap(p.root);
}

function stateOf(p: { root: string; state: string }): string {
  return manifestStateDir(path.join(p.root, 'layout.yaml'), { root: p.state });
}

/** A pid that was just in use on this host and is not any more. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  expect(r.status).toBe(0);
  return r.pid;
}

function writeLock(p: { root: string; state: string }, holder: { pid: number; host: string; started?: string; command?: string }): string {
  const dir = stateOf(p);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'lock');
  fs.writeFileSync(file, JSON.stringify({ started: '2026-01-02T03:04:05.000Z', command: 'linkplan apply layout.yaml', ...holder }) + '\n');
  return file;
}

/**
 * Exactly one run applied; the others found nothing to do or stopped at the lock, naming the run
 * that held it: the applier, or one that found nothing to do (a no-change apply takes the lock too).
 */
function expectOneApplied(runs: Run[], opts: { lockRefusals: 'none' | 'allowed'; lockFile: string }): Run {
  for (const r of runs) {
    expect(r.signal, r.stderr).toBeNull();
    expect(r.stderr).not.toContain('internal error');
  }
  const applied = runs.filter((r) => /^Applied: /m.test(r.stdout));
  expect(applied, runs.map((r) => r.stdout + r.stderr).join('\n---\n')).toHaveLength(1);
  const winner = applied[0] as Run;
  expect(winner.code).toBe(0);
  expect(winner.stderr).toBe('');
  for (const r of runs) {
    if (r === winner) continue;
    if (r.code === 0) {
      expect(r.stdout).toMatch(/^No changes: the disk already matches layout\.yaml/);
      expect(r.stderr).toBe('');
    } else {
      expect(opts.lockRefusals, `an unexpected failure: ${r.stderr}`).toBe('allowed');
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      const refusal = new RegExp(`^linkplan: ${opts.lockFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: locked by pid (\\d+) on ${HOST} \\(linkplan apply layout\\.yaml, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)\\n  hint: wait for it to finish, or raise --lock-timeout`);
      expect(r.stderr).toMatch(refusal);
      const holder = Number(refusal.exec(r.stderr)?.[1]);
      expect(runs.filter((o) => o.code === 0).map((o) => o.pid), `the holder ${holder} is a run that finished`).toContain(holder);
    }
  }
  return winner;
}

describe(`${N} processes applying one manifest at once`, () => {
  it('with the default lock timeout: one applies, the others wait and find no changes', async () => {
    const want = await expectedTree(60);
    const p = project(60);
    const runs = await Promise.all(Array.from({ length: N }, () => cli(['apply', 'layout.yaml', '--yes'], { cwd: p.root, state: p.state })));
    const lockFile = path.join(stateOf(p), 'lock');
    expectOneApplied(runs, { lockRefusals: 'none', lockFile });
    expect(runs.filter((r) => r.code === 0)).toHaveLength(N);
    expect(snap(p.root)).toEqual(want);
    // the lock is released, the journal closed as committed, the backup made once
    const dir = stateOf(p);
    expect(fs.readdirSync(dir).sort()).toEqual(['journal.last.jsonl', 'manifest.cache.json', 'records.json']);
    expect(fs.readFileSync(path.join(dir, 'journal.last.jsonl'), 'utf8').trimEnd().split('\n').at(-1)).toMatch(/^\{"close":"committed"/);
    expect(fs.readdirSync(path.join(p.root, 'home')).sort()).toEqual(['rc', 'rc.linkplan-backup']);
    // the winner's committed journal is the records: every link it made or retargeted, the backup once
    const records = Records.load(dir, path.join(p.root, 'layout.yaml'));
    expect(records.owned().size).toBe(62);
    // (and the copy kept of the link at cur, which linkplan did not make)
    expect(records.backups().map((b) => b.movedTo)).toEqual([path.join(p.root, 'home/rc.linkplan-backup'), path.join(p.root, 'cur.linkplan-backup')]);
  });

  it('with --lock-timeout 0: one applies, each other one finds no changes or stops naming the holder', async () => {
    // a larger manifest, so the winner holds the lock long enough for the others to meet it
    const want = await expectedTree(400);
    let refusals = 0;
    for (let round = 0; round < 3 && refusals === 0; round++) {
      const p = project(400);
      const runs = await Promise.all(Array.from({ length: N }, () => cli(['apply', 'layout.yaml', '--yes', '--lock-timeout', '0'], { cwd: p.root, state: p.state })));
      expectOneApplied(runs, { lockRefusals: 'allowed', lockFile: path.join(stateOf(p), 'lock') });
      expect(snap(p.root)).toEqual(want);
      expect(fs.existsSync(path.join(stateOf(p), 'lock'))).toBe(false);
      refusals += runs.filter((r) => r.code === 1).length;
    }
    expect(refusals, 'some process met the lock held').toBeGreaterThan(0);
  });

  it('a stale lock (a dead pid on this host) is taken over by exactly one of them', async () => {
    const want = await expectedTree(60);
    for (let round = 0; round < 3; round++) {
      const p = project(60);
      const lockFile = writeLock(p, { pid: deadPid(), host: HOST });
      const runs = await Promise.all(Array.from({ length: N }, () => cli(['apply', 'layout.yaml', '--yes'], { cwd: p.root, state: p.state })));
      expectOneApplied(runs, { lockRefusals: 'none', lockFile });
      expect(runs.filter((r) => r.code === 0)).toHaveLength(N);
      expect(snap(p.root), `round ${round}`).toEqual(want);
      expect(fs.readdirSync(stateOf(p)).sort()).toEqual(['journal.last.jsonl', 'manifest.cache.json', 'records.json']);
    }
  });
});

describe('the lock', () => {
  it('left by a dead process is taken over at once, even with --lock-timeout 0, with what a dead takeover left', async () => {
    const p = project(3);
    const dead = deadPid();
    writeLock(p, { pid: dead, host: HOST });
    // a process that died taking over a lock, and temporary files of dead processes here and elsewhere
    const dir = stateOf(p);
    const tag = HOST.replace(/[^A-Za-z0-9.-]/g, '_');
    fs.writeFileSync(path.join(dir, 'lock.takeover'), JSON.stringify({ pid: dead, host: HOST, started: 'x', command: 'x' }));
    fs.writeFileSync(path.join(dir, `lock.tmp-${tag}-${dead}-1`), '');
    fs.writeFileSync(path.join(dir, `lock.tmp-other-host-${dead}-1`), '');
    const r = await cli(['apply', 'layout.yaml', '--yes', '--lock-timeout', '0'], { cwd: p.root, state: p.state });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Applied: /m);
    expect(fs.readdirSync(dir).sort()).toEqual(['journal.last.jsonl', `lock.tmp-other-host-${dead}-1`, 'manifest.cache.json', 'records.json']);
  });

  it('held by a live process makes apply, recover and backups wait, then fail naming the holder; nothing changes', async () => {
    const p = project(3);
    const before = snapshot(p.root);
    // this test's own process is alive for as long as the test runs
    const lockFile = writeLock(p, { pid: process.pid, host: HOST, command: 'linkplan apply layout.yaml' });
    const t0 = Date.now();
    const r = await cli(['apply', 'layout.yaml', '--yes', '--lock-timeout', '0.6'], { cwd: p.root, state: p.state });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(600);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `linkplan: ${lockFile}: locked by pid ${process.pid} on ${HOST} (linkplan apply layout.yaml, since 2026-01-02T03:04:05.000Z)\n` +
        '  hint: wait for it to finish, or raise --lock-timeout; if that process is gone, the lock is taken over automatically\n',
    );
    expect(snapshot(p.root)).toEqual(before);
    // recover only takes the lock when there is a journal to recover
    fs.writeFileSync(path.join(stateOf(p), 'journal.jsonl'), '');
    for (const args of [['recover', 'layout.yaml'], ['backups', 'restore', 'layout.yaml', '1'], ['backups', 'prune', 'layout.yaml', '--older-than', '1d', '--yes']]) {
      const x = await cli([...args, '--lock-timeout', '0.2'], { cwd: p.root, state: p.state });
      expect(x.code, args.join(' ')).toBe(1);
      expect(x.stderr, args.join(' ')).toContain(`linkplan: ${lockFile}: locked by pid ${process.pid} on ${HOST}`);
    }
    // plan takes no lock: it says an apply is running right now
    const plan = await cli(['plan', 'layout.yaml'], { cwd: p.root, state: p.state });
    expect(plan.code).toBe(1);
    expect(plan.stderr).toBe(
      `linkplan: layout.yaml: an apply is running right now (pid ${process.pid} on ${HOST}, since 2026-01-02T03:04:05.000Z)\n` +
        '  hint: wait for it to finish, then run the command again\n',
    );
    expect(fs.readFileSync(lockFile, 'utf8')).toContain(`"pid":${process.pid}`);
    expect(snapshot(p.root)).toEqual(before);
  });

  it('held by another host is never taken over, whatever its pid', async () => {
    const p = project(3);
    const lockFile = writeLock(p, { pid: deadPid(), host: `not-${HOST}` });
    const r = await cli(['apply', 'layout.yaml', '--yes', '--lock-timeout', '0.1'], { cwd: p.root, state: p.state });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${lockFile}: locked by pid `);
    expect(r.stderr).toContain(` on not-${HOST} `);
  });
});

// The CLI's start-up time spreads contenders out; this harness lines 8 processes up at a barrier
// before each round, so they meet the lock within microseconds, as a busy machine can make them.
const HARNESS = `
import fs from 'node:fs';
import { acquireLock } from ${JSON.stringify(path.join(REPO, 'src/state/lock.ts'))};
const [dir, rounds] = [process.argv[2], Number(process.argv[3])];
const nap = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
for (let i = 0; i < rounds; i++) {
  const t0 = Date.now();
  while (!fs.existsSync(dir + '/go-' + i)) {
    if (Date.now() - t0 > 15000) process.exit(3); // the test gave up: do not linger
    nap(1);
  }
  const lock = acquireLock(dir + '/s' + i, { timeoutMs: 20000, command: 'harness' });
  // a critical section: nobody else may be inside while this process is
  const inside = dir + '/s' + i + '/inside';
  try { fs.writeFileSync(inside, String(process.pid), { flag: 'wx' }); } catch { fs.appendFileSync(dir + '/overlaps', i + '\\n'); }
  nap(1);
  try { if (fs.readFileSync(inside, 'utf8') === String(process.pid)) fs.rmSync(inside); } catch {}
  lock.release();
  fs.appendFileSync(dir + '/done-' + i, 'x');
}
`;

describe('the lock under contention that is lined up at a barrier', () => {
  it('never lets two processes in at once, with a stale lock to take over in every other round', async () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'harness.mjs'), HARNESS);
    buildSync({ entryPoints: [path.join(dir, 'harness.mjs')], bundle: true, platform: 'node', format: 'esm', outfile: path.join(dir, 'bundle.mjs'), logLevel: 'warning' });
    const rounds = 30;
    const dead = deadPid();
    for (let i = 0; i < rounds; i++) {
      fs.mkdirSync(path.join(dir, `s${i}`));
      if (i % 2 === 0) fs.writeFileSync(path.join(dir, `s${i}`, 'lock'), JSON.stringify({ pid: dead, host: HOST, started: 'x', command: 'x' }));
    }
    const kids = Array.from(
      { length: N },
      () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const k = spawn(process.execPath, [path.join(dir, 'bundle.mjs'), dir, String(rounds)], { stdio: ['ignore', 'ignore', 'pipe'] });
          let stderr = '';
          k.stderr.setEncoding('utf8').on('data', (x: string) => (stderr += x));
          k.on('close', (code) => resolve({ code, stderr }));
        }),
    );
    await new Promise((r) => setTimeout(r, 300));
    try {
      for (let i = 0; i < rounds; i++) {
        fs.writeFileSync(path.join(dir, `go-${i}`), '');
        const t0 = Date.now();
        while (fs.readFileSync(path.join(dir, `done-${i}`), { encoding: 'utf8', flag: 'a+' }).length < N && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 2));
      }
    } finally {
      // whatever happened, let every process run out its rounds and exit
      for (let i = 0; i < rounds; i++) fs.writeFileSync(path.join(dir, `go-${i}`), '');
    }
    const results = await Promise.all(kids);
    for (const r of results) expect(r, r.stderr).toEqual({ code: 0, stderr: '' });
    expect(fs.existsSync(path.join(dir, 'overlaps')) ? fs.readFileSync(path.join(dir, 'overlaps'), 'utf8') : '', 'rounds in which two held the lock').toBe('');
    for (let i = 0; i < rounds; i++) expect(fs.readdirSync(path.join(dir, `s${i}`)), `round ${i}: nothing left behind`).toEqual([]);
  });
});
