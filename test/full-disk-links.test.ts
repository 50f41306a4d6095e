// A full filesystem where the links are made (a tmpfs with few inodes: every link, folder and
// backup takes one), at many fill levels, through the real command: each apply is applied and
// recorded whole, or rolled back to the exact tree with a clear message, and the next apply works
// once there is room. Mounting needs root, as the tests run here and in CI.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type TreeSpec } from './helpers/tree.js';

const ROOT = process.getuid?.() === 0;
if (!ROOT && process.env['CI'] !== undefined) throw new Error('CI: the full-disk tests mount a tmpfs, which needs root, and CI runs them as root');
if (!ROOT) console.warn('SKIPPED: the full-disk tests for the links mount a tmpfs and need root; they did not run');

const mounted: string[] = [];
afterEach(() => {
  for (const d of mounted.splice(0)) spawnSync('umount', [d]);
});

/** 30 links in new folders, 10 files in the way (backed up), 10 links to retarget (made first). */
function project(): { manifest: string; tree: TreeSpec } {
  const lines = ['version: 1', 'links:'];
  const home: TreeSpec = {};
  for (let i = 0; i < 10; i++) {
    lines.push(`  - { path: h/new${i}/a, target: t/f }`, `  - { path: h/new${i}/b, target: t/g }`, `  - { path: h/plain${i}, target: t/f }`);
    lines.push(`  - { path: h/rc${i}, target: t/f, onConflict: backup }`);
    lines.push(`  - { path: h/cur${i}, target: t/g, onConflict: backup }`);
    home[`rc${i}`] = `mine ${i}`;
    home[`cur${i}`] = { link: '../t/f' };
  }
  return { manifest: lines.join('\n') + '\n', tree: { t: { f: 'f', g: 'g' }, h: home } };
}

describe.skipIf(!ROOT)('a full filesystem where the links are made (a tmpfs with few inodes)', () => {
  it('at every fill level: applied whole, or rolled back to the exact tree with the cause named; then applied once there is room', () => {
    const { manifest, tree } = project();
    const outcomes: string[] = [];
    for (let inodes = 30; inodes <= 110; inodes += 4) {
      const base = tempDir('linkplan-fulllinks-');
      const dir = path.join(base, 'fs');
      fs.mkdirSync(dir);
      const r0 = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=4m,nr_inodes=${inodes}`, 'tmpfs', dir]);
      expect(r0.status, String(r0.stderr)).toBe(0);
      mounted.push(dir);
      let written = true;
      try {
        writeTree(dir, { ...tree, 'layout.yaml': manifest });
      } catch {
        written = false; // too few inodes for the starting tree itself: a level below the range
      }
      const env = { LINKPLAN_STATE_DIR: path.join(base, 'state') };
      if (written) {
        const before = snapshot(dir);
        const r = runCli(['apply', 'layout.yaml', '--yes'], { cwd: dir, env });
        const ctx = `nr_inodes=${inodes}: ${r.stdout}${r.stderr}`;
        expect(r.stderr, ctx).not.toMatch(/internal error|\n\s+at /);
        if (r.code === 0) {
          outcomes.push('applied');
          expect(r.stdout, ctx).toContain('Applied: 30 to create, 10 to retarget, 0 to remove, 0 unchanged, 10 to back up and link');
          expect(runCli(['apply', 'layout.yaml'], { cwd: dir, env }).stdout, ctx).toMatch(/^No changes/);
        } else {
          outcomes.push('rolled back');
          expect(r.code, ctx).toBe(1);
          expect(r.stderr, ctx).toMatch(/ENOSPC/);
          expect(r.stderr, ctx).toMatch(/the disk is as it was before the apply/);
          expect(snapshot(dir), ctx).toEqual(before);
          // with room again (the same files, on a filesystem with inodes to spare), it applies
          spawnSync('mount', ['-o', 'remount,nr_inodes=4096', dir]);
          const again = runCli(['apply', 'layout.yaml', '--yes'], { cwd: dir, env });
          expect(again.code, `${ctx}\n${again.stdout}${again.stderr}`).toBe(0);
        }
      }
      spawnSync('umount', [dir]);
      mounted.splice(mounted.indexOf(dir), 1);
    }
    // the range holds both outcomes: full at some levels, room enough at others
    expect(outcomes).toContain('rolled back');
    expect(outcomes).toContain('applied');
  }, 180_000);
});
