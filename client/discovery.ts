// Service registration: an instance's key under a lease that is kept alive, so the key disappears
// when the process dies or loses the cluster for longer than the TTL. If the lease is lost while the
// process lives on (a long partition), the instance registers again under a new lease once it can.
import { type BackoffPolicy, backoffDelay } from './backoff.ts';
import type { Clock } from './clock.ts';
import { Listeners } from './emitter.ts';
import { type ClientError, isCredentialsRefusal, VaneClientError } from './errors.ts';
import type { Lease } from './lease.ts';

export interface RegisterOptions {
  /** Seconds the instance outlives its last heartbeat. */
  readonly ttl: number;
  /** The instance's value (its address, say): a string, or a value of the key's schema type. */
  readonly value?: unknown;
}

export interface RegistrationContext {
  readonly grantLease: (ttl: number) => Promise<Lease>;
  readonly put: (key: string, value: unknown, lease: Lease) => Promise<unknown>;
  readonly reportError: (error: ClientError) => void;
  readonly clock: Clock;
  readonly random: () => number;
}

const REREGISTER_BACKOFF: BackoffPolicy = { initialMs: 200, maxMs: 10_000 };

export class Registration {
  /** `services/<service>/<instanceId>`. */
  readonly key: string;
  /** Resolves once the instance is registered the first time; rejects if that fails. */
  readonly registered: Promise<void>;
  readonly #options: RegisterOptions;
  readonly #context: RegistrationContext;
  readonly #lost = new Listeners<void>();
  #lease: Lease | undefined;
  #closed = false;
  #attempts = 0;
  #cancelRetry: (() => void) | undefined;

  constructor(key: string, options: RegisterOptions, context: RegistrationContext) {
    this.key = key;
    this.#options = options;
    this.#context = context;
    this.registered = this.#register();
  }

  /** The lease the instance's key lives under now. */
  get lease(): Lease | undefined {
    return this.#lease;
  }

  /** 'lost': the lease was lost, so the key may be gone; registering again has started. */
  on(event: 'lost', listener: () => void): () => void {
    if (event !== 'lost') throw new Error(`Registration.on: unknown event '${String(event)}'`);
    return this.#lost.add(listener);
  }

  /** Removes the instance now: stops its heartbeats and revokes its lease, deleting its key. */
  async close(): Promise<void> {
    this.release();
    await this.#lease?.revoke();
  }

  /** Stops heartbeats without removing the key: it goes when the TTL runs out (as when the process dies). */
  release(): void {
    this.#closed = true;
    this.#cancelRetry?.();
    this.#lease?.release();
  }

  async #register(): Promise<void> {
    const lease = await this.#context.grantLease(this.#options.ttl);
    if (this.#closed) {
      lease.release();
      return;
    }
    this.#lease = lease;
    lease.on('lost', () => this.#leaseLost());
    try {
      await this.#context.put(this.key, this.#options.value ?? '', lease);
    } catch (error) {
      lease.release();
      throw error;
    }
    this.#attempts = 0;
  }

  #leaseLost(): void {
    if (this.#closed) return;
    this.#lost.emit();
    this.#retry();
  }

  #retry(): void {
    const delay = backoffDelay(REREGISTER_BACKOFF, this.#attempts++, this.#context.random);
    this.#cancelRetry = this.#context.clock.after(delay, () => {
      this.#cancelRetry = undefined;
      if (this.#closed) return;
      this.#register().catch((error: unknown) => {
        const reported =
          error instanceof VaneClientError
            ? error
            : new VaneClientError('unavailable', `registering ${this.key} again failed: ${String(error)}`);
        this.#context.reportError(reported);
        // Credentials the cluster refuses will be refused again: stop rather than loop.
        if (isCredentialsRefusal(reported.code)) this.release();
        else this.#retry();
      });
    });
  }
}
