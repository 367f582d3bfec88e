// The data types of the Raft core: what it reads from storage, what it exchanges with peers, and
// what it hands to the application in a Ready batch. Everything crossing the core's boundary is
// plain data (no classes), so that the protocol codecs and the simulator can build and compare it.

/** A member's id. Stable for the member's life; never reused after removal. */
export type NodeId = string;

export type EntryType = 'normal' | 'confChange';

export interface Entry {
  readonly term: number;
  readonly index: number;
  readonly type: EntryType;
  /** For 'normal': application data (empty for the no-op a new leader appends). For 'confChange': encodeConfChange(). */
  readonly data: Uint8Array;
}

/** What a member persists besides its log. Changing term or vote requires an fsync before dependent messages go out. */
export interface HardState {
  readonly term: number;
  readonly vote: NodeId | null;
  readonly commit: number;
}

/**
 * The membership configuration. Outside a joint configuration, votersOutgoing and learnersNext are empty.
 * In a joint configuration, decisions need a majority of `voters` AND a majority of `votersOutgoing`.
 * `learnersNext` holds voters of the outgoing config that become learners when the joint config is left.
 */
export interface ConfState {
  readonly voters: readonly NodeId[];
  readonly learners: readonly NodeId[];
  readonly votersOutgoing: readonly NodeId[];
  readonly learnersNext: readonly NodeId[];
  /** Leave the joint configuration automatically once it is committed. */
  readonly autoLeave: boolean;
}

export interface SnapshotMetadata {
  readonly index: number;
  readonly term: number;
  readonly confState: ConfState;
}

export interface Snapshot {
  readonly metadata: SnapshotMetadata;
  /** The application's serialized state machine at metadata.index; opaque to Raft. */
  readonly data: Uint8Array;
}

export type ConfChangeKind = 'addVoter' | 'addLearner' | 'removeNode';

export interface ConfChangeSingle {
  readonly kind: ConfChangeKind;
  readonly nodeId: NodeId;
}

/**
 * A membership change (etcd's ConfChangeV2 semantics). A change of at most one voter may be made
 * directly ('auto' picks that); anything else goes through a joint configuration. 'auto' and
 * 'jointImplicit' leave the joint configuration automatically; 'jointExplicit' waits for an empty
 * ConfChange to leave it.
 */
export interface ConfChange {
  readonly transition: 'auto' | 'jointImplicit' | 'jointExplicit';
  readonly changes: readonly ConfChangeSingle[];
  /** Opaque to Raft; the server carries the new member's addresses here. */
  readonly context?: Uint8Array;
}

/** Message kinds that travel between members. Local inputs are methods on RawNode, never messages. */
export type MessageType =
  | 'append'
  | 'appendResponse'
  | 'vote'
  | 'voteResponse'
  | 'preVote'
  | 'preVoteResponse'
  | 'snapshot'
  | 'heartbeat'
  | 'heartbeatResponse'
  | 'propose'
  | 'transferLeader'
  | 'timeoutNow'
  | 'readIndex'
  | 'readIndexResponse';

export const MESSAGE_TYPES: readonly MessageType[] = [
  'append',
  'appendResponse',
  'vote',
  'voteResponse',
  'preVote',
  'preVoteResponse',
  'snapshot',
  'heartbeat',
  'heartbeatResponse',
  'propose',
  'transferLeader',
  'timeoutNow',
  'readIndex',
  'readIndexResponse',
];

/**
 * One flat message shape for every kind, as in etcd/raft; fields a kind does not use are zero,
 * empty or false. Field meanings per kind:
 * - append: index/logTerm = the entry preceding `entries`; commit = leader's commit.
 * - appendResponse: index = last index matched (accept) or the rejected probe index (reject);
 *   rejectHint/logTerm = conflict hint (the follower's last index and the term at it, for fast back-off).
 * - vote/preVote: index/logTerm = candidate's last log position; context = TRANSFER_CONTEXT when the
 *   campaign follows a leadership transfer (voters then ignore their leader lease).
 * - heartbeat/heartbeatResponse: commit = min(leader commit, follower match); context = read batch id.
 * - snapshot: snapshot is set.
 * - readIndex/readIndexResponse: entries[0].data = request context; index = the read index (response).
 * - transferLeader (forwarded by a follower to the leader): context = the transferee's id (UTF-8).
 * - propose/readIndex (forwarded by a follower): term = 0; they do not depend on the sender's term.
 */
export interface Message {
  readonly type: MessageType;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
  readonly logTerm: number;
  readonly index: number;
  readonly entries: readonly Entry[];
  readonly commit: number;
  readonly reject: boolean;
  readonly rejectHint: number;
  readonly snapshot?: Snapshot;
  readonly context?: Uint8Array;
}

export type Role = 'follower' | 'preCandidate' | 'candidate' | 'leader';

export interface SoftState {
  readonly leader: NodeId | null;
  readonly role: Role;
}

/** A linearizable read may be served once the applied index reaches `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

/**
 * The batch of work the application does between two calls into the core. Contract:
 * 1. `messages` may be sent at once (a leader's appends, heartbeats): they depend on nothing unpersisted.
 * 2. Persist `snapshot` (if any), then append `entries` (replacing any conflicting suffix), then store
 *    `hardState`; fsync if `mustSync`.
 * 3. Only then send `messagesAfterPersist` (votes, append responses: they promise durable state).
 * 4. Apply `committedEntries` in order, serve `readStates` whose index is applied.
 * 5. Call advance(ready).
 */
export interface Ready {
  readonly softState?: SoftState;
  readonly hardState?: HardState;
  readonly entries: readonly Entry[];
  readonly snapshot?: Snapshot;
  /**
   * Fsync in step 2: set for entries, a new term or vote, a snapshot, and for a commit index that
   * conf changes in `committedEntries` depend on (a member must not forget a membership change it applied).
   */
  readonly mustSync: boolean;
  readonly messages: readonly Message[];
  readonly messagesAfterPersist: readonly Message[];
  readonly committedEntries: readonly Entry[];
  readonly readStates: readonly ReadState[];
}

/**
 * Read-only access to what the member has persisted, from the core's side. The application writes
 * to it (append, setHardState, applySnapshot, createSnapshot, compact) while handling a Ready.
 * Index 0 / term 0 is the position before the first entry.
 */
export interface Storage {
  initialState(): { hardState: HardState; confState: ConfState };
  /** Entries [lo, hi), at least one if any exist in range, then up to maxBytes in total. */
  entries(lo: number, hi: number, maxBytes: number): Entry[] | StorageError;
  term(index: number): number | StorageError;
  /** The index of the first entry still available (snapshot index + 1). */
  firstIndex(): number;
  lastIndex(): number;
  snapshot(): Snapshot | StorageError;
}

export type StorageErrorCode =
  | 'compacted'
  | 'unavailable'
  | 'snapshotTemporarilyUnavailable'
  | 'snapshotOutOfDate';
export interface StorageError {
  readonly storageError: StorageErrorCode;
  readonly message: string;
}

/** A deterministic source of randomness, injected so that a seed reproduces a run. */
export interface Random {
  /** A uniformly distributed integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
}

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface RaftConfig {
  readonly id: NodeId;
  /** Ticks without hearing from a leader before a follower campaigns; randomized in [electionTick, 2*electionTick). */
  readonly electionTick: number;
  readonly heartbeatTick: number;
  readonly storage: Storage;
  /** The last index the application has applied (on restart). */
  readonly applied?: number;
  /** Bytes of entries per append message (at least one entry is always sent). */
  readonly maxSizePerMsg: number;
  /** Append messages in flight per follower in the replicate state. */
  readonly maxInflightMsgs: number;
  /** Bytes of entries in flight per follower; 0 = no byte limit. */
  readonly maxInflightBytes: number;
  /** Bytes of proposed-but-uncommitted entry data the leader accepts before refusing proposals. */
  readonly maxUncommittedEntriesSize: number;
  /** Bytes of committed entries handed out in one Ready; 0 = no limit. */
  readonly maxCommittedSizePerReady?: number;
  readonly preVote: boolean;
  readonly checkQuorum: boolean;
  /**
   * Read requests a leader holds at once (waiting for its first commit or for a quorum); beyond it
   * readIndex fails with 'readIndexLimit'. Default 1024.
   */
  readonly maxPendingReadIndexRequests?: number;
  /** Followers refuse to forward proposals to the leader. */
  readonly disableProposalForwarding?: boolean;
  readonly random: Random;
  readonly logger?: Logger;
  /**
   * Deliberate bugs, switched on only by tests that prove the simulator's checkers catch them.
   * Never set outside test/.
   */
  readonly unsafeBugs?: UnsafeBugs;
}

export interface UnsafeBugs {
  /** The leader commits entries as soon as it appends them, without a quorum. */
  readonly commitWithoutQuorum?: boolean;
  /** A member grants its vote to every candidate of a term, not just the first. */
  readonly voteTwicePerTerm?: boolean;
  /** ReadIndex answers at once with the leader's commit index, without confirming leadership. */
  readonly readWithoutQuorum?: boolean;
  /** Count entries of earlier terms toward commitment by replica count (Raft paper, figure 8). */
  readonly commitPreviousTermByCount?: boolean;
}

export type RaftErrorCode =
  | 'noLeader'
  | 'transferInProgress'
  | 'uncommittedLimit'
  | 'forwardingDisabled'
  | 'notLeader'
  | 'pendingConfChange'
  | 'invalidConfChange'
  | 'notMember'
  | 'invalidMessage'
  | 'stepLocalMessage'
  | 'unknownPeer'
  | 'readIndexLimit';

export interface RaftError {
  readonly code: RaftErrorCode;
  readonly message: string;
}

export const TRANSFER_CONTEXT: Uint8Array = new Uint8Array([0x74, 0x72, 0x61, 0x6e, 0x73, 0x66, 0x65, 0x72]); // "transfer"
