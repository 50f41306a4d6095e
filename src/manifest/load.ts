/**
 * Loads a manifest: parses the YAML keeping positions, validates it against the compiled schema,
 * expands variables, `~`, `when` conditions and globs, resolves every path against the
 * manifest's folder, and checks the layout as a whole (one entry per path, no link inside
 * another link, no link inside its own target) and against the NTFS volumes it lists (`volumes:`,
 * see volumes.ts). Every problem is collected and reported at once, each with file:line:column
 * and its YAML path. The result is the list of `Desired` entries and the resolved volumes.
 */
import os from 'node:os';
import path from 'node:path';
import { isMap, isScalar, isSeq, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Driver } from '../drivers/driver.js';
import type { Ntfs3gMountOptions } from '../drivers/ntfs3g/mounts.js';
import { normalizeWindowsRoot } from '../drivers/ntfs3g/windows-paths.js';
import { ManifestError, type ManifestProblem } from '../core/errors.js';
import { lazyDigest } from '../core/hash.js';
import { validateManifest } from '../generated/validators.js';
import { currentPlatform, entryPath, isSameOrInside, toAbs, type AbsPath, type Platform } from '../core/paths.js';
import { expandGlob, type GlobMatch } from './glob.js';
import { checkLayout } from './layout-checks.js';
import { linkIndex, type LinkIndex } from '../core/link-index.js';
import { describeSchemaErrors, yamlPath } from './schema-errors.js';
import type { ConflictPolicy, Desired, RequestedType, Volume } from '../core/types.js';
import { excerpt } from '../core/printable.js';
import { readTextFile } from './read-file.js';
import { pathChecker } from './path-validity.js';
import { envValue, expandPath, resolveVars, VAR_NAME, type ExpandContext } from './vars.js';
import { parseManifestYaml } from './yaml-limits.js';
import { checkVolumes, type ListedVolume } from './volumes.js';

type Scalar = string | number | boolean;
interface RawOptions {
  type?: RequestedType;
  relative?: boolean;
  state?: 'present' | 'absent';
  onConflict?: ConflictPolicy;
  createParents?: boolean;
  allowCycle?: boolean;
  when?: RawWhen;
}
interface RawWhen {
  os?: string | string[];
  hostname?: string | string[];
  env?: Record<string, string | number | boolean>;
}
interface RawLink extends RawOptions {
  path: string;
  target?: string;
  glob?: string;
  exclude?: string[];
  fold?: boolean;
}
interface RawManifest {
  version: 1;
  vars?: Record<string, Scalar>;
  defaults?: RawOptions;
  links: RawLink[];
  volumes?: { mount: string; windows: string }[];
}

/**
 * A manifest text parsed and checked against the schema once, kept so the next load of the same
 * text skips YAML parsing (most of a plan's time for a generated manifest of thousands of
 * entries): its data, and the line and column of each `links[i]`. Any other position (for a
 * problem's message) comes from parsing the text after all.
 */
export interface ParsedManifest {
  data: unknown;
  links: readonly (readonly [number, number] | null)[];
}

/** Where parsed manifests are kept between runs, by their text. */
export interface ManifestCache {
  get(text: string): ParsedManifest | undefined;
  put(text: string, parsed: ParsedManifest): void;
}

export interface LoadOptions {
  driver: Driver;
  /** Variables from the command line; they win over the manifest's own. */
  vars?: Readonly<Record<string, string>>;
  env?: Readonly<Record<string, string | undefined>>;
  platform?: Platform;
  hostname?: string;
  home?: string;
  /** Where to find ntfs-3g mounts (the mount table and the probe); default: this machine's. */
  ntfs3gMounts?: Ntfs3gMountOptions;
  /** Parsed manifests kept between runs: the next load of the same text skips YAML parsing. */
  cache?: ManifestCache;
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
}

/** The largest manifest read: a generated one of 50,000 links is about 8 MiB. */
export const MAX_MANIFEST_BYTES = 16 * 1024 * 1024;

const OS_NAMES: ReadonlyMap<string, Platform> = new Map([
  ['linux', 'linux'],
  ['macos', 'darwin'],
  ['darwin', 'darwin'],
  ['windows', 'win32'],
]);

function whenHolds(when: RawWhen | undefined, ctx: { platform: Platform; hostname: string; env: Readonly<Record<string, string | undefined>> }): boolean {
  if (when === undefined) return true;
  if (when.os !== undefined) {
    const list = Array.isArray(when.os) ? when.os : [when.os];
    if (!list.some((o) => OS_NAMES.get(o) === ctx.platform)) return false;
  }
  if (when.hostname !== undefined) {
    const list = Array.isArray(when.hostname) ? when.hostname : [when.hostname];
    const full = ctx.hostname.toLowerCase();
    const short = full.split('.')[0] ?? full;
    if (!list.some((h) => h.toLowerCase() === full || h.toLowerCase() === short)) return false;
  }
  for (const [k, want] of Object.entries(when.env ?? {})) {
    const v = envValue(ctx.env, k);
    const set = v !== undefined && v !== '';
    if (want === true ? !set : want === false ? set : v !== String(want)) return false;
  }
  return true;
}

/** Each mapping's pairs by key, made on first use (a problem at each of 20,000 variables needs it). */
const pairsByKey = new WeakMap<YAMLMap, Map<unknown, Pair>>();

function pairOf(map: YAMLMap, key: unknown): Pair | undefined {
  let index = pairsByKey.get(map);
  if (index === undefined) {
    index = new Map();
    for (const p of map.items) {
      const k = isScalar(p.key) ? p.key.value : p.key;
      if (!index.has(k)) index.set(k, p);
    }
    pairsByKey.set(map, index);
  }
  return index.get(key);
}

/** Finds line and column of the node at `segments` (or of the key `key` inside it); the nearest node that exists. */
function positionOf(doc: Document, lc: LineCounter, segments: readonly (string | number)[], key?: string): { line?: number; column?: number } {
  let node: unknown = doc.contents;
  for (const seg of segments) {
    const next = isSeq(node) ? (typeof seg === 'number' ? node.items[seg] : undefined) : isMap(node) ? pairOf(node, seg)?.value : undefined;
    if (next === undefined || next === null) break;
    node = next;
  }
  if (key !== undefined && isMap(node)) {
    const pair = pairOf(node, key);
    if (pair !== undefined && isScalar(pair.key)) node = pair.key;
  }
  const range = (node as Node | undefined)?.range;
  if (range === undefined || range === null) return {};
  const { line, col } = lc.linePos(range[0]);
  return { line, column: col };
}

/** Problems in the order they appear in the file; those without a place (--var) first. */
function inFileOrder(problems: readonly ManifestProblem[]): ManifestProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

export function loadManifest(file: string, opts: LoadOptions): LoadedManifest {
  const platform = opts.platform ?? currentPlatform();
  const env = opts.env ?? process.env;
  const abs = toAbs(file, process.cwd(), platform);
  const display = file;
  const text = readTextFile(abs, { display, maxBytes: MAX_MANIFEST_BYTES, what: 'the manifest', hint: 'give the path of a layout.yaml file' });
  const digest = lazyDigest(text);
  const cache = opts.cache;
  const cached = cache?.get(text);
  let parsed: { doc: Document; lc: LineCounter } | undefined;
  /** The YAML document, parsed on first use (with a cached copy, only for a problem's position). */
  const yaml = (): { doc: Document; lc: LineCounter } => {
    parsed ??= parseManifestYaml(text, display);
    return parsed;
  };
  /** Line and column of the node at `segments` (or of key `key` in it). */
  const place = (segments: readonly (string | number)[], key?: string): { line?: number; column?: number } => {
    if (cached !== undefined && key === undefined && segments.length === 2 && segments[0] === 'links' && typeof segments[1] === 'number') {
      const at = cached.links[segments[1]];
      if (at !== undefined && at !== null) return { line: at[0], column: at[1] };
    }
    const { doc, lc } = yaml();
    return positionOf(doc, lc, segments, key);
  };
  const data: unknown = cached !== undefined ? cached.data : yaml().doc.toJS({ maxAliasCount: -1 });
  if (!validateManifest(data)) {
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
  const raw = data as RawManifest;
  const problems: ManifestProblem[] = [];
  const at = (segments: (string | number)[], message: string): void => {
    problems.push({ where: yamlPath(segments), ...place(segments), message });
  };

  const home = opts.home ?? os.homedir();
  const baseCtx = { env, home, windows: platform === 'win32' };
  // (Maps: a name is never looked up among what every JavaScript object has)
  const rawVars = new Map<string, string>();
  for (const [k, v] of Object.entries(raw.vars ?? {})) rawVars.set(k, String(v));
  const cliVars = new Map(Object.entries(opts.vars ?? {}));
  for (const [k, v] of cliVars) {
    if (VAR_NAME.test(k)) rawVars.set(k, v);
    else problems.push({ where: `--var ${excerpt(k, 40).slice(1, -1)}`, message: 'not a valid variable name (letters, digits, _ . - and not starting with a digit)' });
  }
  const { vars, problems: varProblems } = resolveVars(rawVars, baseCtx);
  // A variable that needs an environment variable this machine lacks is a problem only where an
  // entry that applies here uses it: an entry for other machines may be left out by its `when`.
  // A variable reported broken is named as such where it is used, not as unknown.
  const unresolved = new Map<string, { why: string; missingEnv: boolean }>();
  for (const p of varProblems) {
    if (cliVars.has(p.name)) {
      problems.push({ where: `--var ${p.name}`, message: p.problem });
      unresolved.set(p.name, { why: `see the problem with --var ${p.name}`, missingEnv: false });
    } else if (p.missingEnv) {
      unresolved.set(p.name, { why: p.problem, missingEnv: true });
    } else {
      at(['vars', p.name], p.problem);
      unresolved.set(p.name, { why: `see the problem with ${yamlPath(['vars', p.name])}`, missingEnv: false });
    }
  }
  const ctx: ExpandContext = { ...baseCtx, vars, unresolved };
  const dir = toAbs(path.dirname(abs), '/', platform);
  const hostname = opts.hostname ?? os.hostname();

  const listedVolumes: ListedVolume[] = [];
  (raw.volumes ?? []).forEach((v, index) => {
    const r = expandPath(v.mount, ctx);
    if (!r.ok) {
      at(['volumes', index, 'mount'], r.problem);
      return;
    }
    const windows = normalizeWindowsRoot(v.windows);
    if (windows === undefined) {
      at(['volumes', index, 'windows'], `must be a drive like D: or a volume GUID path, not ${excerpt(v.windows)}`);
      return;
    }
    listedVolumes.push({ mount: toAbs(r.value, dir, platform), windows, index });
  });

  const desired: Desired[] = [];
  let skipped = 0;
  const checkPath = pathChecker(platform);

  raw.links.forEach((link, i) => {
    const o: RawOptions = { ...raw.defaults, ...link };
    if (!whenHolds(o.when, { platform, hostname, env })) {
      skipped++;
      return;
    }
    const where = ['links', i] as (string | number)[];
    const resolve = (field: 'path' | 'target', value: string): AbsPath | undefined => {
      const r = expandPath(value, ctx);
      if (!r.ok) {
        at([...where, field], r.problem);
        return undefined;
      }
      const p = toAbs(r.value, dir, platform);
      const bad = checkPath(p);
      if (bad !== undefined) {
        at([...where, field], bad);
        return undefined;
      }
      return p;
    };
    const p = resolve('path', link.path);
    const target = link.target === undefined ? null : resolve('target', link.target);
    const state = o.state ?? 'present';
    if (state === 'present' && link.target === undefined) at(where, 'missing "target" (what the link points to); only state: absent may leave it out');
    if (link.glob === undefined && (link.exclude !== undefined || link.fold !== undefined)) {
      at([...where, link.exclude !== undefined ? 'exclude' : 'fold'], 'only means something together with glob');
    }
    if (p === undefined || target === undefined) return;
    const { line, column } = place(where);
    const source = { where: yamlPath(where), ...(line === undefined ? {} : { line }), ...(column === undefined ? {} : { column }) };
    const type = o.type ?? 'auto';
    const relative = o.relative ?? false;
    const onConflict = o.onConflict ?? 'refuse';
    const createParents = o.createParents ?? true;
    const allowCycle = o.allowCycle ?? false;
    /** This entry's options at a path (one object shape for every entry, thousands from a glob: no spreads). */
    const entry = (at: AbsPath, to: AbsPath | null, from: Desired['source']): Desired => ({ path: at, state, target: to, type, relative, onConflict, createParents, allowCycle, source: from });
    if (link.glob === undefined) {
      desired.push(entry(p, target, source));
      return;
    }
    if (target === null) return;
    if (isSameOrInside(p, target, platform)) {
      // the links would land in the folder the glob reads, and match themselves on the next run
      at([...where, 'path'], `${p}: lies inside ${target}, the folder the glob reads; the next run would find the links there and link them too`);
      return;
    }
    const t = opts.driver.observeTarget(target);
    if (t.kind !== 'dir') {
      at([...where, 'target'], `${target}: ${t.kind === 'absent' ? 'does not exist' : 'is not a folder'}; with glob, target must be the folder whose entries are linked`);
      return;
    }
    const matches = expandGlob(target, link.glob, {
      exclude: link.exclude ?? [],
      fold: link.fold ?? true,
      driver: opts.driver,
      nocase: platform === 'win32',
    });
    // the matches are names read from the folder: joining them needs no normalising
    for (let i = 0; i < matches.length; i++) {
      const m = matches[i] as GlobMatch;
      const from = source.line !== undefined && source.column !== undefined ? { where: source.where, line: source.line, column: source.column, match: m.rel } : { ...source, match: m.rel };
      const at = entryPath(p, m.rel, platform);
      const to = entryPath(target, m.rel, platform);
      // (names read from a folder are valid: only the length of the whole can be too much)
      const bad = checkPath.total(at) ?? checkPath.total(to);
      if (bad !== undefined) {
        problems.push({ where: yamlPath(where), ...place(where), message: `glob match ${excerpt(m.rel)}: ${bad}` });
        break;
      }
      desired.push(entry(at, to, from));
    }
  });

  const links = linkIndex(desired, platform);
  problems.push(...checkLayout(desired, links));
  problems.push(
    ...checkVolumes(desired, listedVolumes, { platform, ...opts.ntfs3gMounts, place }),
  );
  if (problems.length > 0) throw new ManifestError(display, inFileOrder(problems));
  if (cache !== undefined && cached === undefined) {
    const { doc, lc } = yaml();
    cache.put(text, {
      data,
      links: raw.links.map((_, i) => {
        const at = positionOf(doc, lc, ['links', i]);
        return at.line === undefined || at.column === undefined ? null : ([at.line, at.column] as const);
      }),
    });
  }
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
  };
}
