// The chaos run's watchers: each client holds one watch WebSocket to a member with a few watches on
// it (a register, every register, every side key, or every key; with or without prevKv and filters),
// each from a recent revision. When the socket dies (its member killed, removed or restarted), when a
// progress request goes unanswered too long (a paused member), or now and then at random, the client
// reconnects to another member and resumes every watch from the revision after the last one it was
// told about, as a real client does. Every response is recorded per watch and session, in the shape
// the simulation's watch checker reads (test/sim/watch-checker.ts); a progress answer (one per socket)
// is recorded on every watch that was open on it.
import { WebSocket } from 'ws';
import { decodeWatchServerMessage, isDecodeError, PROGRESS_WATCH_ID } from '../../../core/protocol/index.ts';
import type { SeededRandom } from '../../../core/random.ts';
import {
  type KeySelector,
  NO_RANGE_END,
  prefixRange,
  type WatchResponse,
} from '../../../core/store/index.ts';
import type { RecordedWatch, WatchSession } from '../../sim/watch-clients.ts';
import { waitFor } from '../harness.ts';
import { type Endpoint, REGISTER_PREFIX, SIDE_PREFIX } from './kv-clients.ts';

export interface WatcherOptions {
  readonly clients: number;
  readonly watchesPerClient: number;
  /** How often each client asks its member for progress. */
  readonly progressIntervalMs: number;
  /** A progress request unanswered this long means the member is stuck: move to another. */
  readonly stallTimeoutMs: number;
  /** Chance per progress interval that a client moves to another member anyway. */
  readonly moveChance: number;
  /** Chance at each move that one of the client's watches is retired and a new one opened. */
  readonly replaceWatchChance: number;
}

export interface WatcherStats {
  watches: number;
  /** Sessions after a watch's first (resumptions on another connection). */
  resumptions: number;
  stalls: number;
  moves: number;
  responses: number;
}

interface LiveWatch {
  readonly recorded: RecordedWatch;
  /** Its id on the client's connections. */
  readonly wireId: number;
  /** The revision it resumes from: one past the last revision it was told about. */
  resumeFrom: number;
  canceled: boolean;
  /** No longer resumed (the client replaced it); its last session ends lost. */
  retired: boolean;
  /** The session on the current connection; null until its created response arrives. */
  session: WatchSession | null;
}

const ALL_KEYS: KeySelector = { key: NO_RANGE_END, rangeEnd: NO_RANGE_END };
/** The longest wait for a member to accept a watch socket. */
const CONNECT_TIMEOUT_MS = 2000;

export class WatchWorkload {
  readonly stats: WatcherStats = { watches: 0, resumptions: 0, stalls: 0, moves: 0, responses: 0 };
  /** Answers the checker cannot judge: a watch refused, a message that does not decode. */
  readonly errors: string[] = [];
  readonly #clients: WatchClient[] = [];
  readonly #watches: RecordedWatch[] = [];

  constructor(
    options: WatcherOptions,
    random: SeededRandom,
    endpoints: () => readonly Endpoint[],
    startRevision: () => number,
    registers: readonly string[],
  ) {
    for (let id = 1; id <= options.clients; id++) {
      this.#clients.push(
        new WatchClient(id, options, random.fork(), endpoints, startRevision, registers, this),
      );
    }
  }

  get watches(): readonly RecordedWatch[] {
    return this.#watches;
  }

  start(): void {
    for (const client of this.#clients) client.start();
  }

  /** Waits until every open watch has reported `revision`, then marks where each ended; closes the sockets. */
  async finish(revision: number, timeoutMs: number): Promise<void> {
    await Promise.all(this.#clients.map((client) => client.finish(revision, timeoutMs)));
  }

  stop(): void {
    for (const client of this.#clients) client.stop();
  }

  /** @internal A new watch's record, with the next id. */
  record(selector: KeySelector, prevKv: boolean, filters: RecordedWatch['filters']): RecordedWatch {
    const watch: RecordedWatch = { id: this.#watches.length + 1, selector, prevKv, filters, sessions: [] };
    this.#watches.push(watch);
    this.stats.watches++;
    return watch;
  }
}

class WatchClient {
  readonly #id: number;
  readonly #options: WatcherOptions;
  readonly #random: SeededRandom;
  readonly #endpoints: () => readonly Endpoint[];
  readonly #startRevision: () => number;
  readonly #registers: readonly string[];
  readonly #workload: WatchWorkload;
  readonly #watches: LiveWatch[] = [];
  #socket: WebSocket | null = null;
  #member: string | null = null;
  #progressSentAt: number | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #reconnect: ReturnType<typeof setTimeout> | null = null;
  #stopped = false;
  /** Winding down: no more moves or new watches, only catching up. */
  #finishing = false;
  #nextWireId = 1;

  constructor(
    id: number,
    options: WatcherOptions,
    random: SeededRandom,
    endpoints: () => readonly Endpoint[],
    startRevision: () => number,
    registers: readonly string[],
    workload: WatchWorkload,
  ) {
    this.#id = id;
    this.#options = options;
    this.#random = random;
    this.#endpoints = endpoints;
    this.#startRevision = startRevision;
    this.#registers = registers;
    this.#workload = workload;
  }

  start(): void {
    for (let i = 0; i < this.#options.watchesPerClient; i++) this.#openWatch();
    this.#connect();
    this.#timer = setInterval(() => this.#checkProgress(), this.#options.progressIntervalMs);
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer !== null) clearInterval(this.#timer);
    if (this.#reconnect !== null) clearTimeout(this.#reconnect);
    this.#socket?.terminate();
    this.#socket = null;
  }

  async finish(revision: number, timeoutMs: number): Promise<void> {
    this.#finishing = true;
    const open = (): LiveWatch[] => this.#watches.filter((w) => !w.retired && !w.canceled);
    try {
      await waitFor(
        `watch client ${this.#id} to report revision ${revision} on every watch`,
        timeoutMs,
        () => {
          if (this.#socket === null && this.#reconnect === null) this.#connect();
          if (this.#socket?.readyState === WebSocket.OPEN && this.#progressSentAt === null)
            this.#askProgress();
          return open().every((w) => w.session !== null && w.resumeFrom > revision) ? true : undefined;
        },
      );
    } catch (error) {
      this.#workload.errors.push(error instanceof Error ? error.message : String(error));
    }
    for (const watch of open()) {
      if (watch.session !== null) watch.session.finalRevision = revision;
    }
    this.stop();
  }

  #openWatch(): void {
    const random = this.#random;
    const roll = random.int(4);
    const selector =
      roll === 0
        ? { key: random.pick(this.#registers) }
        : roll === 1
          ? prefixRange(REGISTER_PREFIX)
          : roll === 2
            ? prefixRange(SIDE_PREFIX)
            : ALL_KEYS;
    const filterRoll = roll >= 2 ? random.int(8) : 7;
    const recorded = this.#workload.record(
      selector,
      random.chance(0.5),
      filterRoll === 0 ? ['noPut'] : filterRoll === 1 ? ['noDelete'] : [],
    );
    // From a little before the newest revision seen (history), or a little after it (the future).
    const start = Math.max(1, this.#startRevision() - 100 + random.int(104));
    this.#watches.push({
      recorded,
      wireId: this.#nextWireId++,
      resumeFrom: start,
      canceled: false,
      retired: false,
      session: null,
    });
    if (this.#socket?.readyState === WebSocket.OPEN) this.#create(this.#watches.at(-1)!);
  }

  #connect(): void {
    if (this.#stopped) return;
    const all = this.#endpoints();
    const others = all.filter((e) => e.name !== this.#member);
    const endpoint = this.#random.pick(others.length > 0 ? others : all);
    this.#member = endpoint.name;
    this.#progressSentAt = null;
    const socket = new WebSocket(`${endpoint.url.replace(/^http/, 'ws')}/v1/watch`, {
      handshakeTimeout: CONNECT_TIMEOUT_MS,
      perMessageDeflate: false,
    });
    this.#socket = socket;
    socket.on('open', () => {
      for (const watch of this.#watches) if (!watch.retired && !watch.canceled) this.#create(watch);
    });
    socket.on('message', (data) => {
      if (this.#socket === socket) this.#receive(String(data));
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (this.#socket !== socket) return;
      this.#ended();
      this.#reconnect = setTimeout(() => {
        this.#reconnect = null;
        this.#connect();
      }, 100 + this.#random.int(400));
    });
  }

  /** The current socket is gone: every session on it ends. */
  #ended(): void {
    for (const watch of this.#watches) {
      if (watch.session !== null) watch.session.lost = true;
      watch.session = null;
    }
    this.#socket = null;
  }

  #create(watch: LiveWatch): void {
    const { selector, prevKv, filters } = watch.recorded;
    this.#socket?.send(
      JSON.stringify({
        v: 1,
        type: 'watchCreate',
        watchId: watch.wireId,
        key: selector.key,
        ...(selector.rangeEnd === undefined ? {} : { rangeEnd: selector.rangeEnd }),
        startRevision: watch.resumeFrom,
        ...(prevKv ? { prevKv: true } : {}),
        ...(filters.length > 0 ? { filters } : {}),
      }),
    );
  }

  #receive(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      this.#workload.errors.push(`watch client ${this.#id}: a message is not JSON: ${text.slice(0, 200)}`);
      return;
    }
    const message = decodeWatchServerMessage(json);
    if (isDecodeError(message)) {
      this.#workload.errors.push(`watch client ${this.#id}: a message did not decode: ${message.message}`);
      return;
    }
    if (message.type === 'error') {
      this.#workload.errors.push(
        `watch client ${this.#id} on ${this.#member}: watch ${message.watchId ?? '-'} refused: ${message.error.code}: ${message.error.message}`,
      );
      return;
    }
    // This client sends no request messages, so no request answer ever comes.
    if (message.type === 'response') return;
    this.#workload.stats.responses++;
    const response = message.response;
    if (response.watchId === PROGRESS_WATCH_ID) {
      this.#progressSentAt = null;
      for (const watch of this.#watches) {
        if (watch.session === null || watch.canceled) continue;
        this.#deliver(watch, { watchId: watch.wireId, revision: response.revision, events: [] });
      }
      return;
    }
    const watch = this.#watches.find((w) => w.wireId === response.watchId);
    if (watch === undefined || watch.retired) return;
    if (response.created === true) {
      const session: WatchSession = {
        member: this.#member ?? '?',
        startRevision: watch.resumeFrom,
        revisionAtOpen: 0,
        compactRevisionAtOpen: 0,
        responses: [],
        lost: false,
        finalRevision: null,
      };
      if (watch.recorded.sessions.length > 0) this.#workload.stats.resumptions++;
      watch.recorded.sessions.push(session);
      watch.session = session;
    }
    if (watch.session === null) {
      this.#workload.errors.push(`watch ${watch.recorded.id}: a response before its created response`);
      return;
    }
    this.#deliver(watch, response);
  }

  #deliver(watch: LiveWatch, response: WatchResponse): void {
    watch.session!.responses.push(response);
    if (response.created === true) return;
    if (response.canceled === true) {
      watch.canceled = true;
      return;
    }
    const last = response.events.at(-1)?.kv.modRevision ?? 0;
    watch.resumeFrom = Math.max(watch.resumeFrom, response.revision + 1, last + 1);
  }

  /** Stops resuming one watch (its session ends here, lost) and opens a new one from a recent revision. */
  #replaceWatch(): void {
    const live = this.#watches.filter((w) => !w.retired && !w.canceled);
    if (live.length > 0) {
      const retired = this.#random.pick(live);
      retired.retired = true;
      if (retired.session !== null) retired.session.lost = true;
      retired.session = null;
    }
    this.#openWatch();
  }

  #askProgress(): void {
    this.#progressSentAt = performance.now();
    this.#socket?.send(JSON.stringify({ v: 1, type: 'progress' }));
  }

  /** Each interval: a stuck member is left; otherwise progress is asked for, and sometimes the client moves. */
  #checkProgress(): void {
    const socket = this.#socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    if (this.#progressSentAt !== null) {
      if (performance.now() - this.#progressSentAt > this.#options.stallTimeoutMs) {
        this.#workload.stats.stalls++;
        socket.terminate();
      }
      return;
    }
    if (!this.#finishing && this.#random.chance(this.#options.moveChance)) {
      this.#workload.stats.moves++;
      if (this.#random.chance(this.#options.replaceWatchChance)) this.#replaceWatch();
      socket.close(1000, 'moving to another member');
      return;
    }
    this.#askProgress();
  }
}
