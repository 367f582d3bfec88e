import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from './random.ts';

describe('createRandom', () => {
  it('reproduces the same stream from the same seed and differs across seeds', () => {
    const a = createRandom(42);
    const b = createRandom(42);
    const c = createRandom(43);
    const sa = Array.from({ length: 8 }, () => a.uint32());
    const sb = Array.from({ length: 8 }, () => b.uint32());
    const sc = Array.from({ length: 8 }, () => c.uint32());
    assert.deepEqual(sa, sb);
    assert.notDeepEqual(sa, sc);
  });

  it('int(n) stays in range and covers every value', () => {
    const r = createRandom(7);
    const seen = new Set<number>();
    for (let i = 0; i < 1000; i++) {
      const v = r.int(10);
      assert.ok(v >= 0 && v < 10 && Number.isInteger(v));
      seen.add(v);
    }
    assert.equal(seen.size, 10);
  });

  it('refuses an empty range', () => {
    assert.throws(() => createRandom(1).int(0), /max >= 1/);
    assert.throws(() => createRandom(1).pick([]), /empty/);
  });
});
