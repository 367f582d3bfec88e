import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import type { TxnRequest } from '../store/types.ts';
import {
  deleteRangeRequest,
  keyValue,
  putRequest,
  rangeRequest,
  safeNat,
  text,
  txnRequest,
  txnResponse,
  vaneError,
  watchRequest,
  watchResponse,
} from './arbitraries.test.ts';
import { decodeAddMemberRequest, decodeMemberId } from './cluster-codec.ts';
import { decodeErrorBody, encodeErrorBody } from './error-body.ts';
import { type DecodeError, isDecodeError } from './errors.ts';
import { parseJsonBody } from './json.ts';
import {
  decodeCompactRequest,
  decodeDeleteRangeQuery,
  decodeDeleteRangeResponse,
  decodePutRequest,
  decodePutResponse,
  decodeRangeQuery,
  decodeRangeRequest,
  decodeRangeResponse,
  encodeCompactRequest,
  encodeDeleteRangeQuery,
  encodeDeleteRangeResponse,
  encodePutBody,
  encodePutResponse,
  encodeRangeQuery,
  encodeRangeRequest,
  encodeRangeResponse,
  kvPath,
} from './kv-codec.ts';
import {
  decodeLeaseGrantRequest,
  decodeLeaseTimeToLiveResponse,
  encodeLeaseGrantRequest,
  encodeLeaseTimeToLiveResponse,
} from './lease-codec.ts';
import { decodeTxnRequest, decodeTxnResponse, encodeTxnRequest, encodeTxnResponse } from './txn-codec.ts';
import {
  decodeWatchClientMessage,
  decodeWatchServerMessage,
  encodeProgressAnswer,
  encodeWatchClientMessage,
  encodeWatchError,
  encodeWatchResponse,
} from './watch-codec.ts';

/** Through the wire: what a peer receives is JSON text, not the object the encoder built. */
function wire<T>(json: T): unknown {
  return JSON.parse(JSON.stringify(json));
}

function expectError(result: unknown): DecodeError {
  assert.ok(isDecodeError(result), `expected a DecodeError, got ${JSON.stringify(result)}`);
  return result;
}

function expectValue<T>(result: T | DecodeError): T {
  assert.ok(!isDecodeError(result), `expected a value, got: ${isDecodeError(result) ? result.message : ''}`);
  return result as T;
}

const encoding = fc.constantFrom('utf8', 'base64' as const);
const meta = fc.record({ member: text(1, 8), raftTerm: safeNat }, { noNullPrototype: true });
/** Round trips of random txns must not trip the default limits. */
const roomy: Limits = { ...DEFAULT_LIMITS, maxTxnOps: 100_000 };

describe('client JSON codecs round-trip', () => {
  it('range requests, in the body and in the query string', () => {
    fc.assert(
      fc.property(
        rangeRequest,
        fc.boolean(),
        fc.option(safeNat, { nil: undefined }),
        encoding,
        (request, serializable, minRevision, enc) => {
          const options =
            minRevision === undefined
              ? { serializable, encoding: enc }
              : { serializable, minRevision, encoding: enc };
          const body = expectValue(decodeRangeRequest(wire(encodeRangeRequest(request, options))));
          assert.deepStrictEqual(body.request, request);
          assert.equal(body.serializable === true, serializable);
          assert.equal(body.minRevision, minRevision || undefined);
          assert.equal(body.encoding, enc);
          const query = encodeRangeQuery(request, options);
          const fromQuery = expectValue(decodeRangeQuery(request.key, query as Record<string, string>));
          assert.deepStrictEqual(fromQuery, body);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('puts, deletes and compactions, with values as text or base64', () => {
    fc.assert(
      fc.property(putRequest, deleteRangeRequest, encoding, text(1, 20), (put, del, enc, requestId) => {
        const decodedPut = expectValue(
          decodePutRequest(put.key, wire(encodePutBody(put, { encoding: enc, requestId }))),
        );
        assert.deepStrictEqual(decodedPut.request, put);
        assert.equal(decodedPut.requestId, requestId);
        const query = encodeDeleteRangeQuery(del, { requestId }) as Record<string, string>;
        assert.deepStrictEqual(expectValue(decodeDeleteRangeQuery(del.key, query)).request, del);
        const compact = expectValue(
          decodeCompactRequest(wire(encodeCompactRequest({ revision: 7 }, { requestId }))),
        );
        assert.deepStrictEqual(compact, { request: { revision: 7 }, encoding: 'utf8', requestId });
      }),
      { numRuns: 200 },
    );
  });

  it('txns, nested ones included', () => {
    fc.assert(
      fc.property(txnRequest, encoding, (request, enc) => {
        const decoded = expectValue(
          decodeTxnRequest(wire(encodeTxnRequest(request, { encoding: enc })), roomy),
        );
        assert.deepStrictEqual(decoded.request, request);
      }),
      { numRuns: 200 },
    );
  });

  it('kv responses carry the header and every value exactly, text or not', () => {
    fc.assert(
      fc.property(
        fc.array(keyValue, { maxLength: 4 }),
        safeNat,
        meta,
        encoding,
        fc.boolean(),
        (kvs, revision, m, enc, withPrev) => {
          const range = { revision, kvs, more: kvs.length > 2, count: kvs.length };
          const decoded = expectValue(decodeRangeResponse(wire(encodeRangeResponse(range, m, enc))));
          assert.deepStrictEqual(decoded, { header: { revision, ...m }, response: range });
          const put = withPrev && kvs[0] !== undefined ? { revision, prevKv: kvs[0] } : { revision };
          assert.deepStrictEqual(
            expectValue(decodePutResponse(wire(encodePutResponse(put, m, enc)))).response,
            put,
          );
          const del = withPrev ? { revision, deleted: kvs.length, prevKvs: kvs } : { revision, deleted: 3 };
          const decodedDel = expectValue(
            decodeDeleteRangeResponse(wire(encodeDeleteRangeResponse(del, m, enc))),
          );
          assert.deepStrictEqual(decodedDel.response, del);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('txn responses', () => {
    fc.assert(
      fc.property(txnResponse, meta, encoding, (response, m, enc) => {
        const decoded = expectValue(decodeTxnResponse(wire(encodeTxnResponse(response, m, enc))));
        assert.deepStrictEqual(decoded.response, response);
      }),
      { numRuns: 150 },
    );
  });

  it('watch messages in both directions, and error bodies', () => {
    fc.assert(
      fc.property(
        watchRequest,
        fc.option(safeNat, { nil: undefined }),
        encoding,
        watchResponse,
        meta,
        vaneError,
        (request, watchId, enc, response, m, error) => {
          const create =
            watchId === undefined
              ? { type: 'watchCreate' as const, request, encoding: enc }
              : { type: 'watchCreate' as const, watchId, request, encoding: enc };
          assert.deepStrictEqual(decodeWatchClientMessage(wire(encodeWatchClientMessage(create))), create);
          const cancel = { type: 'watchCancel' as const, watchId: 4 };
          assert.deepStrictEqual(decodeWatchClientMessage(wire(encodeWatchClientMessage(cancel))), cancel);
          const decoded = expectValue(decodeWatchServerMessage(wire(encodeWatchResponse(response, m, enc))));
          assert.deepStrictEqual(decoded, {
            type: 'watchResponse',
            header: { revision: response.revision, ...m },
            response,
          });
          assert.deepStrictEqual(decodeWatchServerMessage(wire(encodeWatchError(error, 9))), {
            type: 'error',
            watchId: 9,
            error,
          });
          assert.deepStrictEqual(decodeErrorBody(wire(encodeErrorBody(error))), { error });
        },
      ),
      { numRuns: 200 },
    );
  });

  it("progress answers, with a member's freshness only when it is stale, and the edge's", () => {
    const m = { member: 'm2', raftTerm: 3 };
    const progress = { watchId: -1, revision: 8, events: [] };
    assert.deepStrictEqual(wire(encodeProgressAnswer(8, m)), wire(encodeWatchResponse(progress, m, 'utf8')));
    const freshness = { stale: true, ageMs: 2300, reason: 'no leader' };
    assert.deepStrictEqual(
      expectValue(decodeWatchServerMessage(wire(encodeProgressAnswer(8, m, freshness)))),
      {
        type: 'watchResponse',
        header: { revision: 8, ...m },
        response: progress,
        freshness,
      },
    );
    const edge = { stale: false, ageMs: 0 };
    const fromEdge = { ...encodeWatchResponse(progress, m, 'utf8'), edge };
    assert.deepStrictEqual(expectValue(decodeWatchServerMessage(wire(fromEdge))), {
      type: 'watchResponse',
      header: { revision: 8, ...m },
      response: progress,
      edge,
    });
    const bad = { ...encodeWatchResponse(progress, m, 'utf8'), freshness: { stale: true, ageMs: -5 } };
    assert.match(expectError(decodeWatchServerMessage(wire(bad))).message, /watch\.freshness\.ageMs/);
  });

  it('leases', () => {
    const grant = { ttl: 30, id: 12 };
    assert.deepStrictEqual(
      expectValue(decodeLeaseGrantRequest(wire(encodeLeaseGrantRequest(grant)))).request,
      grant,
    );
    const ttl = { revision: 5, id: 12, ttl: -1, grantedTtl: 30, keys: ['a', 'b'] };
    const decoded = expectValue(
      decodeLeaseTimeToLiveResponse(wire(encodeLeaseTimeToLiveResponse(ttl, { member: 'm', raftTerm: 2 }))),
    );
    assert.deepStrictEqual(decoded.response, ttl);
  });
});

describe('client JSON decoding', () => {
  it('turns prefix into the range of every key that starts with it', () => {
    assert.deepStrictEqual(expectValue(decodeRangeRequest({ key: 'app/', prefix: true })).request, {
      key: 'app/',
      rangeEnd: 'app0',
    });
    // The empty prefix is every key, in etcd's spelling (the store refuses an empty key).
    assert.deepStrictEqual(expectValue(decodeRangeQuery('', { prefix: 'true' })).request, {
      key: '\0',
      rangeEnd: '\0',
    });
  });

  it('sends a value that is not UTF-8 text as base64 even when text was asked for, and marks it', () => {
    const kv = {
      key: 'k',
      value: new Uint8Array([0xff]),
      createRevision: 1,
      modRevision: 1,
      version: 1,
      lease: 0,
    };
    const json = encodeRangeResponse(
      { revision: 1, kvs: [kv], more: false, count: 1 },
      { member: 'm', raftTerm: 1 },
      'utf8',
    );
    assert.deepStrictEqual(json.kvs[0], { ...kv, value: '/w==', valueEncoding: 'base64' });
    assert.equal(encodePutBody({ key: 'k', value: new Uint8Array([0xff]) }).encoding, 'base64');
  });

  it('decodes member changes, refusing ids the peer codec could not carry', () => {
    assert.deepStrictEqual(decodeAddMemberRequest({ id: 'm4', peerUrl: 'wss://10.0.0.4:2380' }), {
      id: 'm4',
      peerUrl: 'wss://10.0.0.4:2380',
      learner: false,
    });
    assert.equal(
      expectError(decodeAddMemberRequest({ id: 'm4', peerUrl: 'ftp://10.0.0.4' })).where,
      'addMember.peerUrl',
    );
    assert.equal(
      expectError(decodeMemberId('m'.repeat(300))).message,
      'member id: 300 bytes; at most 256 are allowed',
    );
    assert.equal(expectError(decodeMemberId('')).message, 'member id: empty');
    assert.equal(decodeMemberId('m2'), 'm2');
  });

  it('percent-encodes a key whole in its route', () => {
    assert.equal(kvPath('app/feature flags/ü'), '/v1/kv/app%2Ffeature%20flags%2F%C3%BC');
  });

  const malformed: { name: string; decode: () => unknown; code: DecodeError['code']; message: string }[] = [
    {
      name: 'a misspelt option',
      decode: () => decodeRangeRequest({ key: 'a', prefx: true }),
      code: 'invalidRequest',
      message: 'range.prefx: unknown field',
    },
    {
      name: 'a key of the wrong type',
      decode: () => decodeRangeRequest({ key: 5 }),
      code: 'invalidRequest',
      message: 'range.key: expected string, received number',
    },
    {
      name: 'a missing key',
      decode: () => decodeRangeRequest({}),
      code: 'invalidRequest',
      message: 'range.key: missing (expected string)',
    },
    {
      name: 'a body that is not an object',
      decode: () => decodeTxnRequest([]),
      code: 'invalidRequest',
      message: 'txn: expected object, received array',
    },
    {
      name: 'an empty single key',
      decode: () => decodeRangeRequest({ key: '' }),
      code: 'invalidRequest',
      message: 'range.key: empty; a key selects nothing',
    },
    {
      name: 'prefix and rangeEnd together',
      decode: () => decodeRangeRequest({ key: 'a', prefix: true, rangeEnd: 'b' }),
      code: 'invalidRequest',
      message: 'range: give either prefix or rangeEnd, not both',
    },
    {
      name: 'a negative revision in the query string',
      decode: () => decodeRangeQuery('k', { revision: '-1' }),
      code: 'invalidRequest',
      message: 'range.revision: expected a non-negative integer',
    },
    {
      name: 'a revision beyond 2^53-1',
      decode: () => decodeRangeRequest({ key: 'k', revision: 2 ** 60 }),
      code: 'invalidRequest',
      message: 'range.revision: too big: expected int to be <=9007199254740991',
    },
    {
      name: 'a fractional limit',
      decode: () => decodeRangeRequest({ key: 'k', limit: 1.5 }),
      code: 'invalidRequest',
      message: 'range.limit: expected int, received number',
    },
    {
      name: 'a boolean spelt "yes" in the query string',
      decode: () => decodeRangeQuery('k', { serializable: 'yes' }),
      code: 'invalidRequest',
      message: 'range.serializable: expected one of "true"|"false"',
    },
    {
      name: 'a put without a value',
      decode: () => decodePutRequest('k', {}),
      code: 'invalidRequest',
      message: 'put.value: missing (required unless ignoreValue is true)',
    },
    {
      name: 'a value beside ignoreValue',
      decode: () => decodePutRequest('k', { value: 'x', ignoreValue: true }),
      code: 'invalidRequest',
      message: 'put.value: must be absent when ignoreValue is true',
    },
    {
      name: 'bad base64',
      decode: () => decodePutRequest('k', { value: 'aGk!', encoding: 'base64' }),
      code: 'invalidRequest',
      message: 'put.value: character "!" at index 3 is not base64',
    },
    {
      name: 'a lone surrogate in a text value',
      decode: () => decodePutRequest('k', { value: 'a\ud800' }),
      code: 'invalidRequest',
      message:
        "put.value: not valid Unicode (lone surrogate at index 1); send binary values with encoding 'base64'",
    },
    {
      name: 'a lone surrogate in a key',
      decode: () => decodeRangeRequest({ key: '\udc00' }),
      code: 'invalidRequest',
      message: 'range.key: not valid Unicode (lone surrogate at index 0)',
    },
    {
      name: 'an op with two kinds',
      decode: () => decodeTxnRequest({ success: [{ put: { key: 'a', value: '' }, range: { key: 'a' } }] }),
      code: 'invalidRequest',
      message: 'txn.success[0]: an op has exactly one of range, put, deleteRange, txn (got range, put)',
    },
    {
      name: 'an unknown compare target',
      decode: () => decodeTxnRequest({ compare: [{ key: 'a', target: 'size', result: 'equal', value: 1 }] }),
      code: 'invalidRequest',
      message:
        "txn.compare[0].target: invalid discriminator value. Expected 'value' | 'version' | 'createRevision' | 'modRevision' | 'lease'",
    },
    {
      name: 'a prototype-polluting key',
      decode: () => decodeTxnRequest(JSON.parse('{"__proto__": {"polluted": true}}')),
      code: 'invalidRequest',
      message: 'txn.__proto__: unknown field',
    },
    {
      name: 'a duplicated watch filter',
      decode: () =>
        decodeWatchClientMessage({ v: 1, type: 'watchCreate', key: 'a', filters: ['noPut', 'noPut'] }),
      code: 'invalidRequest',
      message: 'watchCreate.filters: a filter is listed twice',
    },
    {
      name: 'a watch message of another protocol version',
      decode: () => decodeWatchClientMessage({ v: 2, type: 'watchCreate', key: 'a' }),
      code: 'unsupportedVersion',
      message: 'watch.v: protocol version 2 is not supported; this side speaks version 1',
    },
    {
      name: 'a watch message without a version',
      decode: () => decodeWatchClientMessage({ type: 'progress' }),
      code: 'invalidRequest',
      message: 'watch.v: expected 1',
    },
    {
      name: 'a body that is not JSON',
      decode: () => parseJsonBody('{"key": ', DEFAULT_LIMITS),
      code: 'decodeError',
      message: 'request body: body is not valid JSON (Unexpected end of JSON input)',
    },
  ];
  for (const { name, decode, code, message } of malformed) {
    it(`refuses ${name}, saying what and where`, () => {
      const error = expectError(decode());
      assert.equal(error.message, message);
      assert.equal(error.code, code);
    });
  }

  it('leaves Object.prototype alone when given __proto__ keys', () => {
    decodeTxnRequest(JSON.parse('{"__proto__": {"polluted": true}}'));
    decodeErrorBody(
      JSON.parse('{"error": {"code": "timeout", "message": "m", "details": {"__proto__": {"polluted": 1}}}}'),
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('client limits', () => {
  const keyOf = (bytes: number): string => 'k'.repeat(bytes);
  const txnWithPutKey = (key: string) => ({
    success: [0, 1, 2]
      .map((i) => ({ put: { key: `k${i}`, value: 'v' } }))
      .concat([{ put: { key, value: 'v' } }]),
  });

  it('refuses a key over maxKeyBytes, naming the limit and the field', () => {
    const error = expectError(decodeTxnRequest(txnWithPutKey(keyOf(9000))));
    assert.equal(error.code, 'keyTooLarge');
    assert.equal(
      error.message,
      'txn.success[3].put.key: key is 9000 bytes; the limit is 8 KiB (maxKeyBytes)',
    );
    assert.deepStrictEqual(error.details, { limit: 'maxKeyBytes', maximum: 8192, actual: 9000 });
    assert.ok(!isDecodeError(decodeTxnRequest(txnWithPutKey(keyOf(8192)))));
  });

  it('counts UTF-8 bytes, not characters, against maxKeyBytes', () => {
    const limits = { ...DEFAULT_LIMITS, maxKeyBytes: 4 };
    assert.ok(!isDecodeError(decodeRangeRequest({ key: 'éé' }, limits)));
    assert.equal(
      expectError(decodeRangeRequest({ key: 'ééé' }, limits)).message,
      'range.key: key is 6 bytes; the limit is 4 bytes (maxKeyBytes)',
    );
    assert.equal(
      expectError(decodeRangeRequest({ key: 'a', rangeEnd: '😀😀' }, limits)).message,
      'range.rangeEnd: rangeEnd is 8 bytes; the limit is 4 bytes (maxKeyBytes)',
    );
  });

  it('refuses a value over maxValueBytes, in either encoding, before decoding it', () => {
    const limits = { ...DEFAULT_LIMITS, maxValueBytes: 3 };
    assert.ok(!isDecodeError(decodePutRequest('k', { value: 'AAAA', encoding: 'base64' }, limits)));
    const error = expectError(decodePutRequest('k', { value: 'AAAAAA==', encoding: 'base64' }, limits));
    assert.equal(error.code, 'valueTooLarge');
    assert.equal(error.message, 'put.value: value is 4 bytes; the limit is 3 bytes (maxValueBytes)');
    assert.equal(
      expectError(
        decodeTxnRequest(
          { compare: [{ key: 'a', target: 'value', result: 'equal', value: 'four' }] },
          limits,
        ),
      ).message,
      'txn.compare[0].value: value is 4 bytes; the limit is 3 bytes (maxValueBytes)',
    );
  });

  it('refuses a request whose keys and values add up to more than maxRequestBytes', () => {
    const limits = { ...DEFAULT_LIMITS, maxRequestBytes: 100 };
    const ops = Array.from({ length: 4 }, (_, i) => ({ put: { key: `key${i}`, value: 'v'.repeat(20) } }));
    assert.ok(!isDecodeError(decodeTxnRequest({ success: ops }, limits)));
    const error = expectError(decodeTxnRequest({ success: [...ops, ...ops] }, limits));
    assert.equal(error.code, 'requestTooLarge');
    assert.match(
      error.message,
      /^txn: keys and values add up to \d+ bytes; the limit is 100 bytes \(maxRequestBytes\)$/,
    );
  });

  it('refuses a body over maxRequestBytes before parsing it', () => {
    const limits = { ...DEFAULT_LIMITS, maxRequestBytes: 1024 };
    const body = JSON.stringify({ key: 'k', value: 'x'.repeat(1100) });
    const error = expectError(parseJsonBody(body, limits));
    assert.equal(error.code, 'requestTooLarge');
    assert.equal(
      error.message,
      `request body: body is ${body.length} bytes; the limit is 1 KiB (maxRequestBytes)`,
    );
    assert.equal(
      expectError(parseJsonBody(new TextEncoder().encode(body), limits)).message,
      `request body: body is ${body.length} bytes; the limit is 1 KiB (maxRequestBytes)`,
    );
    assert.deepStrictEqual(parseJsonBody('{"key":"k"}', limits), { value: { key: 'k' } });
  });

  it('counts compares and nested ops against maxTxnOps', () => {
    const compares = (n: number) =>
      Array.from({ length: n }, () => ({
        key: 'a',
        target: 'version' as const,
        result: 'equal' as const,
        value: 1,
      }));
    const ranges = (n: number) => Array.from({ length: n }, () => ({ range: { key: 'a' } }));
    // 60 compares + 1 txn op + (40 compares + 27 ops) inside it = 128: the limit exactly.
    const atLimit = {
      compare: compares(60),
      success: [{ txn: { compare: compares(40), success: ranges(27) } }],
    };
    assert.ok(!isDecodeError(decodeTxnRequest(atLimit)));
    const overLimit = { ...atLimit, failure: ranges(1) };
    const error = expectError(decodeTxnRequest(overLimit));
    assert.equal(error.code, 'tooManyOperations');
    assert.equal(
      error.message,
      'txn: txn has 129 operations (compares and ops, nested txns included); the limit is 128 (maxTxnOps)',
    );
    assert.ok(!isDecodeError(decodeTxnRequest(overLimit, { ...DEFAULT_LIMITS, maxTxnOps: 129 })));
  });

  it('refuses txns nested deeper than maxTxnDepth, naming the txn', () => {
    const nested = (depth: number): unknown => {
      let txn: unknown = {};
      for (let i = 1; i < depth; i++) txn = { success: [{ txn }] };
      return txn;
    };
    assert.ok(!isDecodeError(decodeTxnRequest(nested(8))));
    const error = expectError(decodeTxnRequest(nested(9)));
    assert.equal(error.code, 'tooManyOperations');
    assert.equal(
      error.message,
      `txn${'.success[0].txn'.repeat(8)}: txns nest 9 deep; the limit is 8 (maxTxnDepth)`,
    );
    assert.ok(!isDecodeError(decodeTxnRequest(nested(9), { ...DEFAULT_LIMITS, maxTxnDepth: 9 })));
    // Whatever maxTxnDepth says, a txn must fit the log's format.
    const unbounded = { ...DEFAULT_LIMITS, maxTxnDepth: 1000 };
    assert.ok(!isDecodeError(decodeTxnRequest(nested(64), unbounded)));
    assert.match(
      expectError(decodeTxnRequest(nested(65), unbounded)).message,
      /: txns nest 65 deep; the log format allows at most 64 \(maxTxnDepth is set higher\)$/,
    );
  });

  it('refuses a lease TTL over maxLeaseTtlSeconds', () => {
    const error = expectError(decodeLeaseGrantRequest({ ttl: 10_000_000 }));
    assert.equal(error.code, 'leaseTtlTooLarge');
    assert.equal(
      error.message,
      'leaseGrant.ttl: ttl is 10000000 seconds; the limit is 9000000 (maxLeaseTtlSeconds)',
    );
  });

  it('refuses 10,000 levels of nesting without overflowing the stack', () => {
    let deep: unknown = { key: 'a' };
    for (let i = 0; i < 10_000; i++) deep = { success: [{ txn: deep }] };
    const error = expectError(decodeTxnRequest(deep));
    assert.equal(error.code, 'invalidRequest');
    assert.match(
      error.message,
      /^txn\.success\[0\]\.txn.*: nested more than 35 levels deep \(the limit follows maxTxnDepth 8\)$/,
    );
    const big: TxnRequest = { compare: [], success: [], failure: [] };
    assert.ok(!isDecodeError(decodeTxnRequest(encodeTxnRequest(big))));
  });
});
