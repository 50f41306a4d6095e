/**
 * Untimed checks that a tool really did its job, so one that silently did nothing cannot look
 * fast: walks a home folder without following links and compares every link it finds with the
 * links expected there (resolving relative link texts the way the OS does).
 */
import fs from 'node:fs';
import path from 'node:path';

/** Every non-folder entry below `home`: Map linkPath -> { text, ino } (text undefined if not a link). */
export function scanHome(home) {
  const found = new Map();
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else found.set(p, { text: e.isSymbolicLink() ? fs.readlinkSync(p) : undefined, ino: fs.lstatSync(p).ino });
    }
  };
  if (fs.existsSync(home)) walk(home);
  return found;
}

/**
 * Compares a home with the expected links ([linkPath, target] pairs). Returns counts and a few
 * examples of what is wrong; `ok` is true when exactly the expected links are there.
 */
export function verifyHome(home, expected) {
  const found = scanHome(home);
  let right = 0;
  let textLength = 0;
  const problems = [];
  for (const [p, target] of expected) {
    const f = found.get(p);
    if (f === undefined) problems.push(`missing ${p}`);
    else if (f.text === undefined) problems.push(`not a link: ${p}`);
    else if (path.resolve(path.dirname(p), f.text) !== target) problems.push(`wrong target: ${p} -> ${f.text} (want ${target})`);
    else {
      right++;
      textLength += f.text.length;
    }
    found.delete(p);
  }
  for (const p of found.keys()) problems.push(`unexpected entry ${p}`);
  return {
    ok: problems.length === 0,
    links: right,
    expected: expected.length,
    problems: problems.length,
    examples: problems.slice(0, 5),
    meanLinkText: right > 0 ? Math.round((textLength / right) * 10) / 10 : 0,
  };
}

/** The inode of every link, to tell whether a no-change run rewrote links. */
export function inodes(home) {
  const m = new Map();
  for (const [p, f] of scanHome(home)) m.set(p, f.ino);
  return m;
}

export function sameInodes(a, b) {
  if (a.size !== b.size) return false;
  for (const [p, i] of a) if (b.get(p) !== i) return false;
  return true;
}
