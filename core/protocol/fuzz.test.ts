// Throws random, mutated and hostile input at every decoder. Each must return a value or a typed
// DecodeError, never throw; binary decoders that accept an input must re-encode it to the same bytes
// (so no two encodings mean the same thing). fast-check prints the seed of any failure.

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_LIMITS } from '../limits.ts';
import {
  commandEnvelope,
  handshakeFrame,
  keyValue,
  message,
  putRequest,
  rangeRequest,
  txnRequest,
  txnResponse,
  watchRequest,
  watchResponse,
} from './arbitraries.test.ts';
import {
  decodeAddMemberRequest,
  decodeMemberId,
  decodeMemberListResponse,
  decodeStatusResponse,
} from './cluster-codec.ts';
import { decodeCommand, encodeCommand } from './command.ts';
import { decodeErrorBody, encodeErrorBody } from './error-body.ts';
import { isDecodeError } from './errors.ts';
import { decodeHandshakeFrame, encodeHandshakeFrame } from './handshake.ts';
import { parseJsonBody } from './json.ts';
import {
  decodeCompactRequest,
  decodeCompactResponse,
  decodeDeleteRangeQuery,
  decodeDeleteRangeResponse,
  decodePutRequest,
  decodePutResponse,
  decodeRangeQuery,
  decodeRangeRequest,
  decodeRangeResponse,
  encodePutBody,
  encodeRangeQuery,
  encodeRangeRequest,
  encodeRangeResponse,
} from './kv-codec.ts';
import {
  decodeLeaseGrantRequest,
  decodeLeaseGrantResponse,
  decodeLeaseKeepAliveRequest,
  decodeLeaseKeepAliveResponse,
  decodeLeaseListResponse,
  decodeLeaseRevokeRequest,
  decodeLeaseRevokeResponse,
  decodeLeaseTimeToLiveRequest,
  decodeLeaseTimeToLiveResponse,
} from './lease-codec.ts';
import { decodePeerFrame, encodePeerFrame } from './peer.ts';
import { decodeTxnRequest, decodeTxnResponse, encodeTxnRequest, encodeTxnResponse } from './txn-codec.ts';
import {
  decodeWatchClientMessage,
  decodeWatchServerMessage,
  encodeWatchClientMessage,
  encodeWatchResponse,
} from './watch-codec.ts';

const tally = { inputs: 0, refused: 0, accepted: 0 };

/** Calls a decoder on hostile input: it must not throw, and must answer a value or a typed error. */
function survive<T>(decode: () => T): T {
  tally.inputs++;
  let result: T;
  try {
    result = decode();
  } catch (caught) {
    assert.fail(`decoder threw ${caught instanceof Error ? caught.stack : String(caught)}`);
  }
  assert.notEqual(result, undefined, 'decoder returned undefined');
  if (isDecodeError(result)) {
    tally.refused++;
    assert.ok(result.message.length > 0 && result.message.includes(result.where), result.message);
  } else tally.accepted++;
  return result;
}

// ---- binary ----

const binaryDecoders: {
  name: string;
  decode: (bytes: Uint8Array) => unknown;
  encode: (value: never) => Uint8Array;
}[] = [
  {
    name: 'peer frame',
    decode: (b) => decodePeerFrame(b),
    encode: (m: Parameters<typeof encodePeerFrame>[0]) => encodePeerFrame(m),
  },
  {
    name: 'handshake frame',
    decode: (b) => decodeHandshakeFrame(b),
    encode: (h: Parameters<typeof encodeHandshakeFrame>[0]) => encodeHandshakeFrame(h),
  },
  {
    name: 'command',
    decode: (b) => decodeCommand(b),
    encode: (c: Parameters<typeof encodeCommand>[0]) => encodeCommand(c),
  },
];

/** An accepted binary input must be the one encoding of what it decoded to. */
function checkCanonical(index: number, bytes: Uint8Array): void {
  const { decode, encode } = binaryDecoders[index]!;
  const decoded = survive(() => decode(bytes));
  if (!isDecodeError(decoded))
    assert.deepStrictEqual(encode(decoded as never), bytes, 'accepted a non-canonical encoding');
}

const validFrames: fc.Arbitrary<[number, Uint8Array]> = fc.oneof(
  fc.array(message, { maxLength: 3 }).map((m): [number, Uint8Array] => [0, encodePeerFrame(m)]),
  handshakeFrame.map((h): [number, Uint8Array] => [1, encodeHandshakeFrame(h)]),
  commandEnvelope.map((c): [number, Uint8Array] => [2, encodeCommand(c)]),
);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'extend'; tail: Uint8Array }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; count: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }, { noNullPrototype: true }),
  fc.record(
    { kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff) },
    { noNullPrototype: true },
  ),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }, { noNullPrototype: true }),
  fc.record(
    { kind: fc.constant('extend' as const), tail: fc.uint8Array({ minLength: 1, maxLength: 8 }) },
    { noNullPrototype: true },
  ),
  fc.record(
    {
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
    },
    { noNullPrototype: true },
  ),
  fc.record(
    { kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 4 }) },
    { noNullPrototype: true },
  ),
);

function mutate(bytes: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let out = Uint8Array.from(bytes);
  for (const m of mutations) {
    const at = out.length === 0 ? 0 : 'at' in m ? m.at % out.length : 0;
    switch (m.kind) {
      case 'flip':
        if (out.length > 0) out[at] = out[at]! ^ (1 << m.bit);
        break;
      case 'set':
        if (out.length > 0) out[at] = m.byte;
        break;
      case 'truncate':
        out = out.slice(0, at);
        break;
      case 'extend':
        out = Uint8Array.from([...out, ...m.tail]);
        break;
      case 'insert':
        out = Uint8Array.from([...out.slice(0, at), ...m.bytes, ...out.slice(at)]);
        break;
      case 'delete':
        out = Uint8Array.from([...out.slice(0, at), ...out.slice(at + m.count)]);
        break;
    }
  }
  return out;
}

// ---- JSON ----

const query = (json: unknown): Record<string, string> => json as Record<string, string>;
const jsonDecoders: { name: string; decode: (json: unknown) => unknown }[] = [
  { name: 'range', decode: (j) => decodeRangeRequest(j) },
  { name: 'range query', decode: (j) => decodeRangeQuery('k', query(j)) },
  { name: 'range query key', decode: (j) => decodeRangeQuery(j as string, {}) },
  { name: 'put key', decode: (j) => decodePutRequest(j as string, { value: 'v' }) },
  { name: 'put', decode: (j) => decodePutRequest('k', j) },
  { name: 'deleteRange query', decode: (j) => decodeDeleteRangeQuery('k', query(j)) },
  { name: 'compact', decode: (j) => decodeCompactRequest(j) },
  { name: 'txn', decode: (j) => decodeTxnRequest(j) },
  { name: 'lease grant', decode: (j) => decodeLeaseGrantRequest(j) },
  { name: 'lease revoke', decode: (j) => decodeLeaseRevokeRequest(j) },
  { name: 'lease keepalive', decode: (j) => decodeLeaseKeepAliveRequest(j) },
  { name: 'lease timetolive', decode: (j) => decodeLeaseTimeToLiveRequest(j) },
  { name: 'watch client message', decode: (j) => decodeWatchClientMessage(j) },
  { name: 'range response', decode: (j) => decodeRangeResponse(j) },
  { name: 'put response', decode: (j) => decodePutResponse(j) },
  { name: 'deleteRange response', decode: (j) => decodeDeleteRangeResponse(j) },
  { name: 'compact response', decode: (j) => decodeCompactResponse(j) },
  { name: 'txn response', decode: (j) => decodeTxnResponse(j) },
  { name: 'lease grant response', decode: (j) => decodeLeaseGrantResponse(j) },
  { name: 'lease revoke response', decode: (j) => decodeLeaseRevokeResponse(j) },
  { name: 'lease keepalive response', decode: (j) => decodeLeaseKeepAliveResponse(j) },
  { name: 'lease timetolive response', decode: (j) => decodeLeaseTimeToLiveResponse(j) },
  { name: 'lease list response', decode: (j) => decodeLeaseListResponse(j) },
  { name: 'watch server message', decode: (j) => decodeWatchServerMessage(j) },
  { name: 'error body', decode: (j) => decodeErrorBody(j) },
  { name: 'member list response', decode: (j) => decodeMemberListResponse(j) },
  { name: 'status response', decode: (j) => decodeStatusResponse(j) },
  { name: 'add member', decode: (j) => decodeAddMemberRequest(j) },
  { name: 'member id', decode: (j) => decodeMemberId(j as string) },
];

function nested(levels: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < levels; i++) value = wrap(value);
  return value;
}

function cyclic(): unknown {
  const node: Record<string, unknown> = { key: 'a' };
  node.txn = node;
  node.success = [node];
  return node;
}

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    arbitrary: fc.constantFrom(
      'NaN',
      'Infinity',
      '-Infinity',
      '1e400',
      NaN,
      Infinity,
      -Infinity,
      -0,
      Number.MAX_VALUE,
      2 ** 53,
      -1,
      0.5,
      '',
      '\0',
      '\ud800',
      'true',
      null,
      [],
      {},
    ),
    weight: 6,
  },
  fc.constant('x'.repeat(2_000_000)),
  fc.constant(nested(10_000, (inner) => [inner])),
  fc.constant(nested(10_000, (inner) => ({ key: inner }))),
  fc.constant(nested(10_000, (inner) => ({ success: [{ txn: inner }] }))),
  fc.constant(cyclic()),
  fc.constant(
    JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}'),
  ),
  fc.constant(
    Object.defineProperty({}, 'key', {
      enumerable: true,
      get() {
        throw new Error('a getter that throws');
      },
    }),
  ),
  fc.constant(
    new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('a proxy that throws');
        },
      },
    ),
  ),
  {
    arbitrary: fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withSparseArray: true,
      withNullPrototype: true,
      withBoxedValues: true,
      withObjectString: true,
      maxDepth: 4,
    }),
    weight: 6,
  },
);

/** Valid client and server JSON, as starting points for structured mutations. */
const validJson: fc.Arbitrary<unknown> = fc
  .oneof(
    rangeRequest.map((r) => encodeRangeRequest(r)),
    rangeRequest.map((r) => encodeRangeQuery(r)),
    putRequest.map((p) => encodePutBody(p)),
    txnRequest.map((t) => encodeTxnRequest(t, { encoding: 'base64' })),
    watchRequest.map((request) =>
      encodeWatchClientMessage({ type: 'watchCreate', request, encoding: 'utf8' }),
    ),
    fc
      .array(keyValue, { maxLength: 3 })
      .map((kvs) =>
        encodeRangeResponse(
          { revision: 3, kvs, more: false, count: kvs.length },
          { member: 'm', raftTerm: 1 },
          'utf8',
        ),
      ),
    txnResponse.map((t) => encodeTxnResponse(t, { member: 'm', raftTerm: 1 }, 'base64')),
    watchResponse.map((w) => encodeWatchResponse(w, { member: 'm', raftTerm: 1 }, 'utf8')),
    fc.constant(encodeErrorBody({ code: 'compacted', message: 'gone', details: { compactRevision: 4 } })),
  )
  .map((json) => JSON.parse(JSON.stringify(json)) as unknown);

/** Replaces the node at a chosen position of a JSON tree. */
function replaceNode(json: unknown, pick: number, replacement: unknown): unknown {
  const slots: { parent: Record<string, unknown> | unknown[]; key: string | number }[] = [];
  const visit = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      slots.push({ parent: node as Record<string, unknown>, key: Array.isArray(node) ? Number(key) : key });
      visit(child);
    }
  };
  visit(json);
  if (slots.length === 0) return replacement;
  const { parent, key } = slots[pick % slots.length]!;
  (parent as Record<string | number, unknown>)[key] = replacement;
  return json;
}

describe('fuzzing every decoder', () => {
  after(() => {
    console.log(
      `fuzz: ${tally.inputs} inputs tried (${tally.refused} refused with a typed error, ${tally.accepted} accepted), none threw`,
    );
  });

  it('binary decoders: random bytes', () => {
    const header = fc.constantFrom(
      [],
      [0x56, 0x50, 1, 1],
      [0x56, 0x50, 1, 2],
      [0x56, 0x50, 1, 3],
      [1, 1],
      [1, 3],
    );
    fc.assert(
      fc.property(header, fc.uint8Array({ maxLength: 200 }), (head, body) => {
        const bytes = Uint8Array.from([...head, ...body]);
        for (let i = 0; i < binaryDecoders.length; i++) checkCanonical(i, bytes);
      }),
      { numRuns: 1500 },
    );
  });

  it('binary decoders: mutated valid frames (bit flips, truncations, extensions)', () => {
    fc.assert(
      fc.property(
        validFrames,
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        ([index, bytes], mutations) => {
          checkCanonical(index, mutate(bytes, mutations));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('binary decoders: huge announced lengths and counts are refused before allocating', () => {
    const lies = [
      [0x56, 0x50, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
      [0x56, 0x50, 1, 2, 0xff, 0xff, 0xff, 0xff, 0x0f],
      [1, 1, 0, 1, 0x6b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
      [1, 8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f],
    ];
    for (const lie of lies) {
      for (const { decode } of binaryDecoders)
        assert.ok(isDecodeError(survive(() => decode(Uint8Array.from(lie)))));
    }
    const limits = { ...DEFAULT_LIMITS, maxPeerFrameBytes: 16 };
    assert.ok(isDecodeError(survive(() => decodePeerFrame(new Uint8Array(17), limits))));
  });

  it('JSON decoders: random and hostile values', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), hostileValue), (json) => {
        for (const { decode } of jsonDecoders) survive(() => decode(json));
      }),
      { numRuns: 500 },
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });

  it('JSON decoders: valid messages with one node replaced by something hostile', () => {
    fc.assert(
      fc.property(validJson, fc.nat(), hostileValue, (json, pick, replacement) => {
        const mutated = replaceNode(json, pick, replacement);
        for (const { decode } of jsonDecoders) survive(() => decode(mutated));
      }),
      { numRuns: 500 },
    );
  });

  it('JSON decoders: a huge number of ops, wherever they are put, is refused without parsing them', () => {
    const ops = Array.from({ length: 20_000 }, () => ({ put: { key: 'k', value: 'v' } }));
    for (const json of [ops, { success: ops }, { compare: [], failure: [{ txn: { success: ops } }] }]) {
      for (const { decode } of jsonDecoders) assert.ok(isDecodeError(survive(() => decode(json))));
    }
    const manyOps = Array.from({ length: 200_000 }, () => ({ put: { key: 'k', value: 'v' } }));
    const started = performance.now();
    const error = decodeTxnRequest({ success: manyOps });
    assert.ok(isDecodeError(error) && error.code === 'tooManyOperations', JSON.stringify(error));
    assert.ok(performance.now() - started < 1000, 'a count, not a parse');
  });

  it('decoded requests are stable: what a decoder accepts, re-encoded, decodes the same', () => {
    const roomy = { ...DEFAULT_LIMITS, maxTxnOps: 100_000 };
    fc.assert(
      fc.property(validJson, fc.nat(), fc.jsonValue({ maxDepth: 2 }), (json, pick, replacement) => {
        const mutated = replaceNode(json, pick, replacement);
        const txn = survive(() => decodeTxnRequest(mutated, roomy));
        if (!isDecodeError(txn)) {
          const again = decodeTxnRequest(JSON.parse(JSON.stringify(encodeTxnRequest(txn.request))), roomy);
          assert.deepStrictEqual(isDecodeError(again) ? again : again.request, txn.request);
        }
        const range = survive(() => decodeRangeRequest(mutated));
        if (!isDecodeError(range))
          assert.deepStrictEqual(decodeRangeRequest(encodeRangeRequest(range.request, range)), range);
        const put = survive(() => decodePutRequest('k', mutated));
        if (!isDecodeError(put)) {
          const again = decodePutRequest('k', JSON.parse(JSON.stringify(encodePutBody(put.request, put))));
          assert.deepStrictEqual(again, put);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('request bodies: random text, bytes and truncated JSON', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 100 }),
          fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ':', ',', '1', 'e', '-', '\\', 'u') }),
          fc.uint8Array({ maxLength: 100 }),
          validJson.chain((json) => {
            const text = JSON.stringify(json);
            return fc.nat(text.length).map((cut) => text.slice(0, cut));
          }),
        ),
        (body) => {
          const parsed = survive(() => parseJsonBody(body, DEFAULT_LIMITS));
          if (!isDecodeError(parsed)) survive(() => decodeTxnRequest(parsed.value));
        },
      ),
      { numRuns: 1000 },
    );
    const deep = survive(() => parseJsonBody(`${'['.repeat(100_000)}${']'.repeat(100_000)}`, DEFAULT_LIMITS));
    if (!isDecodeError(deep)) assert.ok(isDecodeError(survive(() => decodeTxnRequest(deep.value))));
  });
});
