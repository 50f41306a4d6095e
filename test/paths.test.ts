/**
 * Paths made absolute and normal (`toAbs`: an absolute POSIX path that is normal already is taken
 * as it is, anything else goes through node:path) and a folder's entries (`entryPath`): both give
 * what node:path alone gives. A path shown to a person (`displayPath`) is what the isInside tests
 * chose.
 */
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { displayPath, entryPath, isInside, isSameOrInside, toAbs, type AbsPath } from '../src/core/paths.js';

/** What toAbs gave before it took normal paths as they are: node:path's resolve, no trailing separator. */
function viaNodePath(p: string, base: string): string {
  let out = path.posix.resolve(base, p);
  while (out.length > 1 && out.endsWith('/')) out = out.slice(0, -1);
  return out;
}

describe('toAbs on POSIX', () => {
  it('gives what node:path gives, for normal and abnormal paths alike', () => {
    const segment = fc.oneof(fc.constantFrom('', '.', '..', '...', '.a', '..b', 'a.', 'x', 'dir name', 'ünï'), fc.string({ maxLength: 6 }).map((s) => s.replaceAll('/', '')));
    const relOrAbs = fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 6 }), fc.boolean()).map(([abs, segs, trailing]) => (abs ? '/' : '') + segs.join('/') + (trailing ? '/' : ''));
    fc.assert(
      fc.property(relOrAbs, fc.constantFrom('/', '/base', '/base/dir'), (p, base) => {
        expect(toAbs(p, base, 'linux')).toBe(viaNodePath(p, base));
      }),
      { numRuns: 5000 },
    );
    for (const [p, want] of [
      ['/a/b', '/a/b'],
      ['/a//b', '/a/b'],
      ['/a/./b', '/a/b'],
      ['/a/../b', '/b'],
      ['/a/b/', '/a/b'],
      ['/', '/'],
      ['//', '/'],
      ['/..', '/'],
      ['/a/..b/.c', '/a/..b/.c'],
      ['rel/x', '/base/rel/x'],
      ['', '/base'],
    ] as const) {
      expect(toAbs(p, '/base', 'linux')).toBe(want);
    }
  });
});

describe('entryPath', () => {
  it('is node:path join for a normal folder and names a listing gives, / between them', () => {
    const name = fc
      .array(
        fc.string({ minLength: 1, maxLength: 8 }).filter((n) => n !== '.' && n !== '..' && !n.includes('/') && !n.includes('\\')),
        { minLength: 1, maxLength: 3 },
      )
      .map((names) => names.join('/'));
    const posixDir = fc.array(fc.constantFrom('a', 'dir', '.hidden', 'ünï', 'x y'), { maxLength: 4 }).map((segs) => '/' + segs.join('/'));
    const winDir = fc.tuple(fc.constantFrom('C:', 'D:'), fc.array(fc.constantFrom('a', 'Program Files', '.x'), { maxLength: 3 })).map(([drive, segs]) => `${drive}\\${segs.join('\\')}`);
    fc.assert(
      fc.property(posixDir, name, (dir, n) => {
        expect(entryPath(dir as AbsPath, n, 'linux')).toBe(path.posix.join(dir, n));
      }),
      { numRuns: 2000 },
    );
    fc.assert(
      fc.property(winDir, name.filter((n) => !/[<>:"|?*]/.test(n)), (dir, n) => {
        expect(entryPath(dir as AbsPath, n, 'win32')).toBe(path.win32.join(dir, n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('displayPath', () => {
  /** How it chose before it was made once per base and home: below the base, else strictly below home, else whole. */
  function byIsInside(p: string, base: string | undefined, home: string | undefined, platform: 'linux' | 'win32'): string {
    const sep = platform === 'win32' ? '\\' : '/';
    if (base !== undefined && isSameOrInside(p, base, platform)) return p.length === base.length ? '.' : p.slice(base.endsWith(sep) ? base.length : base.length + 1);
    if (home !== undefined && home !== '' && isInside(p, home, platform)) return '~' + sep + p.slice(home.endsWith(sep) ? home.length : home.length + 1);
    return p;
  }

  it('shows a path as it did through isInside, for bases, homes and paths over one small tree', () => {
    const posix = fc.array(fc.constantFrom('a', 'ab', 'b', '.c'), { maxLength: 3 }).map((segs) => '/' + segs.join('/'));
    const win = fc.tuple(fc.constantFrom('C:\\', 'c:\\', 'D:\\'), fc.array(fc.constantFrom('a', 'A', 'ab', 'b'), { maxLength: 3 })).map(([root, segs]) => root + segs.join('\\'));
    for (const [platform, paths] of [
      ['linux', posix],
      ['win32', win],
    ] as const) {
      fc.assert(
        fc.property(paths, fc.option(paths, { nil: undefined }), fc.option(paths, { nil: undefined }), (p, base, home) => {
          expect(displayPath(p, { platform, ...(base === undefined ? {} : { base }), ...(home === undefined ? {} : { home }) })).toBe(byIsInside(p, base, home, platform));
        }),
        { numRuns: 3000 },
      );
    }
  });
});
