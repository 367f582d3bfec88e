// The peer network on Node: `ws` WebSockets on an http server of their own, binary frames only,
// no compression (Raft payloads are mostly small or already compact; deflate would cost CPU and latency).
import { createServer, type IncomingMessage, type RequestListener } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import {
  type DialOptions,
  PEER_PATH,
  type PeerListener,
  type PeerNetwork,
  type PeerNetworkOptions,
  type PeerSocket,
  PeerSocketEvents,
} from '../../transport/index.ts';

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

class NodePeerSocket implements PeerSocket {
  readonly #ws: WebSocket;
  readonly #events = new PeerSocketEvents();
  #lastError = '';

  constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data) => {
      const frame = toBytes(data);
      this.#events.deliver(frame);
    });
    ws.on('error', (error) => {
      this.#lastError = error.message;
    });
    ws.on('close', (code, reasonBytes) => {
      const reason = reasonBytes.length > 0 ? reasonBytes.toString('utf8') : this.#lastError;
      this.#events.close(code, reason);
    });
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    if (this.#ws.readyState === WebSocket.OPEN) this.#ws.send(frame, { binary: true });
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

function remoteAddressOf(request: IncomingMessage): string {
  const { remoteAddress, remotePort } = request.socket;
  return remoteAddress?.includes(':') ? `[${remoteAddress}]:${remotePort}` : `${remoteAddress}:${remotePort}`;
}

/** TLS of the peer network (PEM text): the listener's certificate and key, the CAs trusted when dialing. */
export interface PeerTls {
  readonly cert?: string;
  readonly key?: string;
  /** Replaces the default trusted CAs for peer connections when set. */
  readonly ca?: string;
}

export function createNodePeerNetwork(tls: PeerTls = {}): PeerNetwork {
  const serve = (handler: RequestListener) =>
    tls.cert !== undefined && tls.key !== undefined
      ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler)
      : createServer(handler);
  return {
    listen(
      host: string,
      port: number,
      onSocket: (socket: PeerSocket, remoteAddress: string) => void,
      options: PeerNetworkOptions,
    ): Promise<PeerListener> {
      const server = serve((_request, response) => {
        response.writeHead(426, { 'content-type': 'text/plain' }).end('peer connections use WebSocket\n');
      });
      const wss = new WebSocketServer({
        server,
        path: PEER_PATH,
        maxPayload: options.maxFrameBytes,
        perMessageDeflate: false,
      });
      wss.on('connection', (ws, request) => onSocket(new NodePeerSocket(ws), remoteAddressOf(request)));
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          const bound = (server.address() as AddressInfo).port;
          resolve({
            port: bound,
            close: () =>
              new Promise<void>((done) => {
                for (const client of wss.clients) client.terminate();
                wss.close();
                server.closeAllConnections();
                server.close(() => done());
              }),
          });
        });
      });
    },

    dial(url: string, options: DialOptions): Promise<PeerSocket> {
      const ws = new WebSocket(url, {
        maxPayload: options.maxFrameBytes,
        perMessageDeflate: false,
        handshakeTimeout: options.connectTimeoutMs,
        ...(tls.ca === undefined ? {} : { ca: tls.ca }),
        // A zero mask, which ws then skips on both ends: masking shields HTTP proxies from frames
        // crafted by untrusted browser scripts (RFC 6455 §10.3), which peer traffic never is, and
        // masking in JavaScript cost more CPU than everything else the transport does.
        generateMask: (mask) => mask.fill(0),
      });
      const socket = new NodePeerSocket(ws);
      return new Promise((resolve, reject) => {
        const onError = (error: Error): void => reject(error);
        ws.once('error', onError);
        ws.once('open', () => {
          ws.off('error', onError);
          resolve(socket);
        });
      });
    },
  };
}
