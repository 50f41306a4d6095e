// An apply on Windows killed at a write (the test entry's crash point: process.kill with SIGKILL,
// which Node carries out on Windows with TerminateProcess, as `kill -9` on Linux) leaves a
// journal; `linkplan recover` then gives back the tree from before the apply, junctions and hard
// links included, and the next apply succeeds.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliAsync } from '../helpers/cli.js';
import { snapshot } from '../helpers/tree.js';
import { project, reparsePoint, TAG_MOUNT_POINT } from './windows.js';

const BEFORE = 'version: 1\nlinks:\n  - { path: links/cur, target: t/v1, type: junction }\n';
// writes: retarget links/cur, hard link links/a, the folders new and new/d, junction new/d/b
const AFTER = `version: 1
links:
  - { path: links/cur, target: t/v2, type: junction }
  - { path: links/a, target: t/f.txt, type: hardlink }
  - { path: new/d/b, target: t/v1, type: junction }
`;

describe('a killed apply (Windows)', () => {
  it.each(['after:1', 'after:2', 'before:4', 'after:5'])('killed at %s, is rolled back by recover', async (point) => {
    const p = project({ t: { v1: { a: '1' }, v2: { a: '2' }, 'f.txt': 'f' } });
    p.layout(BEFORE);
    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(0);
    p.layout(AFTER);
    const pre = snapshot(p.root);

    const killed = await runCliAsync(['apply', 'layout.yaml', '--yes'], { cwd: p.root, state: p.state, crashAt: point });
    expect(killed.code).not.toBe(0);
    expect(killed.stdout).not.toMatch(/^Applied/m);
    const [dir] = fs.readdirSync(p.state);
    expect(fs.existsSync(path.join(p.state, dir ?? '', 'journal.jsonl'))).toBe(true);
    // nothing plans or applies over an unfinished apply
    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(1);

    const r = p.cli(['recover', 'layout.yaml']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(snapshot(p.root)).toEqual(pre);
    expect(reparsePoint(p.at('links', 'cur'))?.text.toLowerCase()).toContain(p.at('t', 'v1').toLowerCase());

    expect(p.cli(['apply', 'layout.yaml', '--yes']).code).toBe(0);
    expect(reparsePoint(p.at('new', 'd', 'b'))?.tag).toBe(TAG_MOUNT_POINT);
    expect(fs.statSync(p.at('links', 'a')).nlink).toBe(2);
  });
});
