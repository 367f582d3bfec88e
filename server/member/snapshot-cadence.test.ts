// When a member takes a snapshot: after --snapshot-entries entries (or 4 MiB of log), and only once
// the log has grown by a quarter of the last snapshot's size, so a large store is not serialized every
// few entries (each snapshot stops the member for a time in proportion to the store). A one-member cluster in this
// process, its "snapshot saved" log lines counted.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { startOneMemberCluster, type TestMember } from '../adapters/node/testing.ts';
import type { RunningMember } from '../adapters/start-member.ts';

const WAIT_MS = 10_000;
const SNAPSHOT_ENTRIES = 10;

let started: TestMember | undefined;

after(async () => {
  await started?.stop();
});

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const snapshotsSaved = (): number =>
  (started?.logLines ?? []).filter((line) => line.includes('"snapshot saved"')).length;

async function put(member: RunningMember['member'], key: string, bytes: number): Promise<void> {
  const result = await member.write({
    op: 'put',
    request: { key, value: new Uint8Array(bytes).fill(0x61) },
  });
  assert.ok(!('code' in result), JSON.stringify(result));
}

test('a member with a large store snapshots after as many log bytes as its last snapshot, not every N entries', async () => {
  started = await startOneMemberCluster({
    'snapshot-entries': String(SNAPSHOT_ENTRIES),
    'snapshot-catchup-entries': '5',
  });
  const member = started.running.member;

  // 20 keys of 8 KiB: the first snapshot (the log had grown past the bootstrap snapshot's size).
  for (let i = 0; i < 20; i++) await put(member, `big/${i}`, 8192);
  await waitFor('the first snapshot', () => snapshotsSaved() >= 1);
  const afterBigKeys = snapshotsSaved();

  // 40 small puts are 4 × SNAPSHOT_ENTRIES entries but a few KiB of log against a snapshot of
  // over 160 KiB: no snapshot (counting entries alone would have taken 4).
  for (let i = 0; i < 4 * SNAPSHOT_ENTRIES; i++) await put(member, `small/${i}`, 16);
  assert.equal(snapshotsSaved(), afterBigKeys);

  // Rewriting the big keys grows the log by as much as the snapshot: now one is taken.
  for (let i = 0; i < 21; i++) await put(member, `big/${i % 20}`, 8192);
  await waitFor('a snapshot once the log grew by the snapshot size', () => snapshotsSaved() > afterBigKeys);
});
