// Version switches: `switches:` in the manifest (versions by pattern or by map, the current one
// checked), the edit of `current` that keeps every other byte of the manifest, and
// `linkplan switch` from the command line on real folders: list, switch, --no-save, --json, the
// errors that change nothing, and a link that is never missing while processes read through it.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PosixDriver } from '../src/drivers/posix.js';
import { parseDocument } from 'yaml';
import { editCurrent } from '../src/manifest/edit.js';
import { currentSite } from '../src/manifest/parsed.js';
import { manifestCachePath } from '../src/manifest/cache.js';
import { stateDirFor } from '../src/state/state.js';
import { loadManifest } from '../src/manifest/load.js';
import type { AbsPath } from '../src/core/paths.js';
import { REPO, runCli } from './helpers/cli.js';
import * as switchCmd from '../src/commands/switch.js';
import { shippedDeps, type Io } from '../src/commands/context.js';
import { tempDir, writeTree } from './helpers/tree.js';

/** A tools folder with four JDKs (and things that are not versions), and a manifest switching them. */
function jdkHome(manifest?: string): { root: string; file: string } {
  const root = tempDir();
  writeTree(root, {
    tools: {
      'jdk-8': { release: '8\n' },
      'jdk-11': { release: '11\n' },
      'jdk-17': { release: '17\n' },
      'jdk-21': { release: '21\n' },
      'jdk-notes.txt': 'a file, not a version\n',
      'other-1': {},
    },
  });
  const file = path.join(root, 'layout.yaml');
  fs.writeFileSync(
    file,
    manifest ??
      `# tools on this machine
version: 1
vars:
  tools: ${root}/tools

links:
  - path: ${root}/home/.jdkrc
    target: ${root}/tools/jdk-8/release

switches:
  # the JDK everything uses

  jdk:
    path: ${root}/bin/jdk   # on PATH
    versions: \${tools}/jdk-*
    current: 17 # LTS
`,
  );
  return { root, file };
}

const load = (file: string) => loadManifest(file, { driver: new PosixDriver(), home: '/home/nobody', hostname: 'test' });

describe('switches: in the manifest', () => {
  it('a pattern finds the versions, named by what * matched, in number order; the link leads to the current one', () => {
    const { root, file } = jdkHome();
    const loaded = load(file);
    const [sw] = loaded.switches;
    expect(sw?.versions.map((v) => v.name)).toEqual(['8', '11', '17', '21']);
    expect(sw?.current).toBe('17');
    const entry = loaded.desired.find((d) => d.path === `${root}/bin/jdk`);
    expect(entry).toMatchObject({ target: `${root}/tools/jdk-17`, type: 'auto', source: { where: 'switches.jdk', line: 14, column: 5 } });
  });

  it("a pattern that matches the switch's own link (apps/app/current beside apps/app/1.0) does not count it as a version", () => {
    const { root, file } = jdkHome();
    fs.writeFileSync(file, `version: 1\nswitches:\n  app:\n    path: ${root}/tools/jdk-current\n    versions: ${root}/tools/jdk-*\n    current: 17\n`);
    fs.symlinkSync(`${root}/tools/jdk-17`, `${root}/tools/jdk-current`);
    expect(load(file).switches[0]?.versions.map((v) => v.name)).toEqual(['8', '11', '17', '21']);
  });

  it('a map names each version and its folder', () => {
    const { root, file } = jdkHome();
    fs.writeFileSync(file, `version: 1\nswitches:\n  node:\n    path: ${root}/bin/node\n    versions: { lts: ${root}/tools/jdk-8, next: ${root}/tools/jdk-21 }\n    current: next\n`);
    const loaded = load(file);
    expect(loaded.switches[0]?.versions).toEqual([
      { name: 'lts', folder: `${root}/tools/jdk-8` },
      { name: 'next', folder: `${root}/tools/jdk-21` },
    ]);
    expect(loaded.desired[0]?.target).toBe(`${root}/tools/jdk-21`);
  });

  it.each([
    ['a current that is not a version', (t: string) => t.replace('current: 17', 'current: 19'), /layout\.yaml:16:14: switches\.jdk\.current: "19" is not one of the versions of "jdk": the versions are "8", "11", "17", "21"/],
    ['a pattern with two *', (t: string) => t.replace('jdk-*', 'jdk-*-*'), /layout\.yaml:15:15: switches\.jdk\.versions: .*needs exactly one \*/],
    ['a pattern in a folder that does not exist', (t: string) => t.replace('${tools}/jdk-*', '${tools}/gone/jdk-*'), /switches\.jdk\.versions: .*tools\/gone: the folder of the versions does not exist/],
    ['an unknown field', (t: string) => t.replace('current: 17', 'current: 17\n    curent: 18'), /switches\.jdk: unknown field "curent"|curent/],
  ] as const)('%s: a clear error with file:line:column', (_name, change, message) => {
    const { file } = jdkHome();
    fs.writeFileSync(file, change(fs.readFileSync(file, 'utf8')));
    expect(() => load(file)).toThrow(message);
  });

  it('a switch whose when does not hold here is left out', () => {
    const { file } = jdkHome();
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('current: 17 # LTS', 'current: 17\n    when: { os: windows }'));
    const loaded = load(file);
    expect(loaded.switches).toEqual([]);
    expect(loaded.skipped).toBe(1);
  });
});

/** `switches.<name>.current` of `text` set to `version`, where the YAML says that value lies. */
const setCurrent = (text: string, opts: { file: string; name: string; version: string }): string => editCurrent(currentSite(parseDocument(text), opts.name), text, opts);

describe('editCurrent changes the value and not one other byte', () => {
  const cases: [string, string, string][] = [
    ['plain, with a comment after it', 'switches:\n  jdk:\n    current: 17 # LTS\n', 'switches:\n  jdk:\n    current: 21 # LTS\n'],
    ['double-quoted', 'switches:\n  jdk:\n    current: "17"\n', 'switches:\n  jdk:\n    current: "21"\n'],
    ['single-quoted', "switches:\n  jdk:\n    current: '17'\n", "switches:\n  jdk:\n    current: '21'\n"],
    ['flow style, CRLF line ends', 'switches:\r\n  jdk: { path: x, current: 17, versions: y }\r\n# end\r\n', 'switches:\r\n  jdk: { path: x, current: 21, versions: y }\r\n# end\r\n'],
  ];
  it.each(cases)('%s', (_name, before, after) => {
    expect(setCurrent(before, { file: 'l.yaml', name: 'jdk', version: '21' })).toBe(after);
  });

  it('quotes a name that would not read back as itself written plain', () => {
    expect(setCurrent('switches:\n  jdk:\n    current: 17\n', { file: 'l.yaml', name: 'jdk', version: '21.0' })).toBe('switches:\n  jdk:\n    current: "21.0"\n');
    expect(setCurrent('switches:\n  jdk:\n    current: 17\n', { file: 'l.yaml', name: 'jdk', version: 'true' })).toBe('switches:\n  jdk:\n    current: "true"\n');
    expect(setCurrent('switches:\n  jdk:\n    current: 17\n', { file: 'l.yaml', name: 'jdk', version: 'a #b' })).toBe('switches:\n  jdk:\n    current: "a #b"\n');
  });

  it('refuses an alias rather than rewrite what it points to', () => {
    expect(() => setCurrent('x: &v 17\nswitches:\n  jdk:\n    current: *v\n', { file: 'l.yaml', name: 'jdk', version: '21' })).toThrow(/switches\.jdk\.current is an alias/);
  });
});

describe('linkplan switch', () => {
  it('switches: shows the edit as a diff, retargets the link, saves the manifest with every comment and blank line', () => {
    const { root, file } = jdkHome();
    expect(runCli(['apply', '--yes', file]).code).toBe(0);
    const before = fs.readFileSync(file, 'utf8');
    const r = runCli(['switch', file, 'jdk', '21'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-    current: 17 # LTS\n+    current: 21 # LTS\n');
    expect(r.stdout).toMatch(/~ retarget bin\/jdk -> tools\/jdk-21 {2}\(symlink; was tools\/jdk-17\)/);
    expect(fs.readlinkSync(`${root}/bin/jdk`)).toBe(`${root}/tools/jdk-21`);
    expect(fs.readFileSync(file, 'utf8')).toBe(before.replace('current: 17 # LTS', 'current: 21 # LTS'));
    expect(runCli(['plan', '--detailed-exitcode', file]).code).toBe(0);
  });

  it('lists the versions, marking the current one and where the link leads; and as JSON', () => {
    const { root, file } = jdkHome();
    expect(runCli(['apply', '--yes', file]).code).toBe(0);
    expect(runCli(['switch', '--no-save', file, 'jdk', '8']).code).toBe(0);
    const text = runCli(['switch', file, 'jdk'], { cwd: root });
    expect(text.stdout).toBe(
      [
        'jdk: bin/jdk (versions found by ${tools}/jdk-*)',
        '    8   tools/jdk-8   the link leads here now',
        '    11  tools/jdk-11',
        '  * 17  tools/jdk-17  current in the manifest',
        '    21  tools/jdk-21',
        'The link leads to 8: `linkplan apply` makes it 17.',
        '',
      ].join('\n'),
    );
    const json = JSON.parse(runCli(['switch', file, 'jdk', '--json']).stdout) as { current: string; onDisk: string; versions: { name: string; folder: string }[] };
    expect(json).toMatchObject({ name: 'jdk', path: `${root}/bin/jdk`, current: '17', onDisk: '8' });
    expect(json.versions.map((v) => v.name)).toEqual(['8', '11', '17', '21']);
  });

  it('--no-save switches the link, leaves the manifest, and says the next apply switches back (which it does)', () => {
    const { root, file } = jdkHome();
    expect(runCli(['apply', '--yes', file]).code).toBe(0);
    const before = fs.readFileSync(file, 'utf8');
    const r = runCli(['switch', '--no-save', file, 'jdk', '11']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('The manifest was not changed: it still says jdk 17, and the next `linkplan apply');
    expect(fs.readlinkSync(`${root}/bin/jdk`)).toBe(`${root}/tools/jdk-11`);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(runCli(['apply', '--yes', file]).code).toBe(0);
    expect(fs.readlinkSync(`${root}/bin/jdk`)).toBe(`${root}/tools/jdk-17`);
    // the command it gives is one to copy: a manifest path with a space in it is quoted
    // (another manifest path has records of its own: the link is made anew)
    const spaced = path.join(root, 'my layout.yaml');
    fs.renameSync(file, spaced);
    fs.unlinkSync(`${root}/bin/jdk`);
    expect(runCli(['switch', '--no-save', spaced, 'jdk', '11']).stdout).toContain(`the next \`linkplan apply '${spaced}'\` switches jdk back to it.`);
  });

  it('changes that one link only, whatever else in the manifest differs from the disk', () => {
    const { root, file } = jdkHome();
    const r = runCli(['switch', file, 'jdk', '21']);
    expect(r.code).toBe(0);
    expect(fs.readlinkSync(`${root}/bin/jdk`)).toBe(`${root}/tools/jdk-21`);
    expect(fs.existsSync(`${root}/home`)).toBe(false);
  });

  it('makes the folder its link needs itself, where a link listed before it would have made it', () => {
    // the switch's folder opt/ is also the folder of a link listed earlier, not made yet: planned
    // with the whole manifest, that link's create would claim opt/ and the switch's alone would not make it
    const root = tempDir();
    writeTree(root, { tools: { 'jdk-17': { release: '17\n' }, 'jdk-21': { release: '21\n' } } });
    const file = path.join(root, 'layout.yaml');
    fs.writeFileSync(
      file,
      `version: 1\nlinks:\n  - path: ${root}/opt/notes\n    target: ${root}/tools/jdk-17/release\nswitches:\n  jdk:\n    path: ${root}/opt/jdk\n    versions: ${root}/tools/jdk-*\n    current: 17\n`,
    );
    const r = runCli(['switch', file, 'jdk', '21']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(fs.readlinkSync(`${root}/opt/jdk`)).toBe(`${root}/tools/jdk-21`);
    expect(fs.existsSync(`${root}/opt/notes`)).toBe(false);
    expect(fs.readFileSync(file, 'utf8')).toContain('current: 21\n');
  });

  it('edits where the parsed-manifest cache says, keeps its own parse for the next run, and trusts no cached place that no longer reads as the current value', () => {
    const { root, file } = jdkHome();
    const state = tempDir('linkplan-state-');
    const env = { LINKPLAN_STATE_DIR: state };
    expect(runCli(['apply', '--yes', file], { env }).code).toBe(0);
    const cacheFile = manifestCachePath(stateDirFor(file, { stateDir: state }));
    const cached = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { text: string; currents: Record<string, { start: number; end: number }> };
    const before = fs.readFileSync(file, 'utf8');
    expect(cached.text).toBe(before);
    const at = cached.currents['jdk'] as { start: number; end: number };
    expect(before.slice(at.start, at.end)).toBe('17');
    // a place that reads as something else (the first comment's characters) is not used
    fs.writeFileSync(cacheFile, JSON.stringify({ ...cached, currents: { jdk: { start: 2, end: 7, type: 'PLAIN' } } }));
    expect(runCli(['switch', file, 'jdk', '21'], { env }).code).toBe(0);
    const after = fs.readFileSync(file, 'utf8');
    expect(after).toBe(before.replace('current: 17 # LTS', 'current: 21 # LTS'));
    expect(fs.readlinkSync(`${root}/bin/jdk`)).toBe(`${root}/tools/jdk-21`);
    expect((JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as { text: string }).text).toBe(after);
    // and back, from the place the cache kept for the edited text
    expect(runCli(['switch', file, 'jdk', '17'], { env }).code).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
  });

  it('keeps a manifest that is a link a link (the file it leads to is edited)', () => {
    const { root, file } = jdkHome();
    const real = path.join(root, 'repo-layout.yaml');
    fs.renameSync(file, real);
    fs.symlinkSync('repo-layout.yaml', file);
    expect(runCli(['switch', file, 'jdk', '21']).code).toBe(0);
    expect(fs.readlinkSync(file)).toBe('repo-layout.yaml');
    expect(fs.readFileSync(real, 'utf8')).toContain('current: 21 # LTS');
  });

  it.each([
    ['an unknown version', ['jdk', '99'], /"99" is not a version of "jdk"\n {2}hint: the versions are: 8, 11, 17, 21; nothing was changed/],
    ['an unknown switch', ['node', '20'], /no switch named "node" applies on this machine\n {2}hint: the switches are: jdk/],
  ])('%s: exit 1, one clear message, nothing changed', (_name, args, message) => {
    const { root, file } = jdkHome();
    expect(runCli(['apply', '--yes', file]).code).toBe(0);
    const before = fs.readFileSync(file, 'utf8');
    const r = runCli(['switch', file, ...args]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/\bat .*\.(js|ts):\d+/);
    expect(fs.readFileSync(file, 'utf8')).toBe(before);
    expect(fs.readlinkSync(`${root}/bin/jdk`)).toBe(`${root}/tools/jdk-17`);
  });
});

/**
 * A child process that reads `link/release` in a loop until told to stop (a line on its stdin),
 * then prints how many reads it made and how many failed. Resolves once it is reading.
 */
async function reader(link: string): Promise<{ done: () => Promise<{ reads: number; failed: number; errors: string[] }> }> {
  const script = `
    const fs = require('node:fs');
    let reads = 0, failed = 0, stop = false, ready = false; const errors = [];
    process.stdin.on('data', () => { stop = true; });
    const loop = () => {
      for (let i = 0; i < 200; i++) {
        try { const t = fs.readFileSync(${JSON.stringify(link + '/release')}, 'utf8'); if (!/^\\d+\\n$/.test(t)) throw new Error('read ' + JSON.stringify(t)); }
        catch (e) { failed++; if (errors.length < 5) errors.push(String(e)); }
        reads++;
      }
      if (!ready) { ready = true; process.stdout.write('ready\\n'); }
      if (stop) process.stdout.write(JSON.stringify({ reads, failed, errors })); else setImmediate(loop);
    };
    loop();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n')) resolve();
    });
  });
  return {
    done: () =>
      new Promise((resolve, reject) => {
        child.on('exit', () => {
          try {
            resolve(JSON.parse(out.slice('ready\n'.length)) as { reads: number; failed: number; errors: string[] });
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
        child.stdin.end('stop\n');
      }),
  };
}

describe('a switch never leaves the link missing or half-made', () => {
  it('1,000 switches back and forth through the driver while another process reads through the link: no read fails', async () => {
    const { root } = jdkHome();
    const link = `${root}/bin/jdk` as AbsPath;
    fs.mkdirSync(`${root}/bin`);
    fs.symlinkSync(`${root}/tools/jdk-17`, link);
    const r = await reader(link);
    const driver = new PosixDriver();
    for (let i = 0; i < 1000; i++) {
      const to = `${root}/tools/${i % 2 === 0 ? 'jdk-21' : 'jdk-17'}` as AbsPath;
      driver.replaceLink(link, { type: 'symlink', target: to, linkText: to });
    }
    const { reads, failed, errors } = await r.done();
    expect(errors).toEqual([]);
    expect(failed).toBe(0);
    expect(reads).toBeGreaterThan(1000);
    expect(fs.readlinkSync(link)).toBe(`${root}/tools/jdk-17`);
  });

  it('4 switches from the command line while another process reads through the link: no read fails', async () => {
    const { root, file } = jdkHome();
    expect(runCli(['apply', '--yes', file]).code).toBe(0);
    const r = await reader(`${root}/bin/jdk`);
    for (let i = 0; i < 4; i++) expect(runCli(['switch', file, 'jdk', i % 2 === 0 ? '21' : '17']).code).toBe(0);
    const { failed, errors } = await r.done();
    expect(errors).toEqual([]);
    expect(failed).toBe(0);
    expect(fs.readFileSync(file, 'utf8')).toContain('current: 17 # LTS');
  });
});

describe('the bundled switch example', () => {
  it('applies in a copy, lists, switches to 21 (the manifest edited in place), then has nothing to do', () => {
    const from = path.join(REPO, 'examples', 'switch');
    const d = path.join(tempDir(), 'switch');
    fs.cpSync(from, d, { recursive: true, filter: (src) => src !== path.join(from, 'tools', 'jdk') });
    const text = fs.readFileSync(path.join(d, 'layout.yaml'), 'utf8');
    expect(runCli(['apply', 'layout.yaml'], { cwd: d }).stdout).toContain('Applied: 1 to create');
    expect(fs.readFileSync(path.join(d, 'tools/jdk/release'), 'utf8')).toBe('JAVA_VERSION="17"\n');
    expect(runCli(['switch', 'layout.yaml', 'jdk'], { cwd: d }).stdout).toContain('  * 17  tools/jdk-17  current\n');
    const sw = runCli(['switch', 'layout.yaml', 'jdk', '21'], { cwd: d });
    expect(sw.code).toBe(0);
    expect(fs.readFileSync(path.join(d, 'tools/jdk/release'), 'utf8')).toBe('JAVA_VERSION="21"\n');
    expect(fs.readFileSync(path.join(d, 'layout.yaml'), 'utf8')).toBe(text.replace('current: 17               # the one in use', 'current: 21               # the one in use'));
    expect(runCli(['apply', 'layout.yaml'], { cwd: d }).stdout).toBe('No changes: the disk already matches layout.yaml (1 entry)\n');
  });
});

describe('versions are listed in number order', () => {
  it('runs of digits compare as numbers, the rest as text; leading zeros and long numbers too', () => {
    const { root, file } = jdkHome();
    const names = ['21.0.2', '8', '17.0.10', '17.0.9', '11', 'lts', '17', '007', '6', '123456789012345678901', '99999999999999999999', 'next', '17a', '17.0'];
    for (const n of names) fs.mkdirSync(`${root}/tools/v-${n}`);
    fs.writeFileSync(file, `version: 1\nswitches:\n  v:\n    path: ${root}/bin/v\n    versions: ${root}/tools/v-*\n    current: lts\n`);
    expect(load(file).switches[0]?.versions.map((v) => v.name)).toEqual(['6', '007', '8', '11', '17', '17.0', '17.0.9', '17.0.10', '17a', '21.0.2', '99999999999999999999', '123456789012345678901', 'lts', 'next']);
  });
});

describe('linkplan switch on a terminal', () => {
  it('colours the diff and marks the current version in bold (in-process, with a colour terminal)', async () => {
    const { root, file } = jdkHome();
    let out = '';
    const io: Io = { out: (s) => (out += s), err: (s) => (out += s), color: true, errColor: true, interactive: false };
    const stateDir = tempDir('linkplan-state-');
    expect(await switchCmd.run({ file, name: 'jdk', version: '21', save: true, var: {}, stateDir }, io, shippedDeps())).toBe(0);
    expect(out).toContain('\x1b[31m-    current: 17 # LTS\x1b[39m');
    expect(out).toContain('\x1b[32m+    current: 21 # LTS\x1b[39m');
    out = '';
    expect(await switchCmd.run({ file, name: 'jdk', save: true, var: {}, stateDir }, io, shippedDeps())).toBe(0);
    expect(out).toContain(`\x1b[1m  * 21  ${root}/tools/jdk-21  current`);
  });
});
