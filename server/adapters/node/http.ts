// Node glue for the client API: @hono/node-server serves the hono app over HTTP (requests handed
// over in batches, request-batch.ts), and a `ws` WebSocketServer takes over upgrade requests for
// /v1/watch, handing each socket to the runtime-neutral watch session through the ClientSocket interface.
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { getRequestListener } from '@hono/node-server';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { chooseSubprotocol, type UpgradeRequest } from '../../auth/index.ts';
import type { ClientSocket, OriginPolicy } from '../../http/index.ts';
import {
  ConnectionLimiter,
  DEFAULT_MAX_CLIENT_CONNECTIONS,
  tooManyConnectionsReply,
  WATCH_PATH,
} from '../../http/index.ts';
import type { ClientApiServer, ClientApiServerOptions } from '../start-member.ts';
import { batchRequests } from './request-batch.ts';

/** Close code sent to watch sockets when the member shuts down ("going away"). */
const CLOSE_GOING_AWAY = 1001;
const DEFAULT_HEARTBEAT_MS = 30_000;
/**
 * Node closes an idle kept-alive connection after 5 s by default; a client that reuses one just as
 * it closes sees a reset (etcd, in Go, keeps them). Longer than common client pools keep idle
 * connections (undici 4 s, browsers about 60 s, Go 90 s), so that the client gives up first.
 */
const DEFAULT_KEEP_ALIVE_MS = 120_000;
/** How long close() waits for watch clients to answer the close handshake. */
const CLOSE_GRACE_MS = 1000;
/** Close code for a frame we cannot read ("unsupported data"). */
const CLOSE_UNSUPPORTED_DATA = 1003;
/** A connection over the limit gets this long to send the request its refusal answers. */
const REFUSED_CONNECTION_GRACE_MS = 5000;

export async function serveClientApi(options: ClientApiServerOptions): Promise<ClientApiServer> {
  // Every TCP connection counts, whether it carries HTTP requests or a watch WebSocket. One over the
  // limit is answered (its first request, or its upgrade) with a 503 naming the limit, then closed.
  const connections = new ConnectionLimiter(options.maxConnections ?? DEFAULT_MAX_CLIENT_CONNECTIONS);
  const refused = new WeakSet<Socket>();
  const overLimit = tooManyConnectionsReply(connections.maximum);
  const listener = getRequestListener(
    (request, env) =>
      refused.has(env.incoming.socket as Socket)
        ? new Response(overLimit.body, { status: overLimit.status, headers: overLimit.headers })
        : options.app.fetch(request),
    { hostname: options.host },
  );
  const onRequest = batchRequests(listener);
  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
    : createHttpServer(onRequest);
  server.keepAliveTimeout = options.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
  // Under TLS the socket requests arrive on is the TLS one, known once its handshake is done.
  server.on(options.tls ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (connections.tryAcquire()) {
      socket.once('close', () => connections.release());
      return;
    }
    refused.add(socket);
    socket.setTimeout(REFUSED_CONNECTION_GRACE_MS, () => socket.destroy());
  });
  // Bytes that are not HTTP never reach the app: Node's parser refuses them. Say why, as the app would.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const [status, reason] =
      error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = JSON.stringify({
      error: { code: 'invalidRequest', message: `malformed HTTP request (${error.code}): ${error.message}` },
    });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxWatchMessageBytes,
    handleProtocols: (offered) => chooseSubprotocol([...offered]) ?? false,
  });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (refused.has(request.socket)) {
      const headers = Object.entries({
        ...overLimit.headers,
        'Content-Length': Buffer.byteLength(overLimit.body),
      })
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('');
      socket.end(`HTTP/1.1 ${overLimit.status} Service Unavailable\r\n${headers}\r\n${overLimit.body}`);
      return;
    }
    const refusal = upgradeRefusal(request, options.allowsOrigin);
    if (refusal !== null) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    // Who opens the socket (its token) is settled before the upgrade completes.
    const admitted = options.admitWatch
      ? options.admitWatch(upgradeRequestOf(request))
      : options.onWatchSocket;
    void Promise.resolve(admitted).then(
      (open) =>
        sockets.handleUpgrade(request, socket, head, (ws) => {
          alive.add(ws);
          ws.on('pong', () => alive.add(ws));
          attachWatchSocket(ws, socket, open);
        }),
      () => socket.destroy(),
    );
  });

  // A client that vanished without closing (a dead network path) would otherwise hold its watches forever.
  const alive = new WeakSet<WebSocket>();
  const heartbeat = setInterval(() => {
    for (const ws of sockets.clients) {
      if (!alive.has(ws)) {
        ws.terminate();
        continue;
      }
      alive.delete(ws);
      ws.ping();
    }
  }, options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    async close() {
      clearInterval(heartbeat);
      for (const ws of sockets.clients) ws.close(CLOSE_GOING_AWAY, 'member is shutting down');
      // The server closes once every socket has; one that ignores the close handshake is cut off.
      await new Promise<void>((resolve) => {
        const cutOff = setTimeout(() => {
          for (const ws of sockets.clients) ws.terminate();
        }, CLOSE_GRACE_MS);
        sockets.close(() => {
          clearTimeout(cutOff);
          resolve();
        });
      });
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function upgradeRefusal(request: IncomingMessage, allowsOrigin: OriginPolicy | undefined): string | null {
  const path = (request.url ?? '').split('?', 1)[0];
  if (path !== WATCH_PATH) return '404 Not Found';
  const origin = request.headers.origin;
  if (origin !== undefined && allowsOrigin !== undefined && !allowsOrigin(origin)) return '403 Forbidden';
  return null;
}

function upgradeRequestOf(request: IncomingMessage): UpgradeRequest {
  return {
    url: new URL(request.url ?? '/', 'http://upgrade'),
    header(name) {
      const value = request.headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : value;
    },
  };
}

function attachWatchSocket(
  ws: WebSocket,
  connection: Duplex,
  onWatchSocket: ClientApiServerOptions['onWatchSocket'],
): void {
  let corked = false;
  const socket: ClientSocket = {
    send(text) {
      if (ws.readyState !== WebSocket.OPEN) return;
      // Messages sent in one turn (a put fanned out to many watches) leave in one write, not one
      // system call each: the connection is corked until the turn's microtasks have run.
      if (!corked) {
        corked = true;
        connection.cork();
        queueMicrotask(() => {
          corked = false;
          connection.uncork();
        });
      }
      ws.send(text);
    },
    close(code, reason) {
      ws.close(code, reason);
    },
    bufferedAmount() {
      return ws.bufferedAmount;
    },
  };
  const listener = onWatchSocket(socket);
  ws.on('message', (data: RawData, isBinary: boolean) => {
    if (isBinary) {
      ws.close(CLOSE_UNSUPPORTED_DATA, 'watch messages are JSON text frames');
      return;
    }
    listener.receive(rawDataToText(data));
  });
  ws.on('close', () => listener.closed());
  // A reset connection also emits 'close'; the error itself needs no handling beyond that.
  ws.on('error', () => {});
}

function rawDataToText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
