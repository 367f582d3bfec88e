// Lease expiry with a simulated clock: members apply the same log; only the leader's Lessor decides
// expiry and checkpoints, and leadership moves between members.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVaneError } from '../errors.ts';
import { decodeCommand, encodeCommand } from '../protocol/index.ts';
import { createRandom } from '../random.ts';
import { Lessor, type LessorConfig } from './lessor.ts';
import { KvStore } from './store.ts';
import type { Command, CommandResponse } from './types.ts';

const TTL_MS = 10_000;
const CHECKPOINT_MS = 1_000;
const TICK_MS = 100;

class Cluster {
  readonly stores: KvStore[];
  readonly lessors: Lessor[];
  index = 0;
  leader: number | undefined = 0;

  constructor(members: number, config: Partial<LessorConfig> = {}) {
    this.stores = Array.from({ length: members }, () => new KvStore());
    this.lessors = this.stores.map(
      (s) => new Lessor(s, { checkpointIntervalMs: CHECKPOINT_MS, revokeRetryMs: 500, ...config }),
    );
  }

  /** Commits and applies a command on every member at once. */
  commit(command: Command): CommandResponse {
    this.index++;
    const responses = this.stores.map((s) => s.apply(this.index, { command }));
    const first = responses[0]!;
    if (isVaneError(first)) throw new Error(first.message);
    return first;
  }

  elect(member: number, now: number): void {
    this.leader = member;
    this.lessors[member]!.promote(now);
  }

  crashLeader(): void {
    if (this.leader !== undefined) this.lessors[this.leader]!.demote();
    this.leader = undefined;
  }

  /** The leader's periodic duties: propose expiries and checkpoints. */
  tick(now: number): void {
    if (this.leader === undefined) return;
    const lessor = this.lessors[this.leader]!;
    for (const command of [...lessor.expired(now), ...lessor.checkpoints(now)]) this.commit(command);
  }

  exists(id: number): boolean {
    return this.stores[0]!.leases.get(id) !== undefined;
  }

  grant(): number {
    return (this.commit({ op: 'leaseGrant', request: { ttl: TTL_MS / 1000 } }) as { id: number }).id;
  }
}

/** Runs ticks from `from` until the lease is gone (or `until`); returns when it went. */
function runUntilExpired(cluster: Cluster, id: number, from: number, until: number): number | undefined {
  for (let now = from; now <= until; now += TICK_MS) {
    cluster.tick(now);
    if (!cluster.exists(id)) return now;
  }
  return undefined;
}

describe('Lessor', () => {
  it('expires a lease TTL after its grant, deleting its keys through the log', () => {
    const c = new Cluster(2);
    c.elect(0, 0);
    const id = c.grant();
    c.commit({ op: 'put', request: { key: 'session', value: new Uint8Array(0), lease: id } });
    assert.equal(runUntilExpired(c, id, 0, TTL_MS - TICK_MS), undefined, 'not before the TTL');
    assert.equal(runUntilExpired(c, id, TTL_MS, 20_000), TTL_MS);
    for (const s of c.stores)
      assert.deepEqual(s.range({ key: 'session' }), { revision: 2, kvs: [], more: false, count: 0 });
  });

  it('a keepalive restarts the TTL from when the leader applied it', () => {
    const c = new Cluster(1);
    c.elect(0, 0);
    const id = c.grant();
    assert.equal(runUntilExpired(c, id, 0, 6_000), undefined);
    c.commit({ op: 'leaseKeepAlive', request: { id } }); // applied at 6000, seen by the Lessor at its next call
    assert.equal(runUntilExpired(c, id, 6_100, 30_000), 6_100 + TTL_MS);
  });

  it('a new leader continues from the checkpointed remaining TTL, neither resetting it nor expiring early', () => {
    const c = new Cluster(2);
    c.elect(0, 0);
    const id = c.grant();
    assert.equal(runUntilExpired(c, id, 0, 4_500), undefined);
    c.crashLeader(); // last checkpoint at 4000: 6000 ms left
    c.elect(1, 5_500); // one election timeout later
    const expiredAt = runUntilExpired(c, id, 5_500, 30_000)!;
    assert.equal(expiredAt, 11_500, 'TTL + time since the last checkpoint; a reset would give 15500');
    assert.ok(expiredAt >= TTL_MS && expiredAt <= TTL_MS + CHECKPOINT_MS + 1_000);
  });

  it('stays within TTL and TTL + (checkpoint interval + leaderless gap) per leader change of the last keepalive', () => {
    const ELECTION_MS = 1_000;
    for (let seed = 1; seed <= 40; seed++) {
      const random = createRandom(seed);
      const c = new Cluster(3);
      c.elect(0, 0);
      const id = c.grant();
      let lastRenewal = 0;
      let keepalives = random.int(4);
      let now = 0;
      let leaderlessUntil = -1;
      let changes = 0;
      let expiredAt: number | undefined;
      while (expiredAt === undefined && now < 200_000) {
        now += TICK_MS;
        if (c.leader === undefined && now >= leaderlessUntil) c.elect(random.int(3), now);
        if (c.leader !== undefined && random.chance(0.01)) {
          c.crashLeader();
          changes++;
          leaderlessUntil = now + 100 + random.int(ELECTION_MS - 100);
        }
        if (c.leader !== undefined && keepalives > 0 && random.chance(0.005)) {
          c.commit({ op: 'leaseKeepAlive', request: { id } });
          lastRenewal = now;
          changes = 0;
          keepalives--;
        }
        c.tick(now);
        if (!c.exists(id)) expiredAt = now;
      }
      assert.ok(expiredAt !== undefined, `seed ${seed}: lease never expired`);
      const late = expiredAt - (lastRenewal + TTL_MS);
      assert.ok(late >= 0, `seed ${seed}: expired ${-late} ms early`);
      const bound = changes * (CHECKPOINT_MS + ELECTION_MS) + TICK_MS;
      assert.ok(late <= bound, `seed ${seed}: expired ${late} ms late after ${changes} leader changes`);
    }
  });

  it('ignores a checkpoint measured before a keepalive that was applied first', () => {
    const c = new Cluster(2);
    c.elect(0, 0);
    const id = c.grant();
    c.tick(0);
    const [checkpoint] = c.lessors[0]!.checkpoints(9_000); // measured: 1000 ms left
    c.commit({ op: 'leaseKeepAlive', request: { id } }); // in the log before the checkpoint
    c.commit(checkpoint!);
    c.crashLeader();
    c.elect(1, 9_500);
    assert.equal(
      runUntilExpired(c, id, 9_500, 30_000),
      9_500 + TTL_MS,
      'counts the full TTL from the promotion',
    );
  });

  it('an expiry decided before a keepalive applied does not revoke the lease', () => {
    const c = new Cluster(1);
    c.elect(0, 0);
    const id = c.grant();
    c.tick(0);
    const [revoke] = c.lessors[0]!.expired(TTL_MS);
    assert.equal(revoke?.op, 'leaseRevoke');
    c.commit({ op: 'leaseKeepAlive', request: { id } });
    c.commit(revoke!);
    assert.ok(c.exists(id));
    assert.deepEqual(c.lessors[0]!.expired(TTL_MS + 100), [], 'the renewal moved the deadline');
  });

  it('proposes a revoke again if the first one was not applied in time', () => {
    const c = new Cluster(1, { revokeRetryMs: 500 });
    c.elect(0, 0);
    const id = c.grant();
    c.tick(0);
    assert.equal(c.lessors[0]!.expired(TTL_MS).length, 1);
    assert.equal(c.lessors[0]!.expired(TTL_MS + 400).length, 0, 'waiting for the first');
    const [again] = c.lessors[0]!.expired(TTL_MS + 500);
    assert.deepEqual(again, { op: 'leaseRevoke', request: { id, renewIndex: 1 } });
  });

  it('checkpoints whole milliseconds, rounded up, under a fractional clock such as performance.now()', () => {
    const c = new Cluster(1);
    c.elect(0, 0.25);
    const id = c.grant();
    c.tick(0.25);
    const [command] = c.lessors[0]!.checkpoints(CHECKPOINT_MS + 0.6);
    assert.ok(command?.op === 'leaseCheckpoint');
    const remaining = command.checkpoints.find((cp) => cp.id === id)!.remainingMs;
    assert.ok(Number.isInteger(remaining), `remainingMs ${remaining} is not whole`);
    assert.ok(remaining >= TTL_MS - CHECKPOINT_MS - 0.6 + 0.25, 'never shorter than the true remainder');
    assert.ok(
      !('code' in decodeCommand(encodeCommand({ command }))),
      'the checkpoint survives the log codec',
    );
  });

  it('reports live remaining time, batches checkpoints, and goes quiet when demoted', () => {
    const c = new Cluster(1, { maxCheckpointsPerCommand: 2 });
    c.elect(0, 0);
    for (let i = 0; i < 5; i++) c.grant();
    c.tick(0);
    assert.equal(c.lessors[0]!.remainingMs(1, 2_500), TTL_MS - 2_500);
    const commands = c.lessors[0]!.checkpoints(CHECKPOINT_MS);
    assert.deepEqual(
      commands.map((cmd) => (cmd.op === 'leaseCheckpoint' ? cmd.checkpoints.length : -1)),
      [2, 2, 1],
    );
    assert.deepEqual(c.lessors[0]!.checkpoints(CHECKPOINT_MS + 10), [], 'once per interval');
    c.lessors[0]!.demote();
    assert.deepEqual(c.lessors[0]!.expired(1_000_000), []);
    assert.equal(c.lessors[0]!.remainingMs(1, 0), undefined);
  });

  it('follows a snapshot installed under it', () => {
    const leader = new Cluster(1);
    leader.elect(0, 0);
    const id = leader.grant();
    const follower = new KvStore();
    const lessor = new Lessor(follower);
    lessor.promote(0);
    assert.equal(follower.installSnapshot(leader.stores[0]!.snapshot()), undefined);
    assert.equal(lessor.remainingMs(id, 1_000), TTL_MS);
  });
});
