// onConflict: persist, Scoop's persist rule: what is in the way moves into the target where
// that is absent (or an empty folder, for a folder in the way) and is moved aside otherwise, so
// one manifest serves a first install and every upgrade. A Scoop-like app is installed, used,
// upgraded and upgraded again with the same manifest, on real folders through the command line;
// an apply that fails after the empty folder was removed puts it back.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../src/apply/applier.js';
import { FaultyDriver } from '../src/drivers/decorators.js';
import { PosixDriver } from '../src/drivers/posix.js';
import { runCli } from './helpers/cli.js';
import { planOnDisk } from './helpers/plan.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';

/** A Scoop-like root with app `version` installed fresh (its default settings), and the manifest that persists its data. */
function scoop(): { root: string; file: string; install: (version: string) => void } {
  const root = tempDir();
  const install = (version: string): void => writeTree(`${root}/apps/app/${version}`, { 'app.exe': `app ${version}\n`, data: { 'settings.ini': 'defaults\n' } });
  const file = path.join(root, 'layout.yaml');
  fs.writeFileSync(
    file,
    `version: 1
vars:
  version: "1.0"
links:
  - path: ${root}/apps/app/\${version}/data
    target: ${root}/persist/app/data
    onConflict: persist
`,
  );
  return { root, file, install };
}

describe('onConflict: persist', () => {
  it('plans an adopt where the target is absent, a backup where it holds something, an adopt into an empty folder', () => {
    const { root, file, install } = scoop();
    install('1.0');
    expect(planOnDisk(file).actions.map((a) => a.kind)).toEqual(['adopt']);
    writeTree(`${root}/persist/app/data`, { 'settings.ini': 'mine\n' });
    expect(planOnDisk(file).actions.map((a) => a.kind)).toEqual(['backup-and-link']);
    fs.rmSync(`${root}/persist/app/data`, { recursive: true });
    fs.mkdirSync(`${root}/persist/app/data`);
    const [a] = planOnDisk(file).actions;
    expect(a?.kind).toBe('adopt');
    expect(a).toMatchObject({ intoEmpty: true, reason: expect.stringContaining('in place of the empty folder there') as string });
    // an empty folder in the way is moved aside instead: nothing to bring into the empty target
    fs.rmSync(`${root}/apps/app/1.0/data/settings.ini`);
    expect(planOnDisk(file).actions.map((x) => x.kind)).toEqual(['backup-and-link']);
  });

  it('a Scoop-like app: installed, used, upgraded twice, with one manifest; the user data is never lost', () => {
    const { root, file, install } = scoop();
    install('1.0');
    fs.writeFileSync(`${root}/apps/app/1.0/data/settings.ini`, 'my settings\n');
    const first = runCli(['apply', '--yes', file]);
    expect(first.stderr).toBe('');
    expect(first.stdout).toMatch(/< adopt +.*1\.0\/data -> .*persist\/app\/data/);
    expect(fs.readFileSync(`${root}/persist/app/data/settings.ini`, 'utf8')).toBe('my settings\n');
    expect(fs.readlinkSync(`${root}/apps/app/1.0/data`)).toBe(`${root}/persist/app/data`);

    for (const v of ['2.0', '3.0']) {
      install(v);
      const up = runCli(['apply', '--yes', '--var', `version=${v}`, file]);
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      expect(up.stdout).toMatch(/\* backup +.*data -> .*persist\/app\/data/);
      // the new version's defaults are kept aside, its data folder leads to the user's data
      expect(fs.readFileSync(`${root}/apps/app/${v}/data.linkplan-backup/settings.ini`, 'utf8')).toBe('defaults\n');
      expect(fs.readFileSync(`${root}/apps/app/${v}/data/settings.ini`, 'utf8')).toBe('my settings\n');
    }
    expect(runCli(['plan', '--detailed-exitcode', '--var', 'version=3.0', file]).code).toBe(0);
  });

  it('an apply that fails after the empty target folder was removed puts it back, and the data where it was', async () => {
    const { root, file, install } = scoop();
    install('1.0');
    fs.mkdirSync(`${root}/persist/app/data`, { recursive: true });
    const before = snapshot(root);
    const plan = planOnDisk(file);
    // steps: rmdir the empty target, move the data there, link (fails)
    await expect(applyPlan(plan, new FaultyDriver(new PosixDriver(), { failAt: 3 }))).rejects.toThrow(/injected fault/);
    expect(snapshot(root)).toEqual(before);
  });

  it('a target that is no longer empty when the apply starts: the apply refuses, nothing changes', async () => {
    const { root, file, install } = scoop();
    install('1.0');
    fs.mkdirSync(`${root}/persist/app/data`, { recursive: true });
    const plan = planOnDisk(file);
    fs.writeFileSync(`${root}/persist/app/data/new.txt`, 'arrived since the plan\n');
    const before = snapshot(root);
    await expect(applyPlan(plan, new PosixDriver())).rejects.toThrow(/an empty folder \(the adopt target\)/);
    expect(snapshot(root)).toEqual(before);
  });
});
