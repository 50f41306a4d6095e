/**
 * A plan as JSON, for `plan --json` and `plan --out` (read back by saved-plan.ts, beside it): the
 * plan's fields as the planner made them, each action's fields in one stable order (what and
 * where first, then how and why), so the output reads the same every time whatever order the
 * planner built them in.
 */
import type { Action, Plan } from '../core/types.js';

/** Every field any kind of action has. */
type ActionField = Action extends infer A ? (A extends Action ? keyof A : never) : never;

const FIELD_ORDER: Record<ActionField, true> = {
  kind: true,
  path: true,
  source: true,
  reason: true,
  before: true,
  after: true,
  link: true,
  parents: true,
  mode: true,
  targetParents: true,
  intoEmpty: true,
  backupPath: true,
  copy: true,
  removeTarget: true,
  notes: true,
  prune: true,
  hint: true,
  diff: true,
};
const ACTION_FIELDS = Object.keys(FIELD_ORDER) as ActionField[];

/** The action's fields in the canonical order (a new object; the action is not changed). */
export function orderedAction(a: Action): Record<string, unknown> {
  const from = a as Partial<Record<ActionField, unknown>>;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < ACTION_FIELDS.length; i++) {
    const f = ACTION_FIELDS[i] as ActionField;
    const v = from[f];
    if (v !== undefined) out[f] = v;
  }
  return out;
}

/** The plan as `plan --json` prints it and `plan --out` saves it (a newline at the end). */
export function planJson(plan: Plan): string {
  return JSON.stringify({ ...plan, actions: plan.actions.map(orderedAction) }, null, 2) + '\n';
}
