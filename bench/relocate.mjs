#!/usr/bin/env node
/**
 * The relocation benchmark (`npm run bench:relocate`): moving a folder of ~1 GB of mixed files to
 * another filesystem with linkplan (`relocate: true`: copy, read the copy back and compare every
 * file's SHA-256, move the original aside, link) next to `cp -a` of the same tree, which copies
 * and checks nothing. Both filesystems are tmpfs mounts made here (so it runs as root), so the
 * figures are what the copy costs in CPU and memory bandwidth, not what a disk allows. Each
 * linkplan run is checked afterwards (untimed): a link at the path, the copy the same tree as the
 * original (`diff -r --no-dereference`). Writes bench/results/<out>.{json,md}. Nothing asserts a time.
 *
 *   node bench/relocate.mjs                     # 5 runs each, ~1 GB
 *   node bench/relocate.mjs --runs 3 --scale 0.1
 */
import { Buffer } from 'node:buffer';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prng } from './lib/layout.mjs';
import { machineFacts, machineLine } from './lib/machine.mjs';
import { fmtS, summarize } from './lib/stats.mjs';

const benchDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.dirname(benchDir);
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    scale: { type: 'string', default: '1' },
    out: { type: 'string', default: 'relocate' },
    workdir: { type: 'string', default: path.join(benchDir, 'work') },
  },
});
const RUNS = Number(args.runs);
const SCALE = Number(args.scale);
const LINKPLAN = path.join(repoRoot, 'bin', 'linkplan.js');

/** Runs a command; throws with its output when it fails. */
function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: exit ${r.status}: ${r.stderr}${r.stdout}`);
  return r;
}

/** Seconds a command takes, wall clock around the whole process. */
function timed(cmd, argv, opts) {
  const t = process.hrtime.bigint();
  run(cmd, argv, opts);
  return Number(process.hrtime.bigint() - t) / 1e9;
}

/**
 * The tree: a few large files, some medium ones, many small ones in nested folders, some empty
 * folders and links (relative, absolute, dangling): about 1 GB at scale 1. Contents come from a
 * seeded PRNG, a block per file varied by its number, so no two files are the same.
 */
function writeTree(root) {
  const rnd = prng(7);
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((rnd() * 2 ** 32) >>> 0, i);
  const write = (p, size, k) => {
    fs.mkdirSync(path.dirname(p), { recursive: true });
    const fd = fs.openSync(p, 'w');
    for (let off = 0; off < size; ) {
      const n = Math.min(block.length, size - off);
      block.writeUInt32LE(k >>> 0, 0);
      block.writeUInt32LE(off >>> 0, 4);
      fs.writeSync(fd, block, 0, n);
      off += n;
    }
    fs.closeSync(fd);
  };
  const big = Math.max(1, Math.round(4 * SCALE));
  const medium = Math.max(1, Math.round(200 * SCALE));
  const small = Math.max(1, Math.round(20000 * SCALE));
  let k = 0;
  let bytes = 0;
  for (let i = 0; i < big; i++) {
    write(path.join(root, 'data', `pack${i}.bin`), 128 << 20, k++);
    bytes += 128 << 20;
  }
  for (let i = 0; i < medium; i++) {
    write(path.join(root, 'assets', `a${i % 10}`, `m${i}.dat`), 1 << 20, k++);
    bytes += 1 << 20;
  }
  for (let i = 0; i < small; i++) {
    const size = 1024 + Math.floor(rnd() * 15360);
    write(path.join(root, 'src', `d${i % 50}`, `e${i % 7}`, `f${i}.txt`), size, k++);
    bytes += size;
  }
  for (let i = 0; i < 20; i++) fs.mkdirSync(path.join(root, 'empty', `e${i}`), { recursive: true });
  fs.symlinkSync('data/pack0.bin', path.join(root, 'latest.bin'));
  fs.symlinkSync('/etc/hostname', path.join(root, 'outside'));
  fs.symlinkSync('missing/nowhere', path.join(root, 'dangling'));
  return { bytes, files: big + medium + small };
}

function mountTmpfs(dir) {
  fs.mkdirSync(dir, { recursive: true });
  run('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil(3 * Math.max(SCALE, 0.1))}g`, 'tmpfs', dir]);
}

const work = path.join(args.workdir, `reloc-${process.pid}`);
const [a, b] = [path.join(work, 'a'), path.join(work, 'b')];
const results = { cp: [], linkplan: [] };
let tree;
try {
  mountTmpfs(a);
  mountTmpfs(b);
  const src = path.join(a, 'Game');
  tree = writeTree(src);
  const manifest = path.join(work, 'layout.yaml');
  const target = path.join(b, 'Game');
  fs.writeFileSync(manifest, `version: 1\nlinks:\n  - { path: ${src}, target: ${target}, relocate: true }\n`);
  const env = { ...process.env, LINKPLAN_STATE_DIR: path.join(work, 'state') };
  delete env.NODE_EXTRA_CA_CERTS;
  process.stdout.write(`tree: ${(tree.bytes / 2 ** 30).toFixed(2)} GiB in ${tree.files} files; ${RUNS} runs each, alternating\n`);
  for (let i = 0; i < RUNS; i++) {
    const cp = timed('cp', ['-a', src, path.join(b, 'cp-copy')]);
    fs.rmSync(path.join(b, 'cp-copy'), { recursive: true });
    results.cp.push(cp);
    const lp = timed(process.execPath, [LINKPLAN, 'apply', '--yes', manifest], { env });
    // checked, untimed: a link at the path, the copy the same tree as the original (now the backup)
    if (!fs.lstatSync(src).isSymbolicLink()) throw new Error(`${src}: no link after the relocation`);
    run('diff', ['-r', '--no-dereference', `${src}.linkplan-backup`, target]);
    results.linkplan.push(lp);
    process.stdout.write(`  run ${i + 1}: cp -a ${fmtS(cp)} s, linkplan ${fmtS(lp)} s\n`);
    // back as it was (untimed): the original in place, no copy, no state
    fs.unlinkSync(src);
    fs.renameSync(`${src}.linkplan-backup`, src);
    fs.rmSync(target, { recursive: true });
    fs.rmSync(env.LINKPLAN_STATE_DIR, { recursive: true, force: true });
  }
} finally {
  for (const d of [a, b]) spawnSync('umount', [d]);
  fs.rmSync(work, { recursive: true, force: true });
}

const cp = summarize(results.cp);
const lp = summarize(results.linkplan);
const ratio = lp.median / cp.median;
const machine = machineFacts({ workDir: args.workdir, repoRoot });
const md = `# linkplan relocation benchmark

Machine: ${machineLine(machine)}

Command: \`node bench/relocate.mjs --runs ${RUNS} --scale ${SCALE}\`: a folder of ${(tree.bytes / 2 ** 30).toFixed(2)} GiB in ${tree.files} files (4 × 128 MiB, 200 × 1 MiB, 20,000 of 1–16 KiB at scale 1; 20 empty folders; 3 links) moved from one tmpfs to another, ${RUNS} runs each, alternating. linkplan: \`apply\` of \`relocate: true\` (copy without following links, every file read back and its SHA-256 compared, the original moved aside, the link made, journaled); \`cp -a\`: the copy alone, nothing checked.

| tool | seconds: median (min–max) | GiB/s |
|---|---|---:|
| cp -a | ${fmtS(cp.median)} (${fmtS(cp.min)}–${fmtS(cp.max)}) | ${(tree.bytes / 2 ** 30 / cp.median).toFixed(2)} |
| linkplan relocate | ${fmtS(lp.median)} (${fmtS(lp.min)}–${fmtS(lp.max)}) | ${(tree.bytes / 2 ** 30 / lp.median).toFixed(2)} |

linkplan ÷ cp -a: **${ratio.toFixed(2)}×** (the aim: at most 1.5×).
`;
fs.mkdirSync(path.join(benchDir, 'results'), { recursive: true });
fs.writeFileSync(path.join(benchDir, 'results', `${args.out}.md`), md);
fs.writeFileSync(path.join(benchDir, 'results', `${args.out}.json`), JSON.stringify({ machine, tree, runs: results, cp, linkplan: lp, ratio }, null, 2) + '\n');
process.stdout.write(`\n${md}`);
