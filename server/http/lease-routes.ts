// Leases: POST /v1/lease/grant, /revoke, /keepalive, /timetolive; GET /v1/lease.
import type { Context, Hono } from 'hono';
import { isVaneError, type VaneError } from '../../core/errors.ts';
import type { Limits } from '../../core/limits.ts';
import {
  decodeLeaseGrantRequest,
  decodeLeaseKeepAliveRequest,
  decodeLeaseRevokeRequest,
  decodeLeaseTimeToLiveRequest,
  encodeLeaseGrantResponse,
  encodeLeaseKeepAliveResponse,
  encodeLeaseListResponse,
  encodeLeaseRevokeResponse,
  encodeLeaseTimeToLiveResponse,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { LeaseGrantResponse, LeaseKeepAliveResponse } from '../../core/store/index.ts';
import type { MemberApi } from '../member/index.ts';
import type { AppEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { writeOptions } from './kv-routes.ts';
import { replyJson, responseMeta } from './reply.ts';
import { readJson, withIdempotencyKey } from './request.ts';

export function registerLeaseRoutes(app: Hono<AppEnv>, member: MemberApi, limits: Limits): void {
  const fail = (c: Context, error: VaneError): Response => errorResponse(c, error, member.header());

  app.post('/v1/lease/grant', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeLeaseGrantRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.write(
      { op: 'leaseGrant', request: decoded.request },
      writeOptions(decoded.requestId),
    );
    if (isVaneError(result)) return fail(c, result);
    // write() answers a command with the store's response to that command.
    return replyJson(c, encodeLeaseGrantResponse(result as LeaseGrantResponse, responseMeta(member)));
  });

  app.post('/v1/lease/revoke', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeLeaseRevokeRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.write(
      { op: 'leaseRevoke', request: decoded.request },
      writeOptions(decoded.requestId),
    );
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, encodeLeaseRevokeResponse(result, responseMeta(member)));
  });

  // A keepalive is idempotent by nature: it takes no request id.
  app.post('/v1/lease/keepalive', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeLeaseKeepAliveRequest(body.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.write({ op: 'leaseKeepAlive', request: decoded.request });
    if (isVaneError(result)) return fail(c, result);
    const response = result as LeaseKeepAliveResponse;
    return replyJson(c, encodeLeaseKeepAliveResponse(response, responseMeta(member)));
  });

  app.post('/v1/lease/timetolive', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeLeaseTimeToLiveRequest(body.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.leaseTimeToLive(decoded.request);
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, encodeLeaseTimeToLiveResponse(result, responseMeta(member)));
  });

  app.get('/v1/lease', async (c) => {
    const result = await member.leaseList();
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, encodeLeaseListResponse(result, responseMeta(member)));
  });
}
