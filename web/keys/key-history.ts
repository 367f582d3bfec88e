// A key's history by revision: each version since it was (last) created, read back one past
// revision at a time (the store keeps history until it is compacted).
import { type Client, type KeyValue, VaneClientError } from '../../client/index.ts';

/** Versions read back at most; older ones are not shown. */
export const MAX_HISTORY_VERSIONS = 25;

export interface KeyHistory {
  /** Newest first; the first is the current version. */
  readonly versions: readonly KeyValue[];
  /** Why the list stops: it reached the version that created the key, compacted history, or the limit. */
  readonly end: 'created' | 'compacted' | 'limit';
}

export async function loadKeyHistory(client: Pick<Client, 'range'>, current: KeyValue): Promise<KeyHistory> {
  const versions: KeyValue[] = [current];
  let oldest = current;
  while (oldest.version > 1) {
    if (versions.length >= MAX_HISTORY_VERSIONS) return { versions, end: 'limit' };
    let previous: KeyValue | undefined;
    try {
      previous = (await client.range({ key: current.key, revision: oldest.modRevision - 1 })).kvs[0];
    } catch (error) {
      if (error instanceof VaneClientError && error.code === 'compacted')
        return { versions, end: 'compacted' };
      throw error;
    }
    if (previous === undefined || previous.createRevision !== current.createRevision) {
      throw new Error(
        `key history: '${current.key}' at revision ${oldest.modRevision - 1} is not version ${oldest.version - 1} of the same key`,
      );
    }
    versions.push(previous);
    oldest = previous;
  }
  return { versions, end: 'created' };
}
