// ReadIndex: linearizable reads confirmed by a quorum heartbeat round, never served by a leader
// that could be stale.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytes, RaftNetwork, text } from './testing.ts';

function readsOf(net: RaftNetwork, id: string): [string, number][] {
  return net.member(id).readStates.map((r) => [text(r.context), r.index]);
}

function heartbeatRounds(net: RaftNetwork, from: number): number {
  const contexts = new Set<string>();
  for (const m of net.delivered.slice(from)) {
    if (m.type === 'heartbeat' && m.context !== undefined) contexts.add([...m.context].join(','));
  }
  return contexts.size;
}

describe('ReadIndex', () => {
  it('the leader answers with its commit index once a quorum acknowledged a heartbeat round', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.stabilize();
    const a = net.node('a');
    assert.equal(a.readIndex(bytes('r1')), undefined);
    assert.equal(a.hasReady(), true);
    const ready = a.ready();
    assert.deepEqual(ready.readStates, [], 'not before the quorum round');
    assert.deepEqual(
      ready.messages.map((m) => [m.type, m.to, m.context !== undefined]),
      [
        ['heartbeat', 'b', true],
        ['heartbeat', 'c', true],
      ],
    );
    net.send(...ready.messages);
    a.advance(ready);
    net.stabilize();
    assert.deepEqual(readsOf(net, 'a'), [['r1', 2]]);
  });

  it('one acknowledgement is enough in a cluster of three (the leader counts itself)', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    net.node('a').readIndex(bytes('r'));
    net.stabilize();
    assert.deepEqual(readsOf(net, 'a'), [['r', 1]]);
  });

  it('a leader that has not committed an entry of its term holds reads until it has', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    // Hold back the answers to the new leader's empty entry.
    net.dropWhen((m) => m.type === 'appendResponse' && m.to === 'a' && m.from !== 'a');
    net.elect('a');
    assert.equal(net.node('a').status().hardState.commit, 0);
    net.node('a').readIndex(bytes('early'));
    net.stabilize();
    net.tickAll(1);
    assert.deepEqual(readsOf(net, 'a'), []);
    net.heal();
    net.tickAll(1);
    assert.deepEqual(readsOf(net, 'a'), [['early', 1]], 'answered at the commit index of its own term');
  });

  it('a partitioned stale leader cannot serve a read', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.elect('a');
    net.isolate('a');
    net.elect('b');
    net.propose('b', 'new');
    net.stabilize();
    assert.equal(net.node('a').status().role, 'leader', 'a still believes it leads');
    assert.equal(net.node('a').readIndex(bytes('stale?')), undefined);
    net.tick('a', 5);
    net.stabilize();
    assert.deepEqual(readsOf(net, 'a'), [], 'no quorum ever confirms a');
  });

  it('with the readWithoutQuorum bug, the same stale leader serves a stale read', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.restart('a', { unsafeBugs: { readWithoutQuorum: true } });
    net.elect('a');
    net.isolate('a');
    net.elect('b');
    net.propose('b', 'new');
    net.stabilize();
    net.node('a').readIndex(bytes('stale'));
    net.stabilize();
    assert.deepEqual(readsOf(net, 'a'), [['stale', 1]], 'misses the write committed at index 3');
  });

  it("a follower's read is forwarded to the leader and answered with the leader's commit index", () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.stabilize();
    assert.equal(net.node('c').readIndex(bytes('from c')), undefined);
    net.stabilize();
    assert.deepEqual(readsOf(net, 'c'), [['from c', 2]]);
    assert.ok(net.delivered.some((m) => m.type === 'readIndex' && m.from === 'c' && m.to === 'a'));
    assert.ok(net.delivered.some((m) => m.type === 'readIndexResponse' && m.to === 'c'));
  });

  it('reads arriving while a round is in flight share the next round', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    const a = net.node('a');
    const start = net.delivered.length;
    a.readIndex(bytes('r1'));
    net.processReadies();
    for (let i = 2; i <= 6; i++) a.readIndex(bytes(`r${i}`));
    net.stabilize();
    assert.deepEqual(
      readsOf(net, 'a').map(([context]) => context),
      ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'],
    );
    assert.equal(heartbeatRounds(net, start), 2, 'one round for r1, one shared by r2..r6');
  });

  it('a lost confirmation round completes with the next periodic heartbeat', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.dropWhen((m) => m.type === 'heartbeatResponse');
    net.node('a').readIndex(bytes('r'));
    net.stabilize();
    assert.deepEqual(readsOf(net, 'a'), []);
    net.heal();
    net.tickAll(1);
    assert.deepEqual(readsOf(net, 'a'), [['r', 1]]);
  });

  it('a single-voter cluster answers at once', () => {
    const net = new RaftNetwork(['a']);
    net.elect('a');
    net.node('a').readIndex(bytes('solo'));
    net.stabilize();
    assert.deepEqual(readsOf(net, 'a'), [['solo', 1]]);
    assert.equal(net.delivered.length, 0);
  });

  it('a single voter whose commit index was not synced before a crash answers only after committing in its new term', () => {
    const net = new RaftNetwork(['a']);
    net.elect('a');
    for (let i = 0; i < 5; i++) net.propose('a', `v${i}`);
    net.stabilize();
    const a = net.member('a');
    // Entries 2..6 are durable; the commit index covering them (synced only with them) was lost.
    a.storage.setHardState({ ...a.node.status().hardState, commit: 3 });
    a.appliedIndex = 0;
    a.state = [];
    net.restart('a');
    a.node.campaign();
    while (a.node.status().role !== 'leader') net.processReady('a');
    assert.equal(a.node.status().hardState.commit, 3);
    assert.equal(a.node.readIndex(bytes('after restart')), undefined);
    net.stabilize();
    assert.deepEqual(
      readsOf(net, 'a'),
      [['after restart', 7]],
      'not 3: v3 and v4 were acknowledged before the crash',
    );
  });

  it('refuses reads beyond maxPendingReadIndexRequests', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { maxPendingReadIndexRequests: 3 } });
    net.elect('a');
    net.isolate('a');
    const a = net.node('a');
    for (let i = 0; i < 3; i++) assert.equal(a.readIndex(bytes(`r${i}`)), undefined);
    assert.equal(a.readIndex(bytes('one too many'))?.code, 'readIndexLimit');
  });

  it('a follower without a leader refuses a read', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    assert.equal(net.node('b').readIndex(bytes('r'))?.code, 'noLeader');
  });
});
