// Quorum arithmetic. A majority configuration decides by more than half of its voters; a joint
// configuration (during a membership change) needs a majority of both its incoming and outgoing
// voters. An empty majority configuration agrees to everything, so a joint configuration with an
// empty outgoing half behaves as its incoming half alone.
import type { NodeId } from './types.ts';

export type VoteResult = 'pending' | 'won' | 'lost';

export interface JointConfig {
  readonly incoming: readonly NodeId[];
  readonly outgoing: readonly NodeId[];
}

// Scratch space for sorting acknowledged indexes without allocating on every commit check.
const scratch: number[] = [];

/**
 * The highest index acknowledged by a majority of `voters`; `indexOf` gives each voter's
 * acknowledged index (undefined counts as 0). Infinity for an empty configuration.
 */
export function majorityCommittedIndex(
  voters: readonly NodeId[],
  indexOf: (id: NodeId) => number | undefined,
): number {
  const n = voters.length;
  if (n === 0) return Number.POSITIVE_INFINITY;
  // Insertion sort, descending: configurations are small.
  for (let i = 0; i < n; i++) {
    const value = indexOf(voters[i]!) ?? 0;
    let j = i;
    while (j > 0 && scratch[j - 1]! < value) {
      scratch[j] = scratch[j - 1]!;
      j--;
    }
    scratch[j] = value;
  }
  // The (n/2+1)-th largest index is held by a majority.
  return scratch[Math.floor(n / 2)]!;
}

/** The outcome of an election in `voters`; `voteOf` is true (granted), false (rejected) or undefined (no answer yet). */
export function majorityVoteResult(
  voters: readonly NodeId[],
  voteOf: (id: NodeId) => boolean | undefined,
): VoteResult {
  const n = voters.length;
  if (n === 0) return 'won';
  const quorum = Math.floor(n / 2) + 1;
  let granted = 0;
  let missing = 0;
  for (const id of voters) {
    const vote = voteOf(id);
    if (vote === undefined) missing++;
    else if (vote) granted++;
  }
  if (granted >= quorum) return 'won';
  if (granted + missing >= quorum) return 'pending';
  return 'lost';
}

export function jointCommittedIndex(
  config: JointConfig,
  indexOf: (id: NodeId) => number | undefined,
): number {
  return Math.min(
    majorityCommittedIndex(config.incoming, indexOf),
    majorityCommittedIndex(config.outgoing, indexOf),
  );
}

export function jointVoteResult(
  config: JointConfig,
  voteOf: (id: NodeId) => boolean | undefined,
): VoteResult {
  const incoming = majorityVoteResult(config.incoming, voteOf);
  const outgoing = majorityVoteResult(config.outgoing, voteOf);
  if (incoming === outgoing) return incoming;
  if (incoming === 'lost' || outgoing === 'lost') return 'lost';
  return 'pending';
}
