// The checkers must be able to fail: each deliberately broken variant of the core (switched on
// through RaftConfig.unsafeBugs) has to be caught by an invariant or by the linearizability check,
// and each fault outside the core (a damaged watch stream, a store that forgets request ids) by the
// watch checker or the committed-history reference, within a bounded number of seeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UnsafeBugs } from '../../core/raft/types.ts';
import type { FailureKind, SimFault, SimulationConfig } from './simulation.ts';
import { runSimulation } from './simulation.ts';

const MAX_SEEDS = 200;

const BUGS: readonly (keyof UnsafeBugs)[] = [
  'commitWithoutQuorum',
  'voteTwicePerTerm',
  'readWithoutQuorum',
  'commitPreviousTermByCount',
];

/** Each fault and the check that must catch it. */
const FAULTS: readonly { fault: SimFault; caughtAs: FailureKind; property: string }[] = [
  { fault: 'dropEvent', caughtAs: 'watch', property: 'reliable' },
  { fault: 'duplicateResponse', caughtAs: 'watch', property: 'unique' },
  { fault: 'splitRevision', caughtAs: 'watch', property: 'atomic' },
  { fault: 'forgetRequestIds', caughtAs: 'invariant', property: 'store agrees with its reference' },
];

/** The first seed at which the broken run fails as expected while the healthy run passes. */
function firstCatch(
  broken: Omit<SimulationConfig, 'seed'>,
  caught: (kind: FailureKind, message: string) => boolean,
): { seed: number; message: string } | null {
  for (let seed = 1; seed <= MAX_SEEDS; seed++) {
    const failure = runSimulation({ seed, ...broken }).failure;
    if (failure === null || !caught(failure.kind, failure.message)) continue;
    // A seed that fails without the bug too shows something else; it does not count.
    if (runSimulation({ seed }).failure !== null) continue;
    return { seed, message: failure.message };
  }
  return null;
}

describe('the simulator catches deliberately broken cores', () => {
  for (const bug of BUGS) {
    it(`catches ${bug} within ${MAX_SEEDS} seeds`, (t) => {
      const caught = firstCatch(
        { unsafeBugs: { [bug]: true } },
        (kind) => kind === 'invariant' || kind === 'linearizability',
      );
      assert.ok(
        caught !== null,
        `${bug} went unnoticed by the invariants and the linearizability check for ${MAX_SEEDS} seeds`,
      );
      t.diagnostic(`${bug}: caught at seed ${caught.seed}: ${caught.message}`);
    });
  }
});

describe('the simulator catches damaged watch streams and a store that forgets request ids', () => {
  for (const { fault, caughtAs, property } of FAULTS) {
    it(`catches ${fault} as ${caughtAs} (${property}) within ${MAX_SEEDS} seeds`, (t) => {
      const caught = firstCatch(
        { fault },
        (kind, message) => kind === caughtAs && message.startsWith(property),
      );
      assert.ok(caught !== null, `${fault} went unnoticed for ${MAX_SEEDS} seeds`);
      t.diagnostic(`${fault}: caught at seed ${caught.seed}: ${caught.message}`);
    });
  }
});
