// The client JSON API's schemas: the single source of truth for the HTTP routes under /v1, the
// watch WebSocket and the OpenAPI description. Requests are strict (an unknown field is refused, so a
// misspelt option never goes unnoticed); responses tolerate fields a newer server adds.
// Values travel as UTF-8 text, or as base64 when `encoding: 'base64'` is asked for; a value that is
// not UTF-8 text is sent as base64 and marked `valueEncoding: 'base64'` whatever was asked for.

import * as z from 'zod';
import type { ErrorCode } from '../errors.ts';
import { PROTOCOL_VERSION } from './version.ts';

/** The schemas that become named components of the OpenAPI description. */
export const clientSchemas = z.registry<{ id: string }>();

// ---- scalars ----

/** Revisions, counts, lease ids: integers in [0, 2^53-1]. */
const uint = z.int().nonnegative();
const positiveInt = z.int().positive();
const key = z.string().meta({ description: 'A UTF-8 key (at most maxKeyBytes).' });
const rangeEnd = z.string().meta({
  description: "End of the key range, exclusive; '\\u0000' means every key >= key. Absent: just `key`.",
});
const prefix = z
  .boolean()
  .meta({ description: 'Select every key starting with `key` (sugar for rangeEnd).' });

export const valueEncodingSchema = z
  .enum(['utf8', 'base64'])
  .meta({ description: 'How values travel in this request and its response (default utf8).' });
const requestId = z
  .string()
  .meta({ description: 'Client-chosen id; a retry with the same id applies once.' });

const minRevision = uint.meta({
  description:
    'Answer only from a state at or after this revision, so that a reader never goes back in time.',
});

const queryUint = z
  .string()
  .regex(/^(0|[1-9][0-9]*)$/, 'expected a non-negative integer')
  .transform(Number)
  .pipe(uint);
const queryBool = z.enum(['true', 'false']).transform((text) => text === 'true');

// ---- shared response parts ----

export const responseHeaderSchema = z
  .object({
    revision: uint.meta({ description: 'The store revision the response reflects.' }),
    member: z.string().meta({ description: 'The id of the member that answered.' }),
    raftTerm: uint,
  })
  .register(clientSchemas, { id: 'ResponseHeader' });
export type ResponseHeaderJson = z.infer<typeof responseHeaderSchema>;

export const keyValueSchema = z
  .object({
    key: z.string(),
    value: z.string(),
    valueEncoding: z.literal('base64').optional().meta({ description: 'Present when `value` is base64.' }),
    createRevision: uint,
    modRevision: uint,
    version: uint,
    lease: uint,
  })
  .register(clientSchemas, { id: 'KeyValue' });
export type KeyValueJson = z.infer<typeof keyValueSchema>;

const ERROR_CODES = [
  'invalidRequest',
  'requestTooLarge',
  'keyTooLarge',
  'valueTooLarge',
  'tooManyOperations',
  'duplicateKey',
  'keyNotFound',
  'compacted',
  'futureRevision',
  'leaseNotFound',
  'leaseExists',
  'leaseTtlTooLarge',
  'quotaExceeded',
  'noLeader',
  'notLeader',
  'timeout',
  'unavailable',
  'proposalDropped',
  'unauthenticated',
  'permissionDenied',
  'rateLimited',
  'unsupportedVersion',
  'decodeError',
] as const satisfies readonly ErrorCode[];
// Fails to compile when core/errors.ts gains a code this list lacks.
const everyErrorCodeListed: Exclude<ErrorCode, (typeof ERROR_CODES)[number]> extends never ? true : never =
  true;
void everyErrorCodeListed;

export const errorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    }),
  })
  .register(clientSchemas, { id: 'ErrorBody' });
export type ErrorBodyJson = z.infer<typeof errorBodySchema>;

// ---- kv requests ----

export const rangeRequestSchema = z
  .strictObject({
    key,
    rangeEnd: rangeEnd.optional(),
    prefix: prefix.optional(),
    revision: uint.optional().meta({ description: 'Read at this past revision (0 = current).' }),
    limit: uint.optional().meta({ description: 'At most this many keys (0 = no limit).' }),
    keysOnly: z.boolean().optional(),
    countOnly: z.boolean().optional(),
    serializable: z.boolean().optional().meta({ description: 'Answer from this member, possibly stale.' }),
    minRevision: minRevision.optional(),
    encoding: valueEncodingSchema.optional(),
  })
  .register(clientSchemas, { id: 'RangeRequest' });
export type RangeRequestJson = z.infer<typeof rangeRequestSchema>;

/** GET /v1/kv/{key}: the range options as query parameters. */
export const rangeQuerySchema = z
  .strictObject({
    rangeEnd: rangeEnd.optional(),
    prefix: queryBool.optional(),
    revision: queryUint.optional(),
    limit: queryUint.optional(),
    keysOnly: queryBool.optional(),
    countOnly: queryBool.optional(),
    serializable: queryBool.optional(),
    minRevision: queryUint.optional(),
    encoding: valueEncodingSchema.optional(),
  })
  .register(clientSchemas, { id: 'RangeQuery' });
export type RangeQueryJson = z.input<typeof rangeQuerySchema>;

/** PUT /v1/kv/{key}. */
export const putBodySchema = z
  .strictObject({
    value: z.string().optional().meta({ description: 'Required unless ignoreValue.' }),
    lease: uint.optional(),
    prevKv: z.boolean().optional(),
    ignoreValue: z.boolean().optional(),
    ignoreLease: z.boolean().optional(),
    encoding: valueEncodingSchema.optional(),
    requestId: requestId.optional(),
  })
  .register(clientSchemas, { id: 'PutBody' });
export type PutBodyJson = z.infer<typeof putBodySchema>;

/** DELETE /v1/kv/{key}: options as query parameters. */
export const deleteQuerySchema = z
  .strictObject({
    rangeEnd: rangeEnd.optional(),
    prefix: queryBool.optional(),
    prevKv: queryBool.optional(),
    encoding: valueEncodingSchema.optional(),
    requestId: requestId.optional(),
  })
  .register(clientSchemas, { id: 'DeleteQuery' });
export type DeleteQueryJson = z.input<typeof deleteQuerySchema>;

/** A put as one JSON object (the WebSocket `request` body): PutBody plus its key. */
export const putRequestSchema = putBodySchema.extend({ key }).register(clientSchemas, { id: 'PutRequest' });
export type PutRequestJson = z.infer<typeof putRequestSchema>;

/** A deleteRange as one JSON object (the WebSocket `request` body): DeleteQuery's options, typed. */
export const deleteRangeRequestSchema = z
  .strictObject({
    key,
    rangeEnd: rangeEnd.optional(),
    prefix: prefix.optional(),
    prevKv: z.boolean().optional(),
    encoding: valueEncodingSchema.optional(),
    requestId: requestId.optional(),
  })
  .register(clientSchemas, { id: 'DeleteRangeRequest' });
export type DeleteRangeRequestJson = z.infer<typeof deleteRangeRequestSchema>;

export const compactRequestSchema = z
  .strictObject({ revision: uint, requestId: requestId.optional() })
  .register(clientSchemas, { id: 'CompactRequest' });
export type CompactRequestJson = z.infer<typeof compactRequestSchema>;

// ---- txn ----

const compareResult = z.enum(['equal', 'notEqual', 'less', 'greater']);

export const compareSchema = z
  .discriminatedUnion('target', [
    z.strictObject({
      key,
      rangeEnd: rangeEnd.optional(),
      prefix: prefix.optional(),
      target: z.literal('value'),
      result: compareResult,
      value: z.string(),
    }),
    z.strictObject({
      key,
      rangeEnd: rangeEnd.optional(),
      prefix: prefix.optional(),
      target: z.enum(['version', 'createRevision', 'modRevision', 'lease']),
      result: compareResult,
      value: uint,
    }),
  ])
  .register(clientSchemas, { id: 'Compare' });
export type CompareJson = z.infer<typeof compareSchema>;

const txnRangeSchema = z.strictObject({
  key,
  rangeEnd: rangeEnd.optional(),
  prefix: prefix.optional(),
  revision: uint.optional(),
  limit: uint.optional(),
  keysOnly: z.boolean().optional(),
  countOnly: z.boolean().optional(),
});
const txnPutSchema = z.strictObject({
  key,
  value: z.string().optional(),
  lease: uint.optional(),
  prevKv: z.boolean().optional(),
  ignoreValue: z.boolean().optional(),
  ignoreLease: z.boolean().optional(),
});
const txnDeleteRangeSchema = z.strictObject({
  key,
  rangeEnd: rangeEnd.optional(),
  prefix: prefix.optional(),
  prevKv: z.boolean().optional(),
});

// The recursive schemas are plain objects (chained methods would defeat TypeScript's inference of
// the cycle); their names and descriptions are registered in statements instead.

/** Exactly one of range, put, deleteRange, txn. */
export const requestOpSchema = z.strictObject({
  range: txnRangeSchema.optional(),
  put: txnPutSchema.optional(),
  deleteRange: txnDeleteRangeSchema.optional(),
  get txn(): z.ZodOptional<typeof txnSchema> {
    return txnSchema.optional();
  },
});
export type RequestOpJson = z.infer<typeof requestOpSchema>;

/** A txn as nested inside another txn's ops. */
export const txnSchema = z.strictObject({
  compare: z.array(compareSchema).optional(),
  get success(): z.ZodOptional<z.ZodArray<typeof requestOpSchema>> {
    return z.array(requestOpSchema).optional();
  },
  get failure(): z.ZodOptional<z.ZodArray<typeof requestOpSchema>> {
    return z.array(requestOpSchema).optional();
  },
});
export type TxnJson = z.infer<typeof txnSchema>;
clientSchemas.add(requestOpSchema, { id: 'RequestOp' });
clientSchemas.add(txnSchema, { id: 'Txn' });
z.globalRegistry.add(requestOpSchema, { description: 'Exactly one of range, put, deleteRange, txn.' });

export const txnRequestSchema = z
  .strictObject({
    compare: z.array(compareSchema).optional(),
    success: z.array(requestOpSchema).optional(),
    failure: z.array(requestOpSchema).optional(),
    encoding: valueEncodingSchema.optional(),
    requestId: requestId.optional(),
  })
  .register(clientSchemas, { id: 'TxnRequest' });
export type TxnRequestJson = z.infer<typeof txnRequestSchema>;

// ---- kv responses ----

export const rangeResponseSchema = z
  .object({ header: responseHeaderSchema, kvs: z.array(keyValueSchema), more: z.boolean(), count: uint })
  .register(clientSchemas, { id: 'RangeResponse' });
export type RangeResponseJson = z.infer<typeof rangeResponseSchema>;

export const putResponseSchema = z
  .object({ header: responseHeaderSchema, prevKv: keyValueSchema.optional() })
  .register(clientSchemas, { id: 'PutResponse' });
export type PutResponseJson = z.infer<typeof putResponseSchema>;

export const deleteRangeResponseSchema = z
  .object({ header: responseHeaderSchema, deleted: uint, prevKvs: z.array(keyValueSchema).optional() })
  .register(clientSchemas, { id: 'DeleteRangeResponse' });
export type DeleteRangeResponseJson = z.infer<typeof deleteRangeResponseSchema>;

/** Exactly one of range, put, deleteRange, txn: the answer to the RequestOp at the same position. */
export const responseOpSchema = z.object({
  range: z.object({ kvs: z.array(keyValueSchema), more: z.boolean(), count: uint }).optional(),
  put: z.object({ prevKv: keyValueSchema.optional() }).optional(),
  deleteRange: z.object({ deleted: uint, prevKvs: z.array(keyValueSchema).optional() }).optional(),
  get txn(): z.ZodOptional<typeof txnResultSchema> {
    return txnResultSchema.optional();
  },
});
/** A nested txn's answer. */
export const txnResultSchema = z.object({
  succeeded: z.boolean(),
  get responses(): z.ZodArray<typeof responseOpSchema> {
    return z.array(responseOpSchema);
  },
});
clientSchemas.add(responseOpSchema, { id: 'ResponseOp' });
clientSchemas.add(txnResultSchema, { id: 'TxnResult' });
z.globalRegistry.add(responseOpSchema, {
  description:
    'Exactly one of range, put, deleteRange, txn: the answer to the RequestOp at the same position.',
});
export type ResponseOpJson = z.infer<typeof responseOpSchema>;

export const txnResponseSchema = z
  .object({ header: responseHeaderSchema, succeeded: z.boolean(), responses: z.array(responseOpSchema) })
  .register(clientSchemas, { id: 'TxnResponse' });
export type TxnResponseJson = z.infer<typeof txnResponseSchema>;

export const compactResponseSchema = z
  .object({ header: responseHeaderSchema })
  .register(clientSchemas, { id: 'CompactResponse' });
export type CompactResponseJson = z.infer<typeof compactResponseSchema>;

// ---- leases ----

export const leaseGrantRequestSchema = z
  .strictObject({
    ttl: positiveInt.meta({ description: 'Seconds (at most maxLeaseTtlSeconds).' }),
    id: uint.optional().meta({ description: 'Requested lease id (0 or absent: the store picks one).' }),
    requestId: requestId.optional(),
  })
  .register(clientSchemas, { id: 'LeaseGrantRequest' });
export type LeaseGrantRequestJson = z.infer<typeof leaseGrantRequestSchema>;

export const leaseRevokeRequestSchema = z
  .strictObject({ id: positiveInt, requestId: requestId.optional() })
  .register(clientSchemas, { id: 'LeaseRevokeRequest' });
export type LeaseRevokeRequestJson = z.infer<typeof leaseRevokeRequestSchema>;

export const leaseKeepAliveRequestSchema = z
  .strictObject({ id: positiveInt })
  .register(clientSchemas, { id: 'LeaseKeepAliveRequest' });
export type LeaseKeepAliveRequestJson = z.infer<typeof leaseKeepAliveRequestSchema>;

export const leaseTimeToLiveRequestSchema = z
  .strictObject({ id: positiveInt, keys: z.boolean().optional() })
  .register(clientSchemas, { id: 'LeaseTimeToLiveRequest' });
export type LeaseTimeToLiveRequestJson = z.infer<typeof leaseTimeToLiveRequestSchema>;

/** GET /v1/lease takes nothing; over the WebSocket its body is `{}`. */
export const leaseListRequestSchema = z.strictObject({}).register(clientSchemas, { id: 'LeaseListRequest' });

export const leaseGrantResponseSchema = z
  .object({ header: responseHeaderSchema, id: positiveInt, ttl: positiveInt })
  .register(clientSchemas, { id: 'LeaseGrantResponse' });
export type LeaseGrantResponseJson = z.infer<typeof leaseGrantResponseSchema>;

export const leaseRevokeResponseSchema = z
  .object({ header: responseHeaderSchema })
  .register(clientSchemas, { id: 'LeaseRevokeResponse' });
export type LeaseRevokeResponseJson = z.infer<typeof leaseRevokeResponseSchema>;

export const leaseKeepAliveResponseSchema = z
  .object({ header: responseHeaderSchema, id: positiveInt, ttl: uint })
  .register(clientSchemas, { id: 'LeaseKeepAliveResponse' });
export type LeaseKeepAliveResponseJson = z.infer<typeof leaseKeepAliveResponseSchema>;

export const leaseTimeToLiveResponseSchema = z
  .object({
    header: responseHeaderSchema,
    id: positiveInt,
    ttl: z
      .int()
      .min(-1)
      .meta({ description: 'Remaining seconds, rounded up; -1 if the lease does not exist.' }),
    grantedTtl: uint,
    keys: z.array(z.string()).optional(),
  })
  .register(clientSchemas, { id: 'LeaseTimeToLiveResponse' });
export type LeaseTimeToLiveResponseJson = z.infer<typeof leaseTimeToLiveResponseSchema>;

export const leaseListResponseSchema = z
  .object({ header: responseHeaderSchema, leases: z.array(z.object({ id: positiveInt, ttl: uint })) })
  .register(clientSchemas, { id: 'LeaseListResponse' });
export type LeaseListResponseJson = z.infer<typeof leaseListResponseSchema>;

// ---- cluster ----

export const memberSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    peerUrls: z.array(z.string()),
    clientUrls: z.array(z.string()),
    isLearner: z.boolean(),
  })
  .register(clientSchemas, { id: 'Member' });
export type MemberJson = z.infer<typeof memberSchema>;

export const memberListResponseSchema = z
  .object({ header: responseHeaderSchema, members: z.array(memberSchema) })
  .register(clientSchemas, { id: 'MemberListResponse' });
export type MemberListResponseJson = z.infer<typeof memberListResponseSchema>;

/** POST /v1/cluster/members: add a member (as a learner, or as a voter through a joint configuration). */
export const addMemberRequestSchema = z
  .strictObject({
    id: z.string().min(1).meta({ description: "The new member's id; never reused after removal." }),
    peerUrl: z
      .url({ protocol: /^(https?|wss?)$/ })
      .meta({ description: 'Where the other members reach it (http, https, ws or wss).' }),
    learner: z.boolean().optional().meta({ description: 'Join as a learner (no vote) until promoted.' }),
  })
  .register(clientSchemas, { id: 'AddMemberRequest' });
export type AddMemberRequestJson = z.infer<typeof addMemberRequestSchema>;

export const statusResponseSchema = z
  .object({
    header: responseHeaderSchema,
    id: z.string(),
    name: z.string(),
    role: z.enum(['follower', 'preCandidate', 'candidate', 'leader']),
    isLearner: z.boolean(),
    leader: z
      .string()
      .nullable()
      .meta({ description: 'The leader this member knows of; null during an election.' }),
    term: uint,
    commit: uint,
    applied: uint,
    revision: uint,
    protocolVersion: positiveInt,
    // Optional: members from before these fields answer without them.
    healthy: z.boolean().optional().meta({ description: "Whether this member's /health answers 200." }),
    leaderContactMs: z
      .number()
      .nonnegative()
      .optional()
      .meta({ description: 'Milliseconds since this member last heard from the leader; 0 on the leader.' }),
    writes: z
      .object({
        applied: uint.meta({
          description: 'Writes submitted through this member and applied, since it started.',
        }),
        latencyMsTotal: z.number().nonnegative().meta({
          description:
            'Their summed submit-to-apply time; over an interval, Δ latencyMsTotal / Δ applied is the commit latency.',
        }),
      })
      .optional(),
  })
  .register(clientSchemas, { id: 'StatusResponse' });
export type StatusResponseJson = z.infer<typeof statusResponseSchema>;

// ---- watch (WebSocket at /v1/watch; every message carries the protocol version `v`) ----

const protocolVersion = z.literal(PROTOCOL_VERSION);

export const watchCreateSchema = z.strictObject({
  v: protocolVersion,
  type: z.literal('watchCreate'),
  watchId: uint.optional().meta({ description: 'Chosen by the client; absent: the server picks one.' }),
  key,
  rangeEnd: rangeEnd.optional(),
  prefix: prefix.optional(),
  startRevision: uint.optional().meta({ description: 'First revision to deliver (0 = the next write).' }),
  prevKv: z.boolean().optional(),
  filters: z
    .array(z.enum(['noPut', 'noDelete']))
    .max(2)
    .optional(),
  progressNotify: z.boolean().optional(),
  encoding: valueEncodingSchema.optional(),
});

// ---- requests over the watch WebSocket ----
// Any client request can also travel over the watch WebSocket, as `{ type: 'request', id, op, body }`,
// where body is what the HTTP route takes (as one JSON object) and is decoded by the same decoder.
// The server answers `{ type: 'response', id, header, body }` (body: the HTTP answer without its
// header) or `{ type: 'error', requestId: id, error }`.

/** Each request op with the schema of its body. */
export const requestBodySchemas = {
  range: rangeRequestSchema,
  put: putRequestSchema,
  deleteRange: deleteRangeRequestSchema,
  txn: txnRequestSchema,
  compact: compactRequestSchema,
  leaseGrant: leaseGrantRequestSchema,
  leaseRevoke: leaseRevokeRequestSchema,
  leaseKeepAlive: leaseKeepAliveRequestSchema,
  leaseTimeToLive: leaseTimeToLiveRequestSchema,
  leaseList: leaseListRequestSchema,
} as const;
export type RequestOpName = keyof typeof requestBodySchemas;
export const REQUEST_OPS = Object.keys(requestBodySchemas) as RequestOpName[];

const requestIdOnConnection = uint.meta({
  description:
    'Chosen by the client, unique among its pending requests on this connection; the answer carries it.',
});

function requestMessage<Op extends RequestOpName>(op: Op) {
  return z.strictObject({
    v: protocolVersion,
    type: z.literal('request'),
    id: requestIdOnConnection,
    op: z.literal(op),
    body: requestBodySchemas[op],
  });
}

/** A request message as documented: one variant per op, each with its body's schema. */
export const requestMessageSchema = z
  .discriminatedUnion('op', [
    requestMessage('range'),
    requestMessage('put'),
    requestMessage('deleteRange'),
    requestMessage('txn'),
    requestMessage('compact'),
    requestMessage('leaseGrant'),
    requestMessage('leaseRevoke'),
    requestMessage('leaseKeepAlive'),
    requestMessage('leaseTimeToLive'),
    requestMessage('leaseList'),
  ])
  .register(clientSchemas, { id: 'RequestMessage' });
export type RequestMessageJson = z.infer<typeof requestMessageSchema>;

/**
 * What a request message is checked against before its body goes to the op's own decoder (the
 * HTTP route's), so that a bad body is reported as that decoder reports it.
 */
export const requestEnvelopeSchema = z.strictObject({
  v: protocolVersion,
  type: z.literal('request'),
  id: requestIdOnConnection,
  op: z.enum(REQUEST_OPS as [RequestOpName, ...RequestOpName[]]),
  body: z.unknown(),
});

export const watchClientMessageSchema = z
  .discriminatedUnion('type', [
    watchCreateSchema,
    z.strictObject({ v: protocolVersion, type: z.literal('watchCancel'), watchId: uint }),
    z.strictObject({ v: protocolVersion, type: z.literal('progress') }),
    requestMessageSchema,
  ])
  .register(clientSchemas, { id: 'WatchClientMessage' });
export type WatchClientMessageJson = z.infer<typeof watchClientMessageSchema>;

export const watchEventSchema = z
  .object({ type: z.enum(['put', 'delete']), kv: keyValueSchema, prevKv: keyValueSchema.optional() })
  .register(clientSchemas, { id: 'WatchEvent' });
export type WatchEventJson = z.infer<typeof watchEventSchema>;

/** How current the answering server's own state is, beside a progress answer. */
export const freshnessSchema = z
  .object({
    stale: z.boolean().meta({ description: 'The cluster has not confirmed this state lately.' }),
    ageMs: z.number().nonnegative().meta({
      description: 'Milliseconds the state has gone unconfirmed (0 when not stale).',
    }),
    reason: z
      .string()
      .optional()
      .meta({ description: "Why, in words: 'no leader', 'no word from the leader for over 1000 ms'..." }),
  })
  .register(clientSchemas, { id: 'Freshness' });
export type FreshnessJson = z.infer<typeof freshnessSchema>;

export const watchServerMessageSchema = z
  .discriminatedUnion('type', [
    z.object({
      v: protocolVersion,
      type: z.literal('watchResponse'),
      header: responseHeaderSchema,
      watchId: z.int().min(-1).meta({ description: '-1 for a progress notification answering `progress`.' }),
      events: z.array(watchEventSchema),
      created: z.boolean().optional(),
      canceled: z.boolean().optional(),
      compactRevision: uint.optional(),
      cancelReason: z.string().optional(),
      freshness: freshnessSchema.optional().meta({
        description:
          "Progress answers of a member that is cut off from the cluster's leader, or far behind it (absent while it is healthy): its revision may be old. Another member may be current.",
      }),
      edge: freshnessSchema.optional().meta({
        description:
          "Progress and created answers of the edge tier: how long the cluster has not confirmed the edge's own copy (every edge endpoint shares it).",
      }),
    }),
    z.object({
      v: protocolVersion,
      type: z.literal('response'),
      id: uint.meta({ description: 'The id of the request this answers.' }),
      header: responseHeaderSchema,
      body: z.record(z.string(), z.unknown()).meta({
        description:
          "The op's HTTP answer without its header: RangeResponse for range, PutResponse for put, and so on.",
      }),
    }),
    z.object({
      v: protocolVersion,
      type: z.literal('error'),
      watchId: uint.optional().meta({ description: 'The watch the error is about, if any.' }),
      requestId: uint.optional().meta({ description: 'The request the error answers, if any.' }),
      error: errorBodySchema.shape.error,
    }),
  ])
  .register(clientSchemas, { id: 'WatchServerMessage' });
export type WatchServerMessageJson = z.infer<typeof watchServerMessageSchema>;
