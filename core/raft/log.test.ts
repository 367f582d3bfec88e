// The raft log: storage plus the unstable tail, and the invariants it enforces.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftLog } from './log.ts';
import { MemoryStorage } from './storage.ts';
import type { Entry } from './types.ts';

function entry(index: number, term: number, data = ''): Entry {
  return { index, term, type: 'normal', data: new TextEncoder().encode(data) };
}

/** A log whose storage holds entries 1..stored and whose unstable tail holds the rest of `terms`. */
function logWith(terms: number[], stored: number): RaftLog {
  const storage = MemoryStorage.bootstrap(['a']);
  storage.append(terms.slice(0, stored).map((term, i) => entry(i + 1, term)));
  const log = new RaftLog(storage, 0);
  log.append(terms.slice(stored).map((term, i) => entry(stored + i + 1, term)));
  return log;
}

function termsOf(log: RaftLog): number[] {
  const terms: number[] = [];
  for (let i = log.firstIndex(); i <= log.lastIndex(); i++) terms.push(log.term(i)!);
  return terms;
}

describe('raft log', () => {
  it('reads terms and entries across storage and the unstable tail', () => {
    const log = logWith([1, 1, 2, 3, 3], 2);
    assert.deepEqual(termsOf(log), [1, 1, 2, 3, 3]);
    assert.equal(log.term(0), 0);
    assert.equal(log.term(6), undefined);
    assert.deepEqual(
      log.slice(1, 6, Number.POSITIVE_INFINITY)?.map((e) => e.index),
      [1, 2, 3, 4, 5],
    );
  });

  it('limits slices by bytes but always returns at least one entry', () => {
    const storage = MemoryStorage.bootstrap(['a']);
    storage.append([entry(1, 1, 'x'.repeat(100)), entry(2, 1, 'y'.repeat(100))]);
    const log = new RaftLog(storage, 0);
    log.append([entry(3, 1, 'z'.repeat(100))]);
    assert.equal(log.slice(1, 4, 0)?.length, 1);
    assert.equal(log.slice(1, 4, 232)?.length, 2, 'two entries of 100 bytes plus 16 overhead each');
    assert.equal(log.slice(2, 4, 232)?.length, 2, 'the page spans storage and the unstable tail');
    assert.equal(log.slice(1, 4, 1000)?.length, 3);
  });

  it('maybeAppend accepts entries that follow a matching position and replaces a conflicting suffix', () => {
    const log = logWith([1, 1, 2, 2], 4);
    assert.equal(log.maybeAppend(2, 2, 0, [entry(3, 3)]), undefined, 'no entry 2 of term 2: refused');
    assert.equal(log.maybeAppend(2, 1, 3, [entry(3, 3), entry(4, 3), entry(5, 3)]), 5);
    assert.deepEqual(termsOf(log), [1, 1, 3, 3, 3]);
    assert.equal(log.committed, 3, 'commit follows the leader, bounded by the entries received');
    assert.equal(log.maybeAppend(1, 1, 1, [entry(2, 1)]), 2, 'entries we already hold change nothing');
    assert.deepEqual(termsOf(log), [1, 1, 3, 3, 3]);
  });

  it('never replaces a committed entry and never commits beyond its last index', () => {
    const log = logWith([1, 1, 2], 3);
    log.commitTo(2);
    assert.throws(
      () => log.maybeAppend(1, 1, 0, [entry(2, 5)]),
      /raft invariant: entry 2 conflicts with the committed log/,
    );
    assert.throws(() => log.commitTo(4), /raft invariant: commit 4 is beyond the last index 3/);
    log.commitTo(1);
    assert.equal(log.committed, 2, 'commit never goes back');
    assert.throws(() => log.appliedTo(3), /raft invariant: applied 3/);
  });

  it('findConflictByTerm skips back over a whole term', () => {
    const log = logWith([1, 1, 1, 4, 4, 5, 5, 6], 8);
    assert.deepEqual(log.findConflictByTerm(8, 5), { index: 7, term: 5 });
    assert.deepEqual(log.findConflictByTerm(8, 3), { index: 3, term: 1 });
    assert.deepEqual(log.findConflictByTerm(8, 0), { index: 0, term: 0 });
  });

  it('commits by counting only entries of the current term', () => {
    const log = logWith([1, 2, 2], 3);
    assert.equal(log.maybeCommit(2, 3, false), false);
    assert.equal(log.maybeCommit(2, 2, false), true);
    assert.equal(log.maybeCommit(3, 3, true), true, 'unless a test switches the rule off');
  });

  it('the unstable tail becomes stable only up to an entry that still has the persisted term', () => {
    const log = logWith([1, 1, 1], 0);
    log.unstable.acceptInProgress();
    // A new leader replaces entry 3 while entries 1..3 are being written.
    log.append([entry(3, 2)]);
    log.stableTo(3, 1);
    assert.equal(log.unstable.offset, 1, 'entry 3 of term 1 is gone: nothing is stable yet');
    assert.deepEqual(
      log.unstable.nextEntries().map((e) => [e.index, e.term]),
      [[3, 2]],
      'the replacement goes out in the next Ready',
    );
    log.stableTo(2, 1);
    assert.equal(log.unstable.offset, 3);
  });
});
