// The short chaos run of `npm test` (about a minute): five real member processes with every peer link
// through the test's proxy, eight clients writing, reading, swapping and watching, and faults from a
// random seed, each kind at least once: partitions (symmetric, one-way, the leader isolated), lossy
// and slow links, kill -9, SIGSTOP, a member replaced. Afterwards no acknowledged write may be
// missing, the clients' history must be linearizable and every watch stream complete. `npm run chaos -- --minutes M --seed S` runs a long one;
// VANE_CHAOS_SEED=S replays this one's fault schedule.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CHAOS_OPTIONS, runChaos, summarizeChaos } from './chaos/run.ts';
import { FAULT_KINDS } from './chaos/schedule.ts';

/** Faults are injected for this long, and at least one of each kind however long that takes. */
const FAULT_PHASE_MS = 30_000;

describe('chaos with real processes', { timeout: 300_000 }, () => {
  it('loses no acknowledged write and keeps linearizability and the watch guarantees through random faults', async () => {
    const seed = Number(process.env.VANE_CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    console.log(`chaos seed ${seed} (VANE_CHAOS_SEED=${seed} replays its fault schedule)`);
    const report = await runChaos(
      { ...DEFAULT_CHAOS_OPTIONS, seed, durationMs: FAULT_PHASE_MS, minFaults: FAULT_KINDS.length },
      (line) => console.log(line),
    );
    const summary = summarizeChaos(report);
    console.log(summary);
    assert.deepEqual(report.failures, [], summary);
    const check = report.check;
    assert.ok(check !== null, summary);
    // A run in which the cluster did nothing would pass every check; this one must have worked.
    assert.ok(
      check.acknowledgedWritesVerified >= 100,
      `only ${check.acknowledgedWritesVerified} writes acknowledged`,
    );
    assert.ok(check.readsVerified >= 100, `only ${check.readsVerified} reads answered`);
    assert.ok(check.watchEventsChecked >= 100, `only ${check.watchEventsChecked} watch events`);
    for (const kind of FAULT_KINDS) assert.ok(report.faults[kind] >= 1, `no ${kind} fault was injected`);
  });
});
