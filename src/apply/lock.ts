/**
 * One apply or recover per state directory at a time. The lock is a file made with O_EXCL that
 * names its holder (pid, host, start time). A second process waits up to a timeout, then fails
 * naming the holder. A lock left by a dead process on this host is taken over safely: it is
 * renamed away first (only one contender can win that rename), then made afresh.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, LinkplanError } from '../errors.js';

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
    const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockHolder>;
    if (typeof data.pid === 'number' && typeof data.host === 'string') {
      return { pid: data.pid, host: data.host, started: String(data.started ?? '?'), command: String(data.command ?? '?') };
    }
  } catch {
    // unreadable or half-written: treated as held by an unknown process until it is old
  }
  return undefined;
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

/** Half-written lock files older than this are considered abandoned. */
const UNREADABLE_GRACE_MS = 10_000;

export function acquireLock(dir: string, opts: { timeoutMs: number; command: string }): Lock {
  const file = path.join(dir, 'lock');
  const me: LockHolder = { pid: process.pid, host: os.hostname(), started: new Date().toISOString(), command: opts.command };
  const deadline = Date.now() + opts.timeoutMs;
  let delay = 20;
  for (;;) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      try {
        fs.writeSync(fd, JSON.stringify(me) + '\n');
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      let released = false;
      return {
        file,
        release: () => {
          if (released) return;
          released = true;
          const h = readHolder(file);
          if (h !== undefined && h.pid === me.pid && h.host === me.host) fs.rmSync(file, { force: true });
        },
      };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const holder = readHolder(file);
    const stale =
      holder !== undefined
        ? holder.host === me.host && !alive(holder.pid)
        : Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now()) > UNREADABLE_GRACE_MS;
    if (stale) {
      // whoever renames the stale lock away wins the right to retry the O_EXCL create
      try {
        fs.renameSync(file, `${file}.stale-${process.pid}`);
        fs.rmSync(`${file}.stale-${process.pid}`, { force: true });
      } catch (e) {
        if (errnoCode(e) !== 'ENOENT') throw e;
      }
      continue;
    }
    if (Date.now() >= deadline) {
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
