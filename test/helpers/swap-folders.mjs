// A hostile neighbour for the race tests: swaps two entries of one folder (a real folder and a
// symbolic link to another folder) with renameat2(RENAME_EXCHANGE) in a tight loop, so a path
// through the first one leads now to the real folder and now to the other one. It prints
// "ready" once it is loaded, starts when the start file appears (at once without one) and a
// given number of milliseconds more have passed, stops
// when the stop file appears (or after a minute), always leaves the two as it found them, and
// prints how many exchanges it made.
// Usage: node swap-folders.mjs FOLDER/A FOLDER/B STOP_FILE [START_FILE [DELAY_MS]]
import fs from 'node:fs';
import { createRequire } from 'node:module';

const [a, b, stopFile, startFile, delay] = process.argv.slice(2);
if (a === undefined || b === undefined || stopFile === undefined) {
  process.stderr.write('usage: swap-folders.mjs A B STOP_FILE\n');
  process.exit(2);
}
const koffi = createRequire(import.meta.url)('koffi');
const lib = koffi.load('libc.so.6');
const renameat2 = lib.func('int renameat2(int olddirfd, const char *oldpath, int newdirfd, const char *newpath, unsigned int flags)');
const AT_FDCWD = -100;
const RENAME_EXCHANGE = 2;
const exchange = () => {
  if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) !== 0) throw new Error(`renameat2 failed: errno ${koffi.errno()}`);
};

let swaps = 0;
const deadline = Date.now() + 60_000;
process.stdout.write('ready\n');
const nap = new Int32Array(new SharedArrayBuffer(4));
while (startFile !== undefined && !fs.existsSync(startFile) && !fs.existsSync(stopFile) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 1);
if (delay !== undefined) Atomics.wait(nap, 0, 0, Number(delay));
for (;;) {
  exchange();
  swaps++;
  // a short stay in each state, so both are seen often
  if ((swaps & 255) === 0 && (fs.existsSync(stopFile) || Date.now() > deadline)) break;
}
if (swaps % 2 === 1) {
  exchange();
  swaps++;
}
process.stdout.write(`${swaps}\n`);
