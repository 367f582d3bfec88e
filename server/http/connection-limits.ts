// How many client connections (HTTP and watch WebSockets together) one member holds open. Each
// runtime's adapter counts what it can see (Node: TCP connections; Deno: requests in progress and
// open watch sockets) and answers one over the limit with this 503, which names the setting.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { encodeErrorBody } from '../../core/protocol/index.ts';
import { httpStatusOf, RETRY_AFTER_SECONDS } from './errors.ts';

export const DEFAULT_MAX_CLIENT_CONNECTIONS = 4096;

/** Counts open connections against a maximum; each successful tryAcquire() is paired with one release(). */
export class ConnectionLimiter {
  readonly maximum: number;
  #open = 0;

  constructor(maximum: number) {
    if (!Number.isSafeInteger(maximum) || maximum < 1) {
      throw new Error(`ConnectionLimiter: the maximum must be a positive integer, got ${maximum}`);
    }
    this.maximum = maximum;
  }

  get open(): number {
    return this.#open;
  }

  /** Takes a slot; false when all are taken (the connection must be refused). */
  tryAcquire(): boolean {
    if (this.#open >= this.maximum) return false;
    this.#open++;
    return true;
  }

  release(): void {
    if (this.#open === 0) throw new Error('ConnectionLimiter: release() without a matching tryAcquire()');
    this.#open--;
  }
}

function tooManyConnectionsError(maximum: number): VaneError {
  return vaneError(
    'unavailable',
    `this member already has ${maximum} open client connections (maxClientConnections); retry later, or use another member`,
    { limit: 'maxClientConnections', maximum },
  );
}

/** The refusal as an HTTP response: JSON error body, Retry-After, and the connection closed after it. */
export function tooManyConnectionsReply(maximum: number): {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
} {
  const error = tooManyConnectionsError(maximum);
  return {
    status: httpStatusOf(error.code),
    headers: {
      'Content-Type': 'application/json',
      'Retry-After': String(RETRY_AFTER_SECONDS),
      Connection: 'close',
    },
    body: JSON.stringify(encodeErrorBody(error)),
  };
}
