// The NTFS link logic both NTFS drivers share (src/drivers/ntfs/links.ts), through the ntfs-3g
// transport on a real NTFS volume: a link another tool wrote in its own layout (print name first,
// as some writers do) reads as the link it is, the read-back that the Windows driver uses after
// CreateSymbolicLinkW (same target, any layout) accepts it, and the exact read-back that a driver
// writing the bytes itself uses does not.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriverError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import { reparseWrite, verifyReparse } from '../src/drivers/ntfs/links.js';
import { Ntfs3gDriver } from '../src/drivers/ntfs3g/driver.js';
import { lsetxattr, XATTR_NTFS_REPARSE_DATA } from '../src/drivers/ntfs3g/libc.js';
import { thrown } from './helpers/errors.js';
import { mountFreshVolume, skipNtfs3gTests, type NtfsVolume } from './helpers/ntfs.js';
import { reparseFixture } from './helpers/reparse-fixture.js';

const skip = skipNtfs3gTests();

describe.skipIf(skip)('the shared NTFS link logic over ntfs-3g', () => {
  let vol: NtfsVolume;
  let d: Ntfs3gDriver;
  const at = (rel: string): AbsPath => path.join(vol.mountPoint, rel) as AbsPath;

  beforeAll(async () => {
    vol = await mountFreshVolume();
    d = new Ntfs3gDriver({ mountPoint: vol.mountPoint, windowsRoot: 'D:\\' });
    fs.mkdirSync(at('Builds/cache'), { recursive: true });
    // a junction to D:\Builds\cache with its print name stored before its substitute name
    fs.mkdirSync(at('print-first'));
    lsetxattr(at('print-first'), XATTR_NTFS_REPARSE_DATA, { value: reparseFixture('junction-print-first.hex'), mode: 'create' });
  });

  afterAll(async () => {
    await vol?.dispose();
  });

  it('reads a junction written in another layout as the junction it is, with its target on this volume', () => {
    expect(d.observe(at('print-first'))).toEqual({ kind: 'junction', linkText: at('Builds/cache') });
  });

  it('accepts it as the junction asked for when any layout will do, and refuses it where the bytes must be its own', () => {
    const w = reparseWrite(at('print-first'), { type: 'junction', target: at('Builds/cache'), linkText: at('Builds/cache') }, { naming: d.naming });
    expect(w.windowsTarget).toBe('D:\\Builds\\cache');
    expect(() => verifyReparse(at('print-first'), w, { transport: d, exact: false, writer: 'ntfs-3g' })).not.toThrow();
    const e = thrown(DriverError, () => verifyReparse(at('print-first'), w, { transport: d, exact: true, writer: 'ntfs-3g' }));
    expect(e.message).toBe(`${at('print-first')}: ntfs-3g did not keep the reparse data written to it`);
    const elsewhere = reparseWrite(at('print-first'), { type: 'junction', target: at('Builds'), linkText: at('Builds') }, { naming: d.naming });
    expect(thrown(DriverError, () => verifyReparse(at('print-first'), elsewhere, { transport: d, exact: false, writer: 'ntfs-3g' })).code).toBe('EIO');
    expect(thrown(DriverError, () => verifyReparse(at('Builds'), w, { transport: d, exact: false, writer: 'ntfs-3g' })).message).toBe(
      `${at('Builds')}: ntfs-3g reported the link made, but no link is there`,
    );
  });
});
