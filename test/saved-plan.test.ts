// Tests that a saved plan (`linkplan plan M --out P.json`, then `linkplan apply P.json`) is checked
// whole before anything runs: against its schema (every problem listed), its summary, its paths
// (absolute and normal), each action's own consistency and the manifest it was made from. A plan
// that fails any check is refused with the file and the action named and a hint to plan again,
// exit 1, and nothing changes: neither the disk nor the state folder (no journal left behind).
// Also: an error inside the applier before its first step (an internal one too) leaves no journal.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { FileJournal } from '../src/state/journal/writer.js';
import { journalPath } from '../src/state/journal/format.js';
import { DriverDecorator } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import type { AbsPath } from '../src/core/paths.js';
import type { Entry, Plan } from '../src/core/types.js';
import { runCli, type CliResult } from './helpers/cli.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';

const STACK_LINE = /^ {4}at /m;

const MANIFEST = `version: 1
links:
  - { path: a, target: t/f }
  - { path: home/sub, target: t/v1, onConflict: backup }
  - { path: deep/er/l, target: t/f }
  - { path: old, state: absent }
`;

interface Setup {
  dir: string;
  state: string;
  planFile: string;
  plan: Plan;
}

/** A project, its state folder and a saved plan of it: a create, a backup of a folder, a create with parents, a removal. */
function setup(): Setup {
  const dir = tempDir();
  writeTree(dir, { 'layout.yaml': MANIFEST, t: { f: 'x', v1: { VERSION: '1' } }, home: { sub: { mine: 'keep me' } }, old: { link: 't/f' } });
  const state = tempDir('linkplan-state-');
  const planFile = path.join(dir, 'plan.json');
  const r = runCli(['plan', 'layout.yaml', '--out', planFile, '--state-dir', state], { cwd: dir });
  expect(r.code).toBe(0);
  const plan = JSON.parse(fs.readFileSync(planFile, 'utf8')) as Plan;
  expect(plan.actions.map((a) => a.kind)).toEqual(['remove', 'create', 'backup-and-link', 'create']);
  return { dir, state, planFile, plan };
}

/** Every file of the state folder, with its content. */
function stateFiles(state: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of fs.readdirSync(d)) {
      const p = path.join(d, name);
      if (fs.statSync(p).isDirectory()) walk(p);
      else out[path.relative(state, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  walk(state);
  return out;
}

/** Writes the changed plan, applies it, and checks it was refused cleanly with nothing changed. */
function refused(s: Setup, change: (p: Plan) => void): CliResult {
  const p = JSON.parse(JSON.stringify(s.plan)) as Plan;
  change(p);
  fs.writeFileSync(s.planFile, JSON.stringify(p, null, 2));
  const disk = snapshot(s.dir);
  const files = stateFiles(s.state);
  const r = runCli(['apply', 'plan.json', '--yes', '--state-dir', s.state], { cwd: s.dir });
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^linkplan: plan\.json: /);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toContain('internal error');
  expect(r.stderr).toContain('  hint: make the plan again: `linkplan plan');
  expect(r.stdout).toBe('');
  expect(snapshot(s.dir)).toEqual(disk);
  expect(stateFiles(s.state)).toEqual(files);
  // nothing blocks the next command
  const again = runCli(['plan', 'layout.yaml', '--state-dir', s.state], { cwd: s.dir });
  expect(again.stderr).toBe('');
  expect(again.code).toBe(0);
  return r;
}

describe('a saved plan is checked before anything runs', () => {
  it('refuses a backup of a folder changed into a removal (summary edited to match), naming the action, and leaves no journal', () => {
    const s = setup();
    const r = refused(s, (p) => {
      (p.actions[2] as { kind: string }).kind = 'remove';
      p.summary.backup--;
      p.summary.remove++;
    });
    expect(r.stderr).toContain('plan.json: actions[2]: a remove needs a link at its path (before), and this one found a folder');
  });

  it('refuses a create changed into a removal', () => {
    const s = setup();
    const r = refused(s, (p) => {
      (p.actions[1] as { kind: string }).kind = 'remove';
      p.summary.create--;
      p.summary.remove++;
    });
    expect(r.stderr).toContain('plan.json: actions[1]: a remove needs a link at its path (before), and this one found nothing');
  });

  it('refuses relative, `..` and NUL paths, listing every one', () => {
    const s = setup();
    const r = refused(s, (p) => {
      (p.actions[1] as { path: string }).path = 'a';
      (p.actions[3] as { parents: string[] }).parents = [path.join(s.dir, 'deep'), `${s.dir}/deep/../deep/er`];
      const link = (p.actions[2] as { link: { target: string } }).link;
      link.target = `${s.dir}/t/./v1`;
      (p.actions[0] as { path: string }).path = `${s.dir}/ol\u0000d`;
    });
    expect(r.stderr).toMatch(/^linkplan: plan\.json: not a valid linkplan plan \(\d+ problems\)\n/);
    expect(r.stderr).toContain('plan.json: actions[1].path: "a" is not an absolute path');
    expect(r.stderr).toContain(`plan.json: actions[3].parents[1]: "${s.dir}/deep/../deep/er" is not a normal absolute path (it would be ${s.dir}/deep/er)`);
    expect(r.stderr).toContain(`plan.json: actions[2].link.target: "${s.dir}/t/./v1" is not a normal absolute path (it would be ${s.dir}/t/v1)`);
    expect(r.stderr).toContain('plan.json: actions[0].path: contains a NUL character');
  });

  it('refuses a summary that does not count the actions', () => {
    const s = setup();
    const r = refused(s, (p) => {
      p.summary.create = 7;
    });
    expect(r.stderr).toContain('plan.json: summary.create: says 7, but the plan has 2 create actions');
  });

  it('lists every schema problem at once, each with its place', () => {
    const s = setup();
    const r = refused(s, (p) => {
      (p.actions[0] as { kind: string }).kind = 'delete';
      (p.actions[3] as { extra?: number }).extra = 1;
      delete (p.actions[1] as { before?: Entry }).before;
    });
    expect(r.stderr).toContain('plan.json: actions[0].kind: must be create, retarget, remove, backup-and-link, adopt, relocate, make-folder, noop or conflict, not the string "delete"');
    expect(r.stderr).toContain('plan.json: actions[3].extra: unknown key');
    expect(r.stderr).toContain('plan.json: actions[1]: missing "before"');
  });

  it('refuses a link found before without its text, or a file without its identity', () => {
    const s = setup();
    const r = refused(s, (p) => {
      delete (p.actions[0]?.before as { linkText?: string }).linkText;
      (p.actions[2] as { before: Entry }).before = { kind: 'file' } as unknown as Entry;
    });
    expect(r.stderr).toContain('plan.json: actions[0].before: missing "linkText"');
    expect(r.stderr).toContain('plan.json: actions[2].before: missing "fileId"');
  });

  it('refuses actions that do not hold together: what they leave, their link, their backup name, their folders', () => {
    const s = setup();
    const r = refused(s, (p) => {
      (p.actions[1] as { after: Entry }).after = { kind: 'symlink', linkText: '/elsewhere' };
      (p.actions[2] as { backupPath: string }).backupPath = path.join(s.dir, 'elsewhere', 'sub.linkplan-backup');
      (p.actions[3] as { parents: string[] }).parents = [path.join(s.dir, 'other')];
      delete (p.actions[1] as { link?: unknown }).link;
    });
    expect(r.stderr).toContain('plan.json: actions[1]: a create needs the link it makes (link)');
    expect(r.stderr).toContain(`plan.json: actions[2].backupPath: must be beside ${path.join(s.dir, 'home/sub')}, in the same folder`);
    expect(r.stderr).toContain(`plan.json: actions[3].parents[0]: ${path.join(s.dir, 'other')} is not a folder above ${path.join(s.dir, 'deep/er/l')}`);
    const r2 = refused(s, (p) => {
      (p.actions[1] as { after: Entry }).after = { kind: 'symlink', linkText: '/elsewhere' };
      (p.actions[0] as { after: Entry }).after = { kind: 'symlink', linkText: 'x' };
    });
    expect(r2.stderr).toContain(`plan.json: actions[1].after: a create of a symlink leaves a symlink to ${path.join(s.dir, 't/f')}, not a symlink to /elsewhere`);
    expect(r2.stderr).toContain('plan.json: actions[0].after: a remove leaves nothing, not a symlink to x');
  });

  it('refuses an action with a field its kind does not have, or without one its kind needs', () => {
    const s = setup();
    const r = refused(s, (p) => {
      const f = path.join(s.dir, 't/f');
      (p.actions[0] as { link?: unknown }).link = { type: 'symlink', target: f, linkText: f };
      (p.actions[1] as { hint?: string }).hint = 'make it';
      delete (p.actions[2] as { backupPath?: string }).backupPath;
      (p.actions[3] as { prune?: string }).prune = 'gone';
    });
    expect(r.stderr).toContain('plan.json: not a valid linkplan plan (4 problems)');
    expect(r.stderr).toContain('plan.json: actions[0].link: a remove has no link (only a create, retarget, backup-and-link, adopt, relocate or conflict has one)');
    expect(r.stderr).toContain('plan.json: actions[1].hint: a create has no hint (only a conflict has one)');
    expect(r.stderr).toContain('plan.json: actions[2]: a backup-and-link needs the name it moves what is in the way to (backupPath)');
    expect(r.stderr).toContain('plan.json: actions[3].prune: a create has no prune (only a noop has one)');
  });

  it('refuses a plan whose manifest changed since it was made, and applies one whose manifest is gone', () => {
    const s = setup();
    fs.appendFileSync(path.join(s.dir, 'layout.yaml'), '  - { path: b, target: t/f }\n');
    const r = refused(s, () => undefined);
    expect(r.stderr).toContain(`plan.json: the manifest ${path.join(s.dir, 'layout.yaml')} changed since the plan was made`);
    fs.unlinkSync(path.join(s.dir, 'layout.yaml'));
    const ok = runCli(['apply', 'plan.json', '--yes', '--state-dir', s.state], { cwd: s.dir });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(fs.readlinkSync(path.join(s.dir, 'home/sub'))).toBe(path.join(s.dir, 't/v1'));
  });
});

describe('a saved plan as linkplan makes it', () => {
  it('passes its checks with every kind of action, and applies', () => {
    const dir = tempDir();
    const manifest = `version: 1
links:
  - { path: links/hl, target: t/f, type: hardlink }
  - { path: links/rel, target: t/f, relative: true }
  - { path: new/deep/abs, target: t/dir }
  - { path: cur, target: t/v2, onConflict: backup }
  - { path: rm/h, state: absent, target: t/g }
  - { path: rm/l, state: absent }
  - { path: home/.rc, target: t/rc, onConflict: backup }
  - { path: home/data, target: t/new/sub/data, onConflict: adopt }
`;
    writeTree(dir, {
      'layout.yaml': manifest,
      t: { f: 'f', g: 'g', rc: 'rc', dir: { x: 'x' }, v1: {}, v2: {} },
      cur: { link: 't/v1' },
      rm: { h: { hardlink: '../t/g' }, l: { link: '../t/f' } },
      home: { '.rc': 'mine', data: { d: 'd' } },
    });
    const state = tempDir('linkplan-state-');
    expect(runCli(['plan', 'layout.yaml', '--out', 'plan.json', '--state-dir', state], { cwd: dir }).code).toBe(0);
    const plan = JSON.parse(fs.readFileSync(path.join(dir, 'plan.json'), 'utf8')) as Plan;
    expect(new Set(plan.actions.map((a) => a.kind))).toEqual(new Set(['create', 'retarget', 'remove', 'backup-and-link', 'adopt']));
    const r = runCli(['apply', 'plan.json', '--yes', '--state-dir', state], { cwd: dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readlinkSync(path.join(dir, 'home/data'))).toBe(path.join(dir, 't/new/sub/data'));
    expect(fs.readlinkSync(path.join(dir, 'links/rel'))).toBe('../t/f');
  });
});

describe('an apply that fails before its first step leaves no journal', () => {
  /** A plan that reaches the applier malformed: a removal of a folder. */
  function badPlan(dir: string): Plan {
    const at = path.join(dir, 'folder') as AbsPath;
    fs.mkdirSync(at);
    const before: Entry = { kind: 'dir', dev: fs.statSync(at).dev };
    return {
      formatVersion: 1,
      manifest: { path: path.join(dir, 'layout.yaml'), digest: `sha256:${'0'.repeat(64)}` },
      platform: 'linux',
      actions: [{ kind: 'remove', path: at, source: { where: 'links[0]' }, reason: 'r', notes: [], before, after: { kind: 'absent' } }],
      summary: { create: 0, retarget: 0, remove: 1, backup: 0, adopt: 0, unchanged: 0, conflict: 0 },
    };
  }

  it('when the steps cannot be worked out from an action', async () => {
    const dir = tempDir();
    const state = tempDir('linkplan-state-');
    const plan = badPlan(dir);
    const journal = FileJournal.create(state, { manifest: plan.manifest.path, actions: [] });
    await expect(applyPlan(plan, new PosixDriver(), { journal, recheck: false })).rejects.toThrow(/is not a link/);
    expect(fs.existsSync(journalPath(state))).toBe(false);
    expect(fs.existsSync(path.join(dir, 'folder'))).toBe(true);
  });

  it('when reading the disk fails during the checks with an unexpected error', async () => {
    const dir = tempDir();
    const state = tempDir('linkplan-state-');
    const plan = badPlan(dir);
    class Broken extends DriverDecorator {
      override observe(): Entry {
        throw new TypeError('something unexpected');
      }
    }
    const journal = FileJournal.create(state, { manifest: plan.manifest.path, actions: [] });
    await expect(applyPlan(plan, new Broken(new PosixDriver()), { journal })).rejects.toThrow(/something unexpected/);
    expect(fs.existsSync(journalPath(state))).toBe(false);
  });
});
