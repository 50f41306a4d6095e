// The Windows driver's tree copy (a relocation's), run by driver-checks.mjs under Wine: a tree of
// folders and files with times and attributes (read-only, hidden) and a file with two names copied between two folders and
// described on both sides (names, kinds, contents' SHA-256, times, attributes), a copy corrupted
// between its writing and its check (the check must name the file, and the copy must be gone), an
// original written to during the copy (named, the copy gone),
// and a target that exists (refused, left as it was). Wine has no reparse points, so no junction
// or symbolic link is inside. Outcomes are recorded for windows-wine.test.ts to judge.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';

/** GetFileAttributesW and SetFileAttributesW, through the koffi the built library loads. */
function attributeCalls(indexUrl) {
  const koffi = createRequire(indexUrl)('koffi');
  const k32 = koffi.load('kernel32.dll');
  return {
    get: k32.func('uint32_t __stdcall GetFileAttributesW(const char16_t *name)'),
    set: k32.func('int __stdcall SetFileAttributesW(const char16_t *name, uint32_t attributes)'),
  };
}

/**
 * Every entry below `root`: its name, kind, times (ms) and attributes, all read before any content
 * is (reading a file moves its access time), then each file's SHA-256 unless `stat` alone.
 */
function describeTree(root, attrs, { stat = false } = {}) {
  const out = [];
  const walk = (rel) => {
    for (const name of fs.readdirSync(rel === '' ? root : `${root}\\${rel}`).sort()) {
      const r = rel === '' ? name : `${rel}\\${name}`;
      const st = fs.lstatSync(`${root}\\${r}`);
      out.push({ rel: r, kind: st.isDirectory() ? 'dir' : 'file', mtime: st.mtimeMs, atime: st.atimeMs, attributes: attrs.get(`${root}\\${r}`) & 0x27 });
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  if (!stat) for (const e of out) if (e.kind === 'file') e.sha256 = crypto.createHash('sha256').update(fs.readFileSync(`${root}\\${e.rel}`)).digest('hex');
  return out;
}

/** Builds the original tree in `src`, with times set on every entry (folders last) and attributes on two files. */
function makeTree(src, attrs) {
  fs.mkdirSync(`${src}\\a\\b`, { recursive: true });
  fs.mkdirSync(`${src}\\empty`);
  fs.writeFileSync(`${src}\\file.txt`, 'some text\r\n');
  fs.writeFileSync(`${src}\\empty.txt`, '');
  fs.writeFileSync(`${src}\\a\\b\\deep.txt`, 'deep');
  // (more than one 1 MiB chunk)
  fs.writeFileSync(`${src}\\a\\big.bin`, crypto.createHash('sha512').update('seed').digest().toString('hex').repeat(40_000));
  fs.writeFileSync(`${src}\\ro.txt`, 'read-only');
  fs.writeFileSync(`${src}\\hidden.txt`, 'hidden');
  // (two names of one file: the copy makes two files)
  fs.linkSync(`${src}\\a\\b\\deep.txt`, `${src}\\a\\deep-too.txt`);
  let t = Date.UTC(2020, 0, 2, 3, 4, 5) / 1000;
  for (const rel of ['file.txt', 'empty.txt', 'a\\b\\deep.txt', 'a\\big.bin', 'ro.txt', 'hidden.txt', 'a\\b', 'a', 'empty']) {
    fs.utimesSync(`${src}\\${rel}`, t - 86_400, t);
    t += 3600;
  }
  attrs.set(`${src}\\hidden.txt`, 0x2);
  fs.chmodSync(`${src}\\ro.txt`, 0o444);
}

export function copyChecks({ d, work, record, out, indexUrl }) {
  const attrs = attributeCalls(indexUrl);
  const src = `${work}\\copy-src`;
  makeTree(src, attrs);
  record('copyFacts', () => d.treeFacts(src));
  record('copyFree', () => d.freeBytes(work));
  record('copyRefusal', () => d.copyRefusal(src, `${work}\\copy-dst`) ?? null);
  const progress = [];
  let roots = 0;
  const before = describeTree(src, attrs, { stat: true });
  const onRoot = () => roots++;
  record('copyTree', () => d.copyTree(src, `${work}\\copy-dst`, { onRoot, onProgress: (p) => progress.push({ ...p, path: p.path.slice(work.length + 1) }) }));
  out.copyRoots = { value: roots };
  out.copyProgress = { value: progress };
  record('copySrcTree', () => before);
  record('copyDstTree', () => describeTree(`${work}\\copy-dst`, attrs));
  record('copySrcAfter', () => describeTree(src, attrs));
  record('copyLinkCounts', () => [fs.statSync(`${src}\\a\\deep-too.txt`).nlink, fs.statSync(`${work}\\copy-dst\\a\\deep-too.txt`).nlink, fs.statSync(`${work}\\copy-dst\\a\\b\\deep.txt`).nlink]);

  // to the root of another drive (C: is the prefix's drive_c, a volume of its own serial under Wine), removed after
  const onC = `C:\\linkplan-copy-${process.pid}`;
  record('copyToDriveRoot', () => {
    try {
      const noAccess = (t) => t.map(({ atime: _atime, ...e }) => e);
      const count = d.copyTree(src, onC);
      return { count, volumes: [d.observe(src).dev, d.observe(onC).dev], trees: [noAccess(describeTree(src, attrs)), noAccess(describeTree(onC, attrs))] };
    } finally {
      d.removeTree(onC);
    }
  });
  record('afterDriveRoot', () => d.observe(onC));

  // a copy changed on the disk after it was written: the check names it, and the copy goes
  let corrupted = null;
  const corrupt = (p) => {
    if (p.phase === 'copy' && p.partly !== true && p.path.endsWith('\\deep.txt')) {
      fs.writeFileSync(p.path, 'DEEP');
      corrupted = p.path;
    }
  };
  record('copyCorrupted', () => d.copyTree(src, `${work}\\copy-bad`, { onProgress: corrupt }));
  out.copyCorruptedFile = { value: corrupted };
  record('afterCorrupted', () => d.observe(`${work}\\copy-bad`));

  // an original file written to after it was copied: the check says so, naming it, and the copy goes
  const grow = (p) => {
    if (p.phase === 'copy' && p.partly !== true && p.path.endsWith('\\file.txt')) fs.appendFileSync(`${src}\\file.txt`, 'more');
  };
  record('copyChanged', () => d.copyTree(src, `${work}\\copy-changed`, { onProgress: grow }));
  record('afterChanged', () => d.observe(`${work}\\copy-changed`));

  // a target that exists: refused, and left as it was
  fs.mkdirSync(`${work}\\copy-taken`);
  fs.writeFileSync(`${work}\\copy-taken\\mine.txt`, 'mine');
  record('copyOntoExisting', () => d.copyTree(src, `${work}\\copy-taken`));
  record('afterOntoExisting', () => fs.readdirSync(`${work}\\copy-taken`));
}
