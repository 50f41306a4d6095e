/**
 * The command line: argv -> command -> exit code. Parses arguments with commander, composes the
 * driver for the job (read-only for plan, dry-run for apply --dry-run), runs the pure planner
 * between loading and rendering, and turns every linkplan error into a short message with a
 * hint on stderr and exit code 1. The only place that sets the process's exit code.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { applyPlan, preflight, type ApplyHooks } from './apply/applier.js';
import { confirm } from './views/prompt.js';
import { InterruptedError, StoppedAtOnceError, watchSignals, type SignalWatch } from './apply/interrupt.js';
import { leftAloneLines, pruneEntries } from './plan/prune.js';
import { PRUNE_WHERE } from './core/types.js';
import { fileManifestCache } from './manifest/cache.js';
import { Records, type OwnedLink } from './state/records.js';
import { recover } from './apply/recover.js';
import { commandLine, finishClosedJournal, refuseIfUnfinished, settleState, stateDirFor, withLock, type StateOptions } from './state/state.js';
import { manifestKey } from './state/state-dir.js';
import { FileJournal } from './state/journal/writer.js';
import { readJournal } from './state/journal/reader.js';
import { journalPath } from './state/journal/format.js';
import { CrashingDriver, parseCrashPoint } from './drivers/crash.js';
import { parsePausePoint, PausingDriver } from './drivers/pause.js';
import { backupsCommand } from './commands/backups.js';
import { describeStep, stepsFor } from './apply/steps.js';
import type { Driver } from './drivers/driver.js';
import { DryRunDriver, ReadOnlyDriver } from './drivers/decorators.js';
import { createDriver, driverFor } from './drivers/select.js';
import { ApplyError, ConflictError, errnoCode, LinkplanError, NotConfirmedError, UsageError } from './core/errors.js';
import { currentPlatform, displayPath, pathDisplay } from './core/paths.js';
import { printable, printableLines } from './core/printable.js';
import { annotateDiffs } from './views/diff.js';
import { recordFolders } from './plan/folders.js';
import { loadManifest } from './manifest/load.js';
import { fdOutput, type Output } from './views/output.js';
import { observe } from './plan/observe.js';
import { computePlan, hasChanges } from './plan/planner.js';
import { actionRenderer, colorsFor, renderPlan, summaryLine } from './views/render.js';
import { readSavedPlan, refuseIfManifestChanged } from './views/saved-plan.js';
import type { Plan } from './core/types.js';
import { VERSION } from './core/version.js';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  color: boolean;
  errColor: boolean;
  interactive: boolean;
}

function wantsColor(out: Output): boolean {
  const noColor = process.env['NO_COLOR'];
  return out.isTTY && (noColor === undefined || noColor === '') && process.env['TERM'] !== 'dumb';
}

function collectVar(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--var ${value}: expected NAME=VALUE`);
  return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
}

interface Prepared {
  plan: Plan;
  /** The folder paths are shown relative to. */
  base: string;
  /** The real driver for the plan's paths and volumes (used read-only while planning). */
  driver: Driver;
}

/**
 * Loads the manifest, builds the driver its volumes need (node:fs alone when it lists none),
 * observes through that driver read-only and computes the plan.
 */
async function planFromManifest(
  file: string,
  vars: Record<string, string>,
  stateDir: string,
  opts: { owned: () => ReadonlyMap<string, OwnedLink>; prune: boolean },
): Promise<Prepared> {
  const loaded = loadManifest(file, { driver: new ReadOnlyDriver(createDriver()), vars, cache: fileManifestCache(stateDir) });
  const real = await driverFor(loaded);
  const driver = new ReadOnlyDriver(real);
  const platform = currentPlatform();
  // the links linkplan made (its records) are read only where needed: for --prune, and when the
  // planner meets a link that leads elsewhere than the manifest says
  const pruned = opts.prune ? pruneEntries(loaded.desired, opts.owned(), platform) : [];
  const desired = pruned.length === 0 ? loaded.desired : [...loaded.desired, ...pruned];
  // the digest is taken only if something reads it (--json, --out): hashing loads node:crypto
  const manifest = {
    path: loaded.file,
    get digest() {
      return loaded.digest;
    },
  };
  const plan = computePlan(desired, observe(desired, driver, platform), { manifest, made: opts.owned });
  await annotateDiffs(plan, driver);
  recordFolders(plan, driver);
  return { plan, base: loaded.dir, driver: real };
}

function writePlanFile(file: string, json: string): void {
  try {
    fs.writeFileSync(file, json);
  } catch (e) {
    const code = errnoCode(e);
    const why = code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'it is a folder' : (code ?? String(e));
    throw new UsageError(`${file}: cannot save the plan (${why})`, { hint: 'give --out a file name in a folder you can write to' });
  }
}

function cmdValidate(file: string, opts: { var: Record<string, string> }, io: Io): number {
  const loaded = loadManifest(file, { driver: new ReadOnlyDriver(createDriver()), vars: opts.var });
  const n = loaded.desired.length;
  io.out(`${printable(file)}: valid (${n} link${n === 1 ? '' : 's'}${loaded.skipped > 0 ? `, ${loaded.skipped} skipped by their when condition` : ''})\n`);
  return 0;
}

async function cmdPlan(
  file: string,
  opts: StateOptions & { json?: boolean; out?: string; detailedExitcode?: boolean; verbose?: boolean; prune?: boolean; var: Record<string, string> },
  io: Io,
): Promise<number> {
  const stateDir = stateDirFor(file, opts);
  refuseIfUnfinished(stateDir, file, opts);
  let records: Records | undefined;
  const owned = (): ReadonlyMap<string, OwnedLink> => (records ??= Records.load(stateDir, manifestKey(file))).owned();
  const { plan, base } = await planFromManifest(file, opts.var, stateDir, { owned, prune: opts.prune === true });
  const json = opts.out !== undefined || opts.json === true ? JSON.stringify(plan, null, 2) + '\n' : '';
  if (opts.out !== undefined) writePlanFile(opts.out, json);
  if (opts.json === true) io.out(json);
  else {
    io.out(renderPlan(plan, { base, home: os.homedir(), color: io.color, verbose: opts.verbose === true }));
    // what --prune would leave alone is news even when unchanged entries are not listed
    if (opts.verbose !== true) for (const l of leftAloneLines(plan.actions, pathDisplay({ base, home: os.homedir() }))) io.out(`${printable(l)}\n`);
  }
  if (plan.summary.conflict > 0) {
    io.err(`linkplan: the plan has ${plan.summary.conflict} conflict${plan.summary.conflict === 1 ? '' : 's'}; apply would refuse it\n`);
    return 1;
  }
  return opts.detailedExitcode === true && hasChanges(plan) ? 2 : 0;
}

async function progressHooks(io: Io, plan: Plan, base: string, dryRun: boolean): Promise<{ hooks: ApplyHooks; run: (job: (hooks: ApplyHooks) => Promise<void>) => Promise<void> }> {
  const show = { base, home: os.homedir(), color: io.color };
  // listr2 draws to the terminal's width: a terminal that reports none (some pseudo-terminals
  // do) would get one character per line, so it gets the plain lines instead
  const width = io.interactive ? (process.stdout.columns ?? 0) : 0;
  if (!io.interactive || dryRun || width < 20) {
    // one line per action, written in blocks: thousands of links need not cost a write each
    const render = actionRenderer(show, colorsFor(io.color));
    let block = '';
    const flush = (): void => {
      if (block !== '') io.out(block);
      block = '';
    };
    const hooks: ApplyHooks = {
      onAction: (a) => {
        block += render.line(a) + '\n';
        if (block.length >= 32768) flush();
      },
    };
    return { hooks, run: (job) => job(hooks).finally(flush) };
  }
  const { Listr } = await import('listr2');
  const plain = actionRenderer({ ...show, color: false });
  const total = plan.actions.filter((a) => a.kind !== 'noop').length;
  return {
    hooks: {},
    run: async (job) => {
      await new Listr(
        [
          {
            title: `Applying ${total} change${total === 1 ? '' : 's'}`,
            task: async (_ctx, task) => {
              let last = 0;
              await job({
                onAction: async (a, done, n) => {
                  task.output = plain.line(a).trim();
                  task.title = `Applying changes (${done}/${n})`;
                  const now = Date.now();
                  if (now - last > 40) {
                    last = now;
                    await new Promise((r) => setImmediate(r));
                  }
                },
              });
              task.title = `Applied ${total} change${total === 1 ? '' : 's'}`;
            },
          },
        ],
        // (signals are linkplan's own to handle: listr2's would end the process midway, exit 127)
        { exitOnError: true, registerSignalListeners: false, rendererOptions: { collapseErrors: false } },
      ).run();
    },
  };
}

type ApplyOptions = StateOptions & { yes?: boolean; dryRun?: boolean; verbose?: boolean; prune?: boolean; var: Record<string, string> };

async function cmdApply(file: string, opts: ApplyOptions, io: Io): Promise<number> {
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
    return applyLocked(file, opts, io, { saved, stateDir, manifestPath });
  }
  return withLock(stateDir, { ...opts, command: `linkplan apply ${file}` }, async () => {
    settleState(stateDir, manifestPath, file, opts);
    // (from here, a signal stops the apply cleanly; while the lock is awaited it ends the process)
    const signals = applySignals(io);
    try {
      return await applyLocked(file, opts, io, { saved, stateDir, manifestPath, signals });
    } finally {
      signals.watch.dispose();
    }
  });
}

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

/** The part of apply that runs under the lock (or read-only, for --dry-run). */
async function applyLocked(
  file: string,
  opts: ApplyOptions,
  io: Io,
  ctx: { saved: Plan | undefined; stateDir: string; manifestPath: string; signals?: ReturnType<typeof applySignals> },
): Promise<number> {
  const { saved, stateDir, manifestPath } = ctx;
  // the records are read only where they are needed: for --prune, and before the first change
  // (so damaged records stop an apply before it changes anything, not after)
  let loadedRecords: Records | undefined;
  const records = (): Records => (loadedRecords ??= Records.load(stateDir, manifestPath));
  // a saved plan is applied through the drivers of the volumes it was made with
  const { plan, base, driver: real } =
    saved !== undefined
      ? { plan: saved, base: path.dirname(saved.manifest.path), driver: await driverFor(saved) }
      : await planFromManifest(file, opts.var, stateDir, { owned: () => records().owned(), prune: opts.prune === true });

  if (plan.summary.conflict > 0) {
    io.out(renderPlan(plan, { base, home: os.homedir(), color: io.color, verbose: opts.verbose === true }));
    preflight(plan, real); // throws the ConflictError
  }
  const showPath = pathDisplay({ base, home: os.homedir() });
  const reportLeftAlone = (): void => {
    for (const l of leftAloneLines(plan.actions, showPath)) io.out(`${printable(l)}\n`);
  };
  if (!hasChanges(plan)) {
    const n = plan.summary.unchanged;
    reportLeftAlone();
    io.out(`No changes: the disk already matches ${printable(displayPath(plan.manifest.path, { base: process.cwd() }))} (${n} entr${n === 1 ? 'y' : 'ies'})\n`);
    if (opts.dryRun !== true && plan.actions.some((a) => a.source.where === PRUNE_WHERE)) {
      records().recordApplied(plan.actions);
      records().settle();
    }
    return 0;
  }
  const risky = plan.actions.filter((a) => a.kind === 'remove' || a.kind === 'backup-and-link' || a.kind === 'adopt');
  /** Whether the user was asked: the disk may have changed while the question waited. */
  let prompted = false;
  if (risky.length > 0 && opts.yes !== true && opts.dryRun !== true) {
    io.out(renderPlan(plan, { base, home: os.homedir(), color: io.color, verbose: opts.verbose === true }));
    const what = `this plan removes or moves ${risky.length} entr${risky.length === 1 ? 'y' : 'ies'}`;
    if (!io.interactive) throw new NotConfirmedError(`${what}, and there is no terminal to ask`, { hint: 'read the plan above, then run again with --yes' });
    const question = `${what[0]?.toUpperCase() ?? ''}${what.slice(1)}. Apply it? [y/N] `;
    if (!(await confirm(question, { what: 'apply', ...(ctx.signals === undefined ? {} : { signal: ctx.signals.watch.abort }) }))) {
      throw new NotConfirmedError('apply cancelled; nothing was changed');
    }
    prompted = true;
  }
  if (opts.dryRun === true) {
    const dry = new DryRunDriver(real);
    const progress = await progressHooks(io, plan, base, true);
    await progress.run(async (hooks) => {
      await applyPlan(plan, dry, { hooks });
    });
    const steps = plan.actions.flatMap(stepsFor);
    io.out(`\nDry run: nothing was changed. ${steps.length} step${steps.length === 1 ? '' : 's'} would run:\n`);
    for (const s of steps) io.out(`  ${printable(describeStep(s, showPath))}\n`);
    return 0;
  }
  await runApply(plan, { file, opts, io, base, real, records: records(), prompted, saved: saved !== undefined, stateDir, manifestPath, signals: ctx.signals });
  io.out(`Applied: ${summaryLine(plan.summary)}\n`);
  return 0;
}

/** The apply itself, journaled: its records settled first, then its steps run with a progress view. */
async function runApply(
  plan: Plan,
  ctx: { file: string; opts: ApplyOptions; io: Io; base: string; real: Driver; records: Records; prompted: boolean; saved: boolean; stateDir: string; manifestPath: string; signals: ReturnType<typeof applySignals> | undefined },
): Promise<void> {
  const { io, real, stateDir } = ctx;
  // read before the first change; what they lack goes into records.json before this apply's
  // journal takes the last one's place: the last apply, and the links --prune found changed
  // (which no journal lists: they are not linkplan's any more, whatever this apply does)
  ctx.records.recordApplied(plan.actions.filter((a) => a.kind === 'noop' && a.source.where === PRUNE_WHERE));
  ctx.records.settle();
  const crash = parseCrashPoint(process.env['LINKPLAN_CRASH_AT']);
  const pause = parsePausePoint(process.env['LINKPLAN_PAUSE_AT']);
  const crashing = crash === undefined ? real : new CrashingDriver(real, crash);
  const driver = pause === undefined ? crashing : new PausingDriver(crashing, pause);
  const progress = await progressHooks(io, plan, ctx.base, false);
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

async function cmdRecover(file: string, opts: StateOptions & { forward?: boolean }, io: Io): Promise<number> {
  const saved = readSavedPlan(file);
  const manifestPath = manifestKey(saved?.manifest.path ?? file);
  const stateDir = stateDirFor(saved?.manifest.path ?? file, opts);
  const journalFile = journalPath(stateDir);
  if (!fs.existsSync(journalFile)) {
    io.out(`Nothing to recover: no unfinished apply of ${printable(file)}\n`);
    return 0;
  }
  return withLock(stateDir, { ...opts, command: `linkplan recover ${file}` }, async () => {
    // killed after its close record: it had ended, and only its move into the records was missed
    const ended = finishClosedJournal(stateDir, manifestPath);
    if (ended !== undefined) {
      io.out(`The last apply of ${file} had finished (${ended.replace('-', ' ')}) when it was stopped; its journal is now in the records\n`);
      return 0;
    }
    // the journal names the NTFS volumes the apply wrote through: recover through the same drivers
    const volumes = readJournal(journalFile)?.header?.volumes;
    const real = await driverFor(volumes === undefined ? {} : { volumes });
    const crash = parseCrashPoint(process.env['LINKPLAN_CRASH_AT']);
    const driver = crash === undefined ? real : new CrashingDriver(real, crash);
    // the last finished apply goes into records.json before this journal takes its place (and
    // this one is in the records once --forward finishes it)
    // (damaged records must not stop a recovery: the disk comes first)
    try {
      Records.load(stateDir, manifestPath).settle();
    } catch (e) {
      if (!(e instanceof LinkplanError)) throw e;
      io.err(printableLines(`linkplan: warning: ${e.message}\n  hint: ${e.hint ?? 'recover goes on; put the records right afterwards'}`) + '\n');
    }
    const result = recover(journalFile, driver, { forward: opts.forward === true, backwardCommand: commandLine(['recover'], file, opts) });
    if (result === undefined) {
      io.out(`Nothing to recover: no unfinished apply of ${printable(file)}\n`);
      return 0;
    }
    const header = result.journal.header;
    if (header === undefined) {
      io.out(`Nothing ran: the interrupted apply of ${printable(file)} stopped before its journal listed any step; the journal is cleared\n`);
      return 0;
    }
    const n = result.changed.length;
    io.out(
      result.direction === 'forward'
        ? `Finished the interrupted apply: ran the ${n} step${n === 1 ? '' : 's'} it had left\n`
        : `Rolled back the interrupted apply: undid ${n} step${n === 1 ? '' : 's'}; the disk is as it was before it${result.left?.length ? ', but for what is listed as left' : ''}\n`,
    );
    for (const c of [...result.changed, ...(result.left ?? [])]) io.out(`  ${printable(c)}\n`);
    return 0;
  });
}

/** An error as a person reads it; what its paths and values hold is escaped (printable.ts). */
function printError(e: unknown, io: Io): void {
  if (e instanceof LinkplanError) {
    io.err(`linkplan: ${printableLines(e.message)}\n`);
    if (e.hint !== undefined) io.err(`  hint: ${printableLines(e.hint)}\n`);
    return;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`linkplan: internal error: ${printableLines(msg)}\n`);
  if (process.env['LINKPLAN_DEBUG'] !== undefined && e instanceof Error && e.stack !== undefined) io.err(e.stack + '\n');
  else io.err('  hint: this is a bug in linkplan; run again with LINKPLAN_DEBUG=1 for details and report it\n');
}

export async function main(argv: readonly string[]): Promise<number> {
  // a reader that goes away (`linkplan apply ... | head -1`) must not stop an apply midway:
  // what is left to print is dropped, and the work goes on to its end
  const stdout = fdOutput(1, () => process.stdout);
  const stderr = fdOutput(2, () => process.stderr);
  const io: Io = {
    out: (s) => stdout.write(s),
    err: (s) => stderr.write(s),
    color: wantsColor(stdout),
    errColor: wantsColor(stderr),
    // stdout first: making the stdin stream loads much of node:fs's stream code, worth it only
    // where there is a terminal to talk to
    interactive: stdout.isTTY && process.stdin.isTTY === true,
  };
  let code = 0;
  const program = new Command()
    .name('linkplan')
    .description('Declarative link-layout manager: plan and apply junctions, symbolic links and hard links from a YAML manifest')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run linkplan --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: (s) => io.err(printableLines(s)) });

  const stateDirOption = (): Option =>
    new Option('--state-dir <dir>', 'where linkplan keeps its journal, lock and records (default: $LINKPLAN_STATE_DIR, else the XDG state folder)');
  const lockTimeoutOption = (): Option => new Option('--lock-timeout <seconds>', 'how long to wait for another apply of the same manifest').default('30');
  const varOption = (): Option => new Option('--var <name=value>', 'set a manifest variable (repeatable)').argParser(collectVar).default({}, 'none');

  program
    .command('validate')
    .description('check a manifest and report every problem in it')
    .argument('<manifest>', 'the layout.yaml file')
    .addOption(varOption())
    .action((file: string, opts: { var: Record<string, string> }) => {
      code = cmdValidate(file, opts, io);
    });
  program
    .command('plan')
    .description('show what apply would change, and why')
    .argument('<manifest>', 'the layout.yaml file')
    .option('--json', 'print the plan as JSON')
    .option('--out <file>', 'also save the plan as JSON, for `linkplan apply FILE`')
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when changes are pending, 1 on error')
    .option('-v, --verbose', 'also list the links that are already right')
    .option('--prune', 'also remove links linkplan made earlier that the manifest no longer declares')
    .addOption(stateDirOption())
    .addOption(varOption())
    .action(async (file: string, opts: Parameters<typeof cmdPlan>[1]) => {
      code = await cmdPlan(file, opts, io);
    });
  program
    .command('apply')
    .description('make the disk match a manifest or a saved plan; all or nothing')
    .argument('<manifest-or-plan>', 'a layout.yaml file, or a plan saved with plan --out')
    .option('-y, --yes', 'do not ask before removing or moving anything')
    .option('-n, --dry-run', 'check everything and show the steps, but change nothing')
    .option('-v, --verbose', 'also list the links that are already right')
    .option('--prune', 'also remove links linkplan made earlier that the manifest no longer declares')
    .addOption(stateDirOption())
    .addOption(lockTimeoutOption())
    .addOption(varOption())
    .action(async (file: string, opts: Parameters<typeof cmdApply>[1]) => {
      code = await cmdApply(file, opts, io);
    });
  program
    .command('recover')
    .description('roll back an apply that was interrupted (or finish it with --forward)')
    .argument('<manifest-or-plan>', 'the manifest (or saved plan) the interrupted apply was of')
    .option('--forward', 'finish the interrupted apply instead of rolling it back')
    .addOption(stateDirOption())
    .addOption(lockTimeoutOption())
    .action(async (file: string, opts: Parameters<typeof cmdRecover>[1]) => {
      code = await cmdRecover(file, opts, io);
    });
  // (backups prints paths as they are recorded: escaped, line by line; it prints no colours)
  const escapedIo: Io = { ...io, out: (s) => io.out(printableLines(s)), err: (s) => io.err(printableLines(s)) };
  backupsCommand(program, { io: escapedIo, stateDirOption, lockTimeoutOption, setCode: (c) => (code = c) });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 1;
    }
    printError(e, io);
    // an interrupted command (rolled back, or stopped at a second Ctrl-C) exits as a shell reports Ctrl-C
    return e instanceof InterruptedError || (e instanceof ApplyError && e.cause instanceof InterruptedError) ? 130 : 1;
  }
  return code;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`linkplan: internal error: ${printableLines(String(e))}\n`);
    process.exitCode = 1;
  },
);

export { ConflictError };
