/**
 * A manifest text, parsed once: its data (from the parsed-manifest cache when the same text loaded
 * before, else from the YAML), the line and column of any node for a problem's message (the YAML
 * parsed on first need), and the problems found so far, kept with their places and reported in
 * the order they appear in the file.
 */
import { isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type LineCounter, type Node, type Pair, type YAMLMap } from 'yaml';
import type { ManifestProblem } from '../core/errors.js';
import { yamlPath } from './schema-errors.js';
import { parseManifestYaml } from './yaml-limits.js';

/**
 * A manifest text parsed and checked against the schema once, kept so the next load of the same
 * text skips YAML parsing (most of a plan's time for a generated manifest of thousands of
 * entries): its data, and the line and column of each `links[i]`. Any other position (for a
 * problem's message) comes from parsing the text after all.
 */
export interface ParsedManifest {
  data: unknown;
  links: readonly (readonly [number, number] | null)[];
  /** Where each switch's `current` value lies in the text (what `linkplan switch` rewrites), by switch name. */
  currents?: Readonly<Record<string, CurrentSite>>;
}

/** Where a switch's `current` lies in the text: a plain or quoted value from `start` to `end` (its style), or why it cannot be rewritten. */
export type CurrentSite = { start: number; end: number; type: string } | { refused: 'alias' | 'not-plain' };

/** Where `switches.<name>.current` lies in `doc`. */
export function currentSite(doc: Document, name: string): CurrentSite {
  const node: unknown = doc.getIn(['switches', name, 'current'], true);
  if (isAlias(node)) return { refused: 'alias' };
  if (!isScalar(node) || node.range === undefined || node.range === null) return { refused: 'not-plain' };
  return { start: node.range[0], end: node.range[1], type: node.type ?? 'PLAIN' };
}

/** Where the `current` of each switch of the parsed data lies. */
function currentsOf(doc: Document, data: unknown): Record<string, CurrentSite> {
  const out: Record<string, CurrentSite> = {};
  const switches = typeof data === 'object' && data !== null ? (data as { switches?: unknown }).switches : undefined;
  if (typeof switches !== 'object' || switches === null) return out;
  for (const name of Object.keys(switches)) out[name] = currentSite(doc, name);
  return out;
}

/** Where parsed manifests are kept between runs, by their text. */
export interface ManifestCache {
  get(text: string): ParsedManifest | undefined;
  put(text: string, parsed: ParsedManifest): void;
}

/** Line and column of the node at a YAML path (or of the key `key` in it); empty when unknown. */
export type Place = (segments: readonly (string | number)[], key?: string) => { line?: number; column?: number };

/** A manifest text with its data and the places of its nodes. */
export interface ParsedText {
  data: unknown;
  place: Place;
  /** The cached parse it came from, if any. */
  cached: ParsedManifest | undefined;
  /** The YAML document, parsed on first use. */
  yaml(): { doc: Document; lc: LineCounter };
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

/** `text` with its data: the cached copy's when there is one, else the YAML's (parsed here). */
export function parseText(text: string, display: string, cached: ParsedManifest | undefined): ParsedText {
  let parsed: { doc: Document; lc: LineCounter } | undefined;
  const yaml = (): { doc: Document; lc: LineCounter } => {
    parsed ??= parseManifestYaml(text, display);
    return parsed;
  };
  const place: Place = (segments, key) => {
    if (cached !== undefined && key === undefined && segments.length === 2 && segments[0] === 'links' && typeof segments[1] === 'number') {
      const at = cached.links[segments[1]];
      if (at !== undefined && at !== null) return { line: at[0], column: at[1] };
    }
    const { doc, lc } = yaml();
    return positionOf(doc, lc, segments, key);
  };
  const data: unknown = cached !== undefined ? cached.data : yaml().doc.toJS({ maxAliasCount: -1 });
  return { data, place, cached, yaml };
}

/**
 * Where each switch's `current` lies in `text`: what the cached parse says, or what the YAML parsed
 * for the data says (taken now: the document is not kept), or, for a cached parse that does not
 * say, the text parsed again when asked.
 */
export function currentSites(parsed: ParsedText, text: string): (name: string, current: string) => CurrentSite {
  const known = parsed.cached !== undefined ? parsed.cached.currents : currentsOf(parsed.yaml().doc, parsed.data);
  return (name, current) => {
    const site = known?.[name];
    // (a cached place is used only where the characters there still read as the current value)
    if (site !== undefined && ('refused' in site || holds(text, site, current))) return site;
    return currentSite(parseManifestYaml(text, '').doc, name);
  };
}

/** Whether the characters at `site` are one line of YAML that reads as `current`. */
function holds(text: string, site: { start: number; end: number }, current: string): boolean {
  const { start, end } = site;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > text.length || start >= end) return false;
  const source = text.slice(start, end);
  return !source.includes('\r') && readsAs(source, current);
}

/** Whether `source` as a mapping value reads back as `name` (a number reads back as its digits). */
export function readsAs(source: string, name: string): boolean {
  if (source.includes('\n')) return false;
  try {
    const doc = parseDocument(`v: ${source}\n`);
    if (doc.errors.length > 0) return false;
    const v: unknown = doc.get('v');
    return (typeof v === 'string' || typeof v === 'number') && String(v) === name && !/\s#/.test(source);
  } catch {
    return false;
  }
}

/** What the cache keeps of a parsed text: its data and the line and column of each of its `count` links. */
export function toCached(parsed: ParsedText, count: number): ParsedManifest {
  const { doc, lc } = parsed.yaml();
  const links: (readonly [number, number] | null)[] = [];
  for (let i = 0; i < count; i++) {
    const at = positionOf(doc, lc, ['links', i]);
    links.push(at.line === undefined || at.column === undefined ? null : ([at.line, at.column] as const));
  }
  return { data: parsed.data, links, currents: currentsOf(doc, parsed.data) };
}

/** Problems in the order they appear in the file; those without a place (--var) first. */
export function inFileOrder(problems: readonly ManifestProblem[]): ManifestProblem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? 0) - (b.p.line ?? 0) || (a.p.column ?? 0) - (b.p.column ?? 0) || a.i - b.i)
    .map(({ p }) => p);
}

/** The problems found in one manifest so far. */
export class Problems {
  readonly list: ManifestProblem[] = [];

  constructor(readonly place: Place) {}

  /** A problem at the node of a YAML path, with its line and column. */
  at(segments: readonly (string | number)[], message: string): void {
    this.list.push({ where: yamlPath(segments), ...this.place(segments), message });
  }

  /** Problems found elsewhere, in their order (a loop: a check may return thousands). */
  add(problems: readonly ManifestProblem[]): void {
    for (let i = 0; i < problems.length; i++) this.list.push(problems[i] as ManifestProblem);
  }
}
