/**
 * Which names Windows can use in a path, whatever driver writes them: NTFS itself stores names
 * with `:`, `*`, `\` or a trailing dot (ntfs-3g makes them from Linux), but a Windows path cannot
 * hold them, so a link whose target needs one could never be followed on Windows. Pure.
 */

/** Characters NTFS names may hold but Windows paths may not (`\` separates components). */
const WINDOWS_FORBIDDEN = /[<>:"|?*\\]/;
/** Control characters U+0000..U+001F, also refused by Windows in names. */
const hasControl = (s: string): boolean => [...s].some((c) => c.charCodeAt(0) < 0x20);

/** The first of `components` that Windows cannot use as a name (`a:b`, `x\\y`, `trailing.`), if any. */
export function unwindowsComponent(components: readonly string[]): string | undefined {
  return components.find((c) => WINDOWS_FORBIDDEN.test(c) || hasControl(c) || c.endsWith(' ') || (c.endsWith('.') && c !== '.' && c !== '..'));
}
