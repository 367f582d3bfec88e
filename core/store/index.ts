// core/store: Vane's replicated state machine — an MVCC key-value store with leases, watches,
// compaction, quota, request deduplication, snapshots and a state hash.

export { type AutoCompactionConfig, AutoCompactor } from './auto-compactor.ts';
export { DEFAULT_STORE_CONFIG, resolveStoreConfig, type StoreConfig } from './config.ts';
export { compareKeys, NO_RANGE_END, prefixEnd, prefixRange } from './keys.ts';
export type { Lease, LeaseTable } from './lease-table.ts';
export { DEFAULT_LESSOR_CONFIG, Lessor, type LessorConfig } from './lessor.ts';
export { KvStore, MAX_LEASE_CHECKPOINTS, MAX_REQUEST_ID_LENGTH } from './store.ts';
export * from './types.ts';
export type { Watcher, WatchHub } from './watch-hub.ts';
