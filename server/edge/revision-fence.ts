// Reads and watches that carry minRevision wait here until the object's state reaches it, for a
// bounded time, so that a user who just saved a setting never reads the old value from the edge.
import { type VaneError, vaneError } from '../../core/errors.ts';

interface Waiter {
  readonly minRevision: number;
  readonly resolve: (reached: boolean) => void;
}

export class RevisionFence {
  readonly #waiters = new Set<Waiter>();
  readonly #maxWaiters: number;

  constructor(maxWaiters: number) {
    this.#maxWaiters = maxWaiters;
  }

  /**
   * Resolves true once advanced() reports `minRevision` (at once if `current` has it), false after
   * `timeoutMs`; an error when too many requests are already waiting.
   */
  wait(minRevision: number, current: number, timeoutMs: number): Promise<boolean> | VaneError {
    if (current >= minRevision) return Promise.resolve(true);
    if (this.#waiters.size >= this.#maxWaiters) {
      return vaneError(
        'unavailable',
        `${this.#maxWaiters} reads are already waiting for a newer revision here (fenceWaiters); retry shortly`,
        { limit: 'fenceWaiters', maximum: this.#maxWaiters },
      );
    }
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        resolve(false);
      }, timeoutMs);
      const waiter: Waiter = {
        minRevision,
        resolve: (reached) => {
          clearTimeout(timer);
          resolve(reached);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** The state reached `revision`: releases every waiter it satisfies. */
  advanced(revision: number): void {
    for (const waiter of this.#waiters) {
      if (waiter.minRevision > revision) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(true);
    }
  }

  get waiting(): number {
    return this.#waiters.size;
  }
}

export function fenceTimeout(minRevision: number, revision: number, waitedMs: number): VaneError {
  return vaneError(
    'timeout',
    `this edge did not reach revision ${minRevision} within ${waitedMs} ms (it is at ${revision}); retry, or read from the cluster`,
    { minRevision, revision },
  );
}
