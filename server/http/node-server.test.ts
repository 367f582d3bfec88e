// The client API served for real by the Node adapter, on a loopback port: HTTP through
// @hono/node-server and a watch over a `ws` WebSocket.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  decodeWatchServerMessage,
  isDecodeError,
  type WatchServerMessage,
} from '../../core/protocol/index.ts';
import { serveClientApi } from '../adapters/node/http.ts';
import type { ClientApiServer } from '../adapters/start-member.ts';
import { createLogger } from '../log.ts';
import { createTestApp } from './testing.ts';
import { WatchSession } from './watch-session.ts';

/** Messages of one client socket, awaited one at a time. */
class Inbox {
  readonly #messages: WatchServerMessage[] = [];
  readonly #waiting: ((message: WatchServerMessage) => void)[] = [];

  constructor(ws: WebSocket) {
    ws.on('message', (data) => {
      const message = decodeWatchServerMessage(JSON.parse(String(data)) as unknown);
      if (isDecodeError(message)) throw new Error(message.message);
      const waiter = this.#waiting.shift();
      if (waiter === undefined) this.#messages.push(message);
      else waiter(message);
    });
  }

  next(): Promise<WatchServerMessage> {
    const message = this.#messages.shift();
    if (message !== undefined) return Promise.resolve(message);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}

function connect(url: string, headers: Record<string, string> = {}, autoPong = true): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, autoPong });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

describe('the Node adapter', () => {
  const { app, member, metrics } = createTestApp();
  let server: ClientApiServer;
  let base: string;

  before(async () => {
    server = await serveClientApi({
      app,
      host: '127.0.0.1',
      port: 0,
      maxWatchMessageBytes: 64 * 1024,
      allowsOrigin: (origin) => origin === 'https://app.example.com',
      onWatchSocket: (socket) =>
        new WatchSession(member, socket, {
          limits: DEFAULT_LIMITS,
          logger: createLogger({ level: 'silent', name: 'watch' }),
          metrics,
        }),
    });
    base = `127.0.0.1:${server.port}`;
  });

  after(async () => {
    await server.close();
  });

  test('serves HTTP on the port it bound', async () => {
    assert.ok(server.port > 0);
    const response = await fetch(`http://${base}/health`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
  });

  test('a watch over a real WebSocket sees a write made over HTTP', async () => {
    const ws = await connect(`ws://${base}/v1/watch`, { Origin: 'https://app.example.com' });
    const inbox = new Inbox(ws);
    ws.send(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 5, key: 'live/', prefix: true }));
    const created = await inbox.next();
    assert.ok(created.type === 'watchResponse' && created.response.created === true);

    const written = await fetch(`http://${base}/v1/kv/live%2Fflag`, {
      method: 'PUT',
      body: JSON.stringify({ value: 'on' }),
    });
    assert.equal(written.status, 200);
    const event = await inbox.next();
    assert.ok(event.type === 'watchResponse');
    assert.equal(event.response.watchId, 5);
    assert.equal(event.response.events[0]?.kv.key, 'live/flag');
    assert.equal(new TextDecoder().decode(event.response.events[0]?.kv.value), 'on');
    assert.equal(event.header.revision, Number(written.headers.get('X-Vane-Revision')));

    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.close(1000, 'done');
    assert.equal(await closed, 1000);
  });

  test('upgrades elsewhere than /v1/watch, or from an origin not allowed, are refused', async () => {
    await assert.rejects(connect(`ws://${base}/v1/other`), /HTTP 404/);
    await assert.rejects(
      connect(`ws://${base}/v1/watch`, { Origin: 'https://evil.example.com' }),
      /HTTP 403/,
    );
  });

  test('a binary frame closes the socket with 1003', async () => {
    const ws = await connect(`ws://${base}/v1/watch`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(new Uint8Array([1, 2, 3]));
    assert.equal(await closed, 1003);
  });

  test('a frame over maxWatchMessageBytes closes the socket with 1009', async () => {
    const ws = await connect(`ws://${base}/v1/watch`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send('x'.repeat(64 * 1024 + 1));
    assert.equal(await closed, 1009);
  });
});

test('close() ends open watch sockets with 1001 and releases their watches', async () => {
  const { app, member, metrics } = createTestApp();
  const server = await serveClientApi({
    app,
    host: '127.0.0.1',
    port: 0,
    maxWatchMessageBytes: 1024,
    onWatchSocket: (socket) =>
      new WatchSession(member, socket, {
        limits: DEFAULT_LIMITS,
        logger: createLogger({ level: 'silent', name: 'watch' }),
        metrics,
      }),
  });
  const ws = await connect(`ws://127.0.0.1:${server.port}/v1/watch`);
  const inbox = new Inbox(ws);
  ws.send(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 1, key: 'k' }));
  await inbox.next();
  assert.equal(member.store.watches.size, 1);
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await server.close();
  assert.equal(await closed, 1001);
  assert.equal(member.store.watches.size, 0);
});

test('a watch client that stops answering pings is cut off and its watches released', async () => {
  const { app, member, metrics } = createTestApp();
  let sessionEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    sessionEnded = resolve;
  });
  const server = await serveClientApi({
    app,
    host: '127.0.0.1',
    port: 0,
    maxWatchMessageBytes: 1024,
    heartbeatMs: 100,
    onWatchSocket: (socket) => {
      const session = new WatchSession(member, socket, {
        limits: DEFAULT_LIMITS,
        logger: createLogger({ level: 'silent', name: 'watch' }),
        metrics,
      });
      return {
        receive: (text) => session.receive(text),
        closed: () => {
          session.closed();
          sessionEnded();
        },
      };
    },
  });
  const answering = await connect(`ws://127.0.0.1:${server.port}/v1/watch`);
  const silent = await connect(`ws://127.0.0.1:${server.port}/v1/watch`, {}, false);
  const inbox = new Inbox(silent);
  silent.send(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 1, key: 'k' }));
  await inbox.next();
  const closed = await new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
  assert.equal(closed, 1006, 'cut off without a close handshake');
  await ended;
  assert.equal(member.store.watches.size, 0);
  assert.equal(answering.readyState, WebSocket.OPEN, 'a client answering pings stays connected');
  answering.close();
  await server.close();
});
