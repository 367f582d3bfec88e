// One simulated server: a Raft node, its simulated disk and its state machine, driven through the
// Ready contract exactly: send `messages`, write, fsync (taking simulated time, during which the
// member does nothing else and may crash), then send `messagesAfterPersist`, apply, serve reads,
// and advance. Inputs (peer messages, client requests, ticks) wait in an inbox while it is busy.
import type { RaftNode, RaftStatus } from '../../core/raft/api.ts';
import type {
  ConfChange,
  ConfState,
  Entry,
  HardState,
  Message,
  NodeId,
  RaftError,
  Ready,
  Role,
  Storage,
} from '../../core/raft/types.ts';
import type { SeededRandom } from '../../core/random.ts';
import type { KvStore } from '../../core/store/index.ts';
import type { CrashReport, WritableStorage } from './disk.ts';
import { SimDisk } from './disk.ts';
import type { ClusterInvariants } from './invariants.ts';
import type { AppliedCommand, StoreStateMachine } from './store-state-machine.ts';

export type MemberState = 'up' | 'down' | 'removed';

export type LocalRequest =
  | { readonly kind: 'propose'; readonly data: Uint8Array; readonly onRefused: (error: RaftError) => void }
  | {
      readonly kind: 'read';
      readonly context: string;
      readonly key: string;
      readonly onRefused: (error: RaftError) => void;
      readonly onServed: (value: string | null) => void;
    }
  /** Planned against the configuration current when the member takes it, not when it was queued. */
  | { readonly kind: 'confChange'; readonly plan: (confState: ConfState) => ConfChange | null }
  | { readonly kind: 'transfer'; readonly to: NodeId }
  | { readonly kind: 'snapshotStatus'; readonly to: NodeId; readonly status: 'finished' | 'failure' }
  | { readonly kind: 'unreachable'; readonly to: NodeId };

type InboxItem = { readonly kind: 'message'; readonly message: Message } | LocalRequest;

export interface MemberHost {
  readonly invariants: ClusterInvariants;
  createNode(id: NodeId, storage: Storage, applied: number): RaftNode;
  /** The state machine a member starts with: empty, or from the snapshot on its disk. */
  createStateMachine(snapshot: Uint8Array | null): StoreStateMachine;
  send(message: Message): void;
  /** Time units the next fsync takes. */
  fsyncLatency(): number;
  applied(member: Member, entry: Entry, command: AppliedCommand | null): void;
  membershipApplied(member: Member, confState: ConfState): void;
  roleChanged(member: Member, role: Role, term: number): void;
  /** Trace lines, built only when someone reads them. */
  readonly tracing: boolean;
  note(line: string): void;
}

/** Items waiting for a member; beyond it inputs are dropped, like a full receive buffer. */
export const MAX_INBOX = 10_000;
/** Ticks a member busy with an fsync may owe; a long stall does not turn into a burst of elections. */
const MAX_OWED_TICKS = 3;
/** Ready batches handled in one time unit when no fsync delays them. */
const MAX_READY_PER_STEP = 8;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

interface ReadWaiter {
  readonly context: string;
  readonly key: string;
  index: number | null;
  readonly onServed: (value: string | null) => void;
}

export class Member<S extends Storage & WritableStorage = Storage & WritableStorage> {
  readonly id: NodeId;
  state: MemberState = 'down';
  incarnation = 0;
  role: Role = 'follower';
  term = 0;
  applied = 0;
  droppedInputs = 0;
  private node: RaftNode | null = null;
  private readonly disk: SimDisk<S>;
  private readonly host: MemberHost;
  private stateMachine: StoreStateMachine;
  private inbox: InboxItem[] = [];
  /** A Ready waiting for its fsync; `applied` if its committed entries were applied before the write. */
  private pending: { ready: Ready; syncAt: number; applied: boolean } | null = null;
  private owedTicks = 0;
  private pausedUntil = -1;
  private readWaiters: ReadWaiter[] = [];
  private hardState: HardState = { term: 0, vote: null, commit: 0 };
  private leaderTermAtPreviousReady: number | null = null;

  constructor(id: NodeId, host: MemberHost, createStorage: () => S) {
    this.id = id;
    this.host = host;
    this.disk = new SimDisk(createStorage);
    this.stateMachine = host.createStateMachine(null);
  }

  get isUp(): boolean {
    return this.state === 'up';
  }

  /** The commit index in the member's last hard state. */
  get commitIndex(): number {
    return this.hardState.commit;
  }

  get storage(): S {
    return this.disk.storage;
  }

  /** The store of the running incarnation (watches are opened on it); null while down. */
  get store(): KvStore | null {
    return this.state === 'up' ? this.stateMachine.store : null;
  }

  /** Starts (or restarts) from what the disk holds: the state machine from the snapshot, Raft from storage. */
  start(): void {
    if (this.state === 'removed') throw new Error(`member ${this.id} was removed and cannot start`);
    const storage = this.disk.storage;
    const { hardState } = storage.initialState();
    const snapshot = storage.snapshot();
    if ('storageError' in snapshot)
      throw new Error(`${this.id} cannot read its snapshot: ${snapshot.message}`);
    const restored = snapshot.metadata.index > 0;
    this.stateMachine = this.host.createStateMachine(restored ? snapshot.data : null);
    this.applied = restored ? snapshot.metadata.index : 0;
    this.checkStoreApplied();
    this.node = this.host.createNode(this.id, storage, this.applied);
    this.hardState = hardState;
    this.term = hardState.term;
    this.role = 'follower';
    this.leaderTermAtPreviousReady = null;
    this.incarnation++;
    this.state = 'up';
    this.host.invariants.memberStarted(this.id, this.applied, hardState.commit, this.stateMachine.hash());
  }

  /** A peer's process died: a real member's transport sees the connection close and, if it led, forgets it. */
  peerCrashed(peer: NodeId): void {
    if (this.state === 'up' && this.node?.status().leader === peer) this.node.forgetLeader();
  }

  /** Power loss: volatile state is gone, the disk keeps what it synced (and maybe more, maybe torn). */
  crash(random: SeededRandom, tornWriteRate: number): CrashReport {
    if (this.state !== 'up') throw new Error(`member ${this.id} is not up and cannot crash`);
    this.stop();
    this.state = 'down';
    return this.disk.crash(random, tornWriteRate);
  }

  /** Taken out of the cluster for good: it never starts again. */
  remove(): void {
    if (this.state === 'up') this.stop();
    this.state = 'removed';
  }

  private stop(): void {
    this.node = null;
    this.pending = null;
    this.inbox = [];
    this.readWaiters = [];
    this.owedTicks = 0;
    this.pausedUntil = -1;
    this.role = 'follower';
    this.host.invariants.memberStopped(this.id);
  }

  enqueue(item: InboxItem): void {
    if (this.state !== 'up') return;
    if (this.inbox.length >= MAX_INBOX) {
      this.droppedInputs++;
      if (item.kind === 'propose' || item.kind === 'read') {
        item.onRefused({
          code: 'invalidMessage',
          message: `member ${this.id}'s inbox is full (${MAX_INBOX})`,
        });
      }
      return;
    }
    this.inbox.push(item);
  }

  /** A paused process (SIGSTOP, a long GC) neither ticks nor handles input; its inbox fills meanwhile. */
  pause(until: number): void {
    this.pausedUntil = until;
  }

  isPaused(now: number): boolean {
    return now < this.pausedUntil;
  }

  tick(now: number): void {
    if (this.state === 'up' && !this.isPaused(now))
      this.owedTicks = Math.min(this.owedTicks + 1, MAX_OWED_TICKS);
  }

  isBusy(): boolean {
    return this.pending !== null;
  }

  status(): RaftStatus | null {
    return this.node === null ? null : this.node.status();
  }

  /** One time unit: finish an fsync that is due, then take inputs, ticks and Ready batches. */
  step(now: number): void {
    if (this.state !== 'up' || this.isPaused(now)) return;
    if (this.pending !== null) {
      if (now < this.pending.syncAt) return;
      const { ready, applied } = this.pending;
      this.pending = null;
      this.finishReady(ready, applied);
    }
    const items = this.inbox;
    this.inbox = [];
    for (const item of items) this.take(item);
    for (; this.owedTicks > 0; this.owedTicks--) this.node!.tick();
    for (let i = 0; i < MAX_READY_PER_STEP && this.pending === null && this.state === 'up'; i++) {
      if (!this.node!.hasReady()) break;
      this.handleReady(now);
    }
  }

  private take(item: InboxItem): void {
    const node = this.node!;
    switch (item.kind) {
      case 'message':
        node.step(item.message);
        return;
      case 'propose': {
        const error = node.propose(item.data);
        if (error !== undefined) item.onRefused(error);
        return;
      }
      case 'read': {
        const error = node.readIndex(encoder.encode(item.context));
        if (error !== undefined) item.onRefused(error);
        else
          this.readWaiters.push({
            context: item.context,
            key: item.key,
            index: null,
            onServed: item.onServed,
          });
        return;
      }
      case 'confChange': {
        const change = item.plan(node.status().confState);
        if (change !== null) node.proposeConfChange(change);
        return;
      }
      case 'transfer':
        node.transferLeader(item.to);
        return;
      case 'snapshotStatus':
        node.reportSnapshot(item.to, item.status);
        return;
      case 'unreachable':
        node.reportUnreachable(item.to);
        return;
    }
  }

  private handleReady(now: number): void {
    const ready = this.node!.ready();
    if (ready.hardState !== undefined) this.term = ready.hardState.term;
    if (ready.softState !== undefined && ready.softState.role !== this.role) {
      this.role = ready.softState.role;
      this.host.roleChanged(this, this.role, this.term);
    }
    const storage = this.disk.storage;
    this.host.invariants.readyProduced(
      {
        id: this.id,
        storage,
        hardState: this.hardState,
        leaderTermAtPreviousReady: this.leaderTermAtPreviousReady,
      },
      ready,
      this.role,
      this.term,
    );
    this.leaderTermAtPreviousReady = this.role === 'leader' ? this.term : null;
    for (const message of ready.messages) this.host.send(message);
    // As the real member does: committed entries already in the synced log are applied (and their
    // clients answered) before this Ready's own entries are written and synced.
    const last = ready.committedEntries.at(-1);
    const applyFirst =
      ready.snapshot === undefined &&
      last !== undefined &&
      last.index <= storage.lastIndex() &&
      last.index < (ready.entries[0]?.index ?? Number.POSITIVE_INFINITY);
    if (applyFirst) {
      this.host.invariants.committedUpTo(this.id, storage, last.index, this.term);
      this.applyCommitted(ready);
    }
    this.disk.write(ready.snapshot, ready.entries, ready.hardState);
    if (ready.hardState !== undefined) this.hardState = ready.hardState;
    this.host.invariants.persisted(this.id, storage, ready.hardState, this.role, this.term);
    if (this.needsSync(ready)) {
      const latency = this.host.fsyncLatency();
      if (latency > 0) {
        this.pending = { ready, syncAt: now + latency, applied: applyFirst };
        return;
      }
    }
    this.finishReady(ready, applyFirst);
  }

  /** A snapshot is synced even when the core does not ask: the state it replaces is gone. */
  private needsSync(ready: Ready): boolean {
    return ready.mustSync || ready.snapshot !== undefined;
  }

  private finishReady(ready: Ready, committedApplied: boolean): void {
    if (this.needsSync(ready)) this.disk.sync();
    for (const message of ready.messagesAfterPersist) this.host.send(message);
    if (ready.snapshot !== undefined) {
      this.stateMachine.installSnapshot(ready.snapshot.data);
      this.applied = ready.snapshot.metadata.index;
      this.checkStoreApplied();
      this.host.invariants.restored(this.id, this.applied, this.stateMachine.hash());
    }
    if (!committedApplied) this.applyCommitted(ready);
    const membershipChanged =
      ready.snapshot !== undefined || ready.committedEntries.some((entry) => entry.type === 'confChange');
    for (const readState of ready.readStates) {
      const context = decoder.decode(readState.context);
      const waiter = this.readWaiters.find((w) => w.context === context && w.index === null);
      if (waiter !== undefined) waiter.index = readState.index;
    }
    this.node!.advance(ready);
    if (membershipChanged) this.host.membershipApplied(this, this.node!.status().confState);
    this.serveReads();
  }

  private applyCommitted(ready: Ready): void {
    for (const entry of ready.committedEntries) {
      const command = this.stateMachine.apply(entry);
      this.applied = entry.index;
      this.checkStoreApplied();
      this.host.invariants.applied(this.id, entry, this.stateMachine.hash());
      this.host.applied(this, entry, command);
    }
  }

  /** The store's applied index is the member's, or the store missed or doubled an entry. */
  private checkStoreApplied(): void {
    const storeApplied = this.stateMachine.store.appliedIndex;
    if (storeApplied !== this.applied)
      throw new Error(`${this.id}'s store applied up to ${storeApplied}, the member up to ${this.applied}`);
  }

  private serveReads(): void {
    if (this.readWaiters.length === 0) return;
    const waiting: ReadWaiter[] = [];
    for (const waiter of this.readWaiters) {
      if (waiter.index !== null && waiter.index <= this.applied) {
        if (this.host.tracing) {
          this.host.note(
            `${this.id} serves read ${waiter.context} at index ${waiter.index} (applied ${this.applied})`,
          );
        }
        waiter.onServed(this.stateMachine.read(waiter.key));
      } else {
        waiting.push(waiter);
      }
    }
    this.readWaiters = waiting;
  }

  /** Saves the state machine as a snapshot at the applied index and compacts the log up to `retain` entries before it. */
  snapshotAndCompact(retain: number): number | null {
    const status = this.status();
    if (status === null || this.pending !== null || this.applied <= this.disk.storage.firstIndex())
      return null;
    const index = this.applied;
    const compactTo = Math.max(this.disk.storage.firstIndex(), index - retain);
    this.disk.saveSnapshot(index, status.confState, this.stateMachine.snapshot(), compactTo);
    return index;
  }
}
