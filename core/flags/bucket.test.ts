// Bucketing as rollouts rely on it: the documented formula, an even spread over keys (sequential
// ones too), shares that land where the weights say, flags that do not move together, and
// percentages that only ever add contexts to a variation as they grow.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRandom } from '../random.ts';
import { flag, onOffRollout } from './arbitraries.test.ts';
import { BUCKET_COUNT, bucketOf, variationForBucket } from './bucket.ts';
import { evaluateFlag } from './evaluate.ts';

const SEED = 0x5eed_f1a6;

/** The formula of VECTORS.md, on node:crypto. */
function referenceBucket(flagKey: string, salt: string, value: string): number {
  const digest = createHash('sha256').update(`${flagKey}.${salt}.${value}`, 'utf8').digest();
  return Math.floor((digest.readUInt32BE(0) * 100_000) / 2 ** 32);
}

/** Pearson's chi-square of bucket counts over `bins` equal ranges. */
function chiSquare(buckets: readonly number[], bins: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (const bucket of buckets) counts[Math.floor((bucket * bins) / BUCKET_COUNT)]!++;
  const expected = buckets.length / bins;
  return counts.reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
}

// The chi-square distribution with 99 degrees of freedom exceeds 148.23 with probability 0.001.
const CHI_SQUARE_99_P001 = 148.23;

describe('bucketOf', () => {
  it("is SHA-256 of flagKey + '.' + salt + '.' + value, first 4 bytes, scaled to [0, 100000) (property)", () => {
    // Any UTF-16 code units, lone surrogates included (both sides encode those as U+FFFD).
    const anyText = fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)),
    });
    fc.assert(
      fc.property(
        fc.string(),
        fc.string(),
        fc.oneof(anyText, fc.string({ unit: 'grapheme' })),
        (flagKey, salt, value) => {
          const bucket = bucketOf(flagKey, salt, value);
          assert.ok(Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKET_COUNT);
          assert.equal(bucket, referenceBucket(flagKey, salt, value));
        },
      ),
    );
  });

  it('spreads random keys evenly (chi-square, 100 bins, p = 0.001)', () => {
    const random = createRandom(SEED);
    for (const [flagKey, salt] of [
      ['checkout', ''],
      ['dark-mode', 'x7'],
      ['search.v2', 'salt'],
    ] as const) {
      const buckets = Array.from({ length: 10_000 }, () =>
        bucketOf(flagKey, salt, `user-${random.uint32().toString(16)}`),
      );
      const statistic = chiSquare(buckets, 100);
      assert.ok(
        statistic < CHI_SQUARE_99_P001,
        `chi-square ${statistic.toFixed(1)} for ${flagKey} (seed ${SEED})`,
      );
    }
  });

  it('spreads sequential keys evenly, as databases hand them out', () => {
    const buckets = Array.from({ length: 10_000 }, (_, i) => bucketOf('checkout', 'abc', String(i + 1)));
    const statistic = chiSquare(buckets, 100);
    assert.ok(statistic < CHI_SQUARE_99_P001, `chi-square ${statistic.toFixed(1)}`);
  });

  it('gives each variation its share of contexts', () => {
    const random = createRandom(SEED + 1);
    const rolled = flag({
      variations: [
        { id: 'a', value: 'a' },
        { id: 'b', value: 'b' },
        { id: 'c', value: 'c' },
      ],
      offVariation: 'a',
      fallthrough: {
        rollout: {
          variations: [
            { variation: 'a', weight: 10_000 },
            { variation: 'b', weight: 25_000 },
            { variation: 'c', weight: 65_000 },
          ],
        },
      },
    });
    const served = new Map<string, number>();
    const total = 10_000;
    for (let i = 0; i < total; i++) {
      const id = evaluateFlag(rolled, { key: `ctx-${random.uint32()}` }).variationId ?? 'none';
      served.set(id, (served.get(id) ?? 0) + 1);
    }
    for (const [id, share] of [
      ['a', 0.1],
      ['b', 0.25],
      ['c', 0.65],
    ] as const) {
      const fraction = (served.get(id) ?? 0) / total;
      assert.ok(
        Math.abs(fraction - share) < 0.015,
        `${id}: ${fraction} of contexts, expected ${share} (seed ${SEED + 1})`,
      );
    }
  });

  it('does not correlate two flags: a 50% rollout of each overlaps on about a quarter', () => {
    const total = 10_000;
    let both = 0;
    for (let i = 0; i < total; i++) {
      const key = `user-${i}`;
      if (bucketOf('flag-a', '', key) < 50_000 && bucketOf('flag-b', '', key) < 50_000) both++;
    }
    assert.ok(Math.abs(both / total - 0.25) < 0.015, `${both} of ${total} in both`);
  });
});

describe('rollout ranges', () => {
  it('are consecutive in the listed order, zero weights taking nothing', () => {
    const rollout = {
      variations: [
        { variation: 'a', weight: 0 },
        { variation: 'b', weight: 30_000 },
        { variation: 'c', weight: 0 },
        { variation: 'd', weight: 70_000 },
      ],
    };
    assert.equal(variationForBucket(rollout, 0), 'b');
    assert.equal(variationForBucket(rollout, 29_999), 'b');
    assert.equal(variationForBucket(rollout, 30_000), 'd');
    assert.equal(variationForBucket(rollout, 99_999), 'd');
  });

  it('raising a rollout from p to q only moves contexts into it (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: BUCKET_COUNT }),
        fc.integer({ min: 0, max: BUCKET_COUNT }),
        fc.string({ minLength: 1 }),
        fc.option(fc.oneof(fc.string({ minLength: 1 }), fc.integer()), { nil: undefined }),
        (a, b, key, orgId) => {
          const [p, q] = a <= b ? [a, b] : [b, a];
          const context = orgId === undefined ? { key } : { key, orgId };
          const at = (percent: number) =>
            evaluateFlag(flag({ fallthrough: onOffRollout(percent, 'orgId') }), context).variationId;
          if (at(p) === 'on') assert.equal(at(q), 'on', `on at ${p} stays on at ${q}`);
          if (at(q) === 'off') assert.equal(at(p), 'off', `off at ${q} was off at ${p}`);
        },
      ),
    );
  });
});
