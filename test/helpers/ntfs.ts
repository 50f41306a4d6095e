/**
 * A real NTFS volume for tests: a fresh 64 MiB image made with mkntfs, mounted with ntfs-3g
 * (started as a child process with `-o no_detach`), unmounted and waited for afterwards, and
 * remountable to prove that what was written is on the disk. The prerequisites (root, /dev/fuse,
 * ntfs-3g, mkntfs, getfattr) are checked once: without them the tests skip LOUDLY (a `SKIPPED:`
 * line on stderr), and on CI (CI set) or with LINKPLAN_REQUIRE_NTFS3G=1 they fail instead.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMountInfo } from '../../src/drivers/ntfs3g/mounts.js';

const SEARCH_PATH = [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];

/** The absolute path of an executable, searched on PATH and the sbin folders, or undefined. */
export function findTool(name: string): string | undefined {
  for (const dir of SEARCH_PATH) {
    if (dir === '') continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface Ntfs3gPrerequisites {
  ntfs3g: string | undefined;
  mkntfs: string | undefined;
  getfattr: string | undefined;
  umount: string | undefined;
  /** What is missing, in words; empty when the tests can run. */
  missing: string[];
}

function checkPrerequisites(): Ntfs3gPrerequisites {
  const ntfs3g = findTool('ntfs-3g');
  const mkntfs = findTool('mkntfs');
  const getfattr = findTool('getfattr');
  const umount = findTool('umount');
  const missing: string[] = [];
  if (process.platform !== 'linux') missing.push('Linux');
  if (process.getuid?.() !== 0) missing.push('root (to mount with FUSE)');
  if (!fs.existsSync('/dev/fuse')) missing.push('/dev/fuse');
  if (ntfs3g === undefined) missing.push('ntfs-3g (apt-get install ntfs-3g)');
  if (mkntfs === undefined) missing.push('mkntfs (apt-get install ntfs-3g)');
  if (getfattr === undefined) missing.push('getfattr (apt-get install attr)');
  if (umount === undefined) missing.push('umount');
  return { ntfs3g, mkntfs, getfattr, umount, missing };
}

export const prerequisites: Ntfs3gPrerequisites = checkPrerequisites();

/** True when the ntfs-3g tests cannot run here (and are skipped); CI can check this flag. */
export const ntfs3gUnavailable: boolean = prerequisites.missing.length > 0;

/** True where skipping is not acceptable: on CI, or when LINKPLAN_REQUIRE_NTFS3G=1. */
export const ntfs3gRequired: boolean =
  (process.env['CI'] !== undefined && process.env['CI'] !== '' && process.env['CI'] !== 'false' && process.env['CI'] !== '0') ||
  process.env['LINKPLAN_REQUIRE_NTFS3G'] === '1';

/**
 * Says whether to skip the ntfs-3g tests: prints `SKIPPED: ntfs-3g tests need ...` to stderr when
 * they cannot run, and throws instead where they are required (CI).
 */
export function skipNtfs3gTests(): boolean {
  if (!ntfs3gUnavailable) return false;
  const line = `SKIPPED: ntfs-3g tests need ${prerequisites.missing.join(', ')}`;
  if (ntfs3gRequired) throw new Error(`${line}; they are required here (CI or LINKPLAN_REQUIRE_NTFS3G=1), so this is a failure`);
  process.stderr.write(`\n${line}\n\n`);
  return true;
}

function tool(name: keyof Omit<Ntfs3gPrerequisites, 'missing'>): string {
  const p = prerequisites[name];
  if (p === undefined) throw new Error(`${name} is not installed`);
  return p;
}

function isMounted(mountPoint: string): boolean {
  return readMountInfo().some((m) => m.mountPoint === mountPoint);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A mounted NTFS image. */
export interface NtfsVolume {
  /** The image file. */
  readonly image: string;
  /** Where it is mounted (a real path, no links in it). */
  readonly mountPoint: string;
  /** The process id of the ntfs-3g serving the mount now (a remount starts a new one). */
  readonly pid: number | undefined;
  /** Unmounts, waits for ntfs-3g to exit, and mounts the same image again. */
  remount(): Promise<void>;
  /** Unmounts and waits for ntfs-3g to exit; removes the image and folders. Safe to call twice. */
  dispose(): Promise<void>;
}

class MountedImage implements NtfsVolume {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stderr = '';

  constructor(
    readonly dir: string,
    readonly image: string,
    readonly mountPoint: string,
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async mount(): Promise<void> {
    this.stderr = '';
    const child = spawn(tool('ntfs3g'), ['-o', 'no_detach', this.image, this.mountPoint], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    let gone = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        gone = true;
        resolve();
      });
      child.once('error', () => {
        gone = true;
        resolve();
      });
    });
    const deadline = Date.now() + 15_000;
    while (!isMounted(this.mountPoint)) {
      if (gone) throw new Error(`ntfs-3g exited before mounting ${this.image}: ${this.stderr.trim()}`);
      if (Date.now() > deadline) {
        child.kill();
        await this.exited;
        throw new Error(`ntfs-3g did not mount ${this.image} within 15 s: ${this.stderr.trim()}`);
      }
      await sleep(25);
    }
  }

  async unmount(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    if (isMounted(this.mountPoint)) {
      // a just-closed file can keep the volume busy for a moment
      for (let attempt = 0; ; attempt++) {
        try {
          execFileSync(tool('umount'), [this.mountPoint], { stdio: 'pipe' });
          break;
        } catch (e) {
          if (attempt >= 40) throw e;
          await sleep(50);
        }
      }
    }
    // ntfs-3g writes the volume out after the kernel lets go: wait for it before reusing the image
    const timeout = sleep(15_000).then(() => 'timeout' as const);
    if ((await Promise.race([this.exited.then(() => 'exited' as const), timeout])) === 'timeout') {
      child.kill();
      await this.exited;
      throw new Error(`ntfs-3g did not exit within 15 s after unmounting ${this.mountPoint}`);
    }
  }

  async remount(): Promise<void> {
    await this.unmount();
    await this.mount();
  }

  async dispose(): Promise<void> {
    try {
      await this.unmount();
    } finally {
      if (!isMounted(this.mountPoint)) fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** Makes a fresh NTFS image of `sizeMiB` (default 64) and mounts it with ntfs-3g. */
export async function mountFreshVolume(opts: { sizeMiB?: number; label?: string } = {}): Promise<NtfsVolume> {
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'linkplan-ntfs-')));
  const image = path.join(dir, 'volume.img');
  const mountPoint = path.join(dir, 'mnt');
  fs.mkdirSync(mountPoint);
  fs.writeFileSync(image, '');
  fs.truncateSync(image, (opts.sizeMiB ?? 64) * 1024 * 1024);
  execFileSync(tool('mkntfs'), ['-F', '-Q', '-L', opts.label ?? 'linkplan', image], { stdio: 'pipe' });
  const vol = new MountedImage(dir, image, mountPoint);
  try {
    await vol.mount();
  } catch (e) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return vol;
}

/**
 * The raw value of an extended attribute read by an independent tool: `getfattr -h -e hex`
 * (never following links). Undefined when the entry has no such attribute.
 */
export function getfattrHex(p: string, name: string): Buffer | undefined {
  let out: string;
  try {
    out = execFileSync(tool('getfattr'), ['-h', '-e', 'hex', '-n', name, '--', p], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const stderr = (e as { stderr?: unknown }).stderr;
    if (typeof stderr === 'string' && /No such attribute/.test(stderr)) return undefined;
    throw e;
  }
  const m = new RegExp(`^${name.replaceAll('.', '\\.')}=0x([0-9a-fA-F]*)$`, 'm').exec(out);
  if (m?.[1] === undefined) throw new Error(`getfattr printed no hex value for ${name} of ${p}:\n${out}`);
  return Buffer.from(m[1], 'hex');
}

/** The tree the NTFS tests put on a fresh volume: two JDKs to switch between, two files, a links folder. */
export const JDK_TREE = {
  tools: {
    'jdk-21': { bin: { java: 'java 21' }, release: 'JAVA_VERSION="21.0.2"' },
    'jdk-17': { bin: { java: 'java 17' }, release: 'JAVA_VERSION="17.0.9"' },
  },
  data: { 'file.txt': 'the file', 'other.txt': 'the other file' },
  links: {},
};
