// The Durable Object that serves one prefix: a replica of it kept live over one upstream connection
// (upstream.ts), stored in Durable Object storage (prefix-storage.ts) so that after an eviction or a
// restart it serves at once and resumes from its revision, and the browsers' reads and watches
// answered from it. Browser sockets use the hibernation API: their watches ride in the sockets'
// attachments, and the runtime delivers their messages to this class's handlers.
//
// The Worker (worker.ts) routes here with the prefix in PREFIX_HEADER; an object learns its prefix
// from the first request and keeps it in storage, so an alarm or a hibernated socket that wakes it
// finds it there.
import { isVaneError, type VaneError, vaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS } from '../../core/limits.ts';
import {
  type ClientRequest,
  type DecodedRequest,
  type DecodeError,
  decodeRangeQuery,
  decodeRangeRequest,
  encodeRangeResponse,
  encodeRequestError,
  encodeRequestResponse,
  encodeResponseHeader,
  isDecodeError,
  parseJsonBody,
  type RangeResponseJson,
  type ResponseHeaderJson,
  type ResponseMeta,
} from '../../core/protocol/index.ts';
import type { RangeRequest, WatchEvent } from '../../core/store/index.ts';
import { chooseSubprotocol, offeredSubprotocols } from './browser-auth.ts';
import { BrowserConnections, type Freshness } from './browser-watches.ts';
import { type EdgeConfig, type EdgeEnv, readEdgeConfig } from './config.ts';
import { type Cors, errorAnswer, readAnswer } from './http-answers.ts';
import { rangeWithin } from './prefix-routing.ts';
import { PrefixState } from './prefix-state.ts';
import { PrefixStorage } from './prefix-storage.ts';
import { readOnlyError } from './read-only.ts';
import { fenceTimeout, RevisionFence } from './revision-fence.ts';
import { startSdkUpstream } from './sdk-upstream.ts';
import type { Upstream } from './upstream.ts';
import {
  type DurableObjectStateLike,
  newWebSocketPair,
  type WorkerdSocket,
  webSocketResponse,
} from './workers-runtime.ts';

/** The header in which the Worker names the prefix an object serves. */
export const PREFIX_HEADER = 'X-Vane-Edge-Prefix';

/** What answers say served them. */
const EDGE_META: ResponseMeta = { member: 'edge', raftTerm: 0 };

export class PrefixObject {
  readonly #ctx: DurableObjectStateLike;
  readonly #config: EdgeConfig;
  readonly #cors: Cors;
  readonly #fence: RevisionFence;
  readonly #browsers: BrowserConnections;
  #state: PrefixState | undefined;
  #storage: PrefixStorage | undefined;
  #upstream: Upstream | undefined;
  #live = false;
  /** When the cluster last confirmed the state (ms since the epoch). */
  #confirmedAt = 0;
  #lastReadAt = Date.now();

  constructor(ctx: DurableObjectStateLike, env: EdgeEnv) {
    this.#ctx = ctx;
    this.#config = readEdgeConfig(env);
    this.#cors = { allowOrigin: this.#config.allowOrigin };
    this.#fence = new RevisionFence(this.#config.limits.fenceWaiters);
    const object = this;
    this.#browsers = new BrowserConnections({
      get state() {
        return object.#requireState();
      },
      meta: EDGE_META,
      limits: this.#config.limits,
      freshness: () => this.#freshness(),
      sockets: () => this.#ctx.getWebSockets(),
    });
    void ctx.blockConcurrencyWhile(async () => {
      const loaded = await PrefixStorage.load(ctx.storage, this.#config.limits);
      if (loaded === null) return;
      const [storage, { state, confirmedAt }] = loaded;
      this.#storage = storage;
      this.#state = state;
      this.#confirmedAt = confirmedAt;
      await this.#startUpstream(state.revision);
    });
  }

  async fetch(request: Request): Promise<Response> {
    const prefix = request.headers.get(PREFIX_HEADER);
    if (prefix === null) throw new Error(`PrefixObject: a request without ${PREFIX_HEADER}`);
    if (this.#state === undefined) this.#begin(prefix);
    if (this.#state!.prefix !== prefix) {
      throw new Error(`PrefixObject: serving '${this.#state!.prefix}', asked for '${prefix}'`);
    }
    this.#lastReadAt = Date.now();
    if (this.#upstream === undefined) await this.#startUpstream(this.#state!.revision);
    const url = new URL(request.url);
    if (url.pathname === '/v1/watch') return this.#acceptBrowser(request, url);
    if (url.pathname === '/v1/kv/range' && request.method === 'POST') {
      const body = parseJsonBody(await request.text(), DEFAULT_LIMITS);
      if (isDecodeError(body)) return errorAnswer(body, this.#cors);
      return this.#answerRead(decodeRangeRequest(body.value, DEFAULT_LIMITS), false);
    }
    if (url.pathname.startsWith('/v1/kv/') && request.method === 'GET') {
      const key = decodeURIComponent(url.pathname.slice('/v1/kv/'.length));
      const query = Object.fromEntries(url.searchParams);
      delete query.token;
      return this.#answerRead(decodeRangeQuery(key, query, DEFAULT_LIMITS), true);
    }
    throw new Error(`PrefixObject: the Worker routed ${request.method} ${url.pathname} here`);
  }

  async webSocketMessage(socket: WorkerdSocket, message: unknown): Promise<void> {
    if (this.#state === undefined) {
      // Evicted before its first state was stored: the browser reconnects, and that request starts it.
      closeQuietly(socket, 1012, 'this edge object restarted before it had a state; reconnect');
      return;
    }
    this.#browsers.receive(socket, message, (request) => this.#answerSocketRequest(socket, request));
  }

  async webSocketClose(socket: WorkerdSocket, code: number): Promise<void> {
    closeQuietly(socket, code === 1005 || code === 1006 ? 1000 : code, 'closed');
  }

  async webSocketError(socket: WorkerdSocket): Promise<void> {
    closeQuietly(socket, 1011, 'socket error');
  }

  /** Keeps the upstream connection up while browsers are connected or reads come; lets it go when idle. */
  async alarm(): Promise<void> {
    if (this.#state === undefined) return;
    const idleMs = Date.now() - this.#lastReadAt;
    if (this.#ctx.getWebSockets().length === 0 && idleMs >= this.#config.limits.idleUpstreamMs) {
      if (this.#live) this.#confirmedAt = Date.now();
      this.#upstream?.close();
      this.#upstream = undefined;
      this.#live = false;
      return;
    }
    if (this.#upstream === undefined) await this.#startUpstream(this.#state.revision);
    else await this.#ctx.storage.setAlarm(Date.now() + this.#config.limits.upstreamCheckMs);
  }

  // ---- state from the cluster ----

  /** An object asked for the first time: empty until the first list arrives. */
  #begin(prefix: string): void {
    this.#state = new PrefixState(prefix, 0, [], {
      maxChangeSets: this.#config.limits.historyChangeSets,
      maxBytes: this.#config.limits.historyBytes,
    });
    this.#storage = PrefixStorage.fresh(this.#ctx.storage, prefix, this.#config.limits);
  }

  async #startUpstream(revision: number): Promise<void> {
    const state = this.#requireState();
    this.#upstream = startSdkUpstream(this.#config, state.prefix, revision === 0 ? null : revision, {
      listed: (at, kvs) => {
        const first = state.revision === 0;
        state.rebase(at, kvs);
        this.#confirm();
        this.#persist(this.#storage!.recordRebase(state, this.#confirmedAt));
        // The state jumped: watches cannot go on without a gap (an empty object had none).
        if (!first) this.#browsers.cancelAll(at + 1);
        this.#fence.advanced(at);
      },
      changed: (at, events) => this.#applyChanges(at, events),
      progressed: (at) => {
        this.#confirm();
        if (at <= state.revision) return;
        state.advance(at);
        this.#persist(this.#storage!.recordProgress(state, this.#confirmedAt));
        this.#browsers.notifyProgress(at);
        this.#fence.advanced(at);
      },
      connection: (live, lagMs) => {
        // Going down: the state was current until now, or until lagMs ago (a cut-off member).
        if (this.#live && !live) this.#confirmedAt = Date.now() - (lagMs ?? 0);
        this.#live = live;
      },
    });
    await this.#ctx.storage.setAlarm(Date.now() + this.#config.limits.upstreamCheckMs);
  }

  /** Applies events revision by revision (a txn's events stay together), storing and delivering each. */
  #applyChanges(revision: number, events: readonly WatchEvent[]): void {
    const state = this.#requireState();
    this.#confirm();
    let start = 0;
    while (start < events.length) {
      const at = events[start]!.kv.modRevision;
      let end = start;
      while (end < events.length && events[end]!.kv.modRevision === at) end++;
      if (at > state.revision) {
        const { changeSet, dropped } = state.apply(at, events.slice(start, end));
        this.#persist(this.#storage!.recordChange(state, changeSet, dropped, this.#confirmedAt));
        if (changeSet.events.length > 0) this.#browsers.deliver(changeSet);
      }
      start = end;
    }
    if (revision > state.revision) {
      state.advance(revision);
      this.#persist(this.#storage!.recordProgress(state, this.#confirmedAt));
    }
    this.#fence.advanced(state.revision);
  }

  #confirm(): void {
    this.#confirmedAt = Date.now();
  }

  /** Storage writes run in the order issued; a failure is logged (the runtime resets a failing object). */
  #persist(write: Promise<void>): void {
    write.catch((error: unknown) => console.error('edge: storing the prefix state failed', error));
  }

  #freshness(): Freshness {
    return this.#live
      ? { stale: false, ageMs: 0 }
      : { stale: true, ageMs: Math.max(0, Date.now() - this.#confirmedAt) };
  }

  #requireState(): PrefixState {
    if (this.#state === undefined)
      throw new Error('PrefixObject: no state yet (no request named the prefix)');
    return this.#state;
  }

  // ---- browsers ----

  async #acceptBrowser(request: Request, url: URL): Promise<Response> {
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return errorAnswer(
        vaneError('invalidRequest', '/v1/watch is a WebSocket: send an upgrade request'),
        this.#cors,
      );
    }
    const minRevision = url.searchParams.get('minRevision');
    if (minRevision !== null) {
      const wanted = Number(minRevision);
      if (!Number.isSafeInteger(wanted) || wanted < 0) {
        return errorAnswer(
          vaneError('invalidRequest', `minRevision '${minRevision}' is not a non-negative integer`),
          this.#cors,
        );
      }
      const fenced = await this.#fenced(wanted);
      if (fenced !== undefined) return errorAnswer(fenced, this.#cors, this.#context());
    }
    const { client, server } = newWebSocketPair();
    this.#ctx.acceptWebSocket(server);
    this.#browsers.opened(server);
    const protocol = chooseSubprotocol(offeredSubprotocols(request));
    return webSocketResponse(
      client,
      protocol === undefined ? undefined : { 'Sec-WebSocket-Protocol': protocol },
    );
  }

  async #answerRead(decoded: DecodedRequest<RangeRequest> | DecodeError, single: boolean): Promise<Response> {
    if (isDecodeError(decoded)) return errorAnswer(decoded, this.#cors, this.#context());
    const result = await this.#range(decoded);
    if (isVaneError(result)) return errorAnswer(result, this.#cors, this.#context());
    if (single && decoded.request.rangeEnd === undefined && result.count === 0) {
      const error = vaneError('keyNotFound', `key '${decoded.request.key}' does not exist`);
      return errorAnswer(error, this.#cors, this.#context(result.header.revision));
    }
    return readAnswer(result, this.#freshness(), this.#cors);
  }

  /** A read from this prefix's state, once it is at least minRevision. */
  async #range(decoded: DecodedRequest<RangeRequest>): Promise<RangeResponseJson | VaneError> {
    const state = this.#requireState();
    if (!rangeWithin(state.prefix, decoded.request.key, decoded.request.rangeEnd)) {
      return vaneError(
        'invalidRequest',
        `this edge connection serves prefix '${state.prefix}' only; read '${decoded.request.key}' over HTTP (GET /v1/kv/...), which the edge routes to its prefix`,
        { prefix: state.prefix },
      );
    }
    // An object that has not heard from the cluster yet has nothing to serve.
    const fenced = await this.#fenced(Math.max(decoded.minRevision ?? 0, 1));
    if (fenced !== undefined) return fenced;
    const result = state.range(decoded.request);
    if (isVaneError(result)) return result;
    return encodeRangeResponse(result, EDGE_META, decoded.encoding);
  }

  /** undefined once the state is at minRevision; a timeout error if it does not get there in time. */
  async #fenced(minRevision: number): Promise<VaneError | undefined> {
    const state = this.#requireState();
    if (state.revision >= minRevision) return undefined;
    const waitMs = this.#config.limits.fenceWaitMs;
    const reached = this.#fence.wait(minRevision, state.revision, waitMs);
    if (isVaneError(reached)) return reached;
    if (await reached) return undefined;
    if (state.revision === 0) {
      return vaneError(
        'unavailable',
        `this edge has no state for prefix '${state.prefix}' yet: the cluster did not answer within ${waitMs} ms; retry, or read from the cluster`,
      );
    }
    return fenceTimeout(minRevision, state.revision, waitMs);
  }

  /** A request over a browser's socket: reads of this prefix are answered, writes refused. */
  async #answerSocketRequest(
    socket: WorkerdSocket,
    message: { readonly id: number; readonly request: ClientRequest },
  ): Promise<void> {
    const { id, request } = message;
    let answer: object;
    if (request.op !== 'range') {
      answer = encodeRequestError(readOnlyError(`a ${request.op} request`), id);
    } else {
      this.#lastReadAt = Date.now();
      const result = await this.#range(request);
      answer = isVaneError(result) ? encodeRequestError(result, id) : encodeRequestResponse(id, result);
    }
    try {
      socket.send(JSON.stringify(answer));
    } catch {
      // The browser went away.
    }
  }

  /** The header and freshness an error answer carries, once the object has a state. */
  #context(revision?: number): { header?: ResponseHeaderJson; freshness?: Freshness } {
    const state = this.#state;
    if (state === undefined) return {};
    return {
      header: encodeResponseHeader(revision ?? state.revision, EDGE_META),
      freshness: this.#freshness(),
    };
  }
}

function closeQuietly(socket: WorkerdSocket, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    // Already closed.
  }
}
