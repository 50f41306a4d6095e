#!/usr/bin/env node
// The linkplan command. It runs the bundled CLI (dist/cli.cjs, built by `npm run build`, which
// `npm install` runs) with the V8 code cache the build made for it (dist/cli.cjs.cache), so a
// start compiles almost nothing. A cache V8 rejects (another Node version) is ignored and the
// bundle compiled as usual. LINKPLAN_DIST and LINKPLAN_CODE_CACHE_OUT are the build's own: it runs
// the fresh bundle once through this file and has the cache written at exit.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { Module, createRequire } = require('node:module');

/** How a bundle that holds its own CommonJS wrapper starts (scripts/build.mjs writes it so). */
const WRAPPED = '(function (exports, require, module, __filename, __dirname) {';

/** Runs bundle `name` of `dist` with its code cache (`name.cache`), if there is one V8 takes. */
function runBundle(dist, name) {
  const file = path.join(dist, name);
  let cachedData;
  try {
    cachedData = fs.readFileSync(`${file}.cache`);
  } catch {
    // no cache: compile as usual
  }
  // (the build writes the bundle in ASCII alone, so latin1 reads its text, and quicker than utf8;
  // a bundle built with its CommonJS wrapper in it is handed to V8 as it was read)
  const text = fs.readFileSync(file, 'latin1');
  const script = new vm.Script(text.startsWith(WRAPPED) ? text : Module.wrap(text), { filename: file, cachedData });
  const out = process.env.LINKPLAN_CODE_CACHE_OUT;
  if (out) process.on('exit', () => fs.writeFileSync(out, script.createCachedData()));
  const mod = { exports: {}, filename: file, id: file, loaded: false };
  script.runInThisContext()(mod.exports, createRequire(file), mod, file, dist);
}

// (required rather than run, it only lends runBundle to another runner)
if (require.main === module) runBundle(process.env.LINKPLAN_DIST || path.join(__dirname, '..', 'dist'), 'cli.cjs');
else module.exports = { runBundle };
