// When a provider tells OpenFeature what: READY once the flags are loaded (the SDK emits it when
// initialize() resolves) and again after a STALE or ERROR clears; STALE when the state is from a
// cache and not yet confirmed, or the connection is stale or offline (its lag passed the client's
// staleAfterMs, or every endpoint failed); ERROR when the cluster refuses the client;
// CONFIGURATION_CHANGED with exactly the flags whose evaluation may have changed, and the revision.

import type { FlagSource, FlagsChange } from '../flags.ts';
import type { ClientStatus } from '../types.ts';

export type ProviderSignal =
  | { readonly kind: 'ready'; readonly message: string }
  | { readonly kind: 'stale'; readonly message: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'changed'; readonly change: FlagsChange };

export interface VaneProviderOptions {
  /** Runs a task after the current one (default setTimeout 0): how STALE follows the SDK's READY. */
  readonly defer?: (task: () => void) => void;
}

type State = 'starting' | 'ready' | 'stale' | 'error' | 'closed';

function lagging(status: ClientStatus): boolean {
  return status.state === 'stale' || status.state === 'offline';
}

function describe(status: ClientStatus): string {
  const lag = status.lagMs === undefined ? '' : ` (not confirmed for ${status.lagMs} ms)`;
  return `the connection to the cluster is ${status.state}${lag}`;
}

export class ProviderSignals {
  readonly #source: FlagSource;
  readonly #emit: (signal: ProviderSignal) => void;
  readonly #defer: (task: () => void) => void;
  readonly #unsubscribe: (() => void)[];
  #state: State = 'starting';

  constructor(
    source: FlagSource,
    emit: (signal: ProviderSignal) => void,
    defer: (task: () => void) => void = (task) => setTimeout(task, 0),
  ) {
    this.#source = source;
    this.#emit = emit;
    this.#defer = defer;
    this.#unsubscribe = [
      source.onStatus((status) => this.#status(status)),
      source.onChange((change) => this.#changed(change)),
      source.onError((error) => {
        // A broken document affects one flag, which resolves with PARSE_ERROR or its last valid
        // version; only a refusal of the client puts the provider in error.
        if (error.code === 'schemaMismatch' || this.#state === 'starting' || this.#state === 'closed') return;
        this.#state = 'error';
        this.#emit({ kind: 'error', message: error.message });
      }),
    ];
  }

  /** Waits for the flags; then OpenFeature emits READY, after which a cached state is announced STALE. */
  async initialize(): Promise<void> {
    await this.#source.ready;
    if (this.#state !== 'starting') return;
    this.#state = 'ready';
    // Deferred, so that it follows the READY the SDK emits once this promise resolves.
    this.#defer(() => {
      if (this.#state !== 'ready') return;
      const status = this.#source.status;
      // On a live connection a cached state is confirmed within the next progress round.
      if (status.state !== 'live' && (this.#source.stale || lagging(status))) {
        this.#state = 'stale';
        this.#emit({
          kind: 'stale',
          message: lagging(status)
            ? describe(status)
            : 'the flags are from a cache, not yet confirmed by the cluster',
        });
      }
    });
  }

  close(): void {
    this.#state = 'closed';
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
  }

  #status(status: ClientStatus): void {
    if (this.#state === 'ready' && lagging(status)) {
      this.#state = 'stale';
      this.#emit({ kind: 'stale', message: describe(status) });
    } else if ((this.#state === 'stale' || this.#state === 'error') && status.state === 'live') {
      this.#state = 'ready';
      this.#emit({ kind: 'ready', message: 'the connection to the cluster is live' });
    }
  }

  #changed(change: FlagsChange): void {
    if (this.#state === 'starting' || this.#state === 'closed') return;
    if (this.#state === 'error') {
      // New flags arrived, so the cluster serves this client again.
      this.#state = 'ready';
      this.#emit({ kind: 'ready', message: 'the flags are updating again' });
    }
    this.#emit({ kind: 'changed', change });
  }
}
