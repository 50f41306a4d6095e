/**
 * Edits a manifest's text the way a person would: `setCurrent` changes one switch's `current`
 * value and nothing else. The YAML document API finds the value's node and where it lies in the
 * text; only those characters are replaced, so every comment, blank line, quote and the order of
 * everything else stay as they were. The new value keeps the old one's quoting where it had one,
 * and is written plain where YAML reads it back as the same name. The edit is read back before it
 * is returned: if the result does not say exactly the new version there, it is refused.
 */
import { parseDocument, Scalar } from 'yaml';
import { currentSite, type CurrentSite } from './parsed.js';
import { UsageError } from '../core/errors.js';
import { excerpt } from '../core/printable.js';

/** `value` as YAML source in the style of the node it replaces. */
function scalarSource(value: string, type: string): string {
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replaceAll("'", "''")}'`;
  if (type !== Scalar.QUOTE_DOUBLE && readsAs(value, value)) return value;
  return JSON.stringify(value);
}

/** Whether `source` as a mapping value reads back as `name` (a number reads back as its digits). */
function readsAs(source: string, name: string): boolean {
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

/** The current value of switch `name` in `text`, read as the loader reads it. */
function currentIn(text: string, name: string): string | undefined {
  const doc = parseDocument(text);
  const v: unknown = doc.getIn(['switches', name, 'current']);
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

/** `text` with `switches.<name>.current` set to `version`; a UsageError where that cannot be done safely. */
export function setCurrent(text: string, opts: { file: string; name: string; version: string }): string {
  const edited = editCurrent(currentSite(parseDocument(text, { keepSourceTokens: false }), opts.name), text, opts);
  if (currentIn(edited, opts.name) !== opts.version) throw notReadBack(opts);
  return edited;
}

/**
 * `text` with `switches.<name>.current`, which lies at `site`, set to `version`; not read back:
 * the caller reads the result back (`linkplan switch` loads it as a manifest, then checks the
 * switch's current, and throws `notReadBack` where it differs).
 */
export function editCurrent(site: CurrentSite, text: string, opts: { file: string; name: string; version: string }): string {
  const { file, name, version } = opts;
  const where = `switches.${name}.current`;
  const byHand = { hint: `edit ${where} in ${file} yourself, or switch with --no-save` };
  if ('refused' in site) {
    throw new UsageError(site.refused === 'alias' ? `${file}: ${where} is an alias (*name), which linkplan does not rewrite` : `${file}: ${where} is not a plain value linkplan can rewrite`, byHand);
  }
  return text.slice(0, site.start) + scalarSource(version, site.type) + text.slice(site.end);
}

/** The refusal of an edit whose text does not read back as the version it sets. */
export function notReadBack(opts: { file: string; name: string; version: string }): UsageError {
  const where = `switches.${opts.name}.current`;
  return new UsageError(`${opts.file}: setting ${where} to ${excerpt(opts.version)} would not read back as that version`, {
    hint: `edit ${where} in ${opts.file} yourself, or switch with --no-save`,
  });
}
