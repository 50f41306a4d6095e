/**
 * Turns JSON Schema validation errors into sentences a person can act on, each with the YAML
 * path of the value it is about (`links[3].target`). Knows the manifest's keys so it can say
 * "did you mean" for a misspelt one.
 */
import type { SchemaError } from '../generated/validators.js';
import { excerpt, needsEscape } from '../core/printable.js';

export interface SchemaProblem {
  /** Path segments into the document (numbers for list items). */
  segments: (string | number)[];
  /** The key the problem is about, when it is an unknown key (to point at the key itself). */
  key?: string;
  message: string;
}

const LINK_KEYS = ['path', 'target', 'type', 'relative', 'state', 'onConflict', 'createParents', 'allowCycle', 'targetForm', 'allowSystemPaths', 'relocate', 'when', 'glob', 'exclude', 'fold'];
const KNOWN_KEYS: Record<string, string[]> = {
  root: ['version', 'vars', 'defaults', 'links', 'volumes', '$schema'],
  link: LINK_KEYS,
  volume: ['mount', 'windows'],
  defaults: ['type', 'relative', 'state', 'onConflict', 'createParents', 'allowCycle', 'targetForm', 'when'],
  when: ['os', 'hostname', 'env'],
};
const DESCRIBE: Record<string, string> = {
  path: 'where the link lives',
  target: 'what the link points to',
  version: 'the manifest format version, 1',
  links: 'the list of links',
  mount: 'where ntfs-3g mounts the volume',
  windows: 'how Windows names the volume: a drive like D: or a volume GUID path',
};

const WINDOWS_NAME = 'a drive like D: or a volume GUID path like \\\\?\\Volume{GUID}\\';

export function yamlPath(segments: readonly (string | number)[]): string {
  let s = '';
  for (const seg of segments) {
    if (typeof seg === 'number') s += `[${seg}]`;
    else if (seg.length > 60 || needsEscape(seg)) s += `[${excerpt(seg)}]`;
    else s += s === '' ? seg : /^[A-Za-z_$][\w$]*$/.test(seg) ? `.${seg}` : `[${JSON.stringify(seg)}]`;
  }
  return s;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0] ?? 0;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = dp[j] ?? 0;
      dp[j] = Math.min(cur + 1, (dp[j - 1] ?? 0) + 1, prev + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1));
      prev = cur;
    }
  }
  return dp[b.length] ?? 0;
}

function contextOf(segments: readonly (string | number)[]): string {
  const last = segments[segments.length - 1];
  const before = segments[segments.length - 2];
  if (segments.length === 0) return 'root';
  if (last === 'defaults') return 'defaults';
  if (last === 'when') return 'when';
  if (typeof last === 'number' && before === 'links') return 'link';
  if (typeof last === 'number' && before === 'volumes') return 'volume';
  return 'other';
}

function suggest(key: string, known: readonly string[]): string {
  if (key.length > 60) return '';
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

/** A value as a person reads it in a message: `the string "yes"`, `the number 5`, `a list`. */
function typeName(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${excerpt(v)}`;
  if (typeof v === 'number') return `the number ${v}`;
  return typeof v === 'boolean' ? String(v) : typeof v;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  integer: 'a whole number',
  boolean: 'true or false',
  object: 'a mapping',
  array: 'a list',
  null: 'empty',
};

/** `a, b or c` */
function orList(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1] ?? ''}`;
}

function valueAt(doc: unknown, segments: readonly (string | number)[]): unknown {
  let v: unknown = doc;
  for (const s of segments) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, s)) return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

type Located = { e: SchemaError; segments: (string | number)[] };

/** One schema error as a sentence, or undefined when another error says it better. */
function describeOne({ e, segments }: Located, data: unknown): SchemaProblem | undefined {
  const value = valueAt(data, segments);
  const last = segments[segments.length - 1];
  switch (e.keyword) {
    case 'required': {
      const key = String(e.params['missingProperty']);
      const what = DESCRIBE[key];
      return { segments, message: `missing "${key}"${what === undefined ? '' : ` (${what})`}` };
    }
    case 'additionalProperties': {
      const key = String(e.params['additionalProperty']);
      const known = (KNOWN_KEYS[contextOf(segments)] ?? []).filter((k) => k !== '$schema');
      const hint = suggest(key, known);
      const list = known.length > 0 ? `; known keys: ${known.join(', ')}` : '';
      return { segments: [...segments, key], key, message: `unknown key${hint === '' ? list : hint}` };
    }
    case 'enum': {
      const allowed = (e.params['allowedValues'] as unknown[]).map((v) => String(v));
      const hint = typeof value === 'string' ? suggest(value, allowed) : '';
      return { segments, message: `must be ${orList(allowed)}, not ${typeName(value)}${hint}` };
    }
    case 'const': {
      const want = e.params['allowedValue'];
      const why = last === 'version' && segments.length === 1 ? ' (the only manifest format this linkplan reads)' : '';
      return { segments, message: `must be ${JSON.stringify(want)}${why}, not ${typeName(value)}` };
    }
    case 'type': {
      if (segments.length === 0) {
        return {
          segments,
          message:
            value === null || value === undefined
              ? 'the manifest is empty; it needs at least "version: 1" and "links:"'
              : `the manifest must be a mapping with "version" and "links", not ${typeName(value)}`,
        };
      }
      const names = (Array.isArray(e.params['type']) ? (e.params['type'] as unknown[]) : String(e.params['type']).split(',')).map(String);
      // a lone boolean reads "true or false"; among other types, true and false are two more choices
      const types = names.length === 1 ? names.map((t) => TYPE_WORDS[t] ?? t) : names.flatMap((t) => (t === 'boolean' ? ['true', 'false'] : [TYPE_WORDS[t] ?? t]));
      return { segments, message: `must be ${orList(types)}, not ${typeName(value)}` };
    }
    case 'minLength':
      return { segments, message: 'must not be empty' };
    case 'minItems':
      return { segments, message: 'must not be an empty list' };
    case 'pattern':
      // a key that fails propertyNames also fails its pattern: the propertyNames error says it
      if ('propertyName' in e) return undefined;
      if (last === 'windows' && segments[segments.length - 3] === 'volumes') {
        const inside = typeof value === 'string' && /^[A-Za-z]:[\\/]./.test(value);
        return {
          segments,
          message: `must be ${WINDOWS_NAME}, not ${typeName(value)}${inside ? ' (name the root of the volume, not a folder on it)' : ''}`,
        };
      }
      return { segments, message: `${typeName(value)} does not have the right form` };
    case 'propertyNames': {
      const name = String(e.params['propertyName']);
      return {
        segments: [...segments, name],
        key: name,
        message: `${excerpt(name)} is not a valid variable name (letters, digits, _ . - and not starting with a digit)`,
      };
    }
    case 'oneOf': {
      const msg =
        last === 'os'
          ? `must be linux, macos, darwin or windows, or a list of them, not ${typeName(value)}`
          : last === 'hostname'
            ? `must be a host name or a list of host names, not ${typeName(value)}`
            : `has the wrong form (${typeName(value)})`;
      return { segments, message: msg };
    }
    default:
      return { segments, message: e.message ?? `fails the schema rule ${e.keyword}` };
  }
}

export function describeSchemaErrors(errors: readonly SchemaError[], data: unknown): SchemaProblem[] {
  // (an if/then rule reports its "then" failure itself, then once more as "must match then")
  const parsed: Located[] = errors.filter((e) => e.keyword !== 'if').map((e) => ({
    e,
    segments: e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
  }));
  // A oneOf (one value or a list of them) explains itself better than the failures of each of
  // its branches; but when the value is a list, the failures of its items say exactly which
  // item is wrong.
  const oneOfs = parsed.filter((p) => p.e.keyword === 'oneOf');
  const chosen: Located[] = [];
  for (const p of parsed) {
    const under = oneOfs.find((o) => p.e.instancePath === o.e.instancePath || p.e.instancePath.startsWith(o.e.instancePath + '/'));
    if (under === undefined) {
      chosen.push(p);
      continue;
    }
    const listValue = Array.isArray(valueAt(data, under.segments));
    const itemError = p.e.instancePath !== under.e.instancePath || p.e.keyword === 'minItems';
    if (p === under) {
      const explained = listValue && parsed.some((q) => q !== p && (q.e.instancePath.startsWith(p.e.instancePath + '/') || (q.e.instancePath === p.e.instancePath && q.e.keyword === 'minItems')));
      if (!explained) chosen.push(p);
    } else if (listValue && itemError) {
      chosen.push(p);
    }
  }
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const p of chosen) {
    const problem = describeOne(p, data);
    if (problem === undefined) continue;
    const k = yamlPath(problem.segments) + '\0' + (problem.key ?? '') + '\0' + problem.message;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(problem);
  }
  return out;
}
