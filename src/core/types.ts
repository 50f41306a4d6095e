/**
 * The three states linkplan reasons about, named as in the design: `Desired` (what the manifest
 * wants), `Observed` (what is really on disk, read without following links) and `Plan` (the
 * serialisable list of `Action`s that turns one into the other). Unions are discriminated on
 * `kind` with string literals, so a plan written as JSON reads back as the same value.
 */
import type { AbsPath, Platform } from './paths.js';

export type LinkType = 'symlink' | 'junction' | 'hardlink';
export type RequestedType = LinkType | 'auto';
/**
 * What to do with something in the way: refuse; move it aside (backup); move it into the absent
 * target (adopt); or Scoop's persist rule: adopt where the target is absent (or an empty folder,
 * for a folder in the way), back up otherwise, so one manifest serves a first install and every
 * upgrade.
 */
export type ConflictPolicy = 'refuse' | 'backup' | 'adopt' | 'persist';
/**
 * How a junction's or an absolute symbolic link's target is written: as the path (`C:\tools\jdk-21`),
 * or by the volume's GUID path (`\\?\Volume{GUID}\tools\jdk-21`), which still leads to the same
 * folder after the volume's drive letter changes.
 */
export type TargetForm = 'path' | 'volume-guid';

/** Where a desired entry came from in the manifest, for messages. */
export interface Source {
  /** YAML path of the entry, like `links[3]`. */
  where: string;
  line?: number;
  column?: number;
  /** For entries expanded from a glob: the relative path the glob matched. */
  match?: string;
}

export interface Desired {
  path: AbsPath;
  state: 'present' | 'absent';
  /** Absolute target; `null` only for an absent entry that names no target. */
  target: AbsPath | null;
  type: RequestedType;
  relative: boolean;
  onConflict: ConflictPolicy;
  createParents: boolean;
  /** The manifest allows a link inside its own target (a deliberate recursion). */
  allowCycle: boolean;
  /**
   * The manifest allows a link at `\Users`, `\ProgramData`, `\Program Files` or
   * `\Program Files (x86)` of a Windows volume itself (never at the boot folders).
   */
  allowSystemPaths: boolean;
  /** How the link's target is written (Windows and NTFS volumes; elsewhere only `path` exists). */
  targetForm: TargetForm;
  /**
   * A real folder at the path is moved into the target where the target does not exist yet (as
   * `onConflict: adopt` does for a folder), copied across when the two are on different volumes,
   * whatever `onConflict` says about anything else in the way.
   */
  relocate?: true;
  /**
   * Set on a folder entry (`directories:`): a real folder is wanted at the path, no link (target
   * null); made with `mode` (permission bits) where linkplan makes it.
   */
  folder?: { mode?: number };
  /**
   * Set on entries made by `--prune` for a link linkplan created earlier that the manifest no
   * longer declares: the link it made then. Removed only while it is still exactly that link.
   */
  prune?: {
    type: LinkType;
    linkText: string;
    /**
     * The link lies outside every folder the manifest manages now (the folders of its links, as
     * expanded this time: another HOME or --var moves them): it is left alone, never removed.
     */
    outside?: true;
  };
  source: Source;
}

/** What is at a path, read without following links. */
export type Entry =
  | { kind: 'absent' }
  | { kind: 'file'; size: number; nlink: number; fileId: string; dev: number }
  | { kind: 'dir'; dev: number }
  | { kind: 'symlink'; linkText: string }
  | { kind: 'junction'; linkText: string }
  | { kind: 'reparse'; tag: number; tagName: string }
  | { kind: 'special'; what: 'fifo' | 'socket' | 'block-device' | 'char-device' | 'unknown' };

export type EntryKind = Entry['kind'];

/** What a link's target is, following links (the way the OS would). */
export type TargetInfo =
  | { kind: 'absent' }
  | {
      kind: 'file';
      fileId: string;
      dev: number;
      /** How many names the file has (hard links), where the driver reads it. */
      nlink?: number;
    }
  | { kind: 'dir'; dev: number }
  | { kind: 'other'; dev: number };

/** What a target is, without which file or volume: all a symbolic link's type choice needs. */
export type TargetKind = TargetInfo['kind'];

/** What can be made at a path: it depends on the volume the path is on. */
export interface Capabilities {
  symlinks: boolean;
  junctions: boolean;
  hardlinks: boolean;
  /** Why symlinks are unavailable, when they are. */
  symlinkNote?: string;
}

/**
 * An NTFS volume mounted with ntfs-3g on Linux, as the manifest lists it under `volumes:`: where
 * it is mounted, and how Windows names its root (`D:\` or `\\?\Volume{GUID}\`, normalised).
 * Links on it are written as real NTFS reparse points, with Windows paths inside.
 */
export interface Volume {
  mount: AbsPath;
  windows: string;
}

/** Everything the pure planner needs to know about the disk. */
export interface Observed {
  platform: Platform;
  /** What can be made where no entry of `pathCapabilities` says otherwise. */
  capabilities: Capabilities;
  /** What can be made at each desired path (volumes differ), keyed by `pathKey`. */
  pathCapabilities?: ReadonlyMap<string, Capabilities>;
  /** The NTFS volumes the driver writes reparse points on (ntfs-3g): links there must lead where Windows can follow. */
  volumes?: readonly Volume[];
  /**
   * On Windows, the volume GUID path (`\\?\Volume{GUID}\`) of each drive root (`C:\`) that holds
   * the target of an entry with `targetForm: volume-guid`, keyed by `pathKey` of the root: what
   * the driver's `volumeGuidPath` answered. A root not listed is not known.
   */
  volumeGuids?: ReadonlyMap<string, string>;
  /**
   * Link paths and their ancestors up to the first existing one, keyed by `pathKey`. A path not
   * listed is absent (a link path whose folder was found absent is not read, nor listed).
   */
  entries: ReadonlyMap<string, Entry>;
  /** Targets, followed, keyed by `pathKey`. */
  targets: ReadonlyMap<string, TargetInfo>;
  /**
   * Targets whose kind alone was read, keyed by `pathKey`: where the plan cannot need to know
   * which file or volume a target is (a symbolic link over nothing, or over another link). A
   * target in `targets` is not repeated here.
   */
  targetKinds?: ReadonlyMap<string, TargetKind>;
  /** For paths with something in the way: the first backup name that is free. */
  backupSlots: ReadonlyMap<string, AbsPath>;
  /**
   * For a folder in the way that moves into a target on another volume (a relocation): what it
   * holds and the room on the target's volume, keyed by `pathKey` of the folder.
   */
  relocations?: ReadonlyMap<string, TreeFacts>;
  /** Keys of the targets of `persist` entries that are empty folders where a folder that is not empty is in the way (it may move there). */
  emptyFolders?: ReadonlySet<string>;
}

/**
 * What a folder holds, walked without following links: what a relocation copies. Hard-linked
 * files (more than one name) are counted in `files` and copied as separate files.
 */
export interface TreeCount {
  /** Bytes of the regular files. */
  bytes: number;
  files: number;
  /** Folders below the top one. */
  folders: number;
  /** Symbolic links, copied as links with the same text. */
  links: number;
  /** Files with other names (hard links), inside the tree or outside. */
  hardLinked: number;
}

/** A folder to relocate, as observe read it: what it holds, and why it cannot be copied, if so. */
export interface TreeFacts extends TreeCount {
  /** Why it cannot be relocated: something in it that cannot be copied, or a driver that cannot copy. */
  problem?: string;
  /** Bytes free for this user on the target's volume, where the driver can say. */
  free?: number;
}

/** The link an action makes. */
export interface LinkSpec {
  type: LinkType;
  target: AbsPath;
  /** What is written into the link: the target, or its relative form, or its volume GUID form. */
  linkText: string;
  /**
   * Set when `linkText` names the target by its volume's GUID path (`\\?\Volume{GUID}\...`):
   * the driver writes that text as it is (`\??\Volume{GUID}\...` as the NT name), and reads such a
   * link back with the same text.
   */
  targetForm?: 'volume-guid';
}

/** A bounded unified diff between a file in the way and the file a link would point to. */
export type ContentDiff =
  | { kind: 'identical' }
  | { kind: 'binary'; paths: [string, string] }
  | { kind: 'text'; patch: string; truncated: boolean }
  | { kind: 'too-large'; paths: [string, string]; limit: number };

/** What an action leaves at its path: an entry, or a hard link of a target's file. */
export type Outcome = Entry | { kind: 'hardlink'; target: AbsPath };

/** The fields every action has, whatever its kind. */
interface ActionFields {
  path: AbsPath;
  source: Source;
  /** One line: why this action. */
  reason: string;
  /** Extra facts worth telling (a junction rendered as a symlink, a drive-letter target...). */
  notes: string[];
  before: Entry;
  after: Outcome;
}

/** Nothing at the path: the link is made, after the folders it needs (outermost first). */
export interface CreateAction extends ActionFields {
  kind: 'create';
  link: LinkSpec;
  parents?: AbsPath[];
}

/** A link at the path is replaced; one someone else made is first copied to `backupPath`. */
export interface RetargetAction extends ActionFields {
  kind: 'retarget';
  link: LinkSpec;
  backupPath?: AbsPath;
}

/** A link goes; for a hard link, `removeTarget` names the file it must share. */
export interface RemoveAction extends ActionFields {
  kind: 'remove';
  removeTarget?: AbsPath;
}

/** What is in the way moves aside to `backupPath`, then the link is made. */
export interface BackupAction extends ActionFields {
  kind: 'backup-and-link';
  link: LinkSpec;
  backupPath: AbsPath;
  diff?: ContentDiff;
}

/** What is in the way moves to the link's target (its folders made first), then is linked. */
export interface AdoptAction extends ActionFields {
  kind: 'adopt';
  link: LinkSpec;
  targetParents?: AbsPath[];
  /** The target is an empty folder, removed right before what is in the way moves there. */
  intoEmpty?: true;
}

/**
 * A folder in the way whose target is on another volume: it is copied there (links copied as
 * links), the copy checked against it, the original moved aside to `backupPath` (kept until the
 * backup is pruned), then the link made.
 */
export interface RelocateAction extends ActionFields {
  kind: 'relocate';
  link: LinkSpec;
  backupPath: AbsPath;
  targetParents?: AbsPath[];
  /** The target is an empty folder (persist), removed right before the copy is made there. */
  intoEmpty?: true;
  /** What is copied. */
  copy: TreeCount;
}

/** Nothing at the path: a folder is made there (`directories:`), after the folders it needs (outermost first). */
export interface MakeFolderAction extends ActionFields {
  kind: 'make-folder';
  parents?: AbsPath[];
  /** The folder's permission bits, set exactly (the umask does not apply). */
  mode?: number;
}

/**
 * What `--prune` found at a link linkplan made that the manifest no longer declares, where it
 * leaves the path as it is: the link is gone already, it is no longer the link linkplan made (or
 * is reached through a folder link), or it lies outside the folders the manifest manages now.
 * Either way linkplan no longer owns it.
 */
export type PruneOutcome = 'gone' | 'left-alone' | 'outside';

/** Nothing changes at the path. */
export interface NoopAction extends ActionFields {
  kind: 'noop';
  /** Set for an entry of `--prune` (from the records, not the manifest). */
  prune?: PruneOutcome;
}

/** Nothing changes at the path, and the manifest is not met: `hint` says what to do. */
export interface ConflictAction extends ActionFields {
  kind: 'conflict';
  /** The link that could not be made, where the planner had chosen it. */
  link?: LinkSpec;
  hint: string;
  diff?: ContentDiff;
}

export type Action = CreateAction | RetargetAction | RemoveAction | BackupAction | AdoptAction | RelocateAction | MakeFolderAction | NoopAction | ConflictAction;

export type ActionKind = Action['kind'];

/** An action that makes a link. */
export type LinkAction = CreateAction | RetargetAction | BackupAction | AdoptAction | RelocateAction;

const LINK_KINDS: ReadonlySet<ActionKind> = new Set<ActionKind>(['create', 'retarget', 'backup-and-link', 'adopt', 'relocate']);

/** Whether the action makes a link (and so carries it). */
export function makesLink(a: Action): a is LinkAction {
  return LINK_KINDS.has(a.kind);
}

/** Whether the action makes something where nothing is (a link or a folder), after the folders it needs (`parents`). */
export function isCreation(a: Action): a is CreateAction | MakeFolderAction {
  return a.kind === 'create' || a.kind === 'make-folder';
}

/** The start of the reason of a `--prune` entry left alone; what follows says why. */
export const LEFT_ALONE_REASON = 'prune: left alone; ';

export interface PlanSummary {
  create: number;
  retarget: number;
  remove: number;
  backup: number;
  adopt: number;
  /** Present where the plan relocates a folder (older plans have none). */
  relocate?: number;
  unchanged: number;
  conflict: number;
}

export const PLAN_FORMAT_VERSION = 1;

export interface Plan {
  formatVersion: typeof PLAN_FORMAT_VERSION;
  manifest: { path: string; digest: string };
  platform: Platform;
  /** The NTFS volumes the plan was made with, so `apply PLAN.json` builds the same driver. */
  volumes?: Volume[];
  actions: Action[];
  summary: PlanSummary;
  /**
   * The real folders the plan writes in, each with the identity (`device:inode`) of the folder its
   * path led to when planned; apply writes only into those very folders. Absent in older plans.
   */
  folders?: FolderIdentity[];
}

/** A folder a plan writes in, and which folder it was when planned. */
export interface FolderIdentity {
  path: AbsPath;
  /** `device:inode` of the folder the path led to, following links as the OS does. */
  fileId: string;
}
