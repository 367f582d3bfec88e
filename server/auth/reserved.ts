// Vane keeps its own replicated state (auth: roles, verification keys, revoked tokens, the enabled
// flag) in the store itself, under keys that start with U+10FFFF. That code point is a Unicode
// noncharacter and the greatest one, so every reserved key sorts after every other key: cutting a
// client's key selection off at RESERVED_KEYS_START hides them all, even from "every key" ranges.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { compareKeys, type KeySelector, NO_RANGE_END } from '../../core/store/index.ts';

/** The smallest reserved key; every key from here on is Vane's own. */
export const RESERVED_KEYS_START = '\u{10FFFF}';

/** Where the auth state lives inside the reserved keys. */
export const AUTH_PREFIX = `${RESERVED_KEYS_START}auth/`;

export function isReservedKey(key: string): boolean {
  return compareKeys(key, RESERVED_KEYS_START) >= 0;
}

function reservedError(key: string): VaneError {
  return vaneError(
    'permissionDenied',
    `keys starting with U+10FFFF are reserved for Vane's own state; '${printable(key)}' is one of them`,
    { reservedPrefix: 'U+10FFFF' },
  );
}

/**
 * A client's key selection with the reserved keys cut off: a range reaching into them ends where
 * they start (so "every key" means every client key); a single reserved key, or a range starting
 * among them, is refused.
 */
export function clipSelector<T extends KeySelector>(selector: T): T | VaneError {
  const { key, rangeEnd } = selector;
  if (isReservedKey(key)) return reservedError(key);
  if (rangeEnd === undefined || rangeEnd === '') return selector;
  if (rangeEnd === NO_RANGE_END || compareKeys(rangeEnd, RESERVED_KEYS_START) > 0) {
    return { ...selector, rangeEnd: RESERVED_KEYS_START };
  }
  return selector;
}

/** A key as text a message can show: the reserved marker spelled out, control characters escaped. */
export function printable(key: string): string {
  return JSON.stringify(key).slice(1, -1).replaceAll(RESERVED_KEYS_START, '<U+10FFFF>');
}
