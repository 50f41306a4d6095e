/**
 * Turns JSON Schema validation errors into sentences a person can act on, each with the YAML
 * path of the value it is about (`links[3].target`). Knows the manifest's keys so it can say
 * "did you mean" for a misspelt one.
 */
import type { SchemaError } from '../generated/validators.js';

export interface SchemaProblem {
  /** Path segments into the document (numbers for list items). */
  segments: (string | number)[];
  /** The key the problem is about, when it is an unknown key (to point at the key itself). */
  key?: string;
  message: string;
}

const LINK_KEYS = ['path', 'target', 'type', 'relative', 'state', 'onConflict', 'createParents', 'allowCycle', 'when', 'glob', 'exclude', 'fold'];
const KNOWN_KEYS: Record<string, string[]> = {
  root: ['version', 'vars', 'defaults', 'links', '$schema'],
  link: LINK_KEYS,
  defaults: ['type', 'relative', 'state', 'onConflict', 'createParents', 'allowCycle', 'when'],
  when: ['os', 'hostname', 'env'],
};
const DESCRIBE: Record<string, string> = {
  path: 'where the link lives',
  target: 'what the link points to',
  version: 'the manifest format version, 1',
  links: 'the list of links',
};

export function yamlPath(segments: readonly (string | number)[]): string {
  let s = '';
  for (const seg of segments) {
    if (typeof seg === 'number') s += `[${seg}]`;
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
  return 'other';
}

function suggest(key: string, known: readonly string[]): string {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(1, Math.floor(key.length / 3)) ? ` (did you mean "${best}"?)` : '';
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v} ${JSON.stringify(v)}`;
}

function valueAt(doc: unknown, segments: readonly (string | number)[]): unknown {
  let v: unknown = doc;
  for (const s of segments) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

export function describeSchemaErrors(errors: readonly SchemaError[], data: unknown): SchemaProblem[] {
  const parsed = errors.map((e) => ({
    e,
    segments: e.instancePath
      .split('/')
      .slice(1)
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s)),
  }));
  // A oneOf failure explains itself better than the failures of each of its branches.
  const oneOfPaths = new Set(parsed.filter((p) => p.e.keyword === 'oneOf').map((p) => p.e.instancePath));
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const { e, segments } of parsed) {
    if (e.keyword !== 'oneOf' && [...oneOfPaths].some((p) => e.instancePath === p || e.instancePath.startsWith(p + '/'))) continue;
    const value = valueAt(data, segments);
    let problem: SchemaProblem;
    switch (e.keyword) {
      case 'required': {
        const key = String(e.params['missingProperty']);
        const what = DESCRIBE[key];
        problem = { segments, message: `missing "${key}"${what === undefined ? '' : ` (${what})`}` };
        break;
      }
      case 'additionalProperties': {
        const key = String(e.params['additionalProperty']);
        const known = KNOWN_KEYS[contextOf(segments)] ?? [];
        const list = known.length > 0 ? `; known keys: ${known.filter((k) => k !== '$schema').join(', ')}` : '';
        problem = { segments, key, message: `unknown key "${key}"${suggest(key, known)}${known.length > 0 && suggest(key, known) === '' ? list : ''}` };
        break;
      }
      case 'enum': {
        const allowed = (e.params['allowedValues'] as unknown[]).map((v) => String(v)).join(', ');
        problem = { segments, message: `must be one of ${allowed}, not ${typeName(value)}` };
        break;
      }
      case 'const':
        problem = { segments, message: `must be ${JSON.stringify(e.params['allowedValue'])}, not ${typeName(value)}` };
        break;
      case 'type': {
        const t = String(e.params['type']).replace(/,/g, ' or ').replace('object', 'a mapping').replace('array', 'a list');
        problem = { segments, message: `must be ${t}, not ${typeName(value)}` };
        break;
      }
      case 'minLength':
        problem = { segments, message: 'must not be empty' };
        break;
      case 'minItems':
        problem = { segments, message: 'must not be an empty list' };
        break;
      case 'pattern':
        // a key that fails propertyNames also fails its pattern: the propertyNames error says it
        if ('propertyName' in e) continue;
        problem = { segments, message: `${typeName(value)} does not have the right form` };
        break;
      case 'propertyNames': {
        const name = String(e.params['propertyName']);
        problem = { segments, key: name, message: `"${name}" is not a valid variable name (letters, digits, _ . - and not starting with a digit)` };
        break;
      }
      case 'oneOf': {
        const last = segments[segments.length - 1];
        const msg =
          last === 'os'
            ? `must be linux, macos, darwin or windows, or a list of them, not ${typeName(value)}`
            : last === 'hostname'
              ? `must be a host name or a list of host names, not ${typeName(value)}`
              : `has the wrong form (${typeName(value)})`;
        problem = { segments, message: msg };
        break;
      }
      default:
        problem = { segments, message: e.message ?? `fails the schema rule ${e.keyword}` };
    }
    const k = yamlPath(problem.segments) + '\0' + (problem.key ?? '') + '\0' + problem.message;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(problem);
  }
  return out;
}
