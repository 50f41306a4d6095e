// A file in use on a real Windows: another process (test/wine/hold-open.mjs, run by this Node)
// holds a hard link open with no sharing at all, and removing that link through the driver fails
// with words naming that process by its pid, as the Restart Manager reports it, and a hint to
// close it; once the process lets go, the removal goes through.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { DriverError } from '../../src/core/errors.js';
import type { AbsPath } from '../../src/core/paths.js';
import { WindowsDriver } from '../../src/drivers/windows/driver.js';
import { holdersOf } from '../../src/drivers/windows/holders.js';
import { thrown } from '../helpers/errors.js';
import { REPO } from '../helpers/wine.js';
import { tempDir } from '../helpers/tree.js';

describe('a file in use (Windows)', () => {
  it('names the process holding a link open when removing it fails, and removes it once that process lets go', async () => {
    const root = fs.realpathSync.native(tempDir());
    fs.writeFileSync(path.join(root, 'data.pak'), 'data');
    const link = path.join(root, 'link.pak') as AbsPath;
    fs.linkSync(path.join(root, 'data.pak'), link);
    const [ready, stop] = [path.join(root, 'ready'), path.join(root, 'stop')];
    const child = spawn(process.execPath, [path.join(REPO, 'test', 'wine', 'hold-open.mjs'), path.join(REPO, 'package.json'), link, ready, stop], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const pid = child.pid ?? -1;
    const d = new WindowsDriver();
    try {
      for (let i = 0; i < 200 && !fs.existsSync(ready); i++) await sleep(50);
      expect(fs.readFileSync(ready, 'utf8')).toMatch(/^\d+$/);
      expect(holdersOf([link])?.map((h) => h.pid)).toContain(pid);
      const e = thrown(DriverError, () => d.removeLink(link));
      expect(e.code).toBe('EBUSY');
      expect(e.message).toMatch(new RegExp(`link\\.pak: cannot remove link \\(another program is using it: (.+, )?[^,]+ \\(pid ${pid}\\)(, .+)?; ERROR_SHARING_VIOLATION 32\\)$`));
      expect(e.hint).toMatch(new RegExp(`^close .*\\(pid ${pid}\\)`));
      expect(fs.existsSync(link)).toBe(true);
    } finally {
      fs.writeFileSync(stop, '');
      await Promise.race([exited, sleep(10_000)]);
    }
    d.removeLink(link);
    expect(fs.existsSync(link)).toBe(false);
    expect(fs.readFileSync(path.join(root, 'data.pak'), 'utf8')).toBe('data');
  });
});
