// Folder entries (`directories:`): how the manifest gives them (a path, or a path with a mode),
// what the planner makes of each thing it can find at the path, and applies on real folders:
// exact modes whatever the umask, a link made inside a declared folder, every made folder
// removed again when a later step fails, and the journal's mkdir step keeping its mode.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { FaultyDriver } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { decodeStep, encodeStep } from '../src/state/journal/format.js';
import type { AbsPath } from '../src/core/paths.js';
import type { Plan } from '../src/core/types.js';
import { BIN, childEnv, STATE_DIR } from './helpers/cli.js';
import { planOnDisk } from './helpers/plan.js';
import { writtenFolders } from '../src/plan/folders.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';
import { posixOnly } from './helpers/platform.js';

/** Writes layout.yaml (YAML text) into a fresh folder holding `tree`. */
function manifestIn(yaml: (root: string) => string, tree: Parameters<typeof writeTree>[1] = {}): { root: string; file: string } {
  const root = tempDir();
  writeTree(root, tree);
  const file = path.join(root, 'layout.yaml');
  fs.writeFileSync(file, yaml(root));
  return { root, file };
}

const kinds = (plan: Plan): string[] => plan.actions.map((a) => `${a.kind} ${path.basename(a.path)}`);

describe('directories: in the manifest', () => {
  it('a path, or a path with a mode ("0700", or 0700 unquoted, which YAML reads as 700); the folders are planned before the links', () => {
    const { root, file } = manifestIn((r) => `version: 1\nlinks:\n  - path: ${r}/home/.ssh/config\n    target: ${r}/ssh_config\ndirectories:\n  - ${r}/home/bin\n  - path: ${r}/home/.ssh\n    mode: "0700"\n  - path: ${r}/home/.gnupg\n    mode: 0700\n`, { ssh_config: 'Host *\n' });
    const plan = planOnDisk(file);
    expect(kinds(plan)).toEqual(['make-folder bin', 'make-folder .ssh', 'make-folder .gnupg', 'create config']);
    expect(plan.actions.map((a) => (a.kind === 'make-folder' ? [a.mode, a.parents] : undefined))).toEqual([
      [undefined, [`${root}/home`]],
      [0o700, undefined],
      [0o700, undefined],
      undefined,
    ]);
    // the link inside .ssh makes no folder of its own
    expect(plan.actions[3]).not.toHaveProperty('parents');
    // and the apply writes only in the folder that exists now: the rest it makes
    expect(writtenFolders(plan.actions)).toEqual([root]);
  });

  it.each([
    ['"0800"', /layout\.yaml:4:11: directories\[0\]\.mode: "0800" is not a mode: write three octal digits, quoted, like "0700"/],
    ['rwx', /directories\[0\]\.mode: "rwx" is not a mode/],
    ['448', /directories\[0\]\.mode: "448" is not a mode/],
  ])('mode %s: a clear error with its place', (mode, message) => {
    const { file } = manifestIn((r) => `version: 1\ndirectories:\n  - path: ${r}/d\n    mode: ${mode}\n`);
    expect(() => planOnDisk(file)).toThrow(message);
  });
});

describe('what a folder entry plans, by what is at its path', () => {
  const planAt = (make: (root: string) => void): { plan: Plan; root: string } => {
    const { root, file } = manifestIn((r) => `version: 1\ndirectories:\n  - ${r}/d\n`, { elsewhere: {} });
    make(root);
    return { plan: planOnDisk(file), root };
  };

  it.each([
    ['nothing: the folder is made', () => undefined, 'make-folder', 'a folder the setup needs'],
    ['a folder: nothing to do', (r: string) => fs.mkdirSync(`${r}/d`), 'noop', 'a folder already'],
    ['a file: a conflict, the file kept', (r: string) => fs.writeFileSync(`${r}/d`, 'mine\n'), 'conflict', 'is a regular file, not a folder; linkplan never deletes or replaces it to make one'],
    ['a link to a folder: a conflict, the link kept', (r: string) => fs.symlinkSync(`${r}/elsewhere`, `${r}/d`), 'conflict', /^is a symbolic link to .*elsewhere, not a folder/],
  ] as const)('%s', (_name, make, kind, reason) => {
    const { plan } = planAt(make);
    expect(plan.actions).toHaveLength(1);
    expect(plan.actions[0]?.kind).toBe(kind);
    if (typeof reason === 'string') expect(plan.actions[0]?.reason).toBe(reason);
    else expect(plan.actions[0]?.reason).toMatch(reason);
  });

  it('below a folder link: never made through the link', () => {
    const { root, file } = manifestIn((r) => `version: 1\ndirectories:\n  - ${r}/via/new\n`, { real: {} });
    fs.symlinkSync(`${root}/real`, `${root}/via`);
    const [a] = planOnDisk(file).actions;
    expect(a?.kind).toBe('conflict');
    expect(a?.reason).toBe(`its folder ${root}/via is a link; linkplan does not make folders through a link`);
  });
});

/** Runs the shipped command under a shell with `umask` set. */
function applyWithUmask(file: string, umask: string): { code: number | null; stderr: string } {
  const r = spawnSync('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, BIN, 'apply', file], { env: childEnv({ LINKPLAN_STATE_DIR: STATE_DIR }), encoding: 'utf8' });
  return { code: r.status, stderr: r.stderr };
}

describe('applying folder entries', () => {
  it.skipIf(posixOnly('folder modes under a umask: POSIX modes, set through sh')).each(['000', '077', '022'])('umask %s: each folder gets exactly its mode, the others 0777 less the umask', (umask) => {
    const { root, file } = manifestIn((r) => `version: 1\ndirectories:\n  - path: ${r}/home/.ssh\n    mode: "0700"\n  - path: ${r}/home/shared\n    mode: "0775"\n  - ${r}/home/plain\nlinks:\n  - path: ${r}/home/.ssh/config\n    target: ${r}/ssh_config\n`, { ssh_config: 'Host *\n' });
    const r = applyWithUmask(file, umask);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const mode = (p: string): string => (fs.statSync(`${root}/home/${p}`).mode & 0o777).toString(8);
    expect(mode('.ssh')).toBe('700');
    expect(mode('shared')).toBe('775');
    expect(mode('plain')).toBe((0o777 & ~parseInt(umask, 8)).toString(8));
    expect(fs.readlinkSync(`${root}/home/.ssh/config`)).toBe(`${root}/ssh_config`);
  });

  it('a failure after the folders were made removes them again, and nothing else', async () => {
    const { root, file } = manifestIn((r) => `version: 1\ndirectories:\n  - path: ${r}/home/.ssh\n    mode: "0700"\nlinks:\n  - path: ${r}/home/.ssh/config\n    target: ${r}/ssh_config\n`, { ssh_config: 'Host *\n' });
    const before = snapshot(root);
    const plan = planOnDisk(file);
    // steps: mkdir home, mkdir .ssh, link config (the third fails)
    await expect(applyPlan(plan, new FaultyDriver(new PosixDriver(), { failAt: 3 }))).rejects.toThrow(/injected fault/);
    expect(snapshot(root)).toEqual(before);
  });

  it("the journal lists a folder's mode with its mkdir step, and reads it back", () => {
    const step = { op: 'mkdir', path: '/x/.ssh' as AbsPath, mode: 0o700 } as const;
    const code = encodeStep(step, undefined);
    expect(code).toEqual(['mkdir', '/x/.ssh', 0o700]);
    expect(decodeStep(JSON.parse(JSON.stringify(code)), undefined)).toEqual(step);
    expect(() => decodeStep(['mkdir', '/x/.ssh', 0o10000], undefined)).toThrow(/a mkdir step has a mode that is not one/);
  });
});
