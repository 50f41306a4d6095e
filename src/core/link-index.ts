/**
 * The index of a manifest's links, made once by whoever holds the list (loadManifest for the
 * loaded one) and handed to the layout checks, observe and the planner: the links the list makes,
 * by path key, and for each entry of the list where its target really leads once the list is
 * applied (a target that is, or lies inside, another link of the list is read through that link's
 * own target). A value, built from the list alone: no I/O, and nothing kept anywhere else.
 */
import { parentMemo, parentOf, pathKey, type AbsPath, type Platform } from './paths.js';
import type { Desired } from './types.js';

export interface LinkIndex {
  readonly platform: Platform;
  /** The links the list makes (present entries with a target that is not their own path), by `pathKey`. */
  readonly byPath: ReadonlyMap<string, Desired>;
  /** For entry `i` of the list: where its target leads through the list's links; null where it names none. */
  readonly targets: readonly (AbsPath | null)[];
}

/** The index of `desired` (read in `platform`'s path rules). */
export function linkIndex(desired: readonly Desired[], platform: Platform): LinkIndex {
  const byPath = linksByPath(desired, platform);
  return { platform, byPath, targets: resolvedTargets(desired, targetResolver(byPath, platform)) };
}

/** The links `desired` makes, by `pathKey`. */
function linksByPath(desired: readonly Desired[], platform: Platform): Map<string, Desired> {
  const byPath = new Map<string, Desired>();
  // (indexed loops, each in a function of its own: run once over thousands of links, mostly before
  // the optimiser gets to them)
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    const k = linkKey(d, platform);
    if (k !== undefined) byPath.set(k, d);
  }
  return byPath;
}

/** For each entry of `desired`, where its target leads (`resolve`), or null where it names none. */
function resolvedTargets(desired: readonly Desired[], resolve: (target: AbsPath) => AbsPath): (AbsPath | null)[] {
  const targets: (AbsPath | null)[] = [];
  for (let i = 0; i < desired.length; i++) {
    const t = (desired[i] as Desired).target;
    targets.push(t === null ? null : resolve(t));
  }
  return targets;
}

/**
 * The index of the list `links` was made for with `more` entries after it, none of which makes a
 * link (absent entries, such as those `--prune` adds): the links are the same, so only the new
 * entries' targets are worked out.
 */
export function withEntries(links: LinkIndex, more: readonly Desired[]): LinkIndex {
  const { platform, byPath } = links;
  const adding = more.find((d) => linkKey(d, platform) !== undefined);
  if (adding !== undefined) throw new Error(`${adding.path}: withEntries takes entries that make no link; index the whole list instead`);
  const resolve = targetResolver(byPath, platform);
  return { platform, byPath, targets: [...links.targets, ...more.map((d) => (d.target === null ? null : resolve(d.target)))] };
}

/**
 * The index of the entries `picked` (positions in the list `links` was made for), as a list of
 * their own: the links stay the whole list's (a target is still read through any of them), the
 * targets are the picked entries'.
 */
export function pickEntries(links: LinkIndex, picked: readonly number[]): LinkIndex {
  return { platform: links.platform, byPath: links.byPath, targets: picked.map((i) => links.targets[i] ?? null) };
}

/** Where the target of entry `i` (one that names a target) leads through the list's links. */
export function targetOf(links: LinkIndex, i: number): AbsPath {
  const t = links.targets[i];
  if (t === undefined || t === null) throw new Error(`links[${i}] has no target`);
  return t;
}

/**
 * The key of `d`'s path where `d` makes a link: present, with a target (a path that is its own
 * target is no link: the folder is where it would lead); undefined where it makes none.
 */
function linkKey(d: Desired, platform: Platform): string | undefined {
  if (d.state !== 'present' || d.target === null) return undefined;
  const k = pathKey(d.path, platform);
  return k === pathKey(d.target, platform) ? undefined : k;
}

/**
 * Where a target leads through the links of `byPath`, for many targets against one index:
 * folders found to have no link at or above them are remembered, so targets that share folders
 * cost a lookup or two.
 */
function targetResolver(byPath: ReadonlyMap<string, Desired>, platform: Platform): (target: AbsPath) => AbsPath {
  if (byPath.size === 0) return (t) => t;
  /** Keys of folders with no link of the list at or above them. */
  const clear = new Set<string>();
  // (targets come folder by folder: their folders' keys are found with their hashes computed)
  const folderOf = parentMemo(platform);
  /** One step: where `t` leads through the nearest link at or above it, or undefined where none is. */
  const step = (t: AbsPath): AbsPath | undefined => {
    let seen: string[] | undefined;
    for (let a = t, leaf = true; ; leaf = false) {
      const k = pathKey(a, platform);
      if (!leaf && clear.has(k)) break;
      const d = byPath.get(k);
      if (d !== undefined && d.target !== null) return (d.target + t.slice(a.length)) as AbsPath;
      if (!leaf) (seen ??= []).push(k);
      const up = leaf ? folderOf(a) : parentOf(a, platform);
      if (up === a) break;
      a = up;
    }
    if (seen !== undefined) for (let j = 0; j < seen.length; j++) clear.add(seen[j] as string);
    return undefined;
  };
  return (target) => {
    let t = target;
    for (let hops = 0; hops < 40; hops++) {
      const next = step(t);
      if (next === undefined) return t;
      t = next;
    }
    return t;
  };
}
