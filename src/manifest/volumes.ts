/**
 * Checks a manifest's `volumes:` against the machine, and its links against its volumes. On Linux
 * an NTFS volume is written through ntfs-3g, whose own symlink(2) makes Interix symlinks that
 * Windows cannot follow; linkplan writes real reparse points instead, but only on the volumes
 * the manifest lists, since only the manifest can say how Windows names each one. So: every
 * listed mount must be the mount point of an ntfs-3g volume (and listed once, with a Windows name
 * no other entry uses); every link path on an ntfs-3g mount, and the target of every junction and
 * of every link made on a listed volume, must lie on a listed volume, reached by its listed mount
 * point rather than through a link. What the machine's mounts are is asked of the facts the
 * caller gives (core/volume-facts.ts: the driver layer reads the mount table), only on Linux; no
 * link is looked at where no ntfs-3g volume can be mounted.
 */
import type { ManifestProblem } from '../core/errors.js';
import { isSameOrInside, type Platform } from '../core/paths.js';
import type { VolumeFacts } from '../core/volume-facts.js';
import { yamlPath } from './schema-errors.js';
import { volumeHolding } from '../core/volumes.js';
import type { Desired, Volume } from '../core/types.js';

/** A listed volume and where it is in the manifest. */
export interface ListedVolume extends Volume {
  /** Its index in `volumes:`. */
  index: number;
}

export interface VolumeCheckOptions {
  platform: Platform;
  /** This machine's ntfs-3g mounts, asked on Linux only; default: no mount table (nothing is ntfs-3g). */
  facts?: () => VolumeFacts;
  /** Line and column of a YAML path, for problems about `volumes[i]`. */
  place?: (segments: readonly (string | number)[]) => { line?: number; column?: number };
}

/** The facts of a machine without a mount table: nothing there is an ntfs-3g volume. */
export const NO_MOUNT_TABLE: VolumeFacts = {
  mountProblem: () => 'is not an NTFS volume mounted with ntfs-3g (no mount table here: linkplan finds ntfs-3g volumes on Linux only)',
  realPath: (p) => p,
  mayHoldNtfs3g: () => false,
  ntfs3gMountHolding: () => undefined,
};

/** A listed volume that is an ntfs-3g mount point, and where that mount point really is. */
interface GoodVolume {
  v: ListedVolume;
  realMount: string;
}

type Say = (segments: (string | number)[], message: string) => void;

/** The listed volumes that are each an ntfs-3g mount point, listed once, with its own Windows name; the others reported. */
function goodVolumes(volumes: readonly ListedVolume[], facts: VolumeFacts, at: Say): GoodVolume[] {
  const listed: GoodVolume[] = [];
  for (const v of volumes) {
    const problem = facts.mountProblem(v.mount);
    if (problem !== undefined) {
      at(['volumes', v.index, 'mount'], `${v.mount}: ${problem}`);
      continue;
    }
    const realMount = facts.realPath(v.mount);
    const twin = listed.find((l) => l.realMount === realMount);
    if (twin !== undefined) {
      at(['volumes', v.index, 'mount'], `${v.mount}: volumes[${twin.v.index}] lists the same volume already`);
      continue;
    }
    const sameName = listed.find((l) => l.v.windows.toLowerCase() === v.windows.toLowerCase());
    if (sameName !== undefined) {
      at(['volumes', v.index, 'windows'], `${v.windows}: volumes[${sameName.v.index}] (${sameName.v.mount}) has this Windows name already; two volumes cannot share one`);
      continue;
    }
    listed.push({ v, realMount });
  }
  return listed;
}

function entryProblem(d: Desired, field: 'path' | 'target', message: string): ManifestProblem {
  return {
    where: `${d.source.where}.${field}`,
    ...(d.source.line === undefined ? {} : { line: d.source.line }),
    ...(d.source.column === undefined ? {} : { column: d.source.column }),
    message,
  };
}

/** What is wrong with path `p` (written as `what`), given the ntfs-3g mount that really holds it and the listed volume it names; undefined when nothing is. */
function placeProblem(what: string, mount: string | undefined, byName: ListedVolume | undefined, listed: readonly GoodVolume[]): { key: string; message: string } | undefined {
  const listedHere = mount === undefined ? undefined : listed.find((l) => l.realMount === mount)?.v;
  if (mount !== undefined && listedHere === undefined) {
    return {
      key: mount,
      message:
        `${what} lies on the NTFS volume mounted with ntfs-3g at ${mount}, which volumes: does not list; add it there ` +
        `({ mount: ${mount}, windows: "D:" }, with the drive letter or volume GUID path Windows gives it), ` +
        `or ntfs-3g would make symlinks Windows cannot follow`,
    };
  }
  if (listedHere !== undefined && byName?.index !== listedHere.index) {
    return {
      key: listedHere.mount,
      message: `${what} leads through a link onto the NTFS volume listed at ${listedHere.mount}; give it as a path below ${listedHere.mount}, so linkplan writes links Windows can follow there`,
    };
  }
  if (mount === undefined && byName !== undefined) {
    return { key: byName.mount, message: `${what} lies below ${byName.mount} only by name: a link on the way leads off that NTFS volume; give the real path` };
  }
  // a target off every NTFS volume: the planner says so per link, once it knows the link's type
  return undefined;
}

/** The problems of each link's path and target with the volumes; each said once per entry, field and volume. */
function linkProblems(desired: readonly Desired[], listed: readonly GoodVolume[], facts: VolumeFacts): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const listedVolumes = listed.map((l) => l.v);
  const seen = new Set<string>();
  /** Reports what is wrong with `p` (a link path, or a target), if anything; true when nothing is. */
  const check = (d: Desired, field: 'path' | 'target', p: string): boolean => {
    const what = field === 'path' ? p : `its target ${p}`;
    const problem = placeProblem(what, facts.ntfs3gMountHolding(p), volumeHolding(p, listedVolumes, 'linux'), listed);
    if (problem === undefined) return true;
    const k = `${d.source.where}\0${field}\0${problem.key}`;
    if (!seen.has(k)) {
      seen.add(k);
      problems.push(entryProblem(d, field, problem.message));
    }
    return false;
  };
  for (let i = 0; i < desired.length; i++) {
    const d = desired[i] as Desired;
    const pathOk = check(d, 'path', d.path);
    if (d.target === null || d.state !== 'present') continue;
    const onVolume = pathOk && listed.some((l) => isSameOrInside(d.path, l.v.mount, 'linux'));
    if (d.type === 'junction' || onVolume) check(d, 'target', d.target);
  }
  return problems;
}

/** Every problem with the volumes and with links on NTFS volumes; empty when all is well. */
export function checkVolumes(desired: readonly Desired[], volumes: readonly ListedVolume[], opts: VolumeCheckOptions): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const at: Say = (segments, message) => {
    problems.push({ where: yamlPath(segments), ...(opts.place?.(segments) ?? {}), message });
  };
  // Windows names its own volumes; elsewhere than Linux there is no ntfs-3g mount table to check
  if (opts.platform === 'win32') return problems;
  if (opts.platform !== 'linux') {
    for (const v of volumes) at(['volumes', v.index, 'mount'], `${v.mount}: linkplan writes NTFS volumes through ntfs-3g on Linux only`);
    return problems;
  }
  const facts = opts.facts?.() ?? NO_MOUNT_TABLE;
  const listed = goodVolumes(volumes, facts, at);
  // nothing here can be ntfs-3g: no need to look at each link
  if (listed.length === 0 && !facts.mayHoldNtfs3g()) return problems;
  problems.push(...linkProblems(desired, listed, facts));
  return problems;
}
