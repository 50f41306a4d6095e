/**
 * `linkplan switch MANIFEST NAME [VERSION]`: switches a tool between its installed versions.
 * Without VERSION it lists the versions of switch NAME, marking the manifest's current one and
 * the one the link on disk leads to (or as JSON). With VERSION it edits `current` in the
 * manifest (only that value: comments, blank lines and order stay), shows the edit as a unified
 * diff, then plans and applies the retarget of that one link as `apply` does (under the lock,
 * journaled, all or nothing); the manifest is saved only once the link is switched. --no-save
 * switches the link and leaves the manifest as it is, saying that the next apply switches back.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errnoCode, UsageError } from '../core/errors.js';
import { pathDisplay, pathKey, resolveLinkText, currentPlatform, shellWord } from '../core/paths.js';
import { excerpt, printable } from '../core/printable.js';
import { ReadOnlyDriver } from '../drivers/decorators.js';
import { editCurrent, notReadBack } from '../manifest/edit.js';
import { loadManifest, readManifestText, type LoadedManifest } from '../manifest/load.js';
import { fileManifestCache } from '../manifest/cache.js';
import { stateDirFor } from '../state/state.js';
import type { LoadedSwitch } from '../manifest/switches.js';
import type { StateOptions } from '../state/state.js';
import { colorsFor } from '../views/render.js';
import * as apply from './apply.js';
import type { CommandDeps, Io } from './context.js';

export type SwitchOptions = StateOptions & {
  /** The manifest, as given. */
  file: string;
  name: string;
  version?: string;
  /** false with --no-save: switch the link, leave the manifest. */
  save: boolean;
  json?: boolean;
  yes?: boolean;
  var: Record<string, string>;
};

export async function run(opts: SwitchOptions, io: Io, deps: CommandDeps): Promise<number> {
  const { file } = opts;
  if (opts.json === true && opts.version !== undefined) {
    throw new UsageError(`--json lists the versions of ${excerpt(opts.name)}; it does not switch`, { hint: `run \`linkplan switch ${printable(shellWord(file))} ${printable(shellWord(opts.name))} --json\`` });
  }
  const text = readManifestText(file);
  const driver = new ReadOnlyDriver(deps.createDriver());
  // (through the parsed-manifest cache: a manifest applied before is not parsed again, and the
  // edit's parse is kept for the next run)
  const cache = fileManifestCache(stateDirFor(file, opts));
  const loadText = (t: string): LoadedManifest => loadManifest(file, { driver, vars: opts.var, volumeFacts: deps.volumeFacts, text: t, cache });
  const loaded = loadText(text);
  const sw = loaded.switches.find((s) => s.name === opts.name);
  if (sw === undefined) {
    const names = loaded.switches.map((s) => s.name);
    throw new UsageError(`${file}: no switch named ${excerpt(opts.name)} applies on this machine`, {
      hint: names.length === 0 ? 'add one under switches: in the manifest' : `the switches are: ${names.join(', ')}`,
    });
  }
  if (opts.version === undefined) return list(sw, { io, json: opts.json === true, onDisk: onDisk(sw, driver.observe(sw.path)) });
  const version = sw.versions.find((v) => v.name === opts.version);
  if (version === undefined) {
    throw new UsageError(`${file}: ${excerpt(opts.version)} is not a version of ${excerpt(sw.name)}`, {
      hint: `the versions are: ${sw.versions.map((v) => v.name).join(', ')}; nothing was changed`,
    });
  }
  const edit = { file, name: sw.name, version: version.name };
  const edited = version.name === sw.current ? text : editCurrent(loaded.currentSite(sw.name, sw.current), text, edit);
  // the edit read back as the manifest it makes, before anything changes: that one is applied
  const after = edited === text ? loaded : loadText(edited);
  if (after.switches.find((s) => s.name === sw.name)?.current !== version.name) throw notReadBack(edit);
  if (edited === text) io.out(`${printable(file)}: switches.${sw.name}.current is ${printable(version.name)} already\n`);
  else io.out(await unifiedDiff(file, text, edited, io.color));
  const applied: apply.ApplyOptions = {
    file,
    var: opts.var,
    loaded: after,
    only: [sw.path],
    ...(opts.yes === undefined ? {} : { yes: opts.yes }),
    ...(opts.stateDir === undefined ? {} : { stateDir: opts.stateDir }),
    ...(opts.lockTimeout === undefined ? {} : { lockTimeout: opts.lockTimeout }),
  };
  const code = await apply.run(applied, io, deps);
  if (code !== 0 || edited === text) return code;
  if (!opts.save) {
    io.out(`The manifest was not changed: it still says ${sw.name} ${printable(sw.current)}, and the next \`linkplan apply ${printable(shellWord(file))}\` switches ${sw.name} back to it.\n`);
    return 0;
  }
  saveManifest(file, text, edited);
  io.out(`Saved ${printable(file)}: ${sw.name} is now ${printable(version.name)}.\n`);
  return 0;
}

/** The version the link at the switch's path leads to, if it is a link to one of them. */
function onDisk(sw: LoadedSwitch, e: ReturnType<ReadOnlyDriver['observe']>): string | undefined {
  if (e.kind !== 'symlink' && e.kind !== 'junction') return undefined;
  const platform = currentPlatform();
  const to = pathKey(resolveLinkText(sw.path, e.linkText, platform), platform);
  return sw.versions.find((v) => pathKey(v.folder, platform) === to)?.name;
}

/** The versions of a switch, as text or JSON. */
function list(sw: LoadedSwitch, ctx: { io: Io; json: boolean; onDisk: string | undefined }): number {
  const { io, onDisk: disk } = ctx;
  if (ctx.json) {
    const versions = sw.versions.map((v) => ({ name: v.name, folder: v.folder, current: v.name === sw.current, onDisk: v.name === disk }));
    io.out(JSON.stringify({ name: sw.name, path: sw.path, current: sw.current, onDisk: disk ?? null, versions }, null, 2) + '\n');
    return 0;
  }
  const show = pathDisplay({ base: process.cwd(), home: os.homedir() });
  const c = colorsFor(io.color);
  const width = Math.max(...sw.versions.map((v) => printable(v.name).length));
  const folderWidth = Math.max(...sw.versions.map((v) => printable(show(v.folder)).length));
  io.out(`${printable(sw.name)}: ${printable(show(sw.path))}${sw.pattern === undefined ? '' : ` (versions found by ${printable(sw.pattern)})`}\n`);
  for (const v of sw.versions) {
    const mark = v.name === sw.current ? '*' : ' ';
    const note = v.name === sw.current ? (disk === sw.current ? '  current' : '  current in the manifest') : v.name === disk ? '  the link leads here now' : '';
    const line = `  ${mark} ${printable(v.name).padEnd(width)}  ${note === '' ? printable(show(v.folder)) : printable(show(v.folder)).padEnd(folderWidth)}${note}`;
    io.out(`${v.name === sw.current ? c.bold(line) : line}\n`);
  }
  if (disk !== sw.current) io.out(`The link ${disk === undefined ? 'does not lead to any of these' : `leads to ${printable(disk)}`}: \`linkplan apply\` makes it ${printable(sw.current)}.\n`);
  return 0;
}

/** The edit as a unified diff (coloured on a terminal). */
async function unifiedDiff(file: string, before: string, after: string, color: boolean): Promise<string> {
  const { createTwoFilesPatch } = await import('diff');
  const lines = createTwoFilesPatch(file, file, before, after, '', '', { context: 2 }).split('\n').slice(2).map((l) => (l.startsWith('--- ') || l.startsWith('+++ ') ? l.replace(/\t$/, '') : l));
  const c = colorsFor(color);
  const paint = (l: string): string => (l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l);
  return lines.map((l) => paint(printable(l))).join('\n').trimEnd() + '\n';
}

/**
 * Writes `after` over the manifest, atomically (a new file renamed over it, in the folder of the
 * real file where the manifest is a link, so the link stays); refused if the file changed since
 * it was read (`before`): the link is switched then, and the manifest says so.
 */
function saveManifest(file: string, before: string, after: string): void {
  const notSaved = (why: string): never => {
    throw new UsageError(`${file}: the link is switched, but the manifest was not saved (${why})`, { hint: 'edit current in the manifest by hand, or the next apply switches back' });
  };
  let real: string;
  try {
    real = fs.realpathSync(file);
    if (fs.readFileSync(real, 'utf8') !== before) notSaved('it changed while switching');
  } catch (e) {
    if (e instanceof UsageError) throw e;
    return notSaved(errnoCode(e) ?? String(e));
  }
  const tmp = path.join(path.dirname(real), `.${path.basename(real)}.linkplan-${process.pid}`);
  try {
    const mode = fs.statSync(real).mode & 0o7777;
    const fd = fs.openSync(tmp, 'wx', mode);
    try {
      fs.writeFileSync(fd, after);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, real);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    notSaved(errnoCode(e) ?? String(e));
  }
}
