import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  it('is uniform below min(maxMs, initialMs * 2^attempt): full jitter', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 0, max: 100 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (initialMs, attempt, r) => {
          const maxMs = initialMs * 37;
          const delay = backoffDelay({ initialMs, maxMs }, attempt, () => r);
          const ceiling = Math.min(maxMs, initialMs * 2 ** attempt);
          assert.ok(delay >= 0 && delay < ceiling, `${delay} not in [0, ${ceiling})`);
          assert.equal(delay, Math.floor(r * ceiling));
        },
      ),
    );
  });

  it('refuses a policy that cannot back off', () => {
    assert.throws(() => backoffDelay({ initialMs: 0, maxMs: 10 }, 0, Math.random), /0 < initialMs <= maxMs/);
    assert.throws(() => backoffDelay({ initialMs: 20, maxMs: 10 }, 0, Math.random), /0 < initialMs <= maxMs/);
  });
});
