// The Node adapter's HTTP path over raw sockets: requests that arrive together reach the app
// together, concurrent puts share a WAL fsync, bodies that arrived whole are handed over at once,
// and the request size limit holds whichever way a body comes.
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, describe, test } from 'node:test';
import type { ClientApiServer } from '../start-member.ts';
import { serveClientApi } from './http.ts';
import { startOneMemberCluster, type TestMember } from './testing.ts';

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** A keep-alive HTTP/1.1 connection written and read by hand, so a test decides what is sent when. */
class RawConnection {
  readonly #socket: Socket;
  #received = Buffer.alloc(0);
  #waiting: (() => void) | null = null;
  /** Resolves when the socket closes, from either end. */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.#socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => {
      this.#received = Buffer.concat([this.#received, chunk]);
      this.#waiting?.();
    });
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  send(bytes: string): void {
    this.#socket.write(bytes);
  }

  /** The next response on the connection (every answer of the API has a Content-Length). */
  async answer(): Promise<Answer> {
    for (;;) {
      const headEnd = this.#received.indexOf('\r\n\r\n');
      if (headEnd >= 0) {
        const head = this.#received.subarray(0, headEnd).toString('latin1');
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1]);
        assert.ok(Number.isSafeInteger(length), `an answer without a Content-Length: ${head}`);
        const end = headEnd + 4 + length;
        if (this.#received.length >= end) {
          const body = this.#received.subarray(headEnd + 4, end).toString('utf8');
          this.#received = this.#received.subarray(end);
          return { status: Number(head.split(' ')[1]), body };
        }
      }
      await new Promise<void>((resolve) => {
        this.#waiting = resolve;
      });
      this.#waiting = null;
    }
  }

  close(): void {
    this.#socket.destroy();
  }
}

function put(key: string, body: string): string {
  return `PUT /v1/kv/${key} HTTP/1.1\r\nHost: member\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** `count` connections, each with one request answered, so the server has accepted them all. */
async function openConnections(port: number, count: number): Promise<RawConnection[]> {
  const connections = await Promise.all(Array.from({ length: count }, () => RawConnection.open(port)));
  for (const c of connections) c.send('GET /health HTTP/1.1\r\nHost: member\r\n\r\n');
  for (const c of connections) assert.equal((await c.answer()).status, 200);
  return connections;
}

describe('requests handed to the app', () => {
  const servers: ClientApiServer[] = [];
  after(async () => {
    for (const server of servers) await server.close();
  });

  /** Serves `fetch` as the app, with no watch sockets. */
  async function serve(
    fetch: (request: Request) => Response | Promise<Response>,
    keepAliveMs?: number,
  ): Promise<number> {
    const server = await serveClientApi({
      ...(keepAliveMs === undefined ? {} : { keepAliveMs }),
      app: { fetch },
      host: '127.0.0.1',
      port: 0,
      maxWatchMessageBytes: 1024,
      onWatchSocket: () => {
        throw new Error('no watch sockets in this test');
      },
    });
    servers.push(server);
    return server.port;
  }

  test('requests that arrive together on many connections all reach the app before any microtask runs', async () => {
    const arrived: string[] = [];
    let arrivedBeforeFirstMicrotask = 0;
    const port = await serve((request) => {
      const path = new URL(request.url).pathname;
      if (path !== '/health') {
        arrived.push(path);
        if (arrived.length === 1) queueMicrotask(() => (arrivedBeforeFirstMicrotask = arrived.length));
      }
      return new Response('{}', { headers: { 'Content-Type': 'application/json' } });
    });
    const connections = await openConnections(port, 16);
    // Written in one synchronous loop: all of it is in the server's socket buffers before its next poll.
    connections.forEach((c, i) => {
      c.send(`GET /k${i} HTTP/1.1\r\nHost: member\r\n\r\n`);
    });
    for (const c of connections) assert.equal((await c.answer()).status, 200);
    assert.deepEqual(
      arrived,
      connections.map((_, i) => `/k${i}`),
    );
    assert.equal(arrivedBeforeFirstMicrotask, 16);
    for (const c of connections) c.close();
  });

  test('an idle kept-alive connection is closed after keepAliveMs, not before and not after Node’s 5 s', async () => {
    const keepAliveMs = 300;
    const port = await serve(() => new Response('{}'), keepAliveMs);
    const [connection] = await openConnections(port, 1);
    const idleFrom = performance.now();
    const closedBy = await Promise.race([
      connection!.closed.then(() => 'server' as const),
      new Promise<'bound'>((resolve) => setTimeout(() => resolve('bound'), 3000).unref()),
    ]);
    const idleMs = performance.now() - idleFrom;
    connection!.close();
    assert.equal(closedBy, 'server', 'the idle connection was still open after 3 s');
    assert.ok(
      idleMs >= keepAliveMs - 50,
      `closed after ${idleMs.toFixed(0)} ms idle, before ${keepAliveMs} ms`,
    );
  });

  test('a body that arrived whole and one that arrives in parts both reach the app intact', async () => {
    const port = await serve(async (request) => {
      const text = new TextDecoder().decode(await request.arrayBuffer());
      return new Response(JSON.stringify({ echo: text }), {
        headers: { 'Content-Type': 'application/json' },
      });
    });
    const [connection] = await openConnections(port, 1);
    assert.ok(connection);
    connection.send(put('whole', '{"value":"all at once"}'));
    assert.deepEqual(JSON.parse((await connection.answer()).body), { echo: '{"value":"all at once"}' });

    const request = put('parts', '{"value":"in two parts"}');
    const split = request.length - 10;
    connection.send(request.slice(0, split));
    await new Promise((resolve) => setTimeout(resolve, 50));
    connection.send(request.slice(split));
    assert.deepEqual(JSON.parse((await connection.answer()).body), { echo: '{"value":"in two parts"}' });
    connection.close();
  });
});

describe('a member served by the Node adapter', () => {
  const members: TestMember[] = [];
  after(async () => {
    for (const member of members) await member.stop();
  });

  test('puts that arrive together on many connections are written with one fsync, not one each', async () => {
    const member = await startOneMemberCluster();
    members.push(member);
    const port = member.running.clientPort;
    const connections = await openConnections(port, 32);
    const before = await member.walFsyncs();
    connections.forEach((c, i) => {
      c.send(put(`batch/${i}`, JSON.stringify({ value: `v${i}` })));
    });
    for (const c of connections) assert.equal((await c.answer()).status, 200);
    const fsyncs = (await member.walFsyncs()) - before;
    // One for the batch; the member may fsync on its own (a tick's hard state) meanwhile.
    assert.ok(fsyncs <= 3, `${fsyncs} fsyncs for 32 puts`);
    for (const c of connections) c.close();
  });

  test('the request size limit holds on every path a body can take', async () => {
    const member = await startOneMemberCluster({ 'max-request-bytes': '1024' });
    members.push(member);
    const [connection] = await openConnections(member.running.clientPort, 1);
    assert.ok(connection);
    const refusal = async (): Promise<string> => {
      const answer = await connection.answer();
      assert.equal(answer.status, 413);
      return (JSON.parse(answer.body) as { error: { message: string } }).error.message;
    };

    // Declared over the limit: answered from the headers alone, before any of the body is sent.
    connection.send('PUT /v1/kv/big HTTP/1.1\r\nHost: member\r\nContent-Length: 10485760\r\n\r\n');
    assert.equal(await refusal(), 'body exceeds the 1 KiB limit (maxRequestBytes); it has 10 MiB');

    const reopened = (await openConnections(member.running.clientPort, 1))[0];
    assert.ok(reopened);
    const chunkedHead = 'PUT /v1/kv/big HTTP/1.1\r\nHost: member\r\nTransfer-Encoding: chunked\r\n\r\n';
    const chunk = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n`;
    const over = `{"value":"${'x'.repeat(1100)}"}`;
    // Chunked, all of it sent at once.
    reopened.send(`${chunkedHead}${chunk(over)}0\r\n\r\n`);
    const whole = await reopened.answer();
    assert.equal(whole.status, 413);
    assert.match(whole.body, /body exceeds the 1 KiB limit \(maxRequestBytes\); it has more than that/);

    // Chunked and still arriving: abandoned once past the limit, though the client never finishes.
    const trickling = (await openConnections(member.running.clientPort, 1))[0];
    assert.ok(trickling);
    trickling.send(`${chunkedHead}${chunk(over.slice(0, 600))}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    trickling.send(chunk(over.slice(600)));
    const partial = await trickling.answer();
    assert.equal(partial.status, 413);
    assert.match(partial.body, /it has more than that/);

    for (const c of [connection, reopened, trickling]) c.close();
  });
});
