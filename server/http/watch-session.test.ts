import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  encodeWatchResponse,
  type ValueEncoding,
  type WatchServerMessage,
} from '../../core/protocol/index.ts';
import type { Command, RangeResponse, StoreConfig, WatchResponse } from '../../core/store/index.ts';
import { createLogger } from '../log.ts';
import { Metrics } from '../metrics.ts';
import { createTestApp, FakeMember, FakeSocket, ManualTimers } from './testing.ts';
import { CLOSE_CLIENT_TOO_SLOW, WatchSession, type WatchSessionLimits } from './watch-session.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface Setup {
  readonly member: FakeMember;
  readonly socket: FakeSocket;
  readonly timers: ManualTimers;
  readonly metrics: Metrics;
  readonly session: WatchSession;
  /** Sends a client message (with the protocol version filled in) and runs what it scheduled. */
  send(message: Record<string, unknown>): void;
  /** Applies a put through the member (as a replicated write would) and runs the pump. */
  put(key: string, value: string): Promise<void>;
}

function setup(
  options: {
    session?: Partial<WatchSessionLimits>;
    store?: Partial<StoreConfig>;
    timers?: ManualTimers;
  } = {},
): Setup {
  const member = new FakeMember({ ...(options.store === undefined ? {} : { store: options.store }) });
  const socket = new FakeSocket();
  const timers = options.timers ?? new ManualTimers();
  const metrics = new Metrics();
  const session = new WatchSession(member, socket, {
    limits: DEFAULT_LIMITS,
    logger: createLogger({ level: 'silent', name: 'watch' }),
    metrics,
    timers,
    ...(options.session === undefined ? {} : { sessionLimits: options.session }),
  });
  return {
    member,
    socket,
    timers,
    metrics,
    session,
    send(message) {
      session.receive(JSON.stringify({ v: 1, ...message }));
      timers.flush();
    },
    async put(key, value) {
      const command: Command = { op: 'put', request: { key, value: encoder.encode(value) } };
      await member.write(command);
      timers.flush();
    },
  };
}

function responses(socket: FakeSocket): WatchResponse[] {
  return socket.messages().map((message) => {
    assert.equal(message.type, 'watchResponse', JSON.stringify(message));
    return (message as Extract<WatchServerMessage, { type: 'watchResponse' }>).response;
  });
}

/** The progress answers (watchId -1) sent, with the freshness they carried. */
function progressAnswers(socket: FakeSocket) {
  return socket
    .messages()
    .filter((message) => message.type === 'watchResponse' && message.response.watchId === -1)
    .map((message) => message as Extract<WatchServerMessage, { type: 'watchResponse' }>);
}

function errors(socket: FakeSocket) {
  return socket
    .messages()
    .filter((message) => message.type === 'error')
    .map((message) => message as Extract<WatchServerMessage, { type: 'error' }>);
}

/** [watchId, revision, 'key=value' ...] per response carrying events. */
function eventsOf(list: readonly WatchResponse[]): [number, number, ...string[]][] {
  return list
    .filter((response) => response.events.length > 0)
    .map((response) => [
      response.watchId,
      response.revision,
      ...response.events.map((event) => `${event.kv.key}=${decoder.decode(event.kv.value)}`),
    ]);
}

async function watcherGauge(metrics: Metrics): Promise<string | undefined> {
  const text = (await metrics.render()).body;
  return /^vane_watchers (\S+)$/m.exec(text)?.[1];
}

describe('WatchSession', () => {
  test('many watches share one socket, each getting its own events under its own id', async () => {
    const s = setup();
    s.send({ type: 'watchCreate', watchId: 7, key: 'a/', prefix: true });
    s.send({ type: 'watchCreate', watchId: 9, key: 'b/', prefix: true });
    await s.put('a/x', '1');
    await s.put('b/y', '2');
    await s.put('a/z', '3');
    const all = responses(s.socket);
    assert.deepEqual(
      all.filter((r) => r.created).map((r) => r.watchId),
      [7, 9],
    );
    assert.deepEqual(eventsOf(all), [
      [7, 1, 'a/x=1'],
      [9, 2, 'b/y=2'],
      [7, 3, 'a/z=3'],
    ]);
    assert.equal(s.session.watchCount, 2);
    assert.equal(await watcherGauge(s.metrics), '2');
  });

  test('ids are assigned when the client gives none, and a taken id is refused', () => {
    const s = setup();
    s.send({ type: 'watchCreate', key: 'k1' });
    s.send({ type: 'watchCreate', key: 'k2' });
    s.send({ type: 'watchCreate', watchId: 1, key: 'k3' });
    assert.deepEqual(
      responses(filtered(s.socket, 'watchResponse')).map((r) => r.watchId),
      [0, 1],
    );
    const [refused] = errors(s.socket);
    assert.equal(refused?.watchId, 1);
    assert.match(refused?.error.message ?? '', /already in use/);
  });

  test('a canceled watch is acknowledged and delivers nothing more', async () => {
    const s = setup();
    s.send({ type: 'watchCreate', watchId: 1, key: 'k' });
    s.send({ type: 'watchCancel', watchId: 1 });
    await s.put('k', 'after');
    const all = responses(s.socket);
    assert.deepEqual(
      all.map((r) => [r.watchId, r.created === true, r.canceled === true]),
      [
        [1, true, false],
        [1, false, true],
      ],
    );
    assert.equal(s.member.store.watches.size, 0);
    assert.equal(await watcherGauge(s.metrics), '0');
    s.send({ type: 'watchCancel', watchId: 1 });
    assert.match(errors(s.socket)[0]?.error.message ?? '', /no watch 1/);
  });

  test('a watch resumes from a past revision, delivering every later event in order', async () => {
    const s = setup();
    for (let i = 1; i <= 5; i++) await s.put('k', `v${i}`);
    s.send({ type: 'watchCreate', watchId: 1, key: 'k', startRevision: 3, prevKv: true });
    const events = responses(s.socket).flatMap((r) => r.events);
    assert.deepEqual(
      events.map((e) => [e.kv.modRevision, decoder.decode(e.kv.value), decoder.decode(e.prevKv?.value)]),
      [
        [3, 'v3', 'v2'],
        [4, 'v4', 'v3'],
        [5, 'v5', 'v4'],
      ],
    );
  });

  test('a watch from a compacted revision is canceled with the compact revision', async () => {
    const s = setup();
    for (let i = 1; i <= 5; i++) await s.put('k', `v${i}`);
    await s.member.write({ op: 'compact', request: { revision: 4 } });
    s.send({ type: 'watchCreate', watchId: 3, key: 'k', startRevision: 2 });
    const canceled = responses(s.socket).find((r) => r.canceled);
    assert.equal(canceled?.watchId, 3);
    assert.equal(canceled?.compactRevision, 4);
    assert.match(canceled?.cancelReason ?? '', /compacted/);
    assert.equal(s.session.watchCount, 0);
  });

  test('a progress request is answered once every watch is caught up, with watchId -1', async () => {
    const s = setup();
    s.send({ type: 'progress' });
    assert.deepEqual(
      responses(s.socket).map((r) => [r.watchId, r.revision]),
      [[-1, 0]],
    );
    s.socket.clear();
    s.send({ type: 'watchCreate', watchId: 1, key: 'a' });
    await s.put('b', 'unwatched');
    await s.put('b', 'unwatched again');
    s.send({ type: 'progress' });
    assert.deepEqual(
      responses(s.socket).map((r) => [r.watchId, r.revision, r.created === true]),
      [
        [1, 0, true],
        [-1, 2, false],
      ],
    );
  });

  test('a progress request to a member cut off from the leader is still answered, marked stale with how long and why', async () => {
    const s = setup();
    s.send({ type: 'watchCreate', watchId: 1, key: 'a' });
    await s.put('a', 'before the partition');
    s.send({ type: 'progress' });
    const healthy = progressAnswers(s.socket);
    assert.deepEqual(
      healthy.map((m) => [m.response.revision, m.freshness]),
      [[1, undefined]],
      'a healthy member says nothing about freshness',
    );
    s.socket.clear();
    s.member.healthState = { ok: false, reason: 'no word from the leader for over 1000 ms' };
    const status = s.member.status();
    s.member.status = () => ({ ...status, leaderContactMs: 1730.4 });
    s.send({ type: 'progress' });
    assert.deepEqual(
      progressAnswers(s.socket).map((m) => [m.response.revision, m.freshness]),
      [[1, { stale: true, ageMs: 1730, reason: 'no word from the leader for over 1000 ms' }]],
    );
    s.socket.clear();
    s.member.healthState = { ok: true };
    s.send({ type: 'progress' });
    assert.deepEqual(
      progressAnswers(s.socket).map((m) => [m.response.revision, m.freshness]),
      [[1, undefined]],
      'healthy again: not stale',
    );
  });

  test('watches per connection are limited, with an error naming the limit', () => {
    const s = setup({ session: { maxWatches: 2 } });
    s.send({ type: 'watchCreate', watchId: 1, key: 'a' });
    s.send({ type: 'watchCreate', watchId: 2, key: 'b' });
    s.send({ type: 'watchCreate', watchId: 3, key: 'c' });
    const [refused] = errors(s.socket);
    assert.equal(refused?.watchId, 3);
    assert.match(refused?.error.message ?? '', /maxWatchesPerConnection/);
    s.send({ type: 'watchCancel', watchId: 1 });
    s.send({ type: 'watchCreate', watchId: 3, key: 'c' });
    assert.equal(s.session.watchCount, 2);
  });

  test('bad messages get an error saying what is wrong, and the session goes on', () => {
    const s = setup({ session: { maxMessageBytes: 200 } });
    s.session.receive('{"v":1,');
    s.session.receive(JSON.stringify({ v: 2, type: 'progress' }));
    s.session.receive(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 4, key: 'k', colour: 'red' }));
    s.session.receive(JSON.stringify({ v: 1, type: 'watchCreate', key: 'k'.repeat(300) }));
    s.timers.flush();
    assert.deepEqual(
      errors(s.socket).map((e) => [e.error.code, e.watchId]),
      [
        ['decodeError', undefined],
        ['unsupportedVersion', undefined],
        ['invalidRequest', 4],
        ['requestTooLarge', undefined],
      ],
    );
    assert.match(errors(s.socket)[3]!.error.message, /maxWatchMessageBytes/);
    s.send({ type: 'watchCreate', watchId: 1, key: 'k' });
    assert.equal(s.session.watchCount, 1);
    assert.equal(s.socket.closedWith, undefined);
  });

  test('closing the socket cancels every watch in the store', async () => {
    const s = setup();
    s.send({ type: 'watchCreate', watchId: 1, key: 'a' });
    s.send({ type: 'watchCreate', watchId: 2, key: 'b', prefix: true });
    assert.equal(s.member.store.watches.size, 2);
    s.session.closed();
    assert.equal(s.member.store.watches.size, 0);
    assert.equal(await watcherGauge(s.metrics), '0');
    await s.put('a', 'nobody listens');
    s.session.receive(JSON.stringify({ v: 1, type: 'progress' }));
    s.timers.flush();
    assert.equal(s.socket.sent.length, 2);
  });
});

describe('WatchSession fan-out', () => {
  test('watches of one prefix, on one socket or two, each get exact bytes under their own id, encoding and prevKv', async () => {
    const s = setup();
    const other = new FakeSocket();
    const second = new WatchSession(s.member, other, {
      limits: DEFAULT_LIMITS,
      logger: createLogger({ level: 'silent', name: 'watch' }),
      metrics: s.metrics,
      timers: s.timers,
    });
    const watches = [
      { socket: s.socket, watchId: 1, key: 'app/', prefix: true },
      { socket: s.socket, watchId: 2, key: 'app/', prefix: true, encoding: 'base64' },
      { socket: s.socket, watchId: 3, key: 'app/', prefix: true, prevKv: true },
      { socket: other, watchId: 1, key: 'app/', prefix: true, prevKv: true },
      { socket: other, watchId: 7, key: 'app/', prefix: true },
    ];
    for (const { socket, ...create } of watches) {
      (socket === other ? second : s.session).receive(
        JSON.stringify({ v: 1, type: 'watchCreate', ...create }),
      );
    }
    s.timers.flush();
    s.socket.clear();
    other.clear();
    await s.put('app/a', 'one');
    await s.put('app/a', 'two');
    await s.member.write({ op: 'put', request: { key: 'app/bin', value: new Uint8Array([0xff]) } });
    s.timers.flush();
    const header = { member: s.member.id, raftTerm: s.member.raftTerm };
    /** [watchId, revision, value as sent, prevKv's value] per event, after checking the message byte for byte. */
    const seen = (socket: FakeSocket, encodings: Record<number, ValueEncoding>) =>
      socket.messages().flatMap((message, i) => {
        assert.equal(message.type, 'watchResponse');
        const { response } = message as Extract<WatchServerMessage, { type: 'watchResponse' }>;
        const encoding = encodings[response.watchId]!;
        assert.equal(socket.sent[i], JSON.stringify(encodeWatchResponse(response, header, encoding)));
        const wire = JSON.parse(socket.sent[i]!) as {
          events: { kv: { value: string }; prevKv?: { value: string } }[];
        };
        return wire.events.map((e) => [response.watchId, response.revision, e.kv.value, e.prevKv?.value]);
      });
    assert.deepEqual(seen(s.socket, { 1: 'utf8', 2: 'base64', 3: 'utf8' }), [
      [1, 1, 'one', undefined],
      [2, 1, 'b25l', undefined],
      [3, 1, 'one', undefined],
      [1, 2, 'two', undefined],
      [2, 2, 'dHdv', undefined],
      [3, 2, 'two', 'one'],
      [1, 3, '/w==', undefined],
      [2, 3, '/w==', undefined],
      [3, 3, '/w==', undefined],
    ]);
    assert.deepEqual(seen(other, { 1: 'utf8', 7: 'utf8' }), [
      [1, 1, 'one', undefined],
      [7, 1, 'one', undefined],
      [1, 2, 'two', 'one'],
      [7, 2, 'two', undefined],
      [1, 3, '/w==', undefined],
      [7, 3, '/w==', undefined],
    ]);
  });

  test('a pump yields after pumpSliceMs and delivers the rest on its next turn, each response once', async () => {
    // A clock that moves on each time it is read: the pump sees its slice run out part-way.
    class SteppingTimers extends ManualTimers {
      #reads = 0;
      override now(): number {
        return super.now() + this.#reads++;
      }
    }
    const s = setup({ session: { pumpSliceMs: 3 }, timers: new SteppingTimers() });
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    for (const id of ids) s.send({ type: 'watchCreate', watchId: id, key: 'k' });
    s.socket.clear();
    await s.put('k', 'v');
    const first = responses(s.socket).length;
    assert.ok(first > 0 && first < ids.length, `${first} of 100 watches were served before the pump yielded`);
    s.timers.advance(0);
    assert.deepEqual(
      responses(s.socket)
        .map((r) => r.watchId)
        .sort((a, b) => a - b),
      ids,
    );
  });
});

describe('WatchSession back-pressure', () => {
  const sessionLimits = { pauseBufferedBytes: 1000, closeBufferedBytes: 100_000, pausePollMs: 10 };

  test('a full socket is not pumped, the store holds a bounded backlog, and all of it arrives once drained', async () => {
    const store = { maxWatcherBufferEvents: 32, maxCatchUpRevisions: 100 };
    const s = setup({ session: sessionLimits, store });
    s.send({ type: 'watchCreate', watchId: 1, key: 'k/', prefix: true });
    s.socket.buffered = 5000;
    s.socket.clear();
    const writes = 2000;
    for (let i = 1; i <= writes; i++) await s.put(`k/${i % 7}`, `v${i}`);
    s.timers.advance(1000);
    assert.equal(s.socket.sent.length, 0, 'nothing was sent while the socket was full');
    const watcher = [...Array(10).keys()]
      .map((id) => s.member.store.watches.get(id))
      .find((w) => w !== undefined);
    assert.ok(watcher !== undefined);
    assert.ok(watcher.queuedEvents <= 32, `the store holds ${watcher.queuedEvents} events for the watcher`);

    s.socket.buffered = 0;
    s.timers.advance(10);
    const revisions = eventsOf(responses(s.socket)).flatMap(([, , ...events]) => events.map((e) => e));
    assert.equal(revisions.length, writes);
    assert.deepEqual(revisions.slice(0, 3), ['k/1=v1', 'k/2=v2', 'k/3=v3']);
    assert.equal(revisions.at(-1), `k/${writes % 7}=v${writes}`);
    assert.equal(s.socket.closedWith, undefined);
  });

  test('pumping stops as soon as the socket fills, and resumes when it drains', async () => {
    const s = setup({
      session: { ...sessionLimits, responsesPerTake: 1 },
      store: { maxEventsPerWatchResponse: 1 },
    });
    s.send({ type: 'watchCreate', watchId: 1, key: 'k' });
    s.socket.clear();
    // Each send fills the socket: one response goes out per drain.
    const original = s.socket.send.bind(s.socket);
    s.socket.send = (text) => {
      original(text);
      s.socket.buffered = 2000;
    };
    for (let i = 1; i <= 3; i++) await s.put('k', `v${i}`);
    assert.equal(s.socket.sent.length, 1);
    s.timers.advance(50);
    assert.equal(s.socket.sent.length, 1, 'still full: nothing more');
    s.socket.buffered = 0;
    s.timers.advance(10);
    assert.equal(s.socket.sent.length, 2);
    s.socket.buffered = 0;
    s.timers.advance(10);
    assert.equal(s.socket.sent.length, 3);
  });

  test('a client that stays full past slowClientTimeoutMs is disconnected with a reason', async () => {
    const s = setup({ session: { ...sessionLimits, slowClientTimeoutMs: 5000 } });
    s.send({ type: 'watchCreate', watchId: 1, key: 'k' });
    s.socket.buffered = 5000;
    await s.put('k', 'stuck');
    s.timers.advance(4990);
    assert.equal(s.socket.closedWith, undefined);
    s.timers.advance(20);
    const closed = closeOf(s.socket);
    assert.equal(closed?.code, CLOSE_CLIENT_TOO_SLOW);
    assert.match(closed?.reason ?? '', /too slow.*resume/);
    assert.ok(encoder.encode(closed?.reason).length <= 123, 'fits a close frame');
    assert.equal(s.member.store.watches.size, 0);
  });

  test('a client that only reads now and then is not disconnected', async () => {
    const s = setup({ session: { ...sessionLimits, slowClientTimeoutMs: 5000 } });
    s.send({ type: 'watchCreate', watchId: 1, key: 'k' });
    for (let i = 0; i < 5; i++) {
      s.socket.buffered = 5000;
      await s.put('k', `v${i}`);
      s.timers.advance(4000);
      s.socket.buffered = 0;
      s.timers.advance(10);
    }
    assert.equal(s.socket.closedWith, undefined);
    assert.equal(eventsOf(responses(s.socket)).length, 5);
  });

  test('a client that keeps reading, however slowly, is not disconnected while a backlog remains', async () => {
    const s = setup({
      session: { ...sessionLimits, responsesPerTake: 1, slowClientTimeoutMs: 5000 },
      store: { maxEventsPerWatchResponse: 1 },
    });
    s.send({ type: 'watchCreate', watchId: 1, key: 'k' });
    const original = s.socket.send.bind(s.socket);
    s.socket.send = (text) => {
      original(text);
      s.socket.buffered = 2000;
    };
    for (let i = 1; i <= 20; i++) await s.put('k', `v${i}`);
    for (let round = 0; round < 10; round++) {
      s.timers.advance(4000);
      s.socket.buffered = 0;
      s.timers.advance(10);
    }
    assert.equal(s.socket.closedWith, undefined);
    assert.equal(eventsOf(responses(s.socket)).length, 11);
  });

  test('a client that sends requests but never reads is disconnected at closeBufferedBytes', () => {
    const s = setup({ session: sessionLimits });
    s.socket.buffered = 100_000;
    s.send({ type: 'progress' });
    assert.equal(s.socket.closedWith?.code, CLOSE_CLIENT_TOO_SLOW);
    assert.equal(s.socket.sent.length, 0);
  });

  test('watches take turns: a long catch-up does not hold back another watch', async () => {
    const s = setup({
      session: { ...sessionLimits, responsesPerTake: 4 },
      store: { maxEventsPerWatchResponse: 1 },
    });
    for (let i = 1; i <= 200; i++) await s.put('busy', `v${i}`);
    s.socket.buffered = 5000;
    s.send({ type: 'watchCreate', watchId: 1, key: 'busy', startRevision: 1 });
    s.send({ type: 'watchCreate', watchId: 2, key: 'quiet' });
    await s.put('quiet', 'hello');
    s.socket.buffered = 0;
    s.timers.advance(10);
    const list = responses(s.socket);
    assert.equal(list.filter((r) => r.watchId === 1 && r.events.length > 0).length, 200);
    const quiet = list.findIndex((r) => r.watchId === 2 && r.events.length > 0);
    assert.ok(quiet >= 0 && quiet < 10, `watch 2's event was response ${quiet} of ${list.length}`);
  });
});

/** Read through a function: TypeScript would keep a field narrowed to undefined across the calls that set it. */
function closeOf(socket: FakeSocket): FakeSocket['closedWith'] {
  return socket.closedWith;
}

function filtered(socket: FakeSocket, type: WatchServerMessage['type']): FakeSocket {
  const copy = new FakeSocket();
  socket.messages().forEach((message, i) => {
    if (message.type === type) copy.sent.push(socket.sent[i]!);
  });
  return copy;
}

describe('WatchSession requests', () => {
  type Answer = Extract<WatchServerMessage, { type: 'response' | 'error' }>;

  /** The request answers sent so far, once `count` of them have arrived (requests run asynchronously). */
  async function answers(s: Setup, count: number): Promise<Answer[]> {
    for (let turns = 0; turns < 1000; turns++) {
      const found = s.socket
        .messages()
        .filter(
          (m): m is Answer => m.type === 'response' || (m.type === 'error' && m.requestId !== undefined),
        );
      if (found.length >= count) return found;
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`expected ${count} request answers, got fewer`);
  }

  /** A member whose writes wait until the test releases them. */
  class HeldMember extends FakeMember {
    readonly held: (() => void)[] = [];
    override async write(...args: Parameters<FakeMember['write']>): ReturnType<FakeMember['write']> {
      await new Promise<void>((resolve) => this.held.push(resolve));
      return super.write(...args);
    }
  }

  test('every op runs over the socket and answers as its HTTP route does', async () => {
    const s = setup();
    const { app } = createTestApp();
    const steps: [string, Record<string, unknown>, string, string, unknown?][] = [
      ['leaseGrant', { ttl: 60, id: 5 }, 'POST', '/v1/lease/grant', { ttl: 60, id: 5 }],
      ['put', { key: 'a/1', value: 'one', lease: 5 }, 'PUT', '/v1/kv/a%2F1', { value: 'one', lease: 5 }],
      [
        'put',
        { key: 'a/2', value: 'two', prevKv: true },
        'PUT',
        '/v1/kv/a%2F2',
        { value: 'two', prevKv: true },
      ],
      ['range', { key: 'a/', prefix: true }, 'POST', '/v1/kv/range', { key: 'a/', prefix: true }],
      [
        'txn',
        {
          compare: [{ key: 'a/1', target: 'version', result: 'equal', value: 1 }],
          success: [{ put: { key: 'a/3', value: '3' } }],
        },
        'POST',
        '/v1/txn',
        {
          compare: [{ key: 'a/1', target: 'version', result: 'equal', value: 1 }],
          success: [{ put: { key: 'a/3', value: '3' } }],
        },
      ],
      ['deleteRange', { key: 'a/2', prevKv: true }, 'DELETE', '/v1/kv/a%2F2?prevKv=true'],
      ['leaseKeepAlive', { id: 5 }, 'POST', '/v1/lease/keepalive', { id: 5 }],
      ['leaseTimeToLive', { id: 5, keys: true }, 'POST', '/v1/lease/timetolive', { id: 5, keys: true }],
      ['leaseList', {}, 'GET', '/v1/lease'],
      ['leaseRevoke', { id: 5 }, 'POST', '/v1/lease/revoke', { id: 5 }],
      ['compact', { revision: 3 }, 'POST', '/v1/compact', { revision: 3 }],
    ];
    for (const [i, [op, body, method, path, httpBody]] of steps.entries()) {
      s.send({ type: 'request', id: i, op, body });
      const answer = (await answers(s, i + 1))[i]!;
      assert.equal(answer.type, 'response', `${op}: ${JSON.stringify(answer)}`);
      if (answer.type !== 'response') continue;
      assert.equal(answer.id, i);
      const http = await app.request(path, {
        method,
        ...(httpBody === undefined
          ? {}
          : { body: JSON.stringify(httpBody), headers: { 'content-type': 'application/json' } }),
      });
      assert.equal(http.status, 200, op);
      assert.deepStrictEqual({ header: answer.header, ...answer.body }, await http.json(), op);
    }
  });

  test('a write retried with the same requestId applies once and gets the first answer again', async () => {
    const s = setup();
    s.send({ type: 'request', id: 1, op: 'put', body: { key: 'k', value: 'v', requestId: 'client-1' } });
    s.send({ type: 'request', id: 2, op: 'put', body: { key: 'k', value: 'v', requestId: 'client-1' } });
    const [first, retry] = await answers(s, 2);
    assert.equal(first?.type, 'response');
    assert.deepStrictEqual(retry && { ...retry, id: 1 }, first);
    assert.equal((s.member.store.range({ key: 'k' }) as RangeResponse).kvs[0]?.version, 1);
  });

  test('a refused request gets an error carrying its id, and the session goes on', async () => {
    const s = setup();
    s.send({ type: 'request', id: 3, op: 'put', body: { key: 'k' } });
    s.send({ type: 'request', id: 4, op: 'rename', body: {} });
    s.send({ type: 'request', id: 5, op: 'leaseRevoke', body: { id: 99 } });
    s.send({ type: 'request', id: 6, op: 'range', body: { key: 'k' } });
    const found = await answers(s, 4);
    const outcomes = found.map((a) => (a.type === 'error' ? [a.requestId, a.error.code] : [a.id, 'ok']));
    assert.deepStrictEqual(Object.fromEntries(outcomes), {
      3: 'invalidRequest',
      4: 'invalidRequest',
      5: 'leaseNotFound',
      6: 'ok',
    });
    const refused = found.find((a) => a.type === 'error' && a.requestId === 3);
    assert.equal(
      refused?.type === 'error' && refused.error.message,
      'put.value: missing (required unless ignoreValue is true)',
    );
    assert.equal(s.socket.closedWith, undefined);
  });

  test('requests running at once per connection are limited, with an error naming the limit', async () => {
    const member = new HeldMember();
    const socket = new FakeSocket();
    const session = new WatchSession(member, socket, {
      limits: DEFAULT_LIMITS,
      logger: createLogger({ level: 'silent', name: 'watch' }),
      metrics: new Metrics(),
      timers: new ManualTimers(),
      sessionLimits: { maxPendingRequests: 2 },
    });
    const put = (id: number) =>
      session.receive(
        JSON.stringify({ v: 1, type: 'request', id, op: 'put', body: { key: `k${id}`, value: 'v' } }),
      );
    put(1);
    put(1);
    put(2);
    put(3);
    assert.equal(session.pendingRequestCount, 2);
    const refusals = socket.messages().filter((m) => m.type === 'error');
    assert.deepStrictEqual(
      refusals.map((m) => m.type === 'error' && [m.requestId, m.error.code]),
      [
        [1, 'invalidRequest'],
        [3, 'unavailable'],
      ],
    );
    assert.match(
      refusals[1]?.type === 'error' ? refusals[1].error.message : '',
      /maxPendingRequestsPerConnection/,
    );
    for (const release of member.held.splice(0)) release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(session.pendingRequestCount, 0);
    put(3);
    assert.equal(session.pendingRequestCount, 1);
  });

  test('a request message carries a value as large as an HTTP body may', async () => {
    const s = setup();
    const value = 'x'.repeat(1024 * 1024);
    s.send({ type: 'request', id: 1, op: 'put', body: { key: 'big', value } });
    const [answer] = await answers(s, 1);
    assert.equal(answer?.type, 'response');
    assert.equal((s.member.store.range({ key: 'big' }) as RangeResponse).kvs[0]?.value.length, value.length);
  });

  test('an answer that comes after the socket closed is dropped', async () => {
    const member = new HeldMember();
    const socket = new FakeSocket();
    const session = new WatchSession(member, socket, {
      limits: DEFAULT_LIMITS,
      logger: createLogger({ level: 'silent', name: 'watch' }),
      metrics: new Metrics(),
      timers: new ManualTimers(),
    });
    session.receive(
      JSON.stringify({ v: 1, type: 'request', id: 1, op: 'put', body: { key: 'k', value: 'v' } }),
    );
    session.closed();
    for (const release of member.held.splice(0)) release();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepStrictEqual(socket.sent, []);
  });
});
