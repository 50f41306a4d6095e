/**
 * Adopts that depend on each other. An adopt moves what is in the way into its target; when one
 * adopt brings a folder there (`~/app` into `repo/app`) and another's target lies in that folder
 * (`repo/app/other.txt`), the second must run after the first and must not make that folder
 * itself. These pure helpers find the targets adopts bring something into, and the order that
 * runs each adopt before those whose targets lie in what it brings.
 */
import type { AbsPath } from '../core/paths.js';
import type { Desired, Entry, TargetKind } from '../core/types.js';

export interface AdoptContext {
  entryAt: (p: AbsPath) => Entry;
  kindAt: (p: AbsPath) => TargetKind;
  /** Where the target of entry `i` leads (through the manifest's own links). */
  targetOf: (i: number) => AbsPath;
  key: (p: string) => string;
}

/** Whether entry `d` adopts, if what is in the way can be adopted. */
const adopts = (d: Desired): boolean => d.state === 'present' && (d.onConflict === 'adopt' || d.onConflict === 'persist') && d.target !== null && d.prune === undefined;

/**
 * The targets adopts move a file or folder into (by key), with the volume of what moves: a folder
 * arriving there is one another adopt's target may lie in.
 */
export function adoptArrivals(desired: readonly Desired[], ctx: AdoptContext): Map<string, number | undefined> {
  const arrivals = new Map<string, number | undefined>();
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    if (!adopts(d)) continue;
    const e = ctx.entryAt(d.path);
    if ((e.kind === 'file' || e.kind === 'dir') && ctx.kindAt(ctx.targetOf(i)) === 'absent') arrivals.set(ctx.key(ctx.targetOf(i)), e.dev);
  }
  return arrivals;
}

/**
 * The order entries are planned (and so applied) in: the manifest's, but for the adopts that
 * bring something, which take their places among themselves by target, so one that brings a folder
 * runs before one whose target lies in it. Undefined: the manifest's order.
 */
export function adoptOrder(desired: readonly Desired[], arrivals: ReadonlyMap<string, unknown>, ctx: Pick<AdoptContext, 'targetOf' | 'key'>): number[] | undefined {
  if (arrivals.size < 2) return undefined;
  const { targetOf, key } = ctx;
  const order: number[] = [];
  const slots: number[] = [];
  for (let i = 0; i < desired.length; i++) {
    order.push(i);
    if (adopts(desired[i] as Desired) && arrivals.has(key(targetOf(i)))) slots.push(i);
  }
  const byTarget = [...slots].sort((a, b) => {
    const ka = key(targetOf(a));
    const kb = key(targetOf(b));
    return ka < kb ? -1 : ka > kb ? 1 : a - b;
  });
  for (let k = 0; k < slots.length; k++) order[slots[k] as number] = byTarget[k] as number;
  return order;
}
