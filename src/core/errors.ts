/**
 * The errors linkplan reports to people. Each class is named for what went wrong; its message
 * reads `path: what is wrong` (no trailing period) and `hint` says what to do about it. The CLI
 * prints these without a stack trace; anything else is an internal error.
 */
import { printable } from './printable.js';

export class LinkplanError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
  }
}

/** One problem found in a manifest, with its place in the YAML. */
export interface ManifestProblem {
  /** The YAML path, like `links[3].target`, or '' for the document itself. */
  where: string;
  line?: number;
  column?: number;
  message: string;
}

export function formatProblem(file: string, p: ManifestProblem): string {
  const pos = p.line === undefined ? file : `${file}:${p.line}:${p.column ?? 1}`;
  return p.where === '' ? `${pos}: ${p.message}` : `${pos}: ${p.where}: ${p.message}`;
}

/** How many of a manifest's problems its message lists (a generated or binary file can have thousands). */
export const MAX_PROBLEMS_SHOWN = 100;

/** A manifest that cannot be used: every problem at once (the first MAX_PROBLEMS_SHOWN in its message). */
export class ManifestError extends LinkplanError {
  readonly file: string;
  readonly problems: readonly ManifestProblem[];
  constructor(file: string, problems: readonly ManifestProblem[], hint?: string) {
    const n = problems.length;
    // each problem on its own line, whatever its path or value holds
    const shown = problems.slice(0, MAX_PROBLEMS_SHOWN).map((p) => '  ' + printable(formatProblem(file, p)));
    if (n > MAX_PROBLEMS_SHOWN) shown.push(`  ... and ${n - MAX_PROBLEMS_SHOWN} more`);
    super(`${printable(file)}: ${n} problem${n === 1 ? '' : 's'} in the manifest\n` + shown.join('\n'), {
      hint: hint ?? 'fix the manifest and run the command again; nothing was changed',
    });
    this.file = file;
    this.problems = problems;
  }
}

/** Wrong words on the command line, or a file that is neither a manifest nor a plan. */
export class UsageError extends LinkplanError {}

/** A saved or fresh plan whose `before` no longer matches the disk. */
export class StalePlanError extends LinkplanError {
  readonly drifted: readonly { path: string; expected: string; found: string }[];
  constructor(drifted: readonly { path: string; expected: string; found: string }[]) {
    super(
      'plan is stale: ' +
        drifted.map((d) => `${d.path} (planned against ${d.expected}, now ${d.found})`).join('\n  plan is stale: '),
      { hint: 'the disk changed since the plan was made; run `linkplan plan` again; nothing was changed' },
    );
    this.drifted = drifted;
  }
}

/** A plan that holds conflicts cannot be applied. */
export class ConflictError extends LinkplanError {}

/** The user declined, or no terminal was there to ask and --yes was not given. */
export class NotConfirmedError extends LinkplanError {}

/** A driver call failed; carries the OS error code when there is one. */
export class DriverError extends LinkplanError {
  readonly code: string | undefined;
  readonly path: string;
  constructor(path: string, what: string, opts: { code?: string; cause?: unknown; hint?: string } = {}) {
    super(`${path}: ${what}`, opts);
    this.path = path;
    this.code = opts.code;
  }
}

/** An apply that failed midway, after rolling back what it had done. */
export class ApplyError extends LinkplanError {
  readonly rolledBack: number;
  readonly rollbackFailures: readonly string[];
  constructor(message: string, opts: { rolledBack: number; rollbackFailures: readonly string[]; cause?: unknown; hint?: string }) {
    super(message, opts);
    this.rolledBack = opts.rolledBack;
    this.rollbackFailures = opts.rollbackFailures;
  }
}

export function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e && typeof (e).code === 'string') {
    return (e as { code: string }).code;
  }
  return undefined;
}
