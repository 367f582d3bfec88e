// The edge tier when the member its upstream reads from is cut off from the rest of the cluster:
// the member keeps answering but says it is stale, and the edge must tell browsers how old its
// state really is (since the member last heard from its leader), not how long ago it noticed.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRandom } from '../../core/random.ts';
import { TestCluster, waitFor } from '../cluster/harness.ts';
import { PeerProxy } from '../cluster/proxy.ts';
import { EdgeWorker } from './edge-harness.ts';

/**
 * How far the age may be from the time since the partition: a heartbeat interval (100 ms) before
 * it, a read's latency after it, on a busy machine. The election timeout (1 s), which a wrong age
 * would be short by, is well beyond it.
 */
const AGE_TOLERANCE_MS = 750;

describe('the edge tier reading from a member cut off from its cluster', { timeout: 120_000 }, () => {
  const proxy = new PeerProxy(createRandom(29));
  let cluster: TestCluster | undefined;
  let edge: EdgeWorker | undefined;

  before(async () => {
    cluster = await TestCluster.start({
      name: 'edge-partition',
      size: 3,
      peerUrlFor: (name, peerPort) => proxy.listen(name, peerPort),
    });
    await cluster.waitForLeader(30_000);
  });

  after(async () => {
    await edge?.stop();
    await cluster?.stop();
    await proxy.close();
  });

  it('answers stale with the age since the member last heard its leader, and fresh again once it rejoins', async (t) => {
    const members = cluster!;
    const leader = await members.waitForLeader();
    const cutOff = members.members.find((m) => m.name !== leader)!;
    const others = members.members.filter((m) => m !== cutOff);
    // One endpoint: the edge stays on the cut-off member (with several it would move to another).
    edge = await EdgeWorker.start({
      name: 'edge-partition',
      clusterEndpoints: [cutOff.clientUrl],
      limits: { staleAfterMs: 1000 },
    });
    const path = `/v1/kv/${encodeURIComponent('app/partition/k')}`;
    const read = async () => {
      const response = await edge!.get(path);
      await response.arrayBuffer();
      return {
        stale: response.headers.get('x-vane-edge-stale'),
        ageMs: Number(response.headers.get('x-vane-edge-age-ms')),
      };
    };
    assert.equal((await members.put(leader, 'app/partition/k', 'v1')).status, 200);
    await waitFor('a fresh answer from the edge', 20_000, async () =>
      (await read()).stale === 'false' ? true : undefined,
    );

    const partitionedAt = performance.now();
    for (const other of others) {
      proxy.setLink(cutOff.name, other.name, { blocked: true });
      proxy.setLink(other.name, cutOff.name, { blocked: true });
    }
    const first = await waitFor('a stale answer from the edge', 15_000, async () => {
      const answer = await read();
      return answer.stale === 'true' ? answer : undefined;
    });
    const seenAfterMs = Math.round(performance.now() - partitionedAt);
    t.diagnostic(`first stale answer ${seenAfterMs} ms after the partition, age ${first.ageMs} ms`);
    // Counted from when the member last heard its leader, the age is about the time since the
    // partition (a heartbeat more, a read's latency less); counted from when the edge heard it
    // was stale (about an election timeout later), it would be near 0.
    assert.ok(
      Math.abs(first.ageMs - seenAfterMs) <= AGE_TOLERANCE_MS,
      `age ${first.ageMs} ms at the first stale answer, ${seenAfterMs} ms after the partition`,
    );

    proxy.heal();
    await waitFor('fresh answers once the member rejoins', 20_000, async () =>
      (await read()).stale === 'false' ? true : undefined,
    );
  });
});
