// The words of a Windows "file in use" error, with and without the programs that hold the file
// (given here, as the Restart Manager would name them), and the Restart Manager conversation of
// holders.ts driven through calls that answer as Windows does (a list that outgrows its buffer,
// a failing session, a call that throws, an empty list): it names the holders or says "cannot
// tell", never throws, always ends the session it started, and tries a bounded number of times.
// Runs on every OS; the real calls are exercised under Wine (windows-wine.test.ts) and on Windows
// (test/windows/holders.test.ts).
import { describe, expect, it } from 'vitest';
import { win32Error } from '../src/drivers/windows/errors.js';
import { BUDGET_MS, holdersFor, holdersOf } from '../src/drivers/windows/holders.js';
import { kernel32, offsetOf, sizeOf, type Kernel32 } from '../src/drivers/windows/win32.js';

const PAK = 'C:\\Games\\X\\data.pak';

describe('a file in use, in words', () => {
  it('names the programs holding it, and says to close them', () => {
    const e = win32Error(PAK, 'cannot delete it', { code: 32, holders: [{ name: 'notepad.exe', pid: 123 }, { name: 'Steam', pid: 4312 }] });
    expect(e.message).toBe(`${PAK}: cannot delete it (another program is using it: notepad.exe (pid 123), Steam (pid 4312); ERROR_SHARING_VIOLATION 32)`);
    expect(e.code).toBe('EBUSY');
    expect(e.hint).toBe('close notepad.exe (pid 123), Steam (pid 4312) (or wait until they let go of it), then run linkplan again');
    const one = win32Error(PAK, 'cannot move to C:\\y', { code: 32, holders: [{ name: 'Steam', pid: 4312 }] });
    expect(one.hint).toBe('close Steam (pid 4312) (or wait until it lets go of it), then run linkplan again');
  });

  it('keeps the general words where Windows cannot tell who holds it', () => {
    const e = win32Error(PAK, 'cannot delete it', { code: 32, holders: undefined });
    expect(e.message).toBe(`${PAK}: cannot delete it (another program is using it; ERROR_SHARING_VIOLATION 32)`);
    expect(e.hint).toMatch(/^close the program that has it open/);
    expect(win32Error(PAK, 'cannot delete it', { code: 32, holders: [] }).message).toBe(e.message);
    // off Windows, nothing is asked: the same words
    expect(win32Error(PAK, 'cannot delete it', { code: 32 }).message).toBe(e.message);
  });

  it('names holders for a lock violation and for access denied on a file in use, and for no other error', () => {
    const steam = [{ name: 'Steam', pid: 4312 }];
    const lock = win32Error(PAK, 'cannot delete it', { code: 33, holders: steam });
    expect(lock.message).toBe(`${PAK}: cannot delete it (another program has locked part of it: Steam (pid 4312); ERROR_LOCK_VIOLATION 33)`);
    expect(lock.code).toBe('EBUSY');
    const denied = win32Error(PAK, 'cannot delete it', { code: 5, holders: steam });
    expect(denied.message).toBe(`${PAK}: cannot delete it (access is denied: another program is using it: Steam (pid 4312); ERROR_ACCESS_DENIED 5)`);
    expect(denied.hint).toMatch(/^close Steam \(pid 4312\)/);
    expect(win32Error(PAK, 'cannot delete it', { code: 5, holders: undefined }).message).toBe(`${PAK}: cannot delete it (access is denied; ERROR_ACCESS_DENIED 5)`);
    expect(win32Error(PAK, 'cannot open', { code: 2, holders: steam }).message).toBe(`${PAK}: cannot open (no such file or folder; ERROR_FILE_NOT_FOUND 2)`);
  });
});

/** RM_PROCESS_INFO entries as Windows fills them: [pid, app name, service name, application type]. */
function fill(buf: Buffer, entries: readonly (readonly [number, string, string, number])[]): void {
  const size = sizeOf('RM_PROCESS_INFO');
  entries.forEach(([pid, app, svc, type], i) => {
    buf.writeUInt32LE(pid, i * size);
    buf.write(`${app}\0`, i * size + offsetOf('RM_PROCESS_INFO', 'strAppName'), 'utf16le');
    buf.write(`${svc}\0`, i * size + offsetOf('RM_PROCESS_INFO', 'strServiceShortName'), 'utf16le');
    buf.writeInt32LE(type, i * size + offsetOf('RM_PROCESS_INFO', 'ApplicationType'));
  });
}

interface Log {
  calls: string[];
  files: string[];
}

/** Restart Manager calls that answer with `entries` (growing by `grow` entries at each RmGetList), starting with `start`'s code. */
function restartManager(entries: readonly (readonly [number, string, string, number])[], opts: { grow?: number; start?: number; throwIn?: string } = {}): { k: Kernel32; log: Log } {
  const log: Log = { calls: [], files: [] };
  let listed = entries.length;
  const call = (name: string): void => {
    log.calls.push(name);
    if (opts.throwIn === name) throw new Error(`${name} crashed`);
  };
  const k = {
    ...kernel32,
    GetFileAttributesW: () => 0x20,
    RmStartSession: (s: [number], _flags: number, key: Buffer) => {
      call('RmStartSession');
      s[0] = 7;
      key.write('k', 'utf16le');
      return opts.start ?? 0;
    },
    RmRegisterResources: (s: number, n: number, files: string[]) => {
      call('RmRegisterResources');
      expect(s).toBe(7);
      log.files.push(...files.slice(0, n));
      return 0;
    },
    RmGetList: (s: number, needed: [number], count: [number], infos: Buffer | null) => {
      call('RmGetList');
      expect(s).toBe(7);
      const now = listed;
      listed += opts.grow ?? 0;
      needed[0] = now;
      if (infos === null || count[0] < now) return 234;
      count[0] = now;
      fill(infos, entries.slice(0, now));
      return 0;
    },
    RmEndSession: (s: number) => {
      call('RmEndSession');
      expect(s).toBe(7);
      return 0;
    },
  } as Kernel32;
  return { k, log };
}

describe('asking the Restart Manager who holds a file', () => {
  const six = [
    [4312, 'Steam', '', 1],
    [123, 'notepad.exe', '', 1],
    [123, 'notepad.exe', '', 1],
    [900, 'Windows Search', 'WSearch', 3],
    [901, '', 'Backup', 3],
    [902, '', '', 0],
  ] as const;

  it('registers the plain paths, grows the buffer to the size asked, names each process once, and ends the session', () => {
    const { k, log } = restartManager(six);
    expect(holdersOf(['\\\\?\\C:\\Games\\X\\data.pak'], { k, platform: 'win32' })).toEqual([
      { name: 'Steam', pid: 4312 },
      { name: 'notepad.exe', pid: 123 },
      { name: 'Windows Search (service WSearch)', pid: 900 },
      { name: 'Backup (service Backup)', pid: 901 },
      { name: 'a program', pid: 902 },
    ]);
    expect(log.files).toEqual([PAK]);
    expect(log.calls).toEqual(['RmStartSession', 'RmRegisterResources', 'RmGetList', 'RmGetList', 'RmEndSession']);
  });

  it('gives up after a bounded number of tries when the list keeps growing, and ends the session', () => {
    const { k, log } = restartManager(six, { grow: 10 });
    expect(holdersOf([PAK], { k, platform: 'win32' })).toBeUndefined();
    expect(log.calls.filter((c) => c === 'RmGetList')).toHaveLength(3);
    expect(log.calls.at(-1)).toBe('RmEndSession');
  });

  it('says "cannot tell" when the session cannot start, a call throws, nobody is named, or off Windows', () => {
    const failed = restartManager(six, { start: 5 });
    expect(holdersOf([PAK], { k: failed.k, platform: 'win32' })).toBeUndefined();
    expect(failed.log.calls).toEqual(['RmStartSession']);
    const thrown = restartManager(six, { throwIn: 'RmGetList' });
    expect(holdersOf([PAK], { k: thrown.k, platform: 'win32' })).toBeUndefined();
    expect(thrown.log.calls.at(-1)).toBe('RmEndSession');
    // (Wine's Restart Manager: every call succeeds, and the list is empty)
    expect(holdersOf([PAK], { k: restartManager([]).k, platform: 'win32' })).toBeUndefined();
    const linux = restartManager(six);
    expect(holdersOf([PAK], { k: linux.k, platform: 'linux' })).toBeUndefined();
    expect(linux.log.calls).toEqual([]);
  });

  it('stops asking once this process\'s lookups have taken their time budget (the Restart Manager can be slow)', () => {
    const { k, log } = restartManager(six);
    let clock = 0;
    // each lookup takes half the budget on this clock (read before and after it): the third finds it spent
    const opts = { k, platform: 'win32', spent: { ms: 0 }, now: () => (clock += BUDGET_MS * 0.5) };
    const answers = [1, 2, 3, 4].map(() => holdersOf([PAK], opts)?.length);
    expect(answers).toEqual([5, 5, undefined, undefined]);
    expect(log.calls.filter((c) => c === 'RmStartSession')).toHaveLength(2);
  });

  it('asks only for a sharing or lock violation on a file, or access denied on a file that is not read-only; never for a folder', () => {
    const asked = (code: number, attributes: number): boolean => {
      const { k, log } = restartManager(six);
      holdersFor(PAK, { code, k: { ...k, GetFileAttributesW: () => attributes }, platform: 'win32' });
      return log.calls.length > 0;
    };
    expect([asked(32, 0x20), asked(33, 0x20), asked(5, 0x20), asked(32, 0xffffffff)]).toEqual([true, true, true, true]);
    // a folder, a read-only file, an absent path, another error
    expect([asked(32, 0x10), asked(5, 0x10), asked(5, 0x21), asked(5, 0xffffffff), asked(2, 0x20), asked(145, 0x20)]).toEqual([false, false, false, false, false, false]);
  });
});
