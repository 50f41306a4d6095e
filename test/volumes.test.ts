// NTFS volumes without a volume: the planner's capability-driven choices from hand-built Observed
// values (pure: junctions where the link's own volume takes them, symbolic links elsewhere, links
// on an NTFS volume only to places Windows can name), observe() recording capabilities per path,
// the VolumeRouter sending each call to the driver of its volume, and the manifest's `volumes:`
// checked against a mount table given as text (a link on an unlisted ntfs-3g mount, a listed mount
// that is not one, and the schema's messages). The real volume is in ntfs3g-plan.test.ts.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DriverDecorator, ReadOnlyDriver } from '../src/drivers/decorators.js';
import type { Driver } from '../src/drivers/driver.js';
import { koffiIsLoaded } from '../src/drivers/ntfs3g/libc.js';
import { parseMountInfo, type Ntfs3gMountOptions } from '../src/drivers/ntfs3g/mounts.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { VolumeRouter } from '../src/drivers/router.js';
import { createDriver, createDriverFor, driverFor, volumeFacts } from '../src/drivers/select.js';
import { ManifestError, UsageError, type ManifestProblem } from '../src/core/errors.js';
import { validatePlan } from '../src/generated/validators.js';
import type { AbsPath } from '../src/core/paths.js';
import { loadManifest, type LoadOptions } from '../src/manifest/load.js';
import { loadManifest as loadLibraryManifest } from '../src/index.js';
import { observe } from '../src/plan/observe.js';
import { checkVolumes } from '../src/manifest/volumes.js';
import type { MadeLink } from '../src/plan/planner.js';
import { windowsPathOn } from '../src/core/volumes.js';
import { linkIndex } from '../src/core/link-index.js';
import type { VolumeFacts } from '../src/core/volume-facts.js';
import type { Action, Capabilities, Desired, Entry, LinkSpec, Observed, Plan, TargetInfo, Volume } from '../src/core/types.js';
import { driverError, rejected } from './helpers/errors.js';
import { linkOf, ofKind, only, planPure } from './helpers/plan.js';
import { tempDir, writeTree } from './helpers/tree.js';
import { desired, P } from './helpers/desired.js';


const NTFS: Capabilities = { symlinks: true, junctions: true, hardlinks: true };
const POSIX: Capabilities = { symlinks: true, junctions: false, hardlinks: true };
const D: Volume = { mount: P('/mnt/d'), windows: 'D:\\' };
const E: Volume = { mount: P('/mnt/e'), windows: '\\\\?\\Volume{6B29FC40-CA47-1067-B31D-00DD010662DA}\\' };


const DIR: TargetInfo = { kind: 'dir', dev: 40 };
const FILE: TargetInfo = { kind: 'file', fileId: '40:7', dev: 40 };

/**
 * A machine with two NTFS volumes (D: at /mnt/d, E: by its GUID at /mnt/e, device 40 and 41) and
 * a home folder on ext4 (device 8): every folder exists, the targets are as given.
 */
function world(targets: Record<string, TargetInfo>, links: readonly string[], extra: { entries?: Record<string, Entry>; volumes?: Volume[] } = {}): Observed {
  const capsOf = (p: string): Capabilities => (p.startsWith('/mnt/') ? NTFS : POSIX);
  return {
    platform: 'linux',
    capabilities: POSIX,
    pathCapabilities: new Map(links.map((l) => [l, capsOf(l)])),
    volumes: extra.volumes ?? [D, E],
    entries: new Map<string, Entry>([
      ['/mnt/d', { kind: 'dir', dev: 40 }],
      ['/mnt/e', { kind: 'dir', dev: 41 }],
      ['/home/u', { kind: 'dir', dev: 8 }],
      ...Object.entries(extra.entries ?? {}),
    ]),
    targets: new Map(Object.entries(targets)),
    backupSlots: new Map(),
  };
}

function planOne(d: Desired, targets: Record<string, TargetInfo>, extra: Parameters<typeof world>[2] = {}): { plan: Plan; a: Action } {
  // every link already at the path is one linkplan made (its records hold it)
  const made = new Map<string, MadeLink>();
  for (const [p, e] of Object.entries(extra.entries ?? {})) if (e.kind === 'symlink' || e.kind === 'junction') made.set(p, { type: e.kind, linkText: e.linkText });
  const plan = planPure([d], world(targets, [d.path], extra), { made });
  return { plan, a: only(plan) };
}

describe('the planner chooses link types from the capabilities of each link path', () => {
  it.each([
    // [name, desired extra, target kind, type, link text, reason, notes]
    ['auto to a folder on the volume: a junction', {}, DIR, 'junction', '/mnt/d/tools/jdk-21', /^auto: a junction on the NTFS volume D:\\ at \/mnt\/d, the folder link Windows follows without privilege$/, ['written for Windows as D:\\tools\\jdk-21']],
    ['auto to a folder, relative: a symbolic link', { relative: true }, DIR, 'symlink', 'tools/jdk-21', /^auto: a symbolic link on the NTFS volume D:\\ at \/mnt\/d, since a relative link needs one$/, []],
    ['auto to a file: a symbolic link', {}, FILE, 'symlink', '/mnt/d/tools/jdk-21', /^auto: a symbolic link on the NTFS volume .*junctions lead only to folders/, ['written for Windows as D:\\tools\\jdk-21']],
    ['junction requested: a real junction', { type: 'junction' }, DIR, 'junction', '/mnt/d/tools/jdk-21', /^junction requested on the NTFS volume D:\\ at \/mnt\/d$/, ['written for Windows as D:\\tools\\jdk-21']],
    ['junction requested, relative: still absolute', { type: 'junction', relative: true }, DIR, 'junction', '/mnt/d/tools/jdk-21', /^junction requested/, ['junction targets are always absolute; relative is ignored', 'written for Windows as D:\\tools\\jdk-21']],
    ['symlink requested to a folder', { type: 'symlink' }, DIR, 'symlink', '/mnt/d/tools/jdk-21', /^symlink requested on the NTFS volume/, ['written for Windows as D:\\tools\\jdk-21']],
    ['symlink requested, relative', { type: 'symlink', relative: true }, FILE, 'symlink', 'tools/jdk-21', /^symlink requested/, []],
    ['hardlink requested', { type: 'hardlink' }, FILE, 'hardlink', '/mnt/d/tools/jdk-21', /^hardlink requested on the NTFS volume/, []],
  ] as const)('%s', (_name, extra, target, type, linkText, reason, notes) => {
    const a = ofKind(planOne(desired('/mnt/d/jdk', '/mnt/d/tools/jdk-21', extra), { '/mnt/d/tools/jdk-21': target }).a, 'create');
    expect(a.link).toEqual({ type, target: '/mnt/d/tools/jdk-21', linkText });
    expect(a.after).toEqual(type === 'hardlink' ? { kind: 'hardlink', target: '/mnt/d/tools/jdk-21' } : { kind: type, linkText });
    expect(a.reason).toMatch(reason);
    expect(a.notes).toEqual(notes);
  });

  it('keeps the POSIX choices for links elsewhere, in the same plan', () => {
    const plan = planPure(
      [
        desired('/mnt/d/jdk', '/mnt/d/tools/jdk-21', { type: 'junction' }),
        desired('/home/u/jdk', '/mnt/d/tools/jdk-21', { type: 'junction', source: { where: 'links[1]' } }),
        desired('/home/u/auto', '/mnt/d/tools/jdk-21', { source: { where: 'links[2]' } }),
      ],
      world({ '/mnt/d/tools/jdk-21': DIR }, ['/mnt/d/jdk', '/home/u/jdk', '/home/u/auto']),
    );
    expect(plan.actions.map((a) => [a.path, a.kind, linkOf(a)?.type, a.reason, a.notes])).toEqual([
      ['/mnt/d/jdk', 'create', 'junction', 'junction requested on the NTFS volume D:\\ at /mnt/d', ['written for Windows as D:\\tools\\jdk-21']],
      [
        '/home/u/jdk',
        'create',
        'symlink',
        'junction requested; a directory symbolic link stands in for it',
        ['junctions exist only on NTFS; on linux a directory symbolic link stands in for it'],
      ],
      ['/home/u/auto', 'create', 'symlink', 'auto: a symbolic link, the native link on linux', []],
    ]);
  });

  it('falls back to the default capabilities where none are recorded for a path', () => {
    const o: Observed = { ...world({ '/mnt/d/t': DIR }, []), capabilities: NTFS };
    const plan = planPure([desired('/mnt/d/l', '/mnt/d/t')], o);
    expect(plan.actions.map(linkOf)[0]?.type).toBe('junction');
    const plain: Observed = { ...world({ '/mnt/d/t': DIR }, []) };
    expect(planPure([desired('/mnt/d/l', '/mnt/d/t')], plain).actions.map(linkOf)[0]?.type).toBe('symlink');
  });

  it('writes links to another listed volume with that volume’s Windows name', () => {
    const { a } = planOne(desired('/mnt/d/app', '/mnt/e/Program Files/App'), { '/mnt/e/Program Files/App': { kind: 'dir', dev: 41 } });
    expect([a.kind, linkOf(a)?.type]).toEqual(['create', 'junction']);
    expect(a.notes).toEqual([`written for Windows as ${E.windows}Program Files\\App`]);
    expect(windowsPathOn(E, '/mnt/e')).toBe(E.windows);
  });

  it('refuses a link on the volume that Windows could not follow, before anything is written', () => {
    const off = ofKind(planOne(desired('/mnt/d/cfg', '/home/u/config', { type: 'junction' }), { '/home/u/config': { kind: 'dir', dev: 8 } }).a, 'conflict');
    expect(off.reason).toBe('its target /home/u/config is on no NTFS volume listed under volumes:, so Windows could not follow a junction on D:\\ to it');
    expect(off.hint).toMatch(/listed under volumes:/);
    expect(off.link?.type).toBe('junction');

    const file = planOne(desired('/mnt/d/rc', '/home/u/.bashrc'), { '/home/u/.bashrc': { kind: 'file', fileId: '8:3', dev: 8 } }).a;
    expect([file.kind, file.reason]).toEqual(['conflict', 'its target /home/u/.bashrc is on no NTFS volume listed under volumes:, so Windows could not follow a symlink on D:\\ to it']);

    const rel = ofKind(planOne(desired('/mnt/d/x', '/mnt/e/x', { type: 'symlink', relative: true }), { '/mnt/e/x': { kind: 'file', fileId: '41:1', dev: 41 } }).a, 'conflict');
    expect(rel.reason).toMatch(/^relative text cannot lead from the NTFS volume D:\\ to \\\\\?\\Volume\{.*\}\\: Windows reads it within the link's own volume$/);
    expect(rel.hint).toBe('use relative: false');
  });

  it('refuses hard links across volumes, across the router’s volumes too', () => {
    const a = planOne(desired('/mnt/d/h', '/home/u/f', { type: 'hardlink' }), { '/home/u/f': { kind: 'file', fileId: '8:1', dev: 8 } }).a;
    expect([a.kind, a.reason]).toEqual(['conflict', 'hard links cannot cross volumes, and /home/u/f is on another volume']);
    const b = planOne(desired('/home/u/h', '/mnt/d/f', { type: 'hardlink' }), { '/mnt/d/f': { kind: 'file', fileId: '40:1', dev: 40 } }).a;
    expect(b.kind).toBe('conflict');
    const same = planOne(desired('/mnt/d/h', '/mnt/d/f', { type: 'hardlink' }), { '/mnt/d/f': { kind: 'file', fileId: '40:1', dev: 40 } }).a;
    expect(same.kind).toBe('create');
  });

  it('sees a junction that is right as unchanged, and retargets one that is not', () => {
    const right = planOne(desired('/mnt/d/jdk', '/mnt/d/jdk-21'), { '/mnt/d/jdk-21': DIR }, { entries: { '/mnt/d/jdk': { kind: 'junction', linkText: '/mnt/d/jdk-21' } } }).a;
    expect([right.kind, right.reason]).toEqual(['noop', 'already a junction to /mnt/d/jdk-21']);
    const wrong = planOne(desired('/mnt/d/jdk', '/mnt/d/jdk-17'), { '/mnt/d/jdk-17': DIR }, { entries: { '/mnt/d/jdk': { kind: 'junction', linkText: '/mnt/d/jdk-21' } } }).a;
    expect([wrong.kind, wrong.reason, linkOf(wrong)?.type]).toEqual(['retarget', 'points to /mnt/d/jdk-21; should point to /mnt/d/jdk-17', 'junction']);
    // a directory symlink where a junction belongs is replaced by one
    const kind = planOne(desired('/mnt/d/jdk', '/mnt/d/jdk-21'), { '/mnt/d/jdk-21': DIR }, { entries: { '/mnt/d/jdk': { kind: 'symlink', linkText: '/mnt/d/jdk-21' } } }).a;
    expect([kind.kind, kind.reason]).toEqual(['retarget', 'is a symbolic link to /mnt/d/jdk-21; should be a junction to /mnt/d/jdk-21']);
    const foreign = planOne(desired('/mnt/d/jdk', '/mnt/d/jdk-21'), { '/mnt/d/jdk-21': DIR }, { entries: { '/mnt/d/jdk': { kind: 'reparse', tag: 0x9000001a, tagName: 'CLOUD' } } }).a;
    expect([foreign.kind, foreign.reason]).toEqual(['conflict', 'is a CLOUD reparse point (tag 0x9000001A), which linkplan does not touch']);
  });

  it('records the volumes in the plan, and only when there are some', () => {
    const { plan } = planOne(desired('/mnt/d/jdk', '/mnt/d/jdk-21'), { '/mnt/d/jdk-21': DIR });
    expect(plan.volumes).toEqual([D, E]);
    expect(Object.keys(plan)).toEqual(['formatVersion', 'manifest', 'platform', 'volumes', 'actions', 'summary']);
    expect(validatePlan(JSON.parse(JSON.stringify(plan)))).toBe(true);
    const none = planPure([desired('/home/u/l', '/home/u/t')], { ...world({ '/home/u/t': DIR }, ['/home/u/l']), volumes: [] });
    expect('volumes' in none).toBe(false);
    expect(validatePlan({ ...plan, volumes: [{ mount: '/mnt/d' }] })).toBe(false);
  });

  it('is pure: the same values give the same plan, and the inputs are not changed', () => {
    const ds = [desired('/mnt/d/jdk', '/mnt/d/jdk-21'), desired('/home/u/x', '/mnt/d/jdk-21', { source: { where: 'links[1]' } })];
    const o = world({ '/mnt/d/jdk-21': DIR }, ['/mnt/d/jdk', '/home/u/x']);
    const before = JSON.stringify([ds, [...o.entries], [...(o.pathCapabilities ?? [])], o.volumes]);
    expect(planPure(ds, o)).toEqual(planPure(ds, o));
    expect(JSON.stringify([ds, [...o.entries], [...(o.pathCapabilities ?? [])], o.volumes])).toBe(before);
  });
});

// ---------------------------------------------------------------------------------------------
// The router and observe(), on temporary folders with a stand-in for the ntfs-3g driver
// ---------------------------------------------------------------------------------------------

/** A POSIX driver that says it makes junctions and records the calls it gets. */
class StandInNtfs extends PosixDriver {
  override readonly name = 'stand-in ntfs';
  readonly calls: string[] = [];
  constructor(readonly mount: string) {
    super();
  }
  override capabilities(): Capabilities {
    return NTFS;
  }
  override observe(p: AbsPath): Entry {
    this.calls.push(`observe ${path.relative(this.mount, p)}`);
    return super.observe(p);
  }
  override createLink(p: AbsPath, link: LinkSpec): void {
    this.calls.push(`createLink ${path.relative(this.mount, p)}`);
    super.createLink(p, link);
  }
  override mkdir(p: AbsPath): void {
    this.calls.push(`mkdir ${path.relative(this.mount, p)}`);
    super.mkdir(p);
  }
}

describe('VolumeRouter', () => {
  function setUp(): { root: string; router: VolumeRouter; d: StandInNtfs; inner: StandInNtfs } {
    const root = tempDir();
    writeTree(root, { vol: { inner: { 'f.txt': 'inner' }, 'f.txt': 'vol' }, home: { 'f.txt': 'home' } });
    const d = new StandInNtfs(path.join(root, 'vol'));
    const inner = new StandInNtfs(path.join(root, 'vol/inner'));
    const router = new VolumeRouter({
      fallback: new PosixDriver(),
      volumes: [
        { volume: { mount: P(path.join(root, 'vol')), windows: 'D:\\' }, driver: d },
        { volume: { mount: P(path.join(root, 'vol/inner')), windows: 'E:\\' }, driver: inner },
      ],
    });
    return { root, router, d, inner };
  }

  it('sends each path to the driver of the volume that holds it, the innermost mount first', () => {
    const { root, router, d, inner } = setUp();
    const at = (r: string): AbsPath => P(path.join(root, r));
    expect(router.driverAt(at('vol'))).toBe(d);
    expect(router.driverAt(at('vol/a/b'))).toBe(d);
    expect(router.driverAt(at('vol/inner/x'))).toBe(inner);
    expect(router.driverAt(at('volume'))).toBeInstanceOf(PosixDriver);
    expect(router.driverAt(at('home/x')).name).toBe('posix');
    expect(router.capabilities(at('vol/x'))).toEqual(NTFS);
    expect(router.capabilities(at('home/x'))).toEqual(POSIX);
    expect(router.volumes()).toEqual([
      { mount: at('vol'), windows: 'D:\\' },
      { mount: at('vol/inner'), windows: 'E:\\' },
    ]);
    expect(router.name).toBe(`posix + stand-in ntfs at ${at('vol')} + stand-in ntfs at ${at('vol/inner')}`);

    router.createLink(at('vol/l'), { type: 'symlink', target: at('vol/f.txt'), linkText: 'f.txt' });
    router.mkdir(at('vol/inner/new'));
    router.createLink(at('home/l'), { type: 'symlink', target: at('home/f.txt'), linkText: 'f.txt' });
    expect(router.observe(at('home/l'))).toEqual({ kind: 'symlink', linkText: 'f.txt' });
    expect(d.calls).toEqual(['createLink l']);
    expect(inner.calls).toEqual(['mkdir new']);
    expect(fs.readFileSync(at('vol/l'), 'utf8')).toBe('vol');
  });

  it('moves within a volume and refuses to move between two', () => {
    const { root, router } = setUp();
    const at = (r: string): AbsPath => P(path.join(root, r));
    router.move(at('vol/f.txt'), at('vol/g.txt'));
    expect(fs.readFileSync(at('vol/g.txt'), 'utf8')).toBe('vol');
    const err = driverError(() => router.move(at('home/f.txt'), at('vol/h.txt')));
    expect(err.code).toBe('EXDEV');
    expect(err.message).toBe(`${at('home/f.txt')}: cannot move to ${at('vol/h.txt')}: the two are on different volumes`);
    expect(fs.existsSync(at('home/f.txt'))).toBe(true);
  });

  it('gives observe() the capabilities of each path and its volumes, through decorators too', () => {
    const { root, router } = setUp();
    const at = (r: string): AbsPath => P(path.join(root, r));
    const ds = [desired(at('vol/jdk'), at('vol/inner')), desired(at('home/jdk'), at('vol/inner'), { type: 'junction', source: { where: 'links[1]' } })];
    const ro: Driver = new ReadOnlyDriver(router);
    const o = observe(ds, ro, { platform: 'linux', links: linkIndex(ds, 'linux') });
    expect(o.capabilities).toEqual(POSIX);
    expect([...(o.pathCapabilities ?? new Map<string, Capabilities>())]).toEqual([
      [at('vol/jdk'), NTFS],
      [at('home/jdk'), POSIX],
    ]);
    expect(o.volumes).toEqual(router.volumes());
    const plan = planPure(ds, o);
    expect(plan.actions.map((a) => linkOf(a)?.type)).toEqual(['junction', 'symlink']);
    expect(plan.volumes).toEqual(router.volumes());
    // a driver without volumes gives none, and the plan records none
    const plain = observe(ds, new ReadOnlyDriver(new PosixDriver()), { platform: 'linux', links: linkIndex(ds, 'linux') });
    expect(plain.volumes).toBeUndefined();
    expect(planPure(ds, plain).actions.map((a) => linkOf(a)?.type)).toEqual(['symlink', 'symlink']);
  });

  it('passes capabilities(path) and volumes() through every decorator', () => {
    const { root, router } = setUp();
    class Counting extends DriverDecorator {}
    const wrapped = new Counting(new ReadOnlyDriver(router));
    expect(wrapped.capabilities(P(path.join(root, 'vol/x')))).toEqual(NTFS);
    expect(wrapped.volumes()).toEqual(router.volumes());
    expect(new ReadOnlyDriver(new PosixDriver()).volumes()).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// createDriverFor and driverFor, with a mount table given as text
// ---------------------------------------------------------------------------------------------

/** A mount table where `<root>/vol` and `<root>/other` are ntfs-3g (the probe says so) and the rest is not. */
function mountTable(root: string): Required<Ntfs3gMountOptions> {
  const text = [
    '22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw',
    `40 22 0:39 / ${root}/vol rw,relatime - fuse ${root}/vol.img rw,user_id=0,group_id=0,allow_other`,
    `41 22 0:40 / ${root}/other rw,relatime - fuse.ntfs-3g /dev/sdc1 rw,user_id=0,group_id=0,allow_other`,
    `42 22 0:41 / ${root}/sshfs rw - fuse.sshfs me@host:/ rw`,
    `43 22 0:42 / ${root}/fuse rw - fuse ${root}/other.img rw`,
  ].join('\n');
  return { mounts: parseMountInfo(text), probe: (mp) => mp === `${root}/vol` };
}

describe('createDriverFor', () => {
  it('is node:fs without volumes, and loads no ntfs-3g code for it', async () => {
    const d = await createDriverFor({});
    expect(d).toBeInstanceOf(PosixDriver);
    expect((await driverFor({ volumes: [] })).name).toBe('posix');
    expect((await driverFor({})).name).toBe('posix');
    expect(createDriver().name).toBe('posix');
    expect(koffiIsLoaded()).toBe(false);
  });

  it('routes the listed volumes to ntfs-3g drivers that know each other', async () => {
    const root = tempDir();
    writeTree(root, { vol: {}, other: {}, home: {} });
    const mounts = mountTable(root);
    const d = await driverFor(
      { volumes: [{ mount: P(`${root}/vol`), windows: 'd:' }, { mount: P(`${root}/other`), windows: E.windows }] },
      { mounts, platform: 'linux' },
    );
    expect(d).toBeInstanceOf(VolumeRouter);
    const router = d as VolumeRouter;
    expect(router.driverAt(P(`${root}/vol/x`)).name).toBe('ntfs-3g');
    expect(router.driverAt(P(`${root}/home/x`)).name).toBe('posix');
    expect(router.capabilities(P(`${root}/vol/x`))).toEqual(NTFS);
    expect(router.capabilities(P(`${root}/home/x`))).toEqual(POSIX);
    expect(router.volumes()).toEqual([
      { mount: `${root}/vol`, windows: 'D:\\' },
      { mount: `${root}/other`, windows: E.windows },
    ]);
    const ntfs = router.driverAt(P(`${root}/vol/x`)) as unknown as { peers: { mountPoint: string; windowsRoot: string }[] };
    expect(ntfs.peers.map((p) => [p.mountPoint, p.windowsRoot])).toEqual([[`${root}/other`, E.windows]]);
    expect(koffiIsLoaded()).toBe(false);
  });

  it('refuses a volume that is not an ntfs-3g mount point now, naming it', async () => {
    const root = tempDir();
    writeTree(root, { vol: { sub: {} }, home: {}, sshfs: {}, fuse: {} });
    const mounts = mountTable(root);
    const refusal = (mount: string): Promise<UsageError> => rejected(UsageError, () => createDriverFor({ volumes: [{ mount, windows: 'D:' }], mounts, platform: 'linux' }));
    expect((await refusal(`${root}/home`)).message).toBe(`${root}/home: is not where an NTFS volume is mounted with ntfs-3g (it is on the ext4 filesystem mounted at /)`);
    expect((await refusal(`${root}/vol/sub`)).message).toBe(`${root}/vol/sub: is a folder on the NTFS volume mounted at ${root}/vol; list the mount point itself`);
    expect((await refusal(`${root}/sshfs`)).message).toMatch(/is not where an NTFS volume is mounted with ntfs-3g \(it is on the fuse.sshfs filesystem/);
    expect((await refusal(`${root}/fuse`)).message).toMatch(/is not where an NTFS volume is mounted with ntfs-3g \(it is on the fuse filesystem/);
    expect((await refusal(`${root}/home`)).hint).toMatch(/mount the volume with ntfs-3g first/);
  });
});

// ---------------------------------------------------------------------------------------------
// The manifest's volumes:
// ---------------------------------------------------------------------------------------------

function setUpManifest(yaml: (root: string) => string, extra: Partial<LoadOptions> = {}): { root: string; load: () => ReturnType<typeof loadManifest> } {
  const root = tempDir();
  writeTree(root, {
    vol: { tools: { 'jdk-21': {} }, 'file.txt': 'f' },
    other: { app: {} },
    fuse: { x: {} },
    sshfs: { x: {} },
    home: { 'rc.txt': 'rc', cfg: {} },
    alias: { link: 'vol' },
  });
  fs.writeFileSync(path.join(root, 'layout.yaml'), yaml(root));
  const opts: LoadOptions = { driver: new PosixDriver(), env: {}, platform: 'linux', hostname: 'box', home: `${root}/home`, volumeFacts: volumeFacts({ mounts: mountTable(root) }), ...extra };
  return { root, load: () => loadManifest(path.join(root, 'layout.yaml'), opts) };
}

function problemsOf(load: () => unknown): ManifestProblem[] {
  try {
    load();
  } catch (e) {
    if (e instanceof ManifestError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ManifestError');
}

const lines = (ps: readonly ManifestProblem[]): string[] => ps.map((p) => `${p.line ?? '-'}:${p.column ?? '-'} ${p.where}: ${p.message}`);

describe('volumes: in the manifest', () => {
  it('resolves each mount like a path (vars, ~, relative to the manifest) and normalises the Windows name', () => {
    const { root, load } = setUpManifest(() =>
      ['version: 1', 'vars: { d: vol }', 'volumes:', '  - { mount: "${d}", windows: "d:" }', `  - { mount: ~/../other, windows: '\\\\?\\Volume{6b29fc40-ca47-1067-b31d-00dd010662da}' }`, 'links: []', ''].join('\n'),
    );
    expect(load().volumes).toEqual([
      { mount: `${root}/vol`, windows: 'D:\\' },
      { mount: `${root}/other`, windows: '\\\\?\\Volume{6b29fc40-ca47-1067-b31d-00dd010662da}\\' },
    ]);
  });

  it('is an error to manage a link on an ntfs-3g mount the manifest does not list, naming the mount', () => {
    const { root, load } = setUpManifest((r) =>
      [
        'version: 1', // 1
        'links:', // 2
        `  - path: ${r}/vol/tools/jdk`, // 3
        `    target: ${r}/vol/tools/jdk-21`, // 4
        `  - path: ${r}/home/app`, // 5
        `    target: ${r}/other/app`, // 6
        '    type: junction', // 7
        `  - path: ${r}/home/auto`, // 8
        `    target: ${r}/other/app`, // 9
        `  - path: ${r}/vol/old`, // 10
        '    state: absent', // 11
        '',
      ].join('\n'),
    );
    const add = (m: string): string =>
      `lies on the NTFS volume mounted with ntfs-3g at ${m}, which volumes: does not list; add it there ({ mount: ${m}, windows: "D:" }, with the drive letter or volume GUID path Windows gives it), or ntfs-3g would make symlinks Windows cannot follow`;
    expect(lines(problemsOf(load))).toEqual([
      `3:5 links[0].path: ${root}/vol/tools/jdk ${add(`${root}/vol`)}`,
      `5:5 links[1].target: its target ${root}/other/app ${add(`${root}/other`)}`,
      `10:5 links[3].path: ${root}/vol/old ${add(`${root}/vol`)}`,
    ]);
  });

  it('accepts the same layout once the volumes are listed, and links elsewhere into a volume', () => {
    const { root, load } = setUpManifest((r) =>
      [
        'version: 1',
        'volumes:',
        `  - { mount: ${r}/vol, windows: "D:" }`,
        `  - { mount: ${r}/other, windows: "E:" }`,
        'links:',
        `  - { path: ${r}/vol/tools/jdk, target: ${r}/vol/tools/jdk-21 }`,
        `  - { path: ${r}/home/app, target: ${r}/other/app, type: junction }`,
        `  - { path: ${r}/vol/app, target: ${r}/other/app }`,
        `  - { path: ${r}/home/x, target: ${r}/fuse/x }`,
        `  - { path: ${r}/home/y, target: ${r}/sshfs/x, type: junction }`,
        '',
      ].join('\n'),
    );
    const loaded = load();
    expect(loaded.desired.map((d) => path.relative(root, d.path))).toEqual(['vol/tools/jdk', 'home/app', 'vol/app', 'home/x', 'home/y']);
    expect(loaded.volumes.map((v) => v.windows)).toEqual(['D:\\', 'E:\\']);
  });

  it('is an error to list a mount that is not an ntfs-3g volume, or one twice, or one name for two', () => {
    const { root, load } = setUpManifest((r) =>
      [
        'version: 1', // 1
        'volumes:', // 2
        `  - { mount: ${r}/home, windows: "D:" }`, // 3
        `  - { mount: ${r}/vol/tools, windows: "D:" }`, // 4
        `  - { mount: ${r}/sshfs, windows: "D:" }`, // 5
        `  - { mount: ${r}/vol, windows: "D:" }`, // 6
        `  - { mount: ${r}/alias, windows: "F:" }`, // 7
        `  - { mount: ${r}/other, windows: "d:\\\\" }`, // 8
        `  - { mount: ${r}/nowhere, windows: "G:" }`, // 9
        'links: []', // 10
        '',
      ].join('\n'),
    );
    expect(lines(problemsOf(load))).toEqual([
      `3:14 volumes[0].mount: ${root}/home: is not where an NTFS volume is mounted with ntfs-3g (it is on the ext4 filesystem mounted at /)`,
      `4:14 volumes[1].mount: ${root}/vol/tools: is a folder on the NTFS volume mounted at ${root}/vol; list the mount point itself`,
      `5:14 volumes[2].mount: ${root}/sshfs: is not where an NTFS volume is mounted with ntfs-3g (it is on the fuse.sshfs filesystem mounted at ${root}/sshfs)`,
      `7:14 volumes[4].mount: ${root}/alias: volumes[3] lists the same volume already`,
      `8:${`  - { mount: ${root}/other, windows: `.length + 1} volumes[5].windows: D:\\: volumes[3] (${root}/vol) has this Windows name already; two volumes cannot share one`,
      `9:14 volumes[6].mount: ${root}/nowhere: is not where an NTFS volume is mounted with ntfs-3g (it is on the ext4 filesystem mounted at /)`,
    ]);
  });

  it('is an error to reach a listed volume through a link, or to leave it through one', () => {
    const { root, load } = setUpManifest((r) =>
      [
        'version: 1',
        'volumes:',
        `  - { mount: ${r}/vol, windows: "D:" }`,
        'links:',
        `  - { path: ${r}/alias/tools/jdk, target: ${r}/vol/tools/jdk-21 }`,
        `  - { path: ${r}/vol/tools/jdk, target: ${r}/alias/tools/jdk-21 }`,
        '',
      ].join('\n'),
    );
    expect(lines(problemsOf(load))).toEqual([
      `5:5 links[0].path: ${root}/alias/tools/jdk leads through a link onto the NTFS volume listed at ${root}/vol; give it as a path below ${root}/vol, so linkplan writes links Windows can follow there`,
      `6:5 links[1].target: its target ${root}/alias/tools/jdk-21 leads through a link onto the NTFS volume listed at ${root}/vol; give it as a path below ${root}/vol, so linkplan writes links Windows can follow there`,
    ]);
  });

  it('says what is wrong with a volume entry in the words of the other schema messages', () => {
    const { load } = setUpManifest((r) =>
      [
        'version: 1', // 1
        'volume: []', // 2
        'volumes:', // 3
        `  - { mout: ${r}/vol, windows: "D:" }`, // 4
        `  - { mount: ${r}/vol, windows: "D" }`, // 5
        `  - { mount: ${r}/vol, windows: 'D:\\tools' }`, // 6
        `  - { mount: ${r}/vol }`, // 7
        '  - { mount: "", windows: "\\\\\\\\?\\\\Volume{xyz}\\\\" }', // 8
        'links: []',
        '',
      ].join('\n'),
    );
    const ps = problemsOf(load).map((p) => `${p.where}: ${p.message}`);
    expect(ps).toEqual([
      'volume: unknown key (did you mean "volumes"?)',
      'volumes[0]: missing "mount" (where ntfs-3g mounts the volume)',
      'volumes[0].mout: unknown key (did you mean "mount"?)',
      'volumes[1].windows: must be a drive like D: or a volume GUID path like \\\\?\\Volume{GUID}\\, not the string "D"',
      'volumes[2].windows: must be a drive like D: or a volume GUID path like \\\\?\\Volume{GUID}\\, not the string "D:\\\\tools" (name the root of the volume, not a folder on it)',
      'volumes[3]: missing "windows" (how Windows names the volume: a drive like D: or a volume GUID path)',
      'volumes[4].mount: must not be empty',
      'volumes[4].windows: must be a drive like D: or a volume GUID path like \\\\?\\Volume{GUID}\\, not the string "\\\\\\\\?\\\\Volume{xyz}\\\\"',
    ]);
  });

  it('ignores volumes on Windows, which names its own, and refuses them where ntfs-3g is not', () => {
    const yaml = (r: string): string => ['version: 1', 'volumes:', `  - { mount: ${r}/vol, windows: "D:" }`, 'links: []', ''].join('\n');
    const { root, load } = setUpManifest(yaml, { platform: 'darwin' });
    expect(lines(problemsOf(load))).toEqual([`3:14 volumes[0].mount: ${root}/vol: linkplan writes NTFS volumes through ntfs-3g on Linux only`]);
    const listed = [{ mount: P('C:\\mnt\\d'), windows: 'D:\\', index: 0 }];
    expect(checkVolumes([desired('C:\\mnt\\d\\x', null, { state: 'absent' })], listed, { platform: 'win32', facts: volumeFacts({ mounts: { mounts: [], probe: () => true } }) })).toEqual([]);
  });

  it('looks at no link when nothing can be an ntfs-3g mount, and never loads koffi for it', () => {
    let probed = 0;
    const { load } = setUpManifest((r) => ['version: 1', 'links:', `  - { path: ${r}/home/x, target: ${r}/home/rc.txt }`, ''].join('\n'), {
      volumeFacts: volumeFacts({ mounts: { mounts: parseMountInfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw'), probe: () => ++probed > 0 } }),
    });
    expect(load().desired).toHaveLength(1);
    expect(probed).toBe(0);
    // and with this machine's own mount table
    const root = tempDir();
    fs.writeFileSync(path.join(root, 'layout.yaml'), ['version: 1', 'links:', `  - { path: ${root}/x, target: ${root}/layout.yaml }`, ''].join('\n'));
    expect(loadManifest(path.join(root, 'layout.yaml'), { driver: new PosixDriver(), env: {}, platform: 'linux', volumeFacts: volumeFacts() }).volumes).toEqual([]);
    expect(koffiIsLoaded()).toBe(false);
  });

  it('asks the mount facts the caller gives once per load, and only on Linux', () => {
    const asked: string[] = [];
    /** This root's mount table, counting each time the loader asks for it. */
    const countedFacts = (root: string): (() => VolumeFacts) => () => {
      asked.push(root);
      return volumeFacts({ mounts: mountTable(root) })();
    };
    const yaml = (r: string): string => ['version: 1', 'volumes:', `  - { mount: ${r}/vol, windows: "D:" }`, 'links:', `  - { path: ${r}/vol/jdk, target: ${r}/vol/tools/jdk-21 }`, ''].join('\n');
    const linux = setUpManifest(yaml);
    expect(loadManifest(path.join(linux.root, 'layout.yaml'), { driver: new PosixDriver(), env: {}, platform: 'linux', volumeFacts: countedFacts(linux.root) }).volumes).toEqual([
      { mount: `${linux.root}/vol`, windows: 'D:\\' },
    ]);
    expect(asked).toEqual([linux.root]);
    const { root } = setUpManifest(yaml);
    const load = (): unknown => loadManifest(path.join(root, 'layout.yaml'), { driver: new PosixDriver(), env: {}, platform: 'darwin', volumeFacts: countedFacts(root) });
    expect(lines(problemsOf(load))).toEqual([`3:14 volumes[0].mount: ${root}/vol: linkplan writes NTFS volumes through ntfs-3g on Linux only`]);
    const listed = [{ mount: P('C:\\mnt\\d'), windows: 'D:\\', index: 0 }];
    expect(checkVolumes([desired('C:\\mnt\\d\\x', null, { state: 'absent' })], listed, { platform: 'win32', facts: countedFacts('C:') })).toEqual([]);
    expect(asked).toEqual([linux.root]);
  });

  it('without mount facts, finds no ntfs-3g volume: a listed one is refused, no link is looked at', () => {
    const { root } = setUpManifest(() => '');
    const file = path.join(root, 'layout.yaml');
    const base = { driver: new PosixDriver(), env: {}, platform: 'linux' } as const;
    fs.writeFileSync(file, ['version: 1', 'links:', `  - { path: ${root}/vol/jdk, target: ${root}/vol/tools/jdk-21 }`, ''].join('\n'));
    expect(loadManifest(file, base).desired).toHaveLength(1);
    fs.writeFileSync(file, ['version: 1', 'volumes:', `  - { mount: ${root}/vol, windows: "D:" }`, 'links: []', ''].join('\n'));
    expect(lines(problemsOf(() => loadManifest(file, base)))).toEqual([
      `3:14 volumes[0].mount: ${root}/vol: is not an NTFS volume mounted with ntfs-3g (no mount table here: linkplan finds ntfs-3g volumes on Linux only)`,
    ]);
  });

  it("the library's loadManifest checks volumes against this machine's mount table", () => {
    const root = tempDir();
    fs.mkdirSync(path.join(root, 'vol'));
    const file = path.join(root, 'layout.yaml');
    fs.writeFileSync(file, ['version: 1', 'volumes:', `  - { mount: ${root}/vol, windows: "D:" }`, 'links: []', ''].join('\n'));
    const [problem] = problemsOf(() => loadLibraryManifest(file, { driver: new PosixDriver(), env: {}, platform: 'linux' }));
    expect(problem?.message).toMatch(new RegExp(`^${root}/vol: is not where an NTFS volume is mounted with ntfs-3g \\(it is on the \\S+ filesystem mounted at `));
  });
});
