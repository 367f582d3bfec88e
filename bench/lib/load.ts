// Closed-loop load: a fixed number of requests in flight for a fixed time, each request's latency
// recorded after a warm-up, the members taken in turn so that every member serves a third.
import { LatencyRecorder } from './stats.ts';

export interface LoadResult {
  /** Completed requests per second after the warm-up. */
  readonly rate: number;
  readonly p50: number;
  readonly p99: number;
  readonly completed: number;
  /** Requests completed, warm-up included. */
  readonly total: number;
}

export interface LoadOptions {
  readonly inFlight: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  /** One request; `sequence` counts requests across all workers (members and keys derive from it). */
  readonly request: (sequence: number) => Promise<void>;
}

/** Errors tolerated in one run before it is abandoned (none are expected on a healthy cluster). */
const MAX_ERRORS = 10;

export async function closedLoop(options: LoadOptions): Promise<LoadResult> {
  const latencies = new LatencyRecorder();
  const started = performance.now();
  const measureFrom = started + options.warmupMs;
  const stopAt = measureFrom + options.durationMs;
  let sequence = 0;
  let errors = 0;
  let firstError: unknown;
  let completedInWindow = 0;
  let total = 0;
  let lastCompletion = measureFrom;
  const worker = async (): Promise<void> => {
    for (;;) {
      const sent = performance.now();
      if (sent >= stopAt || errors > MAX_ERRORS) return;
      try {
        await options.request(sequence++);
      } catch (error) {
        errors++;
        firstError ??= error;
        continue;
      }
      const done = performance.now();
      total++;
      if (sent >= measureFrom) {
        latencies.record(done - sent);
        completedInWindow++;
        lastCompletion = done;
      }
    }
  };
  await Promise.all(Array.from({ length: options.inFlight }, worker));
  if (errors > MAX_ERRORS)
    throw new Error(`more than ${MAX_ERRORS} requests failed; the first: ${String(firstError)}`);
  const { p50, p99 } = latencies.summary();
  const windowMs = Math.max(1, lastCompletion - measureFrom);
  return { rate: (completedInWindow / windowMs) * 1000, p50, p99, completed: completedInWindow, total };
}

/** Runs `task` over `items` with at most `inFlight` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  inFlight: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(inFlight, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await task(items[index]!, index);
      }
    }),
  );
}
