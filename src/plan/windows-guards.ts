/**
 * What Windows refuses or breaks on, decided from paths alone (no I/O): the folders and files a
 * volume boots from, which no link may replace (`\Windows`, `\Windows\System32`, its `Config`
 * with the registry hives, the paging and hibernation files, the volume's root itself); the
 * system folders whose redirection breaks updates, Store apps and servicing (`\Users`,
 * `\ProgramData`, `\Program Files`, `\Program Files (x86)`), allowed only where an entry says so;
 * network paths, which no junction can lead to; how many names NTFS gives one file; and the
 * Developer Mode hint every refusal for want of the symbolic-link privilege ends with. The
 * planner asks these of Windows paths: a path on Windows, or the path Windows reads for a link on
 * an NTFS volume written through ntfs-3g.
 */

/** How to get the symbolic-link privilege on Windows. */
export const DEVELOPER_MODE_HINT = 'turn on Developer Mode (Settings > System > For developers) or run linkplan elevated (as administrator), then plan again';

/** NTFS holds at most this many names (hard links) for one file (CreateHardLinkW: ERROR_TOO_MANY_LINKS beyond). */
export const NTFS_MAX_NAMES = 1024;

/** What a protected path is, and why. */
export interface Protected {
  /** `boot`: refused always; `system`: refused unless the entry allows system paths. */
  level: 'boot' | 'system';
  /** The path in words: `the Windows folder C:\Windows`. */
  what: string;
  /** Why it must not be redirected. */
  why: string;
}

const DRIVE = /^(?:\\\\[?.]\\)?[A-Za-z]:(?:\\|$)/;
const VOLUME = /^\\\\[?.]\\Volume\{[0-9A-Fa-f-]{36}\}(?:\\|$)/;
const DEVICE_UNC = /^\\\\[?.]\\UNC\\[^\\]+\\[^\\]+(?:\\|$)/i;
const UNC = /^\\\\(?![?.]\\)[^\\]+\\[^\\]+(?:\\|$)/;

/** True for a network path: `\\server\share\...` or `\\?\UNC\server\share\...`. */
export function isNetworkPath(p: string): boolean {
  const s = p.replaceAll('/', '\\');
  return UNC.test(s) || DEVICE_UNC.test(s);
}

/**
 * The names below the volume root of Windows path `p`, lower-cased, as Win32 reads them (trailing
 * dots and spaces dropped, and a stream named after `:`, since `Windows::$INDEX_ALLOCATION` is the
 * folder itself); undefined when `p` names no volume.
 */
function namesBelowRoot(p: string): string[] | undefined {
  const s = p.replaceAll('/', '\\');
  const root = DRIVE.exec(s) ?? VOLUME.exec(s) ?? DEVICE_UNC.exec(s) ?? UNC.exec(s);
  if (root === null) return undefined;
  return s
    .slice(root[0].length)
    .split('\\')
    .map((n) => (n.split(':')[0] ?? '').replace(/[. ]+$/, '').toLowerCase())
    .filter((n) => n !== '');
}

const BOOT: ReadonlyMap<string, string> = new Map([
  ['windows', 'the Windows folder'],
  ['windows\\system32', 'the System32 folder'],
  ['windows\\system32\\config', 'the folder of the registry hives'],
  ['hiberfil.sys', 'the hibernation file'],
  ['pagefile.sys', 'the paging file'],
  ['swapfile.sys', 'the swap file'],
]);

const SYSTEM: ReadonlyMap<string, string> = new Map([
  ['users', 'the Users folder'],
  ['programdata', 'the ProgramData folder'],
  ['program files', 'the Program Files folder'],
  ['program files (x86)', 'the Program Files (x86) folder'],
]);

const BOOT_WHY = 'Windows reads it while it starts, before any link can be followed, and cannot start if it is redirected';
const SYSTEM_WHY = 'redirecting it breaks Windows updates, Store apps and servicing';

/** Whether Windows path `p` is one a link must not replace, and why; undefined when it is free to use. */
export function protectedPath(p: string): Protected | undefined {
  const names = namesBelowRoot(p);
  if (names === undefined) return undefined;
  if (names.length === 0) return { level: 'boot', what: `the root of the volume ${p}`, why: 'it holds the whole volume, and the folders Windows starts from' };
  const rel = names.join('\\');
  const boot = BOOT.get(rel);
  if (boot !== undefined) return { level: 'boot', what: `${boot} ${p}`, why: BOOT_WHY };
  if (rel.startsWith('windows\\system32\\config\\')) return { level: 'boot', what: `${p}, in the folder of the registry hives`, why: BOOT_WHY };
  const system = SYSTEM.get(rel);
  if (system !== undefined) return { level: 'system', what: `${system} ${p}`, why: SYSTEM_WHY };
  // a short (8.3) name of Program Files, Program Files (x86) or ProgramData: no name read from a path tells which
  if (names.length === 1 && /^progra~\d+$/.test(rel)) return { level: 'system', what: `${p}, the short name of a Program Files or ProgramData folder`, why: SYSTEM_WHY };
  return undefined;
}
