// The state folder is durable and never stuck: a kill between a journal's close record and its
// rename is finished by the next command; `recover` leaves a folder the user put something into;
// damaged state files (records.json `null`, a folder named `lock`, a read-only or vanished state
// folder) are clear messages naming the file; state is keyed by the manifest's real path; every
// hint that names a command gives it exactly, with --state-dir when one was given, quoted for a
// shell.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { Records } from '../src/state/records.js';
import { manifestStateDir } from '../src/state/state-dir.js';
import { fileIdentity, StateFolderError } from '../src/state/files.js';
import { FileJournal } from '../src/state/journal/writer.js';
import { DriverDecorator, FaultyDriver, ReadOnlyDriver } from '../src/drivers/decorators.js';
import type { WriteCall } from '../src/drivers/driver.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { ApplyError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import { loadManifest } from '../src/manifest/load.js';
import { observe } from '../src/plan/observe.js';
import { computePlan } from '../src/plan/planner.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type TreeSpec } from './helpers/tree.js';
import { cliProject, expectOk, type CliProject } from './helpers/project.js';
import { ON_WINDOWS, posixOnly } from './helpers/platform.js';

/** A clear refusal: exit 1, one message with a hint, no stack trace, no "internal error". */
function expectClear(r: CliResult, ...parts: string[]): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).toMatch(/\n {2}hint: /);
  for (const p of parts) expect(r.stderr).toContain(p);
}

/** Mounting a small or read-only filesystem needs Linux's mount and root (as the tests run here and in CI). */
const ROOT = !posixOnly("the tests that mount a filesystem: they use Linux's mount (tmpfs, read-only)") && process.getuid?.() === 0;
if (!ROOT && !ON_WINDOWS && process.env['CI'] !== undefined) throw new Error('CI: the tests that mount a filesystem need root, and CI runs them as root');
if (!ROOT && !ON_WINDOWS) console.warn('SKIPPED: the tests that mount a filesystem need root; they did not run');

const BK = 'version: 1\nlinks:\n  - { path: rc, target: t/f1, onConflict: backup }\n';

describe('a kill after the journal\'s close record, before its rename', () => {
  /** Two applies with a backup each; then the disk as a kill between the second's close and rename leaves it. */
  function killedAtRename(): CliProject {
    const p = cliProject(BK, { t: { f1: '1', f2: '2' }, rc: 'mine', two: 'mine too' });
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    const dir = p.stateDir();
    const first = fs.readFileSync(path.join(dir, 'journal.last.jsonl'));
    fs.writeFileSync(path.join(p.d, 'layout.yaml'), BK + '  - { path: two, target: t/f2, onConflict: backup }\n');
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    // the second journal, closed, not yet moved over the first
    fs.renameSync(path.join(dir, 'journal.last.jsonl'), path.join(dir, 'journal.jsonl'));
    fs.writeFileSync(path.join(dir, 'journal.last.jsonl'), first);
    return p;
  }
  const twoBackups = /^ {4}1 .* backed up {2}rc -> rc\.linkplan-backup {2}\d+ bytes?\n {4}2 .* backed up {2}two -> two\.linkplan-backup {2}\d+ bytes?\n2 backups \(\d+ bytes\); /;

  it('is finished by the next apply: nothing refused, both applies in the records', () => {
    const p = killedAtRename();
    const plan = p.run(['plan', 'layout.yaml']);
    expectOk(plan);
    expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toMatch(twoBackups);
    const r = p.run(['apply', 'layout.yaml', '--yes']);
    expectOk(r);
    expect(r.stdout).toMatch(/^No changes/);
    expect(fs.existsSync(path.join(p.stateDir(), 'journal.jsonl'))).toBe(false);
    expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toMatch(twoBackups);
    expect([...Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).owned().keys()].sort()).toEqual([path.join(p.d, 'rc'), path.join(p.d, 'two')]);
  });

  for (const how of [[], ['--forward']]) {
    it(`is settled by recover ${how.join(' ')}: it says so, and the records keep both applies`, () => {
      const p = killedAtRename();
      const r = p.run(['recover', 'layout.yaml', ...how]);
      expectOk(r);
      expect(r.stdout).toBe('The last apply of layout.yaml had finished (committed) when it was stopped; its journal is now in the records\n');
      expect(fs.existsSync(path.join(p.stateDir(), 'journal.jsonl'))).toBe(false);
      expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toMatch(twoBackups);
      expect(p.run(['recover', 'layout.yaml']).stdout).toBe('Nothing to recover: no unfinished apply of layout.yaml\n');
      expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toMatch(twoBackups);
    });
  }
});

describe('recover, where the user has put something into a folder the apply made', () => {
  it('leaves that folder and what is in it, says so, and finishes the recovery', () => {
    const p = cliProject('version: 1\nlinks:\n  - { path: a, target: t/f }\n  - { path: n/b, target: t/f }\n', { t: { f: 'f' } });
    // killed after making the folder n and the link n/b
    const killed = p.run(['apply', 'layout.yaml'], { LINKPLAN_CRASH_AT: 'after:3' });
    expect(killed.code).toBeNull();
    fs.writeFileSync(path.join(p.d, 'n', 'mine.txt'), 'my notes');
    const r = p.run(['recover', 'layout.yaml']);
    expectOk(r);
    expect(r.stdout).toBe(
      'Rolled back the interrupted apply: undid 2 steps; the disk is as it was before it, but for what is listed as left\n' +
        `  create symlink ${path.join(p.d, 'n/b')} -> ${path.join(p.d, 't/f')}\n` +
        `  create symlink ${path.join(p.d, 'a')} -> ${path.join(p.d, 't/f')}\n` +
        `  left folder ${path.join(p.d, 'n')}: it holds what was put there since the apply (1 entry); remove it by hand if it is not needed\n`,
    );
    expect(fs.readFileSync(path.join(p.d, 'n', 'mine.txt'), 'utf8')).toBe('my notes');
    expect(fs.existsSync(path.join(p.d, 'a'))).toBe(false);
    expect(fs.existsSync(path.join(p.d, 'n/b'))).toBe(false);
    expect(fs.readdirSync(p.stateDir()).sort()).toEqual(['journal.last.jsonl', 'manifest.cache.json', 'records.json']);
    expect(p.run(['recover', 'layout.yaml']).stdout).toBe('Nothing to recover: no unfinished apply of layout.yaml\n');
    // the next apply makes its links in the folder that is there
    const again = p.run(['apply', 'layout.yaml']);
    expectOk(again);
    expect(fs.readlinkSync(path.join(p.d, 'n/b'))).toBe(path.join(p.d, 't/f'));
  });
});

describe('damaged state files', () => {
  const M = 'version: 1\nlinks:\n  - { path: a, target: t/f }\n';

  it('records.json that is not an object of records: a clear message naming it, and a hint that keeps the records', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    expectOk(p.run(['apply', 'layout.yaml']));
    fs.writeFileSync(path.join(p.d, 'layout.yaml'), M + '  - { path: b, target: t/f }\n');
    const file = path.join(p.stateDir(), 'records.json');
    for (const text of ['null\n', '[]\n', '"x"\n', '{"version":3,"owned":[],"backups":{}}\n', '{"version":3,"owned":{},"backups":[null]}\n']) {
      fs.writeFileSync(file, text);
      for (const args of [['apply', 'layout.yaml'], ['plan', 'layout.yaml', '--prune'], ['backups', 'list', 'layout.yaml']]) {
        const r = p.run(args);
        expectClear(r, `${file}: linkplan's records are damaged`);
        // never "move it aside": that would forget the backups the file lists
        expect(r.stderr).not.toMatch(/move it .*aside/);
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
    }
  });

  it('a folder named lock: a clear message naming it', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    fs.mkdirSync(path.join(p.stateDir(), 'lock'), { recursive: true });
    for (const args of [['apply', 'layout.yaml'], ['backups', 'prune', 'layout.yaml', '--older-than', '1d']]) {
      expectClear(p.run([...args, '--lock-timeout', '0']), `${path.join(p.stateDir(), 'lock')}: `, 'is not a lock file');
    }
    expect(fs.existsSync(path.join(p.d, 'a'))).toBe(false);
  });

  it.skipIf(!ROOT)('a state folder that cannot be written: a clear message naming it, nothing changed', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    fs.mkdirSync(p.state);
    const ro = path.join(p.state, 'ro');
    fs.mkdirSync(ro);
    // (a read-only mount: as root, permissions alone do not stop a write)
    mount(ro, 'tmpfs', 'ro,size=64k');
    const before = snapshot(p.d);
    for (const args of [['apply', 'layout.yaml'], ['backups', 'prune', 'layout.yaml', '--older-than', '1d']]) {
      const r = p.run(args, { LINKPLAN_STATE_DIR: ro });
      expectClear(r, ro, 'read-only');
    }
    expect(snapshot(p.d)).toEqual(before);
  });

  it('a folder named journal.jsonl: plan and apply refuse, recover names it; nothing is stuck once it is moved away', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    const journal = path.join(p.stateDir(), 'journal.jsonl');
    fs.mkdirSync(journal, { recursive: true });
    expectClear(p.run(['apply', 'layout.yaml']), `an apply was interrupted and left its journal ${journal}`);
    expectClear(p.run(['recover', 'layout.yaml']), `${journal}: cannot read the journal (EISDIR: it is a folder)`, `something that is not linkplan's is in the state folder ${p.stateDir()}`);
    fs.rmdirSync(journal);
    expectOk(p.run(['apply', 'layout.yaml']));
  });

  it('a state folder removed while an apply runs: the apply rolls back and says which folder went', async () => {
    const base = tempDir();
    const root = path.join(base, 'w');
    writeTree(root, { 'layout.yaml': 'version: 1\nlinks:\n  - { path: a, target: t/f }\n  - { path: b, target: t/f }\n  - { path: c, target: t/f }\n', t: { f: 'f' }, home: { rc: 'x' } });
    const posix = new PosixDriver();
    const loaded = loadManifest(path.join(root, 'layout.yaml'), { driver: posix, env: {}, platform: 'linux', hostname: 'h', home: '/nonexistent' });
    const plan = computePlan(loaded.desired, observe(loaded.desired, posix, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: { path: loaded.file, digest: loaded.digest } });
    const before = snapshot(root);
    /** Removes the state folder before the second write, and fails the third where `fail` says. */
    class Vanishing extends DriverDecorator {
      n = 0;
      constructor(
        private readonly stateDir: string,
        private readonly fail: boolean,
      ) {
        super(posix);
      }
      protected override write(_c: WriteCall, _p: AbsPath, run: () => void): void {
        this.n++;
        if (this.n === 2) fs.rmSync(this.stateDir, { recursive: true, force: true });
        if (this.n === 3 && this.fail) throw new Error('EIO: injected');
        run();
      }
    }
    for (const fail of [true, false]) {
      const stateDir = path.join(base, `state-${String(fail)}`);
      const journal = FileJournal.create(stateDir, { manifest: plan.manifest.path, actions: plan.actions.filter((x) => x.kind !== 'noop') });
      const err = await applyPlan(plan, new Vanishing(stateDir, fail), { journal }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (fail) {
        // rolled back, and the journal that could not be closed is named
        expect(err).toBeInstanceOf(ApplyError);
        expect(snapshot(root)).toEqual(before);
        expect((err as ApplyError).message).toMatch(/^apply failed at .*: EIO: injected\nrolled back 2 steps; the disk is as it was before the apply\nthe journal could not be closed: .*journal\.jsonl: cannot move the closed journal to journal\.last\.jsonl \(ENOENT: it is gone\)/);
      } else {
        // applied; the state folder's loss is said, with what to do
        expect(err).toBeInstanceOf(StateFolderError);
        expect((err as StateFolderError).message).toContain(`${path.join(stateDir, 'journal.jsonl')}: cannot move the closed journal to journal.last.jsonl (ENOENT: it is gone)`);
        expect((err as StateFolderError).hint).toContain(`the state folder ${stateDir} (or a folder above it) was removed while linkplan ran`);
        expect(fs.readlinkSync(path.join(root, 'c'))).toBe(path.join(root, 't/f'));
      }
    }
  });
});

describe('state keyed by the manifest\'s real path, and hints that give the command exactly', () => {
  const M = 'version: 1\nlinks:\n  - { path: a, target: t/f }\n  - { path: c, target: t/f }\n';

  it('a manifest reached through a symlinked folder finds the same state', () => {
    const p = cliProject(BK, { t: { f1: '1' }, rc: 'mine' });
    const alias = path.join(path.dirname(p.d), 'alias');
    fs.symlinkSync(p.d, alias);
    expectOk(runCli(['apply', path.join(alias, 'layout.yaml'), '--yes'], { cwd: p.d, env: { LINKPLAN_STATE_DIR: p.state } }));
    const list = p.run(['backups', 'list', 'layout.yaml']);
    expectOk(list);
    expect(list.stdout).toMatch(/^ {4}1 .* backed up {2}\S*rc -> \S*rc\.linkplan-backup {2}\d+ bytes?\n1 backup \(\d+ bytes?\); /);
    expect(fs.readdirSync(p.state)).toHaveLength(1);
  });

  it('the state folder an earlier linkplan keyed by the path as given (through the linked folder) is still found', () => {
    const p = cliProject(BK, { t: { f1: '1' }, rc: 'mine' });
    const alias = path.join(path.dirname(p.d), 'alias');
    fs.symlinkSync(p.d, alias);
    const earlier = manifestStateDir(path.join(alias, 'layout.yaml'), { root: p.state });
    fs.mkdirSync(earlier, { recursive: true });
    fs.writeFileSync(path.join(earlier, 'journal.jsonl'), '');
    const r = runCli(['plan', path.join(alias, 'layout.yaml')], { cwd: p.d, env: { LINKPLAN_STATE_DIR: p.state } });
    expectClear(r, `left its journal ${path.join(earlier, 'journal.jsonl')}`);
  });

  it('recover and backups use --state-dir as apply does; the hints give it, quoted for a shell', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    const explicit = path.join(tempDir(), "my state's dir");
    const killed = p.run(['apply', 'layout.yaml', '--state-dir', explicit], { LINKPLAN_CRASH_AT: 'after:1' });
    expect(killed.code).toBeNull();
    const refused = p.run(['plan', 'layout.yaml', '--state-dir', explicit]);
    expectClear(refused, `hint: run \`linkplan recover layout.yaml --state-dir '${explicit.replace("'", "'\\''")}'\` to roll it back`);
    const odd = path.join(path.dirname(p.d), 'w', 'my layout.yaml');
    fs.copyFileSync(path.join(p.d, 'layout.yaml'), odd);
    const killed2 = p.run(['apply', 'my layout.yaml'], { LINKPLAN_CRASH_AT: 'after:1' });
    expect(killed2.code).toBeNull();
    expectClear(p.run(['apply', 'my layout.yaml']), "hint: run `linkplan recover 'my layout.yaml'` to roll it back");
    expectOk(p.run(['recover', 'my layout.yaml']));
    expectOk(p.run(['recover', 'layout.yaml', '--state-dir', explicit]));
  });
});

const mounted: string[] = [];
afterEach(() => {
  for (const m of mounted.splice(0).reverse()) spawnQuiet('umount', ['-l', m]);
});

function spawnQuiet(cmd: string, args: string[]): number | null {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status;
}

/** Mounts a filesystem at `dir` (the tests that do run as root: `it.skipIf(!ROOT)`). */
function mount(dir: string, type: string, options: string): void {
  const code = spawnQuiet('mount', ['-t', type, '-o', options, type, dir]);
  if (code !== 0) throw new Error(`mount -t ${type} -o ${options} ${dir} failed`);
  mounted.push(dir);
}

describe('a full state folder (a small tmpfs)', () => {
  /** A manifest of `n` backups (a file in the way of each) and `n` links in new folders. */
  function fullTree(n: number): { manifest: string; tree: TreeSpec } {
    const lines = ['version: 1', 'links:'];
    const home: TreeSpec = {};
    for (let i = 0; i < n; i++) {
      lines.push(`  - { path: h/f${i}, target: t/f, onConflict: backup }`, `  - { path: n${i}/l, target: t/f }`);
      home[`f${i}`] = `mine ${i}`;
    }
    return { manifest: lines.join('\n') + '\n', tree: { t: { f: 'f' }, h: home } };
  }

  /** Fills the filesystem of `dir` up, but for `free` bytes, with one file; returns it. */
  function fill(dir: string, free: number): string {
    const filler = path.join(dir, 'filler');
    const st = fs.statfsSync(dir);
    const size = Math.max(0, st.bavail * st.bsize - free);
    fs.writeFileSync(filler, Buffer.alloc(size));
    return filler;
  }

  /** Fills the filesystem of `dir` to the last byte it takes. */
  function fillUp(dir: string): void {
    const fd = fs.openSync(path.join(dir, `filler-${Date.now()}-${Math.random()}`), 'w');
    try {
      for (const chunk of [65536, 4096, 512, 1]) {
        const buf = Buffer.alloc(chunk);
        for (;;) {
          try {
            if (fs.writeSync(fd, buf) < chunk) break;
          } catch {
            break;
          }
        }
      }
    } finally {
      fs.closeSync(fd);
    }
  }

  /** What the state folder holds after an apply that ended: no journal left, no reserve, and a last journal that reads. */
  function expectSettled(stateDir: string, outcome: string, ctx: string): void {
    expect(fs.existsSync(path.join(stateDir, 'journal.jsonl')), ctx).toBe(false);
    expect(fs.existsSync(path.join(stateDir, 'journal.reserve')), ctx).toBe(false);
    const last = path.join(stateDir, 'journal.last.jsonl');
    if (!fs.existsSync(last)) return;
    const lines = fs.readFileSync(last, 'utf8').split('\n');
    expect(lines.at(-1), ctx).toBe('');
    for (const l of lines.slice(0, -1)) expect(() => JSON.parse(l) as unknown, ctx).not.toThrow();
    expect(JSON.parse(lines.at(-2) ?? '{}'), ctx).toMatchObject({ close: outcome });
  }

  it.skipIf(!ROOT)('filled at each point of an apply: it is applied and recorded whole, or rolled back with the state folder named', async () => {
    const base = tempDir();
    const root = path.join(base, 'w');
    const state = path.join(base, 'state');
    fs.mkdirSync(state);
    mount(state, 'tmpfs', 'size=2m');
    const n = 300;
    const { manifest, tree } = fullTree(n);
    const posix = new PosixDriver();
    /** Fills the state folder's filesystem right before write `at`. */
    class Filling extends DriverDecorator {
      count = 0;
      constructor(private readonly at: number) {
        super(posix);
      }
      protected override write(_c: WriteCall, _p: AbsPath, run: () => void): void {
        if (++this.count === this.at) fillUp(state);
        run();
      }
    }
    const outcomes: string[] = [];
    for (const at of [1, 2, 150, 301, 450, 600, 751, 900, 1049, 1200]) {
      const ctx = `filled before write ${at}`;
      fs.rmSync(root, { recursive: true, force: true });
      for (const f of fs.readdirSync(state)) fs.rmSync(path.join(state, f), { recursive: true, force: true });
      writeTree(root, { ...tree, 'layout.yaml': manifest });
      const loaded = loadManifest(path.join(root, 'layout.yaml'), { driver: posix, env: {}, platform: 'linux', hostname: 'h', home: '/nonexistent' });
      const plan = computePlan(loaded.desired, observe(loaded.desired, posix, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: { path: loaded.file, digest: loaded.digest } });
      const before = snapshot(root);
      const stateDir = path.join(state, 's');
      const journal = FileJournal.create(stateDir, { manifest: plan.manifest.path, actions: plan.actions.filter((x) => x.kind !== 'noop') });
      const err = await applyPlan(plan, new Filling(at), { journal }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (err === undefined) {
        outcomes.push('applied');
        expect(fs.readlinkSync(path.join(root, `n${n - 1}/l`)), ctx).toBe(path.join(root, 't/f'));
        expectSettled(stateDir, 'committed', ctx);
        const records = Records.load(stateDir, plan.manifest.path);
        expect(records.owned().size, ctx).toBe(2 * n);
        expect(records.backups(), ctx).toHaveLength(n);
      } else {
        expect(err, ctx).toBeInstanceOf(ApplyError);
        const e = err as ApplyError;
        expect(e.message, ctx).toContain(`${path.join(stateDir, 'journal.jsonl')}: cannot write the journal (ENOSPC: no space left on the device)`);
        expect(e.message, ctx).toMatch(/rolled back \d+ steps?; the disk is as it was before the apply$/);
        expect(e.hint, ctx).toBe(`the filesystem of the state folder ${stateDir} is full: free some space there (or give another state folder with --state-dir or LINKPLAN_STATE_DIR), then run the command again`);
        outcomes.push(`rolled back ${e.rolledBack}`);
        expect(snapshot(root), ctx).toEqual(before);
        expectSettled(stateDir, 'rolled-back', ctx);
      }
    }
    // some applies were stopped midway, after steps had run
    expect(outcomes.some((o) => /^rolled back [1-9]/.test(o)), outcomes.join(', ')).toBe(true);
  });

  it.skipIf(!ROOT)('through the CLI at 10 fill levels: applied and recorded whole, or rolled back with a clear message; the next plan and apply work once space is freed', () => {
    const { manifest, tree } = fullTree(40);
    const p = cliProject(manifest, tree);
    fs.mkdirSync(p.state);
    mount(p.state, 'tmpfs', 'size=4m');
    const pristine = path.join(path.dirname(p.d), 'pristine');
    fs.cpSync(p.d, pristine, { recursive: true });
    // what a whole apply puts in the state folder, and its reserve besides
    const free0 = fs.statfsSync(p.state).bavail * fs.statfsSync(p.state).bsize;
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    const used = free0 - fs.statfsSync(p.state).bavail * fs.statfsSync(p.state).bsize;
    const span = used + 48 * 1024;
    const outcomes: string[] = [];
    for (let level = 0; level < 10; level++) {
      const free = Math.round((span * level) / 9);
      const ctx = `${free} bytes free`;
      fs.rmSync(p.d, { recursive: true, force: true });
      fs.cpSync(pristine, p.d, { recursive: true });
      for (const f of fs.readdirSync(p.state)) fs.rmSync(path.join(p.state, f), { recursive: true, force: true });
      const before = snapshot(p.d);
      const filler = fill(p.state, free);
      const r = p.run(['apply', 'layout.yaml', '--yes']);
      expect(r.stderr, ctx).not.toContain('internal error');
      if (r.code === 0) {
        outcomes.push('applied');
        expect(r.stdout, ctx).toMatch(/^Applied: 40 to create, 0 to retarget, 0 to remove, 0 unchanged, 40 to back up and link$/m);
        expectSettled(p.stateDir(), 'committed', ctx);
        expect(Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).backups(), ctx).toHaveLength(40);
      } else {
        outcomes.push('refused');
        expect(r.code, ctx).toBe(1);
        expect(r.stderr, ctx).toMatch(/ENOSPC: no space left on the device/);
        expect(r.stderr, ctx).toContain(`hint: the filesystem of the state folder ${p.stateDir()} is full: free some space there`);
        expect(snapshot(p.d), ctx).toEqual(before);
        if (fs.existsSync(p.stateDir())) expectSettled(p.stateDir(), 'rolled-back', ctx);
      }
      fs.rmSync(filler);
      expectOk(p.run(['plan', 'layout.yaml']));
      const again = p.run(['apply', 'layout.yaml', '--yes']);
      expectOk(again);
      expect(Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).backups(), ctx).toHaveLength(40);
    }
    expect(outcomes[0]).toBe('refused');
    expect(outcomes.at(-1)).toBe('applied');
  });
});

describe('backups restore, killed at any point', () => {
  const MB = 'version: 1\nlinks:\n  - { path: home/rc, target: t/rc, onConflict: backup }\n  - { path: home/data, target: t/data, onConflict: adopt }\n';
  const TB: TreeSpec = { t: { rc: 'managed' }, home: { rc: 'my rc', data: { d: 'd' } } };
  const backupLines = (out: string): string[] => out.split('\n').filter((l) => /^ +\d+ /.test(l)).map((l) => l.replace(/ {2}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, ' '));

  // every kill point for a backup, and the middle one for adopted content
  for (const [id, points] of [['1', ['before:1', 'after:1', 'after:2', 'after:3']], ['2', ['after:2']]] as const) {
    for (const at of points) {
      it(`backup ${id}, killed ${at}: the next command names the restore; recover puts it back as before, --forward finishes it`, () => {
        for (const forward of [false, true]) {
          const p = cliProject(MB, TB);
          expectOk(p.run(['apply', 'layout.yaml', '--yes']));
          const listed = p.run(['backups', 'list', 'layout.yaml']).stdout;
          const before = snapshot(p.d);
          const killed = p.run(['backups', 'restore', 'layout.yaml', id], { LINKPLAN_CRASH_AT: at });
          expect(killed.code, killed.stderr).toBeNull();
          const refused = p.run(['backups', 'restore', 'layout.yaml', id]);
          expectClear(refused, `a restore of backup ${id} was interrupted and left its journal`, 'hint: run `linkplan recover layout.yaml`');
          const r = p.run(['recover', 'layout.yaml', ...(forward ? ['--forward'] : [])]);
          expectOk(r);
          expect(fs.readdirSync(path.join(p.d, 'home')).filter((n) => n.includes('linkplan-restoring')), at).toEqual([]);
          if (!forward) {
            expect(snapshot(p.d), at).toEqual(before);
            expect(backupLines(p.run(['backups', 'list', 'layout.yaml']).stdout)).toEqual(backupLines(listed));
            expectOk(p.run(['backups', 'restore', 'layout.yaml', id]));
          }
          const home = path.join(p.d, 'home', id === '1' ? 'rc' : 'data');
          expect(fs.lstatSync(home).isSymbolicLink(), at).toBe(false);
          const left = backupLines(p.run(['backups', 'list', 'layout.yaml']).stdout);
          expect(left, at).toHaveLength(1);
          expect(left[0], at).toMatch(new RegExp(`^ +${id === '1' ? '2' : '1'} `));
          expect([...Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).owned().keys()]).toEqual([path.join(p.d, 'home', id === '1' ? 'data' : 'rc')]);
        }
      });
    }
  }
});

describe('backups prune', () => {
  const MB = 'version: 1\nlinks:\n  - { path: home/rc, target: t/rc, onConflict: backup }\n  - { path: home/cfg, target: t/cfg, onConflict: backup }\n';

  function ageAll(p: CliProject, ids: number[]): void {
    // records.json takes in the last apply first
    Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).save();
    const file = path.join(p.stateDir(), 'records.json');
    const records = JSON.parse(fs.readFileSync(file, 'utf8')) as { backups: { id: number; at: string }[] };
    for (const b of records.backups) if (ids.includes(b.id)) b.at = new Date(Date.now() - 7_200_000).toISOString();
    fs.writeFileSync(file, JSON.stringify(records));
  }

  it('leaves a younger backup that was given an older record\'s name, and says so', () => {
    const p = cliProject(MB, { t: { rc: 'managed', cfg: 'c' }, home: { rc: 'first rc', cfg: 'x' } });
    const h = (s: string): string => path.join(p.d, 'home', s);
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    // the user deletes the first backup and writes a new rc; a later apply backs that up under the same name
    fs.unlinkSync(h('rc.linkplan-backup'));
    fs.unlinkSync(h('rc'));
    fs.writeFileSync(h('rc'), 'second rc');
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    expect(fs.readFileSync(h('rc.linkplan-backup'), 'utf8')).toBe('second rc');
    // backup 1 (the first rc) is made old; backup 3 (the same file, backed up again under its name) is new
    ageAll(p, [1]);
    expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toMatch(/ {4}1 .* home\/rc -> home\/rc\.linkplan-backup {2}\(replaced: something else has this name now\)\n/);
    const r = p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1h', '--yes']);
    expectOk(r);
    expect(r.stdout).toBe(`Left backup 1: ${h('rc.linkplan-backup')} is not that backup any more (something else has its name now); it and the record stay\nPruned 0 backup records; deleted 0 backups\n`);
    expect(fs.readFileSync(h('rc.linkplan-backup'), 'utf8')).toBe('second rc');
    const restore = p.run(['backups', 'restore', 'layout.yaml', '1']);
    expectClear(restore, `${h('rc.linkplan-backup')}: this is not backup 1 any more`);
    expect(fs.readFileSync(h('rc.linkplan-backup'), 'utf8')).toBe('second rc');
    // backup 3 is that file: it restores
    expectOk(p.run(['backups', 'restore', 'layout.yaml', '3']));
    expect(fs.readFileSync(h('rc'), 'utf8')).toBe('second rc');
  });

  it('killed midway, is named by the next command and finished by recover (a deletion is never undone); the records then drop what is gone', () => {
    const p = cliProject(MB, { t: { rc: 'managed', cfg: 'c' }, home: { rc: 'first rc', cfg: { a: 'a', sub: { b: 'b' } } } });
    const h = (s: string): string => path.join(p.d, 'home', s);
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    ageAll(p, [1, 2]);
    // killed after the first backup is deleted, before the second
    const killed = p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1h', '--yes'], { LINKPLAN_CRASH_AT: 'after:1' });
    expect(killed.code, killed.stderr).toBeNull();
    expect(fs.existsSync(h('rc.linkplan-backup'))).toBe(false);
    expect(fs.existsSync(h('cfg.linkplan-backup'))).toBe(true);
    expectClear(p.run(['plan', 'layout.yaml']), 'a prune of backups 1 and 2 was interrupted and left its journal', 'hint: run `linkplan recover layout.yaml`');
    // without --forward as with it: what a prune began to delete is deleted
    const r = p.run(['recover', 'layout.yaml']);
    expectOk(r);
    expect(r.stdout).toBe(`Finished the interrupted apply: ran the 1 step it had left\n  delete backup ${h('cfg.linkplan-backup')}\n`);
    expect(fs.existsSync(h('cfg.linkplan-backup'))).toBe(false);
    expect(fs.readFileSync(path.join(p.d, 't/cfg'), 'utf8')).toBe('c');
    expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toMatch(/ {4}1 .*\(gone\)\n +2 .*\(gone\)\n/);
    const again = p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1h', '--yes']);
    expectOk(again);
    expect(again.stdout).toBe('Pruned 2 backup records; deleted 0 backups\n');
  });

  it('deletes through the driver, never following a link inside a backup: what links lead to stays, and a read-only or failing driver deletes nothing', () => {
    const posix = new PosixDriver();
    const base = tempDir();
    writeTree(base, { outside: { keep: 'keep me', dir: { deep: 'deep' } }, backup: { a: 'a', sub: { b: 'b' } } });
    const b = (s: string): AbsPath => path.join(base, 'backup', s) as AbsPath;
    fs.symlinkSync(path.join(base, 'outside'), b('sub/out'));
    fs.symlinkSync(path.join(base, 'outside/keep'), b('keep-link'));
    fs.symlinkSync('../outside/dir', b('rel'));
    fs.linkSync(path.join(base, 'outside/keep'), b('hard'));
    const outside = snapshot(path.join(base, 'outside'));
    const whole = snapshot(path.join(base, 'backup'));
    for (const driver of [new ReadOnlyDriver(posix), new FaultyDriver(posix, { failAt: 1 })]) {
      expect(() => driver.removeTree(b(''))).toThrow(/removeTree|injected/);
      expect(snapshot(path.join(base, 'backup')), driver.constructor.name).toEqual(whole);
    }
    expect(posix.removeTree(path.join(base, 'backup') as AbsPath)).toEqual({ files: 3, folders: 2, links: 3, left: [] });
    expect(fs.existsSync(path.join(base, 'backup'))).toBe(false);
    expect(snapshot(path.join(base, 'outside'))).toEqual({ ...outside, keep: { ...(outside['keep'] as object), nlink: 1 } });
  });

  it('deletes a folder only while the one opened at its name is the one checked: a folder put in its place after the check is left whole', () => {
    const base = tempDir();
    const p = path.join(base, 'backup') as AbsPath;
    writeTree(base, { backup: { a: 'the backup' } });
    const checked = fileIdentity(p) as string;
    // swapped after the check: the backup renamed away, another folder under its name
    fs.renameSync(p, path.join(base, 'moved'));
    writeTree(base, { backup: { b: 'someone else\'s', sub: { c: 'c' } } });
    const other = snapshot(p);
    const posix = new PosixDriver();
    expect(posix.removeTree(p, { identity: checked })).toEqual({ files: 0, folders: 0, links: 0, left: [`${p}: it is not the folder that was checked (something else has its name now); it is left alone`] });
    expect(snapshot(p)).toEqual(other);
    // a file under the name is not the folder either
    fs.renameSync(p, path.join(base, 'other'));
    fs.writeFileSync(p, 'a file now');
    expect(posix.removeTree(p, { identity: checked }).left).toHaveLength(1);
    expect(fs.readFileSync(p, 'utf8')).toBe('a file now');
    fs.rmSync(p);
    fs.renameSync(path.join(base, 'moved'), p);
    expect(posix.removeTree(p, { identity: checked })).toEqual({ files: 1, folders: 1, links: 0, left: [] });
    expect(fs.existsSync(p)).toBe(false);
  });

  it.skipIf(!ROOT)('deletes a backup folder without following a link inside it or crossing into another filesystem, and reports what it removed', () => {
    const p = cliProject(MB, { t: { rc: 'managed', cfg: 'c' }, home: { rc: 'first rc', cfg: { a: 'a', sub: { b: 'b' } } }, outside: { keep: 'keep me' } });
    const h = (s: string): string => path.join(p.d, 'home', s);
    fs.symlinkSync(path.join(p.d, 'outside'), h('cfg/sub/out'));
    fs.mkdirSync(h('cfg/mnt'));
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    mount(h('cfg.linkplan-backup/mnt'), 'tmpfs', 'size=64k');
    fs.writeFileSync(h('cfg.linkplan-backup/mnt/other-fs'), 'on another filesystem');
    ageAll(p, [1, 2]);
    const r = p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1h', '--yes']);
    expectOk(r);
    expect(r.stdout).toBe(
      `Deleted backup 1: ${h('rc.linkplan-backup')} (1 file)\n` +
        `Deleted part of backup 2 (2 files, 1 folder and 1 link); left, with its record:\n` +
        `  ${h('cfg.linkplan-backup/mnt')}: another filesystem is mounted there; it is left with all it holds\n` +
        'Pruned 1 backup record; deleted 1 backup\n',
    );
    expect(fs.readFileSync(path.join(p.d, 'outside/keep'), 'utf8')).toBe('keep me');
    expect(fs.readFileSync(h('cfg.linkplan-backup/mnt/other-fs'), 'utf8')).toBe('on another filesystem');
    expect(fs.readdirSync(h('cfg.linkplan-backup'))).toEqual(['mnt']);
    expect(fs.existsSync(h('rc.linkplan-backup'))).toBe(false);
  });
});
