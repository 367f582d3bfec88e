import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as z from 'zod';
import { memoryStorage } from './cache.ts';
import type { ClientError } from './errors.ts';
import { FakeTransport, kv, ManualClock, refused, sequence, settle } from './fakes.test.ts';
import { LIST_PAGE_KEYS, Replica } from './replica.ts';
import { type SchemaMap, TypedValues } from './schema.ts';
import type { BootstrapPayload, CacheStorage, ChangeSet, KeyValue } from './types.ts';

function start(options: { schema?: SchemaMap; storage?: CacheStorage; bootstrap?: BootstrapPayload } = {}) {
  const transport = new FakeTransport();
  const clock = new ManualClock();
  const errors: ClientError[] = [];
  const storage = options.storage ?? memoryStorage();
  const replica = new Replica('f/', {
    transport,
    values: new TypedValues(options.schema),
    storage,
    bootstrap: options.bootstrap,
    reportError: (error) => errors.push(error),
    clock,
    random: sequence(0.5),
  });
  const changes: ChangeSet[] = [];
  replica.subscribe('f/', (change) => changes.push(change));
  return { transport, clock, errors, storage, replica, changes };
}

const put = (kv: KeyValue) => ({ type: 'put' as const, kv });
const del = (key: string, revision: number) => ({
  type: 'delete' as const,
  kv: { ...kv(key, '', revision), version: 0 },
});

describe('Replica', () => {
  it('lists the prefix, then watches from the revision after the list; reads are synchronous once ready', async () => {
    const { transport, replica } = start();
    await settle();
    assert.equal(replica.isReady, false);
    const asked = transport.answerList([kv('f/a', 'A', 3), kv('f/b', 'B', 4)], 5);
    assert.deepStrictEqual(asked, { key: 'f/', prefix: true, limit: LIST_PAGE_KEYS });
    await replica.ready;
    assert.equal(replica.isReady, true);
    assert.equal(replica.revision, 5);
    assert.equal(replica.stale, false);
    assert.equal(replica.get('f/a'), 'A');
    assert.equal(replica.getKv('f/b')?.modRevision, 4);
    assert.deepStrictEqual([...replica.entries().keys()], ['f/a', 'f/b']);
    assert.deepStrictEqual(transport.openWatch.spec, { key: 'f/', prefix: true, startRevision: 6 });
  });

  it('emits one typed ChangeSet per revision, a txn as one, to the subscribers of the keys it touches', async () => {
    const { transport, replica, changes } = start({ schema: { 'f/': z.number() } });
    await settle();
    transport.answerList([kv('f/a', '1', 3)], 5);
    await replica.ready;
    const onlyB: ChangeSet[] = [];
    replica.subscribe('f/b', (change) => onlyB.push(change));
    const { listener } = transport.openWatch;
    listener.onEvents({ revision: 6, events: [put(kv('f/a', '2', 6, 3))] });
    listener.onEvents({ revision: 7, events: [put(kv('f/b', '10', 7)), del('f/a', 7)] });
    assert.deepStrictEqual(changes, [
      { revision: 6, changes: [{ key: 'f/a', type: 'put', value: 2, prevValue: 1 }] },
      {
        revision: 7,
        changes: [
          { key: 'f/b', type: 'put', value: 10 },
          { key: 'f/a', type: 'delete', prevValue: 2 },
        ],
      },
    ]);
    assert.deepStrictEqual(onlyB, [{ revision: 7, changes: [{ key: 'f/b', type: 'put', value: 10 }] }]);
    assert.equal(replica.revision, 7);
    assert.equal(replica.get('f/a'), undefined);
  });

  it('reports a value that fails its schema with key, revision and issues, and keeps the last valid one', async () => {
    const { transport, replica, changes, errors } = start({
      schema: { 'f/limit': z.number().int().max(100) },
    });
    await settle();
    transport.answerList([kv('f/limit', '50', 3)], 3);
    await replica.ready;
    transport.openWatch.listener.onEvents({ revision: 4, events: [put(kv('f/limit', '500', 4, 3))] });
    transport.openWatch.listener.onEvents({ revision: 5, events: [put(kv('f/limit', 'fifty', 5, 3))] });
    assert.equal(replica.get('f/limit'), 50);
    assert.equal(replica.getKv('f/limit')?.value, 'fifty');
    assert.deepStrictEqual(changes, []);
    assert.deepStrictEqual(
      errors.map((e) => e.code === 'schemaMismatch' && [e.key, e.revision, e.issues.length > 0]),
      [
        ['f/limit', 4, true],
        ['f/limit', 5, true],
      ],
    );
    assert.match(errors[1]!.message, /not JSON/);
    transport.openWatch.listener.onEvents({ revision: 6, events: [put(kv('f/limit', '75', 6, 3))] });
    assert.deepStrictEqual(changes, [
      { revision: 6, changes: [{ key: 'f/limit', type: 'put', value: 75, prevValue: 50 }] },
    ]);
  });

  it('lists again after a compaction and emits exactly the difference as one ChangeSet', async () => {
    const { transport, replica, changes } = start();
    await settle();
    transport.answerList([kv('f/a', '1', 3), kv('f/b', '2', 4), kv('f/c', '3', 5)], 5);
    await replica.ready;
    transport.openWatch.listener.onCompacted(8);
    await settle();
    assert.equal(replica.stale, true);
    const asked = transport.answerList([kv('f/a', '1', 3), kv('f/b', '22', 9, 4), kv('f/d', '4', 8)], 10);
    assert.equal(asked.minRevision, 5, 'a member behind the replica may not answer');
    await settle();
    assert.deepStrictEqual(changes, [
      {
        revision: 10,
        changes: [
          { key: 'f/c', type: 'delete', prevValue: '3' },
          { key: 'f/b', type: 'put', value: '22', prevValue: '2' },
          { key: 'f/d', type: 'put', value: '4' },
        ],
      },
    ]);
    assert.equal(replica.revision, 10);
    assert.equal(replica.stale, false);
    assert.equal(transport.openWatch.spec.startRevision, 11);
  });

  it('never goes back: a list behind its revision is refused and tried again, older events are dropped', async () => {
    const { transport, clock, replica, changes, errors } = start();
    await settle();
    transport.answerList([kv('f/a', '1', 7)], 9);
    await replica.ready;
    transport.openWatch.listener.onEvents({ revision: 9, events: [put(kv('f/a', 'old', 9))] });
    transport.openWatch.listener.onCompacted(12);
    await settle();
    transport.answerList([], 4);
    await settle();
    assert.match(errors[0]?.message ?? '', /behind this replica's 9/);
    assert.equal(replica.revision, 9);
    assert.equal(replica.get('f/a'), '1');
    // Tried again after a jittered backoff (0.5 * 200 ms).
    await clock.advance(100);
    transport.answerList([kv('f/a', '2', 13)], 14);
    await settle();
    assert.deepStrictEqual(
      changes.map((c) => c.revision),
      [14],
    );
    assert.equal(replica.get('f/a'), '2');
  });

  it('starts from the cache, marked stale, resumes from its revision, and is confirmed once caught up past it', async () => {
    const storage = memoryStorage();
    await storage.set({ prefix: 'f/', revision: 20, kvs: [kv('f/a', 'cached', 18)] });
    const { transport, replica, changes } = start({ storage });
    await replica.ready;
    assert.equal(transport.requests.length, 0, 'no list: the cache is the start');
    assert.equal(replica.get('f/a'), 'cached');
    assert.equal(replica.stale, true);
    assert.equal(transport.openWatch.spec.startRevision, 21);
    transport.openWatch.listener.onProgress?.(17);
    assert.equal(replica.stale, true, 'a member behind the cache confirms nothing');
    transport.openWatch.listener.onEvents({ revision: 22, events: [put(kv('f/a', 'new', 22, 18))] });
    transport.openWatch.listener.onProgress?.(25);
    assert.equal(replica.stale, false);
    assert.equal(replica.revision, 25);
    assert.deepStrictEqual(changes, [
      { revision: 22, changes: [{ key: 'f/a', type: 'put', value: 'new', prevValue: 'cached' }] },
    ]);
    await settle();
    const record = await storage.get('f/');
    assert.equal(record?.revision, 25);
    assert.deepStrictEqual(
      record?.kvs.map((k) => k.value),
      ['new'],
    );
  });

  it('starts from a bootstrap payload newer than the cache', async () => {
    const storage = memoryStorage();
    await storage.set({ prefix: 'f/', revision: 20, kvs: [kv('f/a', 'cached', 18)] });
    const bootstrap = { prefix: 'f/', revision: 30, kvs: [kv('f/a', 'rendered', 29)] };
    const { transport, replica } = start({ storage, bootstrap });
    await replica.ready;
    assert.equal(replica.get('f/a'), 'rendered');
    assert.equal(transport.openWatch.spec.startRevision, 31);
  });

  it('lists a large prefix in pages, all at the revision of the first', async () => {
    const { transport, replica } = start();
    await settle();
    transport.answerList([kv('f/a', '1', 2), kv('f/b', '2', 3)], 40, true);
    await settle();
    const next = transport.answerList([kv('f/c', '3', 4)], 41);
    assert.deepStrictEqual(next, { key: 'f/b\0', rangeEnd: 'f0', limit: LIST_PAGE_KEYS, revision: 40 });
    await replica.ready;
    assert.equal(replica.revision, 40);
    assert.deepStrictEqual([...replica.entries().keys()], ['f/a', 'f/b', 'f/c']);
  });

  it('lists again when its watch is refused, reporting why', async () => {
    const { transport, replica, errors } = start();
    await settle();
    transport.answerList([], 3);
    await replica.ready;
    transport.openWatch.listener.onError(refused('unavailable', 'member stopping'));
    await settle();
    assert.equal(errors[0]?.message, 'member stopping');
    transport.answerList([], 3);
    await settle();
    assert.equal(transport.openWatch.spec.startRevision, 4);
  });

  it('stops when its list is refused for its credentials: ready rejects with the error, no list again', async () => {
    const { transport, clock, replica, errors } = start();
    await settle();
    transport.next('range').reject(refused('unauthenticated', 'the token expired'));
    await assert.rejects(replica.ready, { code: 'unauthenticated' });
    assert.deepStrictEqual(
      errors.map((error) => error.code),
      ['unauthenticated'],
    );
    await clock.advance(60_000);
    assert.equal(transport.requests.length, 0);
  });

  it('keeps its state, marked stale, when its watch ends for its credentials, and does not list again', async () => {
    const { transport, clock, replica, errors } = start();
    await settle();
    transport.answerList([kv('f/a', '1', 2)], 3);
    await replica.ready;
    transport.openWatch.listener.onError(refused('permissionDenied', "'web' may not read 'f/'"));
    await clock.advance(60_000);
    assert.equal(transport.requests.length, 0);
    assert.deepStrictEqual(
      errors.map((error) => error.code),
      ['permissionDenied'],
    );
    assert.equal(replica.get('f/a'), '1');
    assert.equal(replica.stale, true);
  });

  it('close() ends the watch; ready rejects with closed if it was not ready yet', async () => {
    const first = start();
    await settle();
    first.transport.answerList([], 3);
    await first.replica.ready;
    first.replica.close();
    assert.equal(first.transport.watches[0]?.closed, true);
    const second = start();
    second.replica.close();
    await assert.rejects(second.replica.ready, { code: 'closed' });
  });
});
