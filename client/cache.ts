// The default cache: records in a Map, for as long as the storage object lives. Browsers pass
// idbStorage() (client/idb-storage.ts) to keep them across reloads.
import type { CacheRecord, CacheStorage } from './types.ts';

export function memoryStorage(): CacheStorage {
  const records = new Map<string, CacheRecord>();
  return {
    get: async (prefix) => records.get(prefix),
    set: async (record) => {
      records.set(record.prefix, record);
    },
    delete: async (prefix) => {
      records.delete(prefix);
    },
  };
}
