// fast-check generators of everything the codecs carry, shared by the protocol's property tests.
// Store-side values are generated in normalized form (optional fields absent rather than 0 or
// false), which is the form decoders return. This file holds no tests of its own (importing it must
// not register any); arbitraries-coverage.test.ts checks that the generators reach every case.

import fc from 'fast-check';
import type { VaneError } from '../errors.ts';
import type { ConfState, Entry, Message, Snapshot } from '../raft/types.ts';
import { MESSAGE_TYPES } from '../raft/types.ts';
import type {
  Command,
  CommandEnvelope,
  Compare,
  DeleteRangeRequest,
  KeyValue,
  PutRequest,
  RangeRequest,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
  WatchEvent,
  WatchRequest,
  WatchResponse,
} from '../store/types.ts';
import type { HandshakeFrame } from './handshake.ts';

export const safeNat = fc.maxSafeNat();
const positive = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
/** Small or huge, to reach every varint length. */
const anyNat = fc.oneof(fc.nat(300), safeNat);
const anyPositive = fc.oneof(fc.integer({ min: 1, max: 300 }), positive);
export const bytes = (maxLength = 48) => fc.uint8Array({ maxLength });
/** Well-formed strings over all of Unicode (astral planes and U+FEFF included). */
export const text = (minLength = 0, maxLength = 12) =>
  fc.oneof(fc.string({ unit: 'binary', minLength, maxLength }), fc.string({ minLength, maxLength }));
export const key = text(1, 12);
/** Values that are UTF-8 text half of the time, so both JSON encodings are exercised. */
export const value = fc.oneof(
  bytes(),
  text().map((t) => new TextEncoder().encode(t)),
);

// ---- Raft ----

const nodeId = text(0, 10);
const entry: fc.Arbitrary<Entry> = fc.record(
  {
    term: anyNat,
    index: anyNat,
    type: fc.constantFrom('normal', 'confChange'),
    data: bytes(),
  },
  { noNullPrototype: true },
);
const confState: fc.Arbitrary<ConfState> = fc.record(
  {
    voters: fc.array(nodeId, { maxLength: 4 }),
    learners: fc.array(nodeId, { maxLength: 3 }),
    votersOutgoing: fc.array(nodeId, { maxLength: 3 }),
    learnersNext: fc.array(nodeId, { maxLength: 2 }),
    autoLeave: fc.boolean(),
  },
  { noNullPrototype: true },
);
const snapshot: fc.Arbitrary<Snapshot> = fc.record(
  {
    metadata: fc.record({ index: anyNat, term: anyNat, confState }, { noNullPrototype: true }),
    data: bytes(200),
  },
  { noNullPrototype: true },
);
export const message: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...MESSAGE_TYPES),
    from: nodeId,
    to: nodeId,
    term: anyNat,
    logTerm: anyNat,
    index: anyNat,
    entries: fc.array(entry, { maxLength: 6 }),
    commit: anyNat,
    reject: fc.boolean(),
    rejectHint: anyNat,
    snapshot,
    context: bytes(16),
  },
  {
    requiredKeys: [
      'type',
      'from',
      'to',
      'term',
      'logTerm',
      'index',
      'entries',
      'commit',
      'reject',
      'rejectHint',
    ],
    noNullPrototype: true,
  },
);

export const handshakeFrame: fc.Arbitrary<HandshakeFrame> = fc.oneof(
  fc.record(
    { kind: fc.constant('hello' as const), clusterId: text(), memberId: nodeId, nonce: bytes(64) },
    { noNullPrototype: true },
  ),
  fc.record({ kind: fc.constant('proof' as const), hmac: bytes(64) }, { noNullPrototype: true }),
  fc.constant({ kind: 'accept' as const }),
  fc.record({ kind: fc.constant('refuse' as const), reason: text(0, 60) }, { noNullPrototype: true }),
);

// ---- store requests (normalized) ----

const yes = fc.constant(true as const);

export const rangeRequest: fc.Arbitrary<RangeRequest> = fc.record(
  { key, rangeEnd: key, revision: anyPositive, limit: anyPositive, keysOnly: yes, countOnly: yes },
  { requiredKeys: ['key'], noNullPrototype: true },
);

export const putRequest: fc.Arbitrary<PutRequest> = fc
  .record(
    { key, value, lease: anyPositive, prevKv: yes, ignoreValue: yes, ignoreLease: yes },
    { requiredKeys: ['key', 'value'], noNullPrototype: true },
  )
  .map((put) => {
    // The API refuses a value beside ignoreValue and a lease beside ignoreLease (as etcd does).
    const normalized: { -readonly [K in keyof PutRequest]: PutRequest[K] } = { ...put };
    if (normalized.ignoreValue) normalized.value = new Uint8Array(0);
    if (normalized.ignoreLease) delete normalized.lease;
    return normalized;
  });

export const deleteRangeRequest: fc.Arbitrary<DeleteRangeRequest> = fc.record(
  { key, rangeEnd: key, prevKv: yes },
  { requiredKeys: ['key'], noNullPrototype: true },
);

const compareResult = fc.constantFrom('equal', 'notEqual', 'less', 'greater' as const);
export const compare: fc.Arbitrary<Compare> = fc.oneof(
  fc.record(
    { key, rangeEnd: key, target: fc.constant('value' as const), result: compareResult, value },
    { requiredKeys: ['key', 'target', 'result', 'value'], noNullPrototype: true },
  ),
  fc.record(
    {
      key,
      rangeEnd: key,
      target: fc.constantFrom('version', 'createRevision', 'modRevision', 'lease' as const),
      result: compareResult,
      value: anyNat,
    },
    { requiredKeys: ['key', 'target', 'result', 'value'], noNullPrototype: true },
  ),
);

const txnArbitraries = fc.letrec<{ txn: TxnRequest; op: RequestOp }>((tie) => ({
  txn: fc.record(
    {
      compare: fc.array(compare, { maxLength: 3 }),
      success: fc.array(tie('op'), { maxLength: 3 }),
      failure: fc.array(tie('op'), { maxLength: 3 }),
    },
    { noNullPrototype: true },
  ),
  op: fc.oneof(
    { maxDepth: 3, depthIdentifier: 'txn' },
    rangeRequest.map((range) => ({ range })),
    putRequest.map((put) => ({ put })),
    deleteRangeRequest.map((deleteRange) => ({ deleteRange })),
    tie('txn').map((txn) => ({ txn })),
  ),
}));
export const txnRequest: fc.Arbitrary<TxnRequest> = txnArbitraries.txn;

export const command: fc.Arbitrary<Command> = fc.oneof(
  putRequest.map((request) => ({ op: 'put' as const, request })),
  deleteRangeRequest.map((request) => ({ op: 'deleteRange' as const, request })),
  txnRequest.map((request) => ({ op: 'txn' as const, request })),
  anyNat.map((revision) => ({ op: 'compact' as const, request: { revision } })),
  fc
    .record({ ttl: anyNat, id: anyPositive }, { requiredKeys: ['ttl'], noNullPrototype: true })
    .map((request) => ({ op: 'leaseGrant' as const, request })),
  fc
    .record({ id: anyNat, renewIndex: anyNat }, { requiredKeys: ['id'], noNullPrototype: true })
    .map((request) => ({ op: 'leaseRevoke' as const, request })),
  anyNat.map((id) => ({ op: 'leaseKeepAlive' as const, request: { id } })),
  fc
    .array(fc.record({ id: anyNat, remainingMs: anyNat, renewIndex: anyNat }, { noNullPrototype: true }), {
      maxLength: 4,
    })
    .map((checkpoints) => ({ op: 'leaseCheckpoint' as const, checkpoints })),
);

export const commandEnvelope: fc.Arbitrary<CommandEnvelope> = fc.record(
  { requestId: fc.oneof(text(1, 40), fc.uuid()), command },
  { requiredKeys: ['command'], noNullPrototype: true },
);

export const watchRequest: fc.Arbitrary<WatchRequest> = fc.record(
  {
    key,
    rangeEnd: key,
    startRevision: anyPositive,
    prevKv: yes,
    filters: fc.constantFrom(['noPut'] as const, ['noDelete'] as const, ['noPut', 'noDelete'] as const),
    progressNotify: yes,
  },
  { requiredKeys: ['key'], noNullPrototype: true },
);

// ---- store responses ----

export const keyValue: fc.Arbitrary<KeyValue> = fc.record(
  {
    key,
    value,
    createRevision: anyNat,
    modRevision: anyNat,
    version: anyNat,
    lease: anyNat,
  },
  { noNullPrototype: true },
);

/** A txn's answer; every nested answer reflects the same revision. */
export const txnResponse: fc.Arbitrary<TxnResponse> = safeNat.chain((revision) => {
  const ops = fc.letrec<{ op: ResponseOp; txn: TxnResponse }>((tie) => ({
    txn: fc.record(
      {
        revision: fc.constant(revision),
        succeeded: fc.boolean(),
        responses: fc.array(tie('op'), { maxLength: 3 }),
      },
      { noNullPrototype: true },
    ),
    op: fc.oneof(
      { maxDepth: 3, depthIdentifier: 'txnResponse' },
      fc
        .record({ kvs: fc.array(keyValue, { maxLength: 2 }), more: fc.boolean(), count: safeNat })
        .map((range) => ({ range: { revision, ...range } })),
      fc
        .record({ prevKv: keyValue }, { requiredKeys: [], noNullPrototype: true })
        .map((put) => ({ put: { revision, ...put } })),
      fc
        .record(
          { deleted: safeNat, prevKvs: fc.array(keyValue, { maxLength: 2 }) },
          { requiredKeys: ['deleted'], noNullPrototype: true },
        )
        .map((deleteRange) => ({ deleteRange: { revision, ...deleteRange } })),
      tie('txn').map((txn) => ({ txn })),
    ),
  }));
  return ops.txn;
});

const watchEvent: fc.Arbitrary<WatchEvent> = fc.record(
  { type: fc.constantFrom('put', 'delete' as const), kv: keyValue, prevKv: keyValue },
  { requiredKeys: ['type', 'kv'], noNullPrototype: true },
);

export const watchResponse: fc.Arbitrary<WatchResponse> = fc.record(
  {
    watchId: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    revision: safeNat,
    events: fc.array(watchEvent, { maxLength: 3 }),
    created: yes,
    canceled: yes,
    compactRevision: anyPositive,
    cancelReason: text(1, 30),
  },
  { requiredKeys: ['watchId', 'revision', 'events'], noNullPrototype: true },
);

export const vaneError: fc.Arbitrary<VaneError> = fc.record(
  {
    code: fc.constantFrom('invalidRequest', 'compacted', 'noLeader', 'keyTooLarge' as const),
    message: text(0, 40),
    details: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.oneof(fc.string(), fc.integer(), fc.boolean()),
      { maxKeys: 3, noNullPrototype: true },
    ),
  },
  { requiredKeys: ['code', 'message'], noNullPrototype: true },
);
