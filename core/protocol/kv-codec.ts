// JSON codecs for the key-value routes: range (GET /v1/kv/{key}, POST /v1/kv/range), put
// (PUT /v1/kv/{key}), deleteRange (DELETE /v1/kv/{key}) and compact (POST /v1/compact). Decoders
// turn client JSON into the store's types; encoders turn store types into JSON, in both directions
// (the server answers with response encoders, the SDK builds requests with request encoders).

import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type { NodeId } from '../raft/types.ts';
import type {
  CompactRequest,
  CompactResponse,
  DeleteRangeRequest,
  DeleteRangeResponse,
  KeyValue,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
} from '../store/types.ts';
import {
  type CompactRequestJson,
  type CompactResponseJson,
  compactRequestSchema,
  compactResponseSchema,
  type DeleteQueryJson,
  type DeleteRangeResponseJson,
  deleteQuerySchema,
  deleteRangeResponseSchema,
  type KeyValueJson,
  type PutBodyJson,
  type PutResponseJson,
  putBodySchema,
  putResponseSchema,
  type RangeQueryJson,
  type RangeRequestJson,
  type RangeResponseJson,
  type ResponseHeaderJson,
  rangeQuerySchema,
  rangeRequestSchema,
  rangeResponseSchema,
} from './client.ts';
import { type DecodeError, decodeError, refuse } from './errors.ts';
import {
  type DecodedRequest,
  decodeClientJson,
  decodeServerJson,
  joinPath,
  type KeySelectorJson,
  RequestChecker,
  withOptional,
} from './json-decoding.ts';
import { loneSurrogateIndex } from './keys.ts';
import { decodeBase64, decodeUtf8, encodeBase64, encodeUtf8, type ValueEncoding } from './text.ts';

/** What the server adds to every response besides the revision. */
export interface ResponseMeta {
  readonly member: NodeId;
  readonly raftTerm: number;
}

/** A response as the SDK sees it: the store's type plus the header it came with. */
export interface DecodedResponse<T> {
  readonly header: ResponseHeaderJson;
  readonly response: T;
}

// ---- requests: decode (server side) ----

export function decodeRangeRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<RangeRequest> | DecodeError {
  return decodeClientJson('range', json, rangeRequestSchema, limits, (parsed) => {
    const encoding = parsed.encoding ?? 'utf8';
    const check = new RequestChecker('range', limits, encoding);
    return withOptional<DecodedRequest<RangeRequest>>(
      { request: toRangeRequest(check, '', parsed), encoding },
      { serializable: parsed.serializable, minRevision: parsed.minRevision },
    );
  });
}

/** GET /v1/kv/{key}: `key` from the path (already URL-decoded), options from the query string. */
export function decodeRangeQuery(
  key: string,
  query: Readonly<Record<string, string>>,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<RangeRequest> | DecodeError {
  return decodeClientJson('range', query, rangeQuerySchema, limits, (parsed) => {
    const encoding = parsed.encoding ?? 'utf8';
    const check = new RequestChecker('range', limits, encoding);
    return withOptional<DecodedRequest<RangeRequest>>(
      { request: toRangeRequest(check, '', { ...parsed, key }), encoding },
      { serializable: parsed.serializable, minRevision: parsed.minRevision },
    );
  });
}

/** PUT /v1/kv/{key}: `key` from the path, the rest from the JSON body. */
export function decodePutRequest(
  key: string,
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<PutRequest> | DecodeError {
  return decodeClientJson('put', json, putBodySchema, limits, (parsed) => {
    const encoding = parsed.encoding ?? 'utf8';
    const check = new RequestChecker('put', limits, encoding);
    const request = toPutRequest(check, '', { ...parsed, key });
    return withOptional<DecodedRequest<PutRequest>>(
      { request, encoding },
      { requestId: check.requestId(parsed.requestId) },
    );
  });
}

/** DELETE /v1/kv/{key}: `key` from the path, options from the query string. */
export function decodeDeleteRangeQuery(
  key: string,
  query: Readonly<Record<string, string>>,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<DeleteRangeRequest> | DecodeError {
  return decodeClientJson('deleteRange', query, deleteQuerySchema, limits, (parsed) => {
    const encoding = parsed.encoding ?? 'utf8';
    const check = new RequestChecker('deleteRange', limits, encoding);
    const request = toDeleteRangeRequest(check, '', { ...parsed, key });
    return withOptional<DecodedRequest<DeleteRangeRequest>>(
      { request, encoding },
      { requestId: check.requestId(parsed.requestId) },
    );
  });
}

export function decodeCompactRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<CompactRequest> | DecodeError {
  return decodeClientJson('compact', json, compactRequestSchema, limits, (parsed) => {
    const check = new RequestChecker('compact', limits, 'utf8');
    return withOptional<DecodedRequest<CompactRequest>>(
      { request: { revision: parsed.revision }, encoding: 'utf8' },
      { requestId: check.requestId(parsed.requestId) },
    );
  });
}

/** `path` is relative to the checker's root ('' for a top-level request, 'success[2].range' in a txn). */
export function toRangeRequest(
  check: RequestChecker,
  path: string,
  json: KeySelectorJson & {
    readonly revision?: number | undefined;
    readonly limit?: number | undefined;
    readonly keysOnly?: boolean | undefined;
    readonly countOnly?: boolean | undefined;
  },
): RangeRequest {
  return withOptional<RangeRequest>(check.selector(path, json), {
    revision: json.revision,
    limit: json.limit,
    keysOnly: json.keysOnly,
    countOnly: json.countOnly,
  });
}

export function toPutRequest(
  check: RequestChecker,
  path: string,
  json: {
    readonly key: string;
    readonly value?: string | undefined;
    readonly lease?: number | undefined;
    readonly prevKv?: boolean | undefined;
    readonly ignoreValue?: boolean | undefined;
    readonly ignoreLease?: boolean | undefined;
  },
): PutRequest {
  const at = (field: string): string => check.where(joinPath(path, field));
  const key = check.key(path, 'key', json.key);
  if (key === '')
    refuse(decodeError('invalidRequest', at('key'), 'empty; every key has at least one character'));
  if (json.ignoreValue === true && json.value !== undefined && json.value !== '') {
    refuse(decodeError('invalidRequest', at('value'), 'must be absent when ignoreValue is true'));
  }
  if (json.ignoreValue !== true && json.value === undefined) {
    refuse(decodeError('invalidRequest', at('value'), 'missing (required unless ignoreValue is true)'));
  }
  if (json.ignoreLease === true && json.lease !== undefined && json.lease !== 0) {
    refuse(decodeError('invalidRequest', at('lease'), 'must be absent when ignoreLease is true'));
  }
  const value =
    json.value === undefined ? new Uint8Array(0) : check.value(joinPath(path, 'value'), json.value);
  return withOptional<PutRequest>(
    { key, value },
    { lease: json.lease, prevKv: json.prevKv, ignoreValue: json.ignoreValue, ignoreLease: json.ignoreLease },
  );
}

export function toDeleteRangeRequest(
  check: RequestChecker,
  path: string,
  json: KeySelectorJson & { readonly prevKv?: boolean | undefined },
): DeleteRangeRequest {
  return withOptional<DeleteRangeRequest>(check.selector(path, json), { prevKv: json.prevKv });
}

// ---- requests: encode (SDK side) ----

export interface RequestOptions {
  /** Asked-for value encoding; a request with a value that is not UTF-8 text goes as base64 anyway. */
  readonly encoding?: ValueEncoding;
  readonly requestId?: string;
}

/** How a read is to be served, beside what it reads. */
export interface ReadOptions {
  readonly serializable?: boolean;
  readonly minRevision?: number;
  readonly encoding?: ValueEncoding;
}

export function encodeRangeRequest(request: RangeRequest, options: ReadOptions = {}): RangeRequestJson {
  return withOptional<RangeRequestJson>(
    { key: request.key },
    {
      rangeEnd: request.rangeEnd,
      revision: request.revision,
      limit: request.limit,
      keysOnly: request.keysOnly,
      countOnly: request.countOnly,
      serializable: options.serializable,
      minRevision: options.minRevision,
      encoding: options.encoding === 'base64' ? 'base64' : undefined,
    },
  );
}

/** The query string of GET /v1/kv/{key} (the key goes in the path: see kvPath). */
export function encodeRangeQuery(request: RangeRequest, options: ReadOptions = {}): RangeQueryJson {
  const json = encodeRangeRequest(request, options);
  return withOptional<RangeQueryJson>(
    {},
    {
      rangeEnd: json.rangeEnd,
      revision: queryNumber(json.revision),
      limit: queryNumber(json.limit),
      keysOnly: json.keysOnly ? 'true' : undefined,
      countOnly: json.countOnly ? 'true' : undefined,
      serializable: json.serializable ? 'true' : undefined,
      minRevision: queryNumber(json.minRevision),
      encoding: json.encoding,
    },
  );
}

/** The body of PUT /v1/kv/{key}. */
export function encodePutBody(request: PutRequest, options: RequestOptions = {}): PutBodyJson {
  const encoding = chooseEncoding(options.encoding, [request.value]);
  return withOptional<PutBodyJson>(
    {},
    {
      value:
        request.ignoreValue && request.value.length === 0 ? undefined : valueText(request.value, encoding),
      lease: request.lease,
      prevKv: request.prevKv,
      ignoreValue: request.ignoreValue,
      ignoreLease: request.ignoreLease,
      encoding: encoding === 'base64' ? 'base64' : undefined,
      requestId: options.requestId,
    },
  );
}

/** The query string of DELETE /v1/kv/{key}. */
export function encodeDeleteRangeQuery(
  request: DeleteRangeRequest,
  options: RequestOptions = {},
): DeleteQueryJson {
  return withOptional<DeleteQueryJson>(
    {},
    {
      rangeEnd: request.rangeEnd,
      prevKv: request.prevKv ? 'true' : undefined,
      encoding: options.encoding === 'base64' ? 'base64' : undefined,
      requestId: options.requestId,
    },
  );
}

export function encodeCompactRequest(
  request: CompactRequest,
  options: { readonly requestId?: string } = {},
): CompactRequestJson {
  return withOptional<CompactRequestJson>({ revision: request.revision }, { requestId: options.requestId });
}

/** The path of a single key's routes; the key is percent-encoded whole (slashes included). */
export function kvPath(key: string): string {
  return `/v1/kv/${encodeURIComponent(key)}`;
}

// ---- responses: encode (server side) ----

export function encodeResponseHeader(revision: number, meta: ResponseMeta): ResponseHeaderJson {
  return { revision, member: meta.member, raftTerm: meta.raftTerm };
}

export function encodeKeyValue(kv: KeyValue, encoding: ValueEncoding): KeyValueJson {
  const text = encoding === 'utf8' ? decodeUtf8(kv.value) : undefined;
  const json = {
    key: kv.key,
    value: text ?? encodeBase64(kv.value),
    createRevision: kv.createRevision,
    modRevision: kv.modRevision,
    version: kv.version,
    lease: kv.lease,
  };
  return text === undefined ? { ...json, valueEncoding: 'base64' } : json;
}

export function encodeRangeResponse(
  response: RangeResponse,
  meta: ResponseMeta,
  encoding: ValueEncoding,
): RangeResponseJson {
  return {
    header: encodeResponseHeader(response.revision, meta),
    kvs: response.kvs.map((kv) => encodeKeyValue(kv, encoding)),
    more: response.more,
    count: response.count,
  };
}

export function encodePutResponse(
  response: PutResponse,
  meta: ResponseMeta,
  encoding: ValueEncoding,
): PutResponseJson {
  const header = encodeResponseHeader(response.revision, meta);
  return response.prevKv === undefined
    ? { header }
    : { header, prevKv: encodeKeyValue(response.prevKv, encoding) };
}

export function encodeDeleteRangeResponse(
  response: DeleteRangeResponse,
  meta: ResponseMeta,
  encoding: ValueEncoding,
): DeleteRangeResponseJson {
  const json = { header: encodeResponseHeader(response.revision, meta), deleted: response.deleted };
  return response.prevKvs === undefined
    ? json
    : { ...json, prevKvs: response.prevKvs.map((kv) => encodeKeyValue(kv, encoding)) };
}

export function encodeCompactResponse(response: CompactResponse, meta: ResponseMeta): CompactResponseJson {
  return { header: encodeResponseHeader(response.revision, meta) };
}

// ---- responses: decode (SDK side) ----

export function decodeKeyValue(json: KeyValueJson, where: string): KeyValue {
  return {
    key: json.key,
    value: valueBytes(json.value, json.valueEncoding ?? 'utf8', `${where}.value`),
    createRevision: json.createRevision,
    modRevision: json.modRevision,
    version: json.version,
    lease: json.lease,
  };
}

export function decodeKeyValues(json: readonly KeyValueJson[], where: string): KeyValue[] {
  return json.map((kv, i) => decodeKeyValue(kv, `${where}[${i}]`));
}

export function decodeRangeResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<RangeResponse> | DecodeError {
  return decodeServerJson('rangeResponse', json, rangeResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: {
      revision: parsed.header.revision,
      kvs: decodeKeyValues(parsed.kvs, 'rangeResponse.kvs'),
      more: parsed.more,
      count: parsed.count,
    },
  }));
}

export function decodePutResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<PutResponse> | DecodeError {
  return decodeServerJson('putResponse', json, putResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: withOptional<PutResponse>(
      { revision: parsed.header.revision },
      { prevKv: parsed.prevKv && decodeKeyValue(parsed.prevKv, 'putResponse.prevKv') },
    ),
  }));
}

export function decodeDeleteRangeResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<DeleteRangeResponse> | DecodeError {
  return decodeServerJson('deleteRangeResponse', json, deleteRangeResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: withOptional<DeleteRangeResponse>(
      { revision: parsed.header.revision, deleted: parsed.deleted },
      { prevKvs: parsed.prevKvs && decodeKeyValues(parsed.prevKvs, 'deleteRangeResponse.prevKvs') },
    ),
  }));
}

export function decodeCompactResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<CompactResponse> | DecodeError {
  return decodeServerJson('compactResponse', json, compactResponseSchema, limits, (parsed) => ({
    header: parsed.header,
    response: { revision: parsed.header.revision },
  }));
}

// ---- values ----

/** The encoding a request goes in: base64 if asked for, or if any value is not UTF-8 text. */
export function chooseEncoding(
  asked: ValueEncoding | undefined,
  values: readonly Uint8Array[],
): ValueEncoding {
  if (asked === 'base64') return 'base64';
  return values.every((value) => decodeUtf8(value) !== undefined) ? 'utf8' : 'base64';
}

export function valueText(value: Uint8Array, encoding: ValueEncoding): string {
  if (encoding === 'base64') return encodeBase64(value);
  const text = decodeUtf8(value);
  if (text === undefined)
    throw new Error('valueText: value is not UTF-8 text; choose its encoding with chooseEncoding');
  return text;
}

function valueBytes(text: string, encoding: ValueEncoding, where: string): Uint8Array {
  if (encoding === 'base64') {
    const bytes = decodeBase64(text);
    if (typeof bytes === 'string') refuse(decodeError('decodeError', where, bytes));
    return bytes;
  }
  const surrogate = loneSurrogateIndex(text);
  if (surrogate >= 0)
    refuse(decodeError('decodeError', where, `not valid Unicode (lone surrogate at index ${surrogate})`));
  return encodeUtf8(text);
}

function queryNumber(value: number | undefined): string | undefined {
  return value === undefined ? undefined : String(value);
}
