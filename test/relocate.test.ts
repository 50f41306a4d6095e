// Relocation of a folder to another volume (relocate: true, onConflict: adopt across volumes), on
// real filesystems: a second volume is a tmpfs mounted here (root is needed; CI runs as root, so
// there a failed mount fails the file instead of skipping). The tree holds nested symbolic links
// (relative, absolute, one leading outside the tree: each must be copied as a link, never
// followed), empty folders, a file of a few MB, 2,000 small files, modes and times; after the
// apply the copy must match the original in every walked detail, the link stand at the path and
// the original be kept as a backup. Then: a full target volume, a copy corrupted after it was
// written (a decorator), kills at points inside and around the copy recovered both ways, and the
// example.
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PosixDriver } from '../src/drivers/posix.js';
import { CorruptingCopyDriver, DriverDecorator } from '../src/drivers/decorators.js';
import type { CopyOptions } from '../src/drivers/driver.js';
import type { AbsPath } from '../src/core/paths.js';
import type { Plan, TreeCount } from '../src/core/types.js';
import { copyProgressLine } from '../src/views/progress.js';
import { applyPlan } from '../src/apply/applier.js';
import { recordFolders } from '../src/plan/folders.js';
import { ApplyError, DriverError } from '../src/core/errors.js';
import { childEnv, entryFor, REPO, runCli, runCliAsync } from './helpers/cli.js';
import { planOnDisk, only, ofKind } from './helpers/plan.js';
import { tempDir } from './helpers/tree.js';
import { mountFreshVolume, skipNtfs3gTests } from './helpers/ntfs.js';

const ROOT = process.getuid?.() === 0;
const mounted: string[] = [];
let volumes = 0;
let mountProblem: string | undefined = ROOT ? undefined : 'not root';
const base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-relocate-')));

/** Mounts a tmpfs of `size` (and `inodes`) at a new folder in `where`; undefined (and why, in mountProblem) where it cannot. */
function mountTmpfs(where: string, opts: { size: string; inodes?: number }): string | undefined {
  const dir = path.join(where, `vol-${++volumes}`);
  fs.mkdirSync(dir);
  const o = `size=${opts.size}${opts.inodes === undefined ? '' : `,nr_inodes=${opts.inodes}`}`;
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', o, 'tmpfs', dir], { encoding: 'utf8' });
  if (r.status !== 0) {
    mountProblem = `mount -t tmpfs failed: ${r.stderr.trim() || String(r.error)}`;
    return undefined;
  }
  mounted.push(dir);
  return dir;
}

// (tried once here, before the tests are collected: skipIf reads the answer)
if (ROOT) {
  const probe = mountTmpfs(base, { size: '1m' });
  if (probe !== undefined) spawnSync('umount', [probe]);
  mounted.length = 0;
}
if (mountProblem !== undefined && process.env['CI'] !== undefined) throw new Error(`CI: the relocation tests mount a tmpfs and CI runs as root, yet: ${mountProblem}`);
if (mountProblem !== undefined) console.warn(`SKIPPED: the relocation tests across volumes did not run (${mountProblem}); they need root to mount a tmpfs`);
afterAll(() => {
  for (const d of mounted.splice(0).reverse()) spawnSync('umount', ['-l', d]);
  fs.rmSync(base, { recursive: true, force: true });
});
/** Whether no second volume can be mounted here (the tests across volumes are then skipped, loudly). */
const cannotMount = (): boolean => mountProblem !== undefined;

/** SHA-256 of a file, read without touching its access time (as root, O_NOATIME always works). */
function contentHash(p: string): string {
  const fd = fs.openSync(p, fs.constants.O_RDONLY | (fs.constants.O_NOATIME ?? 0));
  try {
    return crypto.createHash('sha256').update(fs.readFileSync(fd)).digest('hex');
  } finally {
    fs.closeSync(fd);
  }
}

/** Every entry below `root` (not following links): kind, mode, times, size, content hash, link text. */
function walk(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const go = (rel: string): void => {
    for (const name of fs.readdirSync(path.join(root, rel)).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = path.join(root, r);
      const st = fs.lstatSync(p, { bigint: true });
      const mode = (st.mode & 0o7777n).toString(8);
      if (st.isSymbolicLink()) out[r] = `link ${fs.readlinkSync(p)} mtime ${st.mtimeNs}`;
      else if (st.isFile()) out[r] = `file ${mode} ${st.size} ${contentHash(p)} mtime ${st.mtimeNs} atime ${st.atimeNs}`;
      else if (st.isDirectory()) {
        go(r);
        out[r] = `dir ${mode} mtime ${st.mtimeNs}`;
      } else out[r] = 'other';
    }
  };
  go('');
  return out;
}

/** The bytes of the files below `root`. */
function bytesOf(root: string): number {
  let n = 0;
  for (const e of fs.readdirSync(root, { withFileTypes: true, recursive: true })) if (e.isFile()) n += fs.lstatSync(path.join(e.parentPath, e.name)).size;
  return n;
}

const PAST = new Date('2001-02-03T04:05:06.789Z');

/** A game-like folder: links of every sort, empty folders, a big file, `small` small files, odd modes and old times. */
function makeTree(root: string, opts: { small: number; big: number }): void {
  fs.mkdirSync(path.join(root, 'bin'), { recursive: true });
  fs.mkdirSync(path.join(root, 'saves', 'empty', 'deeper-empty'), { recursive: true });
  fs.mkdirSync(path.join(root, 'data'));
  fs.writeFileSync(path.join(root, 'readme.txt'), 'a game\n');
  fs.writeFileSync(path.join(root, 'bin', 'run'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  fs.writeFileSync(path.join(root, 'bin', 'secret'), 'key', { mode: 0o600 });
  fs.writeFileSync(path.join(root, 'data', 'big.pak'), crypto.randomBytes(opts.big));
  for (let i = 0; i < opts.small; i++) {
    const dir = path.join(root, 'data', `part${i % 20}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, `f${i}.dat`), `file ${i}\n`);
  }
  fs.symlinkSync('../readme.txt', path.join(root, 'bin', 'readme'));
  fs.symlinkSync(path.join(root, 'data', 'big.pak'), path.join(root, 'bin', 'pak'));
  // outside the tree, and a folder: followed, it would copy /etc
  fs.symlinkSync('/etc', path.join(root, 'etc-outside'));
  fs.symlinkSync('no-such-file', path.join(root, 'dangling'));
  fs.utimesSync(path.join(root, 'readme.txt'), PAST, PAST);
  fs.lutimesSync(path.join(root, 'bin', 'readme'), PAST, PAST);
  fs.chmodSync(path.join(root, 'bin'), 0o750);
  fs.chmodSync(path.join(root, 'saves', 'empty'), 0o700);
  fs.utimesSync(path.join(root, 'saves', 'empty'), PAST, PAST);
  fs.utimesSync(path.join(root, 'saves'), PAST, PAST);
}

/** A fresh case: a folder `home` with `home/Game` in it, a manifest, a state folder; `target` where Game goes. */
function scene(opts: { target: string; small: number; big: number }): { dir: string; game: string; target: string; file: string; state: string; before: Record<string, string> } {
  const dir = fs.mkdtempSync(path.join(base, 'case-'));
  const game = path.join(dir, 'home', 'Game');
  makeTree(game, opts);
  const file = path.join(dir, 'layout.yaml');
  fs.writeFileSync(file, `version: 1\nlinks:\n  - { path: home/Game, target: ${opts.target}, relocate: true }\n`);
  return { dir, game, target: opts.target, file, state: path.join(dir, 'state'), before: walk(game) };
}

const cli = (args: string[], s: { dir: string; state: string }): ReturnType<typeof runCli> => runCli(args, { cwd: s.dir, env: { LINKPLAN_STATE_DIR: s.state } });

/** A relocation onto a fresh tmpfs, planned in the library (its folders recorded), for an apply through a decorator of the node:fs driver. */
function plannedRelocation(): { vol: string; s: ReturnType<typeof scene>; plan: Plan; posix: PosixDriver } {
  const vol = mountTmpfs(base, { size: '16m' }) as string;
  const s = scene({ target: `${vol}/Game`, small: 30, big: 10_000 });
  const plan = planOnDisk(s.file);
  const posix = new PosixDriver();
  recordFolders(plan, posix);
  return { vol, s, plan, posix };
}

/** What the apply of `plan` through `driver` is rejected with. */
function rejection(plan: Plan, driver: DriverDecorator): Promise<unknown> {
  return applyPlan(plan, driver).then(
    () => undefined,
    (x: unknown) => x,
  );
}

describe('relocating within one volume', () => {
  it('is the rename it always was: the tree moved whole, the link left, the adopt recorded', () => {
    const d = tempDir();
    const s = { ...scene({ target: `${d}/Games/Game`, small: 50, big: 100_000 }) };
    const plan = cli(['plan', 'layout.yaml'], s);
    expect(plan.stdout).toContain('< adopt');
    expect(cli(['apply', 'layout.yaml', '--yes'], s).code).toBe(0);
    expect(fs.readlinkSync(s.game)).toBe(s.target);
    expect(walk(s.target)).toEqual(s.before);
    expect(cli(['backups', 'list', 'layout.yaml'], s).stdout).toContain('adopted');
  });

  it('a folder in the way of a target that exists is a conflict that says so; a file in the way is refused as onConflict says', () => {
    const d = tempDir();
    fs.mkdirSync(`${d}/Game/x`, { recursive: true });
    fs.mkdirSync(`${d}/there/Game`, { recursive: true });
    fs.writeFileSync(`${d}/cfg`, 'mine');
    fs.writeFileSync(`${d}/there/cfg`, 'theirs');
    fs.writeFileSync(`${d}/layout.yaml`, 'version: 1\nlinks:\n  - { path: Game, target: there/Game, relocate: true }\n  - { path: cfg, target: there/cfg, relocate: true }\n');
    const plan = planOnDisk(`${d}/layout.yaml`);
    expect(plan.actions.map((a) => `${a.kind}: ${a.reason}`)).toEqual([
      `conflict: a folder is in the way, and it cannot be adopted because the target ${d}/there/Game exists already`,
      'conflict: a regular file is in the way',
    ]);
  });
});

describe.skipIf(cannotMount())('relocating to another volume', () => {
  it('plan shows it (text and --json, with what it copies); apply copies byte for byte, links, keeps the original; a second apply does nothing', () => {
    const vol = mountTmpfs(base, { size: '64m' }) as string;
    const s = scene({ target: `${vol}/Games/Game`, small: 2000, big: 3_000_000 });
    const text = cli(['plan', 'layout.yaml'], s);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`  > relocate home/Game -> ${vol}/Games/Game  (symlink; copies 2.9 MiB in 2004 files, 25 folders and 4 links to another volume, checks the copy, keeps the original at home/Game.linkplan-backup, new folder ${vol}/Games)`);
    expect(text.stdout).toContain('1 to relocate');
    const json = JSON.parse(cli(['plan', 'layout.yaml', '--json'], s).stdout) as { actions: { kind: string; copy: unknown; backupPath: string }[]; summary: Record<string, number> };
    expect(json.actions[0]).toMatchObject({ kind: 'relocate', copy: { bytes: bytesOf(s.game), files: 2004, folders: 25, links: 4, hardLinked: 0 }, backupPath: `${s.game}.linkplan-backup` });
    expect(json.summary['relocate']).toBe(1);
    const applied = cli(['apply', 'layout.yaml', '--yes'], s);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(fs.readlinkSync(s.game)).toBe(s.target);
    expect(applied.stdout).toContain('The original of home/Game is kept at home/Game.linkplan-backup (2.9 MiB) until `linkplan backups prune layout.yaml --older-than AGE` deletes it.\n');
    expect(walk(s.target)).toEqual(s.before);
    expect(walk(`${s.game}.linkplan-backup`)).toEqual(s.before);
    // the link outside the tree stayed a link: nothing of /etc was copied
    expect(fs.lstatSync(`${s.target}/etc-outside`).isSymbolicLink()).toBe(true);
    const list = cli(['backups', 'list', 'layout.yaml'], s).stdout;
    expect(list).toMatch(/backed up {2}home\/Game -> home\/Game\.linkplan-backup {2}2\.9 MiB/);
    expect(cli(['apply', 'layout.yaml', '--yes'], s).stdout).toBe('No changes: the disk already matches layout.yaml (1 entry)\n');
  });

  it('a tree of a 200 MB file and 10,000 small files arrives byte for byte on another volume', () => {
    // (within one volume a relocation is the rename tested above, whatever the tree holds)
    const vol = mountTmpfs(base, { size: '400m' }) as string;
    const s = scene({ target: `${vol}/Big`, small: 10_000, big: 200_000_000 });
    const applied = cli(['apply', 'layout.yaml', '--yes'], s);
    expect(applied.stderr).toBe('');
    expect(applied.code).toBe(0);
    expect(fs.readlinkSync(s.game)).toBe(s.target);
    expect(walk(s.target)).toEqual(s.before);
    expect(fs.statSync(`${s.game}.linkplan-backup/data/big.pak`).size).toBe(200_000_000);
    fs.rmSync(s.dir, { recursive: true });
    fs.rmSync(s.target, { recursive: true });
  }, 60_000);

  it('on a terminal, the copy\'s progress is one line redrawn in place under listr2, not a line per update', () => {
    const vol = mountTmpfs(base, { size: '64m' }) as string;
    const s = scene({ target: `${vol}/Game`, small: 300, big: 20_000_000 });
    const bin = path.join(REPO, 'bin', 'linkplan.js');
    const r = spawnSync('script', ['-qec', `stty cols 100; '${process.execPath}' '${bin}' apply layout.yaml --yes`, '/dev/null'], {
      cwd: s.dir,
      env: childEnv({ LINKPLAN_STATE_DIR: s.state, TERM: 'xterm' }),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    expect(fs.readlinkSync(s.game)).toBe(s.target);
    // drawn over itself (carriage return, erase the line), never printed as a line of its own
    expect(r.stdout).toContain('\r\x1b[2K  copying: ');
    expect(r.stdout).not.toMatch(/(?:copying|checking the copy): [^\r\n]* files\r?\n/);
  });

  it('a target volume too small for the tree is a conflict naming both figures, before anything is done', () => {
    const vol = mountTmpfs(base, { size: '1m' }) as string;
    const s = scene({ target: `${vol}/Game`, small: 5, big: 2_000_000 });
    const r = cli(['plan', 'layout.yaml'], s);
    expect(r.stdout).toMatch(/cannot relocate a folder to .*\/Game: it holds 1\.9 MiB \(2000\d+ bytes\), and the target's volume has 1\.0 MiB \(1048576 bytes\) free/);
    expect(cli(['apply', 'layout.yaml', '--yes'], s).code).toBe(1);
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });

  it('a saved plan is checked again: room gone since (preflight), or the copy figures taken out of it, is refused before anything is done', () => {
    const vol = mountTmpfs(base, { size: '4m' }) as string;
    const s = scene({ target: `${vol}/Game`, small: 5, big: 1_000_000 });
    expect(cli(['plan', 'layout.yaml', '--out', 'plan.json'], s).code).toBe(0);
    const saved = fs.readFileSync(path.join(s.dir, 'plan.json'), 'utf8');
    fs.writeFileSync(`${vol}/filler`, Buffer.alloc(3_500_000));
    const r = cli(['apply', 'plan.json', '--yes'], s);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`no room for a relocation now:\\n  ${vol}/Game: the copy needs 97\\d\\.\\d KiB \\(100\\d+ bytes\\), and its volume has \\d+\\.\\d KiB \\(\\d+ bytes\\) free`));
    expect(fs.readdirSync(vol)).toEqual(['filler']);
    fs.rmSync(`${vol}/filler`);
    const plan = JSON.parse(saved) as { actions: Record<string, unknown>[] };
    delete plan.actions[0]?.['copy'];
    fs.writeFileSync(path.join(s.dir, 'plan.json'), JSON.stringify(plan));
    const bad = cli(['apply', 'plan.json', '--yes'], s);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('plan.json: actions[0]: a relocate needs what it copies (copy)');
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });

  it('a volume that fills up midway (its blocks, not its free bytes): rolled back, the file named, nothing left there, exit 1', () => {
    // 3 MiB free, 2.9 MB of bytes: but each small file takes a 4 KiB page of its own
    const vol = mountTmpfs(base, { size: '3m' }) as string;
    const s = scene({ target: `${vol}/Game`, small: 100, big: 2_900_000 });
    expect(cli(['plan', 'layout.yaml'], s).stdout).toContain('> relocate');
    const r = cli(['apply', 'layout.yaml', '--yes'], s);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${vol}/Game/\\S+: cannot (write|make) the copy.*ENOSPC`));
    expect(r.stderr).toContain('the disk is as it was before the apply');
    expect(r.stderr).toContain('hint: free space (or files: inodes) on the target volume, or choose another target, then run apply again; the original was not touched');
    expect(r.stderr).not.toContain('    at ');
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });

  it('a volume out of inodes midway: the same', () => {
    const vol = mountTmpfs(base, { size: '16m', inodes: 40 }) as string;
    const s = scene({ target: `${vol}/Game`, small: 100, big: 1000 });
    const r = cli(['apply', 'layout.yaml', '--yes'], s);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${vol}/Game/\\S+: cannot make the copy.*ENOSPC`));
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });

  it('a copy that differs from the original once written (a corrupting decorator) is found by the check and rolled back, the file named', async () => {
    const { vol, s, plan, posix } = plannedRelocation();
    ofKind(only(plan), 'relocate');
    const corrupting = new CorruptingCopyDriver(posix, 7);
    const e = await rejection(plan, corrupting);
    expect(e).toBeInstanceOf(ApplyError);
    expect((e as ApplyError).message).toContain(`${corrupting.corrupted ?? '?'}: the copy differs from the original (its content); nothing was switched`);
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });

  it('a read error midway (a decorator failing the 5th file with EIO) is rolled back the same way, the file named', async () => {
    const { vol, s, plan, posix } = plannedRelocation();
    class FailingRead extends DriverDecorator {
      override copyTree(from: AbsPath, to: AbsPath, opts: CopyOptions = {}): TreeCount {
        return super.copyTree(from, to, {
          ...opts,
          onProgress: (p) => {
            if (p.phase === 'copy' && p.files === 5 && p.partly !== true) throw new DriverError(p.path, 'cannot read (EIO: injected fault)', { code: 'EIO' });
          },
        });
      }
    }
    const e = (await rejection(plan, new FailingRead(posix))) as ApplyError;
    expect(e).toBeInstanceOf(ApplyError);
    expect(e.message).toMatch(new RegExp(`^apply failed at ${s.game}: ${vol}/Game/\\S+: cannot read \\(EIO: injected fault\\)\\nrolled back 0 steps`));
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });

  it('onConflict: adopt relocates across volumes too; files with other names (hard links) are said, and copied as files of their own', () => {
    const vol = mountTmpfs(base, { size: '4m' }) as string;
    const dir = fs.mkdtempSync(path.join(base, 'case-'));
    fs.mkdirSync(path.join(dir, 'data'));
    fs.writeFileSync(path.join(dir, 'data', 'a'), 'same');
    fs.linkSync(path.join(dir, 'data', 'a'), path.join(dir, 'data', 'b'));
    fs.writeFileSync(path.join(dir, 'layout.yaml'), `version: 1\nlinks:\n  - { path: data, target: ${vol}/data, onConflict: adopt }\n`);
    const s = { dir, state: path.join(dir, 'state') };
    const plan = cli(['plan', 'layout.yaml'], s).stdout;
    expect(plan).toContain('> relocate data ->');
    expect(plan).toContain('note: 2 files have other names (hard links); each is copied as a file of its own');
    expect(cli(['apply', 'layout.yaml', '--yes'], s).code).toBe(0);
    const [a, b] = [fs.statSync(`${vol}/data/a`), fs.statSync(`${vol}/data/b`)];
    expect([a.nlink, b.nlink, a.ino === b.ino, fs.readFileSync(`${vol}/data/b`, 'utf8')]).toEqual([1, 1, false, 'same']);
  });

  it('onConflict: persist relocates a folder across volumes where the target is absent or an empty folder, and backs it up where the target holds something', () => {
    const vol = mountTmpfs(base, { size: '4m' }) as string;
    const dir = fs.mkdtempSync(path.join(base, 'case-'));
    for (const n of ['first', 'empty', 'full']) {
      fs.mkdirSync(path.join(dir, n, 'data'), { recursive: true });
      fs.writeFileSync(path.join(dir, n, 'data', 'f'), n);
    }
    fs.mkdirSync(path.join(vol, 'persist', 'empty'), { recursive: true });
    fs.mkdirSync(path.join(vol, 'persist', 'full', 'data'), { recursive: true });
    const entries = ['first', 'empty', 'full'].map((n) => `  - { path: ${n}, target: ${vol}/persist/${n}, onConflict: persist }\n`).join('');
    fs.writeFileSync(path.join(dir, 'layout.yaml'), `version: 1\nlinks:\n${entries}`);
    const s = { dir, state: path.join(dir, 'state') };
    const plan = cli(['plan', 'layout.yaml'], s).stdout;
    expect(plan).toContain(`  > relocate empty -> ${vol}/persist/empty  (symlink; copies 5 bytes in 1 file, 1 folder and 0 links to another volume in place of its empty folder, checks the copy, keeps the original at empty.linkplan-backup)`);
    expect(plan).toMatch(/> relocate first ->[\s\S]*\* backup {3}full ->/);
    expect(cli(['apply', 'layout.yaml', '--yes'], s).code).toBe(0);
    expect(['first', 'empty'].map((n) => fs.readFileSync(path.join(dir, n, 'data', 'f'), 'utf8'))).toEqual(['first', 'empty']);
    expect(fs.readlinkSync(path.join(dir, 'empty'))).toBe(`${vol}/persist/empty`);
    expect(fs.readFileSync(path.join(dir, 'full.linkplan-backup', 'data', 'f'), 'utf8')).toBe('full');
  });

  it('a folder that is a mount point, or holds one, is a conflict at plan time (it could not be moved aside, or would be copied across)', () => {
    const vol = mountTmpfs(base, { size: '4m' }) as string;
    const dir = fs.mkdtempSync(path.join(base, 'case-'));
    fs.mkdirSync(path.join(dir, 'inner'));
    const game = mountTmpfs(dir, { size: '1m' }) as string;
    const holder = path.join(dir, 'holder');
    fs.mkdirSync(holder);
    const inside = mountTmpfs(holder, { size: '1m' }) as string;
    fs.writeFileSync(path.join(dir, 'layout.yaml'), `version: 1\nlinks:\n  - { path: ${game}, target: ${vol}/a, relocate: true }\n  - { path: ${holder}, target: ${vol}/b, relocate: true }\n`);
    expect(planOnDisk(path.join(dir, 'layout.yaml')).actions.map((a) => a.reason)).toEqual([
      `cannot relocate a folder to ${vol}/a on another volume: ${game} is a mount point (another filesystem is mounted there), which cannot be moved aside`,
      `cannot relocate a folder to ${vol}/b on another volume: another filesystem is mounted at ${inside}`,
    ]);
  });

  it('a driver that cannot copy yet makes a conflict at plan time, not a failure midway', () => {
    const vol = mountTmpfs(base, { size: '4m' }) as string;
    const s = scene({ target: `${vol}/Game`, small: 3, big: 10 });
    const refusing = new (class extends PosixDriver {
      override copyRefusal(): string | undefined {
        return 'relocation across volumes is not supported on this driver yet';
      }
    })();
    const a = ofKind(only(planOnDisk(s.file, { driver: refusing })), 'conflict');
    expect(a.reason).toBe(`cannot relocate a folder to ${vol}/Game on another volume: relocation across volumes is not supported on this driver yet`);
  });
});

describe.skipIf(cannotMount())('a relocation killed midway', () => {
  // write calls: 1 mkdir (the target's folder), 2 the copy, 3 the move aside, 4 the link (a kill
  // around the link is the crash matrix's, as for any action that makes one)
  const POINTS = ['copy:0', 'copy:9', 'verify:4', 'after:2'];

  it.each(POINTS)('at %s: recover rolls back to the tree as it was; recover --forward finishes it', async (point) => {
    const vol = mountTmpfs(base, { size: '8m' }) as string;
    const run = (args: string[], s: { dir: string; state: string }, crashAt?: string): ReturnType<typeof runCliAsync> =>
      runCliAsync(args, { cwd: s.dir, state: s.state, ...(crashAt === undefined ? {} : { crashAt }) });
    // (the two ways side by side, each in a case of its own)
    const oneWay = async (forward: boolean): Promise<void> => {
      const s = scene({ target: `${vol}/${forward ? 'f' : 'b'}/Game`, small: 20, big: 200_000 });
      const killed = await run(['apply', 'layout.yaml', '--yes'], s, point);
      expect(killed.signal).toBe('SIGKILL');
      const r = await run(forward ? ['recover', 'layout.yaml', '--forward'] : ['recover', 'layout.yaml'], s);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      if (forward) {
        expect(fs.readlinkSync(s.game)).toBe(s.target);
        expect(walk(s.target)).toEqual(s.before);
        expect(walk(`${s.game}.linkplan-backup`)).toEqual(s.before);
      } else {
        expect(walk(s.game)).toEqual(s.before);
        expect(fs.existsSync(`${s.game}.linkplan-backup`)).toBe(false);
        expect(fs.existsSync(`${vol}/b`)).toBe(false);
      }
      expect((await run(['apply', 'layout.yaml', '--yes'], s)).code).toBe(0);
      expect(walk(s.target)).toEqual(s.before);
    };
    await Promise.all([oneWay(false), oneWay(true)]);
  });
});

describe.skipIf(cannotMount())('a signal during a relocation\'s copy', () => {
  it('is acted on once the copy ends, before the switch: all rolled back (the copy deleted), exit 130', async () => {
    const vol = mountTmpfs(base, { size: '8m' }) as string;
    const s = scene({ target: `${vol}/Game`, small: 10, big: 1000 });
    const gate = path.join(s.dir, 'gate');
    // held before its first write (the copy), where a signal waits as it would during the copy
    const env = childEnv({ LINKPLAN_STATE_DIR: s.state, LINKPLAN_PAUSE_AT: `1:${gate}` });
    const child = spawn(process.execPath, [entryFor(env), 'apply', 'layout.yaml', '--yes'], { cwd: s.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const done = new Promise<number | null>((resolve) => child.on('close', resolve));
    for (let waited = 0; !fs.existsSync(`${gate}.paused`) && waited < 10_000; waited += 10) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    fs.writeFileSync(gate, '');
    expect(await done).toBe(130);
    expect(stderr).toContain('apply interrupted (SIGINT): rolled back 1 step; the disk is as it was before the apply');
    expect(fs.readdirSync(vol)).toEqual([]);
    expect(walk(s.game)).toEqual(s.before);
  });
});

describe.skipIf(cannotMount())('a relocation into an empty folder (persist) killed midway', () => {
  it('is recovered both ways: the empty folder back, or the copy in its place', async () => {
    const vol = mountTmpfs(base, { size: '8m' }) as string;
    const oneWay = async (forward: boolean): Promise<void> => {
      const s = scene({ target: `${vol}/${forward ? 'f' : 'b'}/Game`, small: 10, big: 1000 });
      fs.mkdirSync(s.target, { recursive: true });
      fs.writeFileSync(s.file, fs.readFileSync(s.file, 'utf8').replace('relocate: true', 'onConflict: persist'));
      const killed = await runCliAsync(['apply', 'layout.yaml', '--yes'], { cwd: s.dir, state: s.state, crashAt: 'copy:4' });
      expect(killed.signal).toBe('SIGKILL');
      const r = await runCliAsync(forward ? ['recover', 'layout.yaml', '--forward'] : ['recover', 'layout.yaml'], { cwd: s.dir, state: s.state });
      expect(r.code).toBe(0);
      if (forward) expect(walk(s.target)).toEqual(s.before);
      else {
        expect(walk(s.game)).toEqual(s.before);
        expect(fs.readdirSync(s.target)).toEqual([]);
      }
    };
    await Promise.all([oneWay(false), oneWay(true)]);
  });
});

describe.skipIf(cannotMount())('recovering a killed relocation never deletes what the copy did not make', () => {
  it('a folder put at the copy\'s name since is left, with what it holds, and said; the original is back', async () => {
    const vol = mountTmpfs(base, { size: '8m' }) as string;
    const s = scene({ target: `${vol}/b/Game`, small: 20, big: 1000 });
    const killed = await runCliAsync(['apply', 'layout.yaml', '--yes'], { cwd: s.dir, state: s.state, crashAt: 'copy:9' });
    expect(killed.signal).toBe('SIGKILL');
    // someone moves the half copy away and puts a folder of their own there
    fs.renameSync(s.target, `${vol}/b/half`);
    fs.mkdirSync(s.target);
    fs.writeFileSync(`${s.target}/mine.txt`, 'mine');
    const r = cli(['recover', 'layout.yaml'], s);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`left ${s.target}: is not the copy this apply made any more (something else has its name now); it is left alone`);
    expect(fs.readFileSync(`${s.target}/mine.txt`, 'utf8')).toBe('mine');
    expect(walk(s.game)).toEqual(s.before);
  });
});

describe.skipIf(cannotMount())('a relocation by a user who is not root', () => {
  it('a copy with read-only folders (as the original has) is deleted whole when the relocation is rolled back', () => {
    // both volumes reachable by nobody, the case owned by nobody, every run as nobody
    fs.chmodSync(base, 0o755);
    const from = mountTmpfs(base, { size: '4m' }) as string;
    const to = mountTmpfs(base, { size: '4m' }) as string;
    const dir = path.join(from, 'case');
    fs.mkdirSync(path.join(dir, 'Game', 'ro', 'deeper'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'Game', 'ro', 'deeper', 'a'), 'a');
    fs.writeFileSync(path.join(dir, 'Game', 'ro', 'b'), 'b');
    fs.writeFileSync(path.join(dir, 'layout.yaml'), `version: 1\nlinks:\n  - { path: Game, target: ${to}/Game, relocate: true }\n`);
    spawnSync('chown', ['-R', '65534:65534', dir]);
    fs.chmodSync(path.join(dir, 'Game', 'ro', 'deeper'), 0o555);
    fs.chmodSync(path.join(dir, 'Game', 'ro'), 0o555);
    const asNobody = (args: string[], crashAt?: string): ReturnType<typeof spawnSync> => {
      const env = childEnv({ LINKPLAN_STATE_DIR: path.join(dir, 'state'), HOME: dir, ...(crashAt === undefined ? {} : { LINKPLAN_CRASH_AT: crashAt }) });
      return spawnSync(process.execPath, [entryFor(env), ...args], { cwd: dir, env, uid: 65534, gid: 65534, encoding: 'utf8', timeout: 60_000 });
    };
    // killed once the copy was made and checked (write 1), before the original moved aside
    expect(asNobody(['apply', 'layout.yaml', '--yes'], 'after:1').signal).toBe('SIGKILL');
    expect(fs.statSync(`${to}/Game/ro`).mode & 0o777).toBe(0o555);
    const r = asNobody(['recover', 'layout.yaml']);
    expect(r.stdout).not.toContain('left');
    expect(r.status).toBe(0);
    expect(fs.readdirSync(to)).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'Game', 'ro', 'deeper', 'a'), 'utf8')).toBe('a');
    expect(fs.statSync(path.join(dir, 'Game', 'ro')).mode & 0o777).toBe(0o555);
  });
});

describe('the relocate example', () => {
  it('applies in a copy (the folder moved into the drive folder, a link left), then has nothing to do', () => {
    const d = path.join(tempDir(), 'relocate');
    fs.cpSync(path.join(REPO, 'examples', 'relocate'), d, { recursive: true });
    const s = { dir: d, state: path.join(d, '.state') };
    const r = cli(['apply', 'layout.yaml', '--yes'], s);
    expect(r.code).toBe(0);
    expect(fs.readlinkSync(path.join(d, 'games', 'BigGame'))).toBe(path.join(d, 'fast-drive', 'BigGame'));
    expect(fs.readFileSync(path.join(d, 'games', 'BigGame', 'game.dat'), 'utf8')).toBe('level data\n');
    expect(cli(['apply', 'layout.yaml', '--yes'], s).stdout).toBe('No changes: the disk already matches layout.yaml (1 entry)\n');
  });
});

describe('the copy progress line', () => {
  it('counts against the plan\'s totals, draws at most ten times a second, and clears itself', () => {
    const plan = { actions: [{ kind: 'relocate', copy: { bytes: 3 * 1024 * 1024, files: 40, folders: 1, links: 0, hardLinked: 0 } }] } as unknown as Plan;
    const drawn: string[] = [];
    const line = copyProgressLine(plan, (s) => drawn.push(s));
    line?.onCopy({ phase: 'copy', bytes: 1024 * 1024, files: 10, path: '/x' });
    line?.onCopy({ phase: 'copy', bytes: 2 * 1024 * 1024, files: 20, path: '/y' });
    line?.clear();
    expect(drawn).toEqual(['\r\x1b[2K  copying: 1.0 MiB of 3.0 MiB, 10 of 40 files', '\r\x1b[2K']);
    expect(copyProgressLine({ actions: [] } as unknown as Plan, () => undefined)).toBeUndefined();
  });
});

describe.skipIf(skipNtfs3gTests())('a relocation onto an NTFS volume (ntfs-3g)', () => {
  it('is a conflict at plan time: that driver does not copy trees yet', async () => {
    const vol = await mountFreshVolume({ sizeMiB: 8 });
    try {
      const dir = tempDir();
      fs.mkdirSync(path.join(dir, 'Game'));
      fs.writeFileSync(path.join(dir, 'Game', 'f'), 'f');
      fs.writeFileSync(path.join(dir, 'layout.yaml'), `version: 1\nvolumes:\n  - { mount: ${vol.mountPoint}, windows: "D:" }\nlinks:\n  - { path: Game, target: ${vol.mountPoint}/Game, relocate: true }\n`);
      const r = runCli(['plan', 'layout.yaml'], { cwd: dir });
      expect(r.stdout).toContain(`! conflict Game: cannot relocate a folder to ${vol.mountPoint}/Game on another volume: relocation across volumes is not supported on this driver yet (from or to an NTFS volume listed under volumes:)`);
      expect(fs.readdirSync(path.join(dir, 'Game'))).toEqual(['f']);
    } finally {
      await vol.dispose();
    }
  });
});
