// The Raft algorithm for one member: roles, elections (with PreVote and CheckQuorum), log
// replication with flow control, commitment, ReadIndex, leadership transfer and membership changes.
// It only reacts to inputs (ticks, messages, local requests) by changing its state and queueing
// messages; RawNode turns that into Ready batches.

import { decodeConfChange } from './conf-change-codec.ts';
import { type ChangeResult, ConfChanger, restoreConfState } from './confchange.ts';
import { NO_ENTRIES, payloadSize } from './entry-size.ts';
import { isStorageError, RaftLog } from './log.ts';
import type { Progress } from './progress.ts';
import { invariant, raftError } from './raft-error.ts';
import { decodeBatch, encodeBatch, ReadOnly } from './read-only.ts';
import { isJoint, ProgressTracker, toConfState } from './tracker.ts';
import {
  type ConfChange,
  type ConfState,
  type Entry,
  type EntryType,
  type HardState,
  type Logger,
  type Message,
  type MessageType,
  type NodeId,
  type RaftConfig,
  type RaftError,
  type ReadState,
  type Role,
  type Snapshot,
  TRANSFER_CONTEXT,
  type UnsafeBugs,
} from './types.ts';

export const DEFAULT_MAX_PENDING_READ_INDEX_REQUESTS = 1024;

type CampaignKind = 'preElection' | 'election' | 'transfer';

/** Fields of an outgoing message besides its type and recipient; the rest default to zero/empty. */
interface MessageFields {
  term?: number;
  logTerm?: number;
  index?: number;
  entries?: readonly Entry[];
  commit?: number;
  reject?: boolean;
  rejectHint?: number;
  snapshot?: Snapshot;
  context?: Uint8Array;
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

function isTransferContext(context: Uint8Array | undefined): boolean {
  if (context === undefined || context.byteLength !== TRANSFER_CONTEXT.byteLength) return false;
  for (let i = 0; i < context.byteLength; i++) if (context[i] !== TRANSFER_CONTEXT[i]) return false;
  return true;
}

function requestEntry(data: Uint8Array): Entry {
  return { term: 0, index: 0, type: 'normal', data };
}

function isChangeError(value: ChangeResult | RaftError): value is RaftError {
  return 'code' in value;
}

export class Raft {
  readonly id: NodeId;
  term = 0;
  vote: NodeId | null = null;
  role: Role = 'follower';
  lead: NodeId | null = null;
  readonly log: RaftLog;
  readonly tracker: ProgressTracker;
  confState: ConfState;
  /** The log index of the configuration in force (a conf change entry or a snapshot). */
  configIndex: number;
  leadTransferee: NodeId | null = null;
  /** Messages that may be sent at once. */
  messages: Message[] = [];
  /** Messages that promise durable state: sent only after the Ready's writes are persisted. */
  messagesAfterPersist: Message[] = [];
  readStates: ReadState[] = [];
  /** Bytes of payload proposed by this leader and not yet handed out as committed. */
  uncommittedSize = 0;

  private readonly electionTimeout: number;
  private readonly heartbeatTimeout: number;
  private randomizedElectionTimeout = 0;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  /** The last index that may hold a conf change not yet applied; a new one waits until it is applied. */
  private pendingConfIndex = 0;
  private readOnly = new ReadOnly();
  /** A leader asked us to take over while we had committed conf changes to apply first. */
  private transferCampaignPending = false;
  /**
   * Absent from our own configuration, we refused a candidate whose log is behind ours: a voter
   * that has not applied our removal may need our vote and can never get it (see mayCampaign).
   */
  private refusedStrandedCandidate = false;
  /** Reads that arrived before this leader committed an entry of its own term. */
  private readsBeforeTermCommit: { context: Uint8Array; from: NodeId }[] = [];
  private readonly maxSizePerMsg: number;
  private readonly maxUncommittedSize: number;
  private readonly maxPendingReads: number;
  private readonly checkQuorum: boolean;
  private readonly preVote: boolean;
  private readonly disableProposalForwarding: boolean;
  private readonly random: RaftConfig['random'];
  private readonly logger: Logger | undefined;
  private readonly bugs: UnsafeBugs;

  constructor(config: RaftConfig) {
    this.id = config.id;
    this.electionTimeout = config.electionTick;
    this.heartbeatTimeout = config.heartbeatTick;
    this.maxSizePerMsg = config.maxSizePerMsg;
    this.maxUncommittedSize =
      config.maxUncommittedEntriesSize === 0 ? Number.POSITIVE_INFINITY : config.maxUncommittedEntriesSize;
    this.maxPendingReads = config.maxPendingReadIndexRequests ?? DEFAULT_MAX_PENDING_READ_INDEX_REQUESTS;
    this.checkQuorum = config.checkQuorum;
    this.preVote = config.preVote;
    this.disableProposalForwarding = config.disableProposalForwarding ?? false;
    this.random = config.random;
    this.logger = config.logger;
    this.bugs = config.unsafeBugs ?? {};
    this.log = new RaftLog(config.storage, config.maxCommittedSizePerReady ?? 0);
    this.tracker = new ProgressTracker(config.maxInflightMsgs, config.maxInflightBytes);

    const { hardState, confState } = config.storage.initialState();
    const restored = restoreConfState(this.tracker, this.log.lastIndex(), confState);
    if (isChangeError(restored)) throw new Error(`raft: storage holds a bad ConfState: ${restored.message}`);
    this.confState = confState;
    this.configIndex = this.log.firstIndex() - 1;
    this.switchToConfig(restored);
    if (hardState.term !== 0 || hardState.vote !== null || hardState.commit !== 0)
      this.loadHardState(hardState);
    const applied = config.applied ?? 0;
    if (applied > 0) {
      if (applied < this.log.applied || applied > this.log.committed) {
        throw new Error(
          `raft: config.applied ${applied} is outside [snapshot ${this.log.applied}, committed ${this.log.committed}]`,
        );
      }
      this.replayConfChanges(applied);
      this.log.appliedTo(applied);
    }
    this.becomeFollower(this.term, null);
  }

  private loadHardState(hardState: HardState): void {
    if (hardState.commit > this.log.lastIndex()) {
      throw new Error(
        `raft: stored commit ${hardState.commit} is beyond the stored log (last index ${this.log.lastIndex()})`,
      );
    }
    // A crash may keep a snapshot but lose the hard state written after it: the snapshot alone
    // proves its entries committed, so the commit index starts no lower than it.
    this.log.committed = Math.max(hardState.commit, this.log.committed);
    this.term = hardState.term;
    this.vote = hardState.vote;
  }

  /** Re-applies the conf changes the application already applied after the snapshot (the ConfState in storage predates them). */
  private replayConfChanges(applied: number): void {
    let next = this.log.applied + 1;
    while (next <= applied) {
      const page = this.log.slice(next, applied + 1, this.maxSizePerMsg);
      invariant(page !== undefined && page.length > 0, () => `applied entries from ${next} are unavailable`);
      for (const entry of page) if (entry.type === 'confChange') this.applyConfChangeEntry(entry);
      next += page.length;
    }
  }

  hardState(): HardState {
    return { term: this.term, vote: this.vote, commit: this.log.committed };
  }

  // ---- sending ----

  private send(type: MessageType, to: NodeId, fields: MessageFields = {}): void {
    const message: {
      -readonly [K in keyof Message]: Message[K];
    } = {
      type,
      from: this.id,
      to,
      term: fields.term ?? this.term,
      logTerm: fields.logTerm ?? 0,
      index: fields.index ?? 0,
      entries: fields.entries ?? NO_ENTRIES,
      commit: fields.commit ?? 0,
      reject: fields.reject ?? false,
      rejectHint: fields.rejectHint ?? 0,
    };
    if (fields.snapshot !== undefined) message.snapshot = fields.snapshot;
    if (fields.context !== undefined) message.context = fields.context;
    if (type === 'appendResponse' || type === 'voteResponse' || type === 'preVoteResponse') {
      // These promise durable state (entries, a vote); to ourselves they are stepped after the persist.
      this.messagesAfterPersist.push(message);
    } else {
      invariant(to !== this.id, () => `${type} addressed to self`);
      this.messages.push(message);
    }
  }

  /** Sends an append (or a snapshot if the entries are compacted). Returns false if nothing was sent. */
  private maybeSendAppend(to: NodeId, sendIfEmpty: boolean): boolean {
    const pr = this.tracker.progress.get(to);
    if (pr === undefined || pr.isPaused()) return false;
    const prevIndex = pr.next - 1;
    invariant(prevIndex <= this.log.lastIndex(), () => `next ${pr.next} of ${to} is beyond the last index`);
    const prevTerm = this.log.term(prevIndex);
    const entries = this.log.entries(pr.next, this.maxSizePerMsg);
    if (entries !== undefined && entries.length === 0 && !sendIfEmpty) return false;
    if (prevTerm === undefined || entries === undefined) return this.sendSnapshot(to, pr);
    this.send('append', to, { index: prevIndex, logTerm: prevTerm, entries, commit: this.log.committed });
    pr.sentEntries(entries.length, payloadSize(entries));
    return true;
  }

  private sendAppend(to: NodeId): void {
    this.maybeSendAppend(to, true);
  }

  private sendSnapshot(to: NodeId, pr: Progress): boolean {
    // A member not heard from lately is probably down: do not ship it a whole snapshot.
    if (!pr.recentActive) return false;
    const snapshot = this.log.snapshot();
    if (isStorageError(snapshot)) {
      if (snapshot.storageError === 'snapshotTemporarilyUnavailable') return false;
      throw new Error(`raft invariant: no snapshot to send to ${to}: ${snapshot.message}`);
    }
    pr.becomeSnapshot(snapshot.metadata.index);
    this.send('snapshot', to, { snapshot });
    return true;
  }

  private sendHeartbeat(to: NodeId, pr: Progress, context: Uint8Array | undefined): void {
    // Never tell a follower to commit beyond what it is known to hold.
    const commit = Math.min(pr.match, this.log.committed);
    this.send('heartbeat', to, context === undefined ? { commit } : { commit, context });
  }

  private broadcastAppend(): void {
    for (const id of this.tracker.progress.keys()) if (id !== this.id) this.sendAppend(id);
  }

  private broadcastHeartbeat(context: Uint8Array | undefined): void {
    for (const [id, pr] of this.tracker.progress) if (id !== this.id) this.sendHeartbeat(id, pr, context);
  }

  // ---- role transitions ----

  private reset(term: number): void {
    if (this.term !== term) {
      this.term = term;
      this.vote = null;
    }
    this.lead = null;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.electionTimeout + this.random.int(this.electionTimeout);
    this.leadTransferee = null;
    this.tracker.resetVotes();
    const lastIndex = this.log.lastIndex();
    for (const [id, pr] of this.tracker.progress) {
      pr.restart(lastIndex + 1);
      if (id === this.id) pr.match = lastIndex;
    }
    this.pendingConfIndex = 0;
    this.uncommittedSize = 0;
    this.readOnly = new ReadOnly();
    this.readsBeforeTermCommit = [];
    this.transferCampaignPending = false;
    this.refusedStrandedCandidate = false;
  }

  becomeFollower(term: number, lead: NodeId | null): void {
    this.reset(term);
    this.lead = lead;
    this.role = 'follower';
  }

  private becomePreCandidate(): void {
    invariant(this.role !== 'leader', () => 'a leader cannot become a pre-candidate');
    // A pre-election changes neither term nor vote: it only asks whether a real election could win.
    this.tracker.resetVotes();
    this.lead = null;
    this.role = 'preCandidate';
  }

  private becomeCandidate(): void {
    invariant(this.role !== 'leader', () => 'a leader cannot become a candidate');
    this.reset(this.term + 1);
    this.vote = this.id;
    this.role = 'candidate';
    this.logger?.info('became candidate', { id: this.id, term: this.term });
  }

  private becomeLeader(): void {
    invariant(this.role === 'candidate', () => `only a candidate can become leader, not a ${this.role}`);
    this.reset(this.term);
    this.lead = this.id;
    this.role = 'leader';
    const self = this.tracker.progress.get(this.id);
    invariant(
      self !== undefined || this.tracker.voterIds().length > 0,
      () => 'a leader outside its own configuration needs voters to hand over to',
    );
    if (self !== undefined) {
      self.becomeReplicate();
      self.recentActive = true;
    }
    // Any entry up to here may be an unapplied conf change; a new change waits until all are applied.
    this.pendingConfIndex = this.log.lastIndex();
    const appended = this.appendEntries([{ type: 'normal', data: new Uint8Array(0) }]);
    invariant(appended === undefined, () => 'the new leader could not append its empty entry');
    this.logger?.info('became leader', { id: this.id, term: this.term });
    if (this.isRemovedLeader()) this.handOffLeadership();
  }

  // ---- ticks ----

  tick(): void {
    if (this.role === 'leader') this.tickHeartbeat();
    else this.tickElection();
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.electionElapsed >= this.randomizedElectionTimeout && this.mayCampaign()) {
      this.electionElapsed = 0;
      this.startElection();
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.electionTimeout) {
      this.electionElapsed = 0;
      if (this.checkQuorum) this.checkQuorumActive();
      if (this.role === 'leader' && this.leadTransferee !== null) this.abortLeaderTransfer();
      // A removed leader tries again, perhaps with another voter.
      if (this.isRemovedLeader()) this.handOffLeadership();
    }
    if (this.role !== 'leader') return;
    if (this.heartbeatElapsed >= this.heartbeatTimeout) {
      this.heartbeatElapsed = 0;
      const batch = this.readOnly.heartbeatBatch(this.id);
      this.broadcastHeartbeat(batch === undefined ? undefined : encodeBatch(batch));
    }
  }

  private checkQuorumActive(): void {
    if (!this.tracker.quorumActive()) {
      this.logger?.warn('stepped down: no quorum heard from within an election timeout', {
        id: this.id,
        term: this.term,
      });
      this.becomeFollower(this.term, null);
      return;
    }
    for (const [id, pr] of this.tracker.progress) if (id !== this.id) pr.recentActive = false;
  }

  // ---- elections ----

  /** A voter without a snapshot to install may campaign. */
  promotable(): boolean {
    const self = this.tracker.progress.get(this.id);
    return self !== undefined && !self.isLearner && !this.log.hasPendingSnapshot();
  }

  /**
   * A voter may campaign; so may a member removed from its own (applied, hence committed)
   * configuration that refused a candidate with a shorter log, to become a removed leader that
   * tells the stranded voter of the removal and hands over (learners never campaign). Election
   * safety: we count only the votes of our configuration's voters, never our own, so this is any
   * candidate's election under its applied configuration, whose quorums intersect those of the
   * configurations before and after it. Leader completeness: every voter that grants holds a log
   * no more up to date than ours, as for any candidate.
   */
  private mayCampaign(): boolean {
    if (this.promotable()) return true;
    return (
      this.refusedStrandedCandidate && !this.tracker.progress.has(this.id) && !this.log.hasPendingSnapshot()
    );
  }

  /**
   * The leader is most likely gone (the member's transport saw its connection close, as when its
   * process dies): stop honouring its lease, so that this follower grants pre-votes and votes, and
   * campaign within a few ticks instead of a whole election timeout. The followers wait 1, 3, 5…
   * ticks by the order of their ids, so that they do not split the vote. Only timing depends on
   * this, never safety: a leader that is in fact alive takes the follower back with its next
   * heartbeat, and its other followers, still in its lease, refuse the pre-vote.
   */
  forgetLeader(): void {
    const leader = this.lead;
    if (this.role !== 'follower' || leader === null || leader === this.id) return;
    this.lead = null;
    const rank = this.tracker
      .voterIds()
      .filter((id) => id !== leader)
      .sort()
      .indexOf(this.id);
    if (rank < 0) return;
    const waitTicks = 1 + 2 * rank;
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout - waitTicks);
  }

  /** Starts an election now: a pre-election first if PreVote is on. */
  startElection(): RaftError | undefined {
    return this.hup(this.preVote ? 'preElection' : 'election');
  }

  private hup(kind: CampaignKind): RaftError | undefined {
    if (this.role === 'leader') return undefined;
    if (!this.mayCampaign()) {
      return raftError(
        'notMember',
        `${this.id} is not a voter (or is installing a snapshot) and cannot campaign`,
      );
    }
    if (this.hasUnappliedConfChanges()) {
      return raftError(
        'pendingConfChange',
        `${this.id} cannot campaign until its committed conf changes are applied`,
      );
    }
    this.campaign(kind);
    return undefined;
  }

  private hasUnappliedConfChanges(): boolean {
    let next = this.log.applied + 1;
    const end = this.log.committed + 1;
    while (next < end) {
      const page = this.log.slice(next, end, this.maxSizePerMsg);
      invariant(
        page !== undefined && page.length > 0,
        () => `committed entries from ${next} are unavailable`,
      );
      for (const entry of page) if (entry.type === 'confChange') return true;
      next += page.length;
    }
    return false;
  }

  private campaign(kind: CampaignKind): void {
    let term: number;
    let type: 'vote' | 'preVote';
    if (kind === 'preElection') {
      this.becomePreCandidate();
      type = 'preVote';
      // Pre-votes ask for the next term without moving to it.
      term = this.term + 1;
    } else {
      this.becomeCandidate();
      type = 'vote';
      term = this.term;
    }
    const lastIndex = this.log.lastIndex();
    const lastTerm = this.log.lastTerm();
    for (const id of this.tracker.voterIds()) {
      if (id === this.id) {
        // Our own vote counts once it is persisted: it comes back through messagesAfterPersist.
        this.send(type === 'vote' ? 'voteResponse' : 'preVoteResponse', id, { term });
      } else {
        const fields: MessageFields = { term, index: lastIndex, logTerm: lastTerm };
        if (kind === 'transfer') fields.context = TRANSFER_CONTEXT;
        this.send(type, id, fields);
      }
    }
  }

  private handleVoteRequest(m: Message): void {
    const responseType = m.type === 'vote' ? 'voteResponse' : 'preVoteResponse';
    const canVote =
      this.vote === m.from ||
      (this.vote === null && this.lead === null) ||
      (m.type === 'preVote' && m.term > this.term) ||
      (m.type === 'vote' && this.bugs.voteTwicePerTerm === true);
    if (canVote && this.log.isUpToDate(m.index, m.logTerm)) {
      // A granted pre-vote carries the term it was asked for, so the pre-candidate counts it.
      this.send(responseType, m.from, { term: m.term });
      if (m.type === 'vote') {
        this.electionElapsed = 0;
        this.vote = m.from;
      }
    } else {
      this.send(responseType, m.from, { term: this.term, reject: true });
      if (canVote && !this.tracker.progress.has(this.id)) this.refusedStrandedCandidate = true;
    }
  }

  // ---- the message dispatcher ----

  step(m: Message): RaftError | undefined {
    // Forwarded proposals and reads are term-less: they are requests, not part of the protocol.
    if (m.type !== 'propose' && m.type !== 'readIndex') {
      if (m.term > this.term) {
        if (m.type === 'vote' || m.type === 'preVote') {
          const inLease =
            this.checkQuorum && this.lead !== null && this.electionElapsed < this.electionTimeout;
          // We heard from a leader within the election timeout: ignore a disruptive campaign,
          // unless it follows a leadership transfer.
          if (inLease && !isTransferContext(m.context)) return undefined;
        }
        if (m.type === 'preVote' || (m.type === 'preVoteResponse' && !m.reject)) {
          // A pre-vote never changes our term; a granted pre-vote response carries the future term.
        } else if (m.type === 'append' || m.type === 'heartbeat' || m.type === 'snapshot') {
          this.becomeFollower(m.term, m.from);
        } else {
          this.becomeFollower(m.term, null);
        }
      } else if (m.term < this.term) {
        if ((this.checkQuorum || this.preVote) && (m.type === 'heartbeat' || m.type === 'append')) {
          // A stale leader (e.g. one partitioned away) learns our term from this and steps down.
          this.send('appendResponse', m.from);
        } else if (m.type === 'preVote') {
          // Answer so that a pre-candidate behind us does not wait forever.
          this.send('preVoteResponse', m.from, { reject: true });
        }
        return undefined;
      }
    }
    if (m.type === 'vote' || m.type === 'preVote') {
      this.handleVoteRequest(m);
      return undefined;
    }
    switch (this.role) {
      case 'leader':
        return this.stepLeader(m);
      case 'candidate':
      case 'preCandidate':
        return this.stepCandidate(m);
      case 'follower':
        return this.stepFollower(m);
    }
  }

  private stepLeader(m: Message): RaftError | undefined {
    switch (m.type) {
      case 'propose':
        return this.propose(m.entries);
      case 'readIndex':
        return this.readIndex(m.entries[0]!.data, m.from);
      case 'transferLeader':
        return this.transferLeader(textDecoder.decode(m.context));
      default:
        break;
    }
    const pr = this.tracker.progress.get(m.from);
    switch (m.type) {
      case 'appendResponse':
        if (pr === undefined) return this.unknownPeer(m);
        this.handleAppendResponse(m, pr);
        return undefined;
      case 'heartbeatResponse':
        if (pr === undefined) return this.unknownPeer(m);
        this.handleHeartbeatResponse(m, pr);
        return undefined;
      default:
        return undefined;
    }
  }

  private unknownPeer(m: Message): RaftError {
    return raftError('unknownPeer', `${m.type} from ${m.from}, which is not a member of the configuration`);
  }

  private stepCandidate(m: Message): RaftError | undefined {
    const ownResponse = this.role === 'preCandidate' ? 'preVoteResponse' : 'voteResponse';
    switch (m.type) {
      case 'propose':
      case 'readIndex':
      case 'transferLeader':
        return raftError('noLeader', `${m.type} dropped: ${this.id} is campaigning in term ${this.term}`);
      case 'append':
        this.becomeFollower(m.term, m.from);
        this.handleAppend(m);
        return undefined;
      case 'heartbeat':
        this.becomeFollower(m.term, m.from);
        this.handleHeartbeat(m);
        return undefined;
      case 'snapshot':
        this.becomeFollower(m.term, m.from);
        this.handleSnapshot(m);
        return undefined;
      case ownResponse: {
        this.tracker.recordVote(m.from, !m.reject);
        const result = this.tracker.tallyVotes();
        if (result === 'won') {
          if (this.role === 'preCandidate') {
            this.campaign('election');
          } else {
            this.becomeLeader();
            this.broadcastAppend();
          }
        } else if (result === 'lost') {
          // A rejected pre-vote response may carry a higher term; ours stays (pre-votes do not move it).
          this.becomeFollower(this.term, null);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private stepFollower(m: Message): RaftError | undefined {
    switch (m.type) {
      case 'propose':
        return this.propose(m.entries);
      case 'append':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleAppend(m);
        return undefined;
      case 'heartbeat':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleHeartbeat(m);
        return undefined;
      case 'snapshot':
        this.electionElapsed = 0;
        this.lead = m.from;
        this.handleSnapshot(m);
        return undefined;
      case 'transferLeader':
        return this.transferLeader(textDecoder.decode(m.context));
      case 'timeoutNow':
        this.campaignForTransfer();
        return undefined;
      case 'readIndex':
        return this.readIndex(m.entries[0]!.data, m.from);
      case 'readIndexResponse':
        this.readStates.push({ index: m.index, context: m.entries[0]!.data });
        return undefined;
      default:
        return undefined;
    }
  }

  /**
   * A transfer target campaigns at once, without pre-vote: the leader asked for it. If committed
   * conf changes still have to be applied first, it campaigns as soon as they are.
   */
  private campaignForTransfer(): void {
    this.transferCampaignPending = this.hup('transfer')?.code === 'pendingConfChange';
  }

  // ---- replication, follower side ----

  /** A member that never received its base configuration (a new, empty member) waits for a snapshot. */
  private hasBaseConfig(): boolean {
    return this.tracker.config.voters.incoming.length > 0;
  }

  private handleAppend(m: Message): void {
    if (!this.hasBaseConfig()) {
      this.send('appendResponse', m.from, { index: m.index, reject: true });
      return;
    }
    if (m.index < this.log.committed) {
      this.send('appendResponse', m.from, { index: this.log.committed });
      return;
    }
    const lastNew = this.log.maybeAppend(m.index, m.logTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.send('appendResponse', m.from, { index: lastNew });
      return;
    }
    // Hint the highest position that may match: our last entry at or below m.index whose term is
    // at most m.logTerm. The leader then skips our whole conflicting tail in one round trip.
    const hint = this.log.findConflictByTerm(Math.min(m.index, this.log.lastIndex()), m.logTerm);
    this.send('appendResponse', m.from, {
      index: m.index,
      reject: true,
      rejectHint: hint.index,
      logTerm: hint.term,
    });
  }

  private handleHeartbeat(m: Message): void {
    this.log.commitTo(m.commit);
    this.send('heartbeatResponse', m.from, m.context === undefined ? {} : { context: m.context });
  }

  private handleSnapshot(m: Message): void {
    const snapshot = m.snapshot!;
    if (this.restore(snapshot)) {
      this.send('appendResponse', m.from, { index: this.log.lastIndex() });
    } else {
      this.send('appendResponse', m.from, { index: this.log.committed });
    }
  }

  /** Installs a snapshot from the leader; false if it brings nothing new. */
  private restore(snapshot: Snapshot): boolean {
    const { index, term, confState } = snapshot.metadata;
    const uninitialized = !this.hasBaseConfig();
    if (!uninitialized && index <= this.log.committed) return false;
    invariant(this.role === 'follower', () => `a ${this.role} cannot install a snapshot`);
    if (!uninitialized && this.log.matchTerm(index, term)) {
      // Our log already holds the snapshot's last entry: just commit up to it.
      this.log.commitTo(index);
      return false;
    }
    const restored = restoreConfState(this.tracker, index, confState);
    if (isChangeError(restored)) {
      this.logger?.warn('refused a snapshot with a bad ConfState', { id: this.id, error: restored.message });
      return false;
    }
    this.log.restore(snapshot);
    this.configIndex = index;
    this.switchToConfig(restored);
    this.logger?.info('installing snapshot', { id: this.id, index, term });
    return true;
  }

  // ---- replication, leader side ----

  private handleAppendResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    if (m.reject) {
      // Only a member without its base configuration rejects the position before the first entry.
      if (m.index === 0 && pr.match === 0 && pr.state !== 'snapshot') {
        this.sendSnapshot(m.from, pr);
        return;
      }
      let nextProbe = m.rejectHint;
      // Skip every entry of ours in a term above the follower's term at its hint.
      if (m.logTerm > 0) nextProbe = this.log.findConflictByTerm(m.rejectHint, m.logTerm).index;
      if (pr.maybeDecreaseTo(m.index, nextProbe)) {
        if (pr.state === 'replicate') pr.becomeProbe();
        this.sendAppend(m.from);
      }
      return;
    }
    const wasPaused = pr.isPaused();
    const caughtUp = pr.match === m.index && (pr.state === 'probe' || pr.state === 'snapshot');
    if (!pr.maybeUpdate(m.index) && !caughtUp) return;
    if (pr.state === 'probe') {
      pr.becomeReplicate();
    } else if (pr.state === 'snapshot' && pr.match + 1 >= this.log.firstIndex()) {
      // The follower can be caught up from the log now (whatever snapshot it installed).
      pr.becomeProbe();
      pr.becomeReplicate();
    } else if (pr.state === 'replicate') {
      pr.inflights.freeLE(m.index);
    }
    if (this.maybeCommit()) {
      this.releaseReadsBeforeTermCommit();
      this.broadcastAppend();
    } else if (wasPaused && m.from !== this.id) {
      this.sendAppend(m.from);
    }
    if (m.from !== this.id) {
      // Flow control may allow several messages now (after probing, or when acks free the pipeline).
      while (this.maybeSendAppend(m.from, false)) {
        // Keep sending while the pipeline has room and entries remain.
      }
      if (m.from === this.leadTransferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    }
  }

  private handleHeartbeatResponse(m: Message, pr: Progress): void {
    pr.recentActive = true;
    pr.probeSent = false;
    // A full pipeline whose messages may all be lost would stall: free one slot per heartbeat.
    if (pr.state === 'replicate' && pr.inflights.full()) pr.inflights.freeFirstOne();
    if (pr.match < this.log.lastIndex()) this.sendAppend(m.from);
    const batch = decodeBatch(m.context);
    if (batch === undefined || !this.readOnly.recordAck(m.from, batch)) return;
    const confirmed = this.tracker.quorumIndex(this.readOnly.ackedOf);
    for (const request of this.readOnly.release(confirmed))
      this.respondToRead(request.context, request.from, request.index);
    this.startWaitingReadRound();
  }

  private maybeCommit(): boolean {
    const index = this.tracker.committed();
    if (!Number.isFinite(index)) return false;
    return this.log.maybeCommit(index, this.term, this.bugs.commitPreviousTermByCount === true);
  }

  /** Appends entries of our term to the leader's log. Returns an error if the uncommitted budget is exhausted. */
  private appendEntries(entries: readonly { type: EntryType; data: Uint8Array }[]): RaftError | undefined {
    const size = payloadSize(entries);
    // An empty log tail accepts any proposal, so a single large one is never refused forever.
    if (this.uncommittedSize > 0 && size > 0 && this.uncommittedSize + size > this.maxUncommittedSize) {
      return raftError(
        'uncommittedLimit',
        `proposal of ${size} bytes refused: ${this.uncommittedSize} bytes are uncommitted (limit ${this.maxUncommittedSize})`,
      );
    }
    this.uncommittedSize += size;
    const lastIndex = this.log.lastIndex();
    const appended: Entry[] = entries.map((entry, i) => ({
      term: this.term,
      index: lastIndex + 1 + i,
      type: entry.type,
      data: entry.data,
    }));
    this.log.append(appended);
    const newLast = this.log.lastIndex();
    invariant(newLast === lastIndex + appended.length, () => 'the leader overwrote its own entries');
    if (this.bugs.commitWithoutQuorum === true) this.log.commitTo(newLast);
    // The leader counts its own copy once it is persisted: the ack comes back after the Ready.
    this.send('appendResponse', this.id, { index: newLast });
    return undefined;
  }

  // ---- local requests (also forwarded by followers) ----

  propose(entries: readonly Entry[]): RaftError | undefined {
    switch (this.role) {
      case 'leader':
        return this.proposeAsLeader(entries);
      case 'follower':
        if (this.lead === null) return raftError('noLeader', `proposal dropped: ${this.id} knows no leader`);
        if (this.disableProposalForwarding) {
          return raftError(
            'forwardingDisabled',
            `proposal dropped: ${this.id} is a follower and does not forward proposals`,
          );
        }
        this.send('propose', this.lead, { term: 0, entries });
        return undefined;
      default:
        return raftError('noLeader', `proposal dropped: ${this.id} is campaigning in term ${this.term}`);
    }
  }

  private proposeAsLeader(entries: readonly Entry[]): RaftError | undefined {
    if (this.isRemovedLeader()) {
      return raftError(
        'notMember',
        `proposal dropped: leader ${this.id} was removed from the configuration and is handing over`,
      );
    }
    if (this.leadTransferee !== null) {
      return raftError(
        'transferInProgress',
        `proposal dropped: leadership is moving to ${this.leadTransferee}`,
      );
    }
    let confChangeAt = -1;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      if (entry.type !== 'confChange') continue;
      const error = this.checkConfChangeProposal(entry.data, confChangeAt >= 0);
      if (error !== undefined) return error;
      confChangeAt = i;
    }
    const error = this.appendEntries(entries);
    if (error !== undefined) return error;
    if (confChangeAt >= 0) this.pendingConfIndex = this.log.lastIndex() - entries.length + 1 + confChangeAt;
    this.broadcastAppend();
    return undefined;
  }

  private checkConfChangeProposal(data: Uint8Array, anotherInBatch: boolean): RaftError | undefined {
    const change = decodeConfChange(data);
    if ('code' in change) return change;
    if (anotherInBatch || this.pendingConfIndex > this.log.applied) {
      return raftError(
        'pendingConfChange',
        `a conf change is still pending (up to index ${this.pendingConfIndex}, applied ${this.log.applied}); propose after it is applied`,
      );
    }
    const joint = isJoint(this.tracker.config);
    const leave = change.changes.length === 0;
    if (joint && !leave)
      return raftError('invalidConfChange', 'the configuration is joint: leave it before changing it again');
    if (!joint && leave)
      return raftError('invalidConfChange', 'the configuration is not joint: there is nothing to leave');
    const result = new ConfChanger(this.tracker, this.log.lastIndex()).apply(change);
    return isChangeError(result) ? result : undefined;
  }

  readIndex(context: Uint8Array, from: NodeId): RaftError | undefined {
    switch (this.role) {
      case 'leader':
        return this.readIndexAsLeader(context, from);
      case 'follower':
        if (this.lead === null) return raftError('noLeader', `read dropped: ${this.id} knows no leader`);
        this.send('readIndex', this.lead, { term: 0, entries: [requestEntry(context)] });
        return undefined;
      default:
        return raftError('noLeader', `read dropped: ${this.id} is campaigning in term ${this.term}`);
    }
  }

  private readIndexAsLeader(context: Uint8Array, from: NodeId): RaftError | undefined {
    if (this.bugs.readWithoutQuorum === true) {
      this.respondToRead(context, from, this.log.committed);
      return undefined;
    }
    if (this.readOnly.pendingCount + this.readsBeforeTermCommit.length >= this.maxPendingReads) {
      return raftError(
        'readIndexLimit',
        `read refused: ${this.maxPendingReads} reads are already waiting (maxPendingReadIndexRequests)`,
      );
    }
    if (!this.committedInCurrentTerm()) {
      // Our commit index may lag the true one (it is not synced on its own, and a new leader
      // learns it late) until an entry of our term commits.
      this.readsBeforeTermCommit.push({ context, from });
      return undefined;
    }
    this.confirmRead(context, from);
    this.startWaitingReadRound();
    return undefined;
  }

  /** Answers a read at once if we are the only voter; otherwise queues it for a confirmation round. */
  private confirmRead(context: Uint8Array, from: NodeId): void {
    if (this.isSoleVoter()) this.respondToRead(context, from, this.log.committed);
    else this.readOnly.add(context, from, this.log.committed);
  }

  private isSoleVoter(): boolean {
    return this.tracker.isSingleton() && this.tracker.config.voters.incoming[0] === this.id;
  }

  private committedInCurrentTerm(): boolean {
    return this.log.term(this.log.committed) === this.term;
  }

  private releaseReadsBeforeTermCommit(): void {
    if (this.readsBeforeTermCommit.length === 0 || !this.committedInCurrentTerm()) return;
    for (const { context, from } of this.readsBeforeTermCommit) this.confirmRead(context, from);
    this.readsBeforeTermCommit = [];
    this.startWaitingReadRound();
  }

  private startWaitingReadRound(): void {
    const batch = this.readOnly.startWaitingRound(this.id);
    if (batch !== undefined) this.broadcastHeartbeat(encodeBatch(batch));
  }

  private respondToRead(context: Uint8Array, from: NodeId, index: number): void {
    if (from === this.id) {
      this.readStates.push({ index, context });
    } else {
      this.send('readIndexResponse', from, { index, entries: [requestEntry(context)] });
    }
  }

  transferLeader(transferee: NodeId): RaftError | undefined {
    if (this.role !== 'leader') {
      if (this.lead === null || this.role !== 'follower') {
        return raftError(
          'noLeader',
          `leadership transfer to ${transferee} dropped: ${this.id} knows no leader`,
        );
      }
      this.send('transferLeader', this.lead, { context: textEncoder.encode(transferee) });
      return undefined;
    }
    const pr = this.tracker.progress.get(transferee);
    if (pr === undefined || pr.isLearner) {
      return raftError('notMember', `cannot transfer leadership to ${transferee}: it is not a voter`);
    }
    if (this.leadTransferee !== null) {
      if (this.leadTransferee === transferee) return undefined;
      this.abortLeaderTransfer();
    }
    if (transferee === this.id) return undefined;
    this.startTransfer(transferee, pr);
    return undefined;
  }

  private startTransfer(transferee: NodeId, pr: Progress): void {
    // The transfer must finish within an election timeout, counted from now.
    this.electionElapsed = 0;
    this.leadTransferee = transferee;
    this.logger?.info('transferring leadership', { id: this.id, to: transferee, term: this.term });
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(transferee);
    else this.sendAppend(transferee);
  }

  /** A leader that is no longer a voter of its own configuration (removed or demoted). */
  private isRemovedLeader(): boolean {
    const self = this.tracker.progress.get(this.id);
    return this.role === 'leader' && (self === undefined || self.isLearner);
  }

  /**
   * A removed leader keeps replicating to the remaining members (so that they learn the change
   * committed) and hands leadership to the most up-to-date remaining voter. Stepping down at once
   * could strand a voter that has not applied the change yet: it would still need this member's
   * vote, which a log shorter than ours cannot win.
   */
  private handOffLeadership(): void {
    if (this.leadTransferee !== null) return;
    let target: { id: NodeId; pr: Progress } | undefined;
    for (const id of this.tracker.voterIds()) {
      const pr = this.tracker.progress.get(id);
      if (id === this.id || pr === undefined) continue;
      if (target === undefined || pr.match > target.pr.match) target = { id, pr };
    }
    if (target !== undefined) this.startTransfer(target.id, target.pr);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send('timeoutNow', to);
  }

  private abortLeaderTransfer(): void {
    this.leadTransferee = null;
  }

  reportUnreachable(id: NodeId): void {
    const pr = this.tracker.progress.get(id);
    if (this.role !== 'leader' || pr === undefined || id === this.id) return;
    // Optimistic pipelining to an unreachable member only wastes messages: probe it instead.
    if (pr.state === 'replicate') pr.becomeProbe();
  }

  reportSnapshot(id: NodeId, status: 'finished' | 'failure'): void {
    const pr = this.tracker.progress.get(id);
    if (this.role !== 'leader' || pr === undefined || pr.state !== 'snapshot') return;
    if (status === 'failure') pr.pendingSnapshot = 0;
    pr.becomeProbe();
    // Wait for the follower's answer (or the next heartbeat) before probing.
    pr.probeSent = true;
  }

  // ---- membership ----

  /** Applies a committed conf change entry (called as the application advances past it). */
  applyConfChangeEntry(entry: Entry): void {
    if (entry.index <= this.configIndex) return;
    const change = decodeConfChange(entry.data);
    if ('code' in change) {
      this.logger?.warn('skipped an undecodable conf change entry', { id: this.id, index: entry.index });
      return;
    }
    this.applyConfChange(change, entry.index);
  }

  private applyConfChange(change: ConfChange, index: number): void {
    const result = new ConfChanger(this.tracker, this.log.lastIndex()).apply(change);
    // Every member refuses the same change at the same index, so skipping it keeps them in step.
    if (isChangeError(result)) {
      this.logger?.warn('skipped a conf change that does not apply', {
        id: this.id,
        index,
        error: result.message,
      });
      return;
    }
    this.configIndex = index;
    this.switchToConfig(result);
  }

  private switchToConfig(result: ChangeResult): void {
    this.tracker.config = result.config;
    this.tracker.progress = result.progress;
    this.confState = toConfState(result.config);
    if (this.role !== 'leader') return;
    if (this.maybeCommit()) {
      this.broadcastAppend();
    } else {
      for (const id of this.tracker.progress.keys()) if (id !== this.id) this.maybeSendAppend(id, false);
    }
    if (this.leadTransferee !== null && !this.tracker.isVoter(this.leadTransferee))
      this.abortLeaderTransfer();
    if (this.isRemovedLeader()) {
      this.logger?.info('removed from the configuration: handing leadership over', {
        id: this.id,
        term: this.term,
      });
      this.handOffLeadership();
    }
  }

  /** The application applied entries up to `index`. */
  appliedTo(index: number): void {
    this.log.appliedTo(index);
    if (this.transferCampaignPending && this.role === 'follower') this.campaignForTransfer();
    if (this.tracker.config.autoLeave && index >= this.pendingConfIndex && this.role === 'leader') {
      // The joint configuration is in force: leave it. An empty change has no payload, so only a
      // leadership transfer can refuse it; then the next advance tries again.
      const error = this.proposeAsLeader([
        { term: 0, index: 0, type: 'confChange', data: new Uint8Array(0) },
      ]);
      if (error !== undefined)
        this.logger?.debug('not leaving the joint configuration yet', { error: error.message });
    }
  }

  /** Handed-out committed entries no longer count against the uncommitted budget. */
  reduceUncommittedSize(entries: readonly Entry[]): void {
    this.uncommittedSize = Math.max(0, this.uncommittedSize - payloadSize(entries));
  }
}
