import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  jointCommittedIndex,
  jointVoteResult,
  majorityCommittedIndex,
  majorityVoteResult,
  type VoteResult,
} from './quorum.ts';

const IDS = ['n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'];

/** The definition: the highest index that more than half of the voters have reached. */
function naiveCommitted(voters: readonly string[], match: ReadonlyMap<string, number>): number {
  if (voters.length === 0) return Number.POSITIVE_INFINITY;
  let best = 0;
  for (const candidate of [0, ...match.values()]) {
    const reached = voters.filter((id) => (match.get(id) ?? 0) >= candidate).length;
    if (reached * 2 > voters.length) best = Math.max(best, candidate);
  }
  return best;
}

function naiveVote(voters: readonly string[], votes: ReadonlyMap<string, boolean>): VoteResult {
  if (voters.length === 0) return 'won';
  const granted = voters.filter((id) => votes.get(id) === true).length;
  const undecided = voters.filter((id) => !votes.has(id)).length;
  if (granted * 2 > voters.length) return 'won';
  if ((granted + undecided) * 2 > voters.length) return 'pending';
  return 'lost';
}

const voters = fc.subarray(IDS);
const matches = fc.dictionary(fc.constantFrom(...IDS), fc.nat(20)).map((d) => new Map(Object.entries(d)));
const votes = fc.dictionary(fc.constantFrom(...IDS), fc.boolean()).map((d) => new Map(Object.entries(d)));

describe('quorum', () => {
  it('majority committed index of 3 voters is the median acknowledgement', () => {
    const match = new Map([
      ['n1', 5],
      ['n2', 9],
      ['n3', 2],
    ]);
    assert.equal(
      majorityCommittedIndex(['n1', 'n2', 'n3'], (id) => match.get(id)),
      5,
    );
    assert.equal(
      majorityCommittedIndex(['n1', 'n2', 'n3', 'n4'], (id) => match.get(id)),
      2,
      'a member that has acknowledged nothing counts as 0',
    );
  });

  it('majority and joint committed indexes match the brute-force definition (20,000 runs)', () => {
    fc.assert(
      fc.property(voters, voters, matches, (incoming, outgoing, match) => {
        const indexOf = (id: string): number | undefined => match.get(id);
        assert.equal(majorityCommittedIndex(incoming, indexOf), naiveCommitted(incoming, match));
        const joint = jointCommittedIndex({ incoming, outgoing }, indexOf);
        assert.equal(joint, Math.min(naiveCommitted(incoming, match), naiveCommitted(outgoing, match)));
      }),
      { numRuns: 20_000 },
    );
  });

  it('vote results match the brute-force definition, joint needing both halves', () => {
    fc.assert(
      fc.property(voters, voters, votes, (incoming, outgoing, vote) => {
        const voteOf = (id: string): boolean | undefined => vote.get(id);
        assert.equal(majorityVoteResult(incoming, voteOf), naiveVote(incoming, vote));
        const a = naiveVote(incoming, vote);
        const b = naiveVote(outgoing, vote);
        const expected =
          a === 'won' && b === 'won' ? 'won' : a === 'lost' || b === 'lost' ? 'lost' : 'pending';
        assert.equal(jointVoteResult({ incoming, outgoing }, voteOf), expected);
      }),
      { numRuns: 5_000 },
    );
  });

  it('an empty configuration agrees to anything, so joint with an empty half is the other half', () => {
    assert.equal(
      majorityVoteResult([], () => undefined),
      'won',
    );
    assert.equal(
      jointCommittedIndex({ incoming: ['n1'], outgoing: [] }, () => 7),
      7,
    );
  });
});
