// Tests for manifest loading: every schema and YAML problem reported at once with its place, variable
// expansion, defaults, `when` conditions, glob expansion on a real tree, and the layout checks
// (duplicates, links inside links, cycles). Everything is loaded from real files in temp folders.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PosixDriver } from '../src/drivers/posix.js';
import { ManifestError, UsageError, type ManifestProblem } from '../src/core/errors.js';
import { fileManifestCache, manifestCachePath } from '../src/manifest/cache.js';
import { loadManifest, type LoadOptions, type LoadedManifest, type ManifestCache, type ParsedManifest } from '../src/manifest/load.js';
import { observe } from '../src/plan/observe.js';
import { planPure } from './helpers/plan.js';
import type { Desired } from '../src/core/types.js';
import { expandPath } from '../src/manifest/vars.js';
import { tempDir, writeTree, type TreeSpec } from './helpers/tree.js';
import { parse } from 'yaml';

const driver = new PosixDriver();

/** Options that make loading independent of the machine the tests run on. */
function opts(extra: Partial<LoadOptions> = {}): LoadOptions {
  return { driver, env: {}, platform: 'linux', hostname: 'devbox.example.org', home: '/home/tester', ...extra };
}

function load(yaml: string, extra: Partial<LoadOptions> = {}, tree: TreeSpec = {}): { dir: string; loaded: LoadedManifest } {
  const dir = tempDir();
  writeTree(dir, tree);
  fs.writeFileSync(path.join(dir, 'layout.yaml'), yaml);
  return { dir, loaded: loadManifest(path.join(dir, 'layout.yaml'), opts(extra)) };
}

function problemsOf(yaml: string, extra: Partial<LoadOptions> = {}, tree: TreeSpec = {}): { dir: string; problems: ManifestProblem[]; error: ManifestError } {
  const dir = tempDir();
  writeTree(dir, tree);
  const file = path.join(dir, 'layout.yaml');
  fs.writeFileSync(file, yaml);
  try {
    loadManifest(file, opts(extra));
  } catch (e) {
    if (e instanceof ManifestError) return { dir, problems: [...e.problems], error: e };
    throw e;
  }
  throw new Error('expected a ManifestError');
}

/** `line:column where: message`, the way a person reads a problem. */
function lines(problems: readonly ManifestProblem[]): string[] {
  return problems.map((p) => `${p.line ?? '-'}:${p.column ?? '-'} ${p.where}: ${p.message}`);
}

/** Desired entries with paths relative to `dir`, for compact assertions. */
function rel(dir: string, desired: readonly Desired[]): { path: string; target: string | null }[] {
  const r = (p: string): string => path.relative(dir, p);
  return desired.map((d) => ({ path: r(d.path), target: d.target === null ? null : r(d.target) }));
}

describe('schema problems are all reported at once', () => {
  it('lists every mistake with its line, column, YAML path and a plain sentence', () => {
    const yaml = [
      'version: 2', // 1
      'links:', // 2
      '  - path: a', // 3
      '    tagret: b', // 4
      '  - path: c', // 5
      '    target: d', // 6
      '    type: simlink', // 7
      '  - path: e', // 8
      '    target: 5', // 9
      '    relative: "yes"', // 10
      '  - target: f', // 11
      '  - path: g', // 12
      '    target: h', // 13
      '    when:', // 14
      '      os: beos', // 15
      '  - path: i', // 16
      '    target: j', // 17
      '    when:', // 18
      '      os: [linux, plan9]', // 19
      '      hostname: 5', // 20
      '',
    ].join('\n');
    const { problems, error } = problemsOf(yaml);
    expect(lines(problems)).toEqual([
      '1:10 version: must be 1 (the only manifest format this linkplan reads), not the number 2',
      '4:5 links[0].tagret: unknown key (did you mean "target"?)',
      '7:11 links[1].type: must be auto, junction, symlink or hardlink, not the string "simlink" (did you mean "symlink"?)',
      '9:13 links[2].target: must be a string, not the number 5',
      '10:15 links[2].relative: must be true or false, not the string "yes"',
      '11:5 links[3]: missing "path" (where the link lives)',
      '15:11 links[4].when.os: must be linux, macos, darwin or windows, or a list of them, not the string "beos"',
      '19:19 links[5].when.os[1]: must be linux, macos, darwin or windows, not the string "plan9"',
      '20:17 links[5].when.hostname: must be a host name or a list of host names, not the number 5',
    ]);
    expect(error.message.split('\n')[0]).toMatch(/layout\.yaml: 9 problems in the manifest$/);
    expect(error.message).toContain('layout.yaml:4:5: links[0].tagret: unknown key (did you mean "target"?)');
    expect(error.hint).toBe('fix the manifest and run the command again; nothing was changed');
  });

  it('explains other shapes: empty lists, bad variable names, unknown keys without a near match', () => {
    const yaml = [
      'version: 1', // 1
      'vars:', // 2
      '  9x: 1', // 3
      '  ok: [1]', // 4
      'defaults:', // 5
      '  path: x', // 6
      'links:', // 7
      '  - path: a', // 8
      '    target: b', // 9
      '    when:', // 10
      '      os: []', // 11
      '      env: {A: [5]}', // 12
      '      hostname: [5]', // 13
      '  - path: ""', // 14
      '    target: b', // 15
      '    onConflict: bakup', // 16
      '    zzzzzz: 1', // 17
      '',
    ].join('\n');
    expect(lines(problemsOf(yaml).problems)).toEqual([
      '3:3 vars["9x"]: "9x" is not a valid variable name (letters, digits, _ . - and not starting with a digit)',
      '4:7 vars.ok: must be a string, a number, true or false, not a list',
      '6:3 defaults.path: unknown key; known keys: type, relative, state, onConflict, createParents, allowCycle, targetForm, when',
      '11:11 links[0].when.os: must not be an empty list',
      '12:16 links[0].when.env.A: must be a string, a number, true or false, not a list',
      '13:18 links[0].when.hostname[0]: must be a string, not the number 5',
      '14:11 links[1].path: must not be empty',
      '16:17 links[1].onConflict: must be refuse, backup, adopt or persist, not the string "bakup" (did you mean "backup"?)',
      '17:5 links[1].zzzzzz: unknown key; known keys: path, target, type, relative, state, onConflict, createParents, allowCycle, targetForm, allowSystemPaths, relocate, when, glob, exclude, fold',
    ]);
  });

  it('says what is wrong with a document that is empty, a list, or lacks links', () => {
    expect(lines(problemsOf('').problems)).toEqual(['-:- : the manifest is empty; it needs at least "version: 1" and "links:"']);
    expect(lines(problemsOf('- a\n- b\n').problems)).toEqual(['1:1 : the manifest must be a mapping with "version" and "links", not a list']);
    expect(lines(problemsOf('version: 1\n').problems)).toEqual(['1:1 : missing "links" (the list of links)']);
    expect(lines(problemsOf('version: 1\nlinks:\n').problems)).toEqual(['2:7 links: must be a list, not empty']);
    expect(lines(problemsOf('version: 1\nlinks:\n  -\n').problems)).toEqual(['3:4 links[0]: must be a mapping, not empty']);
    expect(lines(problemsOf('version: "1"\nlinks: []\n').problems)).toEqual([
      '1:10 version: must be 1 (the only manifest format this linkplan reads), not the string "1"',
    ]);
    expect(lines(problemsOf('version: 1\nlnks: []\n').problems)).toEqual(['2:1 lnks: unknown key (did you mean "links"?)', '1:1 : missing "links" (the list of links)'].reverse());
  });

  it('reports a missing manifest file as a usage error', () => {
    const dir = tempDir();
    expect(() => loadManifest(path.join(dir, 'nope.yaml'), opts())).toThrow(UsageError);
    expect(() => loadManifest(path.join(dir, 'nope.yaml'), opts())).toThrow(/nope\.yaml: cannot read the manifest \(no such file\)$/);
  });
});

describe('YAML syntax', () => {
  it('reports a duplicate key with its place and name', () => {
    const { problems } = problemsOf('version: 1\nlinks:\n  - path: a\n    target: b\n    path: c\n');
    expect(lines(problems)).toEqual(['5:5 : duplicate key "path"; a key may appear only once in a mapping']);
  });

  it('reports tabs and unclosed brackets with line and column', () => {
    expect(lines(problemsOf('version: 1\nlinks:\n  - path: a\n\ttarget: b\n').problems)).toEqual(['4:1 : YAML syntax: Tabs are not allowed as indentation']);
    const { problems } = problemsOf('version: 1\nlinks:\n  - path: a\n    target: [b, c\n');
    expect(problems.length).toBeGreaterThan(0);
    for (const p of problems) {
      expect(p.message).toMatch(/^YAML syntax: /);
      expect(p.line).toBeGreaterThanOrEqual(4);
      expect(p.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('reports every duplicate key at once', () => {
    const { problems } = problemsOf('version: 1\nversion: 1\nlinks:\n  - path: a\n    target: b\n    target: c\n');
    expect(lines(problems)).toEqual([
      '2:1 : duplicate key "version"; a key may appear only once in a mapping',
      '6:5 : duplicate key "target"; a key may appear only once in a mapping',
    ]);
  });
});

describe('variables', () => {
  it('expands ${name}, nested variables, ${env:NAME}, ~ and $${', () => {
    const yaml = [
      'version: 1',
      'vars:',
      '  root: ${env:LP_ROOT}/apps',
      '  app: ${root}/${name}-${ver}',
      '  name: tool',
      '  ver: 2',
      'links:',
      '  - path: bin/${name}',
      '    target: ${app}',
      '  - path: ~/.toolrc',
      '    target: conf/$${literal}',
      '  - path: home-link',
      '    target: "~"',
      '',
    ].join('\n');
    const { dir, loaded } = load(yaml, { env: { LP_ROOT: '/opt' } });
    expect(loaded.desired.map((d) => [d.path, d.target])).toEqual([
      [path.join(dir, 'bin/tool'), '/opt/apps/tool-2'],
      ['/home/tester/.toolrc', path.join(dir, 'conf/${literal}')],
      [path.join(dir, 'home-link'), '/home/tester'],
    ]);
  });

  it('lets --var override a manifest variable, and add new ones', () => {
    const yaml = 'version: 1\nvars:\n  ver: "2.0"\n  app: tools/app-${ver}\nlinks:\n  - path: tools/app\n    target: ${app}\n  - path: x\n    target: ${extra}\n';
    const { dir, loaded } = load(yaml, { vars: { ver: '1.0', extra: 'y' } });
    expect(rel(dir, loaded.desired)).toEqual([
      { path: 'tools/app', target: 'tools/app-1.0' },
      { path: 'x', target: 'y' },
    ]);
  });

  it('reports a cycle, an unknown variable, a bad reference and an unset environment variable, each in place', () => {
    const yaml = [
      'version: 1', // 1
      'vars:', // 2
      '  a: ${b}/x', // 3
      '  b: ${a}', // 4
      '  c: ${nope}', // 5
      '  g: ${bad name}', // 6
      '  self: ${self}', // 7
      'links:', // 8
      '  - path: p1', // 9
      '    target: ${zzz}', // 10
      '  - path: ${env:LP_UNSET}', // 11
      '    target: t', // 12
      '',
    ].join('\n');
    expect(lines(problemsOf(yaml).problems)).toEqual([
      '3:6 vars.a: a cycle of variables: ${a} -> ${b} -> ${a}',
      '4:6 vars.b: a cycle of variables: ${a} -> ${b} -> ${a}',
      '5:6 vars.c: unknown variable ${nope}; define it under vars or pass --var nope=VALUE',
      '6:6 vars.g: ${bad name} is not a variable reference (a name is letters, digits, _ . -); write $${ for a literal ${',
      '7:9 vars.self: a cycle of variables: ${self} -> ${self}',
      '10:13 links[0].target: unknown variable ${zzz}; define it under vars or pass --var zzz=VALUE',
      '11:11 links[1].path: environment variable LP_UNSET is not set (used as ${env:LP_UNSET})',
    ]);
  });

  it('names a --var whose value cannot be expanded, and where it is used', () => {
    const { problems } = problemsOf('version: 1\nlinks:\n  - path: a\n    target: ${v}\n', { vars: { v: '${missing}' } });
    expect(lines(problems)).toEqual([
      '-:- --var v: unknown variable ${missing}; define it under vars or pass --var missing=VALUE',
      '4:13 links[0].target: ${v} cannot be expanded; see the problem with --var v',
    ]);
  });

  it('does not call a defined variable that failed to expand unknown where it is used', () => {
    const { problems } = problemsOf('version: 1\nvars:\n  c: ${nope}\nlinks:\n  - path: a\n    target: ${c}/x\n');
    expect(lines(problems)).toEqual([
      '3:6 vars.c: unknown variable ${nope}; define it under vars or pass --var nope=VALUE',
      '6:13 links[0].target: ${c} cannot be expanded; see the problem with vars.c',
    ]);
  });

  it('does not fail on a variable from an unset environment variable that only skipped entries use', () => {
    const yaml = [
      'version: 1',
      'vars:',
      '  work: ${env:LP_WORK}/repo',
      'links:',
      '  - path: w',
      '    target: ${work}',
      '    when: { env: { LP_WORK: true } }',
      '  - path: k',
      '    target: kept',
      '',
    ].join('\n');
    const { dir, loaded } = load(yaml);
    expect(rel(dir, loaded.desired)).toEqual([{ path: 'k', target: 'kept' }]);
    expect(loaded.skipped).toBe(1);
    const set = load(yaml, { env: { LP_WORK: '/srv' } });
    expect(set.loaded.desired.map((d) => d.target)).toEqual(['/srv/repo', path.join(set.dir, 'kept')]);
    // an entry that applies here and uses it is a problem, at the entry
    const used = problemsOf(yaml.replace('    when: { env: { LP_WORK: true } }\n', ''));
    expect(lines(used.problems)).toEqual(['6:13 links[0].target: ${work} cannot be expanded here: environment variable LP_WORK is not set (used as ${env:LP_WORK})']);
  });

  it('resolves relative paths against the manifest folder, not the current directory', () => {
    const dir = tempDir();
    const sub = path.join(dir, 'conf', 'layouts');
    fs.mkdirSync(sub, { recursive: true });
    fs.writeFileSync(path.join(sub, 'layout.yaml'), 'version: 1\nlinks:\n  - path: ../links/a\n    target: targets/b\n  - path: /abs/c\n    target: ./d/../e\n');
    const other = tempDir();
    const cwd = process.cwd();
    process.chdir(other);
    try {
      const loaded = loadManifest(path.relative(other, path.join(sub, 'layout.yaml')), opts());
      expect(loaded.dir).toBe(sub);
      expect(loaded.file).toBe(path.join(sub, 'layout.yaml'));
      expect(loaded.desired.map((d) => [d.path, d.target])).toEqual([
        [path.join(dir, 'conf', 'links', 'a'), path.join(sub, 'targets', 'b')],
        ['/abs/c', path.join(sub, 'e')],
      ]);
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('defaults', () => {
  it('apply to every link that does not set the option itself', () => {
    const yaml = [
      'version: 1',
      'defaults:',
      '  type: symlink',
      '  relative: true',
      '  onConflict: backup',
      '  createParents: false',
      'links:',
      '  - path: a',
      '    target: t',
      '  - path: b',
      '    target: t',
      '    type: hardlink',
      '    relative: false',
      '    onConflict: adopt',
      '    createParents: true',
      '    allowCycle: true',
      '  - path: c',
      '    state: absent',
      '',
    ].join('\n');
    const { loaded } = load(yaml);
    expect(loaded.desired.map((d) => ({ type: d.type, relative: d.relative, onConflict: d.onConflict, createParents: d.createParents, allowCycle: d.allowCycle, state: d.state }))).toEqual([
      { type: 'symlink', relative: true, onConflict: 'backup', createParents: false, allowCycle: false, state: 'present' },
      { type: 'hardlink', relative: false, onConflict: 'adopt', createParents: true, allowCycle: true, state: 'present' },
      { type: 'symlink', relative: true, onConflict: 'backup', createParents: false, allowCycle: false, state: 'absent' },
    ]);
    expect(loaded.desired[2]?.target).toBeNull();
  });

  it('without defaults, every option has its documented default', () => {
    const { loaded } = load('version: 1\nlinks:\n  - path: a\n    target: t\n');
    expect(loaded.desired).toHaveLength(1);
    const d = loaded.desired[0];
    expect({ type: d?.type, relative: d?.relative, onConflict: d?.onConflict, createParents: d?.createParents, allowCycle: d?.allowCycle, state: d?.state }).toEqual({
      type: 'auto',
      relative: false,
      onConflict: 'refuse',
      createParents: true,
      allowCycle: false,
      state: 'present',
    });
    expect(d?.source).toEqual({ where: 'links[0]', line: 3, column: 5 });
  });

  it('targetForm is an option defaults may set; allowSystemPaths is set per entry only', () => {
    const yaml = 'version: 1\ndefaults:\n  targetForm: volume-guid\nlinks:\n  - path: a\n    target: t\n    allowSystemPaths: true\n  - path: b\n    target: t\n    targetForm: path\n';
    const { loaded } = load(yaml);
    expect(loaded.desired.map((d) => [d.targetForm, d.allowSystemPaths])).toEqual([
      ['volume-guid', true],
      ['path', false],
    ]);
    expect(lines(problemsOf('version: 1\ndefaults:\n  allowSystemPaths: true\nlinks: []\n').problems)).toEqual([
      '3:3 defaults.allowSystemPaths: unknown key; known keys: type, relative, state, onConflict, createParents, allowCycle, targetForm, when',
    ]);
    expect(lines(problemsOf('version: 1\nlinks:\n  - { path: a, target: t, targetForm: guid }\n').problems)).toEqual([
      '3:39 links[0].targetForm: must be path or volume-guid, not the string "guid"',
    ]);
  });

  it('a when in defaults applies unless the link has its own', () => {
    const yaml = 'version: 1\ndefaults:\n  when: { os: windows }\nlinks:\n  - path: a\n    target: t\n  - path: b\n    target: t\n    when: { os: linux }\n';
    const { dir, loaded } = load(yaml);
    expect(rel(dir, loaded.desired).map((d) => d.path)).toEqual(['b']);
    expect(loaded.skipped).toBe(1);
  });
});

describe('when', () => {
  const manifest = [
    'version: 1',
    'links:',
    '  - { path: os-linux, target: t, when: { os: linux } }',
    '  - { path: os-macos, target: t, when: { os: macos } }',
    '  - { path: os-list, target: t, when: { os: [windows, linux] } }',
    '  - { path: os-darwin, target: t, when: { os: [darwin] } }',
    '  - { path: host-short, target: t, when: { hostname: DEVBOX } }',
    '  - { path: host-full, target: t, when: { hostname: [other, DevBox.Example.ORG] } }',
    '  - { path: host-other, target: t, when: { hostname: devbox2 } }',
    '  - { path: env-set, target: t, when: { env: { LP_A: true } } }',
    '  - { path: env-unset, target: t, when: { env: { LP_B: false } } }',
    '  - { path: env-empty-is-unset, target: t, when: { env: { LP_EMPTY: false } } }',
    '  - { path: env-exact, target: t, when: { env: { LP_A: "yes" } } }',
    '  - { path: env-wrong, target: t, when: { env: { LP_A: "no" } } }',
    '  - { path: env-needs-b, target: t, when: { env: { LP_B: true } } }',
    '  - { path: all-hold, target: t, when: { os: linux, hostname: devbox, env: { LP_A: yes } } }',
    '  - { path: one-fails, target: t, when: { os: linux, hostname: nothere } }',
    '  - { path: env-number, target: t, when: { env: { LP_LEVEL: 2 } } }',
    '',
  ].join('\n');

  it('keeps the entries whose conditions hold and counts the others as skipped', () => {
    const { dir, loaded } = load(manifest, { env: { LP_A: 'yes', LP_EMPTY: '', LP_LEVEL: '2' } });
    expect(rel(dir, loaded.desired).map((d) => d.path)).toEqual([
      'os-linux',
      'os-list',
      'host-short',
      'host-full',
      'env-set',
      'env-unset',
      'env-empty-is-unset',
      'env-exact',
      'all-hold',
      'env-number',
    ]);
    expect(loaded.skipped).toBe(6);
  });

  it('reads macos and darwin as the same platform', () => {
    const { dir, loaded } = load(manifest, { platform: 'darwin', hostname: 'laptop', env: {} });
    expect(rel(dir, loaded.desired).map((d) => d.path)).toEqual(['os-macos', 'os-darwin', 'env-unset', 'env-empty-is-unset']);
    expect(loaded.skipped).toBe(12);
  });
});

describe('glob', () => {
  const tree: TreeSpec = {
    dots: {
      bashrc: 'b',
      'vimrc.bak': 'old',
      config: { app: { 'settings.toml': 's', deep: { 'x.conf': 'x' } }, 'top.conf': 't' },
      '.git': { HEAD: 'ref' },
      '.hidden': 'h',
      lnk: { link: 'bashrc' },
    },
    file: 'not a folder',
  };

  it('* links each top-level entry, folders whole (fold: true is the default), never .git', () => {
    const yaml = 'version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "*"\n';
    const { dir, loaded } = load(yaml, {}, tree);
    expect(rel(dir, loaded.desired)).toEqual([
      { path: 'home/.hidden', target: 'dots/.hidden' },
      { path: 'home/bashrc', target: 'dots/bashrc' },
      { path: 'home/config', target: 'dots/config' },
      { path: 'home/lnk', target: 'dots/lnk' },
      { path: 'home/vimrc.bak', target: 'dots/vimrc.bak' },
    ]);
    expect(loaded.desired.map((d) => d.source.match)).toEqual(['.hidden', 'bashrc', 'config', 'lnk', 'vimrc.bak']);
    expect(loaded.desired.every((d) => d.source.where === 'links[0]')).toBe(true);
  });

  it('exclude leaves entries out, by relative path or by name', () => {
    const yaml = 'version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "*"\n    exclude: ["*.bak", ".hidden", "config"]\n';
    const { dir, loaded } = load(yaml, {}, tree);
    expect(rel(dir, loaded.desired).map((d) => d.path)).toEqual(['home/bashrc', 'home/lnk']);
  });

  it('fold: false makes real folders and links only the files inside', () => {
    const yaml = 'version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "config"\n    fold: false\n';
    const { dir, loaded } = load(yaml, {}, tree);
    expect(rel(dir, loaded.desired)).toEqual([
      { path: 'home/config/app/deep/x.conf', target: 'dots/config/app/deep/x.conf' },
      { path: 'home/config/app/settings.toml', target: 'dots/config/app/settings.toml' },
      { path: 'home/config/top.conf', target: 'dots/config/top.conf' },
    ]);
    // the folders are not entries: they are made as parents when the links are created
    expect(loaded.desired.every((d) => d.createParents)).toBe(true);
  });

  it('** matches at any depth: with fold the first matching folder is linked whole', () => {
    const deep = load('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "**/*.conf"\n', {}, tree);
    expect(rel(deep.dir, deep.loaded.desired).map((d) => d.path)).toEqual(['home/config/app/deep/x.conf', 'home/config/top.conf']);
    const inside = load('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "config/*"\n', {}, tree);
    expect(rel(inside.dir, inside.loaded.desired).map((d) => d.path)).toEqual(['home/config/app', 'home/config/top.conf']);
    // picomatch reads `config/**` as matching config itself, so the folder is linked whole
    const all = load('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "config/**"\n', {}, tree);
    expect(rel(all.dir, all.loaded.desired).map((d) => d.path)).toEqual(['home/config']);
    const unfolded = load('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "**"\n    fold: false\n', {}, tree);
    expect(rel(unfolded.dir, unfolded.loaded.desired).map((d) => d.path)).toEqual([
      'home/.hidden',
      'home/bashrc',
      'home/config/app/deep/x.conf',
      'home/config/app/settings.toml',
      'home/config/top.conf',
      'home/lnk',
      'home/vimrc.bak',
    ]);
  });

  it('gives entries whose targets observe reads: the kind for a symbolic link, which file for a hard link', () => {
    const yaml = 'version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "*"\n    type: symlink\n  - path: hard\n    target: dots\n    glob: "bashrc"\n    type: hardlink\n';
    const { dir, loaded } = load(yaml, {}, tree);
    fs.mkdirSync(path.join(dir, 'hard'));
    fs.linkSync(path.join(dir, 'dots/bashrc'), path.join(dir, 'hard/bashrc'));
    const observed = observe(loaded.desired, driver, { platform: 'linux', links: loaded.links });
    const target = (rel: string): unknown => observed.targets.get(path.join(dir, rel));
    const kind = (rel: string): unknown => observed.targetKinds?.get(path.join(dir, rel));
    expect(kind('dots/config')).toBe('dir');
    // a link found in the folder is followed by observe, as the OS would
    expect(kind('dots/lnk')).toBe('file');
    // the hard link entry needs the file's identity
    expect(target('dots/bashrc')).toMatchObject({ kind: 'file', fileId: expect.any(String) as string });
    const plan = planPure(loaded.desired, observed, { manifest: { path: loaded.file, digest: loaded.digest } });
    expect(plan.actions.map((a) => [path.relative(dir, a.path), a.kind, a.reason])).toEqual([
      ['home/.hidden', 'create', 'symlink requested'],
      ['home/bashrc', 'create', 'symlink requested'],
      ['home/config', 'create', 'symlink requested'],
      ['home/lnk', 'create', 'symlink requested'],
      ['home/vimrc.bak', 'create', 'symlink requested'],
      ['hard/bashrc', 'noop', `already a hard link of ${path.join(dir, 'dots/bashrc')}`],
    ]);
  });

  it('never matches .git, even when asked for it', () => {
    const { loaded } = load('version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "{.git,.git/**}"\n', {}, tree);
    expect(loaded.desired).toEqual([]);
  });

  it('refuses a glob whose links would land inside the folder it reads', () => {
    const yaml = 'version: 1\nlinks:\n  - path: dots/out\n    target: dots\n    glob: "*"\n';
    const { dir, problems } = problemsOf(yaml, {}, tree);
    expect(lines(problems)).toEqual([
      `3:11 links[0].path: ${path.join(dir, 'dots/out')}: lies inside ${path.join(dir, 'dots')}, the folder the glob reads; the next run would find the links there and link them too`,
    ]);
  });

  it('a glob whose target is missing or a file is a problem at the target', () => {
    const yaml = [
      'version: 1',
      'links:',
      '  - path: home',
      '    target: missing',
      '    glob: "*"',
      '  - path: home2',
      '    target: file',
      '    glob: "*"',
      '  - path: home3',
      '    target: t',
      '    exclude: ["x"]',
      '',
    ].join('\n');
    const { dir, problems } = problemsOf(yaml, {}, tree);
    expect(lines(problems)).toEqual([
      `4:13 links[0].target: ${path.join(dir, 'missing')}: does not exist; with glob, target must be the folder whose entries are linked`,
      `7:13 links[1].target: ${path.join(dir, 'file')}: is not a folder; with glob, target must be the folder whose entries are linked`,
      '11:14 links[2].exclude: only means something together with glob',
    ]);
  });
});

describe('layout checks', () => {
  it('refuses two entries for one path, links inside links and cycles (a path that is its own target is no problem)', () => {
    const yaml = [
      'version: 1', // 1
      'links:', // 2
      '  - path: a', // 3
      '    target: t', // 4
      '  - path: a/', // 5
      '    target: t', // 6
      '  - path: a/b', // 7
      '    target: t', // 8
      '  - path: t/in', // 9
      '    target: t', // 10
      '  - path: self', // 11
      '    target: ./self', // 12
      '  - path: outer', // 13
      '    target: outer/inner', // 14
      '  - path: cyc/x', // 15
      '    target: cyc', // 16
      '    allowCycle: true', // 17
      '  - path: gone', // 18
      '    state: absent', // 19
      '  - path: gone/inside', // 20
      '    target: t', // 21
      '',
    ].join('\n');
    const { dir, problems } = problemsOf(yaml);
    const p = (s: string): string => path.join(dir, s);
    expect(lines(problems)).toEqual([
      `5:5 links[1]: ${p('a')}: declared twice; links[0] (line 3) already declares it`,
      `7:5 links[2]: ${p('a/b')}: lies inside ${p('a')}, which links[0] makes a link; linkplan does not make links through another link`,
      `9:5 links[3]: ${p('t/in')}: lies inside its own target ${p('t')}, which makes an endless loop for anything that walks the tree; set allowCycle: true if you mean it`,
      `13:5 links[5]: ${p('outer')}: its target ${p('outer/inner')} lies inside the link itself, so it can never be reached`,
    ]);
  });

  it('allowCycle allows a link inside its own target', () => {
    const ok = load('version: 1\nlinks:\n  - path: t/loop\n    target: t\n    allowCycle: true\n');
    expect(rel(ok.dir, ok.loaded.desired)).toEqual([{ path: 't/loop', target: 't' }]);
  });

  it('takes a path that is its own target (a repository cloned where it is linked to), and what lies inside it', () => {
    const ok = load('version: 1\nlinks:\n  - path: .\n    target: .\n  - path: home/.vimrc\n    target: vimrc\n  - path: inner\n    target: inner\n');
    expect(rel(ok.dir, ok.loaded.desired)).toEqual([
      { path: '', target: '' },
      { path: 'home/.vimrc', target: 'vimrc' },
      { path: 'inner', target: 'inner' },
    ]);
  });

  it('names the glob match that collides with another entry', () => {
    const yaml = 'version: 1\nlinks:\n  - path: home\n    target: dots\n    glob: "*"\n  - path: home/rc\n    target: other\n';
    const { dir, problems } = problemsOf(yaml, {}, { dots: { rc: 'x' } });
    expect(lines(problems)).toEqual([`6:5 links[1]: ${path.join(dir, 'home/rc')}: declared twice; links[0] (glob match rc) (line 3) already declares it`]);
  });

  it('reports layout problems together with expansion problems, in file order', () => {
    const yaml = 'version: 1\nlinks:\n  - path: a\n    target: t\n  - path: a\n    target: t\n  - path: b\n    target: ${nope}\n';
    const { dir, problems } = problemsOf(yaml);
    expect(lines(problems)).toEqual([
      `5:5 links[1]: ${path.join(dir, 'a')}: declared twice; links[0] (line 3) already declares it`,
      '8:13 links[2].target: unknown variable ${nope}; define it under vars or pass --var nope=VALUE',
    ]);
  });
});

describe('a missing target', () => {
  it('is a problem for a present link and allowed for an absent one', () => {
    const { problems } = problemsOf('version: 1\nlinks:\n  - path: a\n  - path: b\n    state: absent\n');
    expect(lines(problems)).toEqual(['3:5 links[0]: missing "target" (what the link points to); only state: absent may leave it out']);
  });
});

describe('the result', () => {
  it('carries the absolute file, its folder and a digest of its bytes', () => {
    const yaml = 'version: 1\nlinks:\n  - path: a\n    target: t\n';
    const { dir, loaded } = load(yaml);
    expect(loaded.file).toBe(path.join(dir, 'layout.yaml'));
    expect(loaded.dir).toBe(dir);
    expect(loaded.digest).toBe('sha256:' + createHash('sha256').update(yaml).digest('hex'));
    expect(loaded.skipped).toBe(0);
  });
});

describe('the parsed-manifest cache', () => {
  /** A manifest of `n` links, each in a flow mapping on its own line. */
  function big(n: number, extra = ''): string {
    const lines = ['version: 1', 'vars:', '  t: targets', 'links:'];
    for (let i = 0; i < n; i++) lines.push(`  - { path: home/link-number-${i}, target: "\${t}/file-number-${i}" }`);
    return lines.join('\n') + '\n' + extra;
  }
  const yamlData = (text: string): unknown => parse(text);
  function memoryCache(): ManifestCache & { store: Map<string, ParsedManifest>; gets: number } {
    const store = new Map<string, ParsedManifest>();
    const c = {
      store,
      gets: 0,
      get: (text: string) => {
        c.gets++;
        return store.get(text);
      },
      put: (text: string, parsed: ParsedManifest) => void store.set(text, parsed),
    };
    return c;
  }

  it('keeps a manifest once it loads without problems, and the next load of the same text reads it from there, positions and all', () => {
    const text = big(400);
    const cache = memoryCache();
    const first = load(text, { cache });
    expect(cache.store.size).toBe(1);
    const [key, parsed] = [...cache.store][0] ?? [];
    expect(key).toBe(text);
    expect(parsed?.links[7]).toEqual([12, 5]);
    const again = loadManifest(path.join(first.dir, 'layout.yaml'), opts({ cache }));
    expect(again.desired).toEqual(first.loaded.desired);
    expect(again.desired[7]?.source).toEqual({ where: 'links[7]', line: 12, column: 5 });

    // what the cache says is what is used: a kept copy stands in for parsing
    const doctored = structuredClone(parsed) as { data: { links: { target: string }[] }; links: [number, number][] };
    doctored.data.links[0] = { ...doctored.data.links[0], target: 'elsewhere' };
    cache.store.set(text, doctored);
    expect(loadManifest(path.join(first.dir, 'layout.yaml'), opts({ cache })).desired[0]?.target).toBe(path.join(first.dir, 'elsewhere'));
  });

  it('a problem found in a cached manifest still gets its line and column (the text is parsed for it)', () => {
    const text = big(300);
    const cache = memoryCache();
    load(text, { cache });
    // a problem at a place other than links[i] (a glob whose folder is missing), in a text whose
    // parsed copy is kept: the cache is consulted, and the position comes from the text
    const withGlob = big(300, '  - path: home/g\n    target: missing-folder\n    glob: "*"\n');
    cache.store.set(withGlob, { data: yamlData(withGlob), links: [] });
    const gets = cache.gets;
    const probs = problemsOf(withGlob, { cache });
    expect(cache.gets).toBe(gets + 1);
    expect(probs.problems).toEqual([
      { where: 'links[300].target', line: 306, column: 13, message: `${path.join(probs.dir, 'missing-folder')}: does not exist; with glob, target must be the folder whose entries are linked` },
    ]);
  });

  it('keeps small manifests too, and a changed text misses', () => {
    const cache = memoryCache();
    const small = 'version: 1\nlinks:\n  - { path: a, target: b }\n';
    const first = load(small, { cache }, { b: 'x' });
    expect([cache.gets, [...cache.store.keys()]]).toEqual([1, [small]]);
    expect(loadManifest(path.join(first.dir, 'layout.yaml'), opts({ cache })).desired).toEqual(first.loaded.desired);
    expect([cache.gets, cache.store.size]).toEqual([2, 1]);
    const { dir } = load(big(300), { cache });
    fs.appendFileSync(path.join(dir, 'layout.yaml'), '# changed\n');
    loadManifest(path.join(dir, 'layout.yaml'), opts({ cache }));
    expect(cache.store.size).toBe(3);
  });
});

describe('the parsed-manifest cache file in the state folder', () => {
  it('reads back what it wrote, misses on another text or a damaged file, and never writes what JSON cannot carry', () => {
    const state = path.join(tempDir(), 'state');
    const c = fileManifestCache(state);
    const text = 'version: 1\nlinks:\n  - path: a # "quoted", ünïcode\n';
    expect(c.get(text)).toBeUndefined();
    c.put(text, { data: { version: 1, links: [{ path: 'a' }] }, links: [[3, 5]] });
    expect(c.get(text)).toEqual({ data: { version: 1, links: [{ path: 'a' }] }, links: [[3, 5]] });
    expect(c.get(text + ' ')).toBeUndefined();
    expect(c.get(text.slice(0, -1))).toBeUndefined();
    fs.writeFileSync(manifestCachePath(state), '{"format": "linkplan-manifest-cache", ');
    expect(c.get(text)).toBeUndefined();
    fs.rmSync(manifestCachePath(state));
    c.put(text, { data: { version: 1, vars: { big: Infinity } }, links: [] });
    expect(fs.existsSync(manifestCachePath(state))).toBe(false);
  });
});

describe('hostile or mistaken input', () => {
  it('looks variables up only among those defined: ${constructor}, ${toString} and ${__proto__} are unknown, not JavaScript built-ins', () => {
    const yaml = [
      'version: 1', // 1
      'links:', // 2
      '  - { path: "${constructor}", target: t }', // 3
      '  - { path: "${toString}", target: t }', // 4
      '  - { path: "${__proto__}", target: t }', // 5
      '  - { path: "${env:constructor}", target: t }', // 6
      '  - { path: "${env:hasOwnProperty}", target: t }', // 7
      '  - { path: skipped, target: t, when: { env: { valueOf: true } } }', // 8
      '',
    ].join('\n');
    expect(lines(problemsOf(yaml).problems)).toEqual([
      '3:13 links[0].path: unknown variable ${constructor}; define it under vars or pass --var constructor=VALUE',
      '4:13 links[1].path: unknown variable ${toString}; define it under vars or pass --var toString=VALUE',
      '5:13 links[2].path: unknown variable ${__proto__}; define it under vars or pass --var __proto__=VALUE',
      '6:13 links[3].path: environment variable constructor is not set (used as ${env:constructor})',
      '7:13 links[4].path: environment variable hasOwnProperty is not set (used as ${env:hasOwnProperty})',
    ]);
    // defined under those names, they are ordinary variables (from the manifest or the command line)
    const defined = 'version: 1\nvars:\n  constructor: c\n  __proto__: p\nlinks:\n  - { path: "${constructor}/${__proto__}/${toString}", target: t }\n';
    const { dir, loaded } = load(defined, { vars: { toString: 's' } });
    expect(rel(dir, loaded.desired)).toEqual([{ path: 'c/p/s', target: 't' }]);
    // a name no manifest could define or use is refused
    expect(lines(problemsOf('version: 1\nlinks: []\n', { vars: { 'a b': '1' } }).problems)).toEqual(['-:- --var a b: not a valid variable name (letters, digits, _ . - and not starting with a digit)']);
  });

  it('refuses shell and Windows syntax it does not expand ($HOME, ~user, %HOME% off Windows), saying what to write', () => {
    const yaml = [
      'version: 1', // 1
      'vars:', // 2
      '  v: $USER/x', // 3
      'links:', // 4
      '  - { path: $HOME/.x, target: t }', // 5
      '  - { path: ~root/.y, target: t }', // 6
      '  - { path: "%HOME%/z", target: t }', // 7
      '  - { path: a, target: "${HOME" }', // 8
      '',
    ].join('\n');
    const { problems } = problemsOf(yaml);
    expect(lines(problems).map((l) => l.slice(0, l.indexOf(':', l.indexOf(' ')) + 1))).toEqual(['3:6 vars.v:', '5:13 links[0].path:', '6:13 links[1].path:', '7:13 links[2].path:', '8:24 links[3].target:']);
    expect(problems[0]?.message).toMatch(/\$USER is shell syntax.*\$\{env:USER\}/);
    expect(problems[1]?.message).toMatch(/\$HOME is shell syntax.*\$\{env:HOME\}.*~\//);
    expect(problems[2]?.message).toMatch(/~root.*only ~ and ~\/.*\.\/~root/);
    expect(problems[3]?.message).toMatch(/%HOME% is Windows syntax.*\$\{env:HOME\}/);
    expect(problems[4]?.message).toMatch(/\$\{ is not closed/);
    // what to write instead works; $$ is a literal $, and %NAME% still expands on Windows
    const ok = 'version: 1\nlinks:\n  - { path: "${env:HOME}/.x", target: "$$HOME" }\n  - { path: "./~root", target: "~/y" }\n';
    const { dir, loaded } = load(ok, { env: { HOME: '/home/tester' } });
    expect(loaded.desired.map((d) => [d.path, d.target])).toEqual([
      ['/home/tester/.x', path.join(dir, '$HOME')],
      [path.join(dir, '~root'), '/home/tester/y'],
    ]);
    expect(expandPath('%HOME%\\y', { vars: new Map(), env: { HOME: 'C:\\Users\\t' }, home: '', windows: true })).toEqual({ ok: true, value: 'C:\\Users\\t\\y' });
  });

  it('refuses nesting deeper than the limit, with its place, instead of running out of stack', () => {
    for (const text of [
      `version: 1\nlinks: []\nvars: ${'['.repeat(3000)}${']'.repeat(3000)}\n`,
      'version: 1\nlinks: []\nvars:\n' + Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 1)}k${i}:\n`).join('') + `${' '.repeat(3001)}x: 1\n`,
      `version: 1\nlinks: []\nvars:\n  ${'- '.repeat(3000)}x\n`,
    ]) {
      const { problems } = problemsOf(text);
      expect(problems).toHaveLength(1);
      expect(problems[0]?.message).toMatch(/nests deeper than 64 levels/);
      expect(problems[0]?.line).toBeGreaterThanOrEqual(3);
      expect(problems[0]?.column).toBeGreaterThanOrEqual(1);
    }
  });

  it('refuses aliases that expand too far or into themselves, and allows an anchor used by many entries', () => {
    const bomb = ['version: 1', 'x0: &a0 [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 10; i++) bomb.push(`x${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]`);
    bomb.push('links: []', '');
    const { problems } = problemsOf(bomb.join('\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toMatch(/aliases expand the manifest to more than 1,000,000 values/);
    expect(problems[0]?.line).toBeGreaterThanOrEqual(3);

    const self = problemsOf('version: 1\nlinks: &l\n  - { path: a, target: b, exclude: *l }\n').problems;
    expect(lines(self)).toEqual([expect.stringMatching(/^3:36 : the alias \*l lies inside the value it names/)]);

    const shared = ['version: 1', 'defaults: { when: &w { os: linux } }', 'links:'];
    for (let i = 0; i < 300; i++) shared.push(`  - { path: l${i}, target: t, when: *w }`);
    expect(load(shared.join('\n') + '\n').loaded.desired).toHaveLength(300);
  });

  it('refuses variables nested too deep or expanding too long, at the variable', () => {
    const chain = ['version: 1', 'vars:'];
    for (let i = 0; i < 20000; i++) chain.push(`  v${i}: "\${v${i + 1}}x"`);
    chain.push('  v20000: end', 'links:', '  - { path: "${v0}", target: t }', '');
    const deep = problemsOf(chain.join('\n'));
    expect(deep.problems.length).toBeGreaterThan(0);
    expect(deep.problems[0]?.message).toMatch(/variables nest more than 64 levels deep/);
    expect(deep.problems[0]?.line).toBeGreaterThanOrEqual(3);
    // the printed message lists a bounded number of problems
    expect(deep.error.message.split('\n').length).toBeLessThanOrEqual(102);

    const grow = ['version: 1', 'vars:', '  v0: ab'];
    for (let i = 1; i < 40; i++) grow.push(`  v${i}: "\${v${i - 1}}\${v${i - 1}}"`);
    grow.push('links:', '  - { path: "${v39}", target: t }', '');
    const long = problemsOf(grow.join('\n'));
    expect(long.problems[0]?.where).toBe('vars.v16');
    expect(long.problems[0]?.message).toMatch(/expands to more than 65,536 characters/);
  });

  it('checks path validity when loading: a NUL byte, a name over 255 bytes, a path over 4,095 bytes', () => {
    const yaml = [
      'version: 1', // 1
      'links:', // 2
      '  - { path: "a\\0b", target: t }', // 3
      `  - { path: ${'n'.repeat(256)}, target: t }`, // 4
      `  - { path: a2, target: ${'é'.repeat(128)} }`, // 5
      `  - { path: ${Array(900).fill('abcd').join('/')}, target: t }`, // 6
      `  - { path: ok, target: ${'n'.repeat(255)} }`, // 7
      '  - { path: "half\\ud800", target: "\\ud83d\\ude00" }', // 8
      '',
    ].join('\n');
    const { problems } = problemsOf(yaml);
    expect(lines(problems).map((l) => l.split(': ')[0])).toEqual(['3:13 links[0].path', '4:13 links[1].path', '5:25 links[2].target', '6:13 links[3].path', '8:13 links[5].path']);
    expect(problems[4]?.message).toMatch(/"[^"]*half\\ud800" holds half of a UTF-16 surrogate pair, which no file name can/);
    expect(problems[0]?.message).toMatch(/contains a NUL byte/);
    expect(problems[1]?.message).toMatch(/a name of 256 bytes; at most 255/);
    expect(problems[2]?.message).toMatch(/a name of 256 bytes; at most 255/);
    expect(problems[3]?.message).toMatch(/is \d,\d{3} bytes long; at most 4,095/);
    for (const p of problems) expect(p.message.length).toBeLessThan(300);
  });

  it('reads only a regular file, of bounded size, that is UTF-8 text; a link to one is fine', () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, 'real.yaml'), 'version: 1\nlinks:\n  - { path: a, target: t }\n');
    fs.symlinkSync('real.yaml', path.join(dir, 'link.yaml'));
    expect(loadManifest(path.join(dir, 'link.yaml'), opts()).desired).toHaveLength(1);
    expect(() => loadManifest('/dev/null', opts())).toThrow(/^\/dev\/null: cannot read the manifest \(not a regular file: a character device\)$/);
    const big = path.join(dir, 'big.yaml');
    fs.writeFileSync(big, 'version: 1\nlinks: []\n');
    fs.truncateSync(big, 17 * 1024 * 1024);
    expect(() => loadManifest(big, opts())).toThrow(/big\.yaml: the manifest is 17\.0 MiB; linkplan reads at most 16 MiB/);
    const bin = path.join(dir, 'bin.yaml');
    fs.writeFileSync(bin, Buffer.concat([Buffer.from('version: 1\nlinks:\n  - { path: a'), Buffer.from([0xff, 0xfe]), Buffer.from(', target: t }\n')]));
    expect(() => loadManifest(bin, opts())).toThrow(ManifestError);
    expect(() => loadManifest(bin, opts())).toThrow(/bin\.yaml:3:14: the manifest is not UTF-8 text \(byte 0xff\)/);
  });

  it('quotes a long or binary value in a message by a short, escaped excerpt', () => {
    const junk = 'é\u0001\u001b[31m'.repeat(3000);
    const { problems, error } = problemsOf(`version: ${JSON.stringify(junk)}\nlinks: []\nvars: { ${JSON.stringify(junk)}: 1 }\n`);
    expect(problems.length).toBe(2);
    expect(error.message.length).toBeLessThan(1000);
    // eslint-disable-next-line no-control-regex
    expect(error.message).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
  });
});
