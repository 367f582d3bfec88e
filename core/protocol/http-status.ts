// The HTTP status of each error code, shared by every HTTP face of the API (the members and the
// edge tier). A Record over ErrorCode makes a new code a type error here until its status is chosen.
import type { ErrorCode } from '../errors.ts';

export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = {
  invalidRequest: 400,
  decodeError: 400,
  tooManyOperations: 400,
  duplicateKey: 400,
  futureRevision: 400,
  unsupportedVersion: 400,
  leaseTtlTooLarge: 400,
  unauthenticated: 401,
  permissionDenied: 403,
  keyNotFound: 404,
  leaseNotFound: 404,
  leaseExists: 409,
  compacted: 410,
  requestTooLarge: 413,
  keyTooLarge: 413,
  valueTooLarge: 413,
  notLeader: 421,
  rateLimited: 429,
  noLeader: 503,
  unavailable: 503,
  proposalDropped: 503,
  timeout: 504,
  quotaExceeded: 507,
};
