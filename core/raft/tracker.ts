// The leader's (and candidate's) bookkeeping about the other members: the current membership
// configuration, each member's replication Progress, and the votes of the current election.
import { Inflights } from './inflights.ts';
import { Progress } from './progress.ts';
import { type JointConfig, jointCommittedIndex, jointVoteResult, type VoteResult } from './quorum.ts';
import type { ConfState, NodeId } from './types.ts';

/** A membership configuration; every list is sorted. */
export interface TrackerConfig {
  readonly voters: JointConfig;
  readonly learners: readonly NodeId[];
  /** Outgoing voters that become learners when the joint configuration is left. */
  readonly learnersNext: readonly NodeId[];
  readonly autoLeave: boolean;
}

export const EMPTY_CONFIG: TrackerConfig = {
  voters: { incoming: [], outgoing: [] },
  learners: [],
  learnersNext: [],
  autoLeave: false,
};

export function isJoint(config: TrackerConfig): boolean {
  return config.voters.outgoing.length > 0;
}

export function toConfState(config: TrackerConfig): ConfState {
  return {
    voters: config.voters.incoming,
    learners: config.learners,
    votersOutgoing: config.voters.outgoing,
    learnersNext: config.learnersNext,
    autoLeave: config.autoLeave,
  };
}

export class ProgressTracker {
  config: TrackerConfig = EMPTY_CONFIG;
  progress = new Map<NodeId, Progress>();
  private votes = new Map<NodeId, boolean>();
  readonly maxInflightMsgs: number;
  readonly maxInflightBytes: number;
  private readonly matchOf = (id: NodeId): number | undefined => this.progress.get(id)?.match;
  private readonly voteOf = (id: NodeId): boolean | undefined => this.votes.get(id);
  private readonly activeOf = (id: NodeId): boolean | undefined => this.progress.get(id)?.recentActive;

  constructor(maxInflightMsgs: number, maxInflightBytes: number) {
    this.maxInflightMsgs = maxInflightMsgs;
    this.maxInflightBytes = maxInflightBytes;
  }

  newProgress(next: number, isLearner: boolean): Progress {
    // A new member counts as recently active so that CheckQuorum does not fire before it could answer.
    return new Progress(next, new Inflights(this.maxInflightMsgs, this.maxInflightBytes), isLearner, true);
  }

  isVoter(id: NodeId): boolean {
    return this.config.voters.incoming.includes(id) || this.config.voters.outgoing.includes(id);
  }

  /** Every voter of the incoming and outgoing configurations, sorted. */
  voterIds(): NodeId[] {
    const ids = [...this.config.voters.incoming];
    for (const id of this.config.voters.outgoing) if (!ids.includes(id)) ids.push(id);
    return ids.sort();
  }

  isSingleton(): boolean {
    return this.config.voters.incoming.length === 1 && this.config.voters.outgoing.length === 0;
  }

  /** The highest index replicated on a quorum (of both halves, in a joint configuration). */
  committed(): number {
    return jointCommittedIndex(this.config.voters, this.matchOf);
  }

  resetVotes(): void {
    this.votes.clear();
  }

  /** Records a member's answer; only its first answer in an election counts. */
  recordVote(id: NodeId, granted: boolean): void {
    if (!this.votes.has(id)) this.votes.set(id, granted);
  }

  /** The election's outcome from the votes recorded so far. */
  tallyVotes(): VoteResult {
    return jointVoteResult(this.config.voters, this.voteOf);
  }

  /** True if a quorum was heard from within the last election timeout. */
  quorumActive(): boolean {
    return jointVoteResult(this.config.voters, this.activeOf) === 'won';
  }

  /** The highest value a quorum has reached, e.g. of acknowledged read batches. */
  quorumIndex(indexOf: (id: NodeId) => number | undefined): number {
    return jointCommittedIndex(this.config.voters, indexOf);
  }
}
