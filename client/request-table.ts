// The requests of one connection that have no answer yet: queued, sent on the current socket, or
// waiting to be retried. A request that loses its socket is sent again on the next one with the same
// body (a write's body carries its requestId, so the store applies it once); one refused with a
// retryable code (no leader, unavailable, ...) is sent again after a jittered delay; each gives up at
// its deadline. At most maxInFlight are sent and unanswered at once, below the server's own limit.
import type { RequestOpName } from '../core/protocol/client.ts';
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import type { Clock } from './clock.ts';
import { isRetryable, VaneClientError } from './errors.ts';
import type { RequestAnswer } from './transport.ts';
import { type ErrorJson, PROTOCOL_VERSION } from './wire.ts';

export interface RequestTableOptions {
  readonly clock: Clock;
  readonly random: () => number;
  /** Sent and unanswered at once (the server refuses more than its maxPendingRequestsPerConnection). */
  readonly maxInFlight: number;
  /** Unanswered in all (queued, sent or waiting to retry); past it a new request is refused. */
  readonly maxPending: number;
  /** Delays between retries of a refused request. */
  readonly retryBackoff: BackoffPolicy;
  /** A retry became due: the connection should pump. */
  readonly onRetryDue: () => void;
  /** A request was refused with a retryable code (the member may be cut off from the cluster). */
  readonly onRetryableError: (error: ErrorJson) => void;
}

type State = 'queued' | 'sent' | 'retrying' | 'abandoned';

/** Stands in for a deadline's cancel until the deadline is set (no closure per request for it). */
const NOTHING_TO_CANCEL = (): void => {};

interface PendingRequest {
  readonly id: number;
  readonly op: RequestOpName;
  /** The request message as sent, built once: a resend carries the same id and body. */
  readonly message: string;
  readonly timeoutMs: number;
  readonly resolve: (answer: RequestAnswer) => void;
  readonly reject: (error: VaneClientError) => void;
  state: State;
  retries: number;
  lastError: ErrorJson | undefined;
  cancelDeadline: () => void;
  cancelRetry: (() => void) | undefined;
}

export class RequestTable {
  readonly #options: RequestTableOptions;
  /** Every request without an outcome yet, by id; abandoned ones stay until their socket answers or goes. */
  readonly #pending = new Map<number, PendingRequest>();
  #queue: PendingRequest[] = [];
  #inFlight = 0;
  /** Entries of #pending that timed out while sent (kept until their socket answers or goes). */
  #abandoned = 0;
  #nextId = 1;

  constructor(options: RequestTableOptions) {
    this.#options = options;
  }

  /** Requests sent on the current socket and not answered yet (abandoned ones included). */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** Requests with no outcome yet. */
  get pending(): number {
    return this.#pending.size - this.#abandoned;
  }

  /** Queues a request whose body is `bodyJson` (JSON text of an object). */
  add(op: RequestOpName, bodyJson: string, timeoutMs: number): Promise<RequestAnswer> {
    return new Promise((resolve, reject) => {
      const limit = this.#options.maxPending;
      if (this.pending >= limit) {
        reject(
          new VaneClientError(
            'unavailable',
            `${limit} requests are already waiting for an answer (maxPendingRequests); wait for some before sending more`,
            { limit: 'maxPendingRequests', maximum: limit },
          ),
        );
        return;
      }
      const id = this.#nextId++;
      const request: PendingRequest = {
        id,
        op,
        message: `{"v":${PROTOCOL_VERSION},"type":"request","id":${id},"op":${JSON.stringify(op)},"body":${bodyJson}}`,
        timeoutMs,
        resolve,
        reject,
        state: 'queued',
        retries: 0,
        lastError: undefined,
        cancelDeadline: NOTHING_TO_CANCEL,
        cancelRetry: undefined,
      };
      request.cancelDeadline = this.#options.clock.after(timeoutMs, () => this.#timedOut(request));
      this.#pending.set(request.id, request);
      this.#queue.push(request);
    });
  }

  /** Sends queued requests on the open socket while fewer than maxInFlight are unanswered. */
  pump(send: (message: string) => void): void {
    while (this.#queue.length > 0 && this.#inFlight < this.#options.maxInFlight) {
      const request = this.#queue.shift()!;
      request.state = 'sent';
      this.#inFlight++;
      send(request.message);
    }
  }

  answered(id: number, answer: RequestAnswer): void {
    const request = this.#sentRequest(id);
    if (request === undefined) return;
    this.#settle(request);
    if (request.state !== 'abandoned') request.resolve(answer);
  }

  failed(id: number, error: ErrorJson): void {
    const request = this.#sentRequest(id);
    if (request === undefined) return;
    if (request.state === 'abandoned') {
      this.#settle(request);
      return;
    }
    if (!isRetryable(error.code)) {
      this.#settle(request);
      request.reject(new VaneClientError(error.code, error.message, error.details));
      return;
    }
    this.#options.onRetryableError(error);
    this.#inFlight--;
    request.lastError = error;
    request.state = 'retrying';
    const delay = backoffDelay(this.#options.retryBackoff, request.retries++, this.#options.random);
    request.cancelRetry = this.#options.clock.after(delay, () => {
      request.cancelRetry = undefined;
      if (request.state !== 'retrying') return;
      request.state = 'queued';
      this.#queue.push(request);
      this.#options.onRetryDue();
    });
  }

  /** The socket is gone: what it carried unanswered goes first in the queue, for the next socket. */
  connectionLost(): void {
    const resend: PendingRequest[] = [];
    for (const request of this.#pending.values()) {
      if (request.state === 'abandoned') this.#forgetAbandoned(request);
      else if (request.state === 'sent') {
        request.state = 'queued';
        resend.push(request);
      }
    }
    this.#inFlight = 0;
    resend.sort((a, b) => a.id - b.id);
    this.#queue = [...resend, ...this.#queue];
  }

  /** Rejects everything pending with `error` (the client is closing). */
  rejectAll(error: VaneClientError): void {
    for (const request of this.#pending.values()) {
      request.cancelDeadline();
      request.cancelRetry?.();
      if (request.state !== 'abandoned') request.reject(error);
    }
    this.#pending.clear();
    this.#abandoned = 0;
    this.#queue = [];
    this.#inFlight = 0;
  }

  #sentRequest(id: number): PendingRequest | undefined {
    const request = this.#pending.get(id);
    // An answer for a request that is not out on this socket belongs to a socket already given up.
    return request?.state === 'sent' || request?.state === 'abandoned' ? request : undefined;
  }

  /** Takes an answered request out of the table. */
  #settle(request: PendingRequest): void {
    if (request.state === 'abandoned') this.#forgetAbandoned(request);
    else this.#pending.delete(request.id);
    this.#inFlight--;
    request.cancelDeadline();
    if (this.#inFlight < 0) throw new Error('RequestTable: more answers than requests in flight');
  }

  #forgetAbandoned(request: PendingRequest): void {
    this.#pending.delete(request.id);
    this.#abandoned--;
    if (this.#abandoned < 0)
      throw new Error('RequestTable: more abandoned requests forgotten than abandoned');
  }

  #timedOut(request: PendingRequest): void {
    const last =
      request.lastError === undefined
        ? ''
        : `; the last answer was ${request.lastError.code}: ${request.lastError.message}`;
    request.reject(
      new VaneClientError(
        'timeout',
        `${request.op} got no answer within ${request.timeoutMs} ms (requestTimeoutMs)${last}; a write may or may not have been applied: retry it with the same requestId`,
        { limit: 'requestTimeoutMs', maximum: request.timeoutMs },
      ),
    );
    request.cancelRetry?.();
    if (request.state === 'sent') {
      // Still counted in flight: the server is working on it until it answers or the socket goes.
      request.state = 'abandoned';
      this.#abandoned++;
      return;
    }
    this.#pending.delete(request.id);
    this.#queue = this.#queue.filter((queued) => queued !== request);
  }
}
