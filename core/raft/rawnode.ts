// The application's handle on the Raft core: local requests in, Ready batches out. Each ready()
// must be followed by advance() for that Ready before the next ready(); in between, hasReady() is
// false and inputs (ticks, messages, proposals) are accepted and show up in the next Ready.
// The transport must call reportSnapshot() when a snapshot message is delivered or lost: the
// leader sends that follower nothing else until then.
import type { ProgressStatus, RaftNode, RaftStatus } from './api.ts';
import { encodeConfChange, validateConfChange } from './conf-change-codec.ts';
import { validateRaftConfig } from './config.ts';
import { Raft } from './raft.ts';
import { raftError } from './raft-error.ts';
import type {
  ConfChange,
  HardState,
  Message,
  NodeId,
  RaftConfig,
  RaftError,
  Ready,
  SoftState,
} from './types.ts';
import { validateMessage } from './validate-message.ts';

interface Outstanding {
  readonly ready: Ready;
  /** Messages to ourselves (our vote, our append acknowledgement) that count once the Ready is persisted. */
  readonly stepsOnAdvance: readonly Message[];
}

function sameHardState(a: HardState, b: HardState): boolean {
  return a.term === b.term && a.vote === b.vote && a.commit === b.commit;
}

/** Bytes of one proposal's data; far above any sane entry, it bounds what one call can queue. */
export const MAX_PROPOSAL_BYTES = 64 * 1024 * 1024;

export class RawNode implements RaftNode {
  private readonly raft: Raft;
  private previousHardState: HardState;
  private previousSoftState: SoftState;
  private outstanding: Outstanding | undefined = undefined;

  constructor(config: RaftConfig) {
    const problem = validateRaftConfig(config);
    if (problem !== undefined) throw new Error(`raft: invalid config: ${problem}`);
    this.raft = new Raft(config);
    this.previousHardState = this.raft.hardState();
    this.previousSoftState = this.softState();
  }

  private softState(): SoftState {
    return { leader: this.raft.lead, role: this.raft.role };
  }

  tick(): void {
    this.raft.tick();
  }

  campaign(): RaftError | undefined {
    return this.raft.startElection();
  }

  /** The transport lost its connection to the leader: see Raft.forgetLeader. */
  forgetLeader(): void {
    this.raft.forgetLeader();
  }

  propose(data: Uint8Array): RaftError | undefined {
    if (data.byteLength > MAX_PROPOSAL_BYTES) {
      return raftError(
        'uncommittedLimit',
        `proposal of ${data.byteLength} bytes exceeds the ${MAX_PROPOSAL_BYTES}-byte limit`,
      );
    }
    return this.raft.propose([{ term: 0, index: 0, type: 'normal', data }]);
  }

  proposeConfChange(change: ConfChange): RaftError | undefined {
    const problem = validateConfChange(change);
    if (problem !== undefined) return problem;
    return this.raft.propose([{ term: 0, index: 0, type: 'confChange', data: encodeConfChange(change) }]);
  }

  step(message: Message): RaftError | undefined {
    const problem = validateMessage(message, this.raft.id);
    if (problem !== undefined) return problem;
    return this.raft.step(message);
  }

  readIndex(context: Uint8Array): RaftError | undefined {
    return this.raft.readIndex(context, this.raft.id);
  }

  transferLeader(to: NodeId): RaftError | undefined {
    if (typeof to !== 'string' || to === '')
      return raftError('notMember', 'leadership transfer needs a member id');
    return this.raft.transferLeader(to);
  }

  reportUnreachable(id: NodeId): void {
    this.raft.reportUnreachable(id);
  }

  reportSnapshot(id: NodeId, status: 'finished' | 'failure'): void {
    this.raft.reportSnapshot(id, status);
  }

  hasReady(): boolean {
    if (this.outstanding !== undefined) return false;
    const raft = this.raft;
    const log = raft.log;
    return (
      raft.messages.length > 0 ||
      raft.messagesAfterPersist.length > 0 ||
      raft.readStates.length > 0 ||
      log.unstable.hasNextEntries() ||
      log.unstable.nextSnapshot() !== undefined ||
      log.hasNextCommittedEntries() ||
      !sameHardState(raft.hardState(), this.previousHardState) ||
      raft.lead !== this.previousSoftState.leader ||
      raft.role !== this.previousSoftState.role
    );
  }

  ready(): Ready {
    if (this.outstanding !== undefined) {
      throw new Error('raft: ready() called again before advance() of the previous Ready');
    }
    const raft = this.raft;
    const log = raft.log;
    const hardState = raft.hardState();
    const softState = this.softState();
    const snapshot = log.unstable.nextSnapshot();
    const entries = log.unstable.nextEntries();
    const committedEntries = log.nextCommittedEntries();
    const messages = raft.messages;
    raft.messages = [];
    const messagesAfterPersist: Message[] = [];
    const stepsOnAdvance: Message[] = [];
    for (const message of raft.messagesAfterPersist) {
      if (message.to === raft.id) stepsOnAdvance.push(message);
      else messagesAfterPersist.push(message);
    }
    raft.messagesAfterPersist = [];
    const readStates = raft.readStates;
    raft.readStates = [];

    // Applying a membership change acts on the commit index (removed members get shut down), so
    // the commit index must be durable first: after a crash the member must not forget the change.
    const appliesConfChange = committedEntries.some((entry) => entry.type === 'confChange');
    const hardStateChanged = appliesConfChange || !sameHardState(hardState, this.previousHardState);
    const mustSync =
      entries.length > 0 ||
      snapshot !== undefined ||
      appliesConfChange ||
      hardState.term !== this.previousHardState.term ||
      hardState.vote !== this.previousHardState.vote;
    const ready: Ready = {
      ...(softState.leader !== this.previousSoftState.leader || softState.role !== this.previousSoftState.role
        ? { softState }
        : {}),
      ...(hardStateChanged ? { hardState } : {}),
      ...(snapshot === undefined ? {} : { snapshot }),
      entries,
      mustSync,
      messages,
      messagesAfterPersist,
      committedEntries,
      readStates,
    };
    log.unstable.acceptInProgress();
    if (committedEntries.length > 0 && raft.role === 'leader') raft.reduceUncommittedSize(committedEntries);
    this.previousHardState = hardState;
    this.previousSoftState = softState;
    this.outstanding = { ready, stepsOnAdvance };
    return ready;
  }

  advance(ready: Ready): void {
    const outstanding = this.outstanding;
    if (outstanding === undefined || outstanding.ready !== ready) {
      throw new Error('raft: advance() needs the Ready returned by the last ready()');
    }
    this.outstanding = undefined;
    const raft = this.raft;
    if (ready.snapshot !== undefined) {
      const index = ready.snapshot.metadata.index;
      raft.log.stableSnapshotTo(index);
      if (index > raft.log.applied) raft.appliedTo(index);
    }
    const lastEntry = ready.entries.at(-1);
    if (lastEntry !== undefined) {
      if (raft.log.storage.lastIndex() < lastEntry.index) {
        throw new Error(
          `raft: advance() before the Ready's entries up to ${lastEntry.index} were appended to storage`,
        );
      }
      raft.log.stableTo(lastEntry.index, lastEntry.term);
    }
    const lastCommitted = ready.committedEntries.at(-1);
    if (lastCommitted !== undefined) {
      for (const entry of ready.committedEntries)
        if (entry.type === 'confChange') raft.applyConfChangeEntry(entry);
      raft.appliedTo(lastCommitted.index);
    }
    for (const message of outstanding.stepsOnAdvance) raft.step(message);
  }

  status(): RaftStatus {
    const raft = this.raft;
    let progress: Map<NodeId, ProgressStatus> | null = null;
    if (raft.role === 'leader') {
      progress = new Map();
      for (const [id, pr] of raft.tracker.progress) {
        progress.set(id, {
          match: pr.match,
          next: pr.next,
          state: pr.state,
          isLearner: pr.isLearner,
          recentActive: pr.recentActive,
          inflight: pr.inflights.count,
        });
      }
    }
    return {
      id: raft.id,
      role: raft.role,
      leader: raft.lead,
      hardState: raft.hardState(),
      applied: raft.log.applied,
      lastIndex: raft.log.lastIndex(),
      confState: raft.confState,
      leadTransferee: raft.leadTransferee,
      progress,
    };
  }
}
