// Test doubles for the SDK's unit tests (a helper module, like core/protocol/arbitraries.test.ts):
// a clock moved by hand, a WebSocket whose server side the test plays, and a transport whose
// requests and watches the test answers.
import type { Clock } from './clock.ts';
import { VaneClientError } from './errors.ts';
import type {
  RequestAnswer,
  RequestOpName,
  RequestOptions,
  Transport,
  WatchListener,
  WatchSpec,
  WatchSubscription,
} from './transport.ts';
import type { ClientStatus, KeyValue } from './types.ts';
import type { WebSocketConstructorLike, WebSocketLike } from './websocket.ts';

/** Lets pending promise continuations run (several rounds, as chains of awaits need). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class ManualClock implements Clock {
  #now = 0;
  #timers: { at: number; seq: number; task: () => void; canceled: boolean }[] = [];
  #seq = 0;

  now(): number {
    return this.#now;
  }

  after(ms: number, task: () => void): () => void {
    const timer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, task, canceled: false };
    this.#timers.push(timer);
    return () => {
      timer.canceled = true;
    };
  }

  /** Timers not yet run or canceled, as delays from now. */
  pending(): number[] {
    return this.#timers.filter((t) => !t.canceled).map((t) => t.at - this.#now);
  }

  /** Moves time forward by `ms`, running due timers in order and letting promises settle after each. */
  async advance(ms: number): Promise<void> {
    const until = this.#now + ms;
    await settle();
    for (;;) {
      const due = this.#timers
        .filter((t) => !t.canceled && t.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((t) => t !== due);
      this.#now = due.at;
      due.task();
      await settle();
    }
    this.#now = until;
  }
}

/** A random source that returns the given values in turn (then the last one forever). */
export function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[Math.min(i++, values.length - 1)]!;
}

export class FakeSocket implements WebSocketLike {
  readonly url: string;
  readonly protocols: string | string[] | undefined;
  readyState = 0;
  /** What the client sent, parsed. */
  readonly sent: Record<string, unknown>[] = [];
  closedByClient = false;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { readonly data: unknown }) => void) | null = null;
  onclose: ((event: { readonly code: number; readonly reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(url: string, protocols?: string | string[]) {
    this.url = url;
    this.protocols = protocols;
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('FakeSocket: send while not open');
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(): void {
    this.closedByClient = true;
    this.readyState = 3;
  }

  /** The server accepts the connection. */
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The server sends a message (the protocol version is filled in). */
  receive(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ v: 1, ...message }) });
  }

  /** The connection breaks. */
  drop(): void {
    this.readyState = 3;
    this.onclose?.({ code: 1006, reason: '' });
  }

  /** The server closes the connection with a code of its own (e.g. 4401 for refused credentials). */
  closeByServer(code: number, reason: string): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  /** Messages of one type sent so far. */
  ofType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }

  /** Answers the oldest unanswered progress request with `revision`. */
  /** A progress answer (watchId -1), with what the server says of its own freshness, if anything. */
  answerProgress(
    revision: number,
    said: {
      readonly edge?: { stale: boolean; ageMs: number };
      readonly freshness?: { stale: boolean; ageMs: number; reason: string };
    } = {},
  ): void {
    this.receive({ type: 'watchResponse', watchId: -1, header: header(revision), events: [], ...said });
  }
}

/** The sockets a client opened, newest last; `WebSocket` is the constructor to give the client. */
export class FakeNetwork {
  readonly sockets: FakeSocket[] = [];
  readonly WebSocket: WebSocketConstructorLike;

  constructor() {
    const sockets = this.sockets;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        sockets.push(this);
      }
    };
  }

  get last(): FakeSocket {
    const socket = this.sockets[this.sockets.length - 1];
    if (socket === undefined) throw new Error('FakeNetwork: no socket was opened');
    return socket;
  }
}

export function header(
  revision: number,
  member = 'm1',
): { revision: number; member: string; raftTerm: number } {
  return { revision, member, raftTerm: 1 };
}

export function kv(
  key: string,
  value: string,
  modRevision: number,
  createRevision = modRevision,
  lease = 0,
): KeyValue {
  return { key, value, createRevision, modRevision, version: 1, lease };
}

interface FakeRequest {
  readonly op: RequestOpName;
  readonly body: Readonly<Record<string, unknown>>;
  readonly options: RequestOptions;
  resolve(answer: RequestAnswer): void;
  reject(error: VaneClientError): void;
}

interface FakeWatch {
  readonly spec: WatchSpec;
  readonly listener: WatchListener;
  closed: boolean;
}

/** A transport whose requests wait until the test answers them, and whose watches the test feeds. */
export class FakeTransport implements Transport {
  status: ClientStatus;
  readonly requests: FakeRequest[] = [];
  readonly watches: FakeWatch[] = [];
  /** How many times close() was called. */
  closes = 0;
  readonly #statusListeners = new Set<(status: ClientStatus) => void>();

  constructor(status: ClientStatus = { state: 'live', revision: 0 }) {
    this.status = status;
  }

  onStatus(listener: (status: ClientStatus) => void): () => void {
    this.#statusListeners.add(listener);
    return () => this.#statusListeners.delete(listener);
  }

  setStatus(status: ClientStatus): void {
    this.status = status;
    for (const listener of this.#statusListeners) listener(status);
  }

  request(
    op: RequestOpName,
    body: Readonly<Record<string, unknown>>,
    options: RequestOptions = {},
  ): Promise<RequestAnswer> {
    return new Promise((resolve, reject) => this.requests.push({ op, body, options, resolve, reject }));
  }

  watch(spec: WatchSpec, listener: WatchListener): WatchSubscription {
    const watch = { spec, listener, closed: false };
    this.watches.push(watch);
    return {
      close: () => {
        watch.closed = true;
      },
    };
  }

  close(): void {
    this.closes++;
  }

  get closed(): boolean {
    return this.closes > 0;
  }

  openWatches(): FakeWatch[] {
    return this.watches.filter((watch) => !watch.closed);
  }

  /** The oldest unanswered request, checked to be of `op`. */
  next(op: RequestOpName): FakeRequest {
    const request = this.requests.shift();
    if (request === undefined) throw new Error(`FakeTransport: expected a ${op} request, none is pending`);
    if (request.op !== op) throw new Error(`FakeTransport: expected a ${op} request, got ${request.op}`);
    return request;
  }

  /** The newest open watch. */
  get openWatch(): FakeWatch {
    const open = this.openWatches();
    const watch = open[open.length - 1];
    if (watch === undefined) throw new Error('FakeTransport: no open watch');
    return watch;
  }

  /** Answers the next range request with `kvs` at `revision`. */
  answerList(kvs: readonly KeyValue[], revision: number, more = false): Readonly<Record<string, unknown>> {
    const request = this.next('range');
    request.resolve({ header: header(revision), body: { kvs, more, count: kvs.length } });
    return request.body;
  }
}

export function refused(code: VaneClientError['code'], message: string = code): VaneClientError {
  return new VaneClientError(code, message);
}
