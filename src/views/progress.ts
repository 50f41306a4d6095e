/**
 * The progress view of an apply: on a terminal wide enough, a listr2 task whose title counts the
 * changes and whose output names the one running (listr2 is loaded only then); otherwise, and for
 * a dry run, one plain line per action, written in blocks. On a terminal, a relocation's copy
 * (which runs without yielding) shows how far it is on a line of its own on stderr, redrawn at most
 * ten times a second and cleared once the copy is done. Returns the applier's hooks and a `run`
 * that runs the apply inside the view.
 */
import fs from 'node:fs';
import os from 'node:os';
import type { ApplyHooks } from '../apply/applier.js';
import type { Action, Plan } from '../core/types.js';
import type { CopyProgress } from '../drivers/driver.js';
import { linesNeedEscape } from '../core/printable.js';
import { bytesText } from '../core/sizes.js';
import { actionRenderer, colorsFor } from './render.js';

/** Where the view writes, and whether it may draw. */
export interface ProgressIo {
  out: (s: string) => void;
  color: boolean;
  interactive: boolean;
}

export interface ProgressView {
  hooks: ApplyHooks;
  run: (job: (hooks: ApplyHooks) => Promise<void>) => Promise<void>;
}

/** One line per action, written in blocks: thousands of links need not cost a write each. */
function plainLines(io: ProgressIo, show: { base: string; home: string; color: boolean }): ProgressView {
  const render = actionRenderer(show, colorsFor(io.color));
  // without colours, a block is tested as a whole, one test of 32 KiB rather than one per line,
  // and only a block with something to escape is made again line by line (in colour, each line is
  // tested without its colours: see actionRenderer)
  const whole = !io.color;
  const line = whole ? render.unescaped : render.line;
  let block = '';
  /** The block's actions, where it is tested as a whole (to make it again line by line). */
  let shown: Action[] = [];
  const flush = (): void => {
    if (block !== '') io.out(whole && linesNeedEscape(block, shown.length) ? shown.map((a) => `${render.line(a)}\n`).join('') : block);
    block = '';
    shown = [];
  };
  const hooks: ApplyHooks = {
    onAction: (a) => {
      block += line(a) + '\n';
      if (whole) shown.push(a);
      if (block.length >= 32768) flush();
    },
  };
  return { hooks, run: (job) => job(hooks).finally(flush) };
}

/**
 * The line that shows how far the plan's relocations have copied (`write` draws it), and its
 * `clear`; undefined for a plan without one.
 */
export function copyProgressLine(plan: Plan, write: (s: string) => void): { onCopy: (p: CopyProgress) => void; clear: () => void } | undefined {
  let bytes = 0;
  let files = 0;
  for (const a of plan.actions) {
    if (a.kind !== 'relocate') continue;
    bytes += a.copy.bytes;
    files += a.copy.files;
  }
  if (files === 0 && bytes === 0) return undefined;
  let last = 0;
  let shown = false;
  return {
    onCopy: (p) => {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      write(`\r\x1b[2K  ${p.phase === 'copy' ? 'copying' : 'checking the copy'}: ${bytesText(p.bytes)} of ${bytesText(bytes)}, ${p.files} of ${files} files`);
    },
    clear: () => {
      if (shown) write('\r\x1b[2K');
      shown = false;
    },
  };
}

export async function progressHooks(io: ProgressIo, plan: Plan, opts: { base: string; dryRun: boolean }): Promise<ProgressView> {
  const show = { base: opts.base, home: os.homedir(), color: io.color };
  // listr2 draws to the terminal's width: a terminal that reports none (some pseudo-terminals
  // do) would get one character per line, so it gets the plain lines instead
  const width = io.interactive ? (process.stdout.columns ?? 0) : 0;
  if (!io.interactive || opts.dryRun || width < 20) return plainLines(io, show);
  const { Listr } = await import('listr2');
  const plain = actionRenderer({ ...show, color: false });
  const total = plan.actions.filter((a) => a.kind !== 'noop').length;
  // (written to the descriptor itself: listr2 takes over process.stderr.write while it draws, and
  // prints each write captured there as a line of its own, where this line must redraw in place)
  const copying = copyProgressLine(plan, (text) => fs.writeSync(process.stderr.fd, text));
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
                ...(copying === undefined ? {} : { onCopy: copying.onCopy }),
                onAction: async (a, done, n) => {
                  copying?.clear();
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
