// The pure planner on Windows, as tables on hand-built `Observed` values with platform win32 (and
// a few on an NTFS volume written through ntfs-3g, whose Windows paths count): the link type each
// privilege gives (decided at plan time from the capabilities the driver reported), the guards
// (boot folders, system folders, network targets of junctions, hard links across volumes or past
// NTFS's names per file) and `targetForm: volume-guid`. Nothing is read from a disk.
import { describe, expect, it } from 'vitest';
import type { Capabilities, Desired, Entry, Observed, Plan, TargetInfo, Volume } from '../src/core/types.js';
import { validatePlan } from '../src/generated/validators.js';
import { planJson } from '../src/views/plan-json.js';
import { renderPlan } from '../src/views/render.js';
import { planProblems } from '../src/views/saved-plan.js';
import { desired, P } from './helpers/desired.js';
import { dir, dirTarget, file, fileTarget, junction, observedOf } from './helpers/observed.js';
import { MANIFEST, ofKind, only, planPure } from './helpers/plan.js';

const ADMIN: Capabilities = { symlinks: true, junctions: true, hardlinks: true };
const USER: Capabilities = { symlinks: false, junctions: true, hardlinks: true, symlinkNote: 'Developer Mode is off' };
/** Where the volume holds no links at all, Developer Mode would not help: the hint says where a link can be made. */
const NO_LINKS_HERE = /^make the link on an NTFS volume: this filesystem holds no junctions or symbolic links, whatever the privilege/;

/** A FAT or exFAT volume: no reparse points, no hard links. */
const FAT: Capabilities = { symlinks: false, junctions: false, hardlinks: false, symlinkNote: 'the volume holds no reparse points' };
const GUID_C = '\\\\?\\Volume{6b29fc40-ca47-1067-b31d-00dd010662da}\\';
const DEV_MODE = /Developer Mode \(Settings > System > For developers\) or run linkplan elevated/;

/** C:\ (device 1) holds C:\w, C:\t (a folder) and C:\t\f.txt; D:\ (device 2) holds D:\f.txt and D:\dir. */
function win(o: { caps?: Capabilities; entries?: Record<string, Entry>; targets?: Record<string, TargetInfo>; backups?: Record<string, string>; volumeGuids?: Record<string, string> } = {}): Observed {
  return observedOf(
    { 'C:\\': dir(1), 'C:\\w': dir(1), 'C:\\t': dir(1), 'D:\\': dir(2), ...o.entries },
    {
      platform: 'win32',
      capabilities: o.caps ?? ADMIN,
      targets: { 'C:\\t': dirTarget(1), 'C:\\t\\f.txt': fileTarget('1:5', 1), 'D:\\f.txt': fileTarget('2:5', 2), 'D:\\dir': dirTarget(2), ...o.targets },
      ...(o.backups === undefined ? {} : { backupSlots: o.backups }),
      ...(o.volumeGuids === undefined ? {} : { volumeGuids: o.volumeGuids }),
    },
  );
}

const entry = (p: string, target: string | null, extra: Partial<Desired> = {}): Desired => desired(p, target, extra);
const planOf = (d: Desired, o: Observed): Plan => planPure([d], o);

describe('privilege: decided at plan time from what the driver reported for the path', () => {
  it.each([
    ['auto, a file, symlinks allowed', entry('C:\\w\\l', 'C:\\t\\f.txt'), ADMIN, 'create', 'symlink', /this user may create them/],
    ['auto, a file, no symlinks, same volume', entry('C:\\w\\l', 'C:\\t\\f.txt'), USER, 'create', 'hardlink', /a hard link, since this user may not create symbolic links/],
    ['auto, a folder, no symlinks', entry('C:\\w\\l', 'C:\\t'), USER, 'create', 'junction', /a junction, which needs no privilege/],
    ['auto, a folder on a network share, symlinks allowed', entry('C:\\w\\l', '\\\\srv\\share\\tools'), ADMIN, 'create', 'symlink', /a junction cannot lead to a network path/],
    ['junction, a folder, no symlinks', entry('C:\\w\\l', 'C:\\t', { type: 'junction' }), USER, 'create', 'junction', /junction requested/],
    ['hardlink, a file, no symlinks', entry('C:\\w\\l', 'C:\\t\\f.txt', { type: 'hardlink' }), USER, 'create', 'hardlink', /hardlink requested/],
  ] as const)('%s', (_name, d, caps, kind, type, why) => {
    const a = only(planOf(d, win({ caps, targets: { '\\\\srv\\share\\tools': dirTarget(9) } })));
    expect(a.kind).toBe(kind);
    const made = ofKind(a, 'create');
    expect(made.link.type).toBe(type);
    expect(made.reason).toMatch(why);
  });

  it('auto for a file without symlinks says a hard link splits when an app saves by replacing the file', () => {
    const a = ofKind(only(planOf(entry('C:\\w\\l', 'C:\\t\\f.txt'), win({ caps: USER }))), 'create');
    expect(a.notes).toEqual(['symbolic links are unavailable (Developer Mode is off); a hard link to a file splits if an app saves by replacing the file']);
  });

  it.each([
    [
      'auto, a file on another volume, no symlinks',
      entry('C:\\w\\l', 'D:\\f.txt'),
      USER,
      'symbolic links are unavailable here (Developer Mode is off), and a hard link cannot reach D:\\f.txt on another volume',
      DEV_MODE,
    ],
    ['explicit symlink without the privilege', entry('C:\\w\\l', 'C:\\t\\f.txt', { type: 'symlink' }), USER, 'cannot create symbolic links here: Developer Mode is off', DEV_MODE],
    [
      'auto, a folder on a network share, no symlinks',
      entry('C:\\w\\l', '\\\\srv\\share\\tools'),
      USER,
      'its target \\\\srv\\share\\tools is a network path, which a junction cannot lead to, and symbolic links are unavailable: Developer Mode is off',
      DEV_MODE,
    ],
    [
      'auto, a file on a FAT volume',
      entry('C:\\w\\l', 'C:\\t\\f.txt'),
      FAT,
      'cannot link to a file here: symbolic links are unavailable: the volume holds no reparse points, and this volume holds no hard links',
      NO_LINKS_HERE,
    ],
    [
      'auto, a folder on a FAT volume',
      entry('C:\\w\\l', 'C:\\t'),
      FAT,
      'cannot link to a folder here: this volume holds no junctions, and symbolic links are unavailable: the volume holds no reparse points',
      NO_LINKS_HERE,
    ],
    [
      'junction on a FAT volume',
      entry('C:\\w\\l', 'C:\\t', { type: 'junction' }),
      FAT,
      'cannot make a junction here: this volume holds none, and symbolic links are unavailable: the volume holds no reparse points',
      NO_LINKS_HERE,
    ],
    ['hardlink on a FAT volume', entry('C:\\w\\l', 'C:\\t\\f.txt', { type: 'hardlink' }), FAT, 'cannot create hard links here: this volume holds none', /type: symlink/],
  ] as const)('%s -> conflict', (_name, d, caps, reason, hint) => {
    const a = ofKind(only(planOf(d, win({ caps, targets: { '\\\\srv\\share\\tools': dirTarget(9) } }))), 'conflict');
    expect(a.reason).toBe(reason);
    expect(a.hint).toMatch(hint);
  });

  it('an explicit symlink without the privilege is a conflict whatever is at the path: nothing would be moved first', () => {
    const o = win({ caps: USER, entries: { 'C:\\w\\l': file({ fileId: '1:9' }) }, backups: { 'C:\\w\\l': 'C:\\w\\l.linkplan-backup' } });
    const a = ofKind(only(planOf(entry('C:\\w\\l', 'C:\\t\\f.txt', { type: 'symlink', onConflict: 'backup' }), o)), 'conflict');
    expect(a.reason).toBe('cannot create symbolic links here: Developer Mode is off');
    expect(a.after).toEqual(a.before);
  });
});

describe('guards: boot folders are never linked, moved aside or replaced', () => {
  it.each([
    ['C:\\Windows', 'the Windows folder C:\\Windows'],
    ['c:\\windows\\system32', 'the System32 folder c:\\windows\\system32'],
    ['C:\\Windows\\System32\\Config', 'the folder of the registry hives C:\\Windows\\System32\\Config'],
    ['C:\\Windows\\System32\\config\\SYSTEM', 'C:\\Windows\\System32\\config\\SYSTEM, in the folder of the registry hives'],
    ['C:\\hiberfil.sys', 'the hibernation file C:\\hiberfil.sys'],
    ['D:\\pagefile.sys', 'the paging file D:\\pagefile.sys'],
    ['C:\\swapfile.sys', 'the swap file C:\\swapfile.sys'],
    ['C:\\Windows.', 'the Windows folder C:\\Windows.'],
    ['C:\\Windows::$INDEX_ALLOCATION', 'the Windows folder C:\\Windows::$INDEX_ALLOCATION'],
    [`${GUID_C}Windows`, `the Windows folder ${GUID_C}Windows`],
    ['\\\\?\\C:\\Windows\\System32', 'the System32 folder \\\\?\\C:\\Windows\\System32'],
    ['C:\\', 'the root of the volume C:\\'],
  ])('%s, even with allowSystemPaths and onConflict: backup', (p, what) => {
    const o = win({ entries: { [p]: dir(1) }, backups: { [p]: `${p}.linkplan-backup` } });
    for (const allowSystemPaths of [false, true]) {
      const a = ofKind(only(planOf(entry(p, 'D:\\dir', { onConflict: 'backup', allowSystemPaths }), o)), 'conflict');
      expect(a.reason).toBe(`is ${what}, which linkplan never links, moves aside or replaces: ${p.endsWith('\\') ? 'it holds the whole volume, and the folders Windows starts from' : 'Windows reads it while it starts, before any link can be followed, and cannot start if it is redirected'}`);
      expect(a.hint).toBe('leave it out of the manifest; link a folder of your own instead');
    }
  });

  it('a state: absent entry there is refused too (removing a link there would leave no folder)', () => {
    const a = ofKind(only(planOf(entry('C:\\Windows\\System32', null, { state: 'absent' }), win({ entries: { 'C:\\Windows\\System32': junction('D:\\sys') } }))), 'conflict');
    expect(a.reason).toMatch(/^is the System32 folder/);
  });
});

describe('guards: system folders only where the entry allows it', () => {
  it.each([
    ['C:\\Users', 'the Users folder C:\\Users'],
    ['C:\\ProgramData', 'the ProgramData folder C:\\ProgramData'],
    ['C:\\Program Files', 'the Program Files folder C:\\Program Files'],
    ['c:\\program files (x86)', 'the Program Files (x86) folder c:\\program files (x86)'],
    ['C:\\PROGRA~1', 'C:\\PROGRA~1, the short name of a Program Files or ProgramData folder'],
  ])('%s: refused, moved aside with allowSystemPaths: true', (p, what) => {
    const o = win({ entries: { [p]: dir(1) }, backups: { [p]: `${p}.linkplan-backup` } });
    const refused = ofKind(only(planOf(entry(p, 'D:\\dir', { onConflict: 'backup' }), o)), 'conflict');
    expect(refused.reason).toBe(`is ${what}, which linkplan never links, moves aside or replaces: redirecting it breaks Windows updates, Store apps and servicing`);
    expect(refused.hint).toMatch(/set allowSystemPaths: true on this entry/);
    const allowed = ofKind(only(planOf(entry(p, 'D:\\dir', { onConflict: 'backup', allowSystemPaths: true }), o)), 'backup-and-link');
    expect(allowed.backupPath).toBe(`${p}.linkplan-backup`);
  });

  it.each(['C:\\Users\\me\\jdk', 'C:\\Program Files\\App', 'C:\\Windows2', 'C:\\tools\\Windows', 'D:\\data\\pagefile.sys', 'C:\\ProgramData\\scoop\\apps'])('%s is free to use', (p) => {
    expect(only(planOf(entry(p, 'D:\\dir'), win())).kind).toBe('create');
  });

  it('on an NTFS volume written through ntfs-3g, the path Windows reads is what counts', () => {
    const C: Volume = { mount: P('/mnt/c'), windows: 'C:\\' };
    const observed = (p: string): Observed =>
      observedOf(
        { '/mnt/c': dir(40), [p]: dir(40) },
        { capabilities: { symlinks: true, junctions: false, hardlinks: true }, pathCapabilities: { [p]: ADMIN }, volumes: [C], targets: { '/mnt/c/data': dirTarget(40) }, backupSlots: { [p]: `${p}.linkplan-backup` } },
      );
    const boot = ofKind(only(planPure([desired('/mnt/c/Windows', '/mnt/c/data', { onConflict: 'backup', allowSystemPaths: true })], observed('/mnt/c/Windows'))), 'conflict');
    expect(boot.reason).toMatch(/^is the Windows folder C:\\Windows, which linkplan never/);
    const users = ofKind(only(planPure([desired('/mnt/c/Users', '/mnt/c/data', { onConflict: 'backup' })], observed('/mnt/c/Users'))), 'conflict');
    expect(users.reason).toMatch(/^is the Users folder C:\\Users/);
    expect(only(planPure([desired('/mnt/c/Users', '/mnt/c/data', { onConflict: 'backup', allowSystemPaths: true })], observed('/mnt/c/Users'))).kind).toBe('backup-and-link');
    // elsewhere than Windows and NTFS volumes, a folder named Windows is nothing special
    expect(only(planPure([desired('/srv/Windows', '/srv/data')], observedOf({ '/srv': dir() }, { targets: { '/srv/data': dirTarget() } }))).kind).toBe('create');
  });
});

describe('guards: junctions, hard links', () => {
  it.each(['\\\\srv\\share\\tools', '\\\\?\\UNC\\srv\\share\\tools'])('a junction to the network path %s is refused', (t) => {
    const a = ofKind(only(planOf(entry('C:\\w\\l', t, { type: 'junction' }), win({ targets: { [t]: dirTarget(9) } }))), 'conflict');
    expect(a.reason).toBe(`a junction cannot lead to a network path, and the target ${t} is one: Windows follows junctions only to local volumes`);
    expect(a.hint).toMatch(/type: symlink/);
  });

  it('a junction to a file is refused', () => {
    const a = ofKind(only(planOf(entry('C:\\w\\l', 'C:\\t\\f.txt', { type: 'junction' }), win())), 'conflict');
    expect(a.reason).toBe('a junction can only point to a folder, and the target is a file');
  });

  it('a hard link across volumes is refused', () => {
    const a = ofKind(only(planOf(entry('C:\\w\\l', 'D:\\f.txt', { type: 'hardlink' }), win())), 'conflict');
    expect(a.reason).toBe('hard links cannot cross volumes, and D:\\f.txt is on another volume');
  });

  it.each([
    ['1023 names: one more fits', 1023, 'win32', 'create'],
    ['1024 names: refused', 1024, 'win32', 'conflict'],
    ['names not read by the driver: planned', undefined, 'win32', 'create'],
    ['1024 names off NTFS (linux)', 1024, 'linux', 'create'],
  ] as const)('a hard link to a file with %s', (_name, nlink, platform, kind) => {
    const t = platform === 'win32' ? 'C:\\t\\f.txt' : '/t/f.txt';
    const p = platform === 'win32' ? 'C:\\w\\h' : '/w/h';
    const o = observedOf(
      platform === 'win32' ? { 'C:\\w': dir(1) } : { '/w': dir(1) },
      { platform, capabilities: ADMIN, targets: { [t]: { kind: 'file', fileId: '1:5', dev: 1, ...(nlink === undefined ? {} : { nlink }) } } },
    );
    const a = only(planPure([desired(p, t, { type: 'hardlink' })], o));
    expect(a.kind).toBe(kind);
    if (a.kind === 'conflict') {
      expect(a.reason).toBe('C:\\t\\f.txt has 1024 names (hard links) already, and NTFS gives a file at most 1024');
      expect(a.hint).toBe('use type: symlink, or link a copy of the file');
    }
  });

  it('a hard link already in place is unchanged, however many names its file has', () => {
    const o = win({ entries: { 'C:\\w\\h': file({ fileId: '1:5', nlink: 1024 }) }, targets: { 'C:\\t\\f.txt': { kind: 'file', fileId: '1:5', dev: 1, nlink: 1024 } } });
    expect(only(planOf(entry('C:\\w\\h', 'C:\\t\\f.txt', { type: 'hardlink' }), o)).kind).toBe('noop');
  });

  it('auto without symlinks, to a file with 1024 names, says how to get symbolic links', () => {
    const o = win({ caps: USER, targets: { 'C:\\t\\f.txt': { kind: 'file', fileId: '1:5', dev: 1, nlink: 1024 } } });
    const a = ofKind(only(planOf(entry('C:\\w\\h', 'C:\\t\\f.txt'), o)), 'conflict');
    expect(a.hint).toMatch(DEV_MODE);
  });

  it('on an NTFS volume written through ntfs-3g, the same limit holds', () => {
    const D: Volume = { mount: P('/mnt/d'), windows: 'D:\\' };
    const o = observedOf(
      { '/mnt/d': dir(40) },
      { pathCapabilities: { '/mnt/d/h': ADMIN }, volumes: [D], targets: { '/mnt/d/f': { kind: 'file', fileId: '40:1', dev: 40, nlink: 1024 } } },
    );
    expect(ofKind(only(planPure([desired('/mnt/d/h', '/mnt/d/f', { type: 'hardlink' })], o)), 'conflict').reason).toMatch(/NTFS gives a file at most 1024/);
  });
});

describe('targetForm: volume-guid', () => {
  const jdk = (extra: Partial<Desired> = {}): Desired => entry('C:\\tools\\jdk', 'C:\\tools\\jdk-21', { targetForm: 'volume-guid', ...extra });
  const tools = (o: { entries?: Record<string, Entry>; guids?: boolean; caps?: Capabilities } = {}): Observed =>
    win({ entries: { 'C:\\tools': dir(1), ...o.entries }, targets: { 'C:\\tools\\jdk-21': dirTarget(1) }, ...(o.caps === undefined ? {} : { caps: o.caps }), ...(o.guids === false ? {} : { volumeGuids: { 'C:\\': GUID_C } }) });
  const GUID_TEXT = `${GUID_C}tools\\jdk-21`;

  it('writes the target by the volume GUID path observe read, and says so', () => {
    const plan = planOf(jdk(), tools());
    const a = ofKind(only(plan), 'create');
    expect(a.link).toEqual({ type: 'junction', target: 'C:\\tools\\jdk-21', linkText: GUID_TEXT, targetForm: 'volume-guid' });
    expect(a.after).toEqual({ kind: 'junction', linkText: GUID_TEXT });
    expect(a.notes).toEqual([`written as ${GUID_TEXT}, the volume GUID path of C:\\tools\\jdk-21: it keeps leading there if the drive letter of C:\\ changes`]);
    expect(renderPlan(plan, { base: 'C:\\', home: 'C:\\Users\\me', color: false })).toContain(`(junction, written as ${GUID_TEXT})`);
  });

  it('a saved plan keeps it, and its checks take the volume GUID text only for the same place', () => {
    const saved = JSON.parse(planJson(planPure([jdk()], tools(), { manifest: { path: 'C:\\tools\\layout.yaml', digest: MANIFEST.digest } }))) as Plan;
    expect(validatePlan(saved)).toBe(true);
    expect(planProblems(saved)).toEqual([]);
    const a = saved.actions[0] as Plan['actions'][number] & { link: { linkText: string } };
    a.link.linkText = `${GUID_C}tools\\jdk-17`;
    expect(planProblems(saved)).toContainEqual({ where: 'actions[0].link.linkText', message: `a junction to C:\\tools\\jdk-21 is written as that path, not ${GUID_C}tools\\jdk-17` });
  });

  it('a symbolic link is written the same way', () => {
    const a = ofKind(only(planOf(jdk({ type: 'symlink' }), tools())), 'create');
    expect(a.link.linkText).toBe(GUID_TEXT);
  });

  it('is unchanged once written, and retargets a link with the drive-letter text in place', () => {
    expect(only(planOf(jdk(), tools({ entries: { 'C:\\tools\\jdk': junction(GUID_TEXT.toUpperCase()) } }))).kind).toBe('noop');
    // a junction someone else made to the same place: a retarget, not a link in the way
    const a = ofKind(only(planOf(jdk(), tools({ entries: { 'C:\\tools\\jdk': junction('C:\\tools\\jdk-21') } }))), 'retarget');
    expect(a.link.linkText).toBe(GUID_TEXT);
  });

  it('state: absent with a target removes the junction written by the volume GUID path', () => {
    const a = only(planOf(entry('C:\\tools\\jdk', 'C:\\tools\\jdk-21', { state: 'absent' }), tools({ entries: { 'C:\\tools\\jdk': junction(GUID_TEXT) } })));
    expect(a.kind).toBe('remove');
  });

  it('is a conflict where the volume GUID path is not known (a network or subst drive)', () => {
    const a = ofKind(only(planOf(jdk(), tools({ guids: false }))), 'conflict');
    expect(a.reason).toBe('targetForm: volume-guid: the volume GUID path of C:\\ is not known (a network or subst drive has none)');
    expect(a.hint).toBe('use targetForm: path for this link');
  });

  it('is a conflict for a network target', () => {
    const a = ofKind(only(planOf(entry('C:\\w\\l', '\\\\srv\\share\\x', { type: 'symlink', targetForm: 'volume-guid' }), win({ targets: { '\\\\srv\\share\\x': dirTarget(9) } }))), 'conflict');
    expect(a.reason).toBe('targetForm: volume-guid: its target \\\\srv\\share\\x is a network path, which has no volume GUID path');
  });

  it.each([
    ['a hard link', entry('C:\\w\\h', 'C:\\t\\f.txt', { type: 'hardlink', targetForm: 'volume-guid' }), win(), 'targetForm: volume-guid is ignored: a hard link holds no target text'],
    ['relative text', entry('C:\\w\\l', 'C:\\t', { type: 'symlink', relative: true, targetForm: 'volume-guid' }), win(), 'targetForm: volume-guid is ignored: relative text names no volume'],
    [
      'linux',
      desired('/w/l', '/t', { targetForm: 'volume-guid' }),
      observedOf({ '/w': dir() }, { targets: { '/t': dirTarget() } }),
      'targetForm: volume-guid is ignored: volume GUID paths exist only on Windows and NTFS volumes, not on linux',
    ],
  ] as const)('is ignored, with a note, for %s', (_name, d, o, note) => {
    const a = ofKind(only(planOf(d, o)), 'create');
    expect(a.notes).toContain(note);
    expect(a.link.targetForm).toBeUndefined();
  });

  it('on ntfs-3g, needs the volume listed by its GUID path', () => {
    const byLetter: Volume = { mount: P('/mnt/d'), windows: 'D:\\' };
    const byGuid: Volume = { mount: P('/mnt/d'), windows: GUID_C };
    const o = (v: Volume): Observed => observedOf({ '/mnt/d': dir(40) }, { pathCapabilities: { '/mnt/d/l': ADMIN }, volumes: [v], targets: { '/mnt/d/t': dirTarget(40) } });
    const refused = ofKind(only(planPure([desired('/mnt/d/l', '/mnt/d/t', { targetForm: 'volume-guid' })], o(byLetter))), 'conflict');
    expect(refused.reason).toBe('targetForm: volume-guid: volumes: names the volume of its target (/mnt/d) by its drive letter D:\\, so its volume GUID path is not known');
    const made = ofKind(only(planPure([desired('/mnt/d/l', '/mnt/d/t', { targetForm: 'volume-guid' })], o(byGuid))), 'create');
    expect(made.notes).toEqual([`written for Windows as ${GUID_C}t`]);
  });

  it('a junction to another drive notes that a drive-letter change breaks it, unless written by volume GUID', () => {
    const a = ofKind(only(planOf(entry('C:\\w\\l', 'D:\\dir'), win())), 'create');
    expect(a.notes).toEqual(['its target is on another drive (D:\\); if that drive\'s letter changes, the link breaks: targetForm: volume-guid avoids that']);
    expect(ofKind(only(planOf(entry('C:\\w\\l', 'C:\\t'), win())), 'create').notes).toEqual([]);
  });
});
