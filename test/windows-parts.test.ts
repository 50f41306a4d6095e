// The parts of the Windows driver that need no Windows, on every OS: the words Win32 errors get
// (errors.ts), the `\\?\` path forms (paths.ts), and the shared NTFS link logic (ntfs/links.ts)
// seen with Windows naming: what a raw buffer is as an Entry (hex fixtures in mklink's layouts),
// the buffer a link becomes under Windows' rules, and the read-back that catches a write that
// reported success and did nothing. And which reparse points a relocation's copy re-makes (junctions,
// symbolic links) and which it refuses, naming them (another program's, a volume mounted inside).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import type { LinkSpec } from '../src/core/types.js';
import { entryOfReparse, reparseWrite, verifyReparse } from '../src/drivers/ntfs/links.js';
import { encodeAppExecLink, encodeMountPoint, encodeRawReparse, encodeSymlink, IO_REPARSE_TAG_CLOUD_3, IO_REPARSE_TAG_DEDUP, ReparseEncodeError } from '../src/drivers/ntfs/reparse.js';
import { reparseProblem } from '../src/drivers/windows/copy.js';
import { SYMLINK_PRIVILEGE_NOTE, win32Error, win32ErrorInfo } from '../src/drivers/windows/errors.js';
import { windowsNaming } from '../src/drivers/windows/naming.js';
import { longPath, plainPath, sameWindowsPath, volumeRootOf } from '../src/drivers/windows/paths.js';
import { reparseFixture } from './helpers/reparse-fixture.js';
import { thrown } from './helpers/errors.js';

const P = 'C:\\work\\link' as AbsPath;

describe('Win32 errors in words', () => {
  it('names each error users meet, with the POSIX-style code the rest of linkplan reads', () => {
    const table = [
      [1314, 'ERROR_PRIVILEGE_NOT_HELD', 'EPERM', /may not create symbolic links/],
      [4390, 'ERROR_NOT_A_REPARSE_POINT', 'EINVAL', /not a reparse point/],
      [17, 'ERROR_NOT_SAME_DEVICE', 'EXDEV', /on different volumes \(a hard link must be on the volume of its target, and a move does not copy\)/],
      [1142, 'ERROR_TOO_MANY_LINKS', 'EMLINK', /1024 names/],
      [5, 'ERROR_ACCESS_DENIED', 'EACCES', /access is denied/],
      [32, 'ERROR_SHARING_VIOLATION', 'EBUSY', /another program is using it/],
      [145, 'ERROR_DIR_NOT_EMPTY', 'ENOTEMPTY', /not empty/],
      [183, 'ERROR_ALREADY_EXISTS', 'EEXIST', /already exists/],
      [50, 'ERROR_NOT_SUPPORTED', 'ENOTSUP', /^this filesystem does not support reparse points \(junctions and symbolic links\)$/],
    ] as const;
    for (const [code, name, errno, text] of table) {
      const info = win32ErrorInfo(code);
      expect({ code, name: info.name, errno: info.errno }).toEqual({ code, name, errno });
      expect(info.text).toMatch(text);
    }
  });

  it('gives a DriverError `path: what (words; NAME code)` with a hint of what to do', () => {
    const e = win32Error('C:\\tools\\jdk', 'cannot create junction', { code: 50 });
    expect(e).toBeInstanceOf(DriverError);
    expect(e.message).toBe('C:\\tools\\jdk: cannot create junction (this filesystem does not support reparse points (junctions and symbolic links); ERROR_NOT_SUPPORTED 50)');
    expect(e.code).toBe('ENOTSUP');
    expect(e.hint).toBe('put the link on an NTFS volume, or use a hard link for a file');
    const priv = win32Error('C:\\l', 'cannot create symlink', { code: 1314 });
    expect(priv.hint).toMatch(/Developer Mode \(Settings > System > For developers\)/);
    expect(SYMLINK_PRIVILEGE_NOTE).toMatch(/Developer Mode/);
    for (const code of [5, 17, 32, 145, 1142]) expect(win32ErrorInfo(code).hint).toBeDefined();
  });

  it('names an unknown code by its number, as an I/O error', () => {
    const e = win32Error('C:\\x', 'cannot read', { code: 9999 });
    expect(e.message).toBe('C:\\x: cannot read (Windows error 9999; Win32 error 9999)');
    expect(e.code).toBe('EIO');
  });
});

describe('\\\\?\\ paths', () => {
  it('gives Win32 the long form of drive and UNC paths, and leaves prefixed ones', () => {
    expect(longPath('C:\\a\\b')).toBe('\\\\?\\C:\\a\\b');
    expect(longPath('C:\\')).toBe('\\\\?\\C:\\');
    expect(longPath('C:')).toBe('\\\\?\\C:\\');
    expect(longPath('\\\\srv\\share\\a')).toBe('\\\\?\\UNC\\srv\\share\\a');
    expect(longPath('\\\\?\\C:\\a')).toBe('\\\\?\\C:\\a');
    expect(longPath('\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\a')).toBe('\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\a');
  });

  it('reads the plain form back: drive and UNC paths lose the prefix, volume GUID paths keep it', () => {
    expect(plainPath('\\\\?\\C:\\a')).toBe('C:\\a');
    expect(plainPath('\\??\\C:\\a')).toBe('C:\\a');
    expect(plainPath('\\\\?\\UNC\\srv\\share\\a')).toBe('\\\\srv\\share\\a');
    expect(plainPath('\\??\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\')).toBe('\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\');
    expect(plainPath('C:\\a')).toBe('C:\\a');
  });

  it('round-trips any drive or UNC path', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9 ._-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
    const drive = fc.tuple(fc.constantFrom('C', 'd', 'Z'), fc.array(name, { maxLength: 5 })).map(([d, parts]) => `${d}:\\${parts.join('\\')}`);
    const unc = fc.tuple(name, name, fc.array(name, { maxLength: 4 })).map(([s, sh, parts]) => ['\\\\' + s, sh, ...parts].join('\\'));
    fc.assert(fc.property(fc.oneof(drive, unc), (p) => plainPath(longPath(p)) === p && longPath(p).startsWith('\\\\?\\')));
  });

  it('tells the volume root of a path and compares paths as Windows does (case, prefix, trailing separator)', () => {
    expect(volumeRootOf('C:\\a\\b')).toBe('C:\\');
    expect(volumeRootOf('\\\\?\\D:\\a')).toBe('D:\\');
    expect(volumeRootOf('\\\\srv\\share\\a')).toBe('\\\\srv\\share\\');
    expect(sameWindowsPath('C:\\Tools\\JDK', '\\\\?\\c:\\tools\\jdk\\')).toBe(true);
    expect(sameWindowsPath('C:/Tools/JDK', 'c:\\tools\\jdk')).toBe(true);
    expect(sameWindowsPath('C:\\Tools\\JDK', 'C:\\Tools\\JDK-21')).toBe(false);
  });
});

describe('NTFS links with Windows naming', () => {
  const naming = windowsNaming((p) => (p.toLowerCase().endsWith('.txt') ? false : p.toLowerCase().includes('missing') ? undefined : true));
  const link = (type: LinkSpec['type'], linkText: string): LinkSpec => ({ type, target: linkText as AbsPath, linkText });

  it('reads junctions, symbolic links (absolute, relative, root-relative) and foreign reparse points from mklink-layout bytes', () => {
    expect(entryOfReparse(P, reparseFixture('junction-mklink.hex'), { naming })).toEqual({ kind: 'junction', linkText: 'C:\\Data\\Projects' });
    expect(entryOfReparse(P, reparseFixture('symlink-mklink-absolute.hex'), { naming })).toEqual({ kind: 'symlink', linkText: 'C:\\Data\\file.txt' });
    expect(entryOfReparse(P, reparseFixture('symlink-relative.hex'), { naming })).toEqual({ kind: 'symlink', linkText: '..\\shared\\lib' });
    expect(entryOfReparse(P, reparseFixture('volume-mount-point.hex'), { naming })).toEqual({
      kind: 'junction',
      linkText: '\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\',
    });
    expect(entryOfReparse('D:\\a\\l' as AbsPath, encodeSymlink('\\x\\y', { relative: true }), { naming })).toEqual({ kind: 'symlink', linkText: 'D:\\x\\y' });
    expect(entryOfReparse(P, reparseFixture('app-exec-link.hex'), { naming })).toMatchObject({ kind: 'reparse', tag: 0x8000001b, tagName: 'APPEXECLINK' });
    expect(entryOfReparse(P, reparseFixture('cloud-6.hex'), { naming })).toMatchObject({ kind: 'reparse', tag: 0x9000601a });
    expect(entryOfReparse(P, reparseFixture('wof.hex'), { naming })).toMatchObject({ kind: 'reparse', tag: 0x80000017, tagName: 'WOF' });
  });

  it('writes junctions only to absolute local folders', () => {
    const w = reparseWrite(P, link('junction', 'C:\\tools\\jdk-21'), { naming });
    expect(w).toEqual({ buffer: encodeMountPoint('C:\\tools\\jdk-21'), directory: true, windowsTarget: 'C:\\tools\\jdk-21', relative: false });
    expect(reparseWrite(P, link('junction', '\\\\?\\C:\\tools\\jdk-21'), { naming }).windowsTarget).toBe('C:\\tools\\jdk-21');
    expect(thrown(DriverError, () => reparseWrite(P, link('junction', '..\\jdk'), { naming }))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/is relative; a junction needs an absolute path/) as unknown });
    expect(thrown(DriverError, () => reparseWrite(P, link('junction', 'C:\\data\\file.txt'), { naming }))).toMatchObject({ code: 'ENOTDIR' });
    thrown(ReparseEncodeError, () => reparseWrite(P, link('junction', '\\\\srv\\share\\dir'), { naming }));
  });

  it('writes symbolic links absolute or relative, with `\\` and names Windows can use', () => {
    expect(reparseWrite(P, link('symlink', 'C:\\data\\file.txt'), { naming })).toMatchObject({ directory: false, windowsTarget: 'C:\\data\\file.txt', relative: false });
    const rel = reparseWrite(P, link('symlink', '../shared/lib'), { naming });
    expect(rel).toMatchObject({ windowsTarget: '..\\shared\\lib', relative: true, directory: true });
    expect(rel.buffer).toEqual(encodeSymlink('..\\shared\\lib', { relative: true }));
    expect(reparseWrite(P, { type: 'symlink', target: 'C:\\missing' as AbsPath, linkText: 'C:\\missing' }, { naming }).directory).toBeUndefined();
    expect(thrown(DriverError, () => reparseWrite(P, link('symlink', 'a:b\\c'), { naming }))).toMatchObject({ code: 'EINVAL', message: expect.stringMatching(/"a:b" is a name Windows cannot use/) as unknown });
    expect(thrown(DriverError, () => reparseWrite(P, link('hardlink', 'C:\\x'), { naming }))).toMatchObject({ code: 'EINVAL' });
  });

  it('reads back after a write: exact bytes where the driver wrote them, the same target where Windows laid them out, and nothing as an error', () => {
    // the same link as the fixture, in another layout: substitute name first, NUL-terminated
    const w = reparseWrite(P, link('symlink', 'E:\\Media\\Music'), { naming });
    const other = reparseFixture('symlink-substitute-first.hex');
    expect(other.equals(w.buffer)).toBe(false);
    const verify = (got: Buffer | undefined, exact: boolean): void => verifyReparse(P, w, { transport: { readReparseData: () => got }, exact, writer: 'Windows' });
    expect(() => verify(w.buffer, true)).not.toThrow();
    expect(() => verify(other, false)).not.toThrow();
    expect(() => verify(encodeSymlink('e:\\media\\music', { relative: false }), false)).not.toThrow();
    expect(thrown(DriverError, () => verify(other, true)).message).toBe('C:\\work\\link: Windows did not keep the reparse data written to it');
    expect(thrown(DriverError, () => verify(encodeSymlink('E:\\Media\\Films', { relative: false }), false)).code).toBe('EIO');
    expect(thrown(DriverError, () => verify(encodeSymlink('Media\\Music', { relative: true }), false)).code).toBe('EIO');
    expect(thrown(DriverError, () => verify(encodeMountPoint('E:\\Media\\Music'), false)).code).toBe('EIO');
    expect(thrown(DriverError, () => verify(undefined, false)).message).toBe('C:\\work\\link: Windows reported the link made, but no link is there');
  });
});

describe("the reparse points a relocation's copy re-makes, and those it refuses", () => {
  const at = 'C:\\Games\\Big\\x';
  it('re-makes a junction or symbolic link, wherever it leads (outside the tree, another drive, relative)', () => {
    expect(reparseProblem(at, encodeMountPoint('D:\\elsewhere'))).toBeUndefined();
    expect(reparseProblem(at, encodeSymlink('..\\saves', { relative: true }))).toBeUndefined();
    expect(reparseProblem(at, encodeSymlink('E:\\data\\file.bin', { relative: false }))).toBeUndefined();
  });

  it("refuses another program's reparse point (cloud placeholder, deduplicated file, app execution alias) and a volume mounted inside, naming it", () => {
    expect(reparseProblem(at, encodeRawReparse(IO_REPARSE_TAG_CLOUD_3, Buffer.from('placeholder')))).toMatch(/^C:\\Games\\Big\\x is a \S+ reparse point \(tag 0x9000301A\), which cannot be copied/i);
    expect(reparseProblem(at, encodeRawReparse(IO_REPARSE_TAG_DEDUP, Buffer.alloc(8)))).toMatch(/reparse point \(tag 0x80000013\), which cannot be copied/i);
    expect(reparseProblem(at, encodeAppExecLink({ packageId: 'P', appUserModelId: 'P!App', targetPath: 'C:\\p.exe' }))).toMatch(/which cannot be copied/);
    expect(reparseProblem(at, encodeMountPoint('\\\\?\\Volume{01234567-89ab-cdef-0123-456789abcdef}\\'))).toBe(`a volume is mounted at ${at}; it is not copied`);
  });
});
