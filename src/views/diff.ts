/**
 * Adds to a plan what a person needs to decide about a file in the way of a link to another
 * file: a bounded unified diff between the two (the `diff` package, loaded only when such a
 * case exists), "identical", or "binary" for files with NUL bytes. Reads through the driver.
 */
import type { Driver } from '../drivers/driver.js';
import path from 'node:path';
import { displayPath, type AbsPath } from '../core/paths.js';
import type { BackupAction, ConflictAction, ContentDiff, Plan } from '../core/types.js';

export const DIFF_MAX_BYTES = 256 * 1024;
export const DIFF_MAX_LINES = 80;

function isBinary(b: Uint8Array): boolean {
  const n = Math.min(b.length, 8000);
  for (let i = 0; i < n; i++) if (b[i] === 0) return true;
  return false;
}

export async function annotateDiffs(plan: Plan, driver: Driver): Promise<void> {
  // only a conflict or a backup can have a file in the way, as the summary counts them (a big
  // plan has neither: not a look at each action)
  if (plan.summary.conflict === 0 && plan.summary.backup === 0) return;
  const wanted = plan.actions.filter(
    (a): a is BackupAction | ConflictAction => (a.kind === 'conflict' || a.kind === 'backup-and-link') && a.before.kind === 'file' && a.link?.type !== 'hardlink',
  );
  const pairs: { a: (typeof wanted)[number]; target: AbsPath }[] = [];
  for (const a of wanted) {
    const target = a.link?.target;
    if (target === undefined || driver.observeTarget(target).kind !== 'file') continue;
    pairs.push({ a, target });
  }
  if (pairs.length === 0) return;
  const { createTwoFilesPatch } = await import('diff');
  const base = path.dirname(plan.manifest.path);
  const label = (p: string): string => displayPath(p, { base });
  for (const { a, target } of pairs) {
    const mine = driver.readHead(a.path, DIFF_MAX_BYTES);
    const theirs = driver.readHead(target, DIFF_MAX_BYTES);
    let d: ContentDiff;
    if (mine.size > DIFF_MAX_BYTES || theirs.size > DIFF_MAX_BYTES) {
      d = { kind: 'too-large', paths: [a.path, target], limit: DIFF_MAX_BYTES };
    } else if (isBinary(mine.bytes) || isBinary(theirs.bytes)) {
      d = Buffer.from(mine.bytes).equals(Buffer.from(theirs.bytes)) ? { kind: 'identical' } : { kind: 'binary', paths: [a.path, target] };
    } else {
      const left = Buffer.from(mine.bytes).toString('utf8');
      const right = Buffer.from(theirs.bytes).toString('utf8');
      if (left === right) {
        d = { kind: 'identical' };
      } else {
        const lines = createTwoFilesPatch(label(a.path), label(target), left, right, 'in the way', 'link target', { context: 2 }).split('\n');
        // drop the "Index:" and "====" header lines the package adds
        const body = lines.filter((l, i) => !(i < 2 && (l.startsWith('Index:') || l.startsWith('===')))).filter((l, i, all) => !(i === all.length - 1 && l === ''));
        const shown = body.slice(0, DIFF_MAX_LINES);
        // a cut right after a hunk header would leave the header with none of its lines
        if (body.length > DIFF_MAX_LINES) while (shown.at(-1)?.startsWith('@@') === true) shown.pop();
        d = { kind: 'text', patch: shown.join('\n'), truncated: body.length > DIFF_MAX_LINES };
      }
    }
    a.diff = d;
  }
}

