import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Inflights } from './inflights.ts';

describe('inflights', () => {
  it('is full at its message capacity, and frees by acknowledged index', () => {
    const inflights = new Inflights(10, 0);
    for (let i = 1; i <= 10; i++) inflights.add(i * 2, 1);
    assert.equal(inflights.full(), true);
    assert.throws(() => inflights.add(30, 1), /raft invariant: cannot add to full inflights/);
    inflights.freeLE(7);
    assert.equal(inflights.count, 7, 'messages ending at 2, 4, 6 are acknowledged');
    assert.equal(inflights.full(), false);
    for (let i = 11; i <= 13; i++) inflights.add(i * 2, 1);
    assert.equal(inflights.full(), true, 'the ring wraps around');
    inflights.freeLE(100);
    assert.equal(inflights.count, 0);
  });

  it('is full once its byte budget is reached', () => {
    const inflights = new Inflights(100, 250);
    inflights.add(1, 100);
    inflights.add(2, 100);
    assert.equal(inflights.full(), false);
    inflights.add(3, 100);
    assert.equal(inflights.full(), true);
    inflights.freeFirstOne();
    assert.deepEqual([inflights.count, inflights.bytes, inflights.full()], [2, 200, false]);
  });

  it('refuses an index that does not follow the newest one', () => {
    const inflights = new Inflights(4, 0);
    inflights.add(5, 1);
    assert.throws(() => inflights.add(5, 1), /raft invariant/);
  });

  it('a clone is independent', () => {
    const inflights = new Inflights(4, 0);
    inflights.add(1, 10);
    const copy = inflights.clone();
    inflights.freeLE(1);
    assert.deepEqual([copy.count, copy.bytes, inflights.count], [1, 10, 0]);
  });
});
