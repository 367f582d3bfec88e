// The watch checker on a small committed history made by a real store: the store's own watch streams
// pass, and each kind of damage to them fails with the property it breaks.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandEnvelope, WatchResponse } from '../../core/store/index.ts';
import { KvStore, prefixRange } from '../../core/store/index.ts';
import { CommittedHistory } from './committed-history.ts';
import type { WatchProperty } from './watch-checker.ts';
import { checkWatch } from './watch-checker.ts';
import type { RecordedWatch, WatchSession } from './watch-clients.ts';

const encoder = new TextEncoder();
const put = (key: string, value: string): CommandEnvelope => ({
  command: { op: 'put', request: { key, value: encoder.encode(value) } },
});

/** Revisions: 1 put k0, 2 put k1, 3 clear (deletes k0 and k1), 4 put k0, 5 cas k0, 6 put k1; compacted at 3 after 5. */
const COMMANDS: readonly CommandEnvelope[] = [
  put('k0', 'a'),
  put('k1', 'b'),
  { command: { op: 'deleteRange', request: { ...prefixRange('k'), prevKv: true } } },
  put('k0', 'c'),
  {
    command: {
      op: 'txn',
      request: {
        compare: [{ key: 'k0', target: 'value', result: 'equal', value: encoder.encode('c') }],
        success: [{ put: { key: 'k0', value: encoder.encode('d') } }],
        failure: [],
      },
    },
  },
  { command: { op: 'compact', request: { revision: 3 } } },
  put('k1', 'e'),
];

interface Scenario {
  readonly history: CommittedHistory;
  readonly store: KvStore;
}

/** Applies `commands` to a store and the history; `beforeEach(i)` runs before command i. */
function run(beforeEach: (i: number, store: KvStore) => void = () => {}): Scenario {
  const store = new KvStore({ maxEventsPerWatchResponse: 1 });
  const history = new CommittedHistory(100);
  COMMANDS.forEach((envelope, i) => {
    beforeEach(i, store);
    const response = store.apply(i + 1, envelope);
    history.record(i + 1, { envelope, response, revision: store.revision });
  });
  return { history, store };
}

function session(
  member: string,
  startRevision: number,
  store: KvStore,
  responses: WatchResponse[],
): WatchSession {
  return {
    member,
    startRevision,
    revisionAtOpen: store.revision,
    compactRevisionAtOpen: store.compactRevision,
    responses,
    lost: false,
    finalRevision: null,
  };
}

/** A prefix watch on k* from revision 1, opened before the first write and drained at the end. */
function prefixWatch(): { scenario: Scenario; watch: RecordedWatch } {
  let opened: WatchSession | undefined;
  let take: (() => WatchResponse[]) | undefined;
  const scenario = run((i, store) => {
    if (i !== 0) return;
    const watcher = store.watch({ ...prefixRange('k'), startRevision: 1, prevKv: true });
    if ('code' in watcher) throw new Error(watcher.message);
    opened = session('n1', 1, store, watcher.take());
    take = () => watcher.take();
  });
  opened!.responses.push(...take!());
  opened!.finalRevision = scenario.store.revision;
  return {
    scenario,
    watch: { id: 1, selector: prefixRange('k'), prevKv: true, filters: [], sessions: [opened!] },
  };
}

function violation(scenario: Scenario, watch: RecordedWatch): WatchProperty | null {
  return checkWatch(scenario.history, watch).violation?.property ?? null;
}

function withResponses(
  watch: RecordedWatch,
  edit: (responses: WatchResponse[]) => WatchResponse[],
): RecordedWatch {
  const [only] = watch.sessions;
  return { ...watch, sessions: [{ ...only!, responses: edit([...only!.responses]) }] };
}

describe('watch checker', () => {
  it('accepts the store’s own stream, every event checked', () => {
    const { scenario, watch } = prefixWatch();
    const result = checkWatch(scenario.history, watch);
    assert.equal(result.violation, null);
    // put k0, put k1, two deletes, put k0, cas k0, put k1.
    assert.equal(result.events, 7);
  });

  it('accepts a watch resumed on a new session from the revision after the last one reported', () => {
    let first: WatchSession | undefined;
    const scenario = run((i, store) => {
      if (i !== 2) return;
      const watcher = store.watch({ key: 'k0', startRevision: 1 });
      if ('code' in watcher) throw new Error(watcher.message);
      first = session('n1', 1, store, watcher.take());
      first.lost = true;
    });
    const second = scenario.store.watch({ key: 'k0', startRevision: 3 });
    if ('code' in second) throw new Error(second.message);
    const resumed = session('n2', 3, scenario.store, second.take());
    resumed.finalRevision = scenario.store.revision;
    const watch: RecordedWatch = {
      id: 2,
      selector: { key: 'k0' },
      prevKv: false,
      filters: [],
      sessions: [first!, resumed],
    };
    // Revision 3 was compacted by the time of the second session, but only revision 3 itself: it is retained.
    assert.equal(violation(scenario, watch), null);
  });

  it('accepts the cancellation of a watch from a compacted revision', () => {
    const scenario = run();
    const watcher = scenario.store.watch({ key: 'k1', startRevision: 2 });
    if ('code' in watcher) throw new Error(watcher.message);
    const responses = watcher.take();
    assert.equal(responses.at(-1)?.compactRevision, 3);
    const watch: RecordedWatch = {
      id: 3,
      selector: { key: 'k1' },
      prevKv: false,
      filters: [],
      sessions: [session('n1', 2, scenario.store, responses)],
    };
    assert.equal(violation(scenario, watch), null);
  });

  it('catches a missing event (reliable)', () => {
    const { scenario, watch } = prefixWatch();
    const damaged = withResponses(watch, (responses) =>
      responses.filter((r) => r.events[0]?.kv.modRevision !== 2),
    );
    assert.equal(violation(scenario, damaged), 'reliable');
  });

  it('catches an event delivered twice (unique)', () => {
    const { scenario, watch } = prefixWatch();
    const damaged = withResponses(watch, (responses) => [...responses, responses[2]!]);
    assert.equal(violation(scenario, damaged), 'unique');
  });

  it('catches events out of order (ordered)', () => {
    const { scenario, watch } = prefixWatch();
    const damaged = withResponses(watch, (responses) => {
      const [created, first, second, ...rest] = responses;
      return [created!, second!, first!, ...rest];
    });
    assert.equal(violation(scenario, damaged), 'ordered');
  });

  it('catches a revision split over two responses (atomic)', () => {
    const { scenario, watch } = prefixWatch();
    const damaged = withResponses(watch, (responses) =>
      responses.flatMap((r) =>
        r.events.length === 2
          ? [
              { ...r, events: r.events.slice(0, 1) },
              { ...r, events: r.events.slice(1) },
            ]
          : [r],
      ),
    );
    assert.equal(violation(scenario, damaged), 'atomic');
  });

  it('catches a wrong value or a missing prevKv (correct)', () => {
    const { scenario, watch } = prefixWatch();
    const wrongValue = withResponses(watch, (responses) =>
      responses.map((r) =>
        r.events[0]?.kv.modRevision === 4
          ? { ...r, events: [{ ...r.events[0], kv: { ...r.events[0].kv, value: encoder.encode('x') } }] }
          : r,
      ),
    );
    assert.equal(violation(scenario, wrongValue), 'correct');
    const noPrevKv = withResponses(watch, (responses) =>
      responses.map((r) =>
        r.events[0]?.kv.modRevision === 5
          ? { ...r, events: [{ type: r.events[0].type, kv: r.events[0].kv }] }
          : r,
      ),
    );
    assert.equal(violation(scenario, noPrevKv), 'correct');
  });

  it('catches a watch from a compacted revision that delivers instead of being canceled (compaction)', () => {
    const { scenario, watch } = prefixWatch();
    const [only] = watch.sessions;
    const fromCompacted = { ...watch, sessions: [{ ...only!, compactRevisionAtOpen: 3 }] };
    assert.equal(violation(scenario, fromCompacted), 'compaction');
  });

  it('catches a cancellation that names no compaction, or one the watch did not need (compaction)', () => {
    const { scenario, watch } = prefixWatch();
    const cancel = (compactRevision: number) =>
      withResponses(watch, (responses) => [
        ...responses.slice(0, 4),
        { watchId: 1, revision: 6, events: [], canceled: true, compactRevision },
      ]);
    // No compaction to 2 was applied.
    assert.equal(violation(scenario, cancel(2)), 'compaction');
    // The watch had reported up to revision 3 and needs 4 next, which the compaction at 3 keeps.
    assert.equal(violation(scenario, cancel(3)), 'compaction');
  });

  it('catches a watch that never reports its member’s revision (caught up)', () => {
    const { scenario, watch } = prefixWatch();
    const stalled = withResponses(watch, (responses) => responses.slice(0, -1));
    assert.equal(violation(scenario, stalled), 'caught up');
  });
});
