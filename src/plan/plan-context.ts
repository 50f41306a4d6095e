/**
 * What the planner knows while it plans, made once per plan: lookups into what observe read (the
 * entry, target and capabilities at a path, the NTFS volume holding it), the manifest's own
 * links (its `LinkIndex`), the folder links above each path, the links this plan removes (a
 * folder may be made in their place), the targets adopts bring something into; and what the plan
 * has taken so far (folders it creates, adopt targets). Also the questions asked of all that:
 * which folders a path still needs, which folder link above it is read by the OS.
 */
import { parentMemo, parentOf, pathKey, resolveLinkText, type AbsPath, type Platform } from '../core/paths.js';
import { ABSENT, describeEntry } from '../core/entries.js';
import { targetOf, type LinkIndex } from '../core/link-index.js';
import { volumeHolding } from '../core/volumes.js';
import { adoptArrivals } from './adopt-order.js';
import { countingLink, folderLinksAbove, sourceTest, type FolderLink } from './folder-links.js';
import type { Capabilities, Desired, Entry, LinkType, Observed, TargetInfo, TargetKind, Volume } from '../core/types.js';

/** A link linkplan made, as its records keep it. */
export interface MadeLink {
  type: LinkType;
  linkText: string;
}

export interface PlanOptions {
  manifest: { path: string; digest: string };
  /** The index of the list of links planned (`linkIndex(desired, platform)`; a loaded manifest carries it). */
  links: LinkIndex;
  /**
   * The links linkplan made for this manifest (its records), by path: asked for only when a link
   * the manifest wants elsewhere is found, so most plans never read them. A link that is not
   * there, or no longer holds the text linkplan wrote, is someone else's: it is replaced only where
   * the entry's onConflict allows it.
   */
  made?: () => ReadonlyMap<string, MadeLink>;
}

export type LinkEntry = Extract<Entry, { kind: 'symlink' | 'junction' }>;
export const isLink = (e: Entry): e is LinkEntry => e.kind === 'symlink' || e.kind === 'junction';
const ABSENT_TARGET: TargetInfo = { kind: 'absent' };

/** Lookups into what observe read. */
export interface Lookups {
  platform: Platform;
  key: (p: string) => string;
  entryAt: (p: AbsPath) => Entry;
  /** What `p` leads to, with which file and volume it is (observe must have read that). */
  targetAt: (p: AbsPath) => TargetInfo;
  /** What kind of thing `p` leads to. */
  kindAt: (p: AbsPath) => TargetKind;
  /** What can be made at `p`: its volume's capabilities. */
  capsAt: (p: AbsPath) => Capabilities;
  /** The NTFS volume written through ntfs-3g that holds `p`, if any. */
  volumeAt: (p: string) => Volume | undefined;
  /** Whether two link texts are the same (ignoring case on Windows). */
  sameText: (a: string, b: string) => boolean;
  /**
   * The key of the place a link at `linkPath` with text `text` leads to, a volume GUID path read as
   * the drive it names (where observe knows it), so both forms of one target compare equal.
   */
  placeKey: (linkPath: AbsPath, text: string) => string;
}

export interface PlanContext extends Lookups {
  desired: readonly Desired[];
  observed: Observed;
  opts: PlanOptions;
  /** Where the target of entry `i` leads (through the manifest's own links). */
  targetOf: (i: number) => AbsPath;
  /** `parentOf`, for the entries' paths in turn (see parentMemo: the planner asks it of each path, folder by folder). */
  folderOf: (p: AbsPath) => AbsPath;
  manifestDir: AbsPath;
  /** The folder links at and above a folder, nearest first. */
  linksAbove: (dir: AbsPath) => readonly FolderLink[];
  leadsToFolder: (p: AbsPath) => boolean;
  /** Keys of the links this plan removes. */
  removed: ReadonlySet<string>;
  /** Whether a folder lies in the manifest's folder or in a link's target: a source, never written through a folder link. */
  inSource: (dir: AbsPath) => boolean;
  /** The targets adopts bring something into (see adopt-order.ts). */
  arrivals: ReadonlyMap<string, number | undefined>;
  /** Keys of the folders the plan creates so far. */
  willCreate: Set<string>;
  /** The adopt targets planned so far, by key: two adopts cannot move into one place. */
  adoptedInto: Map<string, Desired>;
}

/** A target observe did not read in full: absent, unless it read its kind alone (then asking is a bug). */
function absentTarget(observed: Observed, k: string, p: AbsPath): TargetInfo {
  const kind = observed.targetKinds?.get(k);
  if (kind === undefined || kind === 'absent') return ABSENT_TARGET;
  throw new Error(`computePlan: observe read only what kind of thing ${p} is (${kind}), not which file or volume`);
}

/** The drive root (`C:\`) each known volume GUID root (`\\?\Volume{GUID}\`) is, by the GUID root's key. */
function drivesByGuid(observed: Observed): ReadonlyMap<string, string> | undefined {
  if (observed.volumeGuids === undefined || observed.volumeGuids.size === 0) return undefined;
  const out = new Map<string, string>();
  for (const [drive, guid] of observed.volumeGuids) out.set(guid.toLowerCase(), drive);
  return out;
}

function lookups(observed: Observed): Lookups {
  const { platform } = observed;
  const key = (p: string): string => pathKey(p, platform);
  const volumes = observed.volumes ?? [];
  const drives = drivesByGuid(observed);
  const placeKey = (linkPath: AbsPath, text: string): string => {
    const k = key(resolveLinkText(linkPath, text, platform));
    if (drives === undefined || !k.startsWith('\\\\?\\volume{')) return k;
    const end = k.indexOf('}\\') + 2;
    const drive = end > 1 ? drives.get(k.slice(0, end)) : undefined;
    return drive === undefined ? k : key(drive) + k.slice(end);
  };
  return {
    platform,
    key,
    entryAt: (p) => observed.entries.get(key(p)) ?? ABSENT,
    targetAt: (p) => observed.targets.get(key(p)) ?? absentTarget(observed, key(p), p),
    kindAt: (p) => observed.targets.get(key(p))?.kind ?? observed.targetKinds?.get(key(p)) ?? 'absent',
    capsAt: (p) => observed.pathCapabilities?.get(key(p)) ?? observed.capabilities,
    volumeAt: (p) => volumeHolding(p, volumes, platform),
    sameText: (a, b) => (platform === 'win32' ? a.toLowerCase() === b.toLowerCase() : a === b),
    placeKey,
  };
}

export function planContext(desired: readonly Desired[], observed: Observed, opts: PlanOptions): PlanContext {
  const look = lookups(observed);
  const { platform, key, entryAt, kindAt } = look;
  const { links } = opts;
  if (links.platform !== platform || links.targets.length !== desired.length) {
    throw new Error(`computePlan: opts.links indexes ${links.targets.length} links on ${links.platform}, not these ${desired.length} on ${platform}`);
  }
  const manifestDir = parentOf(opts.manifest.path as AbsPath, platform);
  const linksAbove = folderLinksAbove(entryAt, platform);
  const leadsToFolder = (p: AbsPath): boolean => kindAt(p) === 'dir';
  const removed = removedLinks(desired, look, { manifestDir, linksAbove, leadsToFolder });
  const targets = (): AbsPath[] => desired.flatMap((d) => (d.target === null ? [] : [d.target]));
  const inSource = sourceTest(targets, { platform, manifestDir });
  const targetOfEntry = (i: number): AbsPath => targetOf(links, i);
  const arrivals = adoptArrivals(desired, { entryAt, kindAt, targetOf: targetOfEntry, key });
  const folderOf = parentMemo(platform);
  return { ...look, desired, observed, opts, targetOf: targetOfEntry, folderOf, manifestDir, linksAbove, leadsToFolder, removed, inSource, arrivals, willCreate: new Set(), adoptedInto: new Map() };
}

/** Whether absent entry `d` removes the link `e` at its path: it names no target, or the link leads there. */
export function removes(look: Lookups, d: Desired, e: Entry): boolean {
  const { key } = look;
  if (!isLink(e)) return false;
  if (d.prune !== undefined) return e.kind === d.prune.type && look.sameText(e.linkText, d.prune.linkText);
  return d.target === null || look.placeKey(d.path, e.linkText) === key(d.target);
}

/**
 * The links this plan removes, by key: a folder may be made in their place (never one reached
 * through a folder link: nothing is removed through one).
 */
function removedLinks(desired: readonly Desired[], look: Lookups, ctx: Pick<PlanContext, 'manifestDir' | 'linksAbove' | 'leadsToFolder'>): Set<string> {
  const { platform, key } = look;
  const removed = new Set<string>();
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    if (d.state !== 'absent' || !removes(look, d, look.entryAt(d.path))) continue;
    const above = ctx.linksAbove(parentOf(d.path, platform));
    if (countingLink(above, { platform, manifestDir: ctx.manifestDir, target: d.target, leadsToFolder: ctx.leadsToFolder }) === undefined) removed.add(key(d.path));
  }
  return removed;
}

/** The link this plan removes that `p` would be reached through, if any. */
export function removedOnTheWay(ctx: PlanContext, p: AbsPath): AbsPath | undefined {
  if (ctx.removed.size === 0) return undefined;
  for (let a = p; ; a = parentOf(a, ctx.platform)) {
    if (ctx.removed.has(ctx.key(a))) return a;
    if (parentOf(a, ctx.platform) === a) return undefined;
  }
}

/** What is at `p` once the links this plan removes are gone: nothing, below one of them. */
function entryAfterRemovals(ctx: PlanContext, p: AbsPath): Entry {
  return ctx.removed.size > 0 && removedOnTheWay(ctx, parentOf(p, ctx.platform)) !== undefined ? ABSENT : ctx.entryAt(p);
}

export type MissingParents = { ok: true; dirs: AbsPath[]; dev?: number } | { ok: false; problem: string };

/** Missing folders above `p`, outermost first, or why none can be made (through the folders adopts bring, if asked). */
export function missingParents(ctx: PlanContext, p: AbsPath, throughArrivals = false): MissingParents {
  const { platform, key } = ctx;
  const dirs: AbsPath[] = [];
  for (let a = ctx.folderOf(p); ; a = parentOf(a, platform)) {
    if (ctx.willCreate.has(key(a))) return { ok: true, dirs };
    if (throughArrivals && ctx.arrivals.has(key(a))) {
      const dev = ctx.arrivals.get(key(a));
      return dev === undefined ? { ok: true, dirs } : { ok: true, dirs, dev };
    }
    const e = entryAfterRemovals(ctx, a);
    if (e.kind === 'dir') return { ok: true, dirs, dev: e.dev };
    if (e.kind === 'absent') {
      dirs.unshift(a);
      if (parentOf(a, platform) === a) return { ok: false, problem: `the volume ${a} does not exist` };
      continue;
    }
    if (isLink(e)) {
      if (ctx.removed.has(key(a))) {
        dirs.unshift(a);
        return { ok: true, dirs };
      }
      const t = ctx.targetAt(a);
      if (t.kind === 'dir') return { ok: true, dirs, dev: t.dev };
      return { ok: false, problem: `its folder ${a} is ${describeEntry(e)}, which leads to ${t.kind === 'absent' ? 'nothing' : 'a file'}` };
    }
    return { ok: false, problem: `its folder ${a} is ${describeEntry(e)}, so no folder can be made there` };
  }
}

/** The nearest folder above `p` that is a link (and stays one), up to the first real folder. */
export function linkedFolder(ctx: PlanContext, p: AbsPath): FolderLink | undefined {
  for (let a = parentOf(p, ctx.platform); ; a = parentOf(a, ctx.platform)) {
    const e = ctx.entryAt(a);
    if (isLink(e)) return ctx.removed.has(ctx.key(a)) ? undefined : { path: a, linkText: e.linkText };
    if (e.kind !== 'absent' || parentOf(a, ctx.platform) === a) return undefined;
  }
}
