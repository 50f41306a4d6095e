/**
 * `linkplan apply MANIFEST|PLAN.json`: makes the disk match a manifest (planned now) or a saved
 * plan, all or nothing. Under the manifest's lock it settles the records, asks before removing or
 * moving anything (unless --yes), journals every step and runs them with a progress view; a
 * signal stops it cleanly (the steps run so far are rolled back). --dry-run takes no lock and
 * runs the steps against a driver that only records them.
 */
import os from 'node:os';
import path from 'node:path';
import { applyPlan, preflight } from '../apply/applier.js';
import { StoppedAtOnceError, watchSignals, type SignalWatch } from '../apply/interrupt.js';
import { describeStep, stepsFor } from '../apply/steps.js';
import { NotConfirmedError, UsageError } from '../core/errors.js';
import { displayPath, pathDisplay, shellWord } from '../core/paths.js';
import { printable } from '../core/printable.js';
import { bytesText } from '../core/sizes.js';
import type { Plan } from '../core/types.js';
import { DryRunDriver } from '../drivers/decorators.js';
import type { Driver } from '../drivers/driver.js';
import { hasChanges } from '../core/summary.js';
import { Records } from '../state/records.js';
import { manifestKey } from '../state/state-dir.js';
import { commandLine, refuseIfUnfinished, settleState, stateDirFor, withLock, type StateOptions } from '../state/state.js';
import { FileJournal } from '../state/journal/writer.js';
import { progressHooks } from '../views/progress.js';
import { confirm } from '../views/prompt.js';
import { leftAloneLines } from '../views/left-alone.js';
import { renderPlan, summaryLine } from '../views/render.js';
import { readSavedPlan, refuseIfManifestChanged } from '../views/saved-plan.js';
import type { CommandDeps, Io } from './context.js';
import { planFromManifest, type Prepared } from './shared.js';
import type { LoadedManifest } from '../manifest/load.js';

export type ApplyOptions = StateOptions & {
  /** The manifest or saved plan, as given. */
  file: string;
  yes?: boolean;
  dryRun?: boolean;
  verbose?: boolean;
  prune?: boolean;
  var: Record<string, string>;
  /** The manifest, loaded already: applied instead of the file (`switch` loads its edit to read it back, before saving it). */
  loaded?: LoadedManifest;
  /** Apply only the entries at these paths (`switch`). */
  only?: readonly string[];
};

export async function run(opts: ApplyOptions, io: Io, deps: CommandDeps): Promise<number> {
  const { file } = opts;
  const saved = readSavedPlan(file);
  if (saved !== undefined && (Object.keys(opts.var).length > 0 || opts.prune === true)) {
    throw new UsageError(`${file}: ${opts.prune === true ? '--prune' : '--var'} has no effect on a saved plan; its paths were fixed when it was made`, {
      hint: 'pass it to `linkplan plan ... --out` instead, or apply the manifest directly',
    });
  }
  if (saved !== undefined) refuseIfManifestChanged(file, saved);
  const manifestPath = manifestKey(saved?.manifest.path ?? file);
  const stateDir = stateDirFor(saved?.manifest.path ?? file, opts);
  if (opts.dryRun === true) {
    refuseIfUnfinished(stateDir, file, opts);
    return applyLocked(opts, { io, deps, saved, stateDir, manifestPath });
  }
  return withLock(stateDir, { ...opts, command: `linkplan apply ${file}` }, async () => {
    settleState(stateDir, manifestPath, file, opts);
    // (from here, a signal stops the apply cleanly; while the lock is awaited it ends the process)
    const signals = applySignals(io);
    try {
      return await applyLocked(opts, { io, deps, saved, stateDir, manifestPath, signals });
    } finally {
      signals.watch.dispose();
    }
  });
}

type ApplySignals = ReturnType<typeof applySignals>;

/** The signals during an apply: the first one is announced once steps run (at the question, cancelling it says so). */
function applySignals(io: Io): { watch: SignalWatch; applying: () => void } {
  let applying = false;
  const watch = watchSignals({
    onFirst: (sig) => {
      if (applying) io.err(`\nlinkplan: ${sig}: finishing the current step, then rolling back what this apply did (Ctrl-C again stops at once)\n`);
    },
  });
  return { watch, applying: () => (applying = true) };
}

interface LockedContext {
  io: Io;
  deps: CommandDeps;
  saved: Plan | undefined;
  stateDir: string;
  manifestPath: string;
  signals?: ApplySignals;
}

/** The part of apply that runs under the lock (or read-only, for --dry-run). */
async function applyLocked(opts: ApplyOptions, ctx: LockedContext): Promise<number> {
  const { io, saved, stateDir, manifestPath } = ctx;
  // the records are read only where they are needed: for --prune, and before the first change
  // (so damaged records stop an apply before it changes anything, not after)
  let loadedRecords: Records | undefined;
  const records = (): Records => (loadedRecords ??= Records.load(stateDir, manifestPath));
  // a saved plan is applied through the drivers of the volumes it was made with
  const prepared: Prepared =
    saved !== undefined
      ? { plan: saved, base: path.dirname(saved.manifest.path), driver: await ctx.deps.driverFor(saved) }
      : await planFromManifest(opts.file, {
          vars: opts.var,
          stateDir,
          owned: () => records().owned(),
          prune: opts.prune === true,
          deps: ctx.deps,
          ...(opts.loaded === undefined ? {} : { loaded: opts.loaded }),
          ...(opts.only === undefined ? {} : { only: opts.only }),
        });
  const { plan, base, driver: real } = prepared;

  if (plan.summary.conflict > 0) {
    io.out(renderPlan(plan, { base, home: os.homedir(), color: io.color, verbose: opts.verbose === true }));
    preflight(plan, real); // throws the ConflictError
  }
  if (!hasChanges(plan)) return noChanges(plan, { opts, io, base, records });
  const prompted = await confirmRisky(prepared, { opts, io, signals: ctx.signals });
  if (opts.dryRun === true) return dryRun(prepared, io);
  await runApply(plan, { file: opts.file, opts, io, base, real, records: records(), prompted, saved: saved !== undefined, stateDir, manifestPath, signals: ctx.signals, deps: ctx.deps });
  io.out(`Applied: ${summaryLine(plan.summary)}\n`);
  for (const l of keptOriginals(plan, base)) io.out(`${l}\n`);
  return 0;
}

/** For each relocation applied: where the original is kept, what it holds, and how to delete it. */
function keptOriginals(plan: Plan, base: string): string[] {
  // (the summary counts them: a plan of thousands of links and no relocation is not looked through)
  if ((plan.summary.relocate ?? 0) === 0) return [];
  const show = pathDisplay({ base, home: os.homedir() });
  // (a command to copy: the path as one shell word, as the saved plan's hint gives it)
  const file = printable(shellWord(displayPath(plan.manifest.path, { base: process.cwd() })));
  const lines: string[] = [];
  for (const a of plan.actions) {
    if (a.kind !== 'relocate') continue;
    lines.push(`The original of ${printable(show(a.path))} is kept at ${printable(show(a.backupPath))} (${bytesText(a.copy.bytes)}) until \`linkplan backups prune ${file} --older-than AGE\` deletes it.`);
  }
  return lines;
}

/** A plan with nothing to change: what --prune leaves alone, and the links it found changed, recorded. */
function noChanges(plan: Plan, ctx: { opts: ApplyOptions; io: Io; base: string; records: () => Records }): number {
  const { io } = ctx;
  const n = plan.summary.unchanged;
  for (const l of leftAloneLines(plan.actions, pathDisplay({ base: ctx.base, home: os.homedir() }))) io.out(`${l}\n`);
  io.out(`No changes: the disk already matches ${printable(displayPath(plan.manifest.path, { base: process.cwd() }))} (${n} entr${n === 1 ? 'y' : 'ies'})\n`);
  if (ctx.opts.dryRun !== true && plan.actions.some((a) => a.kind === 'noop' && a.prune !== undefined)) {
    ctx.records().recordApplied(plan.actions);
    ctx.records().settle();
  }
  return 0;
}

/**
 * Asks before a plan that removes or moves anything (not with --yes or --dry-run); returns whether
 * the user was asked: the disk may have changed while the question waited.
 */
async function confirmRisky({ plan, base }: Prepared, ctx: { opts: ApplyOptions; io: Io; signals: ApplySignals | undefined }): Promise<boolean> {
  const { opts, io } = ctx;
  const risky = plan.actions.filter((a) => a.kind === 'remove' || a.kind === 'backup-and-link' || a.kind === 'adopt' || a.kind === 'relocate');
  if (risky.length === 0 || opts.yes === true || opts.dryRun === true) return false;
  io.out(renderPlan(plan, { base, home: os.homedir(), color: io.color, verbose: opts.verbose === true }));
  const what = `this plan removes or moves ${risky.length} entr${risky.length === 1 ? 'y' : 'ies'}`;
  if (!io.interactive) throw new NotConfirmedError(`${what}, and there is no terminal to ask`, { hint: 'read the plan above, then run again with --yes' });
  const question = `${what[0]?.toUpperCase() ?? ''}${what.slice(1)}. Apply it? [y/N] `;
  if (!(await confirm(question, { what: 'apply', ...(ctx.signals === undefined ? {} : { signal: ctx.signals.watch.abort }) }))) {
    throw new NotConfirmedError('apply cancelled; nothing was changed');
  }
  return true;
}

/** --dry-run: the steps run against a driver that only records them, then listed. */
async function dryRun({ plan, base, driver: real }: Prepared, io: Io): Promise<number> {
  const dry = new DryRunDriver(real);
  const progress = await progressHooks(io, plan, { base, dryRun: true });
  await progress.run(async (hooks) => {
    await applyPlan(plan, dry, { hooks });
  });
  const showPath = pathDisplay({ base, home: os.homedir() });
  const steps = plan.actions.flatMap(stepsFor);
  io.out(`\nDry run: nothing was changed. ${steps.length} step${steps.length === 1 ? '' : 's'} would run:\n`);
  for (const s of steps) io.out(`  ${printable(describeStep(s, showPath))}\n`);
  return 0;
}

/** The apply itself, journaled: its records settled first, then its steps run with a progress view. */
async function runApply(
  plan: Plan,
  ctx: {
    file: string;
    opts: ApplyOptions;
    io: Io;
    base: string;
    real: Driver;
    records: Records;
    prompted: boolean;
    saved: boolean;
    stateDir: string;
    manifestPath: string;
    signals: ApplySignals | undefined;
    deps: CommandDeps;
  },
): Promise<void> {
  const { io, real, stateDir } = ctx;
  // read before the first change; what they lack goes into records.json before this apply's
  // journal takes the last one's place: the last apply, and the links --prune found changed
  // (which no journal lists: they are not linkplan's any more, whatever this apply does)
  ctx.records.recordApplied(plan.actions.filter((a) => a.kind === 'noop' && a.prune !== undefined));
  ctx.records.settle();
  const driver = ctx.deps.wrapDriver(real, { command: 'apply' });
  const progress = await progressHooks(io, plan, { base: ctx.base, dryRun: false });
  const journal = FileJournal.create(stateDir, { manifest: ctx.manifestPath, actions: plan.actions.filter((a) => a.kind !== 'noop'), volumes: plan.volumes, folders: plan.folders });
  /** Whether the applier has the journal: it closes it, however it ends (but at a second Ctrl-C). */
  let handedOver = false;
  ctx.signals?.applying();
  try {
    await progress.run(async (hooks) => {
      handedOver = true;
      // a plan made from the disk just now needs no second full reading; a saved one, or one a
      // prompt kept waiting, does
      await applyPlan(plan, driver, { hooks, journal, recheck: ctx.saved || ctx.prompted, ...(ctx.signals === undefined ? {} : { interrupt: ctx.signals.watch }) });
    });
  } catch (e) {
    if (!handedOver) journal.close('refused');
    if (!(e instanceof StoppedAtOnceError)) throw e;
    throw new StoppedAtOnceError(e.signal, `${ctx.file}: ${e.message}; the disk holds part of the apply, and its journal ${journal.file} is left`, {
      hint: `run \`${commandLine(['recover'], ctx.file, ctx.opts)}\` to roll it back (or add --forward to finish it)`,
    });
  }
  // (the records now include this apply: its journal, committed, lists every action)
  for (const l of leftAloneLines(plan.actions, pathDisplay({ base: ctx.base, home: os.homedir() }))) io.out(`${l}\n`);
}
