// Leases: POST /v1/lease/grant, /revoke, /keepalive, /timetolive; GET /v1/lease. Each route only
// reads and decodes its input; running it is shared with the watch WebSocket (client-requests.ts).
import type { Context, Hono } from 'hono';
import { isVaneError, type VaneError } from '../../core/errors.ts';
import type { Limits } from '../../core/limits.ts';
import {
  decodeLeaseGrantRequest,
  decodeLeaseKeepAliveRequest,
  decodeLeaseRevokeRequest,
  decodeLeaseTimeToLiveRequest,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { MemberApi } from '../member/index.ts';
import { runClientRequest } from './client-requests.ts';
import type { AppEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { replyJson } from './reply.ts';
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
    const result = await runClientRequest(c.var.api, { op: 'leaseGrant', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.post('/v1/lease/revoke', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeLeaseRevokeRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.var.api, { op: 'leaseRevoke', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.post('/v1/lease/keepalive', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeLeaseKeepAliveRequest(body.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.var.api, { op: 'leaseKeepAlive', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.post('/v1/lease/timetolive', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeLeaseTimeToLiveRequest(body.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.var.api, { op: 'leaseTimeToLive', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.get('/v1/lease', async (c) => {
    const result = await runClientRequest(c.var.api, { op: 'leaseList', encoding: 'utf8' });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });
}
