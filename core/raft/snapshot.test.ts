// Snapshots: a follower whose next entry was compacted away gets the leader's snapshot; a new,
// empty member starts from one.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftNetwork } from './testing.ts';

function progressOf(net: RaftNetwork, leader: string, id: string) {
  const progress = net.node(leader).status().progress?.get(id);
  assert.ok(progress !== undefined, `${leader} tracks ${id}`);
  return progress;
}

/** a leads; c missed 20 entries, which a then compacted away. */
function lagging(): RaftNetwork {
  const net = new RaftNetwork(['a', 'b', 'c']);
  net.elect('a');
  net.isolate('c');
  for (let i = 0; i < 20; i++) net.propose('a', `v${i}`);
  net.stabilize();
  net.snapshotAndCompact('a', net.node('a').status().confState);
  net.heal();
  return net;
}

describe('snapshot', () => {
  it('a lagging follower receives and installs the snapshot, then replicates from the log', () => {
    const net = lagging();
    net.tickAll(1);
    const c = net.member('c');
    assert.equal(c.snapshotsInstalled.length, 1);
    assert.equal(c.snapshotsInstalled[0]?.metadata.index, 21);
    assert.deepEqual(c.state, net.member('a').state);
    assert.equal(c.node.status().applied, 21);
    assert.equal(progressOf(net, 'a', 'c').state, 'replicate');
    net.propose('a', 'after');
    net.stabilize();
    assert.equal(c.state.at(-1), 'after');
  });

  it('progress goes probe → snapshot → replicate', () => {
    const net = lagging();
    net.node('a').reportUnreachable('c');
    net.tick('a');
    net.processReadies();
    // a's heartbeat reaches c; c's answer makes a look for entries c lacks: they are compacted.
    net.stabilize();
    assert.equal(net.member('c').snapshotsInstalled.length, 1);
    const snapshot = net.delivered.find((m) => m.type === 'snapshot');
    assert.ok(snapshot !== undefined);
    assert.equal(progressOf(net, 'a', 'c').state, 'replicate');
  });

  it('stays in snapshot state while the snapshot is in flight; a failed send falls back to probing', () => {
    const net = lagging();
    net.tick('a');
    net.processReadies();
    for (let i = 0; i < 10 && !net.queue.some((m) => m.type === 'snapshot'); i++) {
      net.deliverOne();
      net.processReadies();
    }
    const inFlight = net.take((m) => m.type === 'snapshot');
    assert.equal(inFlight.length, 1);
    assert.equal(progressOf(net, 'a', 'c').state, 'snapshot');
    const sent = net.delivered.length;
    net.propose('a', 'x');
    net.stabilize();
    assert.equal(
      net.delivered.slice(sent).filter((m) => m.type === 'append' && m.to === 'c' && m.entries.length > 0)
        .length,
      0,
      'no appends while the snapshot is pending',
    );
    net.node('a').reportSnapshot('c', 'failure');
    assert.equal(progressOf(net, 'a', 'c').state, 'probe');
    net.tickAll(2);
    assert.deepEqual(
      net.member('c').state,
      net.member('a').state,
      'the next heartbeat retries, with a new snapshot',
    );
  });

  it('a new empty member added as a learner catches up from the log when nothing was compacted', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    for (let i = 0; i < 5; i++) net.propose('a', `v${i}`);
    net.stabilize();
    net.addMember('d');
    net.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'addLearner', nodeId: 'd' }] });
    net.stabilize();
    net.tickAll(2);
    const d = net.member('d');
    assert.deepEqual(d.state, ['v0', 'v1', 'v2', 'v3', 'v4']);
    assert.deepEqual(
      d.node.status().confState.learners,
      ['d'],
      'd replayed every conf change from the start',
    );
    assert.deepEqual(d.node.status().confState.voters, ['a', 'b', 'c']);
  });

  it('a new empty member receives a snapshot when the log was compacted', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    for (let i = 0; i < 5; i++) net.propose('a', `v${i}`);
    net.stabilize();
    net.snapshotAndCompact('a', net.node('a').status().confState);
    net.addMember('d');
    net.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'addLearner', nodeId: 'd' }] });
    net.stabilize();
    net.tickAll(2);
    const d = net.member('d');
    assert.equal(d.snapshotsInstalled.at(-1)?.metadata.index, 6);
    assert.deepEqual(d.state, ['v0', 'v1', 'v2', 'v3', 'v4']);
    assert.deepEqual(
      d.node.status().confState.learners,
      ['d'],
      'the snapshot predates d; d applies its own addition from the log',
    );
    net.propose('a', 'v5');
    net.stabilize();
    assert.equal(d.state.at(-1), 'v5');
  });

  it('a member whose hard state was lost after a snapshot was saved restarts committed up to the snapshot', () => {
    const net = lagging();
    net.tickAll(1);
    const c = net.member('c');
    c.storage.setHardState({ term: 1, vote: 'a', commit: 1 });
    net.restart('c');
    assert.equal(c.node.status().hardState.commit, 21);
    net.propose('a', 'later');
    net.tickAll(1);
    assert.equal(c.state.at(-1), 'later');
  });

  it('a member restarted after installing a snapshot resumes from it', () => {
    const net = lagging();
    net.tickAll(1);
    net.restart('c');
    assert.equal(net.node('c').status().applied, 21);
    net.propose('a', 'later');
    net.tickAll(1);
    assert.equal(net.member('c').state.at(-1), 'later');
  });
});
