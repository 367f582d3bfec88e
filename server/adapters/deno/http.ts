// Deno glue for the client API: Deno.serve answers with the hono app's fetch, except WebSocket
// upgrades of /v1/watch, which Deno.upgradeWebSocket turns into a socket handed to the
// runtime-neutral watch session through the ClientSocket interface.
import type { ClientSocket, WatchSocketListener } from '../../http/index.ts';
import { WATCH_PATH } from '../../http/index.ts';
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
  const server = Deno.serve(
    {
      hostname: options.host,
      port: options.port,
      // Without it Deno prints a "Listening on" line to stdout.
      onListen: () => {},
    },
    (request) => {
      if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return options.app.fetch(request);
      const refusal = upgradeRefusal(request, options.allowedOrigins);
      if (refusal !== null) return new Response(null, { status: refusal });
      // Deno pings the client itself and closes the socket when no pong comes back in this time.
      const idleTimeout = Math.max(1, Math.round((options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS) / 1000));
      const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout });
      sockets.add(socket);
      socket.addEventListener('close', () => sockets.delete(socket));
      attachWatchSocket(socket, options);
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
function upgradeRefusal(request: Request, allowedOrigins: readonly string[] | undefined): number | null {
  if (new URL(request.url).pathname !== WATCH_PATH) return 404;
  const origin = request.headers.get('origin');
  if (origin !== null && allowedOrigins !== undefined && !allowedOrigins.includes('*')) {
    if (!allowedOrigins.includes(origin)) return 403;
  }
  return null;
}

function attachWatchSocket(ws: WebSocket, options: ClientApiServerOptions): void {
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
    listener = options.onWatchSocket(socket);
  });
  ws.addEventListener('message', (event: MessageEvent) => {
    if (typeof event.data !== 'string') {
      ws.close(CLOSE_UNSUPPORTED_DATA, 'watch messages are JSON text frames');
      return;
    }
    // Deno has no payload limit on upgraded sockets: the limit is checked once the frame is in.
    if (exceedsUtf8Bytes(event.data, options.maxWatchMessageBytes)) {
      ws.close(CLOSE_MESSAGE_TOO_BIG, `watch message over the ${options.maxWatchMessageBytes}-byte limit`);
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
