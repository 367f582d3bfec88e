// The committed history's reference agrees with a real store, and catches a store that applies a
// retried request twice or answers with the wrong revision.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CommandEnvelope, StoreConfig } from '../../core/store/index.ts';
import { KvStore, prefixRange } from '../../core/store/index.ts';
import { CommittedHistory } from './committed-history.ts';
import { InvariantViolation } from './invariants.ts';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const put = (key: string, value: string, requestId?: string): CommandEnvelope => ({
  ...(requestId === undefined ? {} : { requestId }),
  command: { op: 'put', request: { key, value: encoder.encode(value) } },
});
const cas = (key: string, expected: string | null, value: string, requestId: string): CommandEnvelope => ({
  requestId,
  command: {
    op: 'txn',
    request: {
      compare: [
        expected === null
          ? { key, target: 'version', result: 'equal', value: 0 }
          : { key, target: 'value', result: 'equal', value: encoder.encode(expected) },
      ],
      success: [{ put: { key, value: encoder.encode(value) } }],
      failure: [],
    },
  },
});
const compact = (revision: number): CommandEnvelope => ({
  command: { op: 'compact', request: { revision } },
});

/** Applies each envelope (null = an entry without a command) to a store and records it. */
function replay(
  envelopes: readonly (CommandEnvelope | null)[],
  config: Partial<StoreConfig> = {},
): { store: KvStore; history: CommittedHistory } {
  const store = new KvStore(config);
  const history = new CommittedHistory(100);
  envelopes.forEach((envelope, i) => {
    const index = i + 1;
    if (envelope === null) {
      store.markApplied(index);
      history.record(index, null);
      return;
    }
    const response = store.apply(index, envelope);
    history.record(index, { envelope, response, revision: store.revision });
  });
  return { store, history };
}

function violatesReference(action: () => void): void {
  assert.throws(
    action,
    (error: unknown) =>
      error instanceof InvariantViolation && error.invariant === 'store agrees with its reference',
  );
}

describe('committed history', () => {
  it('agrees with the store on revisions and events, through no-ops, refusals and compaction', () => {
    const { store, history } = replay([
      put('k1', 'a', 'c1.1'),
      null,
      put('k0', 'b', 'c1.2'),
      cas('k0', 'x', 'never', 'c2.1'),
      cas('k0', 'b', 'c', 'c2.2'),
      { requestId: 'c3.1', command: { op: 'deleteRange', request: { ...prefixRange('k'), prevKv: true } } },
      { requestId: 'c3.2', command: { op: 'deleteRange', request: { key: 'k0' } } },
      compact(2),
      compact(1),
      cas('k0', null, 'd', 'c2.3'),
    ]);
    assert.equal(history.revision, store.revision);
    assert.equal(history.revision, 5);
    assert.equal(history.compactRevision, 2);
    assert.ok(history.wasCompactedAt(2) && !history.wasCompactedAt(1));
    // The failed compare took no revision; the clear deleted both keys in key order at revision 4.
    assert.deepEqual(
      history
        .eventsAt(4)
        .map((e) => [e.type, e.kv.key, e.prevKv === undefined ? null : decoder.decode(e.prevKv.value)]),
      [
        ['delete', 'k0', 'c'],
        ['delete', 'k1', 'a'],
      ],
    );
    const recreated = history.eventsAt(5)[0]!.kv;
    assert.deepEqual([recreated.createRevision, recreated.version], [5, 1]);
  });

  it('accepts a retry answered from the store’s dedup window', () => {
    const { history } = replay([put('k0', 'a', 'c1.1'), put('k0', 'b', 'c2.1'), put('k0', 'a', 'c1.1')]);
    assert.equal(history.revision, 2);
    assert.equal(history.duplicates, 1);
  });

  it('catches a store that applies a retried request twice', () => {
    violatesReference(() => replay([put('k0', 'a', 'c1.1'), put('k0', 'a', 'c1.1')], { dedupWindow: 0 }));
  });

  it('catches a store answering with another revision than the reference’s', () => {
    const history = new CommittedHistory(100);
    violatesReference(() =>
      history.record(1, { envelope: put('k0', 'a'), response: { revision: 2 }, revision: 2 }),
    );
  });

  it('refuses to run past the dedup window it assumes is never exceeded', () => {
    const history = new CommittedHistory(1);
    history.record(1, { envelope: put('k0', 'a', 'c1.1'), response: { revision: 1 }, revision: 1 });
    assert.throws(
      () => history.record(2, { envelope: put('k0', 'b', 'c1.2'), response: { revision: 2 }, revision: 2 }),
      /dedup window/,
    );
  });
});
