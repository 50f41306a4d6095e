/**
 * Test helpers for real filesystems: temporary folders, writing a tree from a compact
 * description, and a snapshot of a tree (every path, its kind, link text and file content),
 * taken without ever following a link, so two snapshots compare byte for byte.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import type { AbsPath } from '../../src/core/paths.js';

const made: string[] = [];

/** A fresh temporary folder, removed after the test (links are removed as links). */
export function tempDir(prefix = 'linkplan-test-'): AbsPath {
  const d = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), prefix)));
  made.push(d);
  return d as AbsPath;
}

afterEach(() => {
  for (const d of made.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/** Describes a tree: a string is a file's content, `{ link: text }` a symlink, an object a folder. */
export type TreeSpec = { [name: string]: string | { link: string } | { hardlink: string } | TreeSpec };

export function writeTree(root: string, spec: TreeSpec): void {
  fs.mkdirSync(root, { recursive: true });
  const deferred: (() => void)[] = [];
  for (const [name, v] of Object.entries(spec)) {
    const p = path.join(root, name);
    if (typeof v === 'string') fs.writeFileSync(p, v);
    else if ('link' in v && typeof v.link === 'string') fs.symlinkSync(v.link, p);
    else if ('hardlink' in v && typeof v.hardlink === 'string') {
      const target = path.resolve(root, v.hardlink);
      deferred.push(() => fs.linkSync(target, p));
    } else writeTree(p, v);
  }
  for (const f of deferred) f();
}

export type SnapshotEntry =
  | { kind: 'file'; content: string; nlink: number; mode: number }
  | { kind: 'dir'; mode: number }
  | { kind: 'symlink'; linkText: string }
  | { kind: 'other' };

/** Every entry below `root` (relative path -> what it is), never following links. */
export function snapshot(root: string): Record<string, SnapshotEntry> {
  const out: Record<string, SnapshotEntry> = {};
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    for (const name of fs.readdirSync(abs).sort()) {
      const r = rel === '' ? name : `${rel}/${name}`;
      const p = path.join(root, r);
      const st = fs.lstatSync(p);
      if (st.isSymbolicLink()) out[r] = { kind: 'symlink', linkText: fs.readlinkSync(p) };
      else if (st.isFile()) out[r] = { kind: 'file', content: fs.readFileSync(p).toString('base64'), nlink: st.nlink, mode: st.mode };
      else if (st.isDirectory()) {
        out[r] = { kind: 'dir', mode: st.mode };
        walk(r);
      } else out[r] = { kind: 'other' };
    }
  };
  walk('');
  return out;
}
