// Errors are values: a stable code a program can branch on, and a message a person can act on.
// The server maps codes to HTTP statuses in one place; clients see the same codes.

export type ErrorCode =
  // request shape and limits
  | 'invalidRequest'
  | 'requestTooLarge'
  | 'keyTooLarge'
  | 'valueTooLarge'
  | 'tooManyOperations'
  | 'duplicateKey'
  // store
  | 'keyNotFound'
  | 'compacted'
  | 'futureRevision'
  | 'leaseNotFound'
  | 'leaseExists'
  | 'leaseTtlTooLarge'
  | 'quotaExceeded'
  // cluster
  | 'noLeader'
  | 'notLeader'
  | 'timeout'
  | 'unavailable'
  | 'proposalDropped'
  // auth
  | 'unauthenticated'
  | 'permissionDenied'
  | 'rateLimited'
  // protocol
  | 'unsupportedVersion'
  | 'decodeError';

export interface VaneError {
  readonly code: ErrorCode;
  readonly message: string;
  /** Machine-readable details, e.g. { limit: 8192, actual: 9000 } or { compactRevision: 42 }. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export function vaneError(
  code: ErrorCode,
  message: string,
  details?: Readonly<Record<string, string | number | boolean>>,
): VaneError {
  return details === undefined ? { code, message } : { code, message, details };
}

export function isVaneError(value: unknown): value is VaneError {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { code?: unknown }).code === 'string' &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}
