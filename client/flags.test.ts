// Flags evaluated from live replicas of flags/ and segments/: typed resolution that never throws,
// change events naming exactly the flags affected at each revision, broken documents reported with
// the last valid one kept, and the staleness of a cached start. The client runs on FakeTransport,
// whose lists and watch events the test plays.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FlagDocument, SegmentDocument } from '../core/flags/index.ts';
import { memoryStorage } from './cache.ts';
import { createClient } from './client.ts';
import { type ClientError, SchemaMismatchError } from './errors.ts';
import { FakeTransport, header, kv, settle } from './fakes.test.ts';
import { type FlagsChange, type FlagsReplica, flagsReplica } from './flags.ts';
import type { CacheStorage, KeyValue, WatchEvent } from './types.ts';

type FlagJson = Omit<FlagDocument, 'targets' | 'rules' | 'salt'> & Partial<FlagDocument>;

const dark: FlagJson = {
  key: 'dark-mode',
  on: true,
  variations: [
    { id: 'on', value: true },
    { id: 'off', value: false },
  ],
  offVariation: 'off',
  rules: [
    {
      id: 'pro',
      clauses: [{ attribute: 'plan', op: 'equals', values: ['pro'] }],
      serve: { variation: 'on' },
    },
  ],
  fallthrough: { variation: 'off' },
};
const banner: FlagJson = {
  key: 'banner',
  on: true,
  variations: [
    { id: 'hello', value: 'Hello' },
    { id: 'hi', value: 'Hi' },
  ],
  offVariation: 'hello',
  fallthrough: {
    rollout: {
      variations: [
        { variation: 'hello', weight: 50_000 },
        { variation: 'hi', weight: 50_000 },
      ],
    },
  },
};
const limit: FlagJson = {
  key: 'limit',
  on: true,
  variations: [
    { id: 'low', value: 10 },
    { id: 'high', value: { max: 100 } },
  ],
  offVariation: 'low',
  rules: [{ clauses: [{ op: 'segmentMatch', values: ['beta'] }], serve: { variation: 'high' } }],
  fallthrough: { variation: 'low' },
};
const beta: SegmentDocument = { key: 'beta', included: ['ann'], excluded: [], rules: [] };
const other: SegmentDocument = { key: 'other', included: [], excluded: [], rules: [] };

function flagKv(flag: FlagJson, revision: number): KeyValue {
  return kv(`flags/${flag.key}`, JSON.stringify(flag), revision);
}

function segmentKv(segment: SegmentDocument, revision: number): KeyValue {
  return kv(`segments/${segment.key}`, JSON.stringify(segment), revision);
}

const put = (value: KeyValue): WatchEvent => ({ type: 'put', kv: value });
const del = (key: string, revision: number): WatchEvent => ({
  type: 'delete',
  kv: { ...kv(key, '', revision), version: 0 },
});

interface Started {
  readonly transport: FakeTransport;
  readonly flags: FlagsReplica;
  readonly changes: FlagsChange[];
  readonly errors: ClientError[];
  /** Feeds one revision to the watch of `prefix`. */
  feed(prefix: 'flags/' | 'segments/', revision: number, events: readonly WatchEvent[]): void;
}

/** A flags replica whose lists answer `flags` and `segments` at `revision` (or that starts from `storage`). */
async function start(
  flags: readonly KeyValue[],
  segments: readonly KeyValue[],
  revision: number,
  storage: CacheStorage = memoryStorage(),
): Promise<Started> {
  const transport = new FakeTransport();
  const client = createClient({ endpoints: ['http://127.0.0.1:1'], transport, storage });
  const replica = flagsReplica(client);
  await settle();
  for (const [prefix, kvs] of [
    ['flags/', flags],
    ['segments/', segments],
  ] as const) {
    const at = transport.requests.findIndex((request) => request.body.key === prefix);
    if (at < 0) continue;
    const [request] = transport.requests.splice(at, 1);
    request!.resolve({ header: header(revision), body: { kvs, more: false, count: kvs.length } });
  }
  await replica.ready;
  const changes: FlagsChange[] = [];
  const errors: ClientError[] = [];
  replica.onChange((change) => changes.push(change));
  replica.onError((error) => errors.push(error));
  const feed = (prefix: string, at: number, events: readonly WatchEvent[]): void => {
    const watch = transport.watches.find((w) => !w.closed && w.spec.key === prefix);
    assert.ok(watch, `a watch of ${prefix}`);
    watch.listener.onEvents({ revision: at, events });
  };
  return { transport, flags: replica, changes, errors, feed };
}

describe('flagsReplica', () => {
  it('evaluates boolean, string, number and object flags locally, with variation, reason and revision', async () => {
    const { flags } = await start(
      [flagKv(dark, 3), flagKv(banner, 4), flagKv(limit, 5)],
      [segmentKv(beta, 2)],
      9,
    );
    assert.equal(flags.boolean('dark-mode', false, { key: 'u1', plan: 'pro' }), true);
    assert.equal(flags.boolean('dark-mode', true, { key: 'u1', plan: 'free' }), false);
    const pro = flags.resolve('dark-mode', 'boolean', false, { key: 'u1', plan: 'pro' });
    assert.deepEqual(pro, {
      flagKey: 'dark-mode',
      value: true,
      variationId: 'on',
      variationIndex: 0,
      reason: { kind: 'RULE_MATCH', ruleIndex: 0, ruleId: 'pro' },
      revision: 9,
      stale: false,
    });
    const greeting = flags.resolve('banner', 'string', 'x', { key: 'alice' });
    assert.ok(greeting.value === 'Hello' || greeting.value === 'Hi');
    assert.equal(greeting.reason.kind, 'FALLTHROUGH');
    assert.equal(greeting.reason.inRollout, true);
    assert.equal(flags.number('limit', 0, { key: 'bob' }), 10);
    assert.deepEqual(flags.object('limit', {}, { key: 'ann' }), { max: 100 });
    assert.deepEqual(flags.flagKeys(), ['banner', 'dark-mode', 'limit']);
    assert.equal(flags.document('banner')?.key, 'banner');
  });

  it('serves the default and says why for a missing flag, a wrong type, and an evaluation error', async () => {
    const { flags } = await start([flagKv(dark, 3), flagKv(banner, 4), flagKv(limit, 5)], [], 9);
    const missing = flags.resolve('nope', 'boolean', true, { key: 'u' });
    assert.equal(missing.value, true);
    assert.equal(missing.errorKind, 'FLAG_NOT_FOUND');
    assert.equal(missing.reason.kind, 'ERROR');
    assert.match(missing.errorMessage!, /flags\/nope/);
    const wrongType = flags.resolve('dark-mode', 'string', 'fallback', { key: 'u' });
    assert.equal(wrongType.value, 'fallback');
    assert.equal(wrongType.errorKind, 'TYPE_MISMATCH');
    const anonymous = flags.resolve('banner', 'string', 'fallback');
    assert.equal(anonymous.value, 'fallback');
    assert.equal(anonymous.errorKind, 'TARGETING_KEY_MISSING');
    const noSegment = flags.resolve('limit', 'number', -1, { key: 'u' });
    assert.equal(noSegment.value, -1);
    assert.equal(noSegment.errorKind, 'SEGMENT_NOT_FOUND');
    assert.equal(noSegment.reason.errorKind, 'SEGMENT_NOT_FOUND');
  });

  it('answers NOT_READY with the default before both replicas hold a state', () => {
    const transport = new FakeTransport();
    const flags = flagsReplica(createClient({ endpoints: ['http://127.0.0.1:1'], transport }));
    assert.equal(flags.isReady, false);
    const early = flags.resolve('dark-mode', 'boolean', true, { key: 'u' });
    assert.equal(early.value, true);
    assert.equal(early.errorKind, 'NOT_READY');
    flags.close();
  });

  it('names exactly the flags that changed at each revision; a txn is one change', async () => {
    const { flags, changes, feed } = await start([flagKv(dark, 3)], [], 9);
    feed('flags/', 10, [put(flagKv({ ...dark, on: false }, 10))]);
    feed('flags/', 11, [put(flagKv(banner, 11)), put(flagKv(limit, 11))]);
    feed('flags/', 12, [del('flags/dark-mode', 12)]);
    assert.deepEqual(changes, [
      { revision: 10, flagsChanged: ['dark-mode'] },
      { revision: 11, flagsChanged: ['banner', 'limit'] },
      { revision: 12, flagsChanged: ['dark-mode'] },
    ]);
    assert.equal(flags.resolve('dark-mode', 'boolean', true).errorKind, 'FLAG_NOT_FOUND');
  });

  it('names the flags whose rules test a segment when the segment changes, and only those', async () => {
    const { flags, changes, feed } = await start(
      [flagKv(dark, 3), flagKv(limit, 4)],
      [segmentKv(beta, 2)],
      9,
    );
    assert.equal(flags.number('limit', 0, { key: 'carl' }), 10);
    feed('segments/', 10, [put(segmentKv({ ...beta, included: ['ann', 'carl'] }, 10))]);
    feed('segments/', 11, [put(segmentKv(other, 11))]);
    feed('segments/', 12, [del('segments/beta', 12)]);
    assert.deepEqual(changes, [
      { revision: 10, flagsChanged: ['limit'] },
      { revision: 12, flagsChanged: ['limit'] },
    ]);
    assert.equal(flags.resolve('limit', 'number', 0, { key: 'carl' }).errorKind, 'SEGMENT_NOT_FOUND');
  });

  it('reports a document its schema refuses and keeps the last valid one, with no change event', async () => {
    const { flags, changes, errors, feed } = await start([flagKv(dark, 3)], [], 9);
    feed('flags/', 10, [put(kv('flags/dark-mode', JSON.stringify({ ...dark, fallthru: {} }), 10))]);
    assert.equal(errors.length, 1);
    const error = errors[0]!;
    assert.ok(error instanceof SchemaMismatchError);
    assert.equal(error.key, 'flags/dark-mode');
    assert.equal(error.revision, 10);
    assert.match(error.message, /fallthru/);
    assert.deepEqual(changes, []);
    assert.equal(
      flags.boolean('dark-mode', false, { key: 'u', plan: 'pro' }),
      true,
      'the last valid document',
    );
    feed('flags/', 11, [put(kv('flags/new-flag', '{not json', 11))]);
    assert.deepEqual(changes, [{ revision: 11, flagsChanged: ['new-flag'] }]);
    const broken = flags.resolve('new-flag', 'boolean', true, { key: 'u' });
    assert.equal(broken.errorKind, 'PARSE_ERROR');
    assert.match(broken.errorMessage!, /not valid JSON/);
  });

  it('ignores keys under flags/ that name no valid flag key', async () => {
    const { flags, changes, errors, feed } = await start([], [], 9);
    feed('flags/', 10, [put(kv('flags/has space', JSON.stringify(dark), 10))]);
    assert.deepEqual(changes, []);
    assert.deepEqual(errors, []);
    assert.deepEqual(flags.flagKeys(), []);
  });

  it('starts stale from a cache, serving its flags at once, until the cluster confirms them', async () => {
    const storage = memoryStorage();
    await storage.set({ prefix: 'flags/', revision: 20, kvs: [flagKv(dark, 15)] });
    await storage.set({ prefix: 'segments/', revision: 20, kvs: [] });
    const { flags, transport } = await start([], [], 0, storage);
    const cached = flags.resolve('dark-mode', 'boolean', false, { key: 'u', plan: 'pro' });
    assert.equal(cached.value, true);
    assert.equal(cached.stale, true);
    assert.equal(cached.revision, 20);
    for (const watch of transport.watches) {
      assert.equal(watch.spec.startRevision, 21);
      watch.listener.onProgress?.(24);
    }
    const confirmed = flags.resolve('dark-mode', 'boolean', false, { key: 'u', plan: 'pro' });
    assert.equal(confirmed.stale, false);
    assert.equal(confirmed.revision, 24);
  });
});
