/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): self time by function and by source file
 * or package, and inclusive time of linkplan's own functions. Bundled code is mapped back to its
 * source file (src/plan/manifest.ts, node_modules/yaml/...) through the bundle's source map, so
 * the summary names the code that costs, not the bundle chunk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** Decodes a source map's `mappings` into, per generated line, sorted [column, sourceIndex] pairs. */
function decodeMappings(mappings) {
  const lines = [];
  let src = 0;
  for (const line of mappings.split(';')) {
    const segs = [];
    let col = 0;
    for (const seg of line.split(',')) {
      if (seg === '') continue;
      const vals = [];
      let v = 0;
      let shift = 0;
      for (const ch of seg) {
        const d = B64.get(ch) ?? 0;
        v += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(v & 1 ? -(v >>> 1) : v >>> 1);
          v = 0;
          shift = 0;
        }
      }
      col += vals[0] ?? 0;
      if (vals.length >= 4) {
        src += vals[1];
        segs.push([col, src]);
      }
    }
    lines.push(segs);
  }
  return lines;
}

const maps = new Map();
function sourceMapFor(file) {
  if (!maps.has(file)) {
    let m = null;
    try {
      const raw = JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'));
      m = { sources: raw.sources.map((s) => path.normalize(path.join(path.dirname(file), raw.sourceRoot ?? '', s))), lines: decodeMappings(raw.mappings) };
    } catch {
      m = null;
    }
    maps.set(file, m);
  }
  return maps.get(file);
}

/** Short name of where code lives: src/..., node_modules/<package>, node:<module>, or a bracketed V8 bucket. */
function whereOf(frame, repoRoot) {
  const { url, lineNumber, columnNumber, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url;
  let file = url;
  if (url.startsWith('file://')) file = fileURLToPath(url);
  const map = sourceMapFor(file);
  if (map !== null) {
    const segs = map.lines[lineNumber] ?? [];
    let lo = 0;
    let hi = segs.length - 1;
    let hit;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (segs[mid][0] <= columnNumber) {
        hit = segs[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (hit !== undefined) file = map.sources[hit[1]] ?? file;
  }
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = file.slice(nm + 'node_modules/'.length).split('/');
    return `node_modules/${rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]}`;
  }
  const rel = path.relative(repoRoot, file);
  return rel.startsWith('..') ? file : rel;
}

/** `rows`: how many functions each list keeps. */
export function summarizeProfile(file, { repoRoot, srcRoots = [], rows = 15 }) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const where = new Map();
  const wOf = (n) => {
    if (!where.has(n.id)) {
      let w = whereOf(n.callFrame, repoRoot);
      // the snapshot's bundle maps to its copy of the sources: name them as in the repository
      for (const r of srcRoots) if (w.startsWith(r)) w = w.slice(r.length);
      where.set(n.id, w);
    }
    return where.get(n.id);
  };
  const selfFn = new Map();
  const selfWhere = new Map();
  const incl = new Map();
  let total = 0;
  const add = (m, k, v) => m.set(k, (m.get(k) ?? 0) + v);
  prof.samples.forEach((id, i) => {
    const dt = (prof.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const n = byId.get(id);
    const w = wOf(n);
    add(selfFn, `${n.callFrame.functionName || '(anonymous)'}  [${w}]`, dt);
    add(selfWhere, w, dt);
    const seen = new Set();
    for (let p = id; p !== undefined; p = parent.get(p)) {
      const pn = byId.get(p);
      const pw = wOf(pn);
      if (!pw.startsWith('src/')) continue;
      const k = `${pn.callFrame.functionName || '(anonymous)'}  [${pw}]`;
      if (!seen.has(k)) {
        seen.add(k);
        add(incl, k, dt);
      }
    }
  });
  const top = (m, k) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, k)
      .map(([name, ms]) => ({ name, ms: Math.round(ms), share: Math.round((ms / total) * 1000) / 10 }));
  return { file, totalMs: Math.round(total), selfByFunction: top(selfFn, rows), selfByWhere: top(selfWhere, rows), inclusiveSrc: top(incl, rows) };
}

export function profileMarkdown(title, s) {
  const rows = (list) => list.map((r) => `| ${r.name.replace(/\|/g, '\\|')} | ${r.ms} | ${r.share}% |`).join('\n');
  return [
    `#### ${title} (profile: ${s.totalMs} ms sampled)`,
    '',
    '| self time by file or package | ms | share |',
    '|---|---:|---:|',
    rows(s.selfByWhere.slice(0, 10)),
    '',
    '| inclusive time of linkplan functions (src/) | ms | share |',
    '|---|---:|---:|',
    rows(s.inclusiveSrc.slice(0, 10)),
    '',
    '| self time by function | ms | share |',
    '|---|---:|---:|',
    rows(s.selfByFunction.slice(0, 10)),
    '',
  ].join('\n');
}
