// The limits on what clients may hold of a member, over real sockets: open connections (HTTP and
// watch WebSockets together), request size, and a watch client that stops reading (disconnected
// before its buffer passes a bound, while other clients keep receiving). Each is set by a `vane
// serve` flag, checked here on a member started in this process.
import assert from 'node:assert/strict';
import { Agent, request as httpRequest } from 'node:http';
import { after, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import { serveClientApi } from '../adapters/node/http.ts';
import { startOneMemberCluster, type TestMember } from '../adapters/node/testing.ts';
import { type RawServeOptions, resolveConfig } from '../config.ts';
import { createLogger } from '../log.ts';
import { CLOSE_CLIENT_TOO_SLOW, type ClientSocket, WatchSession, type WatchSessionLimits } from './index.ts';
import { createTestApp, FakeMember } from './testing.ts';

const WAIT_MS = 10_000;

async function waitFor(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!(await condition())) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request; `agent` false opens a connection of its own. */
function get(port: number, path: string, agent: Agent | false = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function openWatch(port: number): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/watch`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** The status and body with which an upgrade was refused. */
function refusedWatch(port: number): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/watch`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => reject(new Error('the upgrade was accepted')));
    ws.once('error', () => {});
    ws.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
  });
}

function closedWith(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

const members: TestMember[] = [];
after(async () => {
  for (const member of members) await member.stop();
});

/** A member of a one-member cluster, started with these `vane serve` flags. */
async function startWith(flags: RawServeOptions): Promise<TestMember> {
  const member = await startOneMemberCluster(flags);
  members.push(member);
  return member;
}

describe('maximum client connections (--max-client-connections)', () => {
  test('HTTP and watch connections count together; one over the limit is answered 503 naming it, then closed', async () => {
    const { app, member, metrics } = createTestApp();
    const logger = createLogger({ level: 'silent', name: 'watch' });
    const server = await serveClientApi({
      app,
      host: '127.0.0.1',
      port: 0,
      maxWatchMessageBytes: 1024,
      maxConnections: 3,
      onWatchSocket: (socket) =>
        new WatchSession(member, socket, { limits: DEFAULT_LIMITS, logger, metrics }),
    });
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const watches = [await openWatch(server.port), await openWatch(server.port)];
      assert.equal(
        (await get(server.port, '/health', keepAlive)).status,
        200,
        'the third connection is served',
      );

      const refused = await get(server.port, '/health');
      assert.equal(refused.status, 503);
      assert.equal(refused.headers['retry-after'], '1');
      assert.equal(refused.headers.connection, 'close');
      const error = (
        JSON.parse(refused.body) as { error: { code: string; message: string; details: unknown } }
      ).error;
      assert.equal(error.code, 'unavailable');
      assert.match(error.message, /already has 3 open client connections \(maxClientConnections\)/);
      assert.deepEqual(error.details, { limit: 'maxClientConnections', maximum: 3 });

      const upgrade = await refusedWatch(server.port);
      assert.equal(upgrade.status, 503);
      assert.match(upgrade.body, /maxClientConnections/);

      assert.equal(
        (await get(server.port, '/health', keepAlive)).status,
        200,
        'connections within the limit are unaffected',
      );
      const closing = closedWith(watches[0]!);
      watches[0]!.close();
      await closing;
      await waitFor(
        'the closed watch to free its slot',
        async () => (await get(server.port, '/health')).status === 200,
      );
      const another = await openWatch(server.port);
      another.close();
      watches[1]!.close();
    } finally {
      keepAlive.destroy();
      await server.close();
    }
  });

  test('the flag sets the limit of a member', async () => {
    const { running } = await startWith({ 'max-client-connections': '2' });
    const watches = [await openWatch(running.clientPort), await openWatch(running.clientPort)];
    const refused = await get(running.clientPort, '/health');
    assert.equal(refused.status, 503);
    assert.match(refused.body, /already has 2 open client connections \(maxClientConnections\)/);
    for (const ws of watches) ws.close();
  });
});

describe('maximum request size (--max-request-bytes)', () => {
  test('a body over the limit is refused with 413 naming the limit; one at the limit is taken', async () => {
    const { running } = await startWith({ 'max-request-bytes': '1024' });
    const put = (bytes: number) =>
      fetch(`http://127.0.0.1:${running.clientPort}/v1/kv/big`, {
        method: 'PUT',
        body: JSON.stringify({ value: 'x'.repeat(bytes - '{"value":""}'.length) }),
      });
    const over = await put(2000);
    assert.equal(over.status, 413);
    const { error } = (await over.json()) as { error: { code: string; message: string } };
    assert.equal(error.code, 'requestTooLarge');
    assert.equal(error.message, 'body exceeds the 1 KiB limit (maxRequestBytes); it has 1.95 KiB');
    assert.equal((await put(1024)).status, 200);
  });
});

describe('a watch client that stops reading (--max-watch-buffer-bytes, --slow-watcher-timeout-ms)', () => {
  const TOO_SLOW =
    /^too slow: over (64 KiB unsent for \d+ s \(slowWatcherTimeoutMs\)|1 MiB unsent \(maxWatchBufferBytes\)); reconnect and resume$/;

  test('is disconnected with a reason naming the limit, while another client of the member receives everything', async () => {
    const started = await startWith({
      'max-watch-buffer-bytes': String(1024 * 1024),
      'slow-watcher-timeout-ms': '300',
    });
    const port = started.running.clientPort;
    const [fast, slow] = [await openWatch(port), await openWatch(port)];
    const fastEvents: { key: string; modRevision: number }[] = [];
    let slowMessages = 0;
    fast.on('message', (data) => {
      const message = JSON.parse(String(data)) as { events?: { kv: { key: string; modRevision: number } }[] };
      for (const { kv } of message.events ?? [])
        fastEvents.push({ key: kv.key, modRevision: kv.modRevision });
    });
    slow.on('message', () => {
      slowMessages++;
    });
    for (const ws of [fast, slow])
      ws.send(JSON.stringify({ v: 1, type: 'watchCreate', watchId: 1, key: 'load/', prefix: true }));
    await waitFor('both watches created', () => slowMessages === 1);
    slow.pause();
    const slowClosed = closedWith(slow);

    // 12 MiB of events: more than the kernel's socket buffers take, so the member's own buffer fills.
    const writes = 48;
    const value = 'v'.repeat(256 * 1024);
    for (let first = 0; first < writes; first += 8) {
      await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          fetch(`http://127.0.0.1:${port}/v1/kv/load%2F${first + i}`, {
            method: 'PUT',
            body: JSON.stringify({ value }),
          }).then((response) => assert.equal(response.status, 200)),
        ),
      );
    }
    await waitFor('the fast client to receive every event', () => fastEvents.length === writes);
    const revisions = fastEvents.map((event) => event.modRevision);
    assert.deepEqual(
      revisions,
      [...revisions].sort((a, b) => a - b),
      'in revision order',
    );
    assert.equal(new Set(fastEvents.map((event) => event.key)).size, writes, 'none missing, none twice');
    await waitFor('the member to disconnect the slow client', () =>
      started.logLines.some((line) => /watch client (too slow|not reading)/.test(line)),
    );
    assert.equal(fast.readyState, WebSocket.OPEN, 'the fast client stays connected');

    slow.resume();
    const { code, reason } = await slowClosed;
    assert.equal(code, CLOSE_CLIENT_TOO_SLOW);
    assert.match(reason, TOO_SLOW);
    assert.ok(slowMessages < writes, `the slow client was cut off (${slowMessages} messages of ${writes})`);
    fast.close();
  });

  /** A member (FakeMember) whose watch sessions report the most unsent bytes they ever left a socket with. */
  async function measuredServer(sessionLimits: Partial<WatchSessionLimits>) {
    // One event per watch response, so that a response is one value's size.
    const { app, member, metrics } = createTestApp({
      member: new FakeMember({ store: { maxEventsPerWatchResponse: 1 } }),
    });
    const measured = { mostBuffered: 0 };
    const server = await serveClientApi({
      app,
      host: '127.0.0.1',
      port: 0,
      maxWatchMessageBytes: 1024,
      onWatchSocket: (socket) => {
        const measuring: ClientSocket = {
          send: (text) => {
            socket.send(text);
            measured.mostBuffered = Math.max(measured.mostBuffered, socket.bufferedAmount());
          },
          close: (code, reason) => socket.close(code, reason),
          bufferedAmount: () => socket.bufferedAmount(),
        };
        return new WatchSession(member, measuring, {
          limits: DEFAULT_LIMITS,
          sessionLimits,
          logger: createLogger({ level: 'silent', name: 'watch' }),
          metrics,
        });
      },
    });
    const slow = await openWatch(server.port);
    const created = new Promise((resolve) => slow.once('message', resolve));
    slow.send(JSON.stringify({ v: 1, type: 'watchCreate', key: 'load/', prefix: true }));
    await created;
    slow.pause();
    return { server, member, measured, slow, closed: closedWith(slow) };
  }

  async function writeValues(member: FakeMember, count: number, bytes: number): Promise<void> {
    const value = new Uint8Array(bytes).fill(0x76);
    for (let i = 0; i < count; i++) {
      await member.write({ op: 'put', request: { key: `load/${i}`, value } });
      // Let the session pump and the socket write, as a member's apply loop would.
      if (i % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  test('with small messages: paused at 1/16 of the bound, then cut off after the timeout, naming it', async () => {
    const closeBufferedBytes = 1024 * 1024;
    const { server, member, measured, slow, closed } = await measuredServer({
      pauseBufferedBytes: 64 * 1024,
      closeBufferedBytes,
      slowClientTimeoutMs: 300,
    });
    await writeValues(member, 1024, 16 * 1024);
    await waitFor('the slow client to be disconnected', () => member.store.watches.size === 0);
    slow.resume();
    const { code, reason } = await closed;
    assert.equal(code, CLOSE_CLIENT_TOO_SLOW);
    assert.match(reason, /\(slowWatcherTimeoutMs\)/);
    assert.ok(measured.mostBuffered >= 64 * 1024, `the buffer filled (${measured.mostBuffered} bytes)`);
    assert.ok(measured.mostBuffered < closeBufferedBytes, `under the bound; saw ${measured.mostBuffered}`);
    await server.close();
  });

  test('with large messages: cut off as soon as the bound is passed, holding at most the bound and one message', async () => {
    const closeBufferedBytes = 1024 * 1024;
    const messageBytes = 256 * 1024;
    const { server, member, measured, slow, closed } = await measuredServer({
      pauseBufferedBytes: 64 * 1024,
      closeBufferedBytes,
      slowClientTimeoutMs: 60_000,
      responsesPerTake: 64,
    });
    // 16 MiB of writes before the session runs, which then takes all 64 responses in one turn: more
    // than the kernel's buffers hold, so the bound is passed within that turn (not by the timeout).
    const value = new Uint8Array(messageBytes).fill(0x76);
    for (let i = 0; i < 64; i++) void member.write({ op: 'put', request: { key: `load/${i}`, value } });
    await waitFor('the slow client to be disconnected', () => member.store.watches.size === 0);
    slow.resume();
    const { code, reason } = await closed;
    assert.equal(code, CLOSE_CLIENT_TOO_SLOW);
    assert.match(reason, /\(maxWatchBufferBytes\)/);
    const bound = closeBufferedBytes + messageBytes + 1024;
    assert.ok(measured.mostBuffered <= bound, `at most ${bound} bytes held; saw ${measured.mostBuffered}`);
    await server.close();
  });
});

describe('the limit flags', () => {
  test('take positive whole numbers, and say which flag is wrong', () => {
    const base = { name: 'm1', 'cluster-secret': 'a secret of sixteen or more characters' };
    const errors = (flags: RawServeOptions) => {
      const resolved = resolveConfig({ ...base, ...flags }, {});
      return resolved.ok ? [] : resolved.errors;
    };
    assert.deepEqual(errors({ 'max-client-connections': '0' }), [
      '--max-client-connections: must be positive',
    ]);
    assert.deepEqual(errors({ 'max-request-bytes': '1.5' }), ['--max-request-bytes: must be a whole number']);
    assert.deepEqual(errors({ 'max-watches-per-connection': '-3' }), [
      '--max-watches-per-connection: must be positive',
    ]);
    assert.deepEqual(errors({ 'max-watch-buffer-bytes': '1000' }), [
      '--max-watch-buffer-bytes: must be at least 65536 (64 KiB)',
    ]);
    assert.deepEqual(errors({ 'slow-watcher-timeout-ms': 'soon' }), [
      '--slow-watcher-timeout-ms: Invalid input: expected number, received NaN',
    ]);
    const resolved = resolveConfig(base, {});
    assert.ok(resolved.ok);
    const {
      maxRequestBytes,
      maxClientConnections,
      maxWatchesPerConnection,
      maxWatchBufferBytes,
      slowWatcherTimeoutMs,
    } = resolved.config;
    assert.deepEqual(
      {
        maxRequestBytes,
        maxClientConnections,
        maxWatchesPerConnection,
        maxWatchBufferBytes,
        slowWatcherTimeoutMs,
      },
      {
        maxRequestBytes: 1.5 * 1024 * 1024,
        maxClientConnections: 4096,
        maxWatchesPerConnection: 1000,
        maxWatchBufferBytes: 16 * 1024 * 1024,
        slowWatcherTimeoutMs: 30_000,
      },
    );
  });
});
