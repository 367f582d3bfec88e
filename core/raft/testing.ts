// An in-memory cluster for scenario tests: RawNodes on MemoryStorage, a message queue that honours
// the Ready contract (messages go out at once, messagesAfterPersist after the Ready is persisted),
// and knobs to drop, cut and isolate. Deterministic: no clocks, one seed.
import { createRandom } from '../random.ts';
import { defaultRaftConfig } from './config.ts';
import { RawNode } from './rawnode.ts';
import { MemoryStorage } from './storage.ts';
import type {
  ConfState,
  Entry,
  Message,
  MessageType,
  NodeId,
  RaftConfig,
  RaftError,
  ReadState,
  Snapshot,
} from './types.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bytes(text: string): Uint8Array {
  return encoder.encode(text);
}

export function text(data: Uint8Array): string {
  return decoder.decode(data);
}

/** A message with the given fields and every other field zero/empty, as a peer would send it. */
export function message(
  fields: Partial<Message> & { type: MessageType; from: NodeId; to: NodeId; term: number },
): Message {
  return { logTerm: 0, index: 0, entries: [], commit: 0, reject: false, rejectHint: 0, ...fields };
}

/** One member: its node, its storage, and what its application has done. */
export interface TestMember {
  readonly id: NodeId;
  node: RawNode;
  storage: MemoryStorage;
  /** The application state: the data of every applied non-empty normal entry, in order. */
  state: string[];
  appliedIndex: number;
  /** Every committed entry handed to the application (snapshots reset nothing here). */
  committed: Entry[];
  readStates: ReadState[];
  snapshotsInstalled: Snapshot[];
}

export type ConfigOverrides = Partial<Omit<RaftConfig, 'id' | 'storage' | 'random'>>;

export interface NetworkOptions {
  /** Seed for the members' randomized election timeouts. */
  readonly seed?: number;
  readonly config?: ConfigOverrides;
}

export interface DeliveryError {
  readonly message: Message;
  readonly error: RaftError;
}

/** Bounds stabilize(): a livelock in a test fails loudly instead of hanging. */
const MAX_STABILIZE_ROUNDS = 10_000;

export class RaftNetwork {
  readonly members = new Map<NodeId, TestMember>();
  /** Messages sent and not yet delivered, in send order. */
  queue: Message[] = [];
  /** Every message delivered, in order (for counting round trips and sizes). */
  readonly delivered: Message[] = [];
  readonly errors: DeliveryError[] = [];
  private readonly blocked = new Set<string>();
  private readonly dropRules: ((message: Message) => boolean)[] = [];
  private readonly seed: number;
  private readonly config: ConfigOverrides;
  private created = 0;

  /** A new cluster whose founding voters are `voters`. */
  constructor(voters: readonly NodeId[], options: NetworkOptions = {}) {
    this.seed = options.seed ?? 1;
    this.config = options.config ?? {};
    for (const id of voters) this.addMember(id, MemoryStorage.bootstrap(voters));
  }

  /** Adds a member process (e.g. an empty one about to be added by a conf change). */
  addMember(
    id: NodeId,
    storage: MemoryStorage = new MemoryStorage(),
    config: ConfigOverrides = {},
  ): TestMember {
    const member: TestMember = {
      id,
      node: this.createNode(id, storage, 0, config),
      storage,
      state: [],
      appliedIndex: 0,
      committed: [],
      readStates: [],
      snapshotsInstalled: [],
    };
    this.members.set(id, member);
    return member;
  }

  private createNode(id: NodeId, storage: MemoryStorage, applied: number, config: ConfigOverrides): RawNode {
    const random = createRandom(this.seed * 1000 + this.created++);
    return new RawNode({ ...defaultRaftConfig(id, storage, random), ...this.config, ...config, applied });
  }

  /** A crash and restart: the node is rebuilt from its storage, the application keeps what it applied. */
  restart(id: NodeId, config: ConfigOverrides = {}): void {
    const member = this.member(id);
    member.node = this.createNode(id, member.storage, member.appliedIndex, config);
  }

  /**
   * Power loss in the middle of a Ready: its messages (which may go out at once) were sent, only
   * its first `keptEntries` entries reached the disk (a torn write), nothing after it happened.
   * The member restarts from its storage.
   */
  crash(id: NodeId, keptEntries = 0, config: ConfigOverrides = {}): void {
    const member = this.member(id);
    if (member.node.hasReady()) {
      const ready = member.node.ready();
      for (const message of ready.messages) this.queue.push(message);
      if (ready.snapshot === undefined)
        this.check(member.storage.append(ready.entries.slice(0, keptEntries)), id);
    }
    this.restart(id, config);
  }

  member(id: NodeId): TestMember {
    const member = this.members.get(id);
    if (member === undefined) throw new Error(`no member ${id}`);
    return member;
  }

  node(id: NodeId): RawNode {
    return this.member(id).node;
  }

  // ---- faults ----

  /** Drops every message between `a` and `b`, both ways. */
  cut(a: NodeId, b: NodeId): void {
    this.blocked.add(`${a}>${b}`);
    this.blocked.add(`${b}>${a}`);
  }

  isolate(id: NodeId): void {
    for (const other of this.members.keys()) if (other !== id) this.cut(id, other);
  }

  /** Drops messages for which `rule` is true, until heal(). */
  dropWhen(rule: (message: Message) => boolean): void {
    this.dropRules.push(rule);
  }

  heal(): void {
    this.blocked.clear();
    this.dropRules.length = 0;
  }

  // ---- driving ----

  /** Handles one Ready of a member as an application would: persist, send, apply, advance. */
  processReady(id: NodeId): void {
    const member = this.member(id);
    const ready = member.node.ready();
    for (const message of ready.messages) this.queue.push(message);
    if (ready.snapshot !== undefined) {
      this.check(member.storage.applySnapshot(ready.snapshot), id);
      member.state = JSON.parse(
        text(ready.snapshot.data.byteLength === 0 ? bytes('[]') : ready.snapshot.data),
      );
      member.appliedIndex = ready.snapshot.metadata.index;
      member.snapshotsInstalled.push(ready.snapshot);
    }
    this.check(member.storage.append(ready.entries), id);
    if (ready.hardState !== undefined) member.storage.setHardState(ready.hardState);
    for (const message of ready.messagesAfterPersist) this.queue.push(message);
    for (const entry of ready.committedEntries) {
      if (entry.type === 'normal' && entry.data.byteLength > 0) member.state.push(text(entry.data));
      member.committed.push(entry);
      member.appliedIndex = entry.index;
    }
    for (const readState of ready.readStates) member.readStates.push(readState);
    member.node.advance(ready);
  }

  private check(result: { message: string } | undefined, id: NodeId): void {
    if (result !== undefined) throw new Error(`storage of ${id}: ${result.message}`);
  }

  /** Processes every member's pending Readys; true if there was any. */
  processReadies(): boolean {
    let any = false;
    for (const [id, member] of this.members) {
      while (member.node.hasReady()) {
        this.processReady(id);
        any = true;
      }
    }
    return any;
  }

  private isDropped(message: Message): boolean {
    if (this.blocked.has(`${message.from}>${message.to}`)) return true;
    return this.dropRules.some((rule) => rule(message));
  }

  /** Delivers one queued message (dropping it if a fault says so); false if the queue is empty. */
  deliverOne(): boolean {
    const message = this.queue.shift();
    if (message === undefined) return false;
    this.deliver(message);
    return true;
  }

  private deliver(message: Message): void {
    const member = this.members.get(message.to);
    if (member === undefined || this.isDropped(message)) {
      // A transport tells the leader how a snapshot send ended; otherwise it would wait for it forever.
      if (message.type === 'snapshot')
        this.members.get(message.from)?.node.reportSnapshot(message.to, 'failure');
      return;
    }
    this.delivered.push(message);
    const error = member.node.step(message);
    if (error !== undefined) this.errors.push({ message, error });
    if (message.type === 'snapshot')
      this.members.get(message.from)?.node.reportSnapshot(message.to, 'finished');
  }

  /** Runs Readys and deliveries until nothing is left to do. */
  stabilize(): void {
    for (let round = 0; round < MAX_STABILIZE_ROUNDS; round++) {
      const readies = this.processReadies();
      const batch = this.queue;
      this.queue = [];
      for (const message of batch) this.deliver(message);
      if (!readies && batch.length === 0) return;
    }
    throw new Error(`the cluster did not stabilize within ${MAX_STABILIZE_ROUNDS} rounds`);
  }

  /** Removes and returns the queued messages matching `filter` (to deliver later, reordered, or never). */
  take(filter: (message: Message) => boolean): Message[] {
    const taken = this.queue.filter(filter);
    this.queue = this.queue.filter((message) => !filter(message));
    return taken;
  }

  send(...messages: Message[]): void {
    for (const message of messages) this.queue.push(message);
  }

  tick(id: NodeId, times = 1): void {
    const node = this.node(id);
    for (let i = 0; i < times; i++) node.tick();
  }

  /** Ticks every member `times` times, stabilizing after each tick. */
  tickAll(times = 1): void {
    for (let i = 0; i < times; i++) {
      for (const member of this.members.values()) member.node.tick();
      this.stabilize();
    }
  }

  /** Campaigns `id` and runs the election to its end. */
  elect(id: NodeId): void {
    const error = this.node(id).campaign();
    if (error !== undefined) throw new Error(`${id} cannot campaign: ${error.message}`);
    this.stabilize();
  }

  propose(id: NodeId, data: string): RaftError | undefined {
    return this.node(id).propose(bytes(data));
  }

  /** The member that is leader in the highest term, if any. */
  leader(): NodeId | undefined {
    let best: { id: NodeId; term: number } | undefined;
    for (const [id, member] of this.members) {
      const status = member.node.status();
      if (status.role === 'leader' && (best === undefined || status.hardState.term > best.term)) {
        best = { id, term: status.hardState.term };
      }
    }
    return best?.id;
  }

  /** The application's snapshot of a member's applied state, then the log compacted up to it. */
  snapshotAndCompact(id: NodeId, confState: ConfState): Snapshot {
    const member = this.member(id);
    const snapshot = member.storage.createSnapshot(
      member.appliedIndex,
      confState,
      bytes(JSON.stringify(member.state)),
    );
    if ('storageError' in snapshot) throw new Error(snapshot.message);
    this.check(member.storage.compact(member.appliedIndex), id);
    return snapshot;
  }
}

function violated(claim: string, message: string): never {
  throw new Error(`${claim}: ${message}`);
}

/**
 * Checks the Raft paper's five safety claims on a RaftNetwork's persisted logs and applied
 * entries; call check() after every step. Throws an Error naming the claim that broke.
 */
export class SafetyChecker {
  /** The leader of each term seen so far. */
  readonly leaderTerms = new Map<number, NodeId>();
  private readonly net: RaftNetwork;
  /** Each current leader's log as last checked: "id/term" -> term by index. */
  private readonly leaderLogs = new Map<string, Map<number, number>>();
  /** Every entry known to be committed (applied somewhere): index -> term. */
  private readonly committed = new Map<number, number>();
  private readonly appliedDigest = new Map<number, string>();
  private readonly appliedSeen = new Map<NodeId, number>();

  constructor(net: RaftNetwork) {
    this.net = net;
  }

  check(): void {
    this.recordApplied();
    for (const [id, member] of this.net.members) {
      const status = member.node.status();
      if (status.role !== 'leader') continue;
      const term = status.hardState.term;
      const known = this.leaderTerms.get(term);
      if (known !== undefined && known !== id)
        violated('election safety', `${known} and ${id} both lead term ${term}`);
      this.leaderTerms.set(term, id);
      const key = `${id}/${term}`;
      const log = this.logOf(id);
      const before = this.leaderLogs.get(key);
      const first = member.storage.firstIndex();
      if (before === undefined) {
        for (const [index, committedTerm] of this.committed) {
          if (index >= first && log.get(index) !== committedTerm) {
            violated('leader completeness', `${key} lacks committed entry ${index} of term ${committedTerm}`);
          }
        }
      } else {
        for (const [index, entryTerm] of before) {
          if (index >= first && log.get(index) !== entryTerm) {
            violated('leader append-only', `${key} changed or dropped entry ${index}`);
          }
        }
      }
      this.leaderLogs.set(key, log);
    }
    this.checkLogMatching();
  }

  private logOf(id: NodeId): Map<number, number> {
    const storage = this.net.member(id).storage;
    const log = new Map<number, number>();
    for (let index = storage.firstIndex(); index <= storage.lastIndex(); index++) {
      log.set(index, storage.term(index) as number);
    }
    return log;
  }

  /** State machine safety: every member applies the same entry at each index. */
  private recordApplied(): void {
    for (const [id, member] of this.net.members) {
      const seen = this.appliedSeen.get(id) ?? 0;
      for (let i = seen; i < member.committed.length; i++) {
        const entry = member.committed[i]!;
        const digest = `${entry.term}:${entry.type}:${text(entry.data)}`;
        const known = this.appliedDigest.get(entry.index);
        if (known !== undefined && known !== digest) {
          violated(
            'state machine safety',
            `${id} applied ${digest} at ${entry.index}; another member applied ${known}`,
          );
        }
        this.appliedDigest.set(entry.index, digest);
        this.committed.set(entry.index, entry.term);
      }
      this.appliedSeen.set(id, member.committed.length);
    }
  }

  /** Log matching: entries with the same index and term follow entries of the same term. */
  private checkLogMatching(): void {
    const predecessors = new Map<string, number>();
    for (const [id, member] of this.net.members) {
      const storage = member.storage;
      let previous = storage.term(storage.firstIndex() - 1) as number;
      for (let index = storage.firstIndex(); index <= storage.lastIndex(); index++) {
        const term = storage.term(index) as number;
        const key = `${index}/${term}`;
        const known = predecessors.get(key);
        if (known !== undefined && known !== previous) {
          violated(
            'log matching',
            `${id}'s entry ${key} follows term ${previous}; another member's follows ${known}`,
          );
        }
        predecessors.set(key, previous);
        previous = term;
      }
    }
  }
}
