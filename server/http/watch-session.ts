// One client's watch WebSocket: many watches multiplexed over one socket, and any client request
// (range, put, txn, leases...) as a request message answered by id, run exactly as the HTTP route
// runs it. Runtime-neutral: it sees the socket only through ClientSocket, and time only through
// SessionTimers.
//
// Back-pressure: responses are pulled from the member's watches (take) only while the socket's
// unsent bytes are below pauseBufferedBytes. A client that stops reading therefore stops being
// pumped, and its watchers fall back to catching up from history inside the store, so neither
// side's memory grows. If it stays paused longer than slowClientTimeoutMs, or its unsent bytes pass
// closeBufferedBytes (replies to its own requests still go out while paused), it is disconnected
// with a close reason saying why; it can reconnect and resume each watch from its last revision.
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, formatBytes, type Limits } from '../../core/limits.ts';
import {
  decodeWatchClientMessage,
  encodeProgressAnswer,
  encodeRequestError,
  encodeRequestResponse,
  encodeWatchError,
  type Freshness,
  isDecodeError,
  parseJsonBody,
  type RequestMessage,
  type ResponseMeta,
  type ValueEncoding,
  type WatchClientMessage,
  WatchResponseEncoder,
} from '../../core/protocol/index.ts';
import type { WatchResponse } from '../../core/store/index.ts';
import type { Logger } from '../log.ts';
import type { MemberApi, WatchHandle } from '../member/index.ts';
import type { Metrics } from '../metrics.ts';
import { runClientRequest } from './client-requests.ts';

/**
 * One encoder for every session of the process: watchers of one prefix on different connections get
 * the same events, encoded once.
 */
const responseEncoder = new WatchResponseEncoder();

/** The path of the watch WebSocket. */
export const WATCH_PATH = '/v1/watch';

/** Close code for a client that does not read its responses (reconnect and resume). */
export const CLOSE_CLIENT_TOO_SLOW = 4001;

/** The socket as the session needs it; each runtime's adapter provides one. */
export interface ClientSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /** Bytes passed to send() and not yet written to the network. */
  bufferedAmount(): number;
}

/** What an adapter calls for a socket's incoming messages and its end. */
export interface WatchSocketListener {
  receive(text: string): void;
  closed(): void;
}

export interface WatchSessionLimits {
  /** Watches one connection may hold open. */
  readonly maxWatches: number;
  /** Bytes in one client message (UTF-8); a request message carries as much as an HTTP body. */
  readonly maxMessageBytes: number;
  /** Request messages one connection may have running at once. */
  readonly maxPendingRequests: number;
  /** Unsent bytes at which the session stops pulling responses. */
  readonly pauseBufferedBytes: number;
  /** Unsent bytes at which the client is disconnected. */
  readonly closeBufferedBytes: number;
  /** How long a client may stay paused before it is disconnected. */
  readonly slowClientTimeoutMs: number;
  /** How often a paused session looks at the socket again. */
  readonly pausePollMs: number;
  /** Responses taken from one watch before the next watch gets a turn. */
  readonly responsesPerTake: number;
  /**
   * How long one pump may run before it yields to other work: long enough to fan a revision out to a
   * full connection in one turn (one socket write), short enough that catch-ups from history do not
   * hold the event loop.
   */
  readonly pumpSliceMs: number;
}

export const DEFAULT_WATCH_SESSION_LIMITS: WatchSessionLimits = {
  maxWatches: 1000,
  maxMessageBytes: DEFAULT_LIMITS.maxRequestBytes,
  maxPendingRequests: 256,
  pauseBufferedBytes: 1024 * 1024,
  closeBufferedBytes: 16 * 1024 * 1024,
  slowClientTimeoutMs: 30_000,
  pausePollMs: 50,
  responsesPerTake: 16,
  pumpSliceMs: 10,
};

/** A pump reads the clock every this many takes (a take of a synced watch costs far less than a read). */
const TAKES_PER_CLOCK_READ = 16;

/** Time as the session needs it; tests drive it by hand. */
export interface SessionTimers {
  now(): number;
  /** Runs `task` after `ms`; the returned function cancels it. */
  after(ms: number, task: () => void): () => void;
  /** Runs `task` once the current call stack has unwound, before any I/O. */
  soon(task: () => void): void;
}

export const systemTimers: SessionTimers = {
  now: () => Date.now(),
  after: (ms, task) => {
    const timer = setTimeout(task, ms);
    return () => clearTimeout(timer);
  },
  soon: (task) => queueMicrotask(task),
};

export interface WatchSessionOptions {
  readonly limits: Limits;
  readonly sessionLimits?: Partial<WatchSessionLimits>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly timers?: SessionTimers;
}

interface OpenWatch {
  /** The id the client knows the watch by (the member's handle has its own). */
  readonly clientId: number;
  readonly handle: WatchHandle;
  readonly encoding: ValueEncoding;
}

export class WatchSession implements WatchSocketListener {
  readonly #member: MemberApi;
  readonly #socket: ClientSocket;
  readonly #limits: Limits;
  readonly #session: WatchSessionLimits;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #timers: SessionTimers;
  readonly #watches = new Map<number, OpenWatch>();
  /** Watches whose take() may return something, in the order they get their turn. */
  readonly #ready = new Set<number>();
  /** Ids of the request messages being run. */
  readonly #pendingRequests = new Set<number>();
  #open = true;
  #pumpScheduled = false;
  /** Since when the socket has been too full to pump, unbroken; undefined while it is not. */
  #pausedSince: number | undefined;
  #cancelPoll: (() => void) | undefined;
  #progressRequested = false;
  #nextAssignedId = 0;

  constructor(member: MemberApi, socket: ClientSocket, options: WatchSessionOptions) {
    this.#member = member;
    this.#socket = socket;
    this.#limits = options.limits;
    this.#session = { ...DEFAULT_WATCH_SESSION_LIMITS, ...options.sessionLimits };
    this.#logger = options.logger;
    this.#metrics = options.metrics;
    this.#timers = options.timers ?? systemTimers;
    if (this.#session.pauseBufferedBytes >= this.#session.closeBufferedBytes) {
      throw new Error('WatchSession: pauseBufferedBytes must be below closeBufferedBytes');
    }
  }

  /** Watches open on this connection. */
  get watchCount(): number {
    return this.#watches.size;
  }

  /** Request messages being run for this connection. */
  get pendingRequestCount(): number {
    return this.#pendingRequests.size;
  }

  receive(text: string): void {
    if (!this.#open) return;
    const maximum = this.#session.maxMessageBytes;
    if (exceedsUtf8Bytes(text, maximum)) {
      this.#sendError(
        vaneError(
          'requestTooLarge',
          `watch message exceeds the ${formatBytes(maximum)} limit (maxWatchMessageBytes); it was ignored`,
          { limit: 'maxWatchMessageBytes', maximum },
        ),
      );
      return;
    }
    const parsed = parseJsonBody(text, this.#limits);
    if (isDecodeError(parsed)) {
      this.#sendError(parsed);
      return;
    }
    const message = decodeWatchClientMessage(parsed.value, this.#limits);
    if (isDecodeError(message)) {
      const requestId = requestIdOf(parsed.value);
      if (requestId === undefined) this.#sendError(message, watchIdOf(parsed.value));
      else this.#sendControl(encodeRequestError(message, requestId));
      return;
    }
    this.#handle(message);
  }

  closed(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
    for (const watch of this.#watches.values()) watch.handle.cancel();
    this.#metrics.addWatchers(-this.#watches.size);
    this.#watches.clear();
    this.#ready.clear();
  }

  #handle(message: WatchClientMessage): void {
    switch (message.type) {
      case 'watchCreate':
        this.#create(message);
        return;
      case 'watchCancel':
        this.#cancel(message.watchId);
        return;
      case 'progress':
        this.#progressRequested = true;
        this.#schedulePump();
        return;
      case 'request':
        this.#request(message);
        return;
    }
  }

  #request(message: RequestMessage): void {
    const { id } = message;
    if (this.#pendingRequests.has(id)) {
      this.#sendControl(
        encodeRequestError(
          vaneError('invalidRequest', `request id ${id} is already pending on this connection; use a new id`),
          id,
        ),
      );
      return;
    }
    const limit = this.#session.maxPendingRequests;
    if (this.#pendingRequests.size >= limit) {
      this.#sendControl(
        encodeRequestError(
          vaneError(
            'unavailable',
            `this connection already has ${limit} requests running (maxPendingRequestsPerConnection); wait for answers before sending more`,
            { limit: 'maxPendingRequestsPerConnection', maximum: limit },
          ),
          id,
        ),
      );
      return;
    }
    this.#pendingRequests.add(id);
    runClientRequest(this.#member, message.request).then(
      (result) => {
        this.#pendingRequests.delete(id);
        this.#sendControl(
          isVaneError(result) ? encodeRequestError(result, id) : encodeRequestResponse(id, result),
        );
      },
      (thrown: unknown) => {
        this.#pendingRequests.delete(id);
        this.#logger.error({ err: thrown, op: message.request.op }, 'watch socket request threw');
        this.#sendControl(
          encodeRequestError(
            vaneError(
              'unavailable',
              'the member failed to handle this request (a bug, logged on the member); retrying may work',
            ),
            id,
          ),
        );
      },
    );
  }

  #create(message: Extract<WatchClientMessage, { type: 'watchCreate' }>): void {
    const limit = this.#session.maxWatches;
    if (this.#watches.size >= limit) {
      this.#sendError(
        vaneError(
          'invalidRequest',
          `this connection already has ${limit} watches (maxWatchesPerConnection); cancel some, or open another connection`,
          { limit: 'maxWatchesPerConnection', maximum: limit },
        ),
        message.watchId,
      );
      return;
    }
    if (message.watchId !== undefined && this.#watches.has(message.watchId)) {
      this.#sendError(
        vaneError('invalidRequest', `watchId ${message.watchId} is already in use on this connection`),
        message.watchId,
      );
      return;
    }
    const clientId = message.watchId ?? this.#assignId();
    const handle = this.#member.watch(message.request, () => this.#markReady(clientId));
    if (isVaneError(handle)) {
      this.#sendError(handle, message.watchId);
      return;
    }
    this.#watches.set(clientId, { clientId, handle, encoding: message.encoding });
    this.#metrics.addWatchers(1);
    // A new watch's first response (created) is pending; the member does not signal it.
    this.#markReady(clientId);
  }

  #cancel(clientId: number): void {
    const watch = this.#watches.get(clientId);
    if (watch === undefined) {
      this.#sendError(
        vaneError('invalidRequest', `no watch ${clientId} is open on this connection`),
        clientId,
      );
      return;
    }
    watch.handle.cancel();
    this.#forget(watch);
    const header = this.#member.header();
    this.#sendControlText(
      responseEncoder.encode(
        {
          watchId: clientId,
          revision: header.revision,
          events: [],
          canceled: true,
          cancelReason: 'canceled by the client',
        },
        header,
        watch.encoding,
      ),
    );
  }

  #assignId(): number {
    while (this.#watches.has(this.#nextAssignedId)) this.#nextAssignedId++;
    return this.#nextAssignedId++;
  }

  #markReady(clientId: number): void {
    if (!this.#open || !this.#watches.has(clientId)) return;
    this.#ready.add(clientId);
    this.#schedulePump();
  }

  #schedulePump(): void {
    if (this.#pumpScheduled || !this.#open) return;
    this.#pumpScheduled = true;
    this.#timers.soon(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Moves responses from ready watches to the socket, round-robin, while the socket has room. */
  #pump(): void {
    if (!this.#open) return;
    // The member and its term cannot change while the pump runs (it does not yield inside).
    const meta: ResponseMeta = this.#member.header();
    const started = this.#timers.now();
    let takes = 0;
    while (this.#ready.size > 0) {
      for (const clientId of [...this.#ready]) {
        if (!this.#hasRoom()) {
          this.#pause();
          return;
        }
        // The client is reading: only an unbroken stretch of a full socket counts as too slow.
        this.#pausedSince = undefined;
        if (
          takes % TAKES_PER_CLOCK_READ === 0 &&
          takes > 0 &&
          this.#timers.now() - started >= this.#session.pumpSliceMs
        ) {
          this.#yield();
          return;
        }
        takes++;
        const watch = this.#watches.get(clientId);
        if (watch === undefined) {
          this.#ready.delete(clientId);
          continue;
        }
        for (const response of watch.handle.take(this.#session.responsesPerTake)) {
          this.#sendResponse(watch, response, meta);
        }
        if (!this.#open) return;
        if (!watch.handle.ready || !this.#watches.has(clientId)) this.#ready.delete(clientId);
      }
    }
    if (this.#progressRequested) this.#answerProgress();
  }

  #hasRoom(): boolean {
    return this.#socket.bufferedAmount() < this.#session.pauseBufferedBytes;
  }

  /** Stops pumping until the socket drains; disconnects a client that stays full too long. */
  #pause(): void {
    const now = this.#timers.now();
    this.#pausedSince ??= now;
    const pausedMs = now - this.#pausedSince;
    if (pausedMs >= this.#session.slowClientTimeoutMs) {
      this.#logger.warn(
        { bufferedBytes: this.#socket.bufferedAmount(), pausedMs, watches: this.#watches.size },
        'watch client too slow; disconnecting',
      );
      this.#closeSocket(
        CLOSE_CLIENT_TOO_SLOW,
        `too slow: over ${formatBytes(this.#session.pauseBufferedBytes)} unsent for ${Math.round(pausedMs / 1000)} s (slowWatcherTimeoutMs); reconnect and resume`,
      );
      return;
    }
    this.#poll();
  }

  /** Lets other work run before pumping on (a long catch-up must not hold the event loop). */
  #yield(): void {
    this.#poll(0);
  }

  #poll(ms = this.#session.pausePollMs): void {
    if (this.#cancelPoll !== undefined) return;
    this.#cancelPoll = this.#timers.after(ms, () => {
      this.#cancelPoll = undefined;
      this.#pump();
    });
  }

  /**
   * Answers a progress request once every watch has delivered all it has: each is then caught up
   * to the member's revision, which one response (watchId -1) reports for all of them. A member cut
   * off from the leader still answers (its revision is true, only old), saying so, so that the
   * client can show it is stale and go to another member.
   */
  #answerProgress(): void {
    this.#progressRequested = false;
    const header = this.#member.header();
    this.#sendControl(encodeProgressAnswer(header.revision, header, this.#freshness()));
  }

  /** Undefined while the member is healthy; otherwise how long no leader has confirmed it, and why. */
  #freshness(): Freshness | undefined {
    const health = this.#member.health();
    if (health.ok) return undefined;
    return {
      stale: true,
      ageMs: Math.round(this.#member.status().leaderContactMs),
      reason: health.reason ?? 'the member is not healthy',
    };
  }

  #sendResponse(watch: OpenWatch, response: WatchResponse, meta: ResponseMeta): void {
    // A take() can hand over many large responses at once: each is checked against the bound.
    if (!this.#open || this.#disconnectIfFull()) return;
    this.#socket.send(responseEncoder.encode(response, meta, watch.encoding, watch.clientId));
    if (response.canceled === true) this.#forget(watch);
  }

  #sendError(error: VaneError, watchId?: number): void {
    this.#sendControl(encodeWatchError(error, watchId));
  }

  /** Replies to the client's own messages go out even while paused, up to closeBufferedBytes. */
  #sendControl(json: object): void {
    this.#sendControlText(JSON.stringify(json));
  }

  #sendControlText(text: string): void {
    if (!this.#open || this.#disconnectIfFull()) return;
    this.#socket.send(text);
  }

  /** Disconnects a client with closeBufferedBytes unsent, so that no more than that and one message is ever held. */
  #disconnectIfFull(): boolean {
    if (this.#socket.bufferedAmount() < this.#session.closeBufferedBytes) return false;
    this.#logger.warn(
      { bufferedBytes: this.#socket.bufferedAmount() },
      'watch client not reading; disconnecting',
    );
    this.#closeSocket(
      CLOSE_CLIENT_TOO_SLOW,
      `too slow: over ${formatBytes(this.#session.closeBufferedBytes)} unsent (maxWatchBufferBytes); reconnect and resume`,
    );
    return true;
  }

  #forget(watch: OpenWatch): void {
    if (this.#watches.delete(watch.clientId)) this.#metrics.addWatchers(-1);
    this.#ready.delete(watch.clientId);
  }

  #closeSocket(code: number, reason: string): void {
    this.closed();
    this.#socket.close(code, reason);
  }
}

/** The id of a refused request message, so that its error answers that request. */
function requestIdOf(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const message = json as { type?: unknown; id?: unknown };
  if (message.type !== 'request') return undefined;
  const id = message.id;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : undefined;
}

/** The watchId a refused message named, so the error can say which watch it is about. */
function watchIdOf(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const watchId = (json as { watchId?: unknown }).watchId;
  return typeof watchId === 'number' && Number.isSafeInteger(watchId) && watchId >= 0 ? watchId : undefined;
}

const utf8 = new TextEncoder();

/** Whether `text` takes more than `limit` bytes as UTF-8; it is encoded only when its length cannot tell. */
function exceedsUtf8Bytes(text: string, limit: number): boolean {
  // Each UTF-16 code unit takes 1 to 3 UTF-8 bytes.
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8.encode(text).length > limit;
}
