/**
 * A project folder for CLI tests: the manifest (`layout.yaml`) and its tree written in a fresh
 * temporary folder, a state folder of its own beside it, and the real command run there.
 */
import path from 'node:path';
import { expect } from 'vitest';
import { manifestStateDir } from '../../src/state/state-dir.js';
import { runCli, type CliResult } from './cli.js';
import { tempDir, writeTree, type TreeSpec } from './tree.js';

export interface CliProject {
  /** The project folder, holding layout.yaml. */
  d: string;
  /** The state folder (LINKPLAN_STATE_DIR) of every run. */
  state: string;
  /** Runs linkplan in the project folder, with `env` added to its environment. */
  run: (args: string[], env?: Record<string, string>) => CliResult;
  /** The manifest's own folder inside the state folder. */
  stateDir: () => string;
}

/** A project folder with its own state folder, and the CLI run in it. */
export function cliProject(manifest: string, tree: TreeSpec): CliProject {
  const base = tempDir();
  const d = path.join(base, 'w');
  const state = path.join(base, 'state');
  writeTree(d, { ...tree, 'layout.yaml': manifest });
  return {
    d,
    state,
    run: (args, env = {}) => runCli(args, { cwd: d, env: { LINKPLAN_STATE_DIR: state, ...env } }),
    stateDir: () => manifestStateDir(path.join(d, 'layout.yaml'), { root: state }),
  };
}

/** A run that succeeded and wrote nothing to stderr. */
export function expectOk(r: CliResult): void {
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
}
