import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VaneError } from '../../core/errors.ts';
import type { RaftError } from '../../core/raft/types.ts';
import { ProposalTracker } from './proposal-tracker.ts';

function tracker(options: { maxPending?: number; refuse?: RaftError } = {}) {
  const proposed: Uint8Array[] = [];
  const outcomes: string[] = [];
  const t = new ProposalTracker({
    propose: (data) => {
      proposed.push(data);
      return options.refuse;
    },
    retryMs: 100,
    maxPending: options.maxPending ?? 10,
    onOutcome: (o) => outcomes.push(o),
  });
  return { t, proposed, outcomes };
}

describe('writes in flight on a member', () => {
  it('answers every waiter of a request id when its entry applies, and proposes it once', async () => {
    const { t, proposed, outcomes } = tracker();
    const first = t.submit('r1', new Uint8Array([1]), 0, 1000);
    const retry = t.submit('r1', new Uint8Array([1]), 5, 1000);
    assert.equal(proposed.length, 1, 'a concurrent retry joins the pending write');
    t.applied('r1', { revision: 7 });
    assert.deepEqual(await first, { revision: 7 });
    assert.deepEqual(await retry, { revision: 7 });
    assert.deepEqual(outcomes, ['applied']);
    assert.equal(t.size, 0);
  });

  it('proposes again (same bytes) when the entry is not applied within retryMs, and times out with a clear error', async () => {
    const { t, proposed, outcomes } = tracker();
    const write = t.submit('r1', new Uint8Array([9]), 0, 250);
    t.tick(50);
    assert.equal(proposed.length, 1);
    t.tick(120);
    assert.equal(proposed.length, 2, 'lost to a leader change: proposed again');
    assert.deepEqual(proposed[1], new Uint8Array([9]));
    t.tick(260);
    const result = (await write) as VaneError;
    assert.equal(result.code, 'timeout');
    assert.match(result.message, /retry with the same request id/);
    assert.deepEqual(outcomes, ['timedOut']);
  });

  it('retryAll proposes every pending write again at once (a new leader), and restarts its retry interval', async () => {
    const { t, proposed } = tracker();
    const a = t.submit('a', new Uint8Array([1]), 0, 1000);
    void t.submit('b', new Uint8Array([2]), 0, 1000);
    t.retryAll(40);
    assert.deepEqual(proposed.slice(2), [new Uint8Array([1]), new Uint8Array([2])]);
    t.tick(120);
    assert.equal(proposed.length, 4, 'the next retry is retryMs after retryAll, not after submit');
    t.applied('a', { revision: 3 });
    assert.deepEqual(await a, { revision: 3 });
    t.retryAll(150);
    assert.equal(proposed.length, 5, 'an applied write is not proposed again');
  });

  it('says there is no leader when every attempt found none', async () => {
    const { t, proposed } = tracker({ refuse: { code: 'noLeader', message: 'no leader' } });
    const write = t.submit('r1', new Uint8Array([1]), 0, 200);
    t.tick(10);
    t.tick(20);
    assert.equal(proposed.length, 3, 'retried on every tick while there is no leader');
    t.tick(300);
    assert.equal(((await write) as VaneError).code, 'noLeader');
  });

  it('refuses writes past the limit of writes in flight, naming it', async () => {
    const { t } = tracker({ maxPending: 2 });
    void t.submit('a', new Uint8Array(), 0, 1000);
    void t.submit('b', new Uint8Array(), 0, 1000);
    const refused = (await t.submit('c', new Uint8Array(), 0, 1000)) as VaneError;
    assert.equal(refused.code, 'unavailable');
    assert.match(refused.message, /2 writes in flight/);
    assert.deepEqual(refused.details, { limit: 2 });
  });
});
