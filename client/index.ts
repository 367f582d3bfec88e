// The Vane client SDK: runtime-neutral (WebSocket and fetch only), for browsers, Node, Deno and
// Cloudflare Workers. See /v1/openapi.json for the wire format it speaks.
export type { BackoffPolicy } from './backoff.ts';
export { memoryStorage } from './cache.ts';
export {
  Client,
  type ClientOptions,
  createClient,
  type DeleteResult,
  type PutOptions,
  type PutResult,
  type RangeOptions,
  type RangeResult,
  type ReadOptions,
  type TxnRequest,
  type TxnResult,
  type WatchHandlers,
  type WatchOptions,
} from './client.ts';
export { type Clock, systemClock } from './clock.ts';
export { CONNECTION_DEFAULTS, Connection, type ConnectionOptions, type TokenSource } from './connection.ts';
export { type RegisterOptions, Registration } from './discovery.ts';
export {
  DEFAULT_ELECTION_TTL_SECONDS,
  Election,
  type ElectionOptions,
  type Leader,
  type Leadership,
} from './election.ts';
export {
  type ClientError,
  type ClientErrorCode,
  isCredentialsRefusal,
  isRetryable,
  type SchemaIssue,
  SchemaMismatchError,
  VaneClientError,
} from './errors.ts';
export { Lease } from './lease.ts';
export { LIST_PAGE_KEYS, Replica } from './replica.ts';
export type { SchemaMap, ValueOf } from './schema.ts';
export type {
  RequestAnswer,
  RequestOpName,
  RequestOptions,
  Transport,
  TransportFactory,
  TransportHooks,
  WatchListener,
  WatchSpec,
  WatchSubscription,
} from './transport.ts';
export type {
  BootstrapPayload,
  CacheRecord,
  CacheStorage,
  Change,
  ChangeSet,
  ClientStatus,
  ConnectionState,
  KeyValue,
  WatchBatch,
  WatchEvent,
} from './types.ts';
export type { WebSocketConstructorLike, WebSocketLike } from './websocket.ts';
