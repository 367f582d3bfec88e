// Membership changes (etcd's ConfChangeV2 semantics) computed on copies of the tracker's
// configuration and progress, so that a refused change leaves the member untouched. A change of at
// most one voter applies directly; anything else enters a joint configuration, which is left
// automatically (autoLeave) or by an explicit empty change.
import type { Progress } from './progress.ts';
import { raftError } from './raft-error.ts';
import { isJoint, type ProgressTracker, type TrackerConfig } from './tracker.ts';
import type { ConfChange, ConfChangeSingle, ConfState, NodeId, RaftError } from './types.ts';

export interface ChangeResult {
  readonly config: TrackerConfig;
  readonly progress: Map<NodeId, Progress>;
}

interface Draft {
  incoming: Set<NodeId>;
  outgoing: Set<NodeId>;
  learners: Set<NodeId>;
  learnersNext: Set<NodeId>;
  autoLeave: boolean;
  progress: Map<NodeId, Progress>;
}

function sorted(ids: Set<NodeId>): NodeId[] {
  return [...ids].sort();
}

function invalid(message: string): RaftError {
  return raftError('invalidConfChange', message);
}

function isRaftError(value: ChangeResult | RaftError): value is RaftError {
  return 'code' in value;
}

export class ConfChanger {
  private readonly tracker: ProgressTracker;
  /** The leader's last index: new members are probed from there. */
  private readonly lastIndex: number;

  constructor(tracker: ProgressTracker, lastIndex: number) {
    this.tracker = tracker;
    this.lastIndex = lastIndex;
  }

  /** Applies a ConfChange as a whole: leave joint (no changes), simple, or enter joint. */
  apply(change: ConfChange): ChangeResult | RaftError {
    if (change.changes.length === 0) return this.leaveJoint();
    if (change.transition === 'auto') {
      const simple = this.simple(change.changes);
      // A change of more than one voter (or a refused one, which joint entry refuses too) goes joint.
      if (!isRaftError(simple) || isJoint(this.tracker.config)) return simple;
      return this.enterJoint(true, change.changes);
    }
    return this.enterJoint(change.transition === 'jointImplicit', change.changes);
  }

  /** Enters a joint configuration: the current voters become the outgoing half, then `changes` apply to the incoming half. */
  enterJoint(autoLeave: boolean, changes: readonly ConfChangeSingle[]): ChangeResult | RaftError {
    if (isJoint(this.tracker.config)) return invalid('the configuration is already joint; leave it first');
    if (this.tracker.config.voters.incoming.length === 0) {
      return invalid('cannot make a configuration without voters joint');
    }
    const draft = this.draft();
    draft.outgoing = new Set(draft.incoming);
    const error = this.applyChanges(draft, changes);
    if (error !== undefined) return error;
    draft.autoLeave = autoLeave;
    return this.finish(draft);
  }

  /** Leaves a joint configuration: outgoing voters not kept are dropped, learnersNext become learners. */
  leaveJoint(): ChangeResult | RaftError {
    if (!isJoint(this.tracker.config))
      return invalid('the configuration is not joint; there is nothing to leave');
    const draft = this.draft();
    for (const id of draft.learnersNext) {
      draft.learners.add(id);
      draft.progress.get(id)!.isLearner = true;
    }
    draft.learnersNext.clear();
    for (const id of draft.outgoing) {
      if (!draft.incoming.has(id) && !draft.learners.has(id)) draft.progress.delete(id);
    }
    draft.outgoing.clear();
    draft.autoLeave = false;
    return this.finish(draft);
  }

  /** Applies changes that alter at most one voter, outside a joint configuration. */
  simple(changes: readonly ConfChangeSingle[]): ChangeResult | RaftError {
    if (isJoint(this.tracker.config)) return invalid('cannot apply a simple change in a joint configuration');
    const draft = this.draft();
    const error = this.applyChanges(draft, changes);
    if (error !== undefined) return error;
    const result = this.finish(draft);
    if (isRaftError(result)) return result;
    if (this.voterDelta(result) > 1) {
      return invalid('more than one voter changed without entering a joint configuration');
    }
    return result;
  }

  /** How many voters differ between the current incoming configuration and `result`'s. */
  private voterDelta(result: ChangeResult): number {
    const before = this.tracker.config.voters.incoming;
    const after = result.config.voters.incoming;
    let delta = 0;
    for (const id of before) if (!after.includes(id)) delta++;
    for (const id of after) if (!before.includes(id)) delta++;
    return delta;
  }

  private draft(): Draft {
    const config = this.tracker.config;
    const progress = new Map<NodeId, Progress>();
    for (const [id, pr] of this.tracker.progress) progress.set(id, pr.clone());
    return {
      incoming: new Set(config.voters.incoming),
      outgoing: new Set(config.voters.outgoing),
      learners: new Set(config.learners),
      learnersNext: new Set(config.learnersNext),
      autoLeave: config.autoLeave,
      progress,
    };
  }

  private applyChanges(draft: Draft, changes: readonly ConfChangeSingle[]): RaftError | undefined {
    for (const change of changes) {
      if (change.nodeId === '') return invalid('a conf change names an empty node id');
      switch (change.kind) {
        case 'addVoter':
          this.makeVoter(draft, change.nodeId);
          break;
        case 'addLearner':
          this.makeLearner(draft, change.nodeId);
          break;
        case 'removeNode':
          this.remove(draft, change.nodeId);
          break;
      }
    }
    if (draft.incoming.size === 0) return invalid('the change would remove every voter');
    return undefined;
  }

  private makeVoter(draft: Draft, id: NodeId): void {
    const pr = draft.progress.get(id);
    if (pr === undefined) {
      draft.progress.set(id, this.tracker.newProgress(Math.max(this.lastIndex, 1), false));
    } else {
      pr.isLearner = false;
    }
    draft.learners.delete(id);
    draft.learnersNext.delete(id);
    draft.incoming.add(id);
  }

  private makeLearner(draft: Draft, id: NodeId): void {
    const pr = draft.progress.get(id);
    if (pr === undefined) {
      draft.progress.set(id, this.tracker.newProgress(Math.max(this.lastIndex, 1), true));
      draft.learners.add(id);
      return;
    }
    if (pr.isLearner) return;
    this.remove(draft, id);
    draft.progress.set(id, pr);
    // A voter of the outgoing half stays a voter until the joint configuration is left.
    if (draft.outgoing.has(id)) {
      draft.learnersNext.add(id);
    } else {
      pr.isLearner = true;
      draft.learners.add(id);
    }
  }

  private remove(draft: Draft, id: NodeId): void {
    if (!draft.progress.has(id)) return;
    draft.incoming.delete(id);
    draft.learners.delete(id);
    draft.learnersNext.delete(id);
    // An outgoing voter keeps its progress: it still counts until the joint configuration is left.
    if (!draft.outgoing.has(id)) draft.progress.delete(id);
  }

  private finish(draft: Draft): ChangeResult | RaftError {
    const config: TrackerConfig = {
      voters: { incoming: sorted(draft.incoming), outgoing: sorted(draft.outgoing) },
      learners: sorted(draft.learners),
      learnersNext: sorted(draft.learnersNext),
      autoLeave: draft.autoLeave,
    };
    const error = checkInvariants(config, draft.progress);
    if (error !== undefined) return invalid(error);
    return { config, progress: draft.progress };
  }
}

/** The configuration's internal consistency, as a message describing the first violation found. */
export function checkInvariants(
  config: TrackerConfig,
  progress: ReadonlyMap<NodeId, Progress>,
): string | undefined {
  const { incoming, outgoing } = config.voters;
  for (const id of [...incoming, ...outgoing, ...config.learners, ...config.learnersNext]) {
    if (!progress.has(id)) return `member ${id} has no progress`;
  }
  for (const id of config.learnersNext) {
    if (!outgoing.includes(id)) return `${id} is in learnersNext but not an outgoing voter`;
    if (progress.get(id)!.isLearner) return `${id} is in learnersNext but already marked a learner`;
  }
  for (const id of config.learners) {
    if (incoming.includes(id) || outgoing.includes(id)) return `${id} is both a learner and a voter`;
    if (!progress.get(id)!.isLearner) return `learner ${id} is not marked a learner`;
  }
  for (const id of [...incoming, ...outgoing]) {
    if (progress.get(id)!.isLearner && !config.learnersNext.includes(id))
      return `voter ${id} is marked a learner`;
  }
  for (const id of progress.keys()) {
    if (!incoming.includes(id) && !outgoing.includes(id) && !config.learners.includes(id)) {
      return `${id} has progress but is not a member`;
    }
  }
  if (outgoing.length === 0) {
    if (config.learnersNext.length > 0) return 'learnersNext is set outside a joint configuration';
    if (config.autoLeave) return 'autoLeave is set outside a joint configuration';
  }
  return undefined;
}

/** Rebuilds the configuration and fresh progress from a persisted ConfState. */
export function restoreConfState(
  tracker: ProgressTracker,
  lastIndex: number,
  state: ConfState,
): ChangeResult | RaftError {
  const progress = new Map<NodeId, Progress>();
  const next = lastIndex + 1;
  for (const id of [...state.voters, ...state.votersOutgoing])
    progress.set(id, tracker.newProgress(next, false));
  for (const id of state.learners) progress.set(id, tracker.newProgress(next, true));
  const config: TrackerConfig = {
    voters: {
      incoming: [...new Set(state.voters)].sort(),
      outgoing: [...new Set(state.votersOutgoing)].sort(),
    },
    learners: [...new Set(state.learners)].sort(),
    learnersNext: [...new Set(state.learnersNext)].sort(),
    autoLeave: state.autoLeave,
  };
  const empty = config.voters.incoming.length === 0;
  if (empty && (config.voters.outgoing.length > 0 || config.learners.length > 0)) {
    return invalid('a configuration with members must have incoming voters');
  }
  const error = checkInvariants(config, progress);
  return error === undefined ? { config, progress } : invalid(`inconsistent ConfState: ${error}`);
}
