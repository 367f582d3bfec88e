// Reading what a client sent: the key in a path, a bounded JSON body, the Idempotency-Key header.
// Decoding into the store's types is core/protocol's job; this only gets the raw input there.
import type { Context } from 'hono';
import { type VaneError, vaneError } from '../../core/errors.ts';
import type { Limits } from '../../core/limits.ts';
import { parseJsonBody } from '../../core/protocol/index.ts';
import { readBoundedBody } from './body.ts';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** Input read from a request, or why it could not be. */
export type Input<T> = { readonly value: T } | { readonly error: VaneError };

/**
 * The rest of the path after `prefix`, percent-decoded once. Taken from the raw URL because the
 * router's path is already partly decoded, which would turn a key's '%2F' into a path separator.
 */
export function pathRemainder(c: Context, prefix: string): Input<string> {
  const url = c.req.url;
  const pathStart = url.indexOf('/', url.indexOf('://') + 3);
  let pathEnd = url.length;
  for (const stop of ['?', '#']) {
    const at = url.indexOf(stop, pathStart);
    if (at >= 0 && at < pathEnd) pathEnd = at;
  }
  const path = url.slice(pathStart, pathEnd);
  if (!path.startsWith(prefix)) throw new Error(`pathRemainder: path ${path} does not start with ${prefix}`);
  const encoded = path.slice(prefix.length);
  try {
    return { value: decodeURIComponent(encoded) };
  } catch {
    return {
      error: vaneError('decodeError', `'${encoded}' in the path is not valid percent-encoded UTF-8`),
    };
  }
}

/** The JSON body, read without buffering more than maxRequestBytes. */
export async function readJson(c: Context, limits: Limits): Promise<Input<unknown>> {
  const bytes = await readBoundedBody(c.req.raw, limits.maxRequestBytes);
  if (!(bytes instanceof Uint8Array)) return { error: bytes };
  if (bytes.length === 0) {
    return {
      error: vaneError(
        'decodeError',
        `${c.req.method} ${c.req.path} expects a JSON body; the body is empty (see /v1/openapi.json)`,
      ),
    };
  }
  const parsed = parseJsonBody(bytes, limits);
  return 'value' in parsed ? { value: parsed.value } : { error: parsed };
}

/**
 * The Idempotency-Key header becomes the request's `requestId` (where the route takes one), so
 * that a retried write applies once; a body or query that names a different id is refused.
 */
export function withIdempotencyKey<T>(c: Context, input: T): Input<T> {
  const header = c.req.header(IDEMPOTENCY_KEY_HEADER);
  if (header === undefined) return { value: input };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return { value: input };
  const given = (input as { requestId?: unknown }).requestId;
  if (given === undefined) return { value: { ...input, requestId: header } };
  if (given === header) return { value: input };
  return {
    error: vaneError(
      'invalidRequest',
      `the ${IDEMPOTENCY_KEY_HEADER} header ('${header}') and requestId ('${String(given)}') differ; send one of them`,
    ),
  };
}
