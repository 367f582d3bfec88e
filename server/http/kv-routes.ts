// Keys: GET/PUT/DELETE /v1/kv/{key}, POST /v1/kv/range, POST /v1/txn, POST /v1/compact.
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
  encodeCompactResponse,
  encodeDeleteRangeResponse,
  encodePutResponse,
  encodeRangeResponse,
  encodeTxnResponse,
  isDecodeError,
} from '../../core/protocol/index.ts';
import type { DeleteRangeResponse, PutResponse, TxnResponse } from '../../core/store/index.ts';
import type { MemberApi, ReadOptions } from '../member/index.ts';
import type { AppEnv } from './env.ts';
import { errorResponse } from './errors.ts';
import { replyJson, responseMeta } from './reply.ts';
import { pathRemainder, readJson, withIdempotencyKey } from './request.ts';

export const KV_PATH_PREFIX = '/v1/kv/';

export function registerKvRoutes(app: Hono<AppEnv>, member: MemberApi, limits: Limits): void {
  const fail = (c: Context, error: VaneError): Response => errorResponse(c, error, member.header());

  app.get(`${KV_PATH_PREFIX}*`, async (c) => {
    const key = pathRemainder(c, KV_PATH_PREFIX);
    if ('error' in key) return fail(c, key.error);
    const decoded = decodeRangeQuery(key.value, c.req.query(), limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.range(decoded.request, readOptions(decoded));
    if (isVaneError(result)) return fail(c, result);
    const single = decoded.request.rangeEnd === undefined;
    if (single && result.count === 0) {
      const at = decoded.request.revision ? ` at revision ${decoded.request.revision}` : '';
      return errorResponse(c, vaneError('keyNotFound', `key '${key.value}' does not exist${at}`), {
        ...member.header(),
        revision: result.revision,
      });
    }
    return replyJson(c, encodeRangeResponse(result, responseMeta(member), decoded.encoding));
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
    const result = await member.write(
      { op: 'put', request: decoded.request },
      writeOptions(decoded.requestId),
    );
    if (isVaneError(result)) return fail(c, result);
    // write() answers a command with the store's response to that command.
    return replyJson(c, encodePutResponse(result as PutResponse, responseMeta(member), decoded.encoding));
  });

  app.delete(`${KV_PATH_PREFIX}*`, async (c) => {
    const key = pathRemainder(c, KV_PATH_PREFIX);
    if ('error' in key) return fail(c, key.error);
    const query = withIdempotencyKey(c, c.req.query());
    if ('error' in query) return fail(c, query.error);
    const decoded = decodeDeleteRangeQuery(key.value, query.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.write(
      { op: 'deleteRange', request: decoded.request },
      writeOptions(decoded.requestId),
    );
    if (isVaneError(result)) return fail(c, result);
    const response = result as DeleteRangeResponse;
    return replyJson(c, encodeDeleteRangeResponse(response, responseMeta(member), decoded.encoding));
  });

  app.post('/v1/kv/range', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const decoded = decodeRangeRequest(body.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.range(decoded.request, readOptions(decoded));
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, encodeRangeResponse(result, responseMeta(member), decoded.encoding));
  });

  app.post('/v1/txn', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeTxnRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.write(
      { op: 'txn', request: decoded.request },
      writeOptions(decoded.requestId),
    );
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, encodeTxnResponse(result as TxnResponse, responseMeta(member), decoded.encoding));
  });

  app.post('/v1/compact', async (c) => {
    const body = await readJson(c, limits);
    if ('error' in body) return fail(c, body.error);
    const json = withIdempotencyKey(c, body.value);
    if ('error' in json) return fail(c, json.error);
    const decoded = decodeCompactRequest(json.value, limits);
    if (isDecodeError(decoded)) return fail(c, decoded);
    const result = await member.write(
      { op: 'compact', request: decoded.request },
      writeOptions(decoded.requestId),
    );
    if (isVaneError(result)) return fail(c, result);
    return replyJson(c, encodeCompactResponse(result, responseMeta(member)));
  });
}

/** minRevision flows through as soon as core/protocol decodes it (it does not yet). */
function readOptions(decoded: {
  readonly serializable?: boolean;
  readonly minRevision?: number;
}): ReadOptions {
  const serializable = decoded.serializable === true;
  return decoded.minRevision === undefined
    ? { serializable }
    : { serializable, minRevision: decoded.minRevision };
}

export function writeOptions(requestId: string | undefined): { requestId?: string } {
  return requestId === undefined ? {} : { requestId };
}
