// The web provider under the real @openfeature/web-sdk, on a FakeSource: synchronous resolution
// with variant, reason, error codes and the revision in flagMetadata; the events READY, STALE,
// ERROR and CONFIGURATION_CHANGED (with flagsChanged and the revision) as the source's state moves.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type EventDetails, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/web-sdk';
import { SchemaMismatchError, VaneClientError } from '../errors.ts';
import { FakeSource } from './fake-source.test.ts';
import { VaneWebProvider } from './web.ts';

/** Every provider event the API emits from now on, in order. */
function recordEvents(): { kind: string; details: EventDetails | undefined }[] {
  const seen: { kind: string; details: EventDetails | undefined }[] = [];
  for (const kind of [
    ProviderEvents.Ready,
    ProviderEvents.Stale,
    ProviderEvents.Error,
    ProviderEvents.ConfigurationChanged,
  ]) {
    OpenFeature.addHandler(kind, (details) => seen.push({ kind, details }));
  }
  // A handler added for the current status runs at once; that is not an event.
  seen.length = 0;
  return seen;
}

async function until(what: string, check: () => boolean): Promise<void> {
  const deadline = performance.now() + 2000;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

afterEach(async () => {
  OpenFeature.clearHandlers();
  await OpenFeature.clearProviders();
  await OpenFeature.clearContext();
});

describe('VaneWebProvider', () => {
  it('resolves synchronously for the context set with setContext, with variant, reason and revision', async () => {
    const source = new FakeSource();
    source.outcomes.set('dark-mode', {
      value: true,
      variationId: 'on',
      variationIndex: 0,
      reason: { kind: 'RULE_MATCH', ruleIndex: 2, ruleId: 'pro-users' },
    });
    source.outcomes.set('banner', {
      value: 'Hi',
      variationId: 'hi',
      variationIndex: 1,
      reason: { kind: 'FALLTHROUGH', inRollout: true, bucket: 61_234 },
    });
    source.markReady(17);
    await OpenFeature.setContext({ targetingKey: 'user-1', plan: 'pro' });
    await OpenFeature.setProviderAndWait(new VaneWebProvider(source));
    const client = OpenFeature.getClient();
    assert.equal(client.providerStatus, ProviderStatus.READY);
    const details = client.getBooleanDetails('dark-mode', false);
    assert.equal(details.value, true);
    assert.equal(details.variant, 'on');
    assert.equal(details.reason, 'TARGETING_MATCH');
    assert.equal(details.errorCode, undefined);
    assert.deepEqual(details.flagMetadata, { revision: 17, stale: false, ruleIndex: 2, ruleId: 'pro-users' });
    assert.deepEqual(source.contexts.at(-1), { key: 'user-1', plan: 'pro' });
    const split = client.getStringDetails('banner', 'Hello');
    assert.equal(split.value, 'Hi');
    assert.equal(split.reason, 'SPLIT');
    assert.equal(split.flagMetadata.bucket, 61_234);
  });

  it('serves the default with the matching error code when a flag cannot be served', async () => {
    const source = new FakeSource();
    const failure = (
      errorKind: 'TYPE_MISMATCH' | 'PARSE_ERROR' | 'TARGETING_KEY_MISSING' | 'SEGMENT_NOT_FOUND',
    ) => ({
      value: undefined,
      reason: { kind: 'ERROR' as const },
      errorKind,
      errorMessage: `failed: ${errorKind}`,
    });
    source.outcomes.set('typed', failure('TYPE_MISMATCH'));
    source.outcomes.set('broken', failure('PARSE_ERROR'));
    source.outcomes.set('rollout', failure('TARGETING_KEY_MISSING'));
    source.outcomes.set('segmented', failure('SEGMENT_NOT_FOUND'));
    source.markReady(3);
    await OpenFeature.setProviderAndWait(new VaneWebProvider(source));
    const client = OpenFeature.getClient();
    const cases: [string, string][] = [
      ['missing', 'FLAG_NOT_FOUND'],
      ['typed', 'TYPE_MISMATCH'],
      ['broken', 'PARSE_ERROR'],
      ['rollout', 'TARGETING_KEY_MISSING'],
      ['segmented', 'GENERAL'],
    ];
    for (const [flagKey, errorCode] of cases) {
      const details = client.getNumberDetails(flagKey, 42);
      assert.equal(details.value, 42, flagKey);
      assert.equal(details.reason, 'ERROR', flagKey);
      assert.equal(details.errorCode, errorCode, flagKey);
    }
    assert.match(client.getNumberDetails('missing', 1).errorMessage ?? '', /flags\/missing/);
  });

  it('emits CONFIGURATION_CHANGED with exactly the changed flags and the revision', async () => {
    const source = new FakeSource();
    source.markReady(5);
    await OpenFeature.setProviderAndWait(new VaneWebProvider(source));
    const events = recordEvents();
    source.change(6, ['dark-mode']);
    source.change(8, ['banner', 'limit']);
    const changed = events.filter((event) => event.kind === ProviderEvents.ConfigurationChanged);
    assert.deepEqual(
      changed.map((event) => [event.details?.flagsChanged, event.details?.metadata]),
      [
        [['dark-mode'], { revision: 6 }],
        [['banner', 'limit'], { revision: 8 }],
      ],
    );
  });

  it('goes STALE when the connection is stale or offline, and READY again once it is live', async () => {
    const source = new FakeSource();
    source.markReady(5);
    await OpenFeature.setProviderAndWait(new VaneWebProvider(source));
    const events = recordEvents();
    const client = OpenFeature.getClient();
    source.setStatus({ state: 'stale', lagMs: 12_000, revision: 5 });
    assert.equal(client.providerStatus, ProviderStatus.STALE);
    source.setStatus({ state: 'offline', revision: 5 });
    source.setStatus({ state: 'connecting', revision: 5 });
    source.setStatus({ state: 'live', revision: 5 });
    assert.equal(client.providerStatus, ProviderStatus.READY);
    assert.deepEqual(
      events.map((event) => event.kind),
      [ProviderEvents.Stale, ProviderEvents.Ready],
    );
    assert.match(events[0]!.details?.message ?? '', /stale \(not confirmed for 12000 ms\)/);
  });

  it('announces a state from the cache as STALE right after READY, until the connection is live', async () => {
    const source = new FakeSource();
    source.status = { state: 'connecting', revision: 0 };
    source.markReady(40, true);
    const events = recordEvents();
    await OpenFeature.setProviderAndWait(new VaneWebProvider(source));
    await until('STALE', () => events.some((event) => event.kind === ProviderEvents.Stale));
    const client = OpenFeature.getClient();
    assert.equal(client.providerStatus, ProviderStatus.STALE);
    assert.equal(client.getBooleanDetails('missing', true).flagMetadata.stale, true);
    source.setStatus({ state: 'live', revision: 41 });
    assert.deepEqual(
      events.map((event) => event.kind),
      [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.Ready],
    );
  });

  it('goes ERROR when the cluster refuses the client, not for one broken flag, and READY when flags flow again', async () => {
    const source = new FakeSource();
    source.markReady(5);
    await OpenFeature.setProviderAndWait(new VaneWebProvider(source));
    const events = recordEvents();
    const client = OpenFeature.getClient();
    source.fail(new SchemaMismatchError('flags/x', 6, [{ message: 'bad', path: [] }]));
    assert.equal(client.providerStatus, ProviderStatus.READY);
    source.fail(new VaneClientError('permissionDenied', "the token may not read 'flags/'"));
    assert.equal(client.providerStatus, ProviderStatus.ERROR);
    source.change(9, ['x']);
    assert.equal(client.providerStatus, ProviderStatus.READY);
    assert.deepEqual(
      events.map((event) => event.kind),
      [ProviderEvents.Error, ProviderEvents.Ready, ProviderEvents.ConfigurationChanged],
    );
    assert.match(events[0]!.details?.message ?? '', /may not read/);
  });

  it('reports ERROR when the flags never load', async () => {
    const source = new FakeSource();
    const events = recordEvents();
    source.failReady(new VaneClientError('closed', 'the flags replica was closed'));
    await assert.rejects(OpenFeature.setProviderAndWait(new VaneWebProvider(source)), /closed/);
    assert.equal(OpenFeature.getClient().providerStatus, ProviderStatus.ERROR);
    assert.deepEqual(
      events.map((event) => event.kind),
      [ProviderEvents.Error],
    );
  });

  it('stops emitting once closed', async () => {
    const source = new FakeSource();
    source.markReady(5);
    const provider = new VaneWebProvider(source);
    await OpenFeature.setProviderAndWait(provider);
    const emitted: string[] = [];
    for (const kind of [ProviderEvents.Stale, ProviderEvents.ConfigurationChanged]) {
      provider.events.addHandler(kind, () => emitted.push(kind));
    }
    await provider.onClose();
    source.change(6, ['a']);
    source.setStatus({ state: 'offline', revision: 6 });
    assert.deepEqual(emitted, []);
  });
});
