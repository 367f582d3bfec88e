import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Random } from '../../core/raft/types.ts';
import { createRandom } from '../../core/random.ts';
import { ReconnectBackoff } from './backoff.ts';

/** Always the largest value allowed, so each delay shows its ceiling. */
const highest: Random = { int: (maxExclusive) => maxExclusive - 1 };

describe('ReconnectBackoff', () => {
  it('doubles its ceiling from 50 ms up to 2 s, and starts over after a success', () => {
    const backoff = new ReconnectBackoff({ initialMs: 50, maxMs: 2000 }, highest);
    const delays = Array.from({ length: 8 }, () => backoff.next());
    assert.deepEqual(delays, [50, 100, 200, 400, 800, 1600, 2000, 2000]);
    backoff.reset();
    assert.equal(backoff.next(), 50);
  });

  it('jitters every delay uniformly within [0, ceiling]', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 40 }), (seed, attempts) => {
        const backoff = new ReconnectBackoff({ initialMs: 50, maxMs: 2000 }, createRandom(seed));
        for (let attempt = 0; attempt < attempts; attempt++) {
          const delay = backoff.next();
          assert.ok(Number.isInteger(delay) && delay >= 0 && delay <= Math.min(2000, 50 * 2 ** attempt));
        }
      }),
    );
    const backoff = new ReconnectBackoff({ initialMs: 50, maxMs: 2000 }, createRandom(1));
    const spread = new Set(Array.from({ length: 50 }, () => backoff.next()));
    assert.ok(spread.size > 10, 'delays differ from one another');
  });

  it('refuses nonsensical bounds', () => {
    assert.throws(
      () => new ReconnectBackoff({ initialMs: 0, maxMs: 10 }, highest),
      /1 <= initialMs <= maxMs/,
    );
    assert.throws(
      () => new ReconnectBackoff({ initialMs: 100, maxMs: 10 }, highest),
      /1 <= initialMs <= maxMs/,
    );
  });
});
