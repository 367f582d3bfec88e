// The client SDK against a 3-member cluster of processes: what an application would notice while
// members are killed -9, restarted and compacted under it, and while the processes holding leases
// (an election candidate, a registered instance) die.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import {
  type ChangeSet,
  type Client,
  type ClientOptions,
  createClient,
  memoryStorage,
} from '../../client/index.ts';
import { createRandom } from '../../core/random.ts';
import { type AckedWrite, ChangeChecker, replay, type WrittenChange } from './change-checker.ts';
import { TestCluster, waitFor } from './harness.ts';

const CHILD = resolve(import.meta.dirname, 'client-child.ts');

describe('the client SDK against a 3-member cluster', { timeout: 300_000 }, () => {
  let cluster: TestCluster;
  const clients: Client[] = [];
  const children: ChildProcess[] = [];

  function sdk(options: Partial<ClientOptions> = {}): Client {
    const client = createClient({
      endpoints: cluster.members.map((m) => m.clientUrl),
      webSocket: WebSocket,
      requestTimeoutMs: 15_000,
      staleAfterMs: 2000,
      ...options,
    });
    clients.push(client);
    return client;
  }

  /** Starts client-child.ts with `order`; resolves with the process and the JSON line it printed. */
  async function child(order: object): Promise<{ process: ChildProcess; said: Record<string, unknown> }> {
    const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(order)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    children.push(proc);
    const said = await new Promise<Record<string, unknown>>((resolveLine, reject) => {
      let out = '';
      proc.stdout!.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        const line = out.split('\n')[0];
        if (out.includes('\n') && line !== undefined)
          resolveLine(JSON.parse(line) as Record<string, unknown>);
      });
      proc.once('exit', (code) =>
        reject(new Error(`client-child exited with ${code} before it said anything`)),
      );
    });
    return { process: proc, said };
  }

  async function killChild(proc: ChildProcess): Promise<void> {
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    process.kill(proc.pid!, 'SIGKILL');
    await exited;
  }

  before(async () => {
    cluster = await TestCluster.start({ name: 'client-sdk', size: 3 });
    await cluster.waitForLeader(30_000);
  });

  after(async () => {
    for (const client of clients) client.close();
    for (const proc of children) if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await cluster?.stop();
  });

  it('keeps a replica equal to the cluster through a leader kill, a member restart and a compaction, hearing every change once, in order', async () => {
    const seed = Number(process.env.VANE_SEED ?? Date.now() % 2 ** 31);
    const random = createRandom(seed);
    const failure = `(seed ${seed}; reproduce the writes with VANE_SEED=${seed})`;
    const writer = sdk();
    const storage = memoryStorage();
    const reader = sdk({ storage });
    const replica = reader.replica('r/');
    await replica.ready;
    const checker = new ChangeChecker(
      new Map([...replica.entries()].map(([key, kv]) => [key, kv.value])),
      replica.revision,
    );
    const startRevision = replica.revision;
    replica.subscribe('r/', (change) => checker.record(change));

    const acked: AckedWrite[] = [];
    let writing = true;
    let serial = 0;
    const writes = (async () => {
      while (writing) {
        const key = `r/${random.int(8)}`;
        const roll = random.float();
        if (roll < 0.7) {
          const value = `v${serial++}`;
          const put = await writer.put(key, value);
          acked.push({ revision: put.revision, changes: [{ key, type: 'put', value }] });
        } else if (roll < 0.85) {
          const deleted = await writer.delete(key);
          if (deleted.deleted > 0)
            acked.push({ revision: deleted.revision, changes: [{ key, type: 'delete' }] });
        } else {
          const other = `r/${8 + random.int(2)}`;
          const changes: WrittenChange[] = [
            { key, type: 'put', value: `v${serial++}` },
            { key: other, type: 'put', value: `v${serial++}` },
          ];
          const txn = await writer.txn({
            success: changes.map((c) => ({ put: { key: c.key, value: c.value as string } })),
          });
          acked.push({ revision: txn.revision, changes });
        }
      }
    })();
    // Awaited below; if the test fails first, closing the writer ends the loop with a rejection nobody awaits.
    writes.catch(() => {});
    const writesAfter = async (count: number) => {
      const target = acked.length + count;
      await waitFor(`${count} more acknowledged writes ${failure}`, 20_000, () =>
        acked.length >= target ? true : undefined,
      );
    };

    // What happened when, printed if the test fails.
    const t0 = performance.now();
    const timeline: string[] = [];
    const step = (what: string) =>
      timeline.push(
        `[${Math.round(performance.now() - t0)} ms] ${what} (acked ${acked.length}, reader ${reader.status.state} ${reader.status.endpoint})`,
      );
    writer.on('status', (st) => step(`writer ${st.state} ${st.endpoint}`));
    reader.on('status', (st) => step(`reader ${st.state} ${st.endpoint}`));
    try {
      await writesAfter(20);
      step('20 writes');
      const leader = await cluster.waitForLeader();
      await cluster.kill(leader);
      step(`killed ${leader}`);
      await cluster.waitForLeader(10_000);
      step('new leader');
      await writesAfter(20);
      step('20 writes');
      cluster.restart(leader);
      await cluster.waitForLeader(20_000);
      step(`restarted ${leader}`);
      // The member the replica reads from dies too, so its watch resumes on another one.
      const readFrom = cluster.members.find((m) => m.clientUrl === reader.status.endpoint)?.name;
      assert.ok(readFrom !== undefined, `the reader is connected (${reader.status.state})`);
      await cluster.kill(readFrom);
      step(`killed ${readFrom}`);
      await writesAfter(20);
      step('20 writes');
      cluster.restart(readFrom);
      await cluster.waitForLeader(20_000);
      step(`restarted ${readFrom}`);
      await writesAfter(20);
      step('20 writes');

      // Offline: the reader goes away; writes go on and the history it would resume from is compacted.
      const closedAt = replica.revision;
      reader.close();
      const cached = await storage.get('r/');
      assert.ok(cached !== undefined && cached.revision >= startRevision && cached.revision <= closedAt);
      await writesAfter(10);
      const compactAt = acked[acked.length - 1]!.revision;
      await writer.compact(compactAt);
      await writesAfter(5);
      writing = false;
      await writes;
      const last = acked[acked.length - 1]!.revision;

      // What the reader heard is exactly the acknowledged writes up to where it stopped, and adds up to them.
      const upTo = (revision: number) => acked.filter((write) => write.revision <= revision);
      checker.verifyAgainst(upTo(closedAt), startRevision);
      assert.deepStrictEqual(checker.state(), replay(checker.initial, upTo(closedAt)), failure);
      const before = new Map(cached.kvs.map((kv) => [kv.key, kv.value]));
      assert.deepStrictEqual(before, replay(checker.initial, upTo(cached.revision)), `the cache ${failure}`);

      // Back online from the cache: the resume point is compacted, so it lists again and hears exactly the difference.
      const returning = sdk({ storage });
      const resumed = returning.replica('r/');
      const heard: ChangeSet[] = [];
      resumed.subscribe('r/', (change) => heard.push(change));
      await resumed.ready;
      assert.equal(resumed.revision, cached.revision, 'ready at once from the cache');
      await waitFor(`the returning replica at ${last} ${failure}`, 10_000, () =>
        resumed.revision >= last && !resumed.stale ? true : undefined,
      );
      const cluster1 = await writer.range({ key: 'r/', prefix: true });
      const truth = new Map(cluster1.kvs.map((kv) => [kv.key, kv.value]));
      assert.deepStrictEqual(
        new Map([...resumed.entries()].map(([key, kv]) => [key, kv.value])),
        truth,
        failure,
      );
      assert.equal(heard.length, 1, `one change set for the whole gap ${failure}`);
      const expected = new ChangeChecker(before, cached.revision);
      expected.record(heard[0]!);
      assert.deepStrictEqual(expected.state(), truth, failure);
      for (const change of heard[0]!.changes) {
        const changed =
          change.type === 'delete' ? before.has(change.key) : before.get(change.key) !== change.value;
        assert.ok(changed, `${change.key} is in the difference but did not change ${failure}`);
      }
      assert.ok(checker.heard.length >= 60, `heard ${checker.heard.length} change sets ${failure}`);
    } catch (error) {
      process.stderr.write(`${timeline.join('\n')}\n`);
      throw error;
    }
  });

  it('applies writes once when they are retried across a leader kill', async () => {
    const leader = await cluster.waitForLeader();
    const leaderUrl = cluster.member(leader).clientUrl;
    const client = sdk({
      endpoints: [leaderUrl, ...cluster.members.filter((m) => m.name !== leader).map((m) => m.clientUrl)],
      random: () => 0,
    });
    await client.put('once/counter', 'start');
    const total = 60;
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < total; i++) {
      inFlight.push(client.put('once/counter', `write ${i}`));
      if (i === 20) {
        assert.equal(client.status.endpoint, leaderUrl);
        void cluster.kill(leader);
      }
      if (i % 10 === 9) await Promise.all(inFlight.splice(0));
    }
    await Promise.all(inFlight);
    assert.notEqual(client.status.endpoint, leaderUrl, 'the writes in flight at the kill went on elsewhere');
    const counter = await client.get('once/counter');
    assert.equal(counter?.version, total + 1, 'each write applied exactly once');
    cluster.restart(leader);
    await cluster.waitForLeader(20_000);
  });

  it("fires a lease's lost event by its deadline when keepalives stop reaching the cluster", async () => {
    const leader = await cluster.waitForLeader();
    const follower = cluster.members.find((m) => m.name !== leader)!;
    const client = sdk({ endpoints: [follower.clientUrl], requestTimeoutMs: 1000 });
    const lease = await client.grantLease(2);
    await client.put('leases/held', 'by a lease', { lease });
    // Let a keepalive go by, then cut the client off.
    const granted = lease.deadline;
    await waitFor('a keepalive acknowledged', 5000, () => (lease.deadline > granted ? true : undefined));
    const deadline = lease.deadline;
    const lost = new Promise<number>((r) => lease.on('lost', () => r(performance.now())));
    const killedAt = performance.now();
    await cluster.kill(follower.name);
    const lostAt = await lost;
    assert.ok(lostAt >= deadline - 5, `lost ${deadline - lostAt} ms before the deadline`);
    assert.ok(lostAt - killedAt <= 2000 + 300, `lost ${lostAt - killedAt} ms after the kill, TTL 2000 ms`);
    // The cluster expires it too: the key goes.
    const observer = sdk({
      endpoints: cluster.members.filter((m) => m !== follower).map((m) => m.clientUrl),
    });
    await waitFor('the leased key expired', 5000, async () =>
      (await observer.get('leases/held')) === null ? true : undefined,
    );
    cluster.restart(follower.name);
    await cluster.waitForLeader(20_000);
  });

  it('discovers a registered instance, which disappears once its process dies', async () => {
    const discovery = sdk().discover('api');
    await discovery.ready;
    const registered = await child({
      mode: 'register',
      endpoints: cluster.members.map((m) => m.clientUrl),
      name: 'api',
      value: 'instance-1',
      ttl: 2,
    });
    assert.equal(registered.said.registered, 'services/api/instance-1');
    await waitFor('the instance discovered', 5000, () =>
      discovery.get('services/api/instance-1') === 'instance-1' ? true : undefined,
    );
    const killedAt = performance.now();
    await killChild(registered.process);
    await waitFor('the instance gone', 6000, () =>
      discovery.get('services/api/instance-1') === undefined ? true : undefined,
    );
    assert.ok(performance.now() - killedAt < 2000 + 2000, 'gone within TTL + an election timeout');
  });

  it('elects the other candidate within TTL + an election timeout of the leader dying, and fences the old leader off', async () => {
    const first = await child({
      mode: 'campaign',
      endpoints: cluster.members.map((m) => m.clientUrl),
      name: 'scheduler',
      value: 'child',
      ttl: 2,
    });
    const oldLeader = first.said.won as { key: string; fencingRevision: number };
    const client = sdk();
    const election = client.election('scheduler', { ttl: 2 });
    assert.deepStrictEqual(await election.leader(), {
      key: oldLeader.key,
      value: 'child',
      fencingRevision: oldLeader.fencingRevision,
    });
    let wonAt = 0;
    const campaign = election.campaign('parent').then((won) => {
      wonAt = performance.now();
      return won;
    });
    const guarded = (fencing: { key: string; fencingRevision: number }, by: string) =>
      client.txn({
        compare: [
          { key: fencing.key, target: 'createRevision', result: 'equal', value: fencing.fencingRevision },
        ],
        success: [{ put: { key: 'scheduler/state', value: by } }],
      });
    assert.equal((await guarded(oldLeader, 'child')).succeeded, true, 'the leader may write while it leads');
    const killedAt = performance.now();
    await killChild(first.process);
    const won = await campaign;
    assert.ok(wonAt - killedAt < 2000 + 2000, `won ${Math.round(wonAt - killedAt)} ms after the leader died`);
    assert.ok(won.fencingRevision > oldLeader.fencingRevision);
    assert.equal(
      (await guarded(oldLeader, 'child, late')).succeeded,
      false,
      'a write fenced by the old revision is refused',
    );
    assert.equal((await guarded(won, 'parent')).succeeded, true);
    assert.equal((await client.get('scheduler/state'))?.value, 'parent');
    await election.resign();
  });
});
