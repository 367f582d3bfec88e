// Client requests over the watch WebSocket: `{ v, type: 'request', id, op, body }`. The envelope is
// checked here; the body goes to the decoder of the HTTP route that takes the same request, so both
// paths accept and refuse exactly the same input. Answers are the HTTP answers split into the header
// and the rest: `{ v, type: 'response', id, header, body }`, or `{ v, type: 'error', requestId, error }`.

import type { VaneError } from '../errors.ts';
import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type {
  CompactRequest,
  DeleteRangeRequest,
  LeaseGrantRequest,
  LeaseKeepAliveRequest,
  LeaseRevokeRequest,
  LeaseTimeToLiveRequest,
  PutRequest,
  RangeRequest,
  TxnRequest,
} from '../store/types.ts';
import {
  type DeleteRangeRequestJson,
  deleteRangeRequestSchema,
  leaseListRequestSchema,
  type RequestOpName,
  type ResponseHeaderJson,
  requestEnvelopeSchema,
  type WatchServerMessageJson,
} from './client.ts';
import { encodeErrorBody } from './error-body.ts';
import { type DecodeError, isDecodeError } from './errors.ts';
import { type DecodedRequest, decodeClientJson, RequestChecker, withOptional } from './json-decoding.ts';
import {
  decodeCompactRequest,
  decodePutRequest,
  decodeRangeRequest,
  encodeCompactRequest,
  encodePutBody,
  encodeRangeRequest,
  type ReadOptions,
  toDeleteRangeRequest,
} from './kv-codec.ts';
import {
  decodeLeaseGrantRequest,
  decodeLeaseKeepAliveRequest,
  decodeLeaseRevokeRequest,
  decodeLeaseTimeToLiveRequest,
  encodeLeaseGrantRequest,
  encodeLeaseKeepAliveRequest,
  encodeLeaseRevokeRequest,
  encodeLeaseTimeToLiveRequest,
} from './lease-codec.ts';
import { decodeTxnRequest, encodeTxnRequest } from './txn-codec.ts';
import { PROTOCOL_VERSION } from './version.ts';

/** A client request decoded into the store's types, whichever path (HTTP route or WebSocket) it came by. */
export type ClientRequest =
  | ({ readonly op: 'range' } & DecodedRequest<RangeRequest>)
  | ({ readonly op: 'put' } & DecodedRequest<PutRequest>)
  | ({ readonly op: 'deleteRange' } & DecodedRequest<DeleteRangeRequest>)
  | ({ readonly op: 'txn' } & DecodedRequest<TxnRequest>)
  | ({ readonly op: 'compact' } & DecodedRequest<CompactRequest>)
  | ({ readonly op: 'leaseGrant' } & DecodedRequest<LeaseGrantRequest>)
  | ({ readonly op: 'leaseRevoke' } & DecodedRequest<LeaseRevokeRequest>)
  | ({ readonly op: 'leaseKeepAlive' } & DecodedRequest<LeaseKeepAliveRequest>)
  | ({ readonly op: 'leaseTimeToLive' } & DecodedRequest<LeaseTimeToLiveRequest>)
  | { readonly op: 'leaseList'; readonly encoding: 'utf8' };

/** A request message: the connection-scoped id its answer will carry, and the request. */
export interface RequestMessage {
  readonly type: 'request';
  readonly id: number;
  readonly request: ClientRequest;
}

/** Any HTTP answer: a header and the op's fields. */
export interface RequestAnswerJson {
  readonly header: ResponseHeaderJson;
}

// ---- decode (server side) ----

export function decodeRequestMessage(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): RequestMessage | DecodeError {
  const envelope = decodeClientJson('request', json, requestEnvelopeSchema, limits, (parsed) => parsed);
  if (isDecodeError(envelope)) return envelope;
  const request = decodeRequestBody(envelope.op, envelope.body, limits);
  if (isDecodeError(request)) return request;
  return { type: 'request', id: envelope.id, request };
}

/** The body of a request for `op`, by the decoder of the HTTP route for `op`. */
export function decodeRequestBody(
  op: RequestOpName,
  body: unknown,
  limits: Limits = DEFAULT_LIMITS,
): ClientRequest | DecodeError {
  switch (op) {
    case 'range':
      return tagged(op, decodeRangeRequest(body, limits));
    case 'put': {
      // PUT /v1/kv/{key} takes the key from its path; here it travels in the body.
      const { key, rest } = splitKey(body);
      return tagged(op, decodePutRequest(key as string, rest, limits));
    }
    case 'deleteRange':
      return tagged(op, decodeDeleteRangeRequest(body, limits));
    case 'txn':
      return tagged(op, decodeTxnRequest(body, limits));
    case 'compact':
      return tagged(op, decodeCompactRequest(body, limits));
    case 'leaseGrant':
      return tagged(op, decodeLeaseGrantRequest(body, limits));
    case 'leaseRevoke':
      return tagged(op, decodeLeaseRevokeRequest(body, limits));
    case 'leaseKeepAlive':
      return tagged(op, decodeLeaseKeepAliveRequest(body, limits));
    case 'leaseTimeToLive':
      return tagged(op, decodeLeaseTimeToLiveRequest(body, limits));
    case 'leaseList': {
      const decoded = decodeClientJson('leaseList', body, leaseListRequestSchema, limits, () => ({}));
      return isDecodeError(decoded) ? decoded : { op, encoding: 'utf8' };
    }
  }
}

/** DELETE /v1/kv/{key}'s request as one JSON object (the route itself takes it as path and query). */
export function decodeDeleteRangeRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<DeleteRangeRequest> | DecodeError {
  return decodeClientJson('deleteRange', json, deleteRangeRequestSchema, limits, (parsed) => {
    const encoding = parsed.encoding ?? 'utf8';
    const check = new RequestChecker('deleteRange', limits, encoding);
    return withOptional<DecodedRequest<DeleteRangeRequest>>(
      { request: toDeleteRangeRequest(check, '', parsed), encoding },
      { requestId: check.requestId(parsed.requestId) },
    );
  });
}

function tagged<Op extends RequestOpName, T>(
  op: Op,
  decoded: DecodedRequest<T> | DecodeError,
): ({ readonly op: Op } & DecodedRequest<T>) | DecodeError {
  return isDecodeError(decoded) ? decoded : { op, ...decoded };
}

function splitKey(body: unknown): { key: unknown; rest: unknown } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { key: '', rest: body };
  const { key, ...rest } = body as Record<string, unknown>;
  return { key, rest };
}

// ---- encode (SDK side) ----

/** The op and body of a request message for `request` (the inverse of decodeRequestBody). */
export function encodeClientRequest(request: ClientRequest): { op: RequestOpName; body: object } {
  const requestId = request.op === 'leaseList' ? undefined : request.requestId;
  const ids = requestId === undefined ? {} : { requestId };
  switch (request.op) {
    case 'range':
      return {
        op: request.op,
        body: encodeRangeRequest(
          request.request,
          withOptional<ReadOptions>(
            { encoding: request.encoding },
            { serializable: request.serializable, minRevision: request.minRevision },
          ),
        ),
      };
    case 'put':
      return {
        op: request.op,
        body: {
          key: request.request.key,
          ...encodePutBody(request.request, { encoding: request.encoding, ...ids }),
        },
      };
    case 'deleteRange':
      return { op: request.op, body: encodeDeleteRangeRequest(request.request, request.encoding, requestId) };
    case 'txn':
      return {
        op: request.op,
        body: encodeTxnRequest(request.request, { encoding: request.encoding, ...ids }),
      };
    case 'compact':
      return { op: request.op, body: encodeCompactRequest(request.request, ids) };
    case 'leaseGrant':
      return { op: request.op, body: encodeLeaseGrantRequest(request.request, ids) };
    case 'leaseRevoke':
      return { op: request.op, body: encodeLeaseRevokeRequest(request.request, ids) };
    case 'leaseKeepAlive':
      return { op: request.op, body: encodeLeaseKeepAliveRequest(request.request) };
    case 'leaseTimeToLive':
      return { op: request.op, body: encodeLeaseTimeToLiveRequest(request.request) };
    case 'leaseList':
      return { op: request.op, body: {} };
  }
}

function encodeDeleteRangeRequest(
  request: DeleteRangeRequest,
  encoding: 'utf8' | 'base64',
  requestId: string | undefined,
): DeleteRangeRequestJson {
  return withOptional<DeleteRangeRequestJson>(
    { key: request.key },
    {
      rangeEnd: request.rangeEnd,
      prevKv: request.prevKv,
      encoding: encoding === 'base64' ? 'base64' : undefined,
      requestId,
    },
  );
}

// ---- answers (server side) ----

/** An HTTP answer (header plus the op's fields) as the answer to request `id`. */
export function encodeRequestResponse(id: number, answer: RequestAnswerJson): WatchServerMessageJson {
  const { header, ...body } = answer;
  return { v: PROTOCOL_VERSION, type: 'response', id, header, body };
}

export function encodeRequestError(error: VaneError, id: number): WatchServerMessageJson {
  return { v: PROTOCOL_VERSION, type: 'error', requestId: id, error: encodeErrorBody(error).error };
}
