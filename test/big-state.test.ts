/**
 * The journal's header and the records of an apply of thousands of links: the header is one
 * line, the JSON of the header with every action; the records one line per owned link; both
 * read back whole. Real files in a temporary state folder.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Records } from '../src/state/records.js';
import { FileJournal } from '../src/state/journal/writer.js';
import { readJournal } from '../src/state/journal/reader.js';
import { journalAction } from '../src/state/journal/format.js';
import { addSteps, type Step } from '../src/apply/steps.js';
import type { AbsPath } from '../src/core/paths.js';
import type { CreateAction, LinkSpec } from '../src/core/types.js';
import { tempDir } from './helpers/tree.js';

const N = 3000;

/** N creates, some with folders to make, some relative, some with names JSON must escape. */
function creates(root: string): CreateAction[] {
  const out: CreateAction[] = [];
  for (let i = 0; i < N; i++) {
    const name = i % 97 === 0 ? `quote "${i}" back\\slash ünï` : `file-${i}.conf`;
    const p = path.join(root, 'home', `d${i % 300}`, name) as AbsPath;
    const target = path.join(root, 'src', `d${i % 300}`, name) as AbsPath;
    const linkText = i % 5 === 0 ? path.join('..', '..', 'src', `d${i % 300}`, name) : target;
    out.push({
      kind: 'create',
      path: p,
      source: { where: 'links[0]' },
      reason: 'auto: a symbolic link',
      before: { kind: 'absent' },
      after: { kind: 'symlink', linkText },
      link: { type: 'symlink', target, linkText },
      ...(i < 300 ? { parents: [path.dirname(p) as AbsPath] } : {}),
      notes: [],
    });
  }
  return out;
}

describe('state files of thousands of links', () => {
  it('the journal header is one line, the JSON of the header with every action, and reads back', () => {
    const root = tempDir();
    const state = path.join(root, 'state');
    const actions = creates(root);
    const j = FileJournal.create(state, { manifest: path.join(root, 'layout.yaml'), actions });
    const steps: Step[] = [];
    const ends = new Int32Array(actions.length);
    actions.forEach((a, i) => {
      addSteps(a, steps);
      ends[i] = steps.length;
    });
    j.start(steps, { ends });
    j.close('committed');
    const text = fs.readFileSync(path.join(state, 'journal.last.jsonl'), 'utf8');
    const first = text.slice(0, text.indexOf('\n'));
    expect(first.length).toBeGreaterThan(4 * 64 * 1024);
    const header = JSON.parse(first) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(['format', 'version', 'pid', 'host', 'started', 'manifest', 'actions', 'steps']);
    expect(header['host']).toBe(os.hostname());
    // byte for byte what one JSON.stringify of the whole header gives
    expect(first).toBe(JSON.stringify({ ...header, actions: actions.map(journalAction) }));
    const back = readJournal(path.join(state, 'journal.last.jsonl'));
    expect(back?.header?.steps).toEqual(steps);
    // each step in short beside its action: its path and link are the action's
    const groups = header['steps'] as unknown[][];
    expect(groups).toHaveLength(N);
    expect(groups[0]).toEqual([['mkdir', path.dirname(actions[0]?.path ?? '')], ['link', '', 0]]);
    expect(groups[500]).toEqual([['link', '', 0]]);
    expect(back?.header?.actions.map((a) => [a.kind, a.path, a.link?.target, a.link?.linkText ?? a.link?.target])).toEqual(actions.map((a) => [a.kind, a.path, a.link.target, a.link.linkText]));
    expect(back?.closed).toBe('committed');
  });

  it('the records list one line per owned link and read back the same', () => {
    const root = tempDir();
    const state = path.join(root, 'state');
    fs.mkdirSync(state);
    const actions = creates(root);
    const r = Records.load(state, path.join(root, 'layout.yaml'));
    r.recordApplied(actions, new Date('2026-12-01T00:00:00.000Z'));
    r.save();
    const text = fs.readFileSync(path.join(state, 'records.json'), 'utf8');
    expect(text.length).toBeGreaterThan(4 * 64 * 1024);
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual(['{', '  "version": 3,', `  "manifest": ${JSON.stringify(path.join(root, 'layout.yaml'))},`, '  "owned": {']);
    expect(lines.filter((l) => l.startsWith('    "')).length).toBe(N);
    expect(lines.slice(-4)).toEqual(['  },', '  "backups": []', '}', '']);
    const parsed = JSON.parse(text) as { owned: Record<string, unknown> };
    expect(Object.keys(parsed.owned).length).toBe(N);
    const again = Records.load(state, path.join(root, 'layout.yaml'));
    expect([...again.owned()]).toEqual([...r.owned()]);
    expect(again.owned().get(actions[5]?.path ?? '')).toEqual({ ...actions[5]?.link, at: '2026-12-01T00:00:00.000Z' });
  });
});

describe('the header of any mix of steps', () => {
  const name = fc.constantFrom('a', 'b c', 'q"uote', 'back\\slash', 'ünï', 'tab\there');
  it('is one JSON.stringify of itself, and reads back step for step', () => {
    const root = tempDir();
    const p = (n: string): AbsPath => path.join(root, n) as AbsPath;
    // each action with its steps: a create's own link alone, with a folder first, a retarget, a backup
    const group = fc.oneof(
      name.map((n) => ({ kind: 'create' as const, n, steps: (l: LinkSpec): Step[] => [{ op: 'link', path: p(n), link: l }] })),
      name.map((n) => ({ kind: 'create' as const, n, steps: (l: LinkSpec): Step[] => [{ op: 'mkdir', path: p(`${n}.d`) }, { op: 'link', path: p(n), link: l }] })),
      name.map((n) => ({ kind: 'retarget' as const, n, steps: (l: LinkSpec): Step[] => [{ op: 'replace-link', path: p(n), link: l, previous: { type: 'symlink', target: p('old'), linkText: 'old' } }] })),
      name.map((n) => ({ kind: 'backup-and-link' as const, n, steps: (l: LinkSpec): Step[] => [{ op: 'move', from: p(n), to: p(`${n}.bak`) }, { op: 'link', path: p(n), link: { ...l, linkText: 'rel' } }] })),
    );
    let run = 0;
    fc.assert(
      fc.property(fc.array(group, { maxLength: 12 }), (groups) => {
        const state = path.join(root, `state-${run++}`);
        const actions = groups.map((g) => ({ kind: g.kind, path: p(g.n), link: { type: 'symlink' as const, target: p(`t/${g.n}`), linkText: p(`t/${g.n}`) }, before: { kind: 'absent' as const } }));
        const steps: Step[] = [];
        const ends = new Int32Array(groups.length);
        groups.forEach((g, i) => {
          steps.push(...g.steps(actions[i]!.link));
          ends[i] = steps.length;
        });
        const j = FileJournal.create(state, { manifest: p('layout.yaml'), actions });
        j.start(steps, { ends });
        j.close('committed');
        const file = path.join(state, 'journal.last.jsonl');
        const text = fs.readFileSync(file, 'utf8');
        const first = text.slice(0, text.indexOf('\n'));
        expect(JSON.stringify(JSON.parse(first))).toBe(first);
        expect(readJournal(file)?.header?.steps).toEqual(steps);
      }),
      { numRuns: 200 },
    );
  });
});
