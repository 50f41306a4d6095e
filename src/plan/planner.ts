/**
 * The planner: `computePlan(desired, observed, { manifest, links })` decides, for every desired
 * entry, what must happen at its path, and returns a `Plan`. It is pure (no I/O, no clock, no
 * randomness), so it is tested as a table of every desired kind against every observed kind. It
 * resolves `auto` to a link type from what the link's own volume can hold (link-type.ts) and says
 * why, finds conflicts and guards (Windows' boot and system folders, junctions to network paths,
 * hard links past NTFS's names per file (windows-guards.ts), missing targets, hard links across
 * volumes, links on an NTFS volume that Windows could not follow, a target form that cannot be
 * written (target-form.ts), foreign reparse points, folders that cannot be made,
 * relative text that a linked folder would misdirect, paths reached through a folder link
 * (folder-links.ts), links someone else made, which only onConflict: backup may replace), a
 * folder to adopt on another volume (copied across: relocate.ts), lists
 * the folders to create, and orders the actions: removals first, then the rest in manifest order
 * (adopts that depend on each other ordered among themselves, adopt-order.ts). Each action is a
 * plain value of its kind (actions.ts); the JSON view orders its fields. What it knows while
 * planning is made once, in plan-context.ts; each entry is then planned by the stages below, by case.
 */
import { planFolder } from './folder-entries.js';
import { isInside, parentOf, relativeLinkText, resolveLinkText, type AbsPath } from '../core/paths.js';
import { ABSENT, describeEntry } from '../core/entries.js';
import { summarize } from '../core/summary.js';
import { windowsPathOn } from '../core/volumes.js';
import { LEFT_ALONE_REASON, PLAN_FORMAT_VERSION, type Action, type CreateAction, type Desired, type Entry, type LinkSpec, type Observed, type Outcome, type Plan, type TargetInfo, type TargetKind, type Volume } from '../core/types.js';
import { baseOf, blockedOf, conflictOf, noop, type LinkBase } from './actions.js';
import { adoptOrder } from './adopt-order.js';
import { countingLink, throughFolderLink, type FolderLink } from './folder-links.js';
import { chooseType } from './link-type.js';
import { DEVELOPER_MODE_HINT, NTFS_MAX_NAMES, protectedPath } from './windows-guards.js';
import { targetText } from './target-form.js';
import { isLink, linkedFolder, missingParents, planContext, removedOnTheWay, removes, type LinkEntry, type PlanContext, type PlanOptions } from './plan-context.js';
import { planRelocate } from './relocate.js';

export type { MadeLink, PlanOptions } from './plan-context.js';

export function computePlan(desired: readonly Desired[], observed: Observed, opts: PlanOptions): Plan {
  const ctx = planContext(desired, observed, opts);
  const order = adoptOrder(desired, ctx.arrivals, { targetOf: ctx.targetOf, key: ctx.key });
  const ordered = removalsFirst(planEntries(ctx, order));
  const volumes = observed.volumes ?? [];
  return {
    formatVersion: PLAN_FORMAT_VERSION,
    manifest: opts.manifest,
    platform: observed.platform,
    ...(volumes.length > 0 ? { volumes: volumes.map((v) => ({ mount: v.mount, windows: v.windows })) } : {}),
    actions: ordered,
    summary: summarize(ordered),
  };
}

/** The action of each entry, in `order` (manifest order where undefined). */
function planEntries(ctx: PlanContext, order: readonly number[] | undefined): Action[] {
  const actions: Action[] = [];
  for (let n = 0; n < ctx.desired.length; n++) {
    const action = planEntry(ctx, order === undefined ? n : (order[n] as number));
    if (action !== undefined) actions.push(action);
  }
  return actions;
}

/** Removals first, so a path they free can be reused; otherwise manifest order. */
function removalsFirst(actions: Action[]): Action[] {
  const removals = actions.filter((a) => a.kind === 'remove');
  return removals.length === 0 ? actions : [...removals, ...actions.filter((a) => a.kind !== 'remove')];
}

/** The file a target is: what hard links are compared by. */
const fileIdOf = (t: TargetInfo): string | undefined => (t.kind === 'file' ? t.fileId : undefined);

/** An entry that names its target. */
type Targeted = Desired & { target: AbsPath };

/** Entry `i`'s action, by case (undefined: nothing to plan). */
function planEntry(ctx: PlanContext, i: number): Action | undefined {
  const d = ctx.desired[i] as Desired;
  let before = ctx.entryAt(d.path);
  const guarded = d.prune === undefined ? systemPathGuard(ctx, d, before) : undefined;
  if (guarded !== undefined) return guarded;
  const above = ctx.linksAbove(ctx.folderOf(d.path));
  if (d.folder !== undefined) return planFolder(ctx, d, before, above);
  if (above.length > 0) {
    const isRemoved = (p: AbsPath): boolean => ctx.removed.has(ctx.key(p));
    const via = countingLink(above, { platform: ctx.platform, manifestDir: ctx.manifestDir, target: d.target, removed: isRemoved, leadsToFolder: ctx.leadsToFolder });
    const through = via === undefined ? undefined : throughFolder(ctx, d, before, via, i);
    if (through !== undefined) return through;
    // below a link this plan removes, the path will be in a new, empty folder
    if (ctx.removed.size > 0 && above.some((l) => isRemoved(l.path))) before = ABSENT;
  }
  if (d.prune !== undefined) return planPrune(ctx, i, before);
  if (d.state === 'absent') return planAbsent(ctx, d, before, i);
  if (d.target === null) return undefined; // the loader refuses this; nothing to plan
  return planPresent(ctx, d as Targeted, before, i);
}

/**
 * A path Windows boots from, or a system folder, is never linked, moved aside or replaced (the
 * system folders only where the entry allows it): on Windows, and for a link on an NTFS volume
 * written through ntfs-3g (whose Windows path is what counts).
 */
function systemPathGuard(ctx: PlanContext, d: Desired, before: Entry): Action | undefined {
  let windowsPath: string | undefined;
  if (ctx.platform === 'win32') windowsPath = d.path;
  else {
    const v = ctx.volumeAt(d.path);
    if (v !== undefined) windowsPath = windowsPathOn(v, d.path);
  }
  const p = windowsPath === undefined ? undefined : protectedPath(windowsPath);
  if (p === undefined || (p.level === 'system' && d.allowSystemPaths)) return undefined;
  return conflictOf(
    d,
    before,
    `is ${p.what}, which linkplan never links, moves aside or replaces: ${p.why}`,
    p.level === 'boot'
      ? 'leave it out of the manifest; link a folder of your own instead'
      : 'link a folder inside it instead (such as one program\'s folder), or set allowSystemPaths: true on this entry if you mean to redirect the folder itself',
  );
}

/** An entry reached through the folder link `via`: its action, or undefined to plan it as usual. */
function throughFolder(ctx: PlanContext, d: Desired, before: Entry, via: FolderLink, i: number): Action | undefined {
  const eff = d.target === null ? null : ctx.targetOf(i);
  const verdict = throughFolderLink(d, before, via, {
    platform: ctx.platform,
    folder: parentOf(d.path, ctx.platform),
    effectiveTarget: eff,
    sameFile: () => eff !== null && before.kind === 'file' && fileIdOf(ctx.targetAt(eff)) === before.fileId,
    inSource: ctx.inSource,
    what: describeEntry(before),
  });
  if (verdict === undefined) return undefined;
  if (verdict.kind === 'conflict') return conflictOf(d, before, verdict.problem, verdict.hint);
  return noop(baseOf(d, before), verdict.reason, d.prune === undefined ? undefined : 'left-alone');
}

/** A link linkplan made earlier and the manifest dropped: removed only while it is still that link. */
function planPrune(ctx: PlanContext, i: number, before: Entry): Action {
  const d = ctx.desired[i] as Desired;
  const made = d.prune as NonNullable<Desired['prune']>;
  const base = baseOf(d, before);
  if (before.kind === 'absent') return noop(base, 'prune: already gone', 'gone');
  if (made.outside === true) return noop(base, `${LEFT_ALONE_REASON}it lies outside the folders this manifest manages now (its links are made elsewhere this time)`, 'outside');
  if (isLink(before) && before.kind === made.type && ctx.sameText(before.linkText, made.linkText)) {
    return { ...base, kind: 'remove', reason: `prune: linkplan made this ${made.type} and the manifest no longer declares it`, after: ABSENT };
  }
  if (made.type === 'hardlink' && before.kind === 'file' && before.nlink > 1 && d.target !== null) {
    if (fileIdOf(ctx.targetAt(ctx.targetOf(i))) === before.fileId) {
      return { ...base, kind: 'remove', reason: 'prune: linkplan made this hard link and the manifest no longer declares it', after: ABSENT, removeTarget: d.target };
    }
  }
  return noop(base, `${LEFT_ALONE_REASON}linkplan made a ${made.type} to ${made.linkText} here, and it is now ${describeEntry(before)}`, 'left-alone');
}

/** `state: absent`: the link at the path goes, if it is the one the entry names; nothing else is ever removed. */
function planAbsent(ctx: PlanContext, d: Desired, before: Entry, i: number): Action {
  if (before.kind === 'absent') return noop(baseOf(d, before), 'already absent');
  if (isLink(before)) {
    if (removes(ctx, d, before)) return { ...baseOf(d, before), kind: 'remove', reason: `state: absent; removes ${describeEntry(before)}`, after: ABSENT };
    return conflictOf(d, before, `is ${describeEntry(before)}, not to ${d.target ?? ''}; left alone`, 'leave out target to remove the link whatever it points to');
  }
  if (before.kind === 'dir' && ctx.desired.some((o) => o.state === 'present' && isInside(o.path, d.path, ctx.platform))) {
    // the link was removed and a folder made in its place for the links inside (a second run)
    return noop(baseOf(d, before), 'a real folder, which links of this manifest are made in; no link here');
  }
  if (before.kind === 'file' && d.target !== null && before.nlink > 1) {
    if (fileIdOf(ctx.targetAt(ctx.targetOf(i))) === before.fileId) {
      return { ...baseOf(d, before), kind: 'remove', reason: `state: absent; removes this hard link of ${d.target}`, after: ABSENT, removeTarget: d.target };
    }
    return conflictOf(d, before, `is a regular file that is not a hard link of ${d.target}; linkplan never deletes files`, 'remove it yourself if you mean to, or drop the entry');
  }
  return conflictOf(d, before, `is ${describeEntry(before)}, not a link; linkplan never deletes files or folders`, 'remove it yourself if you mean to, or drop the entry');
}

/** A link the manifest wants: in place already, or what stands in its way, or the link to make. */
function planPresent(ctx: PlanContext, d: Targeted, before: Entry, i: number): Action {
  if (ctx.key(d.path) === ctx.key(d.target)) {
    // a repository cloned where the manifest links it to (`{ path: ~/.dotfiles, target: . }`)
    return before.kind === 'absent'
      ? conflictOf(d, before, `its target ${d.target} does not exist`, 'create the target first, or fix the path in the manifest')
      : noop(baseOf(d, before), 'already in place: the path is the target itself');
  }
  if (before.kind === 'reparse') return conflictOf(d, before, `is ${describeEntry(before)}, which linkplan does not touch`, 'remove or move it with the tool that made it, or choose another path');
  const effTarget = ctx.targetOf(i);
  const through = removedOnTheWay(ctx, effTarget);
  if (through !== undefined) return conflictOf(d, before, `its target ${d.target} is reached through ${through}, a link this plan removes`, 'point the link at the real folder, or keep the other link');
  const kind = ctx.kindAt(effTarget);
  const adopting = (d.relocate === true && before.kind === 'dir' && kind === 'absent') || (inTheWay(before) && adoptsHere(ctx, d, kind, effTarget));
  if (adopting && before.kind === 'special') {
    return conflictOf(d, before, `${describeEntry(before)} is in the way, and only a file or a folder can be adopted`, 'use onConflict: backup to move it aside, or remove it yourself');
  }
  const targetKind = adopting ? (before.kind === 'dir' ? 'dir' : before.kind === 'file' ? 'file' : 'other') : kind;
  if (targetKind === 'absent') return conflictOf(d, before, `its target ${d.target} does not exist`, 'create the target first, or fix the path in the manifest');
  if (targetKind === 'other') return conflictOf(d, before, `its target ${d.target} is neither a file nor a folder`, 'point the link at a file or a folder');
  const ntfs = ctx.volumeAt(d.path);
  const choice = chooseType(d, targetKind, { platform: ctx.platform, caps: ctx.capsAt(d.path), ntfs });
  if (!choice.ok) return conflictOf(d, before, choice.problem, choice.hint);
  const relative = choice.type === 'symlink' && d.relative;
  // (off Windows, a link asking for no target form is written as its path: nothing to work out)
  const text = d.targetForm === 'path' && ctx.platform !== 'win32' ? undefined : targetText(d, { type: choice.type, relative, ntfs, platform: ctx.platform, volumeAt: ctx.volumeAt, volumeGuids: ctx.observed.volumeGuids, key: ctx.key });
  if (text !== undefined && !text.ok) return conflictOf(d, before, text.problem, text.hint);
  const link: LinkSpec = { type: choice.type, target: d.target, linkText: relative ? relativeLinkText(d.path, d.target, ctx.platform) : (text?.linkText ?? d.target) };
  if (text?.byVolumeGuid === true) link.targetForm = 'volume-guid';
  const base: LinkBase = { path: d.path, source: d.source, before, notes: text?.note === undefined ? [...choice.notes] : [...choice.notes, text.note], link, after: afterOf(link) };
  return planLink(ctx, { d, before, effTarget, adopting, ntfs, why: choice.why, link, base });
}

const inTheWay = (e: Entry): boolean => e.kind === 'file' || e.kind === 'dir' || e.kind === 'special';

/** Whether what is in the way at `d`'s path moves into its target: adopt, where that is absent; persist, where it is absent or an empty folder. */
function adoptsHere(ctx: PlanContext, d: Desired, kind: TargetKind, target: AbsPath): boolean {
  if (d.onConflict === 'adopt') return kind === 'absent';
  return d.onConflict === 'persist' && (kind === 'absent' || ctx.observed.emptyFolders?.has(ctx.key(target)) === true);
}

function afterOf(link: LinkSpec): Outcome {
  return link.type === 'hardlink' ? { kind: 'hardlink', target: link.target } : { kind: link.type, linkText: link.linkText };
}

/** A link to make at an entry's path, once its type is chosen. */
interface Wanted {
  d: Targeted;
  before: Entry;
  /** Where the target leads through the manifest's own links. */
  effTarget: AbsPath;
  /** What is in the way moves into the (absent) target. */
  adopting: boolean;
  /** The NTFS volume written through ntfs-3g that holds the link, if any. */
  ntfs: Volume | undefined;
  /** Why this type. */
  why: string;
  link: LinkSpec;
  /** The fields every action making this link has; its notes grow as checks add to them. */
  base: LinkBase;
}

/** The checks that may refuse the link, then what it takes: a create, a retarget, a noop, or what is in the way. */
function planLink(ctx: PlanContext, w: Wanted): Action {
  const refused = ntfsCheck(ctx, w) ?? relativeTextCheck(ctx, w) ?? hardLinkCheck(ctx, w);
  if (refused !== undefined) return refused;
  const { d, before } = w;
  if (before.kind === 'absent') return planCreate(ctx, w);
  if (isLink(before)) return planOverLink(ctx, w, before);
  if (before.kind === 'file' && w.link.type === 'hardlink' && fileIdOf(ctx.targetAt(w.effTarget)) === before.fileId) return noop(baseOf(d, before), `already a hard link of ${d.target}`);
  return planInTheWay(ctx, w);
}

/** On an NTFS volume Windows reads the link: its text must name a place on an NTFS volume Windows knows. */
function ntfsCheck(ctx: PlanContext, w: Wanted): Action | undefined {
  const { d, link, ntfs } = w;
  if (ntfs === undefined || link.type === 'hardlink') return undefined;
  const there = ctx.volumeAt(d.target);
  if (there === undefined) {
    return blockedOf(
      w.base,
      `its target ${d.target} is on no NTFS volume listed under volumes:, so Windows could not follow a ${link.type} on ${ntfs.windows} to it`,
      'move the target onto an NTFS volume listed under volumes:, or make the link on another filesystem',
    );
  }
  if (link.linkText !== link.target && there !== ntfs) {
    return blockedOf(w.base, `relative text cannot lead from the NTFS volume ${ntfs.windows} to ${there.windows}: Windows reads it within the link's own volume`, 'use relative: false');
  }
  if (link.linkText === link.target) w.base.notes.push(`written for Windows as ${windowsPathOn(there, d.target)}`);
  return undefined;
}

/** The OS reads relative text from where the link's folder really is, not from the path given. */
function relativeTextCheck(ctx: PlanContext, w: Wanted): Action | undefined {
  const { d, link } = w;
  if (link.type !== 'symlink' || link.linkText === link.target) return undefined;
  const via = linkedFolder(ctx, d.path);
  if (via === undefined) return undefined;
  const real = (resolveLinkText(via.path, via.linkText, ctx.platform) + d.path.slice(via.path.length)) as AbsPath;
  if (ctx.key(resolveLinkText(real, link.linkText, ctx.platform)) === ctx.key(d.target)) return undefined;
  return blockedOf(
    w.base,
    `relative text ${link.linkText} would not reach ${d.target}: the folder ${via.path} is a link to ${via.linkText}, and the text is read from there`,
    'use relative: false, or give the path through the real folder',
  );
}

/**
 * A hard link needs its target's file on the same volume as the link's folder, and a real file;
 * on NTFS, a file with fewer names than NTFS allows. Where `auto` chose the hard link because this
 * user may not create symbolic links, the refusal says how to get that privilege.
 */
function hardLinkCheck(ctx: PlanContext, w: Wanted): Action | undefined {
  const { d, before } = w;
  if (w.link.type !== 'hardlink' || w.adopting) return undefined;
  const target = ctx.targetAt(w.effTarget);
  const parents = missingParents(ctx, d.path);
  const here = before.kind === 'file' || before.kind === 'dir' ? before.dev : parents.ok ? parents.dev : undefined;
  const auto = d.type === 'auto';
  if (target.kind === 'file' && here !== undefined && here !== target.dev) {
    if (auto) {
      const note = ctx.capsAt(d.path).symlinkNote;
      return conflictOf(
        d,
        before,
        `symbolic links are unavailable here${note === undefined ? '' : ` (${note})`}, and a hard link cannot reach ${d.target} on another volume`,
        `${DEVELOPER_MODE_HINT}; or move the target onto the link's volume`,
      );
    }
    return conflictOf(d, before, `hard links cannot cross volumes, and ${d.target} is on another volume`, 'use type: symlink');
  }
  const ntfs = ctx.platform === 'win32' || w.ntfs !== undefined;
  const already = before.kind === 'file' && target.kind === 'file' && before.fileId === target.fileId;
  if (ntfs && target.kind === 'file' && target.nlink !== undefined && target.nlink >= NTFS_MAX_NAMES && !already) {
    return conflictOf(
      d,
      before,
      `${d.target} has ${target.nlink} names (hard links) already, and NTFS gives a file at most ${NTFS_MAX_NAMES}`,
      auto ? `${DEVELOPER_MODE_HINT} (a symbolic link has no such limit); or link a copy of the file` : 'use type: symlink, or link a copy of the file',
    );
  }
  if (ctx.opts.links.byPath.has(ctx.key(d.target))) {
    return conflictOf(d, before, `its target ${d.target} is itself a link of this manifest; a hard link needs a real file`, 'point the hard link at the file itself');
  }
  return undefined;
}

/** Nothing at the path: the link is made, and the folders it needs first. */
function planCreate(ctx: PlanContext, w: Wanted): Action {
  const { d, before, link } = w;
  const parents = missingParents(ctx, d.path);
  if (!parents.ok) return conflictOf(d, before, parents.problem, 'fix the path, or move what is in the way');
  if (parents.dirs.length > 0 && !d.createParents) {
    return conflictOf(d, before, `its folder ${parents.dirs[0] ?? ''} does not exist, and createParents is off`, 'create the folder, or set createParents: true');
  }
  for (const p of parents.dirs) ctx.willCreate.add(ctx.key(p));
  const { after, notes } = w.base;
  const create: CreateAction = { kind: 'create', path: d.path, source: d.source, reason: w.why, before, after, link, notes };
  if (parents.dirs.length > 0) create.parents = parents.dirs;
  return create;
}

/** A link at the path: already the one wanted, or retargeted (if it is linkplan's, or leads to the same place). */
function planOverLink(ctx: PlanContext, w: Wanted, before: LinkEntry): Action {
  const { d, link } = w;
  if (before.kind === link.type && ctx.sameText(before.linkText, link.linkText)) return noop(baseOf(d, before), `already ${describeEntry(before)}`);
  const samePlace = ctx.placeKey(d.path, before.linkText) === ctx.placeKey(d.path, link.linkText);
  if (!samePlace && !madeHere(ctx, d.path, before)) return foreignLink(ctx, w, before);
  const why =
    before.kind !== link.type
      ? `is ${describeEntry(before)}; should be a ${link.type} to ${link.linkText}`
      : samePlace
        ? `link text is ${before.linkText}; should be ${link.linkText} (same place, ${d.relative ? 'relative' : 'absolute'} form)`
        : `points to ${before.linkText}; should point to ${link.linkText}`;
  return { ...w.base, kind: 'retarget', reason: why };
}

/** Whether linkplan made the link `e` at `p` (its records hold it, with this text). */
function madeHere(ctx: PlanContext, p: AbsPath, e: LinkEntry): boolean {
  const m = ctx.opts.made?.().get(p);
  return m !== undefined && m.type === e.kind && ctx.sameText(m.linkText, e.linkText);
}

/**
 * A link someone else made (or changed since linkplan made it) where the manifest wants one to
 * another place: replaced only where onConflict says backup, and then still atomically (a retarget),
 * with a copy of the old link kept under the backup name first (restorable with `linkplan backups
 * restore`); otherwise a conflict.
 */
function foreignLink(ctx: PlanContext, w: Wanted, before: LinkEntry): Action {
  const { d } = w;
  const what = `${describeEntry(before)}, which linkplan did not make,`;
  const backupPath = d.onConflict === 'backup' || d.onConflict === 'persist' ? ctx.observed.backupSlots.get(ctx.key(d.path)) : undefined;
  if (backupPath !== undefined) {
    return { ...w.base, kind: 'retarget', reason: `is ${what} and is replaced; a copy of it is kept at ${backupPath}`, backupPath };
  }
  return blockedOf(
    w.base,
    `${what} is in the way${d.onConflict === 'adopt' ? ' (a link cannot be adopted)' : ''}`,
    'set onConflict: backup to move it aside (kept as a backup, put back with `linkplan backups restore`) and make the new link, or remove it yourself',
  );
}

/** Something real is in the way: refused, moved aside (backup), or moved into the target (adopt). */
function planInTheWay(ctx: PlanContext, w: Wanted): Action {
  const { d, before } = w;
  const what = describeEntry(before);
  // relocate: a folder in the way moves into the absent target, whatever onConflict says
  const relocating = d.relocate === true && before.kind === 'dir';
  if (w.adopting && relocating) return planAdopt(ctx, w, what);
  if (d.onConflict === 'refuse' && !relocating) {
    return blockedOf(w.base, `${what} is in the way`, 'set onConflict: backup to move it aside, or onConflict: adopt to move it into the target; linkplan never deletes it');
  }
  if (d.onConflict === 'backup' || (d.onConflict === 'persist' && !w.adopting)) {
    const backupPath = ctx.observed.backupSlots.get(ctx.key(d.path));
    if (backupPath === undefined) return conflictOf(d, before, `${what} is in the way, and no backup name was found for it`, 'run plan again');
    return { ...w.base, kind: 'backup-and-link', reason: `${what} is in the way; it is moved aside to ${backupPath}`, backupPath };
  }
  if (!w.adopting) {
    return blockedOf(
      w.base,
      `${what} is in the way, and it cannot be adopted because the target ${d.target} exists already`,
      'use onConflict: backup to move it aside instead, or merge the two yourself',
    );
  }
  return planAdopt(ctx, w, what);
}

/** An adopt: what is in the way moves into the target (made with its folders), then is linked. */
function planAdopt(ctx: PlanContext, w: Wanted, what: string): Action {
  const { d, before, effTarget } = w;
  const atTarget = ctx.entryAt(effTarget);
  const intoEmpty = atTarget.kind === 'dir' && ctx.observed.emptyFolders?.has(ctx.key(effTarget)) === true;
  if (atTarget.kind !== 'absent' && !intoEmpty) {
    // nothing to follow there (a dangling link, say), but the move would still find it in the way
    return conflictOf(d, before, `cannot adopt into ${d.target}: it is ${describeEntry(atTarget)}`, 'remove what is at the target, or use onConflict: backup');
  }
  const other = ctx.adoptedInto.get(ctx.key(effTarget));
  if (other !== undefined) return conflictOf(d, before, `cannot adopt into ${d.target}: ${other.source.where} adopts into it too`, 'give each adopt a target of its own, or use onConflict: backup');
  ctx.adoptedInto.set(ctx.key(effTarget), d);
  const targetParents = intoEmpty && atTarget.kind === 'dir' ? { ok: true as const, dirs: [], dev: atTarget.dev } : missingParents(ctx, effTarget, true);
  if (!targetParents.ok) return conflictOf(d, before, `cannot adopt into ${d.target}: ${targetParents.problem}`, 'fix the target path');
  const herDev = before.kind === 'file' || before.kind === 'dir' ? before.dev : undefined;
  if (herDev !== undefined && targetParents.dev !== undefined && herDev !== targetParents.dev) {
    if (before.kind === 'dir') return planRelocate(ctx, { d, before, what, base: w.base, targetParents: targetParents.dirs, intoEmpty });
    return conflictOf(d, before, `cannot adopt ${what} into ${d.target}: the two are on different volumes`, 'move it yourself, or use onConflict: backup');
  }
  for (const p of targetParents.dirs) ctx.willCreate.add(ctx.key(p));
  return {
    ...w.base,
    kind: 'adopt',
    reason: `${what} is in the way; it is moved to the target ${d.target}${intoEmpty ? ' in place of the empty folder there' : ''}, then linked`,
    ...(targetParents.dirs.length > 0 ? { targetParents: targetParents.dirs } : {}),
    ...(intoEmpty ? { intoEmpty: true as const } : {}),
  };
}
