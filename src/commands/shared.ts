/**
 * What plan and apply share: planning from a manifest. Loads the manifest, builds the driver its
 * volumes need (node:fs alone when it lists none), observes through that driver read-only and
 * computes the plan, with the diffs of the files it would replace and the folders it writes in.
 */
import { ReadOnlyDriver } from '../drivers/decorators.js';
import type { Driver } from '../drivers/driver.js';
import { ListingMemo, ListingMemoDriver } from '../drivers/listing-memo.js';
import { currentPlatform } from '../core/paths.js';
import type { Desired, Plan } from '../core/types.js';
import { pickEntries, withEntries, type LinkIndex } from '../core/link-index.js';
import { fileManifestCache } from '../manifest/cache.js';
import { loadManifest, type LoadedManifest } from '../manifest/load.js';
import { recordFolders } from '../plan/folders.js';
import { observe } from '../plan/observe.js';
import { computePlan } from '../plan/planner.js';
import { entriesAt } from '../plan/only.js';
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
  /** The manifest, loaded already: planned instead of the file (`switch` loads its edit to read it back, before saving it). */
  loaded?: LoadedManifest;
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
  const loaded =
    opts.loaded ??
    loadManifest(file, {
      driver: new ListingMemoDriver(new ReadOnlyDriver(deps.createDriver()), listings),
      vars,
      volumeFacts: deps.volumeFacts,
      cache: fileManifestCache(stateDir),
    });
  const real = await deps.driverFor(loaded);
  const driver = new ListingMemoDriver(new ReadOnlyDriver(real), listings);
  const platform = currentPlatform();
  const { desired, links } = opts.only !== undefined ? only(loaded, opts.only) : withPruned(loaded, opts);
  // the digest is taken only if something reads it (--json, --out): hashing loads node:crypto
  const manifest = {
    path: loaded.file,
    get digest() {
      return loaded.digest;
    },
  };
  const plan = computePlan(desired, observe(desired, driver, { platform, links }), { manifest, made: opts.owned, links });
  await annotateDiffs(plan, driver);
  recordFolders(plan, driver);
  return { plan, base: loaded.dir, driver: real };
}

/** The entries to plan: the manifest's, and with --prune an absent entry for each link linkplan made that it no longer lists. */
function withPruned(loaded: LoadedManifest, opts: PlanFromManifestOptions): { desired: Desired[]; links: LinkIndex } {
  // the links linkplan made (its records) are read only where needed: for --prune, and when the
  // planner meets a link that leads elsewhere than the manifest says
  const pruned = opts.prune ? pruneEntries(loaded.desired, opts.owned(), currentPlatform()) : [];
  if (pruned.length === 0) return { desired: loaded.desired, links: loaded.links };
  // prune entries make no link: the loaded index serves, with their targets added
  return { desired: [...loaded.desired, ...pruned], links: withEntries(loaded.links, pruned) };
}

/** The entries at `paths` alone, indexed against all the manifest's links. */
function only(loaded: LoadedManifest, paths: readonly string[]): { desired: Desired[]; links: LinkIndex } {
  const picked = entriesAt(loaded.desired, paths, loaded.links.platform);
  return { desired: picked.map((i) => loaded.desired[i] as Desired), links: pickEntries(loaded.links, picked) };
}
