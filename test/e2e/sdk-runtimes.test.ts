// The SDK outside the browser against a real 3-member cluster: the OpenFeature server provider in
// Node (READY, resolution from the live replica, CONFIGURATION_CHANGED naming the flags and the
// revision, STALE when the cluster goes away, READY when it returns), and the SDK under Deno
// (test/deno/sdk-smoke_test.ts: get, watch, flags; with the flag vectors of test/deno/).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EventDetails, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import { WebSocket } from 'ws';
import { flagsReplica } from '../../client/flags.ts';
import { createClient } from '../../client/index.ts';
import { VaneServerProvider } from '../../client/openfeature/server.ts';
import { denoExecutable, TestCluster, waitFor } from '../cluster/harness.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const WAIT_MS = 15_000;

function flag(key: string, on: boolean, segment?: string): string {
  return JSON.stringify({
    key,
    on,
    variations: [
      { id: 'on', value: true },
      { id: 'off', value: false },
    ],
    offVariation: 'off',
    rules: [
      { clauses: [{ attribute: 'plan', op: 'equals', values: ['pro'] }], serve: { variation: 'on' } },
      ...(segment === undefined
        ? []
        : [{ clauses: [{ op: 'segmentMatch', values: [segment] }], serve: { variation: 'on' } }]),
    ],
    fallthrough: { variation: 'off' },
  });
}

describe('the SDK in Node and Deno against a 3-member cluster', { timeout: 240_000 }, () => {
  let cluster: TestCluster;
  let endpoints: string[];

  before(async () => {
    cluster = await TestCluster.start({ name: 'sdk-runtimes', size: 3 });
    await cluster.waitForLeader(WAIT_MS);
    endpoints = cluster.members.map((m) => m.clientUrl);
  });

  after(async () => {
    await cluster?.stop();
  });

  async function put(key: string, value: string): Promise<number> {
    const answer = await cluster.put(cluster.running()[0]!.name, key, value);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    return answer.body.header.revision;
  }

  it('runs the SDK under Deno: get, watch and flag evaluation (and the flag vectors)', async () => {
    const child = spawn(
      denoExecutable(),
      [
        'test',
        '--no-check',
        '--no-prompt',
        '--allow-net=127.0.0.1',
        '--allow-env',
        '--allow-read',
        'test/deno/sdk-smoke_test.ts',
        'test/deno/flag-vectors_test.ts',
      ],
      {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', VANE_SMOKE_ENDPOINTS: endpoints.join(',') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += String(chunk);
    });
    child.stderr.on('data', (chunk) => {
      output += String(chunk);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((done) => child.once('exit', (exitCode) => done(exitCode)));
    clearTimeout(timer);
    assert.equal(code, 0, `deno test failed:\n${output}`);
    assert.match(output, /ok \| 3 passed \| 0 failed/);
  });

  it('drives the OpenFeature server provider: READY, CONFIGURATION_CHANGED with the flags and revision, STALE, READY', async () => {
    await put('flags/checkout-v2', flag('checkout-v2', true));
    await put(
      'segments/beta',
      JSON.stringify({ key: 'beta', included: ['tester'], excluded: [], rules: [] }),
    );
    const client = createClient({
      endpoints,
      webSocket: WebSocket,
      staleAfterMs: 1000,
      backoff: { initialMs: 50, maxMs: 500 },
    });
    const seen: { kind: string; details: EventDetails | undefined }[] = [];
    for (const kind of [
      ProviderEvents.Ready,
      ProviderEvents.Stale,
      ProviderEvents.Error,
      ProviderEvents.ConfigurationChanged,
    ]) {
      OpenFeature.addHandler(kind, (details) => seen.push({ kind, details }));
    }
    seen.length = 0;
    const events = (kind: string) => seen.filter((event) => event.kind === kind);
    const flags = flagsReplica(client);
    try {
      await OpenFeature.setProviderAndWait(new VaneServerProvider(flags));
      assert.deepEqual(
        seen.map((event) => event.kind),
        [ProviderEvents.Ready],
      );
      const features = OpenFeature.getClient();
      const pro = await features.getBooleanDetails('checkout-v2', false, { targetingKey: 'u1', plan: 'pro' });
      assert.equal(pro.value, true);
      assert.equal(pro.variant, 'on');
      assert.equal(pro.reason, 'TARGETING_MATCH');
      const missing = await features.getBooleanDetails('no-such-flag', true, { targetingKey: 'u1' });
      assert.equal(missing.value, true);
      assert.equal(missing.errorCode, 'FLAG_NOT_FOUND');

      const offAt = await put('flags/checkout-v2', flag('checkout-v2', false));
      await waitFor('the change event', WAIT_MS, () =>
        events(ProviderEvents.ConfigurationChanged).length >= 1 ? true : undefined,
      );
      const changed = events(ProviderEvents.ConfigurationChanged)[0]!.details;
      assert.deepEqual(changed?.flagsChanged, ['checkout-v2']);
      assert.deepEqual(changed?.metadata, { revision: offAt });
      const off = await features.getBooleanDetails('checkout-v2', true, { targetingKey: 'u1', plan: 'pro' });
      assert.equal(off.value, false);
      assert.equal(off.reason, 'DISABLED');
      // The revision up to which both flags/ and segments/ are known (segments/ may confirm it later).
      assert.equal(typeof off.flagMetadata.revision, 'number');

      // A segment change names the flags that test it.
      await put('flags/beta-feature', flag('beta-feature', true, 'beta'));
      const segmentAt = await put(
        'segments/beta',
        JSON.stringify({ key: 'beta', included: ['tester', 'u2'], excluded: [], rules: [] }),
      );
      await waitFor('the segment change event', WAIT_MS, () =>
        events(ProviderEvents.ConfigurationChanged).some(
          (event) => event.details?.metadata?.revision === segmentAt,
        )
          ? true
          : undefined,
      );
      assert.deepEqual(
        events(ProviderEvents.ConfigurationChanged)
          .slice(1)
          .map((event) => [event.details?.flagsChanged, event.details?.metadata?.revision]),
        [
          [['beta-feature'], segmentAt - 1],
          [['beta-feature'], segmentAt],
        ],
      );
      assert.equal(await features.getBooleanValue('beta-feature', false, { targetingKey: 'u2' }), true);

      await cluster.stop();
      await waitFor('STALE', WAIT_MS, () => (events(ProviderEvents.Stale).length > 0 ? true : undefined));
      assert.equal(features.providerStatus, ProviderStatus.STALE);
      assert.equal(
        await features.getBooleanValue('beta-feature', false, { targetingKey: 'u2' }),
        true,
        'flags still resolve from the replica while the cluster is away',
      );
      for (const m of cluster.members) cluster.restart(m.name);
      await cluster.waitForLeader(WAIT_MS);
      await waitFor('READY again', WAIT_MS, () =>
        features.providerStatus === ProviderStatus.READY ? true : undefined,
      );
      assert.deepEqual(
        seen.map((event) => event.kind),
        [
          ProviderEvents.Ready,
          ProviderEvents.ConfigurationChanged,
          ProviderEvents.ConfigurationChanged,
          ProviderEvents.ConfigurationChanged,
          ProviderEvents.Stale,
          ProviderEvents.Ready,
        ],
      );
      assert.equal(events(ProviderEvents.Error).length, 0);
    } finally {
      OpenFeature.clearHandlers();
      await OpenFeature.clearProviders();
      flags.close();
      client.close();
    }
  });
});
