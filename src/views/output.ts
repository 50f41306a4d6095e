/**
 * Writing to stdout and stderr. Node makes `process.stdout` on first use, and for a pipe or a file
 * that costs about 4 ms (it loads Node's stream and net modules): more than a small plan's own
 * work. So output that goes to a pipe or a file is written with `fs.writeSync` on the descriptor,
 * as the stream would write it there (synchronously); a terminal gets Node's stream, which the
 * progress display and the prompt use too. A descriptor that cannot take the bytes now (EAGAIN: a
 * pipe another process set non-blocking) hands the rest, and everything after, to the stream,
 * which waits for it; a reader that went away (EPIPE) makes the rest be dropped, and the work goes
 * on (`linkplan apply … | head -1` must not stop an apply midway).
 * Asking node:tty whether a descriptor is a terminal would load those same modules, so it is asked
 * only about a character device (a terminal, or the likes of /dev/null).
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { errnoCode } from '../core/errors.js';

export interface Output {
  write(s: string): void;
  /** True when the descriptor is a terminal. */
  readonly isTTY: boolean;
}

function isTerminal(fd: number): boolean {
  try {
    if (!fs.fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    // (a closed descriptor, say: node:tty says no)
  }
  return (createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);
}

export function fdOutput(fd: 1 | 2, stream: () => NodeJS.WriteStream): Output {
  const isTTY = isTerminal(fd);
  let gone = false;
  let viaStream: NodeJS.WriteStream | undefined;
  const toStream = (): NodeJS.WriteStream => {
    if (viaStream !== undefined) return viaStream;
    viaStream = stream();
    viaStream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'EPIPE') throw e;
      gone = true;
    });
    return viaStream;
  };
  if (isTTY) toStream();
  return {
    write(s: string): void {
      if (gone || s === '') return;
      if (viaStream !== undefined) {
        viaStream.write(s);
        return;
      }
      // the string itself first (no copy made here); a short write, rare, goes on in bytes
      let bytes: Buffer | undefined;
      let done = 0;
      try {
        const total = Buffer.byteLength(s);
        done = fs.writeSync(fd, s);
        if (done === total) return;
        bytes = Buffer.from(s, 'utf8');
        while (done < bytes.length) done += fs.writeSync(fd, bytes, done, bytes.length - done);
      } catch (e) {
        const code = errnoCode(e);
        if (code === 'EPIPE') gone = true;
        else if (code === 'EAGAIN') toStream().write(bytes === undefined ? s : bytes.subarray(done));
        else throw e;
      }
    },
    isTTY,
  };
}
