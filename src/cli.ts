/**
 * The command line: argv -> command -> exit code. Parses arguments with commander and hands each
 * command (src/commands/) its options, the terminal it talks to and what is composed from outside
 * (the drivers, and the hook that wraps the one it writes through); turns every linkplan error
 * into a short message with a hint on stderr and exit code 1 (130 for an interrupted command).
 * `runProcess` is the only place that sets the process's exit code; the shipped command
 * (src/main.ts) and the test entry (src/testing/entry.ts) both call it.
 */
import { Command, CommanderError, Option } from 'commander';
import { InterruptedError } from './apply/interrupt.js';
import { ApplyError, LinkplanError, UsageError } from './core/errors.js';
import { printableLines } from './core/printable.js';
import { VERSION } from './core/version.js';
import * as apply from './commands/apply.js';
import { backupsCommand } from './commands/backups.js';
import type { CommandDeps, Io } from './commands/context.js';
import * as plan from './commands/plan.js';
import * as recover from './commands/recover.js';
import * as switchCmd from './commands/switch.js';
import * as validate from './commands/validate.js';
import { loadPlatformDriver } from './drivers/select.js';
import { fdOutput, type Output } from './views/output.js';

function wantsColor(out: Output, env: CommandDeps['env']): boolean {
  const noColor = env['NO_COLOR'];
  return out.isTTY && (noColor === undefined || noColor === '') && env['TERM'] !== 'dumb';
}

function collectVar(value: string, prev: Record<string, string>): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`--var ${value}: expected NAME=VALUE`);
  return { ...prev, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** An error as a person reads it; what its paths and values hold is escaped (printable.ts). */
function printError(e: unknown, io: Io, env: CommandDeps['env']): void {
  if (e instanceof LinkplanError) {
    io.err(`linkplan: ${printableLines(e.message)}\n`);
    if (e.hint !== undefined) io.err(`  hint: ${printableLines(e.hint)}\n`);
    return;
  }
  const msg = e instanceof Error ? e.message : String(e);
  io.err(`linkplan: internal error: ${printableLines(msg)}\n`);
  if (env['LINKPLAN_DEBUG'] !== undefined && e instanceof Error && e.stack !== undefined) io.err(e.stack + '\n');
  else io.err('  hint: this is a bug in linkplan; run again with LINKPLAN_DEBUG=1 for details and report it\n');
}

/** The process's stdout and stderr, and whether there is a terminal to draw on and ask at. */
function processIo(env: CommandDeps['env']): Io {
  // a reader that goes away (`linkplan apply ... | head -1`) must not stop an apply midway:
  // what is left to print is dropped, and the work goes on to its end
  const stdout = fdOutput(1, () => process.stdout);
  const stderr = fdOutput(2, () => process.stderr);
  return {
    out: (s) => stdout.write(s),
    err: (s) => stderr.write(s),
    color: wantsColor(stdout, env),
    errColor: wantsColor(stderr, env),
    // stdout first: making the stdin stream loads much of node:fs's stream code, worth it only
    // where there is a terminal to talk to
    interactive: stdout.isTTY && process.stdin.isTTY === true,
  };
}

const stateDirOption = (): Option =>
  new Option('--state-dir <dir>', 'where linkplan keeps its journal, lock and records (default: $LINKPLAN_STATE_DIR, else the XDG state folder)');
const lockTimeoutOption = (): Option => new Option('--lock-timeout <seconds>', 'how long to wait for another apply of the same manifest').default('30');
const varOption = (): Option => new Option('--var <name=value>', 'set a manifest variable (repeatable)').argParser(collectVar).default({}, 'none');

/** The commands, each action setting the exit code through `setCode`. */
function program(io: Io, deps: CommandDeps, setCode: (c: number) => void): Command {
  const p = new Command()
    .name('linkplan')
    .description('Declarative link-layout manager: plan and apply junctions, symbolic links and hard links from a YAML manifest')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run linkplan --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: (s) => io.err(printableLines(s)) });
  p.command('validate')
    .description('check a manifest and report every problem in it')
    .argument('<manifest>', 'the layout.yaml file')
    .addOption(varOption())
    .action((file: string, opts: Omit<validate.ValidateOptions, 'file'>) => setCode(validate.run({ ...opts, file }, io, deps)));
  p.command('plan')
    .description('show what apply would change, and why')
    .argument('<manifest>', 'the layout.yaml file')
    .option('--json', 'print the plan as JSON')
    .option('--out <file>', 'also save the plan as JSON, for `linkplan apply FILE`')
    .option('--detailed-exitcode', 'exit 0 when nothing would change, 2 when changes are pending, 1 on error')
    .option('-v, --verbose', 'also list the links that are already right')
    .option('--prune', 'also remove links linkplan made earlier that the manifest no longer declares')
    .addOption(stateDirOption())
    .addOption(varOption())
    .action(async (file: string, opts: Omit<plan.PlanOptions, 'file'>) => setCode(await plan.run({ ...opts, file }, io, deps)));
  p.command('apply')
    .description('make the disk match a manifest or a saved plan; all or nothing')
    .argument('<manifest-or-plan>', 'a layout.yaml file, or a plan saved with plan --out')
    .option('-y, --yes', 'do not ask before removing or moving anything')
    .option('-n, --dry-run', 'check everything and show the steps, but change nothing')
    .option('-v, --verbose', 'also list the links that are already right')
    .option('--prune', 'also remove links linkplan made earlier that the manifest no longer declares')
    .addOption(stateDirOption())
    .addOption(lockTimeoutOption())
    .addOption(varOption())
    .action(async (file: string, opts: Omit<apply.ApplyOptions, 'file'>) => setCode(await apply.run({ ...opts, file }, io, deps)));
  p.command('switch')
    .description('switch a tool between its versions (switches: in the manifest), or list them')
    .argument('<manifest>', 'the layout.yaml file')
    .argument('<name>', 'the switch, as named under switches:')
    .argument('[version]', 'the version to switch to (leave out to list them)')
    .option('--no-save', 'switch the link but leave the manifest as it is (the next apply switches back)')
    .option('--json', 'list the versions as JSON')
    .option('-y, --yes', 'do not ask before removing or moving anything')
    .addOption(stateDirOption())
    .addOption(lockTimeoutOption())
    .addOption(varOption())
    .action(async (file: string, name: string, version: string | undefined, opts: Omit<switchCmd.SwitchOptions, 'file' | 'name' | 'version'>) =>
      setCode(await switchCmd.run({ ...opts, file, name, ...(version === undefined ? {} : { version }) }, io, deps)),
    );
  p.command('recover')
    .description('roll back an apply that was interrupted (or finish it with --forward)')
    .argument('<manifest-or-plan>', 'the manifest (or saved plan) the interrupted apply was of')
    .option('--forward', 'finish the interrupted apply instead of rolling it back')
    .addOption(stateDirOption())
    .addOption(lockTimeoutOption())
    .action(async (file: string, opts: Omit<recover.RecoverOptions, 'file'>) => setCode(await recover.run({ ...opts, file }, io, deps)));
  // (backups prints paths as they are recorded: escaped, line by line; it prints no colours)
  const escapedIo: Io = { ...io, out: (s) => io.out(printableLines(s)), err: (s) => io.err(printableLines(s)) };
  backupsCommand(p, { io: escapedIo, deps, stateDirOption, lockTimeoutOption, setCode });
  return p;
}

/** Runs one command line (without `node linkplan`) and returns its exit code. */
export async function main(argv: readonly string[], deps: CommandDeps): Promise<number> {
  const io = processIo(deps.env);
  let code = 0;
  try {
    // (the Windows driver, on Windows only: the commands make drivers synchronously)
    await loadPlatformDriver();
    await program(io, deps, (c) => (code = c)).parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 1;
    }
    printError(e, io, deps.env);
    // an interrupted command (rolled back, or stopped at a second Ctrl-C) exits as a shell reports Ctrl-C
    return e instanceof InterruptedError || (e instanceof ApplyError && e.cause instanceof InterruptedError) ? 130 : 1;
  }
  return code;
}

/** Runs this process's command line and sets its exit code. */
export function runProcess(deps: CommandDeps): void {
  main(process.argv.slice(2), deps).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`linkplan: internal error: ${printableLines(String(e))}\n`);
      process.exitCode = 1;
    },
  );
}
