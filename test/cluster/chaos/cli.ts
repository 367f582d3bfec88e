// npm run chaos -- [--minutes M] [--seed S] [--min-faults N]
// A long chaos run against real member processes (test/cluster/chaos/run.ts): the seed is printed
// first, progress lines follow, then the figures; it exits 1 if anything failed. The same seed
// replays the same fault schedule.
import { parseArgs } from 'node:util';
import { DEFAULT_CHAOS_OPTIONS, runChaos, summarizeChaos } from './run.ts';

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run chaos -- [--minutes M] [--seed S] [--min-faults N]\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  // Exiting runs the harness's exit hook, which kills the member processes.
  process.once('SIGINT', () => process.exit(130));
  let values: { minutes?: string; seed?: string; 'min-faults'?: string };
  try {
    ({ values } = parseArgs({
      options: { minutes: { type: 'string' }, seed: { type: 'string' }, 'min-faults': { type: 'string' } },
      strict: true,
    }));
  } catch (error) {
    usage(error instanceof Error ? error.message : String(error));
  }
  const minutes = Number(values.minutes ?? '10');
  if (!(minutes > 0 && minutes <= 24 * 60))
    usage(`--minutes needs a number of minutes up to a day, got ${values.minutes}`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0)
    usage(`--seed needs a non-negative integer, got ${values.seed}`);
  const minFaults = Number(values['min-faults'] ?? '0');
  if (!Number.isSafeInteger(minFaults) || minFaults < 0)
    usage(`--min-faults needs a non-negative integer, got ${values['min-faults']}`);
  process.stdout.write(`chaos: seed ${seed}, ${minutes} minutes of faults\n`);
  const report = await runChaos(
    { ...DEFAULT_CHAOS_OPTIONS, seed, durationMs: minutes * 60_000, minFaults },
    (line) => process.stdout.write(`${line}\n`),
  );
  process.stdout.write(`${summarizeChaos(report)}\n`);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
}

await main();
