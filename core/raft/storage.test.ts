import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from './storage.ts';
import type { ConfState, Entry } from './types.ts';

function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(data) };
}

const CONF: ConfState = {
  voters: ['a', 'b'],
  learners: [],
  votersOutgoing: [],
  learnersNext: [],
  autoLeave: false,
};

describe('MemoryStorage', () => {
  it('bootstrap: an empty log after a snapshot at index 0 holding the voters', () => {
    const storage = MemoryStorage.bootstrap(['b', 'a', 'b']);
    assert.deepEqual(storage.initialState().confState.voters, ['a', 'b']);
    assert.deepEqual([storage.firstIndex(), storage.lastIndex(), storage.term(0)], [1, 0, 0]);
    assert.deepEqual(
      new MemoryStorage().initialState().confState.voters,
      [],
      'a plain one is an empty member',
    );
  });

  it('append replaces a conflicting suffix and refuses a gap', () => {
    const storage = MemoryStorage.bootstrap(['a']);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 1)]);
    storage.append([entry(2, 2)]);
    assert.equal(storage.lastIndex(), 2);
    assert.equal(storage.term(2), 2);
    assert.equal(storage.append([entry(5, 2)])?.storageError, 'unavailable');
  });

  it('entries are paged by bytes, at least one; compacted and out-of-range reads are errors', () => {
    const storage = MemoryStorage.bootstrap(['a']);
    storage.append([entry(1, 1, 'x'.repeat(50)), entry(2, 1, 'x'.repeat(50)), entry(3, 1)]);
    const page = storage.entries(1, 4, 70);
    assert.ok(Array.isArray(page));
    assert.equal(page.length, 1);
    assert.equal((storage.entries(1, 5, 1000) as { storageError: string }).storageError, 'unavailable');
    storage.createSnapshot(2, CONF, new Uint8Array([1]));
    assert.equal(storage.compact(2), undefined);
    assert.equal((storage.entries(2, 3, 1000) as { storageError: string }).storageError, 'compacted');
    assert.equal(storage.term(2), 1, 'the term at the compaction point is kept');
    assert.equal((storage.term(1) as { storageError: string }).storageError, 'compacted');
    assert.equal(storage.firstIndex(), 3);
  });

  it('finds the compaction point that keeps a byte budget of the log up to an index', () => {
    const storage = MemoryStorage.bootstrap(['a']);
    // Entries of 16 bytes of framing plus 84 of data: 100 bytes each.
    storage.append(Array.from({ length: 10 }, (_, i) => entry(i + 1, 1, 'x'.repeat(84))));
    assert.equal(storage.compactionPointKeeping(8, 300), 5, 'entries 6 to 8 fit in 300 bytes');
    assert.equal(storage.compactionPointKeeping(8, 299), 6);
    assert.equal(storage.compactionPointKeeping(8, 50), 8, 'not even entry 8 fits');
    assert.equal(storage.compactionPointKeeping(8, 10_000), 0, 'everything fits: nothing to drop');
    storage.createSnapshot(4, CONF, new Uint8Array());
    storage.compact(4);
    assert.equal(storage.compactionPointKeeping(8, 10_000), 4, 'never below the compaction point');
  });

  it('compacts only what a snapshot covers, and refuses an older snapshot', () => {
    const storage = MemoryStorage.bootstrap(['a']);
    storage.append([entry(1, 1), entry(2, 1), entry(3, 2)]);
    assert.equal(storage.compact(2)?.storageError, 'unavailable', 'no snapshot covers entry 2 yet');
    const snapshot = storage.createSnapshot(2, CONF, new Uint8Array([7]));
    assert.ok(!('storageError' in snapshot));
    assert.deepEqual([snapshot.metadata.index, snapshot.metadata.term], [2, 1]);
    assert.equal(storage.compact(2), undefined);
    assert.equal(storage.compact(2)?.storageError, 'compacted');
    const older = storage.createSnapshot(1, CONF, new Uint8Array());
    assert.equal('storageError' in older && older.storageError, 'snapshotOutOfDate');
    assert.deepEqual(storage.initialState().confState, CONF);
  });

  it('applySnapshot replaces the log by the snapshot', () => {
    const storage = MemoryStorage.bootstrap(['a']);
    storage.append([entry(1, 1), entry(2, 1)]);
    const snapshot = { metadata: { index: 10, term: 3, confState: CONF }, data: new Uint8Array([1]) };
    assert.equal(storage.applySnapshot(snapshot), undefined);
    assert.deepEqual([storage.firstIndex(), storage.lastIndex(), storage.term(10)], [11, 10, 3]);
    assert.equal(
      storage.applySnapshot({ ...snapshot, metadata: { ...snapshot.metadata, index: 5 } })?.storageError,
      'snapshotOutOfDate',
    );
  });
});
