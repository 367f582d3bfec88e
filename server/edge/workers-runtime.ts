// The parts of the Workers runtime (workerd) the edge uses, typed here rather than through the
// runtime's global type package, whose globals would clash with the DOM types the rest of the repo
// compiles against. Each is a subset of the documented API of the same name.

/** Durable Object storage (the key-value API). */
export interface EdgeStorage {
  get<T>(key: string): Promise<T | undefined>;
  list<T>(options: { readonly prefix: string }): Promise<Map<string, T>>;
  put(entries: Record<string, unknown>): Promise<void>;
  delete(keys: string[]): Promise<number>;
  setAlarm(scheduledTime: number): Promise<void>;
}

/** A server-side WebSocket in workerd: accepted by the object, or returned by an upgrading fetch. */
export interface WorkerdSocket {
  readonly readyState: number;
  send(message: string): void;
  close(code?: number, reason?: string): void;
  /** Starts delivering events of a socket returned by fetch (not used for hibernatable ones). */
  accept(): void;
  addEventListener(type: 'message', listener: (event: { readonly data: unknown }) => void): void;
  addEventListener(
    type: 'close',
    listener: (event: { readonly code: number; readonly reason: string }) => void,
  ): void;
  addEventListener(type: 'error', listener: (event: unknown) => void): void;
  /** Keeps a small value with the socket across hibernation (at most 2 KiB serialized). */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

export interface DurableObjectStateLike {
  readonly storage: EdgeStorage;
  blockConcurrencyWhile<T>(task: () => Promise<T>): Promise<T>;
  /** Hibernation API: the runtime delivers this socket's events to the object's handlers. */
  acceptWebSocket(socket: WorkerdSocket, tags?: string[]): void;
  getWebSockets(tag?: string): WorkerdSocket[];
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStub;
}

interface WorkersGlobals {
  readonly WebSocketPair: new () => { readonly 0: WorkerdSocket; readonly 1: WorkerdSocket };
}

/** The runtime's globals, present only in workerd. */
function workersGlobals(): WorkersGlobals {
  const globals = globalThis as unknown as Partial<WorkersGlobals>;
  if (globals.WebSocketPair === undefined) {
    throw new Error('server/edge runs in the Workers runtime (workerd): WebSocketPair is missing here');
  }
  return globals as WorkersGlobals;
}

/** A connected pair: the client end goes back in the 101 response, the server end stays here. */
export function newWebSocketPair(): { readonly client: WorkerdSocket; readonly server: WorkerdSocket } {
  const pair = new (workersGlobals().WebSocketPair)();
  return { client: pair[0], server: pair[1] };
}

/** The 101 response that hands `client` to the browser. */
export function webSocketResponse(client: WorkerdSocket, headers?: HeadersInit): Response {
  const init = { status: 101, webSocket: client, headers };
  return new Response(null, init as ResponseInit);
}

/** The socket of an upgraded fetch response (workerd sets `webSocket` on a 101). */
export function upgradedSocket(response: Response): WorkerdSocket | null {
  const socket = (response as Response & { webSocket?: WorkerdSocket | null }).webSocket;
  return socket ?? null;
}
