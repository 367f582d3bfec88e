// Checks on request fields that the store relies on. core/protocol refuses malformed input at the
// boundary; these checks make the store safe on its own (a bad command changes nothing) and name the
// limit that was hit.

import { type VaneError, vaneError } from '../errors.ts';
import { formatBytes, type Limits } from '../limits.ts';
import { isWellFormedKey, NO_RANGE_END, utf8Length } from './keys.ts';
import type { Compare, DeleteRangeRequest, PutRequest, RangeRequest, WatchRequest } from './types.ts';

export function checkKey(key: unknown, limits: Limits, field = 'key'): VaneError | undefined {
  if (typeof key !== 'string') return vaneError('invalidRequest', `${field} must be a string`);
  if (key.length === 0) return vaneError('invalidRequest', `${field} must not be empty`);
  return checkKeyText(key, limits, field);
}

/** rangeEnd: absent or empty (a single key), NO_RANGE_END (no upper bound), or a key. */
export function checkRangeEnd(rangeEnd: unknown, limits: Limits): VaneError | undefined {
  if (rangeEnd === undefined || rangeEnd === '' || rangeEnd === NO_RANGE_END) return undefined;
  if (typeof rangeEnd !== 'string') return vaneError('invalidRequest', 'rangeEnd must be a string');
  return checkKeyText(rangeEnd, limits, 'rangeEnd');
}

function checkKeyText(key: string, limits: Limits, field: string): VaneError | undefined {
  if (key.length > limits.maxKeyBytes / 3) {
    const bytes = utf8Length(key);
    if (bytes > limits.maxKeyBytes) {
      return vaneError(
        'keyTooLarge',
        `${field} is ${formatBytes(bytes)}, over the ${formatBytes(limits.maxKeyBytes)} key limit`,
        { limit: limits.maxKeyBytes, actual: bytes },
      );
    }
  }
  if (!isWellFormedKey(key)) {
    return vaneError('invalidRequest', `${field} holds a lone UTF-16 surrogate, which is not valid UTF-8`);
  }
  return undefined;
}

export function checkValue(value: unknown, limits: Limits): VaneError | undefined {
  if (!(value instanceof Uint8Array)) return vaneError('invalidRequest', 'value must be bytes (Uint8Array)');
  if (value.length > limits.maxValueBytes) {
    return vaneError(
      'valueTooLarge',
      `value is ${formatBytes(value.length)}, over the ${formatBytes(limits.maxValueBytes)} value limit`,
      { limit: limits.maxValueBytes, actual: value.length },
    );
  }
  return undefined;
}

/** An optional non-negative integer field (absent counts as 0). */

export function checkCount(value: unknown, field: string): VaneError | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    return vaneError('invalidRequest', `${field} must be a non-negative integer, got ${String(value)}`);
  }
  return undefined;
}

/** A required non-negative integer field. */
export function checkRequiredCount(value: unknown, field: string): VaneError | undefined {
  if (value === undefined) return vaneError('invalidRequest', `${field} is required`);
  return checkCount(value, field);
}

export function checkFlag(value: unknown, field: string): VaneError | undefined {
  if (value === undefined || typeof value === 'boolean') return undefined;
  return vaneError('invalidRequest', `${field} must be a boolean`);
}

/** A committed command reaches every member: malformed input must be refused, never throw. */
export function checkObject(value: unknown, what: string): VaneError | undefined {
  if (typeof value === 'object' && value !== null) return undefined;
  return vaneError('invalidRequest', `${what} must be an object`);
}

export function checkRangeRequest(req: RangeRequest, limits: Limits): VaneError | undefined {
  return (
    checkObject(req, 'a range request') ??
    checkKey(req.key, limits) ??
    checkRangeEnd(req.rangeEnd, limits) ??
    checkCount(req.revision, 'revision') ??
    checkCount(req.limit, 'limit') ??
    checkFlag(req.countOnly, 'countOnly') ??
    checkFlag(req.keysOnly, 'keysOnly')
  );
}

export function checkPutRequest(req: PutRequest, limits: Limits): VaneError | undefined {
  const shape =
    checkObject(req, 'a put request') ??
    checkKey(req.key, limits) ??
    checkValue(req.value, limits) ??
    checkCount(req.lease, 'lease') ??
    checkFlag(req.prevKv, 'prevKv') ??
    checkFlag(req.ignoreValue, 'ignoreValue') ??
    checkFlag(req.ignoreLease, 'ignoreLease');
  if (shape !== undefined) return shape;
  if (req.ignoreValue === true && req.value.length > 0) {
    return vaneError('invalidRequest', 'a put with ignoreValue must not carry a value');
  }
  if (req.ignoreLease === true && (req.lease ?? 0) !== 0) {
    return vaneError('invalidRequest', 'a put with ignoreLease must not name a lease');
  }
  return undefined;
}

export function checkDeleteRangeRequest(req: DeleteRangeRequest, limits: Limits): VaneError | undefined {
  return (
    checkObject(req, 'a deleteRange request') ??
    checkKey(req.key, limits) ??
    checkRangeEnd(req.rangeEnd, limits) ??
    checkFlag(req.prevKv, 'prevKv')
  );
}

export function checkCompare(compare: Compare, limits: Limits): VaneError | undefined {
  const keys =
    checkObject(compare, 'a compare') ??
    checkKey(compare.key, limits) ??
    checkRangeEnd(compare.rangeEnd, limits);
  if (keys !== undefined) return keys;
  const { target, result } = compare;
  if (
    target !== 'value' &&
    target !== 'version' &&
    target !== 'createRevision' &&
    target !== 'modRevision' &&
    target !== 'lease'
  ) {
    return vaneError(
      'invalidRequest',
      'compare target must be one of value, version, createRevision, modRevision, lease',
    );
  }
  if (result !== 'equal' && result !== 'notEqual' && result !== 'less' && result !== 'greater') {
    return vaneError('invalidRequest', 'compare result must be one of equal, notEqual, less, greater');
  }
  if (compare.target === 'value') return checkValue(compare.value, limits);
  if (typeof compare.value !== 'number' || !Number.isSafeInteger(compare.value)) {
    return vaneError('invalidRequest', `compare on ${compare.target} needs an integer value`);
  }
  return undefined;
}

export function checkWatchRequest(req: WatchRequest, limits: Limits): VaneError | undefined {
  const shape =
    checkObject(req, 'a watch request') ??
    checkKey(req.key, limits) ??
    checkRangeEnd(req.rangeEnd, limits) ??
    checkCount(req.startRevision, 'startRevision') ??
    checkFlag(req.prevKv, 'prevKv') ??
    checkFlag(req.progressNotify, 'progressNotify');
  if (shape !== undefined) return shape;
  if (req.filters !== undefined) {
    if (!Array.isArray(req.filters)) return vaneError('invalidRequest', 'filters must be an array');
    for (const filter of req.filters) {
      if (filter !== 'noPut' && filter !== 'noDelete') {
        return vaneError('invalidRequest', `unknown watch filter '${String(filter)}' (noPut, noDelete)`);
      }
    }
  }
  return undefined;
}
