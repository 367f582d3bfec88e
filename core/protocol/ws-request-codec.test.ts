import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS, type Limits } from '../limits.ts';
import { command, rangeRequest, safeNat, text } from './arbitraries.test.ts';
import { REQUEST_OPS } from './client.ts';
import { type DecodeError, isDecodeError } from './errors.ts';
import { decodePutRequest, decodeRangeRequest } from './kv-codec.ts';
import { openApiDocument } from './openapi.ts';
import {
  decodeWatchClientMessage,
  decodeWatchServerMessage,
  encodeWatchClientMessage,
} from './watch-codec.ts';
import {
  type ClientRequest,
  decodeRequestBody,
  encodeRequestError,
  encodeRequestResponse,
} from './ws-request-codec.ts';

const wire = (json: unknown): unknown => JSON.parse(JSON.stringify(json));
const roomy: Limits = { ...DEFAULT_LIMITS, maxTxnOps: 100_000, maxLeaseTtlSeconds: Number.MAX_SAFE_INTEGER };

function expectError(result: unknown): DecodeError {
  assert.ok(isDecodeError(result), `expected a DecodeError, got ${JSON.stringify(result)}`);
  return result;
}

/** Every client request the store can run, from the shared command generator (checkpoints are internal). */
const clientRequest: fc.Arbitrary<ClientRequest> = fc.oneof(
  fc
    .tuple(rangeRequest, fc.boolean(), fc.option(safeNat, { nil: undefined }))
    .map(([request, serializable, minRevision]): ClientRequest => {
      const read = { op: 'range' as const, request, encoding: 'utf8' as const };
      const withSerializable = serializable ? { ...read, serializable } : read;
      return minRevision ? { ...withSerializable, minRevision } : withSerializable;
    }),
  fc
    .tuple(command, fc.option(text(1, 20), { nil: undefined }))
    .filter(([c]) => c.op !== 'leaseCheckpoint' && !(c.op === 'leaseGrant' && c.request.ttl === 0))
    .map(([c, requestId]): ClientRequest => {
      const base = { ...c, encoding: 'utf8' as const } as ClientRequest;
      // A keepalive takes no request id; a revoke's renewIndex is the leader's, never a client's.
      if (c.op === 'leaseKeepAlive') return { ...base, request: { id: c.request.id || 1 } } as ClientRequest;
      if (c.op === 'leaseRevoke')
        return { op: 'leaseRevoke', request: { id: c.request.id || 1 }, encoding: 'utf8' };
      return requestId === undefined ? base : ({ ...base, requestId } as ClientRequest);
    }),
  fc.constant<ClientRequest>({ op: 'leaseList', encoding: 'utf8' }),
);

describe('request messages on the watch WebSocket', () => {
  it('round-trip every op through JSON text, request id and options included', () => {
    fc.assert(
      fc.property(clientRequest, fc.nat(), (request, id) => {
        const json = wire(encodeWatchClientMessage({ type: 'request', id, request }));
        const decoded = decodeWatchClientMessage(json, roomy);
        assert.ok(!isDecodeError(decoded), isDecodeError(decoded) ? decoded.message : '');
        assert.equal(decoded.type, 'request');
        if (decoded.type !== 'request') return;
        assert.equal(decoded.id, id);
        const { encoding: _sent, ...expected } = request;
        const { encoding: _chosen, ...actual } = decoded.request;
        assert.deepStrictEqual(actual, expected);
      }),
      { numRuns: 300 },
    );
  });

  it('refuse a bad body exactly as the HTTP route does', () => {
    const overWebSocket = expectError(
      decodeWatchClientMessage({ v: 1, type: 'request', id: 1, op: 'put', body: { key: 'k' } }),
    );
    const overHttp = expectError(decodePutRequest('k', {}));
    assert.deepStrictEqual(overWebSocket, overHttp);
    assert.equal(overWebSocket.message, 'put.value: missing (required unless ignoreValue is true)');
    const badRange = { key: 'a', limit: -1 };
    assert.deepStrictEqual(
      expectError(decodeRequestBody('range', badRange)),
      expectError(decodeRangeRequest(badRange)),
    );
  });

  it('refuse a bad envelope, naming the field', () => {
    const unknownOp = expectError(
      decodeWatchClientMessage({ v: 1, type: 'request', id: 1, op: 'watch', body: {} }),
    );
    assert.match(unknownOp.message, /^request\.op: /);
    const noBody = expectError(decodeWatchClientMessage({ v: 1, type: 'request', id: 1, op: 'leaseList' }));
    assert.match(noBody.message, /^request\.body: /);
    const badId = expectError(
      decodeWatchClientMessage({ v: 1, type: 'request', id: -1, op: 'leaseList', body: {} }),
    );
    assert.match(badId.message, /^request\.id: /);
    const extra = expectError(
      decodeWatchClientMessage({ v: 1, type: 'request', id: 1, op: 'leaseList', body: {}, watchId: 2 }),
    );
    assert.equal(extra.message, 'request.watchId: unknown field');
    const otherVersion = expectError(
      decodeWatchClientMessage({ v: 2, type: 'request', id: 1, op: 'leaseList', body: {} }),
    );
    assert.equal(otherVersion.code, 'unsupportedVersion');
    const notAnObject = expectError(decodeRequestBody('put', 'k=v'));
    assert.match(notAnObject.message, /^put: /);
  });

  it('answer with the HTTP answer split into header and body, or an error carrying the request id', () => {
    const header = { revision: 9, member: 'm1', raftTerm: 2 };
    const response = wire(encodeRequestResponse(7, { header, deleted: 1 } as never));
    assert.deepStrictEqual(response, { v: 1, type: 'response', id: 7, header, body: { deleted: 1 } });
    assert.deepStrictEqual(decodeWatchServerMessage(response), {
      type: 'response',
      id: 7,
      header,
      body: { deleted: 1 },
    });
    const error = wire(encodeRequestError({ code: 'noLeader', message: 'no leader' }, 0));
    assert.deepStrictEqual(decodeWatchServerMessage(error), {
      type: 'error',
      requestId: 0,
      error: { code: 'noLeader', message: 'no leader' },
    });
  });

  it('are documented in the OpenAPI description, one variant per op with its body schema', () => {
    const document = JSON.parse(JSON.stringify(openApiDocument())) as {
      components: { schemas: Record<string, { oneOf?: { properties: Record<string, unknown> }[] }> };
    };
    const schemas = document.components.schemas;
    assert.match(JSON.stringify(schemas.WatchClientMessage), /#\/components\/schemas\/RequestMessage/);
    const variants = schemas.RequestMessage!.oneOf!;
    const ops = variants.map((variant) => (variant.properties.op as { const: string }).const);
    assert.deepStrictEqual(ops, REQUEST_OPS);
    for (const variant of variants) {
      const body = JSON.stringify(variant.properties.body);
      const name = /#\/components\/schemas\/(\w+)/.exec(body)?.[1];
      assert.ok(name !== undefined && name in schemas, `op body ${body} names a component`);
    }
    assert.match(JSON.stringify(schemas.WatchServerMessage), /"response"/);
  });
});
