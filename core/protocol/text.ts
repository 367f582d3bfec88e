// Bytes as JSON text: UTF-8 when the bytes are text, base64 (RFC 4648, standard alphabet) otherwise.
// Both directions are exact: what decodes re-encodes to the same bytes.

export type ValueEncoding = 'utf8' | 'base64';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

/** UTF-8 of a well-formed string (check loneSurrogateIndex first: a lone surrogate would become U+FFFD). */
export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** The text the bytes encode, or undefined if they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8Decoder.decode(bytes);
  } catch {
    return undefined;
  }
  // The decoder drops a leading byte order mark; it is part of the value, so put it back.
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf
    ? `\ufeff${text}`
    : text;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTETS: readonly number[] = (() => {
  const table = new Array<number>(128).fill(-1);
  for (let i = 0; i < ALPHABET.length; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}${ALPHABET[(n >> 6) & 63]!}=`;
  }
  return out;
}

/** Bytes that `text` decodes to, computed without decoding (for checking limits first). */
export function base64DecodedLength(text: string): number {
  let length = text.length;
  while (length > 0 && text.charCodeAt(length - 1) === 0x3d) length--;
  return Math.floor((length * 3) / 4);
}

/**
 * Decodes padded base64; returns a description of the first problem instead when `text` is not
 * the exact encoding of some bytes (wrong characters, length or padding, non-zero unused bits).
 */
export function decodeBase64(text: string): Uint8Array | string {
  if (text.length % 4 !== 0) return `base64 length ${text.length} is not a multiple of 4`;
  let padding = 0;
  if (text.endsWith('==')) padding = 2;
  else if (text.endsWith('=')) padding = 1;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  const dataChars = text.length - padding;
  let written = 0;
  for (let i = 0; i < text.length; i += 4) {
    let n = 0;
    for (let j = 0; j < 4; j++) {
      const at = i + j;
      let sextet = 0;
      if (at < dataChars) {
        const code = text.charCodeAt(at);
        sextet = code < 128 ? SEXTETS[code]! : -1;
        if (sextet < 0) return `character ${JSON.stringify(text[at])} at index ${at} is not base64`;
      }
      n = (n << 6) | sextet;
    }
    for (let k = 0; k < 3 && written < out.length; k++) out[written++] = (n >> (16 - 8 * k)) & 0xff;
    if (i + 4 === text.length && padding > 0 && (n & (padding === 2 ? 0xffff : 0xff)) !== 0) {
      return 'base64 has non-zero bits in its padding (not a canonical encoding)';
    }
  }
  return out;
}
