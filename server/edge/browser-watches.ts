// The browsers' watch connections to one object: the server's watch protocol (core/protocol),
// answered from the object's state and history. Each connection's watches ride in its socket's
// hibernation attachment, so an object that was evicted while browsers stayed connected wakes up
// knowing what each of them watches, and goes on delivering from its stored revision.
import { type VaneError, vaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, formatBytes } from '../../core/limits.ts';
import {
  decodeWatchClientMessage,
  encodeKeyValue,
  encodeResponseHeader,
  encodeWatchError,
  encodeWatchResponse,
  isDecodeError,
  PROGRESS_WATCH_ID,
  PROTOCOL_VERSION,
  parseJsonBody,
  type RequestMessage,
  type ResponseMeta,
  type WatchClientMessage,
} from '../../core/protocol/index.ts';
import { compareKeys, NO_RANGE_END, type WatchEvent } from '../../core/store/index.ts';
import type { ChangeSet } from './change-history.ts';
import type { EdgeLimits } from './limits.ts';
import { rangeWithin } from './prefix-routing.ts';
import type { PrefixState } from './prefix-state.ts';
import type { WorkerdSocket } from './workers-runtime.ts';

/** One browser watch as kept in its socket's attachment (short fields: the attachment is small). */
export interface BrowserWatch {
  readonly id: number;
  readonly key: string;
  /** Absent: just `key`. */
  readonly end?: string;
  /** Deliver nothing below this revision (a watch that starts ahead of the object's state). */
  readonly from?: number;
  readonly prevKv?: true;
  readonly noPut?: true;
  readonly noDelete?: true;
  readonly base64?: true;
  readonly progressNotify?: true;
}

interface ConnectionRecord {
  readonly watches: readonly BrowserWatch[];
}

/** How fresh the object's state is, as browsers are told beside a revision. */
export interface Freshness {
  readonly stale: boolean;
  /** Milliseconds since the cluster last confirmed the state. */
  readonly ageMs: number;
}

/** What the connections need from the object that holds them. */
export interface ConnectionHost {
  readonly state: PrefixState;
  readonly meta: ResponseMeta;
  readonly limits: EdgeLimits;
  freshness(): Freshness;
  sockets(): WorkerdSocket[];
}

const utf8 = new TextEncoder();

export class BrowserConnections {
  readonly #host: ConnectionHost;
  /** Decoded attachments of the sockets seen since this object woke up. */
  readonly #records = new WeakMap<WorkerdSocket, ConnectionRecord>();

  constructor(host: ConnectionHost) {
    this.#host = host;
  }

  /** A newly accepted connection: no watches yet. */
  opened(socket: WorkerdSocket): void {
    this.#save(socket, { watches: [] });
  }

  /**
   * Handles one message from a browser. Requests (reads, or writes to refuse) go to `answerRequest`,
   * which the object answers asynchronously.
   */
  receive(
    socket: WorkerdSocket,
    data: unknown,
    answerRequest: (message: RequestMessage) => Promise<void>,
  ): void {
    if (typeof data !== 'string') {
      this.#send(
        socket,
        encodeWatchError(
          vaneError('decodeError', 'watch messages are JSON text; a binary message was ignored'),
        ),
      );
      return;
    }
    const maximum = this.#host.limits.browserMessageBytes;
    if (data.length > maximum || utf8.encode(data).length > maximum) {
      const error = vaneError(
        'requestTooLarge',
        `watch message exceeds the ${formatBytes(maximum)} limit (browserMessageBytes); it was ignored`,
        { limit: 'browserMessageBytes', maximum },
      );
      this.#send(socket, encodeWatchError(error));
      return;
    }
    const parsed = parseJsonBody(data, DEFAULT_LIMITS);
    if (isDecodeError(parsed)) {
      this.#send(socket, encodeWatchError(parsed));
      return;
    }
    const message = decodeWatchClientMessage(parsed.value, DEFAULT_LIMITS);
    if (isDecodeError(message)) {
      this.#send(socket, encodeWatchError(message, watchIdOf(parsed.value)));
      return;
    }
    if (message.type === 'request') {
      void answerRequest(message);
      return;
    }
    this.#handle(socket, message);
  }

  /** Sends a change set the object just applied to every watch it concerns. */
  deliver(changeSet: ChangeSet): void {
    const header = JSON.stringify(encodeResponseHeader(changeSet.revision, this.#host.meta));
    const bodies = new Map<string, string | null>();
    for (const socket of this.#host.sockets()) {
      for (const watch of this.#record(socket).watches) {
        if (watch.from !== undefined && changeSet.revision < watch.from) continue;
        const variant = variantKey(watch);
        let events = bodies.get(variant);
        if (events === undefined) {
          const selected = selectEvents(watch, changeSet.events);
          events =
            selected.length === 0 ? null : JSON.stringify(selected.map((event) => encodeEvent(event, watch)));
          bodies.set(variant, events);
        }
        if (events === null) continue;
        // The same text encodeWatchResponse would give, built once per kind of watch instead of per socket.
        this.#sendText(
          socket,
          `{"v":${PROTOCOL_VERSION},"type":"watchResponse","header":${header},"watchId":${watch.id},"events":${events}}`,
        );
      }
    }
  }

  /** Tells watches that asked for progress notifications that the state reached `revision`. */
  notifyProgress(revision: number): void {
    for (const socket of this.#host.sockets()) {
      for (const watch of this.#record(socket).watches) {
        if (watch.progressNotify !== true) continue;
        this.#send(socket, this.#progressJson(watch.id, revision));
      }
    }
  }

  /**
   * The object's state jumped (a re-list after the cluster compacted its history): no watch can be
   * continued without a gap, so each is cancelled with the revision to re-list from, as the server
   * does for a compacted watch; the SDK re-lists and watches again.
   */
  cancelAll(compactRevision: number): void {
    const reason = `this edge's state jumped to revision ${compactRevision} (the cluster compacted the history it needed); re-read the keys and watch again from the revision of that read`;
    for (const socket of this.#host.sockets()) {
      const record = this.#record(socket);
      for (const watch of record.watches)
        this.#send(socket, this.#cancelJson(watch, compactRevision, reason));
      this.#save(socket, { watches: [] });
    }
  }

  #handle(socket: WorkerdSocket, message: Exclude<WatchClientMessage, RequestMessage>): void {
    switch (message.type) {
      case 'watchCreate':
        this.#create(socket, message);
        return;
      case 'watchCancel':
        this.#cancel(socket, message.watchId);
        return;
      case 'progress':
        // Every watch is delivered to as soon as a change is applied: all are at the object's revision.
        this.#send(socket, this.#progressJson(PROGRESS_WATCH_ID, this.#host.state.revision));
        return;
    }
  }

  #create(socket: WorkerdSocket, message: Extract<WatchClientMessage, { type: 'watchCreate' }>): void {
    const { state, limits } = this.#host;
    const record = this.#record(socket);
    const { request } = message;
    const refused = (error: VaneError): void => this.#send(socket, encodeWatchError(error, message.watchId));
    if (!rangeWithin(state.prefix, request.key, request.rangeEnd)) {
      refused(
        vaneError(
          'invalidRequest',
          `this edge connection serves prefix '${state.prefix}' only; watch '${request.key}' through a connection for its own prefix (see the edge's README section), or on the cluster`,
          { prefix: state.prefix },
        ),
      );
      return;
    }
    if (record.watches.length >= limits.watchesPerConnection) {
      refused(
        vaneError(
          'invalidRequest',
          `this connection already has ${limits.watchesPerConnection} watches (watchesPerConnection); cancel some, or open another connection`,
          { limit: 'watchesPerConnection', maximum: limits.watchesPerConnection },
        ),
      );
      return;
    }
    if (message.watchId !== undefined && record.watches.some((w) => w.id === message.watchId)) {
      refused(vaneError('invalidRequest', `watchId ${message.watchId} is already in use on this connection`));
      return;
    }
    const id = message.watchId ?? nextFreeId(record.watches);
    const start = request.startRevision ?? 0;
    const watch = compact<BrowserWatch>({
      id,
      key: request.key,
      end: request.rangeEnd,
      from: start > state.revision + 1 ? start : undefined,
      prevKv: request.prevKv === true ? true : undefined,
      noPut: request.filters?.includes('noPut') === true ? true : undefined,
      noDelete: request.filters?.includes('noDelete') === true ? true : undefined,
      base64: message.encoding === 'base64' ? true : undefined,
      progressNotify: request.progressNotify === true ? true : undefined,
    });
    const watches = [...record.watches, watch];
    const bytes = utf8.encode(JSON.stringify({ watches })).length;
    if (bytes > limits.connectionWatchBytes) {
      refused(
        vaneError(
          'requestTooLarge',
          `this connection's watches would take ${bytes} bytes, over the ${limits.connectionWatchBytes}-byte limit (connectionWatchBytes: they are kept with the hibernating socket); watch shorter keys or prefixes, or open another connection`,
          { limit: 'connectionWatchBytes', maximum: limits.connectionWatchBytes },
        ),
      );
      return;
    }
    this.#send(
      socket,
      this.#withFreshness(
        encodeWatchResponse(
          { watchId: id, revision: state.revision, events: [], created: true },
          this.#host.meta,
          'utf8',
        ),
      ),
    );
    if (start !== 0 && start <= state.revision) {
      const past = state.history.since(start);
      if (!Array.isArray(past)) {
        const { compactRevision } = past as { readonly compactRevision: number };
        const reason = `revision ${start} is older than the history this edge keeps (it starts at ${compactRevision}); re-read the keys and watch again from the revision of that read`;
        this.#send(socket, this.#cancelJson(watch, compactRevision, reason));
        return;
      }
      for (const changeSet of past as readonly ChangeSet[]) {
        const events = selectEvents(watch, changeSet.events);
        if (events.length === 0) continue;
        this.#send(socket, {
          v: PROTOCOL_VERSION,
          type: 'watchResponse',
          header: encodeResponseHeader(changeSet.revision, this.#host.meta),
          watchId: id,
          events: events.map((event) => encodeEvent(event, watch)),
        });
      }
    }
    this.#save(socket, { watches });
  }

  #cancel(socket: WorkerdSocket, id: number): void {
    const record = this.#record(socket);
    const watch = record.watches.find((w) => w.id === id);
    if (watch === undefined) {
      this.#send(
        socket,
        encodeWatchError(vaneError('invalidRequest', `no watch ${id} is open on this connection`), id),
      );
      return;
    }
    this.#save(socket, { watches: record.watches.filter((w) => w.id !== id) });
    this.#send(
      socket,
      encodeWatchResponse(
        {
          watchId: id,
          revision: this.#host.state.revision,
          events: [],
          canceled: true,
          cancelReason: 'canceled by the client',
        },
        this.#host.meta,
        'utf8',
      ),
    );
  }

  #progressJson(watchId: number, revision: number): object {
    return this.#withFreshness(
      encodeWatchResponse({ watchId, revision, events: [] }, this.#host.meta, 'utf8'),
    );
  }

  #cancelJson(watch: BrowserWatch, compactRevision: number, cancelReason: string): object {
    return encodeWatchResponse(
      {
        watchId: watch.id,
        revision: this.#host.state.revision,
        events: [],
        canceled: true,
        compactRevision,
        cancelReason,
      },
      this.#host.meta,
      'utf8',
    );
  }

  /** Progress and created responses say how fresh the edge's state is (a field the server does not send). */
  #withFreshness(json: object): object {
    return { ...json, edge: this.#host.freshness() };
  }

  #record(socket: WorkerdSocket): ConnectionRecord {
    let record = this.#records.get(socket);
    if (record === undefined) {
      record = (socket.deserializeAttachment() as ConnectionRecord | null) ?? { watches: [] };
      this.#records.set(socket, record);
    }
    return record;
  }

  #save(socket: WorkerdSocket, record: ConnectionRecord): void {
    socket.serializeAttachment(record);
    this.#records.set(socket, record);
  }

  #send(socket: WorkerdSocket, json: object): void {
    this.#sendText(socket, JSON.stringify(json));
  }

  #sendText(socket: WorkerdSocket, text: string): void {
    try {
      socket.send(text);
    } catch {
      // The browser went away; its close event will arrive.
    }
  }
}

function selectEvents(watch: BrowserWatch, events: readonly WatchEvent[]): WatchEvent[] {
  return events.filter((event) => {
    if (event.type === 'put' ? watch.noPut === true : watch.noDelete === true) return false;
    const key = event.kv.key;
    if (watch.end === undefined) return key === watch.key;
    return (
      compareKeys(key, watch.key) >= 0 && (watch.end === NO_RANGE_END || compareKeys(key, watch.end) < 0)
    );
  });
}

function encodeEvent(event: WatchEvent, watch: BrowserWatch): object {
  const encoding = watch.base64 === true ? 'base64' : 'utf8';
  const json = { type: event.type, kv: encodeKeyValue(event.kv, encoding) };
  return watch.prevKv === true && event.prevKv !== undefined
    ? { ...json, prevKv: encodeKeyValue(event.prevKv, encoding) }
    : json;
}

/** Watches that would be sent the same events share one encoding of them per change set. */
function variantKey(watch: BrowserWatch): string {
  return `${watch.key}\u0000${watch.end ?? ''}\u0000${watch.prevKv ? 'p' : ''}${watch.noPut ? 'P' : ''}${watch.noDelete ? 'D' : ''}${watch.base64 ? 'b' : ''}`;
}

function nextFreeId(watches: readonly BrowserWatch[]): number {
  let id = 0;
  while (watches.some((w) => w.id === id)) id++;
  return id;
}

/** The object without its undefined fields (they would cost attachment bytes). */
function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The watchId a refused message named, so the error can say which watch it is about. */
function watchIdOf(json: unknown): number | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const watchId = (json as { watchId?: unknown }).watchId;
  return typeof watchId === 'number' && Number.isSafeInteger(watchId) && watchId >= 0 ? watchId : undefined;
}
