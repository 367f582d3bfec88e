// The browser's cache: each replica's keys and revision in IndexedDB (through idb-keyval), so that a
// reload or an offline start shows the last known state at once, marked stale until the cluster
// confirms it. A write never replaces a record of a later revision (another tab of the origin may
// be ahead), and a record this SDK cannot read is treated as absent, never handed to a replica.
import { createStore, del, get, type UseStore, update } from 'idb-keyval';
import type { CacheRecord, CacheStorage } from './types.ts';
import { keyValues, UnreadableMessage, uint } from './wire.ts';

/** Bumped when the stored shape changes; records of another format are ignored (and overwritten). */
export const IDB_RECORD_FORMAT = 1;

export interface IdbStorageOptions {
  /** The IndexedDB database (default 'vane'). */
  readonly databaseName?: string;
  /** Its object store (default 'replicas'). */
  readonly storeName?: string;
  /**
   * Keeps the records of one cluster apart from another's on the same origin (the browser entry's
   * createClient passes the endpoints). Default ''.
   */
  readonly namespace?: string;
}

interface StoredRecord extends CacheRecord {
  readonly format: typeof IDB_RECORD_FORMAT;
}

export function idbStorage(options: IdbStorageOptions = {}): CacheStorage {
  if (typeof indexedDB === 'undefined') {
    throw new Error('idbStorage needs IndexedDB, which this runtime lacks: use memoryStorage() instead');
  }
  const store: UseStore = createStore(options.databaseName ?? 'vane', options.storeName ?? 'replicas');
  const namespace = options.namespace ?? '';
  const keyOf = (prefix: string): IDBValidKey => [namespace, prefix];
  return {
    get: async (prefix) => readRecord(await get<unknown>(keyOf(prefix), store), prefix),
    set: (record) =>
      update<unknown>(
        keyOf(record.prefix),
        (stored) => {
          const current = readRecord(stored, record.prefix);
          if (current !== undefined && current.revision > record.revision) return stored;
          const next: StoredRecord = {
            format: IDB_RECORD_FORMAT,
            prefix: record.prefix,
            revision: record.revision,
            kvs: record.kvs,
          };
          return next;
        },
        store,
      ),
    delete: (prefix) => del(keyOf(prefix), store),
  };
}

/** The record for `prefix` if `stored` is one this SDK wrote, else undefined. */
function readRecord(stored: unknown, prefix: string): CacheRecord | undefined {
  if (typeof stored !== 'object' || stored === null) return undefined;
  const record = stored as Readonly<Record<string, unknown>>;
  if (record.format !== IDB_RECORD_FORMAT || record.prefix !== prefix) return undefined;
  try {
    return { prefix, revision: uint(record.revision, 'revision'), kvs: keyValues(record.kvs, 'kvs') };
  } catch (error) {
    if (error instanceof UnreadableMessage) return undefined;
    throw error;
  }
}
