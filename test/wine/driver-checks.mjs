// Run by the Windows build of Node under Wine (test/windows-wine.test.ts): loads linkplan's built
// library, takes the Windows driver createDriverFor() gives on Windows, and drives it through
// Win32 in a work folder. Every check's outcome (a value, or the error it threw) is written to a
// JSON file, which the test compares with what Windows' rules and Wine's known gaps say; nothing
// is judged here. Arguments: the built index.js (a file: URL), the work folder and the JSON file
// (Windows paths), a folder on another filesystem or '-' (for the hard link across volumes), and
// a Windows name for the Linux /bin/sh (a process that ignores Windows' sharing rules, to swap a
// folder the driver has pinned).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const [indexUrl, work, outFile, otherFs, linuxSh] = process.argv.slice(2);
/** The Linux path of a Windows path on Z:. */
const linux = (p) => p.replace(/^Z:/i, '').replaceAll('\\', '/');
/**
 * Runs `script` in a Linux shell (Wine starts it, but cannot wait for it: it is waited for by a
 * file it makes last); true when it finished.
 */
async function inLinux(script) {
  const done = `${work}\\..\\linux-done-${Date.now()}`;
  spawn(linuxSh, ['-c', `${script} && touch '${linux(done)}'`], { stdio: 'ignore', detached: true }).unref();
  for (let i = 0; i < 200 && !fs.existsSync(done); i++) await sleep(50);
  return fs.existsSync(done);
}
const out = {};
/** Records what `fn` returns, or the error it throws (message, code, hint). */
function record(name, fn) {
  try {
    out[name] = { value: fn() ?? null };
  } catch (e) {
    out[name] = { error: { name: e?.name, message: String(e?.message ?? e), code: e?.code, hint: e?.hint } };
  }
}

try {
  const lib = await import(indexUrl);
  const win = await lib.windowsDriver();
  const d = await lib.createDriverFor();
  const at = (rel) => `${work}\\${rel}`;
  const hard = (target) => ({ type: 'hardlink', target, linkText: target });
  out.platform = { value: process.platform };
  record('missing', () => win.missingFunctions());
  record('layouts', () => win.structLayouts());
  record('driverName', () => d.name);

  fs.writeFileSync(at('file.txt'), 'data');
  fs.mkdirSync(at('folder'));
  record('observeFile', () => d.observe(at('file.txt')));
  record('observeFileUpper', () => d.observe(at('FILE.TXT')));
  record('observeDir', () => d.observe(at('folder')));
  record('observeAbsent', () => d.observe(at('nothing')));
  record('observeBelowAbsent', () => d.observe(at('nothing\\below')));
  record('volume', () => d.volumeOf(at('file.txt')));
  record('volumeC', () => d.volumeOf('C:\\windows'));
  record('targetOfFile', () => d.observeTarget(at('file.txt')));

  record('hardCreate', () => d.createLink(at('hard.txt'), hard(at('file.txt'))));
  record('hardObserve', () => d.observe(at('hard.txt')));
  record('hardAgain', () => d.createLink(at('hard.txt'), hard(at('file.txt'))));
  record('hardToFolder', () => d.createLink(at('hard-dir'), hard(at('folder'))));
  record('listDir', () => d.listDir(work));
  // (a file with another name is a hard link either way: the plain-file check comes after)
  record('hardRemove', () => d.removeLink(at('hard.txt')));
  record('afterHardRemove', () => d.observe(at('file.txt')));
  record('removePlainFile', () => d.removeLink(at('file.txt')));
  record('removeFolder', () => d.removeLink(at('folder')));
  // retargeting a hard link: the new one under a temporary name, renamed over the old
  fs.mkdirSync(at('switch'));
  fs.writeFileSync(at('switch\\one.txt'), '1');
  fs.writeFileSync(at('switch\\two.txt'), '2');
  d.createLink(at('switch\\current.txt'), hard(at('switch\\one.txt')));
  record('hardRetarget', () => d.replaceLink(at('switch\\current.txt'), hard(at('switch\\two.txt'))));
  record('afterRetarget', () => ['current', 'one', 'two'].map((n) => d.observe(at(`switch\\${n}.txt`))));
  record('afterRetargetList', () => d.listDir(at('switch')).map((e) => e.name));
  // a hard link to become a junction: renamed aside, and back when the junction cannot be made
  fs.mkdirSync(at('switch\\dir'));
  record('hardToJunction', () => d.replaceLink(at('switch\\current.txt'), { type: 'junction', target: at('switch\\dir'), linkText: at('switch\\dir') }));
  record('afterHardToJunction', () => [d.observe(at('switch\\current.txt')), d.listDir(at('switch')).map((e) => e.name)]);
  record('retargetPlainFile', () => d.replaceLink(at('switch\\one.txt'), hard(at('switch\\two.txt'))));
  if (otherFs !== '-') {
    fs.writeFileSync(`${otherFs}\\other.txt`, 'elsewhere');
    record('hardAcrossVolumes', () => d.createLink(at('across.txt'), hard(`${otherFs}\\other.txt`)));
    record('afterAcross', () => d.observe(at('across.txt')));
  }

  // a path longer than MAX_PATH: folders made one by one, then a hard link at the bottom
  let deep = work;
  for (let i = 0; deep.length < 300; i++) {
    deep += `\\${'d'.repeat(40)}${i}`;
    d.mkdir(deep);
  }
  record('longPathLength', () => `${deep}\\long.txt`.length);
  record('longHard', () => d.createLink(`${deep}\\long.txt`, hard(at('file.txt'))));
  record('longObserve', () => d.observe(`${deep}\\long.txt`));

  record('junctionCreate', () => d.createLink(at('junction'), { type: 'junction', target: at('folder'), linkText: at('folder') }));
  record('afterJunction', () => d.observe(at('junction')));
  record('symlinkCreate', () => d.createLink(at('symlink.txt'), { type: 'symlink', target: at('file.txt'), linkText: at('file.txt') }));
  record('afterSymlink', () => d.observe(at('symlink.txt')));
  record('capabilities', () => d.capabilities(work));
  record('capabilitiesBelowAbsent', () => d.capabilities(at('no\\such\\folder\\link')));

  record('mkdirMissingParent', () => d.mkdir(at('no\\such\\parent')));
  record('moveOntoExisting', () => d.move(at('file.txt'), at('folder')));
  record('moveFolder', () => d.move(at('folder'), at('moved')));
  record('folderId', () => d.folderId(at('moved')));
  record('rmdirMoved', () => d.rmdir(at('moved')));
  fs.mkdirSync(at('tree\\sub'), { recursive: true });
  fs.writeFileSync(at('tree\\sub\\a.txt'), 'a');
  // read-only, as git's objects are (Node sets FILE_ATTRIBUTE_READONLY)
  fs.writeFileSync(at('tree\\sub\\read-only.txt'), 'r');
  fs.chmodSync(at('tree\\sub\\read-only.txt'), 0o444);
  d.createLink(at('tree\\b.txt'), hard(at('file.txt')));
  record('removeTree', () => d.removeTree(at('tree')));
  record('afterTree', () => d.observe(at('tree')));
  record('afterTreeFile', () => d.observe(at('file.txt')));

  // an apply's folders: each checked against the plan's identity, then pinned until released
  fs.mkdirSync(at('pinned'));
  const pinnedId = d.folderId(at('pinned'));
  record('expectWrongFolder', () => d.expectFolders([{ path: at('pinned'), fileId: '1:1' }]));
  record('writeAfterRefusal', () => d.mkdir(at('pinned\\after-refusal')));
  record('expectFolders', () => d.expectFolders([{ path: at('pinned'), fileId: pinnedId }]));
  record('writeInPinned', () => d.createLink(at('pinned\\h.txt'), hard(at('file.txt'))));
  record('rmdirInApply', () => {
    d.mkdir(at('pinned\\made'));
    d.createLink(at('pinned\\made\\h.txt'), hard(at('file.txt')));
    d.removeLink(at('pinned\\made\\h.txt'));
    d.rmdir(at('pinned\\made'));
  });
  record('releaseFolders', () => d.releaseFolders());
  record('renameReleased', () => fs.renameSync(at('pinned'), at('pinned-elsewhere')));
  record('writeInMovedFolder', () => {
    d.expectFolders([{ path: at('pinned'), fileId: pinnedId }]);
    try {
      fs.mkdirSync(at('pinned'));
      return d.mkdir(at('pinned\\x'));
    } finally {
      d.releaseFolders();
    }
  });

  // the pin holds against a Windows process: a folder of the apply cannot be renamed until it ends
  fs.mkdirSync(at('held'));
  d.expectFolders([{ path: at('held'), fileId: d.folderId(at('held')) }]);
  record('renamePinned', () => fs.renameSync(at('held'), at('held-elsewhere')));
  d.releaseFolders();

  // a process that ignores Windows' sharing rules swaps a pinned folder for a link to another
  // folder: a folder made in it still lands in the folder that was checked, never in the decoy
  fs.mkdirSync(at('swap'));
  fs.mkdirSync(at('decoy'));
  fs.writeFileSync(at('swap\\one.txt'), '1');
  d.createLink(at('swap\\gone.txt'), hard(at('file.txt')));
  d.createLink(at('decoy\\gone.txt'), hard(at('file.txt')));
  d.expectFolders([{ path: at('swap'), fileId: d.folderId(at('swap')) }]);
  out.swapped = { value: await inLinux(`mv '${linux(at('swap'))}' '${linux(at('swap-original'))}' && ln -s decoy '${linux(at('swap'))}'`) };
  record('swapMkdir', () => d.mkdir(at('swap\\made')));
  d.releaseFolders();
  // a file another Windows process holds open with no sharing: removing it fails, and the
  // Restart Manager is asked who holds it (the holder, or "cannot tell": null)
  fs.writeFileSync(at('held-file.txt'), 'held');
  d.createLink(at('held-link.txt'), hard(at('held-file.txt')));
  const [ready, stop] = [at('..\\hold-ready'), at('..\\hold-stop')];
  const holdOpen = fileURLToPath(new URL('./hold-open.mjs', import.meta.url));
  const child = spawn(process.execPath, [holdOpen, indexUrl, at('held-link.txt'), ready, stop], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  for (let i = 0; i < 200 && !fs.existsSync(ready); i++) await sleep(50);
  out.holder = { value: { pid: child.pid, handle: fs.existsSync(ready) ? fs.readFileSync(ready, 'utf8') : 'not ready' } };
  record('holdersOf', () => {
    const started = Date.now();
    return { holders: win.holdersOf([at('held-link.txt')]) ?? null, ms: Date.now() - started };
  });
  record('removeHeld', () => d.removeLink(at('held-link.txt')));
  record('afterRemoveHeld', () => d.observe(at('held-link.txt')));
  fs.writeFileSync(stop, '');
  await Promise.race([exited, sleep(10_000)]);
  record('removeLetGo', () => d.removeLink(at('held-link.txt')));
  const { copyChecks } = await import('./copy-checks.mjs');
  copyChecks({ d, work, record, out, indexUrl });
  record('errorWords', () => Object.fromEntries([1314, 4390, 17, 1142, 5, 32, 33, 145, 183, 50].map((c) => [c, win.win32ErrorInfo(c)])));
} catch (e) {
  out.fatal = { error: { message: String(e?.stack ?? e) } };
}
fs.writeFileSync(outFile, JSON.stringify(out, null, 1));
