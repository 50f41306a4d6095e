/**
 * What the Windows-only tests share: a temporary project with a manifest, the CLI run there with
 * a state folder of its own, the plan it prints as JSON, and what Windows' own tools say of an
 * entry (`fsutil reparsepoint query`: its reparse tag and text; PowerShell's LinkType), so a test
 * never trusts linkplan to report on what linkplan did. These files run only on Windows (vitest.config.ts).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Plan } from '../../src/core/types.js';
import { runCli, type CliResult } from '../helpers/cli.js';
import { tempDir, writeTree, type TreeSpec } from '../helpers/tree.js';

export const TAG_MOUNT_POINT = 0xa0000003;
export const TAG_SYMLINK = 0xa000000c;
export const TAG_WOF = 0x80000017;

export interface Project {
  root: string;
  state: string;
  /** Writes the manifest `layout.yaml` in the project. */
  layout: (yaml: string) => void;
  /** Runs linkplan in the project, with its own state folder. */
  cli: (args: readonly string[]) => CliResult;
  /** `linkplan plan layout.yaml --json`, parsed (whatever its exit code). */
  plan: () => Plan;
  at: (...rel: string[]) => string;
}

export function project(tree: TreeSpec = {}): Project {
  // (the long form of the path: %TEMP% may be given by its 8.3 short name, RUNNER~1, which a driver
  // reading final paths would spell out in the link text it writes)
  const root = fs.realpathSync.native(tempDir());
  const state = fs.realpathSync.native(tempDir('linkplan-state-'));
  writeTree(root, tree);
  const cli = (args: readonly string[]): CliResult => runCli(args, { cwd: root, env: { LINKPLAN_STATE_DIR: state } });
  return {
    root,
    state,
    layout: (yaml) => fs.writeFileSync(path.join(root, 'layout.yaml'), yaml),
    cli,
    plan: () => {
      const r = cli(['plan', 'layout.yaml', '--json']);
      if (r.stdout === '') throw new Error(`plan printed nothing: ${r.stderr}`);
      return JSON.parse(r.stdout) as Plan;
    },
    at: (...rel) => path.join(root, ...rel),
  };
}

/** What `fsutil reparsepoint query` says of `p`: its tag, and its whole output; undefined when `p` is no reparse point. */
export function reparsePoint(p: string): { tag: number; text: string } | undefined {
  const r = spawnSync('fsutil', ['reparsepoint', 'query', p], { encoding: 'utf8' });
  const m = /Reparse Tag Value\s*:\s*0x([0-9a-f]+)/i.exec(r.stdout);
  if (r.status !== 0 || m?.[1] === undefined) return undefined;
  return { tag: Number.parseInt(m[1], 16), text: r.stdout };
}

/**
 * What PowerShell says `p` is (`SymbolicLink`, `Junction`, `HardLink`, or '' for none of them):
 * Windows' own reading, which needs no administrator (fsutil may, on some versions).
 */
export function linkType(p: string): string {
  const r = spawnSync('powershell', ['-NoProfile', '-NonInteractive', '-Command', `(Get-Item -LiteralPath '${p.replaceAll("'", "''")}' -Force).LinkType`], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`powershell could not read ${p}: ${r.stderr}`);
  return r.stdout.trim();
}

/** Whether this process may create symbolic links (elevated, or Developer Mode on): tried, not guessed. */
export function canCreateSymlinks(): boolean {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-probe-'));
  try {
    fs.writeFileSync(path.join(d, 'f'), '');
    fs.symlinkSync(path.join(d, 'f'), path.join(d, 'l'), 'file');
    return fs.lstatSync(path.join(d, 'l')).isSymbolicLink();
  } catch {
    return false;
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
}
