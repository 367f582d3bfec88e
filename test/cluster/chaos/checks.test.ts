// The chaos run's end-of-run checks on small hand-made histories: a correct run passes, and each kind
// of damage a faulty cluster could do is caught by the check that names it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KeyValue, WatchEvent, WatchResponse } from '../../../core/store/index.ts';
import type { KvInput, KvOutput } from '../../sim/kv-model.ts';
import type { RecordedWatch } from '../../sim/watch-clients.ts';
import { checkRun } from './checks.ts';
import { ObservedHistory } from './committed.ts';
import type { ClientOperation } from './kv-clients.ts';

const encoder = new TextEncoder();

/** A history of puts, one per revision from 1: [key, value] pairs. */
function historyOf(...puts: [string, string][]): ObservedHistory {
  const history = new ObservedHistory();
  const live = new Map<string, KeyValue>();
  puts.forEach(([key, value], i) => {
    const revision = i + 1;
    const prev = live.get(key);
    const kv: KeyValue = {
      key,
      value: encoder.encode(value),
      createRevision: prev?.createRevision ?? revision,
      modRevision: revision,
      version: (prev?.version ?? 0) + 1,
      lease: 0,
    };
    live.set(key, kv);
    history.add(prev === undefined ? { type: 'put', kv } : { type: 'put', kv, prevKv: prev });
  });
  return history;
}

function op(
  clientId: number,
  call: number,
  ret: number,
  input: KvInput,
  output: KvOutput | undefined,
  revision: number | null,
): ClientOperation {
  const requestId = input.kind === 'put' || input.kind === 'cas' ? input.value : '';
  return { clientId, requestId, input, call, return: ret, output, revision, unknownReason: null, side: null };
}

const put = (client: number, call: number, ret: number, value: string, revision: number): ClientOperation =>
  op(client, call, ret, { kind: 'put', key: 'r/0', value }, { kind: 'put' }, revision);
const get = (
  client: number,
  call: number,
  ret: number,
  value: string | null,
  revision: number,
): ClientOperation => op(client, call, ret, { kind: 'get', key: 'r/0' }, { kind: 'get', value }, revision);

function failuresOf(summary: ReturnType<typeof checkRun>): string {
  return summary.failures.join('\n');
}

describe("the chaos run's checks", () => {
  it('pass a history in which every answer agrees with the committed one', () => {
    const history = historyOf(['r/0', 'c1.1'], ['r/0', 'c2.1']);
    const ops = [
      put(1, 1, 2, 'c1.1', 1),
      get(3, 3, 4, 'c1.1', 1),
      put(2, 5, 6, 'c2.1', 2),
      get(3, 7, 8, 'c2.1', 2),
    ];
    const summary = checkRun(history, ops, []);
    assert.deepEqual(summary.failures, []);
    assert.equal(summary.operationsChecked, 4);
    assert.equal(summary.acknowledgedWritesVerified, 2);
    assert.equal(summary.readsVerified, 2);
  });

  it('catch an acknowledged write that the history lost', () => {
    const history = historyOf(['r/0', 'c1.1']);
    const summary = checkRun(history, [put(1, 1, 2, 'c1.1', 1), put(2, 3, 4, 'c2.1', 2)], []);
    assert.match(
      failuresOf(summary),
      /^durability: acknowledged client 2 .* is missing from the committed history/m,
    );
  });

  it('catch a write applied twice', () => {
    const history = historyOf(['r/0', 'c1.1'], ['r/0', 'c1.1']);
    const summary = checkRun(history, [put(1, 1, 2, 'c1.1', 1)], []);
    assert.match(
      failuresOf(summary),
      /a write applied twice: r\/0=c1.1 was written at revision 1 and again at 2/,
    );
  });

  it('catch a stale read: older than a write that had returned, and not what its revision held', () => {
    const history = historyOf(['r/0', 'c1.1'], ['r/0', 'c2.1']);
    // The read starts after c2.1 was acknowledged, yet answers c1.1 claiming revision 2.
    const ops = [put(1, 1, 2, 'c1.1', 1), put(2, 3, 4, 'c2.1', 2), get(3, 5, 6, 'c1.1', 2)];
    const failures = failuresOf(checkRun(history, ops, []));
    assert.match(
      failures,
      /^reads: client 3 .* get\(r\/0\) -> c1.1 .* but the history has c2.1 at revision 2/m,
    );
    assert.match(failures, /^linearizability: the history of r\/0 is not linearizable/m);
  });

  it('catch revisions that go back in real time', () => {
    const history = historyOf(['r/0', 'c1.1'], ['r/1', 'c2.1']);
    // A read of another key, begun after revision 2 was acknowledged, reflects revision 1.
    const ops = [
      put(1, 1, 2, 'c1.1', 1),
      op(2, 3, 4, { kind: 'put', key: 'r/1', value: 'c2.1' }, { kind: 'put' }, 2),
      get(3, 5, 6, 'c1.1', 1),
    ];
    assert.match(
      failuresOf(checkRun(history, ops, [])),
      /^real time: client 3 .* began after client 2 .* returned/m,
    );
  });

  it('count a write of unknown outcome as applied when the history has it, and drop it when not', () => {
    const history = historyOf(['r/0', 'c1.1']);
    const ops = [
      op(1, 1, Number.POSITIVE_INFINITY, { kind: 'put', key: 'r/0', value: 'c1.1' }, undefined, null),
      op(2, 2, Number.POSITIVE_INFINITY, { kind: 'put', key: 'r/0', value: 'c2.1' }, undefined, null),
      get(3, 3, 4, 'c1.1', 1),
    ];
    const summary = checkRun(history, ops, []);
    assert.deepEqual(summary.failures, []);
    assert.equal(summary.unknownApplied, 1);
    assert.equal(summary.unknownNotApplied, 1);
  });

  it('catch a compare-and-swap answered as failed that applied', () => {
    const history = historyOf(['r/0', 'c1.1']);
    const cas = op(
      1,
      1,
      2,
      { kind: 'cas', key: 'r/0', expected: null, value: 'c1.1' },
      { kind: 'cas', succeeded: false },
      0,
    );
    assert.match(
      failuresOf(checkRun(history, [cas], [])),
      /^durability: .* yet the history has its write at revision 1/m,
    );
  });

  it('catch a watch stream with a gap', () => {
    const history = historyOf(['r/0', 'c1.1'], ['r/0', 'c2.1'], ['r/0', 'c3.1']);
    const event = (revision: number): WatchEvent => ({ type: 'put', kv: history.eventsAt(revision)[0]!.kv });
    const responses: WatchResponse[] = [
      { watchId: 1, revision: 0, events: [], created: true },
      { watchId: 1, revision: 1, events: [event(1)] },
      { watchId: 1, revision: 3, events: [event(3)] },
    ];
    const watch: RecordedWatch = {
      id: 1,
      selector: { key: 'r/0' },
      prevKv: false,
      filters: [],
      sessions: [
        {
          member: 'm1',
          startRevision: 1,
          revisionAtOpen: 0,
          compactRevisionAtOpen: 0,
          responses,
          lost: false,
          finalRevision: null,
        },
      ],
    };
    const failures = failuresOf(checkRun(history, [], [watch]));
    assert.match(failures, /^watch reliable: watch 1 .* revision 2 \(put r\/0=c2.1@2 v2\) never did/m);
  });
});
