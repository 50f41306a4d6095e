/**
 * Deterministic benchmark layouts: a seeded PRNG (no Math.random) decides how N files are spread
 * over N/10 folders of a "dotfiles repository", their names and small contents, and which 10% of
 * them a retarget moves. The same seed and N always give the same layout, whatever else a run
 * measures. Also writes the trees and the linkplan manifests for a layout, and the version
 * folders and manifest of the switch job.
 */
import fs from 'node:fs';
import path from 'node:path';

/** mulberry32: a small, fast, well-mixed 32-bit PRNG; returns floats in [0, 1). */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One seed per (run seed, N), so a layout does not depend on which other sizes are run. */
function seedFor(seed, n) {
  let h = 2166136261 ^ seed;
  for (const c of `linkplan-bench:${n}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

const EXTS = ['rc', 'conf', 'json', 'sh', 'vim', 'toml', 'lua', 'ini'];
const WORDS = ['alias', 'export', 'set', 'bind', 'color', 'font', 'path', 'theme', 'key', 'true', 'false', 'auto', 'on', 'off'];

/**
 * The layout of N links: `folders` (relative paths, '' is the package root, parents before
 * children), `files` (relative paths, in generation order), and `moved`, the sorted indexes of the
 * files a retarget moves (10%, at least one).
 */
export function makeLayout(n, seed = 1) {
  const rnd = prng(seedFor(seed, n));
  const int = (k) => Math.floor(rnd() * k);
  const folderCount = Math.max(1, Math.round(n / 10));
  // Folder 0 is the package root (a dotfiles repository has files at its top: .bashrc...).
  // Each other folder hangs below the root or below an earlier folder, at most three deep.
  const folders = [{ rel: '', depth: 0 }];
  for (let j = 1; j < folderCount; j++) {
    let parent = folders[0];
    if (rnd() < 0.45) {
      const cand = folders[1 + int(folders.length - 1)] ?? folders[0];
      if (cand.depth < 3) parent = cand;
    }
    const name = `${rnd() < 0.3 ? '.' : ''}c${j.toString(36)}`;
    folders.push({ rel: parent.rel === '' ? name : `${parent.rel}/${name}`, depth: parent.depth + 1 });
  }
  // Every folder gets one file; the rest land in folders drawn at random.
  const files = [];
  for (let k = 0; k < n; k++) {
    const f = k < folderCount ? folders[k] : folders[int(folderCount)];
    const name = `${rnd() < 0.3 ? '.' : ''}f${k.toString(36)}.${EXTS[int(EXTS.length)]}`;
    files.push(f.rel === '' ? name : `${f.rel}/${name}`);
  }
  // Partial Fisher-Yates: the first m of a shuffled index list are the files a retarget moves.
  const m = Math.max(1, Math.round(n / 10));
  const idx = Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < m; i++) {
    const j = i + int(n - i);
    [idx[i], idx[j]] = [idx[j], idx[i]];
  }
  const moved = idx.slice(0, m).sort((a, b) => a - b);
  const sizes = files.map(() => 16 + int(240));
  const wordSeeds = files.map(() => int(1 << 30));
  return { n, seed, folders: folders.map((f) => f.rel), files, moved, sizes, wordSeeds };
}

/** Small, deterministic text contents for file k of the layout (version tells two trees apart). */
function contents(layout, k, version) {
  const r = prng(layout.wordSeeds[k] ^ version);
  let s = `# ${layout.files[k]} (${version === 1 ? 'v1' : 'v2'})\n`;
  while (s.length < layout.sizes[k]) s += `${WORDS[Math.floor(r() * WORDS.length)]} ${Math.floor(r() * 1000)}\n`;
  return s;
}

function writeTree(root, layout, indexes, version) {
  const made = new Set();
  fs.mkdirSync(root, { recursive: true });
  for (const k of indexes) {
    const rel = layout.files[k];
    const dir = path.posix.dirname(rel);
    if (dir !== '.' && !made.has(dir)) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
      made.add(dir);
    }
    fs.writeFileSync(path.join(root, rel), contents(layout, k, version));
  }
}

/**
 * Writes the trees of a layout under `dir`:
 *   s/pkg/                 all N files: the source of the create and no-change jobs (Stow dir s, package pkg)
 *   r/base/ r/old/ r/new/  the retarget trees: 90% of the files, the 10% that move (old and new versions)
 * and returns their paths.
 */
export function writeTrees(dir, layout) {
  const all = layout.files.map((_, k) => k);
  const movedSet = new Set(layout.moved);
  const stay = all.filter((k) => !movedSet.has(k));
  const t = {
    stowDir: path.join(dir, 's'),
    pkg: path.join(dir, 's', 'pkg'),
    rtDir: path.join(dir, 'r'),
    base: path.join(dir, 'r', 'base'),
    old: path.join(dir, 'r', 'old'),
    new: path.join(dir, 'r', 'new'),
  };
  writeTree(t.pkg, layout, all, 1);
  writeTree(t.base, layout, stay, 1);
  writeTree(t.old, layout, layout.moved, 1);
  writeTree(t.new, layout, layout.moved, 2);
  return t;
}

/** The links of the create and no-change jobs: [link path, target] for every file. */
export function createLinks(layout, trees, home) {
  return layout.files.map((rel) => [path.join(home, rel), path.join(trees.pkg, rel)]);
}

/** The links of the retarget job, before (`to: 'old'`) or after (`to: 'new'`) it. */
export function retargetLinks(layout, trees, home, to) {
  const movedSet = new Set(layout.moved);
  return layout.files.map((rel, k) => [path.join(home, rel), path.join(movedSet.has(k) ? trees[to] : trees.base, rel)]);
}

/** YAML needs no quoting for these generated paths, but quote anyway when a path could confuse it. */
function y(s) {
  return /^[\w./-]+$/.test(s) ? s : JSON.stringify(s);
}

/** linkplan manifest: one `glob` entry with `fold: false` over `target`, linking into `home`. */
export function globManifest(home, target) {
  return `version: 1\nlinks:\n  - path: ${y(home)}\n    target: ${y(target)}\n    glob: "*"\n    fold: false\n`;
}

/** linkplan manifest listing every link explicitly. */
export function explicitManifest(links) {
  const parts = ['version: 1\nlinks:\n'];
  for (const [p, t] of links) parts.push(`  - path: ${y(p)}\n    target: ${y(t)}\n`);
  return parts.join('');
}

/**
 * The switch job's versions: a folder `<dir>/<tool>-<name>` for each name, holding `bin/<tool>`,
 * which a pattern `<dir>/<tool>-*` finds. Returns name -> folder.
 */
export function writeVersions(dir, tool, names) {
  const folders = {};
  for (const name of names) {
    const folder = path.join(dir, `${tool}-${name}`);
    fs.mkdirSync(path.join(folder, 'bin'), { recursive: true });
    fs.writeFileSync(path.join(folder, 'bin', tool), `#!/bin/sh\necho ${tool} ${name}\n`);
    folders[name] = folder;
  }
  return folders;
}

/** linkplan manifest listing every link explicitly, plus one switch whose versions a pattern finds. */
export function switchManifest(links, sw) {
  return `${explicitManifest(links)}switches:\n  ${sw.name}:\n    path: ${y(sw.path)}\n    versions: ${y(sw.versions)}\n    current: ${y(sw.current)}\n`;
}
