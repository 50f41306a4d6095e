#!/usr/bin/env node
/**
 * linkplan's benchmark (`npm run bench`): times whole processes of linkplan, GNU Stow
 * (--no-folding), a plain node:fs floor (bench/floor.mjs) and Node's bare start on the same
 * generated layouts of N links, for four jobs: apply from scratch, plan and apply when nothing
 * changed, and retargeting 10% of the links; and two of linkplan alone: apply from scratch
 * through the library with the write-ahead journal on disk and without (bench/lib-apply.mjs), the
 * journal's overhead; and `linkplan switch` of one version switch in a manifest of N links, next
 * to Node's bare start. Every create, retarget and switch is checked afterwards
 * (untimed) so a tool that silently did nothing cannot look fast. Writes
 * bench/results/<out>.json (raw runs, medians, machine facts), <out>.md (tables and ratios) and
 * <out>.svg (a chart). Nothing here is a test and nothing asserts a time.
 *
 *   npm run bench                                   # the full run (~15 min on 2 cores)
 *   npm run bench -- --sizes 100,1000 --runs 3      # a quick subset
 *   npm run bench -- --help                         # every option
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { renderChart } from './lib/chart.mjs';
import { profileMarkdown, summarizeProfile } from './lib/cpuprofile.mjs';
import { createLinks, explicitManifest, globManifest, makeLayout, retargetLinks, switchManifest, writeTrees, writeVersions } from './lib/layout.mjs';
import { machineFacts, machineLine } from './lib/machine.mjs';
import { fmtN, fmtRate, fmtS, summarize } from './lib/stats.mjs';
import { inodes, sameInodes, verifyHome } from './lib/verify.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);

const HELP = `usage: npm run bench -- [options]

  --sizes LIST        link counts to run (default 10,100,1000,10000,50000)
  --runs K            timed runs per row (default 5)
  --large-runs K      timed runs per row at N >= 50,000 (default 3)
  --tools LIST        linkplan (both manifests), linkplan-glob, linkplan-explicit, stow, floor, node
                      (default all)
  --jobs LIST         create, plan, apply, retarget, journal, switch (default all); journal: apply
                      from scratch through the library, write-ahead journal on disk vs none (needs
                      the linkplan or linkplan-glob tool); switch: \`linkplan switch\` of a manifest
                      of N explicit links plus one switch, each run to the other of two versions
                      (needs the linkplan or linkplan-explicit tool; times node -e 0 as well, which
                      its ratio divides by, even without the node tool)
  --workdir DIR       where layouts and homes are made (default bench/work); each run makes a
                      fresh folder r-<id> in it and removes it at the end (see --keep)
  --out NAME          results go to bench/results/NAME.{json,md,svg} (default latest)
  --seed S            layout seed (default 1)
  --profile           also write CPU profiles of linkplan (plan, nothing changed; apply from
                      scratch) at N=10,000 (or the largest N <= 10,000 run) and summarise them
  --linkplan FILE     the linkplan entry point to run (default: a snapshot of bin/ and dist/ taken
                      at the start, so a rebuild during the run cannot change what is measured)
  --no-snapshot       run bin/linkplan.js in place
  --settle-limit US   wait before each group until creating a symlink costs at most US
                      microseconds (default 100; ext4 here is 10-25x slower right after deletes)
  --settle-factor F   and at most F times the fastest probe seen in the work folder, in this
                      run or an earlier one (kept in DIR/probe-best.json; default 3: a disk a
                      few times slower than its best is not settled either)
  --settle-max S      wait at most S seconds for that (default 240)
  --drop-caches       when a probe is slow, drop the kernel's page cache (as root: echo 1 >
                      /proc/sys/vm/drop_caches, after sync), read the run folder back in and probe
                      again, instead of waiting: the slow state here ends when the cache is dropped
  --timeout S         kill a timed process after S seconds (default 900)
  --keep              keep the run folder (layouts and every home) for inspection
  --help              this text
`;

const { values: opt } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000,10000,50000' },
    runs: { type: 'string', default: '5' },
    'large-runs': { type: 'string', default: '3' },
    tools: { type: 'string', default: 'linkplan,stow,floor,node' },
    jobs: { type: 'string', default: 'create,plan,apply,retarget,journal,switch' },
    workdir: { type: 'string', default: path.join(benchDir, 'work') },
    out: { type: 'string', default: 'latest' },
    seed: { type: 'string', default: '1' },
    profile: { type: 'boolean', default: false },
    linkplan: { type: 'string' },
    'no-snapshot': { type: 'boolean', default: false },
    'settle-limit': { type: 'string', default: '100' },
    'settle-factor': { type: 'string', default: '3' },
    'settle-max': { type: 'string', default: '240' },
    'drop-caches': { type: 'boolean', default: false },
    timeout: { type: 'string', default: '900' },
    keep: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
  strict: true,
});
if (opt.help) {
  process.stdout.write(HELP);
  process.exit(0);
}

const list = (s) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
const sizes = list(opt.sizes)
  .map((x) => Number(x.replace(/[_k]/g, (c) => (c === 'k' ? '000' : ''))))
  .sort((a, b) => a - b);
if (sizes.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--sizes ${opt.sizes}: expected positive whole numbers`);
const RUNS = Number(opt.runs);
const LARGE_RUNS = Math.min(Number(opt['large-runs']), RUNS);
const runsFor = (n) => (n >= 50000 ? LARGE_RUNS : RUNS);
const JOBS = list(opt.jobs);
for (const j of JOBS) if (!['create', 'plan', 'apply', 'retarget', 'journal', 'switch'].includes(j)) throw new Error(`--jobs: unknown job ${j}`);
const toolArgs = list(opt.tools);
const TOOLS = [];
for (const t of toolArgs) {
  if (t === 'linkplan') TOOLS.push('linkplan', 'linkplan-explicit');
  else if (t === 'linkplan-glob') TOOLS.push('linkplan');
  else if (['linkplan-explicit', 'stow', 'floor', 'node'].includes(t)) TOOLS.push(t);
  else throw new Error(`--tools: unknown tool ${t}`);
}
const SETTLE_LIMIT = Number(opt['settle-limit']);
const SETTLE_FACTOR = Number(opt['settle-factor']);
const SETTLE_MAX = Number(opt['settle-max']);
const TIMEOUT = Number(opt.timeout);

const LABEL = {
  linkplan: 'linkplan (glob manifest)',
  'linkplan-explicit': 'linkplan (explicit N-entry manifest)',
  stow: 'GNU Stow --no-folding',
  floor: 'node:fs floor',
  node: 'node -e 0',
  'lib-journal': 'linkplan library, journal on disk (FileJournal)',
  'lib-nojournal': 'linkplan library, no journal (in memory)',
  'linkplan-switch': 'linkplan switch (explicit N-link manifest and one switch)',
};
const SHORT = {
  linkplan: 'linkplan glob',
  'linkplan-explicit': 'linkplan explicit',
  stow: 'Stow',
  floor: 'floor',
  node: 'node -e 0',
  'lib-journal': 'with journal',
  'lib-nojournal': 'without journal',
  'linkplan-switch': 'linkplan switch',
};
const JOB_TITLE = {
  create: 'apply from scratch',
  plan: 'plan, nothing changed',
  apply: 'apply, nothing changed',
  retarget: 'retarget 10% of the links',
  journal: 'apply from scratch, journal vs none',
  switch: 'switch one version',
};
/** Which tools have a row in which job. */
const JOB_TOOLS = {
  create: ['linkplan', 'linkplan-explicit', 'stow', 'floor'],
  plan: ['linkplan', 'linkplan-explicit', 'stow', 'floor'],
  apply: ['linkplan', 'linkplan-explicit', 'stow', 'floor'],
  retarget: ['linkplan-explicit', 'stow', 'floor'],
  journal: [],
  switch: [],
};
/** The journal job runs linkplan's library (glob manifest) twice per run: journal on disk, and none. */
const JOURNAL_ROWS = ['lib-journal', 'lib-nojournal'];
const journalJob = JOBS.includes('journal') && TOOLS.includes('linkplan');
/** The switch job runs `linkplan switch` on an explicit manifest: a row of its own, divided by node -e 0. */
const SWITCH_ROW = 'linkplan-switch';
const switchJob = JOBS.includes('switch') && TOOLS.includes('linkplan-explicit');
const nodeBaseline = TOOLS.includes('node') || switchJob;

const log = (s) => process.stdout.write(`${s}\n`);
const notes = [];
const note = (s) => {
  notes.push(s);
  log(`note: ${s}`);
};
if (JOBS.includes('journal') && !journalJob) note('the journal job needs the linkplan (or linkplan-glob) tool: skipped');
if (JOBS.includes('switch') && !switchJob) note('the switch job needs the linkplan (or linkplan-explicit) tool: skipped');

// ---------------------------------------------------------------------------------------------
// Set-up: the run folder, the tools, the machine.

function findOnPath(name, preferred) {
  if (preferred !== undefined && fs.existsSync(preferred)) return preferred;
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const p = path.join(dir, name);
    if (dir !== '' && fs.existsSync(p)) return p;
  }
  return undefined;
}

const stowPath = findOnPath('stow', '/usr/bin/stow');
if (TOOLS.includes('stow') && stowPath === undefined) {
  const banner = '!'.repeat(78);
  log(`${banner}\n!!! GNU Stow is not installed (no /usr/bin/stow, none on PATH): the Stow rows are SKIPPED.\n!!! Install it (apt-get install stow) to compare with Stow.\n${banner}`);
  notes.push('GNU Stow was not found: the Stow rows were skipped');
  TOOLS.splice(TOOLS.indexOf('stow'), 1);
}

fs.mkdirSync(opt.workdir, { recursive: true });
const workDir = fs.realpathSync(opt.workdir);
const runId = `r-${Date.now().toString(36)}`;
const runDir = path.join(workDir, runId);

// Run folders left by an earlier run that was interrupted. Deleting them makes this filesystem slow
// for a while; settle() below waits that out before anything is timed.
const stale = fs.readdirSync(workDir).filter((d) => /^r-[0-9a-z]+$/.test(d));
if (stale.length > 0) {
  log(`removing ${stale.length} stale run folder(s) in ${workDir}: ${stale.join(', ')}`);
  for (const d of stale) fs.rmSync(path.join(workDir, d), { recursive: true, force: true });
}
fs.mkdirSync(runDir);

/** The files of dist/ that are code (and the V8 code cache the build makes for the CLI). */
const isBundle = (f) => f.endsWith('.js') || f.endsWith('.cjs') || f.endsWith('.cjs.cache');

/** A copy of bin/ and dist/ (and package.json, for "type": "module") in a private folder. */
function snapshotLinkplan() {
  // the journal job imports the library: dist/index.js next to the bin/ folder of the entry point
  if (opt.linkplan !== undefined) {
    const bin = path.resolve(opt.linkplan);
    return { bin, index: path.join(path.dirname(path.dirname(bin)), 'dist', 'index.js'), snapshot: null, srcRoots: [] };
  }
  const bin = path.join(repoRoot, 'bin', 'linkplan.js');
  // the bundled CLI is dist/cli.cjs (dist/cli.js before the CommonJS start-up bundle)
  if (!['cli.cjs', 'cli.js'].some((f) => fs.existsSync(path.join(repoRoot, 'dist', f)))) throw new Error('dist/cli.cjs is missing: run `npm run build` first');
  if (opt['no-snapshot']) return { bin, index: path.join(repoRoot, 'dist', 'index.js'), snapshot: null, srcRoots: [] };
  for (let attempt = 1; ; attempt++) {
    const snap = fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-bench-'));
    try {
      fs.cpSync(path.join(repoRoot, 'bin'), path.join(snap, 'bin'), { recursive: true });
      fs.cpSync(path.join(repoRoot, 'dist'), path.join(snap, 'dist'), { recursive: true });
      fs.copyFileSync(path.join(repoRoot, 'package.json'), path.join(snap, 'package.json'));
      fs.symlinkSync(path.join(repoRoot, 'node_modules'), path.join(snap, 'node_modules'));
      const r = spawnSync(process.execPath, [path.join(snap, 'bin', 'linkplan.js'), '--version'], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`the snapshot does not start: ${r.stderr}`);
      const h = crypto.createHash('sha256');
      for (const f of fs.readdirSync(path.join(snap, 'dist')).sort()) if (isBundle(f)) h.update(f).update(fs.readFileSync(path.join(snap, 'dist', f)));
      return { bin: path.join(snap, 'bin', 'linkplan.js'), index: path.join(snap, 'dist', 'index.js'), snapshot: snap, version: r.stdout.trim(), distSha256: h.digest('hex').slice(0, 16), srcRoots: [] };
    } catch (e) {
      fs.rmSync(snap, { recursive: true, force: true });
      // someone may be rebuilding dist/ right now (the tests do at start): try again shortly
      if (attempt >= 5) throw e;
      spawnSync('sleep', ['3']);
    }
  }
}

/** The newest modification time of the files below `dir` (0 if none). */
function newestMtime(dir, filter = () => true) {
  let t = 0;
  if (!fs.existsSync(dir)) return t;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !filter(e.name)) continue;
    t = Math.max(t, fs.statSync(path.join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return t;
}

const lp = snapshotLinkplan();
if (lp.snapshot !== null || opt.linkplan === undefined) {
  const src = newestMtime(path.join(repoRoot, 'src'), (n) => n.endsWith('.ts'));
  const dist = newestMtime(lp.snapshot === null ? path.join(repoRoot, 'dist') : path.join(lp.snapshot, 'dist'), isBundle);
  lp.srcNewerThanDist = src > dist;
  if (src > dist) note(`src/ has edits newer than the dist/ measured (by ${((src - dist) / 1000).toFixed(0)} s): run \`npm run build\` to measure them`);
}
// linkplan keeps a per-manifest state folder (journal, lock, records of the links it made); every
// timed run gets one in the run folder, not in the user's ~/.local/state, and it goes with it.
const CHILD_ENV = { ...process.env, LINKPLAN_STATE_DIR: path.join(runDir, 'state') };
delete CHILD_ENV.LINKPLAN_DEBUG;
// Node reads and parses NODE_EXTRA_CA_CERTS at every start (about 415M instructions, 50 ms here,
// where it names the system's bundle): a cost of this machine's setup, not of any tool timed, that
// most users do not have and that would flatter every ratio to `node -e 0`
if (CHILD_ENV.NODE_EXTRA_CA_CERTS !== undefined) {
  note(`NODE_EXTRA_CA_CERTS (${CHILD_ENV.NODE_EXTRA_CA_CERTS}) is removed from the timed processes' environment: Node parses that file at every start`);
  delete CHILD_ENV.NODE_EXTRA_CA_CERTS;
}
const machine = machineFacts({ workDir, repoRoot, stowPath });
log(`linkplan benchmark ${runId}\nmachine: ${machineLine(machine)}`);
log(`linkplan: ${lp.snapshot === null ? lp.bin : `snapshot of bin/ and dist/ in ${lp.snapshot}`} (version ${lp.version ?? '?'}, dist ${lp.distSha256 ?? '?'})`);
log(`sizes ${sizes.join(', ')}; runs ${RUNS} (${LARGE_RUNS} at N >= 50,000); tools ${TOOLS.join(', ')}; jobs ${JOBS.join(', ')}`);

// ---------------------------------------------------------------------------------------------
// Measuring.

/** Runs one whole process and times it with the wall clock; output is kept as bytes, decoded after. */
function timed(cmd, args, cwd) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd, env: CHILD_ENV, maxBuffer: 1 << 30, timeout: TIMEOUT * 1000, stdio: ['ignore', 'pipe', 'pipe'] });
  const t1 = process.hrtime.bigint();
  return {
    s: Number(t1 - t0) / 1e9,
    rc: r.status,
    signal: r.signal,
    error: r.error?.message,
    stdout: r.stdout?.toString('utf8') ?? '',
    stderr: r.stderr?.toString('utf8') ?? '',
  };
}

const probes = [];
let probeCount = 0;
/** Microseconds per symlink for 2,000 symlinks (with a folder per 10) in a fresh folder. */
function probe() {
  const d = path.join(runDir, 'probe', String(probeCount++));
  fs.mkdirSync(d, { recursive: true });
  const target = `${runDir}/n00000/s/pkg/.c6d/cal/.cpy/probe-link-target-of-realistic-length-`;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < 2000; i++) {
    if (i % 10 === 0) fs.mkdirSync(path.join(d, String(i / 10)));
    fs.symlinkSync(target + i, path.join(d, String(Math.floor(i / 10)), `l${i}`));
  }
  return Number(process.hrtime.bigint() - t0) / 1e3 / 2000;
}

/** The fastest probe an earlier run in this work folder saw (a run that starts on a slow disk cannot know its best). */
const probeBestFile = path.join(workDir, 'probe-best.json');
let probeBest = (() => {
  try {
    const v = JSON.parse(fs.readFileSync(probeBestFile, 'utf8')).usPerLink;
    return typeof v === 'number' && v > 0 ? v : Infinity;
  } catch {
    return Infinity;
  }
})();

/** Takes in a probe: the fastest one seen is kept in the work folder for later runs. */
function recordProbe(rec) {
  probes.push(rec);
  if (rec.usPerLink >= probeBest) return;
  probeBest = rec.usPerLink;
  fs.writeFileSync(probeBestFile, JSON.stringify({ usPerLink: probeBest, at: rec.at }) + '\n');
}

/** The most a probe may cost for a group to start: --settle-limit, and --settle-factor times the fastest probe seen. */
function settleLimit() {
  return Math.min(SETTLE_LIMIT, Number.isFinite(probeBest) ? SETTLE_FACTOR * probeBest : SETTLE_LIMIT);
}

/** The groups before which --drop-caches dropped the page cache. */
const cachesDropped = [];

/**
 * With --drop-caches: syncs, drops the page cache, and reads back what the timed runs read (the
 * run folder's entries, Node's binary), so the first run after it does not pay for the reading.
 * False if the cache could not be dropped (not root, say).
 */
function dropCaches(label) {
  spawnSync('sync');
  try {
    fs.writeFileSync('/proc/sys/vm/drop_caches', '1');
  } catch (e) {
    note(`${label}: could not drop the page cache (${e.code ?? e.message}); waiting instead`);
    return false;
  }
  fs.readdirSync(runDir, { recursive: true, withFileTypes: true });
  spawnSync(NODE, ['-e', '0']);
  cachesDropped.push(label);
  return true;
}

/** Waits until the filesystem creates links at its normal speed again (deletes by anyone slow it down). */
async function settle(label) {
  const start = Date.now();
  let dropped = false;
  for (let k = 0; ; k++) {
    const us = probe();
    const rec = { label, usPerLink: Math.round(us * 10) / 10, load: os.loadavg()[0], at: new Date().toISOString() };
    recordProbe(rec);
    const limit = settleLimit();
    if (us <= limit) return rec;
    if (opt['drop-caches'] && !dropped) {
      dropped = true;
      if (dropCaches(label)) {
        log(`  ${us.toFixed(0)} µs per symlink (limit ${limit.toFixed(0)}): dropped the page cache`);
        continue;
      }
    }
    const waited = (Date.now() - start) / 1000;
    if (waited >= SETTLE_MAX) {
      note(`${label}: the filesystem was still slow after ${waited.toFixed(0)} s (${us.toFixed(0)} µs per symlink, limit ${limit.toFixed(0)}); measured anyway`);
      return rec;
    }
    if (k === 0) log(`  waiting for the filesystem to settle (${us.toFixed(0)} µs per symlink, limit ${limit.toFixed(0)})...`);
    await sleep(5000);
  }
}

/** Makes links in-process (untimed set-up): absolute link texts, as linkplan writes them. */
function makeLinks(links) {
  const made = new Set();
  for (const [p, t] of links) {
    const dir = path.dirname(p);
    if (!made.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      made.add(dir);
    }
    fs.symlinkSync(t, p);
  }
}

const rows = [];
function rowFor(n, job, tool) {
  let r = rows.find((x) => x.n === n && x.job === job && x.tool === tool);
  if (r === undefined) {
    r = { n, job, tool, label: LABEL[tool], command: '', samples: [], runs: [], verify: null, error: null };
    rows.push(r);
  }
  return r;
}

function tail(s, k = 600) {
  return s.length > k ? `...${s.slice(-k)}` : s;
}

// ---------------------------------------------------------------------------------------------
// The jobs. Each prepare() does its untimed set-up and returns the command to time and a check.

const NODE = process.execPath;
const FLOOR = path.join(benchDir, 'floor.mjs');
const LIB_APPLY = path.join(benchDir, 'lib-apply.mjs');

/**
 * Untimed check of a committed apply's journal: no unfinished journal.jsonl left, and
 * journal.last.jsonl holds a header listing every action (or, version 1, every step), a done
 * record for each step, and a "committed" close record.
 */
function checkJournal(stateDir, { steps, actions }) {
  const last = path.join(stateDir, 'journal.last.jsonl');
  if (fs.existsSync(path.join(stateDir, 'journal.jsonl'))) return { ok: false, problem: 'journal.jsonl was left behind' };
  if (!fs.existsSync(last)) return { ok: false, problem: 'no journal.last.jsonl' };
  const text = fs.readFileSync(last, 'utf8');
  const lines = text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  const header = lines[0] ?? {};
  // one record a step, or (version 3) consecutive steps in one range
  const done = new Set();
  for (const r of lines) {
    if (typeof r.done === 'number') done.add(r.done);
    else if (Array.isArray(r.done) && r.range === true) for (let s = r.done[0]; s <= r.done[1]; s++) done.add(s);
  }
  const begins = lines.filter((r) => Array.isArray(r.begin)).length;
  const closed = lines.at(-1)?.close;
  // a version 1 header lists the steps; from version 2 on, the actions (the steps follow from them)
  const listed = header.version === 1 ? { what: 'steps', n: header.steps?.length ?? 0, want: steps } : { what: 'actions', n: header.actions?.length ?? 0, want: actions };
  const facts = { version: header.version, bytes: fs.statSync(last).size, lines: lines.length, begins, done: done.size, [listed.what]: listed.n, closed };
  const problem =
    header.format !== 'linkplan-journal'
      ? 'no journal header'
      : listed.n !== listed.want
        ? `the header lists ${listed.n} ${listed.what}, applyPlan ran ${listed.want}`
        : done.size !== steps
          ? `${done.size} of ${steps} steps recorded done`
          : closed !== 'committed'
            ? `closed ${String(closed)}, not committed`
            : null;
  return { ok: problem === null, ...facts, ...(problem === null ? {} : { problem }) };
}

function writeFile(p, text) {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

/** Commands for a tool to make `home` match the create job's links (used by create and set-up). */
function createCommand(ctx, tool, home, tag) {
  const { dir, trees, layout } = ctx;
  switch (tool) {
    case 'linkplan': {
      const m = writeFile(path.join(dir, 'm', `${tag}.yaml`), globManifest(home, trees.pkg));
      return { cmd: NODE, args: [lp.bin, 'apply', m], show: 'linkplan apply M.yaml  (one entry: glob "*", fold: false)' };
    }
    case 'linkplan-explicit': {
      const m = writeFile(path.join(dir, 'm', `${tag}.yaml`), explicitManifest(createLinks(layout, trees, home)));
      return { cmd: NODE, args: [lp.bin, 'apply', m], show: 'linkplan apply M.yaml  (N entries: path, target)' };
    }
    case 'stow':
      return { cmd: stowPath, args: ['-d', trees.stowDir, '-t', home, '--no-folding', 'pkg'], show: 'stow -d S -t HOME --no-folding pkg' };
    case 'floor':
      return { cmd: NODE, args: [FLOOR, 'tree', trees.pkg, home, 'apply'], show: 'node bench/floor.mjs tree S/pkg HOME apply' };
    default:
      throw new Error(tool);
  }
}

/** Commands for the no-change jobs, on the home the tool's own create made. */
function noChangeCommand(ctx, tool, job, home) {
  const { dir, trees, layout } = ctx;
  const verb = job === 'plan' ? ['plan', '--detailed-exitcode'] : ['apply'];
  switch (tool) {
    case 'linkplan': {
      const m = path.join(dir, 'm', 'linkplan-nochange.yaml');
      if (!fs.existsSync(m)) writeFile(m, globManifest(home, trees.pkg));
      return { cmd: NODE, args: [lp.bin, ...verb, m], show: `linkplan ${verb.join(' ')} M.yaml  (glob manifest)` };
    }
    case 'linkplan-explicit': {
      const m = path.join(dir, 'm', 'explicit-nochange.yaml');
      if (!fs.existsSync(m)) writeFile(m, explicitManifest(createLinks(layout, trees, home)));
      return { cmd: NODE, args: [lp.bin, ...verb, m], show: `linkplan ${verb.join(' ')} M.yaml  (explicit manifest)` };
    }
    case 'stow':
      return job === 'plan'
        ? { cmd: stowPath, args: ['-n', '-d', trees.stowDir, '-t', home, '--no-folding', '-R', 'pkg'], show: 'stow -n -R ... pkg  (simulated restow)' }
        : { cmd: stowPath, args: ['-d', trees.stowDir, '-t', home, '--no-folding', '-R', 'pkg'], show: 'stow -R ... pkg  (restow)' };
    case 'floor':
      return { cmd: NODE, args: [FLOOR, 'tree', trees.pkg, home, job === 'plan' ? 'check' : 'apply'], show: `node bench/floor.mjs tree S/pkg HOME ${job === 'plan' ? 'check' : 'apply'}` };
    default:
      throw new Error(tool);
  }
}

/** Checks a no-change run's exit code and output. */
function noChangeOk(tool, job, res) {
  if (res.rc !== 0) return `exit code ${res.rc}${res.signal ? ` (${res.signal})` : ''}`;
  if (tool.startsWith('linkplan') && job === 'apply' && !/No changes/.test(res.stdout)) return `apply did not say "No changes": ${tail(res.stdout, 200)}`;
  if (tool === 'floor' && !/ 0 to create, 0 to retarget, 0 conflicts/.test(res.stdout)) return `floor found changes: ${res.stdout.trim()}`;
  return null;
}

/** `phase`: seconds of the part the child timed itself (the journal job's applyPlan call), if any. */
function recordRun(row, i, res, problem, phase) {
  const rounded = (x) => Math.round(x * 1e6) / 1e6;
  row.runs.push({ run: i + 1, s: rounded(res.s), ...(phase === undefined ? {} : { phaseS: rounded(phase) }), rc: res.rc, ok: problem === null, ...(problem === null ? {} : { problem }) });
  if (problem === null) {
    row.samples.push(res.s);
    if (phase !== undefined) (row.phaseSamples ??= []).push(phase);
  } else if (row.error === null) row.error = `run ${i + 1}: ${problem}${res.stderr ? `; stderr: ${tail(res.stderr.trim(), 400)}` : ''}`;
  const phaseText = phase === undefined ? '' : ` (applyPlan ${phase.toFixed(3)} s)`;
  log(`  ${JOB_TITLE[row.job].padEnd(26)} ${SHORT[row.tool].padEnd(18)} run ${i + 1}: ${res.s.toFixed(3)} s${phaseText}${problem === null ? '' : `  FAILED: ${problem}`}`);
}

/** The switch job's switch: its name, and the versions it alternates between (at least two). */
const SWITCH = { name: 'tool', versions: ['v1', 'v2'] };

/**
 * Untimed set-up of the switch job: the version folders (opt/tool-v1, opt/tool-v2, found by the
 * pattern opt/tool-*), a manifest of the create job's N links, listed, and the switch tool at
 * opt/tool (outside the home, so the home holds the N links alone) set to the first version;
 * applied once and checked. Returns what the runs and checks need, or { problem }.
 */
function switchSetup(ctx, home) {
  const { dir, layout, trees } = ctx;
  const optDir = path.join(dir, 'opt');
  const folders = writeVersions(optDir, SWITCH.name, SWITCH.versions);
  const links = createLinks(layout, trees, home);
  const sw = { name: SWITCH.name, path: path.join(optDir, SWITCH.name), versions: path.join(optDir, `${SWITCH.name}-*`) };
  const manifestFor = (current) => switchManifest(links, { ...sw, current });
  const m = writeFile(path.join(dir, 'm', 'switch.yaml'), manifestFor(SWITCH.versions[0]));
  const set = { m, link: sw.path, folders, links, manifestFor };
  const s = timed(NODE, [lp.bin, 'apply', m, '--yes'], dir);
  if (s.rc !== 0) return { problem: `set-up (linkplan apply) failed: exit code ${s.rc}: ${tail(s.stderr, 400)}` };
  const v = verifyHome(home, links);
  if (!v.ok) return { problem: `set-up (linkplan apply) made a wrong home: ${v.examples.join('; ')}` };
  const problem = switchedTo(set, SWITCH.versions[0]);
  return problem === null ? set : { problem: `set-up (linkplan apply): ${problem}` };
}

/** Whether the switch's link leads to the version's folder and the manifest is the one made with that current. */
function switchedTo(set, version) {
  let text;
  try {
    text = fs.readlinkSync(set.link);
  } catch (e) {
    return `${set.link} is not a link (${e.code ?? e.message})`;
  }
  if (path.resolve(path.dirname(set.link), text) !== set.folders[version]) return `${set.link} leads to ${text}, not to ${set.folders[version]}`;
  // switch edits current in place and keeps every other byte: the whole text must be the one generated
  if (fs.readFileSync(set.m, 'utf8') !== set.manifestFor(version)) return `the manifest is not the one with current: ${version}`;
  return null;
}

/** Untimed check of one `linkplan switch` run: exit 0, the manifest said saved, link and manifest at the version. */
function switchProblem(set, version, res) {
  if (res.rc !== 0) return `exit code ${res.rc}${res.signal ? ` (${res.signal})` : ''}${res.error ? ` ${res.error}` : ''}`;
  if (!res.stdout.includes(`: ${SWITCH.name} is now ${version}.`)) return `switch did not say it saved the manifest: ${tail(res.stdout, 200)}`;
  return switchedTo(set, version);
}

/**
 * The switch job at N: set-up (untimed), one untimed warm-up switch to the second version, then
 * timed runs of `linkplan switch M.yaml tool VERSION`, each to the other version, so every run
 * retargets; each checked. Afterwards the home's N links must be as the set-up made them, inodes
 * and all: a switch retargets its own link only.
 */
async function switchGroup(ctx, runs, home) {
  const row = rowFor(ctx.n, 'switch', SWITCH_ROW);
  row.settle = await settle(`N=${ctx.n} switch`);
  row.command = `linkplan switch M.yaml ${SWITCH.name} VERSION  (M: N links, listed, and one switch of ${SWITCH.versions.length} versions found by a pattern; each run to the other version)`;
  const fail = (problem) => {
    row.error = problem;
    log(`  ${JOB_TITLE.switch} ${SHORT[SWITCH_ROW]} FAILED: ${problem}`);
  };
  const set = switchSetup(ctx, home);
  if (set.problem !== undefined) return fail(set.problem);
  const run = (version) => timed(NODE, [lp.bin, 'switch', set.m, SWITCH.name, version], ctx.dir);
  const w = run(SWITCH.versions[1]);
  const wp = switchProblem(set, SWITCH.versions[1], w);
  if (wp !== null) return fail(`warm-up run: ${wp}; stderr: ${tail(w.stderr.trim(), 400)}`);
  const before = inodes(home);
  for (let i = 0; i < runs && row.error === null; i++) {
    // the warm-up left the second version: run i goes to version i mod k, never the one in place
    const version = SWITCH.versions[i % SWITCH.versions.length];
    const res = run(version);
    recordRun(row, i, res, switchProblem(set, version, res));
  }
  const v = verifyHome(home, set.links);
  const untouched = sameInodes(before, inodes(home));
  row.verify = { links: v.links, expected: v.expected, ok: v.ok, linksUntouched: untouched, versions: SWITCH.versions.length };
  if (row.error !== null) return;
  if (!v.ok) fail(`the home's links are wrong after the switches: ${v.examples.join('; ')}`);
  else if (!untouched) fail(`the switches rewrote links of the home besides their own`);
}

const rotate = (arr, k) => (arr.length === 0 ? arr : [...arr.slice(k % arr.length), ...arr.slice(0, k % arr.length)]);

async function runSize(n) {
  const dir = path.join(runDir, `n${n}`);
  log(`\n== N = ${fmtN(n)}`);
  const t0 = Date.now();
  const layout = makeLayout(n, Number(opt.seed));
  const trees = writeTrees(dir, layout);
  const ctx = { n, dir, layout, trees };
  const info = { n, folders: layout.folders.length, files: layout.files.length, moved: layout.moved.length, generateSeconds: (Date.now() - t0) / 1000 };
  log(`  generated ${fmtN(n)} files in ${fmtN(layout.folders.length)} folders (x2.1 with the retarget trees) in ${info.generateSeconds.toFixed(1)} s under ${dir}`);
  const runs = runsFor(n);
  const homes = {};
  let homeCount = 0;
  const freshHome = (tag) => {
    const h = path.join(dir, 'h', `${tag}`);
    fs.mkdirSync(h, { recursive: true });
    homeCount++;
    return h;
  };
  const expectedCreate = (home) => createLinks(layout, trees, home);

  // -- 1. apply from scratch: a fresh empty home per run, made before the timer starts
  const createTools = JOB_TOOLS.create.filter((t) => TOOLS.includes(t));
  const needHomes = JOBS.some((j) => j === 'plan' || j === 'apply');
  if (JOBS.includes('create') && createTools.length > 0) {
    const g = await settle(`N=${n} create`);
    for (let i = 0; i < runs; i++) {
      for (const tool of rotate(createTools, i)) {
        const row = rowFor(n, 'create', tool);
        if (row.error !== null) continue;
        const home = freshHome(`${tool}-c${i}`);
        const c = createCommand(ctx, tool, home, `${tool}-c${i}`);
        row.command = c.show;
        row.settle = g;
        const res = timed(c.cmd, c.args, dir);
        let problem = res.rc === 0 ? null : `exit code ${res.rc}${res.signal ? ` (${res.signal})` : ''}${res.error ? ` ${res.error}` : ''}`;
        const v = verifyHome(home, expectedCreate(home));
        if (problem === null && !v.ok) problem = `home is wrong after the run: ${v.links}/${v.expected} right links, ${v.problems} problems, e.g. ${v.examples.join('; ')}`;
        row.verify = { links: v.links, expected: v.expected, ok: v.ok, meanLinkText: v.meanLinkText };
        recordRun(row, i, res, problem);
        if (problem === null) homes[tool] = home;
      }
    }
  }
  // homes for the no-change jobs when create was not run (or failed): made by the tool, untimed
  if (needHomes && JOBS.some((j) => JOB_TOOLS[j].some((t) => TOOLS.includes(t)))) {
    for (const tool of createTools) {
      if (homes[tool] !== undefined) continue;
      const home = freshHome(`${tool}-setup`);
      const c = createCommand(ctx, tool, home, `${tool}-setup`);
      const res = timed(c.cmd, c.args, dir);
      const v = verifyHome(home, expectedCreate(home));
      if (res.rc === 0 && v.ok) homes[tool] = home;
      else note(`N=${n}: ${SHORT[tool]} could not make a home for the no-change jobs (exit ${res.rc}, ${v.links}/${v.expected} links): ${tail(res.stderr, 300)}`);
    }
  }

  // -- 2, 3. plan and apply when nothing changed: the tool's own create home, one untimed warm-up
  for (const job of ['plan', 'apply']) {
    const tools = JOB_TOOLS[job].filter((t) => TOOLS.includes(t) && homes[t] !== undefined);
    if (!JOBS.includes(job) || tools.length === 0) continue;
    const g = await settle(`N=${n} ${job}`);
    const before = Object.fromEntries(tools.map((t) => [t, inodes(homes[t])]));
    for (const tool of tools) {
      const c = noChangeCommand(ctx, tool, job, homes[tool]);
      const row = rowFor(n, job, tool);
      row.command = c.show;
      row.settle = g;
      const w = timed(c.cmd, c.args, dir);
      const problem = noChangeOk(tool, job, w);
      if (problem !== null) {
        row.error = `warm-up run: ${problem}; stderr: ${tail(w.stderr.trim(), 400)}`;
        log(`  ${JOB_TITLE[job]} ${SHORT[tool]} warm-up FAILED: ${problem}`);
      }
    }
    for (let i = 0; i < runs; i++) {
      for (const tool of rotate(tools, i)) {
        const row = rowFor(n, job, tool);
        if (row.error !== null) continue;
        const c = noChangeCommand(ctx, tool, job, homes[tool]);
        const res = timed(c.cmd, c.args, dir);
        recordRun(row, i, res, noChangeOk(tool, job, res));
      }
    }
    for (const tool of tools) {
      const row = rowFor(n, job, tool);
      const v = verifyHome(homes[tool], expectedCreate(homes[tool]));
      const untouched = sameInodes(before[tool], inodes(homes[tool]));
      row.verify = { links: v.links, expected: v.expected, ok: v.ok, linksUntouched: untouched };
      if (!v.ok && row.error === null) row.error = `home is wrong after the no-change runs: ${v.examples.join('; ')}`;
      if (!untouched) note(`N=${n} ${JOB_TITLE[job]}: ${SHORT[tool]} rewrote links although nothing had changed`);
    }
  }

  // -- 4. retarget 10%: a fresh home per run holding the "before" links (untimed), then the switch
  const retargetTools = JOB_TOOLS.retarget.filter((t) => TOOLS.includes(t));
  if (JOBS.includes('retarget') && retargetTools.length > 0) {
    const g = await settle(`N=${n} retarget`);
    const tools = retargetTools;
    for (let i = 0; i < runs; i++) {
      for (const tool of rotate(tools, i)) {
        const row = rowFor(n, 'retarget', tool);
        if (row.error !== null) continue;
        row.settle = g;
        const home = freshHome(`${tool}-r${i}`);
        const after = retargetLinks(layout, trees, home, 'new');
        let c;
        if (tool === 'stow') {
          const s = timed(stowPath, ['-d', trees.rtDir, '-t', home, '--no-folding', 'base', 'old'], dir);
          if (s.rc !== 0) {
            row.error = `set-up (stow base old) failed: ${tail(s.stderr, 400)}`;
            continue;
          }
          c = { cmd: stowPath, args: ['-d', trees.rtDir, '-t', home, '--no-folding', '-D', 'old', '-S', 'new'], show: 'stow -d R -t HOME --no-folding -D old -S new  (HOME made by: stow base old)' };
        } else if (tool === 'floor') {
          makeLinks(retargetLinks(layout, trees, home, 'old'));
          const f = writeFile(path.join(dir, 'm', `floor-r${i}.json`), JSON.stringify(after));
          c = { cmd: NODE, args: [FLOOR, 'list', f, 'apply'], show: 'node bench/floor.mjs list LINKS.json apply' };
        } else {
          // the "before" links are linkplan's own (its records hold them), as after a real apply:
          // links someone else made are not retargeted without onConflict: backup
          const m = writeFile(path.join(dir, 'm', `${tool}-r${i}.yaml`), explicitManifest(retargetLinks(layout, trees, home, 'old')));
          const s = timed(NODE, [lp.bin, 'apply', m, '--yes'], dir);
          if (s.rc !== 0) {
            row.error = `set-up (linkplan apply of the "before" manifest) failed: ${tail(s.stderr, 400)}`;
            continue;
          }
          writeFile(m, explicitManifest(after));
          c = { cmd: NODE, args: [lp.bin, 'apply', m], show: 'linkplan apply M.yaml  (N entries; 10% now point into r/new; HOME made by linkplan apply of the same file holding the "before" links)' };
        }
        row.command = c.show;
        const res = timed(c.cmd, c.args, dir);
        let problem = res.rc === 0 ? null : `exit code ${res.rc}${res.signal ? ` (${res.signal})` : ''}`;
        const v = verifyHome(home, after);
        if (problem === null && !v.ok) problem = `home is wrong after the run: ${v.links}/${v.expected} right links, ${v.problems} problems, e.g. ${v.examples.join('; ')}`;
        row.verify = { links: v.links, expected: v.expected, ok: v.ok, retargeted: layout.moved.length };
        recordRun(row, i, res, problem);
      }
    }
  }
  // -- 5. the journal's overhead: apply from scratch through the library (glob manifest), with
  // the write-ahead journal on disk and without; a fresh empty home (and state folder) per run
  if (journalJob) {
    const g = await settle(`N=${n} journal`);
    for (let i = 0; i < runs; i++) {
      for (const tool of rotate(JOURNAL_ROWS, i)) {
        const row = rowFor(n, 'journal', tool);
        if (row.error !== null) continue;
        row.settle = g;
        const home = freshHome(`${tool}-j${i}`);
        const m = writeFile(path.join(dir, 'm', `${tool}-j${i}.yaml`), globManifest(home, trees.pkg));
        const withJournal = tool === 'lib-journal';
        const state = path.join(dir, 'state', `${tool}-j${i}`);
        if (withJournal) fs.mkdirSync(state, { recursive: true });
        row.command = withJournal
          ? 'node bench/lib-apply.mjs dist/index.js M.yaml journal STATE  (glob manifest; FileJournal)'
          : 'node bench/lib-apply.mjs dist/index.js M.yaml none  (glob manifest; no journal)';
        const res = timed(NODE, [LIB_APPLY, lp.index, m, ...(withJournal ? ['journal', state] : ['none'])], dir);
        let problem = res.rc === 0 ? null : `exit code ${res.rc}${res.signal ? ` (${res.signal})` : ''}${res.error ? ` ${res.error}` : ''}`;
        let out;
        if (problem === null) {
          try {
            out = JSON.parse(res.stdout.trim().split('\n').at(-1));
          } catch {
            problem = `no result line: ${tail(res.stdout, 200)}`;
          }
        }
        const v = verifyHome(home, expectedCreate(home));
        if (problem === null && !v.ok) problem = `home is wrong after the run: ${v.links}/${v.expected} right links, ${v.problems} problems, e.g. ${v.examples.join('; ')}`;
        const j = withJournal && problem === null ? checkJournal(state, out) : null;
        if (j !== null && !j.ok) problem = `journal: ${j.problem}`;
        row.verify = { links: v.links, expected: v.expected, ok: v.ok, meanLinkText: v.meanLinkText, steps: out?.steps, ...(j === null ? {} : { journal: j }) };
        recordRun(row, i, res, problem, problem === null ? out.applySeconds : undefined);
      }
    }
  }
  // -- 6. switch one version of a switch in a manifest of N links, each run to the other version
  if (switchJob) await switchGroup(ctx, runs, freshHome('switch'));
  info.homes = homeCount;
  info.seconds = (Date.now() - t0) / 1000;
  return { info, ctx, homes };
}

// ---------------------------------------------------------------------------------------------
// Profiles of linkplan (optional).

function profileRuns(ctx, homes) {
  const out = [];
  const pdir = path.join(workDir, 'profiles', runId);
  fs.mkdirSync(pdir, { recursive: true });
  const srcRoots = lp.snapshot === null ? [] : [lp.snapshot + path.sep];
  const one = (title, args) => {
    const d = path.join(pdir, title.replace(/[^a-z0-9]+/gi, '-'));
    fs.mkdirSync(d, { recursive: true });
    const res = timed(NODE, ['--cpu-prof', `--cpu-prof-dir=${d}`, lp.bin, ...args], ctx.dir);
    const f = fs.readdirSync(d).find((x) => x.endsWith('.cpuprofile'));
    if (res.rc !== 0 || f === undefined) {
      note(`profile "${title}" failed: exit ${res.rc}: ${tail(res.stderr, 300)}`);
      return;
    }
    const s = summarizeProfile(path.join(d, f), { repoRoot, srcRoots });
    out.push({ title, seconds: res.s, ...s });
    log(`  profiled ${title}: ${res.s.toFixed(2)} s wall, ${s.totalMs} ms sampled -> ${path.join(d, f)}`);
  };
  // the no-change manifests exist only where the plan or apply job ran
  const noChange = (tool, title, file) => {
    const m = path.join(ctx.dir, 'm', file);
    if (homes[tool] !== undefined && fs.existsSync(m)) one(title, ['plan', m]);
  };
  noChange('linkplan', `plan, nothing changed, N=${ctx.n} (glob manifest)`, 'linkplan-nochange.yaml');
  noChange('linkplan-explicit', `plan, nothing changed, N=${ctx.n} (explicit manifest)`, 'explicit-nochange.yaml');
  const home = path.join(ctx.dir, 'h', 'profile-create');
  fs.mkdirSync(home, { recursive: true });
  const m = writeFile(path.join(ctx.dir, 'm', 'profile-create.yaml'), globManifest(home, ctx.trees.pkg));
  one(`apply from scratch, N=${ctx.n} (glob manifest)`, ['apply', m]);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Main.

const started = Date.now();
const layouts = [];
let profiles = [];
const nodeRow = { n: 0, job: 'start', tool: 'node', label: LABEL.node, command: 'node -e 0', samples: [], runs: [], verify: null, error: null };
const nodeStart = () => {
  const k = Math.max(RUNS, 10);
  for (let i = 0; i < k; i++) {
    const res = timed(NODE, ['-e', '0'], runDir);
    nodeRow.runs.push({ s: Math.round(res.s * 1e6) / 1e6, rc: res.rc });
    if (res.rc === 0) nodeRow.samples.push(res.s);
  }
};

// warm the caches: node, the linkplan bundle, Stow's Perl modules
timed(NODE, ['-e', '0'], runDir);
timed(NODE, [lp.bin, '--version'], runDir);
if (stowPath !== undefined) timed(stowPath, ['--version'], runDir);
await settle('start');
if (nodeBaseline) nodeStart();

const profileN = opt.profile ? (sizes.includes(10000) ? 10000 : [...sizes].reverse().find((n) => n <= 10000) ?? sizes[0]) : undefined;
for (const n of sizes) {
  const { info, ctx, homes } = await runSize(n);
  layouts.push(info);
  if (n === profileN && TOOLS.includes('linkplan')) profiles = profileRuns(ctx, homes);
}
if (nodeBaseline) nodeStart();
machine.loadAverageAtEnd = os.loadavg().map((x) => Math.round(x * 100) / 100);

// ---------------------------------------------------------------------------------------------
// Results.

for (const r of [...rows, nodeRow]) {
  r.stats = summarize(r.samples);
  // a switch retargets one link, whatever N is: no links per second for it
  r.linksPerSecond = r.n > 0 && r.job !== 'switch' && r.samples.length > 0 ? r.n / r.stats.median : null;
  if (r.phaseSamples !== undefined) r.phaseStats = summarize(r.phaseSamples);
}
const get = (n, job, tool) => rows.find((r) => r.n === n && r.job === job && r.tool === tool && r.samples.length > 0);
const nodeMed = nodeRow.samples.length > 0 ? nodeRow.stats.median : undefined;

function ratio(name, a, b, why) {
  if (a === undefined || b === undefined) return null;
  return { name, value: a.stats.median / b.stats.median, a: a.stats.median, b: b.stats.median, why };
}
const keyN = sizes.includes(10000) ? 10000 : sizes[sizes.length - 1];
const smallN = sizes[0];
/** A row's median ÷ Node's bare start, if both were measured. */
function overStart(name, a) {
  if (a === undefined || nodeMed === undefined) return null;
  return { name, value: a.stats.median / nodeMed, a: a.stats.median, b: nodeMed };
}
const ratios = [
  overStart(`plan of a ${fmtN(smallN)}-link manifest (glob) ÷ node -e 0`, get(smallN, 'plan', 'linkplan')),
  overStart(`plan of a ${fmtN(smallN)}-link manifest (explicit) ÷ node -e 0`, get(smallN, 'plan', 'linkplan-explicit')),
  overStart(`switch of a ${fmtN(smallN)}-link manifest ÷ node -e 0`, get(smallN, 'switch', SWITCH_ROW)),
  ratio(`no-change plan, N=${fmtN(keyN)}: linkplan ÷ node:fs floor (check)`, get(keyN, 'plan', 'linkplan'), get(keyN, 'plan', 'floor')),
  ratio(`no-change plan, N=${fmtN(keyN)}: linkplan ÷ Stow simulated restow (-n -R)`, get(keyN, 'plan', 'linkplan'), get(keyN, 'plan', 'stow')),
  ratio(`no-change plan, N=${fmtN(keyN)}: linkplan ÷ Stow restow (-R)`, get(keyN, 'plan', 'linkplan'), get(keyN, 'apply', 'stow')),
  ratio(`no-change apply, N=${fmtN(keyN)}: linkplan ÷ node:fs floor`, get(keyN, 'apply', 'linkplan'), get(keyN, 'apply', 'floor')),
  ratio(`no-change apply, N=${fmtN(keyN)}: linkplan ÷ Stow restow (-R)`, get(keyN, 'apply', 'linkplan'), get(keyN, 'apply', 'stow')),
  ratio(`no-change plan, N=${fmtN(keyN)}: explicit manifest ÷ glob manifest`, get(keyN, 'plan', 'linkplan-explicit'), get(keyN, 'plan', 'linkplan')),
  ratio(`no-change plan, N=${fmtN(keyN)}: linkplan explicit ÷ node:fs floor`, get(keyN, 'plan', 'linkplan-explicit'), get(keyN, 'plan', 'floor')),
  ratio(`apply from scratch, N=${fmtN(keyN)}: linkplan ÷ node:fs floor`, get(keyN, 'create', 'linkplan'), get(keyN, 'create', 'floor')),
  ratio(`apply from scratch, N=${fmtN(keyN)}: linkplan ÷ Stow`, get(keyN, 'create', 'linkplan'), get(keyN, 'create', 'stow')),
  ratio(`apply from scratch, N=${fmtN(keyN)}: linkplan explicit ÷ node:fs floor`, get(keyN, 'create', 'linkplan-explicit'), get(keyN, 'create', 'floor')),
  ratio(`retarget 10%, N=${fmtN(keyN)}: linkplan (explicit) ÷ node:fs floor`, get(keyN, 'retarget', 'linkplan-explicit'), get(keyN, 'retarget', 'floor')),
  ratio(`retarget 10%, N=${fmtN(keyN)}: linkplan (explicit) ÷ Stow -D old -S new`, get(keyN, 'retarget', 'linkplan-explicit'), get(keyN, 'retarget', 'stow')),
  ...journalRatios(keyN),
].filter((r) => r !== null);

/** The journal's overhead at N: with ÷ without, for the applyPlan call and for the whole process. */
function journalRatios(n) {
  const a = get(n, 'journal', 'lib-journal');
  const b = get(n, 'journal', 'lib-nojournal');
  if (a === undefined || b === undefined) return [];
  const out = [];
  if (a.phaseStats !== undefined && b.phaseStats !== undefined) {
    out.push({ name: `journal overhead at N=${fmtN(n)}: with ÷ without (applyPlan call)`, value: a.phaseStats.median / b.phaseStats.median, a: a.phaseStats.median, b: b.phaseStats.median, digits: 2 });
  }
  out.push({ name: `journal overhead at N=${fmtN(n)}: with ÷ without (whole process)`, value: a.stats.median / b.stats.median, a: a.stats.median, b: b.stats.median, digits: 2 });
  return out;
}

const failures = rows.filter((r) => r.error !== null);
for (const f of failures) note(`FAILED: N=${f.n} ${JOB_TITLE[f.job]}, ${f.label}: ${f.error}`);

const cmdLine = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
const fsType = machine.filesystem.type === 'ext2/ext3' ? (machine.filesystem.dfType ?? 'ext2/3/4') : machine.filesystem.type;
const where = `${path.relative(repoRoot, runDir) || runDir} (${fsType} on ${machine.filesystem.device ?? '?'}, mount options ${machine.filesystem.mountOptions ?? '?'}), a fresh empty folder for every timed create and retarget`;

/** Which journal version the journal job's headers were written as, and the journal files' sizes. */
function journalHeaderForm() {
  const versions = [...new Set(rows.filter((r) => r.job === 'journal' && r.verify?.journal?.version !== undefined).map((r) => r.verify.journal.version))];
  const sizes = rows.filter((r) => r.job === 'journal' && r.verify?.journal?.bytes).map((r) => `${fmtN(r.verify.journal.bytes)} bytes at N=${fmtN(r.n)}`);
  const form = versions.length === 0 ? '(no journal was checked)' : `as journal version ${versions.join(', ')} writes them`;
  return sizes.length === 0 ? form : `${form}; the journal file: ${sizes.join(', ')}`;
}

const md = [];
md.push(`# linkplan benchmark`, '');
md.push(`Machine: ${machineLine(machine)}; load average at end ${machine.loadAverageAtEnd.join(' ')}.`, '');
md.push(`Command: \`${cmdLine}\` — ${RUNS} timed runs per row (${LARGE_RUNS} at N ≥ 50,000), whole processes timed with the wall clock. Measured in ${where}.`, '');
md.push(
  `linkplan ${lp.version ?? ''} (commit ${machine.linkplan.commit ?? '?'}, ${machine.linkplan.uncommittedFilesInSrc} uncommitted file(s) in src/ schema/ scripts/; dist ${lp.distSha256 ?? '?'}${lp.snapshot ? ', a snapshot taken at the start' : ''}).`,
  '',
);
md.push(`linkplan's state folder (journal, lock, records): \`LINKPLAN_STATE_DIR\` set to the run folder, on the same filesystem.`, '');
md.push(`## Seconds per run: median (min–max) · links per second`, '');
const cell = (r) =>
  r === undefined
    ? '–'
    : r.samples.length === 0
      ? 'FAILED'
      : `${fmtS(r.stats.median)} (${fmtS(r.stats.min)}–${fmtS(r.stats.max)}) · ${fmtRate(r.linksPerSecond)}${r.error !== null ? ' ⚠' : ''}`;
for (const job of ['create', 'plan', 'apply', 'retarget']) {
  if (!JOBS.includes(job)) continue;
  const tools = JOB_TOOLS[job].filter((t) => TOOLS.includes(t));
  if (tools.length === 0) continue;
  md.push(`### ${JOB_TITLE[job]}`, '');
  md.push(`| N | ${tools.map((t) => LABEL[t]).join(' | ')} |`);
  md.push(`|---:|${tools.map(() => '---').join('|')}|`);
  for (const n of sizes) md.push(`| ${fmtN(n)} | ${tools.map((t) => cell(rows.find((r) => r.n === n && r.job === job && r.tool === t))).join(' | ')} |`);
  md.push('');
}
if (journalJob) {
  const spread = (st) => `${fmtS(st.median)} (${fmtS(st.min)}–${fmtS(st.max)})`;
  const jcell = (r, which) => {
    if (r === undefined) return '–';
    const st = which === 'phase' ? r.phaseStats : r.stats;
    if (st === undefined || r.samples.length === 0) return 'FAILED';
    return `${spread(st)} · ${fmtRate(r.n / st.median)}${r.error !== null ? ' ⚠' : ''}`;
  };
  md.push(`### ${JOB_TITLE.journal} (linkplan library, glob manifest)`, '');
  md.push(`| N | applyPlan call, with journal | applyPlan call, without | whole process, with journal | whole process, without | with ÷ without (applyPlan / process) |`);
  md.push(`|---:|---|---|---|---|---:|`);
  for (const n of sizes) {
    const a = rows.find((r) => r.n === n && r.job === 'journal' && r.tool === 'lib-journal');
    const b = rows.find((r) => r.n === n && r.job === 'journal' && r.tool === 'lib-nojournal');
    const ok = a?.phaseStats !== undefined && b?.phaseStats !== undefined && a.samples.length > 0 && b.samples.length > 0;
    const q = ok ? `${(a.phaseStats.median / b.phaseStats.median).toFixed(2)}× / ${(a.stats.median / b.stats.median).toFixed(2)}×` : '–';
    md.push(`| ${fmtN(n)} | ${jcell(a, 'phase')} | ${jcell(b, 'phase')} | ${jcell(a, 'process')} | ${jcell(b, 'process')} | ${q} |`);
  }
  md.push('');
}
if (switchJob) {
  md.push(`### ${JOB_TITLE.switch} (\`linkplan switch\`, a manifest of N links, listed, and one switch)`, '');
  md.push(`| N | ${LABEL[SWITCH_ROW]} | ÷ node -e 0 |`, `|---:|---|---:|`);
  for (const n of sizes) {
    const r = rows.find((x) => x.n === n && x.job === 'switch');
    const s = r === undefined ? '–' : r.samples.length === 0 ? 'FAILED' : `${fmtS(r.stats.median)} (${fmtS(r.stats.min)}–${fmtS(r.stats.max)})${r.error !== null ? ' ⚠' : ''}`;
    const q = r?.samples.length > 0 && nodeMed !== undefined ? `${(r.stats.median / nodeMed).toFixed(2)}×` : '–';
    md.push(`| ${fmtN(n)} | ${s} | ${q} |`);
  }
  md.push('');
}
if (nodeMed !== undefined) md.push(`Node's bare start, \`node -e 0\`: ${fmtS(nodeMed)} s (${fmtS(nodeRow.stats.min)}–${fmtS(nodeRow.stats.max)}, ${nodeRow.samples.length} runs).`, '');

md.push(`## Ratios (medians)`, '');
md.push(`| ratio | value | seconds |`, `|---|---:|---|`);
for (const r of ratios) md.push(`| ${r.name} | **${r.value.toFixed(r.digits ?? 2)}×** | ${fmtS(r.a)} / ${fmtS(r.b)} |`);
md.push('');
// linkplan ÷ floor and ÷ Stow for every N
const jobsRun = ['create', 'plan', 'apply', 'retarget'].filter((j) => JOBS.includes(j)); // the journal job has a table of its own
if (jobsRun.length > 0 && (TOOLS.includes('floor') || TOOLS.includes('stow'))) {
  md.push(`linkplan ÷ floor, and ÷ Stow, at every N (glob manifest; explicit for retarget):`, '');
  md.push(`| N | ${jobsRun.map((j) => `${JOB_TITLE[j]}`).join(' | ')} |`, `|---:|${jobsRun.map(() => '---:').join('|')}|`);
  for (const n of sizes) {
    const cells = jobsRun.map((j) => {
      const l = get(n, j, j === 'retarget' ? 'linkplan-explicit' : 'linkplan');
      const f = get(n, j, 'floor');
      const s = get(n, j, 'stow');
      const fmt = (b) => (l === undefined || b === undefined ? '–' : `${(l.stats.median / b.stats.median).toFixed(2)}×`);
      return `${fmt(f)} / ${fmt(s)}`;
    });
    md.push(`| ${fmtN(n)} | ${cells.join(' | ')} |`);
  }
  md.push('');
}

md.push(`## What was timed`, '');
md.push(
  `- Layouts: N files over N/10 folders (up to 3 deep, some dot-named) of a generated dotfiles repository \`s/pkg\`, small contents, seed ${opt.seed}; for the retarget job the same files split into \`r/base\` (90%), \`r/old\` and \`r/new\` (the 10% that move, chosen by the seeded PRNG).`,
  `- apply from scratch: a fresh empty home folder per run, made before the timer starts; folders below it are made by the tool.`,
  `- nothing changed: the home the tool's own last create made; one untimed warm-up run, then the timed runs; afterwards the links are checked and their inodes compared (to see whether a "no-op" rewrote links).`,
  `- retarget 10%: a fresh home per run holding the "before" state (linkplan: made by \`linkplan apply\` of the same manifest file holding the "before" links, so its records hold them, as after a real apply; floor: absolute links made in-process; Stow: \`stow base old\`), untimed; then timed: the tool switches the 10% to \`r/new\`. Stow cannot retarget part of a package, so its 10% live in packages of their own and the timed command is \`stow -D old -S new\` (one process, Stow's deferred operation: it plans the unstow and the stow together, then removes 10% of the links and makes the new ones; not atomic, each link is missing for a moment). linkplan and the floor replace each link in place (symlink under a temporary name, rename over).`,
  ...(journalJob
    ? [
        `- apply from scratch, journal vs none: \`bench/lib-apply.mjs\` runs linkplan's library in a child process — \`loadManifest\` → \`observe\` → \`computePlan\` → \`applyPlan\` on the glob manifest, as \`linkplan apply\` does — once with a \`FileJournal\` in a fresh state folder (claimed before the timed call, as the CLI does) and once with no journal (\`applyPlan\` then keeps its step log in memory); a fresh empty home per run, the two alternating. Timed: the \`applyPlan\` call alone (\`process.hrtime\` inside the child) and the whole process (wall clock outside). No progress output, lock or records file in either. Afterwards (untimed) the home is checked like create's, and the journal must be \`journal.last.jsonl\` with a header listing every action (the steps follow from them), every step recorded done (one record a step, or in ranges) and a committed close record. The header lists the actions ${journalHeaderForm()}.`,
      ]
    : []),
  ...(switchJob
    ? [
        `- switch one version: a manifest listing the N links of the create job (into a home of their own) and one switch \`${SWITCH.name}\` (a symbolic link next to its versions, outside the home) whose versions are the folders ${SWITCH.versions.map((v) => `\`opt/${SWITCH.name}-${v}\``).join(', ')} found by the pattern \`opt/${SWITCH.name}-*\`; made and applied once (\`linkplan apply\`), then one warm-up switch, untimed. Timed: \`linkplan switch M.yaml ${SWITCH.name} VERSION\`, each run to the other version, so every run edits \`current\` and retargets the link (journaled, under the lock) and saves the manifest. After each run (untimed) the link must lead to that version's folder and the manifest must be the one generated with that \`current\`, byte for byte; after the last, the home's N links must be unchanged, inodes and all.`,
      ]
    : []),
  `- Checks (untimed) after every create and retarget: every link of the home is read and resolved; the row fails unless exactly the N expected links are there. No-change runs must exit 0 (\`plan --detailed-exitcode\`), and linkplan apply must say "No changes".`,
);
const seen = new Set();
for (const r of rows) {
  const k = `${r.job}/${r.tool}`;
  if (seen.has(k) || r.command === '') continue;
  seen.add(k);
  md.push(`- ${JOB_TITLE[r.job]}, ${r.label}: \`${r.command}\``);
}
const textJobs = ['create', 'journal'];
const textLengths = [...new Set(rows.filter((r) => textJobs.includes(r.job) && r.verify?.meanLinkText).map((r) => `${SHORT[r.tool]} ${rows.filter((x) => textJobs.includes(x.job) && x.tool === r.tool && x.verify?.meanLinkText).at(-1).verify.meanLinkText}`))];
if (textLengths.length > 0) {
  md.push(`- linkplan link texts are absolute (its default, \`relative: false\`); Stow's are relative. Mean link text length at the largest N: ${textLengths.join(', ')} bytes (ext4 keeps a link text under 60 bytes in the inode; a longer one takes a data block).`);
}
md.push('');
if (profiles.length > 0) {
  md.push(`## CPU profiles of linkplan (\`node --cpu-prof\`, N=${fmtN(profileN)})`, '');
  for (const p of profiles) md.push(profileMarkdown(`${p.title}: ${p.seconds.toFixed(2)} s wall`, p));
}
md.push(`## Notes`, '');
const probeVals = probes.map((p) => p.usPerLink);
md.push(
  `- Filesystem probe (2,000 symlinks in a fresh folder) before each group: ${Math.min(...probeVals).toFixed(0)}–${Math.max(...probeVals).toFixed(0)} µs per symlink over ${probes.length} probes; a group starts only at ${SETTLE_FACTOR}× the fastest probe seen in the work folder (${probeBest.toFixed(1)} µs) or less, and at ${SETTLE_LIMIT} µs or less (this ext4 without a journal is 10–25× slower for a while after many deletes, by anyone).`,
  ...(cachesDropped.length === 0 ? [] : [`- The page cache was dropped (--drop-caches) before ${cachesDropped.length} group(s), the probe being slow: ${cachesDropped.join(', ')}.`]),
);
md.push(`- The machine may be shared with other work (tests, builds): load average ${machine.loadAverage.join(' ')} at the start, ${machine.loadAverageAtEnd.join(' ')} at the end; the spread columns show how noisy each row was.`);
for (const n of notes) md.push(`- ${n}`);
md.push(`- Total time ${((Date.now() - started) / 60000).toFixed(1)} min. Raw runs, medians and machine facts: \`${opt.out}.json\`${jobsRun.length > 0 ? `; chart: \`${opt.out}.svg\`` : ''}.`);
md.push('');

fs.mkdirSync(path.join(benchDir, 'results'), { recursive: true });
const resultBase = path.join(benchDir, 'results', opt.out);
const json = {
  format: 'linkplan-bench/1',
  command: cmdLine,
  options: { sizes, runs: RUNS, largeRuns: LARGE_RUNS, tools: TOOLS, jobs: JOBS, seed: Number(opt.seed), settleLimitUs: SETTLE_LIMIT, settleFactor: SETTLE_FACTOR, dropCaches: opt['drop-caches'], cachesDroppedBefore: cachesDropped },
  machine,
  measuredIn: where,
  linkplan: { bin: lp.snapshot === null ? lp.bin : 'snapshot of bin/ and dist/', version: lp.version ?? null, distSha256: lp.distSha256 ?? null },
  nodeStart: { samples: nodeRow.samples, stats: nodeRow.stats },
  rows: rows.map((r) => ({ ...r, title: JOB_TITLE[r.job] })),
  ratios,
  layouts,
  probes,
  profiles,
  notes,
  totalMinutes: (Date.now() - started) / 60000,
};
fs.writeFileSync(`${resultBase}.json`, JSON.stringify(json, null, 1) + '\n');
fs.writeFileSync(`${resultBase}.md`, md.join('\n'));

const panels = jobsRun.map((job) => ({
  title: JOB_TITLE[job],
  series: JOB_TOOLS[job]
    .filter((t) => TOOLS.includes(t))
    .map((tool) => ({
      tool,
      points: rows.filter((r) => r.job === job && r.tool === tool && r.samples.length > 0).map((r) => ({ n: r.n, median: r.stats.median, min: r.stats.min, max: r.stats.max })),
    })),
}));
// the chart has a panel per job of the comparison; the journal job alone has none to draw
if (panels.length > 0) {
  fs.writeFileSync(
    `${resultBase}.svg`,
    renderChart({
      title: 'linkplan vs GNU Stow (--no-folding) vs a node:fs floor — whole processes',
      subtitle: `${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, ${fsType}; median of ${RUNS} runs (${LARGE_RUNS} at N ≥ 50,000), whiskers min–max; ${machine.date.slice(0, 10)}`,
      panels,
      nodeStart: nodeMed,
      toolLabels: { linkplan: 'linkplan, glob manifest', 'linkplan-explicit': 'linkplan, explicit manifest', stow: 'GNU Stow --no-folding', floor: 'node:fs floor', node: 'node -e 0 (bare start)' },
    }),
  );
}
log(`\n${md.join('\n')}`);
log(`wrote ${resultBase}.json, .md${panels.length > 0 ? ', .svg' : ''}`);

// Clean up: the snapshot, and the run folder (deleting it slows this filesystem down for a while).
if (lp.snapshot !== null) fs.rmSync(lp.snapshot, { recursive: true, force: true });
if (opt.keep) log(`kept ${runDir}`);
else {
  const t = Date.now();
  fs.rmSync(runDir, { recursive: true, force: true });
  log(`removed ${runDir} in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
