// Errors the SDK reports: a rejected promise or an 'error' event carries one of these. Codes are the
// server's (core/errors.ts) plus the SDK's own; `code` tells the two kinds of error apart.
import type { ErrorCode } from '../core/errors.ts';

export type ClientErrorCode =
  | ErrorCode
  /** The client (or the replica, lease, election) was closed while the operation was pending. */
  | 'closed'
  /** A lease's keepalives stopped being acknowledged before its deadline, so the server may have expired it. */
  | 'leaseLost';

type Details = Readonly<Record<string, string | number | boolean>>;

export class VaneClientError extends Error {
  readonly code: ClientErrorCode;
  readonly details?: Details;

  constructor(code: ClientErrorCode, message: string, details?: Details) {
    super(message);
    this.name = 'VaneClientError';
    this.code = code;
    if (details !== undefined) this.details = details;
  }
}

/** One problem a schema found, as zod reports it (the fields the SDK relies on). */
export interface SchemaIssue {
  readonly message: string;
  readonly path: readonly PropertyKey[];
}

/** A value that its key's schema refuses; the last valid value stays in use. */
export class SchemaMismatchError extends Error {
  readonly code = 'schemaMismatch' as const;
  readonly key: string;
  readonly revision: number;
  readonly issues: readonly SchemaIssue[];

  constructor(key: string, revision: number, issues: readonly SchemaIssue[]) {
    const first = issues[0];
    const where =
      first === undefined || first.path.length === 0 ? '' : ` at ${first.path.map(String).join('.')}`;
    super(
      `the value of '${key}' at revision ${revision} does not match its schema${where}: ${first?.message ?? 'invalid'}`,
    );
    this.name = 'SchemaMismatchError';
    this.key = key;
    this.revision = revision;
    this.issues = issues;
  }
}

/** What `client.on('error')` hears: schema failures, and background work that failed. */
export type ClientError = VaneClientError | SchemaMismatchError;

/** Codes after which the same request may succeed on a retry (possibly on another member). */
const RETRYABLE: ReadonlySet<ClientErrorCode> = new Set<ClientErrorCode>([
  'noLeader',
  'notLeader',
  'unavailable',
  'proposalDropped',
  'timeout',
]);

export function isRetryable(code: ClientErrorCode): boolean {
  return RETRYABLE.has(code);
}

/**
 * Codes that say this client's credentials are refused (no token, a bad, expired or revoked one, or
 * a role that may not do this). Trying again with the same credentials cannot help, so the SDK
 * stops the connection, watch or replica concerned and reports the error instead of looping.
 */
const CREDENTIALS_REFUSED: ReadonlySet<string> = new Set<ClientErrorCode>([
  'unauthenticated',
  'permissionDenied',
]);

export function isCredentialsRefusal(code: string): code is 'unauthenticated' | 'permissionDenied' {
  return CREDENTIALS_REFUSED.has(code);
}
