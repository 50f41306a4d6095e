/**
 * Loads a manifest, as a short list of stages: read the file (within its size limit), take its
 * parsed data from the cache or parse the YAML keeping positions, validate it against the
 * compiled schema, resolve variables, list the NTFS volumes it names (`volumes:`), expand each
 * entry (`when`, `~`, variables, globs through the driver; entries.ts) with every path resolved
 * against the manifest's folder, and check the layout as a whole (one entry per path, no link
 * inside another link, no link inside its own target) and against the volumes (volumes.ts, with
 * the mount facts the caller gives). Every problem is collected and reported at once, each with
 * file:line:column and its YAML path. The result is the list of `Desired` entries and the
 * resolved volumes.
 */
import os from 'node:os';
import path from 'node:path';
import type { Driver } from '../drivers/driver.js';
import { ManifestError } from '../core/errors.js';
import { lazyDigest } from '../core/hash.js';
import { validateManifest } from '../generated/validators.js';
import { currentPlatform, toAbs, type AbsPath, type Platform } from '../core/paths.js';
import type { VolumeFacts } from '../core/volume-facts.js';
import { normalizeWindowsRoot } from '../core/windows-root.js';
import { checkLayout } from './layout-checks.js';
import { linkIndex, type LinkIndex } from '../core/link-index.js';
import { describeSchemaErrors, yamlPath } from './schema-errors.js';
import type { Desired, Volume } from '../core/types.js';
import { excerpt } from '../core/printable.js';
import { readTextFile } from './read-file.js';
import { pathChecker } from './path-validity.js';
import { expandPath, resolveVars, VAR_NAME, type ExpandContext } from './vars.js';
import { checkVolumes, type ListedVolume } from './volumes.js';
import { expandEntries } from './entries.js';
import { expandSwitches, type LoadedSwitch } from './switches.js';
import { expandDirectories } from './directories.js';
import { currentSites, inFileOrder, parseText, Problems, toCached, type CurrentSite, type ManifestCache, type ParsedText } from './parsed.js';
import type { RawManifest } from './raw.js';
import type { Machine } from './when.js';

export type { ManifestCache, ParsedManifest } from './parsed.js';

export interface LoadOptions {
  driver: Driver;
  /** Variables from the command line; they win over the manifest's own. */
  vars?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string | undefined>>;
  platform?: Platform;
  hostname?: string;
  home?: string;
  /**
   * What this machine's ntfs-3g mounts are (drivers/select.ts's `volumeFacts` reads the mount
   * table), asked on Linux only, once per load; default: no mount table, so no listed volume is
   * one and no link is looked at.
   */
  volumeFacts?: () => VolumeFacts;
  /** Parsed manifests kept between runs: the next load of the same text skips YAML parsing. */
  cache?: ManifestCache;
  /** The manifest's text, to load instead of the file's (`linkplan switch` plans its edit before saving it). */
  text?: string;
}

export interface LoadedManifest {
  file: AbsPath;
  dir: AbsPath;
  /** `sha256:` and the hex digest of the manifest's bytes, taken when first read. */
  readonly digest: string;
  desired: Desired[];
  /** Entries left out by their `when` condition. */
  skipped: number;
  /** The NTFS volumes of `volumes:`, resolved (none on Windows, which names its volumes itself). */
  volumes: Volume[];
  /** The index of `desired`, for observe and the planner (made once, for the layout checks). */
  links: LinkIndex;
  /** The version switches of `switches:` that apply here (each is also one of `desired`). */
  switches: LoadedSwitch[];
  /** Where switch `name`'s `current` lies in the text (`linkplan switch` rewrites it there): from the cached parse, else from the YAML. */
  currentSite(name: string, current: string): CurrentSite;
}

/** The largest manifest read: a generated one of 50,000 links is about 8 MiB. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

/** Stage: the manifest's text, within the size limit (a UsageError or ManifestError says why not). */
function readManifest(abs: AbsPath, display: string): string {
  return readTextFile(abs, { display, maxBytes: MAX_MANIFEST_BYTES, what: 'the manifest', hint: 'give the path of a layout.yaml file' });
}

/** The text of the manifest at `file` (as given on the command line), within the size limit. */
export function readManifestText(file: string, platform: Platform = currentPlatform()): string {
  return readManifest(toAbs(file, process.cwd(), platform), file);
}

/** Stage: the parsed data checked against the schema; a ManifestError lists every problem when it is not valid. */
function validated(parsed: ParsedText, display: string): RawManifest {
  const data = parsed.data;
  if (validateManifest(data)) return data as RawManifest;
  const place = parsed.place;
  throw new ManifestError(
    display,
    inFileOrder(
      describeSchemaErrors(validateManifest.errors ?? [], data).map((p) => ({
        where: yamlPath(p.segments),
        ...(p.key === undefined ? place(p.segments) : place(p.segments.slice(0, -1), p.key)),
        message: p.message,
      })),
    ),
  );
}

/** Stage: the manifest's variables with those of the command line, expanded; problems reported. */
function resolveVariables(raw: RawManifest, base: Omit<ExpandContext, 'vars' | 'unresolved'>, cli: Readonly<Record<string, string>>, problems: Problems): ExpandContext {
  // (Maps: a name is never looked up among what every JavaScript object has)
  const rawVars = new Map<string, string>();
  for (const [k, v] of Object.entries(raw.vars ?? {})) rawVars.set(k, String(v));
  const cliVars = new Map(Object.entries(cli));
  for (const [k, v] of cliVars) {
    if (VAR_NAME.test(k)) rawVars.set(k, v);
    else problems.add([{ where: `--var ${excerpt(k, 40).slice(1, -1)}`, message: 'not a valid variable name (letters, digits, _ . - and not starting with a digit)' }]);
  }
  const { vars, problems: varProblems } = resolveVars(rawVars, base);
  // A variable that needs an environment variable this machine lacks is a problem only where an
  // entry that applies here uses it: an entry for other machines may be left out by its `when`.
  // A variable reported broken is named as such where it is used, not as unknown.
  const unresolved = new Map<string, { why: string; missingEnv: boolean }>();
  for (const p of varProblems) {
    if (cliVars.has(p.name)) {
      problems.add([{ where: `--var ${p.name}`, message: p.problem }]);
      unresolved.set(p.name, { why: `see the problem with --var ${p.name}`, missingEnv: false });
    } else if (p.missingEnv) {
      unresolved.set(p.name, { why: p.problem, missingEnv: true });
    } else {
      problems.at(['vars', p.name], p.problem);
      unresolved.set(p.name, { why: `see the problem with ${yamlPath(['vars', p.name])}`, missingEnv: false });
    }
  }
  return { ...base, vars, unresolved };
}

/** Stage: the volumes of `volumes:`, their mounts resolved like paths and their Windows names normalised; problems reported. */
function listVolumes(raw: RawManifest, ctx: ExpandContext, at: { dir: AbsPath; platform: Platform; problems: Problems }): ListedVolume[] {
  const listed: ListedVolume[] = [];
  (raw.volumes ?? []).forEach((v, index) => {
    const r = expandPath(v.mount, ctx);
    if (!r.ok) {
      at.problems.at(['volumes', index, 'mount'], r.problem);
      return;
    }
    const windows = normalizeWindowsRoot(v.windows);
    if (windows === undefined) {
      at.problems.at(['volumes', index, 'windows'], `must be a drive like D: or a volume GUID path, not ${excerpt(v.windows)}`);
      return;
    }
    listed.push({ mount: toAbs(r.value, at.dir, at.platform), windows, index });
  });
  return listed;
}

/**
 * The manifest at `file` as `Desired` entries: read, parsed (or taken from the cache), validated,
 * its variables resolved, its volumes listed, its entries expanded, the layout and the volumes
 * checked; a ManifestError lists every problem found, in file order.
 */
export function loadManifest(file: string, opts: LoadOptions): LoadedManifest {
  const platform = opts.platform ?? currentPlatform();
  const machine: Machine = { platform, hostname: opts.hostname ?? os.hostname(), env: opts.env ?? process.env };
  const abs = toAbs(file, process.cwd(), platform);
  const dir = toAbs(path.dirname(abs), '/', platform);
  // (read where this machine finds the file; its paths follow the rules of the platform planned for)
  const text = opts.text ?? readManifest(platform === currentPlatform() ? abs : (path.resolve(file) as AbsPath), file);
  const digest = lazyDigest(text);
  const parsed = parseText(text, file, opts.cache?.get(text));
  const raw = validated(parsed, file);
  const problems = new Problems(parsed.place);
  const base = { env: machine.env, home: opts.home ?? os.homedir(), windows: platform === 'win32' };
  const vars = resolveVariables(raw, base, opts.vars ?? {}, problems);
  const listedVolumes = listVolumes(raw, vars, { dir, platform, problems });
  const ec = { machine, vars, dir, driver: opts.driver, checkPath: pathChecker(platform), problems };
  // the folders first: a link inside one is made after it, in it
  const folders = expandDirectories(raw, { ...ec, placed: parsed.cached === undefined });
  const entries = expandEntries(raw, ec);
  const switched = expandSwitches(raw, { ...ec, placed: parsed.cached === undefined });
  const desired = folders.desired.length === 0 && switched.desired.length === 0 ? entries.desired : [...folders.desired, ...entries.desired, ...switched.desired];
  const skipped = folders.skipped + entries.skipped + switched.skipped;
  const links = linkIndex(desired, platform);
  problems.add(checkLayout(desired, links));
  problems.add(checkVolumes(desired, listedVolumes, { platform, ...(opts.volumeFacts === undefined ? {} : { facts: opts.volumeFacts }), place: parsed.place }));
  if (problems.list.length > 0) throw new ManifestError(file, inFileOrder(problems.list));
  if (opts.cache !== undefined && parsed.cached === undefined) opts.cache.put(text, toCached(parsed, raw.links?.length ?? 0));
  const volumes = platform === 'win32' ? [] : listedVolumes.map(({ mount, windows }) => ({ mount, windows }));
  return {
    file: abs,
    dir,
    get digest() {
      return digest();
    },
    desired,
    skipped,
    volumes,
    links,
    switches: switched.switches,
    currentSite: currentSites(parsed, text),
  };
}
