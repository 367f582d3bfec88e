// A member whose log grows by large entries snapshots once the log holds SNAPSHOT_LOG_BYTES (4 MiB),
// however few entries that is, and keeps at most CATCHUP_LOG_BYTES (4 MiB) of it for followers to
// catch up from: a bulk load in large txns no longer leaves its whole log to replay on restart, nor
// in memory. A one-member cluster in this process, its "snapshot saved" log lines read.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startOneMemberCluster, type TestMember } from '../adapters/node/testing.ts';

const WAIT_MS = 10_000;
const MIB = 1024 * 1024;

let started: TestMember | undefined;

after(async () => {
  await started?.stop();
});

function savedSnapshots(): { index: number; logStartsAt: number }[] {
  return (started?.logLines ?? [])
    .filter((line) => line.includes('"snapshot saved"'))
    .map((line) => JSON.parse(line) as { index: number; logStartsAt: number });
}

test('a member snapshots after 4 MiB of log in a few large entries, and keeps at most 4 MiB of it', async () => {
  started = await startOneMemberCluster({
    'snapshot-entries': '10000',
    'snapshot-catchup-entries': '5000',
  });
  const member = started.running.member;
  for (let i = 0; i < 6; i++) {
    const result = await member.write({
      op: 'put',
      request: { key: `big/${i}`, value: new Uint8Array(MIB).fill(0x61 + i) },
    });
    assert.ok(!('code' in result), JSON.stringify(result));
  }
  const deadline = performance.now() + WAIT_MS;
  while (savedSnapshots().length === 0) {
    if (performance.now() > deadline) assert.fail('no snapshot within 6 entries of 1 MiB');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const [first] = savedSnapshots();
  assert.ok(first!.index < 10, `snapshot at index ${first!.index}, long before 10,000 entries`);
  // Entries of 1 MiB each: at most 3 of them (and the member's few small entries) fit in the 4 MiB
  // catch-up log; by entries alone (5,000) nothing would have been dropped.
  const kept = first!.index - first!.logStartsAt + 1;
  assert.ok(first!.logStartsAt > 1 && kept <= 5, `kept entries ${first!.logStartsAt} to ${first!.index}`);
});
