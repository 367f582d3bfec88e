// The SDK under Deno, against a running cluster whose client URLs VANE_SMOKE_ENDPOINTS names (the
// Node test test/e2e/sdk-runtimes.test.ts starts one and runs this file): a write and a read, a
// watch hearing each later write once, and a flag evaluated locally from a live replica. Written
// against node:test, which Deno provides, so that the repository's Node type-check covers it too.
// Run: VANE_SMOKE_ENDPOINTS=http://127.0.0.1:7379 npx deno test --allow-net=127.0.0.1 --allow-env test/deno/sdk-smoke_test.ts
import assert from 'node:assert/strict';
import process from 'node:process';
import { test } from 'node:test';
import type { FlagsChange } from '../../client/flags.ts';
import { flagsReplica } from '../../client/flags.ts';
import { createClient } from '../../client/index.ts';
import type { WatchBatch } from '../../client/types.ts';

const endpoints = (process.env.VANE_SMOKE_ENDPOINTS ?? '').split(',').filter((url) => url !== '');

/** Polls `check` until it holds, failing after 10 s. */
async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = performance.now() + 10_000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const flag = (on: boolean) =>
  JSON.stringify({
    key: 'deno-smoke',
    on,
    variations: [
      { id: 'on', value: true },
      { id: 'off', value: false },
    ],
    offVariation: 'off',
    rules: [
      { clauses: [{ attribute: 'runtime', op: 'equals', values: ['deno'] }], serve: { variation: 'on' } },
    ],
    fallthrough: { variation: 'off' },
  });

test('get, watch and flag evaluation through the SDK under Deno', async () => {
  assert.ok(endpoints.length > 0, 'VANE_SMOKE_ENDPOINTS names the members to talk to');
  const client = createClient({ endpoints });
  try {
    const written = await client.put('smoke/deno', 'hello from Deno');
    const read = await client.get('smoke/deno');
    assert.equal(read?.value, 'hello from Deno');
    assert.equal(read?.modRevision, written.revision);

    const batches: WatchBatch[] = [];
    const watch = client.watch(
      { key: 'smoke/', prefix: true, startRevision: written.revision + 1 },
      (batch) => batches.push(batch),
    );
    const later = [await client.put('smoke/deno', 'one'), await client.put('smoke/other', 'two')];
    await until('two watch batches', () => batches.length >= 2);
    watch.close();
    assert.deepEqual(
      batches.map((batch) => [batch.revision, batch.events.map((event) => event.kv.value)]),
      [
        [later[0]!.revision, ['one']],
        [later[1]!.revision, ['two']],
      ],
    );

    await client.put('flags/deno-smoke', flag(true));
    const flags = flagsReplica(client);
    await flags.ready;
    assert.equal(flags.boolean('deno-smoke', false, { key: 'd1', runtime: 'deno' }), true);
    const changes: FlagsChange[] = [];
    flags.onChange((change) => changes.push(change));
    const off = await client.put('flags/deno-smoke', flag(false));
    await until('the flag change', () => changes.some((change) => change.revision === off.revision));
    assert.deepEqual(changes, [{ revision: off.revision, flagsChanged: ['deno-smoke'] }]);
    const resolution = flags.resolve('deno-smoke', 'boolean', true, { key: 'd1', runtime: 'deno' });
    assert.equal(resolution.value, false);
    assert.equal(resolution.reason.kind, 'OFF');
    flags.close();
  } finally {
    client.close();
  }
});
