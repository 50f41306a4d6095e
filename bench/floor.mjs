#!/usr/bin/env node
/**
 * The Node floor: the least any Node tool must pay to do what linkplan does, with plain node:fs
 * sync calls and no checks beyond the essential ones. Every path is observed first (lstat, and
 * readlink for a link); an absent path gets a symlink (folders made as needed), a link with the
 * wrong text is retargeted atomically (symlink under a temporary name, then rename over it), a
 * right link is left alone, and anything else is counted as a conflict and left alone.
 *
 *   node bench/floor.mjs tree SRC HOME check|apply   walk SRC (like a glob with fold: false) and link HOME/rel -> SRC/rel
 *   node bench/floor.mjs list LINKS.json check|apply LINKS.json is [[linkPath, target], ...]
 *
 * `check` changes nothing and exits 2 when something would change (like plan --detailed-exitcode),
 * `apply` makes the changes and exits 0. Both print one summary line.
 */
import fs from 'node:fs';
import path from 'node:path';

const [mode, a, b, c] = process.argv.slice(2);
const counts = { ok: 0, create: 0, retarget: 0, conflict: 0, mkdir: 0 };
let apply = false;
let tmpN = 0;

/** Observes one link path and does what it needs. */
function one(p, target) {
  const st = fs.lstatSync(p, { throwIfNoEntry: false });
  if (st === undefined) {
    counts.create++;
    if (apply) {
      try {
        fs.symlinkSync(target, p);
      } catch (e) {
        if (e.code !== 'ENOENT') throw e;
        fs.mkdirSync(path.dirname(p), { recursive: true });
        counts.mkdir++;
        fs.symlinkSync(target, p);
      }
    }
  } else if (st.isSymbolicLink()) {
    if (fs.readlinkSync(p) === target) {
      counts.ok++;
      return;
    }
    counts.retarget++;
    if (apply) {
      const tmp = path.join(path.dirname(p), `.${path.basename(p)}.floor-${process.pid}-${++tmpN}`);
      fs.symlinkSync(target, tmp);
      fs.renameSync(tmp, p);
    }
  } else {
    counts.conflict++;
  }
}

/** Walks the source tree like a glob with fold: false: real folders in HOME, a link per file. */
function walk(src, home, homeExists) {
  for (const e of fs.readdirSync(src, { withFileTypes: true })) {
    const s = path.join(src, e.name);
    const h = path.join(home, e.name);
    if (e.isDirectory()) {
      let exists = homeExists;
      if (exists) {
        const st = fs.lstatSync(h, { throwIfNoEntry: false });
        exists = st !== undefined;
        if (exists && !st.isDirectory()) {
          counts.conflict++;
          continue;
        }
      }
      if (!exists && apply) {
        fs.mkdirSync(h);
        counts.mkdir++;
      }
      walk(s, h, exists);
    } else if (homeExists || apply) {
      one(h, s);
    } else {
      counts.create++; // check mode, folder absent: everything below it would be created
    }
  }
}

if (mode === 'tree' && a && b && (c === 'check' || c === 'apply')) {
  apply = c === 'apply';
  walk(path.resolve(a), path.resolve(b), fs.existsSync(b));
} else if (mode === 'list' && a && (b === 'check' || b === 'apply')) {
  apply = b === 'apply';
  for (const [p, t] of JSON.parse(fs.readFileSync(a, 'utf8'))) one(p, t);
} else {
  process.stderr.write('usage: floor.mjs tree SRC HOME check|apply | floor.mjs list LINKS.json check|apply\n');
  process.exit(64);
}
const changes = counts.create + counts.retarget;
process.stdout.write(`floor: ${counts.ok} ok, ${counts.create} to create, ${counts.retarget} to retarget, ${counts.conflict} conflicts, ${counts.mkdir} folders made${apply ? '' : ' (check only)'}\n`);
process.exitCode = counts.conflict > 0 ? 1 : !apply && changes > 0 ? 2 : 0;
