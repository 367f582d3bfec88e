// The watch protocol as browsers see it from an edge object: created, resumed from history or
// cancelled as compacted, live deliveries with filters and prevKv, progress with freshness, limits
// with named errors, and watches that survive the object forgetting them (hibernation).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeWatchServerMessage, isDecodeError, type RequestMessage } from '../../core/protocol/index.ts';
import type { KeyValue, WatchEvent } from '../../core/store/index.ts';
import { BrowserConnections, type ConnectionHost } from './browser-watches.ts';
import { DEFAULT_EDGE_LIMITS } from './limits.ts';
import { PrefixState } from './prefix-state.ts';
import { RecordingSocket } from './testing.ts';

const text = new TextEncoder();

function put(key: string, value: string, revision: number): WatchEvent {
  const kv: KeyValue = {
    key,
    value: text.encode(value),
    createRevision: revision,
    modRevision: revision,
    version: 1,
    lease: 0,
  };
  return { type: 'put', kv };
}

function setup(limits = DEFAULT_EDGE_LIMITS) {
  const state = new PrefixState('app/', 10, [], { maxChangeSets: 3, maxBytes: 1 << 20 });
  const sockets: RecordingSocket[] = [];
  const host: ConnectionHost = {
    state,
    meta: { member: 'edge', raftTerm: 0 },
    limits,
    freshness: () => ({ stale: true, ageMs: 1234 }),
    sockets: () => sockets,
  };
  const requests: RequestMessage[] = [];
  const connections = new BrowserConnections(host);
  const connect = (): RecordingSocket => {
    const socket = new RecordingSocket();
    sockets.push(socket);
    connections.opened(socket);
    return socket;
  };
  const send = (socket: RecordingSocket, message: object): void =>
    connections.receive(socket, JSON.stringify({ v: 1, ...message }), async (request) => {
      requests.push(request);
    });
  const change = (revision: number, events: WatchEvent[]): void => {
    const { changeSet } = state.apply(revision, events);
    connections.deliver(changeSet);
  };
  return { state, sockets, connections, connect, send, change, requests, host };
}

describe('BrowserConnections', () => {
  it('creates a watch, delivers matching changes in the server protocol, and cancels on request', () => {
    const t = setup();
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 7, key: 'app/flags/', prefix: true });
    const [created] = socket.take();
    assert.deepEqual([created.watchId, created.created, created.header.revision], [7, true, 10]);
    assert.deepEqual(created.edge, { stale: true, ageMs: 1234 });
    t.change(11, [put('app/flags/a', 'on', 11), put('app/other', 'x', 11)]);
    const [delivered] = socket.sent.map((m) => JSON.parse(m));
    const decoded = decodeWatchServerMessage(JSON.parse(socket.sent[0]!));
    assert.ok(!isDecodeError(decoded) && decoded.type === 'watchResponse');
    assert.equal(delivered.watchId, 7);
    assert.deepEqual(
      delivered.events.map((e: { kv: { key: string; value: string } }) => [e.kv.key, e.kv.value]),
      [['app/flags/a', 'on']],
    );
    socket.take();
    t.send(socket, { type: 'watchCancel', watchId: 7 });
    assert.equal(socket.take()[0].canceled, true);
    t.change(12, [put('app/flags/a', 'off', 12)]);
    assert.deepEqual(socket.take(), []);
  });

  it('resumes from a revision in its history with every change since, prevKv when asked', () => {
    const t = setup();
    t.change(11, [put('app/a', 'v11', 11)]);
    t.change(12, [put('app/a', 'v12', 12)]);
    t.change(13, [put('app/b', 'v13', 13)]);
    const socket = t.connect();
    t.send(socket, {
      type: 'watchCreate',
      watchId: 1,
      key: 'app/',
      prefix: true,
      startRevision: 12,
      prevKv: true,
    });
    const [created, r12, r13] = socket.take();
    assert.equal(created.created, true);
    assert.deepEqual(
      [r12.header.revision, r12.events[0].kv.value, r12.events[0].prevKv.value],
      [12, 'v12', 'v11'],
    );
    assert.deepEqual([r13.header.revision, r13.events[0].kv.key], [13, 'app/b']);
  });

  it('cancels a resume from before its history with the compact revision, so the SDK re-lists', () => {
    const t = setup();
    for (let r = 11; r <= 15; r++) t.change(r, [put('app/a', `v${r}`, r)]);
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 1, key: 'app/', prefix: true, startRevision: 12 });
    const [, canceled] = socket.take();
    assert.deepEqual([canceled.canceled, canceled.compactRevision], [true, 13]);
    assert.match(canceled.cancelReason, /older than the history this edge keeps/);
    t.change(16, [put('app/a', 'v16', 16)]);
    assert.deepEqual(socket.take(), []);
  });

  it('applies filters and per-watch encodings to the same change', () => {
    const t = setup();
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 1, key: 'app/', prefix: true, filters: ['noPut'] });
    t.send(socket, { type: 'watchCreate', watchId: 2, key: 'app/a', encoding: 'base64' });
    socket.take();
    t.change(11, [put('app/a', 'hi', 11)]);
    const sent = socket.take();
    assert.equal(sent.length, 1);
    assert.deepEqual([sent[0].watchId, sent[0].events[0].kv.value], [2, 'aGk=']);
  });

  it('keeps watches in the socket attachment, so a woken object still delivers to them', () => {
    const t = setup();
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 3, key: 'app/', prefix: true });
    socket.take();
    // A new object (after eviction) has only the sockets and their attachments.
    const woken = new BrowserConnections(t.host);
    const { changeSet } = t.state.apply(11, [put('app/x', '1', 11)]);
    woken.deliver(changeSet);
    assert.equal(socket.take()[0].watchId, 3);
  });

  it('answers progress with the revision and freshness, and notifies watches that asked for it', () => {
    const t = setup();
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 1, key: 'app/', prefix: true, progressNotify: true });
    t.send(socket, { type: 'progress' });
    const [, progress] = socket.take();
    assert.deepEqual([progress.watchId, progress.header.revision, progress.edge.stale], [-1, 10, true]);
    t.state.advance(20);
    t.connections.notifyProgress(20);
    assert.deepEqual(
      socket.take().map((m) => [m.watchId, m.header.revision]),
      [[1, 20]],
    );
  });

  it('refuses watches outside its prefix, over the per-connection limits, and bad messages, naming why', () => {
    const t = setup({ ...DEFAULT_EDGE_LIMITS, watchesPerConnection: 1 });
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 1, key: 'other/', prefix: true });
    assert.match(socket.take()[0].error.message, /serves prefix 'app\/' only/);
    t.send(socket, { type: 'watchCreate', watchId: 1, key: 'app/', prefix: true });
    t.send(socket, { type: 'watchCreate', watchId: 2, key: 'app/b' });
    assert.match(socket.take()[1].error.message, /watchesPerConnection/);
    t.connections.receive(socket, 'not json', async () => {});
    assert.equal(socket.take()[0].error.code, 'decodeError');
    t.connections.receive(socket, 'x'.repeat(DEFAULT_EDGE_LIMITS.browserMessageBytes + 1), async () => {});
    assert.match(socket.take()[0].error.message, /browserMessageBytes/);
  });

  it('refuses watches whose registrations would not fit the hibernation attachment', () => {
    const t = setup();
    const socket = t.connect();
    t.send(socket, { type: 'watchCreate', watchId: 1, key: `app/${'k'.repeat(1900)}` });
    const [refusal] = socket.take();
    assert.equal(refusal.error.code, 'requestTooLarge');
    assert.match(refusal.error.message, /connectionWatchBytes/);
  });

  it('hands requests (reads and writes) to the object, and cancels every watch when the state jumps', () => {
    const t = setup();
    const socket = t.connect();
    t.send(socket, { type: 'request', id: 4, op: 'range', body: { key: 'app/a' } });
    assert.deepEqual(
      t.requests.map((r) => [r.id, r.request.op]),
      [[4, 'range']],
    );
    t.send(socket, { type: 'watchCreate', watchId: 1, key: 'app/', prefix: true });
    socket.take();
    t.connections.cancelAll(51);
    const [canceled] = socket.take();
    assert.deepEqual([canceled.watchId, canceled.canceled, canceled.compactRevision], [1, true, 51]);
    t.change(52, [put('app/a', 'after', 52)]);
    assert.deepEqual(socket.take(), []);
  });
});
