/**
 * What the manifest loader needs to know about this machine's NTFS volumes mounted with ntfs-3g,
 * to check a manifest's `volumes:` and the links on those volumes. The driver layer answers it
 * (drivers/ntfs3g/volume-facts.ts, from the mount table); the loader only asks, so loading a
 * manifest reads no mount table of its own and loads no native code.
 */

export interface VolumeFacts {
  /** Why `mount` is not the mount point of an NTFS volume mounted with ntfs-3g; undefined when it is one. */
  mountProblem(mount: string): string | undefined;
  /** `p` with every link in it resolved, or as written when it does not exist. */
  realPath(p: string): string;
  /** False when no mount here can be ntfs-3g, so no path needs looking at. */
  mayHoldNtfs3g(): boolean;
  /**
   * The mount point of the ntfs-3g volume that really holds `p` (the links in its folders
   * resolved; `p` may itself be a mount point), or undefined when another filesystem holds it.
   */
  ntfs3gMountHolding(p: string): string | undefined;
}
