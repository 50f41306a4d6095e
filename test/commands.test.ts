// The commands run in-process, as the CLI runs them: with an Io that collects what they print and
// the deps the CLI composes (the shipped ones, or with a driver wrapped to fail), so a test can
// reach a command without a child process.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as apply from '../src/commands/apply.js';
import { shippedDeps, type CommandDeps, type Io, type WritingCommand } from '../src/commands/context.js';
import * as plan from '../src/commands/plan.js';
import * as validate from '../src/commands/validate.js';
import { ApplyError, ConflictError } from '../src/core/errors.js';
import type { AbsPath } from '../src/core/paths.js';
import type { Capabilities } from '../src/core/types.js';
import { DriverDecorator, FaultyDriver } from '../src/drivers/decorators.js';
import { snapshot, tempDir, writeTree } from './helpers/tree.js';

function io(): Io & { printed: () => string } {
  let out = '';
  return { out: (s) => (out += s), err: (s) => (out += s), color: false, errColor: false, interactive: false, printed: () => out };
}

/** The real driver, reporting what a user without Developer Mode may make on Windows. */
class Unprivileged extends DriverDecorator {
  override capabilities(at: AbsPath): Capabilities {
    return { ...this.inner.capabilities(at), symlinks: false, symlinkNote: 'Developer Mode is off' };
  }
}

function project(): { file: string; stateDir: string; dir: string } {
  const dir = tempDir();
  const links = [...Array(6).keys()].map((i) => `  - { path: out/d${i % 2}/l${i}, target: t/f }`);
  writeTree(dir, { 'layout.yaml': `version: 1\nlinks:\n${links.join('\n')}\n`, t: { f: 'f' } });
  return { dir, file: path.join(dir, 'layout.yaml'), stateDir: tempDir('linkplan-state-') };
}

describe('the commands, run in-process', () => {
  it('validate and plan print what the CLI prints and return its exit code', async () => {
    const p = project();
    const v = io();
    expect(validate.run({ file: p.file, var: {} }, v, shippedDeps())).toBe(0);
    expect(v.printed()).toBe(`${p.file}: valid (6 links)\n`);
    const out = io();
    expect(await plan.run({ file: p.file, var: {}, json: true, detailedExitcode: true, stateDir: p.stateDir }, out, shippedDeps())).toBe(2);
    expect((JSON.parse(out.printed()) as { summary: { create: number } }).summary.create).toBe(6);
  });

  it('apply writes through the driver wrapDriver gives it, and rolls back when that driver fails', async () => {
    const p = project();
    const before = snapshot(p.dir);
    const wrapped: WritingCommand[] = [];
    const deps: CommandDeps = {
      ...shippedDeps(),
      wrapDriver: (real, use) => {
        wrapped.push(use.command);
        return new FaultyDriver(real, { failAt: 4 });
      },
    };
    const err = await apply.run({ file: p.file, var: {}, yes: true, stateDir: p.stateDir }, io(), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApplyError);
    expect(wrapped).toEqual(['apply']);
    expect(snapshot(p.dir)).toEqual(before);
    const out = io();
    expect(await apply.run({ file: p.file, var: {}, yes: true, stateDir: p.stateDir }, out, shippedDeps())).toBe(0);
    expect(out.printed()).toMatch(/^Applied: 6 to create/m);
    expect(fs.readlinkSync(path.join(p.dir, 'out/d1/l5'))).toBe(path.join(p.dir, 't/f'));
  });

  it('a symbolic link this user may not create is a conflict of the plan, and apply never starts', async () => {
    const p = project();
    fs.writeFileSync(p.file, 'version: 1\nlinks:\n  - { path: out/ok, target: t/f }\n  - { path: out/l, target: t/f, type: symlink }\n');
    const before = snapshot(p.dir);
    const writes: string[] = [];
    const base = shippedDeps();
    const deps: CommandDeps = {
      ...base,
      createDriver: () => new Unprivileged(base.createDriver()),
      driverFor: async (source) => new Unprivileged(await base.driverFor(source)),
      wrapDriver: (real) => {
        writes.push('wrapped');
        return real;
      },
    };
    const out = io();
    const err = await apply.run({ file: p.file, var: {}, yes: true, stateDir: p.stateDir }, out, deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect(out.printed()).toContain('! conflict out/l: cannot create symbolic links here: Developer Mode is off\n');
    expect(writes).toEqual([]);
    expect(snapshot(p.dir)).toEqual(before);
    expect(fs.readdirSync(p.stateDir).filter((n) => n.includes('journal'))).toEqual([]);
  });

  it('a saved plan with a symbolic link, applied by a user who may not create one, stops before its first write', async () => {
    const p = project();
    fs.writeFileSync(p.file, 'version: 1\nlinks:\n  - { path: out/ok, target: t/f, type: hardlink }\n  - { path: out/l, target: t/f, type: symlink }\n');
    const saved = path.join(p.stateDir, 'plan.json');
    expect(await plan.run({ file: p.file, var: {}, out: saved, stateDir: p.stateDir }, io(), shippedDeps())).toBe(0);
    const before = snapshot(p.dir);
    const base = shippedDeps();
    const deps: CommandDeps = { ...base, createDriver: () => new Unprivileged(base.createDriver()), driverFor: async (source) => new Unprivileged(await base.driverFor(source)) };
    const err = await apply.run({ file: saved, var: {}, yes: true, stateDir: p.stateDir }, io(), deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as Error).message).toBe(`the plan makes 1 link this user may not make now:\n  ${path.join(p.dir, 'out/l')}: a symlink, and symbolic links are unavailable here: Developer Mode is off`);
    expect(snapshot(p.dir)).toEqual(before);
  });
});
