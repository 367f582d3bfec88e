// The client SDK in workerd (wrangler's dev pipeline, as test/edge/edge-harness.ts runs the edge):
// an app's Worker (fixtures/sdk-smoke-worker.ts) reads a key, waits for a watched change and
// evaluates a flag from a live replica, against a one-member cluster. Flag evaluation must give the
// variation Node gives for every context: the rollout bucket is the same in every runtime.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evaluateFlag, parseFlagDocument } from '../../core/flags/index.ts';
import { TestCluster } from '../cluster/harness.ts';
import { type FixtureWorker, type Message, startFixtureWorker } from './edge-harness.ts';

const WORKER_CONFIG = join(import.meta.dirname, 'fixtures', 'sdk-smoke.wrangler.toml');

const BANNER = {
  key: 'banner',
  on: true,
  salt: 'smoke',
  variations: [
    { id: 'pro', value: 'Welcome back' },
    { id: 'hello', value: 'Hello' },
    { id: 'hi', value: 'Hi' },
  ],
  offVariation: 'hello',
  rules: [
    {
      id: 'pro-plan',
      clauses: [{ attribute: 'plan', op: 'equals', values: ['pro'] }],
      serve: { variation: 'pro' },
    },
  ],
  fallthrough: {
    rollout: {
      variations: [
        { variation: 'hello', weight: 50_000 },
        { variation: 'hi', weight: 50_000 },
      ],
    },
  },
};

describe('the client SDK in workerd', { timeout: 60_000 }, () => {
  let cluster: TestCluster;
  let worker: FixtureWorker;

  const put = async (key: string, value: string): Promise<number> => {
    const response = await cluster.put('m1', key, value);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.header.revision;
  };
  const call = async (path: string): Promise<Message> => {
    const response = await fetch(`${worker.url}${path}`, { signal: AbortSignal.timeout(15_000) });
    const body = await response.json();
    assert.equal(response.status, 200, `${path}: ${JSON.stringify(body)}`);
    return body;
  };

  before(async () => {
    cluster = await TestCluster.start({ name: 'sdk-smoke', size: 1 });
    await cluster.waitForLeader(15_000);
    worker = await startFixtureWorker(WORKER_CONFIG, {
      VANE_CLUSTER_ENDPOINTS: cluster.member('m1').clientUrl,
    });
  });

  after(async () => {
    await worker?.stop();
    await cluster?.stop();
  });

  it('gets a key', async () => {
    const revision = await put('smoke/get', 'from the cluster');
    const { kv } = await call(`/get?key=${encodeURIComponent('smoke/get')}`);
    assert.equal(kv.value, 'from the cluster');
    assert.equal(kv.modRevision, revision);
    assert.equal((await call(`/get?key=${encodeURIComponent('smoke/absent')}`)).kv, null);
  });

  it('hears a change to a watched key, once, at its revision', async () => {
    const before = await put('smoke/unwatched', 'x');
    const heard = call(`/watch?key=${encodeURIComponent('smoke/watched')}&startRevision=${before + 1}`);
    await put('smoke/unwatched', 'y');
    const revision = await put('smoke/watched', 'changed');
    const batch = await heard;
    assert.equal(batch.revision, revision);
    assert.deepEqual(
      batch.events.map((event: Message) => [event.type, event.kv.key, event.kv.value]),
      [['put', 'smoke/watched', 'changed']],
    );
  });

  it('evaluates a flag from a live replica as Node does, rule and rollout alike', async () => {
    const revision = await put('flags/banner', JSON.stringify(BANNER));
    const contexts = [
      { key: 'user-1', plan: 'pro' },
      ...Array.from({ length: 12 }, (_, i) => ({ key: `user-${i + 1}`, plan: 'free' })),
    ];
    const answer = await call(`/flag?key=banner&contexts=${encodeURIComponent(JSON.stringify(contexts))}`);
    assert.ok(answer.revision >= revision, `the replica is at ${answer.revision}, the flag at ${revision}`);
    const document = parseFlagDocument(JSON.stringify(BANNER), 'banner');
    assert.ok(!('code' in document), 'the flag document is valid');
    const inNode = contexts.map((context) => {
      const evaluation = evaluateFlag(document, context);
      return [context.key, evaluation.variationId, evaluation.value, evaluation.reason.kind];
    });
    const inWorkerd = answer.resolutions.map((resolution: Message, i: number) => [
      contexts[i]!.key,
      resolution.variationId,
      resolution.value,
      resolution.reason.kind,
    ]);
    assert.deepEqual(inWorkerd, inNode);
    const served = new Set(inWorkerd.slice(1).map((row: unknown[]) => row[1]));
    assert.deepEqual([...served].sort(), ['hello', 'hi'], 'the rollout splits the free users');
    assert.deepEqual(inWorkerd[0], ['user-1', 'pro', 'Welcome back', 'RULE_MATCH']);
  });
});
