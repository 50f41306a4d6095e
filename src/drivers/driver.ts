/**
 * The one interface through which linkplan touches a filesystem. A driver observes a path
 * without following links, makes and removes links of a kind, moves trees, makes and removes
 * empty folders, and reports what it can do where. Real drivers sit behind it (node:fs, Win32,
 * ntfs-3g), a router sends each path to the one for its volume, and dry-run and fault-injecting
 * decorators wrap a real one.
 */
import type { AbsPath } from '../core/paths.js';
import type { Capabilities, Entry, FolderIdentity, LinkSpec, TargetInfo, TargetKind, TreeCount, TreeFacts, Volume } from '../core/types.js';

export interface DirEntry {
  name: string;
  kind: 'file' | 'dir' | 'link' | 'other';
}

export interface RemoveTreeOptions {
  copy?: boolean;
  identity?: string;
}

/** What `removeTree` removed, and what it left in place and why (nothing: the tree is gone whole). */
export interface TreeRemoval {
  files: number;
  folders: number;
  links: number;
  left: string[];
}

/** How far a tree copy has got: told after each file, and every 16 MiB within a big one. */
export interface CopyProgress {
  phase: 'copy' | 'verify';
  bytes: number;
  /** The files done. */
  files: number;
  /** The file just copied (or checked), in the copy; or, `partly`, the one being copied (or checked). */
  path: string;
  /** Told from within a file, not once it is done. */
  partly?: true;
}

export interface CopyOptions {
  /**
   * Called once the copy's top folder is made, before anything is written into it (the journal
   * records which folder it is, so only that folder is ever deleted as the copy).
   */
  onRoot?: () => void;
  /** Called after each file copied or checked. */
  onProgress?: (p: CopyProgress) => void;
}

/** The calls that change the disk: each one but `removeTree` is a step the applier can undo (a copy is undone by deleting it). */
export interface DriverWrites {
  /** Makes a link at `path`, which must be absent. */
  createLink(path: AbsPath, link: LinkSpec): void;
  /** Replaces the link at `path` with another, atomically where the OS allows it. */
  replaceLink(path: AbsPath, link: LinkSpec): void;
  /** Removes the link at `path` itself, never what it points to. */
  removeLink(path: AbsPath): void;
  /** Moves a file or tree; refuses to overwrite anything at `to`. */
  move(from: AbsPath, to: AbsPath): void;
  /** Makes one folder (its parent exists), with exactly `mode` where given (else 0777 less the umask). */
  mkdir(path: AbsPath, mode?: number): void;
  /** Removes one empty folder. */
  rmdir(path: AbsPath): void;
  /**
   * Deletes what is at `path` (a file, a link, or a folder and all it holds), for `backups prune`
   * only: never following a link (a link inside is removed as a link), never crossing into another
   * filesystem mounted inside (left, with all it holds), through handles on the folders so a
   * folder swapped for a link midway cannot lead it elsewhere. What cannot go is left and listed.
   * `copy`: the tree is a copy linkplan made (a relocation's, undone): a folder of it whose mode
   * keeps its owner from deleting what it holds (read-only, as its original) is made writable first.
   * `identity`: what the caller checked the folder at `path` is (`fileIdentity`); the folder is
   * deleted only if the one opened there is still that one (a folder put in its place after the
   * check is left alone, and listed), where the driver can tell (the node:fs driver does).
   */
  removeTree(path: AbsPath, opts?: RemoveTreeOptions): TreeRemoval;
  /**
   * Copies the folder `from` to `to` (absent; its folder exists), never following a link: a
   * symbolic link inside is copied as a link with the same text, a file with other names as a
   * file of its own; modes and access and modification times kept (a folder's set after what it
   * holds). Every file is made anew (never written through something that appeared at its name).
   * Then both trees are walked and compared (kinds, sizes, link texts, SHA-256 of contents). On
   * any failure, what the copy made is deleted and a DriverError names the file. Only the copy's
   * top folder is made by path: everything below is written through handles on the folders made.
   */
  copyTree(from: AbsPath, to: AbsPath, opts?: CopyOptions): TreeCount;
}

export interface Driver extends DriverWrites {
  readonly name: string;
  /** What is at `path`, not following links. */
  observe(path: AbsPath): Entry;
  /** What `path` leads to, following links. */
  observeTarget(path: AbsPath): TargetInfo;
  /** What kind of thing `path` leads to, following links: `observeTarget(path).kind`, maybe cheaper. */
  targetKind(path: AbsPath): TargetKind;
  /** What can be made at `path` (it depends on the volume that holds it). */
  capabilities(path: AbsPath): Capabilities;
  /**
   * The NTFS volumes this driver writes real reparse points on through ntfs-3g (none: absent or
   * empty). Plans record them, so a saved plan is applied through the same drivers.
   */
  volumes?(): readonly Volume[];
  /**
   * Windows only: the volume GUID path (`\\?\Volume{GUID}\`) of the volume whose root is the drive
   * `root` (`C:\`), or undefined where it has none (a network or subst drive). Observe asks it for
   * the drives holding the targets of entries with `targetForm: volume-guid` (`Observed.volumeGuids`).
   * A Windows driver writes a junction's or symbolic link's `linkText` of that form as it is (the
   * NT name `\??\Volume{GUID}\...`), whether or not `LinkSpec.targetForm` is set (a journal replays
   * the text alone), and observes such a link with that same text.
   */
  volumeGuidPath?(root: AbsPath): string | undefined;
  /** The entries of a folder, not following links, sorted by name. */
  listDir(path: AbsPath): DirEntry[];
  /** Up to `max` bytes from the start of a file, and its full size. */
  readHead(path: AbsPath, max: number): { bytes: Uint8Array; size: number };
  /**
   * The identity (`device:inode`) of the folder `path` leads to, following links as the OS does;
   * undefined where no folder is. A plan records it for each folder it writes in.
   */
  folderId(path: AbsPath): string | undefined;
  /**
   * Starts an apply: from now on the writes go only into the folders the plan recorded, each the
   * very folder it was when planned (each is opened and checked here, once), into folders the apply
   * makes, and into folders reached without a link as their last component. Throws a DriverError
   * naming a folder that changed.
   */
  expectFolders(folders: readonly FolderIdentity[]): void;
  /** Ends an apply: lets go of the folders `expectFolders` opened. */
  releaseFolders(): void;
  /**
   * Why this driver cannot copy the folder `from` to `to` (`copyTree`), or undefined where it can:
   * the capability a relocation across volumes needs, asked at plan time.
   */
  copyRefusal(from: AbsPath, to: AbsPath): string | undefined;
  /**
   * What the folder `p` holds, walked without following links, or (`problem`) what in it cannot
   * be copied: something that is neither file, folder nor symbolic link, or another filesystem
   * mounted inside.
   */
  treeFacts(p: AbsPath): TreeFacts;
  /** Bytes this user may still write on the volume that holds the folder `p`; undefined where unknown. */
  freeBytes(p: AbsPath): number | undefined;
}

/** What a driver that cannot copy a tree yet answers `copyRefusal` with (and throws from `copyTree`). */
export const NO_RELOCATION = 'relocation across volumes is not supported on this driver yet';

export const WRITE_CALLS = ['createLink', 'replaceLink', 'removeLink', 'move', 'mkdir', 'rmdir', 'removeTree', 'copyTree'] as const;
export type WriteCall = (typeof WRITE_CALLS)[number];
