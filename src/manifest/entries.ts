/**
 * Turns the manifest's `links:` into `Desired` entries: each entry's options over `defaults:`,
 * its `when` condition, its path and target expanded and resolved against the manifest's folder
 * and checked for what this platform's paths allow, and a `glob:` entry expanded into one entry
 * per match, read from its target folder through the driver. Problems are collected with their
 * places, not thrown.
 */
import type { Driver } from '../drivers/driver.js';
import { entryPath, isSameOrInside, toAbs, type AbsPath } from '../core/paths.js';
import { excerpt } from '../core/printable.js';
import type { Desired } from '../core/types.js';
import { expandGlob, type GlobMatch } from './glob.js';
import type { Problems } from './parsed.js';
import type { PathChecker } from './path-validity.js';
import type { RawLink, RawManifest, RawOptions } from './raw.js';
import { yamlPath } from './schema-errors.js';
import { expandPath, type ExpandContext } from './vars.js';
import { whenHolds, type Machine } from './when.js';

/** What expanding entries needs: the machine, variables, the manifest's folder, the driver. */
export interface EntryContext {
  machine: Machine;
  vars: ExpandContext;
  /** The manifest's folder, which relative paths are resolved against. */
  dir: AbsPath;
  driver: Driver;
  checkPath: PathChecker;
  problems: Problems;
}

type Where = readonly (string | number)[];
/** One entry's options at a path (one object shape for every entry, thousands from a glob: no spreads). */
type MakeEntry = (at: AbsPath, to: AbsPath | null, from: Desired['source']) => Desired;

/** `value` (an entry's path or target) expanded and made absolute; undefined, with the problem reported, when it cannot be. */
export function resolvePath(value: string, where: Where, ec: EntryContext): AbsPath | undefined {
  const r = expandPath(value, ec.vars);
  if (!r.ok) {
    ec.problems.at(where, r.problem);
    return undefined;
  }
  const p = toAbs(r.value, ec.dir, ec.machine.platform);
  const bad = ec.checkPath(p);
  if (bad !== undefined) {
    ec.problems.at(where, bad);
    return undefined;
  }
  return p;
}

/**
 * Where an entry stands in the manifest: its YAML path and, where the YAML is parsed (`placed`;
 * a manifest read from the cache is not parsed to place a switch or a folder), its line and column.
 */
export function sourceAt(where: Where, ec: EntryContext, placed = true): Desired['source'] {
  const { line, column } = placed ? ec.problems.place(where) : {};
  return { where: yamlPath(where), ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) };
}

/** The maker of this entry's `Desired` values, with its options (or their defaults); `allowSystemPaths` is the entry's own. */
export function entryMaker(o: RawOptions, allowSystemPaths = false): MakeEntry {
  const state = o.state ?? 'present';
  const type = o.type ?? 'auto';
  const relative = o.relative ?? false;
  const onConflict = o.onConflict ?? 'refuse';
  const createParents = o.createParents ?? true;
  const allowCycle = o.allowCycle ?? false;
  const targetForm = o.targetForm ?? 'path';
  return (at, to, from) => ({ path: at, state, target: to, type, relative, onConflict, createParents, allowCycle, allowSystemPaths, targetForm, source: from });
}

/** The entries of a glob entry: one per match below `target`, its folder; problems reported. */
function globEntries(link: RawLink, p: AbsPath, target: AbsPath, at: { where: Where; source: Desired['source']; make: MakeEntry }, ec: EntryContext): Desired[] {
  const { where, source, make } = at;
  const platform = ec.machine.platform;
  if (link.glob === undefined) return [];
  if (isSameOrInside(p, target, platform)) {
    // the links would land in the folder the glob reads, and match themselves on the next run
    ec.problems.at([...where, 'path'], `${p}: lies inside ${target}, the folder the glob reads; the next run would find the links there and link them too`);
    return [];
  }
  const t = ec.driver.observeTarget(target);
  if (t.kind !== 'dir') {
    ec.problems.at([...where, 'target'], `${target}: ${t.kind === 'absent' ? 'does not exist' : 'is not a folder'}; with glob, target must be the folder whose entries are linked`);
    return [];
  }
  const matches = expandGlob(target, link.glob, { exclude: link.exclude ?? [], fold: link.fold ?? true, driver: ec.driver, nocase: platform === 'win32' });
  const out: Desired[] = [];
  // the matches are names read from the folder: joining them needs no normalising
  for (let i = 0; i < matches.length; i++) {
    const m = matches[i] as GlobMatch;
    const from = source.line !== undefined && source.column !== undefined ? { where: source.where, line: source.line, column: source.column, match: m.rel } : { ...source, match: m.rel };
    const linkAt = entryPath(p, m.rel, platform);
    const to = entryPath(target, m.rel, platform);
    // (names read from a folder are valid: only the length of the whole can be too much)
    const bad = ec.checkPath.total(linkAt) ?? ec.checkPath.total(to);
    if (bad !== undefined) {
      ec.problems.at(where, `glob match ${excerpt(m.rel)}: ${bad}`);
      break;
    }
    out.push(make(linkAt, to, from));
  }
  return out;
}

/** Adds the entries of `links[i]` (which applies here) to `desired`; problems reported. */
function expandEntry(link: RawLink, o: RawOptions, i: number, desired: Desired[], ec: EntryContext): void {
  const where: Where = ['links', i];
  const p = resolvePath(link.path, [...where, 'path'], ec);
  const target = link.target === undefined ? null : resolvePath(link.target, [...where, 'target'], ec);
  if ((o.state ?? 'present') === 'present' && link.target === undefined) ec.problems.at(where, 'missing "target" (what the link points to); only state: absent may leave it out');
  if (link.glob === undefined && (link.exclude !== undefined || link.fold !== undefined)) {
    ec.problems.at([...where, link.exclude !== undefined ? 'exclude' : 'fold'], 'only means something together with glob');
  }
  if (p === undefined || target === undefined) return;
  const source = sourceAt(where, ec);
  // (allowSystemPaths and relocate per entry only: defaults cannot set them)
  const plain = entryMaker(o, link.allowSystemPaths ?? false);
  const make: MakeEntry = link.relocate === true ? (at, to, from) => ({ ...plain(at, to, from), relocate: true }) : plain;
  if (link.relocate === true && (o.state ?? 'present') === 'absent') ec.problems.at([...where, 'relocate'], 'only means something for a link that is present (state: present)');
  if (link.glob === undefined) {
    desired.push(make(p, target, source));
    return;
  }
  if (target === null) return;
  const matched = globEntries(link, p, target, { where, source, make }, ec);
  for (let j = 0; j < matched.length; j++) desired.push(matched[j] as Desired);
}

/** The `Desired` entries of `raw.links` that apply on this machine, and how many were left out by their `when`. */
export function expandEntries(raw: RawManifest, ec: EntryContext): { desired: Desired[]; skipped: number } {
  const desired: Desired[] = [];
  let skipped = 0;
  const links = raw.links ?? [];
  for (let i = 0; i < links.length; i++) {
    const link = links[i] as RawLink;
    const o: RawOptions = { ...raw.defaults, ...link };
    if (!whenHolds(o.when, ec.machine)) {
      skipped++;
      continue;
    }
    expandEntry(link, o, i, desired, ec);
  }
  return { desired, skipped };
}
