// The checkers must be able to fail: each deliberately broken variant of the core (switched on
// through RaftConfig.unsafeBugs) has to be caught by an invariant or by the linearizability check
// within a bounded number of seeds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UnsafeBugs } from '../../core/raft/types.ts';
import { runSimulation } from './simulation.ts';

const MAX_SEEDS = 200;

const BUGS: readonly (keyof UnsafeBugs)[] = [
  'commitWithoutQuorum',
  'voteTwicePerTerm',
  'readWithoutQuorum',
  'commitPreviousTermByCount',
];

describe('the simulator catches deliberately broken cores', () => {
  for (const bug of BUGS) {
    it(`catches ${bug} within ${MAX_SEEDS} seeds`, (t) => {
      for (let seed = 1; seed <= MAX_SEEDS; seed++) {
        const result = runSimulation({ seed, unsafeBugs: { [bug]: true } });
        const kind = result.failure?.kind;
        if (kind !== 'invariant' && kind !== 'linearizability') continue;
        // A seed that fails without the bug too shows something else; it does not count.
        if (runSimulation({ seed }).failure !== null) continue;
        t.diagnostic(`${bug}: caught at seed ${seed} (${kind}): ${result.failure!.message}`);
        return;
      }
      assert.fail(
        `${bug} went unnoticed by the invariants and the linearizability check for ${MAX_SEEDS} seeds`,
      );
    });
  }
});
