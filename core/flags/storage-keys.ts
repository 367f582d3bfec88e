// Where flags and segments live in the store: one key per document, so that a flag changes with
// one put, a replica of the prefix sees every flag, and a txn can change a flag and a segment at once.

import { FLAG_LIMITS } from './limits.ts';

/** Flag and segment keys: ASCII letters, digits, '.', '_' and '-', starting with a letter or digit. */
export const DOCUMENT_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export function isDocumentKey(text: string): boolean {
  return text.length <= FLAG_LIMITS.maxKeyLength && DOCUMENT_KEY_PATTERN.test(text);
}

/** Flags live at `flags/<flagKey>`. */
export const FLAG_KEY_PREFIX = 'flags/';
/** Segments live at `segments/<segmentKey>`. */
export const SEGMENT_KEY_PREFIX = 'segments/';

/** The storage key of a flag. */
export function flagStorageKey(flagKey: string): string {
  return `${FLAG_KEY_PREFIX}${flagKey}`;
}

/** The storage key of a segment. */
export function segmentStorageKey(segmentKey: string): string {
  return `${SEGMENT_KEY_PREFIX}${segmentKey}`;
}

/** The flag key stored at `storageKey`; undefined when it is not under flags/ or names no valid key. */
export function flagKeyOf(storageKey: string): string | undefined {
  return documentKeyAfter(FLAG_KEY_PREFIX, storageKey);
}

/** The segment key stored at `storageKey`; undefined when it is not under segments/ or names no valid key. */
export function segmentKeyOf(storageKey: string): string | undefined {
  return documentKeyAfter(SEGMENT_KEY_PREFIX, storageKey);
}

function documentKeyAfter(prefix: string, storageKey: string): string | undefined {
  if (!storageKey.startsWith(prefix)) return undefined;
  const key = storageKey.slice(prefix.length);
  return isDocumentKey(key) ? key : undefined;
}
