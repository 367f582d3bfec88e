import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isVaneError } from '../errors.ts';
import type { StoreConfig } from './config.ts';
import { prefixEnd } from './keys.ts';
import { KvStore } from './store.ts';
import type { Command, WatchRequest, WatchResponse } from './types.ts';
import type { Watcher } from './watch-hub.ts';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

class Harness {
  readonly store: KvStore;
  index = 0;

  constructor(config: Partial<StoreConfig> = {}) {
    this.store = new KvStore(config);
  }

  apply(command: Command): void {
    const response = this.store.apply(++this.index, { command });
    if (isVaneError(response)) throw new Error(response.message);
  }

  put(key: string, value = 'v'): void {
    this.apply({ op: 'put', request: { key, value: bytes(value) } });
  }

  del(key: string, rangeEnd?: string): void {
    this.apply({ op: 'deleteRange', request: rangeEnd === undefined ? { key } : { key, rangeEnd } });
  }

  watch(request: WatchRequest, onReady?: () => void): Watcher {
    const watcher = this.store.watch(request, onReady);
    if (isVaneError(watcher)) throw new Error(watcher.message);
    return watcher;
  }
}

/** Every response until the watcher has nothing more. */
function drain(watcher: Watcher): WatchResponse[] {
  const out: WatchResponse[] = [];
  for (let rounds = 0; watcher.ready; rounds++) {
    if (rounds > 10_000) throw new Error('watcher never drained');
    out.push(...watcher.take());
  }
  return out;
}

/** "type key@revision" for each event, in delivery order. */
function eventsOf(responses: readonly WatchResponse[]): string[] {
  return responses.flatMap((r) => r.events.map((e) => `${e.type} ${e.kv.key}@${e.kv.modRevision}`));
}

const prefix = (p: string): WatchRequest => ({ key: p, rangeEnd: prefixEnd(p) });

describe('WatchHub', () => {
  it('starts with a created response, then delivers each matching write with its revision', () => {
    const h = new Harness();
    h.put('other');
    const w = h.watch(prefix('app/'));
    assert.deepEqual(w.take(), [{ watchId: w.id, revision: 1, events: [], created: true }]);
    h.put('app/a', '1');
    h.put('elsewhere');
    h.del('app/a');
    const responses = w.take();
    assert.deepEqual(eventsOf(responses), ['put app/a@2', 'delete app/a@4']);
    assert.equal(responses.at(-1)!.revision, 4, 'the last response reflects the current revision');
    const deleted = responses.flatMap((r) => r.events).at(-1)!;
    assert.deepEqual(deleted.kv, {
      key: 'app/a',
      value: new Uint8Array(0),
      createRevision: 0,
      modRevision: 4,
      version: 0,
      lease: 0,
    });
    assert.equal(w.ready, false);
  });

  it('delivers a txn’s events together, in the order the txn wrote them, with prevKv on request', () => {
    const h = new Harness();
    h.put('k/b', 'old');
    const w = h.watch({ ...prefix('k/'), prevKv: true });
    w.take();
    h.apply({
      op: 'txn',
      request: {
        compare: [],
        success: [
          { put: { key: 'k/b', value: bytes('new') } },
          { put: { key: 'k/a', value: bytes('x') } },
          { deleteRange: { key: 'k/c' } },
        ],
        failure: [],
      },
    });
    const [response, ...rest] = w.take();
    assert.deepEqual(rest, []);
    assert.deepEqual(eventsOf([response!]), ['put k/b@2', 'put k/a@2']);
    assert.deepEqual(response!.events[0]!.prevKv?.value, bytes('old'));
    assert.equal(response!.events[1]!.prevKv, undefined, 'a new key has no previous version');
  });

  it('filters out puts or deletes as asked', () => {
    const h = new Harness();
    const noPut = h.watch({ ...prefix('k/'), filters: ['noPut'] });
    const noDelete = h.watch({ ...prefix('k/'), filters: ['noDelete'] });
    h.put('k/a');
    h.del('k/a');
    assert.deepEqual(eventsOf(drain(noPut)), ['delete k/a@2']);
    assert.deepEqual(eventsOf(drain(noDelete)), ['put k/a@1']);
  });

  it('watches one key, a range, or every key', () => {
    const h = new Harness();
    const one = h.watch({ key: 'b' });
    const range = h.watch({ key: 'b', rangeEnd: 'd' });
    const all = h.watch({ key: '\0', rangeEnd: '\0' });
    for (const key of ['a', 'b', 'bb', 'c', 'd']) h.put(key);
    assert.deepEqual(eventsOf(drain(one)), ['put b@2']);
    assert.deepEqual(eventsOf(drain(range)), ['put b@2', 'put bb@3', 'put c@4']);
    assert.equal(eventsOf(drain(all)).length, 5);
  });

  it('matches many nested and disjoint prefix watchers by lookup', () => {
    const h = new Harness();
    const prefixes = ['a', 'ab', 'abc', 'b', 'é', '\u{10000}', 'x/'];
    for (let i = 0; i < 40; i++) prefixes.push(`svc/${i}/`);
    const byPrefix = new Map(prefixes.map((p) => [p, h.watch(prefix(p))]));
    const keys = [
      'a',
      'abcd',
      'ab',
      'b',
      'éé',
      '\u{10000}\u{10000}',
      '\uE000',
      'x/',
      'svc/1/k',
      'svc/12/k',
      'svc/1',
      'z',
    ];
    for (const key of keys) h.put(key);
    for (const [p, w] of byPrefix) {
      const expected = keys.flatMap((key, i) => (key.startsWith(p) ? [`put ${key}@${i + 1}`] : []));
      assert.deepEqual(eventsOf(drain(w)), expected, `prefix '${p}'`);
    }
  });

  it('replays history from a past start revision, then goes live without repeating anything', () => {
    const h = new Harness();
    for (let i = 1; i <= 5; i++) h.put('k', `v${i}`);
    const w = h.watch({ key: 'k', startRevision: 3 });
    h.put('k', 'v6');
    assert.deepEqual(eventsOf(drain(w)), ['put k@3', 'put k@4', 'put k@5', 'put k@6']);
    h.put('k', 'v7');
    assert.deepEqual(eventsOf(drain(w)), ['put k@7']);
  });

  it('waits for a future start revision', () => {
    const h = new Harness();
    const w = h.watch({ key: 'k', startRevision: 3 });
    h.put('k');
    h.put('k');
    h.put('k');
    assert.deepEqual(eventsOf(drain(w)), ['put k@3']);
  });

  it('cancels a watch from a compacted revision, naming the compact revision', () => {
    const h = new Harness();
    for (let i = 0; i < 5; i++) h.put('k');
    h.apply({ op: 'compact', request: { revision: 4 } });
    const w = h.watch({ key: 'k', startRevision: 2 });
    const [created, canceled] = drain(w);
    assert.equal(created!.created, true);
    assert.equal(canceled!.canceled, true);
    assert.equal(canceled!.compactRevision, 4);
    assert.match(canceled!.cancelReason!, /revision 2 was compacted/);
    assert.equal(h.store.watches.size, 0, 'a cancelled watcher is gone');
    // From the compact revision itself: its events, but not their previous versions.
    assert.deepEqual(eventsOf(drain(h.watch({ key: 'k', startRevision: 4 }))), ['put k@4', 'put k@5']);
    const withPrev = drain(h.watch({ key: 'k', startRevision: 4, prevKv: true }));
    assert.match(withPrev.at(-1)!.cancelReason!, /previous versions \(prevKv\) of revision 4/);
    const responses = drain(h.watch({ key: 'k', startRevision: 5, prevKv: true }));
    assert.deepEqual(eventsOf(responses), ['put k@5']);
    assert.equal(responses[1]!.events[0]!.prevKv?.modRevision, 4);
  });

  it('bounds a slow watcher’s buffer and catches it up from history, exactly once and in order', () => {
    const h = new Harness({ maxWatcherBufferEvents: 4, maxEventsPerWatchResponse: 3 });
    const slow = h.watch(prefix('k/'));
    slow.take();
    for (let i = 1; i <= 50; i++) h.put(`k/${i % 7}`);
    assert.ok(slow.queuedEvents <= 4, `buffer holds ${slow.queuedEvents} events`);
    assert.equal(slow.state, 'unsynced');
    const responses = drain(slow);
    assert.deepEqual(
      eventsOf(responses),
      Array.from({ length: 50 }, (_, i) => `put k/${(i + 1) % 7}@${i + 1}`),
    );
    assert.ok(responses.every((r) => r.events.length <= 3));
    assert.equal(slow.state, 'synced', 'caught up, it is fed live again');
    h.put('k/x');
    assert.deepEqual(eventsOf(slow.take()), ['put k/x@51']);
  });

  it('cancels a slow watcher whose position was compacted, after what it already buffered', () => {
    const h = new Harness({ maxWatcherBufferEvents: 2 });
    const slow = h.watch({ key: 'k' });
    slow.take();
    for (let i = 0; i < 10; i++) h.put('k');
    h.apply({ op: 'compact', request: { revision: 8 } });
    const responses = drain(slow);
    assert.deepEqual(eventsOf(responses), ['put k@1', 'put k@2']);
    const last = responses.at(-1)!;
    assert.equal(last.canceled, true);
    assert.equal(last.compactRevision, 8);
  });

  it('merges revisions into a response up to the event cap, never splitting a revision', () => {
    const h = new Harness({ maxEventsPerWatchResponse: 3 });
    const w = h.watch(prefix('k/'));
    w.take();
    h.put('k/1');
    h.apply({
      op: 'txn',
      request: {
        compare: [],
        success: ['a', 'b', 'c', 'd'].map((k) => ({ put: { key: `k/${k}`, value: bytes('') } })),
        failure: [],
      },
    });
    h.put('k/2');
    h.put('k/3');
    const sizes = w.take().map((r) => r.events.map((e) => e.kv.modRevision));
    assert.deepEqual(sizes, [[1], [2, 2, 2, 2], [3, 4]]);
  });

  it('hands watchers of one range and delivery variant the same event list, so it is encoded once', () => {
    const h = new Harness();
    const a = h.watch(prefix('k/'));
    const b = h.watch(prefix('k/'));
    const withPrev = h.watch({ ...prefix('k/'), prevKv: true });
    for (const w of [a, b, withPrev]) w.take();
    h.put('k/1', 'one');
    h.put('k/1', 'two');
    const [fromA, fromB, fromPrev] = [a.take(), b.take(), withPrev.take()];
    assert.equal(fromA[0]!.events, fromB[0]!.events);
    assert.notEqual(fromA[0]!.events, fromPrev[0]!.events);
    assert.deepEqual(eventsOf(fromA), ['put k/1@1', 'put k/1@2']);
    assert.deepEqual(eventsOf(fromPrev), ['put k/1@1', 'put k/1@2']);
    assert.equal(fromA[0]!.events[1]!.prevKv, undefined);
    assert.equal(fromPrev[0]!.events[1]!.prevKv?.modRevision, 1);
  });

  it('shares a merged list between watchers that fell behind together, and only with them', () => {
    const h = new Harness();
    const a = h.watch(prefix('k/'));
    const b = h.watch(prefix('k/'));
    const c = h.watch(prefix('k/'));
    for (const w of [a, b, c]) w.take();
    h.put('k/1');
    c.take();
    h.put('k/2');
    h.put('k/3');
    const [fromA, fromB, fromC] = [a.take(), b.take(), c.take()];
    assert.equal(fromA.length, 1);
    assert.equal(fromA[0]!.events, fromB[0]!.events, 'the same run of revisions: one list');
    assert.deepEqual(eventsOf(fromA), ['put k/1@1', 'put k/2@2', 'put k/3@3']);
    assert.deepEqual(eventsOf(fromC), ['put k/2@2', 'put k/3@3']);
    // From the same revision on, one takes before another write and one after: different runs.
    h.put('k/4');
    h.put('k/5');
    const early = a.take();
    h.put('k/6');
    const late = b.take();
    assert.deepEqual(eventsOf(early), ['put k/4@4', 'put k/5@5']);
    assert.deepEqual(eventsOf(late), ['put k/4@4', 'put k/5@5', 'put k/6@6']);
    assert.deepEqual(eventsOf(a.take()), ['put k/6@6']);
  });

  it('sends a progress notification on request with the current revision, after pending events', () => {
    const h = new Harness();
    const w = h.watch({ key: 'k' });
    w.take();
    h.put('k');
    h.put('elsewhere');
    h.store.watches.progress(w.id);
    const responses = w.take();
    assert.deepEqual(eventsOf(responses), ['put k@1']);
    assert.deepEqual(responses.at(-1), { watchId: w.id, revision: 2, events: [] });
  });

  it('sends interval progress notifications only to idle watchers that asked for them', () => {
    const h = new Harness({ progressNotifyIntervalMs: 1000 });
    const idle = h.watch({ key: 'idle', progressNotify: true });
    const busy = h.watch({ key: 'busy', progressNotify: true });
    const silent = h.watch({ key: 'idle' });
    for (const w of [idle, busy, silent]) w.take();
    h.store.watches.tick(0);
    h.put('busy');
    busy.take();
    h.store.watches.tick(999);
    assert.equal(idle.ready, false, 'not before the interval');
    h.store.watches.tick(1000);
    assert.deepEqual(idle.take(), [{ watchId: idle.id, revision: 1, events: [] }]);
    assert.equal(busy.ready, false, 'a watcher that received events needs no progress');
    assert.equal(silent.ready, false, 'a watcher that did not ask gets none');
    h.store.watches.tick(2000);
    assert.equal(busy.ready, true, 'idle for a whole interval now');
  });

  it('calls onReady once when a drained watcher gets something, not for every event', () => {
    const h = new Harness();
    let calls = 0;
    const w = h.watch({ key: 'k' }, () => calls++);
    w.take();
    h.put('k');
    h.put('k');
    assert.equal(calls, 1);
    w.take();
    h.put('k');
    assert.equal(calls, 2);
  });

  it('is not ready once cancelled, even with a progress notification pending', () => {
    const h = new Harness({ maxWatcherBufferEvents: 1 });
    const w = h.watch({ key: 'k' });
    w.take();
    h.put('k');
    h.put('k');
    h.put('k');
    h.apply({ op: 'compact', request: { revision: 3 } });
    h.store.watches.progress();
    const responses = drain(w);
    assert.equal(responses.at(-1)!.canceled, true);
    assert.equal(w.ready, false);
  });

  it('stops delivering after cancel()', () => {
    const h = new Harness();
    const w = h.watch({ key: 'k' });
    w.take();
    w.cancel();
    h.put('k');
    assert.deepEqual(w.take(), []);
    assert.equal(h.store.watches.size, 0);
  });

  it('refuses watchers past maxWatchers and bad requests', () => {
    const h = new Harness({ maxWatchers: 2 });
    h.watch({ key: 'a' });
    h.watch({ key: 'b' });
    const third = h.store.watch({ key: 'c' });
    assert.ok(isVaneError(third));
    assert.match(third.message, /maximum of 2 watchers/);
    const bad = new KvStore().watch({ key: '' });
    assert.ok(isVaneError(bad) && bad.code === 'invalidRequest');
    const badFilter = new KvStore().watch({ key: 'a', filters: ['noSuch' as 'noPut'] });
    assert.ok(isVaneError(badFilter) && /noSuch/.test(badFilter.message));
  });

  it('keeps 10,000 watchers flowing when one never drains, and bounds that one', () => {
    const h = new Harness({ maxWatcherBufferEvents: 64 });
    const watchers = Array.from({ length: 10_000 }, () => h.watch(prefix('app/')));
    const stuck = h.watch(prefix('app/'));
    for (const w of watchers) w.take();
    let delivered = 0;
    for (let i = 0; i < 100; i++) {
      h.put(`app/${i % 10}`);
      for (const w of watchers) delivered += w.take().reduce((n, r) => n + r.events.length, 0);
    }
    assert.equal(delivered, 10_000 * 100, 'every drained watcher got every event');
    assert.ok(stuck.queuedEvents <= 64, `the stuck watcher holds ${stuck.queuedEvents} events`);
    assert.equal(eventsOf(drain(stuck)).length, 100, 'and it still gets everything once it drains');
  });

  it('watches a restored store from its history', () => {
    const h = new Harness();
    h.put('k', 'a');
    h.put('k', 'b');
    const restored = KvStore.restore(h.store.snapshot());
    assert.ok(restored instanceof KvStore);
    const w = restored.watch({ key: 'k', startRevision: 1 });
    assert.ok(!isVaneError(w));
    assert.deepEqual(eventsOf(drain(w)), ['put k@1', 'put k@2']);
    restored.apply(3, { command: { op: 'put', request: { key: 'k', value: bytes('c') } } });
    assert.deepEqual(eventsOf(drain(w)), ['put k@3']);
  });

  it('keeps watchers across an installed snapshot: they catch up from its history', () => {
    const leader = new Harness();
    const follower = new Harness();
    const w = follower.watch({ ...prefix('k/'), prevKv: true });
    w.take();
    for (let i = 1; i <= 3; i++) {
      leader.put(`k/${i}`);
      follower.put(`k/${i}`);
    }
    assert.equal(eventsOf(w.take()).length, 3);
    for (let i = 4; i <= 6; i++) leader.put(`k/${i}`);
    const installed = follower.store.installSnapshot(leader.store.snapshot());
    assert.equal(installed, undefined);
    assert.deepEqual(eventsOf(drain(w)), ['put k/4@4', 'put k/5@5', 'put k/6@6']);
  });
});
