// Golden folders: each test/fixtures/<case>/ with a layout.yaml holds the starting tree
// (tree.json, in the TreeSpec shape of helpers/tree.ts, with <root> standing for the case's
// folder in link texts; first.yaml, where present, a manifest applied before the case in its place,
// for links linkplan made) and the expected output of the real CLI: plan.txt (`linkplan plan`),
// plan.json (`linkplan plan --json`) and, where present, plan-verbose.txt (`plan -v`). The
// temporary folder's path becomes <root>; the manifest digest, device numbers and file ids,
// which change from run to run, become fixed placeholders. UPDATE_GOLDEN=1 rewrites the files.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validatePlan } from '../src/generated/validators.js';
import { displayPath, type AbsPath } from '../src/core/paths.js';
import { linesNeedEscape, needsEscape } from '../src/core/printable.js';
import { renderAction, renderPlan, summaryLine } from '../src/views/render.js';
import type { Action, Plan } from '../src/core/types.js';
import { runCli } from './helpers/cli.js';
import { tempDir, writeTree, type TreeSpec } from './helpers/tree.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const DIGEST_PLACEHOLDER = 'sha256:' + '0'.repeat(64);
const FILE_ID_PLACEHOLDER = '<fileId>';

const CASES = fs
  .readdirSync(FIXTURES, { withFileTypes: true })
  .filter((e) => e.isDirectory() && fs.existsSync(path.join(FIXTURES, e.name, 'layout.yaml')))
  .map((e) => e.name)
  .sort();

/** Replaces <root> in every link text of a tree description. */
function withRoot(spec: TreeSpec, root: string): TreeSpec {
  const out: TreeSpec = {};
  for (const [name, v] of Object.entries(spec)) {
    if (typeof v === 'string') out[name] = v;
    else if ('link' in v && typeof v.link === 'string') out[name] = { link: v.link.replaceAll('<root>', root) };
    else if ('hardlink' in v && typeof v.hardlink === 'string') out[name] = v;
    else out[name] = withRoot(v, root);
  }
  return out;
}

/** Copies a case into a fresh temporary folder and builds its starting tree there. */
function setUp(name: string): string {
  const root = tempDir(`linkplan-golden-${name}-`);
  fs.copyFileSync(path.join(FIXTURES, name, 'layout.yaml'), path.join(root, 'layout.yaml'));
  const treeFile = path.join(FIXTURES, name, 'tree.json');
  if (fs.existsSync(treeFile)) writeTree(root, withRoot(JSON.parse(fs.readFileSync(treeFile, 'utf8')) as TreeSpec, root));
  // first.yaml, where there is one, is applied first in the manifest's place: the links it makes
  // are linkplan's (its records hold them) when the case is planned
  const first = path.join(FIXTURES, name, 'first.yaml');
  if (fs.existsSync(first)) {
    fs.copyFileSync(first, path.join(root, 'layout.yaml'));
    const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: root });
    expect(r.code, r.stderr).toBe(0);
    fs.copyFileSync(path.join(FIXTURES, name, 'layout.yaml'), path.join(root, 'layout.yaml'));
  }
  return root;
}

function normaliseText(s: string, root: string): string {
  return s.replaceAll(root, '<root>').replace(/sha256:[0-9a-f]{64}/g, DIGEST_PLACEHOLDER);
}

/** The JSON plan with run-specific values replaced; it stays a valid plan. */
function normaliseJson(value: unknown, root: string): unknown {
  if (typeof value === 'string') return normaliseText(value, root);
  if (Array.isArray(value)) return value.map((v) => normaliseJson(v, root));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'dev' && typeof v === 'number') out[k] = 0;
      else if (k === 'fileId' && typeof v === 'string') out[k] = FILE_ID_PLACEHOLDER;
      else if (k === 'digest' && typeof v === 'string') out[k] = DIGEST_PLACEHOLDER;
      else out[k] = normaliseJson(v, root);
    }
    return out;
  }
  return value;
}

function golden(name: string, file: string, actual: string): void {
  const p = path.join(FIXTURES, name, file);
  if (UPDATE) fs.writeFileSync(p, actual);
  expect(fs.existsSync(p), `${p} is missing; run with UPDATE_GOLDEN=1 to write it`).toBe(true);
  expect(actual).toBe(fs.readFileSync(p, 'utf8'));
}

function schemaErrors(data: unknown): string {
  return (validatePlan.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? e.keyword}`).join('; ') + ` in ${JSON.stringify(data).slice(0, 200)}`;
}

/** The checks every rendered plan must pass, whatever the case. */
function checkShape(text: string, plan: Plan): void {
  const lines = text.split('\n');
  expect(lines.at(-1)).toBe('');
  const summary = lines.find((l) => l.startsWith('Plan: '));
  const s = plan.summary;
  let want = `Plan: ${s.create} to create, ${s.retarget} to retarget, ${s.remove} to remove, ${s.unchanged} unchanged`;
  if (s.backup > 0) want += `, ${s.backup} to back up and link`;
  if (s.adopt > 0) want += `, ${s.adopt} to adopt`;
  if (s.conflict > 0) want += `, ${s.conflict} conflict${s.conflict === 1 ? '' : 's'}`;
  expect(summary).toBe(want);
  // one line per action (two spaces, a symbol), then lines indented deeper, then a blank line
  const shown = plan.actions.filter((a) => a.kind !== 'noop');
  const heads = lines.filter((l) => /^ {2}[+~\-*<=!] /.test(l));
  expect(heads).toHaveLength(shown.length);
  const body = lines.slice(0, lines.indexOf(summary ?? ''));
  for (const l of body) expect(l === '' || /^ {2}[+~\-*<=!] /.test(l) || l.startsWith('      ')).toBe(true);
}

describe('golden plans', () => {
  it('has the cases the specification names', () => {
    for (const c of ['fresh', 'nochange', 'retarget', 'conflicts', 'backup-adopt', 'remove', 'glob']) expect(CASES).toContain(c);
    expect(CASES.filter((c) => fs.existsSync(path.join(FIXTURES, c, 'plan-verbose.txt'))).length).toBeGreaterThan(0);
  });

  describe.each(CASES)('%s', (name) => {
    it('plan (text) matches plan.txt', () => {
      const root = setUp(name);
      const r = runCli(['plan', 'layout.yaml'], { cwd: root });
      const json = runCli(['plan', 'layout.yaml', '--json'], { cwd: root });
      const plan = JSON.parse(json.stdout) as Plan;
      const conflicts = plan.summary.conflict;
      expect(r.code, r.stderr).toBe(conflicts > 0 ? 1 : 0);
      expect(r.stderr).toBe(conflicts > 0 ? `linkplan: the plan has ${conflicts} conflict${conflicts === 1 ? '' : 's'}; apply would refuse it\n` : '');
      checkShape(r.stdout, plan);
      golden(name, 'plan.txt', normaliseText(r.stdout, root));
    });

    it('plan --json matches plan.json and the plan schema', () => {
      const root = setUp(name);
      const r = runCli(['plan', 'layout.yaml', '--json'], { cwd: root });
      expect(r.stdout, `exit ${r.code}: ${r.stderr}`).toMatch(/^\{/);
      const raw: unknown = JSON.parse(r.stdout);
      expect(validatePlan(raw), schemaErrors(raw)).toBe(true);
      const plan = raw as Plan;
      expect(r.code, r.stderr).toBe(plan.summary.conflict > 0 ? 1 : 0);
      expect(plan.manifest.path).toBe(path.join(root, 'layout.yaml'));
      const normal = JSON.stringify(normaliseJson(raw, root), null, 2) + '\n';
      golden(name, 'plan.json', normal);
      const stored: unknown = JSON.parse(fs.readFileSync(path.join(FIXTURES, name, 'plan.json'), 'utf8'));
      expect(validatePlan(stored), schemaErrors(stored)).toBe(true);
    });

  });

  // cases with a plan-verbose.txt also pin `plan -v`, which lists the unchanged links too
  describe.each(CASES.filter((c) => fs.existsSync(path.join(FIXTURES, c, 'plan-verbose.txt'))))('%s', (name) => {
    it('plan -v matches plan-verbose.txt', () => {
      const root = setUp(name);
      const r = runCli(['plan', 'layout.yaml', '-v'], { cwd: root });
      const plan = JSON.parse(runCli(['plan', 'layout.yaml', '--json'], { cwd: root }).stdout) as Plan;
      const heads = r.stdout.split('\n').filter((l) => /^ {2}[+~\-*<=!] /.test(l));
      expect(heads).toHaveLength(plan.actions.length);
      expect(heads.filter((l) => l.startsWith('  = '))).toHaveLength(plan.summary.unchanged);
      golden(name, 'plan-verbose.txt', normaliseText(r.stdout, root));
    });
  });
});

// ---------------------------------------------------------------------------------------------
// The renderer on hand-made plan values: what the golden cases do not reach
// ---------------------------------------------------------------------------------------------

const A = (p: string): AbsPath => p as AbsPath;

/** The fields every action has, which `action` fills in where a test leaves them out. */
type Common = 'path' | 'source' | 'reason' | 'notes' | 'before' | 'after';
/** An action of one kind, its common fields optional. */
type ActionExtra = Action extends infer A ? (A extends Action ? Omit<A, Common> & Partial<Pick<A, Common>> : never) : never;

function action(extra: ActionExtra): Action {
  return {
    path: A('/work/m/home/.bashrc'),
    source: { where: 'links[0]' },
    reason: 'why',
    notes: [],
    before: { kind: 'absent' },
    after: { kind: 'absent' },
    ...extra,
  };
}

function planOf(actions: Action[]): Plan {
  const s = { create: 0, retarget: 0, remove: 0, backup: 0, adopt: 0, unchanged: 0, conflict: 0 };
  for (const a of actions) {
    if (a.kind === 'create') s.create++;
    else if (a.kind === 'conflict') s.conflict++;
    else if (a.kind === 'noop') s.unchanged++;
  }
  return { formatVersion: 1, manifest: { path: '/work/m/layout.yaml', digest: DIGEST_PLACEHOLDER }, platform: 'linux', actions, summary: s };
}

const LINK = { type: 'symlink' as const, target: A('/work/m/dotfiles/bashrc'), linkText: '/work/m/dotfiles/bashrc' };

describe('renderAction and renderPlan', () => {
  it('shows paths below the manifest folder relative to it, under home with ~, elsewhere in full', () => {
    const a = action({ kind: 'create', path: A('/home/ada/.bashrc'), link: { ...LINK, target: A('/srv/dots/bashrc'), linkText: '/srv/dots/bashrc' } });
    expect(renderAction(a, { base: '/work/m', home: '/home/ada', color: false })).toEqual(['  + create   ~/.bashrc -> /srv/dots/bashrc  (symlink)']);
    const b = action({ kind: 'create', link: LINK, parents: [A('/work/m/home')] });
    expect(renderAction(b, { base: '/work/m', color: false })).toEqual(['  + create   home/.bashrc -> dotfiles/bashrc  (symlink, new folder home)']);
  });

  it('a diff too large to show names both files and the limit', () => {
    const a = action({
      kind: 'conflict',
      reason: 'a regular file is in the way',
      hint: 'set onConflict: backup',
      link: LINK,
      diff: { kind: 'too-large', paths: ['/work/m/home/.bashrc', '/work/m/dotfiles/bashrc'], limit: 256 * 1024 },
    });
    expect(renderAction(a, { base: '/work/m', color: false })).toEqual([
      '  ! conflict home/.bashrc: a regular file is in the way',
      '      hint: set onConflict: backup',
      '      no diff shown: home/.bashrc or dotfiles/bashrc is over 256 KiB',
    ]);
  });

  it('colours only when asked', () => {
    const plan = planOf([action({ kind: 'create', link: LINK }), action({ kind: 'conflict', path: A('/work/m/x'), reason: 'bad', hint: 'fix it' })]);
    const plain = renderPlan(plan, { base: '/work/m', color: false });
    const coloured = renderPlan(plan, { base: '/work/m', color: true });
    const ESC = String.fromCharCode(27);
    expect(plain).not.toContain(ESC);
    expect(coloured).toContain(`${ESC}[`);
    expect(stripVTControlCharacters(coloured)).toBe(plain);
    expect(plain).toBe(
      [
        '  + create   home/.bashrc -> dotfiles/bashrc  (symlink)',
        '  ! conflict x: bad',
        '      hint: fix it',
        '',
        'Plan: 1 to create, 0 to retarget, 0 to remove, 0 unchanged, 1 conflict',
        '1 conflict must be resolved before apply; nothing will be changed until then',
        '',
      ].join('\n'),
    );
  });

  it('a create line without colours (made by a shorter path: a first apply prints thousands) is the coloured line less its colours', () => {
    const seg = fc.stringMatching(/^[a-z.]{1,6}$/);
    const abs = fc.array(seg, { minLength: 1, maxLength: 4 }).chain((parts) => fc.constantFrom('/work/m/', '/home/ada/', '/srv/').map((root) => A(root + parts.join('/'))));
    const create = fc.record({
      path: abs,
      target: abs,
      type: fc.constantFrom('symlink' as const, 'junction' as const, 'hardlink' as const),
      text: fc.oneof(fc.constant(undefined), fc.stringMatching(/^(\.\.\/)?[a-z]{1,4}(\/[a-z]{1,4})?$/), abs),
      parents: fc.option(fc.array(abs, { minLength: 0, maxLength: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(create, (c) => {
        const a = action({ kind: 'create', path: c.path, link: { type: c.type, target: c.target, linkText: c.text ?? c.target }, ...(c.parents === undefined ? {} : { parents: c.parents }) });
        const opts = { base: '/work/m', home: '/home/ada' };
        const plain = renderAction(a, { ...opts, color: false });
        expect(stripVTControlCharacters(renderAction(a, { ...opts, color: true }).join('\n'))).toBe(plain.join('\n'));
      }),
      { numRuns: 2000 },
    );
    // and what that looks like, relative text and new folders named
    const rel = action({ kind: 'create', link: { ...LINK, linkText: '../dotfiles/bashrc' }, parents: [A('/work/m/home'), A('/work/m/home/x')] });
    expect(renderAction(rel, { base: '/work/m', color: false })).toEqual(['  + create   home/.bashrc -> dotfiles/bashrc  (symlink, relative text ../dotfiles/bashrc, new folders home, home/x)']);
  });

  it('an empty plan says there is nothing to do, naming the manifest', () => {
    expect(renderPlan(planOf([]), { base: '/work/m', color: false })).toBe('Plan: 0 to create, 0 to retarget, 0 to remove, 0 unchanged\nNo changes: the disk already matches layout.yaml\n');
    expect(renderPlan(planOf([]), { base: '/elsewhere', color: false })).toMatch(/No changes: the disk already matches \/work\/m\/layout\.yaml\n$/);
  });

  it.each([
    [{ create: 1, retarget: 2, remove: 3, backup: 0, adopt: 0, unchanged: 4, conflict: 0 }, '1 to create, 2 to retarget, 3 to remove, 4 unchanged'],
    [{ create: 0, retarget: 0, remove: 0, backup: 1, adopt: 2, unchanged: 0, conflict: 3 }, '0 to create, 0 to retarget, 0 to remove, 0 unchanged, 1 to back up and link, 2 to adopt, 3 conflicts'],
  ])('summaryLine(%j)', (s, line) => {
    expect(summaryLine(s)).toBe(line);
  });
});

describe('paths as a person reads them', () => {
  it('shows a path relative to the base folder, under home with ~, and anything else whole', () => {
    const show = (p: string, opts: { base?: string; home?: string; platform?: 'linux' | 'win32' }): string => displayPath(p, { platform: 'linux', ...opts });
    expect(show('/w/proj/home/.bashrc', { base: '/w/proj', home: '/home/me' })).toBe('home/.bashrc');
    expect(show('/w/proj', { base: '/w/proj' })).toBe('.');
    expect(show('/w/project/x', { base: '/w/proj' })).toBe('/w/project/x'); // a sibling that shares the prefix is not below
    expect(show('/home/me/.config/app', { base: '/w/proj', home: '/home/me' })).toBe('~/.config/app');
    expect(show('/home/me', { home: '/home/me' })).toBe('/home/me');
    expect(show('/etc/hosts', { base: '/' })).toBe('etc/hosts');
    expect(show('C:\\Users\\Me\\AppData\\x', { base: 'c:\\users\\me', platform: 'win32' })).toBe('AppData\\x');
    expect(show('D:\\tools\\jdk', { base: 'C:\\proj', home: 'C:\\Users\\Me', platform: 'win32' })).toBe('D:\\tools\\jdk');
  });
});

describe('linesNeedEscape: many lines tested at once', () => {
  it('says what testing each line would say, a newline inside a line included', () => {
    const lines = fc.array(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('a\nb', 'x\u001b[31m', '\ud83d\ude00 ok', 'lone \ud83d', '\udc00', 'plain')), { maxLength: 8 });
    fc.assert(
      fc.property(lines, (ls) => {
        expect(linesNeedEscape(ls.map((l) => `${l}\n`).join(''), ls.length)).toBe(ls.some((l) => needsEscape(l)));
      }),
      { numRuns: 2000 },
    );
  });
});
