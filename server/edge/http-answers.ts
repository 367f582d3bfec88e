// The edge's HTTP answers: the server's JSON shapes and headers, plus how fresh the state is. Error
// codes become statuses through core's table, the same as the members'.
import type { VaneError } from '../../core/errors.ts';
import { encodeErrorBody, HTTP_STATUS_BY_CODE, type ResponseHeaderJson } from '../../core/protocol/index.ts';
import type { Freshness } from './browser-watches.ts';

export const REVISION_HEADER = 'X-Vane-Revision';
export const MEMBER_HEADER = 'X-Vane-Member';
/** 'true' when the cluster has not confirmed the state for staleAfterMs (it is unreachable). */
export const STALE_HEADER = 'X-Vane-Edge-Stale';
/** Milliseconds since the cluster last confirmed the state. */
export const AGE_HEADER = 'X-Vane-Edge-Age-Ms';

/** Browsers on other origins read the edge: every answer allows them (configurable, see config.ts). */
export interface Cors {
  readonly allowOrigin: string;
}

export function corsHeaders(cors: Cors): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': cors.allowOrigin,
    'Access-Control-Expose-Headers': [
      REVISION_HEADER,
      MEMBER_HEADER,
      STALE_HEADER,
      AGE_HEADER,
      'Retry-After',
    ].join(', '),
  };
}

export function preflightAnswer(cors: Cors): Response {
  return new Response(null, {
    status: 204,
    headers: {
      ...corsHeaders(cors),
      'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type, Authorization',
      'Access-Control-Max-Age': '600',
    },
  });
}

function freshnessHeaders(freshness: Freshness | undefined): Record<string, string> {
  if (freshness === undefined) return {};
  return { [STALE_HEADER]: String(freshness.stale), [AGE_HEADER]: String(Math.round(freshness.ageMs)) };
}

/** A successful read: the server's body (with `header.edge` added) and headers. */
export function readAnswer(
  body: { readonly header: ResponseHeaderJson },
  freshness: Freshness,
  cors: Cors,
): Response {
  const json = { ...body, header: { ...body.header, edge: freshness } };
  return new Response(JSON.stringify(json), {
    status: 200,
    headers: {
      'Content-Type': 'application/json',
      [REVISION_HEADER]: String(body.header.revision),
      [MEMBER_HEADER]: body.header.member,
      ...freshnessHeaders(freshness),
      ...corsHeaders(cors),
    },
  });
}

/** `{ error: { code, message, details? }, header? }` with the status its code maps to. */
export function errorAnswer(
  error: VaneError,
  cors: Cors,
  context: {
    readonly header?: ResponseHeaderJson;
    readonly freshness?: Freshness;
    readonly allow?: string;
  } = {},
): Response {
  const status = HTTP_STATUS_BY_CODE[error.code];
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...corsHeaders(cors) };
  if (status === 503) headers['Retry-After'] = '1';
  if (status === 401) headers['WWW-Authenticate'] = 'Bearer realm="vane"';
  if (context.allow !== undefined) headers.Allow = context.allow;
  Object.assign(headers, freshnessHeaders(context.freshness));
  let body: object = encodeErrorBody(error);
  if (context.header !== undefined) {
    headers[REVISION_HEADER] = String(context.header.revision);
    headers[MEMBER_HEADER] = context.header.member;
    body = {
      ...body,
      header:
        context.freshness === undefined ? context.header : { ...context.header, edge: context.freshness },
    };
  }
  // A write sent to the edge is refused as 405 (the method is not allowed here), whatever its code.
  return new Response(JSON.stringify(body), { status: context.allow !== undefined ? 405 : status, headers });
}
