// The Windows examples (examples/windows/*.yaml): `linkplan validate` accepts each one (off Windows,
// every link skipped by its `when: { os: windows }`); and each one, loaded as on Windows (with
// %USERPROFILE% set), plans what its comments promise for a user without Developer Mode, against
// a hand-built Windows world (no disk is read for the plan).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Capabilities, Entry, Observed, Plan, TargetInfo } from '../src/core/types.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { loadManifest, type LoadedManifest } from '../src/manifest/load.js';
import { computePlan, type MadeLink } from '../src/plan/planner.js';
import { REPO, runCli } from './helpers/cli.js';
import { dir, dirTarget, file, fileTarget, observedOf } from './helpers/observed.js';

const EXAMPLES = path.join(REPO, 'examples', 'windows');
const USER: Capabilities = { symlinks: false, junctions: true, hardlinks: true, symlinkNote: 'Developer Mode is off' };
const PROFILE = 'C:\\Users\\me';

function loadAsWindows(name: string, vars: Record<string, string> = {}): LoadedManifest {
  return loadManifest(path.join(EXAMPLES, name), { driver: new PosixDriver(), platform: 'win32', env: { USERPROFILE: PROFILE }, hostname: 'pc', home: PROFILE, vars });
}

/** The plan for `world`, where linkplan made the junctions of `made` (path -> text), as its records would say. */
function planAsWindows(loaded: LoadedManifest, world: { entries: Record<string, Entry>; targets: Record<string, TargetInfo> }, made: Record<string, string> = {}): Plan {
  const observed: Observed = observedOf(world.entries, { platform: 'win32', capabilities: USER, targets: world.targets });
  const records = new Map<string, MadeLink>(Object.entries(made).map(([p, linkText]) => [p, { type: 'junction', linkText }]));
  return computePlan(loaded.desired, observed, { manifest: { path: loaded.file, digest: 'sha256:' + '0'.repeat(64) }, links: loaded.links, made: () => records });
}

const summary = (plan: Plan): string[] => plan.actions.map((a) => `${a.kind} ${a.path}${'link' in a && a.link !== undefined ? ` (${a.link.type})` : ''}`);

describe('examples/windows', () => {
  it.each([
    ['jdk.yaml', 2],
    ['scoop.yaml', 3],
  ])('linkplan validate accepts %s (elsewhere than Windows, skipping its links)', (name, n) => {
    const r = runCli(['validate', path.join('examples', 'windows', name)], { env: { USERPROFILE: PROFILE } });
    expect(r.stderr).toBe('');
    const counted = process.platform === 'win32' ? `${n} links` : `0 links, ${n} skipped by their when condition`;
    expect(r.stdout).toBe(`${path.join('examples', 'windows', name)}: valid (${counted})\n`);
    expect(r.code).toBe(0);
  });

  it('jdk.yaml: two junctions to the JDK in use, switched by --var jdk', () => {
    const world = {
      entries: { 'C:\\': dir(1), 'C:\\tools': dir(1), 'C:\\tools\\jdk-21.0.2': dir(1), 'C:\\tools\\jdk-17.0.10': dir(1), [PROFILE]: dir(1) },
      targets: { 'C:\\tools\\jdk-21.0.2': dirTarget(1), 'C:\\tools\\jdk-17.0.10': dirTarget(1) },
    };
    expect(summary(planAsWindows(loadAsWindows('jdk.yaml'), world))).toEqual(['create C:\\tools\\jdk (junction)', `create ${PROFILE}\\.jdks\\current (junction)`]);
    const applied = { ...world, entries: { ...world.entries, 'C:\\tools\\jdk': { kind: 'junction', linkText: 'C:\\tools\\jdk-21.0.2' } as Entry } };
    const plan = planAsWindows(loadAsWindows('jdk.yaml', { jdk: '17.0.10' }), applied, { 'C:\\tools\\jdk': 'C:\\tools\\jdk-21.0.2' });
    expect(summary(plan)).toEqual(['retarget C:\\tools\\jdk (junction)', `create ${PROFILE}\\.jdks\\current (junction)`]);
  });

  it('scoop.yaml: the current junction, and the installed data folder and settings file adopted into persist', () => {
    const root = `${PROFILE}\\scoop`;
    const version = `${root}\\apps\\myapp\\1.4.2`;
    const world = {
      entries: { 'C:\\': dir(1), [PROFILE]: dir(1), [root]: dir(1), [`${root}\\apps`]: dir(1), [`${root}\\apps\\myapp`]: dir(1), [version]: dir(1), [`${version}\\data`]: dir(1), [`${version}\\settings.ini`]: file({ fileId: '1:7' }) },
      targets: { [version]: dirTarget(1) },
    };
    const plan = planAsWindows(loadAsWindows('scoop.yaml'), world);
    expect(summary(plan)).toEqual([`create ${root}\\apps\\myapp\\current (junction)`, `adopt ${version}\\data (junction)`, `adopt ${version}\\settings.ini (hardlink)`]);
    // once applied, the same manifest changes nothing
    const after = {
      entries: { ...world.entries, [`${root}\\apps\\myapp\\current`]: { kind: 'junction', linkText: version } as Entry, [`${version}\\data`]: { kind: 'junction', linkText: `${root}\\persist\\myapp\\data` } as Entry, [`${version}\\settings.ini`]: file({ fileId: '1:7', nlink: 2 }) },
      targets: { [version]: dirTarget(1), [`${root}\\persist\\myapp\\data`]: dirTarget(1), [`${root}\\persist\\myapp\\settings.ini`]: fileTarget('1:7', 1) },
    };
    expect(planAsWindows(loadAsWindows('scoop.yaml'), after).actions.map((a) => a.kind)).toEqual(['noop', 'noop', 'noop']);
  });
});
