/**
 * Which file an entry is, as one string: its device and inode, and its birth time where the
 * filesystem keeps one (an inode number freed and given to a new file then reads differently).
 * Made from a stat of the path (`fileIdentity` in state/files.ts) or of an open handle (the
 * drivers, checking that what they opened is still what was recorded).
 */
export function statIdentity(st: { dev: bigint; ino: bigint; birthtimeNs: bigint }): string {
  return st.birthtimeNs > 0n ? `${st.dev}:${st.ino}:${st.birthtimeNs}` : `${st.dev}:${st.ino}`;
}
