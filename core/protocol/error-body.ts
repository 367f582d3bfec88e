// The body of every error response, `{ error: { code, message, details? } }`, over HTTP and (inside
// an 'error' message) over the watch WebSocket.

import type { VaneError } from '../errors.ts';
import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import { type ErrorBodyJson, errorBodySchema } from './client.ts';
import type { DecodeError } from './errors.ts';
import { decodeServerJson } from './json-decoding.ts';

export function encodeErrorBody(error: VaneError): ErrorBodyJson {
  const body = { code: error.code, message: error.message };
  return { error: error.details === undefined ? body : { ...body, details: { ...error.details } } };
}

/** The error a server answered with. */
export interface ErrorAnswer {
  readonly error: VaneError;
}

export function decodeErrorBody(json: unknown, limits: Limits = DEFAULT_LIMITS): ErrorAnswer | DecodeError {
  return decodeServerJson('errorBody', json, errorBodySchema, limits, (parsed) => ({
    error: vaneErrorOf(parsed.error),
  }));
}

export function vaneErrorOf(json: ErrorBodyJson['error']): VaneError {
  return json.details === undefined
    ? { code: json.code, message: json.message }
    : { code: json.code, message: json.message, details: json.details };
}
