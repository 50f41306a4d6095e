/**
 * What plan and apply share: planning from a manifest. Loads the manifest, builds the driver its
 * volumes need (node:fs alone when it lists none), observes through that driver read-only and
 * computes the plan, with the diffs of the files it would replace and the folders it writes in.
 */
import { ReadOnlyDriver } from '../drivers/decorators.js';
import type { Driver } from '../drivers/driver.js';
import { ListingMemo, ListingMemoDriver } from '../drivers/listing-memo.js';
import { currentPlatform } from '../core/paths.js';
import type { Plan } from '../core/types.js';
import { withEntries } from '../core/link-index.js';
import { fileManifestCache } from '../manifest/cache.js';
import { loadManifest } from '../manifest/load.js';
import { recordFolders } from '../plan/folders.js';
import { observe } from '../plan/observe.js';
import { computePlan } from '../plan/planner.js';
import { onlyAt } from '../plan/only.js';
import { pruneEntries } from '../plan/prune.js';
import type { OwnedLink } from '../state/records.js';
import { annotateDiffs } from '../views/diff.js';
import type { CommandDeps } from './context.js';

export interface Prepared {
  plan: Plan;
  /** The folder paths are shown relative to. */
  base: string;
  /** The real driver for the plan's paths and volumes (used read-only while planning). */
  driver: Driver;
}

export interface PlanFromManifestOptions {
  vars: Record<string, string>;
  stateDir: string;
  /** The links linkplan made, as its records list them (read only when called). */
  owned: () => ReadonlyMap<string, OwnedLink>;
  prune: boolean;
  deps: CommandDeps;
  /** The manifest's text, planned instead of the file's (`switch` plans its edit before saving it). */
  text?: string;
  /** Plan only the entries at these paths (`switch` retargets its own link and nothing else). */
  only?: readonly string[];
}

/**
 * Loads the manifest, builds the driver its volumes need (node:fs alone when it lists none),
 * observes through that driver read-only and computes the plan.
 */
export async function planFromManifest(file: string, opts: PlanFromManifestOptions): Promise<Prepared> {
  const { vars, stateDir, deps } = opts;
  // the glob's listings tell observe what each listed target is (see ListingMemo)
  const listings = new ListingMemo();
  const loaded = loadManifest(file, {
    driver: new ListingMemoDriver(new ReadOnlyDriver(deps.createDriver()), listings),
    vars,
    volumeFacts: deps.volumeFacts,
    cache: fileManifestCache(stateDir),
    ...(opts.text === undefined ? {} : { text: opts.text }),
  });
  const real = await deps.driverFor(loaded);
  const driver = new ListingMemoDriver(new ReadOnlyDriver(real), listings);
  const platform = currentPlatform();
  // the links linkplan made (its records) are read only where needed: for --prune, and when the
  // planner meets a link that leads elsewhere than the manifest says
  const pruned = opts.prune ? pruneEntries(loaded.desired, opts.owned(), platform) : [];
  const desired = pruned.length === 0 ? loaded.desired : [...loaded.desired, ...pruned];
  // prune entries make no link: the loaded index serves, with their targets added
  const links = pruned.length === 0 ? loaded.links : withEntries(loaded.links, pruned);
  // the digest is taken only if something reads it (--json, --out): hashing loads node:crypto
  const manifest = {
    path: loaded.file,
    get digest() {
      return loaded.digest;
    },
  };
  const whole = computePlan(desired, observe(desired, driver, { platform, links }), { manifest, made: opts.owned, links });
  const plan = opts.only === undefined ? whole : onlyAt(whole, opts.only);
  await annotateDiffs(plan, driver);
  recordFolders(plan, driver);
  return { plan, base: loaded.dir, driver: real };
}
