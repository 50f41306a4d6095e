/**
 * Renders a plan as text for a person. Everything shown comes from the `Plan` value that
 * `plan --json` prints, so the two can never disagree. One line per action with a symbol
 * (+ create, ~ retarget, - remove, * backup and link, < adopt, > relocate, = unchanged, ! conflict), then
 * notes, hints and bounded diffs indented below it, and a summary line. Colours only when asked
 * (the CLI asks on a TTY without NO_COLOR). Control characters in paths, link texts and file
 * contents are escaped (see printable.ts): each action is one line, whatever its names hold.
 */
import pc from 'picocolors';
import { displayPath, isInside, isWindowsAbsolute, pathDisplay, pathKey, resolveLinkText } from '../core/paths.js';
import { needsEscape, printable } from '../core/printable.js';
import { describeEntry, modeText } from '../core/entries.js';
import { treeText } from '../core/sizes.js';
import { makesLink, type Action, type ActionKind, type ContentDiff, type LinkAction, type LinkSpec, type Plan, type PlanSummary } from '../core/types.js';

export interface RenderOptions {
  /** Paths below this folder are shown relative to it (the manifest's folder). */
  base?: string;
  home?: string;
  color: boolean;
  /** Show unchanged links too. */
  verbose?: boolean;
}

const SYMBOL: Record<ActionKind, string> = {
  create: '+',
  retarget: '~',
  remove: '-',
  'backup-and-link': '*',
  adopt: '<',
  relocate: '>',
  'make-folder': '+',
  noop: '=',
  conflict: '!',
};
const LABEL: Record<ActionKind, string> = {
  create: 'create',
  retarget: 'retarget',
  remove: 'remove',
  'backup-and-link': 'backup',
  adopt: 'adopt',
  relocate: 'relocate',
  'make-folder': 'folder',
  noop: 'ok',
  conflict: 'conflict',
};

/** Symbol and label, as each line starts: `+ create  `. */
const TAG = Object.fromEntries((Object.keys(SYMBOL) as ActionKind[]).map((k) => [k, `${SYMBOL[k]} ${LABEL[k].padEnd(8)}`])) as Record<ActionKind, string>;

export type Colors = ReturnType<typeof pc.createColors>;

/** The colour functions, made once for many `renderAction` calls. */
export function colorsFor(color: boolean): Colors {
  return pc.createColors(color);
}

function paint(c: Colors, kind: ActionKind, s: string): string {
  switch (kind) {
    case 'create':
    case 'make-folder':
      return c.green(s);
    case 'retarget':
      return c.yellow(s);
    case 'remove':
      return c.red(s);
    case 'backup-and-link':
    case 'adopt':
    case 'relocate':
      return c.magenta(s);
    case 'noop':
      return c.dim(s);
    case 'conflict':
      return c.bold(c.red(s));
  }
}

export function summaryLine(s: PlanSummary): string {
  const parts = [`${s.create} to create`, `${s.retarget} to retarget`, `${s.remove} to remove`, `${s.unchanged} unchanged`];
  if (s.backup > 0) parts.push(`${s.backup} to back up and link`);
  if (s.adopt > 0) parts.push(`${s.adopt} to adopt`);
  if ((s.relocate ?? 0) > 0) parts.push(`${s.relocate ?? 0} to relocate`);
  if (s.conflict > 0) parts.push(`${s.conflict} conflict${s.conflict === 1 ? '' : 's'}`);
  return parts.join(', ');
}

function renderDiff(d: ContentDiff, c: Colors, show: (p: string) => string): string[] {
  switch (d.kind) {
    case 'identical':
      return ['the file in the way has the same content as the target'];
    case 'binary':
      return [`binary files differ: ${show(d.paths[0])} and ${show(d.paths[1])}`];
    case 'too-large':
      return [`no diff shown: ${show(d.paths[0])} or ${show(d.paths[1])} is over ${d.limit / 1024} KiB`];
    case 'text': {
      const lines = d.patch
        .split('\n')
        .map((raw) => {
          const l = printable(raw, { keepTabs: true });
          return l.startsWith('+') ? c.green(l) : l.startsWith('-') ? c.red(l) : l.startsWith('@@') ? c.cyan(l) : l;
        });
      if (d.truncated) lines.push(c.dim('... (diff cut short)'));
      return lines;
    }
  }
}

/** True when a link text is relative (resolved against the link's folder). */
function isRelativeText(t: string): boolean {
  return !(t.startsWith('/') || isWindowsAbsolute(t));
}

/** The folders an action makes, as its line names them (none: nothing). */
function foldersText(ps: readonly string[] | undefined, show: (p: string) => string): string {
  if (ps === undefined || ps.length === 0) return '';
  return `, new folder${ps.length > 1 ? 's' : ''} ${ps.length === 1 ? show(ps[0] as string) : ps.map(show).join(', ')}`;
}

/** Renders one action after another with the same options (an apply shows thousands). */
export interface ActionRenderer {
  /** The action's lines: its own, then its notes, hint and diff. */
  lines: (a: Action) => string[];
  /** The action's own line alone. */
  line: (a: Action) => string;
  /** The action's own line, not yet escaped: for a caller that tests many lines at once (linesNeedEscape). */
  unescaped: (a: Action) => string;
}

const NO_COLORS = colorsFor(false);

export function actionRenderer(opts: RenderOptions, c: Colors = colorsFor(opts.color === true)): ActionRenderer {
  const show = pathDisplay(opts);
  // one test of the finished line: only a line with something to escape costs more; in colour,
  // the test is of the line without colours (their own escape sequences are not to be escaped),
  // and a line that needs escaping is shown escaped and without colours
  const line = c.isColorSupported
    ? (a: Action): string => {
        const plain = actionLine(a, show, NO_COLORS);
        return needsEscape(plain) ? printable(plain) : actionLine(a, show, c);
      }
    : (a: Action): string => {
        const s = actionLine(a, show, c);
        return needsEscape(s) ? printable(s) : s;
      };
  return {
    lines: (a) => {
      const out = [line(a)];
      for (let i = 0; i < a.notes.length; i++) out.push(`      ${c.dim(`note: ${printable(a.notes[i] ?? '')}`)}`);
      if (a.kind === 'conflict') out.push(`      hint: ${printable(a.hint)}`);
      const diff = a.kind === 'conflict' || a.kind === 'backup-and-link' ? a.diff : undefined;
      if (diff !== undefined) {
        // (a diff's paths are escaped here; its content lines, coloured, in renderDiff)
        const shown = diff.kind === 'text' ? show : (p: string): string => printable(show(p));
        for (const l of renderDiff(diff, c, shown)) out.push(`      ${l}`);
      }
      return out;
    },
    line,
    unescaped: (a) => actionLine(a, show, c),
  };
}

export function renderAction(a: Action, opts: RenderOptions, c: Colors = colorsFor(opts.color === true)): string[] {
  return actionRenderer(opts, c).lines(a);
}

/** A link's kind as its line names it, with its text where that is relative (a text that is the target is not). */
function kindTextOf(link: LinkSpec): string {
  if (link.targetForm === 'volume-guid') return `${link.type}, written as ${link.linkText}`;
  return link.type !== 'hardlink' && link.linkText !== link.target && isRelativeText(link.linkText) ? `${link.type}, relative text ${link.linkText}` : link.type;
}

/** `  + create   `, as a create's line starts without colours. */
const CREATE_HEAD = `  ${TAG.create} `;

function actionLine(a: Action, show: (p: string) => string, c: Colors): string {
  // (no closures made per action: a progress view renders thousands)
  if (a.kind === 'create' && !c.isColorSupported) {
    // the line a first apply prints thousands of, in as few steps as it can be made: this code
    // runs once per link, mostly before the optimiser has got to it (the same text as below)
    return `${CREATE_HEAD}${show(a.path)} -> ${show(a.link.target)}  (${kindTextOf(a.link)}${foldersText(a.parents, show)})`;
  }
  const head = `  ${paint(c, a.kind, TAG[a.kind])} ${show(a.path)}`;
  if (!makesLink(a)) return unlinkedLine(a, head, show, c);
  const link = a.link;
  // the arrow shows where the link leads; a relative link's own text is named in the brackets
  const arrow = ` -> ${show(link.target)}`;
  const kindText = kindTextOf(link);
  switch (a.kind) {
    case 'create':
      return `${head}${arrow}  ${c.dim(`(${kindText}${foldersText(a.parents, show)})`)}`;
    case 'retarget': {
      let was = `was ${describeEntry(a.before)}`;
      if (a.before.kind === link.type && 'linkText' in a.before) {
        const before = resolveLinkText(a.path, a.before.linkText);
        was =
          pathKey(before) === pathKey(link.target)
            ? `same target, was ${isRelativeText(a.before.linkText) ? `relative text ${a.before.linkText}` : 'absolute text'}`
            : `was ${show(before)}`;
      }
      const kept = a.backupPath === undefined ? '' : `, not made by linkplan: a copy kept at ${show(a.backupPath)}`;
      return `${head}${arrow}  ${c.dim(`(${kindText}; ${was}${kept})`)}`;
    }
    case 'backup-and-link':
      return `${head}${arrow}  ${c.dim(`(${kindText}; moves ${describeEntry(a.before)} aside to ${show(a.backupPath)})`)}`;
    case 'adopt':
      return `${head}${arrow}  ${c.dim(`(${kindText}; moves ${describeEntry(a.before)} into ${show(link.target)}${a.intoEmpty === true ? ', in place of its empty folder' : ''}${foldersText(a.targetParents, show)})`)}`;
    case 'relocate':
      return `${head}${arrow}  ${c.dim(`(${kindText}; copies ${treeText(a.copy)} to another volume${a.intoEmpty === true ? ' in place of its empty folder' : ''}, checks the copy, keeps the original at ${show(a.backupPath)}${foldersText(a.targetParents, show)})`)}`;
  }
}

/** The line of an action that makes no link: a remove, a noop or a conflict. */
function unlinkedLine(a: Exclude<Action, LinkAction>, head: string, show: (p: string) => string, c: Colors): string {
  switch (a.kind) {
    case 'remove':
      return `${head}  ${c.dim(`(${a.removeTarget !== undefined ? `a hard link of ${show(a.removeTarget)}` : describeEntry(a.before)})`)}`;
    case 'noop':
      if (a.before.kind === 'symlink' || a.before.kind === 'junction') {
        const t = a.before.linkText;
        return `${head} -> ${show(resolveLinkText(a.path, t))}  ${c.dim(`(${a.before.kind}${isRelativeText(t) ? `, relative text ${t}` : ''})`)}`;
      }
      return `${head}  ${c.dim(`(${a.reason})`)}`;
    case 'conflict':
      return `${head}: ${a.reason}`;
    case 'make-folder': {
      const facts = [...(a.mode === undefined ? [] : [`mode ${modeText(a.mode)}`]), ...(a.parents === undefined ? [] : [`new folder${a.parents.length === 1 ? '' : 's'} ${a.parents.map(show).join(', ')}`])];
      return facts.length === 0 ? head : `${head}  ${c.dim(`(${facts.join('; ')})`)}`;
    }
  }
}

export function renderPlan(plan: Plan, opts: RenderOptions): string {
  const c = colorsFor(opts.color === true);
  const render = actionRenderer(opts, c);
  const lines: string[] = [];
  for (let i = 0; i < plan.actions.length; i++) {
    const a = plan.actions[i] as Action;
    if (a.kind === 'noop' && opts.verbose !== true) continue;
    const own = render.lines(a);
    for (let k = 0; k < own.length; k++) lines.push(own[k] as string);
  }
  if (lines.length > 0) lines.push('');
  lines.push(`Plan: ${summaryLine(plan.summary)}`);
  const changes = plan.summary.create + plan.summary.retarget + plan.summary.remove + plan.summary.backup + plan.summary.adopt + (plan.summary.relocate ?? 0);
  if (plan.summary.conflict > 0) {
    lines.push(c.red(`${plan.summary.conflict} conflict${plan.summary.conflict === 1 ? '' : 's'} must be resolved before apply; nothing will be changed until then`));
  } else if (changes === 0) {
    lines.push(`No changes: the disk already matches ${printable(opts.base !== undefined && isInside(plan.manifest.path, opts.base) ? displayPath(plan.manifest.path, opts) : plan.manifest.path)}`);
  }
  return lines.join('\n') + '\n';
}
