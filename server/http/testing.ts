// Test doubles for the HTTP layer. FakeMember: a MemberApi over one real KvStore in this process,
// commands applied at increasing log indexes, watches straight from the store's hub; cluster state
// (members, status, health) is plain data a test sets, and failNext() makes the next call fail as a
// real member might. FakeSocket and ManualTimers drive a WatchSession without a network or a clock.
import type { Hono } from 'hono';
import type { VaneError } from '../../core/errors.ts';
import { DEFAULT_LIMITS, type Limits } from '../../core/limits.ts';
import {
  decodeWatchServerMessage,
  isDecodeError,
  type WatchServerMessage,
} from '../../core/protocol/index.ts';
import type { NodeId } from '../../core/raft/types.ts';
import {
  type Command,
  type CommandResponse,
  KvStore,
  type LeaseListResponse,
  type LeaseTimeToLiveRequest,
  type LeaseTimeToLiveResponse,
  type RangeRequest,
  type RangeResponse,
  type StoreConfig,
  type WatchRequest,
} from '../../core/store/index.ts';
import { createLogger } from '../log.ts';
import type {
  Health,
  MemberApi,
  MemberInfo,
  MemberStatus,
  ReadOptions,
  ResponseHeader,
  WatchHandle,
  WriteOptions,
} from '../member/index.ts';
import { watchStore } from '../member/index.ts';
import { Metrics } from '../metrics.ts';
import { type CorsOptions, createApp } from './app.ts';
import type { AppEnv } from './env.ts';
import type { ClientSocket, SessionTimers } from './watch-session.ts';

export interface FakeMemberOptions {
  readonly id?: NodeId;
  readonly clientUrl?: string;
  readonly store?: Partial<StoreConfig>;
}

export class FakeMember implements MemberApi {
  readonly id: NodeId;
  readonly store: KvStore;
  raftTerm = 1;
  healthState: Health = { ok: true };
  memberList: MemberInfo[];
  /** The options of the last read and write, for tests that check what a route passed on. */
  lastReadOptions: ReadOptions | undefined;
  lastWriteOptions: WriteOptions | undefined;
  #index = 0;
  #failure: VaneError | Error | undefined;

  constructor(options: FakeMemberOptions = {}) {
    this.id = options.id ?? 'm1';
    this.store = new KvStore(options.store);
    this.memberList = [
      {
        id: this.id,
        peerUrl: `http://${this.id}.peer`,
        clientUrl: options.clientUrl ?? '',
        isLearner: false,
      },
    ];
  }

  /** The next range, write, lease or snapshot call returns `failure` (a VaneError) or throws it (an Error). */
  failNext(failure: VaneError | Error): void {
    this.#failure = failure;
  }

  header(): ResponseHeader {
    return { revision: this.store.revision, member: this.id, raftTerm: this.raftTerm };
  }

  async range(request: RangeRequest, options?: ReadOptions): Promise<RangeResponse | VaneError> {
    this.lastReadOptions = options;
    return this.#failed() ?? this.store.range(request);
  }

  async write(command: Command, options?: WriteOptions): Promise<CommandResponse | VaneError> {
    this.lastWriteOptions = options;
    const failed = this.#failed();
    if (failed !== undefined) return failed;
    this.#index++;
    const requestId = options?.requestId;
    return this.store.apply(this.#index, requestId === undefined ? { command } : { requestId, command });
  }

  async leaseTimeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse | VaneError> {
    return this.#failed() ?? this.store.leaseTimeToLive(request);
  }

  async leaseList(): Promise<LeaseListResponse | VaneError> {
    return this.#failed() ?? this.store.leaseList();
  }

  watch(request: WatchRequest, onReady: () => void): WatchHandle | VaneError {
    return watchStore(this.store, request, onReady);
  }

  members(): readonly MemberInfo[] {
    return this.memberList;
  }

  status(): MemberStatus {
    return {
      id: this.id,
      role: 'leader',
      leader: this.id,
      term: this.raftTerm,
      commitIndex: this.#index,
      appliedIndex: this.store.appliedIndex,
      revision: this.store.revision,
      compactRevision: this.store.compactRevision,
      keys: this.store.keyCount,
      leaderContactMs: 0,
      healthy: this.healthState.ok,
      writesApplied: 0,
      writeLatencyMsTotal: 0,
      version: 'test',
    };
  }

  health(): Health {
    return this.healthState;
  }

  async snapshot(): Promise<Uint8Array | VaneError> {
    return this.#failed() ?? this.store.snapshot();
  }

  async addMember(
    id: NodeId,
    peerUrl: string,
    options: { learner: boolean },
  ): Promise<MemberInfo[] | VaneError> {
    const failed = this.#failed();
    if (failed !== undefined) return failed;
    this.memberList = [...this.memberList, { id, peerUrl, clientUrl: '', isLearner: options.learner }];
    return this.memberList;
  }

  async removeMember(id: NodeId): Promise<MemberInfo[] | VaneError> {
    const failed = this.#failed();
    if (failed !== undefined) return failed;
    this.memberList = this.memberList.filter((info) => info.id !== id);
    return this.memberList;
  }

  async promoteMember(id: NodeId): Promise<MemberInfo[] | VaneError> {
    const failed = this.#failed();
    if (failed !== undefined) return failed;
    this.memberList = this.memberList.map((info) => (info.id === id ? { ...info, isLearner: false } : info));
    return this.memberList;
  }

  #failed(): VaneError | undefined {
    const failure = this.#failure;
    this.#failure = undefined;
    if (failure instanceof Error) throw failure;
    return failure;
  }
}

/** A socket that records what the session sent; `buffered` plays the unsent bytes. */
export class FakeSocket implements ClientSocket {
  readonly sent: string[] = [];
  buffered = 0;
  closedWith: { readonly code: number; readonly reason: string } | undefined;

  send(text: string): void {
    if (this.closedWith !== undefined) throw new Error('FakeSocket: send after close');
    this.sent.push(text);
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  /** Everything sent so far, decoded (a message the protocol cannot read fails the test). */
  messages(): WatchServerMessage[] {
    return this.sent.map((text) => {
      const message = decodeWatchServerMessage(JSON.parse(text) as unknown);
      if (isDecodeError(message)) throw new Error(`session sent an unreadable message: ${message.message}`);
      return message;
    });
  }

  /** Messages sent from now on only. */
  clear(): void {
    this.sent.length = 0;
  }
}

/** Time moved by hand: `soon` tasks run on flush(), `after` tasks when advance() passes them. */
export class ManualTimers implements SessionTimers {
  #now = 0;
  #soon: (() => void)[] = [];
  #timers: { at: number; task: () => void; canceled: boolean }[] = [];

  now(): number {
    return this.#now;
  }

  after(ms: number, task: () => void): () => void {
    const timer = { at: this.#now + ms, task, canceled: false };
    this.#timers.push(timer);
    return () => {
      timer.canceled = true;
    };
  }

  soon(task: () => void): void {
    this.#soon.push(task);
  }

  /** Runs queued `soon` tasks, and those they queue, until none is left. */
  flush(): void {
    for (let rounds = 0; this.#soon.length > 0; rounds++) {
      if (rounds > 100_000) throw new Error('ManualTimers.flush: tasks keep queueing more tasks');
      this.#soon.shift()!();
    }
  }

  /** Moves time forward by `ms`, running due timers (and flushing after each). */
  advance(ms: number): void {
    const until = this.#now + ms;
    this.flush();
    for (;;) {
      const due = this.#timers
        .filter((timer) => !timer.canceled && timer.at <= until)
        .sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.#now = due.at;
      due.task();
      this.flush();
    }
    this.#now = until;
  }
}

export interface TestAppOptions {
  readonly member?: FakeMember;
  readonly limits?: Limits;
  readonly cors?: CorsOptions;
  readonly fetch?: typeof fetch;
  readonly peerStatusTimeoutMs?: number;
  /** Receives the app's log lines (at debug level); absent = no logging. */
  readonly logLines?: Record<string, unknown>[];
}

/** The app over a FakeMember, with its own metrics. */
export function createTestApp(options: TestAppOptions = {}): {
  member: FakeMember;
  metrics: Metrics;
  app: Hono<AppEnv>;
} {
  const member = options.member ?? new FakeMember();
  const metrics = new Metrics();
  const lines = options.logLines;
  const logger =
    lines === undefined
      ? createLogger({ level: 'silent', name: 'http' })
      : createLogger({
          level: 'debug',
          name: 'http',
          destination: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) },
        });
  const app = createApp(member, {
    limits: options.limits ?? DEFAULT_LIMITS,
    logger,
    metrics,
    ...(options.cors === undefined ? {} : { cors: options.cors }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.peerStatusTimeoutMs === undefined
      ? {}
      : { peerStatusTimeoutMs: options.peerStatusTimeoutMs }),
  });
  return { member, metrics, app };
}
