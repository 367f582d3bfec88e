// The chaos run's key-value clients: each one, concurrently with the others, runs one operation at a
// time against a member it picks at random (down, paused or cut off ones included): a put, a
// linearizable get, a linearizable range over every register, or a compare-and-swap txn that may also
// write or delete the register's side key in the same revision. Every value written is unique
// (`c<client>.<seq>`), so the committed history says which write made it. A write that gets no
// definite answer is retried once on another member with the same Idempotency-Key, then recorded
// with an unknown outcome; a read that gets none is left out (it changed nothing). Times are a logical
// clock ticked at every call and return in this one process, so they order events as they happened.
import { decodeRangeResponse, decodeTxnResponse, isDecodeError } from '../../../core/protocol/index.ts';
import type { SeededRandom } from '../../../core/random.ts';
import type { KeyValue } from '../../../core/store/index.ts';
import type { KvInput, KvOutput } from '../../sim/kv-model.ts';
import { type MemberAnswer, type MemberRequest, refusalCode, requestMember } from './member-http.ts';

/** The registers the linearizability check covers, one partition each. */
export const REGISTER_PREFIX = 'r/';
/** Side keys, written only inside compare-and-swap txns: multi-event revisions for the watches. */
export const SIDE_PREFIX = 's/';
/** Attempts of one write, the first included. */
const MAX_WRITE_ATTEMPTS = 2;
/** Statuses that mean the request itself was wrong: a bug in this client, not a fault. */
const CLIENT_ERROR_STATUSES = new Set([400, 404, 409, 413]);

export interface Endpoint {
  readonly name: string;
  readonly url: string;
}

export interface KvWorkloadOptions {
  readonly clients: number;
  readonly keys: number;
  /** Each client's average rate; it waits between operations to keep to it. */
  readonly opsPerSecondPerClient: number;
  /** One attempt's deadline. */
  readonly opTimeoutMs: number;
}

/** One operation on one register as a client saw it; output undefined = outcome unknown. */
export interface ClientOperation {
  readonly clientId: number;
  /** The write's request id (and the value it writes); '' for a read. */
  readonly requestId: string;
  readonly input: KvInput;
  readonly call: number;
  return: number;
  output: KvOutput | undefined;
  /** The revision the answer reflects: a write's own revision, a read's state. */
  revision: number | null;
  /** Why a write's outcome is unknown (the last attempt's timeout or refusal). */
  unknownReason: string | null;
  /** What a compare-and-swap also does to its side key when it succeeds (value null = delete). */
  readonly side: { readonly key: string; readonly value: string | null } | null;
}

export interface KvWorkloadStats {
  /** Client operations issued (a range counts once). */
  issued: number;
  puts: number;
  gets: number;
  ranges: number;
  compareAndSwaps: number;
  /** Writes answered, at the first attempt or the retry. */
  writesAcknowledged: number;
  /** Writes whose outcome stayed unknown. */
  writesUnknown: number;
  /** Second attempts of a write. */
  retries: number;
  /** Reads with no answer or a refusal (left out of the history). */
  readsFailed: number;
  /** Wall-clock milliseconds summed over answered attempts, and their count: the mean latency. */
  answeredMs: number;
  answered: number;
}

/** Orders every call and return of the run. */
export class LogicalClock {
  #now = 0;

  tick(): number {
    return ++this.#now;
  }
}

const decoder = new TextDecoder();

function valueText(kv: KeyValue | undefined): string | null {
  return kv === undefined ? null : decoder.decode(kv.value);
}

type ReadResult = { readonly kvs: readonly KeyValue[]; readonly revision: number } | null;

export class KvWorkload {
  readonly history: ClientOperation[] = [];
  readonly stats: KvWorkloadStats = {
    issued: 0,
    puts: 0,
    gets: 0,
    ranges: 0,
    compareAndSwaps: 0,
    writesAcknowledged: 0,
    writesUnknown: 0,
    retries: 0,
    readsFailed: 0,
    answeredMs: 0,
    answered: 0,
  };
  /** The highest revision an answer carried: where new watches start from. */
  highestRevision = 0;
  /** What stopped a client: an answer this workload cannot make sense of (a bug here or in the member). */
  failure: string | null = null;
  readonly #options: KvWorkloadOptions;
  readonly #endpoints: () => readonly Endpoint[];
  readonly #clock: LogicalClock;
  readonly #keys: string[];
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(options: KvWorkloadOptions, endpoints: () => readonly Endpoint[], clock: LogicalClock) {
    this.#options = options;
    this.#endpoints = endpoints;
    this.#clock = clock;
    this.#keys = Array.from({ length: options.keys }, (_, i) => `${REGISTER_PREFIX}${i}`);
  }

  get keys(): readonly string[] {
    return this.#keys;
  }

  /** Starts every client; `random` gives each its own stream. */
  start(random: SeededRandom): void {
    if (this.#running) throw new Error('the workload is already running');
    this.#running = true;
    for (let id = 1; id <= this.#options.clients; id++) {
      this.#loops.push(this.#runClient(id, random.fork()));
    }
  }

  /** Stops issuing operations and waits for those in flight (each ends by its deadline). */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  async #runClient(id: number, random: SeededRandom): Promise<void> {
    try {
      await this.#runOperations(id, random);
    } catch (error) {
      this.failure ??= `client ${id}: ${error instanceof Error ? error.message : String(error)}`;
    }
  }

  async #runOperations(id: number, random: SeededRandom): Promise<void> {
    /** The last value this client saw per register: what its compare-and-swaps expect. */
    const lastSeen = new Map<string, string | null>();
    const meanGapMs = 1000 / this.#options.opsPerSecondPerClient;
    for (let seq = 1; this.#running && this.failure === null; seq++) {
      const started = performance.now();
      const key = random.pick(this.#keys);
      const roll = random.int(100);
      const requestId = `c${id}.${seq}`;
      this.stats.issued++;
      if (roll < 30) await this.#put(id, random, key, requestId, lastSeen);
      else if (roll < 55) await this.#get(id, random, key, lastSeen);
      else if (roll < 65) await this.#range(id, random, lastSeen);
      else await this.#compareAndSwap(id, random, key, requestId, lastSeen);
      const pause = random.float() * 2 * meanGapMs - (performance.now() - started);
      if (pause > 0 && this.#running) await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  #pickEndpoint(random: SeededRandom, avoid?: string): Endpoint {
    const all = this.#endpoints();
    const others = all.filter((e) => e.name !== avoid);
    return random.pick(others.length > 0 ? others : all);
  }

  #noteLatency(sentAt: number): void {
    this.stats.answeredMs += performance.now() - sentAt;
    this.stats.answered++;
  }

  #noteRevision(revision: number | null): void {
    if (revision !== null && revision > this.highestRevision) this.highestRevision = revision;
  }

  async #put(
    clientId: number,
    random: SeededRandom,
    key: string,
    requestId: string,
    lastSeen: Map<string, string | null>,
  ): Promise<void> {
    this.stats.puts++;
    const op = this.#record(clientId, requestId, { kind: 'put', key, value: requestId }, null);
    const answer = await this.#write(random, op, {
      method: 'PUT',
      path: `/v1/kv/${encodeURIComponent(key)}`,
      body: { value: requestId },
    });
    if (answer === null) return;
    op.output = { kind: 'put' };
    lastSeen.set(key, requestId);
  }

  async #compareAndSwap(
    clientId: number,
    random: SeededRandom,
    key: string,
    requestId: string,
    lastSeen: Map<string, string | null>,
  ): Promise<void> {
    this.stats.compareAndSwaps++;
    const expected = lastSeen.get(key) ?? null;
    const sideKey = `${SIDE_PREFIX}${key.slice(REGISTER_PREFIX.length)}`;
    const sideRoll = random.int(4);
    const side =
      sideRoll < 2
        ? { key: sideKey, value: `${requestId}/side` }
        : sideRoll === 2
          ? { key: sideKey, value: null }
          : null;
    const op = this.#record(clientId, requestId, { kind: 'cas', key, expected, value: requestId }, side);
    const compare =
      expected === null
        ? { key, target: 'version', result: 'equal', value: 0 }
        : { key, target: 'value', result: 'equal', value: expected };
    const success: object[] = [{ put: { key, value: requestId } }];
    if (side !== null) success.push(side.value === null ? { deleteRange: { key: side.key } } : { put: side });
    const answer = await this.#write(random, op, {
      method: 'POST',
      path: '/v1/txn',
      body: { compare: [compare], success, failure: [{ range: { key } }] },
    });
    if (answer === null) return;
    const decoded = decodeTxnResponse(answer);
    if (isDecodeError(decoded)) throw new Error(`txn answer did not decode: ${decoded.message}`);
    const { succeeded, responses } = decoded.response;
    op.output = { kind: 'cas', succeeded };
    if (succeeded) {
      lastSeen.set(key, requestId);
      return;
    }
    // The failure branch read the register in the same revision: that is a read too.
    const range = responses[0] !== undefined && 'range' in responses[0] ? responses[0].range : undefined;
    if (range === undefined) throw new Error('a failed compare-and-swap answered without its range');
    const value = valueText(range.kvs[0]);
    lastSeen.set(key, value);
    this.history.push({
      ...op,
      requestId: '',
      input: { kind: 'get', key },
      output: { kind: 'get', value },
      side: null,
    });
  }

  async #get(
    clientId: number,
    random: SeededRandom,
    key: string,
    lastSeen: Map<string, string | null>,
  ): Promise<void> {
    this.stats.gets++;
    const call = this.#clock.tick();
    const read = await this.#read(random, { method: 'GET', path: `/v1/kv/${encodeURIComponent(key)}` });
    if (read === null) return;
    const value = valueText(read.kvs[0]);
    lastSeen.set(key, value);
    this.#pushRead(clientId, key, call, value, read.revision);
  }

  /** One linearizable range over every register: a get of each, all at the same moment. */
  async #range(clientId: number, random: SeededRandom, lastSeen: Map<string, string | null>): Promise<void> {
    this.stats.ranges++;
    const call = this.#clock.tick();
    const read = await this.#read(random, {
      method: 'POST',
      path: '/v1/kv/range',
      body: { key: REGISTER_PREFIX, prefix: true },
    });
    if (read === null) return;
    for (const key of this.#keys) {
      const value = valueText(read.kvs.find((kv) => kv.key === key));
      lastSeen.set(key, value);
      this.#pushRead(clientId, key, call, value, read.revision);
    }
  }

  #pushRead(clientId: number, key: string, call: number, value: string | null, revision: number): void {
    this.history.push({
      clientId,
      requestId: '',
      input: { kind: 'get', key },
      call,
      return: this.#clock.tick(),
      output: { kind: 'get', value },
      revision,
      unknownReason: null,
      side: null,
    });
  }

  #record(
    clientId: number,
    requestId: string,
    input: KvInput,
    side: ClientOperation['side'],
  ): ClientOperation {
    const op: ClientOperation = {
      clientId,
      requestId,
      input,
      call: this.#clock.tick(),
      return: Number.POSITIVE_INFINITY,
      output: undefined,
      revision: null,
      unknownReason: null,
      side,
    };
    this.history.push(op);
    return op;
  }

  /**
   * Sends a write, and once more elsewhere if it got no definite answer; returns the answer body
   * (with op's return time and revision set), or null with the outcome left unknown.
   */
  async #write(
    random: SeededRandom,
    op: ClientOperation,
    request: Omit<MemberRequest, 'timeoutMs' | 'requestId'>,
  ): Promise<unknown | null> {
    let endpoint = this.#pickEndpoint(random);
    for (let attempt = 1; ; attempt++) {
      const sentAt = performance.now();
      const answer = await requestMember(endpoint.url, {
        ...request,
        requestId: op.requestId,
        timeoutMs: this.#options.opTimeoutMs,
      });
      if (answer.kind === 'answered' && answer.status === 200) {
        op.return = this.#clock.tick();
        this.#noteLatency(sentAt);
        op.revision = revisionOf(answer);
        this.#noteRevision(op.revision);
        this.stats.writesAcknowledged++;
        return answer.body;
      }
      failOnClientError(answer, request);
      op.unknownReason = `${endpoint.name}: ${refusalCode(answer)}`;
      if (attempt === MAX_WRITE_ATTEMPTS || !this.#running) {
        this.stats.writesUnknown++;
        return null;
      }
      this.stats.retries++;
      await new Promise((resolve) => setTimeout(resolve, 50 + random.int(200)));
      endpoint = this.#pickEndpoint(random, endpoint.name);
    }
  }

  /** A linearizable read at one member: its keys and revision, or null if it was not answered. */
  async #read(random: SeededRandom, request: Omit<MemberRequest, 'timeoutMs'>): Promise<ReadResult> {
    const endpoint = this.#pickEndpoint(random);
    const sentAt = performance.now();
    const answer = await requestMember(endpoint.url, { ...request, timeoutMs: this.#options.opTimeoutMs });
    if (answer.kind === 'answered') this.#noteLatency(sentAt);
    if (answer.kind === 'answered' && answer.status === 404 && refusalCode(answer) === 'keyNotFound') {
      const revision = revisionOf(answer);
      this.#noteRevision(revision);
      return { kvs: [], revision };
    }
    if (answer.kind !== 'answered' || answer.status !== 200) {
      failOnClientError(answer, request);
      this.stats.readsFailed++;
      return null;
    }
    const decoded = decodeRangeResponse(answer.body);
    if (isDecodeError(decoded)) throw new Error(`range answer did not decode: ${decoded.message}`);
    this.#noteRevision(decoded.response.revision);
    return { kvs: decoded.response.kvs, revision: decoded.response.revision };
  }
}

function revisionOf(answer: MemberAnswer): number {
  const revision = answer.kind === 'answered' ? answer.revision : null;
  if (revision === null || !Number.isSafeInteger(revision)) {
    throw new Error('a member answered without a revision header');
  }
  return revision;
}

function failOnClientError(answer: MemberAnswer, request: Omit<MemberRequest, 'timeoutMs'>): void {
  if (answer.kind !== 'answered' || !CLIENT_ERROR_STATUSES.has(answer.status)) return;
  if (answer.status === 404 && refusalCode(answer) === 'keyNotFound') return;
  throw new Error(
    `${request.method} ${request.path} was refused as a bad request: ${JSON.stringify(answer.body)}`,
  );
}
