import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Message } from '../../core/raft/types.ts';
import { PeerQueue } from './peer-queue.ts';

function message(index: number): Message {
  return {
    type: 'heartbeat',
    from: 'a',
    to: 'b',
    term: 1,
    logTerm: 0,
    index,
    entries: [],
    commit: 0,
    reject: false,
    rejectHint: 0,
  };
}

describe('PeerQueue', () => {
  it('refuses messages beyond its count or byte limit, keeping the older ones', () => {
    const byCount = new PeerQueue({ maxMessages: 3, maxBytes: 1000 });
    assert.deepEqual(
      [0, 1, 2, 3].map((i) => byCount.push(message(i), 10)),
      [true, true, true, false],
    );
    const byBytes = new PeerQueue({ maxMessages: 100, maxBytes: 25 });
    assert.deepEqual(
      [0, 1, 2].map((i) => byBytes.push(message(i), 10)),
      [true, true, false],
    );
    assert.deepEqual(
      byBytes.take(1000).map((m) => m.index),
      [0, 1],
    );
    assert.equal(byBytes.bytes, 0);
  });

  it('takes batches in order within a byte budget, at least one message each', () => {
    const queue = new PeerQueue({ maxMessages: 100, maxBytes: 10_000 });
    for (let i = 0; i < 10; i++) queue.push(message(i), i === 4 ? 500 : 10);
    assert.deepEqual(
      queue.take(35).map((m) => m.index),
      [0, 1, 2],
    );
    assert.deepEqual(
      queue.take(35).map((m) => m.index),
      [3],
    );
    assert.deepEqual(
      queue.take(35).map((m) => m.index),
      [4],
      'a message larger than the budget still goes, alone',
    );
    assert.equal(queue.length, 5);
    assert.equal(queue.clear(), 5);
    assert.equal(queue.length, 0);
  });
});
