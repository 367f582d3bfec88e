import type { ConfChange, ConfState, HardState, Message, NodeId, RaftError, Ready, Role } from './types.ts';

export type ProgressState = 'probe' | 'replicate' | 'snapshot';

export interface ProgressStatus {
  readonly match: number;
  readonly next: number;
  readonly state: ProgressState;
  readonly isLearner: boolean;
  /** True if the member was heard from within the last election timeout (CheckQuorum bookkeeping). */
  readonly recentActive: boolean;
  readonly inflight: number;
}

export interface RaftStatus {
  readonly id: NodeId;
  readonly role: Role;
  readonly leader: NodeId | null;
  readonly hardState: HardState;
  readonly applied: number;
  readonly lastIndex: number;
  readonly confState: ConfState;
  readonly leadTransferee: NodeId | null;
  /** Per member, only on the leader. */
  readonly progress: ReadonlyMap<NodeId, ProgressStatus> | null;
}

/**
 * The Raft core's driving surface (implemented by RawNode). Every input returns an error value
 * instead of throwing; a thrown exception means a broken invariant inside the core.
 */
export interface RaftNode {
  /** One unit of logical time. Election and heartbeat timeouts are counted in ticks. */
  tick(): void;
  /** Start an election now (PreVote first if enabled). */
  campaign(): RaftError | undefined;
  propose(data: Uint8Array): RaftError | undefined;
  proposeConfChange(change: ConfChange): RaftError | undefined;
  /** A message received from a peer. */
  step(message: Message): RaftError | undefined;
  /** Request a linearizable read; a ReadState with this context appears in a later Ready. */
  readIndex(context: Uint8Array): RaftError | undefined;
  transferLeader(to: NodeId): RaftError | undefined;
  reportUnreachable(id: NodeId): void;
  /** The connection to the leader closed (its process likely died): campaign soon, see Raft.forgetLeader. */
  forgetLeader(): void;
  reportSnapshot(id: NodeId, status: 'finished' | 'failure'): void;
  hasReady(): boolean;
  ready(): Ready;
  /** The application finished the Ready's work (persisted, sent, applied). Conf changes in it take effect now. */
  advance(ready: Ready): void;
  status(): RaftStatus;
}
