// Tests what Ctrl-C, SIGTERM and SIGHUP do to the real command (a child process, on a
// pseudo-terminal from util-linux `script` where a terminal matters): at the confirmation prompt
// nothing changes and it says so (exit 130); during an apply the current step finishes, what was
// done is rolled back, it says so (exit 130); a second Ctrl-C stops at once, leaves the journal and
// prints the exact `linkplan recover` command, which then rolls the apply back. The apply is held
// still at a chosen write by the pause hook (LINKPLAN_PAUSE_AT), so the signals land mid-apply
// every time (before its 12th write: the 12 steps made by then are the ones rolled back); a run
// with a pause point is the test entry's (dist/test-entry.cjs), as the shipped command has none.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { InterruptedError, StoppedAtOnceError, type StopSignal } from '../src/apply/interrupt.js';
import { recover } from '../src/apply/recover.js';
import { FileJournal } from '../src/state/journal/writer.js';
import { journalPath } from '../src/state/journal/format.js';
import { DriverDecorator } from '../src/drivers/decorators.js';
import type { WriteCall } from '../src/drivers/driver.js';
import { PosixDriver } from '../src/drivers/posix.js';
import type { AbsPath } from '../src/core/paths.js';
import { loadManifest } from '../src/manifest/load.js';
import { observe } from '../src/plan/observe.js';
import { computePlan } from '../src/plan/planner.js';
import type { Plan } from '../src/core/types.js';
import { childEnv, entryFor, runCli } from './helpers/cli.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  /** The linkplan process itself (on a terminal: the process `script` runs). */
  pid: Promise<number>;
  output: () => string;
  /** Types on the terminal (only with `tty`). */
  type: (s: string) => void;
  /** Closes the terminal (only with `tty`): `script` is killed, and linkplan gets SIGHUP. */
  hangUp: () => void;
  done: Promise<Finished>;
}

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/** Starts linkplan, on a 100-column pseudo-terminal with `tty`, else with pipes. */
function start(args: readonly string[], opts: { cwd: string; state: string; tty?: boolean; pauseAt?: string }): Running {
  const env = childEnv({ TERM: 'xterm', LINKPLAN_STATE_DIR: opts.state, LINKPLAN_PAUSE_AT: opts.pauseAt });
  if (opts.pauseAt === undefined) delete env['LINKPLAN_PAUSE_AT'];
  const entry = entryFor(env);
  const command = `stty cols 100; echo PID=$$; exec ${[process.execPath, entry, ...args].map(quote).join(' ')}`;
  const child =
    opts.tty === true
      ? spawn('script', ['-qfec', command, '/dev/null'], { cwd: opts.cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, [entry, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const done = new Promise<Finished>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  const pid =
    opts.tty === true
      ? waitFor(() => /PID=(\d+)/.exec(stdout)?.[1]).then(Number)
      : Promise.resolve(child.pid ?? -1);
  return { pid, output: () => stdout, type: (s) => child.stdin?.write(s), hangUp: () => child.kill('SIGKILL'), done };
}

/** Polls until `get` gives a value (10 s at most). */
async function waitFor<T>(get: () => T | undefined | false): Promise<T> {
  for (let waited = 0; waited < 10_000; waited += 10) {
    const v = get();
    if (v !== undefined && v !== false) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out waiting');
}

const posix = new PosixDriver();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A project of 30 links in three new folders, and a file in the way to back up (apply asks first). */
function project(): { dir: string; state: string; gate: string } {
  const dir = tempDir();
  const links = [...Array(30).keys()].map((i) => `  - { path: out/d${i % 3}/l${i}, target: t/f }`);
  writeTree(dir, {
    'layout.yaml': `version: 1\nlinks:\n  - { path: home/rc, target: t/f, onConflict: backup }\n${links.join('\n')}\n`,
    t: { f: 'f' },
    home: { rc: 'mine' },
  });
  const gate = path.join(tempDir('linkplan-gate-'), 'go');
  return { dir, state: tempDir('linkplan-state-'), gate };
}

function journalIn(state: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else if (name === 'journal.jsonl') out.push(p);
    }
  };
  walk(state);
  return out;
}

describe('a signal at the confirmation prompt', () => {
  for (const how of ['Ctrl-C', 'SIGTERM', 'SIGHUP'] as const) {
    it(`(${how}) changes nothing, says so and exits 130`, async () => {
      const { dir, state } = project();
      const before = snapshot(dir);
      const run = start(['apply', 'layout.yaml'], { cwd: dir, state, tty: true });
      const pid = await run.pid;
      await waitFor(() => run.output().includes('Apply it? [y/N]'));
      if (how === 'Ctrl-C') run.type('\x03');
      else process.kill(pid, how);
      const r = await run.done;
      expect(r.stdout).not.toContain('internal error');
      expect(r.stdout).toContain(`linkplan: apply cancelled at the prompt (${how === 'Ctrl-C' ? 'SIGINT' : how}); nothing was changed`);
      expect(r.code).toBe(130);
      expect(snapshot(dir)).toEqual(before);
      expect(journalIn(state)).toEqual([]);
    });
  }
});

describe('a signal during an apply', () => {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    it(`(${sig}, no terminal) finishes the current step, rolls back what was done, says so and exits 130`, async () => {
      const { dir, state, gate } = project();
      const before = snapshot(dir);
      const run = start(['apply', 'layout.yaml', '--yes'], { cwd: dir, state, pauseAt: `12:${gate}` });
      await waitFor(() => fs.existsSync(`${gate}.paused`));
      process.kill(await run.pid, sig);
      // (held long enough that the apply gives the signal handlers their turn right after this step)
      await sleep(50);
      fs.writeFileSync(gate, '');
      const r = await run.done;
      expect(r.stderr).not.toContain('internal error');
      expect(r.stderr).toMatch(new RegExp(`apply interrupted \\(${sig}\\): rolled back 12 steps; the disk is as it was before the apply`));
      expect(r.code).toBe(130);
      expect(snapshot(dir)).toEqual(before);
      expect(journalIn(state)).toEqual([]);
    });
  }

  it('(Ctrl-C on a terminal, with the progress view) rolls back, says so and exits 130', async () => {
    const { dir, state, gate } = project();
    const before = snapshot(dir);
    const run = start(['apply', 'layout.yaml', '--yes'], { cwd: dir, state, tty: true, pauseAt: `12:${gate}` });
    await run.pid;
    await waitFor(() => fs.existsSync(`${gate}.paused`));
    run.type('\x03');
    await sleep(200);
    fs.writeFileSync(gate, '');
    const r = await run.done;
    expect(r.stdout).not.toContain('internal error');
    expect(r.stdout).toMatch(/apply interrupted \(SIGINT\): rolled back 12 steps; the disk is as it was before the apply/);
    expect(r.code).toBe(130);
    expect(snapshot(dir)).toEqual(before);
    expect(journalIn(state)).toEqual([]);
  });

  it('(the terminal closed: SIGHUP, and every write to it failing) rolls back all the same', async () => {
    const { dir, state, gate } = project();
    const before = snapshot(dir);
    const run = start(['apply', 'layout.yaml', '--yes'], { cwd: dir, state, tty: true, pauseAt: `12:${gate}` });
    const pid = await run.pid;
    await waitFor(() => fs.existsSync(`${gate}.paused`));
    run.hangUp();
    await run.done;
    await sleep(50);
    fs.writeFileSync(gate, '');
    await waitFor(() => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(snapshot(dir)).toEqual(before);
    expect(journalIn(state)).toEqual([]);
  });

  it('a second Ctrl-C stops at once, leaves the journal and prints the recover command, which rolls the apply back', async () => {
    const { dir, state, gate } = project();
    const before = snapshot(dir);
    const run = start(['apply', 'layout.yaml', '--yes', '--state-dir', state], { cwd: dir, state: tempDir('linkplan-unused-state-'), pauseAt: `12:${gate}` });
    await waitFor(() => fs.existsSync(`${gate}.paused`));
    const pid = await run.pid;
    process.kill(pid, 'SIGINT');
    await sleep(100);
    process.kill(pid, 'SIGINT');
    await sleep(100);
    fs.writeFileSync(gate, '');
    const r = await run.done;
    expect(r.stderr).not.toContain('internal error');
    const command = `linkplan recover layout.yaml --state-dir ${state}`;
    expect(r.stderr).toContain(`\`${command}\``);
    expect(r.code).toBe(130);
    expect(journalIn(state)).toHaveLength(1);
    expect(snapshot(dir)).not.toEqual(before);
    const recovered = runCli(command.split(' ').slice(1), { cwd: dir });
    expect(recovered.stderr).toBe('');
    expect(recovered.code).toBe(0);
    expect(snapshot(dir)).toEqual(before);
    expect(journalIn(state)).toEqual([]);
  });
});

describe('the applier, told to stop', () => {
  /** A plan of 20 links in a new folder, made from the disk. */
  function planIn(dir: string): Plan {
    const links = [...Array(20).keys()].map((i) => `  - { path: out/l${i}, target: t/f }`);
    writeTree(dir, { 'layout.yaml': `version: 1\nlinks:\n${links.join('\n')}\n`, t: { f: 'f' } });
    const loaded = loadManifest(path.join(dir, 'layout.yaml'), { driver: posix, env: {}, platform: 'linux', hostname: 'host', home: '/nonexistent-home' });
    return computePlan(loaded.desired, observe(loaded.desired, posix, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: { path: loaded.file, digest: loaded.digest } });
  }

  it('before its first step (a signal while the plan was made) changes nothing and leaves no journal', async () => {
    const dir = tempDir();
    const state = tempDir('linkplan-state-');
    const plan = planIn(dir);
    const before = snapshot(dir);
    const journal = FileJournal.create(state, { manifest: plan.manifest.path, actions: plan.actions });
    const err = await applyPlan(plan, posix, { journal, interrupt: { first: 'SIGTERM', now: false } }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(InterruptedError);
    expect((err as Error).message).toBe('apply interrupted (SIGTERM) before its first step; nothing was changed');
    expect(snapshot(dir)).toEqual(before);
    expect(fs.existsSync(journalPath(state))).toBe(false);
  });

  it('at a second Ctrl-C during its rollback, stops there and leaves the journal, which recover finishes', async () => {
    const dir = tempDir();
    const state = tempDir('linkplan-state-');
    const plan = planIn(dir);
    const before = snapshot(dir);
    const stop = { first: undefined as StopSignal | undefined, now: false };
    // the first signal after the 10th write; the second when the rollback has undone 3 steps
    class Signaller extends DriverDecorator {
      private writes = 0;
      protected override write(_call: WriteCall, _p: AbsPath, run: () => void): void {
        run();
        this.writes++;
        if (this.writes === 10) stop.first = 'SIGINT';
        if (this.writes === 13) {
          stop.now = true;
          // (the rollback reads the flag after its next turn of the event loop)
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        }
      }
    }
    const journal = FileJournal.create(state, { manifest: plan.manifest.path, actions: plan.actions.filter((a) => a.kind !== 'noop') });
    const err = await applyPlan(plan, new Signaller(posix), { journal, interrupt: stop }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StoppedAtOnceError);
    expect((err as Error).message).toBe('apply stopped at once (a second SIGINT) while rolling back, 7 steps still to undo');
    expect(fs.existsSync(journalPath(state))).toBe(true);
    const result = recover(journalPath(state), posix, { forward: false });
    expect(result?.changed).toHaveLength(7);
    expect(snapshot(dir)).toEqual(before);
  });
});
