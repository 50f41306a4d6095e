/**
 * The planner's action builders: plain values of each kind, in no particular field order (the
 * JSON view, src/views/plan-json.ts, decides the order a plan is written in).
 */
import type { AbsPath } from '../core/paths.js';
import type { ConflictAction, CreateAction, Desired, Entry, NoopAction, PruneOutcome } from '../core/types.js';

/** What every action of an entry starts from. */
export interface ActionBase {
  path: AbsPath;
  source: Desired['source'];
  before: Entry;
  notes: string[];
}

/** What every action that makes a link starts from: the link, and what it leaves at the path. */
export type LinkBase = Omit<CreateAction, 'kind' | 'reason' | 'parents'>;

/** Made per action only where it is used (most actions of a big plan are creates). */
export function baseOf(d: Desired, before: Entry): ActionBase {
  return { path: d.path, source: d.source, before, notes: [] };
}

/** A noop: nothing changes at the path (for a `--prune` entry, what prune found there). */
export function noop(base: ActionBase, reason: string, prune?: PruneOutcome): NoopAction {
  const a: NoopAction = { kind: 'noop', path: base.path, source: base.source, reason, before: base.before, after: base.before, notes: base.notes };
  if (prune !== undefined) a.prune = prune;
  return a;
}

/** A conflict at `d`'s path: nothing changes there. */
export function conflictOf(d: Desired, before: Entry, problem: string, hint: string): ConflictAction {
  return { ...baseOf(d, before), kind: 'conflict', reason: problem, hint, after: before };
}

/** A conflict that names the link that could not be made. */
export function blockedOf(linkBase: LinkBase, problem: string, hint: string): ConflictAction {
  return { ...linkBase, kind: 'conflict', reason: problem, hint, after: linkBase.before };
}
