// JSON codecs for POST /v1/txn. A txn is checked as a whole before it is converted: its nesting
// depth against maxTxnDepth and its operations (compares and ops, nested txns included) against
// maxTxnOps, each error naming the txn it found.

import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type { Compare, RequestOp, ResponseOp, TxnRequest, TxnResponse } from '../store/types.ts';
import {
  type CompareJson,
  type RequestOpJson,
  type ResponseOpJson,
  type TxnJson,
  type TxnRequestJson,
  type TxnResponseJson,
  txnRequestSchema,
  txnResponseSchema,
} from './client.ts';
import { MAX_COMMAND_TXN_DEPTH } from './command.ts';
import { type DecodeError, decodeError, limitError, refuse } from './errors.ts';
import {
  type DecodedRequest,
  decodeClientJson,
  decodeServerJson,
  joinPath,
  RequestChecker,
  withOptional,
} from './json-decoding.ts';
import {
  chooseEncoding,
  type DecodedResponse,
  decodeKeyValue,
  decodeKeyValues,
  encodeKeyValue,
  encodeResponseHeader,
  type ResponseMeta,
  toDeleteRangeRequest,
  toPutRequest,
  toRangeRequest,
  valueText,
} from './kv-codec.ts';
import type { ValueEncoding } from './text.ts';

export function decodeTxnRequest(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedRequest<TxnRequest> | DecodeError {
  return decodeClientJson(
    'txn',
    json,
    txnRequestSchema,
    limits,
    (parsed) => {
      const encoding = parsed.encoding ?? 'utf8';
      const check = new RequestChecker('txn', limits, encoding);
      const request = toTxnRequest(check, '', parsed);
      return withOptional<DecodedRequest<TxnRequest>>(
        { request, encoding },
        { requestId: check.requestId(parsed.requestId) },
      );
    },
    (raw) => checkTxnSize(raw, limits),
  );
}

/**
 * Refuses a txn with too many operations or nested too deep before the schema parses it, so that a
 * body of a million ops costs a count, not a parse. Runs on the raw JSON, whose depth is already
 * bounded; shapes it does not recognise are left for the schema to refuse.
 */
function checkTxnSize(raw: unknown, limits: Limits): void {
  const operations = countOperations(raw, '', 1, limits);
  if (operations > limits.maxTxnOps) {
    refuse(
      limitError(
        'txn',
        'maxTxnOps',
        limits,
        `txn has ${operations} operations (compares and ops, nested txns included)`,
        operations,
        'count',
      ),
    );
  }
}

/** Counts compares and ops, refusing a txn nested deeper than maxTxnDepth (the outermost txn is depth 1). */
function countOperations(txn: unknown, path: string, depth: number, limits: Limits): number {
  if (typeof txn !== 'object' || txn === null) return 0;
  const where = `txn${path === '' ? '' : `.${path}`}`;
  if (depth > limits.maxTxnDepth) {
    refuse(limitError(where, 'maxTxnDepth', limits, `txns nest ${depth} deep`, depth, 'count'));
  }
  if (depth > MAX_COMMAND_TXN_DEPTH) {
    refuse(
      decodeError(
        'tooManyOperations',
        where,
        `txns nest ${depth} deep; the log format allows at most ${MAX_COMMAND_TXN_DEPTH} (maxTxnDepth is set higher)`,
      ),
    );
  }
  const { compare, success, failure } = txn as { compare?: unknown; success?: unknown; failure?: unknown };
  let operations = Array.isArray(compare) ? compare.length : 0;
  for (const [branch, ops] of [
    ['success', success],
    ['failure', failure],
  ] as const) {
    if (!Array.isArray(ops)) continue;
    operations += ops.length;
    ops.forEach((op: unknown, i) => {
      if (typeof op !== 'object' || op === null) return;
      const nested = (op as { txn?: unknown }).txn;
      operations += countOperations(nested, joinPath(path, `${branch}[${i}].txn`), depth + 1, limits);
    });
  }
  return operations;
}

function toTxnRequest(check: RequestChecker, path: string, json: TxnJson): TxnRequest {
  return {
    compare: (json.compare ?? []).map((compare, i) =>
      toCompare(check, joinPath(path, `compare[${i}]`), compare),
    ),
    success: (json.success ?? []).map((op, i) => toRequestOp(check, joinPath(path, `success[${i}]`), op)),
    failure: (json.failure ?? []).map((op, i) => toRequestOp(check, joinPath(path, `failure[${i}]`), op)),
  };
}

function toCompare(check: RequestChecker, path: string, json: CompareJson): Compare {
  const selector = check.selector(path, json);
  if (json.target === 'value') {
    return {
      ...selector,
      target: 'value',
      result: json.result,
      value: check.value(joinPath(path, 'value'), json.value),
    };
  }
  return { ...selector, target: json.target, result: json.result, value: json.value };
}

function toRequestOp(check: RequestChecker, path: string, json: RequestOpJson): RequestOp {
  const kinds = presentKinds(json);
  if (kinds.length !== 1) {
    refuse(
      decodeError(
        'invalidRequest',
        check.where(path),
        `an op has exactly one of range, put, deleteRange, txn (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      ),
    );
  }
  if (json.range !== undefined) return { range: toRangeRequest(check, joinPath(path, 'range'), json.range) };
  if (json.put !== undefined) return { put: toPutRequest(check, joinPath(path, 'put'), json.put) };
  if (json.deleteRange !== undefined) {
    return { deleteRange: toDeleteRangeRequest(check, joinPath(path, 'deleteRange'), json.deleteRange) };
  }
  return { txn: toTxnRequest(check, joinPath(path, 'txn'), json.txn!) };
}

function presentKinds(op: RequestOpJson | ResponseOpJson): string[] {
  return (['range', 'put', 'deleteRange', 'txn'] as const).filter((kind) => op[kind] !== undefined);
}

// ---- encode (SDK side) ----

export function encodeTxnRequest(
  request: TxnRequest,
  options: { readonly encoding?: ValueEncoding; readonly requestId?: string } = {},
): TxnRequestJson {
  const encoding = chooseEncoding(options.encoding, txnValues(request));
  const json = encodeTxn(request, encoding);
  return withOptional<TxnRequestJson>(json, {
    encoding: encoding === 'base64' ? 'base64' : undefined,
    requestId: options.requestId,
  });
}

function encodeTxn(request: TxnRequest, encoding: ValueEncoding): TxnJson {
  return withOptional<TxnJson>(
    {},
    {
      compare:
        request.compare.length > 0 ? request.compare.map((c) => encodeCompare(c, encoding)) : undefined,
      success:
        request.success.length > 0 ? request.success.map((op) => encodeRequestOp(op, encoding)) : undefined,
      failure:
        request.failure.length > 0 ? request.failure.map((op) => encodeRequestOp(op, encoding)) : undefined,
    },
  );
}

function encodeCompare(compare: Compare, encoding: ValueEncoding): CompareJson {
  const selector =
    compare.rangeEnd === undefined ? { key: compare.key } : { key: compare.key, rangeEnd: compare.rangeEnd };
  if (compare.target === 'value') {
    return {
      ...selector,
      target: 'value',
      result: compare.result,
      value: valueText(compare.value, encoding),
    };
  }
  return { ...selector, target: compare.target, result: compare.result, value: compare.value };
}

function encodeRequestOp(op: RequestOp, encoding: ValueEncoding): RequestOpJson {
  if ('range' in op) {
    const { key, rangeEnd, revision, limit, keysOnly, countOnly } = op.range;
    return {
      range: withOptional<NonNullable<RequestOpJson['range']>>(
        { key },
        { rangeEnd, revision, limit, keysOnly, countOnly },
      ),
    };
  }
  if ('put' in op) {
    const { key, value, lease, prevKv, ignoreValue, ignoreLease } = op.put;
    const text = ignoreValue && value.length === 0 ? undefined : valueText(value, encoding);
    return {
      put: withOptional<NonNullable<RequestOpJson['put']>>(
        { key },
        { value: text, lease, prevKv, ignoreValue, ignoreLease },
      ),
    };
  }
  if ('deleteRange' in op) {
    const { key, rangeEnd, prevKv } = op.deleteRange;
    return {
      deleteRange: withOptional<NonNullable<RequestOpJson['deleteRange']>>({ key }, { rangeEnd, prevKv }),
    };
  }
  return { txn: encodeTxn(op.txn, encoding) };
}

function txnValues(request: TxnRequest): Uint8Array[] {
  const values: Uint8Array[] = [];
  const visit = (txn: TxnRequest): void => {
    for (const compare of txn.compare) if (compare.target === 'value') values.push(compare.value);
    for (const op of [...txn.success, ...txn.failure]) {
      if ('put' in op) values.push(op.put.value);
      else if ('txn' in op) visit(op.txn);
    }
  };
  visit(request);
  return values;
}

// ---- responses ----

export function encodeTxnResponse(
  response: TxnResponse,
  meta: ResponseMeta,
  encoding: ValueEncoding,
): TxnResponseJson {
  return {
    header: encodeResponseHeader(response.revision, meta),
    succeeded: response.succeeded,
    responses: response.responses.map((op) => encodeResponseOp(op, encoding)),
  };
}

function encodeResponseOp(op: ResponseOp, encoding: ValueEncoding): ResponseOpJson {
  if ('range' in op) {
    const { kvs, more, count } = op.range;
    return { range: { kvs: kvs.map((kv) => encodeKeyValue(kv, encoding)), more, count } };
  }
  if ('put' in op) {
    const { prevKv } = op.put;
    return { put: prevKv === undefined ? {} : { prevKv: encodeKeyValue(prevKv, encoding) } };
  }
  if ('deleteRange' in op) {
    const { deleted, prevKvs } = op.deleteRange;
    return {
      deleteRange:
        prevKvs === undefined
          ? { deleted }
          : { deleted, prevKvs: prevKvs.map((kv) => encodeKeyValue(kv, encoding)) },
    };
  }
  return {
    txn: {
      succeeded: op.txn.succeeded,
      responses: op.txn.responses.map((nested) => encodeResponseOp(nested, encoding)),
    },
  };
}

export function decodeTxnResponse(
  json: unknown,
  limits: Limits = DEFAULT_LIMITS,
): DecodedResponse<TxnResponse> | DecodeError {
  return decodeServerJson('txnResponse', json, txnResponseSchema, limits, (parsed) => {
    const revision = parsed.header.revision;
    return {
      header: parsed.header,
      response: {
        revision,
        succeeded: parsed.succeeded,
        responses: parsed.responses.map((op, i) =>
          decodeResponseOp(op, `txnResponse.responses[${i}]`, revision),
        ),
      },
    };
  });
}

/** Nested answers carry no header of their own: they reflect the txn's revision. */
function decodeResponseOp(op: ResponseOpJson, where: string, revision: number): ResponseOp {
  const kinds = presentKinds(op);
  if (kinds.length !== 1) {
    refuse(
      decodeError(
        'decodeError',
        where,
        `a response op has exactly one of range, put, deleteRange, txn (got ${kinds.length === 0 ? 'none' : kinds.join(', ')})`,
      ),
    );
  }
  if (op.range !== undefined) {
    const { kvs, more, count } = op.range;
    return { range: { revision, kvs: decodeKeyValues(kvs, `${where}.range.kvs`), more, count } };
  }
  if (op.put !== undefined) {
    const { prevKv } = op.put;
    return {
      put:
        prevKv === undefined
          ? { revision }
          : { revision, prevKv: decodeKeyValue(prevKv, `${where}.put.prevKv`) },
    };
  }
  if (op.deleteRange !== undefined) {
    const { deleted, prevKvs } = op.deleteRange;
    return {
      deleteRange:
        prevKvs === undefined
          ? { revision, deleted }
          : { revision, deleted, prevKvs: decodeKeyValues(prevKvs, `${where}.deleteRange.prevKvs`) },
    };
  }
  const txn = op.txn!;
  return {
    txn: {
      revision,
      succeeded: txn.succeeded,
      responses: txn.responses.map((nested, i) =>
        decodeResponseOp(nested, `${where}.txn.responses[${i}]`, revision),
      ),
    },
  };
}
