// A member cut off from the rest of its cluster keeps answering its clients: what an SDK client
// connected to it notices. Its peer links are blocked both ways through the peer proxy; a write made
// on the majority side must reach the client's watch, which it can only do once the client has seen
// that the member is stale and moved to another member.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { type Client, type ClientError, createClient } from '../../client/index.ts';
import { createRandom } from '../../core/random.ts';
import { TestCluster, waitFor } from './harness.ts';
import { PeerProxy } from './proxy.ts';

const PREFIX = 'partitioned/';

describe('an SDK client on a member cut off from its cluster', { timeout: 60_000 }, () => {
  const proxy = new PeerProxy(createRandom(11));
  let cluster: TestCluster | undefined;
  let client: Client | undefined;

  before(async () => {
    cluster = await TestCluster.start({
      name: 'partitioned-member',
      size: 3,
      peerUrlFor: (name, peerPort) => proxy.listen(name, peerPort),
    });
    await cluster.waitForLeader(30_000);
  });

  after(async () => {
    client?.close();
    await cluster?.stop();
    await proxy.close();
  });

  it('turns stale, moves to a member of the majority and hears the write made there', async (t) => {
    const members = cluster!;
    const leader = await members.waitForLeader();
    // A follower: cut off, it hears nothing from the leader (a cut-off leader steps down first).
    const cutOff = members.members.find((m) => m.name !== leader)!;
    const others = members.members.filter((m) => m !== cutOff);
    const errors: ClientError[] = [];
    let firstPick = true;
    client = createClient({
      endpoints: [cutOff, ...others].map((m) => m.clientUrl),
      webSocket: WebSocket,
      // Confirmed every second (as the edge tier's upstream is), so that the member is seen stale
      // before failoverAfterMs (3 s by default) is up, and left when it is.
      staleAfterMs: 2000,
      // The first pick is the cut-off member; request ids and jitter stay random.
      random: () => {
        if (!firstPick) return Math.random();
        firstPick = false;
        return 0;
      },
    });
    const sdk = client;
    sdk.on('error', (error) => errors.push(error));
    const delivered = new Map<string, number>();
    sdk.watch({ key: PREFIX, prefix: true }, (batch) => {
      for (const event of batch.events) delivered.set(event.kv.key, performance.now());
    });
    await waitFor(`the client live on ${cutOff.name}`, 10_000, () =>
      sdk.status.state === 'live' && sdk.status.endpoint === cutOff.clientUrl ? true : undefined,
    );
    const before = await members.put(leader, `${PREFIX}before`, 'one');
    assert.equal(before.status, 200);
    await waitFor('the write before the partition, through the watch', 10_000, () =>
      delivered.get(`${PREFIX}before`),
    );

    const timeline: string[] = [];
    let partitionedAt = 0;
    const at = () => Math.round(performance.now() - partitionedAt);
    let staleOnCutOff: number | undefined;
    let movedAt: number | undefined;
    sdk.on('status', (status) => {
      timeline.push(`[${at()} ms] ${status.state} ${status.endpoint} lag ${status.lagMs ?? '-'}`);
      if (status.endpoint === cutOff.clientUrl && status.state === 'stale') staleOnCutOff ??= at();
      if (status.endpoint !== cutOff.clientUrl) movedAt ??= at();
    });

    partitionedAt = performance.now();
    for (const other of others) {
      proxy.setLink(cutOff.name, other.name, { blocked: true });
      proxy.setLink(other.name, cutOff.name, { blocked: true });
    }
    // Through a member of the majority (retried while it elects a leader, had the cut-off one led).
    await waitFor('the majority to take a write', 10_000, async () => {
      const during = await members.put(others[0]!.name, `${PREFIX}during`, 'two', 2000);
      return during.status === 200 ? true : undefined;
    });
    const why = () => `(${cutOff.name} cut off; status changes:\n  ${timeline.join('\n  ')})`;
    const eventAt = await waitFor('the write made during the partition, through the watch', 15_000, () =>
      delivered.get(`${PREFIX}during`),
    ).catch((error: unknown) => {
      throw new Error(`${String(error)} ${why()}`);
    });
    const deliveredAt = Math.round(eventAt - partitionedAt);
    t.diagnostic(
      `${cutOff.name} cut off at 0 ms: stale at ${staleOnCutOff} ms, moved to ${sdk.status.endpoint} at ${movedAt} ms, event delivered at ${deliveredAt} ms`,
    );
    t.diagnostic(`status changes: ${timeline.join('; ')}`);

    assert.ok(staleOnCutOff !== undefined, `the client showed the cut-off member as stale ${why()}`);
    assert.ok(movedAt !== undefined && movedAt >= staleOnCutOff, `stale first, then moved ${why()}`);
    assert.ok(deliveredAt >= movedAt, `the event came from the member moved to ${why()}`);
    const leaving = errors.find((error) => error.message.startsWith(`leaving ${cutOff.clientUrl}`));
    assert.ok(leaving, `onError said why it left: ${errors.map((e) => e.message).join('; ')}`);
    assert.match(leaving.message, /\((no leader|no word from the leader for over \d+ ms)\)/);

    proxy.heal();
    await members.waitForLeader(15_000);
  });
});
