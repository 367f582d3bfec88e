import type { Random } from '../../core/raft/types.ts';

export interface BackoffOptions {
  /** The ceiling of the first delay. */
  readonly initialMs: number;
  /** The ceiling never grows past this. */
  readonly maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 50, maxMs: 2000 };

/**
 * Reconnect delays: exponential growth of the ceiling with full jitter (a uniform delay in
 * [0, ceiling]), so that members that lost each other at the same moment do not redial in lockstep.
 */
export class ReconnectBackoff {
  readonly #options: BackoffOptions;
  readonly #random: Random;
  #attempt = 0;

  constructor(options: BackoffOptions, random: Random) {
    if (!(options.initialMs >= 1 && options.maxMs >= options.initialMs)) {
      throw new RangeError(
        `backoff needs 1 <= initialMs <= maxMs, got initialMs ${options.initialMs}, maxMs ${options.maxMs}`,
      );
    }
    this.#options = options;
    this.#random = random;
  }

  /** The delay before the next attempt; each call raises the ceiling for the one after. */
  next(): number {
    const ceiling = Math.min(this.#options.maxMs, this.#options.initialMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    return this.#random.int(ceiling + 1);
  }

  /** A connection succeeded: the next failure starts again from the smallest ceiling. */
  reset(): void {
    this.#attempt = 0;
  }
}
