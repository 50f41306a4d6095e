// Proves "all or nothing" on a real filesystem: a plan of 20 actions of every kind (creates with
// new parent folders, retargets, removals, backups, adopts) is applied through a fault-injecting
// driver that fails the Nth write, for every N; each time the tree must come back exactly as it
// was, byte for byte and inode for inode. Also: drift found midway rolls back, a rollback that
// cannot finish says what it left, and removing links never touches what they point to.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryJournal } from '../src/state/journal.js';
import { applyPlan } from '../src/apply/applier.js';
import { DriverDecorator, FaultyDriver } from '../src/drivers/decorators.js';
import type { Driver, WriteCall } from '../src/drivers/driver.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { ApplyError, DriverError, StalePlanError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import type { Plan } from '../src/core/types.js';
import { rejected } from './helpers/errors.js';
import { EVERY_ACTION_TARGETS } from './helpers/fixtures.js';
import { planOnDisk } from './helpers/plan.js';
import { snapshot, tempDir, writeTree, type TreeSpec } from './helpers/tree.js';

const posix = new PosixDriver();

const MANIFEST = `version: 1
links:
  - { path: links/a, target: t/f1 }
  - { path: new/deep/b, target: t/f2 }
  - { path: new/deep/c, target: t/dir1 }
  - { path: new2/x/y/z, target: t/f3 }
  - { path: links/rel, target: t/f1, relative: true }
  - { path: links/hl, target: t/f4, type: hardlink }
  - { path: links/j, target: t/v1, type: junction }
  - { path: cur, target: t/v2, onConflict: backup }
  - { path: cur2, target: t/v1, onConflict: backup }
  - { path: links/s2h, target: t/f5, type: hardlink, onConflict: backup }
  - { path: links/dang, target: t/f1, onConflict: backup }
  - { path: rm/l1, state: absent }
  - { path: rm/l2, state: absent }
  - { path: rm/h, state: absent, target: t/f6 }
  - { path: rm/l3, state: absent, target: t/v1 }
  - { path: home/.rc, target: t/rc, onConflict: backup }
  - { path: home/.cfg, target: t/cfgdir, onConflict: backup }
  - { path: home/.x, target: t/rc, onConflict: backup }
  - { path: home/data, target: t/data, onConflict: adopt }
  - { path: home/notes.txt, target: t/new/sub/notes.txt, onConflict: adopt }
`;

function spec(root: string): TreeSpec {
  return {
    'layout.yaml': MANIFEST,
    t: { ...EVERY_ACTION_TARGETS, full: { a: 'A', b: 'B', sub: { c: 'C' } } },
    links: { s2h: { link: path.join(root, 't/f1') }, dang: { link: 'nowhere' } },
    cur: { link: path.join(root, 't/v1') },
    cur2: { link: 'old' },
    rm: { l1: { link: '../t/full' }, l2: { link: 'gone' }, h: { hardlink: '../t/f6' }, l3: { link: path.join(root, 't/v1') } },
    home: {
      '.rc': 'my own rc',
      '.cfg': { settings: 's' },
      '.x': 'x in the way',
      '.x.linkplan-backup': 'an earlier backup',
      data: { d1: 'data', sub: { d2: '' } },
      'notes.txt': 'my notes',
    },
  };
}

/** A fresh copy of the starting tree at `root`. */
function build(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
  writeTree(root, spec(root));
}

function planOf(root: string, driver: Driver = posix): Plan {
  return planOnDisk(path.join(root, 'layout.yaml'), { driver });
}

/** Records every write call that reaches it. */
class RecordingDriver extends DriverDecorator {
  readonly calls: { call: WriteCall; path: AbsPath }[] = [];
  protected override write(call: WriteCall, p: AbsPath, run: () => void): void {
    this.calls.push({ call, path: p });
    run();
  }
}

function applyError(run: () => Promise<unknown>): Promise<ApplyError> {
  return rejected(ApplyError, run);
}

describe('a plan of 20 actions', () => {
  it('has every kind of action and applies cleanly, then is idempotent', async () => {
    const root = path.join(tempDir(), 'w');
    build(root);
    const plan = planOf(root);
    expect(plan.actions).toHaveLength(20);
    expect(plan.summary).toEqual({ create: 7, retarget: 4, remove: 4, backup: 3, adopt: 2, unchanged: 0, conflict: 0 });
    const journal = new MemoryJournal();
    const rec = new RecordingDriver(posix);
    const result = await applyPlan(plan, rec, { journal });
    expect(result).toEqual({ actions: 20, steps: 36 });
    expect(rec.calls).toHaveLength(36);
    expect(journal.outcome).toBe('committed');

    const p = (s: string): string => path.join(root, s);
    const snap = snapshot(root);
    expect(snap['links/a']).toEqual({ kind: 'symlink', linkText: p('t/f1') });
    expect(snap['new/deep/b']).toEqual({ kind: 'symlink', linkText: p('t/f2') });
    expect(snap['new2/x/y/z']).toEqual({ kind: 'symlink', linkText: p('t/f3') });
    expect(snap['links/rel']).toEqual({ kind: 'symlink', linkText: '../t/f1' });
    expect(fs.lstatSync(p('links/hl')).ino).toBe(fs.statSync(p('t/f4')).ino);
    expect(fs.lstatSync(p('links/s2h')).ino).toBe(fs.statSync(p('t/f5')).ino);
    expect(snap['cur']).toEqual({ kind: 'symlink', linkText: p('t/v2') });
    expect(snap['cur2']).toEqual({ kind: 'symlink', linkText: p('t/v1') });
    for (const gone of ['rm/l1', 'rm/l2', 'rm/h', 'rm/l3']) expect(snap[gone]).toBeUndefined();
    expect(snap['home/.rc']).toEqual({ kind: 'symlink', linkText: p('t/rc') });
    expect(fs.readFileSync(p('home/.rc.linkplan-backup'), 'utf8')).toBe('my own rc');
    expect(fs.readFileSync(p('home/.cfg.linkplan-backup/settings'), 'utf8')).toBe('s');
    expect(fs.readFileSync(p('home/.x.linkplan-backup'), 'utf8')).toBe('an earlier backup');
    expect(fs.readFileSync(p('home/.x.linkplan-backup-2'), 'utf8')).toBe('x in the way');
    expect(snap['home/data']).toEqual({ kind: 'symlink', linkText: p('t/data') });
    expect(fs.readFileSync(p('t/data/d1'), 'utf8')).toBe('data');
    expect(fs.readFileSync(p('t/new/sub/notes.txt'), 'utf8')).toBe('my notes');
    expect(fs.readFileSync(p('home/notes.txt'), 'utf8')).toBe('my notes');

    const again = planOf(root);
    expect(again.summary).toEqual({ create: 0, retarget: 0, remove: 0, backup: 0, adopt: 0, unchanged: 20, conflict: 0 });
  });

  it('fails at every write in turn and each time leaves the tree exactly as it was', async () => {
    const root = path.join(tempDir(), 'w');
    build(root);
    const rec = new RecordingDriver(posix);
    await applyPlan(planOf(root), rec);
    const writes = rec.calls;
    expect(writes).toHaveLength(36);
    expect(new Set(writes.map((w) => w.call))).toEqual(new Set(['mkdir', 'createLink', 'replaceLink', 'removeLink', 'move']));

    const codes = ['EACCES', 'ENOSPC', 'EBUSY', 'EXDEV'];
    for (let n = 1; n <= writes.length; n++) {
      build(root);
      const plan = planOf(root);
      const start = snapshot(root);
      const code = codes[n % codes.length] ?? 'EIO';
      const faulty = new FaultyDriver(posix, { failAt: n, code });
      const journal = new MemoryJournal();
      const err = await applyError(() => applyPlan(plan, faulty, { journal }));
      const failing = writes[n - 1]?.path ?? '';
      const ctx = `failing write ${n} (${writes[n - 1]?.call ?? ''} ${failing})`;
      expect(snapshot(root), ctx).toEqual(start);
      // the same inodes are back (moved back, not copied): planning again gives the same plan
      expect(planOf(root), ctx).toEqual(plan);
      expect(err.message, ctx).toContain(`${failing}: ${writes[n - 1]?.call ?? ''} failed (${code}: injected fault)`);
      expect(err.message, ctx).toMatch(new RegExp(`\\nrolled back ${n - 1} steps?; the disk is as it was before the apply$`));
      expect(err.message.startsWith('apply failed at '), ctx).toBe(true);
      expect(err.rolledBack, ctx).toBe(n - 1);
      expect(err.rollbackFailures, ctx).toEqual([]);
      expect(err.cause, ctx).toBeInstanceOf(DriverError);
      expect((err.cause as DriverError).code, ctx).toBe(code);
      expect(journal.outcome, ctx).toBe('rolled-back');
      expect(journal.completed(), ctx).toEqual([]);
    }
  });

  it('rolls back when a path drifts midway, and names it', async () => {
    const root = path.join(tempDir(), 'w');
    build(root);
    const plan = planOf(root);
    const start = snapshot(root);
    const cur = path.join(root, 'cur');
    /** After the third write, someone else retargets `cur`, which a later action retargets too. */
    class Meddler extends DriverDecorator {
      private n = 0;
      protected override write(_call: WriteCall, _p: AbsPath, run: () => void): void {
        run();
        if (++this.n === 3) {
          fs.unlinkSync(cur);
          fs.symlinkSync('elsewhere', cur);
        }
      }
    }
    const err = await applyError(() => applyPlan(plan, new Meddler(posix)));
    expect(err.message).toBe(
      `apply failed at ${cur}: plan is stale: ${cur} (planned against a symbolic link to ${path.join(root, 't/v1')}, now a symbolic link to elsewhere)\n` +
        // the 4 removals, then the 7 creates (12 writes with their 5 new folders), came first
        'rolled back 16 steps; the disk is as it was before the apply',
    );
    expect(err.cause).toBeInstanceOf(StalePlanError);
    expect(err.hint).toBe('the disk changed since the plan was made; run `linkplan plan` again; nothing was changed');
    expect(snapshot(root)).toEqual({ ...start, cur: { kind: 'symlink', linkText: 'elsewhere' } });
  });

  it('without the second full reading (recheck: false), a file that appears where a link is to be made is left alone and the apply rolled back', async () => {
    const root = path.join(tempDir(), 'w');
    build(root);
    const plan = planOf(root);
    const start = snapshot(root);
    const creates = plan.actions.filter((a) => a.kind === 'create');
    const lastCreate = creates[creates.length - 1]?.path;
    if (lastCreate === undefined) throw new Error('the fixture plans creates');
    const last: string = lastCreate;
    /** After the second write, someone puts a file where the last create goes. */
    class Meddler extends DriverDecorator {
      private n = 0;
      protected override write(_call: WriteCall, _p: AbsPath, run: () => void): void {
        run();
        if (++this.n === 2) {
          fs.mkdirSync(path.dirname(last), { recursive: true });
          fs.writeFileSync(last, 'written meanwhile');
        }
      }
    }
    const err = await applyError(() => applyPlan(plan, new Meddler(posix), { recheck: false }));
    expect(err.message).toMatch(new RegExp(`^apply failed at ${last}: .*EEXIST`));
    expect(err.message).toContain('the disk is as it was before the apply');
    expect(fs.readFileSync(last, 'utf8')).toBe('written meanwhile');
    const now = snapshot(root);
    // everything else is exactly as before
    // but for the file and the folders made for it, everything is exactly as before
    for (let p = last; p !== root; p = path.dirname(p)) {
      const k = path.relative(root, p);
      if (!(k in start)) delete now[k];
    }
    expect(now).toEqual(start);
  });

  it('refuses before the first write when a path drifted since the plan', async () => {
    const root = path.join(tempDir(), 'w');
    build(root);
    const plan = planOf(root);
    fs.writeFileSync(path.join(root, 'home/notes.txt'), 'my notes, edited');
    fs.mkdirSync(path.join(root, 'new'));
    const start = snapshot(root);
    const rec = new RecordingDriver(posix);
    let err: unknown;
    try {
      await applyPlan(plan, rec);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StalePlanError);
    expect((err as StalePlanError).drifted.map((d) => d.path)).toEqual([path.join(root, 'new'), path.join(root, 'home/notes.txt')]);
    expect((err as Error).message).toContain(`plan is stale: ${path.join(root, 'home/notes.txt')} (planned against a regular file, now a regular file)`);
    expect(rec.calls).toEqual([]);
    expect(snapshot(root)).toEqual(start);
  });

  it('refuses to remove a hard link whose target is no longer the same file', async () => {
    const d = tempDir();
    writeTree(d, {
      'layout.yaml': 'version: 1\nlinks:\n  - { path: h, state: absent, target: t }\n',
      t: 'the old content',
      h: { hardlink: 't' },
      x: { hardlink: 't' },
    });
    const plan = planOf(d);
    expect(plan.actions.map((a) => a.kind)).toEqual(['remove']);
    // an editor saves t by writing a new file and renaming it over the old one
    fs.writeFileSync(path.join(d, 't.tmp'), 'the new content');
    fs.renameSync(path.join(d, 't.tmp'), path.join(d, 't'));
    const start = snapshot(d);
    // whether preflight reads everything again or not (a plan made a moment ago), the target is
    // read again right before the unlink
    for (const recheck of [true, false]) {
      let err: unknown;
      try {
        await applyPlan(plan, posix, { recheck });
      } catch (e) {
        err = e;
      }
      const stale = recheck ? err : (err as ApplyError).cause;
      expect(stale).toBeInstanceOf(StalePlanError);
      expect((stale as Error).message).toBe(`plan is stale: ${path.join(d, 't')} (planned against a file shared with ${path.join(d, 'h')}, now another file)`);
      expect(snapshot(d)).toEqual(start);
      expect(fs.readFileSync(path.join(d, 'h'), 'utf8')).toBe('the old content');
    }
  });

  it('says which steps could not be undone when the rollback itself fails', async () => {
    const root = path.join(tempDir(), 'w');
    build(root);
    const plan = planOf(root);
    /** Fails write 13 (the link in new2/x/y, after 4 removals, 3 creates and 5 new folders), and every rmdir. */
    class Stubborn extends FaultyDriver {
      protected override write(call: WriteCall, p: AbsPath, run: () => void): void {
        if (call === 'rmdir') throw new DriverError(p, 'rmdir failed (EBUSY: injected fault)', { code: 'EBUSY' });
        super.write(call, p, run);
      }
    }
    const journal = new MemoryJournal();
    const err = await applyError(() => applyPlan(plan, new Stubborn(posix, { failAt: 13 }), { journal }));
    const p = (s: string): string => path.join(root, s);
    expect(err.rollbackFailures).toEqual([
      `could not undo "create folder ${p('new2/x/y')}": ${p('new2/x/y')}: rmdir failed (EBUSY: injected fault)`,
      `could not undo "create folder ${p('new2/x')}": ${p('new2/x')}: rmdir failed (EBUSY: injected fault)`,
      `could not undo "create folder ${p('new2')}": ${p('new2')}: rmdir failed (EBUSY: injected fault)`,
      `could not undo "create folder ${p('new/deep')}": ${p('new/deep')}: rmdir failed (EBUSY: injected fault)`,
      `could not undo "create folder ${p('new')}": ${p('new')}: rmdir failed (EBUSY: injected fault)`,
    ]);
    expect(err.rolledBack).toBe(7);
    expect(err.message).toContain(`rolled back 7 of 12 steps; these could not be undone:\n  could not undo "create folder ${p('new2/x/y')}"`);
    expect(err.hint).toBe('put the paths above right by hand, then run plan to see where things stand');
    expect(journal.outcome).toBe('rollback-failed');
  });
});

describe('removing links never touches what they lead to', () => {
  it('a symbolic link to a folder full of files goes; the files stay', async () => {
    const d = tempDir();
    writeTree(d, {
      'layout.yaml': 'version: 1\nlinks:\n  - { path: l, state: absent }\n  - { path: h, state: absent, target: data/file }\n',
      data: { full: { a: 'A', sub: { b: 'B', deeper: { c: 'C' } } }, file: 'kept content' },
      l: { link: 'data/full' },
      h: { hardlink: 'data/file' },
    });
    const data = snapshot(path.join(d, 'data'));
    const plan = planOf(d);
    expect(plan.actions.map((a) => [a.kind, path.relative(d, a.path)])).toEqual([
      ['remove', 'l'],
      ['remove', 'h'],
    ]);
    await applyPlan(plan, posix);
    expect(fs.readdirSync(d).sort()).toEqual(['data', 'layout.yaml']);
    const after = snapshot(path.join(d, 'data'));
    // the only change: the file lost its second name
    expect(after).toEqual({ ...data, file: { ...data['file'], nlink: 1 } });
    expect(fs.readFileSync(path.join(d, 'data/file'), 'utf8')).toBe('kept content');
  });

  it('a hard link that no longer shares the target file is left alone', async () => {
    const d = tempDir();
    writeTree(d, {
      'layout.yaml': 'version: 1\nlinks:\n  - { path: h, state: absent, target: data/file }\n',
      data: { file: 'target', other: 'other' },
      h: { hardlink: 'data/other' },
    });
    const plan = planOf(d);
    expect(plan.actions.map((a) => a.kind)).toEqual(['conflict']);
    const start = snapshot(d);
    await expect(applyPlan(plan, posix)).rejects.toThrow(/1 conflict in the plan/);
    expect(snapshot(d)).toEqual(start);
  });

  it('a hard link named through a symbolic link to its file comes back as a hard link of the file', async () => {
    const d = tempDir();
    writeTree(d, {
      'layout.yaml': 'version: 1\nlinks:\n  - { path: h, state: absent, target: via }\n  - { path: n, target: data/file }\n',
      data: { file: 'content' },
      via: { link: 'data/file' },
      h: { hardlink: 'data/file' },
    });
    const plan = planOf(d);
    expect(plan.actions.map((a) => [a.kind, path.relative(d, a.path)])).toEqual([
      ['remove', 'h'],
      ['create', 'n'],
    ]);
    const start = snapshot(d);
    const ino = fs.statSync(path.join(d, 'data/file')).ino;
    await applyError(() => applyPlan(plan, new FaultyDriver(posix, { failAt: 2 })));
    expect(snapshot(d)).toEqual(start);
    expect(fs.lstatSync(path.join(d, 'h')).ino).toBe(ino);
  });
});

describe('a link removed and a folder made in its place', () => {
  it('applies, and rolls back at every write', async () => {
    const root = path.join(tempDir(), 'w');
    const make = (): void => {
      fs.rmSync(root, { recursive: true, force: true });
      writeTree(root, { 'layout.yaml': 'version: 1\nlinks:\n  - { path: old, state: absent }\n  - { path: old/new, target: t }\n', t: { f: 'f' }, old: { link: 't' } });
    };
    make();
    const plan = planOf(root);
    expect(plan.actions.map((a) => [a.kind, path.relative(root, a.path), (('parents' in a ? a.parents : undefined) ?? []).map((p) => path.relative(root, p))])).toEqual([
      ['remove', 'old', []],
      ['create', 'old/new', ['old']],
    ]);
    const start = snapshot(root);
    for (let n = 1; n <= 3; n++) {
      make();
      await applyError(() => applyPlan(planOf(root), new FaultyDriver(posix, { failAt: n })));
      expect(snapshot(root), `failing write ${n}`).toEqual(start);
    }
    make();
    expect(await applyPlan(planOf(root), posix)).toEqual({ actions: 2, steps: 3 });
    expect(fs.lstatSync(path.join(root, 'old')).isDirectory()).toBe(true);
    expect(fs.readlinkSync(path.join(root, 'old/new'))).toBe(path.join(root, 't'));
    expect(fs.readdirSync(path.join(root, 't'))).toEqual(['f']);
  });
});
