// Log replication: commitment by quorum, the Ready persistence contract, flow control (probe,
// replicate, inflight limits, batching) and fast back-off over conflicting logs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { entrySize } from './entry-size.ts';
import { bytes, RaftNetwork } from './testing.ts';
import type { Message } from './types.ts';

function commitOf(net: RaftNetwork, id: string): number {
  return net.node(id).status().hardState.commit;
}

function progressOf(net: RaftNetwork, leader: string, id: string) {
  const progress = net.node(leader).status().progress?.get(id);
  assert.ok(progress !== undefined, `${leader} tracks ${id}`);
  return progress;
}

const appendsWithEntries = (to: string) => (m: Message) =>
  m.type === 'append' && m.to === to && m.entries.length > 0;

describe('replication', () => {
  it('commits an entry once a quorum holds it, and catches up a member that missed it', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.cut('a', 'c');
    assert.equal(net.propose('a', 'x'), undefined);
    net.stabilize();
    assert.deepEqual(net.member('a').state, ['x']);
    assert.deepEqual(net.member('b').state, ['x']);
    assert.deepEqual(net.member('c').state, []);
    net.heal();
    net.tickAll(1);
    assert.deepEqual(net.member('c').state, ['x']);
  });

  it('does not commit without a quorum', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.elect('a');
    net.isolate('a');
    net.propose('a', 'x');
    net.stabilize();
    assert.equal(commitOf(net, 'a'), 1, 'only the election entry is committed');
    assert.deepEqual(net.member('a').state, []);
  });

  it('followers forward proposals to the leader', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    assert.equal(net.propose('c', 'from c'), undefined);
    net.stabilize();
    for (const id of ['a', 'b', 'c']) assert.deepEqual(net.member(id).state, ['from c']);
  });

  it('a new leader appends an empty entry of its term', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('b');
    const [entry] = net.member('a').committed;
    assert.deepEqual(
      { term: entry?.term, index: entry?.index, type: entry?.type, size: entry?.data.byteLength },
      { term: 1, index: 1, type: 'normal', size: 0 },
    );
  });

  it('hands out at most maxCommittedSizePerReady bytes of committed entries per Ready', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    for (let i = 0; i < 10; i++) net.propose('a', 'x'.repeat(100));
    net.stabilize();
    // Restart c as if it had applied nothing: it hands out its whole log again, in bounded Readys.
    net.member('c').appliedIndex = 0;
    net.restart('c', { maxCommittedSizePerReady: 300 });
    const c = net.node('c');
    const counts: number[] = [];
    while (c.hasReady()) {
      const ready = c.ready();
      counts.push(ready.committedEntries.length);
      c.advance(ready);
    }
    assert.deepEqual(
      counts,
      [3, 2, 2, 2, 2],
      'entries of 116 bytes (16 for the empty one), up to 300 bytes a Ready',
    );
  });

  describe('the persistence contract', () => {
    it("a follower's append response waits in messagesAfterPersist, with mustSync", () => {
      const net = new RaftNetwork(['a', 'b', 'c']);
      net.elect('a');
      net.propose('a', 'x');
      net.processReady('a');
      net.deliverOne();
      const b = net.node('b');
      const ready = b.ready();
      assert.equal(ready.entries.length, 1);
      assert.equal(ready.mustSync, true);
      assert.deepEqual(ready.messages, [], 'nothing may leave b before the entry is on disk');
      assert.deepEqual(
        ready.messagesAfterPersist.map((m) => [m.type, m.to, m.index]),
        [['appendResponse', 'a', 2]],
      );
      net.member('b').storage.append(ready.entries);
      b.advance(ready);
    });

    it("a leader's appends go out at once, and its own copy counts only after advance()", () => {
      const net = new RaftNetwork(['a', 'b', 'c']);
      net.elect('a');
      net.isolate('c');
      const a = net.node('a');
      a.propose(bytes('x'));
      const ready = a.ready();
      assert.deepEqual(
        ready.messages.map((m) => [m.type, m.to, m.entries.length]),
        [
          ['append', 'b', 1],
          ['append', 'c', 1],
        ],
        'sent before the leader persists: its fsync overlaps the followers',
      );
      net.send(...ready.messages);
      net.stabilize();
      assert.equal(commitOf(net, 'a'), 1, "b's copy alone is not a quorum of 3");
      net.member('a').storage.append(ready.entries);
      a.advance(ready);
      assert.equal(commitOf(net, 'a'), 2, 'with its own persisted copy, a has a quorum');
      net.stabilize();
      assert.deepEqual(net.member('a').state, ['x']);
    });

    it('two followers are a quorum of three even before the leader persists', () => {
      const net = new RaftNetwork(['a', 'b', 'c']);
      net.elect('a');
      const a = net.node('a');
      a.propose(bytes('x'));
      const ready = a.ready();
      net.send(...ready.messages);
      net.stabilize();
      assert.equal(commitOf(net, 'a'), 2);
      net.member('a').storage.append(ready.entries);
      a.advance(ready);
    });

    it("a candidate's own vote counts only after advance()", () => {
      const net = new RaftNetwork(['a'], { config: { preVote: false } });
      const a = net.node('a');
      a.campaign();
      const ready = a.ready();
      assert.deepEqual(ready.hardState, { term: 1, vote: 'a', commit: 0 });
      assert.equal(a.status().role, 'candidate', 'a single voter still waits for its vote to be durable');
      a.advance(ready);
      assert.equal(a.status().role, 'leader');
    });
  });

  describe('flow control', () => {
    it('probes a follower, then replicates to it once it answers', () => {
      const net = new RaftNetwork(['a', 'b', 'c']);
      net.elect('a');
      assert.equal(progressOf(net, 'a', 'b').state, 'replicate');
      net.node('a').reportUnreachable('b');
      assert.equal(progressOf(net, 'a', 'b').state, 'probe');
      net.propose('a', 'x');
      net.stabilize();
      assert.equal(progressOf(net, 'a', 'b').state, 'replicate');
      assert.equal(progressOf(net, 'a', 'b').match, 2);
    });

    it('in probe state, sends one append per heartbeat until the follower answers', () => {
      const net = new RaftNetwork(['a', 'b', 'c']);
      net.elect('a');
      net.node('a').reportUnreachable('b');
      net.cut('a', 'b');
      for (let i = 0; i < 5; i++) net.propose('a', `x${i}`);
      net.stabilize();
      const probes = net.delivered.length;
      net.heal();
      net.stabilize();
      assert.equal(net.delivered.length, probes, 'nothing more is sent to b until a heartbeat');
      net.tickAll(1);
      assert.deepEqual(net.member('b').state, ['x0', 'x1', 'x2', 'x3', 'x4']);
    });

    it('pipelines at most maxInflightMsgs appends to a follower that has not answered', () => {
      const net = new RaftNetwork(['a', 'b', 'c'], { config: { maxInflightMsgs: 3 } });
      net.elect('a');
      net.dropWhen((m) => m.type === 'appendResponse' && m.from === 'b');
      const sent = net.delivered.length;
      for (let i = 0; i < 10; i++) {
        net.propose('a', `x${i}`);
        net.stabilize();
      }
      const appendsToB = net.delivered.slice(sent).filter(appendsWithEntries('b'));
      assert.equal(appendsToB.length, 3);
      assert.equal(progressOf(net, 'a', 'b').inflight, 3);
      net.heal();
      net.tickAll(2);
      assert.equal(net.member('b').state.length, 10, 'once b answers, the rest flows');
    });

    it('pipelines at most maxInflightBytes of payload to a follower that has not answered', () => {
      const net = new RaftNetwork(['a', 'b', 'c'], { config: { maxInflightBytes: 200 } });
      net.elect('a');
      net.dropWhen((m) => m.type === 'appendResponse' && m.from === 'b');
      const sent = net.delivered.length;
      for (let i = 0; i < 10; i++) {
        net.propose('a', 'x'.repeat(100));
        net.stabilize();
      }
      assert.equal(net.delivered.slice(sent).filter(appendsWithEntries('b')).length, 2);
    });

    it('batches catch-up entries up to maxSizePerMsg bytes per append, at least one entry each', () => {
      const maxSizePerMsg = 350;
      const net = new RaftNetwork(['a', 'b', 'c'], { config: { maxSizePerMsg } });
      net.elect('a');
      net.cut('a', 'c');
      for (let i = 0; i < 20; i++) net.propose('a', `${i}`.padStart(100, '.'));
      net.propose('a', 'y'.repeat(1000));
      net.stabilize();
      const sent = net.delivered.length;
      net.heal();
      net.tickAll(3);
      const batches = net.delivered.slice(sent).filter(appendsWithEntries('c'));
      const sizes = batches.map((m) => m.entries.reduce((sum, e) => sum + entrySize(e), 0));
      assert.deepEqual(
        batches.map((m) => m.entries.length),
        [3, 3, 3, 3, 3, 3, 2, 1],
        `116-byte entries go 3 to a message of at most ${maxSizePerMsg} bytes; the 1016-byte one alone`,
      );
      assert.ok(sizes.slice(0, -1).every((size) => size <= maxSizePerMsg));
      assert.equal(net.member('c').state.length, 21);
    });
  });

  describe('conflicts and fast back-off', () => {
    it('a follower with a long conflicting tail is repaired in a few round trips', () => {
      const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
      net.elect('a');
      net.isolate('a');
      for (let i = 0; i < 100; i++) net.propose('a', `stale${i}`);
      net.stabilize();
      net.elect('b');
      for (let i = 0; i < 50; i++) net.propose('b', `fresh${i}`);
      net.stabilize();
      net.heal();
      const sent = net.delivered.length;
      net.tickAll(1);
      const rejections = net.delivered
        .slice(sent)
        .filter((m) => m.type === 'appendResponse' && m.from === 'a' && m.reject);
      assert.ok(rejections.length <= 2, `${rejections.length} rejections to skip 100 stale entries`);
      assert.equal(net.member('a').state.length, 50);
      assert.ok(net.member('a').state.every((value) => value.startsWith('fresh')));
      assert.equal(net.node('a').status().lastIndex, net.node('b').status().lastIndex);
    });

    it('a follower that is merely behind tells the leader its last index at once', () => {
      const net = new RaftNetwork(['a', 'b', 'c']);
      net.elect('a');
      net.isolate('c');
      for (let i = 0; i < 100; i++) net.propose('a', `v${i}`);
      net.stabilize();
      net.heal();
      net.node('a').reportUnreachable('c');
      const sent = net.delivered.length;
      net.tickAll(1);
      const rejections = net.delivered
        .slice(sent)
        .filter((m) => m.type === 'appendResponse' && m.from === 'c' && m.reject);
      assert.ok(rejections.length <= 1);
      assert.equal(net.member('c').state.length, 100);
    });
  });
});
