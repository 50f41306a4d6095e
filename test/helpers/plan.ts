/**
 * The one way tests call the planner: `planPure` on values, `planOnDisk` for a manifest on a real
 * tree (loaded, observed through a real driver, then planned by `planPure`), so a change of
 * `computePlan`'s signature is made here once; and the small readers of a plan the tests share
 * (`only`, `actionAt`, `ofKind`, `linkOf`).
 */
import { expect } from 'vitest';
import type { Driver } from '../../src/drivers/driver.js';
import { PosixDriver } from '../../src/drivers/posix.js';
import { loadManifest, type LoadOptions } from '../../src/manifest/load.js';
import { observe } from '../../src/plan/observe.js';
import { computePlan, type MadeLink } from '../../src/plan/planner.js';
import { linkIndex } from '../../src/core/link-index.js';
import type { Platform } from '../../src/core/paths.js';
import type { Action, ActionKind, Desired, LinkSpec, Observed, Plan } from '../../src/core/types.js';

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
  const links = linkIndex(desired, observed.platform);
  return computePlan(desired, observed, { manifest: opts.manifest ?? MANIFEST, links, ...(made === undefined ? {} : { made: () => made }) });
}

/** Observes the disk for `desired` through `driver`, with the index of the list made here. */
export function observeOn(desired: readonly Desired[], driver: Driver, platform: Platform): Observed {
  return observe(desired, driver, { platform, links: linkIndex(desired, platform) });
}

export interface DiskPlanOptions extends Omit<PurePlanOptions, 'manifest'> {
  /** The driver that reads the manifest and the disk: the POSIX driver by default. */
  driver?: Driver;
  /** Settings of the load besides the driver: by default no environment, linux, host `host`, and a home that does not exist. */
  load?: Omit<LoadOptions, 'driver'>;
  /** The digest the plan names, instead of the manifest's own. */
  digest?: string;
}

/** Loads the manifest `file` for real, observes the disk through the driver and plans: load -> observe -> plan. */
export function planOnDisk(file: string, opts: DiskPlanOptions = {}): Plan {
  const driver = opts.driver ?? new PosixDriver();
  const loaded = loadManifest(file, { env: {}, platform: 'linux', hostname: 'host', home: '/nonexistent-home', ...opts.load, driver });
  const pure: PurePlanOptions = { manifest: { path: loaded.file, digest: opts.digest ?? loaded.digest }, ...(opts.made === undefined ? {} : { made: opts.made }) };
  return planPure(loaded.desired, observe(loaded.desired, driver, { platform: opts.load?.platform ?? 'linux', links: loaded.links }), pure);
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

/** `a`, which the test expects to be of `kind` (it fails otherwise), typed as an action of that kind. */
export function ofKind<K extends ActionKind>(a: Action, kind: K): Extract<Action, { kind: K }> {
  expect(a.kind).toBe(kind);
  return a as Extract<Action, { kind: K }>;
}

/** The link an action of any kind names (the one it makes, or the one a conflict could not make), if any. */
export function linkOf(a: Action): LinkSpec | undefined {
  return 'link' in a ? a.link : undefined;
}
