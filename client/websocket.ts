// The WebSocket as the SDK uses it: the WHATWG interface (browsers, Deno, Workers, Node 22+, and the
// `ws` package), passed in where no global one exists.

/** An event handler property, compared bivariantly so that richer event types (DOM, `ws`) fit. */
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<{ readonly data: unknown }> | null;
  onclose: Handler<{ readonly code: number; readonly reason: string }> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructorLike = new (url: string, protocols?: string | string[]) => WebSocketLike;

/** The global WebSocket, or an error saying how to supply one. */
export function globalWebSocket(): WebSocketConstructorLike {
  const found = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof found !== 'function') {
    throw new Error(
      "this runtime has no global WebSocket: pass one as createClient({ webSocket }) (in Node 20: import { WebSocket } from 'ws')",
    );
  }
  return found as WebSocketConstructorLike;
}

/** Where and how to open the watch socket of an endpoint. */
export interface SocketAddress {
  readonly url: string;
  readonly protocols: string[];
}

/** Subprotocol names are RFC 7230 tokens; a token made of other characters goes in the query instead. */
const SUBPROTOCOL_SAFE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const TOKEN_SUBPROTOCOL_PREFIX = 'vane.token.';

/**
 * 'http://h:7379' → 'ws://h:7379/v1/watch'. A token travels as the subprotocol `vane.token.<token>`
 * (browsers cannot set headers on a WebSocket, and a subprotocol stays out of URLs and access logs),
 * or as `?token=` when it has characters a subprotocol cannot carry.
 */
export function socketAddress(endpoint: string, token: string | undefined): SocketAddress {
  const url = new URL(endpoint);
  if (url.protocol === 'http:') url.protocol = 'ws:';
  else if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new Error(`endpoint ${endpoint}: expected an http, https, ws or wss URL`);
  }
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/watch`;
  if (token === undefined) return { url: url.toString(), protocols: [] };
  if (SUBPROTOCOL_SAFE.test(token))
    return { url: url.toString(), protocols: [`${TOKEN_SUBPROTOCOL_PREFIX}${token}`] };
  url.searchParams.set('token', token);
  return { url: url.toString(), protocols: [] };
}
