// The Raft paper's safety claims (§5.2–5.4, figure 3), each as a scenario, and all of them checked
// continuously over seeded runs with partitions, message loss, reordering and restarts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRandom, type SeededRandom } from '../random.ts';
import { type ConfigOverrides, RaftNetwork, SafetyChecker } from './testing.ts';
import type { ConfChange } from './types.ts';

const FIVE = ['s1', 's2', 's3', 's4', 's5'];

/**
 * Raft paper, figure 8: s1 (leader) replicates an entry to a majority in a later term than it was
 * created. Counting replicas must not commit it, because s5 can still be elected and overwrite it.
 */
function figure8(s1Config: ConfigOverrides): RaftNetwork {
  const net = new RaftNetwork(FIVE, { config: { preVote: false, checkQuorum: false, maxSizePerMsg: 0 } });
  net.restart('s1', s1Config);
  net.elect('s1');
  // s1 replicates x (index 2, term 1) to s2 only.
  net.cut('s1', 's3');
  net.cut('s1', 's4');
  net.cut('s1', 's5');
  net.propose('s1', 'x');
  net.stabilize();
  // s1 is down; s5 wins term 2 with s3 and s4, and appends y that nobody receives.
  net.heal();
  net.isolate('s1');
  net.dropWhen((m) => m.from === 's5' && m.type === 'append');
  net.elect('s5');
  assert.equal(net.leader(), 's5');
  net.propose('s5', 'y');
  net.stabilize();
  // s5 is down; s1 restarts and wins term 3 (after losing term 2, where votes were spent).
  net.heal();
  net.isolate('s5');
  net.restart('s1', s1Config);
  // s1 will bring x to s3 and s4 (a majority then holds it), but its term-3 entry reaches no one.
  net.dropWhen(
    (m) =>
      m.from === 's1' &&
      m.type === 'append' &&
      m.entries.some((e) => e.term === 3) &&
      net.member(m.to).storage.lastIndex() >= m.index,
  );
  net.node('s1').campaign();
  net.stabilize();
  if (net.node('s1').status().role !== 'leader') net.elect('s1');
  assert.equal(net.node('s1').status().role, 'leader');
  assert.equal(net.node('s1').status().hardState.term, 3);
  net.tickAll(2);
  assert.equal(net.member('s3').storage.term(2), 1, 'x is on s1, s2, s3 (and s4): a majority');
  return net;
}

describe('safety', () => {
  it('state machine safety (figure 8): an entry of an earlier term is not committed by counting replicas', () => {
    const net = figure8({});
    assert.equal(net.node('s1').status().hardState.commit, 1);
    // s1 is down; s5 wins term 4 and overwrites x everywhere. Nobody ever applied it.
    net.heal();
    net.isolate('s1');
    net.restart('s5');
    net.node('s5').campaign();
    net.stabilize();
    if (net.leader() !== 's5') net.elect('s5');
    net.tickAll(2);
    for (const id of ['s2', 's3', 's4', 's5']) assert.deepEqual(net.member(id).state, ['y'], id);
    for (const id of FIVE) assert.ok(!net.member(id).state.includes('x'), `${id} never applied x`);
  });

  it('figure 8 with the commitPreviousTermByCount bug: a leader is elected without a committed entry', () => {
    const net = figure8({ unsafeBugs: { commitPreviousTermByCount: true } });
    assert.equal(net.node('s1').status().hardState.commit, 2, 's1 counted replicas of x and committed it');
    assert.deepEqual(net.member('s1').state, ['x']);
    const committedX = net.member('s1').committed.at(-1);
    assert.deepEqual([committedX?.index, committedX?.term], [2, 1]);
    net.heal();
    net.isolate('s1');
    net.restart('s5');
    // Only the election: s5's log (last term 2) beats the logs holding x (last term 1).
    net.dropWhen((m) => m.from === 's5' && (m.type === 'append' || m.type === 'heartbeat'));
    net.node('s5').campaign();
    net.stabilize();
    if (net.leader() !== 's5') net.elect('s5');
    assert.equal(net.leader(), 's5');
    assert.equal(
      net.member('s5').storage.term(2),
      2,
      'leader completeness broken: s5 will overwrite committed x',
    );
  });

  it('election safety: with voteTwicePerTerm, two leaders win the same term', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { preVote: false } });
    net.restart('c', { preVote: false, unsafeBugs: { voteTwicePerTerm: true } });
    net.node('a').campaign();
    net.node('b').campaign();
    net.cut('a', 'b');
    net.stabilize();
    assert.equal(net.node('a').status().role, 'leader');
    assert.equal(net.node('b').status().role, 'leader');
    assert.equal(net.node('a').status().hardState.term, net.node('b').status().hardState.term);
  });

  it('election safety: without the bug, the same race elects at most one', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { preVote: false } });
    net.node('a').campaign();
    net.node('b').campaign();
    net.cut('a', 'b');
    net.stabilize();
    const leaders = ['a', 'b', 'c'].filter((id) => net.node(id).status().role === 'leader');
    assert.ok(leaders.length <= 1, `leaders: ${leaders}`);
  });

  it('leader append-only: a new leader overwrites longer follower logs, never its own', () => {
    const net = new RaftNetwork(FIVE, { config: { checkQuorum: false } });
    net.elect('s1');
    // s1's five entries reach only s3: uncommitted.
    for (const id of ['s2', 's4', 's5']) net.cut('s1', id);
    for (let i = 0; i < 5; i++) net.propose('s1', `uncommitted${i}`);
    net.stabilize();
    assert.equal(net.member('s3').storage.lastIndex(), 6);
    // s1 is down, s3 unreachable: s2 wins with s4 and s5, its log shorter than s3's.
    net.heal();
    net.isolate('s1');
    net.isolate('s3');
    net.elect('s2');
    assert.equal(net.leader(), 's2');
    const leaderLog = net.member('s2').storage.lastIndex();
    assert.equal(leaderLog, 2, "s2's log: the first entry and its own empty one");
    net.heal();
    net.isolate('s1');
    net.propose('s2', 'fresh');
    net.tickAll(2);
    assert.equal(net.member('s2').storage.term(2), 2, 's2 kept its entry');
    assert.equal(net.member('s3').storage.lastIndex(), 3, "s3's longer uncommitted tail was replaced");
    assert.deepEqual(net.member('s3').state, ['fresh']);
  });

  it('log matching: two logs with an entry of the same index and term agree on everything before it', () => {
    const net = new RaftNetwork(['a', 'b', 'c'], { config: { checkQuorum: false } });
    net.elect('a');
    net.isolate('a');
    for (let i = 0; i < 3; i++) net.propose('a', `stale${i}`);
    net.stabilize();
    net.elect('b');
    for (let i = 0; i < 3; i++) net.propose('b', `fresh${i}`);
    net.stabilize();
    net.heal();
    net.tickAll(2);
    const terms = (id: string) => {
      const storage = net.member(id).storage;
      return Array.from({ length: storage.lastIndex() }, (_, i) => storage.term(i + 1));
    };
    assert.deepEqual(terms('a'), terms('b'));
    assert.deepEqual(terms('c'), terms('b'));
    assert.deepEqual(net.member('a').state, ['fresh0', 'fresh1', 'fresh2']);
  });

  it('leader completeness: a member missing a committed entry cannot be elected', () => {
    const net = new RaftNetwork(['a', 'b', 'c']);
    net.elect('a');
    net.cut('a', 'c');
    net.propose('a', 'committed');
    net.stabilize();
    assert.deepEqual(net.member('b').state, ['committed']);
    net.heal();
    net.isolate('a');
    net.node('c').campaign();
    net.stabilize();
    assert.notEqual(net.node('c').status().role, 'leader', 'b refuses c: c lacks entry 2');
    net.tickAll(40);
    assert.equal(net.leader(), 'b');
  });

  for (const seed of [1, 2, 3, 4]) {
    it(`all five claims hold over a seeded run with partitions, loss, duplication, reordering, crashes and membership changes (seed ${seed})`, () => {
      runScenario(seed, 1500);
    });
  }
});

/** A seeded run of random faults and requests, checking the safety claims after every step, then liveness once healed. */
function runScenario(seed: number, steps: number, config: ConfigOverrides = {}): void {
  const random = createRandom(seed);
  const net = new RaftNetwork(FIVE, { seed, config });
  net.addMember('s6');
  const checker = new SafetyChecker(net);
  const world: World = { net, random, removed: new Set() };
  try {
    for (let step = 0; step < steps; step++) {
      randomStep(world);
      checker.check();
    }
    // Liveness: once faults heal (and removed members are shut down), the cluster elects a leader and commits.
    net.heal();
    const latest = [...net.members.values()].reduce((a, b) => (b.appliedIndex > a.appliedIndex ? b : a));
    const conf = latest.node.status().confState;
    const current = new Set([...conf.voters, ...conf.votersOutgoing, ...conf.learners]);
    for (const id of world.removed) if (!current.has(id)) net.isolate(id);
    net.tickAll(60);
    const leader = net.leader();
    assert.ok(leader !== undefined, 'a leader after healing');
    assert.equal(net.propose(leader, 'final'), undefined);
    net.tickAll(5);
    checker.check();
    const members = net.node(leader).status().confState;
    for (const id of [...members.voters, ...members.learners]) {
      assert.equal(net.member(id).state.at(-1), 'final', `${id} applied the final entry`);
    }
    assert.ok(checker.leaderTerms.size > 1, 'the run saw several leaders');
  } catch (error) {
    throw new Error(`seed ${seed}: ${(error as Error).message}`, { cause: error });
  }
}

interface World {
  readonly net: RaftNetwork;
  readonly random: SeededRandom;
  /** Members removed from the configuration: ids are never reused. */
  readonly removed: Set<string>;
}

function randomMembershipChange(world: World, leader: string): void {
  const { net, random, removed } = world;
  const conf = net.node(leader).status().confState;
  const options: ConfChange[] = [{ transition: 'auto', changes: [] }];
  if (!removed.has('s6')) {
    options.push({ transition: 'auto', changes: [{ kind: 'addLearner', nodeId: 's6' }] });
    options.push({ transition: 'auto', changes: [{ kind: 'addVoter', nodeId: 's6' }] });
    options.push({ transition: 'jointImplicit', changes: [{ kind: 'addVoter', nodeId: 's6' }] });
  }
  const victim = random.pick(conf.voters);
  if (conf.voters.length > 3 && !removed.has(victim)) {
    options.push({ transition: 'auto', changes: [{ kind: 'removeNode', nodeId: victim }] });
    options.push({ transition: 'jointExplicit', changes: [{ kind: 'removeNode', nodeId: victim }] });
  }
  const change = random.pick(options);
  if (net.node(leader).proposeConfChange(change) === undefined) {
    for (const single of change.changes) if (single.kind === 'removeNode') removed.add(single.nodeId);
  }
}

function randomStep(world: World): void {
  const { net, random } = world;
  const ids = [...net.members.keys()];
  const id = random.pick(ids);
  const roll = random.float();
  const leader = net.leader();
  if (roll < 0.4) {
    net.tick(id);
  } else if (roll < 0.6) {
    if (leader !== undefined) net.propose(random.chance(0.8) ? leader : id, `v${random.uint32()}`);
  } else if (roll < 0.64) {
    net.cut(id, random.pick(ids.filter((other) => other !== id)));
  } else if (roll < 0.66) {
    net.isolate(id);
  } else if (roll < 0.7) {
    net.heal();
    if (random.chance(0.5)) net.dropWhen(() => random.chance(0.1));
  } else if (roll < 0.72) {
    net.processReadies();
    net.restart(id);
  } else if (roll < 0.74) {
    net.crash(id, random.int(3));
  } else if (roll < 0.78) {
    // Reorder and duplicate: deliver the queue shuffled, some messages twice.
    const queue = net.take(() => true);
    for (const message of [...queue]) if (random.chance(0.1)) queue.push(message);
    for (let i = queue.length - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [queue[i], queue[j]] = [queue[j]!, queue[i]!];
    }
    net.send(...queue);
  } else if (roll < 0.8) {
    if (leader !== undefined) randomMembershipChange(world, leader);
  } else if (roll < 0.82) {
    const member = net.member(id);
    net.processReadies();
    if (member.appliedIndex > member.storage.snapshot().metadata.index) {
      net.snapshotAndCompact(id, member.node.status().confState);
    }
  } else if (roll < 0.83) {
    if (leader !== undefined) net.node(leader).transferLeader(random.pick(ids));
  } else if (roll < 0.85) {
    net.node(id).readIndex(new TextEncoder().encode(`read${random.uint32()}`));
  }
  net.processReadies();
  const deliveries = random.int(net.queue.length + 1);
  for (let i = 0; i < deliveries; i++) net.deliverOne();
}
