import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TxnRequest, TxnResult } from '../../client/index.ts';
import { createIfAbsent, deleteIfUnchanged, saveIfUnchanged } from './cas.ts';

/** A one-key store that runs the txns the CAS helpers send, as the server would. */
function oneKeyStore(initial: { value: string; modRevision: number } | null) {
  let kv = initial === null ? null : { key: 'k', ...initial, createRevision: 1, version: 1, lease: 0 };
  let revision = initial?.modRevision ?? 1;
  return {
    get kv() {
      return kv;
    },
    async txn(request: TxnRequest): Promise<TxnResult> {
      const compare = request.compare![0]!;
      const actual = compare.target === 'version' ? (kv?.version ?? 0) : (kv?.modRevision ?? 0);
      const succeeded = actual === compare.value;
      const ops = (succeeded ? request.success : request.failure) ?? [];
      const responses = ops.map((op) => {
        if (op.put !== undefined) {
          revision++;
          kv = {
            key: 'k',
            value: op.put.value ?? '',
            createRevision: kv?.createRevision ?? revision,
            modRevision: revision,
            version: (kv?.version ?? 0) + 1,
            lease: 0,
          };
          return { put: {} };
        }
        if (op.deleteRange !== undefined) {
          revision++;
          kv = null;
          return { deleteRange: { deleted: 1 } };
        }
        return { range: { kvs: kv === null ? [] : [kv], more: false, count: kv === null ? 0 : 1 } };
      });
      return { succeeded, revision, responses };
    },
  };
}

describe('compare-and-swap writes', () => {
  test('a save based on the current revision goes through', async () => {
    const store = oneKeyStore({ value: 'a', modRevision: 5 });
    assert.deepEqual(await saveIfUnchanged(store, 'k', 'b', 5), { ok: true, revision: 6 });
    assert.equal(store.kv?.value, 'b');
  });

  test('the second of two editors who loaded the same revision gets a conflict with the newer value, and changes nothing', async () => {
    const store = oneKeyStore({ value: 'a', modRevision: 5 });
    await saveIfUnchanged(store, 'k', 'first editor', 5);
    const second = await saveIfUnchanged(store, 'k', 'second editor', 5);
    assert.equal(second.ok, false);
    assert.equal(second.ok ? null : second.current?.value, 'first editor');
    assert.equal(store.kv?.value, 'first editor');
  });

  test('a save of a key someone deleted meanwhile reports it deleted', async () => {
    const store = oneKeyStore({ value: 'a', modRevision: 5 });
    await deleteIfUnchanged(store, 'k', 5);
    assert.deepEqual(await saveIfUnchanged(store, 'k', 'b', 5), { ok: false, current: null });
  });

  test('creating a key that already exists is a conflict showing its value', async () => {
    const store = oneKeyStore({ value: 'theirs', modRevision: 3 });
    const outcome = await createIfAbsent(store, 'k', 'mine');
    assert.equal(outcome.ok ? null : outcome.current?.value, 'theirs');
    assert.ok((await createIfAbsent(oneKeyStore(null), 'k', 'mine')).ok);
  });

  test('a delete based on an old revision does not delete', async () => {
    const store = oneKeyStore({ value: 'a', modRevision: 5 });
    await saveIfUnchanged(store, 'k', 'b', 5);
    const outcome = await deleteIfUnchanged(store, 'k', 5);
    assert.equal(outcome.ok, false);
    assert.equal(store.kv?.value, 'b');
  });
});
