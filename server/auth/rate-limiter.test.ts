import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TokenRateLimiter } from './rate-limiter.ts';

describe('TokenRateLimiter', () => {
  test('a burst, then one request per refill interval; each token has its own bucket', () => {
    const limiter = new TokenRateLimiter({ perSecond: 10, burst: 3 });
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('a', 0), undefined);
    assert.equal(limiter.take('a', 0), 100, 'the next request is 100 ms away');
    assert.equal(limiter.take('b', 0), undefined, 'another token is not affected');
    assert.equal(limiter.take('a', 50), 50);
    assert.equal(limiter.take('a', 100), undefined);
    assert.equal(limiter.take('a', 100), 100);
    // Idle for a long time: the bucket holds at most the burst.
    for (let i = 0; i < 3; i++) assert.equal(limiter.take('a', 60_000), undefined);
    assert.notEqual(limiter.take('a', 60_000), undefined);
  });

  test('tracks at most maxTracked tokens, forgetting the least recently used (which comes back full)', () => {
    const limiter = new TokenRateLimiter({ perSecond: 1, burst: 1 }, 2);
    limiter.take('a', 0);
    limiter.take('b', 0);
    assert.notEqual(limiter.take('a', 0), undefined, "a's bucket is empty; a is now the most recent");
    limiter.take('c', 0);
    assert.equal(limiter.trackedTokens, 2);
    assert.notEqual(limiter.take('a', 0), undefined, 'a was kept');
    assert.equal(limiter.take('b', 0), undefined, 'b was forgotten, so it starts full');
  });

  test('refuses a limit that admits nothing', () => {
    assert.throws(() => new TokenRateLimiter({ perSecond: 0, burst: 1 }), /perSecond must be > 0/);
  });
});
