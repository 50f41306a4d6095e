/**
 * The planner's action builders, and the one stable order of an action's fields in the JSON plan
 * (what and where first, then how and why), so `plan --json` reads the same every time.
 */
import type { AbsPath } from '../core/paths.js';
import type { Action, Desired, Entry } from '../core/types.js';

/** What every action of an entry starts from. */
export interface ActionBase {
  path: AbsPath;
  source: Desired['source'];
  before: Entry;
  notes: string[];
}

/** What every action that makes a link starts from. */
export type LinkBase = Omit<Action, 'kind' | 'reason'>;

/** Made per action only where it is used (most actions of a big plan are creates). */
export function baseOf(d: Desired, before: Entry): ActionBase {
  return { path: d.path, source: d.source, before, notes: [] };
}

/** A noop: nothing changes at the path. Built in the canonical field order. */
export function noop(base: ActionBase, reason: string): Action {
  return { kind: 'noop', path: base.path, source: base.source, reason, before: base.before, after: base.before, notes: base.notes };
}

/** A conflict at `d`'s path: nothing changes there. */
export function conflictOf(d: Desired, before: Entry, problem: string, hint: string): Action {
  return { ...baseOf(d, before), kind: 'conflict', reason: problem, hint, after: before };
}

/** A conflict that names the link that could not be made. */
export function blockedOf(linkBase: LinkBase, problem: string, hint: string): Action {
  return { ...linkBase, kind: 'conflict', reason: problem, hint, after: linkBase.before };
}

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

/** The same action with its fields in the canonical order. */
export function canonical(a: Action): Action {
  if (a.kind === 'noop' || a.kind === 'create') return a; // made in order already
  const out: Record<string, unknown> = {};
  for (const f of ACTION_FIELDS) if (a[f] !== undefined) out[f] = a[f];
  return out as unknown as Action;
}
