// The index of a list of links (core/link-index.ts): a value built from the list alone, which the
// layout checks, observe and computePlan are handed. A target inside another link of the list is
// read through that link; --prune's absent entries are added to a loaded index without rebuilding
// it; an index made for another list is refused rather than used.
import { describe, expect, it } from 'vitest';
import { linkIndex, targetOf, withEntries } from '../src/core/link-index.js';
import type { AbsPath } from '../src/core/paths.js';
import type { Desired, Observed } from '../src/core/types.js';
import { computePlan } from '../src/plan/planner.js';
import { observe } from '../src/plan/observe.js';
import { PosixDriver } from '../src/drivers/posix.js';

const P = (p: string): AbsPath => p as AbsPath;
function desired(p: string, target: string | null, extra: Partial<Desired> = {}): Desired {
  return { path: P(p), state: 'present', target: target === null ? null : P(target), type: 'auto', relative: false, onConflict: 'refuse', createParents: true, allowCycle: false, allowSystemPaths: false, targetForm: 'path', source: { where: 'links[0]' }, ...extra };
}
const MANIFEST = { path: '/w/layout.yaml', digest: 'sha256:0' };

describe('linkIndex', () => {
  it('reads a target through the links of the list, hop after hop, and leaves the others as they are', () => {
    const list = [desired('/w/a', '/w/b/x'), desired('/w/b', '/w/c'), desired('/w/c', '/w/real'), desired('/w/self', '/w/self'), desired('/w/gone', null, { state: 'absent' })];
    const links = linkIndex(list, 'linux');
    expect([...links.byPath.keys()]).toEqual(['/w/a', '/w/b', '/w/c']);
    expect(links.targets).toEqual(['/w/real/x', '/w/real', '/w/real', '/w/self', null]);
    expect(targetOf(links, 0)).toBe('/w/real/x');
    expect(() => targetOf(links, 4)).toThrow('links[4] has no target');
  });

  it('folds case where the platform does', () => {
    const links = linkIndex([desired('C:\\W\\A', 'C:\\w\\b\\x'), desired('C:\\w\\B', 'C:\\real')], 'win32');
    expect(links.targets[0]).toBe('C:\\real\\x');
  });

  it('takes absent entries added after the list (--prune) without rebuilding, and refuses one that makes a link', () => {
    const list = [desired('/w/b', '/w/c')];
    const links = linkIndex(list, 'linux');
    const pruned = desired('/w/old', '/w/b/y', { state: 'absent', prune: { type: 'symlink', linkText: '/w/b/y' } });
    const more = withEntries(links, [pruned]);
    expect(more.byPath).toBe(links.byPath);
    expect(more.targets).toEqual(linkIndex([...list, pruned], 'linux').targets);
    expect(more.targets).toEqual(['/w/c', '/w/c/y']);
    expect(links.targets).toEqual(['/w/c']);
    expect(() => withEntries(links, [desired('/w/new', '/w/c')])).toThrow('/w/new: withEntries takes entries that make no link');
  });
});

describe('an index made for another list', () => {
  const observed: Observed = { platform: 'linux', capabilities: { symlinks: true, junctions: false, hardlinks: true }, entries: new Map(), targets: new Map(), backupSlots: new Map() };

  it('is refused by computePlan and observe, not used', () => {
    const list = [desired('/w/a', '/w/t'), desired('/w/b', '/w/t')];
    const other = linkIndex(list.slice(0, 1), 'linux');
    expect(() => computePlan(list, observed, { manifest: MANIFEST, links: other })).toThrow('computePlan: opts.links indexes 1 links on linux, not these 2 on linux');
    expect(() => computePlan(list, { ...observed, platform: 'darwin' }, { manifest: MANIFEST, links: linkIndex(list, 'linux') })).toThrow(/not these 2 on darwin/);
    expect(() => observe(list, new PosixDriver(), { platform: 'linux', links: other })).toThrow('observe: opts.links indexes 1 links on linux, not these 2 on linux');
  });

  it('gives each list its own answers: a list changed in place and indexed again is planned as it is now', () => {
    const list = [desired('/w/a', '/w/b/x'), desired('/w/b', '/w/one')];
    const targets = new Map([
      ['/w/one/x', { kind: 'file' as const, fileId: '1:1', dev: 1 }],
      ['/w/two/x', { kind: 'file' as const, fileId: '1:2', dev: 1 }],
      ['/w/one', { kind: 'dir' as const, dev: 1 }],
      ['/w/two', { kind: 'dir' as const, dev: 1 }],
    ]);
    const o: Observed = { ...observed, entries: new Map([['/w', { kind: 'dir', dev: 1 }]]), targets };
    expect(computePlan(list, o, { manifest: MANIFEST, links: linkIndex(list, 'linux') }).actions.map((a) => a.kind)).toEqual(['create', 'create']);
    list[1] = desired('/w/b', '/w/nowhere');
    const plan = computePlan(list, o, { manifest: MANIFEST, links: linkIndex(list, 'linux') });
    expect(plan.actions.map((a) => [a.kind, a.reason])).toEqual([
      ['conflict', 'its target /w/b/x does not exist'],
      ['conflict', 'its target /w/nowhere does not exist'],
    ]);
  });
});
