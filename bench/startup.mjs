#!/usr/bin/env node
/**
 * What each start-up trick of the build is worth: builds linkplan once as it is and once without
 * each trick (`scripts/build.mjs --without NAME`, in copies of the repository in the system temp
 * folder), then measures a no-change `linkplan plan` of generated layouts (bench/lib/layout.mjs)
 * with every build. Two figures per build: the instructions the whole process executes, counted
 * by `valgrind --tool=callgrind` (a shared, loaded machine does not change them; they vary by
 * about 1% from run to run), and the wall-clock median of many runs, the builds interleaved so
 * the machine's load falls on all of them alike. `node -e 0` is measured the same way. Prints a
 * Markdown table per case; nothing here asserts anything.
 *
 *   node bench/startup.mjs                                  # every trick, 5 counted and 40 timed runs
 *   node bench/startup.mjs --without code-cache --cases plan10 --runs 3 --wall-runs 20
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createLinks, explicitManifest, globManifest, makeLayout, writeTrees } from './lib/layout.mjs';
import { summarize } from './lib/stats.mjs';

const repo = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
/** The tricks `scripts/build.mjs --without` knows, and noble-hashes (below). */
const TRICKS = ['commander-child-process-lazy', 'picocolors-no-stdout-probe', 'shared-builtins', 'code-cache', 'prewrapped', 'noble-hashes'];
/**
 * Without noble-hashes, the copy's src/core/hash.ts takes every digest with node:crypto (loaded at
 * start, as the state folder's name is a digest).
 */
const NODE_CRYPTO_HASH = `import { createHash } from 'node:crypto';
export function sha256OfShort(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
export const sha256OfText = sha256OfShort;
export function lazyDigest(text: string): () => string {
  let digest: string | undefined;
  return () => (digest ??= 'sha256:' + sha256OfText(text));
}
`;
/**
 * The cases: a no-change plan of N links, with a glob manifest or an explicit one; `fresh` removes
 * the parsed-manifest cache before every run, so the YAML is parsed each time (a changed manifest).
 */
const CASES = {
  plan10: { n: 10, manifest: 'glob', fresh: false },
  plan10k: { n: 10000, manifest: 'glob', fresh: false },
  'plan10k-explicit-fresh': { n: 10000, manifest: 'explicit', fresh: true },
};
const { values: opt } = parseArgs({
  options: {
    without: { type: 'string', default: TRICKS.join(',') },
    cases: { type: 'string', default: 'plan10,plan10k' },
    runs: { type: 'string', default: '5' },
    'wall-runs': { type: 'string', default: '40' },
    'no-callgrind': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const without = opt.without.split(',').filter((t) => t !== '');
const cases = opt.cases.split(',');
for (const t of without) if (!TRICKS.includes(t)) throw new Error(`--without: no trick named ${t} (there are ${TRICKS.join(', ')})`);
for (const c of cases) if (!(c in CASES)) throw new Error(`--cases: no case named ${c} (there are ${Object.keys(CASES).join(', ')})`);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-startup-'));
const log = (s) => process.stderr.write(`${s}\n`);

/** A copy of what the build reads, built with `--without` the given tricks; returns its bin. */
function build(name, off) {
  const dir = path.join(work, 'b', name);
  for (const f of ['src', 'schema', 'scripts', 'bin', 'examples', 'package.json']) {
    fs.cpSync(path.join(repo, f), path.join(dir, f), { recursive: true, verbatimSymlinks: true, filter: (p) => !p.includes(`${path.sep}generated`) });
  }
  fs.symlinkSync(fs.realpathSync(path.join(repo, 'node_modules')), path.join(dir, 'node_modules'));
  if (off.includes('noble-hashes')) {
    fs.writeFileSync(path.join(dir, 'src', 'core', 'hash.ts'), NODE_CRYPTO_HASH);
    off = off.filter((t) => t !== 'noble-hashes');
  }
  const r = spawnSync(process.execPath, ['scripts/build.mjs', `--without=${off.join(',')}`], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build ${name} failed: ${r.stderr}`);
  return path.join(dir, 'bin', 'linkplan.js');
}

const builds = [{ name: 'as built', bin: build('all', []) }];
for (const t of without) builds.push({ name: `without ${t}`, bin: build(t, [t]) });
log(`built ${builds.length} variants in ${work}`);
const env = { ...process.env, LINKPLAN_STATE_DIR: path.join(work, 'state') };
// (Node parses NODE_EXTRA_CA_CERTS at every start, about 415M instructions where it names the
// system's bundle: the figures below were taken without it unless the line after them says so)
delete env.NODE_EXTRA_CA_CERTS;

/** The layout of a case, its home made once by the first build (a glob apply); returns the manifest. */
function prepare(c) {
  const dir = path.join(work, `n${c.n}`);
  const layout = makeLayout(c.n, 1);
  const pkg = path.join(dir, 's', 'pkg');
  const home = path.join(dir, 'home');
  if (!fs.existsSync(dir)) {
    writeTrees(dir, layout);
    fs.mkdirSync(home);
    const setup = path.join(dir, 'setup.yaml');
    fs.writeFileSync(setup, globManifest(home, pkg));
    const r = spawnSync(process.execPath, [builds[0].bin, 'apply', '--yes', setup], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`apply ${setup}: exit ${r.status}: ${r.stderr.slice(-500)}`);
  }
  const m = path.join(dir, `${c.manifest}.yaml`);
  if (!fs.existsSync(m)) fs.writeFileSync(m, c.manifest === 'glob' ? globManifest(home, pkg) : explicitManifest(createLinks(layout, { pkg }, home)));
  return m;
}

/** The command of one run of a build (null: `node -e 0`), and what to do before it. */
function command(b, c, m) {
  if (b === null) return { args: ['-e', '0'], before: () => {} };
  const before = () => {
    if (!c.fresh) return;
    for (const d of fs.readdirSync(env.LINKPLAN_STATE_DIR)) fs.rmSync(path.join(env.LINKPLAN_STATE_DIR, d, 'manifest.cache.json'), { force: true });
  };
  return { args: [b.bin, 'plan', '--detailed-exitcode', m], before };
}

function instructions(cmd) {
  cmd.before();
  const r = spawnSync('valgrind', ['--tool=callgrind', '--callgrind-out-file=/dev/null', process.execPath, ...cmd.args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const hit = /Collected : (\d+)/.exec(r.stderr);
  if (r.status !== 0 || hit === null) throw new Error(`callgrind ${cmd.args.join(' ')}: exit ${r.status}: ${r.stderr.slice(-500)}`);
  return Number(hit[1]);
}

function seconds(cmd) {
  cmd.before();
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, cmd.args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 });
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd.args.join(' ')}: exit ${r.status}: ${String(r.stderr).slice(-500)}`);
  return t;
}

/** Runs every entry `k` times, round robin, starting each round one further along. */
function interleaved(entries, k, measure) {
  const samples = entries.map(() => []);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < entries.length; j++) {
      const e = (i + j) % entries.length;
      samples[e].push(measure(entries[e]));
    }
  }
  return samples.map(summarize);
}

const M = (x) => `${(x / 1e6).toFixed(1)}M`;
const ms = (x) => `${(x * 1e3).toFixed(1)}`;
const delta = (x, base, f) => `${x >= base ? '+' : '−'}${f(Math.abs(x - base))}`;
for (const name of cases) {
  const c = CASES[name];
  const m = prepare(c);
  const rows = [{ name: 'node -e 0', b: null }, ...builds.map((b) => ({ name: b.name, b }))];
  const cmds = rows.map((r) => command(r.b, c, m));
  // a warm-up run of each (and the parsed-manifest cache made, where a case keeps it)
  for (const cmd of cmds) seconds(cmd);
  log(`${name}: counting instructions (${opt.runs} runs each)`);
  const ir = opt['no-callgrind'] ? null : interleaved(cmds, Number(opt.runs), instructions);
  log(`${name}: timing (${opt['wall-runs']} runs each)`);
  const wall = interleaved(cmds, Number(opt['wall-runs']), seconds);
  const base = 1;
  const load = os.loadavg().map((x) => x.toFixed(2)).join(' ');
  console.log(`\n### ${name}: no-change \`linkplan plan\` of ${c.n} links (${c.manifest} manifest${c.fresh ? ', parsed every run' : ''})\n`);
  console.log(`Load average at the end: ${load}. Instructions: median (min–max) of ${opt.runs} callgrind runs; wall clock: median (q1–q3) of ${opt['wall-runs']} runs, ms.\n`);
  console.log('| build | instructions | Δ vs as built | wall ms | Δ vs as built |');
  console.log('|---|---:|---:|---:|---:|');
  rows.forEach((r, i) => {
    const irCell = ir === null ? '–' : `${M(ir[i].median)} (${M(ir[i].min)}–${M(ir[i].max)})`;
    const irDelta = ir === null || i === base ? '' : delta(ir[i].median, ir[base].median, M);
    const w = wall[i];
    console.log(`| ${r.name} | ${irCell} | ${irDelta} | ${ms(w.median)} (${ms(w.q1)}–${ms(w.q3)}) | ${i === base ? '' : delta(w.median, wall[base].median, ms)} |`);
  });
}
if (!opt.keep) fs.rmSync(work, { recursive: true, force: true });
