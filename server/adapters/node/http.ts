// Node glue for the client API: @hono/node-server serves the hono app over HTTP, and a `ws`
// WebSocketServer takes over upgrade requests for /v1/watch, handing each socket to the
// runtime-neutral watch session through the ClientSocket interface.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { createAdaptorServer } from '@hono/node-server';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { ClientSocket } from '../../http/index.ts';
import { WATCH_PATH } from '../../http/index.ts';
import type { ClientApiServer, ClientApiServerOptions } from '../start-member.ts';

/** Close code sent to watch sockets when the member shuts down ("going away"). */
const CLOSE_GOING_AWAY = 1001;
const DEFAULT_HEARTBEAT_MS = 30_000;
/** How long close() waits for watch clients to answer the close handshake. */
const CLOSE_GRACE_MS = 1000;
/** Close code for a frame we cannot read ("unsupported data"). */
const CLOSE_UNSUPPORTED_DATA = 1003;

export async function serveClientApi(options: ClientApiServerOptions): Promise<ClientApiServer> {
  const server = createAdaptorServer({
    fetch: (request) => options.app.fetch(request),
    hostname: options.host,
  }) as Server;
  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxWatchMessageBytes });

  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = upgradeRefusal(request, options.allowedOrigins);
    if (refusal !== null) {
      socket.end(`HTTP/1.1 ${refusal}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => {
      alive.add(ws);
      ws.on('pong', () => alive.add(ws));
      attachWatchSocket(ws, options.onWatchSocket);
    });
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

function upgradeRefusal(
  request: IncomingMessage,
  allowedOrigins: readonly string[] | undefined,
): string | null {
  const path = (request.url ?? '').split('?', 1)[0];
  if (path !== WATCH_PATH) return '404 Not Found';
  const origin = request.headers.origin;
  if (origin !== undefined && allowedOrigins !== undefined && !allowedOrigins.includes('*')) {
    if (!allowedOrigins.includes(origin)) return '403 Forbidden';
  }
  return null;
}

function attachWatchSocket(ws: WebSocket, onWatchSocket: ClientApiServerOptions['onWatchSocket']): void {
  const socket: ClientSocket = {
    send(text) {
      if (ws.readyState === WebSocket.OPEN) ws.send(text);
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
