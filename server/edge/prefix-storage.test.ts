// What an object stores and loads back: after a restart it has the same keys, revision and resumable
// history, whatever the size of its values (split across storage values), with storage calls
// within the runtime's per-call key limit.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue, WatchEvent } from '../../core/store/index.ts';
import { DEFAULT_EDGE_LIMITS, type EdgeLimits } from './limits.ts';
import { PrefixState } from './prefix-state.ts';
import { PrefixStorage } from './prefix-storage.ts';
import { MemoryStorage } from './testing.ts';

const text = new TextEncoder();
const read = new TextDecoder();

function put(key: string, value: string | Uint8Array, revision: number): WatchEvent {
  const bytes = typeof value === 'string' ? text.encode(value) : value;
  const kv: KeyValue = {
    key,
    value: bytes,
    createRevision: revision,
    modRevision: revision,
    version: 1,
    lease: 0,
  };
  return { type: 'put', kv };
}

async function started(limits: EdgeLimits, storage = new MemoryStorage()) {
  const state = new PrefixState('p/', 100, [], {
    maxChangeSets: limits.historyChangeSets,
    maxBytes: limits.historyBytes,
  });
  const store = PrefixStorage.fresh(storage, 'p/', limits);
  await store.recordRebase(state, 1000);
  return { state, store, storage };
}

async function applyAndRecord(
  setup: { state: PrefixState; store: PrefixStorage },
  revision: number,
  events: WatchEvent[],
): Promise<void> {
  const { changeSet, dropped } = setup.state.apply(revision, events);
  await setup.store.recordChange(setup.state, changeSet, dropped, 2000 + revision);
}

function dump(state: PrefixState): string[] {
  return state.entries().map((kv) => `${kv.key}@${kv.modRevision}=${read.decode(kv.value).slice(0, 20)}`);
}

describe('PrefixStorage', () => {
  it('has nothing to load for an object that never stored', async () => {
    assert.equal(await PrefixStorage.load(new MemoryStorage(), DEFAULT_EDGE_LIMITS), null);
  });

  it('loads back the keys, revision, history and confirmation time after a restart', async () => {
    const limits = { ...DEFAULT_EDGE_LIMITS, historyChangeSets: 10 };
    const setup = await started(limits);
    for (let r = 101; r <= 125; r++) await applyAndRecord(setup, r, [put(`p/k${r % 7}`, `v${r}`, r)]);
    setup.state.advance(130);
    await setup.store.recordProgress(setup.state, 5000);
    const loaded = await PrefixStorage.load(setup.storage, limits);
    assert.ok(loaded !== null);
    const [, { state, confirmedAt }] = loaded;
    assert.equal(state.prefix, 'p/');
    assert.equal(state.revision, 130);
    assert.equal(confirmedAt, 5000);
    assert.deepEqual(dump(state), dump(setup.state));
    assert.deepEqual(state.history.since(116), setup.state.history.since(116));
    assert.deepEqual(state.history.since(115), { compactRevision: 116 });
    // Stored history stays bounded as the in-memory one is.
    const historyKeys = [...setup.storage.data.keys()].filter((key) => key.startsWith('history/'));
    assert.equal(historyKeys.length, 10);
  });

  it('splits large and binary values across storage values and loads them back byte for byte', async () => {
    const limits = { ...DEFAULT_EDGE_LIMITS, storageChunkChars: 1000 };
    const setup = await started(limits);
    const binary = Uint8Array.from({ length: 3000 }, (_, i) => (i * 37) % 256);
    await applyAndRecord(setup, 101, [put('p/big', 'x'.repeat(300 * 1024), 101), put('p/bin', binary, 101)]);
    await setup.store.recordRebase(setup.state, 3000);
    const values = [...setup.storage.data.values()].filter((v) => typeof v === 'string') as string[];
    assert.ok(values.every((v) => v.length <= 1000));
    const loaded = await PrefixStorage.load(setup.storage, limits);
    assert.ok(loaded !== null);
    const [, { state }] = loaded;
    const kvs = state.entries();
    assert.equal(read.decode(kvs[0]!.value), 'x'.repeat(300 * 1024));
    assert.deepEqual(kvs[1]!.value, binary);
  });

  it('stays exact when the history drops changes newer than the last snapshot', async () => {
    // Large change sets overflow the byte bound at once, forcing a snapshot before each drop.
    const limits = { ...DEFAULT_EDGE_LIMITS, historyBytes: 2000, historyChangeSets: 1000 };
    const setup = await started(limits);
    for (let r = 101; r <= 120; r++) await applyAndRecord(setup, r, [put(`p/k${r}`, 'y'.repeat(900), r)]);
    const loaded = await PrefixStorage.load(setup.storage, limits);
    assert.ok(loaded !== null);
    assert.deepEqual(dump(loaded[1].state), dump(setup.state));
    assert.equal(loaded[1].state.revision, 120);
  });

  it('refuses storage written in another format, naming it', async () => {
    const storage = new MemoryStorage();
    storage.data.set('meta', { format: 99, prefix: 'p/' });
    await assert.rejects(PrefixStorage.load(storage, DEFAULT_EDGE_LIMITS), /format 99 is not 1/);
  });
});
