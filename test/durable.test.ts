// The durable parts of apply besides crashes and locks: a journal-backed apply failing at every
// write leaves the exact tree and a closed journal; --prune removes only links linkplan made and
// that are still as it made them; `state: absent` never removes a real file or folder; backups are
// listed, restored and pruned, and never overwrite each other; the state folder is where
// --state-dir or LINKPLAN_STATE_DIR say, and the journal is versioned JSON lines a person can read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { Records } from '../src/state/records.js';
import { DAMAGED_JOURNAL_HINT } from '../src/state/journal/format.js';
import { FileJournal, retouchedSteps } from '../src/state/journal/writer.js';
import { readJournal } from '../src/state/journal/reader.js';
import type { Step } from '../src/apply/steps.js';
import { DriverDecorator, FaultyDriver } from '../src/drivers/decorators.js';
import type { WriteCall } from '../src/drivers/driver.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { ApplyError, StalePlanError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import { loadManifest } from '../src/manifest/load.js';
import { observe } from '../src/plan/observe.js';
import { computePlan } from '../src/plan/planner.js';
import type { Plan } from '../src/core/types.js';
import { runCli } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type TreeSpec } from './helpers/tree.js';
import { cliProject, expectOk, type CliProject } from './helpers/project.js';

const posix = new PosixDriver();

function planOf(root: string): Plan {
  const loaded = loadManifest(path.join(root, 'layout.yaml'), { driver: posix, env: {}, platform: 'linux', hostname: 'host', home: '/nonexistent-home' });
  return computePlan(loaded.desired, observe(loaded.desired, posix, { platform: 'linux', links: loaded.links }), { links: loaded.links, manifest: { path: loaded.file, digest: loaded.digest } });
}

function journalLines(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const FAULT_MANIFEST = `version: 1
links:
  - { path: links/a, target: t/f1 }
  - { path: new/deep/b, target: t/f2 }
  - { path: links/rel, target: t/f1, relative: true }
  - { path: links/hl, target: t/f4, type: hardlink }
  - { path: cur, target: t/v2, onConflict: backup }
  - { path: links/s2h, target: t/f4, type: hardlink, onConflict: backup }
  - { path: rm/l1, state: absent }
  - { path: rm/h, state: absent, target: t/f6 }
  - { path: old, state: absent }
  - { path: old/new, target: t/f1 }
  - { path: home/.rc, target: t/rc, onConflict: backup }
  - { path: home/.cfg, target: t/cfgdir, onConflict: backup }
  - { path: home/data, target: t/data, onConflict: adopt }
  - { path: home/notes.txt, target: t/new/sub/notes.txt, onConflict: adopt }
`;

function faultTree(root: string): TreeSpec {
  return {
    'layout.yaml': FAULT_MANIFEST,
    t: { f1: 'one', f2: 'two', f4: 'four', f6: 'six', rc: 'rc', v1: { V: '1' }, v2: { V: '2' }, cfgdir: { x: 'x' } },
    links: { s2h: { link: path.join(root, 't/f1') } },
    cur: { link: path.join(root, 't/v1') },
    old: { link: 't' },
    rm: { l1: { link: '../t/f1' }, h: { hardlink: '../t/f6' } },
    home: { '.rc': 'mine', '.cfg': { s: 's' }, data: { d: 'd' }, 'notes.txt': 'notes' },
  };
}

/** Counts the write calls that reach it. */
class Counting extends DriverDecorator {
  n = 0;
  protected override write(_call: WriteCall, _p: AbsPath, run: () => void): void {
    this.n++;
    run();
  }
}

describe('a journal-backed apply (FileJournal in a state folder) failing at every write', () => {
  it('leaves the exact tree and a closed journal: journal.last.jsonl ends rolled-back, no journal.jsonl', async () => {
    const base = tempDir();
    const root = path.join(base, 'w');
    const build = (): void => {
      fs.rmSync(root, { recursive: true, force: true });
      writeTree(root, faultTree(root));
    };
    build();
    const count = new Counting(posix);
    await applyPlan(planOf(root), count);
    const writes = count.n;
    expect(writes).toBe(25);
    const codes = ['EACCES', 'ENOSPC', 'EBUSY', 'EXDEV'];
    for (let n = 1; n <= writes; n++) {
      const ctx = `failing write ${n}`;
      build();
      const plan = planOf(root);
      const start = snapshot(root);
      const stateDir = path.join(base, `state-${n}`);
      fs.mkdirSync(stateDir);
      const journal = FileJournal.create(stateDir, { manifest: plan.manifest.path, actions: plan.actions.filter((a) => a.kind !== 'noop') });
      const err = await applyPlan(plan, new FaultyDriver(posix, { failAt: n, code: codes[n % 4] ?? 'EIO' }), { journal }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, ctx).toBeInstanceOf(ApplyError);
      expect((err as ApplyError).rolledBack, ctx).toBe(n - 1);
      expect(snapshot(root), ctx).toEqual(start);
      expect(fs.readdirSync(stateDir), ctx).toEqual(['journal.last.jsonl']);
      const last = path.join(stateDir, 'journal.last.jsonl');
      const lines = journalLines(last);
      expect(lines.at(-1), ctx).toMatchObject({ close: 'rolled-back' });
      const rec = readJournal(last);
      expect(rec?.closed, ctx).toBe('rolled-back');
      expect(rec?.header?.steps, ctx).toHaveLength(writes);
      expect([...(rec?.begun ?? [])], ctx).toEqual(Array.from({ length: writes }, (_, i) => i));
      // every step that ran was undone, newest first, each one's intent written ahead of it
      expect(rec?.done.size, ctx).toBe(0);
      const undos = lines.filter((l) => 'undoing' in l || 'undone' in l).map((l) => ('undoing' in l ? `undoing ${String(l['undoing'])}` : `undone ${String(l['undone'])}`));
      expect(undos, ctx).toEqual(Array.from({ length: n - 1 }, (_, i) => [`undoing ${n - 2 - i}`, `undone ${n - 2 - i}`]).flat());
    }
  });

  it('refused by its checks before the first write, leaves no journal to recover and keeps the last one', async () => {
    const base = tempDir();
    const root = path.join(base, 'w');
    writeTree(root, faultTree(root));
    const stateDir = path.join(base, 'state');
    fs.mkdirSync(stateDir);
    fs.writeFileSync(path.join(stateDir, 'journal.last.jsonl'), '{"format":"linkplan-journal","version":1}\n{"close":"committed"}\n');
    const plan = planOf(root);
    fs.symlinkSync('drifted', path.join(root, 'links/a'));
    const start = snapshot(root);
    const journal = FileJournal.create(stateDir, { manifest: plan.manifest.path, actions: plan.actions });
    await expect(applyPlan(plan, posix, { journal })).rejects.toBeInstanceOf(StalePlanError);
    expect(snapshot(root)).toEqual(start);
    expect(fs.readdirSync(stateDir)).toEqual(['journal.last.jsonl']);
    expect(fs.readFileSync(path.join(stateDir, 'journal.last.jsonl'), 'utf8')).toBe('{"format":"linkplan-journal","version":1}\n{"close":"committed"}\n');
  });

  it('through the CLI: a stale saved plan is refused, and the next apply is not blocked by a leftover journal', () => {
    const p = cliProject('version: 1\nlinks:\n  - { path: a, target: t/f }\n', { t: { f: 'f' } });
    expectOk(p.run(['plan', 'layout.yaml', '--out', 'plan.json']));
    fs.symlinkSync('elsewhere', path.join(p.d, 'a'));
    const stale = p.run(['apply', 'plan.json']);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(`plan is stale: ${path.join(p.d, 'a')}`);
    expect(fs.existsSync(path.join(p.stateDir(), 'journal.jsonl'))).toBe(false);
    fs.unlinkSync(path.join(p.d, 'a'));
    const r = p.run(['apply', 'layout.yaml']);
    expectOk(r);
    expect(r.stdout).toMatch(/^Applied: 1 to create/m);
  });
});

describe('apply --prune and ownership', () => {
  const V1 = `version: 1
links:
  - { path: keep, target: t/f1 }
  - { path: drop/plain, target: t/f2 }
  - { path: drop/hard, target: t/f3, type: hardlink }
  - { path: drop/repointed, target: t/f2 }
  - { path: drop/replaced, target: t/f2 }
  - { path: drop/premade, target: t/f4 }
`;
  const V2 = `version: 1
links:
  - { path: keep, target: t/f1 }
`;

  it('removes exactly the links linkplan made that are still as it made them; leaves the rest, and says so', () => {
    // drop/premade is already right before the first apply: linkplan did not make it
    const p = cliProject(V1, { t: { f1: '1', f2: '2', f3: '3', f4: '4', f9: '9' }, drop: { premade: { link: 'placeholder' } } });
    fs.unlinkSync(path.join(p.d, 'drop/premade'));
    fs.symlinkSync(path.join(p.d, 't/f4'), path.join(p.d, 'drop/premade'));
    const first = p.run(['apply', 'layout.yaml']);
    expectOk(first);
    expect(first.stdout).toMatch(/^Applied: 5 to create, 0 to retarget, 0 to remove, 1 unchanged$/m);
    // the first apply's records are its committed journal: records.json, written before it, is empty
    expect(fs.readdirSync(p.stateDir()).sort()).toEqual(['journal.last.jsonl', 'manifest.cache.json', 'records.json']);
    expect(JSON.parse(fs.readFileSync(path.join(p.stateDir(), 'records.json'), 'utf8'))).toEqual({ version: 3, manifest: path.join(p.d, 'layout.yaml'), owned: {}, backups: [] });
    const records = Records.load(p.stateDir(), path.join(p.d, 'layout.yaml'));
    expect(records.owned().get(path.join(p.d, 'keep'))).toEqual({ type: 'symlink', target: path.join(p.d, 't/f1'), linkText: path.join(p.d, 't/f1'), at: expect.stringMatching(/^\d{4}-/) as string });
    expect([...records.owned().keys()].sort()).toEqual(['drop/hard', 'drop/plain', 'drop/replaced', 'drop/repointed', 'keep'].map((s) => path.join(p.d, s)));

    fs.writeFileSync(path.join(p.d, 'layout.yaml'), V2);
    // the user re-points one dropped link and replaces another with a real file
    fs.unlinkSync(path.join(p.d, 'drop/repointed'));
    fs.symlinkSync(path.join(p.d, 't/f9'), path.join(p.d, 'drop/repointed'));
    fs.unlinkSync(path.join(p.d, 'drop/replaced'));
    fs.writeFileSync(path.join(p.d, 'drop/replaced'), 'my own file now');

    // without --prune, dropping an entry changes nothing
    const plain = p.run(['apply', 'layout.yaml']);
    expectOk(plain);
    expect(plain.stdout).toMatch(/^No changes/);

    const before = snapshot(p.d);
    const plan = p.run(['plan', 'layout.yaml', '--prune', '--verbose']);
    expectOk(plan);
    expect(plan.stdout).toMatch(/^ {2}- remove +drop\/plain\b/m);
    expect(plan.stdout).toMatch(/^ {2}- remove +drop\/hard +\(a hard link of t\/f3\)/m);
    expect(plan.stdout).toMatch(/^ {2}= ok +drop\/repointed -> t\/f9/m);
    expect(plan.stdout).toContain('prune: left alone; linkplan made a symlink to');
    expect(plan.stdout).toContain('Plan: 0 to create, 0 to retarget, 2 to remove, 3 unchanged');
    expect(plan.stdout).not.toContain('premade');
    // without --verbose the unchanged entries are not listed, but what prune leaves alone is
    const terse = p.run(['plan', 'layout.yaml', '--prune']);
    expectOk(terse);
    expect(terse.stdout).not.toMatch(/= ok/);
    expect(terse.stdout).toContain(`Left alone (not pruned): drop/replaced: linkplan made a symlink to ${path.join(p.d, 't/f2')} here, and it is now a regular file\n`);
    const json = JSON.parse(p.run(['plan', 'layout.yaml', '--prune', '--json']).stdout) as { actions: { kind: string; path: string; reason: string }[] };
    expect(json.actions.map((a) => `${a.kind} ${path.relative(p.d, a.path)}`).sort()).toEqual(['noop drop/replaced', 'noop drop/repointed', 'noop keep', 'remove drop/hard', 'remove drop/plain']);
    expect(json.actions.find((a) => a.path.endsWith('replaced'))?.reason).toBe(`prune: left alone; linkplan made a symlink to ${path.join(p.d, 't/f2')} here, and it is now a regular file`);
    expect(snapshot(p.d), 'plan changes nothing').toEqual(before);

    const applied = p.run(['apply', 'layout.yaml', '--prune', '--yes']);
    expectOk(applied);
    expect(applied.stdout).toContain(`Left alone (not pruned): drop/repointed: linkplan made a symlink to ${path.join(p.d, 't/f2')} here, and it is now a symbolic link to ${path.join(p.d, 't/f9')}\n`);
    expect(applied.stdout).toContain(`Left alone (not pruned): drop/replaced: linkplan made a symlink to ${path.join(p.d, 't/f2')} here, and it is now a regular file\n`);
    expect(applied.stdout).toMatch(/^Applied: 0 to create, 0 to retarget, 2 to remove, 3 unchanged$/m);
    const after = snapshot(p.d);
    const expected = { ...before };
    delete expected['drop/plain'];
    delete expected['drop/hard'];
    expected['t/f3'] = { ...(before['t/f3'] as { kind: 'file'; content: string; nlink: number; mode: number }), nlink: 1 };
    expect(after).toEqual(expected);
    expect(fs.readFileSync(path.join(p.d, 'drop/replaced'), 'utf8')).toBe('my own file now');
    expect(fs.readlinkSync(path.join(p.d, 'drop/premade'))).toBe(path.join(p.d, 't/f4'));

    // linkplan no longer claims the links it pruned or left alone; a second prune has nothing to do
    expect([...Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).owned().keys()]).toEqual([path.join(p.d, 'keep')]);
    // records.json took in the first apply (and the links found changed) before the prune's
    // journal took the first one's place; the prune itself is its journal
    const file = JSON.parse(fs.readFileSync(path.join(p.stateDir(), 'records.json'), 'utf8')) as { version: number; owned: Record<string, unknown>; journal: string };
    expect(file.version).toBe(3);
    // a link's text is written only where it is not its target
    expect(file.owned[path.join(p.d, 'keep')]).toEqual({ type: 'symlink', target: path.join(p.d, 't/f1'), at: expect.stringMatching(/^\d{4}-/) as string });
    expect(Object.keys(file.owned).sort()).toEqual(['drop/hard', 'drop/plain', 'keep'].map((s) => path.join(p.d, s)));
    const lastClose = JSON.parse(fs.readFileSync(path.join(p.stateDir(), 'journal.last.jsonl'), 'utf8').trimEnd().split('\n').at(-1) ?? '') as { id: string };
    expect(file.journal).not.toBe(lastClose.id);
    const again = p.run(['apply', 'layout.yaml', '--prune', '--yes']);
    expectOk(again);
    expect(again.stdout).toMatch(/^No changes/);
    expect(snapshot(p.d)).toEqual(after);
  });

  it('refuses the version 1 records an earlier linkplan wrote, saying what to do, and changes nothing', () => {
    const p = cliProject('version: 1\nlinks:\n  - { path: keep, target: t/f1 }\n', { t: { f1: '1', f2: '2' }, n: {} });
    const abs = path.join(p.d, 't/f2');
    fs.symlinkSync(abs, path.join(p.d, 'n/old'));
    fs.mkdirSync(p.stateDir(), { recursive: true });
    const v1 = { version: 1, manifest: path.join(p.d, 'layout.yaml'), owned: { [path.join(p.d, 'n/old')]: { type: 'symlink', target: abs, linkText: abs, at: '2026-01-01T00:00:00.000Z' } }, backups: [] };
    const file = path.join(p.stateDir(), 'records.json');
    fs.writeFileSync(file, JSON.stringify(v1));
    const before = snapshot(p.d);
    const r = p.run(['apply', 'layout.yaml', '--prune', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `linkplan: ${file}: records format 1 is from an earlier linkplan; this one reads format 3 only\n` +
        '  hint: list its backups with `linkplan backups list MANIFEST` of the linkplan that wrote it, then move the state folder aside to start new records (linkplan then forgets the links and backups listed there; the disk keeps them)\n',
    );
    expect(snapshot(p.d)).toEqual(before);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual(v1);
  });

  it('state: absent removes a link linkplan did not make, but never a real file or folder', () => {
    const p = cliProject('version: 1\nlinks:\n  - { path: theirs, state: absent }\n', { t: { f: 'f' }, theirs: { link: 't/f' }, real: 'data', realdir: { x: 'x' } });
    const r = p.run(['apply', 'layout.yaml', '--yes']);
    expectOk(r);
    expect(r.stdout).toMatch(/^Applied: 0 to create, 0 to retarget, 1 to remove/m);
    expect(fs.existsSync(path.join(p.d, 'theirs'))).toBe(false);
    expect(fs.readFileSync(path.join(p.d, 't/f'), 'utf8')).toBe('f');
    for (const what of ['real', 'realdir']) {
      fs.writeFileSync(path.join(p.d, 'layout.yaml'), `version: 1\nlinks:\n  - { path: ${what}, state: absent }\n`);
      const before = snapshot(p.d);
      const x = p.run(['apply', 'layout.yaml', '--yes']);
      expect(x.code, what).toBe(1);
      expect(x.stdout, what).toContain(`! conflict ${what}: is a ${what === 'real' ? 'regular file' : 'folder'}, not a link; linkplan never deletes files or folders`);
      expect(snapshot(p.d), what).toEqual(before);
    }
  });
});

describe('backups', () => {
  const MANIFEST = `version: 1
links:
  - { path: home/rc, target: t/rc, onConflict: backup }
  - { path: home/cfg, target: t/cfgdir, onConflict: backup }
  - { path: home/data, target: t/data, onConflict: adopt }
`;
  const TREE: TreeSpec = { t: { rc: 'managed', cfgdir: { k: 'v' } }, home: { rc: 'first rc', cfg: { mine: 'm' }, data: { d: 'd' } } };

  it('lists, never overwrites an earlier backup, restores, refuses to restore over something real, and prunes by age', () => {
    const p = cliProject(MANIFEST, TREE);
    const h = (s: string): string => path.join(p.d, 'home', s);
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    // something real is back in the way: the second backup gets the next free name
    fs.unlinkSync(h('rc'));
    fs.writeFileSync(h('rc'), 'second rc');
    const second = p.run(['apply', 'layout.yaml', '--yes']);
    expectOk(second);
    expect(second.stdout).toMatch(/^Applied: 0 to create, 0 to retarget, 0 to remove, 2 unchanged, 1 to back up and link$/m);
    expect(fs.readFileSync(h('rc.linkplan-backup'), 'utf8')).toBe('first rc');
    expect(fs.readFileSync(h('rc.linkplan-backup-2'), 'utf8')).toBe('second rc');

    const list = p.run(['backups', 'list', 'layout.yaml']);
    expectOk(list);
    const day = '\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d';
    expect(list.stdout).toMatch(
      new RegExp(
        [
          `^ {4}1  ${day}  backed up  home/rc -> home/rc\\.linkplan-backup  8 bytes`,
          `    2  ${day}  backed up  home/cfg -> home/cfg\\.linkplan-backup  1 byte`,
          `    3  ${day}  adopted   home/data -> t/data`,
          `    4  ${day}  backed up  home/rc -> home/rc\\.linkplan-backup-2  9 bytes`,
          '4 backups \\(18 bytes\\); restore one with `linkplan backups restore layout.yaml ID`\n$',
        ].join('\n'),
      ),
    );

    // restore the first rc: the link goes, the file comes back
    const restored = p.run(['backups', 'restore', 'layout.yaml', '1']);
    expectOk(restored);
    expect(restored.stdout).toBe(`Restored backup 1: ${h('rc.linkplan-backup')} is back at ${h('rc')} (the link that was there is removed)\n`);
    expect(fs.lstatSync(h('rc')).isFile()).toBe(true);
    expect(fs.readFileSync(h('rc'), 'utf8')).toBe('first rc');
    expect(fs.existsSync(h('rc.linkplan-backup'))).toBe(false);
    // the second rc cannot go back over it
    const before = snapshot(p.d);
    const refused = p.run(['backups', 'restore', 'layout.yaml', '4']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(`linkplan: ${h('rc')}: something that is not a link is there now\n  hint: move it away first; restore never overwrites anything\n`);
    expect(snapshot(p.d)).toEqual(before);
    expect(p.run(['backups', 'restore', 'layout.yaml', '9']).stderr).toContain('backup 9: no such backup');

    // backups 2 (cfg) and 3 (adopted data) are made two hours old; 4 stays new
    const recordsFile = path.join(p.stateDir(), 'records.json');
    const records = JSON.parse(fs.readFileSync(recordsFile, 'utf8')) as { backups: { id: number; at: string }[] };
    const old = new Date(Date.now() - 2 * 3_600_000).toISOString();
    for (const b of records.backups) if (b.id !== 4) b.at = old;
    fs.writeFileSync(recordsFile, JSON.stringify(records, null, 2));
    const unasked = p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1m']);
    expect(unasked.code).toBe(1);
    expect(unasked.stderr).toContain('deleting backups needs confirmation, and there is no terminal to ask');
    expect(snapshot(p.d)).toEqual(before);
    const pruned = p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1m', '--yes']);
    expectOk(pruned);
    expect(pruned.stdout).toBe(`Deleted backup 2: ${h('cfg.linkplan-backup')} (1 file and 1 folder)\nPruned 2 backup records; deleted 1 backup\n`);
    expect(fs.existsSync(h('cfg.linkplan-backup'))).toBe(false);
    // adopted content is the link's target: it stays, and so does the newer backup
    expect(fs.readFileSync(path.join(p.d, 't/data/d'), 'utf8')).toBe('d');
    expect(fs.readlinkSync(h('data'))).toBe(path.join(p.d, 't/data'));
    expect(fs.readFileSync(h('rc.linkplan-backup-2'), 'utf8')).toBe('second rc');
    const after = p.run(['backups', 'list', 'layout.yaml']);
    expect(after.stdout).toMatch(new RegExp(`^ {4}4  ${day}  backed up  home/rc -> home/rc\\.linkplan-backup-2  9 bytes\n1 backup \\(9 bytes\\); `));
    expect(p.run(['backups', 'prune', 'layout.yaml', '--older-than', '1h', '--yes']).stdout).toBe('No backups older than 1h\n');
  });

  it('restores adopted content to where it was', () => {
    const p = cliProject(MANIFEST, TREE);
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    const r = p.run(['backups', 'restore', 'layout.yaml', '3']);
    expectOk(r);
    expect(fs.lstatSync(path.join(p.d, 'home/data')).isDirectory()).toBe(true);
    expect(fs.readFileSync(path.join(p.d, 'home/data/d'), 'utf8')).toBe('d');
    expect(fs.existsSync(path.join(p.d, 't/data'))).toBe(false);
  });

  it('lists nothing for a manifest without backups', () => {
    const p = cliProject('version: 1\nlinks: []\n', {});
    expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toBe('No backups recorded for layout.yaml\n');
  });
});

describe('the state folder and the journal', () => {
  it('FileJournal makes its state folder, and says plainly when it cannot write there (not "an unfinished apply")', () => {
    const base = tempDir();
    const fresh = path.join(base, 'not', 'yet');
    const j = FileJournal.create(fresh, { manifest: path.join(base, 'layout.yaml'), actions: [] });
    j.close('refused');
    expect(fs.readdirSync(fresh)).toEqual([]);
    fs.writeFileSync(path.join(base, 'file'), 'a file, not a folder');
    expect(() => FileJournal.create(path.join(base, 'file', 'state'), { manifest: 'm', actions: [] })).toThrow(/cannot write the journal \(ENOTDIR\); nothing was changed$/);
    const busy = path.join(base, 'busy');
    FileJournal.create(busy, { manifest: 'm', actions: [] });
    expect(() => FileJournal.create(busy, { manifest: 'm', actions: [] })).toThrow(/an unfinished apply left this journal/);
  });

  it('refuses to change anything when the records are damaged or from a newer linkplan, and never overwrites them', () => {
    const p = cliProject('version: 1\nlinks:\n  - { path: a, target: t/f1 }\n', { t: { f1: '1', f2: '2' } });
    expectOk(p.run(['apply', 'layout.yaml']));
    const recordsFile = path.join(p.stateDir(), 'records.json');
    fs.writeFileSync(path.join(p.d, 'layout.yaml'), 'version: 1\nlinks:\n  - { path: a, target: t/f1 }\n  - { path: b, target: t/f2 }\n');
    for (const [text, why] of [
      ['{"version": 4, "owned": {}, "backups": []}\n', 'records format 4 is newer than this linkplan reads (3)'],
      ['{"version": 2, "owned": {}, "backups": []}\n', 'records format 2 is from an earlier linkplan; this one reads format 3 only'],
      ['{"version": 3, "owned": {}, "backups": [], "journal": 7}\n', "linkplan's records are damaged (the journal they name is not an id)"],
      ['{"version": 1, "owned": {', "linkplan's records are damaged (not JSON)"],
      ['{"version": 3, "owned": {"/x": {"type": "symlink"}}, "backups": []}\n', "linkplan's records are damaged (the link recorded at /x is not one linkplan writes)"],
    ] as const) {
      fs.writeFileSync(recordsFile, text);
      const r = p.run(['apply', 'layout.yaml']);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${recordsFile}: ${why}`);
      expect(fs.lstatSync(path.join(p.d, 'b'), { throwIfNoEntry: false })).toBeUndefined();
      expect(fs.readFileSync(recordsFile, 'utf8')).toBe(text);
      expect(fs.existsSync(path.join(p.stateDir(), 'journal.jsonl'))).toBe(false);
    }
  });

  it('keeps the records as records.json and the last committed journal: each apply taken in once, none lost to a later one', () => {
    const BK = 'version: 1\nlinks:\n  - { path: rc, target: t/f1, onConflict: backup }\n';
    const p = cliProject(BK, { t: { f1: '1', f2: '2', f3: '3' }, rc: 'mine' });
    const manifest = path.join(p.d, 'layout.yaml');
    const list = (): string => p.run(['backups', 'list', 'layout.yaml']).stdout;
    const backupsLine = /^ {4}1 .* backed up {2}rc -> rc\.linkplan-backup {2}4 bytes\n1 backup \(4 bytes\); /;
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    // the apply wrote its actions once, in its journal; reading the records (any number of times) takes it in once
    expect(JSON.parse(fs.readFileSync(path.join(p.stateDir(), 'records.json'), 'utf8'))).toMatchObject({ version: 3, owned: {}, backups: [] });
    expect(list()).toMatch(backupsLine);
    expect(list()).toMatch(backupsLine);
    // the next apply writes records.json (with the first apply, which it names) before its own journal replaces the first
    fs.writeFileSync(manifest, BK + '  - { path: two, target: t/f2, onConflict: backup }\n');
    fs.writeFileSync(path.join(p.d, 'two'), 'mine too');
    expectOk(p.run(['apply', 'layout.yaml', '--yes']));
    const file = JSON.parse(fs.readFileSync(path.join(p.stateDir(), 'records.json'), 'utf8')) as { owned: Record<string, unknown>; backups: unknown[]; journal: string };
    expect(Object.keys(file.owned)).toEqual([path.join(p.d, 'rc')]);
    expect(file.backups).toHaveLength(1);
    expect(list()).toMatch(/^ {4}1 .* backed up {2}rc -> rc\.linkplan-backup {2}4 bytes\n {4}2 .* backed up {2}two -> two\.linkplan-backup {2}8 bytes\n2 backups \(12 bytes\); /);
    // a change made here (a restore) writes records.json with the second apply in it, which is then not taken in again
    expectOk(p.run(['backups', 'restore', 'layout.yaml', '1']));
    expect(list()).toMatch(/^ {4}2 .* backed up {2}two -> two\.linkplan-backup {2}\d+ bytes?\n1 backup \(\d+ bytes?\); /);
    fs.writeFileSync(manifest, 'version: 1\nlinks:\n  - { path: two, target: t/f2, onConflict: backup }\n');
    const kept = /^ {4}2 .* backed up {2}two -> two\.linkplan-backup {2}\d+ bytes?\n1 backup \(\d+ bytes?\); /;
    // (the restore put the file back where the link rc was: linkplan owns only two now)
    expect([...Records.load(p.stateDir(), manifest).owned().keys()]).toEqual([path.join(p.d, 'two')]);
    // an apply killed midway and rolled back leaves the records as they were: the last committed apply included
    const apply3 = 'version: 1\nlinks:\n  - { path: two, target: t/f2, onConflict: backup }\n  - { path: three, target: t/f3 }\n  - { path: four, target: t/f3 }\n';
    fs.writeFileSync(manifest, apply3);
    expectOk(p.run(['apply', 'layout.yaml']));
    fs.writeFileSync(manifest, apply3 + '  - { path: five, target: t/f3 }\n  - { path: six, target: t/f3 }\n');
    const killed = runCli(['apply', 'layout.yaml', '--yes'], { cwd: p.d, env: { LINKPLAN_STATE_DIR: p.state, LINKPLAN_CRASH_AT: 'after:1' } });
    expect(killed.code).toBeNull();
    expectOk(p.run(['recover', 'layout.yaml']));
    expect(fs.readFileSync(path.join(p.stateDir(), 'journal.last.jsonl'), 'utf8')).toMatch(/\{"close":"recovered",[^\n]*\}\n$/);
    expect(list()).toMatch(kept);
    expect([...Records.load(p.stateDir(), manifest).owned().keys()].sort()).toEqual(['four', 'three', 'two'].map((n) => path.join(p.d, n)));
    // and prune goes by them: dropping `three` and `four` removes the links linkplan made
    fs.writeFileSync(manifest, 'version: 1\nlinks:\n  - { path: two, target: t/f2, onConflict: backup }\n');
    const pruned = p.run(['apply', 'layout.yaml', '--prune', '--yes']);
    expectOk(pruned);
    expect(pruned.stdout).toMatch(/^Applied: 0 to create, 0 to retarget, 2 to remove, 1 unchanged$/m);
    expect(fs.existsSync(path.join(p.d, 'three'))).toBe(false);
    expect(fs.existsSync(path.join(p.d, 'four'))).toBe(false);
    expect(list()).toMatch(kept);
  });

  it('recover writes the last committed apply into records.json before the journal it closes takes its place', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    expectOk(p.run(['apply', 'layout.yaml']));
    // an apply that records.json was not brought up to date for (a library's, say), killed before its first step
    const header = { format: 'linkplan-journal', version: 4, pid: 1, host: 'h', started: '2026-01-01T00:00:00.000Z', manifest: path.join(p.d, 'layout.yaml'), actions: [{ kind: 'create', path: path.join(p.d, 'c'), link: { type: 'symlink', target: path.join(p.d, 't/f') } }], steps: [[['link', '', 0]]] };
    fs.writeFileSync(path.join(p.stateDir(), 'journal.jsonl'), `${JSON.stringify(header)}\n{"begin":[0]}\n`);
    const r = p.run(['recover', 'layout.yaml']);
    expectOk(r);
    expect(r.stdout).toMatch(/^Rolled back the interrupted apply: undid 0 steps/);
    expect([...Records.load(p.stateDir(), path.join(p.d, 'layout.yaml')).owned().keys()].sort()).toEqual([path.join(p.d, 'a'), path.join(p.d, 'n/b')]);
  });

  it('refuses to change anything when the last journal is damaged, naming it; recover still runs, and warns', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    expectOk(p.run(['apply', 'layout.yaml']));
    const last = path.join(p.stateDir(), 'journal.last.jsonl');
    const good = fs.readFileSync(last, 'utf8');
    fs.writeFileSync(path.join(p.d, 'layout.yaml'), M + '  - { path: c, target: t/f }\n');
    for (const [text, why] of [
      [good.replace(/\{"close":[^\n]*\n$/, '{"close":"committed","at":\n'), 'its last line is not a journal record'],
      [good.replace(/,"id":"[^"]*"/, ',"id":5'), 'its close record has no id and time'],
      ['{"format":"linkplan-journal"\n' + good.slice(good.indexOf('\n') + 1), 'its first line is not a journal header'],
      ['{"format":"linkplan-journal","version":"4"}\n' + good.slice(good.indexOf('\n') + 1), 'its format version "4" is not a version'],
    ] as const) {
      fs.writeFileSync(last, text);
      const r = p.run(['apply', 'layout.yaml']);
      expect(r.code, why).toBe(1);
      expect(r.stderr, why).toBe(`linkplan: ${last}: the last apply's journal is damaged (${why}); it holds that apply's part of the records\n  hint: ${DAMAGED_JOURNAL_HINT}\n`);
      expect(r.stderr, why).not.toMatch(/move it .*aside/);
      expect(fs.existsSync(path.join(p.d, 'c')), why).toBe(false);
      expect(fs.readFileSync(last, 'utf8'), why).toBe(text);
    }
    // a later format is refused as such, naming the file and what to do
    const later = '{"format":"linkplan-journal","version":99}\n' + good.slice(good.indexOf('\n') + 1);
    fs.writeFileSync(last, later);
    const newer = p.run(['apply', 'layout.yaml']);
    expect(newer.code).toBe(1);
    expect(newer.stderr).toBe(`linkplan: ${last}: last journal format 99 is newer than this linkplan reads (5)\n  hint: use the linkplan that wrote it, or a later one\n`);
    expect(fs.readFileSync(last, 'utf8')).toBe(later);
    // an interrupted apply is recovered all the same
    fs.writeFileSync(last, good);
    const killed = runCli(['apply', 'layout.yaml'], { cwd: p.d, env: { LINKPLAN_STATE_DIR: p.state, LINKPLAN_CRASH_AT: 'after:1' } });
    expect(killed.code).toBeNull();
    fs.writeFileSync(last, good.replace(/,"id":"[^"]*"/, ',"id":5'));
    const rec = p.run(['recover', 'layout.yaml']);
    expect(rec.code).toBe(0);
    expect(rec.stderr).toContain(`linkplan: warning: ${last}: the last apply's journal is damaged`);
    expect(rec.stdout).toMatch(/^Rolled back the interrupted apply: undid 1 step/);
    expect(fs.existsSync(path.join(p.d, 'c'))).toBe(false);
  });

  const M = 'version: 1\nlinks:\n  - { path: a, target: t/f }\n  - { path: n/b, target: t/f }\n';

  it('is --state-dir when given, else $LINKPLAN_STATE_DIR, one folder per manifest', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    const explicit = path.join(tempDir(), 'explicit');
    const r = p.run(['apply', 'layout.yaml', '--state-dir', explicit]);
    expectOk(r);
    expect(fs.existsSync(p.state)).toBe(false);
    const dirs = fs.readdirSync(explicit);
    expect(dirs).toHaveLength(1);
    expect(dirs[0]).toMatch(/^layout-[0-9a-f]{12}$/);
    expect(fs.readdirSync(path.join(explicit, dirs[0] ?? '')).sort()).toEqual(['journal.last.jsonl', 'manifest.cache.json', 'records.json']);
    // the environment's state folder knows nothing of that apply
    expect(p.run(['backups', 'list', 'layout.yaml']).stdout).toBe('No backups recorded for layout.yaml\n');
    // an interrupted apply under --state-dir is seen there, and only there
    fs.writeFileSync(path.join(p.d, 'layout.yaml'), M + '  - { path: c, target: t/f }\n');
    const killed = runCli(['apply', 'layout.yaml', '--state-dir', explicit], { cwd: p.d, env: { LINKPLAN_STATE_DIR: p.state, LINKPLAN_CRASH_AT: 'after:1' } });
    expect(killed.code).toBeNull();
    const refused = p.run(['plan', 'layout.yaml', '--state-dir', explicit]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`left its journal ${path.join(explicit, dirs[0] ?? '', 'journal.jsonl')}`);
    expectOk(p.run(['plan', 'layout.yaml']));
    expect(p.run(['recover', 'layout.yaml']).stdout).toBe('Nothing to recover: no unfinished apply of layout.yaml\n');
    const rec = p.run(['recover', 'layout.yaml', '--state-dir', explicit]);
    expectOk(rec);
    expect(rec.stdout).toBe(`Rolled back the interrupted apply: undid 1 step; the disk is as it was before it\n  create symlink ${path.join(p.d, 'c')} -> ${path.join(p.d, 't/f')}\n`);
    expect(fs.existsSync(path.join(p.d, 'c'))).toBe(false);
  });

  it('writes a versioned journal of JSON lines a person can read', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    expectOk(p.run(['apply', 'layout.yaml']));
    const file = path.join(p.stateDir(), 'journal.last.jsonl');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    const [header, ...rest] = lines.slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(header).toMatchObject({ format: 'linkplan-journal', version: 5, pid: expect.any(Number) as number, host: os.hostname(), manifest: path.join(p.d, 'layout.yaml') });
    expect(header?.['started']).toMatch(/^\d{4}-\d\d-\d\dT/);
    const link = { type: 'symlink', target: path.join(p.d, 't/f'), linkText: path.join(p.d, 't/f') };
    // the actions, in short (a link's text is its target, nothing was there), for the records
    expect(header?.['actions']).toEqual([
      { kind: 'create', path: path.join(p.d, 'a'), link: { type: 'symlink', target: link.target } },
      { kind: 'create', path: path.join(p.d, 'n/b'), link: { type: 'symlink', target: link.target } },
    ]);
    // the steps themselves, beside their actions, in short ("" and 0: the action's path and link)
    expect(header?.['steps']).toEqual([[['link', '', 0]], [['mkdir', path.join(p.d, 'n')], ['link', '', 0]]]);
    expect(readJournal(file)?.header?.steps).toEqual([
      { op: 'link', path: path.join(p.d, 'a'), link },
      { op: 'mkdir', path: path.join(p.d, 'n') },
      { op: 'link', path: path.join(p.d, 'n/b'), link },
    ]);
    // every step begun at once, before the first runs; the steps done, in one range
    expect(rest.slice(0, -1)).toEqual([{ begin: [0, 2], range: true }, { done: [0, 2], range: true }]);
    expect(rest.at(-1)).toEqual({ close: 'committed', at: expect.stringMatching(/^\d{4}-/) as string, id: expect.stringMatching(/^[0-9a-z]+-[0-9a-z]+-[0-9a-z]+$/) as string });
    expect([...(readJournal(file)?.done ?? [])]).toEqual([0, 1, 2]);
    // a damaged range names only this apply's steps (and is read at once, however wide)
    const wide = path.join(p.d, 'wide.jsonl');
    fs.writeFileSync(wide, fs.readFileSync(file, 'utf8').replace('{"done":[0,2],"range":true}', '{"done":[-5,1000000000000],"range":true}').replace('{"begin":[0,2],"range":true}', '{"begin":[1,1e15],"range":true}'));
    expect([...(readJournal(wide)?.done ?? [])]).toEqual([0, 1, 2]);
    expect([...(readJournal(wide)?.begun ?? [])]).toEqual([1, 2]);

    // a retarget to relative text: the text is listed, and what was there, so it can be put back
    fs.writeFileSync(path.join(p.d, 'layout.yaml'), M.replace('{ path: a, target: t/f }', '{ path: a, target: t/f, relative: true }'));
    expectOk(p.run(['apply', 'layout.yaml']));
    const second = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(second[0]?.['actions']).toEqual([{ kind: 'retarget', path: path.join(p.d, 'a'), link: { ...link, linkText: 't/f' }, before: { kind: 'symlink' } }]);
    expect(second[0]?.['steps']).toEqual([[['replace-link', '', 0, ['symlink', path.join(p.d, 'a'), link.target]]]]);
    expect(readJournal(file)?.header?.steps).toEqual([{ op: 'replace-link', path: path.join(p.d, 'a'), link: { ...link, linkText: 't/f' }, previous: { type: 'symlink', target: path.join(p.d, 'a'), linkText: link.target } }]);
    expect(second.slice(1, -1)).toEqual([{ begin: [0] }, { done: 0 }]);
  });

  /**
   * An earlier linkplan's journal of M's apply, killed after its first two steps (the link a and
   * the folder n are there, n/b is not), with `records` after the header; the header's own fields
   * (`actions`, and for version 1 `steps`) from `fields`.
   */
  function killedEarlierApply(version: number, records: object[], fields: (d: string, link: Record<string, string>) => object): { p: CliProject; dir: string; file: string; link: Record<string, string> } {
    const p = cliProject(M, { t: { f: 'f' } });
    const dir = p.stateDir();
    fs.mkdirSync(dir, { recursive: true });
    const link = { type: 'symlink', target: path.join(p.d, 't/f'), linkText: path.join(p.d, 't/f') };
    fs.symlinkSync(link.linkText, path.join(p.d, 'a'));
    fs.mkdirSync(path.join(p.d, 'n'));
    const header = { format: 'linkplan-journal', version, pid: 1, host: 'h', started: '2026-01-01T00:00:00.000Z', manifest: path.join(p.d, 'layout.yaml'), ...fields(p.d, link) };
    const file = path.join(dir, 'journal.jsonl');
    fs.writeFileSync(file, [header, ...records].map((l) => JSON.stringify(l)).join('\n') + '\n');
    return { p, dir, file, link };
  }

  it('refuses the journal an earlier linkplan left (formats 1 to 3), naming the file and what to do, and touches nothing', () => {
    for (const version of [1, 2, 3]) {
      const { p, file } = killedEarlierApply(version, [{ begin: [0, 2], range: true }, { done: 0 }], (d, link) => ({
        actions: [
          { kind: 'create', path: path.join(d, 'a'), link, before: { kind: 'absent' } },
          { kind: 'create', path: path.join(d, 'n/b'), link, before: { kind: 'absent' }, parents: [path.join(d, 'n')] },
        ],
      }));
      const text = fs.readFileSync(file, 'utf8');
      const before = snapshot(p.d);
      for (const args of [['recover', 'layout.yaml'], ['recover', 'layout.yaml', '--forward']]) {
        const r = p.run(args);
        expect(r.code, String(version)).toBe(1);
        expect(r.stderr, String(version)).toBe(
          `linkplan: ${file}: journal format ${version} is from an earlier linkplan; this one reads formats 4 and 5 only\n` +
            '  hint: run `linkplan recover MANIFEST` with the linkplan that wrote it (or add --forward to finish it), then use this one; without that linkplan, put right by hand the paths the journal lists (it is JSON lines) and move the file aside\n',
        );
      }
      expect(fs.readFileSync(file, 'utf8')).toBe(text);
      expect(snapshot(p.d)).toEqual(before);
    }
  });

  it('a journal killed mid-write is recovered and ends in whole lines: a whole last record gets its newline, a torn one is cut off', () => {
    const actions = (d: string, link: Record<string, string>): object => ({
      actions: [
        { kind: 'create', path: path.join(d, 'a'), link: { type: link.type, target: link.target } },
        { kind: 'create', path: path.join(d, 'n/b'), link: { type: link.type, target: link.target } },
      ],
      steps: [[['link', '', 0]], [['mkdir', path.join(d, 'n')], ['link', '', 0]]],
    });
    for (const tail of ['whole', 'torn'] as const) {
      const { p, dir, file } = killedEarlierApply(4, [{ begin: [0, 2], range: true }, { done: [0, 1], range: true }], actions);
      const text = fs.readFileSync(file, 'utf8');
      // killed between a record and its newline, or in the middle of the record
      fs.writeFileSync(file, tail === 'whole' ? text.slice(0, -1) : text.slice(0, -10));
      const r = p.run(['recover', 'layout.yaml']);
      expectOk(r);
      expect(r.stdout, tail).toMatch(/^Rolled back the interrupted apply: undid 2 steps/);
      const last = fs.readFileSync(path.join(dir, 'journal.last.jsonl'), 'utf8');
      expect(last.endsWith('\n'), tail).toBe(true);
      const lines = last.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(lines.at(-1)?.['close'], tail).toBe('recovered');
      // the whole record is kept; the torn one is gone
      expect(lines.some((l) => Array.isArray(l['done'])), tail).toBe(tail === 'whole');
    }
  });

  it('refuses a journal whose steps are damaged, naming the file, and touches nothing', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    const dir = p.stateDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'journal.jsonl');
    // a link step that names its action's link, beside an action without one
    const header = { format: 'linkplan-journal', version: 4, pid: 1, host: 'h', started: 'x', manifest: path.join(p.d, 'layout.yaml'), actions: [{ kind: 'create', path: path.join(p.d, 'a') }], steps: [[['link', '', 0]]] };
    const text = JSON.stringify(header) + '\n' + JSON.stringify({ begin: [0] }) + '\n';
    fs.writeFileSync(file, text);
    const before = snapshot(p.d);
    const r = p.run(['recover', 'layout.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`linkplan: ${file}:1: the journal's header is damaged (step 1: a link step has no link)\n  hint: the journal is damaged; inspect it by hand\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(snapshot(p.d)).toEqual(before);
  });

  it('refuses a journal of another version with a clear message, and touches nothing', () => {
    const p = cliProject(M, { t: { f: 'f' } });
    const dir = p.stateDir();
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, 'journal.jsonl');
    const text = JSON.stringify({ format: 'linkplan-journal', version: 6, pid: 1, host: 'h', started: 'x', actions: [], steps: [] }) + '\n';
    fs.writeFileSync(file, text);
    const before = snapshot(p.d);
    const plan = p.run(['plan', 'layout.yaml']);
    expect(plan.code).toBe(1);
    expect(plan.stderr).toContain(`an apply was interrupted and left its journal ${file}`);
    const r = p.run(['recover', 'layout.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`linkplan: ${file}: journal format 6 is newer than this linkplan reads (5)\n  hint: use the linkplan that wrote it, or a later one\n`);
    const fwd = p.run(['recover', 'layout.yaml', '--forward']);
    expect(fwd.stderr).toContain('journal format 6 is newer than this linkplan reads (5)');
    expect(fs.readFileSync(file, 'utf8')).toBe(text);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
    expect(snapshot(p.d)).toEqual(before);
    fs.writeFileSync(file, '{"something":"else"}\n');
    expect(p.run(['recover', 'layout.yaml']).stderr).toContain(`${file}: not a linkplan journal`);
  });
});

describe('the steps whose done record is written at once', () => {
  /** What the journal found before it looked in one pass: the last step to touch each path, then each step with a path touched later. */
  function byLastToucher(steps: readonly Step[]): Set<number> {
    const last = new Map<string, number>();
    const paths = (s: Step): string[] => (s.op === 'move' || s.op === 'copy-tree' ? [s.from, s.to] : [s.path]);
    steps.forEach((s, seq) => paths(s).forEach((p) => last.set(p, seq)));
    return new Set(steps.flatMap((s, seq) => (paths(s).some((p) => (last.get(p) ?? seq) > seq) ? [seq] : [])));
  }

  it('are the steps a later step touches a path of again, for any list of steps', () => {
    const p = fc.constantFrom('/a', '/b', '/a/x', '/c') as fc.Arbitrary<AbsPath>;
    const link = { type: 'symlink' as const, target: '/t' as AbsPath, linkText: '/t' };
    const step: fc.Arbitrary<Step> = fc.oneof(
      p.map((path): Step => ({ op: 'mkdir', path })),
      p.map((path): Step => ({ op: 'link', path, link })),
      p.map((path): Step => ({ op: 'unlink', path, previous: link })),
      fc.tuple(p, p).map(([from, to]): Step => ({ op: 'move', from, to })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 12 }), (steps) => {
        expect([...retouchedSteps(steps)].sort((x, y) => x - y)).toEqual([...byLastToucher(steps)].sort((x, y) => x - y));
      }),
      { numRuns: 3000 },
    );
    // a backup: the move from the path, then the link at it
    expect([...retouchedSteps([{ op: 'move', from: '/a' as AbsPath, to: '/a.bak' as AbsPath }, { op: 'link', path: '/a' as AbsPath, link }])]).toEqual([0]);
  });
});

describe('the journal lists the steps themselves', () => {
  it('recovery undoes the steps the journal lists, even where its actions would make other steps now', () => {
    const p = cliProject('version: 1\nlinks:\n  - { path: a, target: t/f }\n', { t: { f: 'f' }, data: { keep: 'mine' } });
    const before = snapshot(p.d);
    const a = path.join(p.d, 'a') as AbsPath;
    const link = { type: 'symlink' as const, target: path.join(p.d, 't/f') as AbsPath, linkText: path.join(p.d, 't/f') };
    // an action whose steps, as the linkplan that wrote the journal made them, include a move that
    // this linkplan would not make from it (a step kind added since, say)
    const steps: Step[] = [
      { op: 'move', from: path.join(p.d, 'data') as AbsPath, to: path.join(p.d, 'moved') as AbsPath },
      { op: 'link', path: a, link },
    ];
    const j = FileJournal.create(p.stateDir(), { manifest: path.join(p.d, 'layout.yaml'), actions: [{ kind: 'create', path: a, link, before: { kind: 'absent' } }] });
    j.start(steps);
    j.begin([0, 1]);
    fs.renameSync(path.join(p.d, 'data'), path.join(p.d, 'moved'));
    j.done(0);
    fs.symlinkSync(link.linkText, a);
    // killed here: no done record for the link, no close
    const r = p.run(['recover', 'layout.yaml']);
    expectOk(r);
    expect(r.stdout).toContain('undid 2 steps');
    expect(snapshot(p.d)).toEqual(before);
  });
});
