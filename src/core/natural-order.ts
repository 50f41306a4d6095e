/**
 * The order versions are listed in: runs of digits compare as the numbers they are (8 before 11,
 * 007 beside 7, numbers of any length), everything else character by character by its code. Done
 * by hand, not with `localeCompare(…, { numeric: true })`: the first use of a collator loads ICU's
 * collation data, about 60M instructions (some 35 ms) at every start of a manifest with a switch,
 * and a locale's rules would order names by more than their characters say.
 */

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** The end of the run of digits that starts at `i`. */
function digitsEnd(s: string, i: number): number {
  let e = i;
  while (e < s.length && isDigit(s.charCodeAt(e))) e++;
  return e;
}

/** Where the run of digits `[i, end)` starts once its leading zeros are left out (one zero stays). */
function withoutZeros(s: string, i: number, end: number): number {
  let k = i;
  while (k < end - 1 && s.charCodeAt(k) === 48) k++;
  return k;
}

/** Negative, zero or positive as `a` comes before, with or after `b`; equal only when the two are the same string. */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(j);
    if (!isDigit(ca) || !isDigit(cb)) {
      if (ca !== cb) return ca - cb;
      i++;
      j++;
      continue;
    }
    const [ae, be] = [digitsEnd(a, i), digitsEnd(b, j)];
    const [as, bs] = [withoutZeros(a, i, ae), withoutZeros(b, j, be)];
    // the longer number (without its leading zeros) is the larger; of two as long, the first digit that differs decides
    if (ae - as !== be - bs) return ae - as - (be - bs);
    for (let k = 0; k < ae - as; k++) {
      const d = a.charCodeAt(as + k) - b.charCodeAt(bs + k);
      if (d !== 0) return d;
    }
    i = ae;
    j = be;
  }
  if (a.length - i !== b.length - j) return a.length - i - (b.length - j);
  // the same but for leading zeros (7 and 007): still one order, by the characters
  return a < b ? -1 : a > b ? 1 : 0;
}
