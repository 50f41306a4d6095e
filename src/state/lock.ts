/**
 * One apply or recover per state directory at a time. The lock is a file naming its holder
 * (pid, host, start time), written whole under a temporary name and hard-linked into place, so
 * no one ever sees it half written. A second process waits up to a timeout, then fails naming
 * the holder. A lock left by a dead process on this host is taken over safely: one contender at
 * a time (under a short-lived second lock) checks it is still that stale lock and removes it,
 * then every contender tries to make it afresh.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, LinkplanError } from '../core/errors.js';
import { onStateFile, stateError, writeWhole } from './files.js';

export interface LockHolder {
  pid: number;
  host: string;
  started: string;
  command: string;
}

export class LockError extends LinkplanError {
  readonly holder: LockHolder | undefined;
  constructor(message: string, holder: LockHolder | undefined, hint: string) {
    super(message, { hint });
    this.holder = holder;
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    return parseHolder(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errnoCode(e) === 'EPERM';
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface Lock {
  file: string;
  release(): void;
}

/** Lock files that cannot be read and are older than this are considered abandoned. */
const UNREADABLE_GRACE_MS = 10_000;

let tmpCounter = 0;
/** This host, as it appears in temporary names (a state folder may be shared between hosts). */
const HOST_TAG = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_');

/**
 * Makes `file` holding `text`, only if nothing is there: the text is written to a temporary
 * file first and hard-linked into place, so no other process ever sees the file empty or half
 * written. Where hard links are not available, falls back to O_EXCL and writing after.
 * Returns false when `file` exists.
 */
function createWith(file: string, text: string): boolean {
  const tmp = `${file}.tmp-${HOST_TAG}-${process.pid}-${++tmpCounter}`;
  writeNew(tmp, text);
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS' && code !== 'EOPNOTSUPP') throw e;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  // no hard links on this filesystem
  try {
    writeNew(file, text);
    return true;
  } catch (e) {
    if (errnoCode(e) === 'EEXIST') return false;
    throw e;
  }
}

/** Makes `file` (O_EXCL: EEXIST if anything is there) holding `text`, durably. */
function writeNew(file: string, text: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
  try {
    writeWhole(fd, text);
    fs.fsyncSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
    throw e;
  }
  fs.closeSync(fd);
}

/** The lock file's text and identity, or undefined when there is none. */
function readRaw(file: string): { text: string; ino: number; mtimeMs: number } | undefined {
  try {
    const st = fs.lstatSync(file);
    if (!st.isFile()) {
      const what = st.isDirectory() ? 'a folder' : st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file';
      const hint = `linkplan keeps its lock there: move it out of the state folder ${path.dirname(file)}, then run the command again`;
      throw new LockError(`${file}: is not a lock file (${what} is there)`, undefined, hint);
    }
    return { text: fs.readFileSync(file, 'utf8'), ino: st.ino, mtimeMs: st.mtimeMs };
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    if (e instanceof LockError) throw e;
    throw stateError(file, 'read the lock', e, { dir: path.dirname(file) });
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const data = JSON.parse(text) as Partial<LockHolder>;
    if (typeof data.pid === 'number' && typeof data.host === 'string') {
      return { pid: data.pid, host: data.host, started: String(data.started ?? '?'), command: String(data.command ?? '?') };
    }
  } catch {
    // unreadable: treated as held by an unknown process until it is old
  }
  return undefined;
}

function isStale(raw: { text: string; mtimeMs: number }, host: string): boolean {
  const holder = parseHolder(raw.text);
  return holder !== undefined ? holder.host === host && !alive(holder.pid) : Date.now() - raw.mtimeMs > UNREADABLE_GRACE_MS;
}

/**
 * Removes the lock file `seen` if it is still exactly that stale lock. Takeovers are serialised
 * by a second lock file (`lock.takeover`), so two processes that both found the same stale lock
 * cannot both remove a lock: the second one would otherwise remove the fresh lock the first one
 * made after its takeover, and two applies would run at once. Nobody else removes a stale lock
 * (its holder is dead) and nobody can create a lock while it is there, so the check and the
 * removal under the takeover lock are one step.
 */
function takeOver(file: string, seen: { text: string; ino: number }, me: LockHolder): void {
  const guard = `${file}.takeover`;
  if (!createWith(guard, JSON.stringify(me) + '\n')) {
    // another process is taking over; a takeover lock whose holder died is cleared the same way
    // (it is held only for a moment, so this is the double-failure case)
    const g = readRaw(guard);
    if (g !== undefined && isStale(g, me.host)) fs.rmSync(guard, { force: true });
    else sleep(2);
    return;
  }
  try {
    const now = readRaw(file);
    if (now !== undefined && now.ino === seen.ino && now.text === seen.text) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(guard, { force: true });
  }
}

/** Removes the temporary lock files (`lock.tmp-HOST-PID-N`) of processes on this host that died making them. */
function removeDeadTemporaries(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    const m = /^lock(?:\.takeover)?\.tmp-(.+)-(\d+)-\d+$/.exec(n);
    if (m !== null && m[1] === HOST_TAG && !alive(Number(m[2]))) fs.rmSync(path.join(dir, n), { force: true });
  }
}

export function acquireLock(dir: string, opts: { timeoutMs: number; command: string }): Lock {
  const file = path.join(dir, 'lock');
  return onStateFile(file, 'take the lock', () => acquire(file, opts), { dir });
}

function acquire(file: string, opts: { timeoutMs: number; command: string }): Lock {
  const dir = path.dirname(file);
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: opts.command };
  const text = JSON.stringify(me) + '\n';
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 20;
  for (;;) {
    if (createWith(file, text)) {
      removeDeadTemporaries(dir);
      let released = false;
      return {
        file,
        release: () => {
          if (released) return;
          released = true;
          try {
            if (readRaw(file)?.text === text) fs.rmSync(file, { force: true });
          } catch {
            // the state folder is gone or unwritable now: what failed has been said already
          }
        },
      };
    }
    const raw = readRaw(file);
    if (raw === undefined) continue; // released meanwhile: try again at once
    if (isStale(raw, me.host)) {
      takeOver(file, raw, me);
      continue;
    }
    if (Date.now() >= deadline) {
      const holder = parseHolder(raw.text);
      const who = holder === undefined ? 'an unknown process' : `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.started})`;
      throw new LockError(`${file}: locked by ${who}`, holder, 'wait for it to finish, or raise --lock-timeout; if that process is gone, the lock is taken over automatically');
    }
    sleep(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 250);
  }
}

/** The live process holding the lock in `dir`, if any. */
export function liveLockHolder(dir: string): LockHolder | undefined {
  const h = readHolder(path.join(dir, 'lock'));
  return h !== undefined && (h.host !== os.hostname() || alive(h.pid)) ? h : undefined;
}
