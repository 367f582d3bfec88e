// Deno glue for the client API: Deno.serve answers with the hono app's fetch, except WebSocket
// upgrades of /v1/watch, which Deno.upgradeWebSocket turns into a socket handed to the
// runtime-neutral watch session through the ClientSocket interface.
import { chooseSubprotocol, offeredSubprotocols, type UpgradeRequest } from '../../auth/index.ts';
import type { ClientSocket, OriginPolicy, WatchSocketListener } from '../../http/index.ts';
import {
  ConnectionLimiter,
  DEFAULT_MAX_CLIENT_CONNECTIONS,
  tooManyConnectionsReply,
  WATCH_PATH,
} from '../../http/index.ts';
import type { ClientApiServer, ClientApiServerOptions } from '../start-member.ts';

/** Close code sent to watch sockets when the member shuts down ("going away"). */
const CLOSE_GOING_AWAY = 1001;
/** Close code for a frame we cannot read ("unsupported data"). */
const CLOSE_UNSUPPORTED_DATA = 1003;
/** Close code for a message over the size limit ("message too big"). */
const CLOSE_MESSAGE_TOO_BIG = 1009;
const DEFAULT_HEARTBEAT_MS = 30_000;

const utf8 = new TextEncoder();

export async function serveClientApi(options: ClientApiServerOptions): Promise<ClientApiServer> {
  const sockets = new Set<WebSocket>();
  // Deno.serve does not show connections, so what counts is requests in progress plus open watch sockets.
  const connections = new ConnectionLimiter(options.maxConnections ?? DEFAULT_MAX_CLIENT_CONNECTIONS);
  const overLimit = tooManyConnectionsReply(connections.maximum);
  const server = Deno.serve(
    {
      hostname: options.host,
      port: options.port,
      // Without it Deno prints a "Listening on" line to stdout.
      onListen: () => {},
      ...(options.tls ? { cert: options.tls.cert, key: options.tls.key } : {}),
    },
    async (request, info) => {
      if (!connections.tryAcquire()) {
        return new Response(overLimit.body, { status: overLimit.status, headers: overLimit.headers });
      }
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
        void info.completed.finally(() => connections.release());
        return options.app.fetch(request);
      }
      const refusal = upgradeRefusal(request, options.allowsOrigin);
      if (refusal !== null) {
        connections.release();
        return new Response(null, { status: refusal });
      }
      // Who opens the socket (its token) is settled before the upgrade completes.
      const upgrade = upgradeRequestOf(request);
      let open: (socket: ClientSocket) => WatchSocketListener;
      try {
        open = options.admitWatch ? await options.admitWatch(upgrade) : options.onWatchSocket;
      } catch {
        connections.release();
        return new Response(null, { status: 500 });
      }
      // Deno pings the client itself and closes the socket when no pong comes back in this time.
      const idleTimeout = Math.max(1, Math.round((options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS) / 1000));
      // A browser fails the connection unless one of the subprotocols it offered is picked.
      const protocol = chooseSubprotocol(offeredSubprotocols(upgrade));
      const { socket, response } = Deno.upgradeWebSocket(request, {
        idleTimeout,
        ...(protocol === undefined ? {} : { protocol }),
      });
      sockets.add(socket);
      socket.addEventListener('close', () => {
        sockets.delete(socket);
        connections.release();
      });
      attachWatchSocket(socket, open, options.maxWatchMessageBytes);
      return response;
    },
  );

  return {
    port: server.addr.port,
    async close() {
      for (const socket of sockets) socket.close(CLOSE_GOING_AWAY, 'member is shutting down');
      // Deno's shutdown does not wait for upgraded sockets: it ends whatever is left of them.
      await server.shutdown();
    },
  };
}

/** The HTTP status refusing an upgrade, or null to accept it. */
function upgradeRefusal(request: Request, allowsOrigin: OriginPolicy | undefined): number | null {
  if (new URL(request.url).pathname !== WATCH_PATH) return 404;
  const origin = request.headers.get('origin');
  if (origin !== null && allowsOrigin !== undefined && !allowsOrigin(origin)) return 403;
  return null;
}

function upgradeRequestOf(request: Request): UpgradeRequest {
  return { url: new URL(request.url), header: (name) => request.headers.get(name) ?? undefined };
}

function attachWatchSocket(
  ws: WebSocket,
  open: (socket: ClientSocket) => WatchSocketListener,
  maxWatchMessageBytes: number,
): void {
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
  let listener: WatchSocketListener | null = null;
  ws.addEventListener('open', () => {
    listener = open(socket);
  });
  ws.addEventListener('message', (event: MessageEvent) => {
    if (typeof event.data !== 'string') {
      ws.close(CLOSE_UNSUPPORTED_DATA, 'watch messages are JSON text frames');
      return;
    }
    // Deno has no payload limit on upgraded sockets: the limit is checked once the frame is in.
    if (exceedsUtf8Bytes(event.data, maxWatchMessageBytes)) {
      ws.close(CLOSE_MESSAGE_TOO_BIG, `watch message over the ${maxWatchMessageBytes}-byte limit`);
      return;
    }
    listener?.receive(event.data);
  });
  ws.addEventListener('close', () => listener?.closed());
}

/** Whether `text` takes more than `limit` bytes as UTF-8; it is encoded only when its length cannot tell. */
function exceedsUtf8Bytes(text: string, limit: number): boolean {
  // Each UTF-16 code unit takes 1 to 3 UTF-8 bytes.
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8.encode(text).length > limit;
}
