/**
 * Asks a yes/no question on the terminal. Only called when stdin and stdout are a TTY. readline
 * is loaded here, when a question is asked: most runs never ask one. Ctrl-C at the question, or a
 * signal that aborts `signal` (SIGTERM, SIGHUP), cancels it with an `InterruptedError`.
 */
import { InterruptedError, type StopSignal } from '../apply/interrupt.js';

export async function confirm(question: string, opts: { signal?: AbortSignal; what?: string } = {}): Promise<boolean> {
  const cancelled = (sig: StopSignal): InterruptedError => new InterruptedError(sig, `${opts.what === undefined ? '' : `${opts.what} `}cancelled at the prompt (${sig}); nothing was changed`);
  const signal = opts.signal;
  if (signal?.aborted === true) throw cancelled(signal.reason as StopSignal);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const interrupted = new Promise<never>((_, reject) => {
      // Ctrl-C typed at the question (the terminal is in raw mode: no signal is sent)
      rl.on('SIGINT', () => reject(cancelled('SIGINT')));
      signal?.addEventListener('abort', () => reject(cancelled(signal.reason as StopSignal)), { once: true });
    });
    const answer = await Promise.race([rl.question(question), interrupted]).catch((e: unknown) => {
      // (what comes next starts a line of its own, not after the question)
      process.stdout.write('\n');
      throw e;
    });
    return /^(y|yes)$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}
