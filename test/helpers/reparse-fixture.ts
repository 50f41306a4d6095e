/** Reads the commented hex fixtures of raw reparse buffers under test/fixtures/reparse/. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/reparse/', import.meta.url));

/** The bytes of fixture `name`: `#` starts a comment, whitespace is ignored. */
export function reparseFixture(name: string): Buffer {
  const text = readFileSync(FIXTURE_DIR + name, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error(`fixture ${name} is not hex`);
  return Buffer.from(text, 'hex');
}
