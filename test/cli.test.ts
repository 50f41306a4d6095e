// Tests for the real command line, run as a child process (the built bin/linkplan.js) in temporary
// folders: exit codes, what goes to stdout and stderr, that validate and plan never touch the
// disk, that apply asks before moving anything, applies saved plans and refuses stale ones, that
// colour appears only on a terminal without NO_COLOR, and that the bundled example works.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { VERSION } from '../src/core/version.js';
import { BIN, REPO, runCli, runCliAsync, STATE_DIR, type CliResult } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type TreeSpec } from './helpers/tree.js';
import { posixOnly } from './helpers/platform.js';

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;
const STACK_LINE = /^ {4}at /m;

/** A folder with a manifest and the tree it works on. */
function project(manifest: string, tree: TreeSpec = {}): string {
  const d = tempDir();
  writeTree(d, { ...tree, 'layout.yaml': manifest });
  return d;
}

/**
 * Runs linkplan on a pseudo-terminal (util-linux `script`), 100 columns wide (or `cols`), with `input` typed
 * in; stdout holds everything the terminal showed.
 */
function onTty(args: readonly string[], opts: { cwd: string; env?: Record<string, string | undefined>; input?: string; cols?: number }): CliResult {
  const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;
  const command = `stty cols ${opts.cols ?? 100}; ${[process.execPath, BIN, ...args].map(quote).join(' ')}`;
  const r = spawnSync('script', ['-qec', command, '/dev/null'], {
    cwd: opts.cwd,
    env: { ...process.env, TERM: 'xterm', FORCE_COLOR: undefined, NO_COLOR: '1', ...opts.env },
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** No stack trace, no internal error: the kind of failure a person can act on. */
function expectCleanFailure(r: CliResult): void {
  expect(r.code).toBe(1);
  expect(r.stderr).toMatch(/^linkplan: /);
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toContain('internal error');
}

const SIMPLE = `version: 1
links:
  - { path: a, target: t/f }
  - { path: links/dir, target: t/v1 }
`;
const SIMPLE_TREE: TreeSpec = { t: { f: 'x', v1: { VERSION: '1' }, v2: { VERSION: '2' } } };

/** A plan with one of each risky kind: a removal, a backup and an adoption. */
const RISKY = `version: 1
links:
  - { path: old, state: absent }
  - { path: home/rc, target: t/rc, onConflict: backup }
  - { path: home/data, target: t/data, onConflict: adopt }
  - { path: new, target: t/f }
`;
const RISKY_TREE: TreeSpec = { t: { rc: 'managed', f: 'f' }, old: { link: 't/f' }, home: { rc: 'mine', data: { d: 'd' } } };

describe('validate', () => {
  it('accepts a valid manifest with a count, and changes nothing', () => {
    const d = project(SIMPLE + '  - { path: b, target: t/f, when: { os: windows } }\n', SIMPLE_TREE);
    const before = snapshot(d);
    const r = runCli(['validate', 'layout.yaml'], { cwd: d });
    expect(r).toEqual({ code: 0, stdout: 'layout.yaml: valid (2 links, 1 skipped by their when condition)\n', stderr: '' });
    const one = runCli(['validate', path.join(d, 'layout.yaml')], { cwd: d });
    expect(one.code).toBe(0);
    expect(snapshot(d)).toEqual(before);
    const empty = project('version: 1\nlinks:\n  - { path: a, target: t }\n');
    expect(runCli(['validate', 'layout.yaml'], { cwd: empty }).stdout).toBe('layout.yaml: valid (1 link)\n');
  });

  it('reports every problem of an invalid manifest as file:line:col with a hint, no stack trace, and creates nothing', () => {
    const d = project('version: 2\nlinks:\n  - path: a\n    tagret: b\n  - path: c\n    target: d\n    type: simlink\n');
    const before = snapshot(d);
    const r = runCli(['validate', 'layout.yaml'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'linkplan: layout.yaml: 3 problems in the manifest',
        '  layout.yaml:1:10: version: must be 1 (the only manifest format this linkplan reads), not the number 2',
        '  layout.yaml:4:5: links[0].tagret: unknown key (did you mean "target"?)',
        '  layout.yaml:7:11: links[1].type: must be auto, junction, symlink or hardlink, not the string "simlink" (did you mean "symlink"?)',
        '  hint: fix the manifest and run the command again; nothing was changed',
        '',
      ].join('\n'),
    );
    expect(snapshot(d)).toEqual(before);
  });

  it('reports YAML syntax errors and layout problems the same way', () => {
    const d = project('version: 1\nlinks:\n  - path: a\n    target: b\n    path: c\n');
    const r = runCli(['validate', 'layout.yaml'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toContain('  layout.yaml:5:5: duplicate key "path"; a key may appear only once in a mapping\n');
    const twice = project('version: 1\nlinks:\n  - { path: a, target: t }\n  - { path: a, target: u }\n');
    const r2 = runCli(['validate', 'layout.yaml', '--var', 'x=1'], { cwd: twice });
    expectCleanFailure(r2);
    expect(r2.stderr).toContain(`  layout.yaml:4:5: links[1]: ${path.join(twice, 'a')}: declared twice; links[0] (line 3) already declares it\n`);
  });
});

describe('plan', () => {
  it('shows the changes as text and never touches the disk', () => {
    const d = project(RISKY, RISKY_TREE);
    const before = snapshot(d);
    const r = runCli(['plan', 'layout.yaml'], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^ {2}- remove +old\b/m);
    expect(r.stdout).toMatch(/^ {2}\* backup +home\/rc -> t\/rc\b.*home\/rc\.linkplan-backup/m);
    expect(r.stdout).toMatch(/^ {2}< adopt +home\/data -> t\/data\b/m);
    expect(r.stdout).toMatch(/^ {2}\+ create +new -> t\/f\b/m);
    expect(r.stdout).toContain('Plan: 1 to create, 0 to retarget, 1 to remove, 0 unchanged, 1 to back up and link, 1 to adopt\n');
    expect(r.stdout).not.toMatch(ANSI);
    expect(snapshot(d)).toEqual(before);
  });

  it('--json prints the plan value; --out saves the same bytes', () => {
    const d = project(RISKY, RISKY_TREE);
    const before = snapshot(d);
    const r = runCli(['plan', 'layout.yaml', '--json'], { cwd: d });
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout) as { formatVersion: number; manifest: { path: string; digest: string }; platform: string; actions: { kind: string; path: string }[]; summary: Record<string, number> };
    expect(plan.formatVersion).toBe(1);
    expect(plan.manifest.path).toBe(path.join(d, 'layout.yaml'));
    expect(plan.manifest.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(plan.platform).toBe(process.platform);
    expect(plan.actions.map((a) => [a.kind, path.relative(d, a.path)])).toEqual([
      ['remove', 'old'],
      ['backup-and-link', 'home/rc'],
      ['adopt', 'home/data'],
      ['create', 'new'],
    ]);
    expect(plan.summary).toEqual({ create: 1, retarget: 0, remove: 1, backup: 1, adopt: 1, unchanged: 0, conflict: 0 });

    const out = path.join(tempDir(), 'plan.json');
    const saved = runCli(['plan', 'layout.yaml', '--out', out], { cwd: d });
    expect(saved.code).toBe(0);
    expect(saved.stdout).toContain('Plan: 1 to create');
    expect(fs.readFileSync(out, 'utf8')).toBe(r.stdout);
    expect(snapshot(d)).toEqual(before);
  });

  it('--detailed-exitcode: 0 without changes, 2 with changes pending, 1 on a conflict or an error', () => {
    const d = project(SIMPLE, SIMPLE_TREE);
    expect(runCli(['plan', 'layout.yaml', '--detailed-exitcode'], { cwd: d }).code).toBe(2);
    expect(runCli(['plan', 'layout.yaml'], { cwd: d }).code).toBe(0);
    expect(runCli(['apply', 'layout.yaml'], { cwd: d }).code).toBe(0);
    const none = runCli(['plan', 'layout.yaml', '--detailed-exitcode'], { cwd: d });
    expect(none.code).toBe(0);
    expect(none.stdout).toContain('No changes');

    const conflict = project('version: 1\nlinks:\n  - { path: a, target: t }\n', { a: 'in the way', t: 'target' });
    const before = snapshot(conflict);
    const c = runCli(['plan', 'layout.yaml', '--detailed-exitcode'], { cwd: conflict });
    expect(c.code).toBe(1);
    expect(c.stdout).toMatch(/^ {2}! conflict +a\b/m);
    expect(c.stderr).toBe('linkplan: the plan has 1 conflict; apply would refuse it\n');
    expect(snapshot(conflict)).toEqual(before);

    const bad = project('version: 1\nlinks: 3\n');
    expectCleanFailure(runCli(['plan', 'layout.yaml', '--detailed-exitcode'], { cwd: bad }));
  });
});

describe('apply', () => {
  it('creates the links; a second apply says there is nothing to do and changes nothing', () => {
    const d = project(SIMPLE, SIMPLE_TREE);
    const r = runCli(['apply', 'layout.yaml'], { cwd: d });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applied: 2 to create, 0 to retarget, 0 to remove, 0 unchanged\n');
    expect(fs.readlinkSync(path.join(d, 'a'))).toBe(path.join(d, 't/f'));
    expect(fs.readlinkSync(path.join(d, 'links/dir'))).toBe(path.join(d, 't/v1'));
    const after = snapshot(d);
    const again = runCli(['apply', 'layout.yaml'], { cwd: d });
    expect(again).toEqual({ code: 0, stdout: 'No changes: the disk already matches layout.yaml (2 entries)\n', stderr: '' });
    expect(snapshot(d)).toEqual(after);
  });

  it('retargets a link it made without asking: nothing is moved or removed', () => {
    const d = project(SIMPLE, SIMPLE_TREE);
    expect(runCli(['apply', 'layout.yaml'], { cwd: d }).code).toBe(0);
    fs.writeFileSync(path.join(d, 'layout.yaml'), SIMPLE.replace('t/v1', 't/v2'));
    const r = runCli(['apply', 'layout.yaml'], { cwd: d });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applied: 0 to create, 1 to retarget');
    expect(fs.readlinkSync(path.join(d, 'links/dir'))).toBe(path.join(d, 't/v2'));
    expect(fs.readdirSync(path.join(d, 'links'))).toEqual(['dir']);
  });

  it('leaves a link someone else made where the manifest wants another, unless onConflict allows it', () => {
    const d = project(SIMPLE.replace('t/v1', 't/v2'), { ...SIMPLE_TREE, mydata: { keep: 'k' }, links: { dir: { link: '../mydata' } } });
    const before = snapshot(d);
    for (const args of [['apply', 'layout.yaml'], ['apply', 'layout.yaml', '--yes']]) {
      const r = runCli(args, { cwd: d });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stdout).toContain('! conflict links/dir: a symbolic link to ../mydata, which linkplan did not make, is in the way');
      expect(r.stdout).toContain('hint: set onConflict: backup to move it aside');
      expect(snapshot(d)).toEqual(before);
    }
    // with onConflict: backup it is replaced in one step, and a copy of it kept as a backup
    fs.writeFileSync(path.join(d, 'layout.yaml'), SIMPLE.replace('t/v1 }', 't/v2, onConflict: backup }'));
    const r = runCli(['apply', 'layout.yaml'], { cwd: d });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('~ retarget links/dir -> t/v2  (symlink; was mydata, not made by linkplan: a copy kept at links/dir.linkplan-backup)');
    expect(fs.readlinkSync(path.join(d, 'links/dir'))).toBe(path.join(d, 't/v2'));
    expect(fs.readlinkSync(path.join(d, 'links/dir.linkplan-backup'))).toBe('../mydata');
    expect(runCli(['backups', 'list', 'layout.yaml'], { cwd: d }).stdout).toMatch(/1 .* backed up {2}links\/dir -> links\/dir\.linkplan-backup/);
    const restored = runCli(['backups', 'restore', 'layout.yaml', '1'], { cwd: d });
    expect(restored.code, restored.stderr).toBe(0);
    expect(fs.readlinkSync(path.join(d, 'links/dir'))).toBe('../mydata');
    const after = snapshot(d);
    expect(after).toEqual({ ...before, 'layout.yaml': after['layout.yaml'], a: { kind: 'symlink', linkText: path.join(d, 't/f') } });
  });

  it('without a terminal, refuses a plan that removes, backs up or adopts unless --yes is given', () => {
    for (const entry of ['  - { path: old, state: absent }\n', '  - { path: home/rc, target: t/rc, onConflict: backup }\n', '  - { path: home/data, target: t/data, onConflict: adopt }\n']) {
      const d = project('version: 1\nlinks:\n' + entry + '  - { path: new, target: t/f }\n', RISKY_TREE);
      const before = snapshot(d);
      const r = runCli(['apply', 'layout.yaml'], { cwd: d });
      expectCleanFailure(r);
      expect(r.stderr).toBe('linkplan: this plan removes or moves 1 entry, and there is no terminal to ask\n  hint: read the plan above, then run again with --yes\n');
      expect(r.stdout).toContain('Plan: 1 to create');
      expect(snapshot(d), entry).toEqual(before);
    }
  });

  it('with --yes removes, backs up and adopts, keeping what was in the way', () => {
    const d = project(RISKY, RISKY_TREE);
    const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: d });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applied: 1 to create, 0 to retarget, 1 to remove, 0 unchanged, 1 to back up and link, 1 to adopt\n');
    const s = snapshot(d);
    expect(s['old']).toBeUndefined();
    expect(s['home/rc']).toEqual({ kind: 'symlink', linkText: path.join(d, 't/rc') });
    expect(fs.readFileSync(path.join(d, 'home/rc.linkplan-backup'), 'utf8')).toBe('mine');
    expect(s['home/data']).toEqual({ kind: 'symlink', linkText: path.join(d, 't/data') });
    expect(fs.readFileSync(path.join(d, 't/data/d'), 'utf8')).toBe('d');
    expect(runCli(['apply', 'layout.yaml'], { cwd: d }).stdout).toBe('No changes: the disk already matches layout.yaml (4 entries)\n');
  });

  it('--dry-run changes nothing and lists the steps it would run', () => {
    const d = project(RISKY, RISKY_TREE);
    const before = snapshot(d);
    const r = runCli(['apply', 'layout.yaml', '--dry-run'], { cwd: d });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const p = (s: string): string => path.join(d, s);
    expect(r.stdout.slice(r.stdout.indexOf('\nDry run:'))).toBe(
      [
        '',
        'Dry run: nothing was changed. 6 steps would run:',
        '  remove link old',
        '  move home/rc to home/rc.linkplan-backup',
        `  create symlink home/rc -> ${p('t/rc')}`,
        '  move home/data to t/data',
        `  create symlink home/data -> ${p('t/data')}`,
        `  create symlink new -> ${p('t/f')}`,
        '',
      ].join('\n'),
    );
    expect(snapshot(d)).toEqual(before);
  });

  it('applies a saved plan', () => {
    const d = project(RISKY, RISKY_TREE);
    const planFile = path.join(tempDir(), 'plan.json');
    expect(runCli(['plan', 'layout.yaml', '--out', planFile], { cwd: d }).code).toBe(0);
    // the manifest may even be gone: the saved plan is what is applied
    fs.unlinkSync(path.join(d, 'layout.yaml'));
    const r = runCli(['apply', planFile, '--yes'], { cwd: d });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applied: 1 to create, 0 to retarget, 1 to remove, 0 unchanged, 1 to back up and link, 1 to adopt\n');
    expect(fs.readlinkSync(path.join(d, 'new'))).toBe(path.join(d, 't/f'));
    expect(fs.readFileSync(path.join(d, 'home/rc.linkplan-backup'), 'utf8')).toBe('mine');
  });

  it('refuses --var with a saved plan instead of ignoring it', () => {
    const d = project(RISKY, RISKY_TREE);
    const planFile = path.join(tempDir(), 'plan.json');
    expect(runCli(['plan', 'layout.yaml', '--out', planFile], { cwd: d }).code).toBe(0);
    const before = snapshot(d);
    const r = runCli(['apply', planFile, '--yes', '--var', 'x=1'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toContain(`linkplan: ${planFile}: --var has no effect on a saved plan`);
    expect(snapshot(d)).toEqual(before);
  });

  it('refuses a saved plan made stale, naming the path, and changes nothing', () => {
    const d = project(SIMPLE.replace('t/v1', 't/v2'), SIMPLE_TREE);
    expect(runCli(['apply', 'layout.yaml'], { cwd: d }).code).toBe(0);
    fs.writeFileSync(path.join(d, 'layout.yaml'), SIMPLE);
    const planFile = path.join(d, 'plan.json');
    expect(runCli(['plan', 'layout.yaml', '--out', planFile], { cwd: d }).code).toBe(0);
    fs.unlinkSync(path.join(d, 'links/dir'));
    fs.symlinkSync('somewhere-else', path.join(d, 'links/dir'));
    const before = snapshot(d);
    const r = runCli(['apply', planFile, '--yes'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toBe(
      `linkplan: plan is stale: ${path.join(d, 'links/dir')} (planned against a symbolic link to ${path.join(d, 't/v2')}, now a symbolic link to somewhere-else)\n` +
        '  hint: the disk changed since the plan was made; run `linkplan plan` again; nothing was changed\n',
    );
    expect(snapshot(d)).toEqual(before);
  });

  it('refuses a file that looks like a plan but is not one, or a plan from another platform', () => {
    const d = tempDir();
    fs.writeFileSync(path.join(d, 'plan.json'), JSON.stringify({ formatVersion: 1, actions: 'no' }));
    const r = runCli(['apply', 'plan.json'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^linkplan: plan\.json: not a valid linkplan plan \(/);
    fs.writeFileSync(path.join(d, 'cut.json'), '{"formatVersion": 1, "actions": [');
    const cut = runCli(['apply', 'cut.json'], { cwd: d });
    expectCleanFailure(cut);
    expect(cut.stderr).toMatch(/^linkplan: cut\.json: not a valid linkplan plan \(not JSON: .*\)\n {2}hint: make the plan with `linkplan plan MANIFEST --out FILE`; a manifest is a \.yaml file\n$/);

    const p = project(SIMPLE, SIMPLE_TREE);
    expect(runCli(['plan', 'layout.yaml', '--out', 'plan.json'], { cwd: p }).code).toBe(0);
    const other = process.platform === 'win32' ? 'linux' : 'win32';
    fs.writeFileSync(path.join(p, 'plan.json'), fs.readFileSync(path.join(p, 'plan.json'), 'utf8').replace(`"platform": "${process.platform}"`, `"platform": "${other}"`));
    const before = snapshot(p);
    const foreign = runCli(['apply', 'plan.json'], { cwd: p });
    expectCleanFailure(foreign);
    expect(foreign.stderr).toBe(`linkplan: plan.json: the plan was made on ${other}, and this is ${process.platform}\n  hint: make the plan on the machine that applies it\n`);
    expect(snapshot(p)).toEqual(before);
  });

  it('says plainly when --out cannot be written', () => {
    const d = project(SIMPLE, SIMPLE_TREE);
    const before = snapshot(d);
    const r = runCli(['plan', 'layout.yaml', '--out', 'no/such/folder/plan.json'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toBe('linkplan: no/such/folder/plan.json: cannot save the plan (its folder does not exist)\n  hint: give --out a file name in a folder you can write to\n');
    const dir = runCli(['plan', 'layout.yaml', '--out', 't'], { cwd: d });
    expectCleanFailure(dir);
    expect(dir.stderr).toContain('linkplan: t: cannot save the plan (it is a folder)\n');
    expect(snapshot(d)).toEqual(before);
  });

  it.skipIf(posixOnly('a step the OS refuses midway: a folder in /proc'))('rolls back and says so when the OS refuses a step midway', () => {
    // the second link's folder cannot be made: /proc takes no new entries (and / is read-only on macOS)
    const d = project('version: 1\nlinks:\n  - { path: sub/a, target: t }\n  - { path: /proc/linkplan-test/x, target: t }\n', { t: {} });
    const before = snapshot(d);
    const r = runCli(['apply', 'layout.yaml'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^linkplan: apply failed at \/proc\/linkplan-test\/x: \/proc\S*: cannot create folder \([A-Z]+: [^)]*\)\nrolled back 2 steps; the disk is as it was before the apply\n {2}hint: fix the cause and run apply again\n$/);
    expect(snapshot(d)).toEqual(before);
  });

  it('refuses a plan with conflicts and changes nothing', () => {
    const d = project('version: 1\nlinks:\n  - { path: a, target: t }\n  - { path: b, target: t }\n  - { path: c, target: missing }\n', { a: 'in the way', t: 'target' });
    const before = snapshot(d);
    const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^linkplan: 2 conflicts in the plan:\n {2}\S*\/a: .*in the way\n {2}\S*\/c: its target \S*missing does not exist\n {2}hint: /);
    expect(r.stdout).toMatch(/^ {2}! conflict +a\b/m);
    expect(snapshot(d)).toEqual(before);
  });

  it('says what is wrong with a missing manifest, an unknown command, a bad --var', () => {
    const d = tempDir();
    const missing = runCli(['apply', 'nope.yaml'], { cwd: d });
    expectCleanFailure(missing);
    expect(missing.stderr).toBe('linkplan: nope.yaml: cannot read the manifest (no such file)\n  hint: give the path of a layout.yaml file\n');
    const folder = runCli(['validate', '.'], { cwd: d });
    expectCleanFailure(folder);
    expect(folder.stderr).toBe('linkplan: .: cannot read the manifest (it is a folder)\n  hint: give the path of a layout.yaml file\n');

    const unknown = runCli(['frobnicate'], { cwd: d });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("error: unknown command 'frobnicate'");
    expect(unknown.stderr).not.toMatch(STACK_LINE);

    const p = project(SIMPLE, SIMPLE_TREE);
    for (const bad of ['noequals', '=value']) {
      const r = runCli(['plan', 'layout.yaml', '--var', bad], { cwd: p });
      expectCleanFailure(r);
      expect(r.stderr).toBe(`linkplan: --var ${bad}: expected NAME=VALUE\n`);
    }
    const noArg = runCli(['apply'], { cwd: d });
    expect(noArg.code).toBe(1);
    expect(noArg.stderr).toContain("error: missing required argument 'manifest-or-plan'");
    expect(fs.readdirSync(d)).toEqual([]);
  });

  it('prints its version and help', () => {
    expect(runCli(['--version'])).toEqual({ code: 0, stdout: `${VERSION}\n`, stderr: '' });
    const help = runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: linkplan/);
    for (const cmd of ['validate', 'plan', 'apply']) expect(help.stdout).toContain(cmd);
  });
});

describe('colour', () => {
  it('is off without a terminal, with or without NO_COLOR', () => {
    const d = project(RISKY, RISKY_TREE);
    for (const env of [{ NO_COLOR: '1' }, { NO_COLOR: undefined }]) {
      const r = runCli(['plan', 'layout.yaml'], { cwd: d, env });
      expect(r.stdout).toContain('Plan: ');
      expect(r.stdout).not.toMatch(ANSI);
      const e = runCli(['apply', 'layout.yaml'], { cwd: d, env });
      expect(e.code).toBe(1);
      expect(e.stdout + e.stderr).not.toMatch(ANSI);
    }
  });

  it.skipIf(posixOnly('colour on a terminal: a pseudo-terminal from util-linux script'))('on a terminal, is on by default and off with NO_COLOR', () => {
    const d = project(RISKY, RISKY_TREE);
    const coloured = onTty(['plan', 'layout.yaml'], { cwd: d, env: { NO_COLOR: undefined } });
    expect(coloured.code).toBe(0);
    expect(coloured.stdout).toContain('Plan: ');
    expect(coloured.stdout).toMatch(ANSI);
    const plain = onTty(['plan', 'layout.yaml'], { cwd: d, env: { NO_COLOR: '1' } });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('Plan: ');
    expect(plain.stdout).not.toMatch(ANSI);
  });
});

describe.skipIf(posixOnly('apply asking on a terminal: a pseudo-terminal from util-linux script'))('on a terminal, apply asks before moving anything', () => {
  it('does nothing when the answer is no', () => {
    const d = project(RISKY, RISKY_TREE);
    const before = snapshot(d);
    const r = onTty(['apply', 'layout.yaml'], { cwd: d, input: 'n\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('This plan removes or moves 3 entries. Apply it? [y/N] ');
    expect(r.stdout).toContain('linkplan: apply cancelled; nothing was changed');
    expect(snapshot(d)).toEqual(before);
  });

  it('applies when the answer is yes', () => {
    const d = project(RISKY, RISKY_TREE);
    const r = onTty(['apply', 'layout.yaml'], { cwd: d, input: 'y\n' });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Applied: 1 to create, 0 to retarget, 1 to remove, 0 unchanged, 1 to back up and link, 1 to adopt');
    expect(fs.readFileSync(path.join(d, 'home/rc.linkplan-backup'), 'utf8')).toBe('mine');
    expect(fs.readlinkSync(path.join(d, 'new'))).toBe(path.join(d, 't/f'));
  });
});

describe.skipIf(posixOnly('progress on a terminal: a pseudo-terminal from util-linux script'))('progress on a terminal', () => {
  it('is drawn by listr2, or as plain lines on a terminal that reports no width', () => {
    for (const cols of [100, 0]) {
      const d = project('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "*"\n', { dots: { a: 'a', b: 'b' }, home: {} });
      const r = onTty(['apply', 'layout.yaml'], { cwd: d, cols });
      expect(r.code).toBe(0);
      const shown = stripVTControlCharacters(r.stdout).replace(/\r/g, '');
      expect(shown).toContain('Applied: 2 to create, 0 to retarget, 0 to remove, 0 unchanged');
      if (cols === 0) {
        expect(shown.split('\n').slice(0, 2)).toEqual(['  + create   home/a -> dots/a  (symlink)', '  + create   home/b -> dots/b  (symlink)']);
      } else {
        expect(shown).toContain('✔ Applied 2 changes');
      }
      expect(fs.readlinkSync(path.join(d, 'home/b'))).toBe(path.join(d, 'dots/b'));
    }
  });
});

/**
 * A copy of the bundled demo as the repository has it. The README's first command applies the
 * demo in place, so the folder may hold its links and the backup of home/.gitconfig: the copy is
 * made from git's index, not from the folder (from the folder only outside a git work tree).
 */
function pristineDemo(demo: string): string {
  const out = tempDir();
  const git = (args: string[], input?: Buffer): Buffer | undefined => {
    const r = spawnSync('git', ['-C', REPO, ...args], input === undefined ? {} : { input });
    return r.status === 0 ? r.stdout : undefined;
  };
  const files = git(['ls-files', '-z', '--', 'examples/demo']);
  if (files !== undefined && files.length > 0 && git(['checkout-index', '-z', '--stdin', `--prefix=${out}/`], files) !== undefined) {
    return path.join(out, 'examples', 'demo');
  }
  const d = path.join(out, 'demo');
  fs.cpSync(demo, d, { recursive: true, verbatimSymlinks: true });
  return d;
}

describe('the bundled example', () => {
  it('applies in a copy, backs up the file in the way, switches version, then has nothing to do', () => {
    const demo = path.join(REPO, 'examples', 'demo');
    const repoBefore = snapshot(demo);
    const d = pristineDemo(demo);
    const gitconfig = fs.readFileSync(path.join(d, 'home/.gitconfig'), 'utf8');

    const first = runCli(['apply', 'layout.yaml', '--yes'], { cwd: d });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('Applied: 4 to create, 0 to retarget, 0 to remove, 0 unchanged, 1 to back up and link\n');
    const s = snapshot(d);
    const p = (x: string): string => path.join(d, x);
    expect(s['tools/app']).toEqual({ kind: 'symlink', linkText: p('tools/app-2.0') });
    expect(fs.readFileSync(p('tools/app/VERSION'), 'utf8')).toBe(fs.readFileSync(p('tools/app-2.0/VERSION'), 'utf8'));
    expect(s['home/.bashrc']).toEqual({ kind: 'symlink', linkText: p('dotfiles/bashrc') });
    expect(s['home/.vimrc']).toEqual({ kind: 'symlink', linkText: '../dotfiles/vimrc' });
    expect(s['home/.gitconfig']).toEqual({ kind: 'symlink', linkText: p('dotfiles/gitconfig') });
    expect(fs.readFileSync(p('home/.gitconfig.linkplan-backup'), 'utf8')).toBe(gitconfig);
    expect(s['home/.config']?.kind).toBe('dir');
    expect(s['home/.config/app']).toEqual({ kind: 'symlink', linkText: p('dotfiles/config/app') });

    const again = runCli(['apply', 'layout.yaml'], { cwd: d });
    expect(again).toEqual({ code: 0, stdout: 'No changes: the disk already matches layout.yaml (5 entries)\n', stderr: '' });

    const sw = runCli(['apply', 'layout.yaml', '--var', 'app=1.0'], { cwd: d });
    expect(sw.stderr).toBe('');
    expect(sw.code).toBe(0);
    expect(sw.stdout).toMatch(/^ {2}~ retarget tools\/app -> tools\/app-1\.0\b/m);
    expect(sw.stdout).toContain('Applied: 0 to create, 1 to retarget, 0 to remove, 4 unchanged\n');
    expect(fs.readlinkSync(p('tools/app'))).toBe(p('tools/app-1.0'));
    const switched = snapshot(d);
    expect(switched).toEqual({ ...s, 'tools/app': { kind: 'symlink', linkText: p('tools/app-1.0') } });

    const last = runCli(['apply', 'layout.yaml', '--var', 'app=1.0'], { cwd: d });
    expect(last).toEqual({ code: 0, stdout: 'No changes: the disk already matches layout.yaml (5 entries)\n', stderr: '' });
    expect(snapshot(d)).toEqual(switched);
    expect(snapshot(demo)).toEqual(repoBefore);
  });
});

describe('a reader that goes away', () => {
  it('does not stop an apply: `linkplan apply ... | head -1` finishes the work, exits 0, prints no stack trace', async () => {
    const files: TreeSpec = {};
    for (let i = 0; i < 600; i++) files[`f${i}`] = String(i);
    const d = project('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "*"\n', { dots: files });
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [BIN, 'apply', 'layout.yaml'], {
      cwd: d,
      env: { ...process.env, NO_COLOR: '1', LINKPLAN_STATE_DIR: STATE_DIR },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.destroy(); // the reader is gone before the first line
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect([code, stderr]).toEqual([0, '']);
    expect(fs.readdirSync(path.join(d, 'home'))).toHaveLength(600);
    expect(fs.readlinkSync(path.join(d, 'home/f599'))).toBe(path.join(d, 'dots/f599'));
  });
});

describe('hostile or mistaken input', () => {
  // eslint-disable-next-line no-control-regex
  const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

  it.skipIf(posixOnly('a manifest that is a FIFO or /dev/zero: Windows has neither'))('reads only a regular file as a manifest: a FIFO or /dev/zero is refused at once, a link to a manifest is followed', () => {
    const d = project(SIMPLE, SIMPLE_TREE);
    spawnSync('mkfifo', [path.join(d, 'fifo.yaml')]);
    const fifo = runCli(['validate', 'fifo.yaml'], { cwd: d, timeout: 15_000 });
    expectCleanFailure(fifo);
    expect(fifo.stderr).toBe('linkplan: fifo.yaml: cannot read the manifest (not a regular file: a FIFO)\n  hint: give the path of a layout.yaml file\n');
    // a FIFO named like a saved plan is not opened as one either (apply and recover read plans)
    spawnSync('mkfifo', [path.join(d, 'fifo.json')]);
    const asPlan = runCli(['apply', 'fifo.json'], { cwd: d, timeout: 15_000 });
    expectCleanFailure(asPlan);
    expect(asPlan.stderr).toContain('linkplan: fifo.json: cannot read the manifest (not a regular file: a FIFO)\n');
    // (recover reads no manifest: with no journal there is nothing to do, at once)
    expect(runCli(['recover', 'fifo.json'], { cwd: d, timeout: 15_000 }).stdout).toBe('Nothing to recover: no unfinished apply of fifo.json\n');
    const zero = runCli(['plan', '/dev/zero'], { cwd: d, timeout: 15_000 });
    expectCleanFailure(zero);
    expect(zero.stderr).toContain('linkplan: /dev/zero: cannot read the manifest (not a regular file: a character device)\n');
    fs.symlinkSync('layout.yaml', path.join(d, 'via-link.yaml'));
    expect(runCli(['validate', 'via-link.yaml'], { cwd: d }).stdout).toBe('via-link.yaml: valid (2 links)\n');
  });

  it('refuses a manifest over the size limit before reading it', () => {
    const d = project(SIMPLE, SIMPLE_TREE);
    fs.truncateSync(path.join(d, 'layout.yaml'), 50 * 1024 * 1024);
    const started = Date.now();
    const r = runCli(['validate', 'layout.yaml'], { cwd: d, timeout: 15_000 });
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^linkplan: layout\.yaml: the manifest is 50\.0 MiB; linkplan reads at most 16 MiB\n/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('ends alias bombs, deep nesting and runaway variables in located messages, not internal errors', () => {
    const bomb = ['version: 1', 'x0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) bomb.push(`x${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    const grow = ['version: 1', 'vars:', '  v0: ab'];
    for (let i = 1; i < 40; i++) grow.push(`  v${i}: "\${v${i - 1}}\${v${i - 1}}"`);
    for (const [text, where] of [
      [bomb.join('\n') + '\nlinks: []\n', /layout\.yaml:8:10: aliases expand the manifest/],
      [`version: 1\nlinks: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, /layout\.yaml:2:\d+: the manifest nests deeper than 64 levels/],
      [grow.join('\n') + '\nlinks:\n  - { path: "${v39}", target: t }\n', /layout\.yaml:19:\d+: vars\.v16: expands to more than 65,536 characters/],
    ] as const) {
      const r = runCli(['plan', 'layout.yaml'], { cwd: project(text), timeout: 30_000 });
      expectCleanFailure(r);
      expect(r.stderr).toMatch(where);
      expect(r.stderr.length).toBeLessThan(20_000);
    }
  });

  it('escapes control characters in paths in the plan, the progress lines and errors: one line per action', () => {
    const name = 'a\u001b[31mred\nnext\u0085';
    const d = project(`version: 1\nlinks:\n  - { path: ${JSON.stringify(name)}, target: t/f }\n  - { path: plain, target: t/f }\n`, SIMPLE_TREE);
    const plan = runCli(['plan', 'layout.yaml'], { cwd: d });
    expect(plan.code).toBe(0);
    expect(plan.stdout).not.toMatch(RAW_CONTROL);
    expect(plan.stdout.split('\n').slice(0, 2)).toEqual(['  + create   a\\x1b[31mred\\nnext\\x85 -> t/f  (symlink)', '  + create   plain -> t/f  (symlink)']);
    const apply = runCli(['apply', 'layout.yaml'], { cwd: d });
    expect(apply.code).toBe(0);
    expect(apply.stdout).not.toMatch(RAW_CONTROL);
    expect(apply.stdout.split('\n').slice(0, 2)).toEqual(['  + create   a\\x1b[31mred\\nnext\\x85 -> t/f  (symlink)', '  + create   plain -> t/f  (symlink)']);
    expect(fs.readlinkSync(path.join(d, name))).toBe(path.join(d, 't/f'));
    // a JSON plan keeps the name exactly (JSON escapes it itself)
    const json = runCli(['plan', 'layout.yaml', '--json', '-v'], { cwd: d });
    expect((JSON.parse(json.stdout) as { actions: { path: string }[] }).actions.map((a) => a.path)).toContain(path.join(d, name));

    const missing = runCli(['validate', 'bad\u001b]0;title\u0007.yaml'], { cwd: d });
    expectCleanFailure(missing);
    expect(missing.stderr).not.toMatch(RAW_CONTROL);
    expect(missing.stderr).toContain('bad\\x1b]0;title\\x07.yaml: cannot read the manifest (no such file)');
  });

  it('quotes a binary manifest by a short, escaped excerpt, and names the first byte that is not UTF-8', () => {
    const junk = Buffer.alloc(10_000);
    for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919) % 256;
    const d = project('');
    fs.writeFileSync(path.join(d, 'layout.yaml'), Buffer.concat([Buffer.from('version: 1\nlinks: []\nx: '), junk]));
    const r = runCli(['validate', 'layout.yaml'], { cwd: d });
    expectCleanFailure(r);
    expect(r.stderr).toMatch(/^linkplan: layout\.yaml: 1 problem in the manifest\n {2}layout\.yaml:3:\d+: the manifest is not UTF-8 text \(byte 0x[0-9a-f]{2}\); save it as UTF-8\n/);
    const text = Buffer.from(`version: ${JSON.stringify('\u0001\u009b2J'.repeat(4000))}\nlinks: []\n`);
    fs.writeFileSync(path.join(d, 'layout.yaml'), text);
    const long = runCli(['validate', 'layout.yaml'], { cwd: d });
    expectCleanFailure(long);
    expect(long.stderr).not.toMatch(RAW_CONTROL);
    expect(long.stderr.length).toBeLessThan(600);
  });
});

describe('escaping in backups and recover', () => {
  // eslint-disable-next-line no-control-regex
  const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

  it('lists a backup and reports a rollback with the control characters of their paths escaped', async () => {
    const name = 'rc\u001b[2J\rx';
    const d = project(`version: 1\nlinks:\n  - { path: ${JSON.stringify(name)}, target: t/f, onConflict: backup }\n  - { path: b, target: t/f }\n`, { t: { f: 'f' }, [name]: 'mine' });
    const state = tempDir();
    const env = { LINKPLAN_STATE_DIR: state };
    expect(runCli(['apply', 'layout.yaml', '--yes'], { cwd: d, env }).code).toBe(0);
    const list = runCli(['backups', 'list', 'layout.yaml'], { cwd: d, env });
    expect(list.code).toBe(0);
    expect(list.stdout).not.toMatch(RAW_CONTROL);
    expect(list.stdout).toContain('rc\\x1b[2J\\rx');

    const again = project(`version: 1\nlinks:\n  - { path: ${JSON.stringify(name)}, target: t/f }\n  - { path: b, target: t/f }\n`, { t: { f: 'f' } });
    const killed = await runCliAsync(['apply', 'layout.yaml'], { cwd: again, state, crashAt: 'after:1' });
    expect(killed.signal).toBe('SIGKILL');
    const recover = runCli(['recover', 'layout.yaml'], { cwd: again, env });
    expect(recover.code).toBe(0);
    expect(recover.stdout).toMatch(/^Rolled back/);
    expect(recover.stdout).not.toMatch(RAW_CONTROL);
    expect(recover.stdout).toContain('rc\\x1b[2J\\rx');
  });
});
