// Exponential backoff with full jitter: the n-th retry waits a uniformly random time in
// [0, min(maxMs, initialMs * 2^n)), so that many clients that lost the same member do not return
// to the next one in lockstep.

export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number): number {
  if (!(policy.initialMs > 0 && policy.maxMs >= policy.initialMs)) {
    throw new Error(`backoff: need 0 < initialMs <= maxMs, got ${policy.initialMs} and ${policy.maxMs}`);
  }
  // 2^30 times any sane initialMs is far beyond maxMs; the cap keeps the product finite.
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}
