// A WebSocket client for the Workers runtime, shaped like the browser's WebSocket so that the SDK
// can be handed it (its `webSocket` option). workerd opens outbound WebSockets with a fetch that
// asks to upgrade; the 101 answer carries the socket, which is accepted and then behaves like any
// other. The standard constructor is not relied on: it is not available for outbound connections
// in every workerd configuration.
import { upgradedSocket, type WorkerdSocket } from './workers-runtime.ts';

type Listener = (event: WebSocketEventLike) => void;

/** The events this socket dispatches: what the SDK reads of a browser's events. */
export interface WebSocketEventLike {
  readonly type: 'open' | 'message' | 'close' | 'error';
  readonly data?: unknown;
  readonly code?: number;
  readonly reason?: string;
  readonly wasClean?: boolean;
}

/** The fetch used to open connections (the Worker's global fetch; tests pass their own). */
export type UpgradeFetch = (request: Request) => Promise<Response>;

export function fetchWebSocketClass(upgrade: UpgradeFetch) {
  return class FetchWebSocket {
    static readonly CONNECTING = 0;
    static readonly OPEN = 1;
    static readonly CLOSING = 2;
    static readonly CLOSED = 3;
    readonly CONNECTING = 0;
    readonly OPEN = 1;
    readonly CLOSING = 2;
    readonly CLOSED = 3;

    readonly url: string;
    readyState = 0;
    protocol = '';
    binaryType: 'blob' | 'arraybuffer' = 'blob';
    readonly bufferedAmount = 0;
    readonly extensions = '';
    onopen: ((event: unknown) => void) | null = null;
    onmessage: ((event: { readonly data: unknown }) => void) | null = null;
    onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
    onerror: ((event: unknown) => void) | null = null;
    readonly #listeners = new Map<string, Set<Listener>>();
    #socket: WorkerdSocket | null = null;
    /** close() before the connection opened: close it as soon as it does. */
    #closeRequested: { code: number; reason: string } | null = null;

    constructor(url: string | URL, protocols?: string | string[]) {
      this.url = String(url);
      const headers = new Headers({ Upgrade: 'websocket' });
      const offered = typeof protocols === 'string' ? [protocols] : (protocols ?? []);
      if (offered.length > 0) headers.set('Sec-WebSocket-Protocol', offered.join(', '));
      const httpUrl = this.url.replace(/^ws(s?):/i, 'http$1:');
      upgrade(new Request(httpUrl, { headers })).then(
        (response) => this.#upgraded(response),
        () => this.#failed(),
      );
    }

    addEventListener(type: string, listener: Listener): void {
      let set = this.#listeners.get(type);
      if (set === undefined) {
        set = new Set();
        this.#listeners.set(type, set);
      }
      set.add(listener);
    }

    removeEventListener(type: string, listener: Listener): void {
      this.#listeners.get(type)?.delete(listener);
    }

    send(data: string): void {
      if (this.readyState !== 1 || this.#socket === null) {
        throw new Error(`WebSocket is not open (readyState ${this.readyState})`);
      }
      this.#socket.send(data);
    }

    close(code = 1000, reason = ''): void {
      if (this.readyState >= 2) return;
      if (this.#socket === null) {
        this.#closeRequested = { code, reason };
        this.readyState = 2;
        return;
      }
      this.readyState = 2;
      try {
        this.#socket.close(code, reason);
      } catch {
        // Already closing on the other side; the close event follows.
      }
    }

    #upgraded(response: Response): void {
      const socket = upgradedSocket(response);
      if (socket === null) {
        void response.body?.cancel();
        this.#failed();
        return;
      }
      this.#socket = socket;
      socket.accept();
      socket.addEventListener('message', (event) => {
        const message = { type: 'message' as const, data: event.data };
        this.onmessage?.call(this, message);
        this.#dispatch(message);
      });
      socket.addEventListener('close', (event) => this.#closed(event.code, event.reason, true));
      socket.addEventListener('error', () => this.#error());
      this.protocol = response.headers.get('Sec-WebSocket-Protocol') ?? '';
      if (this.#closeRequested !== null) {
        socket.close(this.#closeRequested.code, this.#closeRequested.reason);
        this.#closed(this.#closeRequested.code, this.#closeRequested.reason, true);
        return;
      }
      this.readyState = 1;
      const open = { type: 'open' as const };
      this.onopen?.call(this, open);
      this.#dispatch(open);
    }

    #error(): void {
      const error = { type: 'error' as const };
      this.onerror?.call(this, error);
      this.#dispatch(error);
    }

    #failed(): void {
      if (this.readyState === 3) return;
      this.#error();
      this.#closed(1006, 'the upgrade request failed', false);
    }

    #closed(code: number, reason: string, wasClean: boolean): void {
      if (this.readyState === 3) return;
      this.readyState = 3;
      const close = { type: 'close' as const, code, reason, wasClean };
      this.onclose?.call(this, close);
      this.#dispatch(close);
    }

    /** To the listeners added with addEventListener (the on* handler has been called). */
    #dispatch(event: WebSocketEventLike): void {
      for (const listener of this.#listeners.get(event.type) ?? []) listener.call(this, event);
    }
  };
}
