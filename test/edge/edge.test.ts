// The edge tier in workerd (wrangler's dev pipeline over the repo's wrangler.toml) against a real
// local cluster: what a browser notices when it reads and watches through the edge while the
// cluster changes, stops and comes back, and while the edge itself restarts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { createClient } from '../../client/index.ts';
import { TestCluster, waitFor } from '../cluster/harness.ts';
import { BrowserSocket, EdgeWorker, type Message } from './edge-harness.ts';

const HISTORY = 20;

describe('the edge tier in workerd', { timeout: 180_000 }, () => {
  let cluster: TestCluster;
  let edge: EdgeWorker;

  const put = async (key: string, value: string): Promise<number> => {
    const response = await cluster.put('m1', key, value);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.header.revision;
  };
  const read = async (path: string): Promise<{ status: number; body: Message; headers: Headers }> => {
    const response = await edge.get(path);
    return { status: response.status, body: await response.json(), headers: response.headers };
  };

  before(async () => {
    cluster = await TestCluster.start({ name: 'edge', size: 1 });
    await cluster.waitForLeader(15_000);
    edge = await EdgeWorker.start({
      name: 'edge',
      clusterEndpoints: [cluster.member('m1').clientUrl],
      limits: { historyChangeSets: HISTORY, staleAfterMs: 1000, fenceWaitMs: 2000 },
    });
  });

  after(async () => {
    await edge?.stop();
    await cluster?.stop();
  });

  it('delivers a put on the cluster to a browser watching through the edge (delay p50/p99 reported)', async (t) => {
    await put('app/seed', 'x');
    const browser = await BrowserSocket.connect(edge, 'app/');
    browser.watch(1, 'app/');
    await browser.next('the watch to be created', (m) => m.created === true);
    const delays: number[] = [];
    for (let i = 0; i < 40; i++) {
      const started = performance.now();
      const revision = await put(`app/delay/${i % 4}`, `v${i}`);
      await browser.next(
        `revision ${revision}`,
        (m) => m.header?.revision === revision && m.events?.length > 0,
      );
      delays.push(performance.now() - started);
    }
    delays.sort((a, b) => a - b);
    const p50 = delays[Math.floor(delays.length * 0.5)]!;
    const p99 = delays[Math.floor(delays.length * 0.99)]!;
    t.diagnostic(
      `put→browser via edge: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms (includes the put's own commit)`,
    );
    assert.deepEqual(browser.events(1).slice(-4), [
      'app/delay/0=v36',
      'app/delay/1=v37',
      'app/delay/2=v38',
      'app/delay/3=v39',
    ]);
    browser.close();
  });

  it('answers reads in the server’s shape with the revision, and refuses writes', async () => {
    await put('app/read/a', 'A');
    const revision = await put('app/read/b', 'B');
    const fromCluster = await cluster.request(
      'm1',
      'GET',
      `/v1/kv/${encodeURIComponent('app/read/')}?prefix=true`,
    );
    const fromEdge = await waitFor('the edge at the last write', 5000, async () => {
      const r = await read(`/v1/kv/${encodeURIComponent('app/read/')}?prefix=true&minRevision=${revision}`);
      return r.status === 200 ? r : undefined;
    });
    assert.deepEqual(fromEdge.body.kvs, fromCluster.body.kvs);
    assert.equal(fromEdge.body.count, 2);
    assert.ok(fromEdge.body.header.revision >= revision);
    assert.equal(fromEdge.headers.get('x-vane-revision'), String(fromEdge.body.header.revision));
    assert.equal(fromEdge.headers.get('x-vane-edge-stale'), 'false');

    const single = await read(`/v1/kv/${encodeURIComponent('app/read/a')}`);
    assert.deepEqual([single.status, single.body.kvs[0].value], [200, 'A']);
    const missing = await read(`/v1/kv/${encodeURIComponent('app/read/zzz')}`);
    assert.deepEqual([missing.status, missing.body.error.code], [404, 'keyNotFound']);
    const posted = await edge.get('/v1/kv/range', {
      method: 'POST',
      body: JSON.stringify({ key: 'app/read/', prefix: true, limit: 1 }),
    });
    const range = await posted.json();
    assert.deepEqual([posted.status, range.kvs.length, range.more, range.count], [200, 1, true, 2]);

    const write = await edge.get(`/v1/kv/${encodeURIComponent('app/read/a')}`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'no' }),
    });
    const refusal = await write.json();
    assert.equal(write.status, 405);
    assert.match(refusal.error.message, /read-only: send writes to the cluster/);
    const txn = await edge.get('/v1/txn', { method: 'POST', body: '{}' });
    assert.equal(txn.status, 405);
    const spanning = await edge.get('/v1/kv/range', {
      method: 'POST',
      body: JSON.stringify({ key: 'app/', rangeEnd: '\u0000' }),
    });
    assert.match((await spanning.json()).error.message, /reaches past prefix 'app\/'/);
  });

  it('answers reads and refuses writes over the watch socket, as a member does for the SDK', async () => {
    const browser = await BrowserSocket.connect(edge, 'app/');
    browser.send({ type: 'request', id: 1, op: 'range', body: { key: 'app/read/a' } });
    browser.send({ type: 'request', id: 2, op: 'put', body: { key: 'app/read/a', value: 'no' } });
    browser.send({ type: 'request', id: 3, op: 'range', body: { key: 'other/x' } });
    const answer = await browser.next('the range answer', (m) => m.type === 'response' && m.id === 1);
    assert.equal(answer.body.kvs[0].value, 'A');
    const refused = await browser.next('the put refusal', (m) => m.requestId === 2);
    assert.match(refused.error.message, /read-only/);
    const outside = await browser.next('the other-prefix refusal', (m) => m.requestId === 3);
    assert.match(outside.error.message, /serves prefix 'app\/' only/);
    browser.close();
  });

  it('fences reads and watches on minRevision: waits for the revision, or says it did not come', async () => {
    // A write to another prefix: the app/ object learns the revision from the cluster's progress.
    const elsewhere = await put('other/fence', '1');
    const started = performance.now();
    const fenced = await read(`/v1/kv/${encodeURIComponent('app/read/a')}?minRevision=${elsewhere}`);
    assert.equal(fenced.status, 200, JSON.stringify(fenced.body));
    assert.ok(fenced.body.header.revision >= elsewhere);
    const waitedMs = performance.now() - started;
    const future = elsewhere + 1000;
    const tooNew = await read(`/v1/kv/${encodeURIComponent('app/read/a')}?minRevision=${future}`);
    assert.deepEqual([tooNew.status, tooNew.body.error.code], [504, 'timeout']);
    assert.match(tooNew.body.error.message, new RegExp(`did not reach revision ${future} within 2000 ms`));
    await assert.rejects(
      BrowserSocket.connect(edge, 'app/', `&minRevision=${future}`),
      /refused the upgrade with 504/,
    );
    const socket = await BrowserSocket.connect(edge, 'app/', `&minRevision=${elsewhere}`);
    socket.watch(1, 'app/');
    const created = await socket.next('created', (m) => m.created === true);
    assert.ok(created.header.revision >= elsewhere, `waited ${waitedMs} ms`);
    socket.close();
  });

  it('answers a resume from before its kept history with a compaction, and the SDK re-lists from the edge', async () => {
    const first = await put('app/history/k', 'v0');
    let last = first;
    for (let i = 1; i <= HISTORY + 5; i++) last = await put('app/history/k', `v${i}`);
    const browser = await BrowserSocket.connect(edge, 'app/', `&minRevision=${last}`);
    browser.watch(1, 'app/history/', { startRevision: first + 1 });
    const canceled = await browser.next('the compaction', (m) => m.canceled === true);
    assert.ok(canceled.compactRevision > first + 1);
    assert.match(canceled.cancelReason, /older than the history this edge keeps/);
    browser.watch(2, 'app/history/', { startRevision: last - 2 });
    await browser.next('the resumed changes', () => browser.events(2).length === 3);
    assert.deepEqual(browser.events(2), [
      `app/history/k=v${HISTORY + 3}`,
      `app/history/k=v${HISTORY + 4}`,
      `app/history/k=v${HISTORY + 5}`,
    ]);
    browser.close();

    // The SDK, pointed at the edge as at a member, resuming from a revision the edge no longer keeps.
    const client = createClient({
      endpoints: [`${edge.url}/?prefix=app/`],
      webSocket: WebSocket,
      bootstrap: { prefix: 'app/history/', revision: first, kvs: [] },
    });
    try {
      const replica = client.replica('app/history/');
      await waitFor('the replica to re-list through the edge', 10_000, () =>
        replica.get('app/history/k') === `v${HISTORY + 5}` ? true : undefined,
      );
      await put('app/history/k', 'after');
      await waitFor('the replica to follow the edge', 10_000, () =>
        replica.get('app/history/k') === 'after' ? true : undefined,
      );
    } finally {
      client.close();
    }
  });

  it('serves stale state while the cluster is down, and its watchers catch up with every change once it is back', async () => {
    const base = await put('app/outage/k', 'before');
    const browser = await BrowserSocket.connect(edge, 'app/', `&minRevision=${base}`);
    browser.watch(1, 'app/outage/');
    await browser.next('created', (m) => m.created === true);
    await cluster.kill('m1');
    const stale = await waitFor('a stale answer', 10_000, async () => {
      const r = await read(`/v1/kv/${encodeURIComponent('app/outage/k')}`);
      return r.headers.get('x-vane-edge-stale') === 'true' ? r : undefined;
    });
    assert.equal(stale.status, 200);
    assert.equal(stale.body.kvs[0].value, 'before');
    assert.equal(stale.body.header.edge.stale, true);
    assert.ok(Number(stale.headers.get('x-vane-edge-age-ms')) > 0);
    browser.send({ type: 'progress' });
    const progress = await browser.next('a progress answer', (m) => m.watchId === -1);
    assert.equal(progress.edge.stale, true);

    cluster.restart('m1');
    await cluster.waitForLeader(15_000);
    const written: string[] = [];
    for (let i = 0; i < 10; i++) {
      await put(`app/outage/${i % 3}`, `w${i}`);
      written.push(`app/outage/${i % 3}=w${i}`);
    }
    await browser.next(
      'every change made meanwhile',
      () => browser.events(1).length >= written.length,
      20_000,
    );
    assert.deepEqual(browser.events(1), written);
    await waitFor('fresh answers again', 10_000, async () => {
      const r = await read(`/v1/kv/${encodeURIComponent('app/outage/0')}`);
      return r.headers.get('x-vane-edge-stale') === 'false' ? true : undefined;
    });
    assert.equal(browser.closed, false);
    browser.close();
  });

  it('after a restart serves its stored state at once, then resumes from its revision without gaps', async () => {
    const base = await put('app/restart/k', 'r0');
    const fenced = await read(`/v1/kv/${encodeURIComponent('app/restart/k')}?minRevision=${base}`);
    assert.equal(fenced.status, 200);
    await edge.stop();
    // Changes the edge misses while it is down, then the cluster goes down too.
    const written: string[] = [];
    for (let i = 1; i <= 5; i++) {
      await put('app/restart/k', `r${i}`);
      written.push(`app/restart/k=r${i}`);
    }
    await cluster.kill('m1');
    await edge.restart();
    // The cluster is unreachable: this answer can only come from the object's storage.
    const stored = await read(`/v1/kv/${encodeURIComponent('app/restart/k')}`);
    assert.equal(stored.status, 200, JSON.stringify(stored.body));
    assert.deepEqual([stored.body.kvs[0].value, stored.body.header.revision >= base], ['r0', true]);
    assert.equal(stored.headers.get('x-vane-edge-stale'), 'true');

    const browser = await BrowserSocket.connect(edge, 'app/');
    browser.watch(1, 'app/restart/', { startRevision: base + 1 });
    cluster.restart('m1');
    await cluster.waitForLeader(15_000);
    await put('app/restart/k', 'r6');
    written.push('app/restart/k=r6');
    await browser.next(
      'every change since the stored revision',
      () => browser.events(1).length >= written.length,
      20_000,
    );
    assert.deepEqual(browser.events(1), written);
    browser.close();
  });
});
