import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../core/raft/index.ts';
import type { Entry } from '../../core/raft/types.ts';
import { createRandom } from '../../core/random.ts';
import { SimDisk } from './disk.ts';

function entries(from: number, to: number, term = 1): Entry[] {
  return Array.from({ length: to - from + 1 }, (_, i) => ({
    term,
    index: from + i,
    type: 'normal' as const,
    data: new Uint8Array([from + i]),
  }));
}

const CONF = { voters: ['a'], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false };

function freshDisk(): SimDisk<MemoryStorage> {
  return new SimDisk(() => MemoryStorage.bootstrap(['a']));
}

describe('simulated disk', () => {
  it('keeps everything synced and at most a prefix (maybe torn) of what was not', () => {
    const outcomes = new Set<number>();
    for (let seed = 1; seed <= 200; seed++) {
      const disk = freshDisk();
      disk.write(undefined, entries(1, 3), { term: 1, vote: 'a', commit: 2 });
      disk.sync();
      disk.write(undefined, entries(4, 7), { term: 1, vote: 'a', commit: 6 });
      disk.crash(createRandom(seed), 0.5);
      const storage = disk.storage;
      const last = storage.lastIndex();
      assert.ok(last >= 3 && last <= 7, `seed ${seed}: last index ${last}`);
      assert.deepEqual(storage.entries(1, last + 1, Infinity), entries(1, last), `seed ${seed}`);
      const { hardState } = storage.initialState();
      // The hard state written after the entries survives only if the entries did, whole.
      if (hardState.commit !== 2) assert.deepEqual([hardState.commit, last], [6, 7], `seed ${seed}`);
      outcomes.add(last);
    }
    // Lost entirely, torn in the middle, and kept whole all happen.
    assert.deepEqual([...outcomes].sort(), [3, 4, 5, 6, 7]);
  });

  it('never loses or tears a synced write', () => {
    for (let seed = 1; seed <= 50; seed++) {
      const disk = freshDisk();
      disk.write(undefined, entries(1, 5), { term: 2, vote: 'a', commit: 5 });
      disk.sync();
      const report = disk.crash(createRandom(seed), 1);
      assert.deepEqual(report, { lostRecords: 0, tornEntries: 0 });
      assert.equal(disk.storage.lastIndex(), 5);
      assert.deepEqual(disk.storage.initialState().hardState, { term: 2, vote: 'a', commit: 5 });
    }
  });

  it('restarts from a snapshot received from the leader, which replaces the log', () => {
    const disk = freshDisk();
    disk.write(undefined, entries(1, 4), { term: 1, vote: null, commit: 2 });
    const snapshot = { metadata: { index: 10, term: 3, confState: CONF }, data: new Uint8Array([42]) };
    disk.write(snapshot, entries(11, 12, 3), { term: 3, vote: null, commit: 10 });
    disk.sync();
    disk.crash(createRandom(1), 1);
    assert.equal(disk.storage.firstIndex(), 11);
    assert.equal(disk.storage.lastIndex(), 12);
    assert.deepEqual(disk.storage.snapshot(), snapshot);
  });

  it('keeps the log after its own snapshot, which is synced at once', () => {
    const disk = freshDisk();
    disk.write(undefined, entries(1, 8), { term: 1, vote: 'a', commit: 8 });
    disk.sync();
    disk.saveSnapshot(6, CONF, new Uint8Array([6]), 4);
    assert.equal(disk.storage.firstIndex(), 5, 'the live log keeps the retained entries');
    disk.crash(createRandom(1), 1);
    assert.equal(disk.storage.snapshot().metadata.index, 6);
    assert.equal(disk.storage.firstIndex(), 7);
    assert.equal(disk.storage.lastIndex(), 8);
  });
});
