/**
 * What `--prune` left alone, in words: one line per link linkplan made that the manifest no
 * longer declares and that prune did not remove because it is no longer that link (the user
 * re-pointed or replaced it), is reached through a folder link, or lies outside the folders the
 * manifest manages now. `plan` and `apply` print them as they are (what the paths hold is escaped
 * here): the plan keeps them as unchanged entries.
 */
import { printable } from '../core/printable.js';
import { LEFT_ALONE_REASON, type Action, type NoopAction } from '../core/types.js';

const leftAlone = (a: Action): a is NoopAction => a.kind === 'noop' && (a.prune === 'left-alone' || a.prune === 'outside');

export function leftAloneLines(actions: readonly Action[], show: (p: string) => string): string[] {
  return actions.filter(leftAlone).map((a) => {
    // (the reason says what prune found; the line says the "left alone" part itself)
    const why = a.reason.startsWith(LEFT_ALONE_REASON) ? a.reason.slice(LEFT_ALONE_REASON.length) : a.reason;
    return printable(`Left alone (not pruned): ${show(a.path)}: ${why}`);
  });
}
