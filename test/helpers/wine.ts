/**
 * Running linkplan's Windows build under Wine, for the Windows driver's test: the Wine setup
 * (scripts/wine-setup.sh: a Windows 10 prefix, the Windows build of Node, koffi's Windows binary,
 * all cached in .wine-cache/), the built bundle staged where that koffi is found, Linux paths as
 * Wine names them (`Z:\...`), and one Windows process run with its output sent to a file (the
 * Windows Node fails on pipes under Wine). Without Wine the tests skip LOUDLY (a `SKIPPED:` line on
 * stderr); on CI (CI set) or with LINKPLAN_REQUIRE_WINE=1 they fail instead.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const ciSet = (v: string | undefined): boolean => v !== undefined && v !== '' && v !== 'false' && v !== '0';

/** True where skipping is not acceptable: on CI, or when LINKPLAN_REQUIRE_WINE=1. */
export const wineRequired: boolean = ciSet(process.env['CI']) || process.env['LINKPLAN_REQUIRE_WINE'] === '1';

/** The first of the programs the Wine tests need that is not installed, if any. */
function missingTool(): string | undefined {
  for (const tool of ['wine', 'wineserver', 'x86_64-w64-mingw32-gcc']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) return tool;
  }
  return undefined;
}

/**
 * Says whether to skip the Wine tests: prints `SKIPPED: ...` to stderr when a tool is missing,
 * and throws instead where they are required (CI).
 */
export function skipWineTests(): boolean {
  const missing = missingTool();
  if (missing === undefined) return false;
  const line = `SKIPPED: the Windows driver's Wine tests need ${missing} (apt-get install -y wine wine64 gcc-mingw-w64-x86-64)`;
  if (wineRequired) throw new Error(`${line}; they are required here (CI or LINKPLAN_REQUIRE_WINE=1), so this is a failure`);
  process.stderr.write(`\n${line}\n\n`);
  return true;
}

/** Runs scripts/wine-setup.sh (fast once its cache exists) and returns the cache folder. */
export function wineSetup(): string {
  const r = spawnSync(path.join(REPO, 'scripts', 'wine-setup.sh'), [], { encoding: 'utf8', timeout: 240_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`scripts/wine-setup.sh failed (exit ${String(r.status)}): ${r.stderr}`);
  return r.stdout.trim().split('\n').at(-1) ?? '';
}

/** Linux path `p` as Wine's Windows processes name it (Z: is the Linux root). */
export function winePath(p: string): string {
  return 'Z:' + path.resolve(p).replaceAll('/', '\\');
}

/**
 * Copies the built bundle (dist/, bin/) into a fresh folder of the cache, whose node_modules holds
 * koffi with its Windows binary: the bundle finds that koffi first, and the checkout's modules
 * (listr2, diff) further up. Returns the folder.
 */
export function stageBuild(cache: string): string {
  const app = path.join(cache, `app-${process.pid}`);
  fs.rmSync(app, { recursive: true, force: true });
  fs.mkdirSync(path.join(app, 'dist'), { recursive: true });
  for (const f of fs.readdirSync(path.join(REPO, 'dist'))) {
    if (f.endsWith('.js') || f.endsWith('.cjs')) fs.copyFileSync(path.join(REPO, 'dist', f), path.join(app, 'dist', f));
  }
  fs.cpSync(path.join(REPO, 'bin'), path.join(app, 'bin'), { recursive: true });
  return app;
}

export interface WineRun {
  status: number | null;
  /** What the process wrote to stdout and stderr (through a file). */
  output: string;
}

export interface WineRunOptions {
  args?: readonly string[];
  env?: Record<string, string>;
  timeout?: number;
}

/** Runs `program` (a Windows .exe, Linux path) with `opts.args` under Wine in the cache's prefix, its output to a file. */
export function runWine(cache: string, program: string, opts: WineRunOptions = {}): WineRun {
  const log = path.join(cache, `run-${process.pid}.log`);
  const fd = fs.openSync(log, 'w');
  try {
    const r = spawnSync('wine', [program, ...(opts.args ?? [])], {
      stdio: ['ignore', fd, fd],
      timeout: opts.timeout ?? 90_000,
      env: { ...process.env, WINEPREFIX: path.join(cache, 'prefix'), WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', ...opts.env },
    });
    return { status: r.status, output: fs.readFileSync(log, 'utf8') };
  } finally {
    fs.closeSync(fd);
    fs.rmSync(log, { force: true });
  }
}

/** Runs the Windows build of Node under Wine. */
export function runWineNode(cache: string, opts: WineRunOptions): WineRun {
  return runWine(cache, path.join(cache, 'node', 'node.exe'), opts);
}
