// The watch protocol over one WebSocket (GET /v1/watch): the client creates and cancels any number
// of watches and asks for progress; the server answers with watch responses and errors. Every
// message carries the protocol version `v`, checked before anything else.

import type { VaneError } from '../errors.ts';
import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type { WatchEvent, WatchRequest, WatchResponse } from '../store/types.ts';
import {
  type FreshnessJson,
  type ResponseHeaderJson,
  type WatchClientMessageJson,
  type WatchEventJson,
  type WatchServerMessageJson,
  watchClientMessageSchema,
  watchServerMessageSchema,
} from './client.ts';
import { encodeErrorBody, vaneErrorOf } from './error-body.ts';
import { type DecodeError, decodeError, refuse, runDecoder } from './errors.ts';
import { decodeClientJson, decodeServerJson, RequestChecker, withOptional } from './json-decoding.ts';
import { decodeKeyValue, encodeKeyValue, encodeResponseHeader, type ResponseMeta } from './kv-codec.ts';
import type { ValueEncoding } from './text.ts';
import { PROTOCOL_VERSION } from './version.ts';
import { decodeRequestMessage, encodeClientRequest, type RequestMessage } from './ws-request-codec.ts';

export type WatchClientMessage =
  | {
      readonly type: 'watchCreate';
      /** Absent: the server picks the id. */
      readonly watchId?: number;
      readonly request: WatchRequest;
      readonly encoding: ValueEncoding;
    }
  | { readonly type: 'watchCancel'; readonly watchId: number }
  | { readonly type: 'progress' }
  | RequestMessage;

export type WatchServerMessage =
  | {
      readonly type: 'watchResponse';
      readonly header: ResponseHeaderJson;
      readonly response: WatchResponse;
      /** A member's progress answer while the cluster's leader has not confirmed its state. */
      readonly freshness?: Freshness;
      /** The edge tier's progress and created answers: how fresh the edge's own copy is. */
      readonly edge?: Freshness;
    }
  | {
      readonly type: 'response';
      readonly id: number;
      readonly header: ResponseHeaderJson;
      /** The op's answer without its header, as JSON (the SDK knows which op it asked for). */
      readonly body: Readonly<Record<string, unknown>>;
    }
  | {
      readonly type: 'error';
      readonly watchId?: number;
      readonly requestId?: number;
      readonly error: VaneError;
    };

/** The watchId of a progress notification that answers a `progress` message (for every watch at once). */
export const PROGRESS_WATCH_ID = -1;

/** How current the answering server's state is: `stale` when the cluster has not confirmed it for `ageMs`. */
export type Freshness = FreshnessJson;

// ---- client → server ----

export function decodeWatchClientMessage(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): WatchClientMessage | DecodeError {
  // A request's body is judged by its op's own decoder (the HTTP route's), not by this union.
  const request = runDecoder('watch', () => {
    if (typeof json !== 'object' || json === null || (json as { type?: unknown }).type !== 'request') {
      return undefined;
    }
    checkVersion(json);
    return decodeRequestMessage(json, limits);
  });
  if (request !== undefined) return request;
  return decodeClientJson(
    'watch',
    json,
    watchClientMessageSchema,
    limits,
    (parsed) => {
      switch (parsed.type) {
        case 'watchCancel':
          return { type: 'watchCancel', watchId: parsed.watchId };
        case 'progress':
          return { type: 'progress' };
        case 'request':
          throw new Error('decodeWatchClientMessage: request messages are decoded before the union');
        case 'watchCreate': {
          const encoding = parsed.encoding ?? 'utf8';
          const check = new RequestChecker('watchCreate', limits, encoding);
          const filters = parsed.filters ?? [];
          if (new Set(filters).size !== filters.length) {
            refuse(decodeError('invalidRequest', 'watchCreate.filters', 'a filter is listed twice'));
          }
          const request = withOptional<WatchRequest>(check.selector('', parsed), {
            startRevision: parsed.startRevision,
            prevKv: parsed.prevKv,
            filters: filters.length > 0 ? filters : undefined,
            progressNotify: parsed.progressNotify,
          });
          const create = { type: 'watchCreate' as const, request, encoding };
          return parsed.watchId === undefined ? create : { ...create, watchId: parsed.watchId };
        }
      }
    },
    checkVersion,
  );
}

export function encodeWatchClientMessage(message: WatchClientMessage): WatchClientMessageJson {
  switch (message.type) {
    case 'watchCancel':
      return { v: PROTOCOL_VERSION, type: 'watchCancel', watchId: message.watchId };
    case 'progress':
      return { v: PROTOCOL_VERSION, type: 'progress' };
    case 'request':
      return {
        v: PROTOCOL_VERSION,
        type: 'request',
        id: message.id,
        ...encodeClientRequest(message.request),
      } as WatchClientMessageJson;
    case 'watchCreate': {
      const { key, rangeEnd, startRevision, prevKv, filters, progressNotify } = message.request;
      const create = { v: PROTOCOL_VERSION, type: 'watchCreate' as const, key };
      return withOptional<WatchClientMessageJson>(
        message.watchId === undefined ? create : { ...create, watchId: message.watchId },
        {
          rangeEnd,
          startRevision,
          prevKv,
          filters: filters !== undefined && filters.length > 0 ? [...filters] : undefined,
          progressNotify,
          encoding: message.encoding === 'base64' ? 'base64' : undefined,
        },
      );
    }
  }
}

// ---- server → client ----

export function encodeWatchResponse(
  response: WatchResponse,
  meta: ResponseMeta,
  encoding: ValueEncoding,
): WatchServerMessageJson {
  return withOptional<WatchServerMessageJson>(
    {
      v: PROTOCOL_VERSION,
      type: 'watchResponse',
      header: encodeResponseHeader(response.revision, meta),
      watchId: response.watchId,
      events: response.events.map((event) => encodeWatchEvent(event, encoding)),
    },
    {
      created: response.created,
      canceled: response.canceled,
      compactRevision: response.compactRevision,
      cancelReason: response.cancelReason,
    },
  );
}

/**
 * The answer to a `progress` message: every watch on the connection is caught up to `revision`. A
 * member that is not confirmed by the cluster's leader says so (`freshness`), so that a client can
 * tell it is serving an old revision and go to another member; a healthy member leaves it out.
 */
export function encodeProgressAnswer(
  revision: number,
  meta: ResponseMeta,
  freshness?: Freshness,
): WatchServerMessageJson {
  const answer = encodeWatchResponse({ watchId: PROGRESS_WATCH_ID, revision, events: [] }, meta, 'utf8');
  return freshness === undefined || answer.type !== 'watchResponse' ? answer : { ...answer, freshness };
}

/** An error on the watch stream, about one watch (watchId) or the stream as a whole. */
export function encodeWatchError(error: VaneError, watchId?: number): WatchServerMessageJson {
  const json = { v: PROTOCOL_VERSION, type: 'error' as const, error: encodeErrorBody(error).error };
  // Watch id 0 is a valid id, so presence (not truthiness) decides.
  return watchId === undefined ? json : { ...json, watchId };
}

export function encodeWatchEvent(event: WatchEvent, encoding: ValueEncoding): WatchEventJson {
  const json = { type: event.type, kv: encodeKeyValue(event.kv, encoding) };
  return event.prevKv === undefined ? json : { ...json, prevKv: encodeKeyValue(event.prevKv, encoding) };
}

export function decodeWatchServerMessage(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): WatchServerMessage | DecodeError {
  return decodeServerJson(
    'watch',
    json,
    watchServerMessageSchema,
    limits,
    (parsed) => {
      if (parsed.type === 'error') {
        // Id 0 is a valid id, so presence (not truthiness) decides.
        const error = { type: 'error' as const, error: vaneErrorOf(parsed.error) };
        const aboutWatch = parsed.watchId === undefined ? error : { ...error, watchId: parsed.watchId };
        return parsed.requestId === undefined ? aboutWatch : { ...aboutWatch, requestId: parsed.requestId };
      }
      if (parsed.type === 'response') {
        return { type: 'response', id: parsed.id, header: parsed.header, body: parsed.body };
      }
      const events = parsed.events.map((event, i): WatchEvent => {
        const where = `watch.events[${i}]`;
        const kv = decodeKeyValue(event.kv, `${where}.kv`);
        return event.prevKv === undefined
          ? { type: event.type, kv }
          : { type: event.type, kv, prevKv: decodeKeyValue(event.prevKv, `${where}.prevKv`) };
      });
      const response = withOptional<WatchResponse>(
        { watchId: parsed.watchId, revision: parsed.header.revision, events },
        {
          created: parsed.created,
          canceled: parsed.canceled,
          compactRevision: parsed.compactRevision,
          cancelReason: parsed.cancelReason,
        },
      );
      return withOptional<Extract<WatchServerMessage, { type: 'watchResponse' }>>(
        { type: 'watchResponse', header: parsed.header, response },
        { freshness: parsed.freshness, edge: parsed.edge },
      );
    },
    checkVersion,
  );
}

/**
 * A message of another protocol version is refused as such before its shape is judged, so the
 * other side learns to upgrade rather than which field it got wrong.
 */
function checkVersion(json: unknown): void {
  if (typeof json !== 'object' || json === null || !('v' in json)) return;
  const version = (json as { v: unknown }).v;
  if (typeof version !== 'number' || version === PROTOCOL_VERSION) return;
  refuse(
    decodeError(
      'unsupportedVersion',
      'watch.v',
      `protocol version ${version} is not supported; this side speaks version ${PROTOCOL_VERSION}`,
      { version, supported: PROTOCOL_VERSION },
    ),
  );
}
