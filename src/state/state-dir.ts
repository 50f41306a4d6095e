/**
 * Where linkplan keeps what outlives one run, per manifest: the journal of an unfinished apply,
 * the lock, the record of links it created, and the index of backups. The root is
 * `--state-dir`, else `$LINKPLAN_STATE_DIR`, else `$XDG_STATE_HOME/linkplan` (default
 * `~/.local/state/linkplan`) on Linux and macOS, and `%LOCALAPPDATA%\linkplan` on Windows.
 * Each manifest gets a folder named for its file and a hash of its real path (`manifestKey`: the
 * same manifest reached through a linked folder finds the same state).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sha256OfShort } from '../core/hash.js';
import { currentPlatform, type Platform } from '../core/paths.js';
import { onStateFile } from './files.js';

export interface StateDirOptions {
  /** An explicit root (the --state-dir option). */
  root?: string;
  env?: Readonly<Record<string, string | undefined>>;
  platform?: Platform;
  home?: string;
}

export function stateRoot(opts: StateDirOptions = {}): string {
  if (opts.root !== undefined && opts.root !== '') return path.resolve(opts.root);
  const env = opts.env ?? process.env;
  const fromEnv = env['LINKPLAN_STATE_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return path.resolve(fromEnv);
  const platform = opts.platform ?? currentPlatform();
  const home = opts.home ?? os.homedir();
  if (platform === 'win32') {
    const local = env['LOCALAPPDATA'];
    return path.join(local !== undefined && local !== '' ? local : path.join(home, 'AppData', 'Local'), 'linkplan');
  }
  const xdg = env['XDG_STATE_HOME'];
  return path.join(xdg !== undefined && xdg !== '' && path.isAbsolute(xdg) ? xdg : path.join(home, '.local', 'state'), 'linkplan');
}

/** The folder for one manifest: `<name>-<hash of its absolute path>`. */
export function manifestStateDir(manifestPath: string, opts: StateDirOptions = {}): string {
  const platform = opts.platform ?? currentPlatform();
  const key = platform === 'win32' ? manifestPath.toLowerCase() : manifestPath;
  const hash = sha256OfShort(key).slice(0, 12);
  const name = path.basename(manifestPath).replace(/\.(ya?ml|json)$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 40);
  return path.join(stateRoot(opts), `${name}-${hash}`);
}

/**
 * The path a manifest's state is keyed by: its real path (links in it resolved), or its absolute
 * path where it does not exist (the loader then says what is wrong with it).
 */
export function manifestKey(file: string): string {
  const abs = path.resolve(file);
  try {
    return fs.realpathSync(abs);
  } catch {
    return abs;
  }
}

/** Makes the state folder `dir` (and the folders above it); an error names it and says what to do. */
export function ensureDir(dir: string): string {
  onStateFile(dir, 'make the state folder', () => makeDirs(dir), { dir });
  return dir;
}

function makeDirs(dir: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    // a recursive mkdir reports some errors (a read-only filesystem) as ENOENT: the folders are
    // made one at a time, for the error that is really there
    const missing: string[] = [];
    for (let d = dir; !fs.existsSync(d) && path.dirname(d) !== d; d = path.dirname(d)) missing.unshift(d);
    if (missing.length === 0) throw e;
    for (const d of missing) fs.mkdirSync(d, { mode: 0o700 });
  }
}
