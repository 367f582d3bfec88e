// How much each fuzz suite runs, and from which seed. `npm test` runs a short pass; a long one:
//   VANE_FUZZ_RUNS=50000 node scripts/run-tests.mjs test/fuzz
// and a failure reproduces with the seed it printed:
//   VANE_FUZZ_SEED=1234 node scripts/run-tests.mjs test/fuzz/http
import type fc from 'fast-check';

function positiveIntFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got '${text}'`);
  return value;
}

/** The seed of every property in this process: VANE_FUZZ_SEED, or a fresh one. */
export const FUZZ_SEED = positiveIntFromEnv('VANE_FUZZ_SEED') ?? 1 + Math.floor(Math.random() * 0x7fff_fffe);

const runsOverride = positiveIntFromEnv('VANE_FUZZ_RUNS');

/** fast-check parameters for one property: `shortRuns` under npm test, VANE_FUZZ_RUNS when set. */
export function fuzzParameters<T>(shortRuns: number): fc.Parameters<T> {
  return { seed: FUZZ_SEED, numRuns: runsOverride ?? shortRuns };
}

/** Counts inputs by what was sent and how the target answered, for the summary line. */
export class FuzzTally {
  readonly #suite: string;
  readonly #counts = new Map<string, number>();
  #inputs = 0;

  constructor(suite: string) {
    this.#suite = suite;
    console.log(`fuzz ${suite}: seed ${FUZZ_SEED} (reproduce with VANE_FUZZ_SEED=${FUZZ_SEED})`);
  }

  get inputs(): number {
    return this.#inputs;
  }

  count(kind: string): void {
    this.#inputs++;
    this.#counts.set(kind, (this.#counts.get(kind) ?? 0) + 1);
  }

  summary(): string {
    const kinds = [...this.#counts.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([kind, n]) => `${kind} ${n}`)
      .join(', ');
    return `fuzz ${this.#suite}: ${this.#inputs} inputs tried (seed ${FUZZ_SEED}): ${kinds}`;
  }
}
