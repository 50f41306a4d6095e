/**
 * The test entry (bundled as dist/test-entry.cjs, which only the tests run; nothing the package
 * ships refers to it): the same command as the shipped one, with the crash and pause points the
 * crash-recovery and signal tests need. LINKPLAN_CRASH_AT (`before:N` or `after:N`) kills the
 * process with SIGKILL at the Nth write of an apply or a recover, and `copy:N` or `verify:N` inside
 * a relocation's tree copy, at its Nth file copied or checked; LINKPLAN_PAUSE_AT (`N:GATE`)
 * holds an apply before its Nth write until the file GATE exists. The shipped command never reads
 * either variable.
 */
import { runProcess } from '../cli.js';
import { shippedDeps, type CommandDeps } from '../commands/context.js';
import { CrashingDriver, parseCrashPoint } from '../drivers/crash.js';
import { parsePausePoint, PausingDriver } from '../drivers/pause.js';

/** The shipped command's deps, the driver it writes through wrapped at the points `env` names. */
function testDeps(env: Readonly<Record<string, string | undefined>>): CommandDeps {
  const crash = parseCrashPoint(env['LINKPLAN_CRASH_AT']);
  const pause = parsePausePoint(env['LINKPLAN_PAUSE_AT']);
  return {
    ...shippedDeps(),
    wrapDriver: (real, use) => {
      const crashing = crash === undefined ? real : new CrashingDriver(real, crash);
      // (a recover is not paused: the signal tests hold an apply)
      return pause === undefined || use.command !== 'apply' ? crashing : new PausingDriver(crashing, pause);
    },
  };
}

runProcess(testDeps(process.env));
