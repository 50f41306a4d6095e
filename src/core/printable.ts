/**
 * Makes text safe to show a person on a terminal. A path, a link's text, a file's content or a
 * manifest's value may hold control characters: an escape sequence would drive the terminal, a
 * newline would split one line of a plan into two, a carriage return would overwrite it. Every
 * human output (plan text, progress lines, errors and hints, lists of backups, recovery reports)
 * passes its strings through `printable`, which leaves ordinary text as it is after one regular
 * expression test, and writes C0 controls, DEL, C1 controls and lone UTF-16 surrogates as `\n`,
 * `\t`, `\r`, `\xHH` or `\uHHHH`. `excerpt` quotes a value that may be long or binary in a
 * message: escaped, and cut short. JSON output needs neither: JSON escapes them itself.
 */

/** A surrogate that is not half of a pair. */
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

/** A character that is not shown as itself: a C0 control in `c0` (ranges of a character class), DEL, a C1 control, or a lone surrogate. */
function unprintable(c0: string, flags = ''): RegExp {
  return new RegExp(`[${c0}\\u007f-\\u009f]|${LONE_SURROGATE}`, flags);
}

/** Any C0 control. */
const UNPRINTABLE = unprintable('\\u0000-\\u001f');
const UNPRINTABLE_ALL = unprintable('\\u0000-\\u001f', 'g');
/** The same, but a tab is shown as itself (the lines of a file's content). */
const UNPRINTABLE_BUT_TAB = unprintable('\\u0000-\\u0008\\u000a-\\u001f');
/** The same, but a newline is not counted (many lines tested at once, see `linesNeedEscape`). */
const UNPRINTABLE_BUT_NEWLINE = unprintable('\\u0000-\\u0009\\u000b-\\u001f');

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\t': '\\t', '\r': '\\r' };

function escapeOne(ch: string): string {
  const named = NAMED[ch];
  if (named !== undefined) return named;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** True when `s` holds something `printable` would escape. */
export function needsEscape(s: string): boolean {
  return UNPRINTABLE.test(s);
}

/**
 * Whether any of the `lines` lines of `text` (each ended by a newline) holds something `printable`
 * would escape, a newline of its own included: one test of many lines, not one per line.
 */
export function linesNeedEscape(text: string, lines: number): boolean {
  if (UNPRINTABLE_BUT_NEWLINE.test(text)) return true;
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) n++;
  return n !== lines;
}

/**
 * `s` with every control character and lone surrogate escaped; `s` itself when there is none.
 * `keepTabs`: a tab stays a tab (content lines, where tabs are common and harmless).
 */
export function printable(s: string, opts: { keepTabs?: boolean } = {}): string {
  if (!(opts.keepTabs === true ? UNPRINTABLE_BUT_TAB : UNPRINTABLE).test(s)) return s;
  return s.replace(UNPRINTABLE_ALL, (ch) => (opts.keepTabs === true && ch === '\t' ? ch : escapeOne(ch)));
}

/** `printable` for text of several lines: the newlines between them stay, each line is escaped. */
export function printableLines(s: string): string {
  if (!UNPRINTABLE.test(s.replaceAll('\n', ''))) return s;
  return s.split('\n').map((l) => printable(l)).join('\n');
}

/**
 * A value quoted for a message: as a JSON string, escaped, and cut to `max` characters with the
 * length said when it is longer (a binary file's "string" can be megabytes).
 */
export function excerpt(s: string, max = 60): string {
  if (s.length <= max) return printable(JSON.stringify(s));
  return `${printable(JSON.stringify(s.slice(0, max)))}... (${s.length.toLocaleString('en-US')} characters)`;
}
