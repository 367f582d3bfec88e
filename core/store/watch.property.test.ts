// Watch guarantees on random operation sequences: watchers with random start revisions, filters and
// prevKv (and others just like them, which share the event lists the hub builds), drained at random
// moments through small buffers, on a member that sometimes lags and jumps
// ahead by installing a snapshot, with compactions in between. Every watcher must receive exactly the
// events the reference model says happened in its range, in revision order, each once, a revision's
// events in one response, progress notifications only once everything below them was delivered;
// or be cancelled with a compact revision that really cut into what it still needed.
// On failure fast-check prints the seed and path; rerun with fc.assert(..., { seed, path }).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isVaneError } from '../errors.ts';
import { compareKeys, prefixEnd } from './keys.ts';
import { KvStore } from './store.ts';
import { ReferenceModel } from './testing/reference-model.ts';
import type { Command, CommandEnvelope, WatchEvent, WatchRequest, WatchResponse } from './types.ts';
import type { Watcher } from './watch-hub.ts';

const KEYS = ['a', 'ab', 'b', 'é', '\uE000', '\u{10000}'];
const key = fc.constantFrom(...KEYS);
const value = fc.constantFrom(new Uint8Array([1]), new Uint8Array([2]), new Uint8Array([3, 4]));

const selector = fc.oneof(
  key.map((k) => ({ key: k })),
  key.map((k) => ({ key: k, rangeEnd: prefixEnd(k) })),
  fc.tuple(key, key).map(([k, end]) => ({ key: k, rangeEnd: end })),
  fc.constant({ key: '\0', rangeEnd: '\0' }),
);

type Action =
  | { readonly kind: 'write'; readonly build: (rev: number) => Command; readonly followerApplies: boolean }
  | { readonly kind: 'jump' }
  | {
      readonly kind: 'watch';
      readonly request: Omit<WatchRequest, 'startRevision'>;
      readonly startPercent: number | undefined;
    }
  /** Another watcher like an existing one, from now: fan-out watchers share what the hub builds. */
  | { readonly kind: 'watchLike'; readonly watcher: number }
  | { readonly kind: 'take'; readonly watcher: number; readonly max: number }
  | { readonly kind: 'progress'; readonly watcher: number | undefined };

const write: fc.Arbitrary<(rev: number) => Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.tuple(key, value).map(
      ([k, v]) =>
        () =>
          ({ op: 'put', request: { key: k, value: v } }) as Command,
    ),
  },
  { weight: 2, arbitrary: selector.map((sel) => () => ({ op: 'deleteRange', request: sel }) as Command) },
  {
    weight: 2,
    arbitrary: fc.tuple(fc.uniqueArray(key, { minLength: 1, maxLength: 3 }), value, key).map(
      ([keys, v, other]) =>
        () =>
          ({
            op: 'txn',
            request: {
              compare: [{ key: other, target: 'version', result: 'greater', value: 0 }],
              success: keys.map((k) => ({ put: { key: k, value: v } })),
              failure: [{ deleteRange: { key: '\0', rangeEnd: '\0' } }],
            },
          }) as Command,
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 10, max: 100 })
      .map(
        (percent) => (rev: number) =>
          ({ op: 'compact', request: { revision: Math.floor((rev * percent) / 100) } }) as Command,
      ),
  },
);

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 8, arbitrary: write.map((build) => ({ kind: 'write', build, followerApplies: true }) as Action) },
  {
    weight: 2,
    arbitrary: write.map((build) => ({ kind: 'write', build, followerApplies: false }) as Action),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'jump' } as Action) },
  {
    weight: 3,
    arbitrary: fc
      .record({
        sel: selector,
        prevKv: fc.boolean(),
        filters: fc.constantFrom([], [], ['noPut' as const], ['noDelete' as const]),
        startPercent: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
      })
      .map(
        ({ sel, prevKv, filters, startPercent }) =>
          ({ kind: 'watch', request: { ...sel, prevKv, filters }, startPercent }) as Action,
      ),
  },
  { weight: 2, arbitrary: fc.nat(20).map((watcher) => ({ kind: 'watchLike', watcher }) as Action) },
  {
    weight: 5,
    arbitrary: fc
      .record({ watcher: fc.nat(20), max: fc.integer({ min: 1, max: 4 }) })
      .map(({ watcher, max }) => ({ kind: 'take', watcher, max }) as Action),
  },
  {
    weight: 1,
    arbitrary: fc
      .option(fc.nat(20), { nil: undefined })
      .map((watcher) => ({ kind: 'progress', watcher }) as Action),
  },
);

interface Tracked {
  readonly watcher: Watcher;
  readonly request: WatchRequest;
  /** The first revision whose events it must get. */
  readonly from: number;
  readonly responses: WatchResponse[];
}

function inSelection(k: string, sel: { key: string; rangeEnd?: string }): boolean {
  if (sel.rangeEnd === undefined) return k === sel.key;
  return compareKeys(k, sel.key) >= 0 && (sel.rangeEnd === '\0' || compareKeys(k, sel.rangeEnd) < 0);
}

/** What the model says a watcher must see at `revision`. */
function expectedAt(model: ReferenceModel, request: WatchRequest, revision: number): WatchEvent[] {
  return (model.events[revision] ?? [])
    .filter((e) => inSelection(e.kv.key, request))
    .filter((e) => !(request.filters ?? []).includes(e.type === 'put' ? 'noPut' : 'noDelete'))
    .map((e) => (request.prevKv === true && e.prevKv !== undefined ? e : { type: e.type, kv: e.kv }));
}

function checkWatcher(t: Tracked, model: ReferenceModel, label: string): void {
  const { responses } = t;
  assert.equal(responses[0]?.created, true, `${label}: first response is created`);
  let next = t.from; // first revision not yet fully delivered
  let lastRevision = 0;
  for (const response of responses.slice(1)) {
    assert.ok(response.revision >= lastRevision, `${label}: response revisions never go back`);
    lastRevision = response.revision;
    if (response.canceled === true) {
      assert.equal(response, responses.at(-1), `${label}: nothing after a cancellation`);
      // With prevKv, the compact revision's own events are gone too (their previous versions are).
      const lost =
        t.request.prevKv === true ? response.compactRevision! >= next : response.compactRevision! > next;
      assert.ok(
        lost,
        `${label}: cancelled at compact ${response.compactRevision} but only needed from ${next}`,
      );
      // Nothing it needed was left undelivered below its position.
      return;
    }
    if (response.events.length === 0) {
      // Progress: everything up to its revision has been delivered.
      for (; next <= response.revision; next++) {
        assert.deepStrictEqual(
          expectedAt(model, t.request, next),
          [],
          `${label}: progress at ${response.revision} skipped revision ${next}`,
        );
      }
      continue;
    }
    const revisions = [...new Set(response.events.map((e) => e.kv.modRevision))];
    for (const revision of revisions) {
      for (; next < revision; next++) {
        assert.deepStrictEqual(
          expectedAt(model, t.request, next),
          [],
          `${label}: missed events of revision ${next}`,
        );
      }
      const got = response.events.filter((e) => e.kv.modRevision === revision);
      assert.deepStrictEqual(
        got,
        expectedAt(model, t.request, revision),
        `${label}: events of revision ${revision}`,
      );
      next = revision + 1;
    }
    assert.ok(response.revision >= next - 1, `${label}: response revision below its events`);
  }
  for (; next <= model.revision; next++) {
    assert.deepStrictEqual(
      expectedAt(model, t.request, next),
      [],
      `${label}: never received revision ${next}`,
    );
  }
}

function drainAll(tracked: readonly Tracked[]): void {
  for (const t of tracked) {
    for (let rounds = 0; t.watcher.ready; rounds++) {
      assert.ok(rounds < 10_000, 'watcher drains');
      t.responses.push(...t.watcher.take());
    }
  }
}

describe('watch guarantees on random histories', () => {
  it('ordered, exactly once, atomic per revision, resumable, or cancelled only by compaction', () => {
    fc.assert(
      fc.property(fc.array(action, { maxLength: 80, size: 'medium' }), (actions) => {
        // A response cap of 3 lets twin watchers merge runs of different lengths from one revision on.
        const config = { maxWatcherBufferEvents: 3, maxEventsPerWatchResponse: 3, maxCatchUpRevisions: 4 };
        const leader = new KvStore(config);
        const member = new KvStore(config); // the watchers' member: it sometimes lags and installs snapshots
        const model = new ReferenceModel(0);
        const lagging: [number, CommandEnvelope][] = [];
        const tracked: Tracked[] = [];
        let index = 0;
        const watch = (request: WatchRequest): void => {
          const watcher = member.watch(request);
          assert.ok(!isVaneError(watcher));
          const from = request.startRevision ?? 0;
          tracked.push({ watcher, request, from: from === 0 ? member.revision + 1 : from, responses: [] });
        };
        for (const a of actions) {
          if (a.kind === 'write') {
            const env: CommandEnvelope = { command: a.build(model.revision) };
            index++;
            const expected = model.apply(index, env);
            const actual = leader.apply(index, env);
            assert.equal(isVaneError(actual), 'code' in expected);
            lagging.push([index, env]);
            if (a.followerApplies) for (const [i, e] of lagging.splice(0)) member.apply(i, e);
          } else if (a.kind === 'jump') {
            lagging.length = 0;
            assert.equal(member.installSnapshot(leader.snapshot()), undefined);
          } else if (a.kind === 'watch') {
            const start =
              a.startPercent === undefined ? 0 : Math.floor(((member.revision + 1) * a.startPercent) / 100);
            watch(start === 0 ? a.request : { ...a.request, startRevision: start });
          } else if (a.kind === 'watchLike') {
            const like = tracked[a.watcher % Math.max(1, tracked.length)];
            if (like !== undefined) watch({ ...like.request, startRevision: undefined });
          } else if (a.kind === 'take') {
            const t = tracked[a.watcher % Math.max(1, tracked.length)];
            if (t !== undefined) t.responses.push(...t.watcher.take(a.max));
          } else {
            const t = a.watcher === undefined ? undefined : tracked[a.watcher % Math.max(1, tracked.length)];
            member.watches.progress(t?.watcher.id);
          }
          for (const t of tracked) {
            assert.ok(t.watcher.queuedEvents <= 3 + 6, 'buffer bounded (3 events, plus one revision)');
          }
        }
        for (const [i, e] of lagging.splice(0)) member.apply(i, e);
        drainAll(tracked);
        tracked.forEach((t, i) => {
          checkWatcher(t, model, `watcher #${i} ${JSON.stringify(t.request)}`);
        });
      }),
      { numRuns: 200 },
    );
  });
});
