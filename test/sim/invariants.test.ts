// Each invariant must be able to fire: feed ClusterInvariants small hand-made violations.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryStorage } from '../../core/raft/index.ts';
import type { Entry, HardState, Message, Ready } from '../../core/raft/types.ts';
import { ClusterInvariants, InvariantViolation } from './invariants.ts';

const INITIAL = 'empty';

function entry(index: number, term: number, data = index): Entry {
  return { index, term, type: 'normal', data: new Uint8Array([data]) };
}

function ready(fields: Partial<Ready>): Ready {
  return {
    entries: [],
    mustSync: false,
    messages: [],
    messagesAfterPersist: [],
    committedEntries: [],
    readStates: [],
    ...fields,
  };
}

const NO_HARD_STATE: HardState = { term: 0, vote: null, commit: 0 };

function throwsViolation(action: () => void, invariant: string): void {
  assert.throws(
    action,
    (error: unknown) => error instanceof InvariantViolation && error.invariant === invariant,
  );
}

/** Writes entries (and a hard state) as a member would, checking them on the way. */
function write(
  invariants: ClusterInvariants,
  id: string,
  storage: MemoryStorage,
  entries: Entry[],
  hardState: HardState,
  role: 'leader' | 'follower' = 'follower',
): void {
  const r = ready({ entries, hardState, mustSync: true });
  const previous = storage.initialState().hardState;
  invariants.readyProduced(
    { id, storage, hardState: previous, leaderTermAtPreviousReady: null },
    r,
    role,
    hardState.term,
  );
  storage.append(entries);
  storage.setHardState(hardState);
  invariants.persisted(id, storage, hardState, role, hardState.term);
}

describe('cluster invariants fire on violations', () => {
  it('election safety: two leaders in one term', () => {
    const invariants = new ClusterInvariants(INITIAL);
    const context = (id: string) => ({
      id,
      storage: MemoryStorage.bootstrap(['a', 'b']),
      hardState: NO_HARD_STATE,
      leaderTermAtPreviousReady: null,
    });
    invariants.readyProduced(context('a'), ready({}), 'leader', 3);
    throwsViolation(() => invariants.readyProduced(context('b'), ready({}), 'leader', 3), 'election safety');
  });

  it('log matching: two members hold different entries at the same index and term', () => {
    const invariants = new ClusterInvariants(INITIAL);
    write(invariants, 'a', MemoryStorage.bootstrap(['a', 'b']), [entry(1, 1, 7)], {
      term: 1,
      vote: 'a',
      commit: 0,
    });
    throwsViolation(
      () =>
        write(invariants, 'b', MemoryStorage.bootstrap(['a', 'b']), [entry(1, 1, 8)], {
          term: 1,
          vote: 'a',
          commit: 0,
        }),
      'log matching',
    );
  });

  it('leader append-only: a leader rewrites its own log', () => {
    const invariants = new ClusterInvariants(INITIAL);
    const storage = MemoryStorage.bootstrap(['a']);
    storage.append([entry(1, 2), entry(2, 2)]);
    const context = {
      id: 'a',
      storage,
      hardState: { term: 2, vote: 'a', commit: 0 },
      leaderTermAtPreviousReady: 2,
    };
    throwsViolation(
      () =>
        invariants.readyProduced(context, ready({ entries: [entry(2, 2, 9)], mustSync: true }), 'leader', 2),
      'leader append-only',
    );
  });

  it('durability: entries without mustSync, a vote granted before it is persisted', () => {
    const invariants = new ClusterInvariants(INITIAL);
    const context = {
      id: 'a',
      storage: MemoryStorage.bootstrap(['a', 'b']),
      hardState: NO_HARD_STATE,
      leaderTermAtPreviousReady: null,
    };
    throwsViolation(
      () =>
        invariants.readyProduced(context, ready({ entries: [entry(1, 1)], mustSync: false }), 'follower', 1),
      'durability',
    );
    const grant: Message = {
      type: 'voteResponse',
      from: 'a',
      to: 'b',
      term: 1,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
    };
    throwsViolation(
      () =>
        invariants.readyProduced(
          context,
          ready({ hardState: { term: 1, vote: 'b', commit: 0 }, mustSync: true, messages: [grant] }),
          'follower',
          1,
        ),
      'durability',
    );
  });

  it('leader completeness: a new leader lacks a committed entry', () => {
    const invariants = new ClusterInvariants(INITIAL);
    write(invariants, 'a', MemoryStorage.bootstrap(['a', 'b', 'c']), [entry(1, 1)], {
      term: 1,
      vote: 'a',
      commit: 1,
    });
    throwsViolation(
      () =>
        write(
          invariants,
          'b',
          MemoryStorage.bootstrap(['a', 'b', 'c']),
          [],
          { term: 2, vote: 'b', commit: 0 },
          'leader',
        ),
      'leader completeness',
    );
  });

  it('leader completeness binds later terms only: a stale leader of an earlier term may lack newer entries', () => {
    const invariants = new ClusterInvariants(INITIAL);
    // Entry 1 (of term 3) is committed in term 3; then a candidate of term 2 counts its old votes.
    write(invariants, 'a', MemoryStorage.bootstrap(['a', 'b', 'c']), [entry(1, 3)], {
      term: 3,
      vote: 'a',
      commit: 1,
    });
    write(
      invariants,
      'b',
      MemoryStorage.bootstrap(['a', 'b', 'c']),
      [],
      { term: 2, vote: 'b', commit: 0 },
      'leader',
    );
    // A leader of term 4 must hold it.
    throwsViolation(
      () =>
        write(
          invariants,
          'c',
          MemoryStorage.bootstrap(['a', 'b', 'c']),
          [],
          { term: 4, vote: 'c', commit: 0 },
          'leader',
        ),
      'leader completeness',
    );
  });

  it('committed entries never change', () => {
    const invariants = new ClusterInvariants(INITIAL);
    write(invariants, 'a', MemoryStorage.bootstrap(['a', 'b']), [entry(1, 1)], {
      term: 1,
      vote: 'a',
      commit: 1,
    });
    throwsViolation(
      () =>
        write(invariants, 'b', MemoryStorage.bootstrap(['a', 'b']), [entry(1, 2)], {
          term: 2,
          vote: 'b',
          commit: 1,
        }),
      'committed entries never change',
    );
  });

  it('commit index monotonic', () => {
    const invariants = new ClusterInvariants(INITIAL);
    const storage = MemoryStorage.bootstrap(['a']);
    write(invariants, 'a', storage, [entry(1, 1), entry(2, 1)], { term: 1, vote: 'a', commit: 2 });
    throwsViolation(
      () => invariants.persisted('a', storage, { term: 1, vote: 'a', commit: 1 }, 'follower', 1),
      'commit index monotonic',
    );
  });

  it('state machine safety: members apply different entries or reach different states', () => {
    const invariants = new ClusterInvariants(INITIAL);
    for (const id of ['a', 'b', 'c']) invariants.memberStarted(id, 0, 1, INITIAL);
    invariants.applied('a', entry(1, 1, 5), 'state-5');
    throwsViolation(() => invariants.applied('b', entry(1, 1, 6), 'state-6'), 'state machine safety');
    throwsViolation(() => invariants.applied('c', entry(1, 1, 5), 'another state'), 'state machine safety');
  });

  it('applied index monotonic: an entry skipped', () => {
    const invariants = new ClusterInvariants(INITIAL);
    invariants.memberStarted('a', 0, 5, INITIAL);
    throwsViolation(() => invariants.applied('a', entry(2, 1), 'x'), 'applied index monotonic');
  });

  it('leader commits only entries of its term: an old entry committed by counting replicas', () => {
    const invariants = new ClusterInvariants(INITIAL);
    const storage = MemoryStorage.bootstrap(['a', 'b', 'c']);
    storage.append([entry(1, 1)]);
    const context = {
      id: 'a',
      storage,
      hardState: { term: 2, vote: 'a', commit: 0 },
      leaderTermAtPreviousReady: 2,
    };
    throwsViolation(
      () =>
        invariants.readyProduced(
          context,
          ready({ hardState: { term: 2, vote: 'a', commit: 1 } }),
          'leader',
          2,
        ),
      'leader commits only entries of its term',
    );
  });
});
