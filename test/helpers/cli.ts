/**
 * Runs the real linkplan command as a child process (the built bin/linkplan.js), with no
 * terminal attached, and returns its exit code and output. A run given a crash or pause point
 * (LINKPLAN_CRASH_AT, LINKPLAN_PAUSE_AT in its environment) runs the test entry instead
 * (dist/test-entry.cjs: the same command, with those points), since the shipped one ignores them.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(REPO, 'bin', 'linkplan.js');
/**
 * The command with the crash and pause points the tests use (dist/test-entry.cjs, run with its
 * code cache by scripts/test-entry.cjs); the package does not ship it.
 */
export const TEST_ENTRY = path.join(REPO, 'scripts', 'test-entry.cjs');

/** The script a run with this environment starts: the test entry when it names a crash or pause point. */
export function entryFor(env: Record<string, string | undefined>): string {
  return env['LINKPLAN_CRASH_AT'] !== undefined || env['LINKPLAN_PAUSE_AT'] !== undefined ? TEST_ENTRY : BIN;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

// every CLI run in the tests keeps its journal, lock and records in a temporary folder, never
// in the real state folder of the machine
export const STATE_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-state-'));

/**
 * The environment of a child run: this process's, with `env` added. NODE_EXTRA_CA_CERTS is left
 * out: Node 20 reads and parses that file at every start (about 50 ms of CPU where it names the
 * system's bundle), and linkplan opens no TLS connection; the suites start a thousand children.
 */
export function childEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const all: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...env };
  delete all['FORCE_COLOR'];
  delete all['NODE_EXTRA_CA_CERTS'];
  return all;
}

export function runCli(args: readonly string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeout?: number } = {}): CliResult {
  const env = childEnv({ LINKPLAN_STATE_DIR: STATE_DIR, ...opts.env });
  const r = spawnSync(process.execPath, [entryFor(env), ...args], {
    cwd: opts.cwd ?? REPO,
    env: env,
    encoding: 'utf8',
    input: opts.input ?? '',
    timeout: opts.timeout ?? 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export interface AsyncCliRun {
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real command as a child process without blocking, so several can run at once (or
 * one be killed): with `state` as its state folder and, when `crashAt` is given, the test entry's
 * crash point (LINKPLAN_CRASH_AT) that kills it at that driver write.
 */
export function runCliAsync(args: readonly string[], opts: { cwd: string; state: string; crashAt?: string }): Promise<AsyncCliRun> {
  const env = childEnv({ LINKPLAN_STATE_DIR: opts.state, LINKPLAN_CRASH_AT: opts.crashAt });
  if (opts.crashAt === undefined) delete env['LINKPLAN_CRASH_AT'];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entryFor(env), ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ pid: child.pid ?? -1, code, signal, stdout, stderr }));
  });
}
