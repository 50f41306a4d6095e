// Paths reached through folder links, end to end through the real command: a home that Stow
// folded (`~/.config` a link into the repository) or dotbot's `~/.vim -> repo/vim` must never make
// the repository's own files look like files in the way, be backed up, replaced by links to
// themselves or removed; unfolding such a link is an entry of the manifest; and a repository
// cloned where the manifest links it to (`{ path: ~/.dotfiles, target: . }`) is already in place.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { snapshot, tempDir, writeTree, type TreeSpec } from './helpers/tree.js';

/** A repository `r` holding layout.yaml (from `links`) and `tree`, and an empty home `h`. */
function setUp(links: string[], tree: TreeSpec): { root: string; repo: string; home: string; manifest: string } {
  const root = tempDir();
  const repo = path.join(root, 'r');
  const home = path.join(root, 'h');
  writeTree(repo, tree);
  fs.mkdirSync(home);
  const manifest = path.join(repo, 'layout.yaml');
  fs.writeFileSync(manifest, `version: 1\nlinks:\n${links.map((l) => `  - ${l}\n`).join('')}`);
  return { root, repo, home, manifest };
}

const run = (home: string, args: string[]): ReturnType<typeof runCli> => runCli(args, { env: { HOME: home } });

describe('a path reached through a folder link into the repository', () => {
  it('is already in place, and the repository file is never moved aside or replaced (backup)', () => {
    const { repo, home, manifest } = setUp(['{ path: ~/conf/a.txt, target: conf/a.txt, onConflict: backup }'], { conf: { 'a.txt': 'hi\n' } });
    fs.symlinkSync('../r/conf', path.join(home, 'conf'));
    const before = snapshot(repo);
    const plan = run(home, ['plan', manifest]);
    expect(plan.code).toBe(0);
    expect(plan.stdout).toContain('1 unchanged');
    const r = run(home, ['apply', manifest, '--yes']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/No changes/);
    expect(fs.readFileSync(path.join(repo, 'conf/a.txt'), 'utf8')).toBe('hi\n');
    expect(snapshot(repo)).toEqual(before);
  });

  it('is already in place with onConflict: adopt too, and with the verbose plan saying why', () => {
    const { repo, home, manifest } = setUp(['{ path: ~/conf/a.txt, target: conf/a.txt, onConflict: adopt }'], { conf: { 'a.txt': 'hi\n' } });
    fs.symlinkSync(path.join(repo, 'conf'), path.join(home, 'conf'));
    const r = run(home, ['plan', manifest, '--verbose']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/already in place: the folder .*\/h\/conf is a link to .*\/r\/conf, which leads to the target/);
  });

  it('is never removed by state: absent (the repository tracks that link)', () => {
    const { repo, home, manifest } = setUp(['{ path: ~/conf/tracked, state: absent }'], { conf: { tracked: { link: 'a.txt' }, 'a.txt': 'hi\n' } });
    fs.symlinkSync('../r/conf', path.join(home, 'conf'));
    const before = snapshot(repo);
    const r = run(home, ['apply', manifest, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/reached through a folder link .*linkplan changes nothing through a folder link/);
    expect(r.stdout + r.stderr).toMatch(/unfold it: add "- \{ path: .*\/h\/conf, state: absent \}"/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('is a conflict where a new link would be written into the repository, and nothing changes', () => {
    const { repo, home, manifest } = setUp(['{ path: ~/conf/new, target: other/new }'], { conf: { 'a.txt': 'hi\n' }, other: { new: 'x' } });
    fs.symlinkSync('../r/conf', path.join(home, 'conf'));
    const before = snapshot(repo);
    const r = run(home, ['apply', manifest, '--yes']);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/a link made here would be written into .*\/r\/conf/);
    expect(snapshot(repo)).toEqual(before);
  });

  it('a Stow-folded home moved to a manifest that does not fold: every file in place, then unfolded on request', () => {
    const files: TreeSpec = {};
    const entries: string[] = [];
    for (const app of ['nvim', 'fish', 'git']) {
      const folder: TreeSpec = {};
      for (let i = 0; i < 12; i++) {
        folder[`f${i}.conf`] = `${app} ${i}\n`;
        entries.push(`{ path: ~/.config/${app}/f${i}.conf, target: config/${app}/f${i}.conf, onConflict: backup }`);
      }
      files[app] = folder;
    }
    const { repo, home, manifest } = setUp(entries, { config: files, untracked: { 'keep.txt': 'mine\n' } });
    fs.symlinkSync('../r/config', path.join(home, '.config'));
    const before = snapshot(repo);
    const first = run(home, ['apply', manifest, '--yes']);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/No changes/);
    expect(snapshot(repo)).toEqual(before);

    // unfolding: the folder link is declared absent; a real folder holds one link per file
    fs.appendFileSync(manifest, '  - { path: ~/.config, state: absent }\n');
    const second = run(home, ['apply', manifest, '--yes']);
    expect(second.code).toBe(0);
    expect(second.stdout).toMatch(/Applied: 36 to create, 0 to retarget, 1 to remove/);
    expect(fs.lstatSync(path.join(home, '.config')).isDirectory()).toBe(true);
    expect(fs.readlinkSync(path.join(home, '.config/fish/f3.conf'))).toBe(path.join(repo, 'config/fish/f3.conf'));
    expect(fs.readFileSync(path.join(home, '.config/fish/f3.conf'), 'utf8')).toBe('fish 3\n');
    expect({ ...snapshot(repo), 'layout.yaml': before['layout.yaml'] }).toEqual(before);
    expect(run(home, ['apply', manifest]).stdout).toMatch(/No changes/);
  });
});

describe('a path that is its own target', () => {
  it('is in place: a dotbot repository cloned at ~/.dotfiles that links itself there', () => {
    const root = tempDir();
    const home = path.join(root, 'h');
    const repo = path.join(home, '.dotfiles');
    writeTree(repo, { vimrc: 'set number\n', 'install.yaml': 'version: 1\nlinks:\n  - { path: ~/.dotfiles, target: . }\n  - { path: ~/.vimrc, target: vimrc }\n' });
    const manifest = path.join(repo, 'install.yaml');
    const r = run(home, ['apply', manifest]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Applied: 1 to create, 0 to retarget, 0 to remove, 1 unchanged/);
    expect(fs.readlinkSync(path.join(home, '.vimrc'))).toBe(path.join(repo, 'vimrc'));
    expect(fs.lstatSync(repo).isDirectory()).toBe(true);
    expect(run(home, ['apply', manifest]).stdout).toMatch(/No changes/);
  });
});
