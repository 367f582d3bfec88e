import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type KeyValue, type RangeOptions, type RangeResult, VaneClientError } from '../../client/index.ts';
import { loadKeyHistory, MAX_HISTORY_VERSIONS } from './key-history.ts';

/** The versions of key 'k' written at revisions 10, 20, 30, ...; reads below `compactedBelow` fail as compacted. */
function historyOf(count: number, compactedBelow = 0) {
  const versions: KeyValue[] = Array.from({ length: count }, (_, i) => ({
    key: 'k',
    value: `v${i + 1}`,
    createRevision: 10,
    modRevision: 10 * (i + 1),
    version: i + 1,
    lease: 0,
  }));
  const reads: number[] = [];
  return {
    current: versions[versions.length - 1]!,
    reads,
    async range(options: RangeOptions): Promise<RangeResult> {
      const revision = options.revision!;
      reads.push(revision);
      if (revision < compactedBelow)
        throw new VaneClientError('compacted', `revision ${revision} is compacted`);
      const kv = [...versions].reverse().find((v) => v.modRevision <= revision);
      return {
        kvs: kv === undefined ? [] : [kv],
        revision: 99,
        more: false,
        count: kv === undefined ? 0 : 1,
      };
    },
  };
}

describe('loadKeyHistory', () => {
  test('lists every version newest first, down to the one that created the key', async () => {
    const store = historyOf(4);
    const history = await loadKeyHistory(store, store.current);
    assert.deepEqual(
      history.versions.map((v) => [v.version, v.value]),
      [
        [4, 'v4'],
        [3, 'v3'],
        [2, 'v2'],
        [1, 'v1'],
      ],
    );
    assert.equal(history.end, 'created');
    assert.deepEqual(store.reads, [39, 29, 19]);
  });

  test('stops at compacted history and says so', async () => {
    const store = historyOf(4, 25);
    const history = await loadKeyHistory(store, store.current);
    // Revision 19 (version 1) is below the compaction; version 2 at 20 is still there.
    assert.deepEqual(
      history.versions.map((v) => v.version),
      [4, 3, 2],
    );
    assert.equal(history.end, 'compacted');
  });

  test('stops at MAX_HISTORY_VERSIONS versions', async () => {
    const store = historyOf(MAX_HISTORY_VERSIONS + 10);
    const history = await loadKeyHistory(store, store.current);
    assert.equal(history.versions.length, MAX_HISTORY_VERSIONS);
    assert.equal(history.end, 'limit');
  });
});
