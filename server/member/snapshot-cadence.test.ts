// When a member takes a snapshot: after --snapshot-entries entries, and only once the log has grown
// by as many bytes as the last snapshot, so a large store is not serialized every few entries (each
// snapshot stops the member for a time in proportion to the store). A one-member cluster in this
// process, its "snapshot saved" log lines counted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nodeFileSystem, nodeProcessTable } from '../adapters/node/fs.ts';
import { serveClientApi } from '../adapters/node/http.ts';
import { createNodePeerNetwork } from '../adapters/node/peer-socket.ts';
import { type RunningMember, startMember } from '../adapters/start-member.ts';
import { resolveConfig } from '../config.ts';
import { createLogger } from '../log.ts';

const WAIT_MS = 10_000;
const SNAPSHOT_ENTRIES = 10;

const logLines: string[] = [];
let running: RunningMember | undefined;
let dir: string | undefined;

after(async () => {
  await running?.stop();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

async function waitFor(what: string, condition: () => boolean): Promise<void> {
  const deadline = performance.now() + WAIT_MS;
  while (!condition()) {
    if (performance.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const snapshotsSaved = (): number => logLines.filter((line) => line.includes('"snapshot saved"')).length;

async function put(member: RunningMember['member'], key: string, bytes: number): Promise<void> {
  const result = await member.write({
    op: 'put',
    request: { key, value: new Uint8Array(bytes).fill(0x61) },
  });
  assert.ok(!('code' in result), JSON.stringify(result));
}

test('a member with a large store snapshots after as many log bytes as its last snapshot, not every N entries', async () => {
  dir = mkdtempSync(join(tmpdir(), 'vane-snapshot-cadence-'));
  const resolved = resolveConfig(
    {
      name: 'm1',
      'data-dir': dir,
      'cluster-secret': 'a secret of the one-member test cluster',
      'listen-client': '127.0.0.1:0',
      'listen-peer': '127.0.0.1:0',
      'initial-cluster': 'm1=ws://127.0.0.1:1',
      'tick-ms': '10',
      'snapshot-entries': String(SNAPSHOT_ENTRIES),
      'snapshot-catchup-entries': '5',
    },
    {},
  );
  assert.ok(resolved.ok, JSON.stringify(resolved));
  running = await startMember(resolved.config, {
    runtime: 'node',
    fs: nodeFileSystem,
    processes: nodeProcessTable,
    network: createNodePeerNetwork(),
    serveClientApi,
    randomSeed: () => 1,
    logger: createLogger({
      level: 'info',
      name: 'm1',
      destination: { write: (line) => logLines.push(line) },
    }),
  });
  const member = running.member;
  await waitFor('m1 to lead', () => member.health().ok);

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
