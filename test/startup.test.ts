/**
 * What a start loads: a plan or an apply of links loads none of Node's crypto or stream modules
 * (they take milliseconds to load at every start; hashing loads node:crypto only where a digest is
 * read, such as `plan --json`). The real command as a child process, with a preload that writes
 * the list of Node's own modules it loaded (process.moduleLoadList) when it exits.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, STATE_DIR } from './helpers/cli.js';
import { tempDir } from './helpers/tree.js';

/** Runs the command with `args` in a fresh project (no args: `node -e 0`); returns Node's modules it loaded. */
function modulesLoaded(args: string[]): string[] {
  const d = tempDir();
  fs.mkdirSync(path.join(d, 'src'));
  for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(d, 'src', `f${i}.conf`), 'x');
  fs.writeFileSync(path.join(d, 'layout.yaml'), 'version: 1\nlinks:\n  - path: home\n    target: src\n    glob: "*"\n');
  const list = path.join(d, 'modules.txt');
  const preload = path.join(d, 'preload.cjs');
  fs.writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, process.moduleLoadList.join('\\n')));\n`);
  const env: Record<string, string | undefined> = { ...process.env, LINKPLAN_STATE_DIR: STATE_DIR, NO_COLOR: '1' };
  delete env['NODE_EXTRA_CA_CERTS'];
  const run = args.length === 0 ? ['-e', '0'] : [BIN, ...args, path.join(d, 'layout.yaml')];
  const r = spawnSync(process.execPath, ['--require', preload, ...run], { env, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return fs.readFileSync(list, 'utf8').split('\n');
}

/** Node's crypto and stream modules in `mods` that a bare `node -e 0` does not load itself. */
function heavy(mods: string[]): string[] {
  bare ??= new Set(modulesLoaded([]));
  return mods.filter((m) => /^NativeModule (crypto|stream|internal\/crypto\/|internal\/streams\/)/.test(m) && !(bare as Set<string>).has(m));
}
let bare: Set<string> | undefined;

describe('what a start loads', () => {
  it('a plan and an apply load neither node:crypto nor the stream modules', () => {
    const plan = modulesLoaded(['plan']);
    expect(plan).toContain('NativeModule fs');
    expect(heavy(plan)).toEqual([]);
    const apply = modulesLoaded(['apply', '--yes']);
    expect(heavy(apply)).toEqual([]);
  });

  it('plan --json, which gives the manifest digest, loads node:crypto then', () => {
    expect(heavy(modulesLoaded(['plan', '--json']))).toContain('NativeModule crypto');
  });
});
