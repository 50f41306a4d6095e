/**
 * The planner: `computePlan(desired, observed)` decides, for every desired entry, what must
 * happen at its path, and returns a `Plan`. It is pure (no I/O, no clock, no randomness), so it
 * is tested as a table of every desired kind against every observed kind. It resolves `auto`
 * to a link type from what the link's own volume can hold (junctions on NTFS, on Windows or
 * through ntfs-3g) and says why, finds conflicts and guards (missing targets, hard links across
 * volumes, links on an NTFS volume that Windows could not follow, foreign reparse points, folders
 * that cannot be made, relative text that a linked folder would misdirect, paths reached through
 * a folder link (folder-links.ts), links someone else made, which only onConflict: backup may
 * replace), lists the folders to create, and orders the actions: removals first, then the rest in
 * manifest order (adopts that depend on each other ordered among themselves, adopt-order.ts).
 * Each action's fields come in one stable order for the JSON.
 */
import path from 'node:path';
import { isInside, isSameOrInside, parentMemo, parentOf, pathKey, relativeLinkText, resolveLinkText, type AbsPath, type Platform } from '../core/paths.js';
import { adoptArrivals, adoptOrder } from './adopt-order.js';
import { countingLink, folderLinksAbove, sourceTest, throughFolderLink, type FolderLink } from './folder-links.js';
import {
  PLAN_FORMAT_VERSION,
  type Action,
  type Capabilities,
  type Desired,
  type Entry,
  type KnownTarget,
  type LinkSpec,
  type LinkType,
  type Observed,
  type Outcome,
  type Plan,
  type PlanSummary,
  type Volume,
} from '../core/types.js';

export type DesiredIndex = ReadonlyMap<string, Desired>;

/** What `linksOf` gives for a list of links. */
export interface LinksOf {
  index: DesiredIndex;
  /** Where the target of link `i` of the list (one with a target) leads, through the links of the list: worked out once. */
  targetOf: (i: number) => AbsPath;
}

/**
 * The index and target resolver of one list of links, made once for it: observe and the planner
 * both ask (a list is not changed once made; its length is checked all the same).
 */
const linkIndexes = new WeakMap<readonly Desired[], LinksOf & { platform: Platform; length: number }>();

export function linksOf(desired: readonly Desired[], platform: Platform): LinksOf {
  let x = linkIndexes.get(desired);
  if (x === undefined || x.platform !== platform || x.length !== desired.length) {
    const index = indexDesired(desired, platform);
    const resolve = targetResolver(index, platform);
    const resolved: (AbsPath | undefined)[] = [];
    const targetOf = (i: number): AbsPath => {
      let t = resolved[i];
      if (t === undefined) {
        const target = (desired[i] as Desired).target;
        if (target === null) throw new Error(`links[${i}] has no target`);
        resolved[i] = t = resolve(target);
      }
      return t;
    };
    x = { platform, length: desired.length, index, targetOf };
    linkIndexes.set(desired, x);
  }
  return x;
}

export function indexDesired(desired: readonly Desired[], platform: Platform): DesiredIndex {
  const m = new Map<string, Desired>();
  // (indexed loops over the links here and below: a loop run once over thousands of them runs
  // unoptimised, where `for...of` costs an iterator step per element)
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    // (an entry whose path is its own target is no link: the folder is where it would lead)
    if (d.state !== 'present' || d.target === null) continue;
    const k = pathKey(d.path, platform);
    if (k !== pathKey(d.target, platform)) m.set(k, d);
  }
  return m;
}

/**
 * Where a target really leads once this manifest is applied: a target that is (inside) another
 * link of the same manifest is read through that link's desired target.
 */
export function effectiveTarget(target: AbsPath, index: DesiredIndex, platform: Platform): AbsPath {
  return targetResolver(index, platform)(target);
}

/**
 * `effectiveTarget` for many targets against one index: folders found to have no link of the
 * manifest at or above them are remembered, so targets that share folders cost a lookup or two.
 */
export function targetResolver(index: DesiredIndex, platform: Platform): (target: AbsPath) => AbsPath {
  if (index.size === 0) return (t) => t;
  /** Keys of paths with no link of the manifest at or above them. */
  const clear = new Set<string>();
  const folderOf = parentMemo(platform);
  return (target) => {
    let t = target;
    for (let hops = 0; hops < 40; hops++) {
      let next: AbsPath | undefined;
      // (made only when a folder not yet known clear is met: most targets meet none)
      let seen: string[] | undefined;
      // the target itself is looked up, not remembered: most targets are resolved once
      for (let a = t, leaf = true; ; leaf = false) {
        const k = pathKey(a, platform);
        if (!leaf && clear.has(k)) break;
        const d = index.get(k);
        if (d !== undefined && d.target !== null) {
          next = (d.target + t.slice(a.length)) as AbsPath;
          break;
        }
        if (!leaf) (seen ??= []).push(k);
        const up = leaf && hops === 0 ? folderOf(a) : parentOf(a, platform);
        if (up === a) break;
        a = up;
      }
      if (next === undefined) {
        if (seen !== undefined) for (let i = 0; i < seen.length; i++) clear.add(seen[i] as string);
        return t;
      }
      t = next;
    }
    return t;
  };
}

export function describeEntry(e: Entry): string {
  switch (e.kind) {
    case 'absent':
      return 'nothing';
    case 'file':
      return e.nlink > 1 ? `a regular file (with ${e.nlink} hard links)` : 'a regular file';
    case 'dir':
      return 'a folder';
    case 'symlink':
      return `a symbolic link to ${e.linkText}`;
    case 'junction':
      return `a junction to ${e.linkText}`;
    case 'reparse':
      return `a ${e.tagName} reparse point (tag 0x${e.tag.toString(16).toUpperCase().padStart(8, '0')})`;
    case 'special':
      return `a ${e.what.replace('-', ' ')}`;
  }
}

const isLink = (e: Entry): e is Extract<Entry, { kind: 'symlink' | 'junction' }> => e.kind === 'symlink' || e.kind === 'junction';
const inTheWay = (e: Entry): boolean => e.kind === 'file' || e.kind === 'dir' || e.kind === 'special';
/** Nothing at a path: one object, shared. */
export const ABSENT: Entry = { kind: 'absent' };
const ABSENT_TARGET: KnownTarget = { kind: 'absent' };
/** The file a target is, when it was read (not only listed): what hard links are compared by. */
const fileIdOf = (t: KnownTarget): string | undefined => (t.kind === 'file' && 'fileId' in t ? t.fileId : undefined);

/** Where a requested type's choices are kept (see `plainChoices`). */
const TYPE_SLOT: Record<Desired['type'], number> = { auto: 0, symlink: 1, junction: 2, hardlink: 3 };

type TypeChoice = { ok: true; type: LinkType; why: string; notes: string[] } | { ok: false; problem: string; hint: string };

/** `D:\ at /mnt/d`: an NTFS volume as the plan names it. */
function volumeName(v: Volume): string {
  return `${v.windows} at ${v.mount}`;
}

/**
 * The link type for `d`, from what the link's own volume can hold (`caps`): where junctions exist
 * (Windows, or an NTFS volume written through ntfs-3g, `ntfs`), a folder gets a junction and a
 * file a symbolic link; elsewhere a symbolic link stands in for everything.
 */
function chooseType(d: Desired, targetKind: 'file' | 'dir' | 'other', platform: Platform, caps: Capabilities, ntfs: Volume | undefined): TypeChoice {
  const what = targetKind === 'dir' ? 'a folder' : targetKind === 'file' ? 'a file' : 'neither a file nor a folder';
  const on = ntfs === undefined ? '' : ` on the NTFS volume ${volumeName(ntfs)}`;
  switch (d.type) {
    case 'auto':
      if (!caps.junctions) return { ok: true, type: 'symlink', why: `auto: a symbolic link, the native link on ${platform}`, notes: [] };
      if (targetKind === 'dir') {
        if (d.relative && caps.symlinks) return { ok: true, type: 'symlink', why: `auto: a symbolic link${on}, since a relative link needs one`, notes: [] };
        if (ntfs !== undefined) return { ok: true, type: 'junction', why: `auto: a junction${on}, the folder link Windows follows without privilege`, notes: [] };
        return { ok: true, type: 'junction', why: 'auto: a junction, which needs no privilege', notes: [] };
      }
      if (ntfs !== undefined && caps.symlinks) return { ok: true, type: 'symlink', why: `auto: a symbolic link${on} (junctions lead only to folders)`, notes: [] };
      if (caps.symlinks) return { ok: true, type: 'symlink', why: 'auto: a symbolic link (this user may create them)', notes: [] };
      return {
        ok: true,
        type: 'hardlink',
        why: 'auto: a hard link, since this user may not create symbolic links',
        notes: [`symbolic links are unavailable${caps.symlinkNote === undefined ? '' : ` (${caps.symlinkNote})`}; a hard link to a file splits if an app saves by replacing the file`],
      };
    case 'junction':
      if (targetKind !== 'dir') return { ok: false, problem: `a junction can only point to a folder, and the target is ${what}`, hint: 'use type: symlink or hardlink for files' };
      if (!caps.junctions) {
        return {
          ok: true,
          type: 'symlink',
          why: 'junction requested; a directory symbolic link stands in for it',
          notes: [
            platform === 'win32'
              ? 'junctions exist only on NTFS, and this volume has none; a directory symbolic link stands in for it'
              : `junctions exist only on NTFS; on ${platform} a directory symbolic link stands in for it`,
          ],
        };
      }
      return { ok: true, type: 'junction', why: `junction requested${on}`, notes: d.relative ? ['junction targets are always absolute; relative is ignored'] : [] };
    case 'symlink':
      if (!caps.symlinks) {
        return {
          ok: false,
          problem: `cannot create symbolic links here${caps.symlinkNote === undefined ? '' : `: ${caps.symlinkNote}`}`,
          hint: 'enable Developer Mode or run elevated, or use type: auto (a junction for folders)',
        };
      }
      return { ok: true, type: 'symlink', why: `symlink requested${on}`, notes: [] };
    case 'hardlink':
      if (targetKind !== 'file') return { ok: false, problem: `a hard link can only point to a file, and the target is ${what}`, hint: 'use type: symlink (or junction for a folder)' };
      return { ok: true, type: 'hardlink', why: `hardlink requested${on}`, notes: [] };
  }
}

/** Of `volumes`, the one that holds `p`: the longest mount point that is `p` or lies above it. */
export function volumeHolding<V extends { mount: string }>(p: string, volumes: readonly V[], platform: Platform): V | undefined {
  let best: V | undefined;
  for (let i = 0; i < volumes.length; i++) {
    const v = volumes[i] as V;
    if (isSameOrInside(p, v.mount, platform) && (best === undefined || v.mount.length > best.mount.length)) best = v;
  }
  return best;
}

/** The path Windows reads for Linux path `p` on NTFS volume `v`: `/mnt/d/a/b` is `D:\a\b`. */
export function windowsPathOn(v: Volume, p: string): string {
  const rest = path.posix.relative(v.mount, p);
  return rest === '' ? v.windows : v.windows + rest.split('/').join('\\');
}

function linkTextFor(d: Desired & { target: AbsPath }, type: LinkType, platform: Platform): string {
  return type === 'symlink' && d.relative ? relativeLinkText(d.path, d.target, platform) : d.target;
}

function afterOf(link: LinkSpec): Outcome {
  return link.type === 'hardlink' ? { kind: 'hardlink', target: link.target } : { kind: link.type, linkText: link.linkText };
}

/** A link linkplan made, as its records keep it. */
export interface MadeLink {
  type: LinkType;
  linkText: string;
}

export interface PlanOptions {
  manifest: { path: string; digest: string };
  /**
   * The links linkplan made for this manifest (its records), by path: asked for only when a link
   * the manifest wants elsewhere is found, so most plans never read them. A link that is not
   * there, or no longer holds the text linkplan wrote, is someone else's: it is replaced only where
   * the entry's onConflict allows it.
   */
  made?: () => ReadonlyMap<string, MadeLink>;
}

export function computePlan(desired: readonly Desired[], observed: Observed, opts: PlanOptions): Plan {
  const { platform } = observed;
  const key = (p: string): string => pathKey(p, platform);
  const { index, targetOf } = linksOf(desired, platform);
  const entryAt = (p: AbsPath): Entry => observed.entries.get(key(p)) ?? ABSENT;
  const targetAt = (p: AbsPath): KnownTarget => observed.targets.get(key(p)) ?? ABSENT_TARGET;
  const sameText = (a: string, b: string): boolean => (platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b);
  /** What can be made at `p`: its volume's capabilities. */
  const capsAt = (p: AbsPath): Capabilities => observed.pathCapabilities?.get(key(p)) ?? observed.capabilities;
  const volumes = observed.volumes ?? [];
  /** The NTFS volume written through ntfs-3g that holds `p`, if any. */
  const volumeAt = (p: string): Volume | undefined => volumeHolding(p, volumes, platform);

  /** An absent entry removes the link at its path when it names no target, or the link leads there. */
  const removes = (d: Desired, e: Entry): boolean =>
    isLink(e) &&
    (d.prune !== undefined
      ? e.kind === d.prune.type && sameText(e.linkText, d.prune.linkText)
      : d.target === null || key(resolveLinkText(d.path, e.linkText, platform)) === key(d.target));

  const folderOf = parentMemo(platform);
  const manifestDir = parentOf(opts.manifest.path as AbsPath, platform);
  const linksAbove = folderLinksAbove(entryAt, platform);
  const leadsToFolder = (p: AbsPath): boolean => targetAt(p).kind === 'dir';
  // links this plan removes: a folder may be made in their place (never one reached through a
  // folder link: nothing is removed through one)
  const removed = new Set<string>();
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    if (d.state !== 'absent' || !removes(d, entryAt(d.path))) continue;
    if (countingLink(linksAbove(folderOf(d.path)), { platform, manifestDir, target: d.target, leadsToFolder }) === undefined) removed.add(key(d.path));
  }
  const isRemoved = (p: AbsPath): boolean => removed.has(key(p));
  /** Whether a folder lies in the manifest's folder or in a link's target: a source, never written through a folder link. */
  const inSource = sourceTest(
    function* () {
      for (let i = 0; i < desired.length; i++) if ((desired[i] as Desired).target !== null) yield (desired[i] as Desired).target as AbsPath;
    },
    { platform, manifestDir },
  );
  /** The link this plan removes that `p` would be reached through, if any. */
  const removedOnTheWay = (p: AbsPath): AbsPath | undefined => {
    if (removed.size === 0) return undefined;
    for (let a = p; ; a = parentOf(a, platform)) {
      if (removed.has(key(a))) return a;
      if (parentOf(a, platform) === a) return undefined;
    }
  };
  const willCreate = new Set<string>();
  /** The targets adopts bring something into (see adopt-order.ts). */
  const arrivals = adoptArrivals(desired, { entryAt, targetAt, targetOf, key });
  /** The adopt targets planned so far, by key: two adopts cannot move into one place. */
  const adoptedInto = new Map<string, Desired>();
  /** What is at `p` once the links this plan removes are gone: nothing, below one of them. */
  const entryAfterRemovals = (p: AbsPath): Entry => (removed.size > 0 && removedOnTheWay(parentOf(p, platform)) !== undefined ? ABSENT : entryAt(p));

  /** Missing folders above `p`, outermost first, or why none can be made. */
  const missingParents = (p: AbsPath, throughArrivals = false): { ok: true; dirs: AbsPath[]; dev?: number } | { ok: false; problem: string } => {
    const dirs: AbsPath[] = [];
    for (let a = folderOf(p); ; a = parentOf(a, platform)) {
      if (willCreate.has(key(a))) return { ok: true, dirs };
      if (throughArrivals && arrivals.has(key(a))) {
        const dev = arrivals.get(key(a));
        return dev === undefined ? { ok: true, dirs } : { ok: true, dirs, dev };
      }
      const e = entryAfterRemovals(a);
      if (e.kind === 'dir') return { ok: true, dirs, dev: e.dev };
      if (e.kind === 'absent') {
        dirs.unshift(a);
        if (parentOf(a, platform) === a) return { ok: false, problem: `the volume ${a} does not exist` };
        continue;
      }
      if (isLink(e)) {
        if (removed.has(key(a))) {
          dirs.unshift(a);
          return { ok: true, dirs };
        }
        const t = targetAt(a);
        if (t.kind === 'dir') return 'dev' in t ? { ok: true, dirs, dev: t.dev } : { ok: true, dirs };
        return { ok: false, problem: `its folder ${a} is ${describeEntry(e)}, which leads to ${t.kind === 'absent' ? 'nothing' : 'a file'}` };
      }
      return { ok: false, problem: `its folder ${a} is ${describeEntry(e)}, so no folder can be made there` };
    }
  };

  /** The nearest folder above `p` that is a link (and stays one), up to the first real folder. */
  const linkedFolder = (p: AbsPath): { path: AbsPath; linkText: string } | undefined => {
    for (let a = parentOf(p, platform); ; a = parentOf(a, platform)) {
      const e = entryAt(a);
      if (isLink(e)) return removed.has(key(a)) ? undefined : { path: a, linkText: e.linkText };
      if (e.kind !== 'absent' || parentOf(a, platform) === a) return undefined;
    }
  };

  /** A link linkplan made earlier and the manifest dropped: removed only while it is still that link. */
  const planPrune = (d: Desired, made: NonNullable<Desired['prune']>, before: Entry): Action => {
    const base = { path: d.path, source: d.source, before, notes: [] as string[] };
    if (before.kind === 'absent') return noop(base, 'prune: already gone');
    if (made.outside === true) return noop(base, 'prune: left alone; it lies outside the folders this manifest manages now (its links are made elsewhere this time)');
    if (isLink(before) && before.kind === made.type && sameText(before.linkText, made.linkText)) {
      return { ...base, kind: 'remove', reason: `prune: linkplan made this ${made.type} and the manifest no longer declares it`, after: ABSENT };
    }
    if (made.type === 'hardlink' && before.kind === 'file' && before.nlink > 1 && d.target !== null) {
      const t = targetAt(d.target);
      if (fileIdOf(t) === before.fileId) {
        return { ...base, kind: 'remove', reason: 'prune: linkplan made this hard link and the manifest no longer declares it', after: ABSENT, removeTarget: d.target };
      }
    }
    return noop(base, `prune: left alone; linkplan made a ${made.type} to ${made.linkText} here, and it is now ${describeEntry(before)}`);
  };

  /** An entry reached through the folder link `via`: its action, or undefined to plan it as usual. */
  const throughFolder = (d: Desired, before: Entry, via: FolderLink, i: number): Action | undefined => {
    const eff = d.target === null ? null : targetOf(i);
    const verdict = throughFolderLink(d, before, via, {
      platform,
      folder: folderOf(d.path),
      effectiveTarget: eff,
      sameFile: () => eff !== null && before.kind === 'file' && fileIdOf(targetAt(eff)) === before.fileId,
      inSource,
      what: describeEntry(before),
    });
    if (verdict === undefined) return undefined;
    return verdict.kind === 'noop' ? noop(baseOf(d, before), verdict.reason) : conflictOf(d, before, verdict.problem, verdict.hint);
  };

  /** Whether linkplan made the link `e` at `p` (its records hold it, with this text). */
  const madeHere = (p: AbsPath, e: Extract<Entry, { kind: 'symlink' | 'junction' }>): boolean => {
    const m = opts.made?.().get(p);
    return m !== undefined && m.type === e.kind && sameText(m.linkText, e.linkText);
  };

  /**
   * A link someone else made (or changed since linkplan made it) where the manifest wants one to
   * another place: replaced only where onConflict says backup, and then still atomically (a retarget),
   * with a copy of the old link kept under the backup name first (restorable with `linkplan backups
   * restore`); otherwise a conflict.
   */
  const foreignLink = (d: Desired, before: Extract<Entry, { kind: 'symlink' | 'junction' }>, linkBase: Omit<Action, 'kind' | 'reason'>): Action => {
    const what = `${describeEntry(before)}, which linkplan did not make,`;
    const backupPath = d.onConflict === 'backup' ? observed.backupSlots.get(key(d.path)) : undefined;
    if (backupPath !== undefined) {
      return { ...linkBase, kind: 'retarget', reason: `is ${what} and is replaced; a copy of it is kept at ${backupPath}`, backupPath };
    }
    return blockedOf(
      linkBase,
      `${what} is in the way${d.onConflict === 'adopt' ? ' (a link cannot be adopted)' : ''}`,
      'set onConflict: backup to move it aside (kept as a backup, put back with `linkplan backups restore`) and make the new link, or remove it yourself',
    );
  };

  /** Made per action only where it is used (most actions of a big plan are creates). */
  const baseOf = (d: Desired, before: Entry): { path: AbsPath; source: Desired['source']; before: Entry; notes: string[] } => ({ path: d.path, source: d.source, before, notes: [] });
  const conflictOf = (d: Desired, before: Entry, problem: string, hint: string): Action => ({ ...baseOf(d, before), kind: 'conflict', reason: problem, hint, after: before });
  const blockedOf = (linkBase: Omit<Action, 'kind' | 'reason'>, problem: string, hint: string): Action => ({ ...linkBase, kind: 'conflict', reason: problem, hint, after: linkBase.before });

  /** The link type chosen for entries off the NTFS volumes, by what it depends on. */
  const plainChoices: (TypeChoice | undefined)[] = [];
  const actions: Action[] = [];
  const order = adoptOrder(desired, arrivals, { targetOf, key });
  for (let n = 0; n < desired.length; n++) {
    const i = order === undefined ? n : (order[n] as number);
    const d = desired[i] as Desired;
    let before = entryAt(d.path);
    const above = linksAbove(folderOf(d.path));
    if (above.length > 0) {
      const via = countingLink(above, { platform, manifestDir, target: d.target, removed: isRemoved, leadsToFolder });
      const through = via === undefined ? undefined : throughFolder(d, before, via, i);
      if (through !== undefined) {
        actions.push(through);
        continue;
      }
      // below a link this plan removes, the path will be in a new, empty folder
      if (removed.size > 0 && above.some((l) => isRemoved(l.path))) before = ABSENT;
    }

    if (d.prune !== undefined) {
      actions.push(planPrune(d, d.prune, before));
      continue;
    }
    if (d.state === 'absent') {
      if (before.kind === 'absent') {
        actions.push(noop(baseOf(d, before), 'already absent'));
      } else if (isLink(before)) {
        if (removes(d, before)) {
          actions.push({ ...baseOf(d, before), kind: 'remove', reason: `state: absent; removes ${describeEntry(before)}`, after: ABSENT });
        } else {
          actions.push(conflictOf(d, before, `is ${describeEntry(before)}, not to ${d.target ?? ''}; left alone`, 'leave out target to remove the link whatever it points to'));
        }
      } else if (before.kind === 'dir' && desired.some((o) => o.state === 'present' && isInside(o.path, d.path, platform))) {
        // the link was removed and a folder made in its place for the links inside (a second run)
        actions.push(noop(baseOf(d, before), 'a real folder, which links of this manifest are made in; no link here'));
      } else if (before.kind === 'file' && d.target !== null && before.nlink > 1) {
        const t = targetAt(targetOf(i));
        if (fileIdOf(t) === before.fileId) {
          actions.push({ ...baseOf(d, before), kind: 'remove', reason: `state: absent; removes this hard link of ${d.target}`, after: ABSENT, removeTarget: d.target });
        } else {
          actions.push(conflictOf(d, before, `is a regular file that is not a hard link of ${d.target}; linkplan never deletes files`, 'remove it yourself if you mean to, or drop the entry'));
        }
      } else {
        actions.push(conflictOf(d, before, `is ${describeEntry(before)}, not a link; linkplan never deletes files or folders`, 'remove it yourself if you mean to, or drop the entry'));
      }
      continue;
    }

    if (d.target === null) continue; // the loader refuses this; nothing to plan
    const dt = d as Desired & { target: AbsPath };
    if (key(d.path) === key(dt.target)) {
      // a repository cloned where the manifest links it to (`{ path: ~/.dotfiles, target: . }`)
      actions.push(
        before.kind === 'absent'
          ? conflictOf(d, before, `its target ${dt.target} does not exist`, 'create the target first, or fix the path in the manifest')
          : noop(baseOf(d, before), 'already in place: the path is the target itself'),
      );
      continue;
    }
    if (before.kind === 'reparse') {
      actions.push(conflictOf(d, before, `is ${describeEntry(before)}, which linkplan does not touch`, 'remove or move it with the tool that made it, or choose another path'));
      continue;
    }
    const effTarget = targetOf(i);
    const through = removedOnTheWay(effTarget);
    if (through !== undefined) {
      actions.push(conflictOf(d, before, `its target ${dt.target} is reached through ${through}, a link this plan removes`, 'point the link at the real folder, or keep the other link'));
      continue;
    }
    const t = targetAt(effTarget);
    const adopting = inTheWay(before) && d.onConflict === 'adopt' && t.kind === 'absent';
    if (adopting && before.kind === 'special') {
      actions.push(conflictOf(d, before, `${describeEntry(before)} is in the way, and only a file or a folder can be adopted`, 'use onConflict: backup to move it aside, or remove it yourself'));
      continue;
    }
    const targetKind = adopting ? (before.kind === 'dir' ? 'dir' : before.kind === 'file' ? 'file' : 'other') : t.kind;
    if (targetKind === 'absent') {
      actions.push(conflictOf(d, before, `its target ${dt.target} does not exist`, 'create the target first, or fix the path in the manifest'));
      continue;
    }
    if (targetKind === 'other') {
      actions.push(conflictOf(d, before, `its target ${dt.target} is neither a file nor a folder`, 'point the link at a file or a folder'));
      continue;
    }
    const ntfs = volumeAt(d.path);
    const caps = capsAt(d.path);
    let choice: TypeChoice;
    if (ntfs === undefined && caps === observed.capabilities) {
      // off the NTFS volumes the choice depends on these alone: one per kind of entry, not per entry
      const k = TYPE_SLOT[d.type] * 4 + (d.relative ? 2 : 0) + (targetKind === 'dir' ? 1 : 0);
      choice = plainChoices[k] ??= chooseType(d, targetKind, platform, caps, ntfs);
    } else {
      choice = chooseType(d, targetKind, platform, caps, ntfs);
    }
    if (!choice.ok) {
      actions.push(conflictOf(d, before, choice.problem, choice.hint));
      continue;
    }
    const link: LinkSpec = { type: choice.type, target: dt.target, linkText: linkTextFor(dt, choice.type, platform) };
    const notes = choice.notes.length === 0 ? [] : [...choice.notes];
    const after = afterOf(link);
    const linkBase = { path: d.path, source: d.source, before, notes, link, after };

    if (ntfs !== undefined && link.type !== 'hardlink') {
      // Windows reads this link: its text must name a place on an NTFS volume Windows knows
      const there = volumeAt(dt.target);
      if (there === undefined) {
        actions.push(
          blockedOf(
            linkBase,
            `its target ${dt.target} is on no NTFS volume listed under volumes:, so Windows could not follow a ${link.type} on ${ntfs.windows} to it`,
            'move the target onto an NTFS volume listed under volumes:, or make the link on another filesystem',
          ),
        );
        continue;
      }
      if (link.linkText !== link.target && there !== ntfs) {
        actions.push(
          blockedOf(
            linkBase,
            `relative text cannot lead from the NTFS volume ${ntfs.windows} to ${there.windows}: Windows reads it within the link's own volume`,
            'use relative: false',
          ),
        );
        continue;
      }
      if (link.linkText === link.target) notes.push(`written for Windows as ${windowsPathOn(there, dt.target)}`);
    }

    if (link.type === 'symlink' && link.linkText !== link.target) {
      // the OS reads relative text from where the link's folder really is, not from the path given
      const via = linkedFolder(d.path);
      if (via !== undefined) {
        const real = (resolveLinkText(via.path, via.linkText, platform) + d.path.slice(via.path.length)) as AbsPath;
        if (key(resolveLinkText(real, link.linkText, platform)) !== key(dt.target)) {
          actions.push(
            blockedOf(
              linkBase,
              `relative text ${link.linkText} would not reach ${dt.target}: the folder ${via.path} is a link to ${via.linkText}, and the text is read from there`,
              'use relative: false, or give the path through the real folder',
            ),
          );
          continue;
        }
      }
    }

    if (link.type === 'hardlink' && !adopting) {
      // a hard link needs its target's file on the same volume as the link's folder
      const parents = missingParents(d.path);
      const here = before.kind === 'file' || before.kind === 'dir' ? before.dev : parents.ok ? parents.dev : undefined;
      if (t.kind === 'file' && 'dev' in t && here !== undefined && here !== t.dev) {
        actions.push(conflictOf(d, before, `hard links cannot cross volumes, and ${dt.target} is on another volume`, 'use type: symlink'));
        continue;
      }
      if (index.has(key(dt.target))) {
        actions.push(conflictOf(d, before, `its target ${dt.target} is itself a link of this manifest; a hard link needs a real file`, 'point the hard link at the file itself'));
        continue;
      }
    }

    if (before.kind === 'absent') {
      const parents = missingParents(d.path);
      if (!parents.ok) {
        actions.push(conflictOf(d, before, parents.problem, 'fix the path, or move what is in the way'));
        continue;
      }
      if (parents.dirs.length > 0 && !d.createParents) {
        actions.push(conflictOf(d, before, `its folder ${parents.dirs[0] ?? ''} does not exist, and createParents is off`, 'create the folder, or set createParents: true'));
        continue;
      }
      for (let k = 0; k < parents.dirs.length; k++) willCreate.add(key(parents.dirs[k] as AbsPath));
      // in the canonical field order (thousands of these on a first apply)
      actions.push(
        parents.dirs.length > 0
          ? { kind: 'create', path: d.path, source: d.source, reason: choice.why, before, after, link, parents: parents.dirs, notes }
          : { kind: 'create', path: d.path, source: d.source, reason: choice.why, before, after, link, notes },
      );
      continue;
    }

    if (isLink(before)) {
      if (before.kind === link.type && sameText(before.linkText, link.linkText)) {
        actions.push(noop(baseOf(d, before), `already ${describeEntry(before)}`));
      } else {
        const samePlace = key(resolveLinkText(d.path, before.linkText, platform)) === key(resolveLinkText(d.path, link.linkText, platform));
        if (!samePlace && !madeHere(d.path, before)) {
          actions.push(foreignLink(d, before, linkBase));
          continue;
        }
        const why =
          before.kind !== link.type
            ? `is ${describeEntry(before)}; should be a ${link.type} to ${link.linkText}`
            : samePlace
              ? `link text is ${before.linkText}; should be ${link.linkText} (same place, ${d.relative ? 'relative' : 'absolute'} form)`
              : `points to ${before.linkText}; should point to ${link.linkText}`;
        actions.push({ ...linkBase, kind: 'retarget', reason: why });
      }
      continue;
    }

    if (before.kind === 'file' && link.type === 'hardlink' && fileIdOf(t) === before.fileId) {
      actions.push(noop(baseOf(d, before), `already a hard link of ${dt.target}`));
      continue;
    }

    // something real is in the way
    const what = describeEntry(before);
    if (d.onConflict === 'refuse') {
      actions.push(
        blockedOf(
          linkBase,
          `${what} is in the way`,
          'set onConflict: backup to move it aside, or onConflict: adopt to move it into the target; linkplan never deletes it',
        ),
      );
    } else if (d.onConflict === 'backup') {
      const backupPath = observed.backupSlots.get(key(d.path));
      if (backupPath === undefined) {
        actions.push(conflictOf(d, before, `${what} is in the way, and no backup name was found for it`, 'run plan again'));
        continue;
      }
      actions.push({ ...linkBase, kind: 'backup-and-link', reason: `${what} is in the way; it is moved aside to ${backupPath}`, backupPath });
    } else if (!adopting) {
      actions.push(
        blockedOf(
          linkBase,
          `${what} is in the way, and it cannot be adopted because the target ${dt.target} exists already`,
          'use onConflict: backup to move it aside instead, or merge the two yourself',
        ),
      );
    } else {
      const atTarget = entryAt(effTarget);
      if (atTarget.kind !== 'absent') {
        // nothing to follow there (a dangling link, say), but the move would still find it in the way
        actions.push(conflictOf(d, before, `cannot adopt into ${dt.target}: it is ${describeEntry(atTarget)}`, 'remove what is at the target, or use onConflict: backup'));
        continue;
      }
      const other = adoptedInto.get(key(effTarget));
      if (other !== undefined) {
        actions.push(conflictOf(d, before, `cannot adopt into ${dt.target}: ${other.source.where} adopts into it too`, 'give each adopt a target of its own, or use onConflict: backup'));
        continue;
      }
      adoptedInto.set(key(effTarget), d);
      const targetParents = missingParents(effTarget, true);
      if (!targetParents.ok) {
        actions.push(conflictOf(d, before, `cannot adopt into ${dt.target}: ${targetParents.problem}`, 'fix the target path'));
        continue;
      }
      const herDev = before.kind === 'file' || before.kind === 'dir' ? before.dev : undefined;
      if (herDev !== undefined && targetParents.dev !== undefined && herDev !== targetParents.dev) {
        actions.push(conflictOf(d, before, `cannot adopt ${what} into ${dt.target}: the two are on different volumes`, 'move it yourself, or use onConflict: backup'));
        continue;
      }
      for (const p of targetParents.dirs) willCreate.add(key(p));
      actions.push({
        ...linkBase,
        kind: 'adopt',
        reason: `${what} is in the way; it is moved to the target ${dt.target}, then linked`,
        ...(targetParents.dirs.length > 0 ? { targetParents: targetParents.dirs } : {}),
      });
    }
  }

  // removals first, so a path they free can be reused; otherwise manifest order
  const removals = actions.filter((a) => a.kind === 'remove');
  const ordered = (removals.length === 0 ? actions : [...removals, ...actions.filter((a) => a.kind !== 'remove')]).map(canonical);
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    manifest: opts.manifest,
    platform,
    ...(volumes.length > 0 ? { volumes: volumes.map((v) => ({ mount: v.mount, windows: v.windows })) } : {}),
    actions: ordered,
    summary: summarize(ordered),
  };
}

/** The order of an action's fields in the JSON plan: what and where first, then how and why. */
const FIELD_ORDER: Record<keyof Action, true> = {
  kind: true,
  path: true,
  source: true,
  reason: true,
  before: true,
  after: true,
  link: true,
  parents: true,
  targetParents: true,
  backupPath: true,
  removeTarget: true,
  notes: true,
  hint: true,
  diff: true,
};
const ACTION_FIELDS = Object.keys(FIELD_ORDER) as (keyof Action)[];

/** A noop: nothing changes at the path. Built in the canonical field order. */
function noop(base: { path: AbsPath; source: Desired['source']; before: Entry; notes: string[] }, reason: string): Action {
  return { kind: 'noop', path: base.path, source: base.source, reason, before: base.before, after: base.before, notes: base.notes };
}

/** The same action with its fields in one stable order, so `plan --json` reads the same every time. */
function canonical(a: Action): Action {
  if (a.kind === 'noop' || a.kind === 'create') return a; // made in order already
  const out: Record<string, unknown> = {};
  for (const f of ACTION_FIELDS) if (a[f] !== undefined) out[f] = a[f];
  return out as unknown as Action;
}

export function summarize(actions: readonly Action[]): PlanSummary {
  const s: PlanSummary = { create: 0, retarget: 0, remove: 0, backup: 0, adopt: 0, unchanged: 0, conflict: 0 };
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as Action;
    if (a.kind === 'create') s.create++;
    else if (a.kind === 'retarget') s.retarget++;
    else if (a.kind === 'remove') s.remove++;
    else if (a.kind === 'backup-and-link') s.backup++;
    else if (a.kind === 'adopt') s.adopt++;
    else if (a.kind === 'noop') s.unchanged++;
    else s.conflict++;
  }
  return s;
}

export function hasChanges(plan: Plan): boolean {
  return plan.actions.some((a) => a.kind !== 'noop' && a.kind !== 'conflict');
}
