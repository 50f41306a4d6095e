#!/usr/bin/env node
/**
 * Applies a manifest through linkplan's library API, the pipeline `linkplan apply` runs
 * (loadManifest -> observe -> computePlan -> applyPlan), with the write-ahead journal on disk
 * (FileJournal, claimed as `linkplan apply` claims it) or with none (applyPlan then keeps its
 * step log in memory).
 * The run.mjs `journal` job times this whole process from outside; inside, process.hrtime times
 * the applyPlan call alone, so the journal's cost can be told from Node's start and the planning.
 * No progress hooks, no lock, no records file: only what differs between the two is the journal.
 *
 *   node bench/lib-apply.mjs DIST/index.js MANIFEST journal STATE_DIR   FileJournal in STATE_DIR
 *   node bench/lib-apply.mjs DIST/index.js MANIFEST none                no journal (in memory)
 *
 * Prints one JSON line: { mode, applySeconds, planSeconds, actions, steps, journalFile }.
 */
import { pathToFileURL } from 'node:url';

const [indexJs, manifest, mode, stateDir] = process.argv.slice(2);
if (indexJs === undefined || manifest === undefined || !(mode === 'none' || (mode === 'journal' && stateDir !== undefined))) {
  process.stderr.write('usage: lib-apply.mjs DIST/index.js MANIFEST journal STATE_DIR | lib-apply.mjs DIST/index.js MANIFEST none\n');
  process.exit(64);
}
const lp = await import(pathToFileURL(indexJs).href);
for (const name of ['FileJournal', 'currentPlatform']) {
  if (lp[name] === undefined) {
    process.stderr.write(`${indexJs} does not export ${name}: run \`npm run build\`\n`);
    process.exit(70);
  }
}

const t0 = process.hrtime.bigint();
// as the CLI plans: read through a read-only driver, apply through the driver the manifest needs
const loaded = lp.loadManifest(manifest, { driver: new lp.ReadOnlyDriver(lp.createDriver()) });
const driver = await lp.driverFor(loaded);
const observed = lp.observe(loaded.desired, new lp.ReadOnlyDriver(driver), { platform: lp.currentPlatform(), links: loaded.links });
const plan = lp.computePlan(loaded.desired, observed, { manifest: { path: loaded.file, digest: loaded.digest }, links: loaded.links });
// claimed as the CLI claims it (one open, before applyPlan, so not in the timed phase), with the
// plan's actions, noops left out (the journal writes them in its short form)
const actions = plan.actions.filter((a) => a.kind !== 'noop');
const journal = mode === 'journal' ? lp.FileJournal.create(stateDir, { manifest: loaded.file, actions, volumes: plan.volumes }) : undefined;
const t1 = process.hrtime.bigint();
// recheck: false, as the CLI does for a plan it has just made (a build without the option ignores it)
const result = await lp.applyPlan(plan, driver, { recheck: false, ...(journal === undefined ? {} : { journal }) });
const t2 = process.hrtime.bigint();

process.stdout.write(
  JSON.stringify({
    mode,
    planSeconds: Number(t1 - t0) / 1e9,
    applySeconds: Number(t2 - t1) / 1e9,
    actions: result.actions,
    steps: result.steps,
    journalFile: journal?.file ?? null,
  }) + '\n',
);
