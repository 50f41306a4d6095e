/**
 * Which programs hold a file open, asked of Windows' Restart Manager (rstrtmgr.dll), so that a
 * move, rename or removal refused because the file is in use can name them ("Steam (pid 4312)").
 * One Restart Manager session per question: the paths registered, RmGetList called with a buffer
 * that grows to the size it asks for a bounded number of times, the session ended whatever
 * happened. The lookup never throws: anything that goes wrong (no rstrtmgr.dll, a call that
 * fails, a list that keeps growing, another OS) means "cannot tell" (undefined), and so does an
 * empty list (Wine's Restart Manager answers every question with one). As Restart Manager can be
 * slow, the time all lookups of a process take is capped: past it, the answer is "cannot tell".
 */
import { performance } from 'node:perf_hooks';
import { longPath, plainPath } from './paths.js';
import {
  CCH_RM_SESSION_KEY,
  ERROR_ACCESS_DENIED,
  ERROR_LOCK_VIOLATION,
  ERROR_MORE_DATA,
  ERROR_SHARING_VIOLATION,
  FILE_ATTRIBUTE_DIRECTORY,
  FILE_ATTRIBUTE_READONLY,
  INVALID_FILE_ATTRIBUTES,
  kernel32,
  offsetOf,
  RmService,
  sizeOf,
  type Kernel32,
} from './win32.js';

/** A process that holds a file open. */
export interface Holder {
  /** What Windows calls the program (its window title's application, or a service's name). */
  name: string;
  pid: number;
}

/** RmGetList calls in one lookup: the list may grow between the call that sizes it and the next. */
const MAX_TRIES = 3;
/** The time all lookups of this process may take together, in milliseconds. */
export const BUDGET_MS = 3000;
/** The time this process's lookups took so far. */
const spent = { ms: 0 };

export interface HoldersOptions {
  /** The calls to use (tests give their own); Windows' by default. */
  k?: Kernel32;
  /** The platform to act for (tests); process.platform by default. */
  platform?: string;
  /** The time spent so far, and the clock (tests); this process's and performance.now by default. */
  spent?: { ms: number };
  now?: () => number;
}

/** The programs holding `paths` open, each once; undefined when Windows cannot tell (or names nobody). */
export function holdersOf(paths: readonly string[], opts: HoldersOptions = {}): Holder[] | undefined {
  const budget = opts.spent ?? spent;
  const now = opts.now ?? ((): number => performance.now());
  if ((opts.platform ?? process.platform) !== 'win32' || paths.length === 0 || budget.ms >= BUDGET_MS) return undefined;
  const started = now();
  try {
    const found = askRestartManager(opts.k ?? kernel32, paths.map(plainPath));
    return found === undefined || found.length === 0 ? undefined : found;
  } catch {
    return undefined;
  } finally {
    budget.ms += now() - started;
  }
}

/**
 * The holders to name for Win32 error `code` at `path`: looked up for a sharing or lock violation
 * on a file, and for access denied on a file that is not read-only (a running program's file);
 * undefined for anything else. Never for a folder: the Restart Manager tracks files only.
 */
export function holdersFor(path: string, opts: HoldersOptions & { code: number }): Holder[] | undefined {
  const { code } = opts;
  if (code !== ERROR_SHARING_VIOLATION && code !== ERROR_LOCK_VIOLATION && code !== ERROR_ACCESS_DENIED) return undefined;
  if ((opts.platform ?? process.platform) !== 'win32') return undefined;
  try {
    const a = (opts.k ?? kernel32).GetFileAttributesW(longPath(path));
    // (a file another program holds may not even let its attributes be read: ask anyway)
    const unknown = a === INVALID_FILE_ATTRIBUTES;
    if (!unknown && (a & FILE_ATTRIBUTE_DIRECTORY) !== 0) return undefined;
    if (code === ERROR_ACCESS_DENIED && (unknown || (a & FILE_ATTRIBUTE_READONLY) !== 0)) return undefined;
  } catch {
    return undefined;
  }
  return holdersOf([path], opts);
}

/** One session: register, list (growing the buffer as asked), end. */
function askRestartManager(k: Kernel32, paths: string[]): Holder[] | undefined {
  const session: [number] = [0];
  if (k.RmStartSession(session, 0, Buffer.alloc((CCH_RM_SESSION_KEY + 1) * 2)) !== 0) return undefined;
  try {
    if (k.RmRegisterResources(session[0], paths.length, paths, 0, null, 0, null) !== 0) return undefined;
    const size = sizeOf('RM_PROCESS_INFO');
    let capacity = 4;
    for (let i = 0; i < MAX_TRIES; i++) {
      const needed: [number] = [0];
      const count: [number] = [capacity];
      const buf = Buffer.alloc(capacity * size);
      const r = k.RmGetList(session[0], needed, count, buf, [0]);
      if (r === 0) return readInfos(buf, Math.min(count[0], capacity));
      if (r !== ERROR_MORE_DATA || needed[0] <= capacity) return undefined;
      capacity = needed[0];
    }
    return undefined;
  } finally {
    k.RmEndSession(session[0]);
  }
}

/** The first `n` RM_PROCESS_INFO of `buf`, as holders (each process once). */
export function readInfos(buf: Buffer, n: number): Holder[] {
  const size = sizeOf('RM_PROCESS_INFO');
  const at = {
    app: offsetOf('RM_PROCESS_INFO', 'strAppName'),
    svc: offsetOf('RM_PROCESS_INFO', 'strServiceShortName'),
    type: offsetOf('RM_PROCESS_INFO', 'ApplicationType'),
  };
  const out = new Map<number, Holder>();
  for (let i = 0; i < n; i++) {
    const base = i * size;
    const pid = buf.readUInt32LE(base);
    const app = wideString(buf, { from: base + at.app, to: base + at.svc });
    const svc = wideString(buf, { from: base + at.svc, to: base + at.type });
    const isService = buf.readInt32LE(base + at.type) === RmService;
    const name = isService && svc !== '' ? `${app === '' ? svc : app} (service ${svc})` : app !== '' ? app : svc !== '' ? svc : 'a program';
    if (!out.has(pid)) out.set(pid, { name, pid });
  }
  return [...out.values()];
}

/** The NUL-terminated UTF-16 string in `buf` between the two offsets. */
function wideString(buf: Buffer, span: { from: number; to: number }): string {
  const s = buf.toString('utf16le', span.from, span.to);
  const nul = s.indexOf('\0');
  return (nul < 0 ? s : s.slice(0, nul)).trim();
}
