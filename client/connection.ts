// One WebSocket to one member at a time, carrying every request and watch of a client. When the
// socket fails or closes, the next endpoint is tried after an exponential backoff with full jitter;
// requests still unanswered are sent again there and watches resume from the revision after the last
// one delivered. Liveness is measured with progress requests: an answer means every watch on the
// socket has delivered all the member has, so the time since the last answered one is the lag. A
// member cut off from the cluster's leader answers too, but says it is stale (as etcd's
// WithRequireLeader watches learn): the client shows that, confirms more often, and after
// failoverAfterMs of such answers goes to another member, which may have the writes this one misses.
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import { type Clock, systemClock } from './clock.ts';
import { Listeners } from './emitter.ts';
import { type ClientErrorCode, isCredentialsRefusal, VaneClientError } from './errors.ts';
import { RequestTable } from './request-table.ts';
import type {
  RequestAnswer,
  RequestOpName,
  RequestOptions,
  Transport,
  WatchListener,
  WatchSpec,
  WatchSubscription,
} from './transport.ts';
import type { ClientStatus } from './types.ts';
import { WatchTable } from './watch-table.ts';
import {
  globalWebSocket,
  socketAddress,
  type WebSocketConstructorLike,
  type WebSocketLike,
} from './websocket.ts';
import {
  type EdgeFreshness,
  type ErrorJson,
  type MemberFreshness,
  PROTOCOL_VERSION,
  readServerMessage,
  type ServerMessage,
} from './wire.ts';

/** A bearer token, or a function that fetches a fresh one before each connection attempt. */
export type TokenSource = string | (() => string | Promise<string>);

export interface ConnectionOptions {
  /** Member (or edge) URLs: http(s)://host:port, tried in turn from a random one. */
  readonly endpoints: readonly string[];
  readonly webSocket?: WebSocketConstructorLike;
  readonly token?: TokenSource;
  /** A request without an answer after this long is rejected with 'timeout'. */
  readonly requestTimeoutMs?: number;
  /** A socket that has not opened after this long is given up. */
  readonly connectTimeoutMs?: number;
  /** Delays between connection attempts (exponential, full jitter). */
  readonly backoff?: BackoffPolicy;
  /** The status turns stale when the connection was not confirmed caught up for this long. */
  readonly staleAfterMs?: number;
  /**
   * A member that keeps refusing requests as retryable (no leader...), or keeps answering that the
   * cluster's leader has not confirmed it, this long is left for another.
   */
  readonly failoverAfterMs?: number;
  readonly maxInFlightRequests?: number;
  readonly maxPendingRequests?: number;
  /** Largest request message (JSON, UTF-8 bytes); the server's maxRequestBytes. */
  readonly maxRequestBytes?: number;
  readonly maxWatches?: number;
  readonly clock?: Clock;
  /** Uniform in [0, 1): picks the first endpoint and the jitter. */
  readonly random?: () => number;
  /**
   * Hears what went wrong underneath (unreadable messages, servers closing it...): the connection
   * carries on, except when its credentials are refused, which stops it for good.
   */
  readonly onError?: (error: VaneClientError) => void;
}

export const CONNECTION_DEFAULTS = {
  requestTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  backoff: { initialMs: 200, maxMs: 15_000 },
  staleAfterMs: 10_000,
  failoverAfterMs: 3_000,
  maxInFlightRequests: 128,
  maxPendingRequests: 10_000,
  maxRequestBytes: 1.5 * 1024 * 1024,
  maxWatches: 1000,
} as const;

/**
 * The longest a stale member is kept before trying another, once every endpoint has been tried and
 * found stale (the whole cluster without a leader): each such round doubles the wait up to this.
 */
const MAX_STALE_MEMBER_WAIT_MS = 60_000;
/** Retries of one refused request or watch: quick at first, as a leader election takes a second or two. */
const RETRY_BACKOFF: BackoffPolicy = { initialMs: 50, maxMs: 1000 };
const CLOSE_NORMAL = 1000;
/**
 * A socket whose credentials the server refuses is closed with 4000 + the HTTP status of the error
 * (server/http/watch-admission.ts): 4401 no, bad, expired or revoked token; 4403 not allowed.
 */
const REFUSAL_CLOSE_CODES: ReadonlyMap<number, ClientErrorCode> = new Map<number, ClientErrorCode>([
  [4401, 'unauthenticated'],
  [4403, 'permissionDenied'],
]);
/** Ends the message of a credentials refusal: what the user has to do. */
const STOPPED = 'the connection stopped: create the client again with credentials the cluster accepts';

type Resolved = Required<Omit<ConnectionOptions, 'token' | 'onError' | 'webSocket'>> & {
  readonly webSocket: WebSocketConstructorLike;
};

/** What a member said in its last progress answers: no leader has confirmed it since `unconfirmedSince`. */
interface StaleMember {
  /** This client's clock; the earliest any of its stale answers implied. */
  readonly unconfirmedSince: number;
  readonly reason: string;
}

export class Connection implements Transport {
  readonly #options: Resolved;
  readonly #token: TokenSource | undefined;
  readonly #onError: (error: VaneClientError) => void;
  readonly #statusListeners = new Listeners<ClientStatus>();
  readonly #requests: RequestTable;
  readonly #watches: WatchTable;
  /** The last status set; its revision may lag #revision, which the getter brings in. */
  #status: ClientStatus;
  /** The highest revision heard, kept apart so that an answer does not build a new status object. */
  #revision = 0;
  #endpointIndex: number;
  /** Connection attempts that failed in a row (reset once a socket is confirmed caught up). */
  #attempt = 0;
  /** Bumped for every socket, so that events from a socket given up are ignored. */
  #generation = 0;
  #socket: WebSocketLike | undefined;
  #open = false;
  /** Sends request messages on the open socket (one function per socket, not one per pump). */
  #sendRequest: ((text: string) => void) | undefined;
  #closed = false;
  /** Why the server refused this client's credentials, after which the connection stopped for good. */
  #refusal: VaneClientError | undefined;
  #cancelTimer: (() => void) | undefined;
  /** The progress request awaiting its answer: when it was sent, and which watches it covers. */
  #progress: { readonly sentAt: number; readonly covers: ReadonlySet<unknown> } | undefined;
  #lastProgressAt = 0;
  /** When the last answered progress request was sent: the connection was caught up then. */
  #confirmedAt: number | undefined;
  #lastMessageAt = 0;
  #openedAt = 0;
  /** The edge tier said its own state is stale in the last progress answer: how old, and when heard. */
  #edgeStale: { readonly ageMs: number; readonly heardAt: number } | undefined;
  /** The member said no leader confirms it in its last progress answers. */
  #memberStale: StaleMember | undefined;
  /** Members left in a row for answering stale, with no fresh answer since. */
  #staleMemberMoves = 0;
  /** Since when requests have been refused as retryable with no success in between. */
  #unhealthySince: number | undefined;

  constructor(options: ConnectionOptions) {
    if (options.endpoints.length === 0) throw new Error('createClient: give at least one endpoint');
    for (const endpoint of options.endpoints) socketAddress(endpoint, undefined);
    this.#options = {
      ...CONNECTION_DEFAULTS,
      clock: systemClock,
      random: Math.random,
      ...withoutUndefined(options),
      endpoints: options.endpoints,
      webSocket: options.webSocket ?? globalWebSocket(),
    };
    this.#token = options.token;
    this.#onError = options.onError ?? (() => {});
    const { clock, random } = this.#options;
    this.#requests = new RequestTable({
      clock,
      random,
      maxInFlight: this.#options.maxInFlightRequests,
      maxPending: this.#options.maxPendingRequests,
      retryBackoff: RETRY_BACKOFF,
      onRetryDue: () => this.#pump(),
      onRetryableError: (error) => this.#retryableError(error),
    });
    this.#watches = new WatchTable({
      clock,
      random,
      maxWatches: this.#options.maxWatches,
      retryBackoff: RETRY_BACKOFF,
    });
    this.#endpointIndex = Math.floor(random() * options.endpoints.length);
    this.#status = { state: 'connecting', revision: 0 };
    this.#connect();
  }

  get status(): ClientStatus {
    if (this.#status.revision !== this.#revision)
      this.#status = { ...this.#status, revision: this.#revision };
    return this.#status;
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    return this.#statusListeners.add(listener);
  }

  request(
    op: RequestOpName,
    body: Readonly<Record<string, unknown>>,
    options: RequestOptions = {},
  ): Promise<RequestAnswer> {
    if (this.#closed) return Promise.reject(this.#refusal ?? closedError());
    const limit = this.#options.maxRequestBytes;
    const bodyJson = JSON.stringify(body);
    const size = utf8Length(bodyJson, limit) + REQUEST_ENVELOPE_BYTES;
    if (size > limit) {
      return Promise.reject(
        new VaneClientError(
          'requestTooLarge',
          `the ${op} request is ${size} bytes; the limit is ${limit} (maxRequestBytes)`,
          {
            limit: 'maxRequestBytes',
            maximum: limit,
            actual: size,
          },
        ),
      );
    }
    const answer = this.#requests.add(op, bodyJson, options.timeoutMs ?? this.#options.requestTimeoutMs);
    this.#pump();
    return answer;
  }

  watch(spec: WatchSpec, listener: WatchListener): WatchSubscription {
    const refusal = this.#refusal;
    if (refusal !== undefined) {
      // As a watch open when the refusal came: it ends with the refusal (after this call returns).
      let closed = false;
      queueMicrotask(() => {
        if (!closed) listener.onError(refusal);
      });
      return {
        close: () => {
          closed = true;
        },
      };
    }
    if (this.#closed) throw closedError();
    return this.#watches.add(spec, listener);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#generation++;
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    this.#dropSocket(CLOSE_NORMAL, 'client closed');
    this.#requests.rejectAll(closedError());
    this.#watches.clear();
    this.#setStatus({ state: 'offline', revision: this.#revision });
  }

  /**
   * The server refused this client's credentials: retrying with them cannot succeed, so the
   * connection stops for good instead of reconnecting; every request and watch ends with the error.
   */
  #refuse(error: VaneClientError): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#refusal = error;
    this.#generation++;
    this.#dropSocket(CLOSE_NORMAL, 'credentials refused');
    this.#setStatus({ state: 'offline', revision: this.#revision });
    this.#onError(error);
    this.#requests.rejectAll(error);
    this.#watches.failAll(error);
  }

  // ---- the socket's life ----

  #connect(): void {
    if (this.#closed) return;
    const endpoint = this.#options.endpoints[this.#endpointIndex]!;
    const generation = ++this.#generation;
    this.#setStatus({ state: 'connecting', endpoint, revision: this.#revision });
    this.#tokenValue().then(
      (token) => {
        if (generation === this.#generation) this.#openSocket(endpoint, token, generation);
      },
      (error: unknown) => {
        if (generation !== this.#generation) return;
        this.#onError(
          new VaneClientError(
            'unavailable',
            `could not get a token to connect to ${endpoint}: ${String(error)}`,
          ),
        );
        this.#lost(generation);
      },
    );
  }

  async #tokenValue(): Promise<string | undefined> {
    const token = this.#token;
    return typeof token === 'function' ? await token() : token;
  }

  #openSocket(endpoint: string, token: string | undefined, generation: number): void {
    let socket: WebSocketLike;
    try {
      const address = socketAddress(endpoint, token);
      socket =
        address.protocols.length === 0
          ? new this.#options.webSocket(address.url)
          : new this.#options.webSocket(address.url, address.protocols);
    } catch (error) {
      this.#onError(
        new VaneClientError('unavailable', `could not open a WebSocket to ${endpoint}: ${String(error)}`),
      );
      this.#lost(generation);
      return;
    }
    this.#socket = socket;
    socket.onopen = () => {
      if (generation === this.#generation) this.#opened(generation);
    };
    socket.onmessage = (event) => {
      if (generation === this.#generation) this.#receive(event.data, generation);
    };
    socket.onclose = (event) => {
      const refused = REFUSAL_CLOSE_CODES.get(event.code);
      if (generation === this.#generation && refused !== undefined) {
        this.#refuse(
          new VaneClientError(
            refused,
            `${endpoint} refused this client's credentials (close code ${event.code}): ${event.reason}; ${STOPPED}`,
            { closeCode: event.code },
          ),
        );
        return;
      }
      // Codes 4000-4999 are the server's own reasons (too slow...): worth telling.
      if (generation === this.#generation && event.code >= 4000) {
        this.#onError(
          new VaneClientError(
            'unavailable',
            `${endpoint} closed the connection: ${event.reason} (${event.code})`,
          ),
        );
      }
      this.#lost(generation);
    };
    socket.onerror = () => this.#lost(generation);
    this.#schedule(this.#options.connectTimeoutMs, () => this.#lost(generation));
  }

  #opened(generation: number): void {
    this.#open = true;
    this.#openedAt = this.#options.clock.now();
    this.#lastMessageAt = this.#openedAt;
    this.#watches.attach((message) => this.#send(message, generation));
    this.#sendRequest = (text) => this.#sendText(text, generation);
    this.#requests.pump(this.#sendRequest);
    this.#sendProgress(generation);
    this.#tick(generation);
  }

  /** The socket failed, closed or was given up: try the next endpoint after a backoff. */
  #lost(generation: number): void {
    if (generation !== this.#generation || this.#closed) return;
    this.#generation++;
    this.#dropSocket(CLOSE_NORMAL, 'reconnecting');
    const { endpoints, backoff, random, clock } = this.#options;
    const delay = backoffDelay(backoff, this.#attempt, random);
    this.#attempt++;
    this.#endpointIndex = (this.#endpointIndex + 1) % endpoints.length;
    const state = this.#attempt >= endpoints.length ? 'offline' : 'connecting';
    const endpoint = endpoints[this.#endpointIndex]!;
    this.#setStatus({ state, endpoint, revision: this.#revision });
    this.#cancelTimer = clock.after(delay, () => {
      this.#cancelTimer = undefined;
      this.#connect();
    });
  }

  #dropSocket(code: number, reason: string): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) {
      socket.onopen = null;
      socket.onmessage = null;
      socket.onclose = null;
      socket.onerror = null;
      try {
        socket.close(code, reason);
      } catch {
        // A socket still connecting may refuse close() in some runtimes; it is abandoned either way.
      }
    }
    this.#open = false;
    this.#sendRequest = undefined;
    this.#progress = undefined;
    this.#confirmedAt = undefined;
    this.#edgeStale = undefined;
    this.#memberStale = undefined;
    this.#unhealthySince = undefined;
    this.#requests.connectionLost();
    this.#watches.detach();
  }

  #send(message: object, generation: number): void {
    this.#sendText(JSON.stringify(message), generation);
  }

  #sendText(text: string, generation: number): void {
    if (generation !== this.#generation || !this.#open) return;
    try {
      this.#socket!.send(text);
    } catch {
      this.#lost(generation);
    }
  }

  #pump(): void {
    if (this.#sendRequest !== undefined) this.#requests.pump(this.#sendRequest);
  }

  #schedule(ms: number, task: () => void): void {
    this.#cancelTimer?.();
    this.#cancelTimer = this.#options.clock.after(ms, () => {
      this.#cancelTimer = undefined;
      task();
    });
  }

  // ---- liveness ----

  /** Runs twice per confirmation period while the socket is open (and when a member's wait is up). */
  #tick(generation: number): void {
    if (generation !== this.#generation) return;
    const { clock, staleAfterMs } = this.#options;
    const now = clock.now();
    if (this.#leaveStaleMember(now, generation)) return;
    const confirmEveryMs = this.#confirmEveryMs();
    const progress = this.#progress;
    if (progress === undefined) {
      if (now - this.#lastProgressAt >= confirmEveryMs) this.#sendProgress(generation);
    } else if (now - progress.sentAt > 2 * staleAfterMs && now - this.#lastMessageAt > 2 * staleAfterMs) {
      // Nothing at all for two stale periods: a dead path (a laptop that slept, a half-open TCP connection).
      this.#lost(generation);
      return;
    }
    this.#updateLiveness(now);
    const leaveInMs = this.#staleMemberLeftInMs(now);
    const nextMs = leaveInMs === undefined ? confirmEveryMs / 2 : Math.min(confirmEveryMs / 2, leaveInMs);
    this.#schedule(nextMs, () => this.#tick(generation));
  }

  /** How often the connection is confirmed: every staleAfterMs / 2, or failoverAfterMs / 2 while the member says it is stale. */
  #confirmEveryMs(): number {
    const { staleAfterMs, failoverAfterMs } = this.#options;
    return this.#memberStale === undefined ? staleAfterMs / 2 : Math.min(staleAfterMs, failoverAfterMs) / 2;
  }

  /**
   * How long a member that says it is stale is kept: failoverAfterMs, doubled for every round of
   * endpoints already left for it, so that a cluster with no leader anywhere is not toured nonstop.
   */
  #staleMemberWaitMs(): number {
    const { endpoints, failoverAfterMs } = this.#options;
    const rounds = Math.floor(this.#staleMemberMoves / endpoints.length);
    return Math.min(Math.max(MAX_STALE_MEMBER_WAIT_MS, failoverAfterMs), failoverAfterMs * 2 ** rounds);
  }

  /**
   * Milliseconds until the stale member is left: its wait counts from when it lost the leader's
   * confirmation, or from when this socket opened if that is later. Undefined while it is not
   * stale, or when there is no other endpoint to go to (the client stays and shows 'stale').
   */
  #staleMemberLeftInMs(now: number): number | undefined {
    const member = this.#memberStale;
    if (member === undefined || this.#options.endpoints.length < 2) return undefined;
    const staleSince = Math.max(member.unconfirmedSince, this.#openedAt);
    return Math.max(0, staleSince + this.#staleMemberWaitMs() - now);
  }

  /** Leaves a member whose answers kept saying it is stale for its wait; true if it did. */
  #leaveStaleMember(now: number, generation: number): boolean {
    const member = this.#memberStale;
    if (member === undefined || this.#staleMemberLeftInMs(now) !== 0) return false;
    this.#onError(
      new VaneClientError(
        'unavailable',
        `leaving ${this.#status.endpoint}: its member has not been confirmed by the cluster's leader for ${Math.round(now - member.unconfirmedSince)} ms (${member.reason}), so it may miss writes; trying another member`,
      ),
    );
    this.#staleMemberMoves++;
    this.#lost(generation);
    return true;
  }

  #sendProgress(generation: number): void {
    const now = this.#options.clock.now();
    this.#progress = { sentAt: now, covers: this.#watches.created() };
    this.#lastProgressAt = now;
    this.#send({ v: PROTOCOL_VERSION, type: 'progress' }, generation);
  }

  #progressAnswered(
    revision: number,
    edge: EdgeFreshness | undefined,
    member: MemberFreshness | undefined,
  ): void {
    const progress = this.#progress;
    if (progress === undefined) return;
    this.#progress = undefined;
    // The socket works, whatever the member says: reconnections start their backoff over.
    this.#attempt = 0;
    if (member?.stale === true) {
      this.#memberAnsweredStale(member);
      return;
    }
    this.#memberStale = undefined;
    this.#staleMemberMoves = 0;
    this.#confirmedAt = progress.sentAt;
    // Caught up with an edge whose own state the cluster has not confirmed for ageMs: that much behind.
    this.#edgeStale =
      edge?.stale === true ? { ageMs: edge.ageMs, heardAt: this.#options.clock.now() } : undefined;
    this.#watches.progress(progress.covers, revision);
    this.#updateLiveness(this.#options.clock.now());
  }

  /**
   * The member is caught up with itself but not confirmed by the cluster: neither the connection nor
   * its watches count as confirmed (a replica loaded from the cache stays marked stale). The tick
   * runs now, so that confirmations come sooner and the member is left when its wait is up.
   */
  #memberAnsweredStale(member: MemberFreshness): void {
    const now = this.#options.clock.now();
    const unconfirmedSince = now - member.ageMs;
    const earlier = this.#memberStale?.unconfirmedSince ?? unconfirmedSince;
    this.#memberStale = { unconfirmedSince: Math.min(earlier, unconfirmedSince), reason: member.reason };
    // Shown even when the member is left at once: the status says why the client moves.
    this.#updateLiveness(now);
    this.#tick(this.#generation);
  }

  #updateLiveness(now: number): void {
    if (!this.#open) return;
    const endpoint = this.#options.endpoints[this.#endpointIndex]!;
    const revision = this.#revision;
    const member = this.#memberStale;
    if (member !== undefined) {
      // Caught up with the member, whose state the leader last confirmed at unconfirmedSince.
      const lagMs = Math.round(now - member.unconfirmedSince);
      this.#setStatus({ state: 'stale', endpoint, lagMs, revision });
      return;
    }
    if (this.#confirmedAt === undefined) {
      this.#setStatus({ state: 'connecting', endpoint, revision });
      return;
    }
    const ownLagMs = now - this.#confirmedAt;
    const edge = this.#edgeStale;
    const lagMs = edge === undefined ? ownLagMs : Math.max(ownLagMs, edge.ageMs + (now - edge.heardAt));
    if (edge !== undefined || lagMs > this.#options.staleAfterMs)
      this.#setStatus({ state: 'stale', endpoint, lagMs: Math.round(lagMs), revision });
    else this.#setStatus({ state: 'live', endpoint, revision });
  }

  /** Emits only when the state, endpoint or lag changed; the revision is kept current silently. */
  #setStatus(status: ClientStatus): void {
    const previous = this.#status;
    this.#status = status;
    if (
      previous.state !== status.state ||
      previous.endpoint !== status.endpoint ||
      previous.lagMs !== status.lagMs
    ) {
      this.#statusListeners.emit(status);
    }
  }

  #noteRevision(revision: number): void {
    if (revision > this.#revision) this.#revision = revision;
  }

  // ---- messages ----

  #receive(data: unknown, generation: number): void {
    this.#lastMessageAt = this.#options.clock.now();
    const message = readServerMessage(data);
    if (message instanceof Error) {
      this.#onError(
        new VaneClientError('decodeError', `a message from the server could not be read: ${message.message}`),
      );
      return;
    }
    this.#dispatch(message);
    if (generation === this.#generation) this.#pump();
  }

  #dispatch(message: ServerMessage): void {
    switch (message.type) {
      case 'watchResponse':
        this.#noteRevision(message.header.revision);
        if (message.watchId === -1)
          this.#progressAnswered(message.header.revision, message.edge, message.freshness);
        else this.#watches.response(message);
        return;
      case 'response':
        this.#noteRevision(message.header.revision);
        this.#unhealthySince = undefined;
        this.#requests.answered(message.id, { header: message.header, body: message.body });
        return;
      case 'error':
        if (message.requestId !== undefined) this.#requests.failed(message.requestId, message.error);
        else if (message.watchId !== undefined) this.#watches.error(message.watchId, message.error);
        else {
          const { code, message: text, details } = message.error;
          // Sent just before the server closes a socket whose credentials it refuses (with the full message).
          if (isCredentialsRefusal(code)) {
            this.#refuse(
              new VaneClientError(
                code,
                `${this.#status.endpoint} refused this client's credentials: ${text}; ${STOPPED}`,
                details,
              ),
            );
          } else this.#onError(new VaneClientError(code, `the server refused a message: ${text}`, details));
        }
        return;
    }
  }

  #retryableError(error: ErrorJson): void {
    const now = this.#options.clock.now();
    this.#unhealthySince ??= now;
    if (this.#options.endpoints.length > 1 && now - this.#unhealthySince >= this.#options.failoverAfterMs) {
      this.#onError(
        new VaneClientError(
          error.code,
          `leaving ${this.#status.endpoint} after ${now - this.#unhealthySince} ms of '${error.code}' answers: ${error.message}`,
        ),
      );
      this.#lost(this.#generation);
    }
  }
}

function closedError(): VaneClientError {
  return new VaneClientError('closed', 'the client was closed');
}

function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined)) as Partial<T>;
}

const encoder = new TextEncoder();

/** Room for a request message's fields around its body ({"v":1,"type":"request","id":...,"op":...}). */
const REQUEST_ENVELOPE_BYTES = 128;

/** UTF-8 length, or a smaller number that is still <= limit: each UTF-16 unit takes 1 to 3 bytes. */
function utf8Length(text: string, limit: number): number {
  return text.length * 3 <= limit ? text.length : encoder.encode(text).length;
}
