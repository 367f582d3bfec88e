// Keys are JS strings compared by their UTF-8 bytes (equivalently, by code point). These helpers
// measure and check them without encoding, so oversized input is refused before it is copied.

export { NO_RANGE_END as ALL_KEYS_FROM, prefixEnd, prefixRange } from '../store/keys.ts';

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

/** ES2024's String.prototype.isWellFormed, native where the runtime has it (a scan in C++, not JS). */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: () => boolean }).isWellFormed;

/** The index of the first unpaired surrogate (text that has no UTF-8 encoding), or -1. */
export function loneSurrogateIndex(text: string): number {
  if (nativeIsWellFormed?.call(text)) return -1;
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
