/**
 * The one way tests call the pure planner (`planPure`), so a change of `computePlan`'s signature
 * is made here once; and the small readers of a plan the tests share (`only`, `actionAt`).
 */
import { expect } from 'vitest';
import { computePlan, type MadeLink } from '../../src/plan/planner.js';
import type { Action, Desired, Observed, Plan } from '../../src/core/types.js';

/** A manifest that exists nowhere, for plans whose manifest does not matter. */
export const MANIFEST = { path: '/nowhere/layout.yaml', digest: 'sha256:' + '0'.repeat(64) };

export interface PurePlanOptions {
  /** Where the manifest is (its folder is a source of the links): MANIFEST's by default. */
  manifest?: { path: string; digest: string };
  /** The links linkplan made (its records), by path. */
  made?: ReadonlyMap<string, MadeLink>;
}

/** Plans `desired` against `observed` with the pure planner: no disk is read. */
export function planPure(desired: readonly Desired[], observed: Observed, opts: PurePlanOptions = {}): Plan {
  const made = opts.made;
  return computePlan(desired, observed, { manifest: opts.manifest ?? MANIFEST, ...(made === undefined ? {} : { made: () => made }) });
}

/** The plan's one action (fails the test when it has another number of them). */
export function only(plan: Plan): Action {
  expect(plan.actions).toHaveLength(1);
  const a = plan.actions[0];
  if (a === undefined) throw new Error('no action');
  return a;
}

/** The action at path `p` (fails the test when there is none). */
export function actionAt(plan: Plan, p: string): Action {
  const a = plan.actions.find((x) => x.path === p);
  if (a === undefined) throw new Error(`no action for ${p}; have ${plan.actions.map((x) => x.path).join(', ')}`);
  return a;
}
