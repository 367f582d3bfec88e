// The SDK's entry point: keys, txns, leases, watches and replicas over one transport (by default one
// WebSocket with failover). Writes carry a request id chosen once, so a retry applies once; after a
// write resolves at revision R, this client's reads ask for at least R (read-your-writes).
import type { CompareJson, RequestOpJson, ResponseOpJson } from '../core/protocol/client.ts';
import { prefixEnd } from '../core/store/keys.ts';
import type { BackoffPolicy } from './backoff.ts';
import { memoryStorage } from './cache.ts';
import { type Clock, systemClock } from './clock.ts';
import { CONNECTION_DEFAULTS, Connection, type TokenSource } from './connection.ts';
import { type RegisterOptions, Registration } from './discovery.ts';
import { Election, type ElectionOptions } from './election.ts';
import { Listeners } from './emitter.ts';
import { type ClientError, SchemaMismatchError, VaneClientError } from './errors.ts';
import { Lease } from './lease.ts';
import { Replica } from './replica.ts';
import { newRequestId } from './request-id.ts';
import { type SchemaMap, TypedValues, type ValueOf } from './schema.ts';
import type {
  RequestAnswer,
  RequestOpName,
  Transport,
  TransportFactory,
  WatchSubscription,
} from './transport.ts';
import type { BootstrapPayload, CacheStorage, ClientStatus, KeyValue, WatchBatch } from './types.ts';
import type { WebSocketConstructorLike } from './websocket.ts';
import { array, keyValue, keyValues, readBody, uint } from './wire.ts';

export interface ClientOptions<S extends SchemaMap = SchemaMap> {
  /** Member (or edge) URLs, http(s)://host:port. */
  readonly endpoints: readonly string[];
  /** Sent as the WebSocket subprotocol `vane.token.<token>` (or `?token=` if it cannot be one). */
  readonly token?: TokenSource;
  /** Exact keys, or prefixes ending in '/', to zod types: their values are JSON, checked and typed. */
  readonly schema?: S;
  /** Where replicas keep their state between runs (default: in memory, for this client's life). */
  readonly storage?: CacheStorage;
  /** Server-rendered state (client.snapshot(prefix) on the server) that replicas start from. */
  readonly bootstrap?: BootstrapPayload | readonly BootstrapPayload[];
  /** The WebSocket constructor where there is no global one (Node 20: the `ws` package's). */
  readonly webSocket?: WebSocketConstructorLike;
  readonly requestTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly staleAfterMs?: number;
  readonly failoverAfterMs?: number;
  /**
   * Another transport than a WebSocket of this client's own (e.g. one shared by browser tabs). A
   * transport given as is stays the caller's to close; one the client builds with a factory (handed
   * the client's error reporting) is the client's, and client.close() closes it.
   */
  readonly transport?: Transport | TransportFactory;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface ReadOptions {
  /** Answer from the member's own state without asking the leader (fast, possibly stale). */
  readonly serializable?: boolean;
  /** Answer from a state at or after this revision. */
  readonly minRevision?: number;
}

export interface RangeOptions extends ReadOptions {
  readonly key: string;
  readonly rangeEnd?: string;
  readonly prefix?: boolean;
  readonly limit?: number;
  /** Read at this past revision. */
  readonly revision?: number;
  readonly keysOnly?: boolean;
}

export interface RangeResult {
  readonly kvs: readonly KeyValue[];
  readonly revision: number;
  readonly more: boolean;
  readonly count: number;
}

export interface PutOptions {
  /** A lease (or its id) the key lives and dies with. */
  readonly lease?: Lease | number;
  readonly prevKv?: boolean;
  /** The write's id; a retry with the same id applies once (default: a fresh one per call). */
  readonly requestId?: string;
}

export interface PutResult {
  readonly revision: number;
  readonly prevKv?: KeyValue;
}

export interface DeleteResult {
  readonly revision: number;
  readonly deleted: number;
  readonly prevKvs?: readonly KeyValue[];
}

export interface TxnRequest {
  readonly compare?: readonly CompareJson[];
  readonly success?: readonly RequestOpJson[];
  readonly failure?: readonly RequestOpJson[];
}

export interface TxnResult {
  readonly succeeded: boolean;
  readonly revision: number;
  /** The answers to the ops that ran, as in POST /v1/txn. */
  readonly responses: readonly ResponseOpJson[];
}

export interface WatchOptions {
  readonly key: string;
  readonly prefix?: boolean;
  readonly rangeEnd?: string;
  /** First revision to deliver (default: the next write). */
  readonly startRevision?: number;
  readonly prevKv?: boolean;
}

export interface WatchHandlers {
  /** The watch ended because the history it needs was compacted (default: an 'error' event). */
  readonly onCompacted?: (compactRevision: number) => void;
  /** The watch ended because the server refused it (default: an 'error' event). */
  readonly onError?: (error: VaneClientError) => void;
}

export class Client<S extends SchemaMap = SchemaMap> {
  readonly #transport: Transport;
  readonly #ownsTransport: boolean;
  readonly #values: TypedValues;
  readonly #storage: CacheStorage;
  readonly #bootstrap = new Map<string, BootstrapPayload>();
  readonly #errors = new Listeners<ClientError>();
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #requestTimeoutMs: number;
  readonly #leases = new Set<Lease>();
  readonly #closables = new Set<{ close(): void }>();
  /** The highest revision a write of this client resolved at. */
  #writtenRevision = 0;
  #closed = false;

  constructor(options: ClientOptions<S>) {
    this.#values = new TypedValues(options.schema);
    this.#storage = options.storage ?? memoryStorage();
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? CONNECTION_DEFAULTS.requestTimeoutMs;
    const bootstrap = options.bootstrap;
    for (const payload of bootstrap === undefined ? [] : Array.isArray(bootstrap) ? bootstrap : [bootstrap]) {
      this.#bootstrap.set((payload as BootstrapPayload).prefix, payload as BootstrapPayload);
    }
    const hooks = { onError: (error: ClientError) => this.#errors.emit(error) };
    const given = options.transport;
    this.#ownsTransport = typeof given !== 'object';
    if (typeof given === 'object') this.#transport = given;
    else if (typeof given === 'function') this.#transport = given(hooks);
    else {
      this.#transport = new Connection({
        endpoints: options.endpoints,
        ...(options.token === undefined ? {} : { token: options.token }),
        ...(options.webSocket === undefined ? {} : { webSocket: options.webSocket }),
        ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
        ...(options.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: options.connectTimeoutMs }),
        ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
        ...(options.staleAfterMs === undefined ? {} : { staleAfterMs: options.staleAfterMs }),
        ...(options.failoverAfterMs === undefined ? {} : { failoverAfterMs: options.failoverAfterMs }),
        clock: this.#clock,
        random: this.#random,
        onError: hooks.onError,
      });
    }
  }

  get status(): ClientStatus {
    return this.#transport.status;
  }

  /** 'status': the connection's state changed; 'error': a schema failure, or background work that failed. */
  on(event: 'status', listener: (status: ClientStatus) => void): () => void;
  on(event: 'error', listener: (error: ClientError) => void): () => void;
  on(
    event: 'status' | 'error',
    listener: ((status: ClientStatus) => void) | ((error: ClientError) => void),
  ): () => void {
    if (event === 'status') return this.#transport.onStatus(listener as (status: ClientStatus) => void);
    if (event === 'error') return this.#errors.add(listener as (error: ClientError) => void);
    throw new Error(`Client.on: unknown event '${String(event)}'`);
  }

  // ---- keys ----

  async get(key: string, options: ReadOptions = {}): Promise<KeyValue | null> {
    const answer = await this.#request('range', this.#rangeBody(key, options));
    return read(answer, (json) => {
      const kvs = keyValues(json.kvs, 'kvs');
      uint(json.count, 'count');
      return kvs[0] ?? null;
    });
  }

  /** The key's value typed by its schema (JSON-parsed and checked), or the string when it has none. */
  async getValue<K extends string>(key: K, options: ReadOptions = {}): Promise<ValueOf<S, K> | undefined> {
    const kv = await this.get(key, options);
    if (kv === null) return undefined;
    const decoded = this.#values.decode(kv);
    if (!decoded.ok) throw new SchemaMismatchError(key, kv.modRevision, decoded.issues);
    return decoded.value as ValueOf<S, K>;
  }

  async range(options: RangeOptions): Promise<RangeResult> {
    const answer = await this.#request('range', this.#rangeBody(options.key, options, options));
    return read(answer, (json) => ({
      kvs: keyValues(json.kvs, 'kvs'),
      more: json.more === true,
      count: uint(json.count, 'count'),
      revision: answer.header.revision,
    }));
  }

  /** A string, or for a key with a schema a value of its type (stored as JSON). */
  async put<K extends string>(key: K, value: ValueOf<S, K>, options: PutOptions = {}): Promise<PutResult> {
    const encoded = this.#values.encode(key, value);
    if (!encoded.ok) throw new SchemaMismatchError(key, 0, encoded.issues);
    const lease = options.lease instanceof Lease ? options.lease.id : options.lease;
    const body: Record<string, unknown> = { key, value: encoded.text };
    if (lease) body.lease = lease;
    if (options.prevKv === true) body.prevKv = true;
    body.requestId = options.requestId ?? newRequestId();
    const answer = this.#wrote(await this.#request('put', body));
    const prevKv = read(answer, (json) =>
      json.prevKv === undefined ? undefined : keyValue(json.prevKv, 'prevKv'),
    );
    return prevKv === undefined
      ? { revision: answer.header.revision }
      : { revision: answer.header.revision, prevKv };
  }

  async delete(
    target: string | { readonly prefix: string } | { readonly key: string; readonly rangeEnd: string },
    options: { readonly prevKv?: boolean; readonly requestId?: string } = {},
  ): Promise<DeleteResult> {
    const selection =
      typeof target === 'string'
        ? { key: target }
        : 'prefix' in target
          ? { key: target.prefix, prefix: true }
          : target;
    const answer = this.#wrote(
      await this.#request('deleteRange', {
        ...selection,
        ...(options.prevKv === true ? { prevKv: true } : {}),
        requestId: options.requestId ?? newRequestId(),
      }),
    );
    const body = read(answer, (json) => ({
      deleted: uint(json.deleted, 'deleted'),
      prevKvs: json.prevKvs === undefined ? undefined : keyValues(json.prevKvs, 'prevKvs'),
    }));
    const result = { revision: answer.header.revision, deleted: body.deleted };
    return body.prevKvs === undefined ? result : { ...result, prevKvs: body.prevKvs };
  }

  /** Compare, then run the success or the failure ops, atomically (the JSON of POST /v1/txn). */
  async txn(request: TxnRequest, options: { readonly requestId?: string } = {}): Promise<TxnResult> {
    const answer = this.#wrote(
      await this.#request('txn', { ...request, requestId: options.requestId ?? newRequestId() }),
    );
    return read(answer, (json) => {
      if (typeof json.succeeded !== 'boolean')
        throw new VaneClientError('decodeError', 'succeeded is not a boolean');
      return {
        succeeded: json.succeeded,
        revision: answer.header.revision,
        responses: array(json.responses, 'responses') as readonly ResponseOpJson[],
      };
    });
  }

  /** Forgets the history before `revision` (watches from before it get a compacted error). */
  async compact(revision: number): Promise<{ readonly revision: number }> {
    const answer = await this.#request('compact', { revision, requestId: newRequestId() });
    return { revision: answer.header.revision };
  }

  // ---- leases ----

  /** A lease of `ttl` seconds, kept alive every ttl/3 unless keepAlive is false. */
  async grantLease(
    ttl: number,
    options: { readonly keepAlive?: boolean; readonly id?: number } = {},
  ): Promise<Lease> {
    const sentAt = this.#clock.now();
    const answer = await this.#request('leaseGrant', {
      ttl,
      ...(options.id === undefined ? {} : { id: options.id }),
      requestId: newRequestId(),
    });
    const granted = read(answer, (json) => ({ id: uint(json.id, 'id'), ttl: uint(json.ttl, 'ttl') }));
    this.#checkOpen();
    const lease = new Lease(granted.id, granted.ttl, sentAt, options.keepAlive !== false, {
      transport: this.#transport,
      clock: this.#clock,
      requestTimeoutMs: this.#requestTimeoutMs,
      reportError: (error) => this.#errors.emit(error),
    });
    this.#leases.add(lease);
    return lease;
  }

  // ---- watches and replicas ----

  /** Every change to a key or range, one batch per revision, resumed after reconnects. */
  watch(
    options: WatchOptions,
    listener: (batch: WatchBatch) => void,
    handlers: WatchHandlers = {},
  ): WatchSubscription {
    this.#checkOpen();
    const subscription = this.#transport.watch(options, {
      onEvents: listener,
      onCompacted: (compactRevision) => {
        this.#closables.delete(subscription);
        if (handlers.onCompacted !== undefined) handlers.onCompacted(compactRevision);
        else {
          this.#errors.emit(
            new VaneClientError(
              'compacted',
              `the watch of '${options.key}' ended: its history is compacted up to ${compactRevision}`,
              {
                compactRevision,
              },
            ),
          );
        }
      },
      onError: (error) => {
        this.#closables.delete(subscription);
        if (handlers.onError !== undefined) handlers.onError(error);
        else this.#errors.emit(error);
      },
    });
    this.#closables.add(subscription);
    return {
      close: () => {
        this.#closables.delete(subscription);
        subscription.close();
      },
    };
  }

  /** A live local copy of the keys under `prefix`. */
  replica(prefix: string): Replica<S> {
    this.#checkOpen();
    const replica = new Replica<S>(prefix, {
      transport: this.#transport,
      values: this.#values,
      storage: this.#storage,
      bootstrap: this.#bootstrap.get(prefix),
      reportError: (error) => this.#errors.emit(error),
      clock: this.#clock,
      random: this.#random,
    });
    this.#closables.add(replica);
    return replica;
  }

  /** The keys under `prefix` at one revision: what a server renders for the browser's `bootstrap`. */
  async snapshot(prefix: string): Promise<BootstrapPayload> {
    const kvs: KeyValue[] = [];
    let result = await this.range({ key: prefix, prefix: true });
    kvs.push(...result.kvs);
    while (result.more && result.kvs.length > 0) {
      const last = result.kvs[result.kvs.length - 1]!;
      result = await this.range({
        key: `${last.key}\0`,
        rangeEnd: prefixEnd(prefix),
        revision: result.revision,
      });
      kvs.push(...result.kvs);
    }
    return { prefix, revision: result.revision, kvs };
  }

  // ---- service discovery and elections ----

  /** Writes `services/<service>/<instanceId>` under a kept-alive lease, and again if that lease is lost. */
  async register(service: string, instanceId: string, options: RegisterOptions): Promise<Registration> {
    this.#checkOpen();
    const registration = new Registration(`services/${service}/${instanceId}`, options, {
      grantLease: (ttl) => this.grantLease(ttl),
      put: (key, value, lease) => this.put(key, value as ValueOf<S, string>, { lease }),
      reportError: (error) => this.#errors.emit(error),
      clock: this.#clock,
      random: this.#random,
    });
    const releaseOnClose = { close: () => registration.release() };
    this.#closables.add(releaseOnClose);
    try {
      await registration.registered;
    } catch (error) {
      this.#closables.delete(releaseOnClose);
      registration.release();
      throw error;
    }
    return registration;
  }

  /** A live replica of the instances of `service`. */
  discover(service: string): Replica<S> {
    return this.replica(`services/${service}/`);
  }

  /** Leader election under `elections/<name>/`, as etcd's concurrency API does it. */
  election(name: string, options: ElectionOptions = {}): Election {
    this.#checkOpen();
    const election = new Election(name, options, this);
    this.#closables.add(election);
    return election;
  }

  /**
   * Closes the connection, replicas, watches and elections. Leases stop being kept alive but are not
   * revoked: their keys go when their TTL runs out (revoke or close a registration first to go now).
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const closable of [...this.#closables]) closable.close();
    this.#closables.clear();
    for (const lease of this.#leases) lease.release();
    this.#leases.clear();
    if (this.#ownsTransport) this.#transport.close();
  }

  // ---- plumbing ----

  #checkOpen(): void {
    if (this.#closed) throw new VaneClientError('closed', 'the client was closed');
  }

  /**
   * A range request's body, written out field by field: object spreads and rests cost a read more
   * than the rest of the SDK does. Reads ask for at least this client's last written revision.
   */
  #rangeBody(key: string, read: ReadOptions, selection?: RangeOptions): Record<string, unknown> {
    const body: Record<string, unknown> = { key };
    if (selection !== undefined) {
      if (selection.rangeEnd !== undefined) body.rangeEnd = selection.rangeEnd;
      if (selection.prefix !== undefined) body.prefix = selection.prefix;
      if (selection.limit !== undefined) body.limit = selection.limit;
      if (selection.revision !== undefined) body.revision = selection.revision;
      if (selection.keysOnly !== undefined) body.keysOnly = selection.keysOnly;
    }
    if (read.serializable === true) body.serializable = true;
    const floor = Math.max(read.minRevision ?? 0, this.#writtenRevision);
    if (floor > 0) body.minRevision = floor;
    return body;
  }

  #request(op: RequestOpName, body: Readonly<Record<string, unknown>>): Promise<RequestAnswer> {
    if (this.#closed) return Promise.reject(new VaneClientError('closed', 'the client was closed'));
    return this.#transport.request(op, body);
  }

  /** Notes the revision a write resolved at, for read-your-writes; returns its answer. */
  #wrote(answer: RequestAnswer): RequestAnswer {
    if (answer.header.revision > this.#writtenRevision) this.#writtenRevision = answer.header.revision;
    return answer;
  }
}

export function createClient<S extends SchemaMap = Record<never, never>>(
  options: ClientOptions<S>,
): Client<S> {
  return new Client<S>(options);
}

/** Reads an answer's body, turning what cannot be read into a decodeError. */
function read<T>(answer: RequestAnswer, reader: (json: Readonly<Record<string, unknown>>) => T): T {
  const result = readBody(answer.body, reader);
  if (result instanceof Error)
    throw new VaneClientError('decodeError', `an answer could not be read: ${result.message}`);
  return result;
}
