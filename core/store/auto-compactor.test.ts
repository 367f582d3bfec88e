import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AutoCompactor } from './auto-compactor.ts';

describe('AutoCompactor', () => {
  it('revision mode keeps the last N revisions, checking at most once per interval', () => {
    const compactor = new AutoCompactor({ mode: 'revision', retainRevisions: 100, checkIntervalMs: 60_000 });
    assert.equal(compactor.due(0, 50, 0), undefined, 'fewer revisions than retained');
    assert.equal(compactor.due(30_000, 500, 0), undefined, 'not checked again within the interval');
    assert.deepEqual(compactor.due(60_000, 500, 0), { revision: 400 });
    assert.equal(compactor.due(120_000, 450, 400), undefined, 'nothing new to drop');
  });

  it('periodic mode keeps the last T of history', () => {
    const compactor = new AutoCompactor({ mode: 'periodic', retainMs: 10_000 });
    // One write per 100 ms: revision = now / 100.
    let proposed: { revision: number } | undefined;
    let compactRevision = 0;
    for (let now = 0; now <= 30_000; now += 100) {
      proposed = compactor.due(now, now / 100, compactRevision) ?? proposed;
      if (proposed !== undefined) compactRevision = proposed.revision;
      if (now < 10_000) assert.equal(compactRevision, 0, `nothing is T old at ${now}`);
      else
        assert.ok(now / 100 - compactRevision >= 100, `at ${now} history since ${compactRevision} covers T`);
    }
    assert.ok(
      300 - compactRevision <= 110,
      `compacts close to T ago (history from ${compactRevision} at 300)`,
    );
  });

  it('refuses a nonsensical configuration', () => {
    assert.throws(
      () => new AutoCompactor({ mode: 'periodic', retainMs: 0 }),
      /retainMs must be a positive integer/,
    );
  });
});
