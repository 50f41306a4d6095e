/**
 * Up to `max` bytes from the start of an open file, and its full size: what every driver's
 * `readHead` returns once it has opened the file its own way (no following a link).
 */
import fs from 'node:fs';

export function readHeadOf(fd: number, max: number): { bytes: Uint8Array; size: number } {
  const size = fs.fstatSync(fd).size;
  const buf = Buffer.alloc(Math.min(size, max));
  let off = 0;
  while (off < buf.length) {
    const n = fs.readSync(fd, buf, off, buf.length - off, off);
    if (n === 0) break;
    off += n;
  }
  return { bytes: buf.subarray(0, off), size };
}
