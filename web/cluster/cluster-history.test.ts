import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { StatusResponseJson } from '../../core/protocol/index.ts';
import {
  ClusterHistory,
  type ClusterPoll,
  HISTORY_WINDOW_MS,
  MAX_EVENTS,
  type MemberReading,
} from './cluster-history.ts';

function member(
  id: string,
  role: StatusResponseJson['role'],
  term: number,
  revision: number,
  leader: string | null = null,
): MemberReading {
  const status: StatusResponseJson = {
    header: { revision, member: id, raftTerm: term },
    id,
    name: id,
    role,
    isLearner: false,
    leader,
    term,
    commit: revision + 10,
    applied: revision + 10,
    revision,
    protocolVersion: 1,
  };
  return { id, status };
}
const down = (id: string): MemberReading => ({ id, unreachable: 'connection refused' });
const poll = (at: number, ...members: MemberReading[]): ClusterPoll => ({ at, members });

describe('ClusterHistory', () => {
  test('a leader killed and replaced shows as leader lost, member down, then a new leader in a higher term', () => {
    const history = new ClusterHistory();
    history.record(poll(1000, member('m1', 'leader', 2, 5, 'm1'), member('m2', 'follower', 2, 5, 'm1')));
    history.record(poll(2000, down('m1'), member('m2', 'candidate', 3, 5)));
    history.record(poll(3000, down('m1'), member('m2', 'leader', 3, 6, 'm2')));
    assert.deepEqual(
      history.events.map((e) => [e.at, e.kind, e.member, e.term]),
      [
        [2000, 'memberDown', 'm1', null],
        [2000, 'leaderLost', 'm1', 2],
        [3000, 'leaderElected', 'm2', 3],
      ],
    );
    assert.deepEqual(
      history.spans('m2').map((s) => [s.state, s.term, s.from, s.to]),
      [
        ['follower', 2, 1000, 2000],
        ['candidate', 3, 2000, 3000],
        ['leader', 3, 3000, 3000],
      ],
    );
    assert.deepEqual(
      history.spans('m1').map((s) => s.state),
      ['leader', 'unreachable'],
    );
    assert.equal(history.lastAnswer('m1'), 1000);
    assert.equal(history.lastAnswer('m2'), 3000);
  });

  test('write rate is revisions per second, and never negative when the member with the newest revision dies', () => {
    const history = new ClusterHistory();
    history.record(poll(0, member('m1', 'leader', 1, 100), member('m2', 'follower', 1, 98)));
    history.record(poll(500, member('m1', 'leader', 1, 150), member('m2', 'follower', 1, 149)));
    history.record(poll(1500, down('m1'), member('m2', 'follower', 1, 149)));
    history.record(poll(2500, down('m1'), member('m2', 'leader', 2, 160)));
    assert.deepEqual(
      history.rates.map((r) => [r.at, r.writesPerSecond]),
      [
        [500, 100],
        [1500, 0],
        [2500, 10],
      ],
    );
  });

  test('commit latency is the mean over every member of the writes applied between two polls', () => {
    const withWrites = (reading: MemberReading, applied: number, latencyMsTotal: number): MemberReading =>
      'status' in reading
        ? { id: reading.id, status: { ...reading.status, writes: { applied, latencyMsTotal } } }
        : reading;
    const history = new ClusterHistory();
    history.record(
      poll(
        0,
        withWrites(member('m1', 'leader', 1, 1), 10, 50),
        withWrites(member('m2', 'follower', 1, 1), 0, 0),
      ),
    );
    // m1 took 3 writes (30 ms in all), m2 took 1 (10 ms): 40 ms over 4 writes.
    history.record(
      poll(
        1000,
        withWrites(member('m1', 'leader', 1, 5), 13, 80),
        withWrites(member('m2', 'follower', 1, 5), 1, 10),
      ),
    );
    // No writes: no latency to speak of.
    history.record(
      poll(
        2000,
        withWrites(member('m1', 'leader', 1, 5), 13, 80),
        withWrites(member('m2', 'follower', 1, 5), 1, 10),
      ),
    );
    // m2 restarted (its counters began again): only m1's 2 writes (8 ms) count.
    history.record(
      poll(
        3000,
        withWrites(member('m1', 'leader', 1, 7), 15, 88),
        withWrites(member('m2', 'follower', 1, 7), 0, 0),
      ),
    );
    assert.deepEqual(
      history.rates.map((r) => r.commitLatencyMs),
      [10, null, 4],
    );
  });

  test('a poll no member answered leaves a gap in the rate, not a zero', () => {
    const history = new ClusterHistory();
    history.record(poll(0, member('m1', 'leader', 1, 1)));
    history.record(poll(1000, down('m1')));
    history.record(poll(2000, member('m1', 'leader', 1, 3)));
    assert.deepEqual(
      history.rates.map((r) => [r.at, r.writesPerSecond]),
      [[2000, 2]],
    );
  });

  test('forgets polls and rates older than the window, and keeps at most MAX_EVENTS events', () => {
    const history = new ClusterHistory();
    // One poll a second for longer than the window, with a new leader (an event) in each.
    const polls = HISTORY_WINDOW_MS / 1000 + MAX_EVENTS;
    for (let i = 0; i <= polls; i++) {
      const leader = i % 2 === 0 ? 'm1' : 'm2';
      history.record(
        poll(
          i * 1000,
          member('m1', leader === 'm1' ? 'leader' : 'follower', i + 1, i),
          member('m2', leader === 'm2' ? 'leader' : 'follower', i + 1, i),
        ),
      );
    }
    const last = polls * 1000;
    assert.ok(history.polls.every((p) => p.at >= last - HISTORY_WINDOW_MS));
    assert.equal(history.polls.length, HISTORY_WINDOW_MS / 1000 + 1);
    assert.ok(history.rates.every((r) => r.at >= last - HISTORY_WINDOW_MS));
    assert.equal(history.events.length, MAX_EVENTS);
    assert.equal(history.events[history.events.length - 1]!.at, last);
  });

  test('refuses a poll older than the one before it', () => {
    const history = new ClusterHistory();
    history.record(poll(2000, member('m1', 'leader', 1, 1)));
    assert.throws(() => history.record(poll(1000, member('m1', 'leader', 1, 1))), /older than the previous/);
  });
});
