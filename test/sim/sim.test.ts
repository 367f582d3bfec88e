import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFailure, runSimulation, summarize } from './simulation.ts';

/** Seeds run by `npm test`; `npm run sim -- --seeds N` runs more. */
const SEEDS = 500;

describe('deterministic simulation of the Raft core and the store', () => {
  it(`keeps every invariant, linearizability, the watch guarantees and liveness over ${SEEDS} seeds`, (t) => {
    const began = performance.now();
    const failures: string[] = [];
    const totals = {
      checked: 0,
      crashes: 0,
      partitions: 0,
      membershipChanges: 0,
      transfers: 0,
      snapshots: 0,
      unknown: 0,
      retries: 0,
      deduplicated: 0,
      compactions: 0,
      watches: 0,
      resumedWatches: 0,
      watchEvents: 0,
      watchesCompacted: 0,
    };
    const sizes = new Set<number>();
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = runSimulation({ seed });
      if (result.failure !== null) failures.push(describeFailure(result));
      const s = result.stats;
      totals.checked += s.operationsChecked;
      totals.crashes += s.crashes;
      totals.partitions += s.partitions;
      totals.membershipChanges += s.membershipChanges;
      totals.transfers += s.transfers;
      totals.snapshots += s.snapshots;
      totals.unknown += s.unknownOutcomes;
      totals.retries += s.retries;
      totals.deduplicated += s.deduplicated;
      totals.compactions += s.compactions;
      totals.watches += s.watches;
      totals.resumedWatches += s.watchSessions - s.watches;
      totals.watchEvents += s.watchEvents;
      totals.watchesCompacted += s.watchesCompacted;
      sizes.add(result.options.clusterSize);
    }
    const seconds = (performance.now() - began) / 1000;
    t.diagnostic(
      `${SEEDS} seeds in ${seconds.toFixed(1)} s (${(SEEDS / seconds).toFixed(1)} seeds/s), ` +
        `${totals.checked} operations checked (${(totals.checked / SEEDS).toFixed(0)} per seed), ` +
        `${totals.watches} watches and ${totals.watchEvents} watch events checked ` +
        `(${(totals.watchEvents / SEEDS).toFixed(0)} per seed)`,
    );
    assert.deepEqual(failures, [], `failing seeds:\n${failures.join('\n')}`);
    // The seeds must actually exercise what the simulator claims to test.
    assert.deepEqual([...sizes].sort(), [1, 3, 5]);
    for (const [what, count] of Object.entries(totals))
      assert.ok(count > SEEDS / 10, `only ${count} ${what} in ${SEEDS} seeds`);
  });

  it('replays a seed byte for byte', () => {
    for (const seed of [12, 28, 33]) {
      const runs = [0, 1].map(() => {
        const lines: string[] = [];
        const result = runSimulation({ seed, trace: (line) => lines.push(line) });
        return `${lines.join('\n')}\n${summarize(result)}`;
      });
      assert.equal(runs[0], runs[1], `seed ${seed} replayed differently`);
    }
  });

  it('derives the whole run from the seed', () => {
    const hashes = new Set([1, 2, 3, 4, 5].map((seed) => runSimulation({ seed }).traceHash));
    assert.equal(hashes.size, 5);
  });
});
