// A lease held by this client, kept alive every ttl/3 when asked to. Its deadline is computed from
// the last acknowledged keepalive: the time that keepalive was *sent* plus the TTL the server
// granted, which is never later than the server's own deadline (the server renewed the lease after
// the request left). When the deadline passes without a newer acknowledgement, 'lost' fires: from
// then on the server may have deleted the lease's keys, so whatever the lease guarded is no longer
// held.
import type { Clock } from './clock.ts';
import { Listeners } from './emitter.ts';
import { type ClientError, VaneClientError } from './errors.ts';
import { newRequestId } from './request-id.ts';
import type { Transport } from './transport.ts';
import { readBody, uint } from './wire.ts';

export interface LeaseContext {
  readonly transport: Transport;
  readonly clock: Clock;
  readonly requestTimeoutMs: number;
  readonly reportError: (error: ClientError) => void;
}

/** After a keepalive failed (not for good), the next one is tried this soon, or sooner near the deadline. */
const KEEPALIVE_RETRY_MS = 500;

export class Lease {
  readonly id: number;
  readonly #context: LeaseContext;
  readonly #lost = new Listeners<void>();
  #ttl: number;
  #deadline: number;
  #state: 'held' | 'lost' | 'revoked' | 'released' = 'held';
  #keepingAlive: boolean;
  #cancelKeepAlive: (() => void) | undefined;
  #cancelLost: (() => void) | undefined;

  /** `grantSentAt`: when the grant request left, on the context's clock. */
  constructor(id: number, ttl: number, grantSentAt: number, keepAlive: boolean, context: LeaseContext) {
    this.id = id;
    this.#ttl = ttl;
    this.#context = context;
    this.#deadline = grantSentAt + ttl * 1000;
    this.#keepingAlive = keepAlive;
    this.#armLost();
    if (keepAlive) this.#scheduleKeepAlive((ttl * 1000) / 3);
  }

  /** The TTL in seconds the server granted with the last acknowledgement. */
  get ttl(): number {
    return this.#ttl;
  }

  /** When the lease may expire on the server at the earliest, on the client's clock. */
  get deadline(): number {
    return this.#deadline;
  }

  get isLost(): boolean {
    return this.#state === 'lost';
  }

  /** 'lost': the deadline passed without an acknowledged keepalive, or the server no longer knows the lease. */
  on(event: 'lost', listener: () => void): () => void {
    if (event !== 'lost') throw new Error(`Lease.on: unknown event '${String(event)}'`);
    return this.#lost.add(listener);
  }

  /** One keepalive now; resolves with the renewed TTL in seconds. */
  async keepAliveOnce(): Promise<number> {
    if (this.#state !== 'held') throw this.#notHeld();
    const sentAt = this.#context.clock.now();
    let ttl: number;
    try {
      const answer = await this.#context.transport.request(
        'leaseKeepAlive',
        { id: this.id },
        { timeoutMs: Math.max(1, Math.min(this.#context.requestTimeoutMs, this.#deadline - sentAt)) },
      );
      const read = readBody(answer.body, (body) => uint(body.ttl, 'ttl'));
      if (read instanceof Error)
        throw new VaneClientError('decodeError', `a keepalive answer could not be read: ${read.message}`);
      ttl = read;
    } catch (error) {
      if (error instanceof VaneClientError && error.code === 'leaseNotFound') this.#lose();
      throw error;
    }
    if (this.#state !== 'held') throw this.#notHeld();
    if (ttl === 0) {
      this.#lose();
      throw this.#notHeld();
    }
    this.#ttl = ttl;
    this.#deadline = Math.max(this.#deadline, sentAt + ttl * 1000);
    this.#armLost();
    return ttl;
  }

  /** Ends the lease on the server, deleting its keys; no 'lost' follows. */
  async revoke(): Promise<void> {
    if (this.#state === 'revoked') return;
    this.#stop('revoked');
    await this.#context.transport.request('leaseRevoke', { id: this.id, requestId: newRequestId() });
  }

  /** Stops keeping the lease alive without revoking it (it expires on the server after its TTL). */
  release(): void {
    if (this.#state === 'held') this.#stop('released');
  }

  #scheduleKeepAlive(ms: number): void {
    this.#cancelKeepAlive?.();
    this.#cancelKeepAlive = this.#context.clock.after(ms, () => {
      this.#cancelKeepAlive = undefined;
      void this.#keepAlive();
    });
  }

  async #keepAlive(): Promise<void> {
    if (this.#state !== 'held' || !this.#keepingAlive) return;
    try {
      const ttl = await this.keepAliveOnce();
      if (this.#state === 'held') this.#scheduleKeepAlive((ttl * 1000) / 3);
    } catch (error) {
      if (this.#state !== 'held') return;
      if (!(error instanceof VaneClientError) || error.code !== 'timeout') {
        this.#context.reportError(
          error instanceof VaneClientError
            ? error
            : new VaneClientError('unavailable', `lease ${this.id}: keepalive failed: ${String(error)}`),
        );
      }
      const remaining = this.#deadline - this.#context.clock.now();
      this.#scheduleKeepAlive(Math.max(0, Math.min(KEEPALIVE_RETRY_MS, remaining / 4)));
    }
  }

  #armLost(): void {
    this.#cancelLost?.();
    const clock = this.#context.clock;
    this.#cancelLost = clock.after(Math.max(0, this.#deadline - clock.now()), () => {
      this.#cancelLost = undefined;
      if (this.#state === 'held' && clock.now() >= this.#deadline) this.#lose();
      else if (this.#state === 'held') this.#armLost();
    });
  }

  #lose(): void {
    if (this.#state !== 'held') return;
    this.#stop('lost');
    this.#lost.emit();
  }

  #stop(state: 'lost' | 'revoked' | 'released'): void {
    this.#state = state;
    this.#keepingAlive = false;
    this.#cancelKeepAlive?.();
    this.#cancelKeepAlive = undefined;
    this.#cancelLost?.();
    this.#cancelLost = undefined;
  }

  #notHeld(): VaneClientError {
    return new VaneClientError(
      'leaseLost',
      `lease ${this.id} is ${this.#state === 'held' ? 'lost' : this.#state}`,
      {
        lease: this.id,
      },
    );
  }
}
