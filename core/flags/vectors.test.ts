// The published vectors (vectors.json) hold in Node, independently of core/flags' own SHA-256,
// and checkVectors() notices a vector this build disagrees with. The same file is checked under
// Deno (test/deno/flag-vectors_test.ts) and in Chromium.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { checkVectors, type FlagVectors } from './vectors.ts';

const vectors = JSON.parse(readFileSync(new URL('./vectors.json', import.meta.url), 'utf8')) as FlagVectors;

describe('published flag vectors (vectors.json)', () => {
  it('all hold in this build', () => {
    assert.deepEqual(checkVectors(vectors), []);
  });

  it('hold 200+ buckets, each equal to the documented formula on node:crypto', () => {
    assert.ok(vectors.buckets.length >= 200, `${vectors.buckets.length} bucket vectors`);
    for (const { flagKey, salt, contextKey, hashPrefix, bucket } of vectors.buckets) {
      const digest = createHash('sha256').update(`${flagKey}.${salt}.${contextKey}`, 'utf8').digest();
      assert.equal(digest.subarray(0, 4).toString('hex'), hashPrefix);
      assert.equal(Math.floor((digest.readUInt32BE(0) * 100_000) / 2 ** 32), bucket);
    }
  });

  it('cover every reason kind, rollouts and both error kinds a valid document can meet', () => {
    const outcomes = vectors.evaluations.map(
      (vector) => vector.expected as { reason: Record<string, unknown> },
    );
    const kinds = new Set(outcomes.map((outcome) => outcome.reason.kind));
    assert.deepEqual([...kinds].sort(), ['ERROR', 'FALLTHROUGH', 'OFF', 'RULE_MATCH', 'TARGET_MATCH']);
    assert.ok(
      outcomes.some((outcome) => outcome.reason.inRollout === true && outcome.reason.kind === 'RULE_MATCH'),
    );
    assert.ok(outcomes.some((outcome) => outcome.reason.bucketByMissing !== undefined));
    const errors = new Set(
      outcomes.map((outcome) => outcome.reason.errorKind).filter((kind) => kind !== undefined),
    );
    assert.deepEqual([...errors].sort(), ['SEGMENT_NOT_FOUND', 'TARGETING_KEY_MISSING']);
  });

  it('report a vector this build disagrees with, by name', () => {
    const tampered = JSON.parse(JSON.stringify(vectors)) as {
      buckets: { bucket: number }[];
      evaluations: { expected: { variationIndex?: number } }[];
    };
    tampered.buckets[3]!.bucket = (tampered.buckets[3]!.bucket + 1) % 100_000;
    tampered.evaluations[0]!.expected.variationIndex = 5;
    const mismatches = checkVectors(tampered);
    assert.equal(mismatches.length, 2);
    assert.match(mismatches[0]!.vector, /^buckets\[3\] \("checkout"\/""\/"bob@example.com"\)$/);
    assert.match(mismatches[1]!.vector, /^evaluations\[0\] \(off serves the off variation\)$/);
    assert.match(mismatches[1]!.expected, /"variationIndex":5/);
    assert.match(mismatches[1]!.actual, /"variationIndex":0/);
  });

  it('report a file that is not a vectors file', () => {
    assert.deepEqual(checkVectors({ format: 'something-else' }), [
      {
        vector: 'vectors file',
        expected: 'a vane-flag-vectors/1 document',
        actual: 'format: Invalid input: expected "vane-flag-vectors/1"',
      },
    ]);
  });
});
