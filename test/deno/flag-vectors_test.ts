// The published flag vectors under Deno: the same vectors.json and the same checkVectors() as in
// Node and Chromium, so a bucket never depends on the runtime. Named *_test.ts so that Node's
// runner (which takes *.test.ts) leaves it to `deno test`. Written against node:test and node:fs,
// which Deno provides, so that the repository's Node type-check covers this file too.
// Run: npx deno test --allow-read test/deno/
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { checkVectors, type FlagVectors } from '../../core/flags/index.ts';

const vectors = JSON.parse(
  readFileSync(new URL('../../core/flags/vectors.json', import.meta.url), 'utf8'),
) as FlagVectors;

test('every published flag vector holds under Deno', () => {
  assert.ok(vectors.buckets.length >= 200, `${vectors.buckets.length} bucket vectors`);
  assert.ok(vectors.evaluations.length > 0);
  assert.deepEqual(checkVectors(vectors), []);
});

test('checkVectors under Deno notices a wrong bucket', () => {
  const tampered = JSON.parse(JSON.stringify(vectors)) as { buckets: { bucket: number }[] };
  tampered.buckets[0]!.bucket = (tampered.buckets[0]!.bucket + 1) % 100_000;
  assert.equal(checkVectors(tampered).length, 1);
});
