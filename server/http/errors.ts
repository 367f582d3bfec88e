// Error answers of the HTTP API: statuses from core's table (HTTP_STATUS_BY_CODE), plus the HTTP
// layer's own failures.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorCode, VaneError } from '../../core/errors.ts';
import { encodeErrorBody, HTTP_STATUS_BY_CODE } from '../../core/protocol/index.ts';
import type { ResponseHeader } from '../member/index.ts';
import { setHeaderFields } from './reply.ts';

/**
 * Failures of the HTTP layer itself, which the member never reports: no such route, and a handler
 * that threw (a bug, logged with its stack).
 */
export type HttpErrorCode = 'routeNotFound' | 'internal';

const STATUS_BY_CODE: Readonly<Record<ErrorCode | HttpErrorCode, ContentfulStatusCode>> = {
  ...(HTTP_STATUS_BY_CODE as Readonly<Record<ErrorCode, ContentfulStatusCode>>),
  routeNotFound: 404,
  internal: 500,
};

/** Seconds a client should wait before retrying a request refused with 503. */
export const RETRY_AFTER_SECONDS = 1;

export function httpStatusOf(code: ErrorCode | HttpErrorCode): ContentfulStatusCode {
  return STATUS_BY_CODE[code];
}

/** `{ error: { code, message, details? }, header }`, with the status the code maps to. */
export function errorResponse(c: Context, error: VaneError, header: ResponseHeader): Response {
  const status = httpStatusOf(error.code);
  if (status === 503) c.header('Retry-After', String(RETRY_AFTER_SECONDS));
  // A rate-limited client is told when its bucket has a request again.
  const retryAfterMs = error.details?.retryAfterMs;
  if (status === 429 && typeof retryAfterMs === 'number') {
    c.header('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  }
  if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="vane"');
  setHeaderFields(c, header);
  return c.json({ ...encodeErrorBody(error), header }, status);
}

export function routeNotFoundResponse(c: Context): Response {
  const code: HttpErrorCode = 'routeNotFound';
  const message = `no route ${c.req.method} ${c.req.path}; the routes are listed at /v1/openapi.json`;
  return c.json({ error: { code, message } }, httpStatusOf(code));
}

/** The member could not be asked for a header here: the failure may be its own. */
export function internalErrorResponse(c: Context): Response {
  const code: HttpErrorCode = 'internal';
  const message = 'the member failed to handle this request (a bug, logged on the member); retrying may work';
  return c.json({ error: { code, message } }, httpStatusOf(code));
}
