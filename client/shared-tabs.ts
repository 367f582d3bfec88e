// One connection for all the tabs of an origin. Every tab asks for one Web Lock; the tab that gets it
// (the holder) opens the real connection, and the others (followers) send it their requests and
// watches over a BroadcastChannel and hear the answers, watch events and status back. When the holder
// closes, the browser hands the lock to another tab, which opens the connection and announces
// itself; every follower then sends it again what is still pending: requests (a write carries its
// requestId, so it applies once) and watches from the revision after the last one delivered, so
// nothing is missed and nothing is delivered twice. Each tab also holds a lock of its own while it
// lives, which the holder waits on to learn that a follower is gone and drop its watches.

import { type Clock, systemClock } from './clock.ts';
import { CONNECTION_DEFAULTS } from './connection.ts';
import { Listeners } from './emitter.ts';
import { VaneClientError } from './errors.ts';
import type {
  RequestAnswer,
  RequestOpName,
  RequestOptions,
  Transport,
  WatchListener,
  WatchSpec,
  WatchSubscription,
} from './transport.ts';
import type { ClientStatus, WatchBatch } from './types.ts';
import type { ErrorJson } from './wire.ts';

/** Part of every lock and channel name: tabs running another version of this protocol never meet. */
export const SHARED_TABS_PROTOCOL = 1;

/** The part of navigator.locks this transport uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { readonly signal?: AbortSignal },
    callback: (lock: unknown) => Promise<void>,
  ): Promise<unknown>;
}

/** The part of a BroadcastChannel this transport uses. */
export interface ChannelLike {
  postMessage(message: unknown): void;
  /** Compared bivariantly, so that the DOM's MessageEvent handler fits. */
  onmessage: { bivarianceHack(event: { readonly data: unknown }): void }['bivarianceHack'] | null;
  close(): void;
}

export interface SharedTabsOptions {
  /** Tabs whose transports have the same name share one connection (see sharedConnectionName). */
  readonly name: string;
  /** Opens the real connection, in the tab that holds the lock. */
  readonly connect: () => Transport;
  readonly locks?: LockManagerLike;
  readonly openChannel?: (name: string) => ChannelLike;
  readonly requestTimeoutMs?: number;
  /** Requests of this tab without an outcome yet; past it a new one is refused. */
  readonly maxPendingRequests?: number;
  /** Watches this tab has open at once. */
  readonly maxWatches?: number;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export type SharedTabsRole = 'starting' | 'follower' | 'holder' | 'closed';

/** True where both Web Locks and BroadcastChannel exist (browsers; not Node, Deno or Workers). */
export function sharedTabsSupported(): boolean {
  const locks = (globalThis as { navigator?: { locks?: unknown } }).navigator?.locks;
  return typeof BroadcastChannel === 'function' && typeof locks === 'object' && locks !== null;
}

/**
 * The name under which tabs talking to the same endpoints share a connection. Tabs that must not
 * share (different credentials) pass their own name.
 */
export function sharedConnectionName(endpoints: readonly string[]): string {
  return [...endpoints]
    .map((endpoint) => endpoint.replace(/\/+$/, ''))
    .sort()
    .join(',');
}

interface LocalRequest {
  readonly id: number;
  readonly op: RequestOpName;
  readonly body: Readonly<Record<string, unknown>>;
  readonly deadline: number;
  readonly resolve: (answer: RequestAnswer) => void;
  readonly reject: (error: VaneClientError) => void;
  readonly cancelDeadline: () => void;
}

interface LocalWatch {
  readonly id: number;
  readonly spec: WatchSpec;
  readonly listener: WatchListener;
  /** The next revision to deliver; 0 while a from-now watch has not learned where it starts. */
  nextRevision: number;
  /** On the holder: the watch on the real connection. */
  route: WatchSubscription | undefined;
}

/** The watches and the lock wait the holder keeps for one follower tab. */
interface Follower {
  readonly watches: Map<number, WatchSubscription>;
  readonly stopWaiting: AbortController;
}

// ---- messages between tabs ----

type Addressed = { readonly from: string; readonly to: string; readonly id: number };
type AddressedMessage = Extract<TabMessage, Addressed>;
type TabMessage =
  | { readonly type: 'hello'; readonly from: string }
  | { readonly type: 'holder' | 'status'; readonly from: string; readonly status: ClientStatus }
  | (Addressed & {
      readonly type: 'request';
      readonly op: RequestOpName;
      readonly body: Readonly<Record<string, unknown>>;
      readonly timeoutMs: number;
    })
  | (Addressed & { readonly type: 'watch'; readonly spec: WatchSpec })
  | (Addressed & { readonly type: 'unwatch' })
  | (Addressed & { readonly type: 'answer'; readonly answer: RequestAnswer })
  | (Addressed & { readonly type: 'refused' | 'watchError'; readonly error: ErrorJson })
  | (Addressed & { readonly type: 'started' | 'progress' | 'compacted'; readonly revision: number })
  | (Addressed & { readonly type: 'events'; readonly batch: WatchBatch });

const ADDRESSED_TYPES = new Set([
  'request',
  'watch',
  'unwatch',
  'answer',
  'refused',
  'watchError',
  'started',
  'progress',
  'compacted',
  'events',
]);

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * A message from another tab of this origin running this protocol version (the channel's name says
 * which). Its envelope and the numbers this transport acts on are checked; a message that fails is
 * ignored, as one from a tab that is not a Vane client would be.
 */
function readTabMessage(data: unknown): TabMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const message = data as Readonly<Record<string, unknown>>;
  if (typeof message.type !== 'string' || typeof message.from !== 'string') return undefined;
  switch (message.type) {
    case 'hello':
      return message as TabMessage;
    case 'holder':
    case 'status': {
      const status = message.status as Partial<ClientStatus> | undefined;
      return typeof status === 'object' && status !== null && isUint(status.revision)
        ? (message as TabMessage)
        : undefined;
    }
  }
  if (!ADDRESSED_TYPES.has(message.type) || typeof message.to !== 'string' || !isUint(message.id))
    return undefined;
  switch (message.type) {
    case 'request':
      return typeof message.op === 'string' &&
        typeof message.body === 'object' &&
        message.body !== null &&
        isUint(message.timeoutMs)
        ? (message as TabMessage)
        : undefined;
    case 'watch': {
      const spec = message.spec as Partial<WatchSpec> | undefined;
      return typeof spec === 'object' && spec !== null && typeof spec.key === 'string'
        ? (message as TabMessage)
        : undefined;
    }
    case 'answer': {
      const answer = message.answer as Partial<RequestAnswer> | undefined;
      return isUint(answer?.header?.revision) ? (message as TabMessage) : undefined;
    }
    case 'refused':
    case 'watchError': {
      const error = message.error as Partial<ErrorJson> | undefined;
      return typeof error?.code === 'string' && typeof error.message === 'string'
        ? (message as TabMessage)
        : undefined;
    }
    case 'started':
    case 'progress':
    case 'compacted':
      return isUint(message.revision) ? (message as TabMessage) : undefined;
    case 'events': {
      const batch = message.batch as Partial<WatchBatch> | undefined;
      return isUint(batch?.revision) && Array.isArray(batch.events) ? (message as TabMessage) : undefined;
    }
    default:
      return message as TabMessage;
  }
}

function errorJson(error: unknown): ErrorJson {
  if (error instanceof VaneClientError) {
    return error.details === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, details: error.details };
  }
  return { code: 'unavailable', message: error instanceof Error ? error.message : String(error) };
}

function clientError(error: ErrorJson): VaneClientError {
  return new VaneClientError(error.code, error.message, error.details);
}

function closedError(): VaneClientError {
  return new VaneClientError('closed', 'the client was closed');
}

export class SharedTabsTransport implements Transport {
  readonly tabId: string;
  readonly #options: Required<Omit<SharedTabsOptions, 'locks' | 'openChannel'>>;
  readonly #locks: LockManagerLike;
  readonly #channel: ChannelLike;
  readonly #lockPrefix: string;
  readonly #statusListeners = new Listeners<ClientStatus>();
  readonly #requests = new Map<number, LocalRequest>();
  readonly #watches = new Map<number, LocalWatch>();
  /** Holder only: the tabs that sent it something, by tab id. */
  readonly #followers = new Map<string, Follower>();
  /** Ends every lock request of this tab (held or still waited for) when it closes. */
  readonly #stopLocks = new AbortController();
  #role: SharedTabsRole = 'starting';
  #holderId: string | undefined;
  #connection: Transport | undefined;
  #status: ClientStatus = { state: 'connecting', revision: 0 };
  #releaseLocks: () => void = () => {};
  readonly #locksReleased = new Promise<void>((resolve) => {
    this.#releaseLocks = resolve;
  });
  #nextId = 1;
  #stopHearingConnection: () => void = () => {};

  constructor(options: SharedTabsOptions) {
    const locks =
      options.locks ?? (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
    if (locks === undefined) throw new Error('SharedTabsTransport needs Web Locks (navigator.locks)');
    this.#locks = locks;
    this.#options = {
      name: options.name,
      connect: options.connect,
      requestTimeoutMs: options.requestTimeoutMs ?? CONNECTION_DEFAULTS.requestTimeoutMs,
      maxPendingRequests: options.maxPendingRequests ?? CONNECTION_DEFAULTS.maxPendingRequests,
      maxWatches: options.maxWatches ?? CONNECTION_DEFAULTS.maxWatches,
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
    };
    const random = this.#options.random;
    this.tabId = `${Math.floor(random() * 2 ** 48).toString(36)}-${Math.floor(random() * 2 ** 48).toString(36)}`;
    const channelName = `vane-shared-connection/${SHARED_TABS_PROTOCOL}/${options.name}`;
    this.#lockPrefix = channelName;
    this.#channel = (options.openChannel ?? ((name) => new BroadcastChannel(name)))(channelName);
    this.#channel.onmessage = (event) => {
      const message = readTabMessage(event.data);
      if (message !== undefined) this.#receive(message);
    };
    this.#start();
  }

  /** Whether this tab holds the real connection. */
  get role(): SharedTabsRole {
    return this.#role;
  }

  get status(): ClientStatus {
    return this.#connection?.status ?? this.#status;
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    return this.#statusListeners.add(listener);
  }

  request(
    op: RequestOpName,
    body: Readonly<Record<string, unknown>>,
    options: RequestOptions = {},
  ): Promise<RequestAnswer> {
    if (this.#role === 'closed') return Promise.reject(closedError());
    const limit = this.#options.maxPendingRequests;
    if (this.#requests.size >= limit) {
      return Promise.reject(
        new VaneClientError(
          'unavailable',
          `${limit} requests are already waiting for an answer (maxPendingRequests); wait for some before sending more`,
          { limit: 'maxPendingRequests', maximum: limit },
        ),
      );
    }
    const timeoutMs = options.timeoutMs ?? this.#options.requestTimeoutMs;
    const { clock } = this.#options;
    return new Promise<RequestAnswer>((resolve, reject) => {
      const id = this.#nextId++;
      const settle = (): boolean => {
        const pending = this.#requests.get(id);
        if (pending === undefined) return false;
        this.#requests.delete(id);
        pending.cancelDeadline();
        return true;
      };
      const request: LocalRequest = {
        id,
        op,
        body,
        deadline: clock.now() + timeoutMs,
        resolve: (answer) => {
          if (settle()) resolve(answer);
        },
        reject: (error) => {
          if (settle()) reject(error);
        },
        cancelDeadline: clock.after(timeoutMs, () =>
          request.reject(
            new VaneClientError(
              'timeout',
              `${op} got no answer within ${timeoutMs} ms (requestTimeoutMs); a write may or may not have been applied: retry it with the same requestId`,
              { limit: 'requestTimeoutMs', maximum: timeoutMs },
            ),
          ),
        ),
      };
      this.#requests.set(id, request);
      this.#sendRequest(request);
    });
  }

  watch(spec: WatchSpec, listener: WatchListener): WatchSubscription {
    if (this.#role === 'closed') throw closedError();
    const limit = this.#options.maxWatches;
    if (this.#watches.size >= limit) {
      throw new VaneClientError(
        'invalidRequest',
        `this tab already has ${limit} watches open (maxWatches); close some first`,
        { limit: 'maxWatches', maximum: limit },
      );
    }
    const watch: LocalWatch = {
      id: this.#nextId++,
      spec,
      listener,
      nextRevision: spec.startRevision ?? 0,
      route: undefined,
    };
    this.#watches.set(watch.id, watch);
    this.#openWatch(watch);
    return { close: () => this.#closeWatch(watch) };
  }

  close(): void {
    if (this.#role === 'closed') return;
    const wasHolder = this.#role === 'holder';
    this.#role = 'closed';
    for (const request of [...this.#requests.values()]) request.reject(closedError());
    for (const watch of this.#watches.values()) watch.route?.close();
    this.#watches.clear();
    for (const follower of this.#followers.values()) this.#dropFollower(follower);
    this.#followers.clear();
    this.#stopHearingConnection();
    if (wasHolder) this.#connection?.close();
    this.#connection = undefined;
    this.#stopLocks.abort();
    this.#releaseLocks();
    this.#channel.onmessage = null;
    this.#channel.close();
    this.#setStatus({ state: 'offline', revision: this.#status.revision });
  }

  // ---- locks and roles ----

  /** Takes this tab's own lock (held while it lives), then waits in line for the holder's. */
  #start(): void {
    const signal = this.#stopLocks.signal;
    const ignoreAbort = (error: unknown): void => {
      if (!signal.aborted) throw error;
    };
    this.#locks
      .request(`${this.#lockPrefix}/tab/${this.tabId}`, { signal }, async () => {
        if (this.#role === 'closed') return;
        this.#role = 'follower';
        this.#post({ type: 'hello', from: this.tabId });
        // A holder heard of before this tab held its own lock gets what is pending only now, so that
        // it never sees this tab's lock free while the tab lives.
        this.#sendPending();
        this.#locks
          .request(`${this.#lockPrefix}/holder`, { signal }, async () => {
            if (this.#role === 'closed') return;
            this.#becomeHolder();
            await this.#locksReleased;
          })
          .catch(ignoreAbort);
        await this.#locksReleased;
      })
      .catch(ignoreAbort);
  }

  #becomeHolder(): void {
    this.#role = 'holder';
    this.#holderId = this.tabId;
    const connection = this.#options.connect();
    this.#connection = connection;
    this.#stopHearingConnection = connection.onStatus((status) => {
      this.#statusListeners.emit(status);
      this.#post({ type: 'status', from: this.tabId, status });
    });
    this.#statusListeners.emit(connection.status);
    // What was sent to the previous holder moves to the connection, watches from their next revision.
    this.#sendPending();
    this.#post({ type: 'holder', from: this.tabId, status: connection.status });
  }

  /** A follower's own lock came free: the tab is gone, and so are its watches. */
  #watchFollower(tabId: string): Follower {
    let follower = this.#followers.get(tabId);
    if (follower !== undefined) return follower;
    follower = { watches: new Map(), stopWaiting: new AbortController() };
    this.#followers.set(tabId, follower);
    const known = follower;
    const signal = known.stopWaiting.signal;
    this.#locks
      .request(`${this.#lockPrefix}/tab/${tabId}`, { signal }, async () => {
        if (this.#followers.get(tabId) !== known) return;
        this.#followers.delete(tabId);
        this.#dropFollower(known);
      })
      .catch((error: unknown) => {
        if (!signal.aborted) throw error;
      });
    return follower;
  }

  #dropFollower(follower: Follower): void {
    follower.stopWaiting.abort();
    for (const subscription of follower.watches.values()) subscription.close();
    follower.watches.clear();
  }

  // ---- this tab's requests and watches ----

  #sendRequest(request: LocalRequest): void {
    const connection = this.#connection;
    if (connection !== undefined) {
      const timeoutMs = Math.max(1, request.deadline - this.#options.clock.now());
      connection
        .request(request.op, request.body, { timeoutMs })
        .then(request.resolve, (error: unknown) =>
          request.reject(error instanceof VaneClientError ? error : clientError(errorJson(error))),
        );
      return;
    }
    const holder = this.#holderId;
    if (holder === undefined || this.#role !== 'follower') return;
    this.#post({
      type: 'request',
      from: this.tabId,
      to: holder,
      id: request.id,
      op: request.op,
      body: request.body,
      timeoutMs: Math.max(1, Math.ceil(request.deadline - this.#options.clock.now())),
    });
  }

  #openWatch(watch: LocalWatch): void {
    const connection = this.#connection;
    if (connection !== undefined) {
      const spec = this.#resolveStart(watch.spec, watch.nextRevision);
      if (watch.nextRevision === 0 && spec.startRevision !== undefined)
        watch.nextRevision = spec.startRevision;
      try {
        watch.route = connection.watch(spec, this.#deliverTo(watch));
      } catch (error) {
        this.#endWatch(watch);
        watch.listener.onError(error instanceof VaneClientError ? error : clientError(errorJson(error)));
      }
      return;
    }
    const holder = this.#holderId;
    if (holder === undefined || this.#role !== 'follower') return;
    const spec =
      watch.nextRevision > 0 ? { ...watch.spec, startRevision: watch.nextRevision } : { ...watch.spec };
    this.#post({ type: 'watch', from: this.tabId, to: holder, id: watch.id, spec });
  }

  #closeWatch(watch: LocalWatch): void {
    if (!this.#watches.has(watch.id)) return;
    this.#endWatch(watch);
    const holder = this.#holderId;
    if (this.#connection === undefined && holder !== undefined && this.#role === 'follower')
      this.#post({ type: 'unwatch', from: this.tabId, to: holder, id: watch.id });
  }

  #endWatch(watch: LocalWatch): void {
    this.#watches.delete(watch.id);
    watch.route?.close();
    watch.route = undefined;
  }

  /** Delivers each revision once, in order, whichever holder it came through. */
  #deliverTo(watch: LocalWatch): WatchListener {
    const live = (): boolean => this.#watches.get(watch.id) === watch;
    return {
      onEvents: (batch) => {
        if (!live() || batch.revision < watch.nextRevision) return;
        watch.nextRevision = batch.revision + 1;
        this.#noteRevision(batch.revision);
        watch.listener.onEvents(batch);
      },
      onProgress: (revision) => {
        if (!live()) return;
        if (revision + 1 > watch.nextRevision) watch.nextRevision = revision + 1;
        watch.listener.onProgress?.(revision);
      },
      onCompacted: (compactRevision) => {
        if (!live()) return;
        this.#endWatch(watch);
        watch.listener.onCompacted(compactRevision);
      },
      onError: (error) => {
        if (!live()) return;
        this.#endWatch(watch);
        watch.listener.onError(error);
      },
    };
  }

  /**
   * A from-now watch starts after the newest revision the holder's connection has seen, so that when
   * it is created again on another holder it resumes there instead of skipping what came between.
   */
  #resolveStart(spec: WatchSpec, nextRevision: number): WatchSpec {
    if (nextRevision > 0) return { ...spec, startRevision: nextRevision };
    const seen = this.#connection?.status.revision ?? 0;
    return seen > 0 ? { ...spec, startRevision: seen + 1 } : { ...spec };
  }

  // ---- status ----

  #setStatus(status: ClientStatus): void {
    this.#status = status;
    this.#statusListeners.emit(status);
  }

  #noteRevision(revision: number): void {
    if (this.#connection === undefined && revision > this.#status.revision)
      this.#status = { ...this.#status, revision };
  }

  // ---- messages ----

  #post(message: TabMessage): void {
    if (this.#role === 'closed') return;
    this.#channel.postMessage(message);
  }

  #receive(message: TabMessage): void {
    if (this.#role === 'closed') return;
    switch (message.type) {
      case 'hello':
        if (this.#role === 'holder' && this.#connection !== undefined)
          this.#post({ type: 'holder', from: this.tabId, status: this.#connection.status });
        return;
      case 'holder':
        this.#followHolder(message.from, message.status);
        return;
      case 'status':
        if (this.#connection === undefined && message.from === this.#holderId)
          this.#heardStatus(message.status);
        return;
    }
    if (message.to !== this.tabId) return;
    if (this.#role === 'holder') this.#serve(message);
    else if (message.from === this.#holderId) this.#answered(message);
  }

  /** A (new) holder announced itself: everything pending goes to it. */
  #followHolder(holderId: string, status: ClientStatus): void {
    if (this.#connection !== undefined || holderId === this.#holderId) return;
    this.#holderId = holderId;
    this.#heardStatus(status);
    this.#sendPending();
  }

  #sendPending(): void {
    for (const watch of this.#watches.values()) this.#openWatch(watch);
    for (const request of this.#requests.values()) this.#sendRequest(request);
  }

  #heardStatus(status: ClientStatus): void {
    this.#setStatus({ ...status, revision: Math.max(status.revision, this.#status.revision) });
  }

  /** Follower: the holder's answer to one of this tab's requests or watches. */
  #answered(message: AddressedMessage): void {
    switch (message.type) {
      case 'answer':
        this.#noteRevision(message.answer.header.revision);
        this.#requests.get(message.id)?.resolve(message.answer);
        return;
      case 'refused':
        this.#requests.get(message.id)?.reject(clientError(message.error));
        return;
    }
    const watch = this.#watches.get(message.id);
    if (watch === undefined) return;
    const deliver = this.#deliverTo(watch);
    switch (message.type) {
      case 'started':
        if (watch.nextRevision === 0) watch.nextRevision = message.revision;
        return;
      case 'events':
        deliver.onEvents(message.batch);
        return;
      case 'progress':
        deliver.onProgress?.(message.revision);
        return;
      case 'compacted':
        deliver.onCompacted(message.revision);
        return;
      case 'watchError':
        deliver.onError(clientError(message.error));
        return;
    }
  }

  /** Holder: runs a follower's request or watch on the connection and sends back what comes of it. */
  #serve(message: AddressedMessage): void {
    const connection = this.#connection;
    if (connection === undefined) return;
    const tabId = message.from;
    const envelope = { from: this.tabId, to: tabId, id: message.id };
    switch (message.type) {
      case 'request':
        this.#watchFollower(tabId);
        connection.request(message.op, message.body, { timeoutMs: message.timeoutMs }).then(
          (answer) => this.#post({ ...envelope, type: 'answer', answer }),
          (error: unknown) => this.#post({ ...envelope, type: 'refused', error: errorJson(error) }),
        );
        return;
      case 'watch': {
        const follower = this.#watchFollower(tabId);
        follower.watches.get(message.id)?.close();
        const spec = this.#resolveStart(message.spec, message.spec.startRevision ?? 0);
        if (message.spec.startRevision === undefined && spec.startRevision !== undefined)
          this.#post({ ...envelope, type: 'started', revision: spec.startRevision });
        const ended = (): void => {
          follower.watches.delete(message.id);
        };
        try {
          const subscription = connection.watch(spec, {
            onEvents: (batch) => this.#post({ ...envelope, type: 'events', batch }),
            onProgress: (revision) => this.#post({ ...envelope, type: 'progress', revision }),
            onCompacted: (revision) => {
              ended();
              this.#post({ ...envelope, type: 'compacted', revision });
            },
            onError: (error) => {
              ended();
              this.#post({ ...envelope, type: 'watchError', error: errorJson(error) });
            },
          });
          follower.watches.set(message.id, subscription);
        } catch (error) {
          this.#post({ ...envelope, type: 'watchError', error: errorJson(error) });
        }
        return;
      }
      case 'unwatch': {
        const follower = this.#followers.get(tabId);
        follower?.watches.get(message.id)?.close();
        follower?.watches.delete(message.id);
        return;
      }
    }
  }
}
