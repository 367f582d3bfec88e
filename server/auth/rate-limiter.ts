// The per-token request rate limit: a token bucket per token id, refilled continuously at
// `perSecond` up to `burst`. Each member limits what it serves itself (a client spreading its
// requests over N members gets up to N times the rate), which needs no coordination.

export interface RateLimit {
  /** Requests per second a token may make, sustained. */
  readonly perSecond: number;
  /** Requests a token may make at once after being idle. */
  readonly burst: number;
}

/** Buckets kept at most; the least recently used is forgotten (it comes back full). */
export const MAX_TRACKED_TOKENS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class TokenRateLimiter {
  readonly limit: RateLimit;
  readonly #buckets = new Map<string, Bucket>();
  readonly #maxTracked: number;

  constructor(limit: RateLimit, maxTracked = MAX_TRACKED_TOKENS) {
    if (!(limit.perSecond > 0) || !(limit.burst >= 1)) {
      throw new Error(
        `TokenRateLimiter: perSecond must be > 0 and burst >= 1 (got ${limit.perSecond}, ${limit.burst})`,
      );
    }
    this.limit = limit;
    this.#maxTracked = maxTracked;
  }

  /** Takes one request from the token's bucket: undefined if admitted, else ms until one is available. */
  take(tokenId: string, now: number): number | undefined {
    const { perSecond, burst } = this.limit;
    let bucket = this.#buckets.get(tokenId);
    if (bucket === undefined) {
      bucket = { tokens: burst, at: now };
      if (this.#buckets.size >= this.#maxTracked) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
    } else {
      // Most recently used last, so the first entry is the one to forget.
      this.#buckets.delete(tokenId);
      bucket.tokens = Math.min(burst, bucket.tokens + (Math.max(0, now - bucket.at) * perSecond) / 1000);
      bucket.at = now;
    }
    this.#buckets.set(tokenId, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.ceil(((1 - bucket.tokens) * 1000) / perSecond);
  }

  get trackedTokens(): number {
    return this.#buckets.size;
  }
}
