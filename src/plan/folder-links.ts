/**
 * Folder links on the way to a link's path. A path such as `~/.config/nvim/init.vim` may reach
 * somewhere else than its name says: when `~/.config` is itself a link (a home that Stow folded,
 * dotbot's `~/.vim -> repo/vim`), what is at that path is the file inside the link's target — often
 * the very file the manifest wants to link to. The planner must then never take that file for one
 * in the way, back it up, adopt it or remove it. These pure helpers find, from what observe read,
 * the folder links above a path, decide which of them matter (a link that the target or the
 * manifest is reached through too — macOS's `/var`, a home under `/home -> /var/home` — changes
 * nothing: everything on both sides goes through it alike), and where the path really leads.
 */
import { isSameOrInside, parentOf, pathKey, resolveLinkText, type AbsPath, type Platform } from '../core/paths.js';
import { LEFT_ALONE_REASON, type Desired, type Entry } from '../core/types.js';

/** A folder that is a link, with the text it holds. */
export interface FolderLink {
  path: AbsPath;
  linkText: string;
}

const NONE: readonly FolderLink[] = [];

/**
 * A function giving the folder links at and above a folder, nearest first, from the entries
 * observe read (a folder not read is taken as no link). Remembered per folder: the links of a
 * big manifest share a few folders.
 */
export function folderLinksAbove(entryAt: (p: AbsPath) => Entry, platform: Platform): (dir: AbsPath) => readonly FolderLink[] {
  const memo = new Map<string, readonly FolderLink[]>();
  const above = (dir: AbsPath): readonly FolderLink[] => {
    const k = pathKey(dir, platform);
    let r = memo.get(k);
    if (r !== undefined) return r;
    const e = entryAt(dir);
    const up = parentOf(dir, platform);
    const rest = up === dir ? NONE : above(up);
    r = e.kind === 'symlink' || e.kind === 'junction' ? [{ path: dir, linkText: e.linkText }, ...rest] : rest;
    memo.set(k, r);
    return r;
  };
  return above;
}

export interface CountingOptions {
  platform: Platform;
  /** The folder of the manifest: a link it is reached through is one everything is reached through. */
  manifestDir: AbsPath;
  /** The entry's target, if it names one: a link it is reached through too does not count. */
  target: AbsPath | null;
  /** Links this plan removes (a folder is made in their place): a path below one reaches nothing yet. */
  removed?: (p: AbsPath) => boolean;
  /** Whether the link at `p` leads to a folder (one that does not leads nowhere a path can be). */
  leadsToFolder: (p: AbsPath) => boolean;
}

/**
 * Of the folder links above a path (`links`, nearest first), the nearest that matters: one that
 * neither the target nor the manifest's folder lies in too. Undefined when none does, or when a
 * link the plan removes is on the way (the path will be in a new, empty folder).
 */
export function countingLink(links: readonly FolderLink[], opts: CountingOptions): FolderLink | undefined {
  const { platform, manifestDir, target, removed, leadsToFolder } = opts;
  let found: FolderLink | undefined;
  for (const l of links) {
    if (removed?.(l.path) === true) return undefined;
    if (found !== undefined) continue;
    if (target !== null && isSameOrInside(target, l.path, platform)) continue;
    if (isSameOrInside(manifestDir, l.path, platform)) continue;
    if (!leadsToFolder(l.path)) return undefined;
    found = l;
  }
  return found;
}

/**
 * A function telling whether a folder lies in a source of the manifest: its own folder, or (inside)
 * the target of one of its links. The set of targets is made on first use: most plans meet no
 * folder link that matters, and never ask.
 */
export function sourceTest(targets: () => Iterable<AbsPath>, opts: { platform: Platform; manifestDir: AbsPath }): (dir: AbsPath) => boolean {
  const { platform, manifestDir } = opts;
  let keys: Set<string> | undefined;
  return (dir) => {
    if (isSameOrInside(dir, manifestDir, platform)) return true;
    if (keys === undefined) {
      keys = new Set<string>();
      for (const t of targets()) keys.add(pathKey(t, platform));
    }
    for (let a = dir; ; ) {
      if (keys.has(pathKey(a, platform))) return true;
      const up = parentOf(a, platform);
      if (up === a) return false;
      a = up;
    }
  };
}

/** Where `p` really is, read through the folder link `via` above it (by the link's text). */
export function throughLink(p: AbsPath, via: FolderLink, platform: Platform): AbsPath {
  return (resolveLinkText(via.path, via.linkText, platform) + p.slice(via.path.length)) as AbsPath;
}

/** What the planner makes of an entry reached through a folder link that matters. */
export type FolderLinkVerdict = { kind: 'noop'; reason: string } | { kind: 'conflict'; problem: string; hint: string };

export interface VerdictContext {
  platform: Platform;
  /** The folder of the entry's path. */
  folder: AbsPath;
  /** Where the entry's target leads through the manifest's own links. */
  effectiveTarget: AbsPath | null;
  /** Whether the file at the path is the target's very file (asked only for a present entry). */
  sameFile: () => boolean;
  /** Whether a folder lies in a source of the manifest (see `sourceTest`). */
  inSource: (dir: AbsPath) => boolean;
  /** `before` in words, for the conflict. */
  what: string;
}

/**
 * An entry whose path is reached through the folder link `via`: already in place where the path
 * leads to the target; otherwise a conflict where the link leads into a source of the manifest
 * (nothing is written there through a link), or where something would be moved, backed up or
 * removed through it. Undefined: plan it as usual (a new link, or a retarget, in a folder the
 * user keeps elsewhere).
 */
export function throughFolderLink(d: Desired, before: Entry, via: FolderLink, ctx: VerdictContext): FolderLinkVerdict | undefined {
  const { platform } = ctx;
  const shown = `the folder ${via.path} is a link to ${via.linkText}`;
  if (d.prune !== undefined) return { kind: 'noop', reason: `${LEFT_ALONE_REASON}it is reached through a folder link (${shown})` };
  if (before.kind === 'absent' && d.state === 'absent') return { kind: 'noop', reason: 'already absent' };
  if (d.state === 'present' && d.target !== null) {
    const real = pathKey(throughLink(d.path, via, platform), platform);
    const leads = real === pathKey(d.target, platform) || (ctx.effectiveTarget !== null && real === pathKey(ctx.effectiveTarget, platform));
    if (leads || ctx.sameFile()) return { kind: 'noop', reason: `already in place: ${shown}, which leads to the target` };
  }
  const realFolder = throughLink(ctx.folder, via, platform);
  const isLink = before.kind === 'symlink' || before.kind === 'junction';
  if (!ctx.inSource(realFolder) && d.state === 'present' && (before.kind === 'absent' || isLink)) return undefined;
  return {
    kind: 'conflict',
    problem:
      before.kind === 'absent'
        ? `is reached through a folder link (${shown}): a link made here would be written into ${realFolder}`
        : `is reached through a folder link (${shown}): what is there, ${ctx.what}, belongs to that folder, and linkplan changes nothing through a folder link`,
    hint: `unfold it: add "- { path: ${via.path}, state: absent }" to the manifest (the link is removed and a real folder made for the links declared inside it), or give the path through the real folder`,
  };
}
