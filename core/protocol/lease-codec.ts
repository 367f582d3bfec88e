// JSON codecs for the lease routes: POST /v1/lease/grant, /revoke, /keepalive, /timetolive and
// GET /v1/lease.

import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type {
  LeaseGrantRequest,
  LeaseGrantResponse,
  LeaseKeepAliveRequest,
  LeaseKeepAliveResponse,
  LeaseListResponse,
  LeaseRevokeRequest,
  LeaseRevokeResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
} from '../store/types.ts';
import {
  type LeaseGrantRequestJson,
  type LeaseGrantResponseJson,
  type LeaseKeepAliveRequestJson,
  type LeaseKeepAliveResponseJson,
  type LeaseListResponseJson,
  type LeaseRevokeRequestJson,
  type LeaseRevokeResponseJson,
  type LeaseTimeToLiveRequestJson,
  type LeaseTimeToLiveResponseJson,
  leaseGrantRequestSchema,
  leaseGrantResponseSchema,
  leaseKeepAliveRequestSchema,
  leaseKeepAliveResponseSchema,
  leaseListResponseSchema,
  leaseRevokeRequestSchema,
  leaseRevokeResponseSchema,
  leaseTimeToLiveRequestSchema,
  leaseTimeToLiveResponseSchema,
} from './client.ts';
import { type DecodeError, limitError, refuse } from './errors.ts';
import {
  type DecodedRequest,
  decodeClientJson,
  decodeServerJson,
  RequestChecker,
  withOptional,
} from './json-decoding.ts';
import { type DecodedResponse, encodeResponseHeader, type ResponseMeta } from './kv-codec.ts';

// ---- requests: decode (server side) ----

export function decodeLeaseGrantRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<LeaseGrantRequest> | DecodeError {
  return decodeClientJson('leaseGrant', json, leaseGrantRequestSchema, limits, (parsed) => {
    if (parsed.ttl > limits.maxLeaseTtlSeconds) {
      refuse(
        limitError(
          'leaseGrant.ttl',
          'maxLeaseTtlSeconds',
          limits,
          `ttl is ${parsed.ttl} seconds`,
          parsed.ttl,
          'count',
        ),
      );
    }
    const check = new RequestChecker('leaseGrant', limits, 'utf8');
    return withOptional<DecodedRequest<LeaseGrantRequest>>(
      { request: withOptional<LeaseGrantRequest>({ ttl: parsed.ttl }, { id: parsed.id }), encoding: 'utf8' },
      { requestId: check.requestId(parsed.requestId) },
    );
  });
}

export function decodeLeaseRevokeRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<LeaseRevokeRequest> | DecodeError {
  return decodeClientJson('leaseRevoke', json, leaseRevokeRequestSchema, limits, (parsed) => {
    const check = new RequestChecker('leaseRevoke', limits, 'utf8');
    return withOptional<DecodedRequest<LeaseRevokeRequest>>(
      { request: { id: parsed.id }, encoding: 'utf8' },
      { requestId: check.requestId(parsed.requestId) },
    );
  });
}

export function decodeLeaseKeepAliveRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<LeaseKeepAliveRequest> | DecodeError {
  return decodeClientJson('leaseKeepAlive', json, leaseKeepAliveRequestSchema, limits, (parsed) => ({
    request: { id: parsed.id },
    encoding: 'utf8',
  }));
}

export function decodeLeaseTimeToLiveRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<LeaseTimeToLiveRequest> | DecodeError {
  return decodeClientJson('leaseTimeToLive', json, leaseTimeToLiveRequestSchema, limits, (parsed) => ({
    request: withOptional<LeaseTimeToLiveRequest>({ id: parsed.id }, { keys: parsed.keys }),
    encoding: 'utf8',
  }));
}

// ---- requests: encode (SDK side) ----

export function encodeLeaseGrantRequest(
  request: LeaseGrantRequest,
  options: { readonly requestId?: string } = {},
): LeaseGrantRequestJson {
  return withOptional<LeaseGrantRequestJson>(
    { ttl: request.ttl },
    { id: request.id, requestId: options.requestId },
  );
}

export function encodeLeaseRevokeRequest(
  request: LeaseRevokeRequest,
  options: { readonly requestId?: string } = {},
): LeaseRevokeRequestJson {
  return withOptional<LeaseRevokeRequestJson>({ id: request.id }, { requestId: options.requestId });
}

export function encodeLeaseKeepAliveRequest(request: LeaseKeepAliveRequest): LeaseKeepAliveRequestJson {
  return { id: request.id };
}

export function encodeLeaseTimeToLiveRequest(request: LeaseTimeToLiveRequest): LeaseTimeToLiveRequestJson {
  return withOptional<LeaseTimeToLiveRequestJson>({ id: request.id }, { keys: request.keys });
}

// ---- responses: encode (server side) ----

export function encodeLeaseGrantResponse(
  response: LeaseGrantResponse,
  meta: ResponseMeta,
): LeaseGrantResponseJson {
  return { header: encodeResponseHeader(response.revision, meta), id: response.id, ttl: response.ttl };
}

export function encodeLeaseRevokeResponse(
  response: LeaseRevokeResponse,
  meta: ResponseMeta,
): LeaseRevokeResponseJson {
  return { header: encodeResponseHeader(response.revision, meta) };
}

export function encodeLeaseKeepAliveResponse(
  response: LeaseKeepAliveResponse,
  meta: ResponseMeta,
): LeaseKeepAliveResponseJson {
  return { header: encodeResponseHeader(response.revision, meta), id: response.id, ttl: response.ttl };
}

export function encodeLeaseTimeToLiveResponse(
  response: LeaseTimeToLiveResponse,
  meta: ResponseMeta,
): LeaseTimeToLiveResponseJson {
  const json = {
    header: encodeResponseHeader(response.revision, meta),
    id: response.id,
    ttl: response.ttl,
    grantedTtl: response.grantedTtl,
  };
  return response.keys === undefined ? json : { ...json, keys: [...response.keys] };
}

export function encodeLeaseListResponse(
  response: LeaseListResponse,
  meta: ResponseMeta,
): LeaseListResponseJson {
  return {
    header: encodeResponseHeader(response.revision, meta),
    leases: response.leases.map(({ id, ttl }) => ({ id, ttl })),
  };
}

// ---- responses: decode (SDK side) ----

export function decodeLeaseGrantResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<LeaseGrantResponse> | DecodeError {
  return decodeServerJson('leaseGrantResponse', json, leaseGrantResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: { revision: parsed.header.revision, id: parsed.id, ttl: parsed.ttl },
  }));
}

export function decodeLeaseRevokeResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<LeaseRevokeResponse> | DecodeError {
  return decodeServerJson('leaseRevokeResponse', json, leaseRevokeResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: { revision: parsed.header.revision },
  }));
}

export function decodeLeaseKeepAliveResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<LeaseKeepAliveResponse> | DecodeError {
  return decodeServerJson('leaseKeepAliveResponse', json, leaseKeepAliveResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: { revision: parsed.header.revision, id: parsed.id, ttl: parsed.ttl },
  }));
}

export function decodeLeaseTimeToLiveResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<LeaseTimeToLiveResponse> | DecodeError {
  return decodeServerJson(
    'leaseTimeToLiveResponse',
    json,
    leaseTimeToLiveResponseSchema,
    limits,
    (parsed) => ({
      header: parsed.header,
      response: withOptional<LeaseTimeToLiveResponse>(
        { revision: parsed.header.revision, id: parsed.id, ttl: parsed.ttl, grantedTtl: parsed.grantedTtl },
        { keys: parsed.keys },
      ),
    }),
  );
}

export function decodeLeaseListResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<LeaseListResponse> | DecodeError {
  return decodeServerJson('leaseListResponse', json, leaseListResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: { revision: parsed.header.revision, leases: parsed.leases },
  }));
}
