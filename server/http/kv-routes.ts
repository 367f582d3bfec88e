// Keys: GET/PUT/DELETE /v1/kv/{key}, POST /v1/kv/range, POST /v1/txn, POST /v1/compact. Each route
// only reads and decodes its input; running it is shared with the watch WebSocket (client-requests.ts).
import type { Context, Hono } from 'hono';
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import type { Limits } from '../../core/limits.ts';
import {
  decodeCompactRequest,
  decodeDeleteRangeQuery,
  decodePutRequest,
  decodeRangeQuery,
  decodeRangeRequest,
  decodeTxnRequest,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { MemberApi } from '../member/index.ts';
import { runClientRequest } from './client-requests.ts';
import type { AppEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { replyJson } from './reply.ts';
import { pathRemainder, readJson, withIdempotencyKey } from './request.ts';

export const KV_PATH_PREFIX = '/v1/kv/';

export function registerKvRoutes(app: Hono<AppEnv>, member: MemberApi, limits: Limits): void {
  const fail = (c: Context, error: VaneError): Response => errorResponse(c, error, member.header());
  // c.get('api') rather than c.var.api: c.var copies every variable into a new object on each use.

  app.get(`${KV_PATH_PREFIX}*`, async (c) => {
    const key = pathRemainder(c, KV_PATH_PREFIX);
    if ('error' in key) return fail(c, key.error);
    const decoded = decodeRangeQuery(key.value, c.req.query(), limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.get('api'), { op: 'range', ...decoded });
    if (isVaneError(result)) return fail(c, result);
    const single = decoded.request.rangeEnd === undefined;
    if (single && result.count === 0) {
      const at = decoded.request.revision ? ` at revision ${decoded.request.revision}` : '';
      return errorResponse(c, vaneError('keyNotFound', `key '${key.value}' does not exist${at}`), {
        ...member.header(),
        revision: result.header.revision,
      });
    }
    return replyJson(c, result);
  });

  app.put(`${KV_PATH_PREFIX}*`, async (c) => {
    const key = pathRemainder(c, KV_PATH_PREFIX);
    if ('error' in key) return fail(c, key.error);
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodePutRequest(key.value, json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.get('api'), { op: 'put', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.delete(`${KV_PATH_PREFIX}*`, async (c) => {
    const key = pathRemainder(c, KV_PATH_PREFIX);
    if ('error' in key) return fail(c, key.error);
    const query = withIdempotencyKey(c, c.req.query());
    if ('error' in query) return fail(c, query.error);
    const decoded = decodeDeleteRangeQuery(key.value, query.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.get('api'), { op: 'deleteRange', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.post('/v1/kv/range', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeRangeRequest(body.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.get('api'), { op: 'range', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.post('/v1/txn', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeTxnRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.get('api'), { op: 'txn', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });

  app.post('/v1/compact', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeCompactRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await runClientRequest(c.get('api'), { op: 'compact', ...decoded });
    return isVaneError(result) ? fail(c, result) : replyJson(c, result);
  });
}
