import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KeyIndex } from './key-index.ts';
import { KeyRecord, makeKeyValue } from './key-record.ts';
import { type SortKeyRange, selectorRange, sortKey } from './keys.ts';

function keysIn(index: KeyIndex, range: SortKeyRange): string[] {
  const keys: string[] = [];
  const cursor = index.cursor(range);
  for (let r = cursor.next(); r !== undefined; r = cursor.next()) keys.push(r.key);
  return keys;
}

function record(key: string): KeyRecord {
  return new KeyRecord(key, sortKey(key), key.length, makeKeyValue(key, new Uint8Array(0), 1, 1, 1, 0));
}

describe('KeyIndex', () => {
  it('keeps keys in order through inserts and removes that split and merge chunks', () => {
    const op = fc.oneof(
      fc.integer({ min: 0, max: 3000 }).map((n) => ({ insert: true, key: `k${n}` })),
      fc.integer({ min: 0, max: 3000 }).map((n) => ({ insert: false, key: `k${n}` })),
    );
    fc.assert(
      fc.property(
        fc.array(op, { minLength: 500, maxLength: 3000 }),
        fc.integer({ min: 0, max: 3000 }),
        (ops, from) => {
          const index = new KeyIndex();
          const present = new Set<string>();
          for (const { insert, key } of ops) {
            const existing = index.get(key);
            if (insert && existing === undefined) {
              index.insert(record(key));
              present.add(key);
            } else if (!insert && existing !== undefined) {
              index.remove(existing);
              present.delete(key);
            }
          }
          const sorted = [...present].sort();
          const all: string[] = [];
          index.forEach((r) => {
            all.push(r.key);
          });
          assert.deepEqual(all, sorted);
          assert.equal(index.size, sorted.length);
          const low = `k${from}`;
          const high = `k${from + 700}`;
          const inRange = keysIn(index, selectorRange(low, high));
          assert.deepEqual(
            inRange,
            sorted.filter((k) => k >= low && k < high),
          );
        },
      ),
      { numRuns: 30 },
    );
  });

  it('finds a single key and refuses misuse', () => {
    const index = new KeyIndex();
    for (const key of ['a', 'b', 'c']) index.insert(record(key));
    assert.deepEqual(keysIn(index, selectorRange('b', undefined)), ['b']);
    assert.deepEqual(keysIn(index, selectorRange('c', 'a')), [], 'an inverted range is empty');
    assert.deepEqual(keysIn(index, selectorRange('d', '\0')), [], 'past the last key');
    assert.throws(() => index.insert(record('a')), /already holds/);
    assert.throws(() => index.appendInOrder(record('b')), /out of order/);
  });
});
