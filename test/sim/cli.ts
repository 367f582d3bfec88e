// npm run sim -- --seeds N [--start-seed S] [--bug NAME]   run N seeds, print seeds/s and operations checked
// npm run sim -- --seed S [--trace] [--bug NAME]           replay one seed exactly (byte-identical output)
// --bug switches on one of RaftConfig.unsafeBugs or one of the simulation's faults (a damaged watch
// stream, a store that forgets request ids), to watch the checkers catch it.
import { parseArgs } from 'node:util';
import type { UnsafeBugs } from '../../core/raft/types.ts';
import { DEFAULT_CHECK_LIMITS } from './linearizability.ts';
import { describeOptions } from './options.ts';

import type { SimFault, SimulationResult } from './simulation.ts';
import { describeFailure, runSimulation, SIM_FAULTS, summarize } from './simulation.ts';

const RAFT_BUGS = [
  'commitWithoutQuorum',
  'voteTwicePerTerm',
  'readWithoutQuorum',
  'commitPreviousTermByCount',
] as const;
const BUGS: readonly (keyof UnsafeBugs | SimFault)[] = [...RAFT_BUGS, ...SIM_FAULTS];
/** Progress lines in a long run, so that a 10,000-seed run shows it is alive. */
const PROGRESS_EVERY = 1000;

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run sim -- --seeds N [--start-seed S] [--bug NAME]\n` +
      `       npm run sim -- --seed S [--trace] [--bug NAME]\nbugs: ${BUGS.join(', ')}\n`,
  );
  process.exit(2);
}

function positiveInteger(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0)
    usage(`--${name} needs a non-negative integer, got ${value}`);
  return parsed;
}

function printFailure(result: SimulationResult, bug: keyof UnsafeBugs | SimFault | undefined): void {
  process.stdout.write(`${describeFailure(result, bug)}\n`);
}

function main(): void {
  // `npm run sim -- --seed S --trace | head` closes the pipe early; that is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(process.exitCode ?? 0);
  });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const { values } = parsed;
  const bug = BUGS.find((name) => name === values.bug);
  if (values.bug !== undefined && bug === undefined) usage(`unknown bug ${values.bug}`);
  const raftBug = RAFT_BUGS.find((name) => name === bug);
  const fault = SIM_FAULTS.find((name) => name === bug);
  const faults = {
    ...(raftBug === undefined ? {} : { unsafeBugs: { [raftBug]: true } }),
    ...(fault === undefined ? {} : { fault }),
  };

  if (values.seed !== undefined) {
    const seed = positiveInteger(values.seed, 'seed', 0);
    const trace = values.trace === true ? (line: string) => process.stdout.write(`${line}\n`) : undefined;
    const result = runSimulation({ seed, ...faults, ...(trace ? { trace } : {}) });
    if (result.failure === null)
      process.stdout.write(`${summarize(result)}\n  options: ${describeOptions(result.options)}\n`);
    else printFailure(result, bug);
    process.exitCode = result.failure === null ? 0 : 1;
    return;
  }

  const count = positiveInteger(values.seeds, 'seeds', 100);
  const start = positiveInteger(values['start-seed'], 'start-seed', 1);
  const began = performance.now();
  let failed = 0;
  let checked = 0;
  let maxSearch = 0;
  let maxSearchSeed = start;
  let invariantChecks = 0;
  let watches = 0;
  let watchEvents = 0;
  let watchSessions = 0;
  let watchesCompacted = 0;
  let retries = 0;
  let deduplicated = 0;
  for (let seed = start; seed < start + count; seed++) {
    const result = runSimulation({ seed, ...faults });
    const s = result.stats;
    checked += s.operationsChecked;
    watches += s.watches;
    watchEvents += s.watchEvents;
    watchSessions += s.watchSessions;
    watchesCompacted += s.watchesCompacted;
    retries += s.retries;
    deduplicated += s.deduplicated;
    if (result.stats.checkerSteps > maxSearch) {
      maxSearch = result.stats.checkerSteps;
      maxSearchSeed = seed;
    }
    invariantChecks += result.stats.invariantChecks;
    if (result.failure !== null) {
      failed++;
      printFailure(result, bug);
    }
    const done = seed - start + 1;
    if (done % PROGRESS_EVERY === 0 && done < count) {
      const seconds = (performance.now() - began) / 1000;
      process.stdout.write(`... ${done} seeds, ${failed} failed, ${(done / seconds).toFixed(1)} seeds/s\n`);
    }
  }
  const seconds = (performance.now() - began) / 1000;
  process.stdout.write(
    `${count} seeds (${start}..${start + count - 1}): ${failed} failed, ${seconds.toFixed(1)} s, ` +
      `${(count / seconds).toFixed(1)} seeds/s, ${checked} operations checked (${(checked / count).toFixed(1)} per seed), ` +
      `${invariantChecks} invariant checks, longest linearizability search ${maxSearch} steps at seed ${maxSearchSeed} (limit ${DEFAULT_CHECK_LIMITS.maxStepsPerPartition} per key)\n` +
      `  writes retried ${retries} times, ${deduplicated} entries answered from the dedup window; ` +
      `${watches} watches (${(watches / count).toFixed(1)} per seed) in ${watchSessions} sessions, ` +
      `${watchEvents} watch events checked (${(watchEvents / count).toFixed(1)} per seed), ${watchesCompacted} canceled as compacted\n`,
  );
  process.exitCode = failed === 0 ? 0 : 1;
}

function parse() {
  return parseArgs({
    options: {
      seeds: { type: 'string' },
      'start-seed': { type: 'string' },
      seed: { type: 'string' },
      trace: { type: 'boolean' },
      bug: { type: 'string' },
    },
    strict: true,
  });
}

main();
