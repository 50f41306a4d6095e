#!/usr/bin/env node
// Runs the test entry (dist/test-entry.cjs: the command with the crash and pause points the tests
// kill and hold it at; not in the package) through the shipped command's loader (bin/linkplan.js),
// with the V8 code cache the build made for it (dist/test-entry.cjs.cache), so the hundreds of
// processes the recovery tests start compile almost nothing. LINKPLAN_CODE_CACHE_OUT is the build's own.
'use strict';
const path = require('node:path');
const { runBundle } = require('../bin/linkplan.js');

runBundle(path.join(__dirname, '..', 'dist'), 'test-entry.cjs');
