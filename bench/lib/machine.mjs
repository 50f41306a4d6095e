/**
 * Facts about the machine a benchmark ran on: CPU, cores, memory, kernel, Node and Stow
 * versions, the filesystem of the work folder (type, device, mount options), load, and which
 * linkplan was measured (commit and whether src/ had uncommitted edits; read-only git calls).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The /proc/mounts line of the mount that holds `dir`. */
function mountOf(dir) {
  try {
    const real = fs.realpathSync(dir);
    let best;
    for (const line of fs.readFileSync('/proc/mounts', 'utf8').split('\n')) {
      const [dev, mnt, type, opts] = line.split(' ');
      if (mnt === undefined) continue;
      if ((real === mnt || real.startsWith(mnt.endsWith('/') ? mnt : mnt + '/')) && (best === undefined || mnt.length > best.mnt.length)) {
        best = { dev, mnt, type, opts };
      }
    }
    return best;
  } catch {
    return undefined;
  }
}

export function machineFacts({ workDir, repoRoot, stowPath }) {
  const cpus = os.cpus();
  const df = sh('df', ['-T', workDir])?.split('\n')[1]?.split(/\s+/);
  const mount = mountOf(workDir);
  return {
    date: new Date().toISOString(),
    hostname: os.hostname(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    stow: stowPath === undefined ? null : (sh(stowPath, ['--version'])?.split('\n')[0] ?? null),
    workDir,
    filesystem: {
      type: sh('stat', ['-f', '-c', '%T', workDir]) ?? df?.[1] ?? 'unknown',
      dfType: df?.[1] ?? null,
      device: df?.[0] ?? null,
      mountPoint: mount?.mnt ?? null,
      mountOptions: mount?.opts ?? null,
    },
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    linkplan: {
      commit: sh('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']) ?? null,
      uncommittedFilesInSrc: (sh('git', ['-C', repoRoot, 'status', '--porcelain', '--', 'src', 'schema', 'scripts']) ?? '').split('\n').filter(Boolean).length,
    },
  };
}

export function machineLine(m) {
  const fsType = m.filesystem.type === 'ext2/ext3' ? m.filesystem.dfType ?? 'ext4' : m.filesystem.type;
  return (
    `${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB; ${m.kernel}; Node ${m.node}; ${m.stow ?? 'no Stow'}; ` +
    `work folder ${m.workDir} on ${fsType} (${m.filesystem.device ?? '?'}, ${m.filesystem.mountOptions ?? '?'}); ` +
    `load average at start ${m.loadAverage.join(' ')}; ${m.date}`
  );
}
