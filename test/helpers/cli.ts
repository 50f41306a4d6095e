/**
 * Runs the real linkplan command as a child process (the built bin/linkplan.js), with no
 * terminal attached, and returns its exit code and output.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(REPO, 'bin', 'linkplan.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// every CLI run in the tests keeps its journal, lock and records in a temporary folder, never
// in the real state folder of the machine
export const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-state-'));

export function runCli(args: readonly string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string } = {}): CliResult {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', LINKPLAN_STATE_DIR: STATE_DIR, ...opts.env };
  delete env['FORCE_COLOR'];
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? REPO,
    env: env,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
