import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Connection, type ConnectionOptions } from './connection.ts';
import type { VaneClientError } from './errors.ts';
import { FakeNetwork, header, kv, ManualClock, sequence, settle } from './fakes.test.ts';
import type { ClientStatus, WatchBatch } from './types.ts';

const ENDPOINTS = ['http://a:1', 'http://b:2', 'http://c:3'];

async function connect(options: Partial<ConnectionOptions> = {}) {
  const network = new FakeNetwork();
  const clock = new ManualClock();
  const errors: VaneClientError[] = [];
  const connection = new Connection({
    endpoints: ENDPOINTS,
    webSocket: network.WebSocket,
    clock,
    random: sequence(0),
    staleAfterMs: 1000,
    onError: (error) => errors.push(error),
    ...options,
  });
  const statuses: ClientStatus[] = [];
  connection.onStatus((status) => statuses.push(status));
  await settle();
  return { network, clock, connection, statuses, errors };
}

/** Opens the newest socket and answers its first progress request, so the connection is live. */
async function goLive(network: FakeNetwork, revision = 1): Promise<void> {
  network.last.open();
  network.last.answerProgress(revision);
  await settle();
}

describe('Connection', () => {
  it('is live once a progress request is answered, and stale with its lag when answers stop', async () => {
    const { network, clock, connection, statuses } = await connect();
    assert.equal(network.last.url, 'ws://a:1/v1/watch');
    assert.equal(connection.status.state, 'connecting');
    network.last.open();
    assert.equal(network.last.ofType('progress').length, 1);
    assert.equal(connection.status.state, 'connecting', 'open is not yet caught up');
    network.last.answerProgress(7);
    assert.deepStrictEqual(connection.status, { state: 'live', endpoint: 'http://a:1', revision: 7 });
    // Progress goes out every staleAfterMs / 2; nobody answers any more.
    await clock.advance(1000);
    assert.equal(network.last.ofType('progress').length, 2);
    assert.equal(connection.status.state, 'live');
    await clock.advance(500);
    assert.deepStrictEqual(connection.status, {
      state: 'stale',
      endpoint: 'http://a:1',
      lagMs: 1500,
      revision: 7,
    });
    network.last.answerProgress(9);
    assert.deepStrictEqual(connection.status, { state: 'live', endpoint: 'http://a:1', revision: 9 });
    // While stale, the lag is reported again as it grows.
    assert.deepStrictEqual(
      statuses.map((s) => [s.state, s.lagMs]),
      [
        ['live', undefined],
        ['stale', 1250],
        ['stale', 1500],
        ['live', undefined],
      ],
    );
  });

  it('tries the next endpoint after a backoff with full jitter, and is offline once every endpoint failed', async () => {
    // First value picks endpoint a; the rest are the jitter fractions.
    const { network, clock, connection } = await connect({
      random: sequence(0, 0.5),
      backoff: { initialMs: 200, maxMs: 500 },
    });
    await goLive(network);
    network.last.drop();
    assert.deepStrictEqual(connection.status, { state: 'connecting', endpoint: 'http://b:2', revision: 1 });
    // Attempt 0 waits 0.5 * 200 ms.
    await clock.advance(99);
    assert.equal(network.sockets.length, 1);
    await clock.advance(1);
    assert.equal(network.last.url, 'ws://b:2/v1/watch');
    network.last.drop();
    // Attempt 1: 0.5 * 400 ms, to c.
    await clock.advance(199);
    assert.equal(network.sockets.length, 2);
    await clock.advance(1);
    assert.equal(network.last.url, 'ws://c:3/v1/watch');
    network.last.drop();
    assert.equal(connection.status.state, 'offline', 'a, b and c failed in a row');
    // Attempt 2: 0.5 * min(500, 800) ms, back to a.
    await clock.advance(250);
    assert.equal(network.last.url, 'ws://a:1/v1/watch');
    assert.equal(connection.status.state, 'connecting');
    await goLive(network);
    network.last.drop();
    assert.equal(clock.pending().length, 1);
    assert.equal(clock.pending()[0], 100, 'a confirmed connection starts the backoff over');
  });

  it('gives up a socket that does not open within connectTimeoutMs', async () => {
    const { network, clock } = await connect({ connectTimeoutMs: 300, random: sequence(0, 0) });
    await clock.advance(299);
    assert.equal(network.sockets.length, 1);
    await clock.advance(1);
    assert.ok(network.sockets[0]!.closedByClient);
    assert.equal(network.last.url, 'ws://b:2/v1/watch');
  });

  it('sends a request again on the next socket when its socket drops, with the same body, and resolves once', async () => {
    const { network, clock, connection } = await connect({ random: sequence(0, 0) });
    await goLive(network);
    const body = { key: 'k', value: 'v', requestId: 'write-1' };
    const answer = connection.request('put', body);
    const first = network.last.ofType('request')[0]!;
    assert.deepStrictEqual(first.body, body);
    network.last.drop();
    await clock.advance(0);
    network.last.open();
    const again = network.last.ofType('request');
    assert.equal(again.length, 1);
    assert.deepStrictEqual(again[0], first);
    network.last.receive({ type: 'response', id: first.id, header: header(4), body: {} });
    network.last.receive({ type: 'response', id: first.id, header: header(4), body: {} });
    assert.deepStrictEqual(await answer, { header: header(4), body: {} });
  });

  it('retries a request refused as retryable after a jittered delay; other refusals fail at once', async () => {
    const { network, clock, connection } = await connect({ random: sequence(0, 0.5) });
    await goLive(network);
    const retried = connection.request('put', { key: 'k', value: 'v', requestId: 'w' });
    const refusedForGood = connection.request('leaseRevoke', { id: 9, requestId: 'r' });
    const [put, revoke] = network.last.ofType('request');
    network.last.receive({
      type: 'error',
      requestId: put!.id,
      error: { code: 'noLeader', message: 'no leader' },
    });
    network.last.receive({
      type: 'error',
      requestId: revoke!.id,
      error: { code: 'leaseNotFound', message: 'no lease 9' },
    });
    await assert.rejects(refusedForGood, { code: 'leaseNotFound', message: 'no lease 9' });
    // The first retry waits 0.5 * 50 ms.
    await clock.advance(24);
    assert.equal(network.last.ofType('request').length, 2);
    await clock.advance(1);
    const sent = network.last.ofType('request');
    assert.equal(sent.length, 3);
    assert.deepStrictEqual(sent[2], put);
    network.last.receive({ type: 'response', id: put!.id, header: header(3), body: {} });
    assert.equal((await retried).header.revision, 3);
  });

  it('fails a request with no answer at requestTimeoutMs, saying a write may have applied', async () => {
    const { network, clock, connection } = await connect({ requestTimeoutMs: 2000 });
    await goLive(network);
    const answer = connection.request('put', { key: 'k', value: 'v', requestId: 'w' });
    const outcome: { error?: VaneClientError } = {};
    answer.catch((error: VaneClientError) => {
      outcome.error = error;
    });
    await clock.advance(1999);
    const seen = (): VaneClientError | undefined => outcome.error;
    assert.equal(seen(), undefined);
    await clock.advance(1);
    assert.match(seen()?.message ?? '', /within 2000 ms \(requestTimeoutMs\).*same requestId/);
    assert.equal(seen()?.code, 'timeout');
  });

  it('keeps at most maxInFlightRequests unanswered on the socket; the rest wait their turn', async () => {
    const { network, connection } = await connect({ maxInFlightRequests: 2 });
    await goLive(network);
    const answers = [1, 2, 3].map((i) => connection.request('range', { key: `k${i}` }));
    const sent = () => network.last.ofType('request');
    assert.deepStrictEqual(
      sent().map((m) => (m.body as { key: string }).key),
      ['k1', 'k2'],
    );
    network.last.receive({ type: 'response', id: sent()[0]!.id, header: header(1), body: {} });
    assert.deepStrictEqual(
      sent().map((m) => (m.body as { key: string }).key),
      ['k1', 'k2', 'k3'],
    );
    for (const message of sent().slice(1))
      network.last.receive({ type: 'response', id: message.id, header: header(1), body: {} });
    assert.equal((await Promise.all(answers)).length, 3);
  });

  it('refuses requests past maxPendingRequests; answered and timed-out ones no longer count', async () => {
    const { network, clock, connection } = await connect({ maxPendingRequests: 2, requestTimeoutMs: 1000 });
    await goLive(network);
    const unanswered = connection.request('range', { key: 'k1' });
    unanswered.catch(() => {});
    const answered = connection.request('range', { key: 'k2' });
    await assert.rejects(connection.request('range', { key: 'k3' }), (error: VaneClientError) => {
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /2 requests are already waiting.*maxPendingRequests/);
      return true;
    });
    const sent = network.last.ofType('request');
    network.last.receive({ type: 'response', id: sent[1]!.id, header: header(1), body: {} });
    await answered;
    await clock.advance(500);
    connection.request('range', { key: 'k3' }).catch(() => {});
    // The first times out while still on the socket: its answer may yet come, but it is no longer pending.
    await clock.advance(500);
    await assert.rejects(unanswered, { code: 'timeout' });
    connection.request('range', { key: 'k4' }).catch(() => {});
    await assert.rejects(connection.request('range', { key: 'k5' }), { code: 'unavailable' });
    // Once its socket goes, the timed-out one is forgotten; the two pending ones are sent again.
    network.last.drop();
    await clock.advance(0);
    network.last.open();
    assert.deepStrictEqual(
      network.last.ofType('request').map((m) => (m.body as { key: string }).key),
      ['k3', 'k4'],
    );
    await assert.rejects(connection.request('range', { key: 'k5' }), { code: 'unavailable' });
  });

  it('refuses a request larger than maxRequestBytes before sending it, naming the limit', async () => {
    const { network, connection } = await connect({ maxRequestBytes: 1000 });
    await goLive(network);
    await assert.rejects(
      connection.request('put', { key: 'k', value: 'x'.repeat(1000) }),
      (error: VaneClientError) => {
        assert.equal(error.code, 'requestTooLarge');
        assert.match(error.message, /maxRequestBytes/);
        return true;
      },
    );
    assert.equal(network.last.ofType('request').length, 0);
  });

  it('creates watches again on every socket from the revision after the last delivered, each revision once', async () => {
    const { network, clock, connection } = await connect({ random: sequence(0, 0) });
    const batches: WatchBatch[] = [];
    connection.watch(
      { key: 'a/', prefix: true },
      {
        onEvents: (batch) => batches.push(batch),
        onCompacted: () => assert.fail('compacted'),
        onError: () => assert.fail('refused'),
      },
    );
    network.last.open();
    const [create] = network.last.ofType('watchCreate');
    assert.deepStrictEqual(create, { v: 1, type: 'watchCreate', watchId: 0, key: 'a/', prefix: true });
    network.last.receive({
      type: 'watchResponse',
      watchId: 0,
      header: header(10),
      events: [],
      created: true,
    });
    const put = (key: string, revision: number) => ({ type: 'put', kv: kv(key, 'v', revision) });
    // One response carrying two revisions (a catch-up) becomes two batches.
    network.last.receive({
      type: 'watchResponse',
      watchId: 0,
      header: header(12),
      events: [put('a/1', 11), put('a/2', 11), put('a/1', 12)],
    });
    network.last.answerProgress(15);
    network.last.drop();
    await clock.advance(0);
    network.last.open();
    const [resumed] = network.last.ofType('watchCreate');
    assert.equal(resumed!.startRevision, 16, 'after the progress answer at 15');
    const id = resumed!.watchId;
    network.last.receive({
      type: 'watchResponse',
      watchId: id,
      header: header(15),
      events: [],
      created: true,
    });
    network.last.receive({
      type: 'watchResponse',
      watchId: id,
      header: header(17),
      events: [put('a/1', 12), put('a/3', 17)],
    });
    assert.deepStrictEqual(
      batches.map((b) => [b.revision, ...b.events.map((e) => e.kv.key)]),
      [
        [11, 'a/1', 'a/2'],
        [12, 'a/1'],
        [17, 'a/3'],
      ],
    );
  });

  it('ends a watch whose history was compacted, with the compact revision, and a refused one with the error', async () => {
    const { network, connection } = await connect();
    await goLive(network);
    const ended: string[] = [];
    const listener = (name: string) => ({
      onEvents: () => assert.fail('no events expected'),
      onCompacted: (revision: number) => {
        ended.push(`${name} compacted at ${revision}`);
      },
      onError: (error: VaneClientError) => {
        ended.push(`${name} ${error.code}`);
      },
    });
    connection.watch({ key: 'x', startRevision: 2 }, listener('x'));
    connection.watch({ key: 'y' }, listener('y'));
    const [x, y] = network.last.ofType('watchCreate');
    network.last.receive({
      type: 'watchResponse',
      watchId: x!.watchId,
      header: header(9),
      events: [],
      canceled: true,
      compactRevision: 5,
    });
    network.last.receive({
      type: 'error',
      watchId: y!.watchId,
      error: { code: 'invalidRequest', message: 'bad' },
    });
    assert.deepStrictEqual(ended, ['x compacted at 5', 'y invalidRequest']);
  });

  it('leaves a member that keeps refusing requests as retryable for failoverAfterMs', async () => {
    const { network, clock, connection, errors } = await connect({
      failoverAfterMs: 1000,
      random: sequence(0, 0),
    });
    await goLive(network);
    const answer = connection.request('range', { key: 'k' });
    for (let elapsed = 0; elapsed <= 1000; elapsed += 250) {
      const [request] = network.last.ofType('request').slice(-1);
      network.last.receive({
        type: 'error',
        requestId: request!.id,
        error: { code: 'noLeader', message: 'no leader' },
      });
      await clock.advance(250);
    }
    assert.equal(network.last.url, 'ws://b:2/v1/watch');
    assert.match(errors[0]?.message ?? '', /leaving http:\/\/a:1 after \d+ ms of 'noLeader'/);
    network.last.open();
    const [resent] = network.last.ofType('request');
    network.last.receive({ type: 'response', id: resent!.id, header: header(2), body: {} });
    assert.equal((await answer).header.member, 'm1');
  });

  it('gives up a connection that has been silent for two stale periods', async () => {
    const { network, clock } = await connect({ random: sequence(0, 0) });
    await goLive(network);
    await clock.advance(2749);
    assert.equal(network.sockets.length, 1);
    await clock.advance(1000);
    assert.ok(network.sockets[0]!.closedByClient);
    assert.equal(network.sockets.length, 2);
  });

  it('reports why the server closed the connection, and reconnects', async () => {
    const { network, clock, errors } = await connect({ random: sequence(0, 0) });
    await goLive(network);
    network.last.readyState = 3;
    network.last.onclose?.({ code: 4001, reason: 'too slow: over 16 MiB unsent; reconnect and resume' });
    assert.equal(
      errors[0]?.message,
      'http://a:1 closed the connection: too slow: over 16 MiB unsent; reconnect and resume (4001)',
    );
    await clock.advance(0);
    assert.equal(network.last.url, 'ws://b:2/v1/watch');
  });

  for (const [closeCode, code] of [
    [4401, 'unauthenticated'],
    [4403, 'permissionDenied'],
  ] as const) {
    it(`stops for good when the server closes with ${closeCode}: one '${code}' error, everything pending ends with it`, async () => {
      const { network, clock, connection, errors } = await connect({ random: sequence(0, 0) });
      await goLive(network);
      const answer = connection.request('range', { key: 'k' });
      const watchErrors: string[] = [];
      const listener = {
        onEvents: () => assert.fail('no events expected'),
        onCompacted: () => assert.fail('not compacted'),
        onError: (error: VaneClientError) => {
          watchErrors.push(error.code);
        },
      };
      connection.watch({ key: 'x' }, listener);
      network.last.closeByServer(closeCode, `${code}: the token of 'web' was revoked`);
      assert.deepStrictEqual(
        errors.map((error) => [error.code, error.details?.closeCode]),
        [[code, closeCode]],
      );
      assert.match(
        errors[0]!.message,
        /^http:\/\/a:1 refused this client's credentials .*was revoked; the connection stopped/,
      );
      await assert.rejects(answer, { code });
      assert.deepStrictEqual(watchErrors, [code]);
      assert.equal(connection.status.state, 'offline');
      // No reconnect loop: nothing more is tried, and what comes later is refused the same way.
      await clock.advance(60_000);
      assert.equal(network.sockets.length, 1);
      await assert.rejects(connection.request('range', { key: 'k' }), { code });
      connection.watch({ key: 'y' }, listener);
      await settle();
      assert.deepStrictEqual(watchErrors, [code, code]);
      assert.equal(errors.length, 1);
    });
  }

  it("takes the refusal's full message from the error the server sends before closing, and reports it once", async () => {
    const { network, clock, connection, errors } = await connect({ random: sequence(0, 0) });
    await goLive(network);
    const message = `the token expired at 2025-01-01T00:00:00.000Z; ask for a new one (vane token create)`;
    network.last.receive({ type: 'error', error: { code: 'unauthenticated', message } });
    network.last.closeByServer(4401, `unauthenticated: ${message}`.slice(0, 120));
    assert.deepStrictEqual(
      errors.map((error) => [error.code, error.message]),
      [
        [
          'unauthenticated',
          `http://a:1 refused this client's credentials: ${message}; the connection stopped: create the client again with credentials the cluster accepts`,
        ],
      ],
    );
    await clock.advance(60_000);
    assert.equal(network.sockets.length, 1);
    assert.equal(connection.status.state, 'offline');
  });

  it('ends a watch cancelled for its credentials with their code; others go on and nothing reconnects', async () => {
    const { network, clock, connection, errors } = await connect();
    await goLive(network);
    const ended: string[] = [];
    const delivered: number[] = [];
    const listener = (name: string) => ({
      onEvents: (batch: WatchBatch) => {
        delivered.push(batch.revision);
      },
      onCompacted: () => assert.fail('not compacted'),
      onError: (error: VaneClientError) => {
        ended.push(`${name} ${error.code}: ${error.message}`);
      },
    });
    for (const name of ['denied', 'expired', 'other', 'kept'])
      connection.watch({ key: name }, listener(name));
    const [denied, expired, other, kept] = network.last.ofType('watchCreate');
    const cancel = (watchId: unknown, cancelReason: string) =>
      network.last.receive({
        type: 'watchResponse',
        watchId,
        header: header(4),
        events: [],
        canceled: true,
        cancelReason,
      });
    cancel(denied!.watchId, "permissionDenied: 'web' (roles reader) may not read 'denied'");
    cancel(expired!.watchId, 'unauthenticated: the token expired');
    cancel(other!.watchId, 'the member is stopping');
    assert.deepStrictEqual(ended, [
      "denied permissionDenied: the server ended the watch: 'web' (roles reader) may not read 'denied'",
      'expired unauthenticated: the server ended the watch: the token expired',
      'other unavailable: the watch was canceled: the member is stopping',
    ]);
    network.last.receive({
      type: 'watchResponse',
      watchId: kept!.watchId,
      header: header(5),
      events: [{ type: 'put', kv: kv('kept', 'v', 5) }],
    });
    assert.deepStrictEqual(delivered, [5]);
    await clock.advance(1000);
    network.last.answerProgress(5);
    assert.equal(network.sockets.length, 1);
    assert.equal(connection.status.state, 'live');
    assert.deepStrictEqual(errors, []);
  });

  it("is stale with the edge's own age when the edge tier says the cluster has not confirmed its state", async () => {
    const { network, clock, connection, statuses } = await connect();
    network.last.open();
    const answer = (revision: number, edge: { stale: boolean; ageMs: number }) =>
      network.last.answerProgress(revision, { edge });
    answer(3, { stale: true, ageMs: 4000 });
    assert.deepStrictEqual(connection.status, {
      state: 'stale',
      endpoint: 'http://a:1',
      lagMs: 4000,
      revision: 3,
    });
    // The lag grows from there until the next answer (the tick runs every staleAfterMs / 4).
    await clock.advance(250);
    assert.equal(connection.status.lagMs, 4250);
    await clock.advance(250);
    answer(3, { stale: false, ageMs: 0 });
    assert.deepStrictEqual(connection.status, { state: 'live', endpoint: 'http://a:1', revision: 3 });
    assert.deepStrictEqual(
      statuses.map((status) => [status.state, status.lagMs]),
      [
        ['stale', 4000],
        ['stale', 4250],
        ['stale', 4500],
        ['live', undefined],
      ],
    );
  });

  describe('a member that says the cluster has not confirmed it', () => {
    const NO_WORD = 'no word from the leader for over 1000 ms';
    /** A member's progress answer: stale for ageMs, with its reason; or fresh without either. */
    const answer = (network: FakeNetwork, revision: number, ageMs?: number) =>
      network.last.answerProgress(
        revision,
        ageMs === undefined ? {} : { freshness: { stale: true, ageMs, reason: NO_WORD } },
      );

    it('is stale with its age, confirms every failoverAfterMs / 2, and leaves it for another endpoint after failoverAfterMs', async () => {
      const { network, clock, connection, errors } = await connect({
        staleAfterMs: 10_000,
        failoverAfterMs: 3000,
        random: sequence(0, 0),
      });
      const progressAt: number[] = [];
      connection.watch(
        { key: 'a/', prefix: true },
        {
          onEvents: () => assert.fail('no events'),
          onProgress: (revision) => progressAt.push(revision),
          onCompacted: () => assert.fail('compacted'),
          onError: () => assert.fail('refused'),
        },
      );
      network.last.open();
      network.last.receive({
        type: 'watchResponse',
        watchId: 0,
        header: header(7),
        events: [],
        created: true,
      });
      answer(network, 7);
      assert.equal(connection.status.state, 'live');
      // Partitioned at 3800: the next confirmation, at 5000, hears that.
      await clock.advance(5000);
      assert.equal(network.last.ofType('progress').length, 2);
      answer(network, 7, 1200);
      assert.deepStrictEqual(connection.status, {
        state: 'stale',
        endpoint: 'http://a:1',
        lagMs: 1200,
        revision: 7,
      });
      await clock.advance(1500);
      assert.equal(
        network.last.ofType('progress').length,
        3,
        'confirmed after failoverAfterMs / 2, not staleAfterMs / 2',
      );
      answer(network, 7, 2700);
      assert.equal(connection.status.lagMs, 2700);
      assert.deepStrictEqual(
        progressAt,
        [7],
        "a stale member's answers do not count as the watch's progress",
      );
      await clock.advance(299);
      assert.equal(network.sockets.length, 1, 'stays until failoverAfterMs after the member lost the leader');
      await clock.advance(1);
      assert.ok(network.sockets[0]!.closedByClient);
      assert.equal(network.last.url, 'ws://b:2/v1/watch');
      assert.equal(errors.length, 1);
      assert.match(
        errors[0]!.message,
        /^leaving http:\/\/a:1: its member has not been confirmed by the cluster's leader for 3000 ms \(no word from the leader for over 1000 ms\)/,
      );
      assert.equal(errors[0]!.code, 'unavailable');
      network.last.open();
      const [resumed] = network.last.ofType('watchCreate');
      assert.equal(resumed!.startRevision, 8, 'the watch resumes on b after the last fresh progress');
      answer(network, 9);
      assert.deepStrictEqual(connection.status, { state: 'live', endpoint: 'http://b:2', revision: 9 });
    });

    it('with a single endpoint, stays connected and stale with a growing lag, then is live when the member is confirmed again', async () => {
      const { network, clock, connection, statuses, errors } = await connect({
        endpoints: ['http://a:1'],
        staleAfterMs: 10_000,
        failoverAfterMs: 3000,
      });
      network.last.open();
      answer(network, 4, 500);
      assert.deepStrictEqual(connection.status, {
        state: 'stale',
        endpoint: 'http://a:1',
        lagMs: 500,
        revision: 4,
      });
      for (let t = 1500; t <= 15_000; t += 1500) {
        await clock.advance(1500);
        assert.equal(network.last.ofType('progress').length, t / 1500 + 1);
        answer(network, 4, t + 500);
      }
      assert.equal(network.sockets.length, 1);
      assert.deepStrictEqual(errors, []);
      assert.deepStrictEqual(connection.status, {
        state: 'stale',
        endpoint: 'http://a:1',
        lagMs: 15_500,
        revision: 4,
      });
      const lags = statuses.map((status) => status.lagMs ?? -1);
      assert.deepStrictEqual(
        [...new Set(statuses.map((status) => status.state))],
        ['stale'],
        'never offline or reconnecting',
      );
      assert.ok(
        lags.every((lag, i) => i === 0 || lag >= lags[i - 1]!),
        `the lag only grows: ${lags.join(' ')}`,
      );
      await clock.advance(1500);
      answer(network, 5);
      assert.deepStrictEqual(connection.status, { state: 'live', endpoint: 'http://a:1', revision: 5 });
      // Back to confirming every staleAfterMs / 2 (at the next tick after it, a quarter later at most).
      const sent = network.last.ofType('progress').length;
      await clock.advance(4999);
      assert.equal(network.last.ofType('progress').length, sent);
      await clock.advance(2500);
      assert.equal(network.last.ofType('progress').length, sent + 1);
    });

    it('stays with a member that is confirmed again before failoverAfterMs, and gives the next lapse the full time', async () => {
      const { network, clock, connection, errors } = await connect({
        staleAfterMs: 10_000,
        failoverAfterMs: 3000,
        random: sequence(0, 0),
      });
      network.last.open();
      answer(network, 3);
      await clock.advance(5000);
      answer(network, 3, 1000);
      assert.equal(connection.status.state, 'stale');
      await clock.advance(1500);
      answer(network, 6);
      assert.deepStrictEqual(connection.status, { state: 'live', endpoint: 'http://a:1', revision: 6 });
      const sent = network.last.ofType('progress').length;
      while (network.last.ofType('progress').length === sent) await clock.advance(250);
      answer(network, 6, 0);
      await clock.advance(2999);
      assert.equal(network.sockets.length, 1);
      assert.deepStrictEqual(errors, []);
      await clock.advance(1);
      assert.equal(network.last.url, 'ws://b:2/v1/watch');
    });

    it('tours the endpoints once at failoverAfterMs each when all say so, then waits twice as long per round', async () => {
      const { network, clock, connection, errors } = await connect({
        staleAfterMs: 10_000,
        failoverAfterMs: 1000,
        random: sequence(0, 0),
      });
      const visits: [string, number][] = [];
      let openedAt = 0;
      for (let visit = 0; visit < 5; visit++) {
        network.last.open();
        // Cut off long before the client came: the wait counts from the connection.
        answer(network, 2, 60_000);
        const socket = network.last;
        while (network.last === socket) await clock.advance(250);
        visits.push([socket.url, Math.round(clock.now() - openedAt)]);
        openedAt = clock.now();
      }
      assert.deepStrictEqual(visits, [
        ['ws://a:1/v1/watch', 1000],
        ['ws://b:2/v1/watch', 1000],
        ['ws://c:3/v1/watch', 1000],
        ['ws://a:1/v1/watch', 2000],
        ['ws://b:2/v1/watch', 2000],
      ]);
      assert.equal(errors.length, 5);
      // A member the leader confirms ends the tour: the next lapse gets failoverAfterMs again.
      network.last.open();
      answer(network, 3);
      assert.equal(connection.status.state, 'live');
      const sent = network.last.ofType('progress').length;
      while (network.last.ofType('progress').length === sent) await clock.advance(250);
      answer(network, 3, 0);
      const lapsedAt = clock.now();
      const socket = network.last;
      while (network.last === socket) await clock.advance(250);
      assert.equal(clock.now() - lapsedAt, 1000);
    });

    it('never waits longer than a minute on a stale member, however many rounds the tour takes', async () => {
      const { network, clock } = await connect({
        staleAfterMs: 10_000,
        failoverAfterMs: 1000,
        random: sequence(0, 0),
      });
      const waits: number[] = [];
      let openedAt = 0;
      for (let visit = 0; visit < 24; visit++) {
        network.last.open();
        answer(network, 2, 600_000);
        const socket = network.last;
        // The member keeps answering, stale, every confirmation the client sends.
        let answered = socket.ofType('progress').length;
        while (network.last === socket) {
          await clock.advance(500);
          if (network.last === socket && socket.ofType('progress').length > answered) {
            answered = socket.ofType('progress').length;
            answer(network, 2, 600_000);
          }
        }
        waits.push(Math.round(clock.now() - openedAt));
        openedAt = clock.now();
      }
      // Three endpoints per round; the wait doubles each round until the minute.
      const perRound = Array.from({ length: 8 }, (_, round) => waits[round * 3]);
      assert.deepStrictEqual(perRound, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
      assert.ok(Math.max(...waits) === 60_000, `waits ${waits.join(', ')}`);
    });
  });

  it('reports unreadable messages and carries on', async () => {
    const { network, connection, errors } = await connect();
    await goLive(network);
    network.last.onmessage?.({ data: '{"v":1,"type":"response","id":-4}' });
    network.last.onmessage?.({ data: JSON.stringify({ v: 2, type: 'progress' }) });
    assert.deepStrictEqual(
      errors.map((e) => e.code),
      ['decodeError', 'decodeError'],
    );
    assert.match(errors[1]!.message, /protocol version 2/);
    assert.equal(connection.status.state, 'live');
  });

  it('sends a fresh token with every attempt, as a subprotocol, or in the query when it cannot be one', async () => {
    const tokens = ['jwt.part-1_x', 'has/slash=', 'third'];
    const { network, clock, errors } = await connect({
      token: async () => tokens.shift()!,
      random: sequence(0, 0),
    });
    assert.deepStrictEqual(network.last.protocols, ['vane.token.jwt.part-1_x']);
    assert.equal(network.last.url, 'ws://a:1/v1/watch');
    network.last.drop();
    await clock.advance(0);
    assert.equal(network.last.protocols, undefined);
    assert.equal(network.last.url, 'ws://b:2/v1/watch?token=has%2Fslash%3D');
    const failing = await connect({
      token: () => Promise.reject(new Error('login expired')),
      random: sequence(0, 0),
    });
    assert.equal(failing.network.sockets.length, 0);
    assert.match(
      failing.errors[0]?.message ?? '',
      /could not get a token to connect to http:\/\/a:1: Error: login expired/,
    );
    assert.equal(failing.connection.status.endpoint, 'http://b:2');
    assert.deepStrictEqual(errors, []);
  });

  it('close() rejects pending requests and stops reconnecting', async () => {
    const { network, clock, connection } = await connect();
    await goLive(network);
    const answer = connection.request('range', { key: 'k' });
    connection.close();
    await assert.rejects(answer, { code: 'closed' });
    assert.ok(network.last.closedByClient);
    await clock.advance(60_000);
    assert.equal(network.sockets.length, 1);
    assert.equal(connection.status.state, 'offline');
    await assert.rejects(connection.request('range', { key: 'k' }), { code: 'closed' });
  });
});
