/**
 * How the command writes its output: to a pipe or a file with plain writes on the descriptor, to a
 * reader that goes away (the rest dropped, the apply finished), and to a pipe another process
 * made non-blocking (the rest waits for the reader). Real child processes and real pipes.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lazyDigest, sha256OfShort, sha256OfText } from '../src/core/hash.js';
import { BIN, STATE_DIR } from './helpers/cli.js';
import { tempDir } from './helpers/tree.js';

/** A project of `n` files linked by one glob entry: applying it prints a line per link. */
function manyLinks(n: number): string {
  const d = tempDir();
  fs.mkdirSync(path.join(d, 'src'));
  for (let i = 0; i < n; i++) fs.writeFileSync(path.join(d, 'src', `file-with-a-long-name-${i}.conf`), 'x');
  fs.writeFileSync(path.join(d, 'layout.yaml'), 'version: 1\nlinks:\n  - path: home\n    target: src\n    glob: "*"\n');
  return d;
}

const childEnv = (): Record<string, string | undefined> => {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', LINKPLAN_STATE_DIR: STATE_DIR };
  delete env['FORCE_COLOR'];
  return env;
};

const N = 3000;

describe('output', () => {
  it('to a file: all of it, in order', () => {
    const d = manyLinks(N);
    const out = path.join(d, 'out.txt');
    const fd = fs.openSync(out, 'w');
    const r = spawnSync(process.execPath, [BIN, 'plan', 'layout.yaml'], { cwd: d, env: childEnv(), stdio: ['ignore', fd, 'pipe'], encoding: 'utf8' });
    fs.closeSync(fd);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = fs.readFileSync(out, 'utf8').split('\n');
    expect(lines.filter((l) => l.includes('file-with-a-long-name-')).length).toBe(N);
    expect(lines.at(-2)).toMatch(/^Plan: 3000 to create/);
    expect(lines.at(-1)).toBe('');
  });

  it('to a reader that goes away: the rest is dropped and the apply still makes every link', async () => {
    const d = manyLinks(N);
    const child = spawn(process.execPath, [BIN, 'apply', 'layout.yaml', '--yes'], { cwd: d, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    // the first chunk read, the reading end is closed: the child's next write meets EPIPE
    await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const made = fs.readdirSync(path.join(d, 'home'));
    expect(made.length).toBe(N);
    for (const name of made) expect(fs.lstatSync(path.join(d, 'home', name)).isSymbolicLink()).toBe(true);
  });

  it('to a non-blocking pipe that is full: the rest waits for the reader, none of it lost', async () => {
    const d = manyLinks(N);
    const fifo = path.join(d, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const readEnd = fs.openSync(fifo, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
    const writeEnd = fs.openSync(fifo, fs.constants.O_WRONLY);
    // Node's spawn hands a child blocking stdio; the preload then opens a pipe handle on fd 1, as
    // any libuv program sharing the open file does, which makes it non-blocking (O_NONBLOCK
    // belongs to the open file, not to one descriptor)
    const preload = path.join(d, 'nonblocking-stdout.cjs');
    fs.writeFileSync(preload, "new (require('node:net').Socket)({ fd: 1, readable: false, writable: true }).unref();\n");
    const child = spawn(process.execPath, ['-r', preload, BIN, 'plan', 'layout.yaml'], { cwd: d, env: childEnv(), stdio: ['ignore', writeEnd, 'pipe'] });
    fs.closeSync(writeEnd);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    let exited = false;
    let code: number | null = null;
    child.on('close', (c) => {
      exited = true;
      code = c;
    });
    // nothing is read until the child has filled the pipe (64 KiB) and must wait
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const chunks: Buffer[] = [];
    const buf = Buffer.alloc(1 << 16);
    for (;;) {
      let n: number;
      try {
        n = fs.readSync(readEnd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        await new Promise((resolve) => setTimeout(resolve, 10));
        continue;
      }
      if (n === 0) break; // every writer closed: the child is done
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
    fs.closeSync(readEnd);
    while (!exited) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const text = Buffer.concat(chunks).toString('utf8');
    expect(text.length).toBeGreaterThan(1 << 16);
    const lines = text.split('\n');
    expect(lines.filter((l) => l.includes('file-with-a-long-name-')).length).toBe(N);
    expect(lines.at(-2)).toMatch(/^Plan: 3000 to create/);
    expect(lines.at(-1)).toBe('');
  });
});

describe('hashes', () => {
  const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
  it('the JavaScript SHA-256 of short strings is the standard one', () => {
    for (const s of ['', 'abc', '/home/me/dotfiles/layout.yaml', 'c:\\users\\me\\layout.yaml', 'ünïcödé 文字 🙂', 'x'.repeat(55), 'x'.repeat(56), 'x'.repeat(64), 'x'.repeat(1000)]) {
      expect(sha256OfShort(s)).toBe(sha(s));
    }
    expect(sha256OfShort('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('a text digest is the sha256 of its bytes, the same at every read', () => {
    expect(sha256OfText('abc')).toBe(sha('abc'));
    const d = lazyDigest('version: 1\n');
    expect(d()).toBe(`sha256:${sha('version: 1\n')}`);
    expect(d()).toBe(d());
  });
});
