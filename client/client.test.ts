// The SDK against a real member API (HTTP app, watch sessions, Node adapter) served from this process
// over a single in-process store: the wire, the request messages and the watch resume are real.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import * as z from 'zod';
import { startTestServer, type TestServer } from '../test/client/in-process-server.ts';
import type { ChangeSet, ClientError, ClientStatus } from './index.ts';
import { createClient } from './index.ts';

let server: TestServer;
const clients: { close(): void }[] = [];

function connect<S extends Parameters<typeof createClient>[0]['schema']>(schema?: S) {
  const client = createClient({
    endpoints: [server.url],
    webSocket: WebSocket,
    requestTimeoutMs: 3000,
    ...(schema === undefined ? {} : { schema }),
  });
  clients.push(client);
  return client;
}

/** Resolves when `check` holds, polling the event loop (no fixed sleeps). */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = performance.now() + 5000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('the SDK against a member API in this process', () => {
  before(async () => {
    server = await startTestServer();
  });

  after(async () => {
    for (const client of clients) client.close();
    await server.close();
  });

  it('goes live, then reads, writes, txns and deletes over its one WebSocket', async () => {
    const client = connect();
    const statuses: ClientStatus['state'][] = [];
    client.on('status', (status) => statuses.push(status.state));
    const put = await client.put('kv/a', 'one');
    await client.put('kv/b', 'two');
    assert.equal((await client.get('kv/a'))?.value, 'one');
    assert.equal(await client.get('kv/missing'), null);
    const listed = await client.range({ key: 'kv/', prefix: true });
    assert.deepStrictEqual(
      listed.kvs.map((kv) => [kv.key, kv.value]),
      [
        ['kv/a', 'one'],
        ['kv/b', 'two'],
      ],
    );
    assert.equal(listed.count, 2);
    const txn = await client.txn({
      compare: [{ key: 'kv/a', target: 'modRevision', result: 'equal', value: put.revision }],
      success: [{ put: { key: 'kv/c', value: 'three' } }],
    });
    assert.equal(txn.succeeded, true);
    const deleted = await client.delete({ prefix: 'kv/' }, { prevKv: true });
    assert.equal(deleted.deleted, 3);
    assert.deepStrictEqual(deleted.prevKvs?.map((kv) => kv.value).sort(), ['one', 'three', 'two']);
    await until('a live status', () => client.status.state === 'live');
    assert.equal(client.status.endpoint, server.url);
    assert.ok(client.status.revision >= deleted.revision);
    assert.ok(statuses.includes('live'));
  });

  it("reads ask for at least the revision of this client's last write (read-your-writes)", async () => {
    const client = connect();
    const written = await client.put('ryw/k', 'v');
    await client.get('ryw/k', { serializable: true });
    assert.deepStrictEqual(server.member.lastReadOptions, {
      serializable: true,
      minRevision: written.revision,
    });
  });

  it('ranges by a range end, a limit, keys only and a past revision', async () => {
    const client = connect();
    const first = await client.put('sel/a', 'one');
    await client.put('sel/b', 'two');
    await client.put('sel/c', 'three');
    await client.put('sel/a', 'uno');
    const limited = await client.range({ key: 'sel/a', rangeEnd: 'sel/c', limit: 1 });
    assert.deepStrictEqual(
      limited.kvs.map((kv) => [kv.key, kv.value]),
      [['sel/a', 'uno']],
    );
    assert.equal(limited.more, true);
    assert.equal(limited.count, 2);
    const keysOnly = await client.range({ key: 'sel/', prefix: true, keysOnly: true });
    assert.deepStrictEqual(
      keysOnly.kvs.map((kv) => [kv.key, kv.value]),
      [
        ['sel/a', ''],
        ['sel/b', ''],
        ['sel/c', ''],
      ],
    );
    const past = await client.range({ key: 'sel/a', revision: first.revision });
    assert.equal(past.kvs[0]?.value, 'one');
  });

  it('types schema keys: JSON checked on put and on read; a refused value is not written', async () => {
    const client = connect({
      'ui/theme': z.enum(['light', 'dark']),
      'limits/': z.object({ max: z.number().int() }),
    });
    await client.put('ui/theme', 'dark');
    await client.put('limits/api', { max: 10 });
    assert.equal((await client.get('ui/theme'))?.value, '"dark"');
    const theme: 'light' | 'dark' | undefined = await client.getValue('ui/theme');
    assert.equal(theme, 'dark');
    assert.deepStrictEqual(await client.getValue('limits/api'), { max: 10 });
    await assert.rejects(client.put('limits/api', { max: 1.5 }), { code: 'schemaMismatch' });
    assert.deepStrictEqual(await client.getValue('limits/api'), { max: 10 });
    await fetch(`${server.url}/v1/kv/ui%2Ftheme`, {
      method: 'PUT',
      body: JSON.stringify({ value: '"blue"' }),
    });
    await assert.rejects(client.getValue('ui/theme'), (error: ClientError) => {
      assert.equal(error.code, 'schemaMismatch');
      assert.ok(error.code === 'schemaMismatch' && error.key === 'ui/theme' && error.issues.length > 0);
      return true;
    });
  });

  it('keeps a replica equal to the store, a txn arriving as one ChangeSet', async () => {
    const writer = connect();
    await writer.put('live/a', '1');
    const reader = connect();
    const replica = reader.replica('live/');
    const changes: ChangeSet[] = [];
    replica.subscribe('live/', (change) => changes.push(change));
    await replica.ready;
    assert.equal(replica.get('live/a'), '1');
    const txn = await writer.txn({
      success: [{ put: { key: 'live/b', value: '2' } }, { deleteRange: { key: 'live/a' } }],
    });
    await until('the txn in the replica', () => replica.revision >= txn.revision);
    assert.deepStrictEqual(changes, [
      {
        revision: txn.revision,
        changes: [
          { key: 'live/b', type: 'put', value: '2' },
          { key: 'live/a', type: 'delete', prevValue: '1' },
        ],
      },
    ]);
    assert.deepStrictEqual([...replica.entries().keys()], ['live/b']);
    await until('the replica confirmed', () => !replica.stale);
  });

  it('hands a server-rendered snapshot to another client, whose replica starts from it and catches up', async () => {
    const server1 = connect();
    await server1.put('ssr/a', 'rendered');
    const payload = await server1.snapshot('ssr/');
    await server1.put('ssr/a', 'after rendering');
    const browser = createClient({ endpoints: [server.url], webSocket: WebSocket, bootstrap: payload });
    clients.push(browser);
    const replica = browser.replica('ssr/');
    await replica.ready;
    assert.equal(replica.revision, payload.revision);
    assert.ok(['rendered', 'after rendering'].includes(replica.get('ssr/a') as string));
    await until('the write made after rendering', () => replica.get('ssr/a') === 'after rendering');
  });

  it('registers an instance that discovery sees until it unregisters', async () => {
    const service = connect();
    const watcher = connect();
    const instances = watcher.discover('api');
    await instances.ready;
    const registration = await service.register('api', 'node-1', { ttl: 5, value: 'http://10.0.0.1:80' });
    assert.equal(registration.key, 'services/api/node-1');
    await until(
      'the instance discovered',
      () => instances.get('services/api/node-1') === 'http://10.0.0.1:80',
    );
    assert.equal(instances.getKv('services/api/node-1')?.lease, registration.lease?.id);
    await registration.close();
    await until('the instance gone', () => instances.get('services/api/node-1') === undefined);
  });

  it('elects one leader at a time; the next wins when it resigns; its fencing revision then guards nothing', async () => {
    const first = connect().election('jobs', { ttl: 5 });
    const second = connect().election('jobs', { ttl: 5 });
    const observed: (string | null)[] = [];
    const observer = connect().election('jobs');
    observer.observe((leader) => observed.push(leader?.value ?? null));
    const won = await first.campaign('first');
    let secondWon = false;
    const secondCampaign = second.campaign('second').then((leadership) => {
      secondWon = true;
      return leadership;
    });
    await until('the first leader observed', () => observed.includes('first'));
    assert.deepStrictEqual(await first.leader(), {
      key: won.key,
      value: 'first',
      fencingRevision: won.fencingRevision,
    });
    assert.equal(secondWon, false);
    const writer = connect();
    const guarded = (fencingRevision: number, key: string) =>
      writer.txn({
        compare: [{ key, target: 'createRevision', result: 'equal', value: fencingRevision }],
        success: [{ put: { key: 'jobs/output', value: `by ${key}` } }],
      });
    assert.equal((await guarded(won.fencingRevision, won.key)).succeeded, true);
    await first.resign();
    const next = await secondCampaign;
    assert.ok(next.fencingRevision > won.fencingRevision);
    assert.equal(
      (await guarded(won.fencingRevision, won.key)).succeeded,
      false,
      'the old leader is fenced off',
    );
    assert.equal((await guarded(next.fencingRevision, next.key)).succeeded, true);
    await until('the second leader observed', () => observed.at(-1) === 'second');
    await second.resign();
    await until('no leader observed', () => observed.at(-1) === null);
  });

  it('a watch delivers each revision once, and ends with the compact revision when its history is gone', async () => {
    const client = connect();
    const first = await client.put('w/k', '1');
    await client.put('w/k', '2');
    await client.put('w/k', '3');
    const seen: number[] = [];
    const live = client.watch({ key: 'w/k', startRevision: first.revision }, (batch) =>
      seen.push(batch.revision),
    );
    await until('three revisions', () => seen.length === 3);
    assert.deepStrictEqual(seen, [first.revision, first.revision + 1, first.revision + 2]);
    live.close();
    await client.compact(first.revision + 2);
    const compacted = await new Promise<number>((resolve) => {
      client.watch({ key: 'w/k', startRevision: first.revision }, () => assert.fail('no events expected'), {
        onCompacted: resolve,
      });
    });
    assert.equal(compacted, first.revision + 2);
  });
});
