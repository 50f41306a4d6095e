/**
 * Reads a saved plan (`linkplan plan M --out P.json`) back and checks it whole before anything
 * runs: a plan is a file anyone can edit, and the applier trusts what it is given. The checks, in
 * order, each listing every problem it finds: the plan's schema (schema/plan.schema.json); that it
 * was made on this platform; that its summary counts its actions; that every path in it is
 * absolute and normal for this platform (no `.` or `..`, no NUL); that each action holds together
 * (it has the fields of its kind and no others, what was there before suits its kind, it leaves
 * what its link makes, its folders lie above it, its backup name is beside it). `manifestChangedProblem`
 * checks that the manifest, where it still exists, is the one the plan was made from. Every
 * problem names the plan file and the place in it (`actions[3].path`).
 */
import fs from 'node:fs';
import { errnoCode, LinkplanError, UsageError } from '../core/errors.js';
import { validatePlan, type SchemaError } from '../generated/validators.js';
import { sha256OfText } from '../core/hash.js';
import { asAbs, currentPlatform, displayPath, isInside, isWindowsAbsolute, parentOf, shellWord, type AbsPath, type Platform } from '../core/paths.js';
import { describeEntry } from '../core/entries.js';
import { summarize } from '../core/summary.js';
import { describeSchemaErrors, yamlPath } from '../manifest/schema-errors.js';
import { isCreation, makesLink, type Action, type ActionKind, type LinkAction, type LinkSpec, type Outcome, type Plan, type PlanSummary } from '../core/types.js';

/** One thing wrong in a saved plan: where (`actions[3].path`) and what. */
export interface PlanProblem {
  where: string;
  message: string;
}

/** A saved plan that cannot be applied as it is: every problem at once. */
export class SavedPlanError extends LinkplanError {
  readonly problems: readonly PlanProblem[];
  constructor(file: string, problems: readonly PlanProblem[], opts: { manifest?: string | undefined } = {}) {
    const n = problems.length;
    const lines = problems.map((p) => `  ${file}: ${p.where === '' ? '' : `${p.where}: `}${p.message}`);
    super(`${file}: not a valid linkplan plan (${n} problem${n === 1 ? '' : 's'})\n${lines.join('\n')}`, { hint: replanHint(file, opts.manifest) });
    this.problems = problems;
  }
}

function replanHint(file: string, manifest: string | undefined): string {
  const m = manifest === undefined ? 'MANIFEST' : shellWord(displayPath(manifest, { base: process.cwd() }));
  return `make the plan again: \`linkplan plan ${m} --out ${shellWord(file)}\`; nothing was changed`;
}

/** The plan's manifest path, where it is a string (for the hint), whatever else is wrong. */
function manifestOf(data: unknown): string | undefined {
  const m = (data as { manifest?: { path?: unknown } }).manifest;
  return typeof m?.path === 'string' && m.path !== '' && !m.path.includes('\0') ? m.path : undefined;
}

/**
 * A saved plan is a JSON file with a formatVersion; anything else is a manifest (undefined).
 * Throws a `SavedPlanError` listing every problem when the plan fails its checks.
 */
export function readSavedPlan(file: string): Plan | undefined {
  if (!file.endsWith('.json')) return undefined;
  let text: string;
  try {
    // (only a regular file is read here: opening a FIFO would block; the manifest loader refuses it)
    if (!fs.statSync(file).isFile()) return undefined;
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined; // the manifest loader says what is wrong with the file
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not a valid linkplan plan (not JSON: ${e instanceof Error ? e.message : String(e)})`, {
      hint: 'make the plan with `linkplan plan MANIFEST --out FILE`; a manifest is a .yaml file',
    });
  }
  if (typeof data !== 'object' || data === null || !('formatVersion' in data)) return undefined;
  if (!validatePlan(data)) {
    // (an if/then rule that fails also reports itself; the error inside it says what is missing;
    // an action's fields that its kind does not have are reported with the plan's other problems)
    const errors = (validatePlan.errors ?? []).filter((e) => !isShapeError(e));
    if (errors.length > 0) {
      const problems = describeSchemaErrors(errors, data).map((p) => ({ where: yamlPath(p.segments), message: p.message }));
      throw new SavedPlanError(file, problems, { manifest: manifestOf(data) });
    }
  }
  const plan = data as unknown as Plan;
  if (plan.platform !== currentPlatform()) {
    throw new UsageError(`${file}: the plan was made on ${plan.platform}, and this is ${currentPlatform()}`, { hint: 'make the plan on the machine that applies it' });
  }
  const problems = planProblems(plan);
  if (problems.length > 0) throw new SavedPlanError(file, problems, { manifest: manifestOf(data) });
  return plan;
}

/**
 * Where the plan's manifest still exists, whether it is still the one the plan was made from (by
 * its digest): a problem saying it changed, or undefined. A manifest that is gone is no problem:
 * the plan is what is applied.
 */
export function manifestChangedProblem(plan: Plan): PlanProblem | undefined {
  const file = plan.manifest.path;
  let text: string;
  try {
    // a FIFO or a device there now would never end: only a regular file is read
    if (!fs.statSync(file).isFile()) return { where: '', message: `the manifest ${file} is no longer a regular file` };
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = errnoCode(e);
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    return { where: '', message: `the manifest ${file} cannot be read (${code ?? String(e)}) to check it is the one the plan was made from` };
  }
  return 'sha256:' + sha256OfText(text) === plan.manifest.digest ? undefined : { where: '', message: `the manifest ${file} changed since the plan was made` };
}

/** Refuses a plan whose manifest changed since it was made (see `manifestChangedProblem`). */
export function refuseIfManifestChanged(file: string, plan: Plan): void {
  const p = manifestChangedProblem(plan);
  if (p !== undefined) throw new SavedPlanError(file, [p], { manifest: plan.manifest.path });
}

const SUMMARY_KIND: Record<keyof PlanSummary, Action['kind']> = {
  create: 'create',
  retarget: 'retarget',
  remove: 'remove',
  backup: 'backup-and-link',
  adopt: 'adopt',
  relocate: 'relocate',
  unchanged: 'noop',
  conflict: 'conflict',
};

/**
 * The fields each kind of action has besides those every action has: those it needs (and what
 * each is, for the message), and those it may have. The plan's schema says the same in its
 * per-kind rules; its errors for them are left to these checks, which say them better.
 */
const SHAPES: Record<ActionKind, { needs: Readonly<Record<string, string>>; may: readonly string[] }> = {
  create: { needs: { link: 'the link it makes' }, may: ['parents'] },
  retarget: { needs: { link: 'the link it makes' }, may: ['backupPath'] },
  remove: { needs: {}, may: ['removeTarget'] },
  'backup-and-link': { needs: { link: 'the link it makes', backupPath: 'the name it moves what is in the way to' }, may: ['diff'] },
  adopt: { needs: { link: 'the link it makes' }, may: ['targetParents', 'intoEmpty'] },
  relocate: { needs: { link: 'the link it makes', backupPath: 'the name it moves the original to', copy: 'what it copies' }, may: ['targetParents', 'intoEmpty'] },
  'make-folder': { needs: {}, may: ['parents', 'mode'] },
  noop: { needs: {}, may: ['prune'] },
  conflict: { needs: { hint: 'what to do about it' }, may: ['link', 'diff'] },
};
const KIND_FIELDS: ReadonlySet<string> = new Set(Object.values(SHAPES).flatMap((s) => [...Object.keys(s.needs), ...s.may]));

/** The kinds of action that have `field`: `create, retarget or adopt`. */
const kindsWith = (field: string): string => {
  const kinds = (Object.keys(SHAPES) as ActionKind[]).filter((k) => field in SHAPES[k].needs || SHAPES[k].may.includes(field));
  return kinds.length <= 1 ? (kinds[0] ?? '') : `${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1] ?? ''}`;
};

/**
 * Whether a schema error is one of the per-kind rules (an action's field its kind needs, or one it
 * cannot have: the only `false` schemas), which `shapeProblems` says better; or the `if` of a rule.
 */
function isShapeError(e: SchemaError): boolean {
  if (e.keyword === 'if' || e.keyword === 'false schema') return true;
  return e.keyword === 'required' && /^\/actions\/\d+$/.test(e.instancePath) && KIND_FIELDS.has(String(e.params['missingProperty']));
}

/** The fields an action of its kind needs and lacks, and those it has and its kind does not. */
function shapeProblems(a: Record<string, unknown>, where: string): PlanProblem[] {
  const kind = a['kind'] as ActionKind;
  const shape = SHAPES[kind];
  const out: PlanProblem[] = [];
  for (const [field, what] of Object.entries(shape.needs)) {
    if (a[field] === undefined) out.push({ where, message: `a ${kind} needs ${what} (${field})` });
  }
  for (const field of Object.keys(a)) {
    if (KIND_FIELDS.has(field) && !(field in shape.needs) && !shape.may.includes(field)) {
      out.push({ where: `${where}.${field}`, message: `a ${kind} has no ${field} (only a ${kindsWith(field)} has one)` });
    }
  }
  return out;
}

/** Every problem of a plan that passed its schema: summary, paths, and each action's own sense. */
export function planProblems(plan: Plan): PlanProblem[] {
  const out: PlanProblem[] = [];
  const counted = summarize(plan.actions);
  for (const k of Object.keys(SUMMARY_KIND) as (keyof PlanSummary)[]) {
    // (a plan relocates nothing where its summary has no relocate)
    const n = counted[k] ?? 0;
    if (n !== (plan.summary[k] ?? 0)) {
      out.push({ where: `summary.${k}`, message: `says ${plan.summary[k] ?? 0}, but the plan has ${n} ${SUMMARY_KIND[k]} action${n === 1 ? '' : 's'}` });
    }
  }
  const platform = plan.platform;
  const okPath = (where: string, p: string): boolean => {
    const problem = pathProblem(p, platform);
    if (problem !== undefined) out.push({ where, message: problem });
    return problem === undefined;
  };
  okPath('manifest.path', plan.manifest.path);
  plan.volumes?.forEach((v, i) => okPath(`volumes[${i}].mount`, v.mount));
  for (let i = 0; i < plan.actions.length; i++) {
    const where = `actions[${i}]`;
    // (a file anyone can edit: the fields of its kind are checked before it is read as one)
    const shape = shapeProblems(plan.actions[i] as unknown as Record<string, unknown>, where);
    out.push(...shape);
    const a = plan.actions[i] as Action;
    // each path of the action (all of them checked, every problem reported)
    let normal = true;
    for (const [w, p] of actionPaths(a, where)) normal = okPath(w, p) && normal;
    const link = linkOf(a);
    for (const [w, text] of [
      [`${where}.link.linkText`, link?.linkText],
      [`${where}.before.linkText`, 'linkText' in a.before ? a.before.linkText : undefined],
    ] as const) {
      if (text?.includes('\0') === true) out.push({ where: w, message: 'contains a NUL character' });
    }
    // how the paths relate is worth checking only once each is normal; what the action starts
    // from, whatever else it carries (its kind and what was there are all that tells); the rest
    // once it has the fields of its kind
    if (!normal) continue;
    const start = startProblem(a, where);
    if (start !== undefined) out.push(start);
    if (shape.length === 0) out.push(...actionProblems(a, where, platform));
  }
  return out;
}

/** The link an action makes, or the one a conflict could not make. */
const linkOf = (a: Action): LinkSpec | undefined => (makesLink(a) || a.kind === 'conflict' ? a.link : undefined);

/** Each path of the action, with where it is (`actions[3].backupPath`). */
function actionPaths(a: Action, where: string): [string, string][] {
  const out: [string, string][] = [[`${where}.path`, a.path]];
  const link = linkOf(a);
  if (link !== undefined) out.push([`${where}.link.target`, link.target]);
  const dirs = (field: string, ps: readonly string[] | undefined): void => ps?.forEach((p, j) => out.push([`${where}.${field}[${j}]`, p]));
  if (isCreation(a)) dirs('parents', a.parents);
  if (a.kind === 'adopt' || a.kind === 'relocate') dirs('targetParents', a.targetParents);
  if ((a.kind === 'retarget' || a.kind === 'backup-and-link' || a.kind === 'relocate') && a.backupPath !== undefined) out.push([`${where}.backupPath`, a.backupPath]);
  if (a.kind === 'remove' && a.removeTarget !== undefined) out.push([`${where}.removeTarget`, a.removeTarget]);
  return out;
}

/** What is wrong with `p` as a path of a plan for `platform`, if anything. */
export function pathProblem(p: string, platform: Platform): string | undefined {
  if (p.includes('\0')) return 'contains a NUL character';
  const absolute = platform === 'win32' ? isWindowsAbsolute(p) : p.startsWith('/');
  if (!absolute) return `${JSON.stringify(p)} is not an absolute path`;
  const normal = asAbs(p, platform);
  return normal === p ? undefined : `${JSON.stringify(p)} is not a normal absolute path (it would be ${normal})`;
}

/** An outcome in words: `nothing`, `a symlink to X`, `a hard link of X`. */
function describeOutcome(o: Outcome): string {
  if (o.kind === 'hardlink') return `a hard link of ${o.target}`;
  if (o.kind === 'symlink' || o.kind === 'junction') return `a ${o.kind} to ${o.linkText}`;
  return describeEntry(o);
}

function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'hardlink') return a.target === (b as typeof a).target;
  if (a.kind === 'symlink' || a.kind === 'junction') return a.linkText === (b as typeof a).linkText;
  return true;
}

/** What an action of this kind must start from (`before`), in words, if it may not start from `before`. */
function startNeeds(a: Action): string | undefined {
  const b = a.before.kind;
  switch (a.kind) {
    case 'create':
    case 'make-folder':
      return b === 'absent' ? undefined : 'nothing at its path';
    case 'retarget':
      return b === 'symlink' || b === 'junction' ? undefined : 'a link at its path';
    case 'remove':
      return b === 'symlink' || b === 'junction' || (b === 'file' && a.removeTarget !== undefined) ? undefined : 'a link at its path';
    case 'backup-and-link':
      return b !== 'absent' ? undefined : 'something in the way at its path';
    case 'adopt':
      return b === 'file' || b === 'dir' ? undefined : 'a file or a folder at its path';
    case 'relocate':
      return b === 'dir' ? undefined : 'a folder at its path';
    case 'noop':
    case 'conflict':
      return undefined;
  }
}

/** The problem with what the action starts from (`before`), if there is one. */
function startProblem(a: Action, where: string): PlanProblem | undefined {
  const needs = startNeeds(a);
  if (needs === undefined) return undefined;
  const hardLink = a.kind === 'remove' && a.before.kind === 'file';
  return {
    where,
    message: hardLink ? 'a remove of a hard link needs the file it shares (removeTarget)' : `a ${a.kind} needs ${needs} (before), and this one found ${describeEntry(a.before)}`,
  };
}

/** How one action (its fields those of its kind, its paths each normal) fails to hold together, if it does. */
function actionProblems(a: Action, where: string, platform: Platform): PlanProblem[] {
  const out: PlanProblem[] = [];
  if (makesLink(a)) {
    const link = a.link;
    out.push(...linkProblems(a, where, platform));
    const made: Outcome = link.type === 'hardlink' ? { kind: 'hardlink', target: link.target } : { kind: link.type, linkText: link.linkText };
    if (!sameOutcome(a.after, made)) out.push({ where: `${where}.after`, message: `a ${a.kind} of a ${link.type} leaves ${describeOutcome(made)}, not ${describeOutcome(a.after)}` });
  } else if (a.kind === 'remove' && a.after.kind !== 'absent') {
    out.push({ where: `${where}.after`, message: `a remove leaves nothing, not ${describeOutcome(a.after)}` });
  } else if (a.kind === 'make-folder' && a.after.kind !== 'dir') {
    out.push({ where: `${where}.after`, message: `a make-folder leaves a folder, not ${describeOutcome(a.after)}` });
  }
  if ((a.kind === 'backup-and-link' || a.kind === 'relocate') && (a.backupPath === a.path || parentOf(a.backupPath, platform) !== parentOf(a.path, platform))) {
    out.push({ where: `${where}.backupPath`, message: `must be beside ${a.path}, in the same folder` });
  }
  if (isCreation(a)) out.push(...folderProblems(a.parents, a.path, `${where}.parents`, platform));
  if (a.kind === 'adopt' || a.kind === 'relocate') out.push(...folderProblems(a.targetParents, a.link.target, `${where}.targetParents`, platform));
  return out;
}

/** A target written by its volume GUID path: the same place below the volume's root as the target below its drive's. */
function byVolumeGuid(link: LinkAction['link'], platform: Platform): boolean {
  if (link.targetForm !== 'volume-guid' || link.type === 'hardlink' || platform !== 'win32') return false;
  const guidRest = /^\\\\\?\\Volume\{[0-9A-Fa-f-]{36}\}\\(.*)$/.exec(link.linkText)?.[1];
  const driveRest = /^[A-Za-z]:\\(.*)$/.exec(link.target)?.[1];
  return guidRest !== undefined && driveRest !== undefined && guidRest.toLowerCase() === driveRest.toLowerCase();
}

/** A link's text must say where its target is: a junction's and a hard link's are the target, a symlink's absolute text too. */
function linkProblems(a: LinkAction, where: string, platform: Platform): PlanProblem[] {
  const link = a.link;
  const absolute = platform === 'win32' ? isWindowsAbsolute(link.linkText) : link.linkText.startsWith('/');
  if ((link.type !== 'symlink' || absolute) && link.linkText !== link.target && !byVolumeGuid(link, platform)) {
    return [{ where: `${where}.link.linkText`, message: `a ${link.type} to ${link.target} is written as that path, not ${link.linkText}` }];
  }
  if ((a.kind === 'adopt' || a.kind === 'relocate') && (link.target === a.path || isInside(link.target, a.path, platform))) {
    return [{ where: `${where}.link.target`, message: `${a.kind === 'adopt' ? 'an adopt' : 'a relocate'} cannot move ${a.path} into itself` }];
  }
  return [];
}

/** Folders made first, outermost first: each one above `below` and inside the one before it. */
function folderProblems(dirs: readonly AbsPath[] | undefined, below: AbsPath, where: string, platform: Platform): PlanProblem[] {
  const out: PlanProblem[] = [];
  dirs?.forEach((d, j) => {
    if (!isInside(below, d, platform)) out.push({ where: `${where}[${j}]`, message: `${d} is not a folder above ${below}` });
    else if (j > 0 && !isInside(d, dirs[j - 1] as AbsPath, platform)) out.push({ where: `${where}[${j}]`, message: `${d} is not inside ${dirs[j - 1] ?? ''} (folders are listed outermost first)` });
  });
  return out;
}
