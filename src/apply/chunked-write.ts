/**
 * Writes a long text to a file descriptor in pieces of about 64 KiB as it is made, instead of
 * building it whole first. The journal's header and the records list every link of an apply: at
 * tens of thousands of links that is megabytes, and a whole string of it (with the copies that
 * joining and adding a newline make) lands in the old generation, which the garbage collector
 * then marks and compacts. Pieces this size die young, where collecting them costs nothing.
 * The bytes written are the same as one write of the whole text; a crash between two pieces
 * leaves a torn last line, as a crash during one big write can.
 */
import fs from 'node:fs';

const PIECE = 64 * 1024;

/** Writes all of `s` (a short write, as on a full disk, goes on until the error comes). */
export function writeAll(fd: number, s: string): void {
  const n = fs.writeSync(fd, s);
  if (n === Buffer.byteLength(s)) return;
  const bytes = Buffer.from(s, 'utf8');
  for (let done = n; done < bytes.length; ) done += fs.writeSync(fd, bytes, done, bytes.length - done);
}

export class ChunkedWriter {
  private parts: string[] = [];
  private size = 0;

  constructor(private readonly fd: number) {}

  add(s: string): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= PIECE) this.flush();
  }

  /** Writes what was added and not yet written. */
  flush(): void {
    if (this.parts.length === 0) return;
    writeAll(this.fd, this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}
