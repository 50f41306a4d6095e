/**
 * Parses a manifest's YAML within limits, so a hostile or broken file ends in a located message
 * rather than an exhausted stack or memory: collections nest at most `MAX_NESTING` levels
 * (checked on the parser's token tree, which is built without recursion, before the document is
 * composed), and aliases (`*name`) may stand for at most `MAX_ALIAS_VALUES` values in all and
 * never for a value they lie inside; a key repeated in a mapping is found with a Set (linear
 * time). YAML problems come back as a `ManifestError` with each one's line and column.
 */
import { Composer, isAlias, isMap, isScalar, isSeq, LineCounter, Parser, YAMLParseError, type CST, type Document, type Node } from 'yaml';
import { ManifestError, type ManifestProblem } from '../core/errors.js';
import { excerpt, printable } from '../core/printable.js';

/** How deep collections may nest (a manifest needs about six levels). */
export const MAX_NESTING = 64;
/** How many values all aliases together may stand for (each alias counts what it names). */
export const MAX_ALIAS_VALUES = 1_000_000;

/** The first collection nested deeper than MAX_NESTING: its offset in the text. */
function tooDeep(tokens: readonly CST.Token[]): number | undefined {
  const stack: [CST.Token, number][] = tokens.map((t) => [t, 0]);
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [t, depth] = top;
    if (t.type === 'document') {
      if (t.value !== undefined) stack.push([t.value, depth]);
    } else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > MAX_NESTING) return t.offset;
      for (const it of t.items as readonly CST.CollectionItem[]) {
        if (it.key !== undefined && it.key !== null) stack.push([it.key, depth + 1]);
        if (it.value !== undefined) stack.push([it.value, depth + 1]);
      }
    }
  }
  return undefined;
}

function yamlProblem(lc: LineCounter, e: YAMLParseError): ManifestProblem {
  const pos = lc.linePos(e.pos[0]);
  const first = e.message.split('\n')[0] ?? e.message;
  return { where: '', line: pos.line, column: pos.col, message: `YAML syntax: ${printable(first.length > 200 ? `${first.slice(0, 200)}...` : first)}` };
}

/** What a scalar measures: one value, no depth. */
const SCALAR = { size: 1, depth: 0 };

/** What a mapping key is compared by: a scalar's value, any other node itself. */
function keyOf(key: unknown): unknown {
  return isScalar(key) ? key.value : key;
}

/**
 * What the composed document holds that the limits refuse: every key a mapping repeats (checked
 * here with a Set per mapping: the yaml package compares each key with every earlier one, which
 * takes minutes for a mapping of 100,000 keys), and the first alias that lies inside what it
 * names, that brings the values aliases stand for past MAX_ALIAS_VALUES, or that nests the
 * document past MAX_NESTING.
 */
function documentProblems(doc: Document): { offset: number; message: string }[] {
  const problems: { offset: number; message: string }[] = [];
  /** Each finished anchored node: how many values it expands to, and how deep. */
  const done = new Map<unknown, { size: number; depth: number }>();
  let aliased = 0;
  let aliasProblem = false;
  const fail = (offset: number, message: string): { size: number; depth: number } => {
    if (!aliasProblem) problems.push({ offset, message });
    aliasProblem = true;
    return { size: 0, depth: 0 };
  };
  const measure = (node: unknown): { size: number; depth: number } => {
    if (isAlias(node)) {
      const source = node.resolve(doc);
      if (source === undefined) return { size: 0, depth: 0 }; // (the parser said so already)
      const m = done.get(source);
      const offset = node.range?.[0] ?? 0;
      if (m === undefined) return fail(offset, `the alias *${printable(node.source)} lies inside the value it names, which would never end; write the value out`);
      aliased += m.size;
      if (aliased > MAX_ALIAS_VALUES) fail(offset, `aliases expand the manifest to more than ${MAX_ALIAS_VALUES.toLocaleString('en-US')} values; write the values out, or use fewer aliases`);
      return m;
    }
    // (a scalar, most of a manifest, costs no allocation)
    if (!isMap(node) && !isSeq(node)) {
      if ((node as { anchor?: string } | null)?.anchor !== undefined) done.set(node, SCALAR);
      return SCALAR;
    }
    let size = 1;
    let depth = 0;
    if (isMap(node)) {
      const items = node.items;
      const keys = items.length > 8 ? new Set<unknown>() : undefined;
      for (let i = 0; i < items.length; i++) {
        const it = items[i] as (typeof items)[number];
        const key = keyOf(it.key);
        let repeated = keys?.has(key) ?? false;
        for (let j = 0; keys === undefined && j < i && !repeated; j++) repeated = keyOf(items[j]?.key) === key;
        if (repeated) {
          problems.push({ offset: (it.key as Node).range?.[0] ?? 0, message: `duplicate key ${excerpt(String(key))}; a key may appear only once in a mapping` });
        }
        keys?.add(key);
        const k = measure(it.key);
        const v = measure(it.value);
        size += k.size + v.size;
        depth = Math.max(depth, k.depth, v.depth);
      }
    } else {
      for (const it of node.items) {
        const m = measure(it);
        size += m.size;
        depth = Math.max(depth, m.depth);
      }
    }
    depth += 1;
    if (depth > MAX_NESTING) fail(node.range?.[0] ?? 0, `the manifest nests deeper than ${MAX_NESTING} levels through its aliases; a manifest needs a handful`);
    const m = { size, depth };
    // (only an anchored node can be named by an alias)
    if (node.anchor !== undefined) done.set(node, m);
    return m;
  };
  measure(doc.contents);
  return problems;
}

/**
 * The manifest's YAML document and its line counter; a YAML problem, or a document beyond the
 * limits, is thrown as a ManifestError naming `display`. Its `toJS` needs `{ maxAliasCount: -1 }`:
 * aliases are bounded here, and the yaml package's own count refuses an anchor that more than
 * 100 entries share.
 */
export function parseManifestYaml(text: string, display: string): { doc: Document; lc: LineCounter } {
  const lc = new LineCounter();
  const tokens = [...new Parser(lc.addNewLine).parse(text)];
  const deep = tooDeep(tokens);
  if (deep !== undefined) {
    const pos = lc.linePos(deep);
    throw new ManifestError(display, [{ where: '', line: pos.line, column: pos.col, message: `the manifest nests deeper than ${MAX_NESTING} levels; a manifest needs a handful` }]);
  }
  // (what parseDocument does, on the tokens already made)
  const composer = new Composer({ prettyErrors: false, uniqueKeys: false });
  let doc: Document | undefined;
  for (const d of composer.compose(tokens, true, text.length)) {
    if (doc === undefined) doc = d;
    else {
      doc.errors.push(new YAMLParseError([d.range[0], d.range[1]], 'MULTIPLE_DOCS', 'Source contains multiple documents; please use YAML.parseAllDocuments()'));
      break;
    }
  }
  if (doc === undefined) throw new ManifestError(display, [{ where: '', message: 'the manifest holds no YAML document' }]);
  const found = [
    ...doc.errors.map((e) => ({ offset: e.pos[0], problem: yamlProblem(lc, e) })),
    ...documentProblems(doc).map(({ offset, message }) => {
      const pos = lc.linePos(offset);
      return { offset, problem: { where: '', line: pos.line, column: pos.col, message } };
    }),
  ];
  if (found.length > 0) throw new ManifestError(display, found.sort((a, b) => a.offset - b.offset).map((f) => f.problem));
  return { doc, lc };
}
