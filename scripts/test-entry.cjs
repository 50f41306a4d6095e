#!/usr/bin/env node
// Runs the test entry (dist/test-entry.cjs: the command with the crash and pause points the tests
// kill and hold it at; not in the package) as bin/linkplan.js runs the shipped bundle: with the V8
// code cache the build made for it (dist/test-entry.cjs.cache), so the hundreds of processes the
// recovery tests start compile almost nothing. LINKPLAN_CODE_CACHE_OUT is the build's own.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { Module, createRequire } = require('node:module');

const dist = path.join(__dirname, '..', 'dist');
const file = path.join(dist, 'test-entry.cjs');
let cachedData;
try {
  cachedData = fs.readFileSync(`${file}.cache`);
} catch {
  // no cache: compile as usual
}
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file, cachedData });
const out = process.env.LINKPLAN_CODE_CACHE_OUT;
if (out) process.on('exit', () => fs.writeFileSync(out, script.createCachedData()));
const mod = { exports: {}, filename: file, id: file, loaded: false };
script.runInThisContext()(mod.exports, createRequire(file), mod, file, dist);
