/**
 * Edits a manifest's text the way a person would: `editCurrent` changes one switch's `current`
 * value and nothing else. Where the value's node lies in the text comes from the YAML document
 * (`currentSite`, parsed.ts); only those characters are replaced, so every comment, blank line,
 * quote and the order of everything else stay as they were. The new value keeps the old one's
 * quoting where it had one, and is written plain where YAML reads it back as the same name. The
 * caller reads the edit back (`linkplan switch` loads it as a manifest): if the result does not
 * say exactly the new version there, it is refused (`notReadBack`).
 */
import { Scalar } from 'yaml';
import { readsAs, type CurrentSite } from './parsed.js';
import { UsageError } from '../core/errors.js';
import { excerpt } from '../core/printable.js';

/** `value` as YAML source in the style of the node it replaces. */
function scalarSource(value: string, type: string): string {
  if (type === Scalar.QUOTE_SINGLE) return `'${value.replaceAll("'", "''")}'`;
  if (type !== Scalar.QUOTE_DOUBLE && readsAs(value, value)) return value;
  return JSON.stringify(value);
}

/**
 * `text` with `switches.<name>.current`, which lies at `site`, set to `version`; not read back:
 * the caller reads the result back (`linkplan switch` loads it as a manifest, then checks the
 * switch's current, and throws `notReadBack` where it differs).
 */
export function editCurrent(site: CurrentSite, text: string, opts: { file: string; name: string; version: string }): string {
  const { file, name, version } = opts;
  const where = `switches.${name}.current`;
  if ('refused' in site) {
    throw new UsageError(site.refused === 'alias' ? `${file}: ${where} is an alias (*name), which linkplan does not rewrite` : `${file}: ${where} is not a plain value linkplan can rewrite`, byHand(file, where));
  }
  return text.slice(0, site.start) + scalarSource(version, site.type) + text.slice(site.end);
}

/** The refusal of an edit whose text does not read back as the version it sets. */
export function notReadBack(opts: { file: string; name: string; version: string }): UsageError {
  const where = `switches.${opts.name}.current`;
  return new UsageError(`${opts.file}: setting ${where} to ${excerpt(opts.version)} would not read back as that version`, byHand(opts.file, where));
}

/** What to do where linkplan will not make the edit. */
function byHand(file: string, where: string): { hint: string } {
  return { hint: `edit ${where} in ${file} yourself, or switch with --no-save` };
}
