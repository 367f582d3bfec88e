// The time axis the timeline and the charts share: the last few minutes up to now.

export interface TimeAxis {
  readonly from: number;
  readonly to: number;
  /** x of a time, in [left, right]. */
  x(at: number): number;
  readonly left: number;
  readonly right: number;
  /** Tick times, one per `step` ms, aligned to `to`. */
  readonly ticks: readonly number[];
}

/** The axis never shows less than this, so a freshly opened dashboard is not a smear. */
export const MIN_SPAN_MS = 60_000;

export function timeAxis(
  firstAt: number | undefined,
  now: number,
  maxSpanMs: number,
  left: number,
  right: number,
): TimeAxis {
  const span = Math.min(maxSpanMs, Math.max(MIN_SPAN_MS, firstAt === undefined ? 0 : now - firstAt));
  const from = now - span;
  const step = span <= 2 * 60_000 ? 30_000 : 60_000;
  const ticks: number[] = [];
  for (let t = now; t >= from; t -= step) ticks.push(t);
  return {
    from,
    to: now,
    left,
    right,
    x: (at) => left + ((Math.max(from, Math.min(now, at)) - from) / span) * (right - left),
    ticks,
  };
}

export function tickLabel(at: number, now: number): string {
  const seconds = Math.round((now - at) / 1000);
  if (seconds === 0) return 'now';
  return seconds % 60 === 0 ? `-${seconds / 60} min` : `-${seconds} s`;
}
