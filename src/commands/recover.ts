/**
 * `linkplan recover MANIFEST|PLAN.json`: finishes what an interrupted apply left, under the
 * manifest's lock: rolls it back from its journal (or, with --forward, runs the steps it had
 * left), through the drivers of the volumes the journal names. A journal whose apply had ended
 * only moves into the records.
 */
import fs from 'node:fs';
import { recover } from '../apply/recover.js';
import { LinkplanError } from '../core/errors.js';
import { printable, printableLines } from '../core/printable.js';
import { Records } from '../state/records.js';
import { manifestKey } from '../state/state-dir.js';
import { commandLine, finishClosedJournal, stateDirFor, withLock, type StateOptions } from '../state/state.js';
import { readJournal } from '../state/journal/reader.js';
import { journalPath } from '../state/journal/format.js';
import { readSavedPlan } from '../views/saved-plan.js';
import type { CommandDeps, Io } from './context.js';

export type RecoverOptions = StateOptions & {
  /** The manifest or saved plan the interrupted apply was of, as given. */
  file: string;
  forward?: boolean;
};

export async function run(opts: RecoverOptions, io: Io, deps: CommandDeps): Promise<number> {
  const { file } = opts;
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
    const real = await deps.driverFor(volumes === undefined ? {} : { volumes });
    const driver = deps.wrapDriver(real, { command: 'recover' });
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
