// Leadership transfer: catch the target up, then tell it to campaign at once.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytes, RaftNetwork } from './testing.ts';

function statusOf(net: RaftNetwork, id: string) {
  return net.node(id).status();
}

describe('leadership transfer', () => {
  it('hands leadership to an up-to-date voter without waiting for a timeout', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    const sent = net.delivered.length;
    assert.equal(net.node('a').transferLeader('b'), undefined);
    net.stabilize();
    assert.equal(net.leader(), 'b');
    assert.equal(statusOf(net, 'b').hardState.term, 2);
    assert.equal(statusOf(net, 'a').leader, 'b');
    const timeoutNow = net.delivered.slice(sent).find((m) => m.type === 'timeoutNow');
    assert.deepEqual([timeoutNow?.from, timeoutNow?.to], ['a', 'b']);
    assert.ok(
      net.delivered.slice(sent).every((m) => m.type !== 'preVote'),
      'the target skips pre-vote: its campaign carries the transfer context',
    );
  });

  it('catches a target that is behind up first, then transfers', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 10; i++) net.propose('a', `v${i}`);
    net.stabilize();
    net.heal();
    const sent = net.delivered.length;
    assert.equal(net.node('a').transferLeader('c'), undefined);
    net.stabilize();
    assert.equal(net.leader(), 'c');
    const sequence = net.delivered
      .slice(sent)
      .filter((m) => m.to === 'c' && (m.type === 'append' || m.type === 'timeoutNow'));
    assert.equal(sequence.at(-1)?.type, 'timeoutNow', 'timeoutNow only after the appends');
    assert.ok(sequence.some((m) => m.type === 'append' && m.entries.length > 0));
    assert.equal(net.member('c').state.length, 10);
  });

  it('refuses proposals while a transfer is in progress', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.cut('a', 'c');
    net.node('a').transferLeader('c');
    assert.equal(net.propose('a', 'x')?.code, 'transferInProgress');
    assert.equal(statusOf(net, 'a').leadTransferee, 'c');
  });

  it('aborts the transfer after an election timeout, and accepts proposals again', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.cut('a', 'c');
    net.node('a').transferLeader('c');
    net.tick('a', 9);
    assert.equal(statusOf(net, 'a').leadTransferee, 'c');
    net.tick('a');
    assert.equal(statusOf(net, 'a').leadTransferee, null);
    assert.equal(net.leader(), 'a');
    assert.equal(net.propose('a', 'x'), undefined);
  });

  it('a follower forwards the request to the leader', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    assert.equal(net.node('b').transferLeader('c'), undefined);
    net.stabilize();
    assert.equal(net.leader(), 'c');
  });

  it('the target campaigns even while the others hold a leader lease', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.tickAll(2);
    net.node('a').transferLeader('c');
    net.stabilize();
    assert.equal(net.leader(), 'c');
  });

  it('refuses a target that is not a voter; transferring to itself does nothing', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    assert.equal(net.node('a').transferLeader('zz')?.code, 'notMember');
    net.addMember('d');
    net.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'addLearner', nodeId: 'd' }] });
    net.stabilize();
    assert.equal(net.node('a').transferLeader('d')?.code, 'notMember');
    assert.equal(net.node('a').transferLeader('a'), undefined);
    assert.equal(statusOf(net, 'a').leadTransferee, null);
    assert.equal(net.node('a').propose(bytes('still leading')), undefined);
  });

  it('a follower without a leader cannot forward a transfer', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    assert.equal(net.node('b').transferLeader('c')?.code, 'noLeader');
  });
});
