/**
 * The applier executes a plan and does no thinking of its own. Every check that can fail runs
 * first (`preflight`: the plan has no conflicts, and each path, target, backup name and folder
 * is still what the plan saw); then each action's steps run through the driver, recorded in the
 * journal; each path is observed again right before it is touched. If anything fails midway,
 * the completed steps are undone in reverse, and the error says what happened and what, if
 * anything, could not be undone.
 */
import type { CopyProgress, Driver } from '../drivers/driver.js';
import { ApplyError, ConflictError, LinkplanError, StalePlanError } from '../core/errors.js';
import { parentOf, pathKey, type AbsPath } from '../core/paths.js';
import { describeEntry } from '../core/entries.js';
import { isCreation, makesLink, type Action, type Entry, type Plan, type TargetInfo } from '../core/types.js';
import { InterruptedError, SignalPoll, StoppedAtOnceError, type Interrupt } from './interrupt.js';
import { MemoryJournal, type Journal } from '../state/journal.js';
import { addSteps, describeStep, emptyFolderAt, runStep, undoStep, type Step, type StepEvents } from './steps.js';
import { bytesText } from '../core/sizes.js';

export function sameEntry(a: Entry, b: Entry): boolean {
  if (a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'symlink':
    case 'junction':
      return a.linkText === (b as typeof a).linkText;
    case 'file':
      return a.fileId === (b as typeof a).fileId && a.size === (b as typeof a).size;
    case 'reparse':
      return a.tag === (b as typeof a).tag;
    case 'special':
      return a.what === (b as typeof a).what;
    default:
      return true;
  }
}

function describeTarget(t: TargetInfo): string {
  return t.kind === 'absent' ? 'nothing' : t.kind === 'dir' ? 'a folder' : t.kind === 'file' ? 'a file' : 'something else';
}

type Drift = { path: string; expected: string; found: string };

/** How the entry at the action's path drifted from what the plan saw there, if it did. */
function entryDrift(a: Action, driver: Driver): Drift | undefined {
  const now = driver.observe(a.path);
  return sameEntry(now, a.before) ? undefined : { path: a.path, expected: describeEntry(a.before), found: describeEntry(now) };
}

/**
 * For the removal of a hard link: how its target drifted, if it no longer shares the link's file.
 * A hard link is removed only while it does: otherwise it may hold the last copy of what the
 * target used to be, and undoing would link the wrong file.
 */
function hardLinkDrift(a: Action, driver: Driver): Drift | undefined {
  if (a.kind !== 'remove' || a.removeTarget === undefined || a.before.kind !== 'file') return undefined;
  const t = driver.observeTarget(a.removeTarget);
  if (t.kind === 'file' && t.fileId === a.before.fileId) return undefined;
  return { path: a.removeTarget, expected: `a file shared with ${a.path}`, found: t.kind === 'file' ? 'another file' : describeTarget(t) };
}

/**
 * The links of the plan this user may not make now, each with why: a saved plan made by another
 * user (an elevated one, say) or where Developer Mode was on. Refused before the first write, as
 * the plan would have refused them: a missing privilege is never found midway.
 */
function unmakeableLinks(changing: readonly Action[], driver: Driver): string[] {
  const out: string[] = [];
  for (const a of changing) {
    if (!makesLink(a)) continue;
    const { type } = a.link;
    const caps = driver.capabilities(a.path);
    if (type === 'symlink' && !caps.symlinks) out.push(`${a.path}: a symlink, and symbolic links are unavailable here${caps.symlinkNote === undefined ? '' : `: ${caps.symlinkNote}`}`);
    else if (type === 'junction' && !caps.junctions) out.push(`${a.path}: a junction, and this volume holds none`);
    else if (type === 'hardlink' && !caps.hardlinks) out.push(`${a.path}: a hard link, and this volume holds none`);
  }
  return out;
}

/** The nearest path at or above `p` where something is: the folder whose volume a copy to `p` fills. */
function nearestPresent(p: AbsPath, driver: Driver, platform: Plan['platform']): AbsPath {
  let a = p;
  while (driver.observe(a).kind === 'absent' && parentOf(a, platform) !== a) a = parentOf(a, platform);
  return a;
}

/** Refuses a relocation whose copy no longer fits on its target's volume (the room is read again now). */
function roomCheck(changing: readonly Action[], driver: Driver, platform: Plan['platform']): void {
  const short: string[] = [];
  for (const a of changing) {
    if (a.kind !== 'relocate') continue;
    const free = driver.freeBytes(nearestPresent(a.link.target, driver, platform));
    if (free !== undefined && free < a.copy.bytes) short.push(`${a.link.target}: the copy needs ${bytesText(a.copy.bytes)} (${a.copy.bytes} bytes), and its volume has ${bytesText(free)} (${free} bytes) free`);
  }
  if (short.length > 0) {
    throw new ConflictError(`no room for ${short.length === 1 ? 'a relocation' : `${short.length} relocations`} now:\n  ${short.join('\n  ')}`, {
      hint: 'free space on the target volume (or choose another target), then run again; nothing was changed',
    });
  }
}

/**
 * Checks that the plan can run and (unless `recheck` is false: the plan was made from the disk a
 * moment ago, in this process, with nothing in between) that the disk is still what it was
 * planned against, and that this user may still make each of its links.
 */
export function preflight(plan: Plan, driver: Driver, opts: { recheck?: boolean } = {}): void {
  const conflicts = plan.actions.filter((a) => a.kind === 'conflict');
  if (conflicts.length > 0) {
    throw new ConflictError(
      `${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'} in the plan:\n` + conflicts.map((a) => `  ${a.path}: ${a.reason}`).join('\n'),
      { hint: 'resolve them (the plan shows how) and run again; nothing was changed' },
    );
  }
  if (opts.recheck === false) return;
  const changing = plan.actions.filter((a) => a.kind !== 'noop');
  const unmakeable = unmakeableLinks(changing, driver);
  if (unmakeable.length > 0) {
    const n = unmakeable.length;
    throw new ConflictError(`the plan makes ${n} link${n === 1 ? '' : 's'} this user may not make now:\n  ${unmakeable.join('\n  ')}`, {
      hint: 'make the plan again as this user (`linkplan plan`), or turn on Developer Mode (Settings > System > For developers) or run elevated, as where the plan was made; nothing was changed',
    });
  }
  roomCheck(changing, driver, plan.platform);
  const drift: Drift[] = [];
  const actionKeys = new Set(changing.map((a) => pathKey(a.path, plan.platform)));
  const madeByPlan = (p: AbsPath): boolean => {
    for (let a = p; ; a = parentOf(a, plan.platform)) {
      if (actionKeys.has(pathKey(a, plan.platform))) return true;
      if (parentOf(a, plan.platform) === a) return false;
    }
  };
  const mustBeAbsent = (p: AbsPath, why: string): void => {
    const e = driver.observe(p);
    if (e.kind !== 'absent') drift.push({ path: p, expected: `nothing (${why})`, found: describeEntry(e) });
  };
  // a link this plan removes may be where a folder is made next; its removal checks it
  const removals = new Set<string>(changing.filter((a) => a.kind === 'remove').map((a) => pathKey(a.path, plan.platform)));
  const seenParents = new Set<string>(removals);
  /** Whether `p` lies below a link this plan removes: it is read through that link until then, and is in a new folder after. */
  const belowRemoval = (p: AbsPath): boolean => {
    if (removals.size === 0) return false;
    for (let a = parentOf(p, plan.platform); ; a = parentOf(a, plan.platform)) {
      if (removals.has(pathKey(a, plan.platform))) return true;
      if (parentOf(a, plan.platform) === a) return false;
    }
  };
  const folderToMake = (p: AbsPath): void => {
    const k = pathKey(p, plan.platform);
    if (seenParents.has(k) || belowRemoval(p)) return;
    seenParents.add(k);
    mustBeAbsent(p, 'a folder to create');
  };
  for (const a of changing) {
    const moved = a.before.kind === 'absent' && belowRemoval(a.path) ? undefined : entryDrift(a, driver);
    if (moved !== undefined) drift.push(moved);
    if (isCreation(a)) a.parents?.forEach(folderToMake);
    else if (a.kind === 'adopt') a.targetParents?.forEach(folderToMake);
    else if (a.kind === 'relocate') {
      a.targetParents?.forEach(folderToMake);
      mustBeAbsent(a.backupPath, 'the backup name');
    }
    else if ((a.kind === 'retarget' || a.kind === 'backup-and-link') && a.backupPath !== undefined) mustBeAbsent(a.backupPath, 'the backup name');
    else if (a.kind === 'remove') {
      const shared = hardLinkDrift(a, driver);
      if (shared !== undefined) drift.push(shared);
    }
    if ((a.kind === 'adopt' || a.kind === 'relocate') && a.intoEmpty === true) {
      if (!emptyFolderAt(a.link.target, driver)) {
        const e = driver.observe(a.link.target);
        drift.push({ path: a.link.target, expected: 'an empty folder (the adopt target)', found: e.kind === 'dir' ? 'a folder that is not empty' : describeEntry(e) });
      }
    } else if (a.kind === 'adopt' || a.kind === 'relocate') {
      if (!madeByPlan(a.link.target)) mustBeAbsent(a.link.target, `the ${a.kind} target`);
    } else if (makesLink(a) && !madeByPlan(a.link.target)) {
      const t = driver.observeTarget(a.link.target);
      if (t.kind === 'absent') drift.push({ path: a.link.target, expected: 'the link target', found: describeTarget(t) });
    }
  }
  if (drift.length > 0) throw new StalePlanError(drift);
}

export interface ApplyHooks {
  /** Called after each action is done; may yield to let a progress view draw. */
  onAction?: (a: Action, done: number, total: number) => void | Promise<void>;
  /** Called as a relocation's copy goes (after each file copied or checked), synchronously. */
  onCopy?: (p: CopyProgress) => void;
}

export interface ApplyResult {
  actions: number;
  steps: number;
}

export interface ApplyOptions {
  journal?: Journal;
  hooks?: ApplyHooks;
  /**
   * Whether to read every path, target and folder again before the first step (default true).
   * False only when the plan was made from the disk a moment ago by the same process, with no
   * wait (a prompt) in between: each path is still observed again right before it is touched.
   */
  recheck?: boolean;
  /**
   * Read between steps (after letting signal handlers run every few milliseconds): after a first
   * signal the apply stops after its current step and rolls back; after a second Ctrl-C it stops
   * at once, leaving the journal.
   */
  interrupt?: Interrupt;
}

/** Closes the journal of an apply that ran no step; the error that stopped it is the one to report. */
function refuse(journal: Journal): void {
  try {
    journal.close('refused');
  } catch {
    // (the journal then stays, and says no step ran)
  }
}

export async function applyPlan(plan: Plan, driver: Driver, opts: ApplyOptions = {}): Promise<ApplyResult> {
  try {
    return await applyInFolders(plan, driver, opts);
  } finally {
    driver.releaseFolders();
  }
}

/** The apply itself, with the driver's folder handles kept from the first check to the last undo. */
async function applyInFolders(plan: Plan, driver: Driver, opts: ApplyOptions): Promise<ApplyResult> {
  const journal = opts.journal ?? new MemoryJournal();
  const todo = plan.actions.filter((a) => a.kind !== 'noop');
  // every step of the apply, numbered; action i's steps are all[ends[i - 1] ?? 0] to all[ends[i] - 1]
  const all: Step[] = [];
  const ends = new Int32Array(todo.length);
  const stop = opts.interrupt;
  try {
    preflight(plan, driver, { recheck: opts.recheck !== false });
    // each folder the plan writes in must be the one it saw: opened and checked once, kept open
    driver.expectFolders(plan.folders ?? []);
    for (let i = 0; i < todo.length; i++) {
      addSteps(todo[i] as Action, all);
      ends[i] = all.length;
    }
  } catch (e) {
    // nothing ran, whatever the error: the journal (claimed by the caller) must not be left for
    // `recover` to find, nor block the next apply
    refuse(journal);
    throw e;
  }
  await runSteps(all, driver, {
    journal,
    ends,
    ...(stop === undefined ? {} : { interrupt: stop }),
    what: 'apply',
    where: (i) => (todo[i] as Action).path,
    before: (i) => {
      const a = todo[i] as Action;
      // a create needs no second look: making a link or a folder never replaces what is there
      // (the OS refuses with EEXIST), so what appeared since the plan is found and left alone
      if (isCreation(a)) return;
      // a hard link's target is read again right before the unlink, whatever preflight did
      const drifted = entryDrift(a, driver) ?? hardLinkDrift(a, driver);
      if (drifted !== undefined) throw new StalePlanError([drifted]);
    },
    ...(opts.hooks?.onAction === undefined ? {} : { after: (i: number) => opts.hooks?.onAction?.(todo[i] as Action, i + 1, todo.length) }),
    ...(opts.hooks?.onCopy === undefined ? {} : { progress: opts.hooks.onCopy }),
  });
  return { actions: todo.length, steps: all.length };
}

export interface StepRunOptions {
  /** Claimed by the caller; started, run and closed here (closed as refused if nothing ran). */
  journal: Journal;
  /** One past the last step of each unit of work (a plan's action); without them, all the steps are one unit. */
  ends?: Int32Array;
  /** Signals, read between units (see `ApplyOptions.interrupt`). */
  interrupt?: Interrupt;
  /** What runs, as its messages name it: `apply`, `restore`. */
  what: string;
  /** Where unit i is, as the message of a failure there names it. */
  where: (i: number) => string;
  /** Before unit i's steps run: a last check that throws to stop (and roll back). */
  before?: (i: number) => void;
  /** After unit i's steps ran; awaited only when it returns a promise. */
  after?: (i: number) => void | Promise<void>;
  /** How far a copy step is. */
  progress?: (p: CopyProgress) => void;
}

/** What a copy step tells the journal (the folder it made) and the progress view. */
function copyEvents(journal: Journal, seq: number, progress: StepRunOptions['progress']): StepEvents {
  return { made: (root) => journal.made(seq, root), ...(progress === undefined ? {} : { progress }) };
}

/**
 * Runs `all` through the driver under the journal: starts it (every step listed), records the
 * intent to run them all, runs them unit by unit, and closes it as committed; if anything fails
 * midway (or a signal asks), undoes the steps that ran, in reverse, and throws the ApplyError
 * that says so. Apply and `backups restore` both run their steps here.
 */
export async function runSteps(all: readonly Step[], driver: Driver, opts: StepRunOptions): Promise<void> {
  const { journal } = opts;
  const ends = opts.ends ?? Int32Array.of(all.length);
  const stop = opts.interrupt;
  const poll = stop === undefined ? undefined : new SignalPoll();
  try {
    if (poll !== undefined) {
      // a signal that came while the plan was made or the journal claimed: nothing ran yet
      await poll.yield();
      if (stop?.first !== undefined) throw new InterruptedError(stop.first, `${opts.what} interrupted (${stop.first}) before its first step; nothing was changed`);
    }
    journal.start(all, { ends });
  } catch (e) {
    refuse(journal);
    throw e;
  }
  // the steps run in order: the first `ran` are done (and are undone in reverse on a failure)
  let ran = 0;
  let unit: number | undefined;
  try {
    // the intent to run every step, made durable once: whether a begun step ran, recovery reads
    // from the disk (each step's effect and its starting state exclude each other)
    const seqs: number[] = [];
    for (let k = 0; k < all.length; k++) seqs.push(k);
    journal.begin(seqs);
    for (let i = 0; i < ends.length; i++) {
      unit = i;
      if (poll !== undefined) {
        if (poll.due()) await poll.yield();
        stopIfAsked(stop, opts.what);
      }
      opts.before?.(i);
      const end = ends[i] as number;
      // (a step counts as ran once it has, even if its done record then cannot be written)
      while (ran < end) {
        const step = all[ran] as Step;
        if (step.op !== 'copy-tree') {
          runStep(step, driver);
          journal.done(ran++);
          continue;
        }
        runStep(step, driver, copyEvents(journal, ran, opts.progress));
        journal.done(ran++);
        // a copy runs long without yielding: a signal that came meanwhile stops the apply here,
        // before the switch, and not only after its action
        if (poll !== undefined) {
          await poll.yield();
          stopIfAsked(stop, opts.what);
        }
      }
      // awaited only when it waits for something: thousands of awaits of nothing add up
      const shown = opts.after?.(i);
      if (shown !== undefined) await shown;
    }
  } catch (e) {
    // a second Ctrl-C: no rollback, the journal stays for `recover`
    if (e instanceof StoppedAtOnceError) throw e;
    throw await rollBack(e, { all, ran, journal, driver, what: opts.what, where: unit === undefined ? 'the start' : opts.where(unit), ...(poll === undefined ? {} : { poll, stop }) });
  }
  journal.close('committed');
}

function stopIfAsked(stop: Interrupt | undefined, what: string): void {
  if (stop?.now === true) throw new StoppedAtOnceError('SIGINT', `${what} stopped at once (a second SIGINT)`);
  if (stop?.first !== undefined) throw new InterruptedError(stop.first, `${what} interrupted (${stop.first})`);
}

/**
 * Undoes the first `ran` steps in reverse, after `e` stopped the apply, and returns the error
 * that says so (or, at a second Ctrl-C, throws at once: what is left to undo stays in the journal).
 */
async function rollBack(
  e: unknown,
  ctx: { all: readonly Step[]; ran: number; journal: Journal; driver: Driver; what: string; where: string; poll?: SignalPoll; stop?: Interrupt | undefined },
): Promise<ApplyError> {
  const { all, ran, journal, driver, poll } = ctx;
  const failures: string[] = [];
  for (let seq = ran - 1; seq >= 0; seq--) {
    if (poll !== undefined) {
      if (poll.due()) await poll.yield();
      if (ctx.stop?.now === true) throw new StoppedAtOnceError('SIGINT', `${ctx.what} stopped at once (a second SIGINT) while rolling back, ${seq + 1} step${seq === 0 ? '' : 's'} still to undo`);
    }
    const step = all[seq] as Step;
    try {
      // written ahead, like the steps: if it cannot be written, the step is left done (and
      // reported), so the journal never says done about a step that was undone
      journal.undoing(seq);
      undoStep(step, driver);
      journal.undone(seq);
    } catch (u) {
      failures.push(`could not undo "${describeStep(step)}": ${u instanceof Error ? u.message : String(u)}`);
    }
  }
  // a journal that cannot be closed (its state folder full or gone) is said after the rest
  let unclosed = '';
  try {
    journal.close(failures.length > 0 ? 'rollback-failed' : 'rolled-back');
  } catch (c) {
    unclosed = `\nthe journal could not be closed: ${c instanceof Error ? c.message : String(c)}`;
  }
  const undone = ran - failures.length;
  const state =
    failures.length === 0
      ? `rolled back ${undone} step${undone === 1 ? '' : 's'}; the disk is as it was before the ${ctx.what}`
      : `rolled back ${undone} of ${ran} steps; these could not be undone:\n  ${failures.join('\n  ')}`;
  const message =
    (e instanceof InterruptedError ? `${e.message}: ${state}` : `${ctx.what} failed at ${ctx.where}: ${e instanceof Error ? e.message : String(e)}\n${state}`) + unclosed;
  return new ApplyError(message, {
    rolledBack: undone,
    rollbackFailures: failures,
    cause: e,
    hint:
      failures.length > 0
        ? 'put the paths above right by hand, then run plan to see where things stand'
        : e instanceof InterruptedError
          ? `run ${ctx.what} again to make the changes`
          : e instanceof LinkplanError && e.hint !== undefined
            ? e.hint
            : `fix the cause and run ${ctx.what} again`,
  });
}
