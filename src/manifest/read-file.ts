/**
 * Reads a file a person named on the command line (a manifest) safely: only a regular file (a
 * link to one is followed), never a FIFO, a device or a socket, which could block forever or never
 * end; its size is checked before any byte is read, and reading stops at the limit even if the
 * file grows meanwhile. The bytes must be UTF-8 text. Problems are `UsageError`s naming the file,
 * or a `ManifestError` with the line and column of the first byte that is not UTF-8.
 */
import fs from 'node:fs';
import { errnoCode, ManifestError, UsageError } from '../core/errors.js';

/** What kind of thing `fs.Stats` says is there, in words. */
function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'it is a folder';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a file';
}

function mib(n: number): string {
  return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
}

/** Line and column (1-based, in characters) of byte `offset` of `bytes`. */
function lineColumn(bytes: Buffer, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = bytes.indexOf(10); i !== -1 && i < offset; i = bytes.indexOf(10, i + 1)) {
    line++;
    start = i + 1;
  }
  return { line, column: bytes.subarray(start, offset).toString('utf8').length + 1 };
}

/** The bytes as text, or the place of the first byte that is not UTF-8. */
function decodeUtf8(bytes: Buffer, display: string, what: string): string {
  // (the same text readFileSync's 'utf8' gives: a byte-order mark stays)
  const text = bytes.toString('utf8');
  if (!text.includes('\ufffd')) return text;
  // a valid prefix encodes back to the same bytes: the first difference is the first bad byte
  const again = Buffer.from(text, 'utf8');
  let i = 0;
  while (i < bytes.length && i < again.length && bytes[i] === again[i]) i++;
  if (i === bytes.length && i === again.length) return text; // a real U+FFFD
  const byte = (bytes[i] ?? 0).toString(16).padStart(2, '0');
  throw new ManifestError(display, [{ where: '', ...lineColumn(bytes, i), message: `${what} is not UTF-8 text (byte 0x${byte}); save it as UTF-8` }]);
}

/**
 * The text of the regular file at `file` (`display` names it in messages), at most `maxBytes`
 * long; `what` names it ("the manifest") in messages.
 */
export function readTextFile(file: string, opts: { display: string; maxBytes: number; what: string; hint: string }): string {
  const { display, maxBytes, what, hint } = opts;
  const refuse = (why: string): never => {
    throw new UsageError(`${display}: cannot read ${what} (${why})`, { hint });
  };
  let fd: number | undefined;
  try {
    // looked at before it is opened (opening a FIFO or a device can block or have effects),
    // then opened without blocking and looked at again through the descriptor
    const before = fs.statSync(file);
    if (!before.isFile()) refuse(kindOf(before) === 'it is a folder' ? 'it is a folder' : `not a regular file: ${kindOf(before)}`);
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0));
    const st = fs.fstatSync(fd);
    if (!st.isFile()) refuse(`not a regular file: ${kindOf(st)}`);
    if (st.size > maxBytes) {
      throw new UsageError(`${display}: ${what} is ${mib(st.size)}; linkplan reads at most ${mib(maxBytes).replace('.0 ', ' ')}`, { hint: 'split it, or check that this is the file you meant' });
    }
    const buf = Buffer.alloc(Math.min(st.size + 1, maxBytes + 1));
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = fs.readSync(fd, buf, n, buf.length - n, null);
    if (n > maxBytes) throw new UsageError(`${display}: ${what} grew past ${mib(maxBytes)} while it was read`, { hint });
    return decodeUtf8(buf.subarray(0, n), display, what);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ManifestError) throw e;
    const code = errnoCode(e);
    return refuse(code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : (code ?? String(e)));
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
