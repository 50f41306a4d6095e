/**
 * The journal's format on disk: the shapes of its records, its format name and version, and the
 * compact form its header lists the steps in. A journal is JSON lines: a header (the apply's
 * actions, in the short form the records need, and its steps, as they ran), then `begin`, `done`,
 * `undoing`, `undone` records by step number, and a `close` record. Recovery reads the steps
 * from the header and never works them out again from the actions, so a journal means what it
 * meant when it was written, whatever step kinds a later linkplan adds.
 *
 * Steps are listed in groups, group i beside action i (a restore or a prune, which have no
 * actions, list one group of their own). Each step is an array: its op, then its paths and
 * links; within an action's group a path written `""` is the action's path, and a link written
 * `0` is the action's link, so the common steps cost a few bytes each:
 * `["mkdir",P]` (or `["mkdir",P,MODE]`), `["rmdir",P]`, `["move",FROM,TO]`, `["link",P,L]`, `["replace-link",P,L,PREVIOUS]`,
 * `["unlink",P,PREVIOUS]`, `["remove-tree",P,IDENTITY]`, `["copy-tree",FROM,TO]`; a link is
 * `[type,target]` (its text is its target) or `[type,target,text]`. A copy's top folder, once
 * made, is named by a record of its own: `{"made":N,"root":IDENTITY}`.
 */
import path from 'node:path';
import { LinkplanError } from '../../core/errors.js';
import type { AbsPath } from '../../core/paths.js';
import type { FolderIdentity, LinkSpec, Volume } from '../../core/types.js';
import type { Step } from '../../apply/steps.js';
import type { RecordedAction } from '../journal.js';

export const JOURNAL_FORMAT = 'linkplan-journal';
/**
 * 5: a relocation's `copy-tree` step, and the `made` record naming the folder it made (a journal
 * of format 4 holds neither, and means what it meant: it is read as format 5). 4: the header lists
 * the steps themselves (3 listed only actions, and the steps followed from them).
 */
export const JOURNAL_VERSION = 5;
/** The earlier formats a journal is read in as it is (each one's steps are steps of this one). */
export const JOURNAL_READABLE: readonly number[] = [4];

export class JournalError extends LinkplanError {}

/** What to do about a damaged journal that holds a part of the records: never "throw it away". */
export const DAMAGED_JOURNAL_HINT =
  'put it right by hand (JSON lines: a header, then one record a line, the last one its close), or from a copy of the state folder; linkplan changes nothing until it reads, and moving the file aside would lose the links and backups of that apply from its records';

/** The backup a restore puts back, as its journal names it. */
export interface RestoreNote {
  backup: number;
  path: string;
}

/** The backups a prune deletes, as its journal names them. */
export interface PruneNote {
  backups: number[];
}

/** The journal's first line, read back, its steps decoded. */
export interface JournalHeader {
  format: typeof JOURNAL_FORMAT;
  version: number;
  pid: number;
  host: string;
  started: string;
  manifest: string;
  /** The actions being applied (noops left out), in short, for the records a finished apply updates. */
  actions: RecordedAction[];
  /** Every step of the apply, in order: a step's number is its index here. */
  steps: Step[];
  /** The NTFS volumes (ntfs-3g) the apply wrote through, so recovery uses the same drivers. */
  volumes?: Volume[];
  /** The folders the plan writes in and which folders they were, so recovery writes only there. */
  folders?: FolderIdentity[];
  /** For a `backups restore`: the backup it puts back. */
  restore?: RestoreNote;
  /** For a `backups prune`: the backups it deletes. */
  prune?: PruneNote;
}

/** What a journal keeps of an action: what the records take from it (`Action` is one). */
export interface JournalSource {
  kind: RecordedAction['kind'];
  path: AbsPath;
  link?: LinkSpec | undefined;
  backupPath?: AbsPath | undefined;
  before: { kind: NonNullable<RecordedAction['before']>['kind'] };
}

/**
 * An action as the header lists it: its kind and path; its link, with the link's text only where
 * that is not the target; its backup name; and what was at the path, only where something was.
 */
export function journalAction(a: JournalSource): Record<string, unknown> {
  // (fields set one by one, in a stable order: an apply may list tens of thousands)
  const out: Record<string, unknown> = { kind: a.kind, path: a.path };
  const l = a.link;
  if (l !== undefined) out['link'] = l.linkText === l.target ? { type: l.type, target: l.target } : { type: l.type, target: l.target, linkText: l.linkText };
  if (a.backupPath !== undefined) out['backupPath'] = a.backupPath;
  if (a.before.kind !== 'absent') out['before'] = { kind: a.before.kind };
  return out;
}

type LinkCode = 0 | [string, string] | [string, string, string];

function linkCode(l: LinkSpec, own: LinkSpec | undefined): LinkCode {
  if (own !== undefined && l.type === own.type && l.target === own.target && l.linkText === own.linkText) return 0;
  return l.linkText === l.target ? [l.type, l.target] : [l.type, l.target, l.linkText];
}

/**
 * The commonest step, a create's: the action's own link at the action's own path; one array for all
 * of them (and one group holding it alone), as an apply may list tens of thousands.
 */
export const OWN_LINK: readonly unknown[] = Object.freeze(['link', '', 0]);
export const OWN_LINK_ALONE: readonly (readonly unknown[])[] = Object.freeze([OWN_LINK]);

/** A step as the header lists it, beside the action it belongs to (if any). */
export function encodeStep(s: Step, action: JournalSource | undefined): readonly unknown[] {
  const at = (p: string): string => (action !== undefined && p === action.path ? '' : p);
  const own = action?.link;
  switch (s.op) {
    case 'mkdir':
      return s.mode === undefined ? ['mkdir', at(s.path)] : ['mkdir', at(s.path), s.mode];
    case 'rmdir':
      return ['rmdir', at(s.path)];
    case 'move':
      return ['move', at(s.from), at(s.to)];
    case 'link': {
      const where = at(s.path);
      const code = linkCode(s.link, own);
      return where === '' && code === 0 ? OWN_LINK : ['link', where, code];
    }
    case 'replace-link':
      return ['replace-link', at(s.path), linkCode(s.link, own), linkCode(s.previous, undefined)];
    case 'unlink':
      return ['unlink', at(s.path), linkCode(s.previous, undefined)];
    case 'remove-tree':
      return ['remove-tree', at(s.path), s.identity];
    case 'copy-tree':
      return ['copy-tree', at(s.from), at(s.to)];
  }
}

const LINK_TYPES: ReadonlySet<unknown> = new Set(['symlink', 'junction', 'hardlink']);

/** Reads a listed step back, beside its action; throws an Error saying what is wrong with it. */
export function decodeStep(code: unknown, action: RecordedAction | undefined): Step {
  if (!Array.isArray(code)) throw new Error('a step is not a list');
  const pathAt = (i: number): AbsPath => {
    const p: unknown = code[i];
    if (p === '' && action !== undefined) return action.path;
    if (typeof p !== 'string' || !path.isAbsolute(p)) throw new Error(`a ${String(code[0])} step has no absolute path`);
    return p as AbsPath;
  };
  const linkAt = (i: number, own: boolean): LinkSpec => {
    const l: unknown = code[i];
    if (l === 0 && own && action?.link !== undefined) return { type: action.link.type, target: action.link.target, linkText: action.link.linkText ?? action.link.target };
    if (!Array.isArray(l) || !LINK_TYPES.has(l[0]) || typeof l[1] !== 'string' || !path.isAbsolute(l[1]) || (l[2] !== undefined && typeof l[2] !== 'string')) {
      throw new Error(`a ${String(code[0])} step has no link`);
    }
    return { type: l[0] as LinkSpec['type'], target: l[1] as AbsPath, linkText: (l[2] as string | undefined) ?? l[1] };
  };
  switch (code[0]) {
    case 'mkdir': {
      const mode: unknown = code[2];
      if (mode === undefined) return { op: 'mkdir', path: pathAt(1) };
      if (typeof mode !== 'number' || !Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error('a mkdir step has a mode that is not one');
      return { op: 'mkdir', path: pathAt(1), mode };
    }
    case 'rmdir':
      return { op: 'rmdir', path: pathAt(1) };
    case 'move':
      return { op: 'move', from: pathAt(1), to: pathAt(2) };
    case 'link':
      return { op: 'link', path: pathAt(1), link: linkAt(2, true) };
    case 'replace-link':
      return { op: 'replace-link', path: pathAt(1), link: linkAt(2, true), previous: linkAt(3, false) };
    case 'unlink':
      return { op: 'unlink', path: pathAt(1), previous: linkAt(2, false) };
    case 'remove-tree':
      if (typeof code[2] !== 'string') throw new Error('a remove-tree step does not say what it removes');
      return { op: 'remove-tree', path: pathAt(1), identity: code[2] };
    case 'copy-tree':
      return { op: 'copy-tree', from: pathAt(1), to: pathAt(2) };
    default:
      throw new Error(`${JSON.stringify(code[0]) ?? 'nothing'} is not a step this linkplan knows`);
  }
}

export function journalPath(stateDir: string): string {
  return path.join(stateDir, 'journal.jsonl');
}

/** The reserve file of the journals in `dir`. */
export function reservePath(dir: string): string {
  return path.join(dir, 'journal.reserve');
}
