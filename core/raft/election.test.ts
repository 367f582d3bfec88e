// Leader election scenarios: timeouts, split votes, PreVote, CheckQuorum and the leader lease.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom } from '../random.ts';
import { defaultRaftConfig } from './config.ts';
import { RawNode } from './rawnode.ts';
import { MemoryStorage } from './storage.ts';
import { message, RaftNetwork } from './testing.ts';
import { TRANSFER_CONTEXT } from './types.ts';

function roleOf(net: RaftNetwork, id: string): string {
  return net.node(id).status().role;
}

function termOf(net: RaftNetwork, id: string): number {
  return net.node(id).status().hardState.term;
}

describe('election', () => {
  it('a follower that hears from no leader campaigns after its timeout and wins', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.tickAll(20);
    const leader = net.leader();
    assert.ok(leader !== undefined, 'some member became leader');
    assert.equal(termOf(net, leader), 1, 'PreVote moved the term only once');
    for (const id of ['a', 'b', 'c']) {
      assert.equal(net.node(id).status().leader, leader);
      assert.equal(net.member(id).node.status().hardState.commit, 1, "the new leader's empty entry commits");
    }
  });

  it('the election timeout is drawn from [electionTick, 2*electionTick) by the injected random', () => {
    const timeouts = new Set<number>();
    for (let seed = 0; seed < 60; seed++) {
      const node = new RawNode(
        defaultRaftConfig('a', MemoryStorage.bootstrap(['a', 'b', 'c']), createRandom(seed)),
      );
      let ticks = 0;
      while (node.status().role === 'follower') {
        node.tick();
        ticks++;
        assert.ok(ticks < 100, 'campaigned eventually');
      }
      assert.equal(node.status().role, 'preCandidate');
      timeouts.add(ticks);
    }
    assert.ok(Math.min(...timeouts) >= 10 && Math.max(...timeouts) <= 19, `timeouts ${[...timeouts]}`);
    assert.ok(timeouts.size >= 5, 'the timeouts are spread out');
  });

  it('a split vote elects nobody; a later election succeeds in a higher term', () => {
    const net = new RaftNetwork(['a', 'b', 'c', 'd'], { config: { preVote: false } });
    assert.equal(net.node('a').campaign(), undefined);
    assert.equal(net.node('b').campaign(), undefined);
    net.processReadies();
    // c hears a first, d hears b first: 2 votes each, 3 needed.
    const late = net.take((m) => m.from === 'a' && m.to === 'd');
    net.stabilize();
    net.send(...late);
    net.stabilize();
    assert.equal(net.leader(), undefined);
    assert.equal(termOf(net, 'a'), 1);
    assert.equal(roleOf(net, 'a'), 'follower', 'a lost: its voters are split');
    net.tickAll(40);
    const leader = net.leader();
    assert.ok(leader !== undefined);
    assert.ok(termOf(net, leader) >= 2);
  });

  it('grants one vote per term, to a candidate whose log is at least as up to date', () => {
    const node = new RawNode(
      defaultRaftConfig('c', MemoryStorage.bootstrap(['a', 'b', 'c']), createRandom(1)),
    );
    node.step(message({ type: 'vote', from: 'a', to: 'c', term: 1 }));
    node.step(message({ type: 'vote', from: 'b', to: 'c', term: 1 }));
    const ready = node.ready();
    assert.deepEqual(
      ready.messagesAfterPersist.map((m) => [m.to, m.type, m.reject]),
      [
        ['a', 'voteResponse', false],
        ['b', 'voteResponse', true],
      ],
    );
    assert.deepEqual(ready.hardState, { term: 1, vote: 'a', commit: 0 });
    assert.equal(ready.mustSync, true, 'a vote must be synced before it is sent');
  });

  it('refuses a candidate whose log is behind (election restriction)', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'x');
    net.stabilize();
    // c has entries 1..2 of term 1; a candidate with only entry 1 of term 1 is behind.
    const c = net.node('c');
    net.tick('c', 30);
    c.step(message({ type: 'vote', from: 'b', to: 'c', term: 5, index: 1, logTerm: 1 }));
    const ready = c.ready();
    const answer = ready.messagesAfterPersist.find((m) => m.to === 'b');
    assert.equal(answer?.reject, true);
  });

  it('PreVote: an isolated member that rejoins does not raise the term or unseat the leader', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 100; i++) {
      net.tick('c');
      net.stabilize();
    }
    assert.equal(roleOf(net, 'c'), 'preCandidate', 'c keeps asking, without a new term');
    assert.equal(termOf(net, 'c'), 1);
    net.heal();
    net.tickAll(3);
    assert.equal(net.leader(), 'a');
    assert.equal(termOf(net, 'a'), 1);
    assert.equal(roleOf(net, 'c'), 'follower');
    assert.equal(net.node('c').status().leader, 'a');
  });

  it('without PreVote and CheckQuorum, the same rejoining member disrupts the leader', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { preVote: false, checkQuorum: false } });
    net.elect('a');
    net.isolate('c');
    for (let i = 0; i < 100; i++) {
      net.tick('c');
      net.stabilize();
    }
    assert.ok(termOf(net, 'c') > 3, 'c raised its term again and again');
    net.heal();
    assert.equal(net.node('c').campaign(), undefined);
    net.stabilize();
    assert.notEqual(termOf(net, 'a'), 1, 'a was forced out of term 1');
  });

  it('the leader lease: a member that heard from its leader ignores vote requests, unless they follow a transfer', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    const c = net.node('c');
    c.step(message({ type: 'vote', from: 'b', to: 'c', term: 2, index: 1, logTerm: 1 }));
    assert.equal(c.hasReady(), false, 'ignored: no answer, no new term');
    assert.equal(termOf(net, 'c'), 1);
    c.step(
      message({ type: 'vote', from: 'b', to: 'c', term: 2, index: 1, logTerm: 1, context: TRANSFER_CONTEXT }),
    );
    const ready = c.ready();
    assert.deepEqual(
      ready.messagesAfterPersist.map((m) => [m.type, m.reject, m.term]),
      [['voteResponse', false, 2]],
    );
    c.advance(ready);
  });

  it('forgetLeader: when the leader dies, the first follower by id is elected within a tick, the next waits', () => {
    const net = new RaftNetwork(['a', 'b', 'c', 'd', 'e']);
    net.elect('a');
    net.isolate('a');
    for (const id of ['b', 'c', 'd', 'e']) {
      net.node(id).forgetLeader();
      net.tick(id);
    }
    assert.equal(roleOf(net, 'b'), 'preCandidate', 'b (first by id) campaigns after one tick');
    for (const id of ['c', 'd', 'e']) assert.equal(roleOf(net, id), 'follower', `${id} waits its turn`);
    net.stabilize();
    assert.equal(net.leader(), 'b');
    assert.equal(termOf(net, 'b'), 2, 'one pre-vote round, one real election');
    for (const id of ['c', 'd', 'e']) assert.equal(net.node(id).status().leader, 'b');
  });

  it('forgetLeader: a follower that alone lost its link cannot unseat a live leader', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.cut('a', 'b');
    net.node('b').forgetLeader();
    assert.equal(net.node('b').status().leader, null, 'b no longer honours a');
    net.tick('b');
    net.stabilize();
    assert.equal(roleOf(net, 'b'), 'preCandidate', 'b asked for pre-votes');
    assert.equal(termOf(net, 'b'), 1, 'c, in its lease, refused: no new term');
    net.heal();
    net.tickAll(1);
    assert.equal(net.leader(), 'a');
    assert.equal(termOf(net, 'a'), 1);
    assert.equal(net.node('b').status().leader, 'a', "a's next heartbeat took b back");
  });

  it('forgetLeader: a member that is leader, or that knows no leader, is unchanged', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.node('a').forgetLeader();
    assert.equal(roleOf(net, 'a'), 'leader');
    assert.equal(net.node('a').status().leader, 'a');
    const fresh = new RaftNetwork(['a', 'b', 'c']);
    fresh.node('b').forgetLeader();
    fresh.tick('b', 9);
    assert.equal(roleOf(fresh, 'b'), 'follower', 'no leader to forget: the normal timeout stands');
  });

  it('CheckQuorum: a leader that hears from no quorum for a whole election timeout steps down', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('a');
    // The first check (after one timeout) still counts the answers a had before the partition.
    net.tick('a', 19);
    net.stabilize();
    assert.equal(roleOf(net, 'a'), 'leader');
    net.tick('a');
    net.stabilize();
    assert.equal(roleOf(net, 'a'), 'follower');
    assert.equal(termOf(net, 'a'), 1, 'stepping down does not change the term');
    net.tickAll(30);
    const leader = net.leader();
    assert.ok(leader === 'b' || leader === 'c', `the majority elected ${leader}`);
  });

  it('a stale leader learns the new term from a follower answering its heartbeat', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.elect('a');
    net.isolate('a');
    net.elect('b');
    assert.equal(termOf(net, 'b'), 2);
    assert.equal(roleOf(net, 'a'), 'leader', 'a does not know yet');
    net.heal();
    net.tick('a');
    net.stabilize();
    assert.equal(roleOf(net, 'a'), 'follower');
    assert.equal(termOf(net, 'a'), 2);
    assert.equal(net.leader(), 'b');
  });

  it('answers a pre-vote from a lower term with a rejection carrying its term', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.elect('a');
    net.isolate('a');
    net.elect('b');
    const c = net.node('c');
    net.processReadies();
    c.step(message({ type: 'preVote', from: 'a', to: 'c', term: 2, index: 1, logTerm: 1 }));
    c.step(message({ type: 'preVote', from: 'a', to: 'c', term: 1, index: 1, logTerm: 1 }));
    const answers = c.ready().messagesAfterPersist.filter((m) => m.to === 'a');
    assert.deepEqual(
      answers.map((m) => [m.type, m.reject, m.term]),
      [
        ['preVoteResponse', true, 2],
        ['preVoteResponse', true, 2],
      ],
    );
  });

  it('a learner never campaigns', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.addMember('d');
    assert.equal(
      net.node('a').proposeConfChange({ transition: 'auto', changes: [{ kind: 'addLearner', nodeId: 'd' }] }),
      undefined,
    );
    net.stabilize();
    assert.deepEqual(net.node('d').status().confState.learners, ['d']);
    net.isolate('d');
    net.tick('d', 100);
    net.stabilize();
    assert.equal(roleOf(net, 'd'), 'follower');
    assert.equal(net.node('d').campaign()?.code, 'notMember');
  });
});
