// Tests for the NTFS reparse-buffer codec: hand-made fixtures laid out from MS-FSCC 2.1.2 (stored as
// commented hex under test/fixtures/reparse), exact encoder output, every malformed-buffer error
// code, round-trip properties over generated paths, and fuzzing of random and mutated buffers.
import { reparseFixture } from './helpers/reparse-fixture.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  IO_REPARSE_TAG_AF_UNIX,
  IO_REPARSE_TAG_APPEXECLINK,
  IO_REPARSE_TAG_CLOUD,
  IO_REPARSE_TAG_CLOUD_6,
  IO_REPARSE_TAG_DEDUP,
  IO_REPARSE_TAG_LX_SYMLINK,
  IO_REPARSE_TAG_MOUNT_POINT,
  IO_REPARSE_TAG_ONEDRIVE,
  IO_REPARSE_TAG_SYMLINK,
  IO_REPARSE_TAG_WOF,
  MAXIMUM_REPARSE_DATA_BUFFER_SIZE,
  ReparseDecodeError,
  ReparseEncodeError,
  SYMLINK_FLAG_RELATIVE,
  decodeReparse,
  encodeAppExecLink,
  encodeLxSymlink,
  encodeMountPoint,
  encodeRawReparse,
  encodeReparse,
  encodeSymlink,
  formatReparseTag,
  isDirectoryTag,
  isMicrosoftTag,
  isNameSurrogate,
  ntToWin32Path,
  reparseTagName,
  type ReparseDecodeErrorCode,
  type ReparseEncodeErrorCode,
  type ReparsePoint,
} from '../src/drivers/ntfs/reparse.js';

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/** Reads a hex fixture: `#` starts a comment, whitespace is ignored. */
const fixture = reparseFixture;

const FIXTURES = [
  'junction-mklink.hex',
  'junction-print-first.hex',
  'junction-empty-print.hex',
  'volume-mount-point.hex',
  'symlink-mklink-absolute.hex',
  'symlink-substitute-first.hex',
  'symlink-relative.hex',
  'symlink-unc.hex',
  'app-exec-link.hex',
  'lx-symlink.hex',
  'wof.hex',
  'cloud-6.hex',
  'third-party.hex',
] as const;

const fixtureBytes: ReadonlyMap<string, Buffer> = new Map(FIXTURES.map((n) => [n, fixture(n)] as const));

function fx(name: (typeof FIXTURES)[number]): Buffer {
  const b = fixtureBytes.get(name);
  if (b === undefined) throw new Error(`no fixture ${name}`);
  return Buffer.from(b);
}

const u16 = (v: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const w = (s: string): Buffer => Buffer.from(s, 'utf16le');

/** Header with a ReparseDataLength that matches `data` unless told otherwise. */
function raw(tag: number, data: Buffer, dataLength = data.length): Buffer {
  return Buffer.concat([u32(tag), u16(dataLength), u16(0), data]);
}

interface NameFields {
  subOff: number;
  subLen: number;
  prOff: number;
  prLen: number;
}

function mountPointBuf(f: NameFields, path: Buffer): Buffer {
  return raw(IO_REPARSE_TAG_MOUNT_POINT, Buffer.concat([u16(f.subOff), u16(f.subLen), u16(f.prOff), u16(f.prLen), path]));
}

function symlinkBuf(f: NameFields, flags: number, path: Buffer): Buffer {
  return raw(
    IO_REPARSE_TAG_SYMLINK,
    Buffer.concat([u16(f.subOff), u16(f.subLen), u16(f.prOff), u16(f.prLen), u32(flags), path]),
  );
}

function decodeError(buf: Uint8Array, options?: { allowTrailingBytes?: boolean }): ReparseDecodeError {
  try {
    decodeReparse(buf, options);
  } catch (e) {
    if (e instanceof ReparseDecodeError) return e;
    throw e;
  }
  throw new Error('decodeReparse did not throw');
}

function encodeError(fn: () => unknown): ReparseEncodeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ReparseEncodeError) return e;
    throw e;
  }
  throw new Error('encoder did not throw');
}

function expectDecodeError(buf: Uint8Array, code: ReparseDecodeErrorCode, options?: { allowTrailingBytes?: boolean }): void {
  const err = decodeError(buf, options);
  expect(err.code).toBe(code);
  expect(err.name).toBe('ReparseDecodeError');
  expect(err).toBeInstanceOf(Error);
  expect(err.message).toMatch(/^reparse buffer: \S.*[^.]$/);
}

function expectEncodeError(fn: () => unknown, code: ReparseEncodeErrorCode): void {
  const err = encodeError(fn);
  expect(err.code).toBe(code);
  expect(err.name).toBe('ReparseEncodeError');
  expect(err.message).toMatch(/^reparse buffer: \S.*[^.]$/);
}

// ---------------------------------------------------------------------------------------------
// Tags
// ---------------------------------------------------------------------------------------------

describe('tags', () => {
  // Values as listed in MS-FSCC 2.1.2.1 (DATALESS_CIM from the Windows SDK).
  const KNOWN: ReadonlyArray<readonly [number, string]> = [
    [0xa0000003, 'MOUNT_POINT'],
    [0xc0000004, 'HSM'],
    [0x80000005, 'DRIVE_EXTENDER'],
    [0x80000006, 'HSM2'],
    [0x80000007, 'SIS'],
    [0x80000008, 'WIM'],
    [0x80000009, 'CSV'],
    [0x8000000a, 'DFS'],
    [0x8000000b, 'FILTER_MANAGER'],
    [0xa000000c, 'SYMLINK'],
    [0xa0000010, 'IIS_CACHE'],
    [0x80000012, 'DFSR'],
    [0x80000013, 'DEDUP'],
    [0xc0000014, 'APPXSTRM'],
    [0x80000014, 'NFS'],
    [0x80000015, 'FILE_PLACEHOLDER'],
    [0x80000016, 'DFM'],
    [0x80000017, 'WOF'],
    [0x80000018, 'WCI'],
    [0x90001018, 'WCI_1'],
    [0xa0000019, 'GLOBAL_REPARSE'],
    [0x9000001a, 'CLOUD'],
    [0x8000001b, 'APPEXECLINK'],
    [0x9000001c, 'PROJFS'],
    [0xa000001d, 'LX_SYMLINK'],
    [0x8000001e, 'STORAGE_SYNC'],
    [0xa000001f, 'WCI_TOMBSTONE'],
    [0x80000020, 'UNHANDLED'],
    [0x80000021, 'ONEDRIVE'],
    [0xa0000022, 'PROJFS_TOMBSTONE'],
    [0x80000023, 'AF_UNIX'],
    [0x80000024, 'LX_FIFO'],
    [0x80000025, 'LX_CHR'],
    [0x80000026, 'LX_BLK'],
    [0x90000027, 'STORAGE_SYNC_FOLDER'],
    [0xa0000027, 'WCI_LINK'],
    [0xa0001027, 'WCI_LINK_1'],
    [0xa0000028, 'DATALESS_CIM'],
    [0x00000000, 'RESERVED_ZERO'],
    [0x00000001, 'RESERVED_ONE'],
    [0x00000002, 'RESERVED_TWO'],
  ];

  it.each(KNOWN.map(([tag, name]) => [formatReparseTag(tag), tag, name] as const))('%s is %s', (_hex, tag, name) => {
    expect(reparseTagName(tag)).toBe(name);
  });

  it('names CLOUD_1 to CLOUD_F', () => {
    const digits = '123456789ABCDEF';
    for (let i = 1; i <= 15; i++) {
      expect(reparseTagName(0x9000001a | (i << 12))).toBe(`CLOUD_${digits[i - 1]}`);
    }
  });

  it('exports the constants with their MS-FSCC values', () => {
    expect(IO_REPARSE_TAG_MOUNT_POINT).toBe(0xa0000003);
    expect(IO_REPARSE_TAG_SYMLINK).toBe(0xa000000c);
    expect(IO_REPARSE_TAG_APPEXECLINK).toBe(0x8000001b);
    expect(IO_REPARSE_TAG_LX_SYMLINK).toBe(0xa000001d);
    expect(IO_REPARSE_TAG_WOF).toBe(0x80000017);
    expect(IO_REPARSE_TAG_DEDUP).toBe(0x80000013);
    expect(IO_REPARSE_TAG_CLOUD).toBe(0x9000001a);
    expect(IO_REPARSE_TAG_CLOUD_6).toBe(0x9000601a);
    expect(IO_REPARSE_TAG_ONEDRIVE).toBe(0x80000021);
    expect(IO_REPARSE_TAG_AF_UNIX).toBe(0x80000023);
    expect(SYMLINK_FLAG_RELATIVE).toBe(1);
    expect(MAXIMUM_REPARSE_DATA_BUFFER_SIZE).toBe(16384);
  });

  it('gives unknown and third-party tags in 0x%08X form', () => {
    expect(reparseTagName(0x8000ffff)).toBe('0x8000FFFF');
    expect(reparseTagName(0x20000054)).toBe('0x20000054');
    expect(reparseTagName(0x0000000e)).toBe('0x0000000E');
    expect(formatReparseTag(0xa0000003)).toBe('0xA0000003');
  });

  it('accepts the signed 32-bit form of a tag and rejects non-tags', () => {
    expect(reparseTagName(0xa0000003 | 0)).toBe('MOUNT_POINT');
    expect(isMicrosoftTag(0xa000000c | 0)).toBe(true);
    expect(() => reparseTagName(1.5)).toThrow(RangeError);
    expect(() => reparseTagName(2 ** 32)).toThrow(RangeError);
    expect(() => isNameSurrogate(Number.NaN)).toThrow(RangeError);
  });

  it('reads the Microsoft, name-surrogate and directory bits', () => {
    expect(isMicrosoftTag(IO_REPARSE_TAG_MOUNT_POINT)).toBe(true);
    expect(isMicrosoftTag(0x20000054)).toBe(false);
    expect(isNameSurrogate(IO_REPARSE_TAG_MOUNT_POINT)).toBe(true);
    expect(isNameSurrogate(IO_REPARSE_TAG_SYMLINK)).toBe(true);
    expect(isNameSurrogate(IO_REPARSE_TAG_LX_SYMLINK)).toBe(true);
    expect(isNameSurrogate(IO_REPARSE_TAG_WOF)).toBe(false);
    expect(isNameSurrogate(IO_REPARSE_TAG_APPEXECLINK)).toBe(false);
    expect(isDirectoryTag(IO_REPARSE_TAG_CLOUD)).toBe(true);
    expect(isDirectoryTag(IO_REPARSE_TAG_MOUNT_POINT)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Decoding fixtures
// ---------------------------------------------------------------------------------------------

/** A decoded mount point (a junction), as decodeReparse gives it. */
function mountPointRecord(substituteName: string, printName: string, target: string, isVolume = false): object {
  return { kind: 'mount-point', tag: IO_REPARSE_TAG_MOUNT_POINT, substituteName, printName, target, isVolume };
}

/** A decoded NTFS symbolic link: flags 0, or SYMLINK_FLAG_RELATIVE for a relative one. */
function symlinkRecord(substituteName: string, printName: string, target: string, relative = false): object {
  return { kind: 'symlink', tag: IO_REPARSE_TAG_SYMLINK, substituteName, printName, flags: relative ? SYMLINK_FLAG_RELATIVE : 0, relative, target };
}

describe('decodeReparse on hand-made fixtures', () => {
  it.each([
    ['junction in mklink /J layout', 'junction-mklink.hex', mountPointRecord('\\??\\C:\\Data\\Projects', 'C:\\Data\\Projects', 'C:\\Data\\Projects')],
    ['junction with the print name first', 'junction-print-first.hex', mountPointRecord('\\??\\D:\\Builds\\cache', 'D:\\Builds\\cache', 'D:\\Builds\\cache')],
    ['junction with an empty print name', 'junction-empty-print.hex', mountPointRecord('\\??\\C:\\ProgramData', '', 'C:\\ProgramData')],
    [
      'volume mount point by GUID',
      'volume-mount-point.hex',
      mountPointRecord('\\??\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\', '', '\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\', true),
    ],
    ['absolute symlink in mklink layout', 'symlink-mklink-absolute.hex', symlinkRecord('\\??\\C:\\Data\\file.txt', 'C:\\Data\\file.txt', 'C:\\Data\\file.txt')],
    ['symlink with the substitute name first and NULs', 'symlink-substitute-first.hex', symlinkRecord('\\??\\E:\\Media\\Music', 'E:\\Media\\Music', 'E:\\Media\\Music')],
    ['relative symlink', 'symlink-relative.hex', symlinkRecord('..\\shared\\lib', '..\\shared\\lib', '..\\shared\\lib', true)],
    ['UNC symlink', 'symlink-unc.hex', symlinkRecord('\\??\\UNC\\fileserver\\share\\tools', '\\\\fileserver\\share\\tools', '\\\\fileserver\\share\\tools')],
  ] as const)('%s', (_name, file, record) => {
    expect(decodeReparse(fx(file))).toEqual(record);
  });

  it('app execution alias', () => {
    expect(decodeReparse(fx('app-exec-link.hex'))).toEqual({
      kind: 'app-exec-link',
      tag: 0x8000001b,
      version: 3,
      packageId: 'PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0',
      appUserModelId: 'PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0!Python',
      targetPath:
        'C:\\Program Files\\WindowsApps\\PythonSoftwareFoundation.Python.3.12_3.12.2800.0_x64__qbz5n2kfra8p0\\python.exe',
      appType: '0',
    });
  });

  it('app execution alias with only three strings has no appType', () => {
    const list = Buffer.concat([w('Pkg_1'), u16(0), w('Pkg_1!App'), u16(0), w('C:\\a.exe'), u16(0)]);
    const decoded = decodeReparse(raw(IO_REPARSE_TAG_APPEXECLINK, Buffer.concat([u32(3), list])));
    expect(decoded).toEqual({
      kind: 'app-exec-link',
      tag: 0x8000001b,
      version: 3,
      packageId: 'Pkg_1',
      appUserModelId: 'Pkg_1!App',
      targetPath: 'C:\\a.exe',
    });
    expect('appType' in decoded).toBe(false);
  });

  it('WSL symlink with a UTF-8 target', () => {
    expect(decodeReparse(fx('lx-symlink.hex'))).toEqual({
      kind: 'lx-symlink',
      tag: 0xa000001d,
      version: 2,
      target: '../données/lib',
    });
  });

  it('WOF tag by name, data after the header', () => {
    expect(decodeReparse(fx('wof.hex'))).toEqual({
      kind: 'other',
      tag: 0x80000017,
      tagName: 'WOF',
      data: new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]),
    });
  });

  it('cloud placeholder tag by name', () => {
    const decoded = decodeReparse(fx('cloud-6.hex'));
    expect(decoded).toEqual({
      kind: 'other',
      tag: 0x9000601a,
      tagName: 'CLOUD_6',
      data: new Uint8Array([0x01, 0x00, 0x70, 0x65, 0x46, 0x4d]),
    });
    expect('guid' in decoded).toBe(false);
  });

  it('dedup tag by name', () => {
    expect(decodeReparse(Buffer.from('130000800400000001020304', 'hex'))).toEqual({
      kind: 'other',
      tag: 0x80000013,
      tagName: 'DEDUP',
      data: new Uint8Array([1, 2, 3, 4]),
    });
  });

  it('third-party tag with its mixed-endian GUID', () => {
    expect(decodeReparse(fx('third-party.hex'))).toEqual({
      kind: 'other',
      tag: 0x20000054,
      tagName: '0x20000054',
      guid: '{12345678-9ABC-DEF0-1122-334455667788}',
      data: new Uint8Array([0xde, 0xad, 0xbe, 0xef]),
    });
  });

  it('returns a copy of the data, not a view of the input', () => {
    const buf = fx('wof.hex');
    const decoded = decodeReparse(buf);
    if (decoded.kind !== 'other') throw new Error('expected other');
    buf[8] = 0xff;
    expect(decoded.data[0]).toBe(1);
  });

  it('reads a Uint8Array that is a view at a non-zero offset', () => {
    const bytes = fx('junction-mklink.hex');
    const backing = new Uint8Array(bytes.length + 13);
    backing.set(bytes, 7);
    const view = backing.subarray(7, 7 + bytes.length);
    expect(decodeReparse(view)).toEqual(decodeReparse(bytes));
  });

  it('ignores the Reserved field', () => {
    const buf = fx('junction-mklink.hex');
    buf.writeUInt16LE(0xbeef, 6);
    expect(decodeReparse(buf)).toEqual(decodeReparse(fx('junction-mklink.hex')));
  });

  it('keeps unknown symlink flag bits and reads bit 0 only for relative', () => {
    const name = w('x\\y');
    const decoded = decodeReparse(symlinkBuf({ subOff: 0, subLen: name.length, prOff: 0, prLen: 0 }, 0x80000001, name));
    expect(decoded).toEqual({
      kind: 'symlink',
      tag: 0xa000000c,
      substituteName: 'x\\y',
      printName: '',
      flags: 0x80000001,
      relative: true,
      target: 'x\\y',
    });
  });

  it('lets names overlap (both names read from the same bytes)', () => {
    const name = w('\\??\\C:\\x');
    const decoded = decodeReparse(mountPointBuf({ subOff: 0, subLen: name.length, prOff: 8, prLen: name.length - 8 }, name));
    expect(decoded).toMatchObject({ kind: 'mount-point', substituteName: '\\??\\C:\\x', printName: 'C:\\x', target: 'C:\\x' });
  });

  it('treats a junction to a directory of a volume GUID as not a volume mount point', () => {
    const sub = w('\\??\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\Users\\Shared');
    expect(decodeReparse(mountPointBuf({ subOff: 0, subLen: sub.length, prOff: sub.length, prLen: 0 }, sub))).toEqual({
      kind: 'mount-point',
      tag: 0xa0000003,
      substituteName: '\\??\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\Users\\Shared',
      printName: '',
      target: '\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\Users\\Shared',
      isVolume: false,
    });
  });

  it('decodes unpaired surrogates as Node does, without throwing', () => {
    const sub = Buffer.concat([w('\\??\\C:\\'), Buffer.from([0x00, 0xd8]), w('x')]);
    const decoded = decodeReparse(mountPointBuf({ subOff: 0, subLen: sub.length, prOff: 0, prLen: 0 }, sub));
    expect(decoded).toMatchObject({ kind: 'mount-point', target: 'C:\\\ud800x' });
  });
});

describe('ntToWin32Path', () => {
  it.each([
    ['\\??\\C:\\dir', 'C:\\dir'],
    ['\\??\\c:\\', 'c:\\'],
    ['\\??\\UNC\\srv\\share\\x', '\\\\srv\\share\\x'],
    ['\\??\\unc\\srv\\share', '\\\\srv\\share'],
    ['\\??\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\', '\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\'],
    ['\\??\\C:', '\\\\?\\C:'],
    ['\\??\\GLOBALROOT\\Device\\X', '\\\\?\\GLOBALROOT\\Device\\X'],
    ['\\Device\\HarddiskVolume2\\x', '\\\\?\\GLOBALROOT\\Device\\HarddiskVolume2\\x'],
    ['C:\\plain', 'C:\\plain'],
    ['..\\rel', '..\\rel'],
  ])('%s -> %s', (nt, win32) => {
    expect(ntToWin32Path(nt)).toBe(win32);
  });

  it('is what decoding an absolute symlink to an NT device path gives', () => {
    const sub = w('\\Device\\HarddiskVolume2\\x');
    expect(decodeReparse(symlinkBuf({ subOff: 0, subLen: sub.length, prOff: 0, prLen: 0 }, 0, sub))).toMatchObject({
      kind: 'symlink',
      relative: false,
      target: '\\\\?\\GLOBALROOT\\Device\\HarddiskVolume2\\x',
    });
  });
});

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

describe('encoders reproduce the fixtures byte for byte', () => {
  it('encodeMountPoint writes the mklink /J layout', () => {
    const want = fx('junction-mklink.hex');
    expect(encodeMountPoint('C:\\Data\\Projects')).toEqual(want);
    expect(encodeMountPoint('C:/Data/Projects')).toEqual(want);
    expect(encodeMountPoint('\\\\?\\C:\\Data\\Projects')).toEqual(want);
    expect(encodeMountPoint('\\??\\C:\\Data\\Projects')).toEqual(want);
    expect(encodeMountPoint('C:\\Data\\Projects', { printName: 'C:\\Data\\Projects' })).toEqual(want);
  });

  it('encodeMountPoint with an empty print name', () => {
    expect(encodeMountPoint('C:\\ProgramData', { printName: '' })).toEqual(fx('junction-empty-print.hex'));
  });

  it('encodeMountPoint for a volume GUID', () => {
    expect(encodeMountPoint('\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\', { printName: '' })).toEqual(
      fx('volume-mount-point.hex'),
    );
  });

  it('encodeMountPoint defaults the print name of a volume GUID target to its \\\\?\\ form', () => {
    const guid = 'Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}\\Data';
    expect(decodeReparse(encodeMountPoint(`\\\\?\\${guid}`))).toEqual(mountPointRecord(`\\??\\${guid}`, `\\\\?\\${guid}`, `\\\\?\\${guid}`));
  });

  it('encodeSymlink writes the mklink layout for absolute targets', () => {
    const want = fx('symlink-mklink-absolute.hex');
    expect(encodeSymlink('C:\\Data\\file.txt', { relative: false })).toEqual(want);
    expect(encodeSymlink('C:/Data/file.txt', { relative: false })).toEqual(want);
  });

  it('encodeSymlink writes relative targets as they are with flag 1', () => {
    expect(encodeSymlink('..\\shared\\lib', { relative: true })).toEqual(fx('symlink-relative.hex'));
    expect(encodeSymlink('../shared/lib', { relative: true })).toEqual(fx('symlink-relative.hex'));
  });

  it('encodeSymlink writes UNC targets as \\??\\UNC\\', () => {
    const want = fx('symlink-unc.hex');
    expect(encodeSymlink('\\\\fileserver\\share\\tools', { relative: false })).toEqual(want);
    expect(encodeSymlink('//fileserver/share/tools', { relative: false })).toEqual(want);
    expect(encodeSymlink('\\\\?\\UNC\\fileserver\\share\\tools', { relative: false })).toEqual(want);
  });

  it('encodeAppExecLink and encodeLxSymlink', () => {
    expect(
      encodeAppExecLink({
        packageId: 'PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0',
        appUserModelId: 'PythonSoftwareFoundation.Python.3.12_qbz5n2kfra8p0!Python',
        targetPath:
          'C:\\Program Files\\WindowsApps\\PythonSoftwareFoundation.Python.3.12_3.12.2800.0_x64__qbz5n2kfra8p0\\python.exe',
        appType: '0',
      }),
    ).toEqual(fx('app-exec-link.hex'));
    expect(encodeLxSymlink('../données/lib')).toEqual(fx('lx-symlink.hex'));
  });

  it('encodeRawReparse for Microsoft and third-party tags', () => {
    expect(encodeRawReparse(IO_REPARSE_TAG_WOF, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]))).toEqual(
      fx('wof.hex'),
    );
    expect(
      encodeRawReparse(0x20000054, new Uint8Array([0xde, 0xad, 0xbe, 0xef]), '{12345678-9abc-def0-1122-334455667788}'),
    ).toEqual(fx('third-party.hex'));
    expect(
      encodeRawReparse(0x20000054, new Uint8Array([0xde, 0xad, 0xbe, 0xef]), '12345678-9ABC-DEF0-1122-334455667788'),
    ).toEqual(fx('third-party.hex'));
  });

  // (all but the two written in another layout than the encoder's, with the names the other way round)
  it.each(FIXTURES.filter((n) => n !== 'junction-print-first.hex' && n !== 'symlink-substitute-first.hex'))('encodeReparse(decodeReparse(%s)) gives the fixture back', (name) => {
    expect(encodeReparse(decodeReparse(fx(name)))).toEqual(fx(name));
  });

  it('encodeReparse normalises other layouts to the mklink one', () => {
    const reencoded = encodeReparse(decodeReparse(fx('junction-print-first.hex')));
    expect(reencoded).toEqual(encodeMountPoint('D:\\Builds\\cache'));
    expect(decodeReparse(reencoded)).toEqual(decodeReparse(fx('junction-print-first.hex')));
  });

  it('accepts a custom print name', () => {
    expect(decodeReparse(encodeSymlink('C:\\x', { relative: false, printName: 'shown 🙂' }))).toMatchObject({
      printName: 'shown 🙂',
      substituteName: '\\??\\C:\\x',
    });
  });

  it('stops exactly at the 16 KiB limit', () => {
    // Mount point total = 8 header + 8 fields + (4 + n) * 2 + 2 + n * 2 + 2 = 28 + 4n bytes for an n-character path.
    const atLimit = `C:\\${'a'.repeat(4089 - 3)}`;
    expect(encodeMountPoint(atLimit).length).toBe(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
    expect(decodeReparse(encodeMountPoint(atLimit))).toMatchObject({ target: atLimit });
    expectEncodeError(() => encodeMountPoint(`${atLimit}b`), 'too-large');
    expectEncodeError(() => encodeSymlink(`C:\\${'a'.repeat(9000)}`, { relative: false }), 'too-large');
    expectEncodeError(() => encodeLxSymlink('a'.repeat(16384)), 'too-large');
    expectEncodeError(() => encodeRawReparse(IO_REPARSE_TAG_WOF, new Uint8Array(16377)), 'too-large');
    expect(encodeRawReparse(IO_REPARSE_TAG_WOF, new Uint8Array(16376)).length).toBe(16384);
    expectEncodeError(() => encodeRawReparse(0x00000054, new Uint8Array(16361), '{12345678-9abc-def0-1122-334455667788}'), 'too-large');
  });
});

describe('encoders reject what cannot be linked', () => {
  it.each<[string, ReparseEncodeErrorCode]>([
    ['', 'empty-target'],
    ['dir', 'relative-target'],
    ['..\\x', 'relative-target'],
    ['C:dir', 'relative-target'],
    ['\\dir', 'relative-target'],
    ['\\\\server\\share\\x', 'unc-target'],
    ['//server/share', 'unc-target'],
    ['\\\\?\\UNC\\server\\share', 'unc-target'],
    ['\\\\server', 'unsupported-target'],
    ['\\\\?\\GLOBALROOT\\Device\\X', 'unsupported-target'],
    ['\\\\?\\Volume{4c1b02c1-d990-11dc-99ae-806e6f6e6963}', 'unsupported-target'],
    ['C:\\a\\..\\b', 'dot-component'],
    ['C:\\a\\.', 'dot-component'],
    ['C:\\a\\\\b', 'empty-component'],
    ['C:\\a\0b', 'nul-character'],
  ])('encodeMountPoint(%j) fails with %s', (target, code) => {
    expectEncodeError(() => encodeMountPoint(target), code);
  });

  it('encodeMountPoint rejects a NUL in the print name', () => {
    expectEncodeError(() => encodeMountPoint('C:\\a', { printName: 'a\0' }), 'nul-character');
  });

  it.each<[string, boolean, ReparseEncodeErrorCode]>([
    ['', false, 'empty-target'],
    ['', true, 'empty-target'],
    ['C:\\x', true, 'absolute-target'],
    ['\\\\server\\share', true, 'absolute-target'],
    ['x\\y', false, 'relative-target'],
    ['\\\\server', false, 'unsupported-target'],
    ['C:\\x\\..\\y', false, 'dot-component'],
    ['x\0', true, 'nul-character'],
  ])('encodeSymlink(%j, relative %s) fails with %s', (target, relative, code) => {
    expectEncodeError(() => encodeSymlink(target, { relative }), code);
  });

  it('other encoders check their input', () => {
    expectEncodeError(() => encodeLxSymlink(''), 'empty-target');
    expectEncodeError(() => encodeLxSymlink('a\0b'), 'nul-character');
    expectEncodeError(() => encodeAppExecLink({ packageId: '', appUserModelId: 'a', targetPath: 'b' }), 'empty-target');
    expectEncodeError(() => encodeAppExecLink({ packageId: 'p', appUserModelId: 'a', targetPath: 'b', version: 2 }), 'bad-version');
    expectEncodeError(() => encodeRawReparse(IO_REPARSE_TAG_MOUNT_POINT, new Uint8Array(8)), 'bad-tag');
    expectEncodeError(() => encodeRawReparse(2 ** 33, new Uint8Array(0)), 'bad-tag');
    expectEncodeError(() => encodeRawReparse(0x00000054, new Uint8Array(0)), 'guid-mismatch');
    expectEncodeError(
      () => encodeRawReparse(IO_REPARSE_TAG_WOF, new Uint8Array(0), '{12345678-9abc-def0-1122-334455667788}'),
      'guid-mismatch',
    );
    expectEncodeError(() => encodeRawReparse(0x00000054, new Uint8Array(0), '{12345678-9abc-def0-1122-33445566778}'), 'bad-guid');
    expectEncodeError(() => encodeRawReparse(0x00000054, new Uint8Array(0), '{12345678-9abc-def0-1122-334455667788'), 'bad-guid');
  });
});

// ---------------------------------------------------------------------------------------------
// Malformed buffers
// ---------------------------------------------------------------------------------------------

describe('malformed buffers give ReparseDecodeError', () => {
  it('short-header: fewer than 8 bytes', () => {
    for (let n = 0; n < 8; n++) expectDecodeError(fx('junction-mklink.hex').subarray(0, n), 'short-header');
  });

  it('too-large: more than 16 KiB, even with allowTrailingBytes', () => {
    expectDecodeError(raw(IO_REPARSE_TAG_WOF, Buffer.alloc(16377)), 'too-large');
    expectDecodeError(Buffer.concat([fx('wof.hex'), Buffer.alloc(16384)]), 'too-large', { allowTrailingBytes: true });
    expect(decodeReparse(raw(IO_REPARSE_TAG_WOF, Buffer.alloc(16376)))).toMatchObject({ kind: 'other', tagName: 'WOF' });
  });

  it('length-mismatch: bytes beyond ReparseDataLength, strict by default', () => {
    const longer = Buffer.concat([fx('junction-mklink.hex'), Buffer.from([0])]);
    expectDecodeError(longer, 'length-mismatch');
    expect(decodeReparse(longer, { allowTrailingBytes: true })).toEqual(decodeReparse(fx('junction-mklink.hex')));
    // A whole 16 KiB output buffer handed over as is.
    const whole = Buffer.alloc(MAXIMUM_REPARSE_DATA_BUFFER_SIZE);
    fx('third-party.hex').copy(whole);
    expectDecodeError(whole, 'length-mismatch');
    expect(decodeReparse(whole, { allowTrailingBytes: true })).toEqual(decodeReparse(fx('third-party.hex')));
  });

  it('length-mismatch: ReparseDataLength past the end of the buffer', () => {
    const buf = fx('junction-mklink.hex');
    expectDecodeError(buf.subarray(0, buf.length - 1), 'length-mismatch');
    expectDecodeError(buf.subarray(0, buf.length - 1), 'length-mismatch', { allowTrailingBytes: true });
    expectDecodeError(buf.subarray(0, 8), 'length-mismatch');
    const third = fx('third-party.hex');
    expectDecodeError(third.subarray(0, 27), 'length-mismatch');
  });

  it('short-guid-header: a third-party buffer without room for its GUID', () => {
    for (let n = 8; n < 24; n++) {
      const buf = Buffer.alloc(n);
      buf.writeUInt32LE(0x20000054, 0);
      expectDecodeError(buf, 'short-guid-header');
    }
  });

  it('short-data: fixed fields missing', () => {
    expectDecodeError(raw(IO_REPARSE_TAG_MOUNT_POINT, Buffer.alloc(6)), 'short-data');
    expectDecodeError(raw(IO_REPARSE_TAG_SYMLINK, Buffer.alloc(10)), 'short-data');
    expectDecodeError(raw(IO_REPARSE_TAG_APPEXECLINK, Buffer.alloc(2)), 'short-data');
    expectDecodeError(raw(IO_REPARSE_TAG_LX_SYMLINK, Buffer.alloc(3)), 'short-data');
  });

  it('offset-out-of-range: names past the end of PathBuffer', () => {
    const sub = w('\\??\\C:\\x');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: sub.length + 2, prOff: 0, prLen: 0 }, sub), 'offset-out-of-range');
    expectDecodeError(mountPointBuf({ subOff: 2, subLen: sub.length, prOff: 0, prLen: 0 }, sub), 'offset-out-of-range');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: sub.length, prOff: sub.length + 2, prLen: 0 }, sub), 'offset-out-of-range');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: sub.length, prOff: 0xfffe, prLen: 0xfffe }, sub), 'offset-out-of-range');
    expectDecodeError(symlinkBuf({ subOff: 0, subLen: sub.length, prOff: 4, prLen: sub.length }, 0, sub), 'offset-out-of-range');
    // The mklink fixture with its substitute name (stored last) made one character longer.
    const buf = fx('symlink-mklink-absolute.hex');
    buf.writeUInt16LE(buf.readUInt16LE(10) + 2, 10);
    expectDecodeError(buf, 'offset-out-of-range');
  });

  it('odd-length and odd-offset: misaligned UTF-16 names', () => {
    const sub = w('\\??\\C:\\xy');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: sub.length - 1, prOff: 0, prLen: 0 }, sub), 'odd-length');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: sub.length, prOff: 0, prLen: 3 }, sub), 'odd-length');
    expectDecodeError(mountPointBuf({ subOff: 1, subLen: 4, prOff: 0, prLen: 0 }, sub), 'odd-offset');
    expectDecodeError(symlinkBuf({ subOff: 0, subLen: sub.length, prOff: 3, prLen: 2 }, 0, sub), 'odd-offset');
    const list = Buffer.concat([u32(3), w('a'), u16(0), w('b'), u16(0), w('c'), u16(0), Buffer.from([0x41])]);
    expectDecodeError(raw(IO_REPARSE_TAG_APPEXECLINK, list), 'odd-length');
  });

  it('empty-name and nul-in-name: nothing, or an impossible path, to follow', () => {
    const print = w('C:\\x');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: 0, prOff: 0, prLen: print.length }, print), 'empty-name');
    expectDecodeError(symlinkBuf({ subOff: 0, subLen: 0, prOff: 0, prLen: 0 }, 1, Buffer.alloc(0)), 'empty-name');
    const withNul = w('\\??\\C:\\a\0b');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: withNul.length, prOff: 0, prLen: 0 }, withNul), 'nul-in-name');
    // A writer that counted the terminating NUL in the length.
    const counted = w('\\??\\C:\\a\0');
    expectDecodeError(mountPointBuf({ subOff: 0, subLen: counted.length, prOff: 0, prLen: 0 }, counted), 'nul-in-name');
    expectDecodeError(raw(IO_REPARSE_TAG_LX_SYMLINK, u32(2)), 'empty-name');
    expectDecodeError(raw(IO_REPARSE_TAG_LX_SYMLINK, Buffer.concat([u32(2), Buffer.from('a\0b')])), 'nul-in-name');
  });

  it('bad-version: unknown app execution alias and WSL symlink versions', () => {
    const app = fx('app-exec-link.hex');
    app.writeUInt32LE(2, 8);
    expectDecodeError(app, 'bad-version');
    const lx = fx('lx-symlink.hex');
    lx.writeUInt32LE(1, 8);
    expectDecodeError(lx, 'bad-version');
  });

  it('bad-string-list: app execution alias strings that do not fit the layout', () => {
    const str = (...s: string[]): Buffer => Buffer.concat(s.flatMap((x) => [w(x), u16(0)]));
    const app = (list: Buffer): Buffer => raw(IO_REPARSE_TAG_APPEXECLINK, Buffer.concat([u32(3), list]));
    expectDecodeError(app(Buffer.concat([str('p', 'a'), w('t')])), 'bad-string-list');
    expectDecodeError(app(str('p', 'a')), 'bad-string-list');
    expectDecodeError(app(Buffer.alloc(0)), 'bad-string-list');
    expectDecodeError(app(str('p', 'a', 't', '0', 'extra')), 'bad-string-list');
    expectDecodeError(app(str('', 'a', 't', '0')), 'bad-string-list');
    // Padding NULs after the known strings are fine.
    expect(decodeReparse(app(Buffer.concat([str('p', 'a', 't', '0'), u16(0), u16(0)])))).toMatchObject({
      packageId: 'p',
      appUserModelId: 'a',
      targetPath: 't',
      appType: '0',
    });
  });

  it('bad-utf8: a WSL target that is not UTF-8', () => {
    expectDecodeError(raw(IO_REPARSE_TAG_LX_SYMLINK, Buffer.concat([u32(2), Buffer.from([0x2f, 0xff, 0x61])])), 'bad-utf8');
    expectDecodeError(raw(IO_REPARSE_TAG_LX_SYMLINK, Buffer.concat([u32(2), Buffer.from([0xed, 0xa0, 0x80])])), 'bad-utf8');
  });

  it('keeps a leading byte-order mark in a WSL target', () => {
    const decoded = decodeReparse(raw(IO_REPARSE_TAG_LX_SYMLINK, Buffer.concat([u32(2), Buffer.from('\ufeffx', 'utf8')])));
    expect(decoded).toMatchObject({ target: '\ufeffx' });
  });

  it('bad-input: not a Uint8Array', () => {
    expectDecodeError('not bytes' as unknown as Uint8Array, 'bad-input');
    expectDecodeError(null as unknown as Uint8Array, 'bad-input');
    expectDecodeError([3, 0, 0, 0xa0, 0, 0, 0, 0] as unknown as Uint8Array, 'bad-input');
  });
});

// ---------------------------------------------------------------------------------------------
// Round-trip properties
// ---------------------------------------------------------------------------------------------

/** Characters Windows allows in a file name: no controls, no <>:"/\|?*, plus BMP and astral code points. */
const nameChar = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...'abcXYZ019 -_+~!@#$%^&()[]{}\',;=`'.split('')) },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ß', 'Ω', 'ж', '日', '本', '\u00a0', '\u200b', 'ｱ') },
  { weight: 2, arbitrary: fc.constantFrom('😀', '𝄞', '𠀋', '🇫', '🏳') },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 0x80, max: 0x10ffff })
      .filter((cp) => cp < 0xd800 || cp > 0xdfff)
      .map((cp) => String.fromCodePoint(cp)),
  },
);
const component = fc
  .array(nameChar, { minLength: 1, maxLength: 12 })
  .map((chars) => chars.join(''))
  .filter((c) => c !== '.' && c !== '..');
const components = fc.array(component, { minLength: 0, maxLength: 8 });
const drive = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZcdz'.split(''));
const drivePath = fc.tuple(drive, components).map(([d, parts]) => `${d}:\\${parts.join('\\')}`);
const uncPath = fc
  .tuple(component, component, components)
  .map(([server, share, parts]) => ['\\\\' + server, share, ...parts].join('\\'));
const relativePath = fc
  .array(fc.oneof({ weight: 3, arbitrary: component }, { weight: 1, arbitrary: fc.constantFrom('..', '.') }), {
    minLength: 1,
    maxLength: 8,
  })
  .map((parts) => parts.join('\\'));
const printName = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('\0'));

describe('round-trip properties', () => {
  it('mount points: decode(encode(path)).target is the path', () => {
    fc.assert(
      fc.property(drivePath, (p) => {
        expect(decodeReparse(encodeMountPoint(p))).toEqual(mountPointRecord(`\\??\\${p}`, p, p));
        expect(decodeReparse(encodeMountPoint(p.replaceAll('\\', '/')))).toMatchObject({ target: p });
        expect(decodeReparse(encodeMountPoint(`\\\\?\\${p}`))).toMatchObject({ target: p });
      }),
      { numRuns: 400 },
    );
  });

  it('mount points by volume GUID', () => {
    fc.assert(
      fc.property(fc.uuid(), components, (uuid, parts) => {
        const p = `\\\\?\\Volume{${uuid}}\\${parts.join('\\')}`;
        expect(decodeReparse(encodeMountPoint(p))).toEqual(mountPointRecord(`\\??\\${p.slice(4)}`, p, p, parts.length === 0));
      }),
      { numRuns: 200 },
    );
  });

  it('mount points keep any print name', () => {
    fc.assert(
      fc.property(drivePath, printName, (p, name) => {
        expect(decodeReparse(encodeMountPoint(p, { printName: name }))).toMatchObject({ target: p, printName: name });
      }),
      { numRuns: 200 },
    );
  });

  it('absolute symlinks to drive paths', () => {
    fc.assert(
      fc.property(drivePath, (p) => {
        expect(decodeReparse(encodeSymlink(p, { relative: false }))).toEqual(symlinkRecord(`\\??\\${p}`, p, p));
      }),
      { numRuns: 400 },
    );
  });

  it('absolute symlinks to UNC paths', () => {
    fc.assert(
      fc.property(uncPath, (p) => {
        expect(decodeReparse(encodeSymlink(p, { relative: false }))).toEqual(symlinkRecord(`\\??\\UNC\\${p.slice(2)}`, p, p));
      }),
      { numRuns: 300 },
    );
  });

  it('relative symlinks, with . and .. components', () => {
    fc.assert(
      fc.property(relativePath, printName, (p, name) => {
        expect(decodeReparse(encodeSymlink(p, { relative: true }))).toEqual(symlinkRecord(p, p, p, true));
        expect(decodeReparse(encodeSymlink(p.replaceAll('\\', '/'), { relative: true, printName: name }))).toMatchObject({
          target: p,
          printName: name,
        });
      }),
      { numRuns: 400 },
    );
  });

  it('WSL symlinks', () => {
    // Well-formed strings only: UTF-8 has no encoding for a lone surrogate.
    const lxTarget = fc
      .string({ unit: 'binary', minLength: 1, maxLength: 60 })
      .filter((s) => !s.includes('\0') && Buffer.from(s, 'utf8').toString('utf8') === s);
    fc.assert(
      fc.property(lxTarget, (t) => {
        expect(decodeReparse(encodeLxSymlink(t))).toEqual({ kind: 'lx-symlink', tag: IO_REPARSE_TAG_LX_SYMLINK, version: 2, target: t });
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing
// ---------------------------------------------------------------------------------------------

const DECODE_CODES: ReadonlySet<string> = new Set<ReparseDecodeErrorCode>([
  'bad-input',
  'short-header',
  'too-large',
  'length-mismatch',
  'short-guid-header',
  'short-data',
  'odd-offset',
  'odd-length',
  'offset-out-of-range',
  'empty-name',
  'nul-in-name',
  'bad-version',
  'bad-string-list',
  'bad-utf8',
]);

/** Decoding either returns a well-formed value or throws ReparseDecodeError; nothing else. */
function decodeOrReparseError(bytes: Uint8Array, options?: { allowTrailingBytes?: boolean }): ReparsePoint | undefined {
  const copy = Uint8Array.from(bytes);
  let result: ReparsePoint | undefined;
  try {
    result = decodeReparse(bytes, options);
  } catch (e) {
    if (!(e instanceof ReparseDecodeError)) throw e;
    expect(DECODE_CODES.has(e.code)).toBe(true);
    expect(e.message.startsWith('reparse buffer: ')).toBe(true);
  }
  expect(Uint8Array.from(bytes)).toEqual(copy);
  if (result === undefined) return undefined;
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = view.readUInt32LE(0);
  expect(result.tag).toBe(tag);
  switch (result.kind) {
    case 'mount-point':
      expect(tag).toBe(IO_REPARSE_TAG_MOUNT_POINT);
      expect(result.substituteName.length).toBeGreaterThan(0);
      expect(result.substituteName.includes('\0')).toBe(false);
      expect(w(result.substituteName).length + w(result.printName).length).toBeLessThanOrEqual(2 * bytes.length);
      expect(typeof result.target).toBe('string');
      break;
    case 'symlink':
      expect(tag).toBe(IO_REPARSE_TAG_SYMLINK);
      expect(result.substituteName.length).toBeGreaterThan(0);
      expect(result.relative).toBe((result.flags & 1) === 1);
      break;
    case 'app-exec-link':
      expect(tag).toBe(IO_REPARSE_TAG_APPEXECLINK);
      expect(result.version).toBe(3);
      expect(result.targetPath.length).toBeGreaterThan(0);
      break;
    case 'lx-symlink':
      expect(tag).toBe(IO_REPARSE_TAG_LX_SYMLINK);
      expect(result.version).toBe(2);
      expect(result.target.length).toBeGreaterThan(0);
      break;
    case 'other':
      expect(result.tagName).toBe(reparseTagName(tag));
      expect(result.data.length).toBeLessThanOrEqual(bytes.length);
      if (isMicrosoftTag(tag)) expect(result.guid).toBeUndefined();
      else expect(result.guid).toMatch(/^\{[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}\}$/);
      break;
  }
  // Decoding is deterministic.
  expect(decodeReparse(bytes, options)).toEqual(result);
  return result;
}

const INTERESTING_TAGS = [
  IO_REPARSE_TAG_MOUNT_POINT,
  IO_REPARSE_TAG_SYMLINK,
  IO_REPARSE_TAG_APPEXECLINK,
  IO_REPARSE_TAG_LX_SYMLINK,
  IO_REPARSE_TAG_WOF,
  IO_REPARSE_TAG_CLOUD_6,
  0x20000054,
  0x00000000,
];

type Mutation =
  | { op: 'truncate'; at: number }
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set-byte'; at: number; value: number }
  | { op: 'set-u16'; field: number; value: number }
  | { op: 'append'; bytes: Uint8Array }
  | { op: 'delete'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat(600) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(600), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ op: fc.constant('set-byte' as const), at: fc.nat(600), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    op: fc.constant('set-u16' as const),
    // ReparseDataLength, the four name fields, and the first bytes after them.
    field: fc.constantFrom(4, 8, 10, 12, 14, 16, 18),
    value: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: 200 })),
  }),
  fc.record({ op: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat(600), count: fc.integer({ min: 1, max: 4 }) }),
);

function mutate(input: Buffer, mutations: readonly Mutation[]): Buffer {
  let b = Buffer.from(input);
  for (const m of mutations) {
    if (b.length === 0) break;
    switch (m.op) {
      case 'truncate':
        b = b.subarray(0, m.at % (b.length + 1));
        break;
      case 'flip': {
        const i = m.at % b.length;
        b[i] = (b[i] ?? 0) ^ (1 << m.bit);
        break;
      }
      case 'set-byte':
        b[m.at % b.length] = m.value;
        break;
      case 'set-u16':
        if (m.field + 2 <= b.length) b.writeUInt16LE(m.value, m.field);
        break;
      case 'append':
        b = Buffer.concat([b, m.bytes]);
        break;
      case 'delete': {
        const i = m.at % b.length;
        b = Buffer.concat([b.subarray(0, i), b.subarray(i + m.count)]);
        break;
      }
    }
  }
  return b;
}

describe('fuzzing: decode returns a value or throws ReparseDecodeError, nothing else', () => {
  it('random byte arrays', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 96 }), fc.boolean(), (bytes, allowTrailingBytes) => {
        decodeOrReparseError(bytes, { allowTrailingBytes });
      }),
      { numRuns: 3000 },
    );
  });

  it('random data behind a consistent header of an interesting tag', () => {
    const names = fc.tuple(
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 0, max: 64 }),
      fc.integer({ min: 0, max: 64 }),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...INTERESTING_TAGS), fc.integer({ min: 0, max: 0xffffffff })),
        names,
        fc.constantFrom(0, 1, 0x80000001),
        fc.uint8Array({ maxLength: 80 }),
        (tag, [a, b, c, d], flags, tail) => {
          let data: Buffer;
          if (tag === IO_REPARSE_TAG_MOUNT_POINT) data = Buffer.concat([u16(a), u16(b), u16(c), u16(d), tail]);
          else if (tag === IO_REPARSE_TAG_SYMLINK) data = Buffer.concat([u16(a), u16(b), u16(c), u16(d), u32(flags), tail]);
          else if (tag === IO_REPARSE_TAG_APPEXECLINK) data = Buffer.concat([u32(3), tail]);
          else if (tag === IO_REPARSE_TAG_LX_SYMLINK) data = Buffer.concat([u32(2), tail]);
          else data = Buffer.from(tail);
          const buf = isMicrosoftTag(tag)
            ? raw(tag, data)
            : Buffer.concat([u32(tag), u16(Math.max(0, data.length - 16)), u16(0), data]);
          decodeOrReparseError(buf);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutations of the valid fixtures', () => {
    const base = FIXTURES.map((n) => fx(n));
    fc.assert(
      fc.property(
        fc.constantFrom(...base),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        (buf, mutations, allowTrailingBytes) => {
          decodeOrReparseError(mutate(buf, mutations), { allowTrailingBytes });
        },
      ),
      { numRuns: 4000 },
    );
  });

  it('every fixture decodes and every fixture shortened by one byte is refused', () => {
    for (const name of FIXTURES) {
      const buf = fx(name);
      expect(decodeOrReparseError(buf)).toBeDefined();
      expectDecodeError(buf.subarray(0, buf.length - 1), buf.length - 1 < 8 ? 'short-header' : 'length-mismatch');
    }
  });
});
