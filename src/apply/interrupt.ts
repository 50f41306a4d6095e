/**
 * Ctrl-C, SIGTERM and SIGHUP during a command that changes the disk. `watchSignals` catches them
 * for as long as the command runs: the first one (any of the three) asks it to stop cleanly (a
 * question waiting for an answer is cancelled; an apply finishes its current step and rolls back
 * what it did), a second Ctrl-C asks it to stop at once, leaving its journal for `recover`.
 * Node runs signal handlers only from its event loop, and an apply runs its steps synchronously:
 * `SignalPoll` gives the handlers their turn, yielding to the event loop once every few
 * milliseconds of steps (a few dozen times in a 10,000-link apply). Interrupted commands exit 130.
 */
import { LinkplanError } from '../core/errors.js';

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGHUP';
const SIGNALS: readonly StopSignal[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** A command stopped by a signal; the CLI exits 130. */
export class InterruptedError extends LinkplanError {
  readonly signal: StopSignal;
  constructor(signal: StopSignal, message: string, opts: { hint?: string } = {}) {
    super(message, opts);
    this.signal = signal;
  }
}

/** A second Ctrl-C: the apply stopped at once, without rolling back, and left its journal. */
export class StoppedAtOnceError extends InterruptedError {}

/** What an apply reads between its steps: whether to stop, and how soon. */
export interface Interrupt {
  /** The first signal, once one came: stop after the current step and roll back. */
  readonly first: StopSignal | undefined;
  /** A second Ctrl-C came: stop at once, leave the journal. */
  readonly now: boolean;
}

export interface SignalWatch extends Interrupt {
  /** Aborted at the first signal (its reason is the signal), for a question that waits. */
  readonly abort: AbortSignal;
  /** Gives the signals back to Node's defaults. */
  dispose(): void;
}

/** Catches the three signals until `dispose`; `onFirst` and `onSecond` say what is being done about them. */
export function watchSignals(opts: { onFirst?: (sig: StopSignal) => void; onSecond?: () => void } = {}): SignalWatch {
  const controller = new AbortController();
  let first: StopSignal | undefined;
  let now = false;
  const handler = (sig: NodeJS.Signals): void => {
    const s = sig as StopSignal;
    if (first === undefined) {
      first = s;
      controller.abort(s);
      opts.onFirst?.(s);
    } else if (s === 'SIGINT' && !now) {
      now = true;
      opts.onSecond?.();
    }
  };
  for (const s of SIGNALS) process.on(s, handler);
  return {
    get first() {
      return first;
    },
    get now() {
      return now;
    },
    abort: controller.signal,
    dispose: () => {
      for (const s of SIGNALS) process.removeListener(s, handler);
    },
  };
}

/** How long a run of synchronous steps may go before signal handlers get their turn. */
const YIELD_MS = 8;

/**
 * Lets signal handlers run during a loop of synchronous steps: `due()` (a clock read, some tens
 * of nanoseconds) says when a turn of the event loop is due, and `yield` gives it. A signal that
 * came during a step is handled right after it: a step that took longer than the interval is
 * followed by a turn at once.
 */
export class SignalPoll {
  private last = Date.now();
  due(): boolean {
    return Date.now() - this.last >= YIELD_MS;
  }
  async yield(): Promise<void> {
    // Node reads the signals that came in its poll phase: an immediate queued from a poll-phase
    // callback runs before the next one, but a second one, queued from the first, runs after it
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    this.last = Date.now();
  }
}
