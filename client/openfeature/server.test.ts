// The server provider under the real @openfeature/server-sdk, on a FakeSource: each resolution gets
// its own request context, and the same events as the web provider. (The mapping they share is
// tested at length in web.test.ts; a real cluster drives this provider in test/e2e/sdk-openfeature.test.ts.)
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type EventDetails, OpenFeature, ProviderEvents, ProviderStatus } from '@openfeature/server-sdk';
import { FakeSource } from './fake-source.test.ts';
import { VaneServerProvider } from './server.ts';

afterEach(async () => {
  OpenFeature.clearHandlers();
  await OpenFeature.clearProviders();
});

describe('VaneServerProvider', () => {
  it('resolves each evaluation for its own context, with variant, reason, error code and revision', async () => {
    const source = new FakeSource();
    source.outcomes.set('limits', {
      value: { max: 100 },
      variationId: 'high',
      variationIndex: 1,
      reason: { kind: 'TARGET_MATCH' },
    });
    source.markReady(30);
    await OpenFeature.setProviderAndWait(new VaneServerProvider(source));
    const client = OpenFeature.getClient();
    const details = await client.getObjectDetails('limits', {}, { targetingKey: 'org-7', region: 'eu' });
    assert.deepEqual(details.value, { max: 100 });
    assert.equal(details.variant, 'high');
    assert.equal(details.reason, 'TARGETING_MATCH');
    assert.deepEqual(details.flagMetadata, { revision: 30, stale: false });
    assert.deepEqual(source.contexts.at(-1), { key: 'org-7', region: 'eu' });
    const missing = await client.getBooleanDetails('nope', true, { targetingKey: 'org-8' });
    assert.equal(missing.value, true);
    assert.equal(missing.errorCode, 'FLAG_NOT_FOUND');
    assert.deepEqual(source.contexts.at(-1), { key: 'org-8' });
  });

  it('emits CONFIGURATION_CHANGED, STALE and READY as the source moves', async () => {
    const source = new FakeSource();
    source.markReady(5);
    await OpenFeature.setProviderAndWait(new VaneServerProvider(source));
    const seen: { kind: string; details: EventDetails | undefined }[] = [];
    for (const kind of [ProviderEvents.Ready, ProviderEvents.Stale, ProviderEvents.ConfigurationChanged]) {
      OpenFeature.addHandler(kind, (details) => seen.push({ kind, details }));
    }
    // A handler added for the current status runs at once; that is not an event.
    seen.length = 0;
    source.change(6, ['dark-mode']);
    source.setStatus({ state: 'offline', revision: 6 });
    assert.equal(OpenFeature.getClient().providerStatus, ProviderStatus.STALE);
    source.setStatus({ state: 'live', revision: 6 });
    assert.deepEqual(
      seen.map((event) => event.kind),
      [ProviderEvents.ConfigurationChanged, ProviderEvents.Stale, ProviderEvents.Ready],
    );
    assert.deepEqual(seen[0]!.details?.flagsChanged, ['dark-mode']);
    assert.deepEqual(seen[0]!.details?.metadata, { revision: 6 });
  });
});
