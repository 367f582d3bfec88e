// Keys are JS strings compared by their UTF-8 bytes (equivalently, by code point). These helpers
// measure and check them without encoding, so oversized input is refused before it is copied.

/** rangeEnd '\0' selects every key >= key (etcd's convention). */
export const ALL_KEYS_FROM = '\0';

const MAX_CODE_POINT = 0x10ffff;

/**
 * The smallest string greater (in UTF-8 byte order) than every key starting with `prefix`:
 * the prefix with its last code point incremented, after dropping trailing U+10FFFF. An empty
 * result means no such string exists, so the range is every key >= prefix ('\0').
 */
export function prefixEnd(prefix: string): string {
  const codePoints = Array.from(prefix, (c) => c.codePointAt(0)!);
  while (codePoints.length > 0) {
    const last = codePoints.pop()!;
    if (last < MAX_CODE_POINT) {
      // The surrogate range holds no code points; the next one after U+D7FF is U+E000.
      codePoints.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...codePoints);
    }
  }
  return ALL_KEYS_FROM;
}

/** Bytes of the UTF-8 encoding of a well-formed string (a lone surrogate counts as its 3-byte replacement). */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (
      unit >= 0xd800 &&
      unit <= 0xdbff &&
      i + 1 < text.length &&
      isLowSurrogate(text.charCodeAt(i + 1))
    ) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** The index of the first unpaired surrogate (text that has no UTF-8 encoding), or -1. */
export function loneSurrogateIndex(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xd800 || unit > 0xdfff) continue;
    if (unit <= 0xdbff && i + 1 < text.length && isLowSurrogate(text.charCodeAt(i + 1))) {
      i++;
      continue;
    }
    return i;
  }
  return -1;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
