// What a decoder returns instead of a value when its input is bad. A DecodeError is a VaneError
// (the server maps its code to an HTTP status like any other) that also says where the input broke.

import type { ErrorCode, VaneError } from '../errors.ts';
import { formatBytes, type Limits } from '../limits.ts';

export type DecodeErrorCode = Extract<
  ErrorCode,
  | 'decodeError'
  | 'invalidRequest'
  | 'requestTooLarge'
  | 'keyTooLarge'
  | 'valueTooLarge'
  | 'tooManyOperations'
  | 'leaseTtlTooLarge'
  | 'unsupportedVersion'
>;

const DECODE_ERROR_CODES: ReadonlySet<string> = new Set<DecodeErrorCode>([
  'decodeError',
  'invalidRequest',
  'requestTooLarge',
  'keyTooLarge',
  'valueTooLarge',
  'tooManyOperations',
  'leaseTtlTooLarge',
  'unsupportedVersion',
]);

export interface DecodeError extends VaneError {
  readonly code: DecodeErrorCode;
  /** Where the input broke: a dotted path ('txn.success[3].put.key') or a frame position ('peer frame: message 2 of 5: entry 17'). */
  readonly where: string;
}

export function decodeError(
  code: DecodeErrorCode,
  where: string,
  what: string,
  details?: Readonly<Record<string, string | number | boolean>>,
): DecodeError {
  const message = where === '' ? what : `${where}: ${what}`;
  return details === undefined ? { code, message, where } : { code, message, where, details };
}

export function isDecodeError(value: unknown): value is DecodeError {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { code?: unknown; message?: unknown; where?: unknown };
  return (
    typeof candidate.code === 'string' &&
    DECODE_ERROR_CODES.has(candidate.code) &&
    typeof candidate.message === 'string' &&
    typeof candidate.where === 'string'
  );
}

/** The code a hit limit is reported under. */
const LIMIT_CODES: Readonly<Record<keyof Limits, DecodeErrorCode>> = {
  maxRequestBytes: 'requestTooLarge',
  maxKeyBytes: 'keyTooLarge',
  maxValueBytes: 'valueTooLarge',
  maxTxnOps: 'tooManyOperations',
  maxTxnDepth: 'tooManyOperations',
  maxPeerFrameBytes: 'requestTooLarge',
  maxLeaseTtlSeconds: 'leaseTtlTooLarge',
};

/**
 * A configured limit was exceeded; the message names the limit so an operator knows which knob it is.
 * `what` reads like "key is 9000 bytes" and is followed by "; the limit is 8 KiB (maxKeyBytes)".
 */
export function limitError(
  where: string,
  limit: keyof Limits,
  limits: Limits,
  what: string,
  actual: number,
  unit: 'bytes' | 'count',
): DecodeError {
  const value = limits[limit];
  const shown = unit === 'bytes' ? formatBytes(value) : String(value);
  return decodeError(LIMIT_CODES[limit], where, `${what}; the limit is ${shown} (${limit})`, {
    limit,
    maximum: value,
    actual,
  });
}

/**
 * Thrown inside a decoder to unwind to its entry point, which returns the error as a value.
 * Not an Error subclass: no stack is captured, so refusing garbage stays cheap under fuzzing.
 */
export class DecodeFailure {
  readonly error: DecodeError;
  constructor(error: DecodeError) {
    this.error = error;
  }
}

export function refuse(error: DecodeError): never {
  throw new DecodeFailure(error);
}

/**
 * Runs a decoder so that it never throws: a refusal becomes its DecodeError, and anything else
 * hostile input manages to provoke (a getter that throws, a stack overflow) becomes a decodeError.
 */
export function runDecoder<T>(where: string, decode: () => T): T | DecodeError {
  try {
    return decode();
  } catch (caught) {
    if (caught instanceof DecodeFailure) return caught.error;
    const reason = caught instanceof Error ? `${caught.name}: ${caught.message}` : String(caught);
    return decodeError('decodeError', where, `input could not be decoded (${reason})`);
  }
}

/** 'txn', ['success', 3, 'put', 'key'] → 'txn.success[3].put.key'. */
export function formatPath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else {
      const name = String(segment);
      out += out === '' ? name : /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
    }
  }
  return out;
}
