// What the client-facing API (HTTP routes, the watch WebSocket, the CLI's status views) needs from
// the member that hosts it. The member implements it on top of Raft, the store and the WAL; tests
// of the HTTP layer implement it with a single in-process store.
import type { VaneError } from '../../core/errors.ts';
import type { NodeId, Role } from '../../core/raft/types.ts';
import type {
  Command,
  CommandResponse,
  LeaseListResponse,
  LeaseTimeToLiveRequest,
  LeaseTimeToLiveResponse,
  RangeRequest,
  RangeResponse,
  WatchRequest,
  WatchResponse,
} from '../../core/store/types.ts';

/** Stamped on every response: what it reflects and who served it. */
export interface ResponseHeader {
  readonly revision: number;
  readonly member: string;
  readonly raftTerm: number;
}

export interface ReadOptions {
  /** Serve from this member's state without confirming with the leader (may be stale). */
  readonly serializable?: boolean;
  /** Wait (bounded) until this member has applied at least this revision. */
  readonly minRevision?: number;
}

export interface WriteOptions {
  /** Client request id for deduplication of retries. */
  readonly requestId?: string;
}

export interface MemberInfo {
  readonly id: NodeId;
  readonly peerUrl: string;
  /** Empty until the member has published it. */
  readonly clientUrl: string;
  readonly isLearner: boolean;
}

export interface MemberStatus {
  readonly id: NodeId;
  readonly role: Role | 'learner';
  readonly leader: NodeId | null;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  readonly revision: number;
  readonly compactRevision: number;
  /** Number of live keys in the store. */
  readonly keys: number;
  /** Milliseconds since this member last heard from the leader (0 on the leader). */
  readonly leaderContactMs: number;
  readonly healthy: boolean;
  /** Writes submitted through this member and applied, since it started. */
  readonly writesApplied: number;
  /** Their summed time from submit to apply, in ms: over an interval, Δtotal / Δapplied is the commit latency. */
  readonly writeLatencyMsTotal: number;
  readonly version: string;
}

export interface Health {
  readonly ok: boolean;
  /** Why not ok: no leader, not caught up, stopping. */
  readonly reason?: string;
}

/** One watch as the API sees it: responses are pulled so a slow socket applies back-pressure. */
export interface WatchHandle {
  readonly watchId: number;
  /** Up to `max` pending responses, oldest first. */
  take(max: number): WatchResponse[];
  /**
   * Whether take() would return something now. After a take() that leaves it true, onReady will not
   * fire again (a catch-up from history can stop at its scan budget with nothing found yet).
   */
  readonly ready: boolean;
  /** Ask for a progress notification now. */
  requestProgress(): void;
  cancel(): void;
}

export interface MemberApi {
  readonly id: NodeId;
  header(): ResponseHeader;
  range(request: RangeRequest, options?: ReadOptions): Promise<RangeResponse | VaneError>;
  /** Replicate a command and wait until this member has applied it. */
  write(command: Command, options?: WriteOptions): Promise<CommandResponse | VaneError>;
  leaseTimeToLive(request: LeaseTimeToLiveRequest): Promise<LeaseTimeToLiveResponse | VaneError>;
  leaseList(): Promise<LeaseListResponse | VaneError>;
  /** `onReady` fires when take() has something; it may fire more often than needed. */
  watch(request: WatchRequest, onReady: () => void): WatchHandle | VaneError;
  members(): readonly MemberInfo[];
  status(): MemberStatus;
  health(): Health;
  /** The whole state as a snapshot file (checksummed), for backup. */
  snapshot(): Promise<Uint8Array | VaneError>;
  addMember(id: NodeId, peerUrl: string, options: { learner: boolean }): Promise<MemberInfo[] | VaneError>;
  removeMember(id: NodeId): Promise<MemberInfo[] | VaneError>;
  promoteMember(id: NodeId): Promise<MemberInfo[] | VaneError>;
}
