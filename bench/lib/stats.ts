// Latency samples and the summaries the benchmark reports: percentiles of one run, and the median
// and spread of one figure across rounds.

/** The p-th percentile (0–100) of ascending `sorted`, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))]!;
}

export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1 ? finite[mid]! : (finite[mid - 1]! + finite[mid]!) / 2;
}

/** Latencies (ms) of one run; kept as a growable typed array, since a run may record millions. */
export class LatencyRecorder {
  private samples = new Float64Array(1 << 14);
  private length = 0;

  record(ms: number): void {
    if (this.length === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2);
      grown.set(this.samples);
      this.samples = grown;
    }
    this.samples[this.length++] = ms;
  }

  get count(): number {
    return this.length;
  }

  /** p50, p99 and max in ms (NaN without samples). */
  summary(): { p50: number; p99: number; max: number } {
    const sorted = Array.from(this.samples.subarray(0, this.length)).sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
  }
}

/** How a figure compares across systems: higher is better (throughput) or lower is (latency, memory, time). */
export type Better = 'higher' | 'lower';

/** Formats a number for the table: 3 significant digits, thousands grouped. */
export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
