// The peer network on Deno: Deno.serve accepts WebSocket upgrades on /raft, the global WebSocket
// dials. Binary frames only. Deno's WebSocket has no payload limit option, so a frame over
// maxFrameBytes is refused once received (close 1009), the same close a Node peer's `ws` sends.
import {
  type DialOptions,
  PEER_PATH,
  type PeerListener,
  type PeerNetwork,
  type PeerNetworkOptions,
  type PeerSocket,
  PeerSocketEvents,
} from '../../transport/index.ts';

/** Close code for a message larger than the receiver accepts (RFC 6455 "message too big"). */
const CLOSE_MESSAGE_TOO_BIG = 1009;
/** Close code for sockets of a listener that is closing ("going away"). */
const CLOSE_GOING_AWAY = 1001;
/** Close code for a frame of the wrong kind ("unsupported data"). */
const CLOSE_UNSUPPORTED_DATA = 1003;

class DenoPeerSocket implements PeerSocket {
  readonly #ws: WebSocket;
  readonly #maxFrameBytes: number;
  readonly #events = new PeerSocketEvents();
  #lastError = '';

  constructor(ws: WebSocket, maxFrameBytes: number) {
    this.#ws = ws;
    this.#maxFrameBytes = maxFrameBytes;
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (event: MessageEvent) => this.#received(event.data);
    ws.onerror = (event: Event) => {
      this.#lastError = event instanceof ErrorEvent ? event.message : 'WebSocket error';
    };
    ws.onclose = (event: CloseEvent) => {
      this.#events.close(event.code, event.reason.length > 0 ? event.reason : this.#lastError);
    };
  }

  #received(data: unknown): void {
    if (this.#events.closed) return;
    if (!(data instanceof ArrayBuffer)) {
      this.close(CLOSE_UNSUPPORTED_DATA, 'peer frames are binary');
      return;
    }
    if (data.byteLength > this.#maxFrameBytes) {
      this.close(CLOSE_MESSAGE_TOO_BIG, `frame over the ${this.#maxFrameBytes}-byte limit`);
      return;
    }
    const frame = new Uint8Array(data);
    this.#events.deliver(frame);
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    // The transport's frames live in ordinary (not shared) ArrayBuffers.
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(frame as Uint8Array<ArrayBuffer>);
  }

  close(code?: number, reason?: string): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason);
    }
  }

  onMessage(callback: (frame: Uint8Array) => void): void {
    this.#events.onMessage(callback);
  }

  onClose(callback: (code: number, reason: string) => void): void {
    this.#events.onClose(callback);
  }
}

function formatAddress(address: Deno.Addr): string {
  if (address.transport !== 'tcp' && address.transport !== 'udp') return address.transport;
  const { hostname, port } = address;
  return hostname.includes(':') ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/** The peer listener's certificate and key (PEM text); absent = plain ws. */
export interface PeerListenerTls {
  readonly cert: string;
  readonly key: string;
}

export function createDenoPeerNetwork(tls?: PeerListenerTls): PeerNetwork {
  return {
    async listen(
      host: string,
      port: number,
      onSocket: (socket: PeerSocket, remoteAddress: string) => void,
      options: PeerNetworkOptions,
    ): Promise<PeerListener> {
      const accepted = new Set<WebSocket>();
      const server = Deno.serve(
        {
          hostname: host,
          port,
          // Without it Deno prints a "Listening on" line to stdout.
          onListen: () => {},
          ...(tls ? { cert: tls.cert, key: tls.key } : {}),
        },
        (request, info) => {
          const path = new URL(request.url).pathname;
          if (path !== PEER_PATH || request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
            return new Response('peer connections use WebSocket\n', {
              status: path === PEER_PATH ? 426 : 404,
              headers: { 'content-type': 'text/plain' },
            });
          }
          // Read before the upgrade, which takes the request (and its address) over.
          const remoteAddress = formatAddress(info.remoteAddr);
          // The transport pings and detects a silent peer itself.
          const { socket, response } = Deno.upgradeWebSocket(request, { idleTimeout: 0 });
          accepted.add(socket);
          socket.addEventListener('close', () => accepted.delete(socket));
          onSocket(new DenoPeerSocket(socket, options.maxFrameBytes), remoteAddress);
          return response;
        },
      );
      return {
        port: server.addr.port,
        async close() {
          for (const socket of accepted) socket.close(CLOSE_GOING_AWAY, 'member is shutting down');
          await server.shutdown();
        },
      };
    },

    dial(url: string, options: DialOptions): Promise<PeerSocket> {
      // Inside the executor, so that a bad URL or a missing --allow-net rejects rather than throws.
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        const socket = new DenoPeerSocket(ws, options.maxFrameBytes);
        const timeout = setTimeout(() => {
          ws.close();
          reject(new Error(`connecting to ${url} timed out after ${options.connectTimeoutMs} ms`));
        }, options.connectTimeoutMs);
        const onOpen = (): void => {
          clearTimeout(timeout);
          ws.removeEventListener('close', onFailure);
          resolve(socket);
        };
        let failure = 'the connection closed';
        const onError = (event: Event): void => {
          if (event instanceof ErrorEvent) failure = event.message;
        };
        const onFailure = (): void => {
          clearTimeout(timeout);
          ws.removeEventListener('open', onOpen);
          reject(new Error(`could not connect to ${url}: ${failure}`));
        };
        ws.addEventListener('error', onError, { once: true });
        ws.addEventListener('open', onOpen, { once: true });
        ws.addEventListener('close', onFailure, { once: true });
      });
    },
  };
}
