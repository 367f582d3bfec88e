// The store's configuration. Every member of a cluster must use the same values for the fields that
// affect applied state (limits, quotaBytes, dedupWindow, minLeaseTtlSeconds), or they would diverge.

import { DEFAULT_LIMITS, type Limits } from '../limits.ts';

export interface StoreConfig {
  readonly limits: Limits;
  /** Size limit of the stored state (keys, values and history, see KvStore.sizeBytes); past it writes are refused. */
  readonly quotaBytes: number;
  /** Number of client request ids remembered for deduplication of retries. */
  readonly dedupWindow: number;
  /** Shorter TTLs are raised to this (etcd: 1.5 election timeouts), so a lease cannot expire during an election. */
  readonly minLeaseTtlSeconds: number;
  /** Events a watcher may hold undelivered; past it the watcher falls back to catching up from history. */
  readonly maxWatcherBufferEvents: number;
  /** Events merged into one watch response (a single revision's events are never split). */
  readonly maxEventsPerWatchResponse: number;
  /** Revisions of history one take() may scan while catching a watcher up. */
  readonly maxCatchUpRevisions: number;
  /** Interval of progress notifications for watchers that asked for them and had no other response. */
  readonly progressNotifyIntervalMs: number;
  /** Watchers one store serves at once. */
  readonly maxWatchers: number;
}

export const DEFAULT_STORE_CONFIG: StoreConfig = {
  limits: DEFAULT_LIMITS,
  quotaBytes: 1024 * 1024 * 1024,
  dedupWindow: 10_000,
  minLeaseTtlSeconds: 2,
  maxWatcherBufferEvents: 1024,
  maxEventsPerWatchResponse: 1000,
  maxCatchUpRevisions: 10_000,
  progressNotifyIntervalMs: 10_000,
  maxWatchers: 1_000_000,
};

/** Defaults filled in and every field checked; a bad value is a programming error and throws. */
export function resolveStoreConfig(config: Partial<StoreConfig> = {}): StoreConfig {
  const resolved: StoreConfig = { ...DEFAULT_STORE_CONFIG, ...config };
  const positive: (keyof StoreConfig)[] = [
    'quotaBytes',
    'maxWatcherBufferEvents',
    'maxEventsPerWatchResponse',
    'maxCatchUpRevisions',
    'progressNotifyIntervalMs',
    'maxWatchers',
    'minLeaseTtlSeconds',
  ];
  for (const field of positive) {
    const value = resolved[field];
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
      throw new Error(`store config ${field} must be a positive integer, got ${String(value)}`);
    }
  }
  if (!Number.isSafeInteger(resolved.dedupWindow) || resolved.dedupWindow < 0) {
    throw new Error(`store config dedupWindow must be a non-negative integer, got ${resolved.dedupWindow}`);
  }
  if (resolved.minLeaseTtlSeconds > resolved.limits.maxLeaseTtlSeconds) {
    throw new Error(
      `store config minLeaseTtlSeconds (${resolved.minLeaseTtlSeconds}) exceeds limits.maxLeaseTtlSeconds (${resolved.limits.maxLeaseTtlSeconds})`,
    );
  }
  return resolved;
}
