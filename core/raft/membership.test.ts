// Membership changes: learners, simple voter changes, joint consensus with auto-leave, removing
// the leader, and the one-pending-change rule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RaftNetwork, SafetyChecker } from './testing.ts';
import type { ConfChange, ConfChangeSingle } from './types.ts';

const voter = (nodeId: string): ConfChangeSingle => ({ kind: 'addVoter', nodeId });
const learner = (nodeId: string): ConfChangeSingle => ({ kind: 'addLearner', nodeId });
const remove = (nodeId: string): ConfChangeSingle => ({ kind: 'removeNode', nodeId });

function change(net: RaftNetwork, leader: string, cc: ConfChange): void {
  const error = net.node(leader).proposeConfChange(cc);
  assert.equal(error, undefined, error?.message);
  net.stabilize();
}

function confOf(net: RaftNetwork, id: string) {
  return net.node(id).status().confState;
}

describe('membership', () => {
  it('a learner receives the log but never counts toward a quorum; promoted, it does', () => {
    const net = new RaftNetwork(['a', 'b'], { config: { checkQuorum: false } });
    net.elect('a');
    net.addMember('c');
    change(net, 'a', { transition: 'auto', changes: [learner('c')] });
    net.propose('a', 'x');
    net.stabilize();
    assert.deepEqual(net.member('c').state, ['x'], 'the learner replicates');
    net.isolate('b');
    net.propose('a', 'y');
    net.stabilize();
    assert.deepEqual(net.member('a').state, ['x'], 'a and learner c are no quorum of voters {a, b}');
    net.heal();
    net.tickAll(1);
    change(net, 'a', { transition: 'auto', changes: [voter('c')] });
    assert.deepEqual(confOf(net, 'a').voters, ['a', 'b', 'c']);
    assert.deepEqual(confOf(net, 'a').learners, []);
    net.isolate('b');
    net.propose('a', 'z');
    net.stabilize();
    assert.deepEqual(net.member('c').state, ['x', 'y', 'z'], 'now a and c are a quorum of 3');
  });

  it('adds and removes a voter with simple changes', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.addMember('d');
    change(net, 'a', { transition: 'auto', changes: [voter('d')] });
    for (const id of ['a', 'b', 'c', 'd']) assert.deepEqual(confOf(net, id).voters, ['a', 'b', 'c', 'd']);
    change(net, 'a', { transition: 'auto', changes: [remove('b')] });
    assert.deepEqual(confOf(net, 'a').voters, ['a', 'c', 'd']);
    assert.equal(net.node('a').status().progress?.has('b'), false);
    net.propose('a', 'after');
    net.stabilize();
    assert.deepEqual(net.member('d').state, ['after']);
    assert.deepEqual(net.member('b').state, [], 'the removed member gets nothing new');
  });

  it('a change takes effect when advance() passes its entry', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    const a = net.node('a');
    a.proposeConfChange({ transition: 'auto', changes: [learner('d')] });
    // Run the cluster until a's Ready hands the committed change to the application.
    for (let i = 0; i < 10; i++) {
      net.processReadies();
      while (net.deliverOne()) {
        // deliver everything queued
      }
      if (a.hasReady()) {
        const ready = a.ready();
        net.member('a').storage.append(ready.entries);
        if (ready.committedEntries.some((e) => e.type === 'confChange')) {
          assert.deepEqual(confOf(net, 'a').learners, [], 'committed, handed out, not yet in force');
          a.advance(ready);
          assert.deepEqual(confOf(net, 'a').learners, ['d']);
          return;
        }
        net.send(...ready.messages, ...ready.messagesAfterPersist);
        a.advance(ready);
      }
    }
    assert.fail('the conf change never committed');
  });

  it('changes two voters through a joint configuration that is left automatically', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.addMember('d');
    net.addMember('e');
    const a = net.node('a');
    assert.equal(
      a.proposeConfChange({ transition: 'auto', changes: [voter('d'), voter('e'), remove('c')] }),
      undefined,
    );
    // Step by step until the joint configuration is in force.
    let sawJoint = false;
    for (let i = 0; i < 50 && !sawJoint; i++) {
      net.processReadies();
      net.deliverOne();
      sawJoint = confOf(net, 'a').votersOutgoing.length > 0;
    }
    assert.ok(sawJoint);
    assert.deepEqual(confOf(net, 'a'), {
      voters: ['a', 'b', 'd', 'e'],
      learners: [],
      votersOutgoing: ['a', 'b', 'c'],
      learnersNext: [],
      autoLeave: true,
    });
    net.stabilize();
    for (const id of ['a', 'b', 'd', 'e']) {
      assert.deepEqual(confOf(net, id), {
        voters: ['a', 'b', 'd', 'e'],
        learners: [],
        votersOutgoing: [],
        learnersNext: [],
        autoLeave: false,
      });
    }
    const confEntries = net.member('a').committed.filter((e) => e.type === 'confChange');
    assert.equal(confEntries.length, 2, 'the enter and the automatic leave');
  });

  it('in a joint configuration, commitment needs a majority of both halves', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.elect('a');
    net.addMember('d');
    net.addMember('e');
    change(net, 'a', {
      transition: 'jointExplicit',
      changes: [voter('d'), voter('e'), remove('b'), remove('c')],
    });
    assert.deepEqual(confOf(net, 'a').votersOutgoing, ['a', 'b', 'c'], 'explicit: stays joint');
    // a, d, e are a majority of the incoming half but only a of the outgoing {a, b, c}.
    net.cut('a', 'b');
    net.cut('a', 'c');
    net.propose('a', 'x');
    net.stabilize();
    assert.deepEqual(net.member('a').state, []);
    net.heal();
    net.tickAll(1);
    assert.deepEqual(net.member('a').state, ['x']);
    change(net, 'a', { transition: 'auto', changes: [] });
    assert.deepEqual(confOf(net, 'a').voters, ['a', 'd', 'e']);
    assert.deepEqual(confOf(net, 'a').votersOutgoing, []);
  });

  it('removing the leader: once the change is applied it hands leadership to a remaining voter', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.propose('a', 'before');
    change(net, 'a', { transition: 'auto', changes: [remove('a')] });
    const leader = net.leader();
    assert.ok(
      leader === 'b' || leader === 'c',
      `new leader ${leader}, without waiting for an election timeout`,
    );
    net.tickAll(1);
    assert.equal(net.node('a').status().role, 'follower', "a's next heartbeat is answered with the new term");
    assert.equal(net.node(leader).status().hardState.term, 2);
    assert.deepEqual(confOf(net, 'b').voters, ['b', 'c']);
    assert.equal(net.propose(leader, 'after'), undefined);
    net.stabilize();
    assert.deepEqual(net.member('b').state, ['before', 'after']);
    assert.equal(net.node('a').campaign()?.code, 'notMember', 'a removed member cannot campaign');
  });

  it('a removed leader refuses proposals while it hands over, and keeps trying if the hand-off fails', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    // b and c will hear of the commit, but not of a's request to take over.
    net.dropWhen((m) => m.type === 'timeoutNow');
    change(net, 'a', { transition: 'auto', changes: [remove('a')] });
    const a = net.node('a');
    assert.equal(a.status().role, 'leader');
    assert.ok(a.status().leadTransferee !== null);
    assert.equal(net.propose('a', 'x')?.code, 'notMember');
    net.heal();
    net.tickAll(10);
    const leader = net.leader();
    assert.ok(leader === 'b' || leader === 'c', `new leader ${leader}`);
  });

  it('a remaining voter that missed the commit of the removal is not stranded by the removed leader', () => {
    // Voters {a, b}: a removes itself (entry 2), then appends entry 3 that b never gets, and b
    // does not hear that 2 committed (nor a's request to take over). b still needs a's vote, which
    // its shorter log cannot win.
    const net = new RaftNetwork(['a', 'b'], { config: { checkQuorum: false } });
    net.elect('a');
    net.dropWhen(
      (m) =>
        m.from === 'a' &&
        m.to === 'b' &&
        (m.commit >= 2 || m.entries.some((e) => e.index >= 3) || m.type === 'timeoutNow'),
    );
    net.node('a').proposeConfChange({ transition: 'auto', changes: [remove('a')] });
    assert.equal(net.propose('a', 'uncommitted'), undefined);
    net.stabilize();
    assert.deepEqual(confOf(net, 'a').voters, ['b'], 'a applied its removal');
    assert.deepEqual(confOf(net, 'b').voters, ['a', 'b'], 'b did not');
    net.heal();
    net.tickAll(30);
    assert.equal(net.leader(), 'b');
    assert.deepEqual(confOf(net, 'b').voters, ['b']);
    assert.equal(net.propose('b', 'y'), undefined);
    net.stabilize();
    assert.deepEqual(
      net.member('b').state,
      ['uncommitted', 'y'],
      "a's last entry committed under b's quorum",
    );
  });

  it('a removed leader that steps down on a higher term still lets a stranded voter win', () => {
    // Voters {a, b}: a removes itself (entry 2) and appends entry 3; b hears neither that 2
    // committed nor a's request to take over. b then campaigns: a steps down on b's higher term
    // and rejects it (a's log is longer). b needs a's vote, and a is not a voter of its own
    // configuration: without help neither could ever be elected.
    const net = new RaftNetwork(['a', 'b'], { config: { checkQuorum: false, preVote: false } });
    net.elect('a');
    net.dropWhen(
      (m) =>
        m.from === 'a' &&
        m.to === 'b' &&
        (m.commit >= 2 || m.entries.some((e) => e.index >= 3) || m.type === 'timeoutNow'),
    );
    net.node('a').proposeConfChange({ transition: 'auto', changes: [remove('a')] });
    assert.equal(net.propose('a', 'uncommitted'), undefined);
    net.stabilize();
    assert.deepEqual(confOf(net, 'a').voters, ['b'], 'a applied its removal');
    assert.deepEqual(confOf(net, 'b').voters, ['a', 'b'], 'b did not');
    net.elect('b');
    assert.equal(net.node('a').status().role, 'follower', 'a stepped down on the higher term');
    assert.equal(net.leader(), undefined, "a refused b's vote: b's log is shorter");
    net.heal();
    const safety = new SafetyChecker(net);
    // A few election timeouts (electionTick 10, randomized up to 20) are enough.
    for (let tick = 0; tick < 60; tick++) {
      for (const member of net.members.values()) member.node.tick();
      // One message at a time, so the checker sees every leader as soon as it is elected.
      do {
        net.processReadies();
        safety.check();
      } while (net.deliverOne());
    }
    assert.equal(net.leader(), 'b');
    assert.deepEqual(confOf(net, 'b').voters, ['b']);
    assert.equal(net.propose('b', 'y'), undefined);
    net.stabilize();
    assert.deepEqual(net.member('b').state, ['uncommitted', 'y']);
  });

  it('the Ready that hands out a conf change carries the commit index and must be synced', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.node('a').proposeConfChange({ transition: 'auto', changes: [learner('d')] });
    const seen: boolean[] = [];
    for (let round = 0; round < 20 && seen.length < 3; round++) {
      for (const member of net.members.values()) {
        while (member.node.hasReady()) {
          const ready = member.node.ready();
          if (ready.committedEntries.some((e) => e.type === 'confChange')) {
            seen.push(ready.mustSync && ready.hardState !== undefined && ready.hardState.commit >= 2);
          }
          net.send(...ready.messages, ...ready.messagesAfterPersist);
          member.storage.append(ready.entries);
          if (ready.hardState !== undefined) member.storage.setHardState(ready.hardState);
          member.node.advance(ready);
        }
      }
      while (net.deliverOne()) {
        // deliver everything queued
      }
    }
    assert.deepEqual(
      seen,
      [true, true, true],
      'a member must not forget, in a crash, a membership change it applied',
    );
  });

  it('allows one pending conf change at a time', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    const a = net.node('a');
    assert.equal(a.proposeConfChange({ transition: 'auto', changes: [learner('d')] }), undefined);
    assert.equal(
      a.proposeConfChange({ transition: 'auto', changes: [learner('e')] })?.code,
      'pendingConfChange',
    );
    net.stabilize();
    assert.equal(a.proposeConfChange({ transition: 'auto', changes: [learner('e')] }), undefined);
  });

  it('refuses a change the configuration cannot take', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    const a = net.node('a');
    assert.equal(a.proposeConfChange({ transition: 'auto', changes: [] })?.code, 'invalidConfChange');
    assert.equal(
      a.proposeConfChange({ transition: 'auto', changes: [remove('a'), remove('b'), remove('c')] })?.code,
      'invalidConfChange',
    );
    assert.equal(
      a.proposeConfChange({ transition: 'auto', changes: [{ kind: 'addVoter', nodeId: '' }] })?.code,
      'invalidConfChange',
    );
  });

  it('responses from a member that is no longer in the configuration are refused as unknownPeer', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    change(net, 'a', { transition: 'auto', changes: [remove('c')] });
    const error = net.node('a').step({
      type: 'heartbeatResponse',
      from: 'c',
      to: 'a',
      term: 1,
      logTerm: 0,
      index: 0,
      entries: [],
      commit: 0,
      reject: false,
      rejectHint: 0,
    });
    assert.equal(error?.code, 'unknownPeer');
  });

  it('a removed member that never learned of its removal does not disrupt the cluster', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.isolate('c');
    change(net, 'a', { transition: 'auto', changes: [remove('c')] });
    net.heal();
    for (let i = 0; i < 60; i++) net.tickAll(1);
    assert.equal(net.leader(), 'a');
    assert.equal(net.node('a').status().hardState.term, 1);
  });

  it('a member restarted after conf changes rebuilds its configuration from the log', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    change(net, 'a', { transition: 'auto', changes: [learner('d')] });
    net.restart('b');
    assert.deepEqual(confOf(net, 'b').learners, ['d']);
  });
});
