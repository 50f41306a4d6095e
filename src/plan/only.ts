/**
 * A plan cut down to the entries at some paths: what `linkplan switch` applies, so switching one
 * tool's version changes that one link whatever else in the manifest differs from the disk.
 */
import { pathKey } from '../core/paths.js';
import { summarize } from '../core/summary.js';
import type { Plan } from '../core/types.js';

/** `plan` with only the actions at `paths` (compared as the plan's platform compares paths). */
export function onlyAt(plan: Plan, paths: readonly string[]): Plan {
  const keys = new Set(paths.map((p) => pathKey(p, plan.platform)));
  const actions = plan.actions.filter((a) => keys.has(pathKey(a.path, plan.platform)));
  return { ...plan, actions, summary: summarize(actions) };
}
