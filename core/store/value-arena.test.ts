// How the store holds value bytes: its own copies in shared slabs, moved to fresh slabs once the
// slabs hold mostly garbage, restored as views of a snapshot's bytes, and shared with the snapshot a
// member keeps for its peers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../random.ts';
import { BinaryReader, BinaryWriter } from './binary.ts';
import { selectorRange } from './keys.ts';
import { Mvcc } from './mvcc.ts';
import { KvStore } from './store.ts';
import type { CommandEnvelope, KeyValue, TxnResponse } from './types.ts';
import { MAX_SLAB_BYTES, MAX_SLAB_VALUE_BYTES } from './value-arena.ts';

const filled = (length: number, seed: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (seed * 31 + i) & 0xff);

const put = (key: string, value: Uint8Array): CommandEnvelope => ({
  command: { op: 'put', request: { key, value } },
});

function read(store: KvStore, key: string, revision?: number): KeyValue | undefined {
  const response = store.range(revision === undefined ? { key } : { key, revision });
  if ('code' in response) throw new Error(response.message);
  return response.kvs[0];
}

describe('value arena', () => {
  it('keeps its own copy of a value: changing the caller bytes afterwards changes nothing', () => {
    const store = new KvStore();
    const value = filled(100, 1);
    store.apply(1, put('k', value));
    value.fill(0);
    assert.deepEqual(read(store, 'k')?.value, filled(100, 1));
  });

  it('moves live values to fresh slabs once garbage dominates; every retained version still reads as written', () => {
    const seed = 7;
    const random = createRandom(seed);
    const mvcc = new Mvcc();
    const written = new Map<string, Uint8Array>();
    const sizes = [0, 1, 300, 4000, MAX_SLAB_VALUE_BYTES, MAX_SLAB_VALUE_BYTES + 1];
    let maxHeld = 0;
    for (let round = 0; round < 40; round++) {
      mvcc.beginWrite();
      for (let k = 0; k < 50; k++) {
        const key = `key/${k}`;
        const existing = mvcc.get(key, undefined);
        // Some puts keep the value of the version before, as a put with ignoreValue does.
        const value =
          existing !== undefined && random.int(4) === 0
            ? existing.value
            : mvcc.values.store(filled(sizes[random.int(sizes.length)]!, round * 50 + k));
        mvcc.put(key, value, 0);
        written.set(`${key}@${mvcc.revision + 1}`, value.slice());
      }
      mvcc.endWrite();
      if (round >= 2) mvcc.compact(mvcc.revision - 1);
      maxHeld = Math.max(maxHeld, mvcc.values.heldBytes);
      assert.ok(
        mvcc.values.heldBytes <= 2 * mvcc.valueBytes + MAX_SLAB_BYTES,
        `seed ${seed}, round ${round}: the arena holds ${mvcc.values.heldBytes} bytes for ${mvcc.valueBytes} live`,
      );
    }
    for (const revision of [mvcc.revision - 1, mvcc.revision]) {
      for (const kv of mvcc.range(selectorRange('key/', 'key0'), revision, 0, false).kvs) {
        assert.deepEqual(kv.value, written.get(`${kv.key}@${kv.modRevision}`), `seed ${seed}: ${kv.key}`);
      }
    }
    assert.ok(maxHeld > 0);
  });

  it('restores values as views of the snapshot bytes, not copies', () => {
    const store = new KvStore();
    for (let i = 0; i < 20; i++) store.apply(i + 1, put(`k${i}`, filled(64, i)));
    const bytes = store.snapshot();
    const restored = KvStore.restore(bytes);
    assert.ok(restored instanceof KvStore);
    const kv = read(restored, 'k3')!;
    assert.ok(kv.value.buffer === bytes.buffer, 'a view of the snapshot bytes');
    assert.deepEqual(kv.value, filled(64, 3));
  });

  it('frames a snapshot after a prefix, and shares its values with those bytes', () => {
    const store = new KvStore();
    for (let i = 0; i < 20; i++) store.apply(i + 1, put(`k${i % 10}`, filled(50 + i, i)));
    store.apply(21, { command: { op: 'deleteRange', request: { key: 'k9' } } });
    const hash = store.hash();
    const plain = store.snapshot();
    const prefix = new Uint8Array([9, 8, 7]);
    const framed = store.snapshot({ prefix, shareValues: true });
    assert.deepEqual(framed.subarray(0, 3), prefix);
    assert.deepEqual(framed.subarray(3), plain);
    assert.ok(read(store, 'k4')!.value.buffer === framed.buffer, 'a view of the snapshot bytes');
    assert.deepEqual(read(store, 'k4')!.value, filled(64, 14));
    assert.deepEqual(read(store, 'k4', 5)!.value, filled(54, 4), 'an older version too');
    assert.equal(store.hash(), hash);
    assert.deepEqual(store.snapshot(), plain);
    // New writes go to the arena again, and the state goes on as before.
    store.apply(22, put('k4', filled(10, 99)));
    assert.deepEqual(read(store, 'k4')!.value, filled(10, 99));
    assert.deepEqual(read(store, 'k5')!.value, filled(65, 15));
    assert.equal(read(store, 'k9'), undefined);
  });

  it('leaves large values shared with the snapshot where they are while they are live', () => {
    const store = new KvStore();
    for (let i = 0; i < 10; i++) store.apply(i + 1, put(`big${i}`, filled(100_000, i)));
    const shared = store.snapshot({ shareValues: true });
    store.apply(11, put('small', filled(10, 1)));
    store.apply(12, { command: { op: 'compact', request: { revision: 11 } } });
    assert.ok(read(store, 'big3')!.value.buffer === shared.buffer, 'not copied out by compaction');
    // Once most of it is garbage, what is left moves out of the snapshot's bytes.
    for (let i = 0; i < 9; i++)
      store.apply(13 + i, { command: { op: 'deleteRange', request: { key: `big${i}` } } });
    assert.equal(store.revision, 20);
    store.apply(22, { command: { op: 'compact', request: { revision: 20 } } });
    assert.ok(read(store, 'big9')!.value.buffer !== shared.buffer, 'moved out');
    assert.deepEqual(read(store, 'big9')!.value, filled(100_000, 9));
  });

  it('answers the puts of a txn with one shared response, which a retry after a restore gets again', () => {
    const store = new KvStore();
    const txn: CommandEnvelope = {
      requestId: 'load-1',
      command: {
        op: 'txn',
        request: {
          compare: [],
          success: Array.from({ length: 100 }, (_, i) => ({ put: { key: `k${i}`, value: filled(8, i) } })),
          failure: [],
        },
      },
    };
    const response = store.apply(1, txn) as TxnResponse;
    assert.equal(response.responses.length, 100);
    assert.equal(response.responses[0], response.responses[99]);
    assert.deepEqual(response.responses[99], { put: { revision: 1 } });
    const restored = KvStore.restore(store.snapshot());
    assert.ok(restored instanceof KvStore);
    const retried = restored.apply(2, txn) as TxnResponse;
    assert.deepEqual(retried, response);
    assert.equal(retried.responses[0], retried.responses[99], 'decoded alike, shared again');
  });
});

describe('snapshot data decoding', () => {
  it('shares an array item that repeats the one before it, and only then', () => {
    const w = new BinaryWriter();
    w.data([
      { put: { revision: 5 } },
      { put: { revision: 5 } },
      { put: { revision: 6 } },
      'x',
      'x',
      [1],
      [1],
    ]);
    const decoded = new BinaryReader(w.finish()).data() as unknown[];
    assert.deepEqual(decoded, [
      { put: { revision: 5 } },
      { put: { revision: 5 } },
      { put: { revision: 6 } },
      'x',
      'x',
      [1],
      [1],
    ]);
    assert.equal(decoded[0], decoded[1]);
    assert.notEqual(decoded[1], decoded[2]);
    assert.equal(decoded[5], decoded[6]);
  });
});
