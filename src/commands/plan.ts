/**
 * `linkplan plan MANIFEST`: shows what apply would change and why, as text or JSON, and saves it
 * for `linkplan apply PLAN.json` with --out. It refuses while an interrupted apply's journal is
 * there, and changes nothing on disk but the --out file (its drivers are read-only).
 */
import fs from 'node:fs';
import os from 'node:os';
import { errnoCode, UsageError } from '../core/errors.js';
import { pathDisplay } from '../core/paths.js';
import { hasChanges } from '../core/summary.js';
import { Records, type OwnedLink } from '../state/records.js';
import { manifestKey } from '../state/state-dir.js';
import { refuseIfUnfinished, stateDirFor, type StateOptions } from '../state/state.js';
import { leftAloneLines } from '../views/left-alone.js';
import { planJson } from '../views/plan-json.js';
import { renderPlan } from '../views/render.js';
import type { CommandDeps, Io } from './context.js';
import { planFromManifest } from './shared.js';

export type PlanOptions = StateOptions & {
  /** The manifest, as given. */
  file: string;
  json?: boolean;
  out?: string;
  detailedExitcode?: boolean;
  verbose?: boolean;
  prune?: boolean;
  var: Record<string, string>;
};

function writePlanFile(file: string, json: string): void {
  try {
    fs.writeFileSync(file, json);
  } catch (e) {
    const code = errnoCode(e);
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : (code ?? String(e));
    throw new UsageError(`${file}: cannot save the plan (${why})`, { hint: 'give --out a file name in a folder you can write to' });
  }
}

export async function run(opts: PlanOptions, io: Io, deps: CommandDeps): Promise<number> {
  const { file } = opts;
  const stateDir = stateDirFor(file, opts);
  refuseIfUnfinished(stateDir, file, opts);
  let records: Records | undefined;
  const owned = (): ReadonlyMap<string, OwnedLink> => (records ??= Records.load(stateDir, manifestKey(file))).owned();
  const { plan, base } = await planFromManifest(file, { vars: opts.var, stateDir, owned, prune: opts.prune === true, deps });
  const json = opts.out !== undefined || opts.json === true ? planJson(plan) : '';
  if (opts.out !== undefined) writePlanFile(opts.out, json);
  if (opts.json === true) io.out(json);
  else {
    io.out(renderPlan(plan, { base, home: os.homedir(), color: io.color, verbose: opts.verbose === true }));
    // what --prune would leave alone is news even when unchanged entries are not listed
    if (opts.verbose !== true) for (const l of leftAloneLines(plan.actions, pathDisplay({ base, home: os.homedir() }))) io.out(`${l}\n`);
  }
  if (plan.summary.conflict > 0) {
    io.err(`linkplan: the plan has ${plan.summary.conflict} conflict${plan.summary.conflict === 1 ? '' : 's'}; apply would refuse it\n`);
    return 1;
  }
  return opts.detailedExitcode === true && hasChanges(plan) ? 2 : 0;
}
