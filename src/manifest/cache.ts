/**
 * The parsed-manifest cache of a manifest's state directory (`manifest.cache.json`): the data and
 * link positions of the last manifest text that loaded without problems, so the next plan or
 * apply of the same text skips YAML parsing (a few milliseconds for a dozen entries, half a
 * second for ten thousand). It is keyed by the text itself, which it keeps (comparing two texts
 * costs less than hashing one), and by the versions of linkplan and of the YAML parser; anything
 * else (another text, a damaged file, a value JSON cannot carry) is a miss. Writing it is best
 * effort: a plan never fails for it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { YAML_VERSION } from '../generated/versions.js';
import type { ManifestCache, ParsedManifest } from './load.js';
import { VERSION } from '../core/version.js';
import { ensureDir } from '../state/state-dir.js';

const FORMAT = 'linkplan-manifest-cache';

interface CacheFile extends ParsedManifest {
  format: typeof FORMAT;
  linkplan: string;
  yaml: string;
  /** The manifest's text, as read. */
  text: string;
}

export function manifestCachePath(stateDir: string): string {
  return path.join(stateDir, 'manifest.cache.json');
}

/** JSON that reads back as the same value, or undefined (NaN and Infinity, say, would not). */
function exactJson(value: unknown): string | undefined {
  try {
    return JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === 'number' && !Number.isFinite(v)) throw new Error('not JSON');
      if (typeof v === 'bigint' || typeof v === 'undefined' || typeof v === 'function' || typeof v === 'symbol') throw new Error('not JSON');
      if (v instanceof Date) throw new Error('not JSON');
      return v;
    });
  } catch {
    return undefined;
  }
}

export function fileManifestCache(stateDir: string): ManifestCache {
  const file = manifestCachePath(stateDir);
  return {
    get(text) {
      let c: Partial<CacheFile>;
      try {
        c = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<CacheFile>;
      } catch {
        return undefined;
      }
      if (c.format !== FORMAT || c.linkplan !== VERSION || c.yaml !== YAML_VERSION || c.text !== text || !Array.isArray(c.links)) return undefined;
      const currents = typeof c.currents === 'object' && c.currents !== null ? c.currents : undefined;
      return currents === undefined ? { data: c.data, links: c.links } : { data: c.data, links: c.links, currents };
    },
    put(text, parsed) {
      const data = exactJson(parsed.data);
      if (data === undefined) return;
      const head = JSON.stringify({ format: FORMAT, linkplan: VERSION, yaml: YAML_VERSION });
      const currents = parsed.currents === undefined ? '' : `,"currents":${JSON.stringify(parsed.currents)}`;
      const json = `${head.slice(0, -1)},"links":${JSON.stringify(parsed.links)}${currents},"data":${data},"text":${JSON.stringify(text)}}\n`;
      const tmp = `${file}.tmp-${process.pid}`;
      try {
        ensureDir(stateDir);
        fs.writeFileSync(tmp, json, { mode: 0o600 });
        fs.renameSync(tmp, file);
      } catch {
        fs.rmSync(tmp, { force: true });
      }
    },
  };
}
