// Key order and key ranges. Keys are UTF-8 strings and are ordered by their UTF-8 bytes, as in etcd.
// JS compares strings by UTF-16 code units, which differs from UTF-8 byte order exactly when a
// character in U+E000..U+FFFF meets a surrogate pair (U+10000 and above): UTF-16 puts the pair first,
// UTF-8 puts it last. UTF-8 byte order equals code point order, so that is what we compare.

/** The rangeEnd that means "every key from `key` on", as in etcd. */
export const NO_RANGE_END = '\0';

const HIGH_CODE_UNITS = /[\uD800-\uFFFF]/;
const SURROGATES = /[\uD800-\uDFFF]/;

/**
 * A string whose UTF-16 code unit order equals the code point order of `key`, so that native string
 * comparison (fast) can be used in the key index. Keys without a code unit >= U+D800 (nearly all)
 * map to themselves. Surrogates move above U+E000..U+FFFF, which move down to make room.
 */
export function sortKey(key: string): string {
  if (!HIGH_CODE_UNITS.test(key)) return key;
  let out = '';
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    out += String.fromCharCode(c < 0xd800 ? c : c < 0xe000 ? c + 0x2000 : c - 0x800);
  }
  return out;
}

/** -1, 0 or 1 as `a` sorts before, equal to or after `b` in UTF-8 byte order. */
export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x < 0xe000 ? x + 0x2000 : x - 0x800;
      y = y < 0xe000 ? y + 0x2000 : y - 0x800;
    }
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : 1;
}

/** The length of `key` in UTF-8 bytes (keys are well-formed, see isWellFormedKey). */
export function utf8Length(key: string): number {
  let bytes = key.length;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c < 0xdc00) {
      bytes += 2; // a pair: 2 code units, 4 bytes
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** False when the string holds a lone surrogate, which has no UTF-8 encoding. */
export function isWellFormedKey(key: string): boolean {
  if (!SURROGATES.test(key)) return true;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    if (c > 0xdbff) return false;
    const next = key.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/**
 * The smallest key greater than every key that starts with `prefix` (etcd's GetPrefixRangeEnd, in
 * code points): the prefix with its last code point incremented, after dropping trailing U+10FFFF.
 * NO_RANGE_END when there is none, meaning "no upper bound".
 */
export function prefixEnd(prefix: string): string {
  const codePoints = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!;
    if (last < 0x10ffff) {
      codePoints.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...codePoints);
    }
  }
  return NO_RANGE_END;
}

/** Every key starting with `prefix`; the empty prefix selects every key ('\0' to '\0', as in etcd). */
export function prefixRange(prefix: string): { key: string; rangeEnd: string } {
  return prefix === ''
    ? { key: NO_RANGE_END, rangeEnd: NO_RANGE_END }
    : { key: prefix, rangeEnd: prefixEnd(prefix) };
}

/**
 * A key selection as a half-open interval of sort keys: [low, high), high undefined = unbounded.
 * `single` marks a one-key selection (rangeEnd absent or empty).
 */
export interface SortKeyRange {
  /** The selector's key as given (for single-key lookups). */
  readonly key: string;
  readonly low: string;
  readonly high: string | undefined;
  readonly single: boolean;
}

export function selectorRange(key: string, rangeEnd: string | undefined): SortKeyRange {
  if (rangeEnd === undefined || rangeEnd === '')
    return { key, low: sortKey(key), high: undefined, single: true };
  return {
    key,
    low: sortKey(key),
    high: rangeEnd === NO_RANGE_END ? undefined : sortKey(rangeEnd),
    single: false,
  };
}

/** Whether the sort key `k` lies in `range` (for a single-key range, equals its key). */
export function inRange(range: SortKeyRange, k: string): boolean {
  if (range.single) return k === range.low;
  return k >= range.low && (range.high === undefined || k < range.high);
}
