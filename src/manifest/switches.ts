/**
 * Turns the manifest's `switches:` into entries: each switch is one link, at its `path`, to the
 * folder of its `current` version. The versions are a map of name to folder, or a pattern with
 * one `*` in its last part (`${tools}/jdk-*`) whose matches in that folder, read through the
 * driver, are the versions, each named by what `*` matched (`jdk-17` is `17`). A `current` that
 * is not one of them is a problem that lists those there are. The switches are also returned as
 * they are, for `linkplan switch` to list and change.
 */
import { naturalCompare } from '../core/natural-order.js';
import { entryPath, parentOf, type AbsPath } from '../core/paths.js';
import { excerpt } from '../core/printable.js';
import type { Desired } from '../core/types.js';
import { entryMaker, resolvePath, sourceAt, type EntryContext } from './entries.js';
import type { RawManifest, RawSwitch } from './raw.js';
import { whenHolds } from './when.js';

export interface SwitchVersion {
  name: string;
  folder: AbsPath;
}

/** A switch as loaded: where its link is, its versions (sorted by name, numbers in order) and the current one. */
export interface LoadedSwitch {
  name: string;
  path: AbsPath;
  versions: SwitchVersion[];
  current: string;
  /** How the versions were given: the pattern as written, or undefined for a map. */
  pattern?: string;
}

const byName = (a: SwitchVersion, b: SwitchVersion): number => naturalCompare(a.name, b.name);

/** The versions a pattern finds: the folders (or links to folders) in its folder whose names match it. */
function discovered(pattern: string, at: { where: readonly (string | number)[]; link: AbsPath | undefined }, ec: EntryContext): SwitchVersion[] | undefined {
  const { where } = at;
  const abs = resolvePath(pattern, where, ec);
  if (abs === undefined) return undefined;
  const platform = ec.machine.platform;
  const dir = parentOf(abs, platform);
  const last = abs.slice(dir.length).replace(/^[\\/]/, '');
  const star = last.indexOf('*');
  if (star < 0 || last.indexOf('*', star + 1) >= 0 || dir.includes('*')) {
    ec.problems.at(where, `${excerpt(pattern)}: a pattern of versions needs exactly one * and only in its last part (like \${tools}/jdk-*)`);
    return undefined;
  }
  if (ec.driver.targetKind(dir) !== 'dir') {
    ec.problems.at(where, `${dir}: the folder of the versions does not exist`);
    return undefined;
  }
  const [prefix, suffix] = [last.slice(0, star), last.slice(star + 1)];
  const fold = (s: string): string => (platform === 'win32' ? s.toLowerCase() : s);
  const out: SwitchVersion[] = [];
  for (const e of ec.driver.listDir(dir)) {
    const n = fold(e.name);
    if (e.name.length <= prefix.length + suffix.length || !n.startsWith(fold(prefix)) || !n.endsWith(fold(suffix))) continue;
    const folder = entryPath(dir, e.name, platform);
    // (the switch's own link may lie among its versions: `apps/app/current` beside `apps/app/1.0`)
    if (at.link !== undefined && fold(folder) === fold(at.link)) continue;
    if (e.kind !== 'dir' && !(e.kind === 'link' && ec.driver.targetKind(folder) === 'dir')) continue;
    out.push({ name: e.name.slice(prefix.length, e.name.length - suffix.length), folder });
  }
  return out.sort(byName);
}

/** The versions of a map: each folder resolved as a path. */
function listed(map: Record<string, string>, where: readonly (string | number)[], ec: EntryContext): SwitchVersion[] | undefined {
  const out: SwitchVersion[] = [];
  for (const [name, folder] of Object.entries(map)) {
    const abs = resolvePath(folder, [...where, name], ec);
    if (abs === undefined) return undefined;
    out.push({ name, folder: abs });
  }
  return out.sort(byName);
}

/** One switch loaded, or undefined with its problems reported. */
function loadSwitch(name: string, s: RawSwitch, ec: EntryContext): LoadedSwitch | undefined {
  const where = ['switches', name];
  const p = resolvePath(s.path, [...where, 'path'], ec);
  const versions = typeof s.versions === 'string' ? discovered(s.versions, { where: [...where, 'versions'], link: p }, ec) : listed(s.versions, [...where, 'versions'], ec);
  if (p === undefined || versions === undefined) return undefined;
  const current = String(s.current);
  if (!versions.some((v) => v.name === current)) {
    const there = versions.length === 0 ? `no version was found${typeof s.versions === 'string' ? ` by ${excerpt(s.versions)}` : ''}` : `the versions are ${versions.map((v) => excerpt(v.name, 40)).join(', ')}`;
    ec.problems.at([...where, 'current'], `${excerpt(current)} is not one of the versions of ${excerpt(name)}: ${there}`);
    return undefined;
  }
  return { name, path: p, versions, current, ...(typeof s.versions === 'string' ? { pattern: s.versions } : {}) };
}

/**
 * The entries of `raw.switches` that apply on this machine (one link each), the switches loaded,
 * and how many were left out by their `when`; problems reported. `placed`: whether the YAML is
 * parsed, so each entry can say its line (a manifest read from the cache is not parsed for it).
 */
export function expandSwitches(raw: RawManifest, ec: EntryContext & { placed: boolean }): { desired: Desired[]; switches: LoadedSwitch[]; skipped: number } {
  const desired: Desired[] = [];
  const switches: LoadedSwitch[] = [];
  let skipped = 0;
  for (const [name, s] of Object.entries(raw.switches ?? {})) {
    if (!whenHolds(s.when, ec.machine)) {
      skipped++;
      continue;
    }
    const loaded = loadSwitch(name, s, ec);
    if (loaded === undefined) continue;
    switches.push(loaded);
    const folder = (loaded.versions.find((v) => v.name === loaded.current) as SwitchVersion).folder;
    const { type, createParents, targetForm } = s;
    const make = entryMaker({ ...(type === undefined ? {} : { type }), ...(createParents === undefined ? {} : { createParents }), ...(targetForm === undefined ? {} : { targetForm }) });
    desired.push(make(loaded.path, folder, sourceAt(['switches', name], ec, ec.placed)));
  }
  return { desired, switches, skipped };
}
