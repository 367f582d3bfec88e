// Open watches, each with the principal that opened it, so that a change of auth state (a role
// revoked, a token revoked or expired, auth enabled) ends the watches it no longer allows. An ended
// watch delivers nothing more of its events: its next (and last) response is a cancellation whose
// reason starts with the error code, e.g. "permissionDenied: 'web' (roles reader) may not read ...".
import type { VaneError } from '../../core/errors.ts';
import type { KeySelector, WatchResponse } from '../../core/store/index.ts';
import type { WatchHandle } from '../member/index.ts';
import type { Principal } from './principal.ts';

/** Why a watch may no longer run, or undefined when it may. */
export type WatchVerdict = (principal: Principal | null, selector: KeySelector) => VaneError | undefined;

export class GuardedWatches {
  readonly #open = new Set<GuardedWatch>();

  /** Wraps a watch the principal was allowed to open. */
  guard(
    inner: WatchHandle,
    principal: Principal | null,
    selector: KeySelector,
    onReady: () => void,
  ): WatchHandle {
    const watch = new GuardedWatch(inner, principal, selector, onReady, this.#open);
    this.#open.add(watch);
    return watch;
  }

  /** Ends every open watch the verdict refuses, at `revision`; returns how many ended. */
  recheck(verdict: WatchVerdict, revision: number): number {
    let ended = 0;
    for (const watch of [...this.#open]) {
      const refusal = verdict(watch.principal, watch.selector);
      if (refusal === undefined) continue;
      watch.end(refusal, revision);
      ended++;
    }
    return ended;
  }

  get size(): number {
    return this.#open.size;
  }
}

class GuardedWatch implements WatchHandle {
  readonly principal: Principal | null;
  readonly selector: KeySelector;
  readonly #inner: WatchHandle;
  readonly #onReady: () => void;
  readonly #registry: Set<GuardedWatch>;
  #ending: WatchResponse | undefined;
  #endDelivered = false;

  constructor(
    inner: WatchHandle,
    principal: Principal | null,
    selector: KeySelector,
    onReady: () => void,
    registry: Set<GuardedWatch>,
  ) {
    this.#inner = inner;
    this.principal = principal;
    this.selector = selector;
    this.#onReady = onReady;
    this.#registry = registry;
  }

  get watchId(): number {
    return this.#inner.watchId;
  }

  get ready(): boolean {
    return this.#ending === undefined ? this.#inner.ready : !this.#endDelivered;
  }

  take(max: number): WatchResponse[] {
    if (this.#ending !== undefined) {
      if (this.#endDelivered || max < 1) return [];
      this.#endDelivered = true;
      return [this.#ending];
    }
    const responses = this.#inner.take(max);
    // A watch the store cancelled (compacted) is over: nothing is left to guard.
    if (responses.some((response) => response.canceled === true)) this.#registry.delete(this);
    return responses;
  }

  requestProgress(): void {
    if (this.#ending === undefined) this.#inner.requestProgress();
  }

  cancel(): void {
    this.#registry.delete(this);
    this.#inner.cancel();
  }

  /** Stops the events at once; the cancellation saying why is the watch's last response. */
  end(error: VaneError, revision: number): void {
    if (this.#ending !== undefined) return;
    this.cancel();
    this.#ending = {
      watchId: this.#inner.watchId,
      revision,
      events: [],
      canceled: true,
      cancelReason: `${error.code}: ${error.message}`,
    };
    this.#onReady();
  }
}
