/**
 * A plan's counts by kind of action, and whether it changes anything: what the planner writes
 * into the plan, and what a saved plan is checked against and the CLI's exit code follows.
 */
import { isCreation, type Action, type Plan, type PlanSummary } from './types.js';

export function summarize(actions: readonly Action[]): PlanSummary {
  const s: PlanSummary = { create: 0, retarget: 0, remove: 0, backup: 0, adopt: 0, unchanged: 0, conflict: 0 };
  // (an indexed loop: run once over thousands of actions, mostly before the optimiser gets to it)
  for (let i = 0; i < actions.length; i++) {
    const a = actions[i] as Action;
    if (isCreation(a)) s.create++;
    else if (a.kind === 'retarget') s.retarget++;
    else if (a.kind === 'remove') s.remove++;
    else if (a.kind === 'backup-and-link') s.backup++;
    else if (a.kind === 'adopt') s.adopt++;
    else if (a.kind === 'relocate') s.relocate = (s.relocate ?? 0) + 1;
    else if (a.kind === 'noop') s.unchanged++;
    else s.conflict++;
  }
  return s;
}

export function hasChanges(plan: Plan): boolean {
  return plan.actions.some((a) => a.kind !== 'noop' && a.kind !== 'conflict');
}
