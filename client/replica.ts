// A live local copy of the keys under a prefix: listed, then watched from the revision after the list,
// so that reads are synchronous and every change arrives once, in order, as one ChangeSet per
// revision. It starts from the cache or a server-rendered payload when one is there (marked stale
// until the cluster confirms it) and resumes the watch from that revision. When the history it needs
// was compacted it lists again and emits exactly the difference as one ChangeSet. Its revision never
// goes back: lists ask for at least its revision (minRevision), and older events are dropped.
import { prefixEnd } from '../core/store/keys.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import type { Clock } from './clock.ts';
import { type ClientError, isCredentialsRefusal, SchemaMismatchError, VaneClientError } from './errors.ts';
import type { SchemaMap, TypedValues, ValueOf } from './schema.ts';
import type { Transport, WatchSubscription } from './transport.ts';
import type {
  BootstrapPayload,
  CacheRecord,
  CacheStorage,
  Change,
  ChangeSet,
  KeyValue,
  WatchBatch,
} from './types.ts';
import { keyValues, readBody } from './wire.ts';

/** Keys per list request: a large prefix is listed in pages, all at the first page's revision. */
export const LIST_PAGE_KEYS = 1000;
/** Delays between attempts to list again after a list failed. */
const LIST_RETRY_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000 };

export interface ReplicaContext {
  readonly transport: Transport;
  readonly values: TypedValues;
  readonly storage: CacheStorage;
  /** Server-rendered state for this prefix, if the client was given one. */
  readonly bootstrap: BootstrapPayload | undefined;
  readonly reportError: (error: ClientError) => void;
  readonly clock: Clock;
  readonly random: () => number;
}

interface Subscription {
  readonly keyOrPrefix: string;
  readonly listener: (change: ChangeSet) => void;
}

export class Replica<S extends SchemaMap = SchemaMap> {
  readonly prefix: string;
  /** Resolves once the replica holds a state (from the cache, a bootstrap payload or a list). */
  readonly ready: Promise<void>;
  readonly #context: ReplicaContext;
  readonly #kvs = new Map<string, KeyValue>();
  /** The last value that passed its key's schema (the string for untyped keys). */
  readonly #values = new Map<string, unknown>();
  readonly #subscriptions = new Set<Subscription>();
  #revision = 0;
  #stale = true;
  #isReady = false;
  #closed = false;
  #watch: WatchSubscription | undefined;
  #listAttempts = 0;
  #cancelRetry: (() => void) | undefined;
  #markReady: () => void = () => {};
  #failReady: (error: unknown) => void = () => {};
  #persisting = false;
  #persistAgain = false;

  constructor(prefix: string, context: ReplicaContext) {
    this.prefix = prefix;
    this.#context = context;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#markReady = resolve;
      this.#failReady = reject;
    });
    // Nobody has to await `ready`; closing before it would otherwise be an unhandled rejection.
    this.ready.catch(() => {});
    void this.#start();
  }

  get isReady(): boolean {
    return this.#isReady;
  }

  /** The revision of the state held: every change up to it is applied. */
  get revision(): number {
    return this.#revision;
  }

  /** True until the cluster confirms the state (it came from a cache or payload, or is being re-listed). */
  get stale(): boolean {
    return this.#stale;
  }

  /** The key's value, typed by its schema (the last valid one), or the string when it has none. */
  get<K extends string>(key: K): ValueOf<S, K> | undefined {
    return this.#values.get(key) as ValueOf<S, K> | undefined;
  }

  /** The key as last received, whether or not its value passed its schema. */
  getKv(key: string): KeyValue | undefined {
    return this.#kvs.get(key);
  }

  entries(): Map<string, KeyValue> {
    return new Map(this.#kvs);
  }

  /** Hears the changes to one key, or to the keys under a prefix ending in '/' ('' for all). */
  subscribe(keyOrPrefix: string, listener: (change: ChangeSet) => void): () => void {
    const subscription = { keyOrPrefix, listener };
    this.#subscriptions.add(subscription);
    return () => {
      this.#subscriptions.delete(subscription);
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#watch?.close();
    this.#watch = undefined;
    this.#cancelRetry?.();
    this.#subscriptions.clear();
    if (!this.#isReady)
      this.#failReady(new VaneClientError('closed', `the replica of '${this.prefix}' was closed`));
  }

  // ---- start, list, watch ----

  async #start(): Promise<void> {
    const cached = await this.#context.storage.get(this.prefix).catch((error: unknown) => {
      this.#context.reportError(
        new VaneClientError('unavailable', `could not read the cache of '${this.prefix}': ${String(error)}`),
      );
      return undefined;
    });
    if (this.#closed) return;
    const bootstrap = this.#context.bootstrap;
    const initial = [cached, bootstrap].reduce<CacheRecord | undefined>(
      (best, record) => (record !== undefined && record.revision > (best?.revision ?? -1) ? record : best),
      undefined,
    );
    if (initial === undefined) {
      await this.#list();
      return;
    }
    this.#load(initial.kvs, initial.revision);
    this.#isReady = true;
    this.#markReady();
    this.#watchFrom(initial.revision + 1);
  }

  /** Lists the prefix (again), then watches from the revision after the list. */
  async #list(): Promise<void> {
    this.#stale = true;
    let listed: { readonly kvs: KeyValue[]; readonly revision: number };
    try {
      listed = await this.#listPages();
    } catch (error) {
      if (this.#closed) return;
      const reported = asClientError(error);
      this.#context.reportError(reported);
      if (isCredentialsRefusal(reported.code)) {
        this.#stop(reported);
        return;
      }
      const delay = backoffDelay(LIST_RETRY_BACKOFF, this.#listAttempts++, this.#context.random);
      this.#cancelRetry = this.#context.clock.after(delay, () => {
        this.#cancelRetry = undefined;
        void this.#list();
      });
      return;
    }
    if (this.#closed) return;
    this.#listAttempts = 0;
    if (!this.#isReady) {
      this.#load(listed.kvs, listed.revision);
      this.#isReady = true;
      this.#markReady();
    } else {
      this.#replaceWith(listed.kvs, listed.revision);
    }
    this.#stale = false;
    this.#watchFrom(Math.max(listed.revision, this.#revision) + 1);
  }

  async #listPages(): Promise<{ kvs: KeyValue[]; revision: number }> {
    const transport = this.#context.transport;
    const floor = this.#revision;
    const first = await transport.request('range', {
      key: this.prefix,
      prefix: true,
      limit: LIST_PAGE_KEYS,
      ...(floor > 0 ? { minRevision: floor } : {}),
    });
    const revision = first.header.revision;
    if (revision < floor) {
      throw new VaneClientError(
        'unavailable',
        `${first.header.member} answered at revision ${revision}, behind this replica's ${floor}`,
      );
    }
    const kvs: KeyValue[] = [];
    let page = first.body;
    for (;;) {
      const read = readBody(page, (body) => ({ kvs: keyValues(body.kvs, 'kvs'), more: body.more === true }));
      if (read instanceof Error)
        throw new VaneClientError('decodeError', `a list answer could not be read: ${read.message}`);
      kvs.push(...read.kvs);
      const last = read.kvs[read.kvs.length - 1];
      if (!read.more || last === undefined) return { kvs, revision };
      // The next page starts right after the last key, at the same revision as the first.
      const next = await transport.request('range', {
        key: `${last.key}\0`,
        rangeEnd: prefixEnd(this.prefix),
        limit: LIST_PAGE_KEYS,
        revision,
      });
      page = next.body;
    }
  }

  #watchFrom(startRevision: number): void {
    if (this.#closed) return;
    this.#watch = this.#context.transport.watch(
      { key: this.prefix, prefix: true, startRevision },
      {
        onEvents: (batch) => this.#apply(batch),
        onProgress: (revision) => this.#confirmed(revision),
        onCompacted: () => {
          this.#watch = undefined;
          void this.#list();
        },
        onError: (error) => {
          this.#watch = undefined;
          this.#context.reportError(error);
          if (isCredentialsRefusal(error.code)) this.#stop(error);
          else void this.#list();
        },
      },
    );
  }

  /**
   * The cluster refused this client's credentials: listing again cannot succeed, so the replica keeps
   * what it holds, marked stale, and stops (a client with valid credentials must replace it).
   */
  #stop(error: ClientError): void {
    this.#stale = true;
    if (!this.#isReady) this.#failReady(error);
  }

  // ---- state ----

  /** The first state: no ChangeSet (nothing was known before). */
  #load(kvs: readonly KeyValue[], revision: number): void {
    for (const kv of kvs) {
      this.#kvs.set(kv.key, kv);
      const decoded = this.#decode(kv);
      if (decoded.ok) this.#values.set(kv.key, decoded.value);
    }
    this.#revision = revision;
    this.#persist();
  }

  /** A re-list: exactly the difference from the state held, as one ChangeSet at the list's revision. */
  #replaceWith(kvs: readonly KeyValue[], revision: number): void {
    if (revision <= this.#revision) return;
    const listed = new Map(kvs.map((kv) => [kv.key, kv]));
    const changes: Change[] = [];
    for (const key of this.#kvs.keys()) {
      if (!listed.has(key)) changes.push(...this.#delete(key));
    }
    for (const kv of kvs) {
      if (this.#kvs.get(kv.key)?.modRevision !== kv.modRevision) changes.push(...this.#put(kv));
    }
    this.#commit(revision, changes);
  }

  #apply(batch: WatchBatch): void {
    if (batch.revision <= this.#revision) return;
    const changes: Change[] = [];
    for (const event of batch.events) {
      changes.push(...(event.type === 'put' ? this.#put(event.kv) : this.#delete(event.kv.key)));
    }
    this.#commit(batch.revision, changes);
  }

  /** The watch delivered everything up to `revision`: the state is the cluster's as of then. */
  #confirmed(revision: number): void {
    if (revision < this.#revision) return;
    const moved = revision > this.#revision;
    this.#revision = revision;
    this.#stale = false;
    if (moved) this.#persist();
  }

  #put(kv: KeyValue): Change[] {
    this.#kvs.set(kv.key, kv);
    const decoded = this.#decode(kv);
    if (!decoded.ok) return [];
    const had = this.#values.has(kv.key);
    const prevValue = this.#values.get(kv.key);
    this.#values.set(kv.key, decoded.value);
    return [
      had
        ? { key: kv.key, type: 'put', value: decoded.value, prevValue }
        : { key: kv.key, type: 'put', value: decoded.value },
    ];
  }

  #delete(key: string): Change[] {
    const known = this.#kvs.delete(key);
    const had = this.#values.has(key);
    const prevValue = this.#values.get(key);
    this.#values.delete(key);
    if (!known && !had) return [];
    return [had ? { key, type: 'delete', prevValue } : { key, type: 'delete' }];
  }

  #decode(kv: KeyValue): { ok: true; value: unknown } | { ok: false } {
    const decoded = this.#context.values.decode(kv);
    if (decoded.ok) return decoded;
    this.#context.reportError(new SchemaMismatchError(kv.key, kv.modRevision, decoded.issues));
    return { ok: false };
  }

  #commit(revision: number, changes: readonly Change[]): void {
    if (revision <= this.#revision)
      throw new Error(`Replica: revision ${revision} does not move past ${this.#revision}`);
    this.#revision = revision;
    this.#persist();
    if (changes.length === 0) return;
    for (const subscription of [...this.#subscriptions]) {
      if (!this.#subscriptions.has(subscription)) continue;
      const mine = changes.filter((change) => matches(subscription.keyOrPrefix, change.key));
      if (mine.length === 0) continue;
      try {
        subscription.listener({ revision, changes: mine });
      } catch (error) {
        // A listener's bug surfaces as an uncaught error, as from an event handler; the others still hear.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Writes the state to the cache, one write at a time, the latest state last. */
  #persist(): void {
    if (this.#persisting) {
      this.#persistAgain = true;
      return;
    }
    this.#persisting = true;
    const record: CacheRecord = {
      prefix: this.prefix,
      revision: this.#revision,
      kvs: [...this.#kvs.values()],
    };
    this.#context.storage.set(record).then(
      () => this.#persisted(),
      (error: unknown) => {
        this.#context.reportError(
          new VaneClientError(
            'unavailable',
            `could not write the cache of '${this.prefix}': ${String(error)}`,
          ),
        );
        this.#persisted();
      },
    );
  }

  #persisted(): void {
    this.#persisting = false;
    if (this.#persistAgain && !this.#closed) {
      this.#persistAgain = false;
      this.#persist();
    }
  }
}

function matches(keyOrPrefix: string, key: string): boolean {
  return keyOrPrefix === '' || keyOrPrefix.endsWith('/') ? key.startsWith(keyOrPrefix) : key === keyOrPrefix;
}

function asClientError(error: unknown): ClientError {
  if (error instanceof VaneClientError || error instanceof SchemaMismatchError) return error;
  return new VaneClientError('unavailable', error instanceof Error ? error.message : String(error));
}
